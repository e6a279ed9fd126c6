package dev.tailbus.kafka;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.log.EventWire;
import dev.tailbus.core.log.FeedStart;
import dev.tailbus.core.log.LogFeed;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/**
 * One subscription on Kafka: its own consumer (no group: partitions assigned, offsets kept in
 * the resume token, not in Kafka), read by a poller thread of its own into a queue bounded in
 * bytes, from which the session takes events. The start offsets come from the request: a resume
 * token's entries, Kafka's offsets for a time, or the ends of a snapshot after a history. New
 * data topics that may hold matching topics are found every second and read from their beginning.
 *
 * <p>Each event goes out with its position (field 100) and the resume token after it (field
 * 101) appended to the stored bytes, written once, where the session sends it: the consumer's
 * values are views of Kafka's fetched bytes, queued as the records Kafka made, with nothing
 * copied or made per event before that write. A view keeps the fetch response it lies in until
 * it is delivered; the queue's byte budget bounds how much is queued, as the consumer itself
 * would hold a response until its last record was polled. Where the subscription wants only some
 * of a poll's records, the wanted values are copied out, so that a few wanted bytes never keep a
 * whole response that the budget does not count. The token names, for every partition read, the
 * next offset:
 * during the history, a partition whose history is not all delivered yet stands at its next
 * history event (resuming there delivers the rest of it, and possibly other topics' events in
 * between, nothing twice); once its history is out, at the snapshot's end, where live reading
 * starts. So history and live meet with no gap and no duplicate, and so do a token's two sides.
 *
 * <p>Threading: {@link #next()} from one thread at a time (the session's); the poller thread
 * owns the consumer after the constructor; the queue and the byte budget join them.
 */
final class KafkaFeed implements LogFeed {
    private static final System.Logger LOG = System.getLogger(KafkaFeed.class.getName());
    /** Bytes of events queued for the session before the poller waits. */
    static final int QUEUE_BYTES = 8 << 20;
    private static final long DISCOVERY_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final byte POSITION_TAG0 = (byte) 0xA0;
    private static final byte TOKEN_TAG0 = (byte) 0xAA;
    private static final byte TAG1 = (byte) 0x06;

    /** One record for the session. */
    record Item(long base, long offset, String topic, long timeMs, byte[] value) {
    }

    /** The wanted records of one partition in one poll, and the bytes of the budget they hold. */
    record Chunk(long base, List<ConsumerRecord<ByteBuffer, ByteBuffer>> records, int bytes) {
    }

    /** A history: its events in delivery order, and the offsets it stands at afterwards. */
    record History(List<Item> items, Map<TopicPartition, Long> ends) {
    }

    private final KafkaLog log;
    private final Predicate<String> filter;
    private final long sinceNanos;
    private final KafkaConsumer<ByteBuffer, ByteBuffer> consumer;
    /** What the poller read, a poll's worth of events per entry, with their charge to the budget. */
    private final ConcurrentLinkedQueue<Chunk> queue = new ConcurrentLinkedQueue<>();
    private final Semaphore budget = new Semaphore(QUEUE_BYTES);
    /** Partition base to the next offset after what was delivered: the token. Session thread only. */
    private final NextOffsets next = new NextOffsets();
    /** Per partition base with history left: its offset after the history. */
    private final Map<Long, Long> historyEnd = new HashMap<>();
    /** Per partition base with history left: the offset of its last history event. */
    private final Map<Long, Long> historyLast = new HashMap<>();
    private final Map<TopicPartition, Long> bases = new HashMap<>();
    private final Thread poller;
    private Iterator<Item> history;
    /** The chunk being delivered, and where in it. */
    private Chunk current;
    private int index;
    /** The next event, between {@link #nextSize()} and {@link #takeNext}: taken from its source, not delivered. */
    private boolean peeked;
    private long peekBase;
    private long peekPosition;
    /** The next offset of its partition once it is delivered. */
    private long peekNext;
    private ByteBuffer peekValue;
    private int peekTokenSize;
    private int peekSize;
    private volatile Runnable hook = () -> { };
    private volatile boolean closed;

