package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringlab.node.spec.FaultPlan;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab fidelity}: how well the calibrated simulator predicts the netty runtime. In one run:
 * calibrate ({@link CalibrateCommand}: empirical hop latency and per-message processing time, measured now
 * on this host) unless {@code --calibration DIR} names an earlier one; run the same broadcast sweep
 * ({@link BroadcastSweep}: same topologies, sizes, seeds, so the same overlays and the same origins) on
 * netty and on the simulator with {@code --latency empirical:<latency.txt> --processing <p>}; and the same
 * ring recovery ({@link RecoverCommand}: one crash, respawn) on both. Reports, per (topology, n), measured
 * (netty) and predicted (sim) latency p50/p99 and the relative error {@code (predicted - measured) /
 * measured}; for recovery, detect/repair/rejoin times.
 *
 * <p>Writes {@code <out>/fidelity-<ts>/}: {@code run.json} (with the simulator half under {@code sim},
 * replayable by {@code ringlab replay}), {@code fidelity.csv} (one row per experiment, topology, n and
 * metric), {@code fidelity-p50.png/svg}, and the sweeps' own tables under {@code netty/} and {@code sim/},
 * the calibration under {@code calibration/}.
 */
@Command(name = "fidelity", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run the same broadcast and recovery experiments on the calibrated simulator and on netty; report "
                + "predicted vs measured latency p50/p99 (and recovery times) per topology and size, with the relative error. "
                + "Of the run options it takes --seed only: the engines are fixed (netty measured, sim predicting with the "
                + "calibrated latency and processing time), and added latency, loss or faults would move both away from "
                + "what was calibrated.")
