package dev.tailbus.systemtest.http;

import static org.awaitility.Awaitility.await;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import dev.tailbus.systemtest.ProtobusServerProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code bin/protobus-server} process with {@code --http-address} on 127.0.0.1, its HTTP port
 * read from the line it logs, and a JDK HTTP client for it. {@link #close()} stops the process.
 */
final class HttpFaceServer implements AutoCloseable {
    private static final Pattern HTTP = Pattern.compile("HTTP API and console on 127\\.0\\.0\\.1:(\\d+)");

    final ProtobusServerProcess process;
    final int httpPort;
    final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private HttpFaceServer(ProtobusServerProcess process, int httpPort) {
        this.process = process;
        this.httpPort = httpPort;
    }

    /** Starts on free ports. */
    static HttpFaceServer start(Path store, String... args) throws Exception {
        return startOn(0, 0, store, args);
    }

    /** Starts on the given ports (0: free ones), as a restart on the same address does. */
    static HttpFaceServer startOn(int grpcPort, int httpPort, Path store, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("--http-address", "127.0.0.1:" + httpPort));
        all.addAll(List.of(args));
        ProtobusServerProcess p = ProtobusServerProcess.startOn(grpcPort, store, List.of(), all.toArray(String[]::new));
        try {
            AtomicInteger port = new AtomicInteger();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                Matcher m = HTTP.matcher(p.stderr());
                if (m.find()) {
                    port.set(Integer.parseInt(m.group(1)));
                }
                return port.get() > 0 || !p.process().isAlive();
            });
            if (port.get() == 0) {
                throw new IllegalStateException("no HTTP face started: " + p.stderr());
            }
            return new HttpFaceServer(p, port.get());
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + httpPort + pathAndQuery);
    }

    HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String pathAndQuery, String contentType, byte[] body) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> postJson(String pathAndQuery, String json) throws IOException, InterruptedException {
        return post(pathAndQuery, "application/json", json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** GET of a JSON document, which must answer 200. */
    JsonElement json(String pathAndQuery) throws IOException, InterruptedException {
        return json(pathAndQuery, null);
    }

    /** GET of a JSON document with an access token (null: none), which must answer 200. */
    JsonElement json(String pathAndQuery, String token) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        HttpResponse<String> r = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new AssertionError("GET " + pathAndQuery + ": " + r.statusCode() + " " + r.body());
        }
        return JsonParser.parseString(r.body());
    }

    @Override
    public void close() throws Exception {
        process.close();
    }
}
