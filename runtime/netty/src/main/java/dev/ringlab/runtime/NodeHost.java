package dev.ringlab.runtime;

import dev.ringlab.node.SplitMix;
import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.topology.Overlay;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One node on real sockets, all owned by one Netty {@link EventLoop}, so the node logic is single-threaded
 * exactly as in the simulator. It puts together four parts, each with one job:
 * <ul>
 *   <li>{@link NodeRunner}: the {@link Node} instance, its {@link Env} and timers, its incarnations;
 *   <li>{@link SendPath}: the overlay rule, the {@link LinkEmulation} and the engine's {@link LinkFaults}
 *       on every send, each drop counted by reason;
 *   <li>{@link LinkTable}: the listening socket and one TCP connection per overlay edge (eager), or per edge in
 *       use (lazy: see {@link ConnectionPolicy}), with dialing, reconnection and backoff, the handshake and the
 *       pipeline;
 *   <li>{@link AdminServer} (optional): {@code /status} and {@code /metrics} for users.
 * </ul>
 * Received messages meet the partition check ({@link LinkFaults#blocked}, {@link ClusterStats#PARTITION})
 * here before they reach the node; client requests ({@link Env#CLIENT}) skip it.
 *
 * <h2>Link emulation</h2>
 * With a {@link LinkEmulation} other than {@link LinkEmulation#NONE}, or a slow node or loss burst in the
 * {@link LinkFaults}, each message to a neighbour first meets the loss draw, then the delay, drawn from
 * this node's own generator seeded from (run seed, node id) ({@link #linkSeed}): the delay is added on top
 * of the real loopback latency (see {@link SendPath} for the order and the drop reasons). A delayed message
 * is written by a timer on the node's event loop; the connection and backpressure checks happen at that
 * moment. Timer precision is the event loop's: Netty 4.2's NIO loop sleeps in the selector for the delay
 * rounded to whole milliseconds and polls ({@code selectNow}, spinning the loop's thread) once less than
 * 0.5 ms is left, so timers fire within tens of microseconds of their deadline (measured on loopback:
 * const:200us hops p50 222-234 us, const:1ms p50 1135-1146 us) at the cost of a busy loop for the last half
 * millisecond of each wait. Independent draws per message reorder a link's messages when the model draws
 * different delays (uniform, lognormal, empirical), as in the simulator; a constant delay keeps each link
 * FIFO (the loop runs timers with equal or increasing deadlines in scheduling order).
 *
 * <h2>Counters</h2>
 * One {@link NodeMetrics} for the host's whole life: a crash and restart keep counting into it, so the
 * cluster's sum covers every incarnation.
 *
 * <h2>Threads</h2>
 * Public methods may be called from any thread but the event loop's; they hand work to the loop and wait
 * for it where the result matters.
 */
public final class NodeHost {
    private final int self;
    private final RuntimeConfig config;
    private final EventLoop loop;
    private final LinkFaults faults;
    private final LinkEmulation emulation;
    private final NodeMetrics metrics;
    private final LinkTable links;
    private final SendPath sendPath;
    private final NodeRunner runner;
    private final long bornNanos = System.nanoTime();

    private AdminServer admin;
    private volatile boolean alive;

    /**
     * @param faults    the engine's link faults, read on every send and receipt (shared by the hosts of one
     *                  cluster; sized for the overlay)
     * @param emulation delay and loss added on this node's send path ({@link LinkEmulation#NONE}: none); its
     *                  draws come from a generator seeded from {@code seed} and {@code self}
     */
    public NodeHost(int self, Overlay overlay, Protocol protocol, byte[] secret, RuntimeConfig config, EventLoop loop,
            long seed, Consumer<Observation> sink, LinkFaults faults, LinkEmulation emulation) {
        Objects.requireNonNull(overlay, "overlay");
        this.self = self;
        this.config = Objects.requireNonNull(config, "config");
        this.loop = Objects.requireNonNull(loop, "loop");
        this.faults = Objects.requireNonNull(faults, "faults");
        this.emulation = Objects.requireNonNull(emulation, "emulation");
        if (faults.size() != overlay.size()) {
            throw new IllegalArgumentException("link faults for " + faults.size() + " nodes, overlay of " + overlay.size());
        }
        this.metrics = new NodeMetrics(self);
        RuntimeConfig resolved = config.withConnections(ConnectionPolicy.resolve(config.connections(), protocol));
        this.links = new LinkTable(self, overlay, resolved, new Handshake(secret), loop, metrics, this::receive, seed);
        this.links.receiverDown(faults::isDown);
        this.sendPath = new SendPath(self, links.peerMask(), emulation, faults, metrics, loop, System::nanoTime, seed,
                config.writeBufferHighBytes(), links::write);
        this.runner = new NodeRunner(self, overlay, protocol, loop, System::nanoTime, seed, sendPath::send,
                Objects.requireNonNull(sink, "sink"), metrics, config.maxPendingBeforeStart());
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

    /** The engine's link faults this node applies. */
    public LinkFaults faults() {
        return faults;
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
        return links.port();
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
        return links.linksUp();
    }

    /** Number of overlay neighbours (edges), either direction. */
    public int degree() {
        return links.degree();
    }

    /** Peer connections open now: {@link #linksUp()}, under the name the reports use. */
    public int openConnections() {
        return links.linksUp();
    }

    /** The connection policy this node runs (the config's, or the protocol's default). */
    public ConnectionPolicy connectionPolicy() {
        return links.policy();
    }

    /**
     * Whether the connections its policy keeps up at all times are up: every edge for eager, none for lazy (so
     * always true). What an engine waits for before starting the nodes.
     */
    public boolean linked() {
        return links.linked();
    }

    /** The first exception the node logic threw, if any: a bug, which the cluster reports as a failed run. */
    public Throwable failure() {
        return runner.failure();
    }

    public Observation lastObservation() {
        return runner.lastObservation();
    }

    public long uptimeNanos() {
        return System.nanoTime() - bornNanos;
    }

    /**
     * Binds the peer socket on {@code port} (0: any free port) and, if {@code adminPort >= 0}, the admin
     * endpoint. Blocks until bound.
     */
    public int bind(int port, int adminPort) {
        int bound = links.bind(port);
        if (adminPort >= 0) {
            admin = new AdminServer(() -> AdminServer.status(this).toString(), metrics::prometheus, loop,
                    config.bindHost(), adminPort);
        }
        loop.submit(() -> {
            links.open();
            alive = true;
        }).syncUninterruptibly();
        return bound;
    }

    /** Starts dialling the edges this node owns; {@code addresses[v]} is node v's peer socket. */
    public void connect(InetSocketAddress[] addresses) {
        if (addresses.length != faults.size()) {
            throw new IllegalArgumentException("need " + faults.size() + " addresses, got " + addresses.length);
        }
        links.connect(addresses);
    }

    /** Creates the node from the protocol and starts it, then hands it what arrived before. */
    public void startNode() {
        loop.submit(() -> {
            if (alive) {
                runner.boot();
            }
        }).syncUninterruptibly();
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
            runner.crash();
            sendPath.discardDelayed();
            links.closeAll();
        }).syncUninterruptibly();
    }

    /** Brings a crashed node back on the same port, as a fresh instance from the protocol. */
    public void restart() {
        if (alive) {
            return;
        }
        links.bind(links.port());
        // One task: the table keeps connections, the node is up and started, all at once, so no peer's
        // connection is kept while the node could not take its messages (it is closed and redialled instead).
        loop.submit(() -> {
            links.open();
            alive = true;
            links.dialAll();
            runner.boot();
        }).syncUninterruptibly();
    }

    /** Graceful stop: {@link Node#stop}, then every socket closes. The event loop is the owner's to shut down. */
    public void close() {
        if (loop.isShuttingDown()) {
            return;
        }
        try {
            loop.submit(() -> {
                runner.stop();
                alive = false;
                sendPath.discardDelayed();
                links.closeAll();
                if (admin != null) {
                    admin.close();
                }
            }).awaitUninterruptibly(5, TimeUnit.SECONDS);
        } catch (RejectedExecutionException e) {
            // the loop is already gone: so are its sockets
        }
    }

    /** Connection state of each neighbour: {@code up}, {@code connecting} or {@code down}; for /status. */
    public List<LinkStatus> links() {
        if (loop.inEventLoop()) {
            return links.status();
        }
        try {
            return loop.submit(links::status).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return List.of();
        }
    }

    /** One neighbour as /status shows it. */
    public record LinkStatus(int peer, String direction, String state, boolean writable) {}

    /** What a connection read, on the loop: the partition check, then the node. */
    private void receive(int from, Message m) {
        if (from == Env.CLIENT) {
            metrics.clientRequest();
        }
        if (!alive) {
            if (from != Env.CLIENT) {
                metrics.drop(ClusterStats.RECEIVER_DOWN); // read just before its connection closed with the node
            }
            return;
        }
        if (from != Env.CLIENT && faults.blocked(from, self)) {
            metrics.drop(ClusterStats.PARTITION);
            return;
        }
        runner.receive(from, m);
    }

    static long mix(long z) {
        return SplitMix.mix64(z);
    }

    @Override
    public String toString() {
        return "NodeHost[" + self + " port=" + links.port() + " alive=" + alive + " links=" + links.linksUp() + "/"
                + links.degree() + " peers=" + Arrays.toString(links.peers()) + "]";
    }
}
