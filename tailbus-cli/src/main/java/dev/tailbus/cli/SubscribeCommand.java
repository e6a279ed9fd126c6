package dev.tailbus.cli;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.log.TopicPatterns;
import dev.tailbus.protobus.client.BusAddress;
import dev.tailbus.protobus.client.BusEvent;
import dev.tailbus.protobus.client.BusException;
import dev.tailbus.protobus.client.BusJson;
import dev.tailbus.protobus.client.BusSubscriber;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tailbus subscribe}: the events of the topics matching some patterns, as JSON lines or raw
 * payloads on stdout, through {@link BusSubscriber} (which reconnects if the server restarts).
 * Ends with exit 0 after {@code --count} events, 130 on Ctrl-C (SIGINT or SIGTERM), 141 quietly
 * when stdout is closed (as {@code | head -1} does), 1 with one line on stderr when stdout fails
 * otherwise (a full disk).
 */
@Command(name = "subscribe",
        mixinStandardHelpOptions = true,
        description = {"Print the events of the topics matching PATTERN (Python regular expressions matched at the "
                + "topic's start; none: every topic) as JSON lines or raw payloads: stored ones first (--history, "
                + "--after or --since), then live ones, until Ctrl-C or --count."})
public final class SubscribeCommand implements Callable<Integer> {
    /** Exit status after SIGINT, as a shell reports a process killed by it. */
    static final int INTERRUPTED = 130;
    /** Exit status when stdout was closed, as a shell reports a process killed by SIGPIPE. */
    static final int BROKEN_PIPE = 141;

    enum Format { json, raw }

    @Parameters(paramLabel = "PATTERN", arity = "0..*", description = "topic patterns (default: every topic)")
    List<String> patterns = new ArrayList<>();

    @Option(names = {"-a", "--address"}, paramLabel = "HOST:PORT", defaultValue = BusAddress.DEFAULT,
            description = "the server (default: ${DEFAULT-VALUE})")
    String address;

    @Mixin
    ConnectionOptions connection = new ConnectionOptions();

    @Option(names = "--history", paramLabel = "N",
            description = "start with the last N stored events of each matching topic (default: live events only)")
    Integer history;

    @Option(names = "--after", paramLabel = "POSITION",
            description = "start with the stored events after this log position (as printed in \"position\")")
    Long after;

    @Option(names = "--resume", paramLabel = "TOKEN",
            description = "continue after the event that printed this \"resume_token\" (protobus-server on Kafka), "
                    + "through any server on the same cluster")
    String resume;

    @Option(names = "--since", paramLabel = "TIME",
            description = "start with the stored events received at or after TIME, in RFC 3339 "
                    + "(such as 2026-11-25T13:45:00Z or 2026-11-25T14:45:00.5+01:00)")
    String since;

    @Option(names = {"-f", "--format"}, paramLabel = "json|raw", defaultValue = "json",
            description = {"json: one JSON object per line (topic, tags, event_time, transmit_time, receive_time, "
                    + "position, payload_size, payload_type, payload); raw: each payload's bytes and a newline "
                    + "(default: ${DEFAULT-VALUE})"})
    Format format;

    @Option(names = {"-n", "--count"}, paramLabel = "N", description = "stop after N events")
    Long count;

    @Option(names = "--reconnect-for", paramLabel = "SECONDS", defaultValue = "60",
            description = "if the server goes away, keep trying to resume for this long, then fail; 0: fail at once "
                    + "(default: ${DEFAULT-VALUE})")
    long reconnectFor;

