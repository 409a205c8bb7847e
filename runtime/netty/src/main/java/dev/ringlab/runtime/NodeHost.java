package dev.ringlab.runtime;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.Timer;
import dev.ringlab.topology.Overlay;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * One node on real sockets: its {@link Node}, its {@link Env}, its listening socket, one TCP connection
 * per overlay edge and its admin endpoint, all owned by one Netty {@link EventLoop}, so the node logic is
 * single-threaded exactly as in the simulator.
 *
 * <h2>Connections</h2>
 * The overlay's arcs are folded into undirected edges; each edge has one connection, dialled by one side:
 * the source of the arc, or the lower id when both arcs exist (on a directed {@code ring} each node dials
 * its successor and accepts its predecessor). A message to a neighbour travels on that edge's connection
 * in either direction. A message to a node that is not a neighbour is dropped and counted
 * ({@code reason="no_edge"}): no on-demand connections. The dialer reconnects after a failure or a close
 * with exponential backoff ({@link RuntimeConfig#backoffBaseNanos} doubling up to
 * {@link RuntimeConfig#backoffMaxNanos}) and full jitter in [delay/2, delay]. Every connection first runs
 * the {@link Handshake}; a connection from {@link Env#CLIENT} (an engine's control connection) may inject
 * client requests.
 *
 * <h2>Backpressure</h2>
 * No unbounded queue: a send to a connection that is down or not writable (more than
 * {@link RuntimeConfig#writeBufferHighBytes} queued) is dropped and counted by reason. Messages that
 * arrive before the node is started are held up to {@link RuntimeConfig#maxPendingBeforeStart}.
 *
 * <h2>Threads</h2>
 * Public methods may be called from any thread but the event loop's; they hand work to the loop and wait
 * for it where the result matters.
 *
 * <h2>Link emulation</h2>
 * With a {@link LinkEmulation} other than {@link LinkEmulation#NONE}, each message to a neighbour first
 * meets the emulated loss (dropped and counted, {@code reason="emulated_loss"}), then the emulated delay,
 * drawn from this node's own {@link SplittableRandom} seeded from (run seed, node id): the delay is added
 * on top of the real loopback latency. A delayed message is written by a timer on the node's event loop
 * ({@code EventLoop.schedule}); the connection and backpressure checks above happen at that moment, so a
 * message whose link went down or is not writable when its delay ends is counted then
 * ({@code no_connection}, {@code not_writable}). Delayed messages waiting for their timer are held in
 * memory: per link at most {@link RuntimeConfig#writeBufferHighBytes} encoded bytes, beyond which a send
 * is dropped ({@code reason="emulation_backlog"}), so the emulated wire is bounded like the socket's
 * buffer. A crash (or close) discards the node's delayed messages: each is counted when its timer fires
 * ({@code reason="sender_crashed"}). Timer precision is the event loop's: Netty 4.2's NIO loop sleeps in
 * the selector for the delay rounded to whole milliseconds and polls ({@code selectNow}, spinning the
 * loop's thread) once less than 0.5 ms is left, so timers fire within tens of microseconds of their
 * deadline (measured on loopback: const:200us hops p50 222-234 us, const:1ms p50 1135-1146 us) at the
 * cost of a busy loop for the last half millisecond of each wait.
 * Independent draws per message reorder a link's messages when the model draws different delays
 * (uniform, lognormal, empirical), as in the simulator; a constant delay keeps each link FIFO (the loop
 * runs timers with equal or increasing deadlines in scheduling order).
 */
public final class NodeHost {
    /** Drops messages between nodes, for partitions (an emulation: the connections stay up). */
    @FunctionalInterface
    public interface LinkFilter {
        boolean blocked(int from, int to);

        LinkFilter NONE = (from, to) -> false;
    }

    private final int self;
    private final Overlay overlay;
    private final Protocol protocol;
    private final RuntimeConfig config;
    private final Handshake handshake;
    private final EventLoop loop;
    private final long seed;
    private final Consumer<Observation> sink;
    private final LinkFilter filter;
    private final LinkEmulation emulation;
    private final SplittableRandom linkRandom;
    private final long[] delayedBytes;
    private final NodeMetrics metrics;
    private final int[] peers;
    private final boolean[] isPeer;
    private final boolean[] dials;
    private final Channel[] links;
    private final int[] attempts;
    private final ScheduledFuture<?>[] redials;
    private final Set<Channel> channels = new HashSet<>();
    private final ArrayDeque<Object[]> pending = new ArrayDeque<>();
    private final long bornNanos = System.nanoTime();

    private InetSocketAddress[] addresses;
    private int port;
    private Channel server;
    private AdminServer admin;
    private Node node;
    private HostEnv env;
    private boolean started;
    private volatile boolean alive;
    private volatile int incarnation;
    private volatile int linksUp;
    private volatile Throwable failure;
    private volatile Observation lastObservation;

    public NodeHost(int self, Overlay overlay, Protocol protocol, byte[] secret, RuntimeConfig config, EventLoop loop,
            long seed, Consumer<Observation> sink, LinkFilter filter) {
        this(self, overlay, protocol, secret, config, loop, seed, sink, filter, LinkEmulation.NONE);
    }

    /**
     * @param emulation delay and loss added on this node's send path ({@link LinkEmulation#NONE}: none); its
     *     draws come from a generator seeded from {@code seed} and {@code self}
     */
    public NodeHost(int self, Overlay overlay, Protocol protocol, byte[] secret, RuntimeConfig config, EventLoop loop,
            long seed, Consumer<Observation> sink, LinkFilter filter, LinkEmulation emulation) {
        this.self = self;
        this.overlay = Objects.requireNonNull(overlay, "overlay");
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        this.config = Objects.requireNonNull(config, "config");
        this.handshake = new Handshake(secret);
        this.loop = Objects.requireNonNull(loop, "loop");
        this.seed = seed;
        this.sink = Objects.requireNonNull(sink, "sink");
        this.filter = Objects.requireNonNull(filter, "filter");
        this.emulation = Objects.requireNonNull(emulation, "emulation");
        this.linkRandom = new SplittableRandom(linkSeed(seed, self));
        this.metrics = new NodeMetrics(self);
        int n = overlay.size();
        this.delayedBytes = new long[n];
        if (self < 0 || self >= n) {
            throw new IllegalArgumentException("node id " + self + " not in 0.." + (n - 1));
        }
        boolean[] out = new boolean[n];
        boolean[] in = new boolean[n];
        for (int v : overlay.neighbours(self)) {
            out[v] = true;
        }
        for (int u = 0; u < n; u++) {
            for (int v : overlay.neighbours(u)) {
                if (v == self) {
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
    }

    public int id() {
        return self;
    }

    public NodeMetrics metrics() {
        return metrics;
    }

    public EventLoop loop() {
        return loop;
    }

    /** The delay and loss this node adds on its send path. */
    public LinkEmulation emulation() {
        return emulation;
    }

    /**
     * Seed of node {@code self}'s link-emulation draws in a run seeded {@code seed}: a stream of its own,
     * independent of the node's {@link Env#random()}.
     */
    public static long linkSeed(long seed, int self) {
        return mix(seed ^ LINK_STREAM ^ mix(self + 1L));
    }

    private static final long LINK_STREAM = 0x6c696e6b656d75L; // "linkemu"

    /** The peer port this node listens on, once {@link #bind} returned. */
    public int port() {
        return port;
    }

    /** The admin HTTP port, or -1 without one. */
    public int adminPort() {
        return admin == null ? -1 : admin.port();
    }

    public boolean alive() {
        return alive;
    }

    /** Edges whose connection is up and authenticated. */
    public int linksUp() {
        return linksUp;
    }

    /** Number of overlay neighbours (edges), either direction. */
    public int degree() {
        return peers.length;
    }

    /** The first exception the node logic threw, if any: a bug, which the cluster reports as a failed run. */
    public Throwable failure() {
        return failure;
    }

    public Observation lastObservation() {
        return lastObservation;
    }

    public long uptimeNanos() {
        return System.nanoTime() - bornNanos;
    }

    /**
     * Binds the peer socket on {@code port} (0: any free port) and, if {@code adminPort >= 0}, the admin
     * endpoint. Blocks until bound.
     */
    public int bind(int port, int adminPort) {
        bindServer(port);
        if (adminPort >= 0) {
            admin = new AdminServer(this, loop, config.bindHost(), adminPort);
        }
        alive = true;
        return this.port;
    }

    private void bindServer(int wanted) {
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
    }

    /** Starts dialling the edges this node owns; {@code addresses[v]} is node v's peer socket. */
    public void connect(InetSocketAddress[] addresses) {
        if (addresses.length != overlay.size()) {
            throw new IllegalArgumentException("need " + overlay.size() + " addresses, got " + addresses.length);
        }
        this.addresses = addresses.clone();
        loop.execute(this::dialAll);
    }

    /** Creates the node from the protocol and starts it, then hands it what arrived before. */
    public void startNode() {
        loop.submit(this::boot).syncUninterruptibly();
    }

    /** A client request, delivered as from {@link Env#CLIENT}; dropped if the node is down. */
    public void inject(Message m) {
        Objects.requireNonNull(m, "message");
        loop.execute(() -> receive(Env.CLIENT, m));
    }

    /** Kills the node: its state, timers, connections and socket go; its admin endpoint stays and says so. */
    public void crash() {
        loop.submit(() -> {
            if (!alive) {
                return;
            }
            alive = false;
            incarnation++;
            node = null;
            env = null;
            started = false;
            pending.clear();
            for (int v = 0; v < links.length; v++) {
                links[v] = null;
                if (redials[v] != null) {
                    redials[v].cancel(false);
                    redials[v] = null;
                }
                attempts[v] = 0;
            }
            linksUp = 0;
            server.close();
            for (Channel c : List.copyOf(channels)) {
                c.close();
            }
        }).syncUninterruptibly();
    }

    /** Brings a crashed node back on the same port, as a fresh instance from the protocol. */
    public void restart() {
        if (alive) {
            return;
        }
        bindServer(port);
        loop.submit(() -> {
            alive = true;
            dialAll();
            boot();
        }).syncUninterruptibly();
    }

    /** Graceful stop: {@link Node#stop}, then every socket closes. The event loop is the owner's to shut down. */
    public void close() {
        if (loop.isShuttingDown()) {
            return;
        }
        try {
            loop.submit(() -> {
                if (node != null && started) {
                    try {
                        node.stop();
                    } catch (RuntimeException e) {
                        fail("stop", e);
                    }
                }
                alive = false;
                incarnation++;
                node = null;
                for (ScheduledFuture<?> r : redials) {
                    if (r != null) {
                        r.cancel(false);
                    }
                }
                if (server != null) {
                    server.close();
                }
                for (Channel c : List.copyOf(channels)) {
                    c.close();
                }
                if (admin != null) {
                    admin.close();
                }
            }).awaitUninterruptibly(5, TimeUnit.SECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the loop is already gone: so are its sockets
        }
    }

    /** Connection state of each neighbour: {@code up}, {@code connecting} or {@code down}; for /status. */
    public List<LinkStatus> links() {
        if (loop.inEventLoop()) {
            return linksNow();
        }
        try {
            return loop.submit(this::linksNow).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return List.of();
        }
    }

    private List<LinkStatus> linksNow() {
        List<LinkStatus> out = new ArrayList<>(peers.length);
        for (int v : peers) {
            Channel ch = links[v];
            boolean up = ch != null && ch.isActive();
            String state = up ? "up" : dials[v] && alive ? "connecting" : "down";
            out.add(new LinkStatus(v, dials[v] ? "dial" : "accept", state, up && ch.isWritable()));
        }
        return out;
    }

    /** One neighbour as /status shows it. */
    public record LinkStatus(int peer, String direction, String state, boolean writable) {}

    // ---- on the event loop from here on ----

    private void boot() {
        if (!alive) {
            return;
        }
        env = new HostEnv(incarnation);
        node = protocol.create(self, overlay);
        started = true;
        try {
            node.start(env);
        } catch (RuntimeException e) {
            fail("start", e);
        }
        while (!pending.isEmpty() && node != null) {
            Object[] p = pending.poll();
            deliver((Integer) p[0], (Message) p[1]);
        }
    }

    private void fail(String where, RuntimeException e) {
        if (failure == null) {
            failure = new IllegalStateException("node " + self + " threw in " + where + ": " + e, e);
        }
    }

    private void dialAll() {
        if (addresses == null) {
            return;
        }
        for (int v : peers) {
            if (dials[v]) {
                dial(v);
            }
        }
    }

    private void dial(int peer) {
        redials[peer] = null;
        if (!alive || (links[peer] != null && links[peer].isActive())) {
            return;
        }
        int inc = incarnation;
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
                redial(peer, inc);
                return;
            }
            done.channel().closeFuture().addListener(c -> redial(peer, inc));
        });
    }

    private void redial(int peer, int inc) {
        if (!alive || inc != incarnation || (links[peer] != null && links[peer].isActive()) || redials[peer] != null) {
            return;
        }
        int attempt = Math.min(attempts[peer]++, 30);
        long delay = Math.min(config.backoffMaxNanos(), config.backoffBaseNanos() << Math.min(attempt, 20));
        long jittered = delay / 2 + ThreadLocalRandom.current().nextLong(delay / 2 + 1);
        redials[peer] = loop.schedule(() -> dial(peer), jittered, TimeUnit.NANOSECONDS);
    }

    private void attach(int peer, Channel ch) {
        if (peer == Env.CLIENT) {
            return;
        }
        Channel old = links[peer];
        if (old != null && old != ch) {
            old.close();
        } else if (old == null) {
            linksUp++;
        }
        links[peer] = ch;
        attempts[peer] = 0;
        ch.closeFuture().addListener(c -> {
            if (links[peer] == ch) {
                links[peer] = null;
                linksUp--;
            }
        });
    }

    private void receive(int from, Message m) {
        if (!alive) {
            return;
        }
        if (from != Env.CLIENT && filter.blocked(from, self)) {
            metrics.drop("partition");
            return;
        }
        if (!started) {
            if (pending.size() < config.maxPendingBeforeStart()) {
                pending.add(new Object[] {from, m});
            } else {
                metrics.drop("not_started");
            }
            return;
        }
        deliver(from, m);
    }

    private void deliver(int from, Message m) {
        if (from != Env.CLIENT) {
            metrics.delivered.increment();
        }
        try {
            node.onMessage(from, m);
        } catch (RuntimeException e) {
            fail("a " + MessageCodec.typeName(MessageCodec.type(m)) + " message from " + from, e);
        }
    }

    private void send(int to, Message m) {
        int n = overlay.size();
        if (to < 0 || to >= n || to == self) {
            throw new IllegalArgumentException("node " + self + " sent to " + to + ", not another node id in 0.." + (n - 1));
        }
        Objects.requireNonNull(m, "message");
        int size = MessageCodec.encodedSize(m);
        metrics.sent.increment();
        metrics.bytesSent.add(size);
        if (!isPeer[to]) {
            metrics.drop("no_edge");
            return;
        }
        if (emulation.active()) {
            double p = emulation.lossProbability();
            if (p > 0 && linkRandom.nextDouble() < p) {
                metrics.drop("emulated_loss");
                return;
            }
            long delay = emulation.delayNanos(self, to, linkRandom);
            if (delay > 0) {
                if (delayedBytes[to] + size > config.writeBufferHighBytes()) {
                    metrics.drop("emulation_backlog");
                    return;
                }
                delayedBytes[to] += size;
                int inc = incarnation;
                loop.schedule(() -> {
                    delayedBytes[to] -= size;
                    if (inc != incarnation || !alive) {
                        metrics.drop("sender_crashed");
                        return;
                    }
                    write(to, m, size);
                }, delay, TimeUnit.NANOSECONDS);
                return;
            }
        }
        write(to, m, size);
    }

    /** The actual write of a message to a neighbour, with the connection and backpressure checks. */
    private void write(int to, Message m, int size) {
        Channel ch = links[to];
        if (ch == null || !ch.isActive()) {
            metrics.drop("no_connection");
            return;
        }
        if (!ch.isWritable()) {
            metrics.drop("not_writable");
            return;
        }
        metrics.messageOut(MessageCodec.type(m), size + FrameDecoder.PREFIX_BYTES);
        ch.writeAndFlush(m, ch.voidPromise());
    }

    private void onError(Channel ch, Throwable cause) {
        Throwable c = cause instanceof DecoderException && cause.getCause() instanceof HandshakeHandler.Rejected r ? r : cause;
        if (c instanceof HandshakeHandler.Rejected r) {
            metrics.reject(r.reason());
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
            HandshakeHandler hs = dialTo >= 0
                    ? HandshakeHandler.dialer(handshake, self, dialTo, timeout)
                    : HandshakeHandler.acceptor(handshake, self,
                            p -> p == Env.CLIENT || (p >= 0 && p < isPeer.length && isPeer[p] && !dials[p]), timeout);
            ch.pipeline().addLast(
                    new FlushConsolidationHandler(64, true),
                    new FrameDecoder(),
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
                if (!alive) {
                    ctx.close();
                    return;
                }
                peer = a.peer();
                attach(peer, ctx.channel());
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
            receive(peer, m);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            onError(ctx.channel(), cause);
        }
    }

    private final class HostEnv implements Env {
        private final int inc;
        private final SplittableRandom random;

        HostEnv(int inc) {
            this.inc = inc;
            this.random = new SplittableRandom(mix(seed ^ mix(((long) self << 20) ^ inc)));
        }

        @Override
        public int self() {
            return self;
        }

        @Override
        public long now() {
            return System.nanoTime();
        }

        @Override
        public void send(int to, Message m) {
            if (inc == incarnation) {
                NodeHost.this.send(to, m);
            }
        }

        @Override
        public Timer schedule(long delayNanos, Runnable task) {
            if (delayNanos < 0) {
                throw new IllegalArgumentException("timer delay must be >= 0, got " + delayNanos);
            }
            Objects.requireNonNull(task, "task");
            ScheduledFuture<?> f = loop.schedule(() -> {
                if (inc == incarnation && alive) {
                    try {
                        task.run();
                    } catch (RuntimeException e) {
                        fail("a timer", e);
                    }
                }
            }, delayNanos, TimeUnit.NANOSECONDS);
            return () -> f.cancel(false);
        }

        @Override
        public RandomGenerator random() {
            return random;
        }

        @Override
        public void observe(Observation o) {
            if (inc != incarnation) {
                return;
            }
            lastObservation = o;
            metrics.observed(o);
            sink.accept(o);
        }
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    @Override
    public String toString() {
        return "NodeHost[" + self + " port=" + port + " alive=" + alive + " links=" + linksUp + "/" + peers.length
                + " peers=" + Arrays.toString(peers) + "]";
    }
}
