package dev.tailbus.protobus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.MethodDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import dev.tailbus.core.log.LogConfig;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The standard health and reflection services of a real server, called by real gRPC clients. */
class DiscoveryTest {
    @TempDir
    Path root;
    ProtobusServer server;
    ManagedChannel channel;

    @BeforeEach
    void start() {
        server = ProtobusServer.start(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)),
                ProtobusServerConfig.of(ListenAddress.parse("127.0.0.1:0"), LogConfig.of(root)));
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.close();
    }

    @Test
    void shouldAnswerServingForTheServerAndEachOfItsServicesWhileUp() {
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
        for (String service : List.of("", "protobus.ProtobusService", "tailbus.admin.Admin")) {
            assertThat(health.check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus())
                    .as(service).isEqualTo(ServingStatus.SERVING);
        }
    }

    @Test
    void shouldTellAWatcherNotServingOnceShutdownBeginsAndThenEndItsStream() throws Exception {
        LinkedBlockingQueue<ServingStatus> seen = new LinkedBlockingQueue<>();
        CompletableFuture<Status> ended = new CompletableFuture<>();
        HealthGrpc.newStub(channel).watch(HealthCheckRequest.getDefaultInstance(), new StreamObserver<>() {
            @Override
            public void onNext(HealthCheckResponse value) {
                seen.add(value.getStatus());
            }

            @Override
            public void onError(Throwable t) {
                ended.complete(Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                ended.complete(Status.OK);
            }
        });
        assertThat(seen.poll(30, TimeUnit.SECONDS)).isEqualTo(ServingStatus.SERVING);

        server.close();

        assertThat(seen.poll(30, TimeUnit.SECONDS)).isEqualTo(ServingStatus.NOT_SERVING);
        // Ended by the server as shutdown begins, not cut when the graceful shutdown gives up waiting.
        Status end = ended.get(30, TimeUnit.SECONDS);
        assertThat(end.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(end.getDescription()).isEqualTo("the server is shutting down");
    }

    @Test
    void shouldAnswerNotServingOnceShutdownBeginsWhileOtherCallsAreStillServed() {
        HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);

        server.stopServing();
        server.stopServing();

        for (String service : List.of("", "protobus.ProtobusService", "tailbus.admin.Admin")) {
            assertThat(health.check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus())
                    .as(service).isEqualTo(ServingStatus.NOT_SERVING);
        }
        assertThat(dev.tailbus.protobus.admin.proto.AdminGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
                .listTopics(dev.tailbus.protobus.admin.proto.ListTopicsRequest.getDefaultInstance()).getTopicsList()).isEmpty();
    }

    @Test
    void shouldListEveryServiceAndDescribeTheBusThroughReflection() throws Exception {
        List<ServerReflectionResponse> answers = reflect(
                ServerReflectionRequest.newBuilder().setListServices("").build(),
                ServerReflectionRequest.newBuilder().setFileContainingSymbol("protobus.ProtobusService").build());

        assertThat(answers.get(0).getListServicesResponse().getServiceList()).extracting(ServiceResponse::getName)
                .contains("protobus.ProtobusService", "tailbus.admin.Admin", "grpc.health.v1.Health",
                        "grpc.reflection.v1.ServerReflection");
        List<String> methods = new ArrayList<>();
        for (var bytes : answers.get(1).getFileDescriptorResponse().getFileDescriptorProtoList()) {
            FileDescriptorProto file = FileDescriptorProto.parseFrom(bytes);
            for (ServiceDescriptorProto service : file.getServiceList()) {
                service.getMethodList().stream().map(MethodDescriptorProto::getName).forEach(methods::add);
            }
        }
        assertThat(methods).contains("Publish", "Subscribe", "PublishBatch", "SubscribeBatch");
    }

    private List<ServerReflectionResponse> reflect(ServerReflectionRequest... requests) throws Exception {
        List<ServerReflectionResponse> answers = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> out = ServerReflectionGrpc.newStub(channel)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse value) {
                        answers.add(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(null);
                    }
                });
        for (ServerReflectionRequest r : requests) {
            out.onNext(r);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> answers.size() == requests.length);
        out.onCompleted();
        done.get(30, TimeUnit.SECONDS);
        return answers;
    }
}
