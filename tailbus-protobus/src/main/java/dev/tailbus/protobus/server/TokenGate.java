package dev.tailbus.protobus.server;

import dev.tailbus.core.TailbusException;
import dev.tailbus.protobus.admin.proto.AdminGrpc;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Lets a call in only with a known access token ({@code authorization: Bearer TOKEN}) that
 * grants what the method needs, and hands the token's {@link AccessRights} to the services
 * through the call's {@link Context}:
 *
 * <table>
 * <caption>what each method needs</caption>
 * <tr><th>method</th><th>right</th></tr>
 * <tr><td>{@code Publish}, {@code PublishBatch}</td><td>{@code publish=} (each event's topic is checked as it arrives)</td></tr>
 * <tr><td>{@code Subscribe}, {@code SubscribeBatch}</td><td>{@code subscribe=} (the subscription is narrowed to it)</td></tr>
 * <tr><td>{@code tailbus.admin.Admin/ListTopics}</td><td>{@code admin} (every topic) or {@code subscribe=} (its topics)</td></tr>
 * <tr><td>other admin methods</td><td>{@code admin}</td></tr>
 * <tr><td>{@code grpc.health.v1.Health}</td><td>none: probes need no token</td></tr>
 * <tr><td>anything else</td><td>any known token</td></tr>
 * </table>
 *
 * <p>No token or an unknown one: UNAUTHENTICATED; a token without the right: PERMISSION_DENIED.
 * Install it with {@link io.grpc.ServerBuilder#intercept}: server-wide interceptors run before
 * the per-service {@link CallLimitInterceptor}, so a refused call never takes one of the
 * {@code --max-threads} slots.
 *
 * <p>{@link #reload()} rereads the file (on SIGHUP); a file that fails to load leaves the
 * previous tokens in force. Thread-safe.
 */
public final class TokenGate implements ServerInterceptor {
    private static final System.Logger LOG = System.getLogger(TokenGate.class.getName());
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final String HEALTH_SERVICE = "grpc.health.v1.Health";

    private final Path file;
    private volatile AccessTokens tokens;

    private TokenGate(Path file, AccessTokens tokens) {
        this.file = file;
        this.tokens = tokens;
    }

    /**
     * Reads the token file.
     *
     * @throws ProtobusException one line naming the file (and line) when it cannot be read or is malformed
     */
    public static TokenGate load(Path file) {
        return new TokenGate(file, AccessTokens.read(file));
    }

    /**
     * Rereads the file and logs one line: the new count of tokens, or why the previous ones stay.
     *
     * @return whether the new tokens are in force
     */
    public boolean reload() {
        try {
            AccessTokens fresh = AccessTokens.read(file);
            tokens = fresh;
            LOG.log(System.Logger.Level.INFO, "reloaded " + fresh.size() + " access tokens from " + file);
            return true;
        } catch (TailbusException e) {
            LOG.log(System.Logger.Level.WARNING, "kept the previous " + tokens.size() + " access tokens: " + e.getMessage());
            return false;
        }
    }

    /** The tokens in force. */
    public int size() {
        return tokens.size();
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                       ServerCallHandler<Q, A> next) {
        MethodDescriptor<Q, A> method = call.getMethodDescriptor();
        if (HEALTH_SERVICE.equals(method.getServiceName())) {
            return next.startCall(call, headers);
        }
        String header = headers.get(AUTHORIZATION);
        if (header == null) {
            return refuse(call, Status.UNAUTHENTICATED.withDescription(
                    "no access token (send the header authorization: Bearer TOKEN)"));
        }
        if (header.length() < 7 || !header.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            return refuse(call, Status.UNAUTHENTICATED.withDescription(
                    "the authorization header must be Bearer TOKEN"));
        }
        AccessRights rights = tokens.find(header.substring(7).strip());
        if (rights == null) {
            return refuse(call, Status.UNAUTHENTICATED.withDescription("unknown access token"));
        }
        String missing = missingRight(method, rights);
        if (missing != null) {
            return refuse(call, Status.PERMISSION_DENIED.withDescription("this access token may not " + missing));
        }
        return Contexts.interceptCall(Context.current().withValue(AccessRights.CONTEXT_KEY, rights), call, headers, next);
    }

    /** What the call would do that the token may not, or null when it may. */
    private static String missingRight(MethodDescriptor<?, ?> method, AccessRights rights) {
        String service = method.getServiceName();
        String name = method.getBareMethodName();
        if (ProtobusServiceGrpc.SERVICE_NAME.equals(service)) {
            boolean publishing = "Publish".equals(name) || "PublishBatch".equals(name);
            if (publishing) {
                return rights.mayPublishAny() ? null : "publish (it has no publish= right)";
            }
            return rights.maySubscribeAny() ? null : "subscribe (it has no subscribe= right)";
        }
        if (AdminGrpc.SERVICE_NAME.equals(service)) {
            if (rights.admin() || "ListTopics".equals(name) && rights.maySubscribeAny()) {
                return null;
            }
            return "call " + name + " of the admin service (it needs admin" + ("ListTopics".equals(name) ? " or a subscribe= right)" : ")");
        }
        return null;
    }

    private static <Q, A> ServerCall.Listener<Q> refuse(ServerCall<Q, A> call, Status status) {
        call.close(status, new Metadata());
        return new ServerCall.Listener<>() {
        };
    }
}
