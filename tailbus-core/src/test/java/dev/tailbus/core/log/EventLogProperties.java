package dev.tailbus.core.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Appends, rotations, reopenings and reads against a simple in-memory model: a list of every
 * event in position order.
 */
class EventLogProperties {
    private static final String[] TOPICS = {"a", "b", "c/d", "e"};

    /** One step: append a batch (kind 0), reopen the store (1), or check reads (2). */
    record Step(int kind, List<int[]> events, long seed) {
    }

    record Modelled(long position, String topic, long time, byte[] event) {
    }

    @Provide
    Arbitrary<List<Step>> steps() {
        Arbitrary<int[]> event = Combinators.combine(Arbitraries.integers().between(0, TOPICS.length - 1),
                Arbitraries.integers().between(0, 1000), Arbitraries.integers().between(0, 120))
                .as((t, time, size) -> new int[] {t, time, size});
        Arbitrary<Step> append = event.list().ofMinSize(1).ofMaxSize(30).map(e -> new Step(0, e, 0));
        Arbitrary<Step> reopen = Arbitraries.just(new Step(1, List.of(), 0));
        Arbitrary<Step> check = Arbitraries.longs().map(s -> new Step(2, List.of(), s));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(5, append), net.jqwik.api.Tuple.of(1, reopen),
                net.jqwik.api.Tuple.of(2, check)).list().ofMinSize(1).ofMaxSize(25);
    }

    @Property(tries = 40)
    void shouldAgreeWithAModelAcrossAppendsRotationsAndReopens(@ForAll("steps") List<Step> steps,
            @ForAll @IntRange(min = 150, max = 3000) int rotateAbove) throws IOException {
        Path root = Files.createTempDirectory("tailbus-log-prop");
        // "all" stores a and b a second time: readers must return those once
        LogConfig config = LogConfig.builder(root).pattern("{topic}:.*").pattern("all:[ab]")
                .rotateAboveBytes(rotateAbove).build();
        List<Modelled> model = new ArrayList<>();
        EventLog log = EventLog.open(config);
        try {
            for (Step step : steps) {
                switch (step.kind()) {
                    case 0 -> {
                        List<EventToAppend> batch = new ArrayList<>();
                        for (int[] e : step.events()) {
                            String topic = TOPICS[e[0]];
                            batch.add(new EventToAppend(topic, e[1],
                                    EventWire.minimalEvent(topic, e[1], new byte[e[2]])));
                        }
                        List<AppendedEvent> out = log.append(batch);
                        for (AppendedEvent a : out) {
                            assertThat(a.position()).isEqualTo(model.size() + 1);
                            model.add(new Modelled(a.position(), a.topic(), a.receiveTimeNanos(), a.event()));
                        }
                    }
                    case 1 -> {
                        log.close();
                        log = EventLog.open(config);
                    }
                    default -> check(log, model, new java.util.Random(step.seed()), TOPICS, model.size());
                }
            }
            check(log, model, new java.util.Random(1), TOPICS, model.size());
        } finally {
            log.close();
            deleteTree(root);
        }
    }

    /** Many topics, a file each; some topics stored nowhere; a cache of 8 open files; reopens. */
    @Provide
    Arbitrary<List<Step>> manySteps() {
        Arbitrary<int[]> event = Combinators.combine(Arbitraries.integers().between(0, MANY.length - 1),
                Arbitraries.integers().between(0, 1000), Arbitraries.integers().between(0, 60))
                .as((t, time, size) -> new int[] {t, time, size});
        Arbitrary<Step> append = event.list().ofMinSize(1).ofMaxSize(80).map(e -> new Step(0, e, 0));
        Arbitrary<Step> reopen = Arbitraries.just(new Step(1, List.of(), 0));
        Arbitrary<Step> check = Arbitraries.longs().map(s -> new Step(2, List.of(), s));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(5, append), net.jqwik.api.Tuple.of(1, reopen),
                net.jqwik.api.Tuple.of(2, check)).list().ofMinSize(1).ofMaxSize(20);
    }

    private static final String[] MANY = manyTopics();

    private static String[] manyTopics() {
        String[] t = new String[60];
        for (int i = 0; i < t.length; i++) {
            // every seventh is stored by no pattern: a position, no file
            t[i] = (i % 7 == 0 ? "unstored/" : "m/") + i;
        }
        return t;
    }

    @Property(tries = 15)
    void shouldAgreeWithAModelOverManyTopicsUnstoredOnesAndFewOpenFiles(@ForAll("manySteps") List<Step> steps,
            @ForAll @IntRange(min = 200, max = 2000) int rotateAbove) throws IOException {
        Path root = Files.createTempDirectory("tailbus-log-many");
        LogConfig config = LogConfig.builder(root).pattern("{topic}:m/").rotateAboveBytes(rotateAbove)
                .maxOpenFiles(LogConfig.MIN_OPEN_FILES).build();
        List<Modelled> model = new ArrayList<>(); // stored events only
        long handedOut = 0;
        EventLog log = EventLog.open(config);
        try {
            for (Step step : steps) {
                switch (step.kind()) {
                    case 0 -> {
                        List<EventToAppend> batch = new ArrayList<>();
                        for (int[] e : step.events()) {
                            String topic = MANY[e[0]];
                            batch.add(new EventToAppend(topic, e[1], EventWire.minimalEvent(topic, e[1], new byte[e[2]])));
                        }
                        for (AppendedEvent a : log.append(batch)) {
                            assertThat(a.position()).isGreaterThan(handedOut);
                            handedOut = a.position();
                            assertThat(a.stored()).isEqualTo(a.topic().startsWith("m/"));
                            if (a.stored()) {
                                model.add(new Modelled(a.position(), a.topic(), a.receiveTimeNanos(), a.event()));
                            }
                        }
                        assertThat(log.openFiles()).isLessThanOrEqualTo(LogConfig.MIN_OPEN_FILES);
                    }
                    case 1 -> {
                        log.close();
                        log = EventLog.open(config);
                    }
                    default -> check(log, model, new java.util.Random(step.seed()), MANY,
                            model.isEmpty() ? 0 : model.getLast().position());
                }
            }
            check(log, model, new java.util.Random(1), MANY, model.isEmpty() ? 0 : model.getLast().position());
            assertThat(log.openFiles()).isLessThanOrEqualTo(LogConfig.MIN_OPEN_FILES);
        } finally {
            log.close();
            deleteTree(root);
        }
    }

    private static void check(EventLog log, List<Modelled> model, java.util.Random random, String[] topics,
                              long lastStored) {
        assertThat(log.lastPosition()).isGreaterThanOrEqualTo(lastStored);
        long after = model.isEmpty() ? 0 : model.get(random.nextInt(model.size())).position() - random.nextInt(2);
        String only = topics[random.nextInt(topics.length)];
        Predicate<String> filter = random.nextBoolean() ? t -> true : t -> t.equals(only);
        List<Modelled> expected = model.stream().filter(m -> m.position() > after && filter.test(m.topic())).toList();
        List<StoredEvent> read = EventLogTest.drain(log.readAfter(filter, after));
        assertThat(read).extracting(StoredEvent::position).containsExactlyElementsOf(
                expected.stream().map(Modelled::position).toList());
        for (int i = 0; i < read.size(); i++) {
            assertThat(read.get(i).event()).isEqualTo(expected.get(i).event());
            assertThat(read.get(i).topic()).isEqualTo(expected.get(i).topic());
            assertThat(read.get(i).receiveTimeNanos()).isEqualTo(expected.get(i).time());
        }

        int n = 1 + random.nextInt(6);
        long upTo = model.isEmpty() ? 0 : model.get(random.nextInt(model.size())).position();
        Map<String, Integer> taken = new HashMap<>();
        List<Long> last = new ArrayList<>();
        for (int i = model.size() - 1; i >= 0; i--) {
            Modelled m = model.get(i);
            if (m.position() <= upTo && filter.test(m.topic()) && taken.merge(m.topic(), 1, Integer::sum) <= n) {
                last.add(m.position());
            }
        }
        last.sort(Comparator.naturalOrder());
        assertThat(log.lastPerTopic(filter, n, upTo).toList()).extracting(StoredEvent::position).containsExactlyElementsOf(last);

        // a time near a stored event's (each side of it), or any in the first thousand nanoseconds
        long time = model.isEmpty() || random.nextBoolean() ? random.nextInt(1100)
                : model.get(random.nextInt(model.size())).time() + random.nextInt(3) - 1;
        long firstAtOrAfter = model.stream().filter(m -> m.time() >= time).mapToLong(Modelled::position).min()
                .orElse(Long.MAX_VALUE);
        StoredEvent first = log.readFromTime(t -> true, time).next();
        if (firstAtOrAfter == Long.MAX_VALUE) {
            assertThat(first).isNull();
        } else {
            assertThat(first.position()).isEqualTo(firstAtOrAfter);
        }

        Map<String, Long> counts = new HashMap<>();
        model.forEach(m -> counts.merge(m.topic(), 1L, Long::sum));
        for (TopicStats s : log.topics()) {
            assertThat(s.events()).isEqualTo(counts.get(s.topic()));
        }
        assertThat(log.topics()).hasSize(counts.size());
    }

    private static final String[] TIMED = {"t/0", "t/1", "t/2", "t/3", "t/4", "unstored"};

    /** Appends (0), reopens (1), checks (2) and the clock moved on by up to two days (3). */
    @Provide
    Arbitrary<List<Step>> timedSteps() {
        Arbitrary<int[]> event = Combinators.combine(Arbitraries.integers().between(0, TIMED.length - 1),
                Arbitraries.integers().between(0, 1000), Arbitraries.integers().between(0, 60))
                .as((t, jitter, size) -> new int[] {t, jitter, size});
        Arbitrary<Step> append = event.list().ofMinSize(1).ofMaxSize(30).map(e -> new Step(0, e, 0));
        Arbitrary<Step> reopen = Arbitraries.just(new Step(1, List.of(), 0));
        Arbitrary<Step> check = Arbitraries.longs().map(s -> new Step(2, List.of(), s));
        Arbitrary<Step> later = Arbitraries.longs().between(1, 2880).map(minutes -> new Step(3, List.of(), minutes));
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(5, append), net.jqwik.api.Tuple.of(1, reopen),
                net.jqwik.api.Tuple.of(2, check), net.jqwik.api.Tuple.of(3, later)).list().ofMinSize(1).ofMaxSize(30);
    }

    /**
     * Rotation at a UTC time of day (and by size), retention by age or by bytes, reopens, and a
     * clock that moves on: what the log serves is, per topic, the model's events less its oldest
     * (retention deletes whole segments from the oldest on), only events old enough are gone when
     * retention is by age, and every query agrees with what is left.
     */
    @Property(tries = 25)
    void shouldAgreeWithAModelAcrossTimeRotationRetentionAndReopens(@ForAll("timedSteps") List<Step> steps,
            @ForAll @IntRange(min = 0, max = 23) int rotateHour, @ForAll boolean byAge,
            @ForAll @IntRange(min = 300, max = 4000) int retain, @ForAll boolean bySizeToo) throws IOException {
        Path root = Files.createTempDirectory("tailbus-log-timed");
        MutableClock clock = new MutableClock(java.time.Instant.parse("2026-01-01T00:00:00Z"));
        LogConfig.Builder builder = LogConfig.builder(root).pattern("{topic}:t/").clock(clock)
                .rotateAtUtc(java.time.LocalTime.of(rotateHour, 0)).rotateAboveBytes(bySizeToo ? 1500 : 0);
        java.time.Duration age = java.time.Duration.ofHours(30);
        LogConfig config = (byAge ? builder.retainAge(age) : builder.retainBytes(retain)).build();
        List<Modelled> model = new ArrayList<>(); // stored events only
        long handedOut = 0;
        EventLog log = EventLog.open(config);
        try {
            for (Step step : steps) {
                switch (step.kind()) {
                    case 0 -> {
                        List<EventToAppend> batch = new ArrayList<>();
                        for (int[] e : step.events()) {
                            String topic = TIMED[e[0]];
                            long time = clock.nanos() + e[1];
                            batch.add(new EventToAppend(topic, time, EventWire.minimalEvent(topic, time, new byte[e[2]])));
                        }
                        for (AppendedEvent a : log.append(batch)) {
                            assertThat(a.position()).isGreaterThan(handedOut);
                            handedOut = a.position();
                            if (a.stored()) {
                                model.add(new Modelled(a.position(), a.topic(), a.receiveTimeNanos(), a.event()));
                            }
                        }
                    }
                    case 1 -> {
                        log.close();
                        log = EventLog.open(config);
                    }
                    case 3 -> clock.set(clock.instant().plusSeconds(60 * step.seed()));
                    default -> check(log, retained(log, model, Long.MIN_VALUE), new java.util.Random(step.seed()),
                            TIMED, model.isEmpty() ? 0 : model.getLast().position());
                }
                // after every step (retention runs at appends, rotations and opens): only old enough events gone
                retained(log, model, byAge ? clock.nanos() - age.toNanos() : Long.MAX_VALUE);
            }
            check(log, retained(log, model, Long.MIN_VALUE), new java.util.Random(1), TIMED,
                    model.isEmpty() ? 0 : model.getLast().position());
            log.close();
            assertThat(StoreInspector.verify(root).problems()).isEmpty();
        } finally {
            log.close();
            deleteTree(root);
        }
    }

    /**
     * The model of what the log serves now, checked: per topic, the model's events from some
     * point on (retention deletes the oldest segments), every deleted one older than
     * {@code deletableBefore} (unchecked: {@link Long#MIN_VALUE}).
     */
    private static List<Modelled> retained(EventLog log, List<Modelled> model, long deletableBefore) {
        java.util.Set<Long> served = new java.util.HashSet<>();
        for (StoredEvent e : EventLogTest.drain(log.readAfter(t -> true, 0))) {
            served.add(e.position());
        }
        Map<String, Boolean> sawKept = new HashMap<>();
        List<Modelled> retained = new ArrayList<>();
        for (Modelled m : model) {
            boolean kept = served.contains(m.position());
            if (kept) {
                retained.add(m);
                sawKept.put(m.topic(), true);
            } else {
                assertThat(sawKept.getOrDefault(m.topic(), false))
                        .as("event %d of %s is gone, but an older one of that topic is served", m.position(), m.topic())
                        .isFalse();
                if (deletableBefore != Long.MIN_VALUE) {
                    assertThat(m.time()).as("event %d deleted before it was old enough", m.position())
                            .isLessThan(deletableBefore);
                }
            }
        }
        assertThat(served).hasSize(retained.size());
        return retained;
    }

    @Property(tries = 40)
    void shouldKeepEveryWholeRecordBeforeACutAtAnyByte(@ForAll @IntRange(min = 1, max = 40) int events,
            @ForAll @IntRange(min = 0, max = 100) int cutPercent, @ForAll boolean cutIndexToo) throws IOException {
        Path root = Files.createTempDirectory("tailbus-log-cut");
        try {
            List<AppendedEvent> written;
            try (EventLog log = EventLog.open(LogConfig.of(root))) {
                List<EventToAppend> batch = new ArrayList<>();
                for (int i = 0; i < events; i++) {
                    batch.add(EventLogTest.event("t", i, "payload-" + i));
                }
                written = log.append(batch);
            }
            Path file = root.resolve("t.pb");
            long size = Files.size(file);
            long cut = size * cutPercent / 100;
            try (var c = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
                c.truncate(cut);
            }
            if (cutIndexToo) {
                Path index = SegmentFiles.index(file);
                try (var c = java.nio.channels.FileChannel.open(index, java.nio.file.StandardOpenOption.WRITE)) {
                    c.truncate(Files.size(index) * cutPercent / 100);
                }
            }
            int whole = 0;
            long offset = 0;
            while (whole < written.size() && offset + 4 + written.get(whole).event().length <= cut) {
                offset += 4 + written.get(whole).event().length;
                whole++;
            }
            try (EventLog log = EventLog.open(LogConfig.of(root))) {
                assertThat(Files.size(file)).isEqualTo(offset);
                assertThat(log.lastPosition()).isEqualTo(whole);
                List<StoredEvent> read = EventLogTest.drain(log.readAfter(t -> true, 0));
                assertThat(read).hasSize(whole);
                for (int i = 0; i < whole; i++) {
                    assertThat(read.get(i).event()).isEqualTo(written.get(i).event());
                }
                // never a position handed out before the cut, even one whose event the cut took
                assertThat(log.append(List.of(EventLogTest.event("t", 99, "next"))).getFirst().position())
                        .isEqualTo(events + 1);
            }
        } finally {
            deleteTree(root);
        }
    }

    static void deleteTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
