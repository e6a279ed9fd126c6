package dev.tailbus.protobus.client;

import dev.tailbus.protobus.proto.Status;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/**
 * The answer to a publishing call (a {@link Status}) as a future: the observer to hand the
 * stub's {@code publish} or {@code publishBatch}, completed by the server's answer, by the call's
 * error, or (a call closed without an answer) by an empty Status.
 */
public final class StatusAnswer {
    private StatusAnswer() {
    }

    /** An observer that completes {@code answer}. */
    public static StreamObserver<Status> into(CompletableFuture<Status> answer) {
        return new StreamObserver<>() {
            @Override
            public void onNext(Status value) {
                answer.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                answer.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                answer.complete(Status.getDefaultInstance());
            }
        };
    }
}
