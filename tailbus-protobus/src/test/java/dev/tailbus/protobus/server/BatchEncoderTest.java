package dev.tailbus.protobus.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.CodedInputStream;
import dev.tailbus.core.log.AppendedEvent;
import dev.tailbus.core.log.LogFeed;
import dev.tailbus.protobus.proto.EventBatch;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import org.junit.jupiter.api.Test;

class BatchEncoderTest {
    /** A feed of given events, each written from its own array. */
    private static final class ListFeed implements LogFeed {
        final Queue<byte[]> events = new ArrayDeque<>();

        @Override
        public int nextSize() {
            return events.isEmpty() ? -1 : events.peek().length;
        }

        @Override
        public void takeNext(byte[] out, int offset) {
            byte[] e = events.remove();
            System.arraycopy(e, 0, out, offset, e.length);
        }

        @Override
        public void onData(Runnable hook) {
        }

        @Override
        public void close() {
        }
    }

    private static byte[] event(int size, int fill) {
        byte[] e = new byte[size];
        Arrays.fill(e, (byte) fill);
        return e;
    }

    /** The events of a message as field 1 of EventBatch (the events here are bytes, not events). */
    private static List<byte[]> decode(byte[] message) throws Exception {
        List<byte[]> out = new ArrayList<>();
        CodedInputStream in = CodedInputStream.newInstance(message);
        for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
            assertThat(tag).isEqualTo(EventBatch.EVENTS_FIELD_NUMBER << 3 | 2);
            out.add(in.readByteArray());
        }
        return out;
    }

    @Test
    void shouldCarryWhatDoesNotFitToTheNextMessageAndSendALargeEventAlone() throws Exception {
        ListFeed feed = new ListFeed();
        List<byte[]> sent = List.of(event(0, 0), event(40, 1), event(40, 2), event(300, 3), event(10, 4));
        feed.events.addAll(sent);
        EventSource source = EventSource.ofFeed(feed, new UnstoredQueue(1000));
        BatchEncoder encoder = new BatchEncoder(100);
        int[] counted = new int[1];
        List<byte[]> received = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (byte[] m = encoder.encode(source, counted); m != null; m = encoder.encode(source, counted)) {
            assertThat(m.length).isLessThanOrEqualTo(Math.max(100, 303));
            received.addAll(decode(m));
            counts.add(counted[0]);
        }
        assertThat(counts).containsExactly(3, 1, 1); // 2 + 42 + 42, then 300 alone, then 10
        assertThat(received).hasSize(sent.size());
        for (int i = 0; i < sent.size(); i++) {
            assertThat(received.get(i)).isEqualTo(sent.get(i));
        }
        assertThat(counted[0]).isZero();
    }

    @Test
    void shouldSendUnstoredEventsFirstAndKeepTheOneWhoseSizeWasTold() {
        ListFeed feed = new ListFeed();
        feed.events.add(event(5, 7));
        UnstoredQueue unstored = new UnstoredQueue(1000);
        EventSource source = EventSource.ofFeed(feed, unstored);
        unstored.offer(new AppendedEvent(0, "live", 0, event(3, 9), false));
        assertThat(source.nextSize()).isEqualTo(3);
        assertThat(source.next()).isEqualTo(event(3, 9));
        assertThat(source.nextSize()).isEqualTo(5);
        // queued after the feed's size was told: it waits for the next one
        unstored.offer(new AppendedEvent(0, "live", 0, event(2, 8), false));
        byte[] out = new byte[5];
        source.takeNext(out, 0);
        assertThat(out).isEqualTo(event(5, 7));
        assertThat(source.next()).isEqualTo(event(2, 8));
        assertThat(source.next()).isNull();
    }
}
