package dev.tailbus.http;

import com.sun.net.httpserver.HttpExchange;
import dev.tailbus.core.TailbusException;
import dev.tailbus.core.log.LogException;
import dev.tailbus.core.log.TopicPatterns;
import dev.tailbus.protobus.client.BusEvent;
import dev.tailbus.protobus.client.BusJson;
import dev.tailbus.protobus.client.BusSubscriber;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code GET /api/events}: a subscription as Server-Sent Events. Each event is one SSE message
 * whose {@code data} is the event's JSON as {@code tailbus subscribe} prints it and whose
 * {@code id} is its position, so that a browser's {@code EventSource} reconnecting with
 * {@code Last-Event-ID} resumes right after the last event it got, nothing lost or repeated. A
 * comment line goes out after {@link HttpFaceConfig#heartbeat()} of silence: a client that is
 * gone is noticed at that write, and proxies keep the connection open.
 *
 * <p>Design note: the stream is a {@link BusSubscriber} on the face's gRPC channel, so the
 * server's flow control reaches the browser: the subscriber holds a bounded queue, this handler's
 * (virtual) thread blocks while the client's socket is full, and a client that falls behind is
 * served from the log as any gRPC subscriber. Nothing grows with a slow client.
 *
 * <p>Threading: one virtual thread per stream; {@link #closeAll()} from any thread.
 */
final class EventStream {
    private static final Set<String> PARAMETERS = Set.of("pattern", "history", "after", "since");
    /** Events written before the output is flushed even when more are waiting. */
    private static final int FLUSH_EVERY = 256;

    private final BusBridge bus;
    private final Duration heartbeat;
    private final int capacity;
    private final Set<BusSubscriber> open = ConcurrentHashMap.newKeySet();

    EventStream(BusBridge bus, Duration heartbeat, int capacity) {
        this.bus = bus;
        this.heartbeat = heartbeat;
        this.capacity = capacity;
    }

    void serve(HttpExchange exchange, Query query) throws IOException {
        query.only(PARAMETERS);
        List<String> patterns = query.all("pattern");
        for (String p : patterns) {
            try {
                TopicPatterns.compile(p);
            } catch (LogException e) {
                throw HttpProblem.badRequest(e.getMessage());
            }
        }
        BusSubscriber.Builder builder = bus.subscriber(FaceRouter.authorization(exchange)).topics(patterns)
                .capacity(capacity);
        String lastEventId = exchange.getRequestHeaders().getFirst("Last-Event-ID");
        long history = query.number("history");
        long after = query.number("after");
        String since = query.one("since");
        int starts = (history >= 0 ? 1 : 0) + (after >= 0 ? 1 : 0) + (since != null ? 1 : 0);
        if (starts > 1) {
            throw HttpProblem.badRequest("give at most one of history, after and since");
        }
        if (lastEventId != null && !lastEventId.isBlank()) {
            // a reconnecting EventSource: continue right after what it got, whatever the URL asked for first
            try {
                builder.after(Long.parseUnsignedLong(lastEventId.trim()));
            } catch (NumberFormatException e) {
                throw HttpProblem.badRequest("Last-Event-ID must be a position, got '" + lastEventId + "'");
            }
        } else if (history >= 0) {
            if (history > Integer.MAX_VALUE) {
                throw HttpProblem.badRequest("history must be at most " + Integer.MAX_VALUE + ", got " + history);
            }
            builder.history((int) history);
        } else if (after >= 0) {
            builder.after(after);
        } else if (since != null) {
            builder.since(time(since));
        }
        BusSubscriber subscriber;
        try {
            subscriber = builder.build();
        } catch (TailbusException e) {
            throw failure(e);
        }
        open.add(subscriber);
        try {
            stream(exchange, subscriber);
        } finally {
            open.remove(subscriber);
            subscriber.close();
        }
    }

    private void stream(HttpExchange exchange, BusSubscriber subscriber) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.getResponseHeaders().set("X-Accel-Buffering", "no");
        exchange.sendResponseHeaders(200, 0);
        try (Writer out = new BufferedWriter(new OutputStreamWriter(exchange.getResponseBody(), StandardCharsets.UTF_8),
                1 << 16)) {
            out.write("retry: 1000\n: subscribed\n\n");
            out.flush();
            try {
                while (true) {
                    BusEvent e = subscriber.poll(heartbeat);
                    if (e == null) {
                        if (subscriber.isEnded()) {
                            return;
                        }
                        out.write(": heartbeat\n\n");
                        out.flush();
                        continue;
                    }
                    int written = 0;
                    do {
                        write(out, e);
                        written++;
                    } while (written < FLUSH_EVERY && (e = subscriber.poll(Duration.ZERO)) != null);
                    out.flush();
                }
            } catch (TailbusException e) {
                // the subscription failed after it started: tell the client (still open), which may reconnect
                out.write("event: error\ndata: " + BusJson.write(w -> w.beginObject().name("error")
                        .value(e.getMessage()).endObject()) + "\n\n");
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // the client went away: its subscription ends with it
        }
    }

    private static void write(Writer out, BusEvent e) throws IOException {
        if (e.position() > 0) {
            out.write("id: ");
            out.write(Long.toUnsignedString(e.position()));
            out.write('\n');
        }
        out.write("data: ");
        out.write(BusJson.event(e));
        out.write("\n\n");
    }

    private static Instant time(String spec) {
        try {
            return OffsetDateTime.parse(spec.trim().replace(' ', 'T')).toInstant();
        } catch (DateTimeParseException e) {
            throw HttpProblem.badRequest("since must be RFC 3339 such as 2026-11-25T13:45:00Z, got '" + spec + "'");
        }
    }

    private HttpProblem failure(TailbusException e) {
        if (io.grpc.Status.fromThrowable(e).getCode() != io.grpc.Status.Code.UNKNOWN) {
            // the server's answer (a missing token is 401, as for the rest of the API), in HTTP's words
            return bus.problem("subscribe", e);
        }
        return switch (e.kind()) {
            case BAD_INPUT -> HttpProblem.badRequest(e.getMessage());
            case UNAVAILABLE -> new HttpProblem(e.getMessage().contains("RESOURCE_EXHAUSTED") ? 429 : 503, e.getMessage());
            default -> new HttpProblem(502, e.getMessage());
        };
    }

    /** Ends every open stream (the face is closing). */
    void closeAll() {
        for (BusSubscriber s : open) {
            s.close();
        }
    }

    int openStreams() {
        return open.size();
    }
}
