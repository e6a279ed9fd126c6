package dev.tailbus.protobus.server;

import dev.tailbus.core.log.TopicPatterns;
import io.grpc.Context;
import java.util.regex.Pattern;

/**
 * What one access token may do: publish to the topics its publish pattern matches, subscribe to
 * those its subscribe pattern matches (Python regular expressions matched at the topic's start,
 * as topics are matched everywhere), and call the admin service. A server without
 * {@code --auth-tokens} gives every call {@link #ALL}.
 *
 * <p>The {@link TokenGate} puts the caller's rights into the call's gRPC {@link Context}, where
 * the services find them with {@link #current()} while handling the call. Immutable.
 */
public final class AccessRights {
    /** Everything: the rights of every call when the server checks no tokens. */
    public static final AccessRights ALL = new AccessRights(null, null, true, true);

    static final Context.Key<AccessRights> CONTEXT_KEY = Context.key("tailbus-access-rights");

    private final Pattern publish;
    private final Pattern subscribe;
    private final boolean admin;
    private final boolean unrestricted;

    private AccessRights(Pattern publish, Pattern subscribe, boolean admin, boolean unrestricted) {
        this.publish = publish;
        this.subscribe = subscribe;
        this.admin = admin;
        this.unrestricted = unrestricted;
    }

    /** A token's rights: null for a pattern means no such right. */
    static AccessRights of(Pattern publish, Pattern subscribe, boolean admin) {
        return new AccessRights(publish, subscribe, admin, false);
    }

    /** The rights of the call being handled on this thread ({@link #ALL} when tokens are not checked). */
    public static AccessRights current() {
        AccessRights rights = CONTEXT_KEY.get();
        return rights == null ? ALL : rights;
    }

    /** Whether the token may publish to some topic. */
    public boolean mayPublishAny() {
        return unrestricted || publish != null;
    }

    /** Whether the token may subscribe to some topic. */
    public boolean maySubscribeAny() {
        return unrestricted || subscribe != null;
    }

    /** Whether the token may call the admin service. */
    public boolean admin() {
        return admin;
    }

    /** Whether the token may publish to {@code topic}. */
    public boolean mayPublish(String topic) {
        return unrestricted || publish != null && TopicPatterns.matches(publish, topic);
    }

    /** Whether the token may receive the events of {@code topic}. */
    public boolean maySubscribe(String topic) {
        return unrestricted || subscribe != null && TopicPatterns.matches(subscribe, topic);
    }

    /**
     * Whether a topic listing shows {@code topic}: an admin token sees every topic, any other
     * those it may subscribe to.
     */
    public boolean maySee(String topic) {
        return admin || maySubscribe(topic);
    }

    /** A subscription's filter narrowed to the topics this token may receive. */
    TopicFilter narrow(TopicFilter filter) {
        return unrestricted ? filter : filter.within(subscribe);
    }

    @Override
    public String toString() {
        return unrestricted ? "all rights" : "publish=" + (publish == null ? "none" : publish.pattern())
                + " subscribe=" + (subscribe == null ? "none" : subscribe.pattern()) + (admin ? " admin" : "");
    }
}
