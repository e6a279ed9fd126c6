package dev.tailbus.core.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A log that runs out of room while appending: it refuses the append that did not fit with
 * {@code EXHAUSTED} (naming the store and its free space), keeps serving exactly what it had
 * acknowledged, takes appends again by itself once there is room, opens on a store that has no
 * room left, and loses or corrupts nothing acknowledged.
 *
 * <p>Design note: how the room runs out. A small file system (tmpfs, a loop device) needs root;
 * a hook in the log's file layer would test the hook. So the log runs in a child JVM
 * ({@link RoomChild}) whose file size limit ({@code RLIMIT_FSIZE}) this test lowers and raises
 * from outside with {@code prlimit(2)} (allowed between processes of one user). A write that
 * would grow a file past the limit then fails in the kernel, exactly where a full disk would,
 * with {@code EFBIG} (HotSpot ignores the {@code SIGXFSZ} that comes with it), and raising the
 * limit is space coming back: the real write, rewind and retry paths of the log run, not a
 * simulation. What the limit cannot show: a failure to create a file or a directory entry
 * (creation is not limited), and ENOSPC itself; where a tmpfs can be mounted in a namespace of
 * the child's own ({@code unshare -rm}), a third test fills a real small file system for ENOSPC.
 */
class DiskFullTest {
    private static final long UNLIMITED = -1L;
    private static final int RLIMIT_FSIZE = 1;

    @TempDir
    Path root;

