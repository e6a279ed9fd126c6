package dev.tailbus.core.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A writer process killed with SIGKILL at random moments: each reopening finds every event that
 * an append had acknowledged or a reader had read before the kill, positions contiguous and each
 * event intact.
 */
class KillTest {
    @TempDir
    Path root;

    @Test
    void shouldLoseNothingAcknowledgedOrReadWhenTheWriterIsKilled() throws Exception {
        Random random = new Random();
        String java = ProcessHandle.current().info().command().orElse("java");
        String classpath = location(EventLog.class) + File.pathSeparator + location(AppendingChild.class);
        long started = System.nanoTime();
        // positions up to here were checked after an earlier kill (gaps left by the batch a kill
        // interrupted stay, and each run starts after the positions the one before reserved)
        long verifiedUpTo = 0;
        for (int kill = 0; kill < 5; kill++) {
            String flush = kill % 2 == 0 ? "none" : "batch";
            Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Xshare:auto",
                    "-cp", classpath, AppendingChild.class.getName(), root.toString(), flush)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            AtomicLong acknowledged = new AtomicLong();
            AtomicLong read = new AtomicLong();
            Thread drain = Thread.ofPlatform().start(() -> {
                try (BufferedReader lines = new BufferedReader(
                        new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                        long position = Long.parseLong(line.substring(2));
                        (line.charAt(0) == 'A' ? acknowledged : read).accumulateAndGet(position, Math::max);
                    }
                } catch (Exception e) {
                    // the stream ends with the process
                }
            });
            try {
                await().atMost(Duration.ofSeconds(10)).until(() -> acknowledged.get() > 0 || !child.isAlive());
                assertThat(child.isAlive()).as("child is running").isTrue();
                long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50 + random.nextInt(600));
                await().atMost(Duration.ofSeconds(2)).until(() -> System.nanoTime() >= until);
            } finally {
                child.destroyForcibly();
                child.waitFor(10, TimeUnit.SECONDS);
            }
            drain.join(10_000);
            long mustHave = Math.max(acknowledged.get(), read.get());
            try (EventLog log = EventLog.open(LogConfig.builder(root).pattern("{topic}:.*").pattern("all:.*")
                    .rotateAboveBytes(256 * 1024).build())) {
                assertThat(log.lastPosition()).isGreaterThanOrEqualTo(mustHave);
                // every position up to the last acknowledged or read one is there, in order; the
                // batch the kill interrupted may have left any subset of its (unacknowledged) events
                long previous = 0;
                EventWire.Fields fields = new EventWire.Fields();
                try (LogReader reader = log.readAfter(t -> true, 0)) {
                    for (StoredEvent e = reader.next(); e != null; e = reader.next()) {
                        // a run starts after the positions the killed one had reserved: a gap there
                        if (previous > verifiedUpTo && previous < mustHave) {
                            assertThat(e.position()).isEqualTo(previous + 1);
                        }
                        assertThat(e.position()).isGreaterThan(previous);
                        String body = new String(e.event(), StandardCharsets.UTF_8);
                        if (!body.contains("first")) {
                            assertThat(body).contains("p" + e.position());
                        }
                        assertThat(EventWire.parse(e.event(), 0, e.event().length, fields)).isTrue();
                        assertThat(fields.position).isEqualTo(e.position());
                        previous = e.position();
                    }
                }
                assertThat(previous).isEqualTo(log.lastPosition());
                verifiedUpTo = previous;
                List<StoredEvent> last = log.lastPerTopic(t -> true, 1, log.lastPosition()).toList();
                assertThat(last).isNotEmpty();
            }
        }
        assertThat(System.nanoTime() - started).isLessThan(TimeUnit.SECONDS.toNanos(60));
    }

    private static String location(Class<?> type) throws Exception {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }
}
