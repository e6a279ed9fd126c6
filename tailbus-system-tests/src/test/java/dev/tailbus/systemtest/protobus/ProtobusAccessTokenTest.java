package dev.tailbus.systemtest.protobus;

import static dev.tailbus.systemtest.protobus.ProtobusTlsTest.stderrLines;
import static dev.tailbus.systemtest.protobus.ProtobusTlsTest.tailbus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tailbus.protobus.admin.proto.TopicInfo;
import dev.tailbus.protobus.client.BusAdmin;
import dev.tailbus.protobus.client.BusCredentials;
import dev.tailbus.protobus.client.BusEvent;
import dev.tailbus.protobus.client.BusException;
import dev.tailbus.protobus.client.BusPublisher;
import dev.tailbus.protobus.client.BusSubscriber;
import dev.tailbus.systemtest.Launcher;
import dev.tailbus.systemtest.MetricsScrape;
import dev.tailbus.systemtest.ProtobusServerProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * protobus-server with {@code --auth-tokens}, reached by {@code tailbus publish}, {@code subscribe}
 * and {@code topics} with {@code --token} or {@code TAILBUS_TOKEN}; the file reread on SIGHUP.
 */
class ProtobusAccessTokenTest {
    private static final String PUBLISHER = "publisher-token-0001";
    private static final String READER = "reader-token-0000001";
    private static final String ADMIN = "admin-token-00000001";
    private static final String TOKENS = "# tokens of the test\n"
            + PUBLISHER + " publish=allowed/\n"
            + READER + " subscribe=allowed/\n"
            + ADMIN + " admin publish=.* subscribe=.*\n";

    @TempDir
    static Path root;
    static Path tokens;
    static ProtobusServerProcess server;
    static String address;

    @BeforeAll
    static void startServer() throws Exception {
        tokens = Files.writeString(root.resolve("tokens"), TOKENS);
        server = ProtobusServerProcess.start(Files.createDirectory(root.resolve("store")),
                "--auth-tokens", tokens.toString());
        address = "127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private static Launcher.Result as(String token, String stdin, String... args) throws Exception {
        return tailbus(token == null ? Map.of() : Map.of("TAILBUS_TOKEN", token), stdin, args);
    }

    @Test
    void shouldRefuseEveryCommandWithoutATokenOrWithAnUnknownOneInOneLine() throws Exception {
        Launcher.Result publish = as(null, "x\n", "publish", "-t", "allowed/a", "-a", address);
        assertThat(publish.exitStatus()).isEqualTo(1);
        assertThat(stderrLines(publish)).containsExactly("tailbus publish: cannot publish to allowed/a: not authenticated by "
                + address + ": no access token (send the header authorization: Bearer TOKEN) "
                + "(give an access token with --token or TAILBUS_TOKEN)");

        Launcher.Result subscribe = as("unknown-token-000001", "", "subscribe", "-a", address);
        assertThat(subscribe.exitStatus()).isEqualTo(1);
        assertThat(stderrLines(subscribe)).singleElement().asString()
                .startsWith("tailbus subscribe: cannot subscribe: not authenticated by " + address + ": unknown access token");

    }

    @Test
    void shouldRefuseToPublishOutsideTheTokensRightsAndStoreNothingOfIt() throws Exception {
        Launcher.Result refused = as(null, "x\ny\n", "publish", "-t", "secret/x", "-a", address, "--token", PUBLISHER);
        assertThat(refused.exitStatus()).isEqualTo(1);
        assertThat(stderrLines(refused)).containsExactly("tailbus publish: cannot publish to secret/x: permission denied: "
                + "event 0 of the batch: this access token may not publish to topic 'secret/x'");

        assertThat(topics(ADMIN)).doesNotContain("secret/x");
    }

    @Test
    void shouldNarrowASubscriptionAndAListingToTheTopicsTheTokenMayRead() throws Exception {
        // secret/n first: a subscription that were not narrowed would print it first
        try (BusPublisher p = BusPublisher.builder(address).credentials(token(ADMIN)).build()) {
            p.publish(BusEvent.of("secret/n", "hidden".getBytes(StandardCharsets.UTF_8)));
            p.publish(BusEvent.of("allowed/n", "shown".getBytes(StandardCharsets.UTF_8)));
        }

        Launcher.Result subscribed = as(READER, "", "subscribe", "--history", "10", "-n", "1", "-f", "raw", "-a", address);
        assertThat(subscribed.exitStatus()).as(subscribed.stderr()).isZero();
        assertThat(subscribed.stdoutText()).isEqualTo("shown\n");

        Launcher.Result readable = as(READER, "", "topics", "-a", address, "-f", "json");
        assertThat(readable.exitStatus()).as(readable.stderr()).isZero();
        assertThat(readable.stdoutText()).contains("\"topic\":\"allowed/n\"").doesNotContain("secret/");
        assertThat(topics(ADMIN)).contains("allowed/n", "secret/n");

        Launcher.Result writer = as(PUBLISHER, "", "topics", "-a", address);
        assertThat(writer.exitStatus()).isEqualTo(1);
        assertThat(stderrLines(writer)).containsExactly("tailbus topics: cannot list topics: permission denied: "
                + "this access token may not call ListTopics of the admin service (it needs admin or a subscribe= right)");
    }

