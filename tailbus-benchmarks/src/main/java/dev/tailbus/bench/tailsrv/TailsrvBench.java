package dev.tailbus.bench.tailsrv;

import dev.tailbus.bench.Table;
import dev.tailbus.core.fs.Inotify;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * End-to-end benchmark of {@code bin/tailsrv}, each figure beside a baseline measured in the
 * same run:
 * <ul>
 *   <li>aggregate MB/s for 1, 8 and 100 clients reading a cached file from offset 0, against a
 *       raw {@code transferTo} loop to one socket;</li>
 *   <li>append-to-client latency (p50, p99), against a raw inotify wake-up;</li>
 *   <li>resident memory and threads with many idle clients, against the same server idle.</li>
 * </ul>
 * Every run is bounded in time. Usage (see {@code bin/tailbus-bench}):
 * {@code bin/tailbus-bench tailsrv.TailsrvBench [--size-mib 1024] [--seconds 5] [--samples 2000]
 * [--idle 10000] [--dir /tmp]}.
 */
public final class TailsrvBench {
    private static final int READ_BUFFER = 1 << 20;
    private static final int ROUNDS = 5;

    private final Path home;
    private final Path dir;
    private final long size;
    private final long seconds;
    private final int samples;
    private final int idle;
    private final List<String[]> rows = new ArrayList<>();

    private TailsrvBench(Path home, Path dir, long size, long seconds, int samples, int idle) {
        this.home = home;
        this.dir = dir;
        this.size = size;
        this.seconds = seconds;
        this.samples = samples;
        this.idle = idle;
    }

