package dev.tailbus.cli;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.BytesValue;
import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.log.EventLog;
import dev.tailbus.protobus.client.BusAddress;
import dev.tailbus.protobus.client.BusCredentials;
import dev.tailbus.protobus.client.BusEvent;
import dev.tailbus.protobus.client.BusException;
import dev.tailbus.protobus.client.BusPublisher;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tailbus publish}: standard input to events on one topic, one per line (default), per
 * fixed-size block or the whole input as one, through {@link BusPublisher}.
 */
@Command(name = "publish",
        mixinStandardHelpOptions = true,
        description = {"Publish standard input to a protobus server: one event per line (without its newline), "
                + "per block of --block-size bytes, or the whole input as one event (--whole). Prints how many "
                + "events were published (on stderr)."})
public final class PublishCommand implements Callable<Integer> {
    @Option(names = {"-t", "--topic"}, required = true, paramLabel = "TOPIC", description = "the topic to publish to")
    String topic;

    @Option(names = "--tag", paramLabel = "KEY=VALUE", description = "a tag on every event (repeatable)")
    Map<String, String> tags = new LinkedHashMap<>();

    @Option(names = {"-a", "--address"}, paramLabel = "HOST:PORT", defaultValue = BusAddress.DEFAULT,
            description = "the server (default: ${DEFAULT-VALUE})")
    String address;

    @Mixin
    ConnectionOptions connection = new ConnectionOptions();

    @ArgGroup(exclusive = true)
    Split split;

    static final class Split {
        @Option(names = "--block-size", paramLabel = "SIZE",
                description = "one event per block of SIZE bytes (suffix k or M; the last may be shorter)")
        String blockSize;

        @Option(names = "--whole", description = "the whole input as one event")
        boolean whole;
    }

    @Option(names = "--type-url", paramLabel = "URL",
            description = {"put the bytes into the payload Any as they are, with this type URL (they must be "
                    + "a serialized message of that type); default: wrap them in a google.protobuf.BytesValue"})
    String typeUrl;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "1000",
            description = "at most N events per call to the server (default: ${DEFAULT-VALUE})")
    int batch;

    @Override
    public Integer call() throws IOException {
        ClientLogging.quiet();
        EventLog.checkTopic(topic);
        long block = 0;
        if (split != null && split.blockSize != null) {
            block = ProtobusServerCommand.parseSize("--block-size", split.blockSize);
            if (block < 1 || block > (64 << 20)) {
                throw new BusException(Kind.BAD_INPUT, "--block-size must be 1 byte to 64M, got " + split.blockSize);
            }
        }
        if (batch < 1) {
            throw new BusException(Kind.BAD_INPUT, "--batch must be at least 1, got " + batch);
        }
        if (typeUrl != null && (typeUrl.isEmpty() || !typeUrl.contains("/"))) {
            throw new BusException(Kind.BAD_INPUT, "--type-url must look like type.googleapis.com/NAME, got '"
                    + typeUrl + "'");
        }
        BusCredentials credentials = connection.credentials();
        Progress progress = Progress.forStdin();
        long count;
        try (InputStream in = new BufferedInputStream(new FileInputStream(FileDescriptor.in), 1 << 16);
             BusPublisher publisher = BusPublisher.builder(address).credentials(credentials).maxBatchEvents(batch).build()) {
            if (split != null && split.whole) {
                publish(publisher, in.readAllBytes());
                count = 1;
            } else if (block > 0) {
                count = 0;
                byte[] chunk;
                while ((chunk = in.readNBytes((int) block)).length > 0) {
                    publish(publisher, chunk);
                    count++;
                    progress.add(chunk.length);
                }
            } else {
                count = publishLines(publisher, in, progress);
            }
            publisher.flush();
        } finally {
            progress.end();
        }
        System.err.println("published " + count + (count == 1 ? " event" : " events") + " to " + topic);
        return 0;
    }

    private long publishLines(BusPublisher publisher, InputStream in, Progress progress) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(256);
        long count = 0;
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                publish(publisher, line.toByteArray());
                progress.add(line.size() + 1);
                line.reset();
                count++;
            } else {
                line.write(b);
            }
        }
        if (line.size() > 0) { // a last line without a newline
            publish(publisher, line.toByteArray());
            count++;
        }
        return count;
    }

    private void publish(BusPublisher publisher, byte[] bytes) {
        Any payload = typeUrl == null ? Any.pack(BytesValue.of(ByteString.copyFrom(bytes)))
                : Any.newBuilder().setTypeUrl(typeUrl).setValue(ByteString.copyFrom(bytes)).build();
        BusEvent event = new BusEvent(topic, tags, Instant.now(), null, null, 0, payload);
        // Failures are collected and reported by flush(); a failed batch does not stop the input.
        publisher.publishAsync(event).exceptionally(t -> null);
    }

    /**
     * A progress line on stderr while a long input is read from a file and stderr is a terminal;
     * silent otherwise.
     */
    static final class Progress {
        private static final long MIN_BYTES = 1 << 20;
        private final long total;
        private long done;
        private long lastShown;
        private boolean shown;

        private Progress(long total) {
            this.total = total;
        }

        static Progress forStdin() {
            try {
                Path in = Path.of("/proc/self/fd/0").toRealPath();
                String err = Path.of("/proc/self/fd/2").toRealPath().toString();
                boolean terminal = err.startsWith("/dev/pts/") || err.startsWith("/dev/tty");
                if (terminal && Files.isRegularFile(in) && Files.size(in) >= MIN_BYTES) {
                    return new Progress(Files.size(in));
                }
            } catch (IOException | RuntimeException e) {
                // no /proc: no progress
            }
            return new Progress(-1);
        }

        void add(long bytes) {
            if (total < 0) {
                return;
            }
            done += bytes;
            long now = System.nanoTime();
            if (now - lastShown > 250_000_000L) {
                lastShown = now;
                shown = true;
                System.err.print("\rread " + (done >> 20) + " of " + (total >> 20) + " MiB ("
                        + Math.min(100, done * 100 / Math.max(1, total)) + "%)");
                System.err.flush();
            }
        }

        void end() {
            if (shown) {
                System.err.print("\r\033[K");
                System.err.flush();
            }
        }
    }
}
