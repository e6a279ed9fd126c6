package dev.tailbus.protobus.server;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Bounds the calls served at once ({@code --max-threads}, as the reference names it): a call
 * beyond the bound is refused with RESOURCE_EXHAUSTED at once instead of queueing.
 * Thread-safe.
 */
final class CallLimitInterceptor implements ServerInterceptor {
    private final int limit;
    private final AtomicInteger active = new AtomicInteger();
    private final LongAdder refused = new LongAdder();

    CallLimitInterceptor(int limit) {
        this.limit = limit;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                       ServerCallHandler<Q, A> next) {
        if (active.incrementAndGet() > limit) {
            active.decrementAndGet();
            refused.increment();
            call.close(Status.RESOURCE_EXHAUSTED.withDescription("the server already serves its maximum of "
                    + limit + " publishers and subscriptions (--max-threads); try again later"), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        AtomicBoolean released = new AtomicBoolean();
        Runnable release = () -> {
            if (released.compareAndSet(false, true)) {
                active.decrementAndGet();
            }
        };
        ServerCall.Listener<Q> listener;
        try {
            listener = next.startCall(call, headers);
        } catch (RuntimeException e) {
            release.run();
            throw e;
        }
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onComplete() {
                release.run();
                super.onComplete();
            }

            @Override
            public void onCancel() {
                release.run();
                super.onCancel();
            }
        };
    }

    /** The calls refused so far because the bound was reached. */
    long refused() {
        return refused.sum();
    }

    /** The calls being served now. */
    int active() {
        return active.get();
    }
}
