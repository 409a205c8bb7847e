package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringlab.node.protocols.Protocols;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.Durations;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.topology.Topologies;
import dev.ringlab.topology.TopologySpec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab compare}: a broadcast sweep over topologies x sizes x seeds ({@link BroadcastSweep}),
 * printed as a table of means with 95% confidence intervals over seeds, and written to
 * {@code <out>/compare-<UTC timestamp>/}: {@code run.json} (every parameter, the seeds, the version, each
 * seed's trace hash), {@code broadcast.csv}, {@code broadcast-runs.csv} and the plots.
 */
@Command(
        name = "compare",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Compare topologies at broadcast: for each topology, n and seed, build the overlay from the seed and run "
                    + "--broadcasts broadcasts one after the other from random origins; report, per topology and n, the mean "
                    + "over seeds of p50/p99/max delivery latency, last delivery hop, messages per broadcast and rmr, with "
                    + "95%% confidence intervals (bootstrap percentile for quantities that cannot be negative, Student-t for rmr; none below 3 seeds). Combinations a topology cannot build (margulis: n = m*m, "
                    + "hypercube: n = 2^k, paley: prime n = 1 mod 4) or above the engine's --max-nodes are skipped and listed. "
                    + "Plumtree rows also give the means over seeds of tree_repairs, grafts, prunes (per seed's run) and "
                    + "ihave_per_broadcast, and their rmr counts payload messages only; these fields are null for other protocols.",
            "Writes results/compare-<UTC yyyyMMdd-HHmmss>/ (run.json, broadcast.csv, broadcast-runs.csv, latency-p50.png/svg,"
                    + " msgs-per-op.png/svg). The defaults (5 topologies x 5 sizes x 10 seeds x 32 broadcasts) take about 10 s on the simulator on 2 cores, plus the build on first use.",
            "netty: all nodes in this JVM, each with its own port and one TCP connection per edge, sharing this JVM's "
                    + "event-loop threads; n is capped at 256 by default (what a 2-core machine runs in minutes, not hours: "
                    + "each broadcast waits 250 ms of quiet to settle). processes: one JVM per node, capped at 32. On both, "
                    + "each seed's cluster first warms up (rounds of " + Defaults.REAL_WARMUP_BROADCASTS + " broadcasts until "
                    + Defaults.REAL_WARMUP_DELIVERIES + " messages were delivered or 2 s passed, then up to "
                    + Defaults.REAL_WARMUP_PACED + " single broadcasts 1 ms apart or 1 s, then a settle) and no figure "
                    + "counts it (run.json: warmup_min_broadcasts, warmup_target_deliveries). On netty the JVM first runs that "
                    + "warm-up on " + Defaults.JVM_WARMUP_CLUSTERS + " throwaway 16-node rings, once (warmup_jvm_clusters).",
            "Without --latency, sim links are const:1ms, so on a vertex-transitive overlay (ring, biring, chordal) "
                    + "every seed gives the same figures; --latency lognormal:1ms,0.5 gives links with spread."
        })
public final class CompareCommand implements Callable<Integer> {
    static final String DEFAULT_NODES = "16,64,256,1024,4096";
    static final String DEFAULT_TOPOLOGIES = "ring,biring,chordal:4,random-regular:4,random-regular:8";

    @Spec
    CommandSpec spec;

    @Option(names = {"-n", "--nodes"}, defaultValue = DEFAULT_NODES, split = ",", paramLabel = "N",
            description = "Sizes, comma-separated (default: ${DEFAULT-VALUE}).")
    List<Integer> nodes;

    @Option(names = "--topologies", defaultValue = DEFAULT_TOPOLOGIES, paramLabel = "SPECS",
            description = "Topologies, comma-separated: " + Topologies.VALID_SPECS + " (default: ${DEFAULT-VALUE}).")
    String topologies;

    @Option(names = "--protocol", defaultValue = "flood", paramLabel = "P",
            description = "One of " + Protocols.VALID + " (default: ${DEFAULT-VALUE}).")
    String protocol;

    @Option(names = "--protocols", paramLabel = "P,P,...",
            description = "Several protocols side by side, e.g. flood,gossip:3,tree,plumtree: one sweep each (its own "
                    + "results directory), then one table of all (a comma followed by KEY=VALUE continues the previous "
                    + "spec, as in plumtree:lazy=300ms,eager=0ms). Not with --protocol.")
    String protocols;

    @Mixin
    RunOptions run;

    @Mixin
    PredictOptions predict;

