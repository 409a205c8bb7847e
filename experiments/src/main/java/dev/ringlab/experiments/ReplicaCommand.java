package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ringlab.node.Cluster;
import dev.ringlab.node.Message;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.DeltaReplicator;
import dev.ringlab.node.protocols.RecoveryConfig;
import dev.ringlab.node.check.ReplicaWatch;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.Durations;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * What {@code ringlab config} and {@code ringlab catalog} share: build a cluster of a replicated application
 * ({@link DeltaReplicator}) on {@code --topology} (on {@code ring}, the healing ring's overlay: see
 * {@link RecoverCommand#ringOverlay}), inject K client operations at seeded random live nodes at
 * {@code --rate} per second, crash {@code --crash} seeded nodes halfway through (respawning them
 * {@code --respawn-after} later if asked) and apply {@code --faults}, all as one fault plan through the
 * {@link Cluster} contract; wait until every live node reports the same state hash and nothing has changed
 * for two anti-entropy rounds, and report from the observation stream ({@link ReplicaWatch}), so every engine
 * reports the same fields.
 */
abstract class ReplicaCommand implements Callable<Integer> {
    static final long MS = 1_000_000L;
    /**
     * Run before the first operation on every engine: connections, the first heartbeats and the ring's token;
     * on the ring at least the detectors' start-up probation (real engines), so that a crash meets the
     * steady-state suspicion timeout.
     */
    static final long WARMUP_NANOS = 300 * MS;

    @Spec
    CommandSpec spec;

    @Option(names = "--topology", paramLabel = "SPEC", description = "ring, or an expander spec such as random-regular:4 (default: ${DEFAULT-VALUE}).")
    String topology = "ring";

    @Option(names = {"-n", "--nodes"}, description = "Nodes (default: ${DEFAULT-VALUE}).")
    int n = 16;

    @Option(names = "--rate", paramLabel = "R", description = "Client operations per second, fleet-wide (default: ${DEFAULT-VALUE}).")
    double rate = 200;

    @Option(names = "--crash", paramLabel = "K", description = "Nodes to crash halfway through the operations, chosen by the seed (default: ${DEFAULT-VALUE}).")
    int crash = 0;

    @Option(names = "--crash-at", paramLabel = "D", description = "Crash this long after the first operation (default: halfway).")
    String crashAt;

    @Option(names = "--respawn-after", paramLabel = "D", description = "Respawn crashed nodes D after their crash.")
    String respawnAfter;

    @Mixin
    RunOptions run;

    @Mixin
    TimingOptions timing;

    @Option(names = "--ae", paramLabel = "D", description = "Anti-entropy period (default: ${DEFAULT-VALUE}).")
    String ae = "50ms";

    @Option(names = "--ack-timeout", paramLabel = "D", description = "Re-send an unacknowledged delta after (default: ${DEFAULT-VALUE}).")
    String ackTimeout = "100ms";

    @Option(names = "--via", paramLabel = "token|hop", description = "Ring: how deltas travel first-hand: token (in the"
            + " healing ring token's payload, one message per hop for all deltas on board) or hop (each node forwards"
            + " every delta to its successor in its own messages) (default: ${DEFAULT-VALUE}).")
    String via = "token";

    @Option(names = "--successors", paramLabel = "R", description = "Ring: successor list length (default: ${DEFAULT-VALUE}).")
    int successors = 3;

    @Option(names = "--timeout", paramLabel = "D", description = "Engine-time limit after the last operation (default: ${DEFAULT-VALUE}).")
    String timeout = "30s";

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Option(names = "--check", description = "Check the history: every acknowledged delta is on every live node after"
            + " convergence, every node applies each origin's deltas in order and once, and no acknowledgement names a"
            + " delta nobody created; print the anomalies and exit 1.")
    boolean check;

    @Option(names = "--history", paramLabel = "FILE", description = "Write the client history as JSON lines: node,"
            + " op, invoke_ms, delta (origin/incarnation/seq; null: its node crashed first), created_ms, acked_ms"
            + " (null: never acknowledged), times from the first operation.")
    java.nio.file.Path historyFile;

    /** {@code config} or {@code catalog}. */
    abstract String name();

    /** How many client operations this run makes (validated). */
    abstract int operations();

    /** The protocol for {@code settings}. */
    abstract Protocol protocol(DeltaReplicator.Settings settings);

    /** The {@code i}-th client operation, drawn from {@code r}. */
    abstract Message operation(int i, SplittableRandom r);

    /** Adds the application's own fields to the report. */
    abstract void report(Map<String, Object> o, ReplicaWatch watch, java.util.function.IntPredicate stable);

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (n < 2) {
            throw new UsageException("--nodes", "needs at least 2 nodes, got " + n);
        }
        int k = operations();
        if (!(rate > 0)) {
            throw new UsageException("--rate", "must be > 0, got " + rate);
        }
        if (crash < 0 || crash >= n) {
            throw new UsageException("--crash", "needs 0 <= K < n = " + n + ", got " + crash);
        }
        run.validate();
        ClusterEngine engine = run.engine();
        long aeNanos = UsageException.durationNanos("--ae", ae);
        long ackNanos = UsageException.durationNanos("--ack-timeout", ackTimeout);
        long timeoutNanos = UsageException.durationNanos("--timeout", timeout);
        long gapNanos = Math.round(1e9 / rate);
        long spanNanos = gapNanos * k;
        long crashAtNanos = crashAt != null ? UsageException.durationNanos("--crash-at", crashAt) : spanNanos / 2;
        long respawnNanos = respawnAfter == null ? -1 : UsageException.durationNanos("--respawn-after", respawnAfter);
        if (respawnNanos == 0) {
            throw new UsageException("--respawn-after", "must be > 0");
        }
        if (crash == 0) {
            for (String f : new String[] {"--crash-at", "--respawn-after"}) {
                if (spec.commandLine().getParseResult().hasMatchedOption(f)) {
                    throw new UsageException(f, "applies to the --crash nodes, and --crash is 0");
                }
            }
        }
        String topo = topology.trim().toLowerCase(Locale.ROOT);
        boolean ring = topo.equals("ring");
        if (!ring) {
            for (String f : new String[] {timing.firstGiven(), given("--via"), given("--successors")}) {
                if (f != null) {
                    throw new UsageException(f, "applies to --topology ring (the healing ring), not to " + topo);
                }
            }
        }
        Defaults.Timing t = ring ? timing.resolve(engine, n, run.linkBound()) : null;
        DeltaReplicator.Settings settings;
        Overlay overlay;
        try {
            RecoveryConfig rc = ring ? t.applyTo(RecoveryConfig.defaults().withSuccessors(successors)) : null;
            DeltaReplicator.Via v = switch (via.trim().toLowerCase(Locale.ROOT)) {
                case "token" -> DeltaReplicator.Via.TOKEN;
                case "hop" -> DeltaReplicator.Via.HOP;
                default -> throw new UsageException("--via", "use token or hop, got '" + via + "'");
            };
            settings = new DeltaReplicator.Settings(ring ? DeltaReplicator.Mode.RING : DeltaReplicator.Mode.FLOOD, aeNanos,
                    ackNanos, rc, ring ? v : null);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--ae/--ack-timeout/--successors/--heartbeat/--suspicion-timeout/--loss-timeout",
                    e.getMessage());
        }
        try {
            overlay = ring ? RecoverCommand.ringOverlay(n, successors, run.seed()) : Topologies.build(topo, n, run.seed());
        } catch (IllegalArgumentException e) {
            throw new UsageException("--topology", e.getMessage());
        }
        Protocol proto = protocol(settings);
        SplittableRandom victimsRandom = new SplittableRandom(run.seed() ^ 0xC4A5_11EDL);
        TreeSet<Integer> victims = new TreeSet<>();
        while (victims.size() < crash) {
            victims.add(victimsRandom.nextInt(n));
        }
        // One fault plan: the --crash nodes (restarted --respawn-after later), then --faults.
        List<FaultPlan.Fault> planned = new ArrayList<>();
        for (int v : victims) {
            planned.add(FaultPlan.Fault.crash(v, crashAtNanos, respawnNanos < 0 ? -1 : crashAtNanos + respawnNanos));
        }
        planned.addAll(run.faults(n).faults());
        FaultPlan plan = new FaultPlan(planned);

        long warmupNanos = ring ? Math.max(WARMUP_NANOS, t.probationNanos()) : WARMUP_NANOS;
        ReplicaWatch watch = new ReplicaWatch(n);
        long wallStart = System.nanoTime();
        Map<String, Object> o = new LinkedHashMap<>();
        try (Cluster cluster = run.build(run.spec(overlay, proto, plan))) {
            err.println("ringlab " + name() + ": " + run.effective(plan, t) + " topology=" + topology + " overlay="
                    + overlay.spec() + " nodes=" + n + " protocol=" + proto.spec() + " operations=" + k + " rate=" + rate
                    + "/s warmup_ms=" + warmupNanos / MS);
            err.println("replay: " + Replay.line(spec, run));
            err.flush();
            cluster.addObserver(watch);
            // Ring health, as recover measures it: a false suspicion makes the bus skip a live node until it is
            // cleared; a second token doubles the traffic.
            RingHealth health = ring ? new RingHealth(cluster) : null;
            long[] hops = {0, 0}; // the ring token's measured hop latency: what one link costs on this engine now
            cluster.addObserver(ob -> {
                if (ob instanceof dev.ringlab.node.Observation.TokenArrived a) {
                    synchronized (hops) {
                        hops[0] += a.hopNanos();
                        hops[1]++;
                    }
                }
            });
            cluster.start();
            cluster.runFor(warmupNanos); // connections, and on the ring the first heartbeats and token
            long origin = cluster.now();
            if (health != null) {
                health.mark();
            }
            SplittableRandom ops = new SplittableRandom(run.seed() ^ 0x0B5L);
            AtomicInteger issued = new AtomicInteger();
            AtomicInteger dropped = new AtomicInteger();
            long[] lastOpAt = {-1};
            for (int i = 0; i < k; i++) {
                Message m = operation(i, ops);
                int pick = ops.nextInt(n);
                cluster.at(origin + i * gapNanos, () -> {
                    for (int j = 0; j < n; j++) {
                        int v = (pick + j) % n;
                        if (cluster.alive(v)) {
                            watch.invoked(v, cluster.now(), m.toString());
                            cluster.inject(v, m);
                            issued.incrementAndGet();
                            lastOpAt[0] = cluster.now();
                            return;
                        }
                    }
                    dropped.incrementAndGet();
                });
            }
            List<Integer> crashed = new ArrayList<>();
            int[] crashes = {0};
            plan.applyTo(cluster, origin, (kind, node, at, call) -> {
                if (kind == FaultPlan.Kind.CRASH) {
                    watch.crashed(node);
                    crashed.add(node);
                    crashes[0]++;
                }
                if (health != null) {
                    health.applied(kind, node, at, call);
                }
            });
            long scheduleEnd = origin + Math.max(spanNanos, plan.endNanos());
            long quietNanos = 2 * aeNanos;
            long[] convergedAt = {-1};
            boolean done = cluster.runUntil(() -> {
                long now = cluster.now();
                if (now < scheduleEnd || issued.get() + dropped.get() < k) {
                    return false;
                }
                if (!watch.converged(cluster::alive) || watch.deltasCreated() < issued.get() - crashes[0]) {
                    convergedAt[0] = -1;
                    return false;
                }
                if (convergedAt[0] < 0) {
                    convergedAt[0] = now;
                }
                return now - watch.lastChangeNanos() >= quietNanos && now - convergedAt[0] >= quietNanos;
            }, scheduleEnd - cluster.now() + timeoutNanos);
            // One more anti-entropy round, so that every node reports its final traffic.
            cluster.runFor(aeNanos + aeNanos / 2);
            boolean converged = watch.converged(cluster::alive);
            long engineNanos = cluster.now() - origin;
            if (health != null) {
                health.tail(settings.ring().tokenLossTimeoutNanos(), timeoutNanos);
            }
            long wallNanos = System.nanoTime() - wallStart;
            java.util.function.IntPredicate stable = v -> cluster.alive(v) && !watch.everCrashed(v);
            long created = watch.deltasCreated();
            List<Message.Dot> lost = watch.lostAcked(cluster::alive);
            List<Message.Dot> missing = watch.missing(cluster::alive);
            int live = 0;
            Long hash = null;
            long held = -1;
            for (int v = 0; v < n; v++) {
                if (cluster.alive(v)) {
                    live++;
                    if (watch.hash(v).isPresent()) {
                        hash = watch.hash(v).getAsLong();
                        held = watch.deltasApplied(v);
                    }
                }
            }
            o.put("engine", engine.name());
            o.put("seed", run.seed());
            o.put("nodes", n);
            o.put("topology", topology);
            o.put("overlay", overlay.spec());
            o.put("protocol", proto.spec());
            o.put("latency", run.reportedLatency());
            o.put("loss", run.loss());
            o.put("processing", Durations.format(run.processingNanos()));
            o.put("faults", plan.isEmpty() ? null : plan.toString());
            o.put("rate_per_s", rate);
            o.put("operations", k);
            o.put("operations_issued", issued.get());
            o.put("crashed", new ArrayList<>(new TreeSet<>(crashed)));
            o.put("respawn_after_ms", respawnNanos < 0 ? null : respawnNanos / 1e6);
            o.put("live_nodes", live);
            o.put("converged", converged && done);
            o.put("state_hash", converged && hash != null ? String.format("%016x", hash) : null);
            o.put("deltas", created);
            o.put("deltas_held", converged ? held : null);
            o.put("acked", watch.deltasAcked());
            o.put("lost_deltas", lost.size());
            o.put("lost_delta_samples", lost.stream().limit(5).map(Object::toString).toList());
            // Counted, not subtracted: an acknowledged delta whose creation was never observed is in lost, not
            // in missing, and the difference went negative.
            Set<Message.Dot> lostSet = new java.util.HashSet<>(lost);
            o.put("unacked_missing", missing.stream().filter(d -> !lostSet.contains(d)).count());
            long[] conv = watch.convergenceNanos(-1, stable);
            o.put("convergence_ms", percentiles(conv));
            o.put("convergence_measured", conv.length);
            o.put("msgs_per_delta", created == 0 ? null : round((double) watch.appMessages() / created));
            o.put("bytes_per_delta", created == 0 ? null : round((double) watch.appBytes() / created));
            o.put("cluster_msgs_per_delta", created == 0 ? null : round((double) cluster.stats().messagesSent() / created));
            o.put("dropped", cluster.stats().messagesDropped());
            if (health != null) {
                health.report(o);
            } else {
                o.put("false_suspicions", null);
                o.put("tokens_max_after_repair", null);
                o.put("tokens_created", null);
                o.put("token_creations", null);
            }
            synchronized (hops) {
                o.put("token_hop_ms_mean", hops[1] == 0 ? null : round(hops[0] / 1e6 / hops[1]));
            }
            o.put("order_violations", check ? watch.orderViolations() : null);
            o.put("phantom_acks", check ? watch.phantomAcks() : null);
            report(o, watch, stable);
            o.put("settle_ms", lastOpAt[0] < 0 || convergedAt[0] < 0 ? null : (convergedAt[0] - lastOpAt[0]) / 1e6);
            o.put("trace_hash", cluster.traceHash().isPresent() ? String.format("%016x", cluster.traceHash().getAsLong()) : null);
            o.put("engine_time_ms", engineNanos / 1e6);
            o.put("wall_ms", wallNanos / 1e6);
            print(out, o);
            if (historyFile != null) {
                writeHistory(watch.clientHistory(), origin);
            }
            if (check && (watch.orderViolations() > 0 || watch.phantomAcks() > 0)) {
                err.println("ringlab " + name() + ": history check failed: " + watch.orderViolations()
                        + " deltas applied out of order or twice, " + watch.phantomAcks() + " acknowledgements of deltas"
                        + " nobody created");
                watch.orderViolationSamples().forEach(x -> err.println("  " + x));
                err.println("replay: " + Replay.line(spec, run));
                return 1;
            }
            if (!(converged && done) || !lost.isEmpty()) {
                err.println("ringlab " + name() + ": " + (!(converged && done) ? "live nodes did not converge within "
                        + Durations.format(timeoutNanos) + " after the last operation" : lost.size() + " acknowledged deltas lost"));
                err.println("replay: " + Replay.line(spec, run));
                return 1;
            }
            return 0;
        }
    }

    private void writeHistory(List<ReplicaWatch.ClientOp> history, long originNanos) {
        ObjectMapper mapper = new ObjectMapper();
        try (java.io.BufferedWriter w = java.nio.file.Files.newBufferedWriter(historyFile)) {
            for (ReplicaWatch.ClientOp op : history) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("node", op.node());
                line.put("op", op.op());
                line.put("invoke_ms", op.invokeNanos() < 0 ? null : (op.invokeNanos() - originNanos) / 1e6);
                line.put("delta", op.dot() == null ? null
                        : op.dot().node() + "/" + op.dot().incarnation() + "/" + op.dot().seq());
                line.put("created_ms", op.createdNanos() < 0 ? null : (op.createdNanos() - originNanos) / 1e6);
                line.put("acked_ms", op.ackedNanos() < 0 ? null : (op.ackedNanos() - originNanos) / 1e6);
                w.write(mapper.writeValueAsString(line));
                w.newLine();
            }
        } catch (java.io.IOException e) {
            throw new UsageException("--history", "cannot write " + historyFile + ": " + e.getMessage());
        }
    }

    /** The flag {@code f} if it was given, else null. */
    private String given(String f) {
        return spec.commandLine().getParseResult().hasMatchedOption(f) ? f : null;
    }

    static Map<String, Object> percentiles(long[] nanos) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (nanos.length == 0) {
            m.put("p50", null);
            m.put("p99", null);
            m.put("max", null);
            return m;
        }
        long[] s = nanos.clone();
        Arrays.sort(s);
        m.put("p50", round(s[(s.length - 1) / 2] / 1e6));
        m.put("p99", round(s[(int) Math.ceil(0.99 * s.length) - 1] / 1e6));
        m.put("max", round(s[s.length - 1] / 1e6));
        return m;
    }

    static double round(double x) {
        return Math.round(x * 1000) / 1000.0;
    }

    private void print(PrintWriter out, Map<String, Object> o) throws Exception {
        if (json) {
            out.println(new ObjectMapper().writeValueAsString(o));
        } else {
            for (Map.Entry<String, Object> e : o.entrySet()) {
                out.printf(Locale.ROOT, "  %-24s %s%n", e.getKey(), e.getValue() == null ? "-" : e.getValue());
            }
        }
        out.flush();
    }

}
