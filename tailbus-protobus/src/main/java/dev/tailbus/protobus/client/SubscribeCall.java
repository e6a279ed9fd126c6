package dev.tailbus.protobus.client;

import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.protobus.proto.EventBatch;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import dev.tailbus.protobus.proto.SubscriptionRequest;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.util.List;
import java.util.function.IntSupplier;

/**
 * One {@code SubscribeBatch} (or, on a server without it, {@code Subscribe}) call of a
 * subscriber, with its flow control: it asks the server for messages only while fewer than
 * {@code capacity} received events wait to be taken (with batches, two messages at a time), so a
 * slow consumer slows the server's sending for this subscription only.
 *
 * <p>Threading: gRPC calls the observer on its threads; {@link #consumed} comes from the consumer.
 */
final class SubscribeCall {
    /** What the call hands to its subscriber. */
    interface Listener {
        /**
         * Events received, in order, with the resume token each carried (a log without one
         * order of positions, such as Kafka), or null tokens when the server gives none.
         */
        void received(SubscribeCall call, BusEvent[] events, byte[][] tokens);

        /** The call ended (OK for a clean end). */
        void ended(SubscribeCall call, Status status);
    }

    private final boolean batched;
    private final int capacity;
    private final IntSupplier waiting;
    private final Listener listener;
    private final long startedAt;
    private volatile boolean worked;
    private volatile ClientCallStreamObserver<SubscriptionRequest> stream;
    /** Messages asked for and not yet received; under {@code this}. */
    private int outstanding;

    /**
     * @param waiting   the events received and not yet taken
     * @param startedAt when the call starts, on the subscriber's back-off clock
     */
    SubscribeCall(boolean batched, int capacity, IntSupplier waiting, Listener listener, long startedAt) {
        this.batched = batched;
        this.capacity = capacity;
        this.waiting = waiting;
        this.listener = listener;
        this.startedAt = startedAt;
    }

    /** Starts the call on {@code channel}. */
    void start(Channel channel, SubscriptionRequest request) {
        var stub = ProtobusServiceGrpc.newStub(channel);
        if (batched) {
            stub.subscribeBatch(request, new Observer<EventBatch>() {
                @Override
                BusEvent[] events(EventBatch message) {
                    List<EncapsulatedEvent> list = message.getEventsList();
                    BusEvent[] out = new BusEvent[list.size()];
                    for (int i = 0; i < out.length; i++) {
                        out[i] = BusEvent.fromProto(list.get(i));
                    }
                    return out;
                }

                @Override
                byte[][] tokens(EventBatch message) {
                    List<EncapsulatedEvent> list = message.getEventsList();
                    if (list.isEmpty() || list.getFirst().getResumeToken().isEmpty()) {
                        return null;
                    }
                    byte[][] out = new byte[list.size()][];
                    for (int i = 0; i < out.length; i++) {
                        out[i] = list.get(i).getResumeToken().toByteArray();
                    }
                    return out;
                }
            });
        } else {
            stub.subscribe(request, new Observer<EncapsulatedEvent>() {
                @Override
                BusEvent[] events(EncapsulatedEvent message) {
                    return new BusEvent[] {BusEvent.fromProto(message)};
                }

                @Override
                byte[][] tokens(EncapsulatedEvent message) {
                    return message.getResumeToken().isEmpty() ? null
                            : new byte[][] {message.getResumeToken().toByteArray()};
                }
            });
        }
        askForMore();
    }

    boolean batched() {
        return batched;
    }

    /** Whether the call delivered anything. */
    boolean worked() {
        return worked;
    }

    long startedAt() {
        return startedAt;
    }

    /** The consumer took events: asks for more when there is room. */
    void consumed() {
        askForMore();
    }

    void cancel() {
        ClientCallStreamObserver<SubscriptionRequest> s = stream;
        if (s != null) {
            s.cancel("subscriber closed", null);
        }
    }

    private void askForMore() {
        ClientCallStreamObserver<SubscriptionRequest> s = stream;
        if (s == null) {
            return;
        }
        int n;
        synchronized (this) {
            int room = capacity - waiting.getAsInt();
            // batches: two messages under way while there is room, so that the server need not
            // wait for each request to travel before sending the next message
            int want = batched ? (room > 0 ? 2 : 0) : room;
            n = want - outstanding;
            // singly: ask in groups, not once per event
            if (n <= 0 || (!batched && outstanding > 0 && n < Math.max(1, capacity / 8))) {
                return;
            }
            outstanding += n;
        }
        s.request(n);
    }

    private abstract class Observer<T> implements ClientResponseObserver<SubscriptionRequest, T> {
        abstract BusEvent[] events(T message);

        /** The resume tokens of the message's events, or null when they carry none. */
        abstract byte[][] tokens(T message);

        @Override
        public void beforeStart(ClientCallStreamObserver<SubscriptionRequest> requestStream) {
            requestStream.disableAutoRequestWithInitial(0);
            stream = requestStream;
        }

        @Override
        public void onNext(T message) {
            synchronized (SubscribeCall.this) {
                outstanding--;
            }
            worked = true;
            listener.received(SubscribeCall.this, events(message), tokens(message));
            askForMore();
        }

        @Override
        public void onError(Throwable t) {
            listener.ended(SubscribeCall.this, Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            listener.ended(SubscribeCall.this, Status.OK);
        }
    }
}
