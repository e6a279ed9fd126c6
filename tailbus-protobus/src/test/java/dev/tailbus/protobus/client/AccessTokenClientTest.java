package dev.tailbus.protobus.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.tailbus.core.log.LogConfig;
import dev.tailbus.core.log.TopicStats;
import dev.tailbus.protobus.admin.proto.TopicInfo;
import dev.tailbus.protobus.proto.EventBatch;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import dev.tailbus.protobus.server.ListenAddress;
import dev.tailbus.protobus.server.ProtobusServer;
import dev.tailbus.protobus.server.ProtobusServerConfig;
import dev.tailbus.protobus.server.TokenGate;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Access tokens through the client library, against a server with a {@link TokenGate} in this JVM. */
class AccessTokenClientTest {
    private static final String PUBLISHER = "publisher-token-0001";
    private static final String READER = "reader-token-0000001";
    private static final String WRITER = "writer-token-0000001";
    private static final String ADMIN = "admin-token-00000001";
    private static final int MAX_CALLS = 3;

    @TempDir
    Path root;
    Path tokens;
    TokenGate gate;
    ProtobusServer server;
    String address;
    ManagedChannel raw;

    @BeforeEach
    void start() throws Exception {
        tokens = Files.writeString(root.resolve("tokens"), PUBLISHER + " publish=allowed/ subscribe=allowed/\n"
                + READER + " subscribe=allowed/\n"
                + WRITER + " publish=.*\n"
                + ADMIN + " admin publish=.* subscribe=.*\n");
        gate = TokenGate.load(tokens);
        Path store = Files.createDirectory(root.resolve("store"));
        server = ProtobusServer.start(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).intercept(gate),
                new ProtobusServerConfig(new ListenAddress("127.0.0.1", 0), LogConfig.builder(store).build(), MAX_CALLS,
                        ProtobusServerConfig.DEFAULT_MAX_EVENT_BYTES, InstantSource.system()));
        address = "127.0.0.1:" + server.port();
        raw = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    @AfterEach
    void stop() throws Exception {
        raw.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
    }

    private static BusCredentials token(String token) {
        return BusCredentials.NONE.withToken(token);
    }

