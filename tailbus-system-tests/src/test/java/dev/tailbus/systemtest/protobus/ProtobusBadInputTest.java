package dev.tailbus.systemtest.protobus;

import static dev.tailbus.systemtest.protobus.ProtobusClients.event;
import static dev.tailbus.systemtest.protobus.ProtobusClients.publish;
import static dev.tailbus.systemtest.protobus.ProtobusClients.publishBatch;
import static dev.tailbus.systemtest.protobus.ProtobusClients.request;
import static dev.tailbus.systemtest.protobus.ProtobusClients.subscribe;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Timestamp;
import dev.tailbus.protobus.client.StatusAnswer;
import dev.tailbus.protobus.proto.EncapsulatedEvent;
import dev.tailbus.protobus.proto.ProtobusServiceGrpc;
import dev.tailbus.protobus.proto.Status;
import dev.tailbus.protobus.proto.SubscriptionOptions;
import dev.tailbus.protobus.proto.SubscriptionRequest;
import dev.tailbus.systemtest.Launcher;
import dev.tailbus.systemtest.ProtobusServerProcess;
import dev.tailbus.systemtest.protobus.ProtobusClients.Subscriber;
import io.grpc.ManagedChannel;
import io.grpc.Status.Code;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad requests get a gRPC status with a clear message, store nothing, and the server goes on. */
class ProtobusBadInputTest {
    @TempDir
    Path root;

