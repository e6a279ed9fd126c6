package dev.tailbus.core.log;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A writer process for {@link KillTest}: appends batches forever to the store at {@code args[0]}
 * and prints {@code A <position>} after each append returned, while a reader thread prints
 * {@code R <position>} for each event it read. Each event's payload is {@code p<position>}, so
 * the test can check every stored event against its position.
 */
public final class AppendingChild {
    private AppendingChild() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        LogConfig config = LogConfig.builder(root).pattern("{topic}:.*").pattern("all:.*")
                .rotateAboveBytes(256 * 1024).flush(FlushPolicy.parse(args[1])).build();
        EventLog log = EventLog.open(config);
        Object printLock = new Object();
        Thread reader = Thread.ofPlatform().daemon().start(() -> {
            try (LogReader r = log.readAfter(t -> true, log.lastPosition())) {
                while (true) {
                    StoredEvent e = r.next();
                    if (e == null) {
                        Thread.onSpinWait();
                        continue;
                    }
                    synchronized (printLock) {
                        out.println("R " + e.position());
                        out.flush();
                    }
                }
            }
        });
        Random random = new Random();
        // the first event of a run learns where positions continue (after the ones reserved before)
        String first = "first";
        long last = log.append(List.of(new EventToAppend("k0", System.currentTimeMillis() * 1_000_000L,
                EventWire.minimalEvent("k0", 0, first.getBytes(StandardCharsets.UTF_8))))).getLast().position();
        while (reader.isAlive()) {
            long next = last + 1;
            int size = 1 + random.nextInt(200);
            List<EventToAppend> batch = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                String topic = "k" + random.nextInt(4);
                long time = System.currentTimeMillis() * 1_000_000L;
                batch.add(new EventToAppend(topic, time, EventWire.minimalEvent(topic, time,
                        ("p" + (next + i)).getBytes(StandardCharsets.UTF_8))));
            }
            List<AppendedEvent> done = log.append(batch);
            last = done.getLast().position();
            synchronized (printLock) {
                out.println("A " + done.getLast().position());
                out.flush();
            }
        }
    }
}