public final class FidelityCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--calibration", paramLabel = "DIR",
            description = "Use this calibrate-<ts> directory instead of calibrating now.")
    Path calibration;

    @Option(names = "--calibrate-nodes", defaultValue = "16", paramLabel = "N",
            description = "Ring size for the hop-latency calibration (default: ${DEFAULT-VALUE}).")
    int calibrateNodes;

    @Option(names = {"-n", "--nodes"}, defaultValue = "16,32,64", split = ",", paramLabel = "N",
            description = "Sizes (default: ${DEFAULT-VALUE}).")
    List<Integer> nodes;

    @Option(names = "--topologies", defaultValue = "ring,biring,random-regular:4", paramLabel = "SPECS",
            description = "Broadcast topologies (default: ${DEFAULT-VALUE}).")
    String topologies;

    @Option(names = "--protocol", defaultValue = "flood", paramLabel = "P", description = "Broadcast protocol (default: ${DEFAULT-VALUE}).")
    String protocol;

    @Option(names = "--seeds", defaultValue = "3", paramLabel = "K", description = "Seeds per (topology, n) (default: ${DEFAULT-VALUE}).")
    int seeds;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = RunOptions.SEED_HELP)
    long seed;

    @Option(names = "--broadcasts", defaultValue = "16", paramLabel = "B",
            description = "Broadcasts per seed, one after the other (default: ${DEFAULT-VALUE}).")
    int broadcasts;

    @Option(names = "--recovery-seeds", defaultValue = "2", paramLabel = "K",
            description = "Recovery runs per size and engine, 0 to skip recovery (default: ${DEFAULT-VALUE}).")
    int recoverySeeds;

    @Option(names = "--out", defaultValue = "results", paramLabel = "DIR", description = "Results root (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--json", description = "Print one JSON object: results_dir, calibration, rows.")
    boolean json;

    /** One compared figure. */
    record Row(String experiment, String topology, int nodes, String metric, double measured, double predicted) {
        double relError() {
            return (predicted - measured) / measured;
        }

        Map<String, Object> fields() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("experiment", experiment);
            m.put("topology", topology);
            m.put("nodes", nodes);
            m.put("metric", metric);
            m.put("measured", measured);
            m.put("predicted", predicted);
            m.put("rel_error", relError());
            return m;
        }
    }

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<String> tops = CompareCommand.splitTopologies(topologies);
        if (seeds < 1 || recoverySeeds < 0) {
            throw new UsageException("--seeds", "need --seeds >= 1 and --recovery-seeds >= 0");
        }
        List<Long> seedList = new ArrayList<>();
        for (int i = 0; i < seeds; i++) {
            seedList.add(seed + i);
        }
        Instant started = Instant.now();
        ResultsDir dir = ResultsDir.create(out, "fidelity");
        String command = "ringlab " + String.join(" ", spec.commandLine().getParseResult().originalArgs());

        // 1. Calibration: now, or an earlier one.
        Path latencyFile;
        long processingNanos;
        JsonNode cal;
        if (calibration != null) {
            Path runJson = calibration.resolve("run.json");
            if (!Files.isRegularFile(runJson)) {
                throw new UsageException("--calibration", "no run.json in " + calibration);
            }
            cal = ResultsDir.readJson(runJson);
            if (!"calibrate".equals(cal.path("experiment").asText())) {
                throw new UsageException("--calibration", calibration + " is not a calibrate results directory");
            }
            latencyFile = calibration.resolve(cal.path("latency_file").asText("latency.txt")).toAbsolutePath();
            processingNanos = cal.path("processing_ns").asLong();
        } else {
            CalibrateCommand c = new CalibrateCommand();
            c.nodes = calibrateNodes;
            c.rotations = 400;
            c.bursts = List.of(1, 16, 64, 256);
            c.reps = 7;
            c.seed = seed;
            CalibrateCommand.Calibration r = c.calibrate(dir.sub("calibration"), err, command + " (calibration)");
            latencyFile = r.latencyFile().toAbsolutePath();
            processingNanos = Math.max(0, Math.round(r.processingNanos()));
            cal = ResultsDir.readJson(dir.resolve("calibration/run.json"));
        }
        String simLatency = "empirical:" + latencyFile;
        err.println("fidelity: sim latency=" + simLatency + " processing=" + processingNanos + "ns; topologies=" + tops
                + " nodes=" + nodes + " seeds=" + seedList + " broadcasts/seed=" + broadcasts);
        err.flush();

        // 2. The same broadcast sweep on both engines.
        long drain = 10_000_000_000L;
        // netty's own links (nothing added) against the simulator drawing from what calibration measured on them.
        BroadcastExperiment.Params nettyParams = new BroadcastExperiment.Params(Engines.byName("netty"), protocol, null, 0,
                FaultPlan.none(), 0, broadcasts, drain, 16);
        BroadcastExperiment.Params simParams = new BroadcastExperiment.Params(Engines.byName("sim"), protocol, simLatency, 0,
                FaultPlan.none(), processingNanos, broadcasts, drain, 16);
        simParams.validate();
        nettyParams.validate();
        int cap = Defaults.sweep(nettyParams.engine()).maxNodes();
        BroadcastSweep.Plan nettyPlan = new BroadcastSweep.Plan(tops, nodes, seedList, nettyParams, cap);
        BroadcastSweep.Plan simPlan = new BroadcastSweep.Plan(tops, nodes, seedList, simParams, cap);
        if (BroadcastSweep.skips(nettyPlan).size() == nettyPlan.combinations()) {
            throw new UsageException("--topologies", "no (topology, n) can run: " + BroadcastSweep.skips(nettyPlan).get(0).reason());
        }
        BroadcastSweep.Outcome netty = BroadcastSweep.run(nettyPlan, err, "fidelity netty");
        BroadcastSweep.Outcome sim = BroadcastSweep.run(simPlan, err, "fidelity sim");
        BroadcastSweep.write(dir.sub("netty"), netty, "netty");
        BroadcastSweep.write(dir.sub("sim"), sim, "sim, calibrated");

        List<Row> rows = new ArrayList<>();
        Plots.Builder p50 = new Plots.Builder();
        for (int i = 0; i < netty.rows().size(); i++) {
            BroadcastExperiment.Row m = netty.rows().get(i);
            BroadcastExperiment.Row p = sim.rows().get(i);
            rows.add(new Row("broadcast", m.topology(), m.nodes(), "latency_ms_p50", m.latencyMsP50().mean(), p.latencyMsP50().mean()));
            rows.add(new Row("broadcast", m.topology(), m.nodes(), "latency_ms_p99", m.latencyMsP99().mean(), p.latencyMsP99().mean()));
            p50.add(m.topology() + " netty (measured)", m.nodes(), m.latencyMsP50().mean(), m.latencyMsP50().halfWidth());
            p50.add(m.topology() + " sim (predicted)", p.nodes(), p.latencyMsP50().mean(), p.latencyMsP50().halfWidth());
        }

        // 3. Ring recovery on both engines, through the recover command itself.
        ArrayNode recoveryRuns = new ObjectMapper().createArrayNode();
        if (recoverySeeds > 0) {
            ProgressBar bar = new ProgressBar(err, "fidelity recover", nodes.size() * recoverySeeds * 2);
            for (int n : nodes) {
                double[][] sums = new double[2][3];
                int[][] counts = new int[2][3];
                for (int e = 0; e < 2; e++) {
                    for (int s = 0; s < recoverySeeds; s++) {
                        List<String> args = new ArrayList<>(List.of("--topology", "ring", "-n", String.valueOf(n), "--crash", "1",
                                "--respawn-after", "300ms", "--seed", String.valueOf(seed + s), "--engine", e == 0 ? "netty" : "sim"));
                        if (e == 1) {
                            args.addAll(List.of("--latency", simLatency));
                        }
                        RecoverRuns.Outcome o = RecoverRuns.run(args);
                        ObjectNode rec = recoveryRuns.addObject();
                        rec.put("engine", e == 0 ? "netty" : "sim");
                        rec.put("nodes", n);
                        rec.put("seed", seed + s);
                        rec.put("exit", o.exit());
                        rec.set("result", o.json());
                        String[] metrics = {"detect_ms", "repair_ms", "rejoin_ms"};
                        for (int k = 0; k < 3; k++) {
                            JsonNode v = o.json() == null ? null : o.json().get(metrics[k]);
                            if (v != null && v.isNumber()) {
                                sums[e][k] += v.asDouble();
                                counts[e][k]++;
                            }
                        }
                        bar.step("recover n=" + n + " " + (e == 0 ? "netty" : "sim") + " seed=" + (seed + s));
                    }
                }
                String[] metrics = {"detect_ms", "repair_ms", "rejoin_ms"};
                for (int k = 0; k < 3; k++) {
                    double m = counts[0][k] == 0 ? Double.NaN : sums[0][k] / counts[0][k];
                    double p = counts[1][k] == 0 ? Double.NaN : sums[1][k] / counts[1][k];
                    rows.add(new Row("recover", "ring", n, metrics[k], m, p));
                }
            }
            bar.finish();
        }

        // 4. Files.
        List<String> columns = new ArrayList<>(rows.isEmpty() ? List.of() : rows.get(0).fields().keySet());
        List<List<Object>> csv = new ArrayList<>();
        for (Row r : rows) {
            csv.add(new ArrayList<>(r.fields().values()));
        }
        dir.writeCsv("fidelity.csv", columns, csv);
        Plots.save(Plots.chart(new Plots.Axes("Broadcast latency p50: netty (measured) vs calibrated sim (predicted)", "nodes (log)",
                "latency p50, ms (log)", true, true), p50.series()), dir.path(), "fidelity-p50");
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode run = mapper.createObjectNode();
        run.put("experiment", "fidelity");
        run.put("version", Main.version());
        run.put("command", command);
        run.put("started_at", started.toString());
        run.put("java", Runtime.version().toString());
        run.put("cores", Runtime.getRuntime().availableProcessors());
        run.put("seed", seed);
        ArrayNode sl = run.putArray("seeds");
        seedList.forEach(sl::add);
        run.set("calibration", cal);
        run.put("calibration_dir", calibration != null ? calibration.toString() : "calibration");
        ObjectNode simNode = run.putObject("sim");
        BroadcastExperiment.putParams(simNode, simParams);
        BroadcastSweep.describe(simNode, sim);
        ObjectNode nettyNode = run.putObject("netty");
        BroadcastExperiment.putParams(nettyNode, nettyParams);
        BroadcastSweep.describe(nettyNode, netty);
        run.set("recovery_runs", recoveryRuns);
        run.putArray("files").add("fidelity.csv").add("fidelity-p50.png").add("fidelity-p50.svg").add("netty/").add("sim/");
        dir.writeRunJson(run);

        long within = rows.stream().filter(r -> r.metric().equals("latency_ms_p50") && Math.abs(r.relError()) <= 0.25).count();
        long p50s = rows.stream().filter(r -> r.metric().equals("latency_ms_p50")).count();
        if (json) {
            ObjectNode j = mapper.createObjectNode();
            j.put("results_dir", dir.path().toString());
            j.put("latency", simLatency);
            j.put("processing_ns", processingNanos);
            j.put("p50_within_25pct", within);
            j.put("p50_compared", p50s);
            ArrayNode a = j.putArray("rows");
            for (Row r : rows) {
                ObjectNode o = a.addObject();
                r.fields().forEach((k, v) -> BroadcastSweep.put(o, k, v));
            }
            stdout.println(j.toString());
        } else {
            stdout.printf(Locale.ROOT, "%-10s %-18s %5s %-15s %12s %12s %9s%n", "experiment", "topology", "n", "metric",
                    "measured", "predicted", "error");
            for (Row r : rows) {
                stdout.printf(Locale.ROOT, "%-10s %-18s %5d %-15s %12s %12s %9s%n", r.experiment(), r.topology(), r.nodes(),
                        r.metric(), BroadcastSweep.sig(r.measured()), BroadcastSweep.sig(r.predicted()),
                        Double.isFinite(r.relError()) ? String.format(Locale.ROOT, "%+.0f%%", 100 * r.relError()) : "-");
            }
            stdout.printf(Locale.ROOT, "%nmeasured: netty (loopback, %d cores); predicted: sim with --latency %s --processing %dns%n",
                    Runtime.getRuntime().availableProcessors(), simLatency, processingNanos);
            stdout.printf(Locale.ROOT, "broadcast p50 within 25%%: %d of %d; results in %s%n", within, p50s, dir.path());
        }
        stdout.flush();
        return 0;
    }
}
