package dev.tailbus.protobus.server;

import dev.tailbus.core.TailbusException.Kind;
import dev.tailbus.core.log.BusLog;
import dev.tailbus.core.log.EventLog;
import dev.tailbus.protobus.admin.ServerFacts;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerInterceptors;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running protobus server: the log, the gRPC server on a caller-made {@link ServerBuilder}
 * (so that tests choose the transport), and a small bounded pool of worker threads that serves
 * every call and every session (no thread per channel).
 *
 * <p>{@link #close()} is the graceful shutdown: stop accepting calls, let publishers append what
 * they received, end subscriptions cleanly, then flush and close the log. Idempotent.
 */
public final class ProtobusServer implements Closeable {
    private static final System.Logger LOG = System.getLogger(ProtobusServer.class.getName());

    private final BusLog log;
    private final SessionRegistry registry;
    private final ExecutorService workers;
    private final AutoCloseable appendListener;
    private final Server server;
    private final CallLimitInterceptor limiter;
    private final Discovery discovery;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ProtobusServer(BusLog log, SessionRegistry registry, ExecutorService workers,
                           AutoCloseable appendListener, Server server, CallLimitInterceptor limiter,
                           Discovery discovery) {
        this.log = log;
        this.registry = registry;
        this.workers = workers;
        this.appendListener = appendListener;
        this.server = server;
        this.limiter = limiter;
        this.discovery = discovery;
    }

    /**
     * Opens the store and starts serving on {@code builder} (whose address the caller chose).
     *
     * @throws ProtobusException UNAVAILABLE when the address cannot be bound
     * @throws dev.tailbus.core.log.LogException when the store cannot be opened
     */
    public static ProtobusServer start(ServerBuilder<?> builder, ProtobusServerConfig config) {
        return start(builder, config, EventLog.open(config.log()));
    }

    /**
     * Starts serving {@code log} (which the server then owns and closes) on {@code builder}; the
     * store settings of {@code config} are not used.
     *
     * @throws ProtobusException UNAVAILABLE when the address cannot be bound
     */
    public static ProtobusServer start(ServerBuilder<?> builder, ProtobusServerConfig config, BusLog log) {
        ExecutorService workers = null;
        AutoCloseable listener = null;
        try {
            // a log that appends over the network is a cluster's: its positions have no one order
            SessionRegistry registry = new SessionRegistry(log.lastPosition(), !log.appendsRemotely());
            listener = log.onAppend(registry::onAppend);
            int threads = Math.max(2, Math.min(config.maxThreads(), 2 * Runtime.getRuntime().availableProcessors()));
            workers = Executors.newFixedThreadPool(threads, daemonThreads());
            ProtobusService service = new ProtobusService(log, registry, config.maxEventBytes(), workers, config.clock());
            CallLimitInterceptor limiter = new CallLimitInterceptor(config.maxThreads());
            Discovery discovery = new Discovery(builder);
            Server server = builder
                    .executor(workers)
                    .maxInboundMessageSize(Math.max(config.maxEventBytes() + 1024, 16 << 20))
                    .addService(ServerInterceptors.intercept(service, limiter))
                    .addService(new dev.tailbus.protobus.admin.AdminService(log, facts(config, registry)))
                    .build();
            try {
                server.start();
            } catch (IOException e) {
                throw new ProtobusException(Kind.UNAVAILABLE, "cannot listen on " + config.address() + ": "
                        + bindFailure(e), e);
            }
            discovery.serving();
            return new ProtobusServer(log, registry, workers, listener, server, limiter, discovery);
        } catch (RuntimeException e) {
            if (workers != null) {
                workers.shutdownNow();
            }
            closeQuietly(listener, e);
            try {
                log.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private static ServerFacts facts(ProtobusServerConfig config, SessionRegistry registry) {
        return new ServerFacts(ServerFacts.jarVersion(), config.clock().instant(),
                config.log().patterns().stream().map(Object::toString).toList(), config.log().flush().toString(),
                config.maxEventBytes(), () -> registry.publishers().size(), () -> registry.subscriptions().size());
    }

    private static String bindFailure(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && m.toLowerCase(java.util.Locale.ROOT).contains("address already in use")) {
                return "address already in use";
            }
        }
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage() == null ? root.toString() : root.getMessage();
    }

    private static ThreadFactory daemonThreads() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "protobus-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** The TCP port the server listens on (useful after binding port 0), or -1 if none. */
    public int port() {
        for (SocketAddress a : server.getListenSockets()) {
            if (a instanceof InetSocketAddress inet) {
                return inet.getPort();
            }
        }
        return -1;
    }

    /** The log under the server (for statistics). */
    public BusLog log() {
        return log;
    }

    /** Publishers and subscriptions being served now. */
    public int activeCalls() {
        return limiter.active();
    }

    /** Publishing streams open now. */
    public int openPublishers() {
        return registry.publishers().size();
    }

    /** Subscriptions open now. */
    public int openSubscriptions() {
        return registry.subscriptions().size();
    }

    /**
     * How far each open subscription has looked through the log (a position: events up to it
     * were sent or skipped), in no order. Not its lag: a cursor stands still while its transport
     * is full, whatever follows; {@link #subscriptionLags()} tells how far each is behind.
     */
    public long[] subscriptionPositions() {
        return registry.subscriptions().stream().mapToLong(SubscriptionSession::position).toArray();
    }

    /**
     * How many positions each open subscription is behind the log's last position, in no order:
     * from the first event it has yet to send, so 0 for one that has every event it matches,
     * whatever follows of other topics (see {@code SubscriptionSession.lag}).
     */
    public long[] subscriptionLags() {
        long last = log.lastPosition();
        return registry.subscriptions().stream().mapToLong(s -> s.lag(last)).toArray();
    }

    /** Calls refused so far because {@code --max-threads} calls were being served. */
    public long refusedCalls() {
        return limiter.refused();
    }

    /** Blocks until the server has stopped (after {@link #close()} from another thread). */
    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    /**
     * The first step of a shutdown, for a caller with more to stop before {@link #close()} (which
     * takes it too): from now on the health service answers NOT_SERVING, and its watchers are told
     * so and their streams ended, while every other call is still served. Idempotent.
     */
    public void stopServing() {
        discovery.stopping();
    }

    /**
     * Stops gracefully: no new calls; publishers append what they received and are told
     * UNAVAILABLE; subscriptions end with OK; the log is flushed and closed.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        server.shutdown(); // first: no new call (no new health watch) from here on
        discovery.stopping(); // NOT_SERVING, told to every health watcher, whose stream then ends
        registry.closeAll();
        try {
            if (!server.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.log(System.Logger.Level.WARNING, "calls still open after 10 s; cutting them");
                server.shutdownNow();
                server.awaitTermination(2, TimeUnit.SECONDS);
            }
            // Sessions may still be appending what they received when their call already ended.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!registry.publishers().isEmpty() && System.nanoTime() < deadline) {
                Thread.onSpinWait();
                Thread.sleep(1);
            }
            workers.shutdown();
            workers.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        RuntimeException failure = null;
        try {
            appendListener.close();
        } catch (Exception e) {
            failure = new ProtobusException(Kind.IO, "cannot detach from the log: " + e.getMessage(), e);
        }
        try {
            log.close();
        } catch (RuntimeException e) {
            if (failure != null) {
                e.addSuppressed(failure);
            }
            throw e;
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static void closeQuietly(AutoCloseable c, RuntimeException into) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            into.addSuppressed(e);
        }
    }
}
