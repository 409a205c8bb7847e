package dev.ringlab.testkit;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.runtime.NettyEngine;
import dev.ringlab.runtime.ObservationJson;
import dev.ringlab.runtime.ProcessesEngine;
import dev.ringlab.sim.SimCluster;
import dev.ringlab.sim.SimEngine;
import dev.ringlab.topology.Overlay;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * A cluster of your {@link Protocol} for a test: built from a {@link RunSpec} by an engine ({@code sim},
 * {@code netty} or {@code processes}: the one argument that changes where the same test runs), with the
 * run's fault plan scheduled from its start, the observations collected, and invariants checked as it runs.
 *
 * <pre>{@code
 * try (TestCluster c = TestCluster.builder(Topologies.build("ring", 5, 1), new MyProtocol())
 *         .seed(42).link("uniform:1ms,5ms").faults(FaultPlan.parse("partition:0-1|2-4@100ms..400ms"))
 *         .invariant(() -> ...).start()) {
 *     c.inject(0, new MyRequest(1));
 *     c.runFaultPhase();                       // to the end of the fault plan, then heal everything
 *     c.awaitUntil("all nodes agree", () -> ..., Duration.ofSeconds(2));
 * }
 * }</pre>
 *
 * <h2>Time</h2>
 * Durations are engine time: virtual on the simulator (a second of it takes milliseconds), real on the other
 * engines. Instants ({@link #at}, the fault plan) count from {@link Builder#start}.
 *
 * <h2>Invariants</h2>
 * An {@link Invariant} is checked after every event on the simulator (each delivery, timer and control
 * action: the run stops at the event that broke it) and after every observation on the real engines (and
 * whenever {@link #runUntil} polls). A violation fails the next call that runs the cluster with an
 * {@link AssertionError} naming the engine time, the engine and the seed.
 *
 * <h2>Observations</h2>
 * Your protocol reports its own observations as records implementing {@link Observation.Custom}; read them with
 * {@link #observations(Class)} or an observer, on every engine. Each custom record is checked to have the form
 * a {@code processes} node can send (on every engine, so the simulator already fails a record that could not
 * cross): a failure names the class and what is wrong.
 *
 * <h2>Threads</h2>
 * Call it from the test thread. On the real engines, observers and invariants run on the engine's threads
 * (one at a time): state they share with a condition should be thread-safe; {@link #observations()} is.
 */
public final class TestCluster implements AutoCloseable {
    private final Cluster cluster;
    private final RunSpec spec;
    private final String engineName;
    private final long horizonNanos;
    private final List<Observation> observations = new ArrayList<>();
    private final List<Consumer<Observation>> observers = new CopyOnWriteArrayList<>();
    private final List<Invariant> invariants = new CopyOnWriteArrayList<>();
    private volatile AssertionError violation;
    private long startNanos;
    private boolean started;

    private TestCluster(Cluster cluster, RunSpec spec, String engineName, long horizonNanos) {
        this.cluster = cluster;
        this.spec = spec;
        this.engineName = engineName;
        this.horizonNanos = horizonNanos;
    }

    /**
     * A builder of a cluster running {@code protocol} on {@code overlay}: by default on the simulator, seed 0,
     * the engine's own links, no loss, no faults, a fault phase of 2 s.
     *
     * @param overlay  the overlay (e.g. {@code dev.ringlab.topology.Topologies.build("ring", 5, seed)})
     * @param protocol your protocol; on {@code processes} it must be registered through a
     *                 {@link dev.ringlab.node.ProtocolProvider}, since each node process rebuilds it from its spec
     * @return a builder
     */
    public static Builder builder(Overlay overlay, Protocol protocol) {
        return new Builder(overlay, protocol);
    }

    /**
     * The engine called {@code name}.
     *
     * @param name {@code sim}, {@code netty} or {@code processes}
     * @return the engine
     * @throws IllegalArgumentException for any other name
     */
    public static ClusterEngine engine(String name) {
        return switch (Objects.requireNonNull(name, "name")) {
            case "sim" -> new SimEngine();
            case "netty" -> new NettyEngine();
            case "processes" -> new ProcessesEngine();
            default -> throw new IllegalArgumentException("unknown engine '" + name + "': use sim, netty or processes");
        };
    }

    /** Builds a {@link TestCluster}; every setter returns this builder. */
    public static final class Builder {
        private RunSpec spec;
        private ClusterEngine engine = new SimEngine();
        private long horizonNanos = 2_000_000_000L;
        private final List<Consumer<Observation>> observers = new ArrayList<>();
        private final List<Invariant> invariants = new ArrayList<>();
        /** The {@link SimulationRun} that made this builder hears of each cluster it starts (to close it, to report its plan). */
        java.util.function.Consumer<TestCluster> onStart = c -> {};

        private Builder(Overlay overlay, Protocol protocol) {
            spec = RunSpec.of(overlay, protocol, 0);
        }

        /**
         * Sets the engine by name.
         *
         * @param name {@code sim}, {@code netty} or {@code processes}
         * @return this builder
         */
        public Builder engine(String name) {
            engine = TestCluster.engine(name);
            return this;
        }

        /**
         * Sets the engine.
         *
         * @param e the engine
         * @return this builder
         */
        public Builder engine(ClusterEngine e) {
            engine = Objects.requireNonNull(e, "engine");
            return this;
        }

        /**
         * Sets the root seed: the simulator's every draw (latencies, losses, each node's {@code Env.random()});
         * the real engines' emulated link delays and losses.
         *
         * @param seed the seed
         * @return this builder
         */
        public Builder seed(long seed) {
            spec = spec.withSeed(seed);
            return this;
        }

        /**
         * Sets the link model ({@code const:1ms}, {@code uniform:1ms,5ms}, {@code lognormal:MEDIAN,SIGMA}): the
         * whole link latency on the simulator, a delay added to loopback TCP on the real engines.
         *
         * @param latencySpec the link model's spec, or null for the engine's own links
         * @return this builder
         */
        public Builder link(String latencySpec) {
            spec = spec.withLatency(latencySpec);
            return this;
        }

        /**
         * Sets the probability, 0..1, that each node-to-node message is lost.
         *
         * @param probability the loss probability
         * @return this builder
         */
        public Builder loss(double probability) {
            spec = spec.withLoss(probability);
            return this;
        }

        /**
         * Sets the fault plan, applied from {@link #start}.
         *
         * @param plan the plan ({@link FaultPlan#parse}, {@link FaultPlan#random}, {@link FaultPlan#none})
         * @return this builder
         */
        public Builder faults(FaultPlan plan) {
            spec = spec.withFaults(plan);
            return this;
        }

        /**
         * Sets the fault phase's length: {@link TestCluster#runFaultPhase} runs to the later of this and the
         * plan's last fault.
         *
         * @param horizon the fault phase
         * @return this builder
         */
        public Builder horizon(Duration horizon) {
            if (horizon.isNegative()) {
                throw new IllegalArgumentException("horizon must be >= 0, got " + horizon);
            }
            horizonNanos = horizon.toNanos();
            return this;
        }

        /**
         * Adds an observer of every observation, from the start.
         *
         * @param sink the observer
         * @return this builder
         */
        public Builder observer(Consumer<Observation> sink) {
            observers.add(Objects.requireNonNull(sink, "sink"));
            return this;
        }

        /**
         * Adds an invariant, checked from the start (see {@link TestCluster}).
         *
         * @param check the invariant
         * @return this builder
         */
        public Builder invariant(Invariant check) {
            invariants.add(Objects.requireNonNull(check, "check"));
            return this;
        }

        /**
         * The run spec built so far.
         *
         * @return the spec
         */
        public RunSpec spec() {
            return spec;
        }

        /**
         * Builds the cluster on the engine and starts it, with the fault plan scheduled from now.
         *
         * @return the started cluster
         * @throws dev.ringlab.node.spec.UnsupportedRunException if the engine cannot apply a field of the spec
         */
        public TestCluster start() {
            Cluster c = engine.build(spec);
            TestCluster t = new TestCluster(c, spec, engine.name(), horizonNanos);
            t.observers.addAll(observers);
            t.invariants.addAll(invariants);
            t.begin();
            onStart.accept(t);
            return t;
        }
    }

    private void begin() {
        cluster.addObserver(this::observed);
        if (cluster instanceof SimCluster sim) {
            sim.addInvariant(this::checkInvariants);
        }
        try {
            cluster.start();
            started = true;
            startNanos = cluster.now();
            spec.faults().applyTo(cluster, startNanos, (kind, node, at, call) -> {});
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    private void observed(Observation o) {
        synchronized (observations) {
            observations.add(o);
        }
        if (cluster instanceof SimCluster) {
            // On the simulation thread: an observer that throws fails the run at this event.
            requireSendable(o);
            for (Consumer<Observation> sink : observers) {
                sink.accept(o);
            }
            return;
        }
        // The real engines have no "after every event" hook: check on each observation, on the engine's thread,
        // and keep the first failure (of an observer or an invariant) for the test thread: throwing here would
        // hit the engine's thread, not the test.
        try {
            requireSendable(o);
            for (Consumer<Observation> sink : observers) {
                sink.accept(o);
            }
            checkInvariants();
        } catch (AssertionError | RuntimeException e) {
            if (violation == null) {
                violation = e instanceof AssertionError a ? a : new AssertionError("an observer failed at t=" + elapsedText()
                        + " (engine " + engineName + ", seed " + SimulationRun.text(spec.seed()) + "): " + e, e);
            }
        }
    }

    /**
     * A custom observation must have the form a {@code processes} node can send (see {@link Observation.Custom}):
     * checked on every engine, so a test on the simulator fails already for a record that could not cross.
     */
    private static void requireSendable(Observation o) {
        if (o instanceof Observation.Custom c) {
            ObservationJson.requireEncodable(c.getClass());
        }
    }

    private void checkInvariants() {
        if (violation != null) {
            throw violation;
        }
        for (Invariant check : invariants) {
            try {
                check.check();
            } catch (AssertionError | RuntimeException e) {
                AssertionError v = new AssertionError("invariant violated at t=" + elapsedText() + " (engine " + engineName
                        + ", seed " + SimulationRun.text(spec.seed()) + "): " + e.getMessage(), e);
                violation = v;
                throw v;
            }
        }
    }

    private String elapsedText() {
        long t = started ? cluster.now() - startNanos : 0;
        return String.format(java.util.Locale.ROOT, "%.3fms", t / 1e6);
    }

    private void throwIfViolated() {
        AssertionError v = violation;
        if (v != null) {
            throw v;
        }
    }

    /**
     * The engine's name.
     *
     * @return {@code sim}, {@code netty} or {@code processes}
     */
    public String engine() {
        return engineName;
    }

    /**
     * The run spec this cluster was built from (overlay, protocol, link, loss, fault plan, seed).
     *
     * @return the spec
     */
    public RunSpec spec() {
        return spec;
    }

    /**
     * The fault plan, scheduled from the start.
     *
     * @return the plan
     */
    public FaultPlan faults() {
        return spec.faults();
    }

    /**
     * The number of nodes.
     *
     * @return the overlay's size
     */
    public int size() {
        return spec.overlay().size();
    }

    /**
     * The underlying engine cluster, for what this class does not wrap (crash, restart, partition, ...).
     *
     * @return the cluster
     */
    public Cluster cluster() {
        return cluster;
    }

    /**
     * Engine time since {@link Builder#start}.
     *
     * @return the elapsed engine time
     */
    public Duration elapsed() {
        return Duration.ofNanos(cluster.now() - startNanos);
    }

    /**
     * Delivers client request {@code m} to {@code node} now, as from {@link dev.ringlab.node.Env#CLIENT}; dropped
     * if the node is down.
     *
     * @param node the node
     * @param m    the request, a message of your protocol
     */
    public void inject(int node, Message m) {
        cluster.inject(node, m);
    }

    /**
     * Runs {@code action} on the control side at {@code at} after the start (exact on the simulator).
     *
     * @param at     the instant, from the start
     * @param action what to do then (e.g. {@code () -> inject(0, request)})
     */
    public void at(Duration at, Runnable action) {
        cluster.at(startNanos + at.toNanos(), action);
    }

    /**
     * True unless {@code node} is crashed.
     *
     * @param node the node
     * @return whether it is alive
     */
    public boolean alive(int node) {
        return cluster.alive(node);
    }

    /**
     * Runs the cluster for {@code d} of engine time.
     *
     * @param d how long
     * @throws AssertionError if an invariant is violated
     */
    public void runFor(Duration d) {
        if (cluster instanceof SimCluster) {
            cluster.runFor(d.toNanos());
        } else {
            cluster.runUntil(() -> violation != null, d.toNanos());
        }
        throwIfViolated();
    }

    /**
     * Runs until {@code condition} holds (checked after every event on the simulator, every few milliseconds on
     * the real engines) or {@code timeout} of engine time passes.
     *
     * @param condition the condition
     * @param timeout   the most engine time to run
     * @return whether the condition holds
     * @throws AssertionError if an invariant is violated
     */
    public boolean runUntil(BooleanSupplier condition, Duration timeout) {
        boolean held = cluster.runUntil(() -> violation != null || condition.getAsBoolean(), timeout.toNanos());
        throwIfViolated();
        return held;
    }

    /**
     * {@link #runUntil}, failing when the condition does not hold in time.
     *
     * @param what      what the condition means, for the failure message
     * @param condition the condition
     * @param timeout   the most engine time to run
     * @throws AssertionError naming {@code what}, the timeout, the engine and the seed, if the condition does not
     *     hold in time, or if an invariant is violated
     */
    public void awaitUntil(String what, BooleanSupplier condition, Duration timeout) {
        if (!runUntil(condition, timeout)) {
            throw new AssertionError(what + ": not within " + timeout.toMillis() + " ms (at t=" + elapsedText()
                    + ", engine " + engineName + ", seed " + SimulationRun.text(spec.seed()) + ")");
        }
    }

    /**
     * Runs to the end of the fault phase (the later of the horizon and the plan's last fault, plus 1 ms, from
     * the start), then ends every fault with {@link #healAll}. A test then checks liveness on a healed cluster.
     *
     * @throws AssertionError if an invariant is violated
     */
    public void runFaultPhase() {
        long end = startNanos + Math.max(horizonNanos, spec.faults().endNanos()) + 1_000_000L;
        long left = end - cluster.now();
        if (left > 0) {
            runFor(Duration.ofNanos(left));
        }
        healAll();
    }

    /** Ends every fault now: heals any partition, ends loss bursts and slow nodes, restarts every crashed node. */
    public void healAll() {
        cluster.heal();
        if (spec.faults().usesSlowOrLoss()) {
            cluster.lossBurst(0);
            for (int v = 0; v < size(); v++) {
                cluster.slow(v, 0);
            }
        }
        for (int v = 0; v < size(); v++) {
            if (!cluster.alive(v)) {
                cluster.restart(v);
            }
        }
    }

    /**
     * Adds an observer of the observations from now on.
     *
     * @param sink the observer
     */
    public void addObserver(Consumer<Observation> sink) {
        observers.add(Objects.requireNonNull(sink, "sink"));
    }

    /**
     * Adds an invariant, checked from now on (see the class doc).
     *
     * @param check the invariant
     */
    public void addInvariant(Invariant check) {
        invariants.add(Objects.requireNonNull(check, "check"));
    }

    /**
     * Every observation so far, in the order the engine delivered them (a copy).
     *
     * @return the observations
     */
    public List<Observation> observations() {
        synchronized (observations) {
            return List.copyOf(observations);
        }
    }

    /**
     * The observations of one kind so far (a copy).
     *
     * @param <T>  the kind
     * @param type the kind's record class, e.g. {@code Observation.Delivered.class} or your own
     *             {@link Observation.Custom} record's
     * @return the observations of that kind, in order
     */
    public <T extends Observation> List<T> observations(Class<T> type) {
        List<T> out = new ArrayList<>();
        synchronized (observations) {
            for (Observation o : observations) {
                if (type.isInstance(o)) {
                    out.add(type.cast(o));
                }
            }
        }
        return out;
    }

    /**
     * Message, byte and drop counters since the start.
     *
     * @return the counters
     */
    public ClusterStats stats() {
        return cluster.stats();
    }

    /** Stops every node and releases sockets, threads and processes. Idempotent. */
    @Override
    public void close() {
        cluster.close();
    }
}
