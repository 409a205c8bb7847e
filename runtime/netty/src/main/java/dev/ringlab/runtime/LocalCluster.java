package dev.ringlab.runtime;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.TimerLateness;
import dev.ringlab.topology.Overlay;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.PriorityQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The {@code netty} engine: N {@link NodeHost}s in one JVM, each on its own loopback port with real TCP
 * connections between them, sharing one event loop group (one thread per core by default; each node is
 * pinned to one loop of it). The group's transport ({@link Transport}, nio or epoll) and the mapping of nodes
 * to loops (round robin, or blocks of consecutive ids) come from the {@link RuntimeConfig}.
 *
 * <p>Semantics next to the simulator's: {@link #start} binds every node, waits until every edge is
 * connected and authenticated (up to 10 s; with a lazy {@link ConnectionPolicy} no edge is connected before
 * its first send, so nothing to wait for), then starts the nodes, so a protocol's first sends are not
 * lost to connection set-up. {@link #runFor} waits on the wall clock; {@link #runUntil} polls every
 * millisecond; {@link #at} actions run on the controlling thread inside {@code runFor}/{@code runUntil}
 * (within about a millisecond of their time). {@link #crash} closes the node's sockets and discards it;
 * {@link #restart} rebinds the same port with a fresh node (its neighbours reconnect with backoff, and
 * messages sent meanwhile are dropped and counted). {@link #partition} is an emulation: the connections
 * stay up and the receiving side drops frames between groups. {@link #slow} and {@link #lossBurst} act on
 * every node's send path (see {@link SendPath}); all three take effect at once on every node, through one
 * {@link LinkFaults} the hosts share. Observers are called under one lock, from the event-loop threads. Not
 * deterministic: {@link #traceHash} is empty.
 *
 * <p>Links have the latency of loopback TCP. A {@link LinkEmulation} adds a seeded delay and loss on each
 * node's send path on top of it (see {@link NodeHost}); the default, {@link LinkEmulation#NONE}, adds
 * nothing.
 *
 * <p>{@link #stats} sums the hosts' counters, read directly (no request to the nodes); a host keeps one set
 * of counters across crashes and restarts, so the sum covers every incarnation.
 * {@link dev.ringlab.node.Protocol#checkOverlay} runs in the constructor.
 */
public final class LocalCluster implements Cluster {
    static {
        NettyJfr.offUnlessSet(); // before this class touches Netty
    }

    private final Overlay overlay;
    private final Protocol protocol;
    private final RuntimeConfig config;
    private final long seed;
    private final byte[] secret;
    private final int threads;
    private final LinkEmulation emulation;
    private final List<Consumer<Observation>> observers = new CopyOnWriteArrayList<>();
    private final Object observerLock = new Object();
    private final PriorityQueue<Action> actions = new PriorityQueue<>();
    private final LinkFaults faults;
    private EventLoopGroup loops;
    /** The event-loop threads of {@link #loops}, as the group starts them. */
    private final List<Thread> loopThreads = new CopyOnWriteArrayList<>();
    private NodeHost[] hosts;
    private long actionSeq;
    private boolean started;
    private boolean closed;

    private record Action(long atNanos, long seq, Runnable run) implements Comparable<Action> {
        @Override
        public int compareTo(Action o) {
            int c = Long.compare(atNanos, o.atNanos);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    /**
     * @param threads event-loop threads shared by the nodes (0: Netty's default, 2 per available processor)
     */
    public LocalCluster(Overlay overlay, Protocol protocol, long seed, RuntimeConfig config, int threads) {
        this(overlay, protocol, seed, config, threads, LinkEmulation.NONE);
    }

    /**
     * @param threads   event-loop threads shared by the nodes (0: Netty's default, 2 per available processor)
     * @param emulation delay and loss every node adds on its send path, drawn from per-node generators seeded
     *                  from {@code seed} ({@link LinkEmulation#NONE}: the real links only)
     */
    public LocalCluster(Overlay overlay, Protocol protocol, long seed, RuntimeConfig config, int threads,
            LinkEmulation emulation) {
        this.emulation = Objects.requireNonNull(emulation, "emulation");
        this.overlay = Objects.requireNonNull(overlay, "overlay");
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        this.config = Objects.requireNonNull(config, "config");
        this.seed = seed;
        this.threads = threads;
        this.secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        this.faults = new LinkFaults(overlay.size());
        protocol.checkOverlay(overlay);
    }

    public LocalCluster(Overlay overlay, Protocol protocol, long seed) {
        this(overlay, protocol, seed, RuntimeConfig.defaults(), 0);
    }

    /** The delay and loss the nodes add on their send paths. */
    public LinkEmulation emulation() {
        return emulation;
    }

    /** The cluster secret (for tests that play a peer). */
    public byte[] secret() {
        return secret.clone();
    }

    /** Node {@code v}'s host: ports, metrics, status. */
    public NodeHost host(int v) {
        return hosts[v];
    }

    @Override
    public String engine() {
        return "netty";
    }

    @Override
    public Overlay overlay() {
        return overlay;
    }

    @Override
    public Protocol protocol() {
        return protocol;
    }

    @Override
    public void addObserver(Consumer<Observation> sink) {
        observers.add(Objects.requireNonNull(sink, "sink"));
    }

    private void observe(Observation o) {
        synchronized (observerLock) {
            for (Consumer<Observation> c : observers) {
                c.accept(o);
            }
        }
    }

    @Override
    public void start() {
        if (started) {
            throw new IllegalStateException("cluster already started");
        }
        started = true;
        int n = overlay.size();
        // The group's own thread factory (same names), keeping its threads: cpuNanos() reads their CPU time.
        loops = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(MultiThreadIoEventLoopGroup.class) {
            @Override
            protected Thread newThread(Runnable r, String name) {
                Thread t = super.newThread(r, name);
                loopThreads.add(t);
                return t;
            }
        }, config.transport().ioHandlerFactory());
        List<EventLoop> each = new ArrayList<>();
        loops.forEach(e -> each.add((EventLoop) e));
        hosts = new NodeHost[n];
        try {
            InetSocketAddress[] addresses = new InetSocketAddress[n];
            for (int v = 0; v < n; v++) {
                hosts[v] = new NodeHost(v, overlay, protocol, secret, config, each.get(loopOf(v, n, each.size())),
                        seed, this::observe, faults, emulation);
                addresses[v] = new InetSocketAddress(config.bindHost(), hosts[v].bind(0, 0));
            }
            for (NodeHost h : hosts) {
                h.connect(addresses);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!allLinksUp()) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("not every edge connected within 10 s: " + describeLinks());
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            for (NodeHost h : hosts) {
                h.startNode();
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * The loop of node {@code v} of {@code n} on {@code loops} loops: in blocks of consecutive ids
     * ({@link RuntimeConfig#blockPlacement}), so a ring's neighbours share a loop and only the hops across a
     * block's edge wake another thread; else round robin.
     */
    private int loopOf(int v, int n, int loops) {
        return config.blockPlacement() ? (int) ((long) v * loops / n) : v % loops;
    }

    private boolean allLinksUp() {
        for (NodeHost h : hosts) {
            if (!h.linked()) {
                return false;
            }
        }
        return true;
    }

    private String describeLinks() {
        List<String> s = new ArrayList<>();
        for (NodeHost h : hosts) {
            if (!h.linked()) {
                s.add(h.toString());
            }
        }
        return String.join(", ", s);
    }

    @Override
    public long now() {
        return System.nanoTime();
    }

    private void requireStarted() {
        if (!started || closed) {
            throw new IllegalStateException("cluster not running");
        }
    }

    private void checkNode(int v) {
        if (v < 0 || v >= overlay.size()) {
            throw new IllegalArgumentException("node " + v + " not in 0.." + (overlay.size() - 1));
        }
    }

    @Override
    public void inject(int node, Message m) {
        checkNode(node);
        requireStarted();
        hosts[node].inject(m);
    }

    @Override
    public void crash(int node) {
        checkNode(node);
        requireStarted();
        faults.down(node, true);
        hosts[node].crash();
    }

    @Override
    public void restart(int node) {
        checkNode(node);
        requireStarted();
        hosts[node].restart();
        faults.down(node, false);
    }

    @Override
    public boolean alive(int node) {
        checkNode(node);
        return hosts != null && hosts[node].alive();
    }

    @Override
    public void partition(int[][] groups) {
        faults.partition(LinkFaults.groupOfNode(overlay.size(), groups));
    }

    @Override
    public void heal() {
        faults.heal();
    }

    @Override
    public void slow(int node, long extraNanos) {
        faults.slow(node, extraNanos);
    }

    @Override
    public void lossBurst(double probability) {
        faults.lossBurst(probability);
    }

    @Override
    public void at(long atNanos, Runnable action) {
        actions.add(new Action(atNanos, actionSeq++, Objects.requireNonNull(action, "action")));
    }

    @Override
    public void runFor(long nanos) {
        runUntil(() -> false, nanos);
    }

    @Override
    public boolean runUntil(BooleanSupplier condition, long timeoutNanos) {
        requireStarted();
        long deadline = System.nanoTime() + timeoutNanos;
        while (true) {
            runDueActions();
            checkFailures();
            if (condition.getAsBoolean()) {
                return true;
            }
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                return false;
            }
            long wait = Math.min(deadline - now, TimeUnit.MILLISECONDS.toNanos(1));
            Action next = actions.peek();
            if (next != null) {
                wait = Math.max(0, Math.min(wait, next.atNanos - now));
            }
            LockSupport.parkNanos(wait);
        }
    }

    private void runDueActions() {
        while (!actions.isEmpty() && actions.peek().atNanos - System.nanoTime() <= 0) {
            actions.poll().run.run();
        }
    }

    private void checkFailures() {
        for (NodeHost h : hosts) {
            if (h.failure() != null) {
                throw new IllegalStateException(h.failure().getMessage(), h.failure());
            }
        }
    }

    @Override
    public ClusterStats stats() {
        List<NodeMetrics.Counters> parts = new ArrayList<>();
        if (hosts != null) {
            for (NodeHost h : hosts) {
                if (h != null) {
                    parts.add(h.metrics().counters());
                }
            }
        }
        return NodeMetrics.Counters.sum(parts);
    }

    /** How late the nodes' timers ran, summed over the hosts (each counts every incarnation of its node). */
    @Override
    public TimerLateness timerLateness() {
        TimerLateness sum = new TimerLateness();
        if (hosts != null) {
            for (NodeHost h : hosts) {
                if (h != null) {
                    sum.add(h.metrics().timerLateness());
                }
            }
        }
        return sum;
    }

    /** Each node's open peer connections now ({@link NodeHost#openConnections}; 0 for a crashed node). */
    @Override
    public int[] openConnections() {
        int[] out = new int[overlay.size()];
        if (hosts != null) {
            for (int v = 0; v < out.length; v++) {
                out[v] = hosts[v] == null ? 0 : hosts[v].openConnections();
            }
        }
        return out;
    }

    /** The measured CPU time of the event-loop threads (see {@link Cluster#cpuNanos}); a thread that ended counts no more. */
    @Override
    public OptionalLong cpuNanos() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!mx.isThreadCpuTimeSupported() || !mx.isThreadCpuTimeEnabled()) {
            return OptionalLong.empty();
        }
        long sum = 0;
        for (Thread t : loopThreads) {
            long v = mx.getThreadCpuTime(t.threadId());
            if (v > 0) {
                sum += v;
            }
        }
        return OptionalLong.of(sum);
    }

    @Override
    public OptionalLong traceHash() {
        return OptionalLong.empty();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (hosts != null) {
                for (NodeHost h : hosts) {
                    if (h != null) {
                        h.close();
                    }
                }
            }
        } finally {
            if (loops != null) {
                loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            }
        }
    }
}
