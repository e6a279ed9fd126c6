package dev.tailbus.systemtest.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.tailbus.protobus.client.BusEvent;
import dev.tailbus.protobus.client.BusPublisher;
import dev.tailbus.protobus.client.BusSubscriber;
import dev.tailbus.systemtest.Launcher;
import dev.tailbus.systemtest.http.SseStream.Message;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP face of a real {@code bin/protobus-server} process, through the JDK's HTTP client:
 * what is posted is stored and delivered as a gRPC publish, event streams resume with
 * {@code Last-Event-ID} across a restart, and bad input gets a JSON error and stores nothing.
 */
class HttpApiTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path root;

    @Test
    void shouldStorePostedEventsAndServeThemBackOverHttpAndGrpc() throws Exception {
        Path store = Files.createDirectory(root.resolve("store"));
        try (HttpFaceServer server = HttpFaceServer.start(store)) {
            HttpResponse<String> batch = server.postJson("/api/topics/sensors/t1/events", """
                    [{"payload_text": "21.5", "tags": {"unit": "celsius"}},
                     {"payload": "AAEC/w==", "event_time": "2026-11-25T13:45:00Z"},
                     {"payload_text": "héllo \\"quoted\\"\\n"}]""");
            assertThat(batch.statusCode()).as(batch.body()).isEqualTo(200);
            assertThat(positions(batch)).containsExactly(1L, 2L, 3L);
            HttpResponse<String> raw = server.post("/api/topics/sensors/t2/events?tag=host=a", "application/octet-stream",
                    "raw bytes".getBytes(StandardCharsets.UTF_8));
            assertThat(raw.statusCode()).as(raw.body()).isEqualTo(200);
            assertThat(positions(raw)).containsExactly(4L);

            JsonObject listing = server.json("/api/topics").getAsJsonObject();
            assertThat(listing.get("last_position").getAsLong()).isEqualTo(4);
            JsonArray topics = listing.getAsJsonArray("topics");
            assertThat(topics).hasSize(2);
            assertThat(topics.get(0).getAsJsonObject().get("topic").getAsString()).isEqualTo("sensors/t1");
            assertThat(topics.get(0).getAsJsonObject().get("events").getAsLong()).isEqualTo(3);
            assertThat(topics.get(0).getAsJsonObject().get("last_position").getAsLong()).isEqualTo(3);
            assertThat(topics.get(1).getAsJsonObject().get("events").getAsLong()).isEqualTo(1);
            // The same objects as `tailbus topics --format json` prints.
            assertThat(topics.get(0).getAsJsonObject().keySet()).containsExactly("topic", "events", "bytes",
                    "first_position", "last_position", "first_time", "last_time");

            try (SseStream history = SseStream.open(server.client, server.uri("/api/events?pattern=sensors/&history=10"), null)) {
                assertThat(history.status).isEqualTo(200);
                assertThat(history.contentType).startsWith("text/event-stream");
                List<Message> got = history.next(4, WAIT);
                assertThat(got).extracting(Message::id).containsExactly("1", "2", "3", "4");
                assertThat(got.get(0).data().get("payload_text").getAsString()).isEqualTo("21.5");
                assertThat(got.get(0).data().getAsJsonObject("tags").get("unit").getAsString()).isEqualTo("celsius");
                assertThat(got.get(0).data().get("position").getAsLong()).isEqualTo(1);
                assertThat(got.get(1).data().get("payload").getAsString()).isEqualTo("AAEC/w==");
                assertThat(got.get(1).data().get("event_time").getAsString()).isEqualTo("2026-11-25T13:45:00.000000000Z");
                assertThat(got.get(2).data().get("payload_text").getAsString()).isEqualTo("héllo \"quoted\"\n");
                assertThat(got.get(3).data().get("topic").getAsString()).isEqualTo("sensors/t2");
                assertThat(got.get(3).data().getAsJsonObject("tags").get("host").getAsString()).isEqualTo("a");
                // The keys of `tailbus subscribe`'s lines, in order.
                assertThat(got.get(0).data().keySet()).containsExactly("topic", "tags", "event_time", "transmit_time",
                        "receive_time", "position", "payload_size", "payload_type", "payload", "payload_text");
            }

            // A gRPC subscriber sees exactly what was posted.
            try (BusSubscriber grpc = BusSubscriber.builder("127.0.0.1:" + server.process.port())
                    .topics("sensors/").history(10).build()) {
                List<BusEvent> events = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    events.add(grpc.poll(WAIT));
                }
                assertThat(events).extracting(BusEvent::position).containsExactly(1L, 2L, 3L, 4L);
                assertThat(new String(events.get(0).payloadBytes(), StandardCharsets.UTF_8)).isEqualTo("21.5");
                assertThat(events.get(1).payloadBytes()).containsExactly(0, 1, 2, 0xff);
                assertThat(new String(events.get(3).payloadBytes(), StandardCharsets.UTF_8)).isEqualTo("raw bytes");
                assertThat(events.get(3).tags()).isEqualTo(Map.of("host", "a"));
                assertThat(events.get(0).transmitTime()).isNotNull();
            }
        }
    }

    @Test
    void shouldStreamLiveEventsPublishedOverGrpcAndSendHeartbeatsWhenIdle() throws Exception {
        Path store = Files.createDirectory(root.resolve("store"));
        try (HttpFaceServer server = HttpFaceServer.start(store, "--http-heartbeat", "200ms");
             SseStream live = SseStream.open(server.client, server.uri("/api/events?pattern=live/"), null)) {
            await().atMost(WAIT).until(() -> live.comments().contains("heartbeat"));
            try (BusPublisher publisher = BusPublisher.builder("127.0.0.1:" + server.process.port()).build()) {
                publisher.publish(BusEvent.of("other", "not matched".getBytes(StandardCharsets.UTF_8)));
                for (int i = 0; i < 3; i++) {
                    publisher.publish(BusEvent.of("live/" + i, ("event " + i).getBytes(StandardCharsets.UTF_8)));
                }
            }
            List<Message> got = live.next(3, WAIT);
            assertThat(got).extracting(m -> m.data().get("payload_text").getAsString())
                    .containsExactly("event 0", "event 1", "event 2");
            assertThat(got).extracting(Message::id).containsExactly("2", "3", "4");
            JsonObject facts = server.json("/api/server").getAsJsonObject();
            assertThat(facts.get("event_streams").getAsInt()).isEqualTo(1);
            assertThat(facts.get("subscriptions").getAsInt()).isGreaterThanOrEqualTo(1);
            assertThat(facts.get("store").getAsString()).contains(store.toString());
            assertThat(facts.get("flush").getAsString()).isEqualTo("none");
            live.close();
            await().atMost(WAIT).until(() -> server.json("/api/server").getAsJsonObject()
                    .get("event_streams").getAsInt() == 0);

            // A client that goes away without a word (its socket closed, as a crashed browser's
            // is): the next heartbeat's write fails and its subscription is released.
            try (java.net.Socket gone = new java.net.Socket("127.0.0.1", server.httpPort)) {
                gone.getOutputStream().write(("GET /api/events?pattern=quiet HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(
                        gone.getInputStream(), StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null && !line.endsWith(": subscribed")) {
                    // headers and the chunk size
                }
                assertThat(server.json("/api/server").getAsJsonObject().get("event_streams").getAsInt()).isEqualTo(1);
            }
            await().atMost(WAIT).until(() -> server.json("/api/server").getAsJsonObject()
                    .get("event_streams").getAsInt() == 0);
        }
    }

    @Test
    void shouldLetASlowStreamFallBehindWithoutHoldingUpPublishersAndCatchUpWithNothingLost() throws Exception {
        Path store = Files.createDirectory(root.resolve("store"));
        int n = 3_000;
        try (HttpFaceServer server = HttpFaceServer.start(store)) {
            HttpResponse<java.io.InputStream> answer = server.client.send(java.net.http.HttpRequest.newBuilder(
                    server.uri("/api/events?pattern=slow")).build(), HttpResponse.BodyHandlers.ofInputStream());
            try (java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(answer.body(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null && !line.equals(": subscribed")) {
                    // the stream's preamble
                }
                // About 28 MB of event stream while this client reads nothing: far more than the
                // sockets, the gRPC window and the subscriber's queue hold, so the server must read
                // the rest from the log later. The publisher is not held up meanwhile.
                byte[] payload = "p".repeat(4000).getBytes(StandardCharsets.UTF_8);
                try (BusPublisher publisher = BusPublisher.builder("127.0.0.1:" + server.process.port()).build()) {
                    for (int i = 0; i < n; i++) {
                        publisher.publishAsync(BusEvent.of("slow", payload));
                    }
                    publisher.flush();
                }
                long expected = 1;
                while (expected <= n && (line = in.readLine()) != null) {
                    if (line.startsWith("id: ")) {
                        assertThat(Long.parseLong(line.substring(4))).isEqualTo(expected);
                        expected++;
                    }
                }
                assertThat(expected - 1).isEqualTo(n);
            }
        }
    }

    @Test
    void shouldResumeAStreamAfterLastEventIdAcrossAServerRestartWithNothingLostOrRepeated() throws Exception {
        Path store = Files.createDirectory(root.resolve("store"));
        int grpcPort;
        int httpPort;
        String lastSeen;
        try (HttpFaceServer first = HttpFaceServer.start(store)) {
            grpcPort = first.process.port();
            httpPort = first.httpPort;
            assertThat(first.postJson("/api/topics/r/events", events(0, 5)).statusCode()).isEqualTo(200);
            try (SseStream stream = SseStream.open(first.client, first.uri("/api/events?pattern=r&history=100"), null)) {
                List<Message> got = stream.next(3, WAIT); // the client has read three of five
                assertThat(got).extracting(m -> m.data().get("payload_text").getAsString()).containsExactly("0", "1", "2");
                lastSeen = got.get(2).id();
            }
        }
        // The same store, the same address: what a browser's EventSource reconnects to.
        try (HttpFaceServer second = HttpFaceServer.startOn(grpcPort, httpPort, store)) {
            assertThat(second.postJson("/api/topics/r/events", events(5, 3)).statusCode()).isEqualTo(200);
            // Last-Event-ID wins over the URL's history, as when EventSource reconnects to the same URL.
            try (SseStream resumed = SseStream.open(second.client, second.uri("/api/events?pattern=r&history=100"),
                    lastSeen)) {
                List<Message> got = resumed.next(5, WAIT);
                assertThat(got).extracting(m -> m.data().get("payload_text").getAsString())
                        .containsExactly("3", "4", "5", "6", "7");
                assertThat(second.postJson("/api/topics/r/events", events(8, 1)).statusCode()).isEqualTo(200);
                // the next message is the new one: nothing repeated in between
                assertThat(resumed.next(WAIT).data().get("payload_text").getAsString()).isEqualTo("8");
                assertThat(Long.parseLong(got.getFirst().id())).isEqualTo(Long.parseLong(lastSeen) + 1);
            }
        }
    }

    @Test
    void shouldApplyTheServersAccessTokensToHttpRequests() throws Exception {
        Path store = Files.createDirectory(root.resolve("store"));
        Path tokens = Files.writeString(root.resolve("tokens"), """
                publisher-token-0001 publish=allowed/
                reader-token-0000001 subscribe=allowed/
                """);
        Files.setPosixFilePermissions(tokens, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        try (HttpFaceServer server = HttpFaceServer.start(store, "--auth-tokens", tokens.toString())) {
            String body = "[{\"payload_text\": \"x\"}]";
            assertError(server.postJson("/api/topics/allowed/a/events", body), 401, "no access token");
            assertError(as(server, "Bearer unknown-token-000001", "/api/topics/allowed/a/events", body), 401,
                    "unknown access token");
            assertError(as(server, "Bearer reader-token-0000001", "/api/topics/allowed/a/events", body), 403,
                    "may not publish");
            assertError(as(server, "Bearer publisher-token-0001", "/api/topics/other/a/events", body), 403,
                    "may not publish to topic 'other/a'");
            HttpResponse<String> allowed = as(server, "Bearer publisher-token-0001", "/api/topics/allowed/a/events", body);
            assertThat(allowed.statusCode()).as(allowed.body()).isEqualTo(200);
            assertThat(positions(allowed)).containsExactly(1L);

            assertError(server.get("/api/topics"), 401, "no access token");
            // an event stream without a token is refused as the API is: 401 naming the problem, no stream
            try (SseStream refused = SseStream.open(server.client, server.uri("/api/events?history=5"), null)) {
                assertThat(refused.status).isEqualTo(401);
                assertThat(refused.contentType).startsWith("application/json");
            }
            assertError(server.get("/api/events?history=5"), 401, "no access token");
            try (SseStream stream = SseStream.open(server.client, server.uri("/api/events?pattern=allowed/&history=5"),
                    null, "Bearer reader-token-0000001")) {
                assertThat(stream.status).isEqualTo(200);
                assertThat(stream.next(WAIT).data().get("topic").getAsString()).isEqualTo("allowed/a");
            }
        }
    }

    private static HttpResponse<String> as(HttpFaceServer server, String authorization, String path, String json)
            throws IOException, InterruptedException {
        return server.client.send(java.net.http.HttpRequest.newBuilder(server.uri(path)).timeout(WAIT)
                .header("Content-Type", "application/json").header("Authorization", authorization)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldAnswerBodiesThatStallOrTrickleWith408AndLetAnotherPublisherThrough() throws Exception {
        Path store = Files.createDirectory(root.resolve("store"));
        try (HttpFaceServer server = HttpFaceServer.start(store, "--http-request-timeout", "1s")) {
            List<Socket> slow = new ArrayList<>();
            AtomicBoolean trickling = new AtomicBoolean(true);
            Thread trickle = null;
            try {
                // as many as there are publishing slots: each sends its headers and the start of its body
                for (int i = 0; i < 4; i++) {
                    Socket s = new Socket("127.0.0.1", server.httpPort);
                    s.setSoTimeout((int) WAIT.toMillis());
                    slow.add(s);
                    s.getOutputStream().write(("POST /api/topics/slow/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            + "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{\"payload_text\": \"")
                            .getBytes(StandardCharsets.US_ASCII));
                }
                // three stop there; the fourth goes on a byte at a time, far too slowly to finish in time
                OutputStream last = slow.getLast().getOutputStream();
                trickle = Thread.ofVirtual().start(() -> {
                    try {
                        while (trickling.get()) {
                            last.write('x');
                            last.flush();
                            Thread.sleep(100); // the pace of the trickle
                        }
                    } catch (IOException | InterruptedException e) {
                        // the server closed the connection: the trickle ends
                    }
                });

                HttpResponse<String> other = server.postJson("/api/topics/other/events", "[{\"payload_text\": \"through\"}]");
                assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
                for (Socket s : slow.subList(0, 3)) {
                    // the answer, then the server closes the connection (the rest of the body is not awaited)
                    String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    assertThat(answer).startsWith("HTTP/1.1 408").contains("application/json")
                            .contains("\"status\":408").contains("did not arrive whole within 1 s");
                }
                // The trickle is answered alike, but the bytes it goes on sending to the closed
                // connection draw a reset, which may reach its socket before it reads the answer:
                // that the server closed it is what counts.
                trickle.join(WAIT);
                assertThat(trickle.isAlive()).as("the trickle's connection was closed").isFalse();
            } finally {
                trickling.set(false);
                for (Socket s : slow) {
                    s.close();
                }
                if (trickle != null) {
                    trickle.join(WAIT);
                }
            }
            HttpResponse<String> after = server.postJson("/api/topics/other/events", "[{\"payload_text\": \"again\"}]");
            assertThat(after.statusCode()).as(after.body()).isEqualTo(200);
            // the late bodies' connections alone were closed: another request's is kept open
            try (Socket keep = new Socket("127.0.0.1", server.httpPort)) {
                keep.setSoTimeout((int) WAIT.toMillis());
                keep.getOutputStream().write("GET /api/topics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(
                        keep.getInputStream(), StandardCharsets.US_ASCII));
                List<String> head = new ArrayList<>();
                for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                    head.add(line.toLowerCase(java.util.Locale.ROOT));
                }
                assertThat(head.getFirst()).startsWith("http/1.1 200");
                assertThat(head).doesNotContain("connection: close");
            }
            JsonArray topics = server.json("/api/topics").getAsJsonObject().getAsJsonArray("topics");
            assertThat(topics).hasSize(1);
            assertThat(topics.get(0).getAsJsonObject().get("topic").getAsString()).isEqualTo("other");
            assertThat(topics.get(0).getAsJsonObject().get("events").getAsLong()).isEqualTo(2);
        }
    }

    @Test
    void shouldCloseAConnectionWhoseHeadersDoNotArriveAndServeOthersMeanwhile() throws Exception {
        Path store = Files.createDirectory(root.resolve("store"));
        try (HttpFaceServer server = HttpFaceServer.start(store, "--http-request-timeout", "1s");
             Socket slow = new Socket("127.0.0.1", server.httpPort)) {
            slow.setSoTimeout((int) WAIT.toMillis());
            // a slowloris client: part of its headers, then nothing
            slow.getOutputStream().write("GET /api/topics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
                    .getBytes(StandardCharsets.US_ASCII));
            assertThat(server.get("/api/topics").statusCode()).isEqualTo(200);
            long start = System.nanoTime();
            assertThat(slow.getInputStream().read()).as("the server closes the connection").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(WAIT);
            assertThat(server.get("/api/topics").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void shouldRefuseBadInputWithAJsonErrorStoreNothingAndKeepServing() throws Exception {
        Path store = Files.createDirectory(root.resolve("store"));
        try (HttpFaceServer server = HttpFaceServer.start(store, "--max-event-size", "1k")) {
            assertError(server.get("/api/events?pattern=broken(["), 400, "invalid topic regex 'broken(['");
            assertError(server.get("/api/events?history=-1"), 400, "history");
            assertError(server.get("/api/events?history=1&after=2"), 400, "at most one of");
            assertError(server.get("/api/events?since=yesterday"), 400, "RFC 3339");
            assertError(server.get("/api/events?patern=x"), 400, "unknown query parameter 'patern'");
            assertError(server.postJson("/api/topics/%2E%2E%2Fescape/events", "[{\"payload_text\":\"x\"}]"), 400, "'..'");
            assertError(server.postJson("/api/topics/%2Fabs/events", "[{\"payload_text\":\"x\"}]"), 400, "absolute");
            assertError(server.postJson("/api/topics//events", "[{\"payload_text\":\"x\"}]"), 400, "empty");
            assertError(server.post("/api/topics/big/events", "application/octet-stream", new byte[2000]), 413,
                    "over the limit of 1024 bytes");
            assertError(server.postJson("/api/topics/big/events", "[{\"payload_text\":\"" + "x".repeat(1100) + "\"}]"),
                    413, "--max-event-size");
            assertError(server.postJson("/api/topics/json/events", "[{\"payload_text\": \"a\"}"), 400, "malformed JSON");
            assertError(server.postJson("/api/topics/json/events", "[{payload_text: 'a'}]"), 400, "malformed JSON");
            assertError(server.postJson("/api/topics/json/events", "[]"), 400, "no event");
            assertError(server.postJson("/api/topics/json/events", "[{\"payload\": \"not base64!\"}]"), 400, "base64");
            assertError(server.postJson("/api/topics/json/events", "[{\"text\": \"a\"}]"), 400, "unknown field 'text'");
            // one bad event in a batch: none of the batch is stored
            assertError(server.postJson("/api/topics/json/events",
                    "[{\"payload_text\": \"good\"}, {\"payload_text\": \"x\", \"tags\": {\"n\": 1}}]"), 400, "event 1");
            assertError(server.get("/nowhere"), 404, "no such path: /nowhere");
            assertError(server.get("/api/topics/x/events"), 405, "use POST");
            HttpResponse<String> delete = server.client.send(java.net.http.HttpRequest.newBuilder(server.uri("/api/topics"))
                    .DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertError(delete, 405, "method DELETE is not allowed");
            assertThat(delete.headers().firstValue("Allow")).hasValue("GET, HEAD");

            assertError(server.postJson("/api/topics/events", "[{\"payload_text\":\"x\"}]"), 400, "empty");
            // a page of another site (a plain form can post text to localhost) may not publish
            HttpResponse<String> crossSite = server.client.send(java.net.http.HttpRequest.newBuilder(
                            server.uri("/api/topics/x/events")).header("Origin", "http://elsewhere.example")
                    .header("Content-Type", "text/plain").POST(java.net.http.HttpRequest.BodyPublishers.ofString("x"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertError(crossSite, 403, "another origin");

            JsonObject listing = server.json("/api/topics").getAsJsonObject();
            assertThat(listing.getAsJsonArray("topics")).isEmpty();
            assertThat(listing.get("last_position").getAsLong()).isZero();
            try (var files = Files.walk(store)) {
                assertThat(files.filter(f -> f.toString().endsWith(".pb"))).isEmpty();
            }
            assertThat(Files.exists(root.resolve("escape.pb"))).isFalse();
            // both faces still serve
            assertThat(server.postJson("/api/topics/ok/events", "[{\"payload_text\": \"fine\"}]").statusCode()).isEqualTo(200);
            try (BusPublisher publisher = BusPublisher.builder("127.0.0.1:" + server.process.port()).build()) {
                publisher.publish(BusEvent.of("ok", "over gRPC".getBytes(StandardCharsets.UTF_8)));
            }
            assertThat(server.json("/api/topics").getAsJsonObject().getAsJsonArray("topics").get(0).getAsJsonObject()
                    .get("events").getAsLong()).isEqualTo(2);
            assertThat(server.process.process().isAlive()).isTrue();
        }
    }

    @Test
    void shouldRefuseABadHttpFlagInOneLineWithExitStatus2() throws Exception {
        Path store = Files.createDirectory(root.resolve("store"));
        for (String[] flag : List.of(new String[] {"--http-request-timeout", "0s"},
                new String[] {"--http-request-timeout", "soon"}, new String[] {"--http-heartbeat", "-1s"})) {
            Launcher.Result r = Launcher.run(Launcher.command("tailbus", "protobus-server", "--address", "127.0.0.1:0",
                    "--store-root", store.toString(), "--http-address", "127.0.0.1:0", flag[0], flag[1]),
                    new byte[0], WAIT);
            assertThat(r.stderr().lines().filter(l -> !l.isBlank()).toList()).containsExactly("tailbus protobus-server: "
                    + flag[0] + ": '" + flag[1] + "' is not a positive duration such as 500ms, 10s, 36h or 7d");
            assertThat(r.exitStatus()).isEqualTo(2);
        }
    }

    private static String events(int from, int n) {
        JsonArray array = new JsonArray();
        IntStream.range(from, from + n).forEach(i -> {
            JsonObject o = new JsonObject();
            o.addProperty("payload_text", Integer.toString(i));
            array.add(o);
        });
        return array.toString();
    }

    private static List<Long> positions(HttpResponse<String> answer) {
        List<Long> all = new ArrayList<>();
        for (JsonElement p : JsonParser.parseString(answer.body()).getAsJsonObject().getAsJsonArray("positions")) {
            all.add(p.getAsLong());
        }
        return all;
    }

    private static void assertError(HttpResponse<String> answer, int status, String naming) {
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(status);
        assertThat(answer.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        JsonObject body = JsonParser.parseString(answer.body()).getAsJsonObject();
        assertThat(body.get("status").getAsInt()).isEqualTo(status);
        assertThat(body.get("error").getAsString()).contains(naming);
    }
}
