package dev.tailbus.protobus.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.tailbus.core.log.AppendedEvent;
import dev.tailbus.core.log.EventLog;
import dev.tailbus.core.log.EventToAppend;
import dev.tailbus.core.log.LogConfig;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cursor on a real log that stores {@code kept.*} topics only, against a simple model: the
 * list of every matching event in position order.
 */
class SubscriptionCursorTest {
    @TempDir
    Path root;
    EventLog log;
    RecentEvents ring = new RecentEvents();
    final UnstoredQueue queue = new UnstoredQueue(64L << 20);
    final Predicate<String> filter = t -> t.startsWith("kept.") || t.startsWith("live.");
    AppendSequencer sequencer;

    @BeforeEach
    void openLog() {
        log = EventLog.open(LogConfig.builder(root).pattern("kept:kept\\.").build());
        open();
    }

    /** A sequencer on the log as it is now, announcing into the ring and the queue. */
    void open() {
        sequencer = new AppendSequencer(log.lastPosition(), batch -> {
            ring.add(batch);
            batch.stream().filter(e -> !e.stored() && filter.test(e.topic())).forEach(queue::offer);
        });
    }

    @AfterEach
    void close() {
        log.close();
    }

    private static byte[] event(String topic, int size) {
        byte[] payload = new byte[size];
        return EncapsulatedEvent.newBuilder().setTopic(topic)
                .setPayload(Any.pack(BytesValue.of(ByteString.copyFrom(payload)))).build().toByteArray();
    }

    /** Appends and announces; returns the positions of the matching events. */
    private List<Long> publish(List<String> topics, int size) {
        List<EventToAppend> batch = new ArrayList<>();
        for (String t : topics) {
            batch.add(new EventToAppend(t, 1, event(t, size)));
        }
        long ticket = sequencer.enter();
        List<AppendedEvent> appended = log.append(batch);
        sequencer.complete(ticket, appended);
        return appended.stream().filter(e -> filter.test(e.topic())).map(AppendedEvent::position).toList();
    }

    private SubscriptionCursor cursorAfter(long position) {
        return new SubscriptionCursor(log, ring, sequencer::announced, queue, filter,
                new SubscriptionStart(position, null, null, null));
    }

    private static List<Long> drain(SubscriptionCursor cursor) throws InvalidProtocolBufferException {
        List<Long> out = new ArrayList<>();
        for (byte[] e = cursor.next(); e != null; e = cursor.next()) {
            out.add(EncapsulatedEvent.parseFrom(e).getPosition());
        }
        return out;
    }

    @Test
    void shouldMergeStoredAndUnstoredEventsByPosition() throws Exception {
        SubscriptionCursor cursor = cursorAfter(0);
        List<Long> expected = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            expected.addAll(publish(List.of("kept.a", "live.b", "other", "live.b", "kept.c"), 10));
            if (i % 7 == 0) {
                assertThat(drain(cursor)).isEqualTo(expected);
                expected.clear();
            }
        }
        assertThat(drain(cursor)).isEqualTo(expected);
    }

    @Test
    void shouldTakeStoredEventsFromTheLogInTheirPlaceWhenBehindTheRing() throws Exception {
        SubscriptionCursor cursor = cursorAfter(0);
        List<Long> expected = new ArrayList<>();
        for (int i = 0; i < RecentEvents.SLOTS / 50 + 100; i++) {
            List<String> topics = new ArrayList<>();
            for (int j = 0; j < 100; j++) {
                topics.add(j % 10 == 3 ? "live.b" : j % 10 == 5 ? "other" : "kept.a");
            }
            expected.addAll(publish(topics, 20));
        }
        List<Long> got = drain(cursor);
        assertThat(got).hasSameSizeAs(expected);
        assertThat(got).isEqualTo(expected);
    }

    @Test
    void shouldSendAnEventTooLargeForTheRingFromTheLogBetweenRingEvents() throws Exception {
        SubscriptionCursor cursor = cursorAfter(0);
        List<Long> expected = new ArrayList<>(publish(List.of("kept.a", "live.b"), 10));
        expected.addAll(publish(List.of("kept.big"), 4 * RecentEvents.MAX_EVENT_BYTES));
        expected.addAll(publish(List.of("live.big"), 4 * RecentEvents.MAX_EVENT_BYTES));
        expected.addAll(publish(List.of("kept.a", "live.b"), 10));
        assertThat(drain(cursor)).isEqualTo(expected);
    }

    @Test
    void shouldNotSendBeyondTheAnnouncedPosition() throws Exception {
        SubscriptionCursor cursor = cursorAfter(0);
        List<Long> first = publish(List.of("kept.a", "live.b"), 10);
        // two appends under way: the one with the later position returns first and must wait
        long earlier = sequencer.enter();
        long later = sequencer.enter();
        List<AppendedEvent> a = log.append(List.of(new EventToAppend("live.b", 1, event("live.b", 10))));
        List<AppendedEvent> b = log.append(List.of(new EventToAppend("kept.a", 1, event("kept.a", 10))));
        sequencer.complete(later, b);
        assertThat(drain(cursor)).isEqualTo(first);
        sequencer.complete(earlier, a);
        assertThat(drain(cursor)).containsExactly(a.getFirst().position(), b.getFirst().position());
    }

    @Test
    void shouldStartAfterAPositionWithoutRepeatingQueuedEventsBeforeIt() throws Exception {
        List<Long> all = new ArrayList<>(publish(List.of("live.b", "kept.a", "live.b", "kept.a"), 10));
        SubscriptionCursor cursor = cursorAfter(all.get(1));
        assertThat(drain(cursor)).isEqualTo(all.subList(2, 4));
    }

    @Test
    void shouldResumeWithTheUnstoredEventsTheRingHoldsFromBeforeItRegistered() throws Exception {
        List<Long> all = new ArrayList<>(publish(List.of("kept.a", "live.b"), 10));
        all.addAll(publish(List.of("kept.big"), 4 * RecentEvents.MAX_EVENT_BYTES)); // read from the log
        all.addAll(publish(List.of("live.b", "other", "live.b", "kept.a", "live.b"), 10));
        // a subscription resuming after the first event, registered after all of them: an empty queue
        SubscriptionCursor cursor = new SubscriptionCursor(log, ring, sequencer::announced, new UnstoredQueue(1 << 20),
                filter, new SubscriptionStart(all.getFirst(), null, null, null));
        assertThat(drain(cursor)).isEqualTo(all.subList(1, all.size()));
    }

    @Test
    void shouldTakeTheRingsUnstoredEventsInTheirPlaceAfterARestart() throws Exception {
        long before = publish(List.of("live.b"), 10).getFirst();
        log.close();
        // a restart: the new log goes on after the last position given (a clean close leaves no
        // gap), the new ring is empty
        log = EventLog.open(LogConfig.builder(root).pattern("kept:kept\\.").build());
        ring = new RecentEvents();
        open();
        List<Long> after = publish(List.of("live.b", "other", "kept.a", "live.b"), 10);
        assertThat(after.getFirst()).isGreaterThan(before);
        // resuming after the last event before the restart: positions the new ring never held, then its events
        SubscriptionCursor cursor = new SubscriptionCursor(log, ring, sequencer::announced, new UnstoredQueue(1 << 20),
                filter, new SubscriptionStart(before, null, null, null));
        assertThat(drain(cursor)).isEqualTo(after);
    }
}