    static EventToAppend event(int batch, int i) {
        String topic = "f" + (i % 5);
        long time = 1_700_000_000_000_000_000L + batch * 1000L + i;
        return new EventToAppend(topic, time, EventWire.minimalEvent(topic, time,
                ("b" + batch + "-" + i + "-" + "x".repeat(60)).getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void shouldRefuseAppendsWithoutRoomServeWhatItHasAndGoOnByItselfOnceThereIsRoom() throws Throwable {
        Random random = new Random();
        // position -> "batch i" of every acknowledged event
        Map<Long, int[]> acknowledged = new HashMap<>();
        long highest = 0;
        int batch = 0;
        try (Child child = new Child(root)) {
            assertThat(child.call("open")).startsWith("OPEN ");
            for (int round = 0; round < 4; round++) {
                for (int i = 0; i < 5; i++) {
                    highest = acknowledge(child.call("append " + batch + " " + (1 + random.nextInt(40))),
                            batch++, acknowledged, highest);
                }
                // no file may grow past a few KiB (segments rotate at 16 KiB): the next writes fail
                child.limit(1024L * (2 + random.nextInt(12)));
                String refused = null;
                int size = 0;
                for (int attempt = 0; attempt < 500 && refused == null; attempt++) {
                    size = 1 + random.nextInt(40);
                    String answer = child.call("append " + batch + " " + size);
                    if (answer.startsWith("ERR")) {
                        refused = answer;
                    } else {
                        highest = acknowledge(answer, batch, acknowledged, highest);
                    }
                    batch++;
                }
                assertThat(refused).as("an append beyond the limit").isNotNull()
                        .startsWith("ERR EXHAUSTED").contains(root.toString()).contains("File too large")
                        .contains("bytes free").contains("taken again once there is room");
                // still no room for it: refused again (the same sizes), and readers get exactly what
                // was acknowledged
                assertThat(child.call("append " + (batch - 1) + " " + size)).startsWith("ERR EXHAUSTED");
                assertThat(child.call("read")).isEqualTo(expectedRead(acknowledged, highest));
                child.limit(UNLIMITED);
                String again = child.call("append " + batch + " 5");
                assertThat(again).as("appends go on once there is room, without a reopen").startsWith("OK ");
                assertThat(Long.parseLong(again.split(" ")[1])).isGreaterThan(highest);
                highest = acknowledge(again, batch++, acknowledged, highest);
            }
            // killed while there is no room: the store must open again, still without room
            child.limit(1024);
            boolean refused = false;
            for (int attempt = 0; attempt < 100 && !refused; attempt++) {
                String answer = child.call("append " + batch + " 20");
                refused = answer.startsWith("ERR EXHAUSTED");
                if (!refused) {
                    highest = acknowledge(answer, batch, acknowledged, highest);
                }
                batch++;
            }
            assertThat(refused).isTrue();
        }
        try (Child child = new Child(root)) {
            child.limit(1);
            assertThat(child.call("open")).as("opening needs no room").startsWith("OPEN ");
            assertThat(child.call("read")).isEqualTo(expectedRead(acknowledged, highest));
            assertThat(child.call("append " + batch++ + " 2")).startsWith("ERR EXHAUSTED");
            child.limit(UNLIMITED);
            highest = acknowledge(child.call("append " + batch + " 2"), batch++, acknowledged, highest);
            assertThat(child.call("close")).isEqualTo("CLOSED");
        }
        try (EventLog log = EventLog.open(RoomChild.config(root))) {
            List<StoredEvent> read = EventLogTest.drain(log.readAfter(t -> true, 0));
            assertThat(read).extracting(StoredEvent::position)
                    .containsExactlyElementsOf(acknowledged.keySet().stream().sorted().toList());
            for (StoredEvent e : read) {
                int[] which = acknowledged.get(e.position());
                assertThat(e.event()).isEqualTo(EventWire.withPosition(event(which[0], which[1]).event(), e.position()));
            }
        }
        assertThat(StoreInspector.verify(root).problems()).isEmpty();
    }

    @Test
    void shouldOpenWithoutRoomToIndexServingWhatTheIndexesHoldAndIndexTheRestOnceThereIsRoom()
            throws Throwable {
        try (EventLog log = EventLog.open(RoomChild.config(root))) {
            for (int b = 0; b < 10; b++) {
                log.append(java.util.stream.IntStream.range(0, 10).mapToObj(i -> event(0, i)).toList());
            }
        }
        // a crash between writing records and their index entries: the last 3 of "all" are unindexed,
        // and there is no room to index them (no file may grow past the index's size now)
        Path index = root.resolve("all.pb.idx");
        long cut = java.nio.file.Files.size(index) - 3 * IndexEntry.SIZE;
        try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(index,
                java.nio.file.StandardOpenOption.WRITE)) {
            c.truncate(cut);
        }
        try (Child child = new Child(root)) {
            child.limit(cut);
            // readers stop before the first unindexed record, so it never appears behind them later
            assertThat(child.call("open")).isEqualTo("OPEN 97");
            assertThat(child.call("read")).startsWith("READ 97 97 ");
            assertThat(child.call("append 1 2")).startsWith("ERR EXHAUSTED").contains(root.toString())
                    .contains("without room to index 3 records").contains("all.pb").contains("bytes free")
                    .contains("until there is room to index them");
            assertThat(child.call("append 1 2")).as("still no room").startsWith("ERR EXHAUSTED");
            assertThat(child.call("read")).startsWith("READ 97 97 ");
            child.limit(UNLIMITED);
            // room again: the records are indexed, then the append goes on, without a reopen
            String answer = child.call("append 1 2");
            assertThat(answer).startsWith("OK ");
            assertThat(Long.parseLong(answer.split(" ")[1])).isGreaterThan(100);
            assertThat(child.call("read")).startsWith("READ 102 ");
            assertThat(child.call("close")).isEqualTo("CLOSED");
        }
        try (Child child = new Child(root)) {
            assertThat(child.call("open")).startsWith("OPEN ");
            assertThat(child.call("read")).startsWith("READ 102 ");
            assertThat(child.call("close")).isEqualTo("CLOSED");
        }
        assertThat(StoreInspector.verify(root).problems()).isEmpty();
    }

    /**
     * The same on a real full file system: a 4 MiB tmpfs, mounted in a mount namespace of the
     * child's own ({@code unshare -rm}: root, or user namespaces; skipped where neither is
     * allowed), filled to the last byte beside the store; writes then fail with ENOSPC, and
     * deleting the filler is space coming back.
     */
    @Test
    void shouldGoOnByItselfWhenARealFileSystemFillsAndIsFreedAgain() throws Throwable {
        Path mount = root.resolve("small");
        java.nio.file.Files.createDirectories(mount);
        Process probe = new ProcessBuilder("unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=1m tmpfs \"$0\"",
                mount.toString()).redirectErrorStream(true).start();
        String why = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        org.junit.jupiter.api.Assumptions.assumeTrue(probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0,
                "cannot mount a tmpfs in a namespace here (needs root or user namespaces): " + why);
        Map<Long, int[]> acknowledged = new HashMap<>();
        long highest = 0;
        int batch = 0;
        try (Child child = new Child(mount.resolve("store"), List.of("unshare", "-rm", "sh", "-c",
                "mount -t tmpfs -o size=4m tmpfs \"$0\" && exec \"$@\"", mount.toString()))) {
            assertThat(child.call("open")).startsWith("OPEN ");
            for (int i = 0; i < 10; i++) {
                highest = acknowledge(child.call("append " + batch + " 30"), batch++, acknowledged, highest);
            }
            assertThat(child.call("fill")).startsWith("FILLED ");
            String refused = null;
            for (int attempt = 0; attempt < 100 && refused == null; attempt++) {
                String answer = child.call("append " + batch + " 30");
                if (answer.startsWith("ERR")) {
                    refused = answer;
                } else {
                    highest = acknowledge(answer, batch, acknowledged, highest);
                }
                batch++;
            }
            assertThat(refused).isNotNull().startsWith("ERR EXHAUSTED").contains("No space left on device")
                    .contains("bytes free");
            assertThat(child.call("read")).isEqualTo(expectedRead(acknowledged, highest));
            assertThat(child.call("unfill")).isEqualTo("UNFILLED");
            String again = child.call("append " + batch + " 30");
            assertThat(again).as("appends go on once there is room, without a reopen").startsWith("OK ");
            highest = acknowledge(again, batch++, acknowledged, highest);
            assertThat(child.call("read")).isEqualTo(expectedRead(acknowledged, highest));
            assertThat(child.call("verify")).isEqualTo("VERIFY 0");
            assertThat(child.call("close")).isEqualTo("CLOSED");
        }
    }

    /** What {@link RoomChild}'s {@code read} must answer when exactly {@code acknowledged} is stored. */
    private static String expectedRead(Map<Long, int[]> acknowledged, long highest) {
        int[] perTopic = new int[5];
        acknowledged.values().forEach(which -> perTopic[which[1] % 5]++);
        long history = 0;
        for (int n : perTopic) {
            history += Math.min(2, n);
        }
        return "READ " + acknowledged.size() + " " + highest + " " + history + " " + acknowledged.size();
    }

    private static long acknowledge(String answer, int batch, Map<Long, int[]> acknowledged, long highest) {
        assertThat(answer).startsWith("OK ");
        String[] words = answer.split(" ");
        long first = Long.parseLong(words[1]);
        long last = Long.parseLong(words[2]);
        assertThat(first).isGreaterThan(highest);
        for (long p = first; p <= last; p++) {
            acknowledged.put(p, new int[] {batch, (int) (p - first)});
        }
        return last;
    }

    /** A {@link RoomChild} process; closing kills it if it still runs. */
    private static final class Child implements AutoCloseable {
        private final Process process;
        private final PrintStream in;
        private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

        Child(Path root) throws Exception {
            this(root, List.of());
        }

        /** A child started through {@code wrapper} (a command that ends by running its arguments). */
        Child(Path root, List<String> wrapper) throws Exception {
            String java = ProcessHandle.current().info().command().orElse("java");
            String classpath = location(EventLog.class) + File.pathSeparator + location(RoomChild.class);
            List<String> command = new java.util.ArrayList<>(wrapper);
            command.addAll(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xshare:auto",
                    "-XX:-UsePerfData", "-cp", classpath, RoomChild.class.getName(), root.toString()));
            process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            in = new PrintStream(process.getOutputStream(), true, StandardCharsets.UTF_8);
            Thread.ofPlatform().daemon().start(() -> {
                try (BufferedReader r = new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line = r.readLine(); line != null; line = r.readLine()) {
                        lines.add(line);
                    }
                } catch (Exception e) {
                    // the stream ends with the process
                }
            });
        }

        String call(String command) throws InterruptedException {
            in.println(command);
            String answer = lines.poll(20, TimeUnit.SECONDS);
            assertThat(answer).as("answer to " + command).isNotNull();
            return answer;
        }

        /** Sets the child's soft file size limit (bytes, or {@link #UNLIMITED}), keeping its hard one. */
        void limit(long bytes) throws Throwable {
            Linker linker = Linker.nativeLinker();
            MethodHandle prlimit = linker.downcallHandle(linker.defaultLookup().find("prlimit").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                            ValueLayout.ADDRESS, ValueLayout.ADDRESS));
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment old = arena.allocate(16);
                int pid = (int) process.pid();
                assertThat((int) prlimit.invokeExact(pid, RLIMIT_FSIZE, MemorySegment.NULL, old)).isZero();
                long hard = old.get(ValueLayout.JAVA_LONG, 8);
                MemorySegment limit = arena.allocate(16);
                limit.set(ValueLayout.JAVA_LONG, 0, bytes == UNLIMITED ? hard
                        : hard == UNLIMITED ? bytes : Math.min(bytes, hard));
                limit.set(ValueLayout.JAVA_LONG, 8, hard);
                assertThat((int) prlimit.invokeExact(pid, RLIMIT_FSIZE, limit, MemorySegment.NULL))
                        .as("prlimit on the child").isZero();
            }
        }

        @Override
        public void close() {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private static String location(Class<?> type) throws Exception {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        }
    }
}
