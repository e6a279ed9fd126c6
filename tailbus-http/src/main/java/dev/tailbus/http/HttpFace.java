package dev.tailbus.http;

import com.sun.net.httpserver.HttpServer;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The HTTP/JSON face of a protobus server: a JSON API, Server-Sent Event streams and the web
 * console on one port ({@code protobus-server --http-address}), built on the JDK's own HTTP
 * server with one virtual thread per request.
 *
 * <p>Design note: the face is a gRPC client of the server it fronts (see {@link BusBridge}); it
 * holds no log and no session of its own, so an HTTP publish is stored and delivered exactly as a
 * gRPC one, and an event stream has the server's flow control and bounded memory.
 *
 * <p>{@link #close()} ends the event streams, stops the HTTP server and the gRPC channel;
 * idempotent. Close it before the protobus server.
 */
public final class HttpFace implements Closeable {
    private static final System.Logger LOG = System.getLogger(HttpFace.class.getName());
    /** The JDK server's limit, in seconds, on the time a request may take to arrive (default: none). */
    private static final String JDK_MAX_REQUEST_SECONDS = "sun.net.httpserver.maxReqTime";

    private final HttpServer server;
    private final ExecutorService threads;
    private final BusBridge bus;
    private final EventStream events;
    private final AtomicBoolean closed = new AtomicBoolean();

    private HttpFace(HttpServer server, ExecutorService threads, BusBridge bus, EventStream events) {
        this.server = server;
        this.threads = threads;
        this.bus = bus;
        this.events = events;
    }

    /**
     * Binds {@code config.listen()} and starts serving.
     *
     * @throws HttpFaceException when the address cannot be bound
     */
    public static HttpFace start(HttpFaceConfig config) {
        InetSocketAddress address = config.listen().socketAddress();
        HttpServer server;
        try {
            server = HttpServer.create(address, 128);
        } catch (IOException e) {
            String why = e.getMessage() != null && e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("in use")
                    ? "address already in use" : String.valueOf(e.getMessage());
            throw new HttpFaceException("cannot listen for HTTP on " + config.listen() + ": " + why, e);
        }
        ConsoleFiles console = new ConsoleFiles();
        BusBridge bus = new BusBridge(config.busHost(), config.busPort());
        EventStream events = new EventStream(bus, config.heartbeat(), config.streamCapacity());
        String http = (config.listen().host() == null ? "" : config.listen().host()) + ":" + server.getAddress().getPort();
        server.createContext("/", new FaceRouter(bus, events, console, config, http));
        ExecutorService threads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("tailbus-http-", 0).factory());
        server.setExecutor(threads);
        server.start();
        return new HttpFace(server, threads, bus, events);
    }

    /**
     * Has the JDK's HTTP server close a connection whose request line and headers (or whole
     * request) have not arrived twice {@code timeout} and 2 s after its first byte, so that clients
     * sending headers slowly (slowloris) cannot hold connections, and with them file descriptors
     * the store needs, for ever. The face's own answers come first: a publish waits at most
     * {@link HttpFaceConfig#requestTimeout()} for a slot (503), then as long for its body (408).
     * The JDK reads this limit once,
     * when the first {@code com.sun.net.httpserver} server of the JVM starts: call this before any
     * starts (a metrics endpoint's too). A value given with {@code -D} on the command line wins.
     */
    public static void limitRequestTime(Duration timeout) {
        if (System.getProperty(JDK_MAX_REQUEST_SECONDS) == null) {
            long seconds = (2 * timeout.toMillis() + 999) / 1000 + 2; // twice the timeout, rounded up, and 2 s
            System.setProperty(JDK_MAX_REQUEST_SECONDS, Long.toString(seconds));
        }
    }

    /**
     * Serves {@code handler} at {@code path} beside the API and the console (the server's
     * {@code /metrics}, say); a longer path wins over the console's {@code /}.
     */
    public void serve(String path, com.sun.net.httpserver.HttpHandler handler) {
        server.createContext(path, handler);
    }

    /** The port the face listens on (useful after binding port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Event streams open now. */
    public int openStreams() {
        return events.openStreams();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        events.closeAll();
        server.stop(1);
        threads.shutdownNow();
        bus.close();
        LOG.log(System.Logger.Level.DEBUG, "HTTP face closed");
    }
}
