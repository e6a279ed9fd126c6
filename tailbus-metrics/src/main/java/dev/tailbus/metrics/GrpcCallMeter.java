package dev.tailbus.metrics;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import dev.tailbus.core.log.EventWire;
import dev.tailbus.protobus.proto.EventBatch;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Counts every gRPC call of the server as it ends, by method and status code (RESOURCE_EXHAUSTED
 * endings also on their own), and the events subscriptions deliver, by store pattern, read from
 * the bytes as they are sent. Installed on the whole server, outside the services' own
 * interceptors, so that calls refused by {@code --max-threads} are counted too.
 *
 * <p>Design note: delivery is counted on the way out of the call rather than inside the
 * subscription, so that the subscription path knows nothing of metrics; reading an event's topic
 * costs a walk over its field tags, paid only when metrics are on.
 *
 * <p>Threading: gRPC sends one call's messages one at a time, so each call's parse state is its own.
 */
final class GrpcCallMeter implements ServerInterceptor {
    private static final String SUBSCRIBE = ProtobusServiceGrpc.getSubscribeMethod().getFullMethodName();
    private static final String SUBSCRIBE_BATCH = ProtobusServiceGrpc.getSubscribeBatchMethod().getFullMethodName();

    private final Counter calls;
    private final Counter exhausted;
    private final PrefixLabels labels;
    private final CounterDataPoint[] events;
    private final CounterDataPoint[] bytes;

    GrpcCallMeter(Counter calls, Counter exhausted, PrefixLabels labels, CounterDataPoint[] events,
                  CounterDataPoint[] bytes) {
        this.calls = calls;
        this.exhausted = exhausted;
        this.labels = labels;
        this.events = events;
        this.bytes = bytes;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                       ServerCallHandler<Q, A> next) {
        String method = call.getMethodDescriptor().getFullMethodName();
        boolean single = method.equals(SUBSCRIBE);
        boolean batch = method.equals(SUBSCRIBE_BATCH);
        EventWire.Fields fields = single || batch ? new EventWire.Fields() : null;
        AtomicBoolean counted = new AtomicBoolean();
        ServerCall.Listener<Q> listener = next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void sendMessage(A message) {
                super.sendMessage(message);
                if (fields != null && message instanceof byte[] sent) {
                    if (single) {
                        delivered(sent, 0, sent.length, fields);
                    } else {
                        deliveredBatch(sent, fields);
                    }
                }
            }

            @Override
            public void close(Status status, Metadata trailers) {
                if (counted.compareAndSet(false, true)) {
                    calls.labelValues(method, status.getCode().name()).inc();
                    if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                        exhausted.labelValues(method).inc();
                    }
                }
                super.close(status, trailers);
            }
        }, headers);
        // A call the client cancels (or whose connection goes) ends without close: CANCELLED.
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onCancel() {
                if (counted.compareAndSet(false, true)) {
                    calls.labelValues(method, Status.Code.CANCELLED.name()).inc();
                }
                super.onCancel();
            }
        };
    }

    private void delivered(byte[] buf, int offset, int length, EventWire.Fields fields) {
        String topic = EventWire.parse(buf, offset, length, fields) ? fields.topic : null;
        int i = labels.index(topic);
        events[i].inc();
        bytes[i].inc(length);
    }

    private void deliveredBatch(byte[] message, EventWire.Fields fields) {
        CodedInputStream in = CodedInputStream.newInstance(message);
        try {
            for (int tag; (tag = in.readTag()) != 0; ) {
                if (WireFormat.getTagFieldNumber(tag) == EventBatch.EVENTS_FIELD_NUMBER
                        && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                    int length = in.readRawVarint32();
                    int offset = in.getTotalBytesRead();
                    delivered(message, offset, length, fields);
                    in.skipRawBytes(length);
                } else {
                    in.skipField(tag);
                }
            }
        } catch (IOException e) {
            // the server wrote this message itself: a malformed one cannot happen; count no more of it
        }
    }
}
