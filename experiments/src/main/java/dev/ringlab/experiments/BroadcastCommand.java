package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringlab.node.Cluster;
import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.Plumtree;
import dev.ringlab.node.protocols.Protocols;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.Durations;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab broadcast}: one broadcast, or a steady stream of them, over an overlay, with the
 * metrics of {@link BroadcastMetrics}.
 *
 * <p>The stream ({@code --rate R --duration D}) is a Poisson process: inter-arrival gaps are exponential
 * with mean 1/R, so bursts happen as they do with independent clients; each broadcast starts at a node
 * drawn uniformly. Gaps and origins come from their own stream split from {@code --seed}, so the load
 * replays with the run. After the last injection (and the last fault of {@code --faults}) the run drains:
 * until the cluster is quiet ({@link Cluster#settle}) or for {@code --drain} of engine time. On a real engine
 * a warm-up runs first and no figure counts it ({@link BroadcastExperiment#warmUp}).
 */
@Command(
        name = "broadcast",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Broadcast over an overlay and measure reliability, latency (p50/p99/max over every "
                + "(broadcast, non-origin node) delivery), last delivery hop, messages per broadcast and relative "
                + "message redundancy. One broadcast from --origin by default; --rate R --duration D injects a "
                + "Poisson stream of broadcasts from random nodes, then drains. On netty and processes "
                + "the engine warms up first (rounds of 4 broadcasts until 8000 messages were delivered or 2 s passed, "
                + "then up to " + Defaults.REAL_WARMUP_PACED + " single broadcasts 1 ms apart or 1 s, then a settle: the JIT compiles the delivery "
                + "path and the idle threads' wake-up) and no figure counts it (warmup_broadcasts, "
                + "warmup_deliveries and warmup_paced_broadcasts: what it ran; 0 on sim, where a --model with a timer "
                + "part instead runs the nodes idle for the modelled engine's 2 s warm-up). On netty the JVM first runs "
                + "that warm-up on " + Defaults.JVM_WARMUP_CLUSTERS + " throwaway 16-node rings, once per JVM "
                + "(warmup_jvm_clusters). "
                + "engine_time_ms runs from the first measured injection to the last message sent (the quiet wait "
                + "that ends a real engine's run is not in it); dropped counts messages the engine dropped (crash, "
                + "partition, loss, a send along a non-edge). On netty and processes open_connections_per_node "
                + "(mean and max over the live nodes) counts each node's open peer connections at the end of the run, "
                + "under the --connections policy (connections; on sim connections, mean and max are null). Prints a table, or one JSON object "
                + "with --json; the run's effective options, its replay line and progress go to stderr.")
public final class BroadcastCommand implements Callable<Integer> {
    private static final long LOAD_STREAM = 0x6C6F6164L; // "load"

    @Spec
    CommandSpec spec;

    @Option(names = "--topology", required = true, paramLabel = "SPEC",
            description = "Overlay: " + Topologies.VALID_SPECS + ".")
    String topology;

    @Option(names = {"-n", "--nodes"}, required = true, paramLabel = "N", description = "Number of nodes, >= 2.")
    int nodes;

    @Option(names = "--protocol", defaultValue = "flood", paramLabel = "P",
            description = "One of " + Protocols.VALID + " (default: ${DEFAULT-VALUE}).")
    String protocol;

    @Mixin
    RunOptions run;

    @Mixin
    PredictOptions predict;

    @Option(names = "--rate", paramLabel = "OPS_PER_S",
            description = "Broadcasts per second over the whole cluster (Poisson); needs --duration.")
    Double rate;

    @Option(names = "--duration", paramLabel = "D", description = "How long to inject at --rate, e.g. 2s.")
    String duration;

    @Option(names = "--drain", defaultValue = "10s", paramLabel = "D",
            description = "Most engine time to wait after the last injection for the run to settle "
                    + "(default: ${DEFAULT-VALUE}).")
    String drain;

    @Option(names = "--origin", defaultValue = "0", paramLabel = "NODE",
            description = "Origin of the single broadcast; not with --rate, whose origins are drawn from the seed "
                    + "(default: ${DEFAULT-VALUE}).")
    int origin;

    @Option(names = "--payload-bytes", defaultValue = "16", paramLabel = "B",
            description = "Payload size of each broadcast (default: ${DEFAULT-VALUE}).")
    int payloadBytes;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Run r = validate();
        Overlay overlay;
        try {
            overlay = run.overlay(topology, nodes); // on the --placement's datacenters, if any
        } catch (IllegalArgumentException e) {
            throw new UsageException("--topology", e.getMessage());
        }
        FaultPlan plan = run.faults(nodes);
        ClusterEngine engine = run.engine();

        try (Cluster cluster = run.build(run.spec(overlay, r.protocol, plan))) {
            err.println("ringlab broadcast: " + run.effective(plan, null) + " topology=" + overlay.spec() + " n=" + nodes
                    + " protocol=" + r.protocol.spec() + (rate != null ? " rate=" + rate + " duration=" + duration
                    : " origin=" + origin) + " warmup=" + Defaults.warmupRule(engine));
            err.println("replay: " + Replay.line(spec, run));
            err.flush();
            BroadcastMetrics metrics = new BroadcastMetrics(nodes);
            if (Plumtree.is(r.protocol)) {
                metrics.countControl();
            }
            cluster.addObserver(BroadcastExperiment.measured(metrics));
            cluster.addObserver(new Progress(err));
            BroadcastExperiment.JvmWarmUp jvmWarmup = BroadcastExperiment.warmUpJvm(engine, err);
            cluster.start();
            byte[] payload = new byte[payloadBytes];
            BroadcastExperiment.WarmUp warmup = BroadcastExperiment.warmUp(cluster, engine, payload, r.drainNanos);
            ClusterStats baseline = warmup.stats();

            long engineStart = cluster.now();
            long wallStart = System.nanoTime();
            OptionalLong cpuStart = cluster.cpuNanos();
            plan.applyTo(cluster, engineStart, (kind, node, at, call) -> {});
            if (rate == null) {
                // Through at(), so that a fault the plan puts at time 0 takes effect first, on every engine.
                cluster.at(engineStart, () -> {
                    metrics.injected(0, origin, cluster.now());
                    cluster.inject(origin, new Message.Inject(0, payload));
                });
            } else {
                Load load = new Load(cluster, metrics, payload, rate, cluster.now() + r.durationNanos,
                        new SplittableRandom(run.seed() ^ LOAD_STREAM), err);
                load.scheduleNext();
            }
            // The injections and the fault plan run their course, then in-flight work drains.
            long busyUntil = engineStart + Math.max(r.durationNanos, plan.endNanos());
            if (busyUntil > cluster.now()) {
                cluster.runFor(busyUntil - cluster.now());
            }
            Cluster.Settled settled = cluster.settle(r.drainNanos);
            long wallNanos = System.nanoTime() - wallStart;
            OptionalLong cpuEnd = cluster.cpuNanos();
            BroadcastMetrics.Result res = metrics.result(BroadcastExperiment.since(cluster.stats(), baseline), cluster::alive,
                    wallNanos);
            cpuUsPerMsg = cpuStart.isPresent() && cpuEnd.isPresent() && res.messages() > 0
                    ? (cpuEnd.getAsLong() - cpuStart.getAsLong()) / 1e3 / res.messages() : Double.NaN;
            OptionalLong hash = cluster.traceHash();
            long engineNanos = settled.lastActivityNanos() - engineStart;
            OpenConnections open = OpenConnections.sample(cluster); // at the end of the run, before the cluster closes
            if (json) {
                out.println(predict.decorate(json(r, overlay, plan, warmup, jvmWarmup, res, hash, settled.quiet(), engineNanos,
                        open), spec,
                        List.of("latency_ms.p50", "latency_ms.p99", "latency_ms.max", "latency_ms.mean", "cpu_us_per_msg"), List.of()));
            } else {
                table(out, r, overlay, res, hash, settled.quiet(), engineNanos, open);
            }
            out.flush();
        }
        return 0;
    }

    /**
     * CPU time per message sent over the measured part of the run (after the warm-up, to the end of the settle), in
     * microseconds: the engine's {@link Cluster#cpuNanos} (netty: its event-loop threads, measured; sim with
     * {@code --model}: the model's core time) over the messages; NaN (null in JSON) where the engine has no such
     * figure.
     */
    private double cpuUsPerMsg = Double.NaN;

    /** The latency a run has, for people: the spec drawn from, or the real links with the added delay if any. */
    private String latencyLabel() {
        String l = run.reportedLatency();
        return l == null ? "real links" : run.latency() == null || run.engine().deterministic() ? l : "real links + " + l;
    }

    /** Parsed and checked flags: everything that can be wrong is found before any overlay is built. */
    private record Run(Protocol protocol, long durationNanos, long drainNanos) {}

    private Run validate() {
        if (nodes < 2) {
            throw new UsageException("-n", "need at least 2 nodes to broadcast, got " + nodes);
        }
        run.validate();
        predict.validate(run, json);
        Protocol p;
        try {
            p = Protocols.parse(protocol);
        } catch (IllegalArgumentException ex) {
            throw new UsageException("--protocol", ex.getMessage());
        }
        long drainNanos = UsageException.durationNanos("--drain", drain);
        long durationNanos = 0;
        if (rate != null || duration != null) {
            if (rate == null) {
                throw new UsageException("--duration", "needs --rate OPS_PER_S (broadcasts per second)");
            }
            if (duration == null) {
                throw new UsageException("--rate", "needs --duration D (how long to inject, e.g. 2s)");
            }
            if (!(rate > 0) || rate.isInfinite()) {
                throw new UsageException("--rate", "must be a positive number of broadcasts per second, got " + rate);
            }
            durationNanos = UsageException.durationNanos("--duration", duration);
            if (durationNanos <= 0) {
                throw new UsageException("--duration", "must be positive, got " + duration);
            }
            if (spec.commandLine().getParseResult().hasMatchedOption("--origin")) {
                throw new UsageException("--origin", "picks the single broadcast's origin; with --rate every origin is "
                        + "drawn from the seed: drop one of them");
            }
        }
        if (origin < 0 || origin >= nodes) {
            throw new UsageException("--origin", "must be a node in 0.." + (nodes - 1) + ", got " + origin);
        }
        if (payloadBytes < 0 || payloadBytes > 64 * 1024) {
            throw new UsageException("--payload-bytes", "must be in 0..65536, got " + payloadBytes);
        }
        return new Run(p, durationNanos, drainNanos);
    }

    /** The Poisson stream of broadcasts: each injection schedules the next, so no queue of future events. */
    private static final class Load implements Runnable {
        private final Cluster cluster;
        private final BroadcastMetrics metrics;
        private final byte[] payload;
        private final double meanGapNanos;
        private final long startNanos;
        private final long endNanos;
        private final SplittableRandom random;
        private final PrintWriter err;
        private long nextId;
        private long plannedNanos = -1;
        private long lastProgressWall = System.nanoTime();

        Load(Cluster cluster, BroadcastMetrics metrics, byte[] payload, double ratePerS, long endNanos,
                SplittableRandom random, PrintWriter err) {
            this.cluster = cluster;
            this.metrics = metrics;
            this.payload = payload;
            this.meanGapNanos = 1e9 / ratePerS;
            this.startNanos = cluster.now();
            this.endNanos = endNanos;
            this.random = random;
            this.err = err;
        }

        void scheduleNext() {
            // Exponential gap by inversion; 1 - u is in (0, 1], so the log is finite.
            // From the planned instant of the previous arrival, not from now: on a real engine the injection runs a
            // little late, and gaps counted from then would lower the rate (a 1000/s stream made 790/s).
            long gap = Math.round(-Math.log(1 - random.nextDouble()) * meanGapNanos);
            long at = (plannedNanos < 0 ? cluster.now() : plannedNanos) + gap;
            plannedNanos = at;
            if (at < endNanos) {
                cluster.at(at, this);
            }
        }

        @Override
        public void run() {
            int node = random.nextInt(cluster.size());
            long id = nextId++;
            metrics.injected(id, node, cluster.now());
            cluster.inject(node, new Message.Inject(id, payload));
            long wall = System.nanoTime();
            if (wall - lastProgressWall > 2_000_000_000L) {
                lastProgressWall = wall;
                err.printf(Locale.ROOT, "broadcast: %d injected, %.0f of %.0f ms of engine time%n", nextId,
                        (cluster.now() - startNanos) / 1e6, (endNanos - startNanos) / 1e6);
                err.flush();
            }
            scheduleNext();
        }
    }

    /** Progress for long runs on stderr: a line every few seconds of wall time, checked every 64 Ki deliveries. */
    private static final class Progress implements Consumer<Observation> {
        private final PrintWriter err;
        private long deliveries;
        private long lastWall = System.nanoTime();

        Progress(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void accept(Observation o) {
            if (++deliveries % 65_536 == 0) {
                long wall = System.nanoTime();
                if (wall - lastWall > 2_000_000_000L) {
                    lastWall = wall;
                    err.printf(Locale.ROOT, "broadcast: %d deliveries so far%n", deliveries);
                    err.flush();
                }
            }
        }
    }

    private String json(Run r, Overlay overlay, FaultPlan plan, BroadcastExperiment.WarmUp warmup,
            BroadcastExperiment.JvmWarmUp jvmWarmup, BroadcastMetrics.Result res,
            OptionalLong hash, boolean settled, long engineNanos, OpenConnections open) throws Exception {
        ObjectMapper mapper = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode o = mapper.createObjectNode();
        o.put("engine", run.engine().name());
        o.put("seed", run.seed());
        o.put("topology", overlay.spec());
        o.put("nodes", nodes);
        o.put("protocol", r.protocol.spec());
        // The links' latency spec: drawn from on sim, added on top of loopback on real engines (null: nothing added).
        o.put("latency", run.reportedLatency());
        o.put("loss", run.loss());
        o.put("processing", Durations.format(run.processingNanos()));
        var policy = run.connectionPolicy(run.engine(), r.protocol);
        if (policy == null) {
            o.putNull("connections");
        } else {
            o.put("connections", policy.spec());
        }
        if (plan.isEmpty()) {
            o.putNull("faults");
        } else {
            o.put("faults", plan.toString());
        }
        if (rate != null) {
            o.put("rate_per_s", rate);
            o.put("duration", duration);
            // What the stream achieved: the Poisson draws and, on a real engine, the injection's own timing.
            o.put("achieved_rate_per_s", Math.round(res.broadcasts() / (UsageException.durationNanos("--duration", duration)
                    / 1e9) * 10) / 10.0);
        } else {
            o.putNull("rate_per_s");
            o.putNull("duration");
            o.putNull("achieved_rate_per_s");
        }
        o.put("warmup_broadcasts", warmup.broadcasts());
        o.put("warmup_deliveries", warmup.deliveries());
        o.put("warmup_paced_broadcasts", warmup.paced());
        o.put("warmup_jvm_clusters", jvmWarmup.clusters());
        if (hash.isPresent()) {
            o.put("trace_hash", String.format("%016x", hash.getAsLong()));
        } else {
            o.putNull("trace_hash");
        }
        o.put("broadcasts", res.broadcasts());
        o.put("live_nodes", res.liveNodes());
        o.put("deliveries", res.deliveries());
        o.put("messages", res.messages());
        o.put("bytes", res.bytes());
        o.put("dropped", res.messagesDropped());
        number(o, "msgs_per_op", res.msgsPerOp());
        number(o, "reliability", res.reliability());
        number(o, "reliability_min", res.reliabilityMin());
        ObjectNode lat = o.putObject("latency_ms");
        number(lat, "p50", res.latencyMsP50());
        number(lat, "p99", res.latencyMsP99());
        number(lat, "max", res.latencyMsMax());
        number(lat, "mean", res.latencyMsMean());
        o.put("last_delivery_hop", res.lastDeliveryHop());
        number(o, "rmr", res.rmr());
        number(o, "cpu_us_per_msg", cpuUsPerMsg);
        control(o, res);
        o.put("events", res.events());
        number(o, "wall_ms", res.wallNanos() / 1e6);
        number(o, "events_per_s", res.eventsPerS());
        number(o, "engine_time_ms", engineNanos / 1e6);
        o.put("settled", settled);
        OpenConnections.put(o, "open_connections_per_node", open);
        return mapper.writeValueAsString(o);
    }

    /** The repairing protocols' fields; null (not measured) for a protocol that reports no control messages. */
    static void control(ObjectNode o, BroadcastMetrics.Result res) {
        BroadcastMetrics.Control c = res.control();
        if (c == null) {
            o.putNull("tree_repairs");
            o.putNull("grafts");
            o.putNull("prunes");
            o.putNull("ihave_per_broadcast");
            return;
        }
        o.put("tree_repairs", c.treeRepairs());
        o.put("grafts", c.grafts());
        o.put("prunes", c.prunes());
        number(o, "ihave_per_broadcast", res.broadcasts() == 0 ? Double.NaN : (double) c.ihaves() / res.broadcasts());
    }

    static void number(ObjectNode o, String field, double v) {
        if (Double.isFinite(v)) {
            o.put(field, v);
        } else {
            o.putNull(field);
        }
    }

    private void table(PrintWriter out, Run r, Overlay overlay, BroadcastMetrics.Result res, OptionalLong hash,
            boolean settled, long engineNanos, OpenConnections open) {
        String f = "%-18s %s%n";
        out.printf(Locale.ROOT, f, "engine", run.engine().name());
        out.printf(Locale.ROOT, f, "topology", overlay.spec() + " (n=" + nodes + ", " + overlay.edges()
                + (overlay.directed() ? " arcs)" : " edges)"));
        out.printf(Locale.ROOT, f, "protocol", r.protocol.spec());
        out.printf(Locale.ROOT, f, "latency / loss", latencyLabel() + " / " + run.loss());
        out.printf(Locale.ROOT, f, "seed", run.seed());
        out.printf(Locale.ROOT, f, "trace hash", hash.isPresent() ? String.format("%016x", hash.getAsLong()) : "-");
        out.printf(Locale.ROOT, f, "broadcasts", res.broadcasts() + (rate != null ? " (rate " + rate + "/s for " + duration + ")" : ""));
        out.printf(Locale.ROOT, f, "reliability", fmt(res.reliability()) + " (min " + fmt(res.reliabilityMin()) + ")");
        out.printf(Locale.ROOT, f, "latency ms", "p50 " + fmt(res.latencyMsP50()) + "  p99 " + fmt(res.latencyMsP99())
                + "  max " + fmt(res.latencyMsMax()));
        out.printf(Locale.ROOT, f, "last delivery hop", res.lastDeliveryHop());
        out.printf(Locale.ROOT, f, "messages", res.messages() + " (" + res.bytes() + " bytes, " + res.messagesDropped() + " dropped)");
        out.printf(Locale.ROOT, f, "msgs per op", fmt(res.msgsPerOp()));
        out.printf(Locale.ROOT, f, "rmr", fmt(res.rmr()));
        out.printf(Locale.ROOT, f, "cpu per message", Double.isFinite(cpuUsPerMsg) ? fmt(cpuUsPerMsg) + " us ("
                + (run.engine().deterministic() ? "the engine model's core time"
                        : run.engine().name().equals("processes") ? "the node JVMs' CPU time, every thread"
                        : "the event-loop threads' CPU time") + ")"
                : "- (" + (run.engine().deterministic() ? "no cores without the cpu part of an engine model: see --model"
                        : run.engine().name().equals("processes") ? "not readable: a node JVM ended during the run"
                        : "not measured on " + run.engine().name()) + ")");
        if (res.control() != null) {
            BroadcastMetrics.Control c = res.control();
            out.printf(Locale.ROOT, f, "control", c.ihaves() + " ihave (" + fmt(res.broadcasts() == 0 ? Double.NaN
                    : (double) c.ihaves() / res.broadcasts()) + " per broadcast), " + c.grafts() + " grafts ("
                    + c.treeRepairs() + " repairs), " + c.prunes() + " prunes");
        }
        out.printf(Locale.ROOT, f, "events", res.events() + " in " + fmt(res.wallNanos() / 1e6) + " ms wall ("
                + fmt(res.eventsPerS()) + "/s)");
        out.printf(Locale.ROOT, f, "settled", settled + " after " + fmt(engineNanos / 1e6) + " ms of engine time");
        if (open != null) {
            out.printf(Locale.ROOT, f, "connections", run.connectionPolicy(run.engine(), r.protocol).spec() + "; open per node at "
                    + "the end: " + open.describe());
        }
    }

    private static String fmt(double v) {
        if (!Double.isFinite(v)) {
            return "-";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return String.valueOf((long) v);
        }
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.1f" : "%.4g", v);
    }
}
