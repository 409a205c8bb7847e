package dev.ringlab.experiments;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.Protocols;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.node.spec.LinkModels;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import dev.ringlab.topology.TopologySpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The broadcast experiment behind {@code compare}, {@code replay} and {@code fidelity}: for one (topology,
 * n, seed), build the overlay from the seed (random-regular is seeded), start a cluster seeded with the
 * same seed, and inject {@link Params#broadcasts} broadcasts one after the other, each from an origin
 * drawn uniformly from its own stream split from the seed, letting each settle before the next (so the
 * latencies are those of an idle network, not of queueing between broadcasts). The seed's metrics are
 * {@link BroadcastMetrics} over all its broadcasts: p50/p99/max over every (broadcast, non-origin node)
 * delivery; last delivery hop the maximum over its broadcasts; messages per broadcast. On a real engine the
 * seed's cluster first runs and settles warm-up broadcasts ({@link #warmUp}) that no figure
 * counts; the fault plan starts with the measured broadcasts.
 *
 * <p>{@link #summarize} turns the seeds of one (topology, n) into a {@link Row}: the mean over seeds of
 * each per-seed figure with a 95% Student-t {@link ConfidenceInterval}. Seeds are the independent
 * replications; the several broadcasts per seed make each seed's figure less noisy and cover several
 * origins (on a vertex-transitive overlay like the ring the origin does not matter; on a random graph it
 * does).
 */
public final class BroadcastExperiment {
    private static final long ORIGIN_STREAM = 0x6F726967696EL; // "origin"

    private BroadcastExperiment() {}

    /**
     * What shapes every run of a sweep, the same on every engine (the fields of a {@link RunSpec} but the
     * overlay and the seed, which each run draws).
     *
     * @param engine          engine
     * @param protocol        protocol spec ({@link Protocols#parse})
     * @param latency         link latency spec, or null for the engine's own links ({@link RunSpec#latency})
     * @param loss            message loss probability
     * @param faults          fault plan, times from the start of each seed's measured broadcasts
     * @param processingNanos per-message processing time
     * @param broadcasts      broadcasts per seed, injected one after the other from random origins
     * @param drainNanos      most engine time to let one broadcast settle
     * @param payloadBytes    payload size of each broadcast
     */
    public record Params(ClusterEngine engine, String protocol, String latency, double loss, FaultPlan faults,
            long processingNanos, int broadcasts, long drainNanos, int payloadBytes) {
        public Params {
            Objects.requireNonNull(engine, "engine");
            Objects.requireNonNull(protocol, "protocol");
            Objects.requireNonNull(faults, "faults");
            if (broadcasts < 1) {
                throw new UsageException("--broadcasts", "must be >= 1, got " + broadcasts);
            }
            if (drainNanos <= 0) {
                throw new UsageException("--drain", "must be positive");
            }
        }

        /** Checks the specs without building anything. @throws UsageException naming the flag */
        public void validate() {
            try {
                Protocols.parse(protocol);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--protocol", e.getMessage());
            }
            if (latency != null) {
                try {
                    LinkModels.parse(latency);
                } catch (IllegalArgumentException e) {
                    throw new UsageException("--latency", e.getMessage());
                }
            }
            if (!(loss >= 0 && loss <= 1)) {
                throw new UsageException("--loss", RunOptions.LOSS_RANGE + loss);
            }
            if (processingNanos < 0) {
                throw new UsageException("--processing", "must be >= 0, got " + processingNanos + " ns");
            }
        }
    }

    /** Records {@code p} in run.json (durations both as given and in ns). */
    public static void putParams(com.fasterxml.jackson.databind.node.ObjectNode o, Params p) {
        o.put("engine", p.engine().name());
        if (p.engine() instanceof dev.ringlab.sim.SimEngine se && se.model() != null && se.model().dir() != null) {
            o.put("model", "calibrated:" + se.model().dir()); // replay rebuilds the modelled simulator from it
        }
        o.put("protocol", p.protocol());
        o.put("latency", RunOptions.reportedLatency(p.engine(), p.latency()));
        o.put("loss", p.loss());
        if (p.faults().isEmpty()) {
            o.putNull("faults");
        } else {
            o.put("faults", p.faults().toString());
        }
        o.put("processing_ns", p.processingNanos());
        o.put("broadcasts_per_seed", p.broadcasts());
        o.put("warmup_min_broadcasts", Defaults.warmupBroadcasts(p.engine()));
        o.put("warmup_target_deliveries", Defaults.warmupDeliveries(p.engine()));
        o.put("warmup_jvm_clusters", Defaults.jvmWarmupClusters(p.engine()));
        o.put("drain_ns", p.drainNanos());
        o.put("payload_bytes", p.payloadBytes());
    }

    /** The {@link Params} recorded by {@link #putParams}. @throws IllegalArgumentException naming a missing field */
    public static Params paramsFrom(com.fasterxml.jackson.databind.JsonNode o) {
        for (String f : List.of("engine", "protocol", "latency", "loss", "processing_ns", "broadcasts_per_seed", "drain_ns",
                "payload_bytes")) {
            if (!o.has(f)) {
                throw new IllegalArgumentException("run.json has no '" + f + "' field");
            }
        }
        FaultPlan faults = o.path("faults").isTextual() ? FaultPlan.parse(o.get("faults").asText()) : FaultPlan.none();
        dev.ringlab.node.spec.ClusterEngine engine = o.path("model").isTextual()
                ? new dev.ringlab.sim.SimEngine(RunOptions.parseModel(o.get("model").asText())) : Engines.byName(o.get("engine").asText());
        return new Params(engine, o.get("protocol").asText(),
                o.get("latency").isNull() ? null : o.get("latency").asText(), o.get("loss").asDouble(), faults,
                o.get("processing_ns").asLong(), o.get("broadcasts_per_seed").asInt(), o.get("drain_ns").asLong(),
                o.get("payload_bytes").asInt());
    }

    /**
     * Ids of warm-up broadcasts start here, far above any measured id, so that {@link #measured} can leave
     * their deliveries out.
     */
    static final long WARMUP_ID = 1L << 48;

    /**
     * Runs the engine's warm-up and lets it settle; returns the engine's counters after it, the baseline the
     * measured run's counters are taken from ({@link #since}). A deterministic engine has none (the simulator with
     * an engine model that has a timer part runs idle for the modelled engine's warm-up,
     * {@link dev.ringlab.sim.SimCluster#modelledWarmupNanos}, then settles). A real engine runs two phases:
     * <ol>
     *   <li><b>rounds</b>: rounds of {@link Defaults#warmupBroadcasts} broadcasts, from nodes 0, 1, 2, ..., each
     *       round once the one before has made about one delivery per node and broadcast (or after
     *       {@link #WARMUP_ROUND_WAIT_NANOS}), until {@link Defaults#warmupDeliveries} messages have been
     *       delivered or {@link Defaults#REAL_WARMUP_MAX_NANOS} have passed;</li>
     *   <li><b>paced</b>: single broadcasts, each once the one before has made about one delivery per node (or
     *       after {@link #WARMUP_ROUND_WAIT_NANOS}) and {@link Defaults#REAL_WARMUP_PACED_GAP_NANOS} of quiet have
     *       passed, until {@link Defaults#REAL_WARMUP_PACED} of them or {@link Defaults#REAL_WARMUP_PACED_MAX_NANOS}.
     *       The rounds keep the engine's threads busy; a measured broadcast instead starts on idle threads, and
     *       each hop wakes one. The JIT compiles that wake-up path only after it has run often enough, which
     *       the rounds alone do not do (see {@link Defaults#REAL_WARMUP_PACED});</li>
     * </ol>
     * then settles.
     *
     * @return the counters after the warm-up, how many broadcasts it injected and how many messages it delivered
     */
    static WarmUp warmUp(Cluster cluster, ClusterEngine engine, byte[] payload, long drainNanos) {
        int w = Defaults.warmupBroadcasts(engine);
        if (w == 0) {
            // The simulator with a timer model runs (nothing injected) as long as the modelled engine warms up, so that
            // its nodes' timers are no longer drawn from a JVM's first second when measuring starts (a 2 ms batch
            // window was predicted at 13.6 ms on processes where the engine took 3.8 ms).
            long modelled = cluster instanceof dev.ringlab.sim.SimCluster s ? s.modelledWarmupNanos() : 0;
            if (modelled > 0) {
                cluster.runFor(modelled);
                cluster.settle(drainNanos);
            }
            return new WarmUp(cluster.stats(), 0, 0, 0);
        }
        int n = cluster.size();
        long start = cluster.stats().messagesDelivered();
        long want = Defaults.warmupDeliveries(engine);
        long deadline = cluster.now() + Defaults.REAL_WARMUP_MAX_NANOS;
        int injected = 0;
        while (true) {
            long before = cluster.stats().messagesDelivered();
            for (int i = 0; i < w; i++, injected++) {
                cluster.inject(injected % n, new Message.Inject(WARMUP_ID + injected, payload));
            }
            long round = (long) w * (n - 1);
            cluster.runUntil(() -> cluster.stats().messagesDelivered() - before >= round, WARMUP_ROUND_WAIT_NANOS);
            if (cluster.stats().messagesDelivered() - start >= want || cluster.now() - deadline >= 0) {
                break;
            }
        }
        cluster.settle(drainNanos);
        long pacedDeadline = cluster.now() + Defaults.REAL_WARMUP_PACED_MAX_NANOS;
        int paced = 0;
        for (; paced < Defaults.REAL_WARMUP_PACED && cluster.now() - pacedDeadline < 0; paced++, injected++) {
            long before = cluster.stats().messagesDelivered();
            cluster.inject(injected % n, new Message.Inject(WARMUP_ID + injected, payload));
            cluster.runUntil(() -> cluster.stats().messagesDelivered() - before >= n - 1, WARMUP_ROUND_WAIT_NANOS);
            cluster.runFor(Defaults.REAL_WARMUP_PACED_GAP_NANOS);
        }
        cluster.settle(drainNanos);
        ClusterStats after = cluster.stats();
        return new WarmUp(after, injected, after.messagesDelivered() - start, paced);
    }

    /** Guards {@link #jvmWarm}. */
    private static final Object JVM_WARMUP_LOCK = new Object();

    /** Whether this JVM ran (or began) its one-time warm-up ({@link #warmUpJvm}); guarded by the lock. */
    private static boolean jvmWarm;

    /** What {@link #warmUpJvm} ran: throwaway clusters (0 when the JVM was warm already, or for no engine) and wall time. */
    record JvmWarmUp(int clusters, long wallNanos) {}

    /**
     * Once per JVM, before the first cluster it measures on {@code engine}: {@link Defaults#jvmWarmupClusters}
     * throwaway 16-node ring floods, each started, warmed up as {@link #warmUp} warms a measured cluster, and
     * closed (on netty: the JIT compiles the engine's paths in this JVM; each measured cluster's own warm-up then
     * finds them compiled). Call it before the measured cluster starts (after it is built, so that an engine's
     * refusal of a flag comes first), so no measured cluster runs beside the throwaway ones. A later call, or one
     * for an engine with none, does nothing.
     *
     * @param err where a progress line goes while it runs, or null
     */
    static JvmWarmUp warmUpJvm(ClusterEngine engine, java.io.PrintWriter err) {
        return warmUpJvm(engine, err, Defaults.jvmWarmupClusters(engine));
    }

    /** {@link #warmUpJvm(ClusterEngine, java.io.PrintWriter)} on {@code k} throwaway clusters (0: none). */
    static JvmWarmUp warmUpJvm(ClusterEngine engine, java.io.PrintWriter err, int k) {
        if (k == 0) {
            return new JvmWarmUp(0, 0);
        }
        synchronized (JVM_WARMUP_LOCK) {
            if (jvmWarm) {
                return new JvmWarmUp(0, 0);
            }
            jvmWarm = true; // also after a failure: the command reports it, and no later cluster repeats it
            if (err != null) {
                err.println("ringlab: warming up this JVM's " + engine.name() + " engine once: " + k
                        + " throwaway 16-node ring floods (a few seconds)");
                err.flush();
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < k; i++) {
                try (Cluster c = engine.build(RunSpec.of(Topologies.build("ring", 16, 1),
                        dev.ringlab.node.protocols.Flood.PROTOCOL, 1))) {
                    c.start();
                    warmUp(c, engine, new byte[16], Cluster.QUIET_NANOS * 8);
                }
            }
            return new JvmWarmUp(k, System.nanoTime() - t0);
        }
    }

    /** Makes the next {@link #warmUpJvm} run again, as in a fresh JVM (tests). */
    static void forgetJvmWarmUp() {
        synchronized (JVM_WARMUP_LOCK) {
            jvmWarm = false;
        }
    }

    /** Longest a warm-up round waits for its deliveries before the next round is injected anyway. */
    static final long WARMUP_ROUND_WAIT_NANOS = 100_000_000L;

    /**
     * What {@link #warmUp} left: the counters after it, the broadcasts it injected (both phases) and the messages
     * it delivered, and how many of those broadcasts were paced.
     */
    record WarmUp(ClusterStats stats, int broadcasts, long deliveries, int paced) {}

    /** {@code sink} without the deliveries of warm-up broadcasts. */
    static Consumer<Observation> measured(Consumer<Observation> sink) {
        return o -> {
            if (!(o instanceof Observation.Delivered d && d.id() >= WARMUP_ID)) {
                sink.accept(o);
            }
        };
    }

    /** The counters of the measured run: {@code end} minus the {@code baseline} taken before it. */
    static ClusterStats since(ClusterStats end, ClusterStats baseline) {
        return end.minus(baseline);
    }

    /** One seed's run of one (topology, n). {@code traceHash} is null on real engines. */
    public record SeedRun(String topology, int nodes, long seed, BroadcastMetrics.Result result, String traceHash,
            boolean settled) {}

    /** Why a (topology, n) cannot run, or null if it can. */
    public static String cannotBuild(String topology, int n) {
        try {
            Topologies.check(TopologySpec.parse(topology), n);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /**
     * Builds the cluster of one run and closes it unstarted (no socket, thread or process exists yet), so that
     * an engine refuses a field it cannot apply before a sweep starts.
     *
     * @throws UsageException naming the flag the engine refuses
     */
    public static void preflight(Params p, String topology, int n, long seed) {
        Overlay overlay = Topologies.build(topology, n, seed);
        RunSpec spec = new RunSpec(overlay, Protocols.parse(p.protocol()), p.latency(), p.loss(), p.faults(),
                p.processingNanos(), seed);
        RunOptions.build(p.engine(), spec).close();
    }

    /** Runs one seed. @throws IllegalArgumentException if the topology does not fit n */
    public static SeedRun run(Params p, String topology, int n, long seed) {
        return run(p, Topologies.build(topology, n, seed), null, seed);
    }

    /** Runs one seed on {@code overlay}, its nodes in the datacenters of {@code placement} (null: none). */
    public static SeedRun run(Params p, Overlay overlay, dev.ringlab.node.spec.Placement placement, long seed) {
        int n = overlay.size();
        Protocol protocol = Protocols.parse(p.protocol());
        RunSpec spec = new RunSpec(overlay, protocol, p.latency(), p.loss(), p.faults(), p.processingNanos(), seed, placement);
        try (Cluster cluster = RunOptions.build(p.engine(), spec)) {
            warmUpJvm(p.engine(), null); // built, not started: no thread yet; a sweep ran it already, with its line
            BroadcastMetrics metrics = new BroadcastMetrics(n);
            if (dev.ringlab.node.protocols.Plumtree.is(protocol)) {
                metrics.countControl(); // grafts, prunes, announcements; and rmr counts payload only, as in the paper
            }
            cluster.addObserver(measured(metrics));
            cluster.start();
            byte[] payload = new byte[p.payloadBytes()];
            ClusterStats baseline = warmUp(cluster, p.engine(), payload, p.drainNanos()).stats();
            p.faults().applyTo(cluster, cluster.now(), (kind, node, at, call) -> {});
            SplittableRandom origins = new SplittableRandom(seed ^ ORIGIN_STREAM);
            long wallStart = System.nanoTime();
            boolean settled = true;
            for (int b = 0; b < p.broadcasts(); b++) {
                int origin = origins.nextInt(n);
                long id = b;
                // Through at(), so that a fault due now (the plan's time 0) takes effect first, on every engine.
                cluster.at(cluster.now(), () -> {
                    metrics.injected(id, origin, cluster.now());
                    cluster.inject(origin, new Message.Inject(id, payload));
                });
                settled &= cluster.settle(p.drainNanos()).quiet();
            }
            BroadcastMetrics.Result r = metrics.result(since(cluster.stats(), baseline), cluster::alive,
                    System.nanoTime() - wallStart);
            OptionalLong h = cluster.traceHash();
            return new SeedRun(overlay.spec(), n, seed, r, h.isPresent() ? hex(h.getAsLong()) : null, settled);
        }
    }

    static String hex(long h) {
        return String.format("%016x", h);
    }

    /** The figures of one (topology, n) over its seeds: means with 95% confidence intervals. */
    /**
     * The figures of one (topology, n) over its seeds: means with 95% confidence intervals; for a protocol that
     * reports control messages (plumtree), the means over seeds of {@link #control} (tree repairs, grafts and
     * prunes per seed's run, announcements per broadcast), NaN for the others (not measured).
     */
    public record Row(String topology, int nodes, int seeds, ConfidenceInterval latencyMsP50,
            ConfidenceInterval latencyMsP99, ConfidenceInterval latencyMsMax, ConfidenceInterval lastDeliveryHop,
            ConfidenceInterval msgsPerOp, ConfidenceInterval rmr, ConfidenceInterval reliability, double treeRepairs,
            double grafts, double prunes, double ihavePerBroadcast) {

        /**
         * The row as ordered (column, value) pairs: the one definition of the CSV columns and the JSON row
         * fields, so the two cannot drift apart. NaN stays NaN here (CSV: empty; JSON: null).
         */
        public Map<String, Object> fields() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("topology", topology);
            m.put("nodes", nodes);
            m.put("seeds", seeds);
            ci(m, "latency_ms_p50", latencyMsP50);
            ci(m, "latency_ms_p99", latencyMsP99);
            ci(m, "latency_ms_max", latencyMsMax);
            ci(m, "last_delivery_hop", lastDeliveryHop);
            ci(m, "msgs_per_op", msgsPerOp);
            ci(m, "rmr", rmr);
            m.put("reliability", reliability.mean());
            m.put("tree_repairs", treeRepairs);
            m.put("grafts", grafts);
            m.put("prunes", prunes);
            m.put("ihave_per_broadcast", ihavePerBroadcast);
            return m;
        }

        private static void ci(Map<String, Object> m, String name, ConfidenceInterval c) {
            m.put(name, c.mean());
            m.put(name + "_ci95_lo", c.lo());
            m.put(name + "_ci95_hi", c.hi());
        }
    }

    /** Column names of {@link Row#fields()}, in order. */
    public static List<String> rowColumns() {
        ConfidenceInterval none = ConfidenceInterval.of95(new double[0]);
        return new ArrayList<>(new Row("", 0, 0, none, none, none, none, none, none, none, Double.NaN, Double.NaN, Double.NaN,
                Double.NaN).fields().keySet());
    }

    /** Summarises the seeds of one (topology, n); all runs must share them. */
    public static Row summarize(List<SeedRun> runs) {
        if (runs.isEmpty()) {
            throw new IllegalArgumentException("no run to summarise");
        }
        int k = runs.size();
        double[][] v = new double[7][k];
        double[] control = new double[4];
        for (int i = 0; i < k; i++) {
            BroadcastMetrics.Result r = runs.get(i).result();
            double[] c = control(r);
            for (int j = 0; j < c.length; j++) {
                control[j] += c[j] / k; // NaN (not measured) stays NaN
            }
            v[0][i] = r.latencyMsP50();
            v[1][i] = r.latencyMsP99();
            v[2][i] = r.latencyMsMax();
            v[3][i] = r.lastDeliveryHop() < 0 ? Double.NaN : r.lastDeliveryHop();
            v[4][i] = r.msgsPerOp();
            v[5][i] = r.rmr();
            v[6][i] = r.reliability();
        }
        SeedRun first = runs.get(0);
        // Latencies, hops, message counts and reliability cannot be negative: bootstrap intervals, which stay
        // inside the samples' range; rmr can (batched sends fewer than n - 1 messages): Student-t.
        return new Row(first.topology(), first.nodes(), k, ConfidenceInterval.nonNegative95(v[0]),
                ConfidenceInterval.nonNegative95(v[1]), ConfidenceInterval.nonNegative95(v[2]),
                ConfidenceInterval.nonNegative95(v[3]), ConfidenceInterval.nonNegative95(v[4]),
                ConfidenceInterval.of95(v[5]), ConfidenceInterval.nonNegative95(v[6]), control[0], control[1], control[2],
                control[3]);
    }

    /**
     * The run's tree repairs, grafts, prunes and announcements per broadcast (as {@code broadcast --json} reports
     * them); NaN for a protocol that reports no control messages, and announcements NaN without a broadcast.
     */
    static double[] control(BroadcastMetrics.Result r) {
        BroadcastMetrics.Control c = r.control();
        if (c == null) {
            return new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN};
        }
        return new double[] {c.treeRepairs(), c.grafts(), c.prunes(),
            r.broadcasts() == 0 ? Double.NaN : (double) c.ihaves() / r.broadcasts()};
    }

    /** Columns of the per-seed table ({@code broadcast-runs.csv}). */
    public static final List<String> RUN_COLUMNS = List.of("topology", "nodes", "seed", "trace_hash", "latency_ms_p50",
            "latency_ms_p99", "latency_ms_max", "latency_ms_mean", "last_delivery_hop", "msgs_per_op", "rmr",
            "reliability", "broadcasts", "messages", "events", "wall_ms", "settled", "tree_repairs", "grafts", "prunes",
            "ihave_per_broadcast");

    public static List<Object> runRow(SeedRun s) {
        BroadcastMetrics.Result r = s.result();
        List<Object> row = new ArrayList<>();
        row.add(s.topology());
        row.add(s.nodes());
        row.add(s.seed());
        row.add(s.traceHash());
        row.add(r.latencyMsP50());
        row.add(r.latencyMsP99());
        row.add(r.latencyMsMax());
        row.add(r.latencyMsMean());
        row.add(r.lastDeliveryHop());
        row.add(r.msgsPerOp());
        row.add(r.rmr());
        row.add(r.reliability());
        row.add(r.broadcasts());
        row.add(r.messages());
        row.add(r.events());
        row.add(r.wallNanos() / 1e6);
        row.add(s.settled());
        for (double c : control(r)) {
            row.add(c);
        }
        return row;
    }
}
