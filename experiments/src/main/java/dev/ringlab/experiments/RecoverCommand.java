package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ringlab.node.Cluster;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.HealingRing;
import dev.ringlab.node.protocols.Protocols;
import dev.ringlab.node.protocols.RecoveryConfig;
import dev.ringlab.node.spec.Durations;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.node.spec.LinkModel;
import dev.ringlab.node.spec.Timing;
import dev.ringlab.node.check.RingWatch;
import dev.ringlab.sim.SimCluster;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab recover}: crash nodes and measure how the ring heals ({@link HealingRing}), or, on an
 * expander overlay, how reliable broadcast stays among the live nodes.
 *
 * <h2>Ring (topology ring or biring)</h2>
 * The run waits until the token has made two full rotations, then applies the fault plan (the
 * {@code --crash} nodes at {@code --crash-at}, restarted {@code --respawn-after} later, plus any
 * {@code --faults}). Respawn is modelled on the control side: node logic cannot create processes, so the
 * experiment schedules {@link Cluster#restart} at crash + D ({@code processes}: the parent spawns a new
 * JVM; {@code netty}: a fresh node on the same port; {@code sim}: a fresh instance). Metrics come from the
 * observation stream and the control side's record of crashes ({@link RingWatch}), the same on every
 * engine: {@code detect_ms} crash to first suspicion (the largest over the crashed nodes), {@code repair_ms}
 * first crash to the first full rotation of the live ring by one token, {@code rejoin_ms} first respawn to
 * the first full rotation of the whole ring, {@code tokens_max_after_repair} the most token epochs
 * circulating at once after the repair, {@code token_gap_ms} the longest interval with no token sighting
 * (creation or arrival) anywhere, {@code false_suspicions} suspicions of a node that was alive.
 *
 * <h2>Overlay</h2>
 * Real engines carry messages only along overlay edges, so the ring runs on {@code successor-ring:R} (each
 * node linked to its R successors); on {@code processes}, whose children rebuild the overlay from a built-in
 * spec, on {@code complete} (R >= 3) or {@code chordal:2} (R = 2).
 */
@Command(
        name = "recover",
        mixinStandardHelpOptions = true,
        header = "Crash nodes and measure detection, ring repair, token regeneration and rejoin.",
        description = {
            "Crashes --crash K nodes (chosen by the seed, or --crash-nodes) of a healing token ring and measures",
            "failure detection, ring repair, token regeneration and, with --respawn-after D, the rejoin of the",
            "respawned nodes. On an expander topology (random-regular:D, chordal:K, hypercube, ...) it measures",
            "broadcast reliability among the live nodes with K crashed instead.",
            "",
            "--faults PLAN adds a fault plan (times from the end of the warm-up): crash:N@T[..T2], restart:N@T,",
            "partition:0-3|4-7@T[..T2], heal@T, slow:N=D@T[..T2], loss:P@T[..T2] (slow and loss: sim only);",
            "--faults random draws one from the seed.",
            "",
            "--json fields (ring): engine, seed, nodes, topology, protocol, latency, faults, crashed,",
            "respawn_after_ms, detect_ms, repair_ms, rejoin_ms, tokens_max_after_repair, token_gap_ms,",
            "false_suspicions, suspicions, tokens_created, hop_ms_mean, invariant_checks, trace_hash,",
            "engine_time_ms, wall_ms (null where not measured). Expander: reliability_live, broadcasts,",
            "live_nodes, deliveries_live. Exit 1 if the ring did not repair (or rejoin) in time or an invariant failed."
        })
public final class RecoverCommand implements Callable<Integer> {
    static final long MS = 1_000_000L;

    @Spec
    CommandSpec spec;

    @Option(names = "--topology", paramLabel = "SPEC", description = "ring, biring, or an expander spec (default: ${DEFAULT-VALUE}).")
    String topology = "ring";

