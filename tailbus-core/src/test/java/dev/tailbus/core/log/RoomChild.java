package dev.tailbus.core.log;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A log process for {@link DiskFullTest}, driven line by line on stdin while the test changes its
 * file size limit from outside: {@code open}; {@code append BATCH N} (N events over five topics,
 * payload {@code bBATCH-i}) answered {@code OK first last} or {@code ERR KIND message};
 * {@code read} answered {@code READ count last history stats} (every event readable from
 * position 0, the last, the events of {@code lastPerTopic} 2, the events counted by
 * {@code topics()}); {@code fill} (a file beside the store takes all the room left) and
 * {@code unfill}; {@code verify} (the number of problems {@code tailbus store verify} finds);
 * {@code close}. Store root in {@code args[0]}.
 */
public final class RoomChild {
    private RoomChild() {
    }

    static LogConfig config(Path root) {
        return LogConfig.builder(root).pattern("{topic}:.*").pattern("all:.*").rotateAboveBytes(16 * 1024)
                .flush(FlushPolicy.BATCH).build();
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args[0]);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        EventLog log = null;
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            String[] words = line.split(" ");
            try {
                switch (words[0]) {
                    case "open" -> {
                        java.nio.file.Files.createDirectories(root);
                        log = EventLog.open(config(root));
                        out.println("OPEN " + log.lastPosition());
                    }
                    case "append" -> {
                        List<EventToAppend> batch = new ArrayList<>();
                        for (int i = 0; i < Integer.parseInt(words[2]); i++) {
                            batch.add(DiskFullTest.event(Integer.parseInt(words[1]), i));
                        }
                        List<AppendedEvent> done = log.append(batch);
                        out.println("OK " + done.getFirst().position() + " " + done.getLast().position());
                    }
                    case "read" -> {
                        long count = 0;
                        long last = 0;
                        try (LogReader r = log.readAfter(t -> true, 0)) {
                            for (StoredEvent e = r.next(); e != null; e = r.next()) {
                                count++;
                                last = e.position();
                            }
                        }
                        long history = log.lastPerTopic(t -> true, 2, Long.MAX_VALUE).toList().size();
                        long stats = log.topics().stream().mapToLong(TopicStats::events).sum();
                        out.println("READ " + count + " " + last + " " + history + " " + stats);
                    }
                    case "fill" -> {
                        // takes every byte left on the store's file system
                        Path filler = root.resolveSibling("filler");
                        long written = 0;
                        try (java.nio.channels.FileChannel c = java.nio.channels.FileChannel.open(filler,
                                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
                            java.nio.ByteBuffer block = java.nio.ByteBuffer.allocate(4096);
                            while (true) {
                                block.clear();
                                written += c.write(block);
                            }
                        } catch (java.io.IOException e) {
                            out.println("FILLED " + written);
                        }
                    }
                    case "unfill" -> {
                        java.nio.file.Files.delete(root.resolveSibling("filler"));
                        out.println("UNFILLED");
                    }
                    case "verify" -> out.println("VERIFY " + StoreInspector.verify(root).problems().size());
                    case "close" -> {
                        log.close();
                        out.println("CLOSED");
                        return;
                    }
                    default -> out.println("ERR BAD_INPUT unknown command " + line);
                }
            } catch (LogException e) {
                out.println("ERR " + e.kind() + " " + e.getMessage().replace('\n', ' '));
            }
        }
    }
}
