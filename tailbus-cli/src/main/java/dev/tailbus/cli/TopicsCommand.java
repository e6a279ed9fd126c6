package dev.tailbus.cli;

import dev.tailbus.core.log.TopicPatterns;
import dev.tailbus.protobus.admin.proto.ListTopicsResponse;
import dev.tailbus.protobus.admin.proto.TopicInfo;
import dev.tailbus.protobus.client.BusAddress;
import dev.tailbus.protobus.client.BusAdmin;
import dev.tailbus.protobus.client.BusJson;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code tailbus topics}: what a running server's store holds, per topic, from its admin service. */
@Command(name = "topics",
        mixinStandardHelpOptions = true,
        description = {"List the topics a protobus server stores: events, bytes, first and last position and "
                + "receive time (RFC 3339, UTC)."})
public final class TopicsCommand implements Callable<Integer> {
    enum Format { table, json }

    @Parameters(paramLabel = "PATTERN", arity = "0..*", description = "only topics matching a pattern (default: all)")
    List<String> patterns = new ArrayList<>();

    @Option(names = {"-a", "--address"}, paramLabel = "HOST:PORT", defaultValue = BusAddress.DEFAULT,
            description = "the server (default: ${DEFAULT-VALUE})")
    String address;

    @Mixin
    ConnectionOptions connection = new ConnectionOptions();

    @Option(names = {"-f", "--format"}, paramLabel = "table|json", defaultValue = "table",
            description = "table: aligned columns with a header; json: one JSON object per topic (default: ${DEFAULT-VALUE})")
    Format format;

    @Override
    public Integer call() throws IOException {
        ClientLogging.quiet();
        for (String p : patterns) {
            TopicPatterns.compile(p);
        }
        ListTopicsResponse answer = BusAdmin.listTopics(address, connection.credentials(), patterns, Duration.ofSeconds(10));
        StringBuilder text = new StringBuilder();
        if (format == Format.json) {
            for (TopicInfo t : answer.getTopicsList()) {
                text.append(BusJson.topic(t)).append('\n');
            }
        } else {
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"TOPIC", "EVENTS", "BYTES", "FIRST", "LAST", "FIRST TIME", "LAST TIME"});
            for (TopicInfo t : answer.getTopicsList()) {
                rows.add(new String[] {t.getTopic(), Long.toUnsignedString(t.getEvents()),
                        Long.toUnsignedString(t.getBytes()), Long.toUnsignedString(t.getFirstPosition()),
                        Long.toUnsignedString(t.getLastPosition()), time(t.getFirstTime()), time(t.getLastTime())});
            }
            int[] width = new int[7];
            for (String[] r : rows) {
                for (int i = 0; i < r.length; i++) {
                    width[i] = Math.max(width[i], r[i].length());
                }
            }
            for (String[] r : rows) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < r.length; i++) {
                    boolean number = i >= 1 && i <= 4;
                    String cell = number ? " ".repeat(width[i] - r[i].length()) + r[i]
                            : i == r.length - 1 ? r[i] : r[i] + " ".repeat(width[i] - r[i].length());
                    line.append(i == 0 ? "" : "  ").append(cell);
                }
                text.append(line).append('\n');
            }
        }
        // Written whole and checked: a PrintWriter would swallow a full disk.
        try {
            FileOutputStream stdout = new FileOutputStream(FileDescriptor.out);
            stdout.write(text.toString().getBytes(StandardCharsets.UTF_8));
            stdout.flush();
        } catch (IOException e) {
            if (SubscribeCommand.isClosedPipe(e)) {
                return SubscribeCommand.BROKEN_PIPE;
            }
            throw new IOException("cannot write to stdout: " + e.getMessage(), e);
        }
        return 0;
    }

    private static String time(com.google.protobuf.Timestamp t) {
        return BusJson.rfc3339(t);
    }
}