    @Test
    void shouldRefuseEveryBadRequestWithItsStatusAndKeepServing() throws Exception {
        Path store = Files.createDirectory(root.resolve("store"));
        try (ProtobusServerProcess server = ProtobusServerProcess.start(store, "--max-event-size", "1k")) {
            ManagedChannel channel = server.channel();

            Subscriber badRegex = subscribe(channel, request(0, "ok", "broken(["));
            await().until(badRegex.done::isDone);
            assertThat(badRegex.error().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
            assertThat(badRegex.error().getDescription()).contains("invalid topic regex 'broken(['");

            Subscriber negative = subscribe(channel, request(-1, "ok"));
            await().until(negative.done::isDone);
            assertThat(negative.error().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
            assertThat(negative.error().getDescription()).contains("history_depth must not be negative");

            // A since_time past 9999-12-31 (its nanoseconds would overflow a long).
            Subscriber farFuture = subscribe(channel, SubscriptionRequest.newBuilder().addTopics("ok")
                    .setOptions(SubscriptionOptions.newBuilder().setSinceTime(
                            Timestamp.newBuilder().setSeconds(253_402_300_800L))).build());
            await().until(farFuture.done::isDone);
            assertThat(farFuture.error().getCode()).isEqualTo(Code.INVALID_ARGUMENT);
            assertThat(farFuture.error().getDescription()).contains("since_time", "9999-12-31");

            assertStatus(() -> publish(channel, List.of(event("", 0, 8))), Code.INVALID_ARGUMENT, "empty");
            assertStatus(() -> publish(channel, List.of(event("../escape", 0, 8))), Code.INVALID_ARGUMENT, "'..'");
            assertStatus(() -> publish(channel, List.of(event("/abs", 0, 8))), Code.INVALID_ARGUMENT, "absolute");
            assertStatus(() -> publish(channel, List.of(event("big", 0, 2000))), Code.RESOURCE_EXHAUSTED,
                    "over the limit of 1024 bytes");
            // Events before a bad one in the same stream are kept; the bad one and later are not.
            assertStatus(() -> publish(channel, List.of(event("mixed", 0, 8), event("mixed", 1, 8),
                    event("../x", 2, 8), event("mixed", 3, 8))), Code.INVALID_ARGUMENT, "'..'");
            // The same in one PublishBatch message: the good events before the bad one are kept.
            assertStatus(() -> publishBatch(channel, List.of(event("batched", 0, 8), event("batched", 1, 8),
                    event("../y", 2, 8), event("batched", 3, 8))), Code.INVALID_ARGUMENT, "event 2 of the batch");

            assertThat(Files.exists(root.resolve("escape.pb"))).isFalse();
            assertThat(Files.exists(store.resolve("big.pb"))).isFalse();
            try (var files = Files.list(root)) {
                assertThat(files.map(p -> p.getFileName().toString())).containsExactly("store");
            }
            Subscriber mixed = subscribe(channel, request(10, "mixed"));
            await().until(() -> mixed.events.size() == 2);
            assertThat(mixed.events.stream().map(ProtobusClients::seq).toList()).containsExactly(0L, 1L);
            Subscriber batched = subscribe(channel, request(10, "batched"));
            await().until(() -> batched.events.size() == 2);
            assertThat(batched.events.stream().map(ProtobusClients::seq).toList()).containsExactly(0L, 1L);
            await().until(() -> Files.exists(store.resolve("batched.pb"))
                    && ProtobusServerTest.records(store.resolve("batched.pb")).size() == 2);
            assertThat(ProtobusServerTest.records(store.resolve("batched.pb")).stream().map(ProtobusClients::seq)
                    .toList()).containsExactly(0L, 1L);

            // Still serving.
            assertThat(publish(channel, List.of(event("fine", 1, 8))).getCode()).isZero();
            Subscriber fine = subscribe(channel, request(1, "fine"));
            await().until(() -> fine.events.size() == 1);
            mixed.cancel();
            batched.cancel();
            fine.cancel();
        }
    }

    @Test
    void shouldKeepEventsOfAPublisherThatDisconnectsMidStream() throws Exception {
        try (ProtobusServerProcess server = ProtobusServerProcess.start(root)) {
            ManagedChannel channel = server.channel();
            CompletableFuture<Status> answer = new CompletableFuture<>();
            StreamObserver<EncapsulatedEvent> stream = ProtobusServiceGrpc.newStub(channel)
                    .publish(StatusAnswer.into(answer));
            for (long i = 0; i < 25; i++) {
                stream.onNext(event("cut", i, 32));
            }
            // The events reached the server once they are stored; then the client vanishes.
            await().until(() -> Files.exists(root.resolve("cut.pb"))
                    && ProtobusServerTest.records(root.resolve("cut.pb")).size() == 25);
            ((ClientCallStreamObserver<EncapsulatedEvent>) stream).cancel("client crashed", null);
            channel.shutdownNow();

            ManagedChannel other = server.channel();
            Subscriber sub = subscribe(other, request(100, "cut"));
            await().until(() -> sub.events.size() == 25);
            assertThat(sub.events.stream().map(ProtobusClients::seq).toList())
                    .containsExactlyElementsOf(LongStream.range(0, 25).boxed().toList());
            assertThat(publish(other, List.of(event("cut", 25, 8))).getCode()).isZero();
            await().until(() -> sub.events.size() == 26);
            sub.cancel();
        }
    }

    @Test
    void shouldRefuseCallsBeyondMaxThreadsWithResourceExhausted() throws Exception {
        try (ProtobusServerProcess server = ProtobusServerProcess.start(root, "--max-threads", "2")) {
            ManagedChannel channel = server.channel();
            // Two calls that are surely being served: an open publishing stream, and a
            // subscription that has received an event from it.
            CompletableFuture<Status> answer = new CompletableFuture<>();
            StreamObserver<EncapsulatedEvent> publisher = ProtobusServiceGrpc.newStub(channel)
                    .publish(StatusAnswer.into(answer));
            Subscriber subscriber = subscribe(channel, request(0, "a"));
            // The subscription takes its place asynchronously: publish until it has seen an event.
            AtomicLong sequence = new AtomicLong();
            await().atMost(Duration.ofSeconds(30)).pollInSameThread().pollInterval(Duration.ofMillis(100)).until(() -> {
                publisher.onNext(event("a", sequence.getAndIncrement(), 8));
                return !subscriber.events.isEmpty() || subscriber.error() != null;
            });
            assertThat(subscriber.error()).isNull();

            Subscriber refused = subscribe(channel, request(0, "c"));
            await().until(() -> refused.error() != null);
            assertThat(refused.error().getCode()).isEqualTo(Code.RESOURCE_EXHAUSTED);
            assertThat(refused.error().getDescription()).contains("maximum of 2", "--max-threads");
            assertStatus(() -> publish(channel, List.of(event("x", 0, 8))), Code.RESOURCE_EXHAUSTED, "--max-threads");

            publisher.onCompleted();
            assertThat(answer.get(30, TimeUnit.SECONDS).getCode()).isZero();
            await().until(() -> catchThrowable(() -> publish(channel, List.of(event("a", 1_000, 8)))) == null);
            subscriber.cancel();
        }
    }

    @Test
    void shouldExitWithOneLineAndTheRightStatusOnBadStartingConditions() throws Exception {
        Launcher.Result missing = Launcher.run(Launcher.command("protobus-server", "--store-root",
                root.resolve("nope").toString(), "--address", "127.0.0.1:0"), new byte[0], ProtobusServerProcess.timeout());
        assertThat(missing.exitStatus()).isEqualTo(1);
        assertThat(missing.stderr().lines()).hasSize(1).first().asString().contains("store root").contains("nope does not exist");

        Launcher.Result pattern = Launcher.run(Launcher.command("protobus-server", "--store-root", root.toString(),
                "--store-pattern", "no-colon-here"), new byte[0], ProtobusServerProcess.timeout());
        assertThat(pattern.exitStatus()).isEqualTo(2);
        assertThat(pattern.stderr().lines()).hasSize(1).first().asString().contains("FILE_PREFIX:TOPIC_REGEX");

        Launcher.Result regex = Launcher.run(Launcher.command("protobus-server", "--store-root", root.toString(),
                "--store-pattern", "x:a(b"), new byte[0], ProtobusServerProcess.timeout());
        assertThat(regex.exitStatus()).isEqualTo(2);
        assertThat(regex.stderr().lines()).hasSize(1).first().asString().contains("invalid topic regex 'a(b'");

        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            Launcher.Result inUse = Launcher.run(Launcher.command("protobus-server", "--store-root", root.toString(),
                    "--address", "127.0.0.1:" + taken.getLocalPort()), new byte[0], ProtobusServerProcess.timeout());
            assertThat(inUse.exitStatus()).isEqualTo(1);
            assertThat(inUse.stderr().lines()).hasSize(1).first().asString()
                    .contains("cannot listen on 127.0.0.1:" + taken.getLocalPort()).contains("address already in use");
        }
    }

    interface Call {
        void run() throws Exception;
    }

    private static void assertStatus(Call call, Code code, String text) {
        Throwable t = catchThrowable(call::run);
        assertThat(t).as("expected %s", code).isNotNull();
        io.grpc.Status status = io.grpc.Status.fromThrowable(t);
        assertThat(status.getCode()).isEqualTo(code);
        assertThat(status.getDescription()).contains(text);
    }
}