    private static BusEvent text(String topic, String s) {
        return BusEvent.of(topic, s.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Publishes once a slot of the {@value #MAX_CALLS} is free: a call ended just before (a
     * publisher's, a subscriber's closed at the end of a block) may still hold its slot for a
     * moment on the server, which under load made the next call meet the limit.
     */
    private void publish(String token, BusEvent... events) {
        await().atMost(Duration.ofSeconds(30)).until(() -> server.activeCalls() < MAX_CALLS);
        publishNow(token, events);
    }

    /** Publishes at once, whatever the calls open. */
    private void publishNow(String token, BusEvent... events) {
        try (BusPublisher p = BusPublisher.builder(address).credentials(token(token)).build()) {
            for (BusEvent e : events) {
                p.publish(e);
            }
        }
    }

    private static Status.Code code(Throwable t) {
        return Status.fromThrowable(t.getCause()).getCode();
    }

    private List<String> storedTopics() {
        return server.log().topics().stream().map(TopicStats::topic).sorted().toList();
    }

    @Test
    void shouldRefuseCallsWithoutATokenOrWithAnUnknownOneAsUnauthenticated() {
        for (BusCredentials credentials : List.of(BusCredentials.NONE, token("unknown-token-000001"))) {
            assertThatThrownBy(() -> {
                try (BusPublisher p = BusPublisher.builder(address).credentials(credentials).build()) {
                    p.publish(text("allowed/a", "x"));
                }
            }).isInstanceOfSatisfying(BusException.class, e -> assertThat(code(e)).isEqualTo(Status.Code.UNAUTHENTICATED))
                    .hasMessageContaining("not authenticated by " + address);
            assertThatThrownBy(() -> BusSubscriber.builder(address).credentials(credentials).build())
                    .isInstanceOfSatisfying(BusException.class, e -> assertThat(code(e)).isEqualTo(Status.Code.UNAUTHENTICATED));
            assertThatThrownBy(() -> BusAdmin.listTopics(address, credentials, List.of(), Duration.ofSeconds(5)))
                    .isInstanceOfSatisfying(BusException.class, e -> assertThat(code(e)).isEqualTo(Status.Code.UNAUTHENTICATED));
        }
        assertThat(storedTopics()).isEmpty();
        publish(PUBLISHER, text("allowed/a", "x"));
        assertThat(storedTopics()).containsExactly("allowed/a");
    }

    @Test
    void shouldRefuseAnEventOutsideThePublishRightsKeepingTheEventsBeforeIt() throws Exception {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + PUBLISHER);
        CompletableFuture<dev.tailbus.protobus.proto.Status> answer = new CompletableFuture<>();
        StreamObserver<EventBatch> stream = ProtobusServiceGrpc.newStub(raw)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .publishBatch(StatusAnswer.into(answer));
        stream.onNext(EventBatch.newBuilder()
                .addEvents(text("allowed/a", "0").toProto()).addEvents(text("allowed/a", "1").toProto())
                .addEvents(text("secret/x", "2").toProto()).addEvents(text("allowed/a", "3").toProto()).build());
        stream.onCompleted();
        assertThat(answer).failsWithin(Duration.ofSeconds(10)).withThrowableThat().havingCause()
                .satisfies(t -> {
                    assertThat(Status.fromThrowable(t).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
                    assertThat(Status.fromThrowable(t).getDescription())
                            .isEqualTo("event 2 of the batch: this access token may not publish to topic 'secret/x'");
                });
        assertThat(storedTopics()).containsExactly("allowed/a");
        assertThat(server.log().topics().getFirst().events()).isEqualTo(2);

        assertThatThrownBy(() -> publish(PUBLISHER, text("secret/y", "z")))
                .isInstanceOfSatisfying(BusException.class, e -> assertThat(code(e)).isEqualTo(Status.Code.PERMISSION_DENIED))
                .hasMessageContaining("permission denied: ")
                .hasMessageContaining("may not publish to topic 'secret/y'");
        assertThatThrownBy(() -> publish(READER, text("allowed/a", "z")))
                .isInstanceOfSatisfying(BusException.class, e -> assertThat(code(e)).isEqualTo(Status.Code.PERMISSION_DENIED))
                .hasMessageContaining("may not publish (it has no publish= right)");
        assertThat(storedTopics()).containsExactly("allowed/a");
    }

    @Test
    void shouldDeliverToASubscriptionOnlyTheTopicsItsTokenMayRead() throws Exception {
        publish(ADMIN, text("allowed/a", "h1"), text("secret/b", "h2"), text("allowed/c", "h3"));
        try (BusSubscriber all = BusSubscriber.builder(address).credentials(token(READER)).history(10).build();
             BusSubscriber wider = BusSubscriber.builder(address).credentials(token(READER))
                     .topics("secret/", "allowed/live").build()) {
            assertThat(all.take().topic()).isEqualTo("allowed/a");
            assertThat(all.take().topic()).isEqualTo("allowed/c");
            publish(ADMIN, text("secret/d", "l1"), text("allowed/live", "l2"));
            BusEvent live = all.take();
            assertThat(live.topic()).as("secret/d is never delivered").isEqualTo("allowed/live");
            assertThat(wider.take().topic()).as("a pattern wider than the rights is narrowed to them")
                    .isEqualTo("allowed/live");
        }
        assertThatThrownBy(() -> BusSubscriber.builder(address).credentials(token(WRITER)).build())
                .isInstanceOfSatisfying(BusException.class, e -> assertThat(code(e)).isEqualTo(Status.Code.PERMISSION_DENIED));
    }

    @Test
    void shouldListEveryTopicToAnAdminTheReadableOnesToAReaderAndNoneToAWriter() {
        publish(ADMIN, text("allowed/a", "1"), text("secret/b", "2"));
        assertThat(BusAdmin.listTopics(address, token(ADMIN), List.of(), Duration.ofSeconds(5)).getTopicsList())
                .extracting(TopicInfo::getTopic).containsExactly("allowed/a", "secret/b");
        assertThat(BusAdmin.listTopics(address, token(READER), List.of(), Duration.ofSeconds(5)).getTopicsList())
                .extracting(TopicInfo::getTopic).containsExactly("allowed/a");
        assertThatThrownBy(() -> BusAdmin.listTopics(address, token(WRITER), List.of(), Duration.ofSeconds(5)))
                .isInstanceOfSatisfying(BusException.class, e -> assertThat(code(e)).isEqualTo(Status.Code.PERMISSION_DENIED))
                .hasMessageContaining("may not call ListTopics of the admin service");
    }

    @Test
    void shouldRefuseAnUnauthenticatedCallWithoutTakingAMaxThreadsSlot() throws Exception {
        try (BusSubscriber first = BusSubscriber.builder(address).credentials(token(READER)).build();
             BusSubscriber second = BusSubscriber.builder(address).credentials(token(READER)).build();
             BusSubscriber third = BusSubscriber.builder(address).credentials(token(READER)).build()) {
            await().until(() -> server.activeCalls() == MAX_CALLS);
            assertThatThrownBy(() -> publishNow(null, text("allowed/a", "x")))
                    .isInstanceOfSatisfying(BusException.class, e -> assertThat(code(e)).isEqualTo(Status.Code.UNAUTHENTICATED));
            assertThatThrownBy(() -> publishNow(READER, text("allowed/a", "x")))
                    .isInstanceOfSatisfying(BusException.class, e -> assertThat(code(e)).isEqualTo(Status.Code.PERMISSION_DENIED));
            assertThatThrownBy(() -> publishNow(PUBLISHER, text("allowed/a", "x")))
                    .as("an authorized call beyond the limit")
                    .isInstanceOfSatisfying(BusException.class, e -> assertThat(code(e)).isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
            assertThat(server.activeCalls()).isEqualTo(MAX_CALLS);
        }
    }

    @Test
    void shouldTakeTheNewTokensOnReloadAndKeepTheOldOnesWhenTheFileIsBad() throws Exception {
        String fresh = "fresh-token-00000001";
        Files.writeString(tokens, fresh + " publish=.*\n");
        assertThat(gate.reload()).isTrue();
        publish(fresh, text("fresh/a", "1"));
        assertThatThrownBy(() -> publish(PUBLISHER, text("allowed/a", "x")))
                .isInstanceOfSatisfying(BusException.class, e -> assertThat(code(e)).isEqualTo(Status.Code.UNAUTHENTICATED));

        Files.writeString(tokens, PUBLISHER + " publish=.*\nbad-line\n");
        assertThat(gate.reload()).isFalse();
        publish(fresh, text("fresh/a", "2"));
        assertThatThrownBy(() -> publish(PUBLISHER, text("allowed/a", "x")))
                .isInstanceOfSatisfying(BusException.class, e -> assertThat(code(e)).isEqualTo(Status.Code.UNAUTHENTICATED));
        assertThat(storedTopics()).containsExactly("fresh/a");
    }

    @Test
    void shouldAnswerHealthChecksWithoutATokenAndServeReflectionOnlyToAKnownToken() throws Exception {
        assertThat(HealthGrpc.newBlockingStub(raw).withDeadlineAfter(30, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus()).isEqualTo(ServingStatus.SERVING);

        assertThat(listServices(null)).failsWithin(Duration.ofSeconds(30)).withThrowableThat()
                .havingCause().satisfies(t -> assertThat(Status.fromThrowable(t).getCode())
                        .isEqualTo(Status.Code.UNAUTHENTICATED));
        assertThat(listServices(WRITER).get(30, TimeUnit.SECONDS).getListServicesResponse().getServiceList())
                .extracting(ServiceResponse::getName).contains("protobus.ProtobusService");
    }

    /** The first answer to a reflection request listing the services, with {@code token} if not null. */
    private CompletableFuture<ServerReflectionResponse> listServices(String token) {
        Metadata headers = new Metadata();
        if (token != null) {
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        }
        CompletableFuture<ServerReflectionResponse> first = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(raw)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse value) {
                        first.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        first.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        first.completeExceptionally(new IllegalStateException("ended without an answer"));
                    }
                });
        requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
        requests.onCompleted();
        return first;
    }
}
