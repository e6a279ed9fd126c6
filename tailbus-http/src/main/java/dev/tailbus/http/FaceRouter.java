package dev.tailbus.http;

import com.google.gson.stream.JsonWriter;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.tailbus.protobus.admin.proto.ListTopicsResponse;
import dev.tailbus.protobus.admin.proto.ServerInfoResponse;
import dev.tailbus.protobus.admin.proto.TopicInfo;
import dev.tailbus.protobus.client.BusJson;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Every request of the face: finds the resource by path and method and answers it, or answers a
 * JSON error (400 bad input, 404 unknown path, 405 wrong method with {@code Allow}, 413 too
 * large, 5xx when the server cannot be reached). A failing request never stops the face. At most
 * {@value #CONCURRENT_PUBLISHES} publishing requests hold their bodies at once, so memory stays
 * bounded however many clients post. A publish has {@link HttpFaceConfig#requestTimeout()} to
 * get a slot (else 503), then as long for its body to arrive whole (else 408), so that stalled
 * clients cannot keep the slots; both come before the JDK server's own limit on a request
 * ({@link HttpFace#limitRequestTime}: a little over both) would close the connection unanswered.
 *
 * <pre>
 *   GET  /api/topics[?pattern=RE...]          the stored topics, as tailbus topics --format json
 *   POST /api/topics/{topic}/events           publish: raw payload bytes, or a JSON array of events
 *   GET  /api/events?pattern=RE&amp;history=N...  Server-Sent Events (see EventStream)
 *   GET  /api/server                          version, uptime, store, patterns, flush, open calls
 *   GET  /                                    the web console
 * </pre>
 */
final class FaceRouter implements HttpHandler {
    private static final System.Logger LOG = System.getLogger(FaceRouter.class.getName());
    private static final String TOPICS = "/api/topics";
    private static final String EVENTS_SUFFIX = "/events";

    /** Publishing requests whose bodies are read and converted at once; more wait. */
    static final int CONCURRENT_PUBLISHES = 4;

    private final Semaphore publishing = new Semaphore(CONCURRENT_PUBLISHES, true);
    private final BusBridge bus;
    private final EventStream events;
    private final ConsoleFiles console;
    private final HttpFaceConfig config;
    private final String httpAddress;

    FaceRouter(BusBridge bus, EventStream events, ConsoleFiles console, HttpFaceConfig config, String httpAddress) {
        this.bus = bus;
        this.events = events;
        this.console = console;
        this.config = config;
        this.httpAddress = httpAddress;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            try {
                route(exchange);
            } catch (HttpProblem p) {
                HttpAnswers.error(exchange, p);
            } catch (IOException e) {
                throw e; // the client went away: nothing to answer
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "HTTP " + exchange.getRequestMethod() + " "
                        + exchange.getRequestURI().getRawPath() + " failed", e);
                HttpAnswers.error(exchange, 500, "internal error");
            }
        } catch (IOException e) {
            // the client closed the connection
        }
    }

    private void route(HttpExchange exchange) throws IOException {
        URI uri = exchange.getRequestURI();
        String path = uri.getPath();
        String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
        if (path == null) {
            throw new HttpProblem(404, "no such path");
        }
        if (!method.equals("GET") && !method.equals("HEAD")) {
            refuseCrossSite(exchange);
        }
        Query query = Query.parse(uri.getRawQuery());
        if (path.equals(TOPICS) || path.equals(TOPICS + "/")) {
            allow(exchange, method, "GET");
            topics(exchange, query);
        } else if (path.startsWith(TOPICS + "/") && path.endsWith(EVENTS_SUFFIX)) {
            allow(exchange, method, "POST");
            int from = TOPICS.length() + 1;
            int to = path.length() - EVENTS_SUFFIX.length();
            String topic = to > from ? path.substring(from, to) : ""; // /api/topics/events: no topic
            publish(exchange, query, topic);
        } else if (path.equals("/api/events")) {
            if (!method.equals("GET")) {
                exchange.getResponseHeaders().set("Allow", "GET");
                throw new HttpProblem(405, "method " + method + " is not allowed on /api/events; use GET");
            }
            events.serve(exchange, query);
        } else if (path.equals("/api/server")) {
            allow(exchange, method, "GET");
            query.only(Set.of());
            server(exchange);
        } else if (console.has(path)) {
            allow(exchange, method, "GET");
            console.serve(exchange, path);
        } else {
            throw new HttpProblem(404, "no such path: " + path + " (the API is under /api: topics, "
                    + "topics/{topic}/events, events, server)");
        }
    }

    /**
     * A browser says where a request comes from: a page of another site may not publish here (a
     * plain form can post any body to localhost). Clients that are not browsers send neither header.
     */
    private static void refuseCrossSite(HttpExchange exchange) {
        String site = exchange.getRequestHeaders().getFirst("Sec-Fetch-Site");
        if (site != null && site.equalsIgnoreCase("cross-site")) {
            throw new HttpProblem(403, "a page of another site may not publish here");
        }
        String origin = exchange.getRequestHeaders().getFirst("Origin");
        String host = exchange.getRequestHeaders().getFirst("Host");
        if (origin != null && (host == null || !(origin.equalsIgnoreCase("http://" + host)
                || origin.equalsIgnoreCase("https://" + host)))) {
            throw new HttpProblem(403, "a page of another origin (" + origin + ") may not publish here");
        }
    }

    static String authorization(HttpExchange exchange) {
        return exchange.getRequestHeaders().getFirst("Authorization");
    }

    private static void allow(HttpExchange exchange, String method, String allowed) {
        if (!method.equals(allowed) && !(allowed.equals("GET") && method.equals("HEAD"))) {
            exchange.getResponseHeaders().set("Allow", allowed.equals("GET") ? "GET, HEAD" : allowed);
            throw new HttpProblem(405, "method " + method + " is not allowed on " + exchange.getRequestURI().getPath()
                    + "; use " + allowed);
        }
    }

    private void topics(HttpExchange exchange, Query query) throws IOException {
        query.only(Set.of("pattern"));
        List<String> patterns = query.all("pattern");
        ListTopicsResponse answer = bus.topics(authorization(exchange), patterns);
        HttpAnswers.json(exchange, 200, (JsonWriter w) -> {
            w.beginObject();
            w.name("last_position").value(answer.getLastPosition());
            w.name("topics").beginArray();
            for (TopicInfo t : answer.getTopicsList()) {
                BusJson.topic(w, t);
            }
            w.endArray();
            w.endObject();
        });
    }

    private void publish(HttpExchange exchange, Query query, String topic) throws IOException {
        query.only(Set.of("tag"));
        // Bodies are read whole: a few at a time bound the memory however many clients post.
        try {
            if (!publishing.tryAcquire(config.requestTimeout().toNanos(), TimeUnit.NANOSECONDS)) {
                throw new HttpProblem(503, "too many publishes at once; try again");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HttpProblem(503, "interrupted");
        }
        try {
            publishHeld(exchange, query, topic, System.nanoTime() + config.requestTimeout().toNanos());
        } finally {
            publishing.release();
        }
    }

    private void publishHeld(HttpExchange exchange, Query query, String topic, long deadline) throws IOException {
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        boolean json = type != null && type.toLowerCase(Locale.ROOT).trim().startsWith("application/json");
        List<EncapsulatedEvent> events;
        if (json) {
            PublishedEvents.checkTopic(topic);
            byte[] body = HttpAnswers.body(exchange, config.maxBodyBytes(), "the request body",
                    deadline, config.requestTimeout());
            events = PublishedEvents.json(topic, body, query.tags(), config.maxEventBytes());
        } else {
            PublishedEvents.checkTopic(topic);
            byte[] body = HttpAnswers.body(exchange, config.maxEventBytes(), "the event's payload",
                    deadline, config.requestTimeout());
            events = PublishedEvents.raw(topic, body, query.tags(), config.maxEventBytes());
        }
        long[] positions = bus.publish(authorization(exchange), events);
        HttpAnswers.json(exchange, 200, (JsonWriter w) -> {
            w.beginObject();
            w.name("topic").value(topic);
            w.name("positions").beginArray();
            for (long p : positions) {
                w.value(p);
            }
            w.endArray();
            w.endObject();
        });
    }

    private void server(HttpExchange exchange) throws IOException {
        ServerInfoResponse info = bus.info(authorization(exchange));
        Instant started = Instant.ofEpochSecond(info.getStarted().getSeconds(), info.getStarted().getNanos());
        HttpAnswers.json(exchange, 200, (JsonWriter w) -> {
            w.beginObject();
            w.name("version").value(info.getVersion());
            w.name("started").value(BusJson.rfc3339(started));
            w.name("uptime_seconds").value(Math.max(0, Duration.between(started, Instant.now()).toSeconds()));
            w.name("store").value(info.getStore());
            w.name("store_patterns").beginArray();
            for (String p : info.getStorePatternsList()) {
                w.value(p);
            }
            w.endArray();
            w.name("flush").value(info.getFlush());
            w.name("max_event_bytes").value(info.getMaxEventBytes());
            w.name("publishers").value(info.getPublishers());
            w.name("subscriptions").value(info.getSubscriptions());
            w.name("event_streams").value(events.openStreams());
            w.name("last_position").value(info.getLastPosition());
            w.name("grpc_address").value(config.busHost() + ":" + config.busPort());
            w.name("http_address").value(httpAddress);
            w.endObject();
        });
    }
}
