package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ringlab.node.Cluster;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.HealingRing;
import dev.ringlab.node.protocols.Protocols;
import dev.ringlab.node.protocols.RecoveryConfig;
import dev.ringlab.node.check.RingWatch;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.Durations;
import dev.ringlab.node.spec.FaultPlan;
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
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
 * Messages travel only along overlay edges, so the ring runs on {@code successor-ring:R} (each node linked
 * to its R successors, {@link HealingRing#overlay}), the same overlay on every engine (a processes child
 * rebuilds it from its spec).
 *
 * <h2>Expander</h2>
 * On any other topology the run broadcasts ({@code --protocol}) while the fault plan runs: 20 broadcasts from
 * live nodes spread from 50 ms after {@code --crash-at} to 50 ms after the plan's last fault (at least
 * 100 ms), and reports {@code reliability_live}, the share of (broadcast, node alive when it was injected)
 * pairs that were delivered.
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
            "--faults PLAN adds a fault plan to the crashes (times from the end of the warm-up: two full",
            "rotations on the ring, and on a real engine its detectors' start-up probation, 2 s; on sim with a",
            "--model whose calibration has a timer part, the modelled engine's 2 s too, so that the nodes are as",
            "old at the crash; settled warm-up broadcasts on an expander): crash:N@T[..T2], restart:N@T,",
            "partition:0-3|4-7@T[..T2], heal@T, slow:N=D@T[..T2], loss:P@T[..T2]; --faults random draws one",
            "from the seed. The plan applies on every engine, on the ring and on expanders alike.",
            "",
            "The ring runs on successor-ring:R (each node linked to its R = --successors successors) on every",
            "engine. Its timing (--heartbeat, --suspicion-timeout, --loss-timeout) defaults to the engine's,",
            "printed with the run's options; --successors, --phi and the timing flags are ring-only, --protocol",
            "is expander-only (a flag that would not take effect is refused).",
            "",
            "--json fields (ring): engine, seed, nodes, topology, overlay, protocol, latency, loss, processing,",
            "faults, crashed, respawn_after_ms, crash_call_ms, respawn_call_ms, respawn_accept_ms (how long before its",
            "respawn call returned a node was already bound, its port accepting redials: processes; null elsewhere),",
            "detect_ms, repair_ms, rejoin_ms,",
            "tokens_max_after_repair, token_gap_ms, false_suspicions, suspicions, false_suspicion_samples,",
            "tokens_created, token_creations, hop_ms_mean, invariant_checks (custody checks after every event:",
            "sim; null where no checker runs), dropped, drops (by reason: no_connection, receiver_down, ...),",
            "trace_hash, engine_time_ms, wall_ms (null where not",
            "measured). Expander: engine, seed, nodes, topology, overlay, protocol, latency, loss, processing,",
            "faults, crashed, respawn_after_ms, warmup_broadcasts, warmup_deliveries, warmup_paced_broadcasts (what the",
            "real engines' warm-up ran), warmup_jvm_clusters (throwaway clusters the JVM warmed up on first: netty,",
            "once per JVM),",
            "broadcasts, live_nodes (alive at the end),",
            "deliveries_live, reliability_live (delivered / (broadcast, node alive at its injection) pairs),",
            "dropped, drops, trace_hash, engine_time_ms, wall_ms. With --predict, 'predicted' also holds the",
            "simulator's drops by reason (not compared: the simulator restarts a node at once, where a real",
            "restart call counts sends to the node while it runs).",
            "Exit 1 if the ring did not repair (or rejoin) in time, a respawn came before any repair (repair not",
            "measured: give --respawn-after more time), or an invariant failed."
        })
public final class RecoverCommand implements Callable<Integer> {
    static final long MS = 1_000_000L;
    private static final int EXPANDER_BROADCASTS = 20;

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

    @Mixin
    RunOptions run;

    @Mixin
    PredictOptions predict;

    /** Added to the {@code --predict} run: the real engine's failure-detector timing, which sim's defaults would change. */
    private List<String> predictArgs = List.of();

    /** The figures {@code --predict} compares. */
    static final List<String> PREDICTED = List.of("detect_ms", "repair_ms", "rejoin_ms", "token_gap_ms", "hop_ms_mean",
            "reliability_live");

    @Mixin
    TimingOptions timing;

    @Option(names = "--successors", paramLabel = "R", description = "Ring: successor list length r (default: ${DEFAULT-VALUE}).")
    int successors = 3;

    @Option(names = "--phi", paramLabel = "T", description = "Ring: use the phi-accrual detector with threshold T.")
    Double phi;

