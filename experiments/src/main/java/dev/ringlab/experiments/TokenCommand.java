package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ringlab.node.Cluster;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.StationSpec;
import dev.ringlab.node.protocols.TokenCensus;
import dev.ringlab.node.protocols.TokenRing;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.Durations;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.node.spec.LinkModel;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab token}: the particle. Node 0 creates one token that circles the ring ({@link TokenRing});
 * stations may hold it. The run lasts until node 0 has seen {@code --rotations} rotations complete (or a
 * timeout of engine time passes), then reports, from the observation stream only ({@link TokenMetrics}),
 * the rotation period, the hop latency measured from the token's timestamps, the nodes' hop latency
 * estimated from the rotation frequency alone, and the ticks.
 *
 * <p>On the simulator, the invariant "exactly one token exists" ({@link TokenCensus}) is checked after
 * every event of a run without faults or loss; a violation ends the run with exit 1 and the command that
 * replays it. Exit 1 also if the rotations do not complete in time or the nodes' tick counts disagree, and at
 * once if a node dies on its own ({@link Observation.NodeExited}: the ring does not heal). On a
 * real engine the token first circles until the JIT has compiled its path, rotations that no figure counts
 * ({@link Defaults#tokenWarmupRule}).
 */
@Command(
        name = "token",
        mixinStandardHelpOptions = true,
        header = "The particle: one token circling a ring; rotation, hop latency, ticks, stations.",
        description = {
            "Circles one token (the particle) around a ring: node 0 creates it, every node passes it to its",
            "successor and ticks when it passes (tick number = rotation number, so all nodes agree).",
            "Reports the rotation period, the hop latency measured from the token's timestamps, and the",
            "hop latency each node estimates from the rotation frequency alone.",
            "",
            "Stations (--station, repeatable): delay:DELAY@NODE holds the token at NODE, delay:DELAY@* at",
            "every node; DELAY is a duration (5ms), const:D, or uniform:LO,HI (drawn per visit from the",
            "node's seeded stream). Examples: --station delay:5ms@3 --station delay:uniform:1ms,3ms@*.",
            "Several stations on one node add their holds.",
            "",
            "On netty and processes the token first circles until " + Defaults.REAL_WARMUP_DELIVERIES + " hops or 2 s, and then",
            "one rotation more: warm-up rotations that no figure counts (warmup_rotations says how many ran);",
            "the measured rotations and ticks are numbered from 1 after them. The simulator with a --model that",
            "has a timer part circles it for the modelled engine's warm-up (2 s) and one rotation more.",
            "",
            "--json fields: engine, seed, topology, protocol, nodes, latency, loss, processing, faults,",
            "warmup_rotations, stations, trace_hash (hex, null on real engines), rotations, ticks (the tick count",
            "every node reached), ticks_agree,",
            "rotation_ms {p50,p99,max}, hop_ms {p50,p99,max,mean} (measured), estimated_hop_ms (mean of the",
            "nodes' rotation-frequency estimates), tick_jitter_ms (largest std deviation of a node's tick",
            "interval), tick_skew_ms {p50,p99,max} (spread of one tick across the ring: last node's tick time",
            "minus the first's), compensated_ticks, compensated_tick_skew_ms {p50,p99,max} (the same spread for",
            "compensated ticks: each node fires tick k at the token's arrival plus its rotation-derived estimate",
            "of the time the token needs to get back to node 0, so all fire about when rotation k ends; from tick",
            "2), census_checks (one-token checks after every event: sim without faults or loss; null where no",
            "checker runs), dropped, engine_time_ms (first to last measured rotation), wall_ms. Effective options",
            "and the replay line go to stderr. On real engines all",
            "timestamps are System.nanoTime() of one host (shared by the processes of the processes engine)."
        })
public final class TokenCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--topology", paramLabel = "SPEC",
            description = "ring (unidirectional) or biring (its backward edges stay unused) (default: ${DEFAULT-VALUE}).")
    String topology = "ring";

    @Option(names = {"-n", "--nodes"}, description = "Nodes on the ring, >= 2 (default: ${DEFAULT-VALUE}).")
    int n = 8;

    @Option(names = "--rotations", paramLabel = "K", description = "Rotations to complete (default: ${DEFAULT-VALUE}).")
    long rotations = 100;

    @Option(names = "--station", paramLabel = "STATION",
            description = "A station, repeatable: delay:DELAY@NODE or delay:DELAY@* (see above).")
    List<String> stations = new ArrayList<>();

    @Mixin
    RunOptions run;

    @Mixin
    PredictOptions predict;

    @Option(names = "--timeout", paramLabel = "D",
            description = "Engine-time limit, e.g. 30s (default: twice the slowest possible run, plus 1s).")
    String timeout;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (n < 2) {
            throw new UsageException("--nodes", "a token ring needs at least 2 nodes, got " + n);
        }
        if (rotations < 1) {
            throw new UsageException("--rotations", "need at least 1 rotation, got " + rotations);
        }
        if (rotations > TokenMetrics.MAX_ROTATIONS) {
            // Checked here, as bad input (exit 2): TokenMetrics' own check is an IllegalArgumentException from
            // a constructor, which Main counts as a failed run (exit 1).
            throw new UsageException("--rotations", "at most " + TokenMetrics.MAX_ROTATIONS
                    + " rotations in one run (each keeps a row of tick times), got " + rotations);
        }
        String topo = topology.trim().toLowerCase(Locale.ROOT);
        if (!topo.equals("ring") && !topo.equals("biring")) {
            throw new UsageException("--topology", "the token needs a ring: ring or biring, got '" + topology + "'");
        }
        run.validate();
        predict.validate(run, json);
        ClusterEngine engine = run.engine();
        LinkModel link = run.linkBound();
        // The longest one hop can take: the link, and on a real engine its own hop bound (Timing: loopback plus
        // the observation each node writes; processes 10 ms), so the default timeout holds on a loaded host.
        long hopBound = Math.addExact(dev.ringlab.node.spec.Timing.forEngine(engine.name(), n, link.maxNanos())
                .hopBoundNanos(), run.processingNanos());
        List<StationSpec> specs = new ArrayList<>();
        long holdBoundNanos = 0; // the longest all stations together can hold the token in one rotation
        for (String s : stations) {
            StationSpec st;
            try {
                st = StationSpec.parse(s);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--station", e.getMessage());
            }
            if (st.node() >= n) {
                throw new UsageException("--station", "'" + s + "' names node " + st.node() + ", not in 0.." + (n - 1));
            }
            specs.add(st);
            holdBoundNanos += st.delay().maxNanos() * (st.node() == StationSpec.EVERY_NODE ? n : 1);
        }
        long timeoutNanos;
        if (timeout != null) {
            try {
                timeoutNanos = Durations.parseNanos(timeout);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--timeout", e.getMessage());
            }
        } else {
            long rotationBound = Math.addExact(Math.multiplyExact((long) n, hopBound), holdBoundNanos);
            timeoutNanos = Math.addExact(Math.multiplyExact(2 * rotations, rotationBound), 1_000_000_000L);
        }
        Overlay overlay;
        try {
            overlay = Topologies.build(topo, n, run.seed());
        } catch (IllegalArgumentException e) {
            throw new UsageException("--topology", e.getMessage());
        }
        FaultPlan plan = run.faults(n);
        Protocol protocol = TokenRing.protocol(specs);
        // The census counts tokens held and in flight: a token lost to a fault or to loss would stay "in
        // flight" for ever, so it only checks fault-free, loss-free runs.
        TokenCensus census = new TokenCensus(protocol);
        boolean censusValid = plan.isEmpty() && run.loss() == 0;
        // The simulator with a timer model circles the token for the modelled engine's warm-up first, so that a
        // station's hold is not drawn from a JVM's first second when the measured rotations begin.
        long modelledWarmup = engine.deterministic() && run.model() != null ? run.model().warmupNanos(n) : 0;
        TokenMetrics metrics = !engine.deterministic()
                ? TokenMetrics.untilWarm(n, rotations, Defaults.REAL_WARMUP_DELIVERIES, Defaults.REAL_WARMUP_MAX_NANOS)
                : modelledWarmup > 0 ? TokenMetrics.untilWarm(n, rotations, Long.MAX_VALUE, modelledWarmup)
                : new TokenMetrics(n, rotations, 0);
        String warmupRule = modelledWarmup > 0 ? "rotations-to-" + Durations.format(modelledWarmup) + "-modelled"
                : Defaults.tokenWarmupRule(engine);
        long wallStart = System.nanoTime();
        boolean completed;
        Long traceHash;
        long engineNanos;
        boolean checked;
        long dropped;
        try (Cluster cluster = run.build(run.spec(overlay, census, plan))) {
            err.println("ringlab token: " + run.effective(plan, null) + " topology=" + topo + " nodes=" + n + " rotations="
                    + rotations + " warmup=" + warmupRule + " stations=" + specs + " timeout=" + Durations.format(timeoutNanos));
            err.println("replay: " + Replay.line(spec, run));
            err.flush();
            cluster.addObserver(metrics);
            // The token ring does not heal: a node that dies on its own (a kill -9 from outside) ends the run
            // at once rather than after the whole timeout.
            AtomicReference<Observation.NodeExited> exited = new AtomicReference<>();
            cluster.addObserver(o -> {
                if (o instanceof Observation.NodeExited e) {
                    exited.compareAndSet(null, e);
                }
            });
            checked = censusValid && Engines.checkAfterEveryEvent(cluster, census::check);
            long rotationBound = Math.addExact(Math.multiplyExact((long) n, hopBound), holdBoundNanos);
            long engineStart;
            try {
                cluster.start(); // inside: a node that dies while starting is one FAILED line too
                // The rule is met by the rotation that completes after the 2 s cap at the latest, and one more runs.
                if (!metrics.warmedUp() && !cluster.runUntil(() -> exited.get() != null || metrics.warmedUp(),
                        Math.addExact(Defaults.REAL_WARMUP_MAX_NANOS, Math.addExact(Math.multiplyExact(2, rotationBound), 10_000_000_000L)))
                        || exited.get() != null) {
                    if (exited.get() != null) {
                        return nodeExited(err, exited.get());
                    }
                    err.println("ringlab token: the token's warm-up did not end (" + metrics.rotationsSeen() + " rotations, rule "
                            + warmupRule + ")");
                    err.println("replay: " + Replay.line(spec, run));
                    return 1;
                }
                // Real engines' clocks are System.nanoTime(): only differences mean anything.
                engineStart = cluster.now();
                plan.applyTo(cluster, engineStart, (kind, node, at, call) -> {});
                completed = cluster.runUntil(() -> exited.get() != null || metrics.rotationsCompleted() >= rotations,
                        Math.addExact(plan.endNanos(), timeoutNanos));
                if (exited.get() != null) {
                    return nodeExited(err, exited.get());
                }
                if (completed) {
                    // Compensated tick K fires about when rotation K ends, i.e. about now: let it land.
                    cluster.runUntil(() -> metrics.compensatedTickComplete(rotations),
                            Math.addExact(Math.multiplyExact(2, rotationBound), 200_000_000L));
                }
            } catch (IllegalStateException e) {
                err.println("ringlab token: FAILED: " + e.getMessage());
                err.println("replay: " + Replay.line(spec, run));
                return 1;
            }
            // The measured work ends with the last measured rotation, not with the wait for compensated ticks.
            engineNanos = (completed ? metrics.lastRotationAtNanos() : cluster.now()) - engineStart;
            traceHash = cluster.traceHash().isPresent() ? cluster.traceHash().getAsLong() : null;
            dropped = cluster.stats().messagesDropped();
        }
        long wallNanos = System.nanoTime() - wallStart;
        TokenMetrics.TokenReport r = metrics.report(wallNanos);

        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("engine", engine.name());
            o.put("seed", run.seed());
            o.put("topology", topo);
            o.put("protocol", protocol.spec());
            o.put("nodes", n);
            o.put("latency", run.reportedLatency()); // real engines: null unless --latency adds a delay
            o.put("loss", run.loss());
            o.put("processing", Durations.format(run.processingNanos()));
            o.put("faults", plan.isEmpty() ? null : plan.toString());
            o.put("warmup_rotations", metrics.warmupRotations());
            o.put("stations", specs.stream().map(StationSpec::spec).toList());
            o.put("trace_hash", traceHash == null ? null : String.format("%016x", traceHash));
            o.put("rotations", r.rotations());
            o.put("ticks", r.ticks());
            o.put("ticks_agree", r.ticksAgree());
            o.put("rotation_ms", ordered("p50", r.rotationMsP50(), "p99", r.rotationMsP99(), "max", r.rotationMsMax()));
            Map<String, Object> hop = ordered("p50", r.hopMsP50(), "p99", r.hopMsP99(), "max", r.hopMsMax());
            hop.put("mean", r.hopMsMean());
            o.put("hop_ms", hop);
            o.put("estimated_hop_ms", r.estimatedHopMs());
            o.put("tick_jitter_ms", r.tickJitterMs());
            o.put("tick_skew_ms", ordered("p50", r.tickSkewMsP50(), "p99", r.tickSkewMsP99(), "max", r.tickSkewMsMax()));
            o.put("compensated_ticks", r.compensatedTicks());
            o.put("compensated_tick_skew_ms", ordered("p50", num(r.compensatedTickSkewMsP50()), "p99",
                    num(r.compensatedTickSkewMsP99()), "max", num(r.compensatedTickSkewMsMax())));
            o.put("census_checks", checked ? census.checks() : null);
            o.put("dropped", dropped);
            o.put("engine_time_ms", engineNanos / 1e6);
            o.put("wall_ms", r.wallMs());
            out.println(predict.decorate(new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS).writeValueAsString(o),
                    spec, List.of("rotation_ms.p50", "rotation_ms.p99", "hop_ms.p50", "hop_ms.p99", "hop_ms.mean",
                            "tick_skew_ms.p50", "tick_skew_ms.p99"), List.of()));
        } else {
            out.printf(Locale.ROOT, "token ring: %s, %d nodes, %s, %s, %s, seed %d%n", topo, n, engine.name(),
                    run.reportedLatency() == null ? "real links" : run.reportedLatency(),
                    specs.isEmpty() ? "no stations" : "stations " + specs, run.seed());
            out.printf(Locale.ROOT, "  rotations          %d%n", r.rotations());
            out.printf(Locale.ROOT, "  ticks              %d on every node (%s)%n", r.ticks(),
                    r.ticksAgree() ? "all agree" : "DISAGREE");
            out.printf(Locale.ROOT, "  rotation_ms        p50 %.3f  p99 %.3f  max %.3f%n", r.rotationMsP50(),
                    r.rotationMsP99(), r.rotationMsMax());
            out.printf(Locale.ROOT, "  hop_ms (measured)  p50 %.3f  p99 %.3f  max %.3f  mean %.3f%n", r.hopMsP50(),
                    r.hopMsP99(), r.hopMsMax(), r.hopMsMean());
            out.printf(Locale.ROOT, "  estimated_hop_ms   %.3f  (rotation frequency alone, %d estimates)%n",
                    r.estimatedHopMs(), r.estimates());
            out.printf(Locale.ROOT, "  tick_jitter_ms     %.3f%n", r.tickJitterMs());
            out.printf(Locale.ROOT, "  tick_skew_ms       p50 %.3f  p99 %.3f  max %.3f  (tick when the token passes)%n",
                    r.tickSkewMsP50(), r.tickSkewMsP99(), r.tickSkewMsMax());
            out.printf(Locale.ROOT, "  compensated skew   p50 %.3f  p99 %.3f  max %.3f  (%d compensated ticks)%n",
                    r.compensatedTickSkewMsP50(), r.compensatedTickSkewMsP99(), r.compensatedTickSkewMsMax(),
                    r.compensatedTicks());
            out.printf(Locale.ROOT, "  one-token checks   %s%n", checked ? census.checks() + " (after every event)"
                    : "- (no checker: " + (censusValid ? "the engine runs events concurrently" : "faults or loss") + ")");
            out.printf(Locale.ROOT, "  trace_hash         %s%n", traceHash == null ? "-" : String.format("%016x", traceHash));
            out.printf(Locale.ROOT, "  engine_time_ms     %.3f   wall_ms %.1f%n", engineNanos / 1e6, r.wallMs());
        }
        out.flush();
        if (!completed) {
            err.println("ringlab token: only " + r.rotations() + " of " + rotations + " rotations completed within "
                    + Durations.format(timeoutNanos) + " of engine time");
            err.println("replay: " + Replay.line(spec, run));
            return 1;
        }
        if (!r.ticksAgree() || r.ticks() != rotations) {
            err.println("ringlab token: nodes disagree on the tick count (every node reached " + r.ticks() + " of "
                    + rotations + ")");
            err.println("replay: " + Replay.line(spec, run));
            return 1;
        }
        return 0;
    }

    /** The one line for a node that died on its own; exit 1. */
    private int nodeExited(PrintWriter err, Observation.NodeExited e) {
        err.println("ringlab token: FAILED: node " + e.node() + " exited on its own (status " + e.exitStatus()
                + ") and the token ring does not heal" + (e.lastLog().isEmpty() ? "" : "; its log ends: " + e.lastLog()));
        err.println("replay: " + Replay.line(spec, run));
        return 1;
    }

    private static Object num(double v) {
        return Double.isNaN(v) ? null : v;
    }

    private static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

}
