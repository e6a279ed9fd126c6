package dev.tailbus.core.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LiveReadersTest {
    @TempDir
    Path root;

    @ParameterizedTest(name = "flush {0}")
    @ValueSource(strings = {"none", "batch", "5ms"})
    void shouldDeliverEveryEventOnceInOrderToManyLiveReadersWokenByAppends(String flush) throws Exception {
        int writers = 3;
        int batches = 100;
        int perBatch = 10;
        int total = writers * batches * perBatch;
        LogConfig config = LogConfig.builder(root).pattern("{topic}:.*").pattern("all:.*")
                .flush(FlushPolicy.parse(flush)).rotateAboveBytes(20_000).build();
        try (EventLog log = EventLog.open(config)) {
            int readers = 4;
            List<Semaphore> wakeups = new ArrayList<>();
            List<List<Long>> seen = new ArrayList<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> threads = new ArrayList<>();
            CountDownLatch started = new CountDownLatch(readers);
            for (int r = 0; r < readers; r++) {
                Semaphore wake = new Semaphore(0);
                wakeups.add(wake);
                List<Long> mine = Collections.synchronizedList(new ArrayList<>());
                seen.add(mine);
                // reader 0 follows one topic; the others follow all
                boolean one = r == 0;
                threads.add(Thread.ofPlatform().start(() -> {
                    try (LogReader reader = log.readAfter(t -> !one || t.equals("w1"), 0)) {
                        started.countDown();
                        while (mine.size() < (one ? batches * perBatch : total)) {
                            StoredEvent e = reader.next();
                            if (e == null) {
                                wake.acquire();
                                wake.drainPermits();
                                continue;
                            }
                            mine.add(e.position());
                        }
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                }));
            }
            try (AutoCloseable sub = log.onAppend(position -> wakeups.forEach(Semaphore::release))) {
                started.await();
                Set<Long> positions = ConcurrentHashMap.newKeySet();
                List<Thread> writing = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    String topic = "w" + w;
                    writing.add(Thread.ofPlatform().start(() -> {
                        for (int b = 0; b < batches; b++) {
                            List<EventToAppend> batch = new ArrayList<>();
                            for (int i = 0; i < perBatch; i++) {
                                batch.add(EventLogTest.event(topic, b, "e" + i));
                            }
                            log.append(batch).forEach(a -> positions.add(a.position()));
                        }
                    }));
                }
                for (Thread t : writing) {
                    assertThat(t.join(Duration.ofSeconds(60))).as("writer %s ended", t.getName()).isTrue();
                }
                assertThat(positions).hasSize(total);
                assertThat(log.lastPosition()).isEqualTo(total);
                await().atMost(Duration.ofSeconds(20)).until(() -> failure.get() != null
                        || seen.stream().skip(1).allMatch(s -> s.size() == total) && seen.get(0).size() == batches * perBatch);
            }
            assertThat(failure.get()).isNull();
            for (int r = 1; r < readers; r++) {
                assertThat(seen.get(r)).isSorted().doesNotHaveDuplicates().hasSize(total);
            }
            assertThat(seen.get(0)).isSorted().doesNotHaveDuplicates().hasSize(batches * perBatch);
            wakeups.forEach(s -> s.release(1000));
            for (Thread t : threads) {
                assertThat(t.join(Duration.ofSeconds(20))).as("reader %s ended", t.getName()).isTrue();
            }
        }
    }

    /** Waits (bounded) for {@code thread} to end; returns what it threw, or null. */
    private static Throwable endOf(Thread thread, AtomicReference<Throwable> thrown) throws InterruptedException {
        assertThat(thread.join(Duration.ofSeconds(10))).as("the interrupted reader ended").isTrue();
        return thrown.get();
    }

    @Test
    void shouldEndAnInterruptedReadWithAnErrorWhileTheLogKeepsAppendingAndOtherReadersRead() throws Exception {
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            List<EventToAppend> batch = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                batch.add(EventLogTest.event("t", i, "e" + i));
            }
            log.append(batch);
            // a thread reading the whole topic again and again is interrupted while it reads
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            CountDownLatch reading = new CountDownLatch(1);
            Thread reader = Thread.ofPlatform().start(() -> {
                try {
                    while (true) {
                        try (LogReader r = log.readAfter(t -> true, 0)) {
                            assertThat(EventLogTest.drain(r)).hasSize(200);
                        }
                        reading.countDown();
                    }
                } catch (Throwable t) {
                    thrown.set(t);
                }
            });
            assertThat(reading.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            reader.interrupt();
            assertThat(endOf(reader, thrown)).isInstanceOf(LogException.class).hasMessageContaining("interrupted");
            // so is a thread looking up the last events of a topic
            AtomicReference<Throwable> thrownByLookup = new AtomicReference<>();
            Thread lookup = Thread.ofPlatform().start(() -> {
                Thread.currentThread().interrupt();
                try {
                    log.lastPerTopic(t -> true, 5, Long.MAX_VALUE).toList();
                } catch (Throwable t) {
                    thrownByLookup.set(t);
                }
            });
            assertThat(endOf(lookup, thrownByLookup)).isInstanceOf(LogException.class)
                    .hasMessageContaining("interrupted");
            // the writer's files were not closed by the interrupts: the same partition takes appends
            assertThat(log.append(List.of(EventLogTest.event("t", 500, "after"))).get(0).position()).isEqualTo(201);
            // and another reader reads everything, the new event included
            assertThat(EventLogTest.drain(log.readAfter(t -> true, 0))).extracting(StoredEvent::position)
                    .hasSize(201).isSorted().doesNotHaveDuplicates().endsWith(201L);
            assertThat(log.lastPerTopic(t -> true, 2, Long.MAX_VALUE).toList()).extracting(StoredEvent::position)
                    .containsExactly(200L, 201L);
        }
    }

    @Test
    void shouldStartAReaderAtTheFirstEventAtOrAfterATime() {
        try (EventLog log = EventLog.open(LogConfig.builder(root).rotateAboveBytes(300).build())) {
            List<EventToAppend> batch = new ArrayList<>();
            long[] times = {10, 20, 15, 30, 40, 35, 50, 60};
            for (long t : times) {
                batch.add(EventLogTest.event(t % 20 == 0 ? "even" : "odd", t, "p"));
            }
            log.append(batch);
            // running maximum: 10 20 20 30 40 40 50 60: the first at or after 30 is position 4
            assertThat(log.readFromTime(t -> true, 30).next().position()).isEqualTo(4);
            assertThat(log.readFromTime(t -> true, 16).next().position()).isEqualTo(2);
            assertThat(log.readFromTime(t -> true, 0).next().position()).isEqualTo(1);
            assertThat(log.readFromTime(t -> true, 61).next()).isNull();
            assertThat(log.readFromTime(t -> t.equals("even"), 45).next().position()).isEqualTo(8);
            LogReader late = log.readFromTime(t -> true, 61);
            log.append(List.of(EventLogTest.event("odd", 70, "q")));
            assertThat(late.next().position()).isEqualTo(9);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"lastPerTopic", "readFromTime", "readAfter"})
    void shouldGoOnAppendingWhileAReaderIsStalledInsideAQuery(String query) throws Exception {
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            for (int i = 0; i < 3; i++) {
                log.append(List.of(EventLogTest.event("s/" + i, i, "before")));
            }
            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            java.util.function.Predicate<String> stalling = topic -> {
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return true;
            };
            AtomicReference<List<StoredEvent>> result = new AtomicReference<>();
            Thread reader = Thread.ofPlatform().start(() -> result.set(switch (query) {
                case "lastPerTopic" -> log.lastPerTopic(stalling, 1, log.lastPosition()).toList();
                case "readFromTime" -> EventLogTest.drain(log.readFromTime(stalling, 0));
                default -> EventLogTest.drain(log.readAfter(stalling, 0));
            }));
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> inside.getCount() == 0);
                // the reader sits inside the query: appends, to old and new topics, go on
                java.util.concurrent.atomic.AtomicInteger appended = new java.util.concurrent.atomic.AtomicInteger();
                Thread writer = Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < 50; i++) {
                        log.append(List.of(EventLogTest.event("s/" + (i % 5), 10 + i, "during")));
                        appended.incrementAndGet();
                    }
                });
                await().atMost(Duration.ofSeconds(20)).until(() -> appended.get() == 50);
                writer.join();
                assertThat(reader.isAlive()).as("the reader is still stalled").isTrue();
            } finally {
                release.countDown();
                reader.join(10_000);
            }
            assertThat(result.get()).isNotEmpty();
            assertThat(result.get().getFirst().position()).isLessThanOrEqualTo(3);
        }
    }
    @Test
    void shouldGoOnAppendingWhileTopicStatisticsAreMerged() throws Exception {
        try (EventLog log = EventLog.open(LogConfig.of(root))) {
            for (int i = 0; i < 3; i++) {
                log.append(List.of(EventLogTest.event("s/" + i, i, "before")));
            }
            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            LogQueries queries = new LogQueries(log, log.appendLock(), Integer.MAX_VALUE, () -> {
                inside.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            AtomicReference<List<TopicStats>> result = new AtomicReference<>();
            Thread reader = Thread.ofPlatform().start(() -> result.set(queries.topics()));
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> inside.getCount() == 0);
                // the statistics are being merged (with 100,000 topics that takes a tenth of a second or
                // more): appends go on meanwhile
                java.util.concurrent.atomic.AtomicInteger appended = new java.util.concurrent.atomic.AtomicInteger();
                Thread writer = Thread.ofPlatform().start(() -> {
                    log.append(List.of(EventLogTest.event("s/0", 10, "during"), EventLogTest.event("s/9", 11, "new")));
                    appended.incrementAndGet();
                });
                await().atMost(Duration.ofSeconds(20)).until(() -> appended.get() == 1);
                writer.join();
                assertThat(reader.isAlive()).as("the statistics are still being merged").isTrue();
            } finally {
                release.countDown();
                reader.join(10_000);
            }
            // a snapshot from before the append
            assertThat(result.get()).extracting(TopicStats::topic).containsExactly("s/0", "s/1", "s/2");
            assertThat(result.get().getFirst().events()).isEqualTo(1);
        }
    }
}