    @Option(names = {"-n", "--nodes"}, description = "Nodes (default: ${DEFAULT-VALUE}).")
    int n = 16;

    @Option(names = "--crash", paramLabel = "K", description = "Nodes to crash, chosen by the seed (default: 1, or 0 with --faults).")
    Integer crash;

    @Option(names = "--crash-nodes", paramLabel = "LIST", split = ",", description = "The nodes to crash, e.g. 3,4.")
    List<Integer> crashNodes;

    @Option(names = "--crash-at", paramLabel = "D", description = "Crash this long after the warm-up (default: ${DEFAULT-VALUE}).")
    String crashAt = "200ms";

    @Option(names = "--respawn-after", paramLabel = "D", description = "Respawn crashed nodes D after their crash.")
    String respawnAfter;

    @Option(names = "--engine", paramLabel = "ENGINE", description = "sim, netty or processes (default: ${DEFAULT-VALUE}).")
    String engine = "sim";

    @Option(names = "--faults", paramLabel = "PLAN", description = "A fault plan, or 'random' (see above).")
    String faults;

    @Option(names = "--latency", paramLabel = "L", description = "Simulator link latency (default: ${DEFAULT-VALUE}). "
            + "On netty/processes no delay is added: real loopback latency only.")
    String latency = "const:1ms";

    @Option(names = "--heartbeat", paramLabel = "D", description = "Heartbeat interval (default: per engine, Timing: sim 10ms).")
    String heartbeat;

    @Option(names = "--suspicion-timeout", paramLabel = "D", description = "Suspicion timeout (default: per engine, Timing: sim 50ms).")
    String suspicion;

    @Option(names = "--loss-timeout", paramLabel = "D",
            description = "Token-loss timeout; must exceed a rotation (default: max(200ms, 4 x n x the latency bound)).")
    String lossTimeout;

    @Option(names = "--successors", paramLabel = "R", description = "Successor list length r (default: ${DEFAULT-VALUE}).")
    int successors = 3;

    @Option(names = "--phi", paramLabel = "T", description = "Use the phi-accrual detector with threshold T.")
    Double phi;

    @Option(names = "--protocol", paramLabel = "P", description = "Broadcast protocol on expanders (default: ${DEFAULT-VALUE}).")
    String protocol = "flood";

    @Option(names = "--seed", description = "Root seed (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--timeout", paramLabel = "D", description = "Engine-time limit after the faults start (default: ${DEFAULT-VALUE}).")
    String timeout = "20s";

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (n < 2) {
            throw new UsageException("--nodes", "needs at least 2 nodes, got " + n);
        }
        Engines.Engine eng = Engines.parse(engine);
        Engines.checkAvailable(eng);
        LinkModel link = Engines.link(latency);
        String topo = topology.trim().toLowerCase(Locale.ROOT);
        boolean ring = topo.equals("ring") || topo.equals("biring");
        long crashAtNanos = UsageException.durationNanos("--crash-at", crashAt);
        long respawnNanos = respawnAfter == null ? -1 : UsageException.durationNanos("--respawn-after", respawnAfter);
        if (respawnNanos == 0) {
            throw new UsageException("--respawn-after", "must be > 0");
        }
        long timeoutNanos = UsageException.durationNanos("--timeout", timeout);