    @Option(names = "--protocol", paramLabel = "P", description = "Expander: broadcast protocol (default: ${DEFAULT-VALUE}).")
    String protocol = "flood";

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
        run.validate();
        predict.validate(run, json);
        String topo = topology.trim().toLowerCase(Locale.ROOT);
        boolean ring = topo.equals("ring") || topo.equals("biring");
        CommandLine.ParseResult given = spec.commandLine().getParseResult();
        if (ring && given.hasMatchedOption("--protocol")) {
            throw new UsageException("--protocol", "applies to expander topologies; on " + topo + " the run is the healing ring");
        }
        if (!ring) {
            for (String f : new String[] {timing.firstGiven(), given.hasMatchedOption("--successors") ? "--successors" : null,
                given.hasMatchedOption("--phi") ? "--phi" : null}) {
                if (f != null) {
                    throw new UsageException(f, "applies to the healing ring (--topology ring or biring), not to " + topo);
                }
            }
        }
        long crashAtNanos = UsageException.durationNanos("--crash-at", crashAt);
        long respawnNanos = respawnAfter == null ? -1 : UsageException.durationNanos("--respawn-after", respawnAfter);
        if (respawnNanos == 0) {
            throw new UsageException("--respawn-after", "must be > 0");
        }
        long timeoutNanos = UsageException.durationNanos("--timeout", timeout);