    @Option(names = "--seeds", paramLabel = "K",
            description = "Seeds per (topology, n): --seed, --seed+1, ..., --seed+K-1 (default: 10 on sim, 3 on netty and "
                    + "processes, where each broadcast waits " + (dev.ringlab.node.Cluster.QUIET_NANOS / 1_000_000)
                    + " ms of quiet to settle).")
    Integer seeds;

    @Option(names = "--broadcasts", paramLabel = "B",
            description = "Broadcasts per seed, one after the other, from random origins (default: 32 on sim, 8 on netty and "
                    + "processes).")
    Integer broadcasts;

    @Option(names = "--drain", defaultValue = "30s", paramLabel = "D",
            description = "Most engine time one broadcast may take to settle (default: ${DEFAULT-VALUE}).")
    String drain;

    @Option(names = "--payload-bytes", defaultValue = "16", paramLabel = "B", description = "Payload size (default: ${DEFAULT-VALUE}).")
    int payloadBytes;

    @Option(names = "--max-nodes", paramLabel = "N",
            description = "Skip sizes above N (default: none on sim, 256 on netty, 32 on processes).")
    Integer maxNodes;

    @Option(names = "--out", defaultValue = "results", paramLabel = "DIR",
            description = "Results root; the run goes to DIR/compare-<timestamp>/ (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--json", description = "Print one JSON object: results_dir, rows, skipped.")
    boolean json;

    @Option(names = "--threads", paramLabel = "T", description = ParallelCells.HELP)
    Integer threads;

    /** The threads the sweep's cells ran on (recorded in run.json). */
    private int cellThreads = 1;

    @Override
    public Integer call() {
        ResultsDir.requireWritableRoot(out);
        if (protocols == null) {
            return callOne();
        }
        if (spec.commandLine().getParseResult().hasMatchedOption("--protocol")) {
            throw new UsageException("--protocols", "names every protocol to compare; drop --protocol");
        }
        List<String> specs = splitProtocols(protocols);
        for (String p : specs) {
            try {
                Protocols.parse(p);
            } catch (IllegalArgumentException ex) {
                throw new UsageException("--protocols", ex.getMessage());
            }
        }
        PrintWriter stdout = spec.commandLine().getOut();
        List<String> lines = new ArrayList<>();
        ArrayNode all = new ObjectMapper().createArrayNode();
        for (String p : specs) {
            protocol = p;
            java.io.StringWriter one = new java.io.StringWriter();
            PrintWriter saved = stdout;
            spec.commandLine().setOut(new PrintWriter(one));
            try {
                callOne();
            } finally {
                spec.commandLine().setOut(saved);
            }
            if (json) {
                try {
                    all.add(new ObjectMapper().readTree(one.toString()));
                } catch (java.io.IOException e) {
                    throw new IllegalStateException(e);
                }
            } else {
                lines.add(p);
                stdout.print("protocol " + p + "\n" + one + "\n");
            }
            stdout.flush();
        }
        if (json) {
            ObjectNode j = new ObjectMapper().createObjectNode();
            j.set("protocols", all);
            stdout.println(j);
        } else {
            stdout.printf(Locale.ROOT, "%nside by side (means over seeds):%n%-34s %-18s %6s %9s %9s %9s %9s %8s %9s%n",
                    "protocol", "topology", "n", "p50 ms", "max ms", "last hop", "msgs/op", "rmr", "reliab.");
            for (Object[] r : sideBySide) {
                stdout.printf(Locale.ROOT, "%-34s %-18s %6d %9.2f %9.2f %9.2f %9.2f %8.3f %9.4f%n", r);
            }
        }
        stdout.flush();
        return 0;
    }

    /** Rows of every protocol's sweep, for the side-by-side table of {@code --protocols}. */
    private final List<Object[]> sideBySide = new ArrayList<>();

    /**
     * Splits {@code --protocols} at commas that start a new spec: a part of the form KEY=VALUE continues the
     * previous one (plumtree's options are comma-separated).
     */
    static List<String> splitProtocols(String s) {
        List<String> out = new ArrayList<>();
        for (String part : s.split(",")) {
            String t = part.trim();
            if (t.isEmpty()) {
                continue;
            }
            if (!out.isEmpty() && t.matches("[a-z]+=.*") ) {
                out.set(out.size() - 1, out.get(out.size() - 1) + "," + t);
            } else {
                out.add(t);
            }
        }
        if (out.isEmpty()) {
            throw new UsageException("--protocols", "no protocol given");
        }
        return out;
    }

