package dev.tailbus.http;

import com.google.gson.stream.JsonWriter;
import com.sun.net.httpserver.HttpExchange;
import dev.tailbus.protobus.client.BusJson;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes the face's answers: JSON bodies, JSON errors ({@code {"error": "...", "status": N}}),
 * and reads request bodies within a limit.
 */
final class HttpAnswers {
    private HttpAnswers() {
    }

    /** Sends {@code status} with the JSON that {@code body} writes. */
    static void json(HttpExchange exchange, int status, BusJson.JsonPart body) throws IOException {
        send(exchange, status, "application/json; charset=utf-8",
                BusJson.write(body).getBytes(StandardCharsets.UTF_8));
    }

    /** Sends the JSON error for {@code problem}. */
    static void error(HttpExchange exchange, HttpProblem problem) throws IOException {
        error(exchange, problem.status(), problem.getMessage());
    }

    /** Sends a JSON error: the status and a message naming the problem. */
    static void error(HttpExchange exchange, int status, String message) throws IOException {
        json(exchange, status, (JsonWriter w) -> w.beginObject()
                .name("error").value(message)
                .name("status").value(status)
                .endObject());
    }

    static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
        if (exchange.getRequestMethod().equals("HEAD")) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    /**
     * The request body, at most {@code limit} bytes.
     *
     * @throws HttpProblem 413 when the body is longer
     */
    static byte[] body(HttpExchange exchange, long limit, String what) throws IOException {
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
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (bytes.length > limit) {
                throw tooLarge(limit, what);
            }
            return bytes;
        }
    }

    private static HttpProblem tooLarge(long limit, String what) {
        return new HttpProblem(413, what + " is over the limit of " + limit + " bytes");
    }
}