        // The crashed set: named, or drawn from the seed.
        int k = crash != null ? crash : (run.faultsText() != null || crashNodes != null ? 0 : 1);
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
            SplittableRandom r = new SplittableRandom(run.seed() ^ 0xC4A5_11EDL);
            while (victims.size() < k) {
                victims.add(r.nextInt(n));
            }
        }
        if (victims.isEmpty() && ring && given.hasMatchedOption("--crash-at")) {
            throw new UsageException("--crash-at", "times the --crash nodes' crash, and none is crashed");
        }
        if (victims.isEmpty() && respawnAfter != null) {
            throw new UsageException("--respawn-after", "respawns the --crash nodes, and none is crashed");
        }
        List<FaultPlan.Fault> planned = new ArrayList<>();
        for (int v : victims) {
            planned.add(FaultPlan.Fault.crash(v, crashAtNanos, respawnNanos < 0 ? -1 : crashAtNanos + respawnNanos));
        }
        if (ring) {
            refuseUnhealable(victims);
        }
        planned.addAll(run.faults(n).faults());
        FaultPlan plan = new FaultPlan(planned);
        return ring ? ring(out, err, plan, respawnNanos, timeoutNanos)
                : expander(out, err, topo, plan, crashAtNanos, respawnNanos);
    }

    /**
     * The healing ring cannot show a repaired rotation when the crash leaves fewer than 2 live nodes (a
     * lone survivor has no successor to pass the token to) or crashes --successors consecutive nodes (no live
     * node then links past the gap: successor-ring:R is cut). Refused before the run rather than after its
     * 20 s timeout.
     */
    private void refuseUnhealable(TreeSet<Integer> victims) {
        String flag = crashNodes != null ? "--crash-nodes" : "--crash";
        if (n - victims.size() < 2) {
            throw new UsageException(flag, "crashing " + victims.size() + " of " + n + " nodes leaves " + (n - victims.size())
                    + " live: the healing ring needs at least 2 live nodes to rotate; crash at most " + (n - 2) + " or use a larger -n");
        }
        int run = 0;
        for (int i = 0; i < 2 * n && victims.size() >= successors; i++) {
            run = victims.contains(i % n) ? run + 1 : 0;
            if (run >= successors) {
                throw new UsageException(flag, "nodes " + victims + " include " + successors + " consecutive ids: that cuts "
                        + "successor-ring:" + successors + " (each node links to its " + successors + " successors only); "
                        + (crashNodes != null ? "choose other nodes" : "choose another --seed or --crash-nodes")
                        + " or raise --successors above " + run);
            }
        }
    }

    private RecoveryConfig config(Defaults.Timing t) {
        try {
            RecoveryConfig c = t.applyTo(RecoveryConfig.defaults().withSuccessors(successors));
            return phi != null ? c.withPhi(phi) : c;
        } catch (IllegalArgumentException e) {
            throw new UsageException("--heartbeat/--suspicion-timeout/--loss-timeout/--successors/--phi", e.getMessage());
        }
    }

    /**
     * On the simulator with a model that has a timer part: the warm-up of the engine the model was calibrated on
     * ({@link dev.ringlab.node.spec.Timing#forEngine}); else 0.
     */
    private long modelledWarmupNanos() {
        return run.engine() instanceof dev.ringlab.sim.SimEngine && run.model() != null ? run.model().warmupNanos(n) : 0;
    }

    /** The overlay the healing ring runs on, on every engine: each node linked to its {@code r} successors. */
    static Overlay ringOverlay(int n, int r, long seed) {
        return Topologies.build("successor-ring:" + r, n, seed);
    }

    /** Common leading fields of both reports. */
    private Map<String, Object> header(Overlay overlay, Protocol proto, FaultPlan plan, Set<Integer> crashed, long respawnNanos) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("engine", run.engine().name());
        o.put("seed", run.seed());
        o.put("nodes", n);
        o.put("topology", topology);
        o.put("overlay", overlay.spec());
        o.put("protocol", proto.spec());
        o.put("latency", run.reportedLatency());
        o.put("loss", run.loss());
        o.put("processing", Durations.format(run.processingNanos()));
        o.put("faults", plan.isEmpty() ? null : plan.toString());
        o.put("crashed", new ArrayList<>(crashed));
        o.put("respawn_after_ms", respawnNanos < 0 ? null : respawnNanos / 1e6);
        return o;
    }

    private int ring(PrintWriter out, PrintWriter err, FaultPlan plan, long respawnNanos, long timeoutNanos) throws Exception {
        ClusterEngine engine = run.engine();
        Defaults.Timing t = timing.resolve(engine, n, run.linkBound());
        RecoveryConfig config = config(t);
        if (predict.given()) {
            List<String> a = new java.util.ArrayList<>();
            CommandLine.ParseResult given = spec.commandLine().getParseResult();
            for (String[] f : new String[][] {{"--heartbeat", t.heartbeatNanos() + "ns"}, {"--suspicion-timeout", t.suspicionNanos() + "ns"},
                {"--loss-timeout", t.tokenLossNanos() + "ns"}}) {
                if (!given.hasMatchedOption(f[0])) {
                    a.addAll(List.of(f[0], f[1]));
                }
            }
            predictArgs = a;
        }
        Overlay overlay;
        try {
            overlay = ringOverlay(n, config.successors(), run.seed());
        } catch (IllegalArgumentException e) {
            throw new UsageException("--successors", e.getMessage());
        }
        Protocol proto = HealingRing.protocol(config);

        long[] hopSum = {0, 0};
        long wallStart = System.nanoTime();
        try (Cluster cluster = run.build(run.spec(overlay, proto, plan))) {
            err.println("ringlab recover: " + run.effective(plan, t) + " topology=" + topology + " overlay=" + overlay.spec()
                    + " nodes=" + n + " protocol=" + proto.spec());
            err.println("replay: " + Replay.line(spec, run));
            err.flush();
            // Custody needs causally ordered observations: it is checked where the engine runs a check after
            // every event (the simulator); a processes cluster reads each child on its own thread.
            RingWatch[] holder = new RingWatch[1];
            boolean perEvent = Engines.checkAfterEveryEvent(cluster, () -> holder[0].check());
            RingWatch watch = holder[0] = new RingWatch(n, perEvent);
            cluster.addObserver(watch);
            cluster.addObserver(ob -> {
                if (ob instanceof Observation.TokenArrived a) {
                    synchronized (hopSum) {
                        hopSum[0] += a.hopNanos();
                        hopSum[1]++;
                    }
                }
            });
            cluster.start();
            long started = cluster.now();
            watch.markRotations(started);
            if (!cluster.runUntil(() -> watch.fullRotations() >= 2, 10_000 * MS)) {
                err.println("ringlab recover: the ring did not complete two rotations within 10 s of engine time");
                err.println("replay: " + Replay.line(spec, run));
                return 1;
            }
            // Faults start once the detectors' start-up probation is over (real engines; 0 on sim), so that
            // detect_ms measures the steady-state suspicion timeout, not the start-up grace. A simulator whose model
            // has a timer part (late timers by node age) waits as long as the modelled engine does, so that its nodes
            // are as old when the faults come as the engine's (the detectors' timing is not changed by it).
            long warm = Math.max(t.probationNanos(), modelledWarmupNanos());
            if (cluster.now() - started < warm) {
                cluster.runFor(started + warm - cluster.now());
            }
            long origin = cluster.now();
            long[] firstCrash = {-1};
            int[] firstVictim = {-1};
            long[] firstRestart = {-1};
            long[] repairAt = {-1};
            long[] rejoinAt = {-1};
            Set<Integer> crashedEver = new TreeSet<>();
            long[] callNanosMax = {-1, -1, -1}; // longest crash call, longest restart call, longest accepting window
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
                    callNanosMax[2] = Math.max(callNanosMax[2], cluster.restartAcceptNanos(node).orElse(-1));
                    if (repairAt[0] < 0 && watch.fullRotationAt() >= 0) {
                        repairAt[0] = watch.fullRotationAt();
                    }
                    // The node is back from the call's start: on a real engine the new incarnation may run,
                    // and be observed, before the call returns.
                    watch.restarted(node, at - call, at);
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
                    // A respawn before any repair was seen: the ring never had to close around the crash, and
                    // repair cannot be measured any more; waiting the whole --timeout for it would only mislead.
                    boolean repairMoot = firstRestart[0] >= 0 && repairAt[0] < 0;
                    return cluster.now() >= planEnd && (!crashes || repairAt[0] >= 0 || repairMoot)
                            && (!restarts || rejoinAt[0] >= 0);
                }, plan.endNanos() + timeoutNanos);
            } catch (IllegalStateException e) {
                err.println("ringlab recover: FAILED: " + e.getMessage());
                err.println("replay: " + Replay.line(spec, run));
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
            Map<String, Object> o = header(overlay, proto, plan, crashedEver, respawnNanos);
            // How long the engine took to crash / respawn: crash and respawn instants are taken when the call
            // returned (a processes crash SIGKILLs and reaps the JVM; a respawn waits for the new JVM to start).
            o.put("crash_call_ms", callNanosMax[0] < 0 ? null : callNanosMax[0] / 1e6);
            o.put("respawn_call_ms", callNanosMax[1] < 0 ? null : callNanosMax[1] / 1e6);
            o.put("respawn_accept_ms", callNanosMax[2] < 0 ? null : callNanosMax[2] / 1e6);
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
            o.put("invariant_checks", perEvent ? watch.checks() : null);
            o.put("dropped", cluster.stats().messagesDropped());
            o.put("drops", new TreeMap<>(cluster.stats().drops()));
            o.put("trace_hash", cluster.traceHash().isPresent() ? String.format("%016x", cluster.traceHash().getAsLong()) : null);
            o.put("engine_time_ms", (cluster.now() - origin) / 1e6);
            o.put("wall_ms", wallNanos / 1e6);
            print(out, o);
            String violation = perEvent ? watch.violation() : null;
            if (violation == null && done && crashes && repairAt[0] < 0 && firstRestart[0] >= 0) {
                err.println("ringlab recover: a crashed node was respawned" + (firstCrash[0] < 0 ? ""
                        : " " + Durations.format(firstRestart[0] - firstCrash[0]) + " after the crash,") + " before the ring had repaired around it" + (detect < 0 || detect == Long.MAX_VALUE
                                ? " (no suspicion yet)" : " (detected after " + String.format(Locale.ROOT, "%.0f", detect / 1e6) + " ms)")
                        + ", so repair was not measured; give --respawn-after more time than detection and one rotation "
                        + "take (suspicion timeout " + Durations.format(config.suspicionTimeoutNanos()) + " here), e.g. 1s");
                err.println("replay: " + Replay.line(spec, run));
                return 1;
            }
            if (violation != null || !done) {
                err.println("ringlab recover: " + (violation != null ? "invariant violated: " + violation
                        : "did not " + (crashes && repairAt[0] < 0 ? "repair" : "rejoin") + " within "
                                + Durations.format(timeoutNanos) + " after the last fault"));
                err.println("replay: " + Replay.line(spec, run));
                return 1;
            }
            return 0;
        }
    }

    private int expander(PrintWriter out, PrintWriter err, String topo, FaultPlan plan, long crashAtNanos,
            long respawnNanos) throws Exception {
        Overlay overlay;
        try {
            overlay = Topologies.build(topo, n, run.seed());
        } catch (IllegalArgumentException e) {
            throw new UsageException("--topology", e.getMessage());
        }
        Protocol proto;
        try {
            proto = Protocols.parse(protocol);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--protocol", e.getMessage());
        }
        ClusterEngine engine = run.engine();
        // The broadcasts span the faults: from just after the crash to just after the plan's last fault.
        long firstAt = crashAtNanos + 50 * MS;
        long lastAt = Math.max(firstAt + 100 * MS, plan.endNanos() + 50 * MS);
        long wallStart = System.nanoTime();
        List<Set<Long>> delivered = new ArrayList<>();
        for (int v = 0; v < n; v++) {
            delivered.add(new HashSet<>());
        }
        try (Cluster cluster = run.build(run.spec(overlay, proto, plan))) {
            err.println("ringlab recover: " + run.effective(plan, null) + " topology=" + topo + " nodes=" + n + " protocol="
                    + proto.spec() + " broadcasts=" + EXPANDER_BROADCASTS + " from " + Durations.format(firstAt) + " to "
                    + Durations.format(lastAt) + " warmup=" + Defaults.warmupRule(engine));
            err.println("replay: " + Replay.line(spec, run));
            err.flush();
            cluster.addObserver(BroadcastExperiment.measured(ob -> {
                if (ob instanceof Observation.Delivered d) {
                    synchronized (delivered) {
                        delivered.get(d.node()).add(d.id());
                    }
                }
            }));
            BroadcastExperiment.JvmWarmUp jvmWarmup = BroadcastExperiment.warmUpJvm(engine, err);
            cluster.start();
            byte[] payload = new byte[8];
            BroadcastExperiment.WarmUp warmup = BroadcastExperiment.warmUp(cluster, engine, payload, 2_000 * MS);
            long origin = cluster.now();
            Set<Integer> crashedEver = new TreeSet<>();
            plan.applyTo(cluster, origin, (kind, node, at, call) -> {
                if (kind == FaultPlan.Kind.CRASH) {
                    synchronized (crashedEver) {
                        crashedEver.add(node);
                    }
                }
            });
            // Per broadcast, the nodes alive when it was injected: the ones it should reach.
            List<boolean[]> aliveAtInject = new ArrayList<>();
            SplittableRandom r = new SplittableRandom(run.seed() ^ 0xB0ADL);
            for (int b = 0; b < EXPANDER_BROADCASTS; b++) {
                long id = b;
                long at = firstAt + (lastAt - firstAt) * b / (EXPANDER_BROADCASTS - 1);
                cluster.at(origin + at, () -> {
                    boolean[] alive = new boolean[n];
                    List<Integer> live = new ArrayList<>();
                    for (int v = 0; v < n; v++) {
                        alive[v] = cluster.alive(v);
                        if (alive[v]) {
                            live.add(v);
                        }
                    }
                    aliveAtInject.add(alive);
                    if (!live.isEmpty()) {
                        cluster.inject(live.get(r.nextInt(live.size())), new Message.Inject(id, payload));
                    }
                });
            }
            cluster.runUntil(() -> aliveAtInject.size() == EXPANDER_BROADCASTS, lastAt + 60_000 * MS);
            Cluster.Settled settled = cluster.settle(2_000 * MS);
            long got = 0;
            long should = 0;
            synchronized (delivered) {
                for (int b = 0; b < aliveAtInject.size(); b++) {
                    boolean[] alive = aliveAtInject.get(b);
                    for (int v = 0; v < n; v++) {
                        if (alive[v]) {
                            should++;
                            got += delivered.get(v).contains((long) b) ? 1 : 0;
                        }
                    }
                }
            }
            int liveAtEnd = 0;
            for (int v = 0; v < n; v++) {
                liveAtEnd += cluster.alive(v) ? 1 : 0;
            }
            Map<String, Object> o = header(overlay, proto, plan, crashedEver, respawnNanos);
            o.put("warmup_broadcasts", warmup.broadcasts());
            o.put("warmup_deliveries", warmup.deliveries());
            o.put("warmup_paced_broadcasts", warmup.paced());
            o.put("warmup_jvm_clusters", jvmWarmup.clusters());
            o.put("broadcasts", aliveAtInject.size());
            o.put("live_nodes", liveAtEnd);
            o.put("deliveries_live", got);
            o.put("reliability_live", should == 0 ? null : (double) got / should);
            o.put("dropped", cluster.stats().messagesDropped());
            o.put("drops", new TreeMap<>(cluster.stats().drops()));
            o.put("trace_hash", cluster.traceHash().isPresent() ? String.format("%016x", cluster.traceHash().getAsLong()) : null);
            o.put("engine_time_ms", (settled.lastActivityNanos() - origin) / 1e6);
            o.put("wall_ms", (System.nanoTime() - wallStart) / 1e6);
            print(out, o);
            return 0;
        }
    }

    private void print(PrintWriter out, Map<String, Object> o) throws Exception {
        if (json) {
            out.println(predict.decorate(new ObjectMapper().writeValueAsString(o), spec, PREDICTED, predictArgs));
        } else {
            for (Map.Entry<String, Object> e : o.entrySet()) {
                out.printf(Locale.ROOT, "  %-24s %s%n", e.getKey(), e.getValue() == null ? "-" : e.getValue());
            }
        }
        out.flush();
    }
}