    @Test
    void shouldRereadTheTokenFileOnSighupAndKeepTheOldTokensWhenItIsBad() throws Exception {
        String fresh = "fresh-token-00000001";
        try {
            Files.writeString(tokens, TOKENS.replace(READER, fresh));
            hangUp();
            await().atMost(Duration.ofSeconds(30)).until(() -> server.stderr().contains("reloaded 3 access tokens from " + tokens));
            assertThat(topics(fresh)).isNotNull();
            assertThatThrownBy(() -> topics(READER)).isInstanceOf(BusException.class)
                    .hasMessageContaining("unknown access token");

            Files.writeString(tokens, TOKENS + "too-short publish=.*\n");
            hangUp();
            await().atMost(Duration.ofSeconds(30)).until(() -> server.stderr().contains("warning: kept the previous 3 "
                    + "access tokens: access token file " + tokens + " line 5: the token is shorter than 16 characters"));
            assertThat(topics(fresh)).isNotNull();
        } finally {
            Files.writeString(tokens, TOKENS);
            hangUp();
            await().atMost(Duration.ofSeconds(30)).until(() -> server.stderr().split("reloaded 3 access tokens", -1).length == 3);
        }
    }

    @Test
    void shouldRefuseCallsWithoutATokenOrRightBeforeTheyTakeAMaxThreadsSlot() throws Exception {
        try (ProtobusServerProcess limited = ProtobusServerProcess.start(Files.createDirectory(root.resolve("limited")),
                "--auth-tokens", tokens.toString(), "--max-threads", "1", "--metrics-address", "127.0.0.1:0")) {
            String at = "127.0.0.1:" + limited.port();
            String metrics = ProtobusMetricsTest.metricsUrl(limited);
            try (BusSubscriber holder = BusSubscriber.builder(at).credentials(token(READER)).build()) {
                await().atMost(Duration.ofSeconds(30)).until(() ->
                        MetricsScrape.of(metrics).value("protobus_subscriptions_open") == 1);

                Launcher.Result anonymous = as(null, "x\n", "publish", "-t", "allowed/a", "-a", at);
                assertThat(stderrLines(anonymous)).singleElement().asString().contains("not authenticated by " + at);
                Launcher.Result reader = as(READER, "x\n", "publish", "-t", "allowed/a", "-a", at);
                assertThat(stderrLines(reader)).singleElement().asString()
                        .contains("permission denied: this access token may not publish");
                assertThat(MetricsScrape.of(metrics).value("protobus_calls_refused_total")).isZero();

                Launcher.Result allowed = as(PUBLISHER, "x\n", "publish", "-t", "allowed/a", "-a", at);
                assertThat(allowed.exitStatus()).isEqualTo(1);
                assertThat(stderrLines(allowed)).singleElement().asString().contains("RESOURCE_EXHAUSTED")
                        .contains("(--max-threads)");
                assertThat(MetricsScrape.of(metrics).value("protobus_calls_refused_total")).isEqualTo(1);
            }
        }
    }

    @Test
    void shouldWarnThatATokenFileWithNoTokenRefusesEveryCall() throws Exception {
        Path empty = Files.writeString(root.resolve("no-tokens"), "# nobody yet\n");
        try (ProtobusServerProcess closed = ProtobusServerProcess.start(Files.createDirectory(root.resolve("closed")),
                "--auth-tokens", empty.toString())) {
            assertThat(closed.stderr()).contains(empty + " holds no token: every call is refused");
            Launcher.Result anyone = as(ADMIN, "x\n", "publish", "-t", "a", "-a", "127.0.0.1:" + closed.port());
            assertThat(anyone.exitStatus()).isEqualTo(1);
        }
    }

    private static BusCredentials token(String token) {
        return BusCredentials.NONE.withToken(token);
    }

    /** The topics the token may see, through the library. */
    private static List<String> topics(String token) {
        return BusAdmin.listTopics(address, token(token), List.of(), Duration.ofSeconds(10)).getTopicsList().stream()
                .map(TopicInfo::getTopic).toList();
    }

    private static void hangUp() throws Exception {
        Launcher.Result kill = Launcher.run(new ProcessBuilder("kill", "-HUP", Long.toString(server.process().pid())),
                new byte[0], Duration.ofSeconds(10));
        assertThat(kill.exitStatus()).as(kill.stderr()).isZero();
    }
}
