package dev.ringlab.runtime;

import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.topology.Overlay;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One node's connections: its listening socket and one TCP connection per overlay edge, with dialing,
 * reconnection and backoff. Everything runs on the node's event loop except {@link #bind}, which blocks
 * its caller until bound.
 *
 * <h2>Edges</h2>
 * The overlay's arcs are folded into undirected edges; each edge has one connection, dialled by one side:
 * the source of the arc, or the lower id when both arcs exist (on a directed {@code ring} each node dials
 * its successor and accepts its predecessor). A message to a neighbour travels on that edge's connection
 * in either direction. The dialer reconnects after a failure or a close with exponential backoff
 * ({@link RuntimeConfig#backoffBaseNanos} doubling up to {@link RuntimeConfig#backoffMaxNanos}) and full
 * jitter in [delay/2, delay]. Every connection first runs the {@link Handshake}; an acceptor takes only the
 * neighbours it does not dial, and {@link Env#CLIENT} (an engine's control connection, which may inject
 * client requests).
 *
 * <h2>Backpressure</h2>
 * No unbounded queue: {@link #write} refuses a message for a connection that is down or not writable (more
 * than {@link RuntimeConfig#writeBufferHighBytes} queued) and says why.
 *
 * A message written to a connection that then closes before the write completed (the connection failed
 * or was closed under it) is counted as a {@link ClusterStats#NO_CONNECTION} drop, as if the connection had
 * been down when it was sent. Frames already in the kernel's buffers when a connection dies are lost
 * uncounted (see {@link ClusterStats}).
 *
 * <h2>Unauthenticated connections</h2>
 * An accepted connection is <em>pending</em> until it completes the {@link Handshake}. Until then its frame
 * decoder takes only handshake-sized frames ({@link FrameDecoder#beforeHandshake()}), it is closed after
 * {@link RuntimeConfig#handshakeTimeoutNanos}, and at most {@link RuntimeConfig#maxPendingHandshakes} may
 * be pending at once: one more is closed as soon as it is accepted ({@code too_many_pending}). So a flood
 * of connections that never authenticate costs at most that many small buffers.
 *
 * <h2>Duplicate peers</h2>
 * Each edge has exactly one dialer, so a connection that authenticates as neighbour {@code p} while the
 * connection of {@code p} is still active is a stale or hostile duplicate (whoever holds the cluster secret
 * can claim any id). Rule: <b>the established connection wins</b>. The newcomer is closed right after its
 * handshake and counted ({@code rejected_connections_total{reason="duplicate_peer"}}); the live link, its
 * in-flight messages and {@code links_up} are untouched, so nothing is lost and the ring keeps turning. A
 * real peer that restarted is never refused for long: its old connection closed when its process or host
 * did (the kernel or {@link #closeAll} sends the FIN), which empties the slot, and its dialer retries with
 * backoff until then (so a {@code duplicate_peer} count may also be a real peer whose new connection
 * raced the close of its old one: it gets in on its next attempt). The price of the rule: whoever holds the
 * secret and connects as {@code p} while {@code p} is down keeps the slot until that connection closes; the
 * secret is the trust boundary. A link replaced after it went inactive is not counted up again, and its
 * close is not counted down ({@code links_up} changes once per link).
 *
 * <h2>Pipeline</h2>
 * In order: flush batching, framing, handshake, codec, and the one handler that hands a connection's
 * messages to {@link Inbound} on the loop. Rejected handshakes and malformed frames are counted in
 * {@link NodeMetrics} and close the connection.
 */
final class LinkTable {
    /** Receives what the connections read, on the node's loop. */
    @FunctionalInterface
    interface Inbound {
        /** A message from authenticated peer {@code from} ({@link Env#CLIENT} for a control connection). */
        void receive(int from, Message m);
    }

    private final int self;
    private final RuntimeConfig config;
    private final Handshake handshake;
    private final EventLoop loop;
    private final NodeMetrics metrics;
    private final Inbound inbound;
    private final int[] peers;
    private final boolean[] isPeer;
    private final boolean[] dials;
    private final Channel[] links;
    private final int[] attempts;
    private final ScheduledFuture<?>[] redials;
    private final Set<Channel> channels = new HashSet<>();
    /** Accepted connections that have not authenticated yet. On the loop. */
    private final Set<Channel> pending = new HashSet<>();
    /** Counts a write that failed (its connection closed under it) as a drop. */
    private final ChannelFutureListener countFailedWrite;

    private InetSocketAddress[] addresses;
    private Channel server;
    private int port;
    /** Whether the table is open: connections are kept up and accepted. Written on the loop. */
    private volatile boolean open;
    /** Bumped on every {@link #closeAll}: a pending redial of an earlier generation does nothing. */
    private int generation;
    private volatile int linksUp;

    LinkTable(int self, Overlay overlay, RuntimeConfig config, Handshake handshake, EventLoop loop, NodeMetrics metrics,
            Inbound inbound) {
        this.self = self;
        this.config = Objects.requireNonNull(config, "config");
        this.handshake = Objects.requireNonNull(handshake, "handshake");
        this.loop = Objects.requireNonNull(loop, "loop");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.inbound = Objects.requireNonNull(inbound, "inbound");
        int n = overlay.size();
        if (self < 0 || self >= n) {
            throw new IllegalArgumentException("node id " + self + " not in 0.." + (n - 1));
        }
        boolean[] out = new boolean[n];
        boolean[] in = new boolean[n];
        for (int i = 0; i < overlay.degree(self); i++) {
            out[overlay.neighbour(self, i)] = true;
        }
        for (int u = 0; u < n; u++) {
            for (int i = 0; i < overlay.degree(u); i++) {
                if (overlay.neighbour(u, i) == self) {
                    in[u] = true;
                }
            }
        }
        this.isPeer = new boolean[n];
        this.dials = new boolean[n];
        List<Integer> ps = new ArrayList<>();
        for (int v = 0; v < n; v++) {
            if (v != self && (out[v] || in[v])) {
                isPeer[v] = true;
                dials[v] = out[v] && (!in[v] || self < v);
                ps.add(v);
            }
        }
        this.peers = ps.stream().mapToInt(Integer::intValue).toArray();
        this.links = new Channel[n];
        this.attempts = new int[n];
        this.redials = new ScheduledFuture<?>[n];
        this.countFailedWrite = f -> {
            if (!f.isSuccess()) {
                metrics.drop(ClusterStats.NO_CONNECTION);
            }
        };
    }

    /** Per node id, whether an overlay edge (an arc either way) joins it to this node. */
    boolean[] peerMask() {
        return isPeer.clone();
    }

    /** The neighbours, ascending. */
    int[] peers() {
        return peers.clone();
    }

    /** Number of neighbours (edges). */
    int degree() {
        return peers.length;
    }

    /** Edges whose connection is up and authenticated. */
    int linksUp() {
        return linksUp;
    }

    /** The listening port, once bound. */
    int port() {
        return port;
    }

    boolean isOpen() {
        return open;
    }

    /**
     * Binds the listening socket on {@code wanted} (0: any free port). Blocks until bound; not on the loop.
     * Connections that authenticate before {@link #open} are closed (their dialer retries), so nothing
     * reaches a node that is not up yet.
     *
     * @throws UncheckedIOException if the port cannot be bound
     */
    int bind(int wanted) {
        // A restart binds the node's old port again. The crash closed the old listening socket on the loop, but
        // the JDK closes a socket registered with a selector only when the selector next deregisters it, so for
        // a moment the port can still be held in LISTEN ("Address already in use", seen once in CI right after a
        // crash). Retry that case for up to 2 s; the loop's next select releases the port.
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(2);
        while (true) {
            try {
                return bindOnce(wanted);
            } catch (UncheckedIOException e) {
                if (wanted == 0 || !(e.getCause().getCause() instanceof java.net.BindException)
                        || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(5));
            }
        }
    }

    private int bindOnce(int wanted) {
        ChannelFuture f = new ServerBootstrap()
                .group(loop, loop)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(config.writeBufferLowBytes(), config.writeBufferHighBytes()))
                .childHandler(new PeerInitializer(-2))
                .bind(config.bindHost(), wanted)
                .awaitUninterruptibly();
        if (!f.isSuccess()) {
            throw new UncheckedIOException(new IOException(
                    "node " + self + " cannot listen on " + config.bindHost() + ":" + wanted, f.cause()));
        }
        server = f.channel();
        port = ((InetSocketAddress) server.localAddress()).getPort();
        return port;
    }

    /** Keeps connections from now on (until {@link #closeAll}): call on the loop when the node comes up. */
    void open() {
        open = true;
    }

    /** Where the neighbours listen; {@code addresses[v]} is node v's peer socket. Then dials (on the loop). */
    void connect(InetSocketAddress[] addresses) {
        this.addresses = addresses.clone();
        loop.execute(this::dialAll);
    }

    /** Dials every edge this node owns (once {@link #open}). On the loop. */
    void dialAll() {
        if (addresses == null || !open) {
            return;
        }
        for (int v : peers) {
            if (dials[v]) {
                dial(v);
            }
        }
    }

    /** Closes the listening socket and every connection and stops redialling. On the loop. */
    void closeAll() {
        open = false;
        generation++;
        for (int v = 0; v < links.length; v++) {
            links[v] = null;
            if (redials[v] != null) {
                redials[v].cancel(false);
                redials[v] = null;
            }
            attempts[v] = 0;
        }
        linksUp = 0;
        if (server != null) {
            server.close();
        }
        for (Channel c : List.copyOf(channels)) {
            c.close();
        }
    }

    /**
     * Writes {@code m} to neighbour {@code to}. On the loop.
     *
     * @return null if written, {@link ClusterStats#NO_CONNECTION} or {@link ClusterStats#NOT_WRITABLE} if not
     */
    String write(int to, Message m, int size) {
        Channel ch = links[to];
        if (ch == null || !ch.isActive()) {
            return ClusterStats.NO_CONNECTION;
        }
        if (!ch.isWritable()) {
            return ClusterStats.NOT_WRITABLE;
        }
        metrics.messageOut(MessageCodec.type(m), size + FrameDecoder.PREFIX_BYTES);
        // Not the void promise: a write that fails because the connection closed under it is a drop to count.
        ch.writeAndFlush(m).addListener(countFailedWrite);
        return null;
    }

    /** Connection state of each neighbour. On the loop. */
    List<NodeHost.LinkStatus> status() {
        List<NodeHost.LinkStatus> out = new ArrayList<>(peers.length);
        for (int v : peers) {
            Channel ch = links[v];
            boolean up = ch != null && ch.isActive();
            String state = up ? "up" : dials[v] && open ? "connecting" : "down";
            out.add(new NodeHost.LinkStatus(v, dials[v] ? "dial" : "accept", state, up && ch.isWritable()));
        }
        return out;
    }

    private void dial(int peer) {
        redials[peer] = null;
        if (!open || (links[peer] != null && links[peer].isActive())) {
            return;
        }
        int gen = generation;
        ChannelFuture f = new Bootstrap()
                .group(loop)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 2000)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(config.writeBufferLowBytes(), config.writeBufferHighBytes()))
                .handler(new PeerInitializer(peer))
                .connect(addresses[peer]);
        f.addListener((ChannelFuture done) -> {
            if (!done.isSuccess()) {
                redial(peer, gen);
                return;
            }
            done.channel().closeFuture().addListener(c -> redial(peer, gen));
        });
    }

    private void redial(int peer, int gen) {
        if (!open || gen != generation || (links[peer] != null && links[peer].isActive()) || redials[peer] != null) {
            return;
        }
        int attempt = Math.min(attempts[peer]++, 30);
        long delay = Math.min(config.backoffMaxNanos(), config.backoffBaseNanos() << Math.min(attempt, 20));
        long jittered = delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
        redials[peer] = loop.schedule(() -> dial(peer), jittered, TimeUnit.NANOSECONDS);
    }

    /** Takes an authenticated connection for {@code peer}; false if the rule refuses it (see "Duplicate peers"). */
    private boolean attach(int peer, Channel ch) {
        if (peer == Env.CLIENT) {
            return true;
        }
        Channel old = links[peer];
        if (old != null && old != ch && old.isActive()) {
            return false;
        }
        links[peer] = ch;
        if (old == null) {
            linksUp++;
        } else if (old != ch) {
            // Inactive already. Closed after the slot is taken: on the loop, close() may run old's close
            // listener right here, and it must see links[peer] != old and leave links_up alone (closing first
            // decremented links_up once per replaced link: 0 of 2, then negative, after a few impostors).
            old.close();
        }
        attempts[peer] = 0;
        ch.closeFuture().addListener(c -> {
            if (links[peer] == ch) {
                links[peer] = null;
                linksUp--;
            }
        });
        return true;
    }

    private void onError(Channel ch, Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() instanceof HandshakeHandler.Rejected r ? r : cause;
        if (c instanceof HandshakeHandler.Rejected r) {
            metrics.reject(r.reason());
        } else if (c instanceof FrameDecoder.OversizeBeforeHandshakeException) {
            metrics.reject("oversize_before_handshake");
        } else if (c instanceof FrameDecoder.TruncatedFrameException) {
            metrics.decodeError("truncated_frame");
        } else if (c instanceof MessageDecoder.BadMessageException) {
            metrics.decodeError("bad_message");
        } else if (c instanceof DecoderException) {
            metrics.decodeError("bad_frame_header");
        } else if (!(c instanceof IOException)) {
            metrics.decodeError("other");
        }
        ch.close();
    }

    /** The pipeline of every peer connection, in order: flush batching, framing, handshake, codec, link. */
    private final class PeerInitializer extends ChannelInitializer<SocketChannel> {
        private final int dialTo;

        PeerInitializer(int dialTo) {
            this.dialTo = dialTo;
        }

        @Override
        protected void initChannel(SocketChannel ch) {
            long timeout = config.handshakeTimeoutNanos();
            if (dialTo < 0) {
                if (pending.size() >= config.maxPendingHandshakes()) {
                    metrics.reject("too_many_pending");
                    ch.close();
                    return;
                }
                pending.add(ch);
                ch.closeFuture().addListener(f -> pending.remove(ch));
            }
            HandshakeHandler hs = dialTo >= 0
                    ? HandshakeHandler.dialer(handshake, self, dialTo, timeout)
                    : HandshakeHandler.acceptor(handshake, self,
                            p -> p == Env.CLIENT || (p >= 0 && p < isPeer.length && isPeer[p] && !dials[p]), timeout);
            ch.pipeline().addLast(
                    new FlushConsolidationHandler(64, true),
                    FrameDecoder.beforeHandshake(),
                    hs,
                    new MessageDecoder(),
                    MessageEncoder.INSTANCE,
                    new LinkHandler());
        }
    }

    /** The one handler that hands a connection's messages to the node, on the node's loop. */
    private final class LinkHandler extends ChannelInboundHandlerAdapter {
        private int peer = Integer.MIN_VALUE;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            channels.add(ctx.channel());
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            channels.remove(ctx.channel());
            ctx.fireChannelInactive();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof HandshakeHandler.Authenticated a) {
                if (!open) {
                    ctx.close();
                    return;
                }
                pending.remove(ctx.channel());
                if (!attach(a.peer(), ctx.channel())) {
                    metrics.reject("duplicate_peer");
                    ctx.close();
                    return;
                }
                peer = a.peer();
            } else {
                ReferenceCountUtil.release(evt);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof Message m) || peer == Integer.MIN_VALUE) {
                ReferenceCountUtil.release(msg);
                metrics.reject("unauthenticated_frame");
                ctx.close();
                return;
            }
            metrics.messageIn(MessageCodec.type(m), MessageCodec.encodedSize(m) + FrameDecoder.PREFIX_BYTES);
            inbound.receive(peer, m);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            onError(ctx.channel(), cause);
        }
    }
}