    @Override
    public Integer call() throws IOException, InterruptedException {
        ClientLogging.quiet();
        int starts = (history != null ? 1 : 0) + (after != null ? 1 : 0) + (since != null ? 1 : 0)
                + (resume != null ? 1 : 0);
        if (starts > 1) {
            throw new BusException(Kind.BAD_INPUT, "give at most one of --history, --after, --since and --resume");
        }
        byte[] resumeToken = null;
        if (resume != null) {
            try {
                resumeToken = java.util.Base64.getUrlDecoder().decode(resume.trim());
            } catch (IllegalArgumentException e) {
                throw new BusException(Kind.BAD_INPUT, "--resume must be a resume_token as printed, got '"
                        + resume + "'");
            }
        }
        if (history != null && history < 0) {
            throw new BusException(Kind.BAD_INPUT, "--history must not be negative, got " + history);
        }
        if (after != null && after < 0) {
            throw new BusException(Kind.BAD_INPUT, "--after must not be negative, got " + after);
        }
        if (count != null && count < 1) {
            throw new BusException(Kind.BAD_INPUT, "--count must be at least 1, got " + count);
        }
        if (reconnectFor < 0) {
            throw new BusException(Kind.BAD_INPUT, "--reconnect-for must not be negative, got " + reconnectFor);
        }
        for (String p : patterns) {
            TopicPatterns.compile(p); // a bad pattern is bad input, before any connection
        }
        BusSubscriber.Builder builder = BusSubscriber.builder(address)
                .credentials(connection.credentials())
                .topics(patterns)
                .reconnectFor(Duration.ofSeconds(reconnectFor));
        if (history != null) {
            builder.history(history);
        }
        if (after != null) {
            builder.after(after);
        }
        if (since != null) {
            builder.since(parseTime(since));
        }
        builder.resumeToken(resumeToken);

        AtomicBoolean interrupted = new AtomicBoolean();
        BusSubscriber subscriber = builder.build();
        SignalTrap.onTermination(() -> {
            interrupted.set(true);
            subscriber.close(); // take() then returns null
        });
        OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16);
        long seen = 0;
        StringBuilder line = new StringBuilder(512);
        try (subscriber) {
            while (count == null || seen < count) {
                // flush when nothing is waiting, so that a quiet stream shows each event at once
                BusEvent e = subscriber.poll(Duration.ZERO);
                if (e == null && !subscriber.isEnded()) {
                    out.flush();
                    e = subscriber.take();
                }
                if (e == null) {
                    break;
                }
                write(out, e, subscriber.resumeToken(), line);
                seen++;
            }
            out.flush();
        } catch (IOException e) {
            if (isClosedPipe(e)) {
                return BROKEN_PIPE; // stdout closed: the reader has what it wanted
            }
            throw new BusException(Kind.IO, "cannot write to stdout: " + describe(e), e);
        } catch (RuntimeException e) {
            // the subscription failed: what came before it is printed, then the one-line error
            try {
                out.flush();
            } catch (IOException ignored) {
                e.addSuppressed(ignored);
            }
            throw e;
        }
        return interrupted.get() ? INTERRUPTED : 0;
    }

    /** Whether a write failed because the reader closed stdout (EPIPE), not for any other reason. */
    static boolean isClosedPipe(IOException e) {
        String m = e.getMessage();
        if (m == null) {
            return false;
        }
        String lower = m.toLowerCase(Locale.ROOT);
        return lower.contains("broken pipe") || lower.contains("stream closed");
    }

    private static String describe(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private void write(OutputStream out, BusEvent e, byte[] resumeToken, StringBuilder line) throws IOException {
        if (format == Format.raw) {
            out.write(e.payloadBytes());
            out.write('\n');
        } else {
            line.setLength(0);
            String json = BusJson.event(e);
            if (resumeToken != null) {
                // protobus-server on Kafka: what --resume takes to continue after this event
                line.append(json, 0, json.length() - 1).append(",\"resume_token\":\"")
                        .append(java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(resumeToken))
                        .append("\"}");
            } else {
                line.append(json);
            }
            line.append('\n');
            out.write(line.toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    /** RFC 3339: {@code 2026-11-25T13:45:00Z}, fraction and offset optional parts as the RFC has them. */
    static Instant parseTime(String text) {
        String t = text.trim().toUpperCase(Locale.ROOT);
        if (t.length() > 10 && t.charAt(10) == ' ') {
            t = t.substring(0, 10) + 'T' + t.substring(11);
        }
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException e) {
            throw new BusException(Kind.BAD_INPUT, "--since must be an RFC 3339 time such as "
                    + "2026-11-25T13:45:00Z, got '" + text + "'");
        }
    }
}