    public static void main(String[] args) throws Exception {
        long sizeMiB = 1024;
        long seconds = 5;
        int samples = 2000;
        int idle = 10_000;
        Path base = Path.of(System.getProperty("java.io.tmpdir"));
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--size-mib" -> sizeMiB = Long.parseLong(args[++i]);
                case "--seconds" -> seconds = Long.parseLong(args[++i]);
                case "--samples" -> samples = Integer.parseInt(args[++i]);
                case "--idle" -> idle = Integer.parseInt(args[++i]);
                case "--dir" -> base = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (known: --size-mib N --seconds N --samples N --idle N --dir PATH)");
            }
        }
        Path home = Path.of(System.getProperty("tailbus.home", ".")).toAbsolutePath().normalize();
        Path dir = Files.createTempDirectory(base, "tailsrv-bench");
        try {
            new TailsrvBench(home, dir, sizeMiB << 20, seconds, samples, idle).run();
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private void run() throws Exception {
        Path big = dir.resolve("big.log");
        Path small = dir.resolve("latency.log");
        Files.createFile(small);
        writeCached(big);
        System.out.printf(Locale.ROOT, "tailsrv benchmark: %d MiB file in the page cache, runs bounded to %d s, %d cores%n",
                size >> 20, seconds, Runtime.getRuntime().availableProcessors());

        try (TailsrvProcess server = TailsrvProcess.start(home, 2, "-p", "0", big.toString(), "--serve", "0:" + small)) {
            throughput(server.port(0), 2); // warm-up: the server's JIT, not measured
            // Raw and tailsrv in turns, the median of each: the machine may be shared and noisy.
            double[] raws = new double[ROUNDS];
            double[] ones = new double[ROUNDS];
            for (int round = 0; round < ROUNDS; round++) {
                raws[round] = rawTransferTo(big);
                ones[round] = throughput(server.port(0), 1);
            }
            double raw = median(raws);
            double tail1 = median(ones);
            double tail8 = throughput(server.port(0), 8);
            double tail100 = throughput(server.port(0), 100);
            row("1 client, MB/s", tail1, "raw transferTo, 1 socket", raw, ">= 0.90", tail1 / raw >= 0.90);
            row("8 clients aggregate, MB/s", tail8, "raw transferTo, 1 socket", raw, ">= 0.90", tail8 / raw >= 0.90);
            row("100 clients aggregate, MB/s", tail100, "raw transferTo, 1 socket", raw, "-", null);

            long[][] latencies = appendLatencies(server.port(1), small);
            double rawP50 = percentile(latencies[0], 50) / 1000.0;
            double rawP99 = percentile(latencies[0], 99) / 1000.0;
            double pipeP50 = percentile(latencies[1], 50) / 1000.0;
            double pipeP99 = percentile(latencies[1], 99) / 1000.0;
            double p50 = percentile(latencies[2], 50) / 1000.0;
            double p99 = percentile(latencies[2], 99) / 1000.0;
            row("append to client p50, us", p50, "raw inotify wake-up p50", rawP50, "<= 2.0", p50 / rawP50 <= 2.0);
            row("append to client p99, us", p99, "raw inotify wake-up p99", rawP99, "-", null);
            row("append to client p50, us", p50, "raw inotify+transferTo to a client p50", pipeP50, "-", null);
            row("append to client p99, us", p99, "raw inotify+transferTo to a client p99", pipeP99, "-", null);
        }
        idleClients(small);
        print();
    }

    private void writeCached(Path file) throws IOException {
        byte[] block = new byte[1 << 20];
        new Random(1).nextBytes(block);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(block);
            for (long written = 0; written < size; written += block.length) {
                buffer.clear();
                while (buffer.hasRemaining()) {
                    out.write(buffer);
                }
            }
        }
        // Read it once so that every page is cached before any measurement.
        try (FileChannel in = FileChannel.open(file)) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(READ_BUFFER);
            while (in.read(buffer) > 0) {
                buffer.clear();
            }
        }
    }

    /** MB/s of one blocking transferTo loop from the file to one loopback socket. */
    private double rawTransferTo(Path file) throws Exception {
        try (ServerSocketChannel listener = ServerSocketChannel.open();
             FileChannel in = FileChannel.open(file)) {
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            long deadline = System.nanoTime() + seconds * 1_000_000_000L;
            Thread sender = Thread.ofPlatform().start(() -> {
                try (SocketChannel socket = listener.accept()) {
                    long position = 0;
                    while (position < size && System.nanoTime() < deadline) {
                        position += in.transferTo(position, size - position, socket);
                    }
                } catch (IOException e) {
                    // The reader stopped at its deadline.
                }
            });
            LongAdder received = new LongAdder();
            long start = System.nanoTime();
            Thread reader = reader(listener.socket().getLocalPort(), null, received, deadline);
            reader.join();
            long elapsed = System.nanoTime() - start;
            sender.join();
            return received.sum() / (elapsed / 1e9) / 1e6;
        }
    }

    /** Aggregate MB/s of {@code clients} clients of tailsrv, each reading the file from 0. */
    private double throughput(int port, int clients) throws Exception {
        LongAdder received = new LongAdder();
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        long start = System.nanoTime();
        List<Thread> readers = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            readers.add(reader(port, "0\n", received, deadline));
        }
        for (Thread reader : readers) {
            reader.join();
        }
        long elapsed = System.nanoTime() - start;
        return received.sum() / (elapsed / 1e9) / 1e6;
    }

    /** A thread that connects, sends {@code header} (if any) and reads the whole file or until the deadline. */
    private Thread reader(int port, String header, LongAdder received, long deadline) throws IOException {
        SocketChannel socket = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        if (header != null) {
            socket.write(StandardCharsets.US_ASCII.encode(header));
        }
        return Thread.ofPlatform().start(() -> {
            ByteBuffer buffer = ByteBuffer.allocateDirect(READ_BUFFER);
            long got = 0;
            try (socket) {
                while (got < size && System.nanoTime() < deadline) {
                    buffer.clear();
                    int n = socket.read(buffer);
                    if (n < 0) {
                        break;
                    }
                    got += n;
                    received.add(n);
                }
            } catch (IOException e) {
                throw new IllegalStateException("reader failed after " + got + " bytes", e);
            }
        });
    }

    /**
     * Append latencies in nanoseconds, measured in turns so that all see the same noise:
     * <ol start="0">
     *   <li>a write until a thread blocked in inotify's poll wakes up (the goal's baseline);</li>
     *   <li>a write until a client holds the bytes, sent by a thread that waits in inotify's poll
     *       and then calls transferTo: the least any inotify-and-sendfile server can do;</li>
     *   <li>a write until a tailsrv client holds the bytes.</li>
     * </ol>
     * The measuring thread spins in every case, so that only the server side's wake-up is timed.
     */
    private long[][] appendLatencies(int port, Path served) throws Exception {
        Path raw = Files.createFile(dir.resolve("raw-wake.log"));
        Path piped = Files.createFile(dir.resolve("raw-pipeline.log"));
        long[][] latencies = new long[3][samples];
        AtomicLong woke = new AtomicLong();
        byte[] text = "0123456789abcde\n".getBytes(StandardCharsets.US_ASCII);
        try (Inotify wakeWatch = Inotify.open();
             Inotify pipeWatch = Inotify.open();
             ServerSocketChannel pipeListener = ServerSocketChannel.open();
             FileChannel rawOut = FileChannel.open(raw, StandardOpenOption.APPEND);
             FileChannel pipedOut = FileChannel.open(piped, StandardOpenOption.APPEND);
             FileChannel pipedIn = FileChannel.open(piped);
             FileChannel servedOut = FileChannel.open(served, StandardOpenOption.APPEND)) {
            wakeWatch.addWatch(raw, Inotify.MODIFY);
            pipeWatch.addWatch(piped, Inotify.MODIFY);
            pipeListener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            SocketChannel pipeClient = SocketChannel.open(pipeListener.getLocalAddress());
            SocketChannel pipeServer = pipeListener.accept();
            SocketChannel client = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
            List<Thread> threads = List.of(
                    Thread.ofPlatform().start(() -> {
                        try {
                            while (!Thread.currentThread().isInterrupted()) {
                                if (!wakeWatch.poll(-1).isEmpty()) {
                                    woke.set(System.nanoTime());
                                }
                            }
                        } catch (IOException e) {
                            // Closed at the end of the run.
                        }
                    }),
                    Thread.ofPlatform().start(() -> {
                        long position = 0;
                        try {
                            while (!Thread.currentThread().isInterrupted()) {
                                if (!pipeWatch.poll(-1).isEmpty()) {
                                    long size = pipedIn.size();
                                    while (position < size) {
                                        position += pipedIn.transferTo(position, size - position, pipeServer);
                                    }
                                }
                            }
                        } catch (IOException e) {
                            // Closed at the end of the run.
                        }
                    }));
            for (SocketChannel c : List.of(client, pipeClient, pipeServer)) {
                c.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            client.write(StandardCharsets.US_ASCII.encode("-0\n"));
            client.configureBlocking(false);
            pipeClient.configureBlocking(false);
            ByteBuffer in = ByteBuffer.allocateDirect(text.length);
            ByteBuffer line = ByteBuffer.wrap(text);
            for (int i = -samples; i < samples; i++) {
                woke.set(0);
                line.clear();
                long start = System.nanoTime();
                rawOut.write(line);
                long end;
                while ((end = woke.get()) == 0) {
                    Thread.onSpinWait();
                }
                if (i >= 0) {
                    latencies[0][i] = end - start;
                }
                LockSupport.parkNanos(200_000);

                for (int k = 1; k <= 2; k++) {
                    SocketChannel reading = k == 1 ? pipeClient : client;
                    line.clear();
                    in.clear();
                    start = System.nanoTime();
                    (k == 1 ? pipedOut : servedOut).write(line);
                    while (in.hasRemaining()) {
                        if (reading.read(in) < 0) {
                            throw new IOException("the latency client was closed");
                        }
                    }
                    end = System.nanoTime();
                    if (i >= 0) {
                        latencies[k][i] = end - start;
                    }
                    LockSupport.parkNanos(200_000);
                }
            }
            for (Thread thread : threads) {
                thread.interrupt();
            }
            wakeWatch.close();
            pipeWatch.close();
            for (Thread thread : threads) {
                thread.join();
            }
            client.close();
            pipeClient.close();
            pipeServer.close();
        }
        return latencies;
    }

    /** RSS and threads of a fresh tailsrv with no client, then with {@code idle} idle clients. */
    private void idleClients(Path file) throws Exception {
        Files.writeString(file, "x".repeat(100));
        try (TailsrvProcess server = TailsrvProcess.start(home, 1, "-p", "0", file.toString())) {
            // Let the fresh process settle (JIT threads, first GC) before the empty measure.
            try (SocketChannel warm = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port(0)))) {
                warm.write(StandardCharsets.US_ASCII.encode("0\n"));
                warm.read(ByteBuffer.allocate(100));
            }
            double rssBefore = server.rssMiB();
            List<String> threadsBefore = server.threadNames();
            List<SocketChannel> clients = new ArrayList<>(idle);
            long start = System.nanoTime();
            try {
                for (int i = 0; i < idle; i++) {
                    SocketChannel client = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port(0)));
                    client.write(StandardCharsets.US_ASCII.encode("0\n"));
                    clients.add(client);
                }
                long deadline = System.nanoTime() + 30_000_000_000L;
                while (server.openFiles() < idle && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(10_000_000);
                }
                double connectSeconds = (System.nanoTime() - start) / 1e9;
                long fds = server.openFiles();
                double rss = server.rssMiB();
                List<String> threads = server.threadNames();
                rows.add(new String[] {String.format(Locale.ROOT, "RSS with %,d idle clients, MiB", idle),
                        fmt(rss), "same server, no client", fmt(rssBefore), fmt(rss / rssBefore), "<= 256 MiB",
                        rss <= 256 ? "yes" : "NO"});
                long own = threads.stream().filter(TailsrvBench::isOwnThread).count();
                long ownBefore = threadsBefore.stream().filter(TailsrvBench::isOwnThread).count();
                rows.add(new String[] {String.format(Locale.ROOT, "tailsrv threads with %,d idle clients", idle),
                        Long.toString(own), "same server, no client", Long.toString(ownBefore),
                        fmt((double) own / ownBefore), "fixed", own == ownBefore ? "yes" : "NO"});
                rows.add(new String[] {String.format(Locale.ROOT, "all JVM threads with %,d idle clients", idle),
                        Integer.toString(threads.size()), "same server, no client", Integer.toString(threadsBefore.size()),
                        fmt((double) threads.size() / threadsBefore.size()), "-", "-"});
                List<String> added = new ArrayList<>(threads);
                threadsBefore.forEach(added::remove);
                if (!added.isEmpty()) {
                    System.out.println("(threads the JVM added meanwhile: " + added + ")");
                }
                System.out.printf(Locale.ROOT, "(%,d clients connected in %.1f s; the server held %,d descriptors)%n",
                        idle, connectSeconds, fds);
            } finally {
                for (SocketChannel client : clients) {
                    client.close();
                }
            }
        }
    }

    /** The launcher's threads and tailsrv's own, as opposed to the JVM's (GC, JIT, ...). */
    private static boolean isOwnThread(String name) {
        return name.equals("java") || name.startsWith("tailsrv-");
    }

    private void row(String what, double value, String baseline, double base, String goal, Boolean met) {
        rows.add(new String[] {what, fmt(value), baseline, fmt(base), fmt(value / base), goal,
                met == null ? "-" : met ? "yes" : "NO"});
    }

    private void print() {
        Table table = new Table("measure", "tailsrv", "baseline (same run)", "baseline", "ratio", "goal", "met");
        for (String[] row : rows) {
            table.row((Object[]) row);
        }
        System.out.print(table.render());
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static long percentile(long[] values, int p) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int index = (int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1);
        return sorted[Math.max(0, index)];
    }

    private static String fmt(double value) {
        return value >= 100 ? String.format(Locale.ROOT, "%,.0f", value) : String.format(Locale.ROOT, "%.2f", value);
    }
}
