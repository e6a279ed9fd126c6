package dev.tailbus.protobus.admin;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.IntSupplier;

/**
 * What the admin service tells about the server it runs in ({@code ServerInfo}): fixed facts
 * taken at start, and the open calls counted when asked.
 *
 * @param version       the tailbus version, "dev" when not run from the jar
 * @param started       when the server started
 * @param storePatterns the store patterns as given ({@code FILE_PREFIX:TOPIC_REGEX})
 * @param flush         the flush policy as written on the command line
 * @param maxEventBytes the largest serialized event accepted
 * @param publishers    publishing streams open now
 * @param subscriptions subscriptions open now
 */
public record ServerFacts(String version, Instant started, List<String> storePatterns, String flush,
                          int maxEventBytes, IntSupplier publishers, IntSupplier subscriptions) {
    public ServerFacts {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(started, "started");
        storePatterns = List.copyOf(storePatterns);
        Objects.requireNonNull(flush, "flush");
        Objects.requireNonNull(publishers, "publishers");
        Objects.requireNonNull(subscriptions, "subscriptions");
    }

    /** The version from the manifest of the jar holding tailbus, or "dev". */
    public static String jarVersion() {
        String v = ServerFacts.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
