package dev.ringlab.runtime;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * An engine's control connections: one authenticated connection per node, as {@link Env#CLIENT}, over
 * which client requests ({@link Message.Inject}) travel like any message. Connections are opened on
 * demand and reopened after the node restarts; a request to a node that cannot be reached is dropped
 * and counted.
 */
public final class ControlClient implements AutoCloseable {
    private final Handshake handshake;
    private final InetSocketAddress[] addresses;
    private final long handshakeTimeoutNanos;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel[] channels;
    /** Per node, the last write handed to its channel (null: none): {@link #awaitWritten} waits for it. */
    private final ChannelFuture[] lastWrite;
    private final long[] sent;
    private long dropped;

    public ControlClient(byte[] secret, InetSocketAddress[] addresses, long handshakeTimeoutNanos) {
        this.handshake = new Handshake(secret);
        this.addresses = addresses.clone();
        this.handshakeTimeoutNanos = handshakeTimeoutNanos;
        this.channels = new Channel[addresses.length];
        this.lastWrite = new ChannelFuture[addresses.length];
        this.sent = new long[addresses.length];
    }

    /** Requests handed to a connection to {@code node} so far (its restarts included). */
    public synchronized long sent(int node) {
        return sent[node];
    }

    /** Requests that could not be sent. */
    public synchronized long dropped() {
        return dropped;
    }

    /**
     * Opens the control connection to {@code node} now if it is not open (up to 5 s), so that a later
     * {@link #send} does not pay for it: the first connection of a JVM costs hundreds of milliseconds (class
     * loading, the first handshake), which would stall an engine's control thread in the middle of a run.
     *
     * @return whether the connection is open
     */
    public synchronized boolean open(int node) {
        Channel ch = channels[node];
        if (ch == null || !ch.isActive()) {
            ch = connect(node);
            channels[node] = ch;
        }
        return ch != null && ch.isActive();
    }

    /** Sends {@code m} to node {@code node}, connecting first (up to 5 s) if needed. */
    public synchronized boolean send(int node, Message m) {
        Channel ch = channels[node];
        if (ch == null || !ch.isActive()) {
            ch = connect(node);
            channels[node] = ch;
        }
        if (ch == null || !ch.isActive()) {
            dropped++;
            return false;
        }
        lastWrite[node] = ch.writeAndFlush(m);
        sent[node]++;
        return true;
    }

    /**
     * Waits until every request sent to {@code node} so far has been written to its socket (the writes happen
     * on this client's own event loop, after {@link #send} returns), up to {@code timeoutNanos}. An engine
     * calls it before killing the node, so that a request sent before the kill is in the node's socket
     * before anything else the engine tells the node.
     */
    public void awaitWritten(int node, long timeoutNanos) {
        ChannelFuture f;
        synchronized (this) {
            f = lastWrite[node];
        }
        if (f != null) {
            f.awaitUninterruptibly(timeoutNanos, TimeUnit.NANOSECONDS);
        }
    }

    private Channel connect(int node) {
        CompletableFuture<Channel> ready = new CompletableFuture<>();
        ChannelFuture f = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 2000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new FrameDecoder(),
                                HandshakeHandler.dialer(handshake, Env.CLIENT, node, handshakeTimeoutNanos),
                                new MessageDecoder(), MessageEncoder.INSTANCE, new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                        if (evt instanceof HandshakeHandler.Authenticated) {
                                            ready.complete(ctx.channel());
                                        }
                                        ReferenceCountUtil.release(evt);
                                    }

                                    @Override
                                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                        ReferenceCountUtil.release(msg); // nodes do not answer clients
                                    }

                                    @Override
                                    public void channelInactive(ChannelHandlerContext ctx) {
                                        ready.complete(null);
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        ctx.close();
                                    }
                                });
                    }
                })
                .connect(addresses[node]);
        f.addListener((ChannelFuture done) -> {
            if (!done.isSuccess()) {
                ready.complete(null);
            }
        });
        try {
            return ready.get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            f.channel().close();
            return null;
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
