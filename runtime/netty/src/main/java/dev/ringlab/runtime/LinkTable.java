package dev.ringlab.runtime;

import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.spec.Redial;
import dev.ringlab.topology.Overlay;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
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
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
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
 * jitter in [delay/2, delay], drawn from (run seed, this node, the peer, the attempt) by {@link Redial}, so that
 * the simulator's restart model waits the same delays as a real run with the same seed. Every connection first
 * runs the {@link Handshake}; an acceptor takes only the neighbours it does not dial, and {@link Env#CLIENT} (an
 * engine's control connection, which may inject client requests).
 *
 * <p>The above is the {@link ConnectionPolicy#EAGER eager} policy. The {@link ConnectionPolicy} of the
 * {@link RuntimeConfig} (null: eager) may make the table lazy instead; see "Lazy connections".
 *
 * <h2>Lazy connections</h2>
 * With a lazy policy nothing is dialled at start. The first {@link #write} to a neighbour without a connection
 * dials it (either side may dial, and an acceptor takes every neighbour), and holds the message in a small
 * per-edge buffer ({@link #PENDING_PER_EDGE} messages) until the connection is up, then writes the buffer in
 * order. A write to a full buffer, and every buffered message of a dial that fails (refused, timed out,
 * rejected, closed before it authenticated), is a {@link ClusterStats#NO_CONNECTION} drop
 * ({@link ClusterStats#RECEIVER_DOWN} if the engine crashed the peer, {@link #receiverDown}); after a failed dial
 * the edge waits out the backoff ({@link RuntimeConfig#backoffBaseNanos} doubling up to
 * {@link RuntimeConfig#backoffMaxNanos}, with jitter) and a write meanwhile is refused with
 * {@link ClusterStats#NO_CONNECTION} at once. Nothing redials on its own.
 *
 * <p>A connection with no frame in either direction for the policy's idle time is <em>retired</em> by the side
 * whose timer fires first (usually both at once): it leaves the table (the next write dials again), its
 * queued writes are flushed, then its output is shut down (a TCP FIN) while its input stays open: whatever
 * the peer wrote before it saw the FIN is still read and delivered. The peer reads the end of stream and
 * closes its side, which ends the connection; a retired connection the peer never closes is closed after
 * {@link RuntimeConfig#handshakeTimeoutNanos}. So a close crossing a send loses nothing silently: a message is
 * either read, or its write fails on the closed channel and is counted ({@link ClusterStats#NO_CONNECTION}).
 *
 * <p><b>Simultaneous dials</b>, and any second authenticated connection of a live neighbour, resolve to one
 * connection by a rule both ends apply alike: <b>the connection dialled by the lower id wins</b>; between two
 * dialled by the same side, the newer wins (the older one is a previous incarnation's, or one its dialer has
 * retired). The loser is retired as above, so the messages either end wrote on it before the winner came up
 * are read, not lost. Both ends see the same two connections and pick the same one whatever the order their
 * handshakes finished in. (So with a lazy policy a peer that holds the secret replaces a live connection it
 * dialled by dialling again; the secret is the trust boundary, as below.)
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
 * <h2>Duplicate peers (eager)</h2>
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
 * In order: (lazy) the idle timer, flush batching, framing, handshake, codec, and the one handler that hands a
 * connection's messages to {@link Inbound} on the loop. Rejected handshakes and malformed frames are counted in
 * {@link NodeMetrics} and close the connection.
 */
final class LinkTable {
    /** Receives what the connections read, on the node's loop. */
    @FunctionalInterface
    interface Inbound {
        /** A message from authenticated peer {@code from} ({@link Env#CLIENT} for a control connection). */
        void receive(int from, Message m);
    }

    /** Messages a lazy edge holds while its connection is being dialled (see "Lazy connections"). */
    static final int PENDING_PER_EDGE = 64;

    /** A message written to a lazy edge whose connection is not up yet, and its encoded size. */
    private record Held(Message message, int size) {}

    private final int self;
    private final RuntimeConfig config;
    private final ConnectionPolicy policy;
    /** Whether the policy is lazy (see "Lazy connections"). */
    private final boolean lazy;
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
    /** (lazy) Whether this node dialled {@code links[v]}: the tiebreak of "Simultaneous dials". */
    private final boolean[] linkDialled;
    /** (lazy) The connection this node is dialling to v and that has not authenticated yet, or null. */
    private final Channel[] dialing;
    /** (lazy) Messages to v waiting for its connection, at most {@link #PENDING_PER_EDGE}; null when none. */
    private final ArrayDeque<Held>[] held;
    /** (lazy) After a failed dial to v, no new dial before this {@link System#nanoTime}; 0: none pending. */
    private final long[] retryAfter;
    /** (lazy) Connections retired (output shut, input still read) and not closed yet. */
    private final Set<Channel> retired = new HashSet<>();
    private final Set<Channel> channels = new HashSet<>();
    /** (lazy) Whether the engine took node v down: held messages to it are then dropped as receiver_down. */
    private java.util.function.IntPredicate receiverDown = v -> false;
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
    /** TCP_QUICKACK on each connection: asked for and the loop is epoll's (nio cannot set it). */
    private final boolean quickAck;
    /** The run seed: the redial jitter is drawn from it ({@link Redial}). */
    private final long seed;

    LinkTable(int self, Overlay overlay, RuntimeConfig config, Handshake handshake, EventLoop loop, NodeMetrics metrics,
            Inbound inbound, long seed) {
        this.self = self;
        this.seed = seed;
        this.config = Objects.requireNonNull(config, "config");
        this.policy = config.connections() == null ? ConnectionPolicy.EAGER : config.connections();
        this.lazy = policy.lazy();
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
        this.linkDialled = new boolean[n];
        this.dialing = new Channel[n];
        @SuppressWarnings("unchecked")
        ArrayDeque<Held>[] h = new ArrayDeque[n];
        this.held = h;
        this.retryAfter = new long[n];
        metrics.openConnections(() -> linksUp);
        this.quickAck = config.quickAck() && Transport.ofLoop(loop) == Transport.EPOLL;
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

    /** Edges whose connection is up and authenticated (with a lazy policy: the connections open now). */
    int linksUp() {
        return linksUp;
    }

    /** The connection of {@code peer} in the table, or null (tests). On the loop. */
    Channel link(int peer) {
        return links[peer];
    }

    /** Every connection this table has open, authenticated or not, retired ones included (tests). On the loop. */
    int openChannels() {
        return channels.size();
    }

    /** The connection policy. */
    ConnectionPolicy policy() {
        return policy;
    }

    /**
     * Whether every connection the policy keeps at all times is up: every edge for eager; for lazy, none is kept
     * (an edge connects on its first send), so always.
     */
    boolean linked() {
        return lazy || linksUp >= peers.length;
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
                .channel(Transport.ofLoop(loop).serverChannel())
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

    /** Dials every edge this node owns (once {@link #open}); nothing with a lazy policy. On the loop. */
    void dialAll() {
        if (addresses == null || !open || lazy) {
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
            dialing[v] = null;
            retryAfter[v] = 0;
            if (held[v] != null) {
                for (int k = held[v].size(); k > 0; k--) {
                    metrics.drop(ClusterStats.SENDER_CRASHED); // accepted from the node, never written: it went down
                }
                held[v] = null;
            }
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
     * Writes {@code m} to neighbour {@code to}. On the loop. With a lazy policy and no connection to {@code to},
     * holds it and dials (see "Lazy connections").
     *
     * @return null if written (or held), {@link ClusterStats#NO_CONNECTION} or {@link ClusterStats#NOT_WRITABLE}
     *     if not
     */
    String write(int to, Message m, int size) {
        Channel ch = links[to];
        if (ch == null || !ch.isActive()) {
            return lazy ? hold(to, m, size) : ClusterStats.NO_CONNECTION;
        }
        if (!ch.isWritable()) {
            return ClusterStats.NOT_WRITABLE;
        }
        metrics.messageOut(MessageCodec.type(m), size + FrameDecoder.PREFIX_BYTES);
        // Not the void promise: a write that fails because the connection closed under it is a drop to count.
        ch.writeAndFlush(m).addListener(countFailedWrite);
        return null;
    }

    /**
     * Connection state of each neighbour. On the loop. Eager: direction {@code dial} or {@code accept}, state
     * {@code up}, {@code connecting} (a dialer's edge that is down) or {@code down}. Lazy: direction {@code lazy},
     * state {@code up}, {@code connecting} (a dial in progress), {@code idle} (no connection, none needed) or
     * {@code down} (the node is down).
     */
    List<NodeHost.LinkStatus> status() {
        List<NodeHost.LinkStatus> out = new ArrayList<>(peers.length);
        for (int v : peers) {
            Channel ch = links[v];
            boolean up = ch != null && ch.isActive();
            if (lazy) {
                String state = up ? "up" : !open ? "down" : dialing[v] != null ? "connecting" : "idle";
                out.add(new NodeHost.LinkStatus(v, "lazy", state, up && ch.isWritable()));
                continue;
            }
            String state = up ? "up" : dials[v] && open ? "connecting" : "down";
            out.add(new NodeHost.LinkStatus(v, dials[v] ? "dial" : "accept", state, up && ch.isWritable()));
        }
        return out;
    }

    private ChannelFuture connectTo(int peer) {
        return new Bootstrap()
                .group(loop)
                .channel(Transport.ofLoop(loop).socketChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 2000)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(config.writeBufferLowBytes(), config.writeBufferHighBytes()))
                .handler(new PeerInitializer(peer))
                .connect(addresses[peer]);
    }

    private void dial(int peer) {
        redials[peer] = null;
        if (!open || (links[peer] != null && links[peer].isActive())) {
            return;
        }
        int gen = generation;
        ChannelFuture f = connectTo(peer);
        f.addListener((ChannelFuture done) -> {
            if (!done.isSuccess()) {
                redial(peer, gen);
                return;
            }
            done.channel().closeFuture().addListener(c -> redial(peer, gen));
        });
    }

    /** (lazy) Holds {@code m} for {@code to}, dialling it if no dial is in progress; the drop reason if it cannot. */
    private String hold(int to, Message m, int size) {
        if (!open || addresses == null) {
            return ClusterStats.NO_CONNECTION;
        }
        if (dialing[to] == null) {
            if (retryAfter[to] != 0 && System.nanoTime() - retryAfter[to] < 0) {
                return ClusterStats.NO_CONNECTION; // the last dial failed: backing off
            }
            dialLazily(to);
            if (dialing[to] == null) {
                return ClusterStats.NO_CONNECTION; // failed at once (its listener already ran)
            }
        }
        ArrayDeque<Held> q = held[to];
        if (q == null) {
            q = held[to] = new ArrayDeque<>();
        }
        if (q.size() >= PENDING_PER_EDGE) {
            return ClusterStats.NO_CONNECTION;
        }
        q.add(new Held(m, size));
        return null;
    }

    /** (lazy) Dials {@code peer}; its held messages go out when a connection to it authenticates. */
    private void dialLazily(int peer) {
        int gen = generation;
        ChannelFuture f = connectTo(peer);
        Channel ch = f.channel();
        dialing[peer] = ch;
        f.addListener((ChannelFuture done) -> {
            if (!done.isSuccess()) {
                dialFailed(peer, ch, gen);
            }
        });
        ch.closeFuture().addListener(c -> dialFailed(peer, ch, gen));
    }

    /**
     * (lazy) Dial {@code ch} to {@code peer} ended without authenticating (a no-op if it did, or was given up):
     * its held messages are dropped and the edge backs off.
     */
    private void dialFailed(int peer, Channel ch, int gen) {
        if (gen != generation || dialing[peer] != ch) {
            return;
        }
        dialing[peer] = null;
        dropHeld(peer);
        int attempt = Math.min(attempts[peer]++, Redial.MAX_ATTEMPT);
        long jittered = Redial.delayNanos(seed, self, peer, attempt, config.backoffBaseNanos(), config.backoffMaxNanos());
        retryAfter[peer] = System.nanoTime() + jittered;
        if (retryAfter[peer] == 0) {
            retryAfter[peer] = 1;
        }
    }

    private void dropHeld(int peer) {
        ArrayDeque<Held> q = held[peer];
        held[peer] = null;
        if (q != null) {
            String why = receiverDown.test(peer) ? ClusterStats.RECEIVER_DOWN : ClusterStats.NO_CONNECTION;
            for (int k = q.size(); k > 0; k--) {
                metrics.drop(why);
            }
        }
    }

    /**
     * (lazy) Held messages dropped when a dial fails count as {@link ClusterStats#RECEIVER_DOWN} for a node
     * {@code down} says the engine crashed, as {@link SendPath} counts a refused write to it; else
     * {@link ClusterStats#NO_CONNECTION}.
     */
    void receiverDown(java.util.function.IntPredicate down) {
        this.receiverDown = Objects.requireNonNull(down, "down");
    }

    /**
     * (lazy) Takes the authenticated connection {@code ch} of {@code peer} ({@code dialled}: this node dialled it),
     * or retires it if the live one wins (see "Simultaneous dials"). Held messages go out on the winner.
     */
    private void attachLazily(int peer, Channel ch, boolean dialled) {
        if (dialing[peer] == ch) {
            dialing[peer] = null;
        } else if (dialing[peer] != null) {
            // Our own dial has not authenticated, so the peer cannot have authenticated it either (it does on our
            // RESPONSE, sent once we authenticate): give it up, nothing was written on it.
            Channel mine = dialing[peer];
            dialing[peer] = null;
            mine.close();
        }
        attempts[peer] = 0;
        retryAfter[peer] = 0;
        Channel old = links[peer];
        if (old != null && old != ch && old.isActive()) {
            int oldDialer = linkDialled[peer] ? self : peer;
            int newDialer = dialled ? self : peer;
            if (oldDialer < newDialer) {
                retire(peer, ch); // the live connection was dialled by the lower id: it stays
                return;
            }
            retire(peer, old); // leaves links[peer] empty
            old = null;
        }
        links[peer] = ch;
        linkDialled[peer] = dialled;
        metrics.connectionOpened();
        if (old == null) {
            linksUp++;
        } else if (old != ch) {
            old.close(); // inactive already; see attach
        }
        ch.closeFuture().addListener(c -> {
            if (links[peer] == ch) {
                links[peer] = null;
                linksUp--;
            }
        });
        ArrayDeque<Held> q = held[peer];
        held[peer] = null;
        if (q != null && !q.isEmpty()) {
            for (Held h : q) {
                metrics.messageOut(MessageCodec.type(h.message()), h.size() + FrameDecoder.PREFIX_BYTES);
                ch.write(h.message()).addListener(countFailedWrite);
            }
            ch.flush();
        }
    }

    /**
     * (lazy) Retires {@code ch} of {@code peer}: out of the table, its queued writes flushed, then its output shut
     * down while its input is still read; closed when the peer closes its side, or after
     * {@link RuntimeConfig#handshakeTimeoutNanos} at the latest (see "Lazy connections").
     */
    private void retire(int peer, Channel ch) {
        if (links[peer] == ch) {
            links[peer] = null;
            linksUp--;
        }
        if (!retired.add(ch)) {
            return;
        }
        ScheduledFuture<?> linger = loop.schedule(() -> {
            ch.close();
        }, config.handshakeTimeoutNanos(), TimeUnit.NANOSECONDS);
        ch.closeFuture().addListener(c -> {
            retired.remove(ch);
            linger.cancel(false);
        });
        ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFuture f) -> {
            if (f.isSuccess() && ch.isActive() && ch instanceof SocketChannel s) {
                s.shutdownOutput();
            }
        });
    }

    private void redial(int peer, int gen) {
        if (!open || gen != generation || (links[peer] != null && links[peer].isActive()) || redials[peer] != null) {
            return;
        }
        int attempt = Math.min(attempts[peer]++, Redial.MAX_ATTEMPT);
        long jittered = Redial.delayNanos(seed, self, peer, attempt, config.backoffBaseNanos(), config.backoffMaxNanos());
        redials[peer] = loop.schedule(() -> dial(peer), jittered, TimeUnit.NANOSECONDS);
    }

    /**
     * Takes an authenticated connection for {@code peer}; false if the rule refuses it (see "Duplicate peers").
     * With a lazy policy, always true: a connection that loses the tiebreak is retired, still read, not refused.
     */
    private boolean attach(int peer, Channel ch, boolean dialled) {
        if (peer == Env.CLIENT) {
            return true;
        }
        if (lazy) {
            attachLazily(peer, ch, dialled);
            return true;
        }
        Channel old = links[peer];
        if (old != null && old != ch && old.isActive()) {
            return false;
        }
        links[peer] = ch;
        metrics.connectionOpened();
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

    /**
     * The pipeline of every peer connection, in order: flush batching (if {@link RuntimeConfig#consolidateFlushes}),
     * framing, handshake, codec, link; with the {@link HopProbe} on, its two handlers around them.
     */
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
                            p -> p == Env.CLIENT || (p >= 0 && p < isPeer.length && isPeer[p] && (lazy || !dials[p])),
                            timeout);
            if (quickAck) {
                ch.config().setOption(EpollChannelOption.TCP_QUICKACK, true);
            }
            if (lazy) {
                ch.pipeline().addLast(new IdleStateHandler(0, 0, policy.idleNanos(), TimeUnit.NANOSECONDS));
            }
            if (config.consolidateFlushes()) {
                ch.pipeline().addLast(new FlushConsolidationHandler(64, true));
            }
            ch.pipeline().addLast(FrameDecoder.beforeHandshake(), hs, new MessageDecoder(), MessageEncoder.INSTANCE);
            if (HopProbe.ON) {
                HopProbe.Pair probe = new HopProbe.Pair();
                ch.pipeline().addFirst(probe.outer());
                ch.pipeline().addLast(probe.inner());
            }
            ch.pipeline().addLast(new LinkHandler(dialTo >= 0));
        }
    }

    /** The one handler that hands a connection's messages to the node, on the node's loop. */
    private final class LinkHandler extends ChannelInboundHandlerAdapter {
        private final boolean dialled;
        private int peer = Integer.MIN_VALUE;

        LinkHandler(boolean dialled) {
            this.dialled = dialled;
        }

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
                if (!attach(a.peer(), ctx.channel(), dialled)) {
                    metrics.reject("duplicate_peer");
                    ctx.close();
                    return;
                }
                peer = a.peer();
            } else if (evt instanceof IdleStateEvent) {
                // Lazy only (the handler is there only then): a peer's connection idle both ways is retired. Not a
                // control connection, which the engine keeps; nor one not authenticated yet (its handshake timeout
                // closes it) or retired already.
                if (peer >= 0 && links[peer] == ctx.channel()) {
                    metrics.idleClose();
                    retire(peer, ctx.channel());
                }
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
