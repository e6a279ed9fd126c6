package dev.tailbus.bench.protobus;

import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import java.net.InetSocketAddress;

/**
 * Transports for benchmarks that run the server and its clients in one JVM as if each were a
 * process of its own: the server and every client channel get event loops of their own, instead
 * of grpc-java's default of one group shared by every channel and server of a JVM (where a
 * publisher's and a subscriber's client would share a network thread, as no two processes do).
 */
public final class ServerTransport {
    private ServerTransport() {
    }

    /** A server builder on 127.0.0.1:{@code port} with its own epoll event loops (one boss, two workers; daemon threads). */
    public static NettyServerBuilder builder(int port) {
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("bench-server-boss", true),
                EpollIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("bench-server-io", true),
                EpollIoHandler.newFactory());
        return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
                .channelType(EpollServerSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers);
    }

    /** {@code builder} with one epoll network thread of its own (a daemon). */
    public static NettyChannelBuilder client(NettyChannelBuilder builder) {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("bench-client-io", true),
                EpollIoHandler.newFactory());
        return builder.eventLoopGroup(group).channelType(EpollSocketChannel.class);
    }
}
