package dev.tailbus.http;

import com.google.gson.stream.JsonWriter;
import com.sun.net.httpserver.HttpExchange;
import dev.tailbus.protobus.client.BusJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Writes the face's answers: JSON bodies, JSON errors ({@code {"error": "...", "status": N}}),
 * and reads request bodies within a size limit and a deadline.
 *
 * <p>Design note: the JDK's server reads a body with a blocking read that has no timeout, so a
 * body is read on a thread of its own while the request's thread waits for it with the deadline.
 * A body late at the deadline is answered 408 and only then is its read stopped: interrupting the
 * reader closes the connection (a body that will not arrive cannot be drained to reuse it), and
 * closing it before the answer is out would lose the answer.
 */
final class HttpAnswers {
    private static final String JSON = "application/json; charset=utf-8";
    private HttpAnswers() {
    }

    /** Sends {@code status} with the JSON that {@code body} writes. */
    static void json(HttpExchange exchange, int status, BusJson.JsonPart body) throws IOException {
        send(exchange, status, JSON, BusJson.write(body).getBytes(StandardCharsets.UTF_8));
    }

    /** Sends the JSON error for {@code problem}. */
    static void error(HttpExchange exchange, HttpProblem problem) throws IOException {
        send(exchange, problem.status(), JSON, errorBody(problem.status(), problem.getMessage()), problem.lateReader());
    }

    /** Sends a JSON error: the status and a message naming the problem. */
    static void error(HttpExchange exchange, int status, String message) throws IOException {
        send(exchange, status, JSON, errorBody(status, message), null);
    }

    private static byte[] errorBody(int status, String message) {
        return BusJson.write((JsonWriter w) -> w.beginObject()
                .name("error").value(message)
                .name("status").value(status)
                .endObject()).getBytes(StandardCharsets.UTF_8);
    }

    static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        send(exchange, status, contentType, body, null);
    }

    /**
     * Sends the answer; with {@code abandoned} (the thread still reading a late request body),
     * stops that read once the answer is out, closing the connection.
     */
    private static void send(HttpExchange exchange, int status, String contentType, byte[] body, Thread abandoned)
            throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        if (abandoned == null) {
            exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
            return;
        }
        exchange.getResponseHeaders().set("Connection", "close");
        OutputStream out = exchange.getResponseBody();
        try {
            exchange.sendResponseHeaders(status, body.length);
            out.write(body);
            out.flush();
        } finally {
            // closing the answer would first drain the body that does not come: stop its read before
            try {
                stop(abandoned);
            } finally {
                out.close();
            }
        }
    }

    /** Stops the read of an abandoned body, which closes its connection. */
    private static void stop(Thread reader) throws InterruptedIOException {
        reader.interrupt();
        try {
            reader.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while ending a late request body's read");
        }
    }

    /**
     * The request body, at most {@code limit} bytes, arrived whole by {@code deadline} (of
     * {@link System#nanoTime()}; {@code timeout} is the limit that set it, named in the answer).
     *
     * @throws HttpProblem 413 when the body is longer, 408 when it is late (the answer to it then
     *                     closes the connection)
     */
    static byte[] body(HttpExchange exchange, long limit, String what, long deadline, Duration timeout)
            throws IOException {
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            try {
                if (Long.parseLong(declared.trim()) > limit) {
                    throw tooLarge(limit, what);
                }
            } catch (NumberFormatException e) {
                throw HttpProblem.badRequest("Content-Length is not a number: " + declared);
            }
        }
        InputStream in = exchange.getRequestBody();
        int most = (int) Math.min(Integer.MAX_VALUE - 8, limit + 1);
        FutureTask<byte[]> reading = new FutureTask<>(() -> in.readNBytes(most));
        Thread reader = Thread.ofVirtual().name("tailbus-http-body").start(reading);
        byte[] bytes;
        try {
            bytes = reading.get(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new HttpProblem(408, what + " did not arrive whole within " + text(timeout)
                    + " (--http-request-timeout)", reader);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io; // the client went away
            }
            throw new IllegalStateException("reading the request body failed", e.getCause());
        } catch (InterruptedException e) {
            reader.interrupt();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while reading the request body");
        }
        if (bytes.length > limit) {
            // the rest is drained after the answer, when the publishing slot is free again
            throw tooLarge(limit, what);
        }
        in.close(); // at its end already
        return bytes;
    }

    /** A duration as an operator wrote it: {@code 10 s}, {@code 1500 ms}. */
    private static String text(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    private static HttpProblem tooLarge(long limit, String what) {
        return new HttpProblem(413, what + " is over the limit of " + limit + " bytes");
    }
}