    private Integer callOne() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        BroadcastSweep.Plan plan = plan();
        List<BroadcastSweep.Skip> skips = BroadcastSweep.skips(plan);
        if (skips.size() == plan.combinations()) {
            throw new UsageException("--topologies", "nothing to run: " + skips.get(0).topology() + " n="
                    + skips.get(0).nodes() + ": " + skips.get(0).reason());
        }
        if (plan.topologies().size() == 1 && !skips.isEmpty() && spec.commandLine().getParseResult().hasMatchedOption("--topologies")) {
            BroadcastSweep.Skip s = skips.get(0);
            throw new UsageException("--nodes", s.topology() + " n=" + s.nodes() + ": " + s.reason());
        }
        BroadcastExperiment.Params p = plan.params();
        first:
        for (String t : plan.topologies()) {
            for (int n : plan.nodes()) {
                if (skips.stream().noneMatch(s -> s.topology().equals(t) && s.nodes() == n)) {
                    BroadcastExperiment.preflight(p, t, n, plan.seeds().get(0));
                    break first;
                }
            }
        }
        long largest = 0;
        for (String t : plan.topologies()) {
            for (int n : plan.nodes()) {
                if (n <= plan.maxNodes()) {
                    largest = Math.max(largest, MemoryBudget.bytes("compare", t, n));
                }
            }
        }
        cellThreads = ParallelCells.threads(threads, p.engine(), largest);
        err.println("ringlab compare: " + run.effective(p.faults(), null) + " topologies=" + String.join(",", plan.topologies())
                + " nodes=" + plan.nodes() + " protocol=" + p.protocol() + " seeds=" + plan.seeds() + " broadcasts/seed="
                + broadcasts + " warmup=" + Defaults.warmupRule(p.engine())
                + (plan.maxNodes() < Integer.MAX_VALUE ? " max-nodes=" + plan.maxNodes() : "") + " threads=" + cellThreads);
        err.println("replay: " + Replay.line(spec, run));
        if (ConfidenceInterval.fewSeedsWarning(plan.seeds().size()) != null) {
            // After the refusals: a run that cannot start needs its one error line, not a warning first.
            err.println("ringlab compare: " + ConfidenceInterval.fewSeedsWarning(plan.seeds().size()));
        }
        err.flush();
        Instant started = Instant.now();
        BroadcastSweep.Outcome o = BroadcastSweep.run(plan, err, "compare", cellThreads);
        for (BroadcastExperiment.Row r : o.rows()) {
            sideBySide.add(new Object[] {p.protocol(), r.topology(), r.nodes(), r.latencyMsP50().mean(),
                    r.latencyMsMax().mean(), r.lastDeliveryHop().mean(), r.msgsPerOp().mean(), r.rmr().mean(),
                    r.reliability().mean()});
        }
        ResultsDir dir = ResultsDir.create(out, "compare");
        ObjectNode record = runJson(plan, o, started);
        List<String> files = BroadcastSweep.write(dir, o, p.engine().name());
        ArrayNode f = record.putArray("files");
        files.forEach(f::add);
        dir.writeRunJson(record);
        if (json) {
            ObjectNode j = new ObjectMapper().createObjectNode();
            j.put("results_dir", dir.path().toString());
            j.put("engine", p.engine().name());
            j.put("protocol", p.protocol());
            j.put("seed", run.seed());
            j.put("latency", run.reportedLatency());
            j.put("loss", p.loss());
            j.put("processing", Durations.format(p.processingNanos()));
            j.put("faults", p.faults().isEmpty() ? null : p.faults().toString());
            j.put("warmup_min_broadcasts", Defaults.warmupBroadcasts(p.engine()));
            j.put("warmup_target_deliveries", Defaults.warmupDeliveries(p.engine()));
            j.put("warmup_jvm_clusters", Defaults.jvmWarmupClusters(p.engine()));
            BroadcastSweep.rowsJson(j.putArray("rows"), o.rows());
            BroadcastSweep.skipped(j.putArray("skipped"), o.skipped());
            stdout.println(predict.decorate(j.toString(), spec, List.of("rows[].latency_ms_p50", "rows[].latency_ms_p99",
                    "rows[].latency_ms_max", "rows[].reliability"), predictArgs(plan)));
        } else {
            BroadcastSweep.table(stdout, o);
            String what = plan.seeds().size() < ConfidenceInterval.MIN_SAMPLES
                    ? "mean (no confidence interval below " + ConfidenceInterval.MIN_SAMPLES + " seeds)"
                    : "mean [95% bootstrap CI] (rmr: mean ±95% Student-t half-width)";
            stdout.printf(Locale.ROOT, "%n%s over %d seeds (%d broadcasts each); %.1f s; results in %s%n",
                    what, plan.seeds().size(), broadcasts, o.wallNanos() / 1e9, dir.path());
        }
        stdout.flush();
        return 0;
    }

    /** The real engine's sweep defaults, given explicitly to the --predict run (sim's would run another plan). */
    private List<String> predictArgs(BroadcastSweep.Plan plan) {
        List<String> a = new ArrayList<>();
        CommandLine.ParseResult given = spec.commandLine().getParseResult();
        for (String[] f : new String[][] {{"--seeds", String.valueOf(plan.seeds().size())},
            {"--broadcasts", String.valueOf(plan.params().broadcasts())}, {"--max-nodes", String.valueOf(plan.maxNodes())}}) {
            if (!given.hasMatchedOption(f[0])) {
                a.addAll(List.of(f[0], f[1]));
            }
        }
        return a;
    }

    BroadcastSweep.Plan plan() {
        run.validate();
        if (run.placementText() != null) { // a sweep over sizes cannot keep one dcs*per-dc
            throw new UsageException("--placement", "compare sweeps node counts and does not place nodes; use ringlab datacenters, or a single-run command (broadcast, token, recover, config)");
        }
        predict.validate(run, json);
        if (run.keepRunDir()) {
            // a sweep builds its clusters without these options (BroadcastExperiment.Params): refuse, never ignore
            throw new UsageException("--keep-run-dir", "compare runs many clusters and keeps none of their run directories;"
                    + " use it with a single run (broadcast, recover, ...)");
        }
        ClusterEngine e = run.engine();
        Defaults.Sweep d = Defaults.sweep(e);
        if (seeds == null) {
            seeds = d.seeds();
        }
        if (broadcasts == null) {
            broadcasts = d.broadcasts();
        }
        if (seeds < 1) {
            throw new UsageException("--seeds", "must be >= 1, got " + seeds);
        }
        if (payloadBytes < 0 || payloadBytes > 64 * 1024) {
            throw new UsageException("--payload-bytes", "must be in 0..65536, got " + payloadBytes);
        }
        List<String> tops = new ArrayList<>(new LinkedHashSet<>(splitTopologies(topologies)));
        for (String t : tops) {
            try {
                TopologySpec.parse(t);
            } catch (IllegalArgumentException ex) {
                throw new UsageException("--topologies", ex.getMessage());
            }
        }
        List<Integer> ns = new ArrayList<>(new LinkedHashSet<>(nodes));
        for (int n : ns) {
            if (n < 2) {
                throw new UsageException("--nodes", "need at least 2 nodes to broadcast, got " + n);
            }
        }
        List<Long> seedList = new ArrayList<>();
        for (int i = 0; i < seeds; i++) {
            seedList.add(run.seed() + i);
        }
        // The plan must fit the smallest size: every node it names is in every cluster.
        FaultPlan faults = run.faults(ns.stream().mapToInt(Integer::intValue).min().orElse(2));
        BroadcastExperiment.Params p = new BroadcastExperiment.Params(e, protocol, run.latency(), run.loss(), faults,
                run.processingNanos(), broadcasts, UsageException.durationNanos("--drain", drain), payloadBytes);
        p.validate();
        int cap = maxNodes != null ? maxNodes : d.maxNodes();
        return new BroadcastSweep.Plan(tops, ns, seedList, p, cap);
    }

    /** Splits on commas that separate specs: "uniform"-style commas do not occur in topology specs. */
    static List<String> splitTopologies(String s) {
        List<String> out = new ArrayList<>();
        for (String t : s.split(",")) {
            if (!t.isBlank()) {
                out.add(t.trim());
            }
        }
        if (out.isEmpty()) {
            throw new UsageException("--topologies", "no topology given");
        }
        return out;
    }

    private ObjectNode runJson(BroadcastSweep.Plan plan, BroadcastSweep.Outcome o, Instant started) {
        ObjectNode run = new ObjectMapper().createObjectNode();
        run.put("experiment", "compare");
        run.put("version", Main.version());
        run.put("command", "ringlab " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        run.put("started_at", started.toString());
        run.put("wall_s", o.wallNanos() / 1e9);
        run.put("java", Runtime.version().toString());
        run.put("cores", Runtime.getRuntime().availableProcessors());
        run.put("threads", cellThreads);
        BroadcastExperiment.putParams(run, plan.params());
        run.put("seed", this.run.seed());
        ArrayNode s = run.putArray("seeds");
        plan.seeds().forEach(s::add);
        ArrayNode t = run.putArray("topologies");
        plan.topologies().forEach(t::add);
        ArrayNode n = run.putArray("nodes");
        plan.nodes().forEach(n::add);
        if (plan.maxNodes() == Integer.MAX_VALUE) {
            run.putNull("max_nodes");
        } else {
            run.put("max_nodes", plan.maxNodes());
        }
        BroadcastSweep.describe(run, o);
        return run;
    }
}
