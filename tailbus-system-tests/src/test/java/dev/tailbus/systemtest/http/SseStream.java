package dev.tailbus.systemtest.http;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A Server-Sent Events client on the JDK's HTTP client, reading as the specification says (lines
 * {@code id:}, {@code data:}, {@code event:}, comments, a blank line ending each message), so that
 * tests see exactly what a browser's EventSource would. Closing it closes the connection.
 */
final class SseStream implements AutoCloseable {
    /** One message: its id (null when none), its event type and its data parsed as JSON. */
    record Message(String id, String type, JsonObject data) {
    }

    final int status;
    final String contentType;
    private final InputStream body;
    private final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
    private final List<String> comments = java.util.Collections.synchronizedList(new ArrayList<>());
    private final Thread reader;

    private SseStream(HttpResponse<InputStream> response) {
        this.status = response.statusCode();
        this.contentType = response.headers().firstValue("Content-Type").orElse("");
        this.body = response.body();
        this.reader = Thread.ofVirtual().start(this::read);
    }

    /** Opens {@code uri}, with {@code Last-Event-ID} when {@code lastEventId} is not null. */
    static SseStream open(HttpClient client, URI uri, String lastEventId) throws IOException, InterruptedException {
        return open(client, uri, lastEventId, null);
    }

    /** Opens {@code uri} as {@link #open(HttpClient, URI, String)}, with {@code Authorization} when not null. */
    static SseStream open(HttpClient client, URI uri, String lastEventId, String authorization)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Accept", "text/event-stream");
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        return new SseStream(client.send(request.build(), HttpResponse.BodyHandlers.ofInputStream()));
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String id = null;
            String type = "message";
            StringBuilder data = null;
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    if (data != null) {
                        messages.add(new Message(id, type, JsonParser.parseString(data.toString()).getAsJsonObject()));
                    }
                    id = null;
                    type = "message";
                    data = null;
                } else if (line.startsWith(":")) {
                    comments.add(line.substring(1).trim());
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).trim();
                } else if (line.startsWith("event:")) {
                    type = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    String d = line.substring(5);
                    d = d.startsWith(" ") ? d.substring(1) : d;
                    data = data == null ? new StringBuilder(d) : data.append('\n').append(d);
                }
            }
        } catch (IOException e) {
            // closed
        }
        messages.add("end");
    }

    /** The next message within {@code timeout}; fails when none came or the stream ended. */
    Message next(Duration timeout) throws InterruptedException {
        Object m = messages.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (m == null) {
            throw new AssertionError("no event within " + timeout);
        }
        if (m instanceof Message message) {
            return message;
        }
        messages.add(m);
        throw new AssertionError("the stream ended");
    }

    /** The next {@code n} messages. */
    List<Message> next(int n, Duration timeout) throws InterruptedException {
        List<Message> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(next(timeout));
        }
        return all;
    }

    List<String> comments() {
        synchronized (comments) {
            return List.copyOf(comments);
        }
    }

    @Override
    public void close() throws IOException {
        body.close();
        try {
            reader.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
