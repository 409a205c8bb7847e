package dev.ringlab.sim;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.Timer;
import dev.ringlab.topology.Overlay;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * The discrete-event simulator: the node logic of {@code dev.ringlab.node} on a virtual clock, on one
 * thread, reproducible from one seed.
 *
 * <h2>Determinism</h2>
 * Events are ordered by (virtual time, sequence number) in an {@link EventQueue}; every random draw comes
 * from a stream split from {@link SimConfig#seed()}: one per node incarnation (handed to the node as
 * {@link Env#random()}) and one for the network (loss and latency draws, taken in event order). Nothing
 * depends on hash order, identity or wall time, so the same seed and build give the same run and the
 * same {@link #traceHash()} in any JVM.
 *
 * <h2>Faults</h2>
 * A crash drops the node, its pending timers and every message that reaches it while down; messages it
 * sent before crashing are still delivered (they were on the wire). A partition drops messages that
 * arrive across group lines while it lasts. Loss drops each message independently at send time.
 */
public final class SimCluster implements Cluster {
    static final int DELIVER = 0;
    static final int TIMER = 1;
    static final int CONTROL = 2;

    private static final long NODE_STREAM = 0x6E6F6465L; // "node"
    private static final long NET_STREAM = 0x6E6574L; // "net"

    private final Overlay overlay;
    private final Protocol protocol;
    private final SimConfig config;
    private final int n;
    private final Node[] nodes;
    private final SimEnv[] envs;
    private final int[] incarnation;
    private final boolean[] alive;
    private final int[] group;
    private final long[] busyUntil;
    private final EventQueue queue;
    private final SplittableRandom network;
    private final List<Consumer<Observation>> observers = new ArrayList<>();

    private long now;
    private boolean started;
    private boolean closed;
    private long traceHash = 0x5EED5EED5EED5EEDL;
    private long sent;
    private long bytes;
    private long delivered;
    private long dropped;

    public SimCluster(Overlay overlay, Protocol protocol, SimConfig config) {
        this.overlay = Objects.requireNonNull(overlay, "overlay");
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        this.config = Objects.requireNonNull(config, "config");
        this.n = overlay.size();
        this.nodes = new Node[n];
        this.envs = new SimEnv[n];
        this.incarnation = new int[n];
        this.alive = new boolean[n];
        this.group = new int[n];
        this.busyUntil = config.processingNanosPerMsg() > 0 ? new long[n] : null;
        this.queue = new EventQueue(Math.min(1 << 20, Math.max(1024, overlay.arcs())));
        this.network = new SplittableRandom(mix(config.seed() ^ mix(NET_STREAM)));
    }

    /** SplitMix64's finaliser: a bijective 64-bit mix (Steele, Lea, Flood 2014). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    public SimConfig config() {
        return config;
    }

    @Override
    public String engine() {
        return "sim";
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

    @Override
    public void start() {
        if (started) {
            throw new IllegalStateException("cluster already started");
        }
        started = true;
        for (int v = 0; v < n; v++) {
            boot(v);
        }
    }

    private void boot(int v) {
        alive[v] = true;
        SimEnv env = new SimEnv(v, incarnation[v]);
        envs[v] = env;
        Node node = protocol.create(v, overlay);
        nodes[v] = node;
        try {
            node.start(env);
        } catch (RuntimeException e) {
            throw failure(v, "start", e);
        }
    }

    @Override
    public long now() {
        return now;
    }

    @Override
    public void inject(int node, Message m) {
        checkNode(node);
        requireStarted();
        if (!alive[node]) {
            dropped++;
            return;
        }
        try {
            nodes[node].onMessage(Env.CLIENT, m);
        } catch (RuntimeException e) {
            throw failure(node, "a client request", e);
        }
    }

    @Override
    public void crash(int node) {
        checkNode(node);
        if (!alive[node]) {
            return;
        }
        alive[node] = false;
        incarnation[node]++;
        nodes[node] = null;
        envs[node] = null;
    }

    @Override
    public void restart(int node) {
        checkNode(node);
        requireStarted();
        if (alive[node]) {
            return;
        }
        if (busyUntil != null) {
            busyUntil[node] = now;
        }
        boot(node);
    }

    @Override
    public boolean alive(int node) {
        checkNode(node);
        return alive[node];
    }

    @Override
    public void partition(int[][] groups) {
        java.util.Arrays.fill(group, 0);
        for (int g = 0; g < groups.length; g++) {
            for (int v : groups[g]) {
                checkNode(v);
                group[v] = g + 1;
            }
        }
    }

    @Override
    public void heal() {
        java.util.Arrays.fill(group, 0);
    }

    @Override
    public void at(long atNanos, Runnable action) {
        queue.push(Math.max(now, atNanos), CONTROL, -1, -1, Objects.requireNonNull(action, "action"));
    }

    @Override
    public void runFor(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("cannot run for negative time " + nanos);
        }
        requireStarted();
        long deadline = now + nanos;
        while (!queue.isEmpty() && queue.peekTime() <= deadline) {
            step();
        }
        now = deadline;
    }

    @Override
    public boolean runUntil(BooleanSupplier condition, long timeoutNanos) {
        requireStarted();
        if (condition.getAsBoolean()) {
            return true;
        }
        long deadline = now + timeoutNanos;
        while (!queue.isEmpty() && queue.peekTime() <= deadline) {
            step();
            if (condition.getAsBoolean()) {
                return true;
            }
        }
        now = deadline;
        return condition.getAsBoolean();
    }

    /** Runs until no event is pending (beware protocols with periodic timers: they never drain). */
    public void runToQuiescence() {
        requireStarted();
        while (!queue.isEmpty()) {
            step();
        }
    }

    /** Number of pending events. */
    public int pendingEvents() {
        return queue.size();
    }

    private void step() {
        queue.pop();
        now = queue.time();
        switch (queue.kind()) {
            case DELIVER -> deliver(queue.a(), queue.b(), (Message) queue.ref());
            case TIMER -> ((SimTimer) queue.ref()).fire();
            case CONTROL -> ((Runnable) queue.ref()).run();
            default -> throw new IllegalStateException("unknown event kind " + queue.kind());
        }
    }

    private void deliver(int from, int to, Message m) {
        if (!alive[to] || group[from] != group[to]) {
            dropped++;
            return;
        }
        if (busyUntil != null) {
            if (busyUntil[to] > now) {
                queue.push(busyUntil[to], DELIVER, from, to, m);
                return;
            }
            busyUntil[to] = now + config.processingNanosPerMsg();
        }
        delivered++;
        long h = traceHash ^ now;
        h = mix(h) ^ (((long) from << 32) | (to & 0xFFFFFFFFL));
        h = mix(h) ^ MessageCodec.type(m);
        traceHash = mix(h);
        try {
            nodes[to].onMessage(from, m);
        } catch (RuntimeException e) {
            throw failure(to, "a " + MessageCodec.typeName(MessageCodec.type(m)) + " message from " + from, e);
        }
    }

    private void send(int from, int to, Message m) {
        if (to < 0 || to >= n) {
            throw new IllegalArgumentException("node " + from + " sent to " + to + ", not a node id in 0.." + (n - 1));
        }
        if (to == from) {
            throw new IllegalArgumentException("node " + from + " sent a message to itself");
        }
        Objects.requireNonNull(m, "message");
        sent++;
        bytes += MessageCodec.encodedSize(m);
        if (config.lossProbability() > 0 && network.nextDouble() < config.lossProbability()) {
            dropped++;
            return;
        }
        long latency = config.link().sampleNanos(from, to, network);
        queue.push(now + latency, DELIVER, from, to, m);
    }

    @Override
    public ClusterStats stats() {
        return new ClusterStats(sent, bytes, delivered, dropped, delivered);
    }

    @Override
    public OptionalLong traceHash() {
        return OptionalLong.of(traceHash);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int v = 0; v < n; v++) {
            if (alive[v] && nodes[v] != null) {
                nodes[v].stop();
            }
        }
    }

    private void checkNode(int node) {
        if (node < 0 || node >= n) {
            throw new IllegalArgumentException("node " + node + " is not in 0.." + (n - 1));
        }
    }

    private void requireStarted() {
        if (!started) {
            throw new IllegalStateException("start() the cluster first");
        }
    }

    private IllegalStateException failure(int node, String what, RuntimeException e) {
        return new IllegalStateException("node " + node + " threw while handling " + what + " at t=" + now + "ns (seed "
                + config.seed() + "): " + e, e);
    }

    private final class SimEnv implements Env {
        private final int self;
        private final int incarnation;
        private final RandomGenerator random;

        SimEnv(int self, int incarnation) {
            this.self = self;
            this.incarnation = incarnation;
            this.random = new SplittableRandom(
                    mix(config.seed() ^ mix(NODE_STREAM ^ mix(((long) self << 20) ^ incarnation))));
        }

        @Override
        public int self() {
            return self;
        }

        @Override
        public long now() {
            return now;
        }

        @Override
        public void send(int to, Message m) {
            SimCluster.this.send(self, to, m);
        }

        @Override
        public Timer schedule(long delayNanos, Runnable task) {
            if (delayNanos < 0) {
                throw new IllegalArgumentException("timer delay must be >= 0, got " + delayNanos);
            }
            SimTimer t = new SimTimer(self, incarnation, Objects.requireNonNull(task, "task"));
            queue.push(now + delayNanos, TIMER, self, incarnation, t);
            return t;
        }

        @Override
        public RandomGenerator random() {
            return random;
        }

        @Override
        public void observe(Observation o) {
            for (int i = 0; i < observers.size(); i++) {
                observers.get(i).accept(o);
            }
        }
    }

    private final class SimTimer implements Timer {
        private final int node;
        private final int incarnation;
        private final Runnable task;
        private boolean done;

        SimTimer(int node, int incarnation, Runnable task) {
            this.node = node;
            this.incarnation = incarnation;
            this.task = task;
        }

        @Override
        public boolean cancel() {
            if (done) {
                return false;
            }
            done = true;
            return true;
        }

        void fire() {
            if (done) {
                return;
            }
            done = true;
            if (!alive[node] || SimCluster.this.incarnation[node] != incarnation) {
                return;
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                throw failure(node, "a timer", e);
            }
        }
    }
}