        // The crashed set: named, or drawn from the seed.
        int k = crash != null ? crash : (faults != null || crashNodes != null ? 0 : 1);
        TreeSet<Integer> victims = new TreeSet<>();
        if (crashNodes != null) {
            for (int v : crashNodes) {
                if (v < 0 || v >= n) {
                    throw new UsageException("--crash-nodes", "node " + v + " is not in 0.." + (n - 1));
                }
                victims.add(v);
            }
            if (crash != null && crash != victims.size()) {
                throw new UsageException("--crash", crash + " disagrees with --crash-nodes " + crashNodes);
            }
        } else {
            if (k < 0 || k >= n) {
                throw new UsageException("--crash", "needs 0 <= K < n = " + n + ", got " + k);
            }
            SplittableRandom r = new SplittableRandom(seed ^ 0xC4A5_11EDL);
            while (victims.size() < k) {
                victims.add(r.nextInt(n));
            }
        }
        List<FaultPlan.Fault> planned = new ArrayList<>();
        for (int v : victims) {
            planned.add(FaultPlan.Fault.crash(v, crashAtNanos, respawnNanos < 0 ? -1 : crashAtNanos + respawnNanos));
        }
        if (faults != null) {
            FaultPlan extra;
            try {
                extra = faults.trim().equalsIgnoreCase("random") ? FaultPlan.random(seed, n, 2_000 * MS) : FaultPlan.parse(faults);
                extra.check(n);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--faults", e.getMessage());
            }
            planned.addAll(extra.faults());
        }
        FaultPlan plan = new FaultPlan(planned);
        if (plan.needsSimulator() && eng != Engines.Engine.SIM) {
            throw new UsageException("--faults", "slow and loss faults need the simulator; engine " + eng.flag()
                    + " supports crash, restart, partition, heal");
        }
        return ring ? ring(out, err, eng, link, plan, victims, respawnNanos, timeoutNanos)
                : expander(out, err, eng, topo, victims, crashAtNanos);
    }

    private RecoveryConfig config(Engines.Engine eng, LinkModel link) {
        Timing t = Timing.forEngine(eng.flag(), n, eng == Engines.Engine.SIM ? link.maxNanos() : 0);
        long hb = heartbeat != null ? UsageException.durationNanos("--heartbeat", heartbeat) : t.heartbeatNanos();
        long sus = suspicion != null ? UsageException.durationNanos("--suspicion-timeout", suspicion) : t.suspicionNanos();
        long loss = lossTimeout != null ? UsageException.durationNanos("--loss-timeout", lossTimeout)
                : t.tokenLossNanos();
        try {
            RecoveryConfig c = new RecoveryConfig(hb, sus, Math.max(loss, sus), successors, RecoveryConfig.Detector.TIMEOUT, 8.0,
                    sus + t.graceNanos() - t.suspicionNanos(), t.probationNanos());
            return phi != null ? c.withPhi(phi) : c;
        } catch (IllegalArgumentException e) {
            throw new UsageException("--heartbeat/--suspicion-timeout/--loss-timeout/--successors/--phi", e.getMessage());
        }
    }

    /** The overlay the healing ring runs on for this engine (see the class doc). */
    static Overlay ringOverlay(Engines.Engine eng, int n, int r, long seed) {
        if (eng != Engines.Engine.PROCESSES) {
            return HealingRing.overlay(n, r);
        }
        String builtIn = r >= 3 || n < 5 ? "complete" : r == 2 ? "chordal:2" : "biring";
        return Topologies.build(builtIn, n, seed);
    }

    private int ring(PrintWriter out, PrintWriter err, Engines.Engine eng, LinkModel link, FaultPlan plan,
            Set<Integer> victims, long respawnNanos, long timeoutNanos) throws Exception {
        RecoveryConfig config = config(eng, link);
        Overlay overlay = ringOverlay(eng, n, config.successors(), seed);
        Protocol proto = HealingRing.protocol(config);
        err.println("ringlab recover: engine=" + eng.flag() + " topology=" + topology + " overlay=" + overlay.spec()
                + " nodes=" + n + " protocol=" + proto.spec() + (eng == Engines.Engine.SIM ? " latency=" + link.spec() : "")
                + " faults=" + (plan.isEmpty() ? "none" : plan) + " seed=" + seed + " "
                + Timing.forEngine(eng.flag(), n, eng == Engines.Engine.SIM ? link.maxNanos() : 0).spec());
        err.println("replay: " + replay());
        err.flush();

        // Custody needs causally ordered observations; a processes cluster reads each child on its own thread.
        RingWatch watch = new RingWatch(n, eng != Engines.Engine.PROCESSES);
        long[] hopSum = {0, 0};
        long wallStart = System.nanoTime();
        Map<String, Object> o = new LinkedHashMap<>();
        try (Cluster cluster = Engines.build(eng, overlay, proto, new Engines.Options(seed, latency, 0, 0))) {
            cluster.addObserver(watch);
            cluster.addObserver(ob -> {
                if (ob instanceof Observation.TokenArrived a) {
                    synchronized (hopSum) {
                        hopSum[0] += a.hopNanos();
                        hopSum[1]++;
                    }
                }
            });
            if (cluster instanceof SimCluster sim) {
                sim.addInvariant(watch::check);
            }
            cluster.start();
            watch.markRotations(cluster.now());
            if (!cluster.runUntil(() -> watch.fullRotations() >= 2, 10_000 * MS)) {
                err.println("ringlab recover: the ring did not complete two rotations within 10 s of engine time");
                err.println("replay: " + replay());
                return 1;
            }
            long origin = cluster.now();
            long[] firstCrash = {-1};
            int[] firstVictim = {-1};
            long[] firstRestart = {-1};
            long[] repairAt = {-1};
            long[] rejoinAt = {-1};
            Set<Integer> crashedEver = new TreeSet<>();
            long[] callNanosMax = {0, 0}; // longest crash call, longest restart call
            plan.applyTo(cluster, origin, (kind, node, at, call) -> {
                if (kind == FaultPlan.Kind.CRASH) {
                    callNanosMax[0] = Math.max(callNanosMax[0], call);
                    watch.crashed(node, at, call);
                    crashedEver.add(node);
                    if (firstCrash[0] < 0) {
                        firstCrash[0] = at;
                        firstVictim[0] = node;
                        watch.markRotations(at);
                    }
                } else if (kind == FaultPlan.Kind.RESTART) {
                    callNanosMax[1] = Math.max(callNanosMax[1], call);
                    if (repairAt[0] < 0 && watch.fullRotationAt() >= 0) {
                        repairAt[0] = watch.fullRotationAt();
                    }
                    watch.restarted(node, at);
                    if (firstRestart[0] < 0) {
                        firstRestart[0] = at;
                    }
                    watch.markRotations(at);
                }
            });
            boolean restarts = plan.faults().stream().anyMatch(f -> f.kind() == FaultPlan.Kind.RESTART
                    || (f.kind() == FaultPlan.Kind.CRASH && f.isRange()));
            boolean crashes = plan.faults().stream().anyMatch(f -> f.kind() == FaultPlan.Kind.CRASH);
            long planEnd = origin + plan.endNanos();
            boolean done;
            try {
                done = cluster.runUntil(() -> {
                    if (firstCrash[0] >= 0 && firstRestart[0] < 0 && repairAt[0] < 0 && watch.fullRotationAt() >= 0) {
                        repairAt[0] = watch.fullRotationAt();
                    }
                    if (firstRestart[0] >= 0 && rejoinAt[0] < 0 && watch.live() == n && watch.fullRotationAt() >= 0) {
                        rejoinAt[0] = watch.fullRotationAt();
                    }
                    return cluster.now() >= planEnd && (!crashes || repairAt[0] >= 0) && (!restarts || rejoinAt[0] >= 0);
                }, plan.endNanos() + timeoutNanos);
            } catch (IllegalStateException e) {
                err.println("ringlab recover: FAILED: " + e.getMessage());
                err.println("replay: " + replay());
                return 1;
            }
            // A tail to see whether any second token survives the repair.
            long tailFrom = repairAt[0] >= 0 ? repairAt[0] : cluster.now();
            cluster.runFor(Math.max(300 * MS, 5 * config.tokenLossTimeoutNanos() / 4));
            long detect = -1;
            for (int v : crashedEver) {
                long d = watch.detectNanos(v);
                if (d < 0) {
                    detect = Long.MAX_VALUE;
                    break;
                }
                detect = Math.max(detect, d);
            }
            long wallNanos = System.nanoTime() - wallStart;
            o.put("engine", eng.flag());
            o.put("seed", seed);
            o.put("nodes", n);
            o.put("topology", topology);
            o.put("overlay", overlay.spec());
            o.put("protocol", proto.spec());
            o.put("latency", eng == Engines.Engine.SIM ? link.spec() : "loopback");
            o.put("faults", plan.toString());
            o.put("crashed", new ArrayList<>(crashedEver));
            o.put("respawn_after_ms", respawnNanos < 0 ? null : respawnNanos / 1e6);
            // How long the engine took to crash / respawn: crash and respawn instants are taken when the call
            // returned (a processes crash first fetches the node's stats, then SIGKILLs and reaps it; a
            // respawn waits for the new JVM to start).
            o.put("crash_call_ms", callNanosMax[0] / 1e6);
            o.put("respawn_call_ms", callNanosMax[1] / 1e6);
            o.put("detect_ms", detect < 0 || detect == Long.MAX_VALUE ? null : detect / 1e6);
            // The first crash's instant, refined on real engines by the victim's last observation (RingWatch).
            long crashInstant = firstVictim[0] < 0 ? -1 : watch.crashInstant(firstVictim[0]);
            o.put("repair_ms", repairAt[0] < 0 ? null : (repairAt[0] - crashInstant) / 1e6);
            o.put("rejoin_ms", rejoinAt[0] < 0 ? null : (rejoinAt[0] - firstRestart[0]) / 1e6);
            o.put("tokens_max_after_repair", repairAt[0] < 0 ? null : watch.maxConcurrentEpochsAfter(tailFrom));
            o.put("token_gap_ms", watch.tokenGapNanos() / 1e6);
            o.put("false_suspicions", watch.falseSuspicions());
            o.put("suspicions", watch.suspicions());
            o.put("false_suspicion_samples", watch.falseSuspicionSamples().stream()
                    .map(x -> x.node() + "->" + x.suspect() + "@" + String.format(Locale.ROOT, "%.1f", (x.atNanos() - origin) / 1e6) + "ms")
                    .toList());
            o.put("tokens_created", watch.epochsCreated());
            o.put("token_creations", watch.creations().stream()
                    .map(c -> "node " + c[0] + "@" + String.format(Locale.ROOT, "%.1f", (c[2] - origin) / 1e6) + "ms")
                    .toList());
            synchronized (hopSum) {
                o.put("hop_ms_mean", hopSum[1] == 0 ? null : hopSum[0] / 1e6 / hopSum[1]);
            }
            // The simulator checks custody after every event; netty checks it as observations arrive (the
            // violation, if any, is reported below); processes cannot (see RingWatch).
            o.put("invariant_checks", eng == Engines.Engine.SIM ? watch.checks() : null);
            o.put("custody_checked", eng != Engines.Engine.PROCESSES);
            o.put("trace_hash", cluster.traceHash().isPresent() ? String.format("%016x", cluster.traceHash().getAsLong()) : null);
            o.put("engine_time_ms", (cluster.now() - origin) / 1e6);
            o.put("wall_ms", wallNanos / 1e6);
            print(out, o);
            String violation = watch.violation();
            if (violation != null || !done) {
                err.println("ringlab recover: " + (violation != null ? "invariant violated: " + violation
                        : "did not " + (crashes && repairAt[0] < 0 ? "repair" : "rejoin") + " within "
                                + Durations.format(timeoutNanos) + " after the last fault"));
                err.println("replay: " + replay());
                return 1;
            }
            return 0;
        }
    }

    private int expander(PrintWriter out, PrintWriter err, Engines.Engine eng, String topo, Set<Integer> victims,
            long crashAtNanos) throws Exception {
        Overlay overlay;
        try {
            overlay = Topologies.build(topo, n, seed);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--topology", e.getMessage());
        }
        Protocol proto;
        try {
            proto = Protocols.parse(protocol);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--protocol", e.getMessage());
        }
        int broadcasts = 20;
        err.println("ringlab recover: engine=" + eng.flag() + " topology=" + topo + " nodes=" + n + " protocol="
                + proto.spec() + " crashed=" + victims + " broadcasts=" + broadcasts + " seed=" + seed);
        err.println("replay: " + replay());
        err.flush();
        long wallStart = System.nanoTime();
        List<Set<Long>> delivered = new ArrayList<>();
        for (int v = 0; v < n; v++) {
            delivered.add(new HashSet<>());
        }
        try (Cluster cluster = Engines.build(eng, overlay, proto, new Engines.Options(seed, latency, 0, 0))) {
            cluster.addObserver(ob -> {
                if (ob instanceof Observation.Delivered d) {
                    synchronized (delivered) {
                        delivered.get(d.node()).add(d.id());
                    }
                }
            });
            cluster.start();
            cluster.runFor(crashAtNanos);
            for (int v : victims) {
                cluster.crash(v);
            }
            cluster.runFor(50 * MS);
            List<Integer> live = new ArrayList<>();
            for (int v = 0; v < n; v++) {
                if (!victims.contains(v)) {
                    live.add(v);
                }
            }
            SplittableRandom r = new SplittableRandom(seed ^ 0xB0ADL);
            for (int b = 0; b < broadcasts; b++) {
                cluster.inject(live.get(r.nextInt(live.size())), new Message.Inject(b, new byte[8]));
                cluster.runFor(5 * MS);
            }
            Engines.settle(cluster, 2_000 * MS);
            long got = 0;
            synchronized (delivered) {
                for (int v : live) {
                    for (long id : delivered.get(v)) {
                        got += id < broadcasts ? 1 : 0;
                    }
                }
            }
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("engine", eng.flag());
            o.put("seed", seed);
            o.put("nodes", n);
            o.put("topology", topo);
            o.put("protocol", proto.spec());
            o.put("crashed", new ArrayList<>(victims));
            o.put("live_nodes", live.size());
            o.put("broadcasts", broadcasts);
            o.put("deliveries_live", got);
            o.put("reliability_live", (double) got / ((long) broadcasts * live.size()));
            o.put("trace_hash", cluster.traceHash().isPresent() ? String.format("%016x", cluster.traceHash().getAsLong()) : null);
            o.put("wall_ms", (System.nanoTime() - wallStart) / 1e6);
            print(out, o);
            return 0;
        }
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

    /** The one command that reproduces this run. */
    private String replay() {
        StringBuilder b = new StringBuilder("ringlab recover --topology " + topology + " -n " + n + " --engine " + engine);
        if (crash != null) {
            b.append(" --crash ").append(crash);
        }
        if (crashNodes != null) {
            b.append(" --crash-nodes ").append(String.join(",", crashNodes.stream().map(String::valueOf).toList()));
        }
        b.append(" --crash-at ").append(crashAt);
        if (respawnAfter != null) {
            b.append(" --respawn-after ").append(respawnAfter);
        }
        if (faults != null) {
            b.append(" --faults \"").append(faults).append('"');
        }
        b.append(" --latency ").append(latency).append(heartbeat == null ? "" : " --heartbeat " + heartbeat)
                .append(suspicion == null ? "" : " --suspicion-timeout " + suspicion).append(" --successors ").append(successors);
        if (lossTimeout != null) {
            b.append(" --loss-timeout ").append(lossTimeout);
        }
        if (phi != null) {
            b.append(" --phi ").append(phi);
        }
        return b.append(" --seed ").append(seed).toString();
    }
}