    KafkaFeed(KafkaLog log, Predicate<String> filter, FeedStart start) {
        this.log = log;
        this.filter = filter;
        this.sinceNanos = start.resumeToken() == null && start.afterPosition() <= 0 ? start.sinceNanos() : -1;
        if (start.resumeToken() == null && start.afterPosition() > 0) {
            throw new KafkaLogException(Kind.BAD_INPUT, "after_position cannot resume on Kafka, whose partitions have "
                    + "no common order: resume with resume_token (which every event carries)");
        }
        Map<Long, Long> token = start.resumeToken() == null ? null : ResumeToken.decode(start.resumeToken());
        List<TopicPartition> partitions = log.dataPartitions(name -> log.router().mayHold(name, filter));
        for (TopicPartition tp : partitions) {
            bases.put(tp, log.base(tp));
        }
        Map<TopicPartition, Long> from = new HashMap<>();
        if (token != null) {
            for (TopicPartition tp : partitions) {
                Long offset = token.get(bases.get(tp));
                from.put(tp, offset == null ? 0L : offset);
            }
        } else if (sinceNanos >= 0) {
            Map<TopicPartition, Long> times = new HashMap<>();
            partitions.forEach(tp -> times.put(tp, Math.floorDiv(sinceNanos, 1_000_000L)));
            Map<TopicPartition, Long> ends = log.endOffsets(partitions, null);
            Map<TopicPartition, OffsetAndTimestamp> found = log.offsetsForTimes(times);
            for (TopicPartition tp : partitions) {
                OffsetAndTimestamp at = found.get(tp);
                from.put(tp, at != null ? at.offset() : ends.getOrDefault(tp, 0L));
            }
        } else if (start.historyDepth() > 0) {
            History h = history(log, filter, start.historyDepth());
            for (Item item : h.items()) {
                // a topic made between the listing and the history: read live after its history too
                TopicPartition tp = log.partitionOf(item.base());
                if (bases.putIfAbsent(tp, item.base()) == null) {
                    partitions.add(tp);
                }
            }
            for (TopicPartition tp : partitions) {
                from.put(tp, h.ends().getOrDefault(tp, 0L));
            }
            for (Item item : h.items()) {
                TopicPartition tp = log.partitionOf(item.base());
                historyEnd.putIfAbsent(item.base(), h.ends().getOrDefault(tp, item.offset() + 1));
                historyLast.merge(item.base(), item.offset(), Math::max);
                next.lowerTo(item.base(), item.offset());
            }
            history = h.items().iterator();
        } else {
            from.putAll(log.endOffsets(partitions, null));
        }
        for (TopicPartition tp : partitions) {
            next.putIfAbsent(bases.get(tp), from.get(tp));
        }
        this.consumer = log.clients().viewConsumer("feed");
        try {
            consumer.assign(partitions);
            for (TopicPartition tp : partitions) {
                consumer.seek(tp, from.get(tp));
            }
        } catch (RuntimeException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
        this.poller = new Thread(this::poll, "tailbus-kafka-feed-" + THREADS.incrementAndGet());
        poller.setDaemon(true);
        poller.start();
    }

    /**
     * The last {@code depth} events of every topic that {@code filter} matches, from the catalog's
     * snapshot, in receive-time order (ties by position).
     */
    static History history(KafkaLog log, Predicate<String> filter, int depth) {
        TopicCatalog catalog = log.catalog();
        catalog.refresh();
        Map<TopicPartition, Long> ends = catalog.scanned();
        Map<TopicPartition, Map<String, Long>> wanted = new HashMap<>();
        for (TopicCatalog.Entry e : catalog.entries().values()) {
            if (filter.test(e.topic)) {
                wanted.computeIfAbsent(e.home, tp -> new HashMap<>()).put(e.topic, Math.min(depth, e.events));
            }
        }
        Map<TopicPartition, Long> begins = new HashMap<>();
        log.endOffsets(new ArrayList<>(wanted.keySet()), begins);
        List<Item> items = new ArrayList<>();
        for (Map.Entry<TopicPartition, Map<String, Long>> w : wanted.entrySet()) {
            TopicPartition tp = w.getKey();
            long base = log.base(tp);
            Map<String, ArrayDeque<Item>> found = new HashMap<>();
            Map<String, Long> need = w.getValue();
            long total = need.values().stream().mapToLong(Long::longValue).sum();
            long hi = ends.getOrDefault(tp, 0L);
            long begin = begins.getOrDefault(tp, 0L);
            long window = Math.max(64, total);
            while (hi > begin && !satisfied(need, found)) {
                long lo = Math.max(begin, hi - window);
                Map<String, List<Item>> chunk = new HashMap<>();
                catalog.scan(Map.of(tp, lo), Map.of(tp, hi), r -> {
                    if (r.key() == null || r.value() == null) {
                        return;
                    }
                    String topic = new String(r.key(), StandardCharsets.UTF_8);
                    if (need.containsKey(topic) && log.router().isHome(tp.topic(), topic)) {
                        chunk.computeIfAbsent(topic, t -> new ArrayList<>())
                                .add(new Item(base, r.offset(), topic, r.timestamp(), r.value()));
                    }
                });
                for (Map.Entry<String, List<Item>> c : chunk.entrySet()) {
                    ArrayDeque<Item> have = found.computeIfAbsent(c.getKey(), t -> new ArrayDeque<>());
                    List<Item> list = c.getValue();
                    for (int i = list.size() - 1; i >= 0 && have.size() < need.get(c.getKey()); i--) {
                        have.addFirst(list.get(i));
                    }
                }
                hi = lo;
                window *= 2;
            }
            found.values().forEach(items::addAll);
        }
        items.sort(Comparator.comparingLong(Item::timeMs).thenComparingLong(Item::base).thenComparingLong(Item::offset));
        return new History(items, ends);
    }

    private static boolean satisfied(Map<String, Long> need, Map<String, ArrayDeque<Item>> found) {
        for (Map.Entry<String, Long> n : need.entrySet()) {
            ArrayDeque<Item> have = found.get(n.getKey());
            if ((have == null ? 0 : have.size()) < n.getValue()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int nextSize() {
        if (peeked) {
            return peekSize;
        }
        if (history != null) {
            if (history.hasNext()) {
                Item h = history.next();
                long last = historyLast.get(h.base());
                return peek(h.base(), h.offset(), h.offset() == last ? historyEnd.get(h.base()) : h.offset() + 1,
                        ByteBuffer.wrap(h.value()));
            }
            history = null;
        }
        if (current == null || index == current.records().size()) {
            if (current != null) {
                budget.release(current.bytes());
            }
            current = queue.poll();
            index = 0;
            if (current == null) {
                return -1;
            }
        }
        ConsumerRecord<ByteBuffer, ByteBuffer> r = current.records().get(index++);
        return peek(current.base(), r.offset(), r.offset() + 1, r.value());
    }

    /** Holds the event at {@code offset} until it is taken; its size with the fields appended. */
    private int peek(long base, long offset, long nextOffset, ByteBuffer value) {
        peekBase = base;
        peekPosition = Positions.of(base, offset);
        peekNext = nextOffset;
        peekValue = value;
        peekTokenSize = next.tokenSizeAfter(base, nextOffset);
        peekSize = value.remaining() + 2 + EventWire.varintSize(peekPosition) + 2
                + EventWire.varintSize(peekTokenSize) + peekTokenSize;
        peeked = true;
        return peekSize;
    }

    /**
     * Writes the held event: its stored bytes, its position, and the token after it.
     *
     * <pre>
     *   out = value | 0xA0 0x06 | varint(position) | 0xAA 0x06 | varint(token length) | token
     *                 field 100, varint           field 101, bytes
     * </pre>
     */
    @Override
    public void takeNext(byte[] out, int offset) {
        if (!peeked) {
            throw new IllegalStateException("takeNext before nextSize");
        }
        peeked = false;
        next.put(peekBase, peekNext);
        ByteBuffer value = peekValue;
        peekValue = null;
        int length = value.remaining();
        value.get(value.position(), out, offset, length);
        int at = offset + length;
        out[at++] = POSITION_TAG0;
        out[at++] = TAG1;
        at = EventWire.writeVarint(out, at, peekPosition);
        out[at++] = TOKEN_TAG0;
        out[at++] = TAG1;
        at = EventWire.writeVarint(out, at, peekTokenSize);
        next.writeToken(out, at);
    }

    @Override
    public void onData(Runnable h) {
        this.hook = h == null ? () -> { } : h;
    }


    /** The poller thread: reads, filters, queues, and tells the session. */
    private void poll() {
        long lastDiscovery = System.nanoTime();
        EventWire.Fields fields = new EventWire.Fields();
        long sinceMs = Math.floorDiv(sinceNanos, 1_000_000L);
        try {
            while (!closed) {
                if (System.nanoTime() - lastDiscovery > DISCOVERY_NANOS) {
                    lastDiscovery = System.nanoTime();
                    discover();
                }
                if (consumer.assignment().isEmpty()) {
                    // nothing to read until a data topic appears: look again soon
                    java.util.concurrent.locks.LockSupport.parkNanos(DISCOVERY_NANOS / 5);
                    continue;
                }
                ConsumerRecords<ByteBuffer, ByteBuffer> polled;
                try {
                    polled = consumer.poll(Duration.ofMillis(200));
                } catch (WakeupException e) {
                    throw e;
                } catch (org.apache.kafka.common.KafkaException e) {
                    // the cluster is away or in trouble: the subscriber waits, the feed tries again
                    LOG.log(System.Logger.Level.DEBUG, "subscription feed waits: " + KafkaLogException.reason(e));
                    java.util.concurrent.locks.LockSupport.parkNanos(DISCOVERY_NANOS / 2);
                    continue;
                }
                boolean queued = false;
                for (TopicPartition tp : polled.partitions()) {
                    Chunk chunk = wanted(tp, polled.records(tp), fields, sinceMs);
                    if (chunk == null) {
                        continue;
                    }
                    while (!budget.tryAcquire(chunk.bytes(), 100, TimeUnit.MILLISECONDS)) {
                        if (closed) {
                            return;
                        }
                    }
                    queue.add(chunk);
                    queued = true;
                }
                if (queued) {
                    hook.run();
                }
            }
        } catch (WakeupException | InterruptedException e) {
            // closed
        } catch (RuntimeException e) {
            if (!closed) {
                LOG.log(System.Logger.Level.WARNING, "subscription feed stopped: " + KafkaLogException.reason(e));
            }
        } finally {
            consumer.close(Duration.ZERO);
        }
    }

    /**
     * The records of one partition's poll that the subscription receives, as a chunk: Kafka's own
     * list when it wants them all (the usual case), else the wanted ones; null when none.
     * Consecutive records mostly share their key (the protobus topic): it is decoded and checked
     * once per run of equal keys.
     */
    private Chunk wanted(TopicPartition tp, List<ConsumerRecord<ByteBuffer, ByteBuffer>> records,
                         EventWire.Fields fields, long sinceMs) {
        long base = bases.get(tp);
        List<ConsumerRecord<ByteBuffer, ByteBuffer>> kept = null; // null while every record so far is wanted
        ByteBuffer lastKey = null;
        boolean lastWanted = false;
        long bytes = 0;
        for (int i = 0; i < records.size(); i++) {
            ConsumerRecord<ByteBuffer, ByteBuffer> r = records.get(i);
            ByteBuffer key = r.key();
            boolean wanted;
            if (key == null || r.value() == null) {
                wanted = false;
            } else {
                if (!key.equals(lastKey)) {
                    lastKey = key;
                    String topic = StandardCharsets.UTF_8.decode(key.duplicate()).toString();
                    lastWanted = filter.test(topic) && log.router().isHome(tp.topic(), topic);
                }
                wanted = lastWanted && !(sinceNanos >= 0 && r.timestamp() <= sinceMs && before(r.value(), fields));
            }
            if (wanted) {
                bytes += r.value().remaining() + 64;
                if (kept != null) {
                    kept.add(copied(r));
                }
            } else if (kept == null) {
                kept = new ArrayList<>(i + 1);
                for (int k = 0; k < i; k++) {
                    kept.add(copied(records.get(k)));
                }
            }
        }
        List<ConsumerRecord<ByteBuffer, ByteBuffer>> out = kept == null ? records : kept;
        return out.isEmpty() ? null : new Chunk(base, out, (int) Math.min(QUEUE_BYTES, bytes));
    }

    /**
     * {@code r} with its value copied out of the fetch response, for a chunk that keeps only some
     * of a poll's records: a view would keep the whole response (up to a fetch's size) for a few
     * wanted bytes, which the byte budget does not see, so a subscriber of a rare topic among busy
     * ones could hold thousands of responses. Only the offset and the value are read later.
     */
    private static ConsumerRecord<ByteBuffer, ByteBuffer> copied(ConsumerRecord<ByteBuffer, ByteBuffer> r) {
        ByteBuffer value = r.value();
        byte[] copy = new byte[value.remaining()];
        value.get(value.position(), copy);
        return new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), null, ByteBuffer.wrap(copy));
    }

    /** Whether the event was received before {@link #sinceNanos} (within its millisecond). */
    private boolean before(ByteBuffer value, EventWire.Fields fields) {
        byte[] bytes = new byte[value.remaining()];
        value.get(value.position(), bytes);
        return EventWire.parse(bytes, 0, bytes.length, fields) && fields.receiveTimeNanos < sinceNanos;
    }

    /** Adds data topics and partitions that appeared since, read from their beginning. */
    private void discover() {
        try {
            discoverNow();
        } catch (WakeupException e) {
            throw e;
        } catch (RuntimeException e) {
            // the cluster is away; the next look, a second later, tries again
            LOG.log(System.Logger.Level.DEBUG, "cannot look for new topics: " + KafkaLogException.reason(e));
        }
    }

    private void discoverNow() {
        Map<String, List<PartitionInfo>> topics = consumer.listTopics(Duration.ofSeconds(5));
        Set<TopicPartition> added = new HashSet<>();
        for (Map.Entry<String, List<PartitionInfo>> t : topics.entrySet()) {
            if (!log.router().mayHold(t.getKey(), filter)) {
                continue;
            }
            for (PartitionInfo p : t.getValue()) {
                TopicPartition tp = new TopicPartition(p.topic(), p.partition());
                if (!bases.containsKey(tp)) {
                    added.add(tp);
                }
            }
        }
        if (added.isEmpty()) {
            return;
        }
        for (TopicPartition tp : added) {
            bases.put(tp, log.base(tp));
        }
        Collection<TopicPartition> all = new ArrayList<>(consumer.assignment());
        all.addAll(added);
        consumer.assign(all);
        consumer.seekToBeginning(added);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        consumer.wakeup();
        java.util.concurrent.locks.LockSupport.unpark(poller);
        try {
            poller.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
