package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.Durations;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab recover-sweep}: {@code ringlab recover} (one crash of the healing token ring, then a
 * respawn) over sizes x suspicion timeouts x seeds, run in this JVM through {@link RecoverRuns} so each point
 * is exactly what {@code recover --json} measures. Writes {@code <out>/recover-<ts>/}: {@code run.json}
 * (parameters, and every run's JSON with its trace hash and the command that replays it),
 * {@code recovery-runs.csv} (one row per run), {@code recovery.csv} (per (n, timeout): mean and 95% CI over
 * seeds of detect, repair and rejoin time) and {@code recovery.png/svg}.
 */
@Command(name = "recover-sweep", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Sweep 'ringlab recover' (crash one node of the healing ring, respawn it) over sizes, suspicion timeouts "
                + "and seeds; write results/recover-<ts>/ with recovery.csv (detect/repair/rejoin ms, mean and 95%% bootstrap CI over "
                + "seeds) and plots. Takes every run option (--engine, --latency, --loss, --faults, --processing, --seed) and "
                + "passes the ones given to each recover run.")
public final class RecoverSweepCommand implements Callable<Integer> {
    static final List<String> METRICS = List.of("detect_ms", "repair_ms", "rejoin_ms");

    @Spec
    CommandSpec spec;

    @Mixin
    RunOptions run;

    @Option(names = {"-n", "--nodes"}, defaultValue = "16,64,256", split = ",", paramLabel = "N", description = "Sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> nodes;

    @Option(names = "--suspicion-timeouts", defaultValue = "25ms,50ms,100ms,200ms", split = ",", paramLabel = "D",
            description = "Failure-detector suspicion timeouts (default: ${DEFAULT-VALUE}).")
    List<String> timeouts;

    @Option(names = "--heartbeat", paramLabel = "D",
            description = "Heartbeat interval (default: the engine's, as in recover).")
    String heartbeat;

    @Option(names = "--respawn-after", defaultValue = "300ms", paramLabel = "D",
            description = "Respawn the crashed node this long after the crash (default: ${DEFAULT-VALUE}).")
    String respawnAfter;

    @Option(names = "--seeds", defaultValue = "5", paramLabel = "K", description = "Seeds per point (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--out", defaultValue = "results", paramLabel = "DIR", description = "Results root (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--json", description = "Print one JSON object: results_dir, rows.")
    boolean json;

    @Option(names = "--threads", paramLabel = "T", description = ParallelCells.HELP)
    Integer threads;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        run.validate();
        ResultsDir.requireWritableRoot(out);
        if (run.placementText() != null) { // a sweep over sizes cannot keep one dcs*per-dc
            throw new UsageException("--placement", "recover-sweep sweeps node counts and does not place nodes; use ringlab datacenters, or a single-run command (broadcast, token, recover, config)");
        }
        ClusterEngine eng = run.engine();
        long seed = run.seed();
        if (heartbeat != null) {
            UsageException.durationNanos("--heartbeat", heartbeat);
        }
        if (seeds < 1) {
            throw new UsageException("--seeds", "must be >= 1, got " + seeds);
        }
        for (String t : timeouts) {
            try {
                Durations.parseNanos(t);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--suspicion-timeouts", e.getMessage());
            }
        }
        // The run options given are passed on to every recover run as given, so each run means what recover means.
        List<String> passed = new ArrayList<>(List.of("--engine", eng.name()));
        CommandLine.ParseResult given = spec.commandLine().getParseResult();
        for (String[] f : new String[][] {{"--latency", run.latency()}, {"--loss", String.valueOf(run.loss())},
            {"--faults", run.faultsText()}, {"--processing", run.processingText()}, {"--heartbeat", heartbeat},
            {"--model", run.modelText()}, {"--connections", run.connectionsText()}}) {
            if (given.hasMatchedOption(f[0])) {
                passed.add(f[0]);
                passed.add(f[1]);
            }
        }
        if (run.keepRunDir()) {
            passed.add("--keep-run-dir");
        }
        long largest = 0;
        for (int n : nodes) {
            largest = Math.max(largest, MemoryBudget.bytes("recover", "successor-ring:3", n));
        }
        int cellThreads = ParallelCells.threads(threads, eng, largest);
        String hb = heartbeat != null ? heartbeat
                : dev.ringlab.node.spec.Durations.format(Defaults.timing(eng, nodes.get(0), run.linkBound()).heartbeatNanos());
        err.println("ringlab recover-sweep: " + run.effective(run.faults(nodes.stream().mapToInt(Integer::intValue).min()
                .orElse(2)), null) + " nodes=" + nodes + " suspicion-timeouts=" + timeouts + " heartbeat=" + hb
                + " respawn-after=" + respawnAfter + " seeds=" + seeds + " from " + seed + " threads=" + cellThreads);
        err.println("replay: " + Replay.line(spec, run));
        if (ConfidenceInterval.fewSeedsWarning(seeds) != null) {
            err.println("ringlab recover-sweep: " + ConfidenceInterval.fewSeedsWarning(seeds));
        }
        err.flush();
        Instant started = Instant.now();
        long wallStart = System.nanoTime();
        ObjectMapper mapper = new ObjectMapper();
        ArrayNode runs = mapper.createArrayNode();
        List<List<Object>> runRows = new ArrayList<>();
        List<Map<String, Object>> rows = new ArrayList<>();
        Plots.Builder[] plots = {new Plots.Builder(), new Plots.Builder(), new Plots.Builder()};
        ProgressBar bar = new ProgressBar(err, "recover-sweep", nodes.size() * timeouts.size() * seeds);
        // Every (n, timeout, seed) is a cell of its own; they run in parallel on the simulator and are then taken in
        // order, so tables, CSV and run.json are the same on any number of threads.
        List<List<String>> cells = new ArrayList<>();
        for (int n : nodes) {
            for (String t : timeouts) {
                for (int s = 0; s < seeds; s++) {
                    List<String> args = new ArrayList<>(List.of("--topology", "ring", "-n", String.valueOf(n), "--crash", "1",
                            "--respawn-after", respawnAfter, "--suspicion-timeout", t));
                    args.addAll(passed);
                    args.addAll(List.of("--seed", String.valueOf(seed + s)));
                    cells.add(args);
                }
            }
        }
        List<RecoverRuns.Outcome> outcomes = ParallelCells.map(cells, cellThreads, args -> {
            RecoverRuns.Outcome o = RecoverRuns.run(args);
            bar.step("n=" + args.get(3) + " timeout=" + args.get(9) + " seed=" + args.get(args.size() - 1));
            return o;
        }, args -> Long.parseLong(args.get(3)));
        int failed = 0;
        int cell = 0;
        for (int n : nodes) {
            for (String t : timeouts) {
                double[][] v = new double[3][seeds];
                int failedHere = 0;
                for (int s = 0; s < seeds; s++) {
                    List<String> args = cells.get(cell);
                    RecoverRuns.Outcome o = outcomes.get(cell++);
                    failed += o.exit() == 0 ? 0 : 1;
                    failedHere += o.exit() == 0 ? 0 : 1;
                    JsonNode j = o.json();
                    ObjectNode r = runs.addObject();
                    r.put("nodes", n);
                    r.put("suspicion_timeout", t);
                    r.put("seed", seed + s);
                    r.put("exit", o.exit());
                    r.put("command", "ringlab recover " + String.join(" ", args.stream().map(Replay::quote).toList()));
                    r.set("result", j);
                    List<Object> row = new ArrayList<>(List.of(n, t, Durations.parseNanos(t) / 1e6, seed + s, o.exit()));
                    for (int k = 0; k < 3; k++) {
                        JsonNode x = j == null ? null : j.get(METRICS.get(k));
                        v[k][s] = x != null && x.isNumber() ? x.asDouble() : Double.NaN;
                        row.add(v[k][s]);
                    }
                    row.add(j == null ? null : j.path("false_suspicions").asLong());
                    row.add(j == null ? null : j.path("tokens_max_after_repair").isNumber() ? j.get("tokens_max_after_repair").asLong() : null);
                    row.add(j == null || j.path("trace_hash").isNull() ? null : j.path("trace_hash").asText());
                    runRows.add(row);
                }
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("nodes", n);
                m.put("suspicion_timeout_ms", Durations.parseNanos(t) / 1e6);
                m.put("seeds", seeds);
                m.put("failed_runs", failedHere);
                for (int k = 0; k < 3; k++) {
                    ConfidenceInterval c = ConfidenceInterval.nonNegative95(v[k]);
                    m.put(METRICS.get(k), c.mean());
                    m.put(METRICS.get(k) + "_ci95_lo", c.lo());
                    m.put(METRICS.get(k) + "_ci95_hi", c.hi());
                    plots[k].add("n=" + n, Durations.parseNanos(t) / 1e6, c);
                }
                rows.add(m);
            }
        }
        bar.finish();
        ResultsDir dir = ResultsDir.create(out, "recover");
        dir.writeCsv("recovery-runs.csv", List.of("nodes", "suspicion_timeout", "suspicion_timeout_ms", "seed", "exit", "detect_ms",
                "repair_ms", "rejoin_ms", "false_suspicions", "tokens_max_after_repair", "trace_hash"), runRows);
        List<List<Object>> csv = new ArrayList<>();
        rows.forEach(r -> csv.add(new ArrayList<>(r.values())));
        dir.writeCsv("recovery.csv", new ArrayList<>(rows.get(0).keySet()), csv);
        for (int k = 0; k < 3; k++) {
            String metric = METRICS.get(k);
            Plots.save(Plots.chart(new Plots.Axes("Ring recovery: " + metric.replace("_ms", "") + " time vs suspicion timeout ("
                    + eng.name() + ", mean and 95% CI)", "suspicion timeout, ms (log: the timeouts double)", metric.replace("_", " "),
                    true, false),
                    plots[k].series()), dir.path(), "recovery-" + metric.replace("_ms", ""));
        }
        ObjectNode run = mapper.createObjectNode();
        run.put("experiment", "recover-sweep");
        run.put("version", Main.version());
        run.put("command", "ringlab " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        run.put("started_at", started.toString());
        run.put("wall_s", (System.nanoTime() - wallStart) / 1e9);
        run.put("engine", eng.name());
        run.put("topology", "ring");
        run.put("latency", this.run.reportedLatency());
        run.put("loss", this.run.loss());
        run.put("faults", this.run.faultsText());
        run.put("processing", this.run.processingText());
        run.put("heartbeat", hb);
        run.put("respawn_after", respawnAfter);
        run.put("seed", seed);
        run.put("seeds", seeds);
        run.put("threads", cellThreads);
        ArrayNode ns = run.putArray("nodes");
        nodes.forEach(ns::add);
        ArrayNode ts = run.putArray("suspicion_timeouts");
        timeouts.forEach(ts::add);
        run.set("runs", runs);
        run.putArray("files").add("recovery.csv").add("recovery-runs.csv").add("recovery-detect.png").add("recovery-repair.png")
                .add("recovery-rejoin.png");
        dir.writeRunJson(run);
        if (json) {
            ObjectNode j = mapper.createObjectNode();
            j.put("results_dir", dir.path().toString());
            j.put("engine", eng.name());
            j.put("failed_runs", failed);
            ArrayNode a = j.putArray("rows");
            for (Map<String, Object> r : rows) {
                ObjectNode o = a.addObject();
                r.forEach((k, x) -> BroadcastSweep.put(o, k, x));
            }
            stdout.println(j.toString());
        } else {
            stdout.printf(Locale.ROOT, "%6s %10s  %-22s %-22s %-22s %s%n", "n", "timeout", "detect ms", "repair ms", "rejoin ms",
                    "failed");
            for (Map<String, Object> r : rows) {
                stdout.printf(Locale.ROOT, "%6d %10s  %-22s %-22s %-22s %d/%d%n", (Integer) r.get("nodes"),
                        BroadcastSweep.sig((Double) r.get("suspicion_timeout_ms")) + "ms", ci(r, "detect_ms"), ci(r, "repair_ms"),
                        ci(r, "rejoin_ms"), (Integer) r.get("failed_runs"), seeds);
            }
            stdout.printf(Locale.ROOT, "%n" + (seeds < ConfidenceInterval.MIN_SAMPLES ? "mean over %d seeds (no interval below 3 seeds)"
                    : "mean [95%% bootstrap CI] over %d seeds") + "; failed: runs where recover exited 1 (no repair or rejoin"
                    + " measured in time, e.g. the respawn came before the repair), %d in all; results in %s%n", seeds, failed, dir.path());
        }
        stdout.flush();
        return 0;
    }

    private static String ci(Map<String, Object> r, String metric) {
        double m = (Double) r.get(metric);
        double lo = (Double) r.get(metric + "_ci95_lo");
        double hi = (Double) r.get(metric + "_ci95_hi");
        // Bootstrap intervals (repair times cannot be negative): printed as [lo, hi], asymmetric.
        return BroadcastSweep.pm(new ConfidenceInterval(m, (hi - lo) / 2, lo, hi, 0, 0.95, "bootstrap-percentile"));
    }
}
