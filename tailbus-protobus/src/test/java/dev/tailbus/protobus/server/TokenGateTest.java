package dev.tailbus.protobus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.ServerCalls;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gate's rules for services other than protobus's own: health checks pass without a token
 * (probes carry none), any other service needs a known token. Malformed headers are refused.
 */
class TokenGateTest {
    private static final String TOKEN = "reader-token-0000001";

    @TempDir
    Path dir;
    Server server;
    ManagedChannel channel;

    private static MethodDescriptor<byte[], byte[]> method(String fullName) {
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(fullName)
                .setRequestMarshaller(RawMarshaller.INSTANCE)
                .setResponseMarshaller(RawMarshaller.INSTANCE)
                .build();
    }

    private static final MethodDescriptor<byte[], byte[]> HEALTH = method("grpc.health.v1.Health/Check");
    private static final MethodDescriptor<byte[], byte[]> OTHER = method("some.Other/Call");

    private static ServerServiceDefinition echo(MethodDescriptor<byte[], byte[]> m) {
        return ServerServiceDefinition.builder(m.getServiceName())
                .addMethod(m, ServerCalls.asyncUnaryCall((request, response) -> {
                    response.onNext(request);
                    response.onCompleted();
                }))
                .build();
    }

    @BeforeEach
    void start() throws Exception {
        Path tokens = Files.writeString(dir.resolve("tokens"), TOKEN + " subscribe=a/\n");
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .intercept(TokenGate.load(tokens))
                .addService(echo(HEALTH))
                .addService(echo(OTHER))
                .build().start();
        channel = NettyChannelBuilder.forAddress("127.0.0.1", server.getPort()).usePlaintext().build();
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private byte[] call(MethodDescriptor<byte[], byte[]> m, String authorization) {
        io.grpc.Channel c = channel;
        if (authorization != null) {
            Metadata headers = new Metadata();
            headers.put(TokenGate.AUTHORIZATION, authorization);
            c = io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
        }
        return ClientCalls.blockingUnaryCall(c, m, io.grpc.CallOptions.DEFAULT, new byte[] {42});
    }

    private Status refusal(MethodDescriptor<byte[], byte[]> m, String authorization) {
        return catchThrowableOfType(StatusRuntimeException.class, () -> call(m, authorization)).getStatus();
    }

    @Test
    void shouldAnswerHealthChecksWithoutAToken() {
        assertThat(call(HEALTH, null)).containsExactly(42);
    }

    @Test
    void shouldLetAnyKnownTokenCallAnotherServiceAndRefuseTheRest() {
        assertThat(call(OTHER, "Bearer " + TOKEN)).containsExactly(42);
        assertThat(call(OTHER, "bearer " + TOKEN)).as("the scheme's case does not matter").containsExactly(42);
        assertThat(refusal(OTHER, null).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
        assertThat(refusal(OTHER, "Bearer other-token-00000001").getDescription()).isEqualTo("unknown access token");
        assertThat(refusal(OTHER, "Basic " + TOKEN).getDescription())
                .isEqualTo("the authorization header must be Bearer TOKEN");
    }
}
