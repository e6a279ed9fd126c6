package dev.tailbus.kafka;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.log.AppendedEvent;
import dev.tailbus.core.log.BusLog;
import dev.tailbus.core.log.EventToAppend;
import dev.tailbus.core.log.EventWire;
import dev.tailbus.core.log.FeedStart;
import dev.tailbus.core.log.LogFeed;
import dev.tailbus.core.log.LogReader;
import dev.tailbus.core.log.StoredEvent;
import dev.tailbus.core.log.TopicStats;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The log of protobus-server on an Apache Kafka cluster, which makes the server a stateless
 * gateway: several gateways with the same patterns share one cluster, and whatever one accepts,
 * a subscriber of any other receives.
 *
 * <p>Layout: each store pattern's file prefix names a Kafka topic ({@link KafkaTopicNames}),
 * created on first use (or used as it is); a record's key is the protobus topic (so one topic
 * stays on one partition, in order), its value the stamped {@code EncapsulatedEvent} exactly as
 * the server stamped it, its timestamp the {@code server_receive_time} in milliseconds. An event
 * matching two patterns goes to both topics; only its home copy ({@link TopicRouter}) is read.
 *
 * <p>An append returns when Kafka acknowledged every event of the batch (acks=all, idempotent
 * producer), else throws UNAVAILABLE. Positions come from where Kafka keeps an event
 * ({@link Positions}); they are unique but ordered only within a partition, so
 * {@link #lastPosition()} is 0, subscriptions read through {@link #openFeed} and resume with a
 * {@link ResumeToken}, and {@code readAfter} accepts only 0.
 *
 * <p>Thread-safe.
 */
public final class KafkaLog implements BusLog {
    private final KafkaSettings settings;
    private final KafkaClients clients;
    private final TopicRouter router;
    private final Admin admin;
    private final KafkaProducer<byte[], byte[]> producer;
    private final PositionCodes codes;
    private final TopicCatalog catalog;
    private final Set<String> known = ConcurrentHashMap.newKeySet();
    private final Map<Long, TopicPartition> partitionsByBase = new ConcurrentHashMap<>();
    private final List<LongConsumer> listeners = new CopyOnWriteArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private KafkaLog(KafkaSettings settings, KafkaClients clients, Admin admin) {
        this.settings = settings;
        this.clients = clients;
        this.router = new TopicRouter(new KafkaTopicNames(settings.topicPrefix()), settings.patterns());
        this.admin = admin;
        KafkaProducer<byte[], byte[]> p = null;
        PositionCodes c = null;
        try {
            createTopic(router.names().codesTopic(), Optional.of(1),
                    Map.of("cleanup.policy", "delete", "retention.ms", "-1", "retention.bytes", "-1"));
            p = clients.producer();
            c = new PositionCodes(router.names().codesTopic(), clients.consumer("codes"), p, settings.startTimeout());
            this.catalog = new TopicCatalog(this, clients.consumer("catalog"));
        } catch (RuntimeException e) {
            if (c != null) {
                c.close();
            }
            if (p != null) {
                p.close(Duration.ZERO);
            }
            throw e;
        }
        this.producer = p;
        this.codes = c;
    }

    /**
     * Connects to the cluster, waiting at most the settings' start timeout.
     *
     * @throws KafkaLogException UNAVAILABLE when the cluster does not answer in time
     */
    public static KafkaLog open(KafkaSettings settings) {
        KafkaClients clients = new KafkaClients(settings);
        Admin admin;
        try {
            admin = clients.admin();
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new KafkaLogException(Kind.BAD_INPUT, "bad Kafka client settings: " + KafkaLogException.reason(e));
        }
        try {
            admin.describeCluster().nodes().get(settings.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
            return new KafkaLog(settings, clients, admin);
        } catch (ExecutionException | TimeoutException e) {
            admin.close(Duration.ZERO);
            throw new KafkaLogException(Kind.UNAVAILABLE, "cannot reach Kafka at " + settings.bootstrap() + " within "
                    + settings.startTimeout().toSeconds() + " s" + (e instanceof TimeoutException ? ""
                    : ": " + KafkaLogException.reason(e)), null, e);
        } catch (InterruptedException e) {
            admin.close(Duration.ZERO);
            Thread.currentThread().interrupt();
            throw new KafkaLogException(Kind.UNAVAILABLE, "interrupted while connecting to Kafka");
        } catch (RuntimeException e) {
            admin.close(Duration.ZERO);
            throw e;
        }
    }

    @Override
    public List<AppendedEvent> append(List<EventToAppend> batch) {
        if (closed.get()) {
            throw new KafkaLogException(Kind.UNAVAILABLE, "the Kafka log is closed");
        }
        int n = batch.size();
        // one future per event: Kafka's producer makes one anyway, and every event must be awaited
        @SuppressWarnings("unchecked")
        Future<RecordMetadata>[] homes = new Future[n];
        List<Future<RecordMetadata>> copies = null;
        try {
            // a publisher's events mostly share a topic: its key, Kafka topics and their making, once per run
            String lastTopic = null;
            byte[] key = null;
            List<String> names = List.of();
            for (int i = 0; i < n; i++) {
                EventToAppend e = batch.get(i);
                if (!e.topic().equals(lastTopic)) {
                    lastTopic = e.topic();
                    key = lastTopic.getBytes(StandardCharsets.UTF_8);
                    names = router.kafkaTopicsFor(lastTopic);
                    for (int k = 0; k < names.size(); k++) {
                        ensureTopic(names.get(k));
                    }
                }
                if (names.isEmpty()) {
                    continue;
                }
                long ms = Math.floorDiv(e.receiveTimeNanos(), 1_000_000L);
                homes[i] = producer.send(new ProducerRecord<>(names.get(0), null, ms, key, e.event()));
                for (int k = 1; k < names.size(); k++) {
                    if (copies == null) {
                        copies = new ArrayList<>();
                    }
                    copies.add(producer.send(new ProducerRecord<>(names.get(k), null, ms, key, e.event())));
                }
            }
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new KafkaLogException(Kind.UNAVAILABLE, "Kafka refused events: " + KafkaLogException.reason(e), null, e);
        }
        if (copies != null) {
            for (Future<RecordMetadata> f : copies) {
                await(f);
            }
        }
        List<AppendedEvent> out = new ArrayList<>(n);
        // records of a batch land mostly on one partition: its base looked up once per run
        String lastName = null;
        int lastPartition = -1;
        long lastBase = 0;
        for (int i = 0; i < n; i++) {
            EventToAppend e = batch.get(i);
            Future<RecordMetadata> f = homes[i];
            if (f == null) {
                out.add(new AppendedEvent(0, e.topic(), e.receiveTimeNanos(), e.event(), false));
                continue;
            }
            RecordMetadata md = await(f);
            if (md.partition() != lastPartition || !md.topic().equals(lastName)) {
                lastName = md.topic();
                lastPartition = md.partition();
                lastBase = base(new TopicPartition(lastName, lastPartition));
            }
            // the bytes as Kafka keeps them: subscriptions on Kafka read their feeds, not these
            out.add(new AppendedEvent(Positions.of(lastBase, md.offset()), e.topic(), e.receiveTimeNanos(), e.event(),
                    true));
        }
        for (LongConsumer l : listeners) {
            l.accept(0);
        }
        return out;
    }

    private static RecordMetadata await(Future<RecordMetadata> f) {
        try {
            if (f.isDone()) {
                return f.get(); // mostly: the batch was acknowledged while the ones before were awaited
            }
            // the producer's delivery timeout bounds this; the limit here is a last resort
            return f.get(5, TimeUnit.MINUTES);
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaLogException(Kind.UNAVAILABLE, "Kafka did not acknowledge: " + KafkaLogException.reason(e),
                    null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaLogException(Kind.UNAVAILABLE, "interrupted while waiting for Kafka");
        }
    }

    /** Creates a data topic on first use (or takes it as it exists). */
    private void ensureTopic(String name) {
        if (!known.contains(name)) {
            createTopic(name, settings.partitions(), Map.of());
            known.add(name);
        }
    }

    private void createTopic(String name, Optional<Integer> partitions, Map<String, String> config) {
        try {
            admin.createTopics(List.of(new NewTopic(name, partitions, settings.replication()).configs(config)))
                    .all().get(settings.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new KafkaLogException(Kind.UNAVAILABLE, "cannot create Kafka topic " + name + ": "
                        + KafkaLogException.reason(e), name, e);
            }
        } catch (TimeoutException e) {
            throw new KafkaLogException(Kind.UNAVAILABLE, "cannot create Kafka topic " + name + " within "
                    + settings.startTimeout().toSeconds() + " s", name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaLogException(Kind.UNAVAILABLE, "interrupted while creating Kafka topic " + name);
        }
    }

    /** True: an append waits for Kafka's acknowledgement. */
    @Override
    public boolean appendsRemotely() {
        return true;
    }

    /** Always 0: positions on Kafka have no order across partitions; resume tokens say where to go on. */
    @Override
    public long lastPosition() {
        return 0;
    }

    /** The history as a reader (the gateway uses {@link #openFeed}); {@code upTo} is not used. */
    @Override
    public LogReader lastPerTopic(Predicate<String> topics, int n, long upTo) {
        List<StoredEvent> out = new ArrayList<>();
        for (KafkaFeed.Item item : KafkaFeed.history(this, topics, n).items()) {
            out.add(new StoredEvent(Positions.of(item.base(), item.offset()), item.topic(), item.timeMs() * 1_000_000L,
                    item.value()));
        }
        return LogReader.of(out);
    }

    /**
     * Every stored event now, from the beginning ({@code after} must be 0: positions are not
     * ordered across partitions), read into memory in receive-time order; for tools and tests,
     * not for subscriptions, which use {@link #openFeed}.
     */
    @Override
    public LogReader readAfter(Predicate<String> topics, long after) {
        if (after != 0) {
            throw new KafkaLogException(Kind.BAD_INPUT, "positions on Kafka are not ordered across partitions: "
                    + "resume with a resume token");
        }
        return readFromTime(topics, 0);
    }

    /** As {@link #readAfter}, from the first event of each partition received at or after {@code timeNanos}. */
    @Override
    public LogReader readFromTime(Predicate<String> topics, long timeNanos) {
        List<TopicPartition> partitions = dataPartitions(name -> router.mayHold(name, topics));
        Map<TopicPartition, Long> times = new HashMap<>();
        partitions.forEach(tp -> times.put(tp, Math.floorDiv(Math.max(0, timeNanos), 1_000_000L)));
        Map<TopicPartition, Long> ends = endOffsets(partitions, null);
        Map<TopicPartition, OffsetAndTimestamp> found = offsetsForTimes(times);
        Map<TopicPartition, Long> from = new HashMap<>();
        for (TopicPartition tp : partitions) {
            from.put(tp, found.get(tp) == null ? ends.get(tp) : found.get(tp).offset());
        }
        List<StoredEvent> out = new ArrayList<>();
        EventWire.Fields fields = new EventWire.Fields();
        catalog.scan(from, ends, r -> {
            if (r.key() == null || r.value() == null) {
                return;
            }
            String topic = new String(r.key(), StandardCharsets.UTF_8);
            if (topics.test(topic) && router.isHome(r.topic(), topic)) {
                long time = EventWire.parse(r.value(), 0, r.value().length, fields) ? fields.receiveTimeNanos
                        : r.timestamp() * 1_000_000L;
                if (time >= timeNanos) {
                    long position = Positions.of(base(new TopicPartition(r.topic(), r.partition())), r.offset());
                    out.add(new StoredEvent(position, topic, time, EventWire.withPosition(r.value(), position)));
                }
            }
        });
        out.sort(Comparator.comparingLong(StoredEvent::receiveTimeNanos).thenComparingLong(StoredEvent::position));
        return LogReader.of(out);
    }

    @Override
    public LogFeed openFeed(Predicate<String> topics, FeedStart start) {
        if (closed.get()) {
            throw new KafkaLogException(Kind.UNAVAILABLE, "the Kafka log is closed");
        }
        return new KafkaFeed(this, topics, start);
    }

    @Override
    public byte[] resumeTokenNow() {
        List<TopicPartition> partitions = dataPartitions(name -> true);
        Map<TopicPartition, Long> ends = endOffsets(partitions, null);
        Map<Long, Long> next = new HashMap<>();
        for (TopicPartition tp : partitions) {
            next.put(base(tp), ends.getOrDefault(tp, 0L));
        }
        return ResumeToken.encode(next);
    }

    @Override
    public AutoCloseable onAppend(LongConsumer listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    @Override
    public List<TopicStats> topics() {
        catalog.refresh();
        return catalog.stats();
    }

    @Override
    public String describe() {
        return "Kafka at " + settings.bootstrap() + " (topics " + router.names().prefix() + "*)";
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        RuntimeException failure = null;
        for (AutoCloseable c : new AutoCloseable[] {catalog, codes, () -> producer.close(Duration.ofSeconds(10)),
                () -> admin.close(Duration.ofSeconds(2))}) {
            try {
                c.close();
            } catch (Exception e) {
                if (failure == null) {
                    failure = new KafkaLogException(Kind.UNAVAILABLE, "cannot close the Kafka clients: "
                            + KafkaLogException.reason(e), null, e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    // ---- for the feed, the catalog and export ----

    KafkaSettings settings() {
        return settings;
    }

    KafkaClients clients() {
        return clients;
    }

    TopicRouter router() {
        return router;
    }

    TopicCatalog catalog() {
        return catalog;
    }

    KafkaProducer<byte[], byte[]> producer() {
        return producer;
    }

    void ensureTopics(List<String> names) {
        names.forEach(this::ensureTopic);
    }

    /** The high bits of the positions of {@code tp}. */
    long base(TopicPartition tp) {
        long base = Positions.base(codes.codeOf(tp.topic()), tp.partition());
        partitionsByBase.putIfAbsent(base, tp);
        return base;
    }

    /** The partition of a base this log handed out. */
    TopicPartition partitionOf(long base) {
        TopicPartition tp = partitionsByBase.get(base);
        if (tp == null) {
            String name = codes.nameOf(Positions.codeOf(base));
            tp = new TopicPartition(name, Positions.partitionOf(base));
        }
        return tp;
    }

    /** The partitions of the data topics whose name {@code names} accepts. */
    List<TopicPartition> dataPartitions(Predicate<String> names) {
        try {
            Duration t = settings.startTimeout();
            List<String> topics = new ArrayList<>();
            for (String name : admin.listTopics().names().get(t.toMillis(), TimeUnit.MILLISECONDS)) {
                if (router.names().filePrefixOf(name) != null && names.test(name)) {
                    topics.add(name);
                }
            }
            List<TopicPartition> out = new ArrayList<>();
            if (topics.isEmpty()) {
                return out;
            }
            Map<String, TopicDescription> described = admin.describeTopics(topics).allTopicNames()
                    .get(t.toMillis(), TimeUnit.MILLISECONDS);
            for (TopicDescription d : described.values()) {
                d.partitions().forEach(p -> out.add(new TopicPartition(d.name(), p.partition())));
            }
            return out;
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaLogException(Kind.UNAVAILABLE, "cannot list the Kafka topics: " + KafkaLogException.reason(e),
                    null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaLogException(Kind.UNAVAILABLE, "interrupted while listing the Kafka topics");
        }
    }

    /** The end offsets of {@code partitions}, and their beginnings into {@code begins} (null: not wanted). */
    Map<TopicPartition, Long> endOffsets(List<TopicPartition> partitions, Map<TopicPartition, Long> begins) {
        Map<TopicPartition, Long> ends = new HashMap<>();
        if (partitions.isEmpty()) {
            return ends;
        }
        ends.putAll(listOffsets(partitions, OffsetSpec.latest()));
        if (begins != null) {
            begins.putAll(listOffsets(partitions, OffsetSpec.earliest()));
        }
        return ends;
    }

    /** Kafka's offsets for times: the first offset whose timestamp is at or after the time, or none. */
    Map<TopicPartition, OffsetAndTimestamp> offsetsForTimes(Map<TopicPartition, Long> times) {
        Map<TopicPartition, OffsetAndTimestamp> out = new HashMap<>();
        Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
        times.forEach((tp, ms) -> specs.put(tp, OffsetSpec.forTimestamp(ms)));
        if (specs.isEmpty()) {
            return out;
        }
        try {
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> got = admin.listOffsets(specs).all()
                    .get(settings.startTimeout().toMillis(), TimeUnit.MILLISECONDS);
            got.forEach((tp, info) -> {
                if (info.offset() >= 0) {
                    out.put(tp, new OffsetAndTimestamp(info.offset(), info.timestamp()));
                }
            });
            return out;
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaLogException(Kind.UNAVAILABLE, "cannot look up offsets for times: "
                    + KafkaLogException.reason(e), null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaLogException(Kind.UNAVAILABLE, "interrupted while looking up offsets");
        }
    }

    private Map<TopicPartition, Long> listOffsets(List<TopicPartition> partitions, OffsetSpec spec) {
        Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
        partitions.forEach(tp -> specs.put(tp, spec));
        try {
            Map<TopicPartition, Long> out = new HashMap<>();
            admin.listOffsets(specs).all().get(settings.startTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .forEach((tp, info) -> out.put(tp, info.offset()));
            return out;
        } catch (ExecutionException | TimeoutException e) {
            throw new KafkaLogException(Kind.UNAVAILABLE, "cannot list offsets: " + KafkaLogException.reason(e), null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaLogException(Kind.UNAVAILABLE, "interrupted while listing offsets");
        }
    }
}
