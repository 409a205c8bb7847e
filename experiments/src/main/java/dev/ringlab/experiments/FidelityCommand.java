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
import dev.ringlab.sim.SimEngine;
import dev.ringlab.sim.model.EngineModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab fidelity}: how well the calibrated simulator predicts a real engine ({@code --engine}: netty, the
 * default, or processes, a JVM per node). In one run:
 * calibrate ({@link CalibrateCommand}, measured now on this host and engine, with its engine model) unless
 * {@code --calibration DIR} names an earlier one of the same engine; run the same broadcast sweep ({@link BroadcastSweep}: same
 * topologies, sizes, seeds, so the same overlays and the same origins) on the real engine, on the <em>baseline</em>
 * simulator ({@code --latency empirical:<latency.txt> --processing <p>}, the model before issue 12) and on
 * the <em>modelled</em> simulator ({@code --model calibrated:DIR}: executors, cores, service times, wake-up,
 * restart; see {@link EngineModel}); and the same ring recovery ({@link RecoverCommand}: one crash, respawn
 * after {@link #respawnAfter}) on all three, the modelled one with the real engine's detector timing. Reports, per
 * (topology, n), measured latency p50/p99 with its 95 % half-width over seeds, each prediction and its
 * relative error {@code (predicted - measured) / measured}; for recovery, detect/repair/rejoin. Warns when
 * the calibration's machine (cores, JDK, load average) differs from this one. Before and after the real engine's runs
 * the <em>host check</em> runs the calibration's own token ring and idle ring floods again
 * ({@link CalibrateCommand#hostState}; before the runs twice, the first not kept) and sets them against the calibration's figures (run.json {@code host_check}),
 * warning when one is off by more than {@link #HOST_MOVED} either way; {@code --no-host-check} skips it. With
 * {@code --measure-twice} the real engine's broadcast sweep runs a second time, right after the first, and each broadcast
 * row gains that figure and its error against the first ({@code measured_again}, {@code again_rel_error}): the engine's
 * own repeatability, the floor under any model's error.
 *
 * <p>Writes {@code <out>/fidelity-<ts>/}: {@code run.json} (the baseline half under {@code sim}, replayable by
 * {@code ringlab replay}; the modelled half under {@code sim_model}), {@code fidelity.csv} (one row per
 * experiment, topology, n and metric: measured, measured_ci95, predicted, predicted_ci95, rel_error,
 * baseline_predicted, baseline_rel_error, measured_again, again_rel_error), {@code fidelity-predicted-vs-measured.png/svg} (y = x line),
 * {@code fidelity-p50.png/svg}, and the sweeps' own tables under {@code netty/} (or {@code processes/}), {@code sim/} and
 * {@code sim-model/}, the calibration under {@code calibration/}. Sizes above the real engine's sweep cap
 * ({@link Defaults#sweep}: 32 on processes) are skipped on every engine, with a note on stderr.
 */
@Command(name = "fidelity", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Run the same broadcast and recovery experiments on the calibrated simulator and on a real engine (netty "
                + "or processes); report predicted vs measured latency p50/p99 (and recovery times) per topology and size, with the "
                + "relative error. Of the run options it takes --seed and --engine only: the simulator predicts with what was "
                + "calibrated, and added latency, loss or faults would move both away from it.")
public final class FidelityCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--engine", defaultValue = "netty", paramLabel = "ENGINE",
            description = "The real engine measured: netty (all nodes in this JVM) or processes (a JVM per node; sizes above 32 "
                    + "are skipped, as compare skips them). A --calibration must be of the same engine (default: ${DEFAULT-VALUE}).")
    String engine = "netty";

    @Option(names = "--calibration", paramLabel = "DIR",
            description = "Use this calibrate-<ts> directory (made with the same --engine) instead of calibrating now.")
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

    @Option(names = "--rates", split = ",", paramLabel = "R",
            description = "Also compare broadcast streams (load): for each rate R (broadcasts/s, Poisson, origins from the "
                    + "seed), topology, n and seed, `broadcast --rate R --duration --stream-duration` on the real engine, the baseline "
                    + "and the model; rows 'stream@R/s'. Default: none.")
    List<Double> rates = new ArrayList<>();

    @Option(names = "--stream-duration", defaultValue = "2s", paramLabel = "D",
            description = "Injection time of each --rates stream (default: ${DEFAULT-VALUE}).")
    String streamDuration;

    @Option(names = "--out", defaultValue = "results", paramLabel = "DIR", description = "Results root (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--threads", paramLabel = "T", description = ParallelCells.HELP + " Here: the two simulator broadcast sweeps "
            + "(baseline and model); the real engine's cells and the recovery runs run one at a time, since they measure real time.")
    Integer threads;

    @Option(names = "--measure-twice",
            description = "Run the real engine's broadcast sweep a second time, right after the first, and report the second's "
                    + "figures against the first's (measured_again, again_rel_error): the engine's own repeatability, the floor "
                    + "under any model's error. About doubles the broadcast sweep's time; streams and recovery run once.")
    boolean measureTwice;

    @Option(names = "--no-host-check",
            description = "Skip the host check: by default the calibration's own token ring and idle ring floods run again on "
                    + "the real engine before the measured runs (twice, the first in a fresh JVM not kept) and after them (about "
                    + "12 s each on netty), and the report sets their "
                    + "figures against the calibration's, to tell a model error from a host that moved.")
    boolean noHostCheck;

    @Option(names = "--json", description = "Print one JSON object: results_dir, calibration, host_check, rows.")
    boolean json;

    /**
     * One compared figure: measured on the real engine, predicted by the calibrated model ({@code --model}, NaN when the
     * calibration has none) and by the baseline (the old flat model: empirical link + one processing time per node).
     */
    record Row(String experiment, String topology, int nodes, String metric, double measured, double measuredHalfWidth,
            double predicted, double predictedHalfWidth, double baseline, double measuredAgain) {
        /** A row without a second measurement ({@code --measure-twice} not given, or not a broadcast row). */
        Row(String experiment, String topology, int nodes, String metric, double measured, double measuredHalfWidth,
                double predicted, double predictedHalfWidth, double baseline) {
            this(experiment, topology, nodes, metric, measured, measuredHalfWidth, predicted, predictedHalfWidth, baseline, Double.NaN);
        }

        /** The second sweep's figure against the first's (NaN without one). */
        double againRelError() {
            return (measuredAgain - measured) / measured;
        }

        double relError() {
            return (predicted - measured) / measured;
        }

        double baselineRelError() {
            return (baseline - measured) / measured;
        }

        Map<String, Object> fields() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("experiment", experiment);
            m.put("topology", topology);
            m.put("nodes", nodes);
            m.put("metric", metric);
            m.put("measured", measured);
            m.put("measured_ci95", measuredHalfWidth);
            m.put("predicted", predicted);
            m.put("predicted_ci95", predictedHalfWidth);
            m.put("rel_error", relError());
            m.put("baseline_predicted", baseline);
            m.put("baseline_rel_error", baselineRelError());
            m.put("measured_again", measuredAgain);
            m.put("again_rel_error", againRelError());
            return m;
        }
    }

    /**
     * The respawn delay of the recovery runs on {@code engine} at {@code n} nodes: after detection and repair, so
     * both are measured before the node comes back (with 300 ms, netty runs raced the respawn against the repair
     * and reported no repair): three suspicion timeouts of the engine's default timing, rounded up to 100 ms, at
     * least 1 s. On netty that is 1 s (suspicion about 250 ms); on processes about 2 s (suspicion about 640 ms).
     */
    static String respawnAfter(dev.ringlab.node.spec.ClusterEngine engine, int n) {
        long suspicion = Defaults.timing(engine, n, dev.ringlab.node.spec.LinkModels.parse(dev.ringlab.node.spec.RunSpec.DEFAULT_SIM_LATENCY))
                .suspicionNanos();
        long ms = Math.max(1000, (3 * suspicion / 1_000_000 + 99) / 100 * 100);
        return ms + "ms";
    }

    /**
     * The stream rows' metrics: latency p50 and p99, and the engine's CPU time per message ({@code broadcast}'s
     * {@code cpu_us_per_msg}: netty's event-loop threads or the processes engine's node JVMs measured, the model's
     * core time predicted; the baseline has none), which shows whether the model's cores are as busy as the engine's
     * under load.
     */
    static final String[] STREAM_METRICS = {"latency_ms_p50", "latency_ms_p99", "cpu_us_per_msg"};

    /** A row the issue's targets cover (latencies and recovery times); CPU per message is shown, not targeted. */
    static boolean targeted(Row r) {
        return !r.metric().equals("cpu_us_per_msg");
    }

    /** Where a target of issue 12 sits: p50 within 15 %, p99 within 30 %, detect/repair 15 %, rejoin 30 %. */
    static double target(String metric) {
        return switch (metric) {
            case "latency_ms_p99", "rejoin_ms" -> 0.30;
            default -> 0.15;
        };
    }

    /** The threads the simulator sweeps ran on (recorded in run.json). */
    private int simThreads = 1;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<String> tops = CompareCommand.splitTopologies(topologies);
        dev.ringlab.node.spec.ClusterEngine real = Engines.byName(engine);
        if (real.deterministic()) {
            throw new UsageException("--engine", "fidelity measures a real engine against the simulator: use netty or processes, not "
                    + real.name());
        }
        if (threads != null && threads < 1) { // before the calibration's minutes, not after
            throw new UsageException("--threads", "must be at least 1, got " + threads);
        }
        for (double r : rates) {
            if (!(r > 0) || Double.isInfinite(r)) {
                throw new UsageException("--rates", "each rate must be a positive number of broadcasts per second, got " + r);
            }
        }
        UsageException.durationNanos("--stream-duration", streamDuration);
        if (seeds < 1 || recoverySeeds < 0) {
            throw new UsageException("--seeds", "need --seeds >= 1 and --recovery-seeds >= 0");
        }
        List<Long> seedList = new ArrayList<>();
        for (int i = 0; i < seeds; i++) {
            seedList.add(seed + i);
        }
        Instant started = Instant.now();
        ResultsDir.requireWritableRoot(out);
        ResultsDir dir = ResultsDir.create(out, "fidelity");
        String command = "ringlab " + String.join(" ", spec.commandLine().getParseResult().originalArgs());

        // 1. Calibration: now, or an earlier one.
        Path latencyFile;
        long processingNanos;
        JsonNode cal;
        Path calDir;
        if (calibration != null) {
            Path runJson = calibration.resolve("run.json");
            if (!Files.isRegularFile(runJson)) {
                throw new UsageException("--calibration", "no run.json in " + calibration);
            }
            cal = ResultsDir.readJson(runJson);
            if (!"calibrate".equals(cal.path("experiment").asText())) {
                throw new UsageException("--calibration", calibration + " is not a calibrate results directory");
            }
            String calibrated = cal.path("engine").asText("netty"); // calibrations before --engine measured netty
            if (!calibrated.equals(real.name())) {
                throw new UsageException("--calibration", calibration + " calibrates " + calibrated + ", not " + real.name()
                        + ": use a calibration made with ringlab calibrate --engine " + real.name() + ", or --engine " + calibrated);
            }
            latencyFile = calibration.resolve(cal.path("latency_file").asText("latency.txt")).toAbsolutePath();
            processingNanos = cal.path("processing_ns").asLong();
            calDir = calibration.toAbsolutePath();
        } else {
            CalibrateCommand c = new CalibrateCommand();
            c.nodes = calibrateNodes;
            c.rotations = 400;
            c.bursts = List.of(1, 16, 64, 256);
            c.reps = 7;
            c.seed = seed;
            c.engine = real.name();
            c.respawns = 5;
            c.loadRates = List.of(CalibrateCommand.DEFAULT_LOAD_RATES.split(","));
            CalibrateCommand.Calibration r = c.calibrate(dir.sub("calibration"), err, command + " (calibration)");
            latencyFile = r.latencyFile().toAbsolutePath();
            processingNanos = Math.max(0, Math.round(r.processingNanos()));
            cal = ResultsDir.readJson(dir.resolve("calibration/run.json"));
            calDir = dir.resolve("calibration").toAbsolutePath();
        }
        EngineModel model = Files.isRegularFile(calDir.resolve(EngineModel.FILE)) ? RunOptions.parseModel("calibrated:" + calDir) : null;
        if (model == null) {
            err.println("fidelity: warning: " + calDir + " has no " + EngineModel.FILE + " (an older calibration): only the "
                    + "baseline model is compared; run ringlab calibrate again for the engine model");
        }
        String machineWarning = model == null ? null : machineWarning(model.machine(), CalibrateCommand.machine());
        if (machineWarning != null) {
            err.println("fidelity: warning: " + machineWarning);
        }
        String calibrationWarning = calibrationWarning(cal);
        if (calibrationWarning != null) {
            err.println("fidelity: warning: " + calibrationWarning);
        }
        Map<String, Double> hostThen = CalibrateCommand.HostState.recorded(cal);
        Map<String, Double> hostBefore = null;
        if (!noHostCheck) {
            // The first check in a fresh JVM is not kept: in six fresh JVMs (2026-12-07 13:27-13:38, a probe calling
            // hostState repeatedly) it measured the hop within a loop at 4.5-5.7 us and the idle ring at 982-1,081 us,
            // every later check 3.5-4.3 us and 704-923 us; the calibration records its figures late in its own JVM.
            Map<String, Double> first = hostNow(cal, real);
            err.println("fidelity: host check warm-up (not kept: a fresh JVM's first check runs slower): " + hostLine(hostThen, first));
            hostBefore = hostNow(cal, real);
            err.println("fidelity: host check before the runs (now vs the calibration's): " + hostLine(hostThen, hostBefore));
            err.flush();
        }
        String simLatency = "empirical:" + latencyFile;
        err.println("fidelity: baseline sim latency=" + simLatency + " processing=" + processingNanos + "ns; model="
                + (model == null ? "none" : model.describe()) + "; topologies=" + tops + " nodes=" + nodes + " seeds=" + seedList
                + " broadcasts/seed=" + broadcasts + " load=" + CalibrateCommand.loadAverage());
        err.flush();

        // 2. The same broadcast sweep on the real engine, the baseline simulator and the modelled simulator.
        long drain = 10_000_000_000L;
        // The engine's own links (nothing added) against the simulator drawing from what calibration measured on them.
        BroadcastExperiment.Params realParams = new BroadcastExperiment.Params(real, protocol, null, 0,
                FaultPlan.none(), 0, broadcasts, drain, 16);
        BroadcastExperiment.Params simParams = new BroadcastExperiment.Params(Engines.byName("sim"), protocol, simLatency, 0,
                FaultPlan.none(), processingNanos, broadcasts, drain, 16);
        BroadcastExperiment.Params modelParams = model == null ? null : new BroadcastExperiment.Params(new SimEngine(model),
                protocol, null, 0, FaultPlan.none(), 0, broadcasts, drain, 16);
        simParams.validate();
        realParams.validate();
        int cap = Defaults.sweep(realParams.engine()).maxNodes();
        BroadcastSweep.Plan realPlan = new BroadcastSweep.Plan(tops, nodes, seedList, realParams, cap);
        BroadcastSweep.Plan simPlan = new BroadcastSweep.Plan(tops, nodes, seedList, simParams, cap);
        if (BroadcastSweep.skips(realPlan).size() == realPlan.combinations()) {
            throw new UsageException("--topologies", "no (topology, n) can run: " + BroadcastSweep.skips(realPlan).get(0).reason());
        }
        for (int n : nodes) {
            if (n > cap) {
                err.println("fidelity: n=" + n + " skipped on every engine (broadcast, recovery, streams): " + real.name()
                        + " runs at most " + cap + " nodes here");
            }
        }
        long largest = 0;
        for (String t : tops) {
            for (int n : nodes) {
                if (n <= cap) {
                    largest = Math.max(largest, MemoryBudget.bytes("compare", t, n));
                }
            }
        }
        simThreads = ParallelCells.threads(threads, simParams.engine(), largest);
        err.println("fidelity: simulator sweeps on " + simThreads + " thread(s); " + real.name() + " and recovery runs one at a time");
        BroadcastSweep.Outcome measured = BroadcastSweep.run(realPlan, err, "fidelity " + real.name());
        BroadcastSweep.Outcome again = measureTwice ? BroadcastSweep.run(realPlan, err, "fidelity " + real.name() + " again") : null;
        BroadcastSweep.Outcome sim = BroadcastSweep.run(simPlan, err, "fidelity sim baseline", simThreads);
        BroadcastSweep.Outcome modelled = model == null ? null
                : BroadcastSweep.run(new BroadcastSweep.Plan(tops, nodes, seedList, modelParams, cap), err, "fidelity sim model",
                        simThreads);
        BroadcastSweep.write(dir.sub(real.name()), measured, real.name());
        if (again != null) {
            BroadcastSweep.write(dir.sub(real.name() + "-again"), again, real.name() + ", the sweep run a second time (--measure-twice)");
        }
        BroadcastSweep.write(dir.sub("sim"), sim, "sim, calibrated baseline");
        if (modelled != null) {
            BroadcastSweep.write(dir.sub("sim-model"), modelled, "sim, calibrated engine model");
        }

        List<Row> rows = new ArrayList<>();
        List<FidelityPlots.Point> points = new ArrayList<>();
        for (int i = 0; i < measured.rows().size(); i++) {
            BroadcastExperiment.Row m = measured.rows().get(i);
            BroadcastExperiment.Row b = sim.rows().get(i);
            BroadcastExperiment.Row p = modelled == null ? null : modelled.rows().get(i);
            BroadcastExperiment.Row a = again == null ? null : again.rows().get(i);
            rows.add(new Row("broadcast", m.topology(), m.nodes(), "latency_ms_p50", m.latencyMsP50().mean(), m.latencyMsP50().halfWidth(),
                    p == null ? Double.NaN : p.latencyMsP50().mean(), p == null ? Double.NaN : p.latencyMsP50().halfWidth(),
                    b.latencyMsP50().mean(), a == null ? Double.NaN : a.latencyMsP50().mean()));
            rows.add(new Row("broadcast", m.topology(), m.nodes(), "latency_ms_p99", m.latencyMsP99().mean(), m.latencyMsP99().halfWidth(),
                    p == null ? Double.NaN : p.latencyMsP99().mean(), p == null ? Double.NaN : p.latencyMsP99().halfWidth(),
                    b.latencyMsP99().mean(), a == null ? Double.NaN : a.latencyMsP99().mean()));
        }

        // 3. Ring recovery on the real engine, the baseline and the model, through the recover command itself.
        ArrayNode recoveryRuns = new ObjectMapper().createArrayNode();
        String[] variants = model == null ? new String[] {real.name(), "sim"} : new String[] {real.name(), "sim", "sim-model"};
        List<Integer> recoverSizes = nodes.stream().filter(n -> n <= cap).toList();
        if (recoverySeeds > 0 && !recoverSizes.isEmpty()) {
            ProgressBar bar = new ProgressBar(err, "fidelity recover", recoverSizes.size() * recoverySeeds * variants.length);
            String[] metrics = {"detect_ms", "repair_ms", "rejoin_ms"};
            for (int n : recoverSizes) {
                List<List<List<Double>>> values = new ArrayList<>();
                for (int e = 0; e < variants.length; e++) {
                    List<List<Double>> perMetric = new ArrayList<>();
                    for (int k = 0; k < 3; k++) {
                        perMetric.add(new ArrayList<>());
                    }
                    values.add(perMetric);
                    for (int s = 0; s < recoverySeeds; s++) {
                        List<String> args = new ArrayList<>(List.of("--topology", "ring", "-n", String.valueOf(n), "--crash", "1",
                                "--respawn-after", respawnAfter(real, n), "--seed", String.valueOf(seed + s),
                                "--engine", e == 0 ? real.name() : "sim"));
                        if (e == 1) {
                            args.addAll(List.of("--latency", simLatency));
                        } else if (e == 2) {
                            // The modelled simulator runs the real engine's failure-detector timing, as --predict does.
                            Defaults.Timing t = Defaults.timing(real, n,
                                    dev.ringlab.node.spec.LinkModels.parse(dev.ringlab.node.spec.RunSpec.DEFAULT_SIM_LATENCY));
                            args.addAll(List.of("--model", "calibrated:" + calDir, "--heartbeat", t.heartbeatNanos() + "ns",
                                    "--suspicion-timeout", t.suspicionNanos() + "ns", "--loss-timeout",
                                    Math.max(t.tokenLossNanos(), t.suspicionNanos()) + "ns"));
                        }
                        RecoverRuns.Outcome o = RecoverRuns.run(args);
                        ObjectNode rec = recoveryRuns.addObject();
                        rec.put("engine", variants[e]);
                        rec.put("nodes", n);
                        rec.put("seed", seed + s);
                        rec.put("exit", o.exit());
                        rec.set("result", o.json());
                        for (int k = 0; k < 3; k++) {
                            JsonNode v = o.json() == null ? null : o.json().get(metrics[k]);
                            if (v != null && v.isNumber()) {
                                perMetric.get(k).add(v.asDouble());
                            }
                        }
                        bar.step("recover n=" + n + " " + variants[e] + " seed=" + (seed + s));
                    }
                }
                for (int k = 0; k < 3; k++) {
                    ConfidenceInterval m = ci(values.get(0).get(k));
                    ConfidenceInterval b = ci(values.get(1).get(k));
                    ConfidenceInterval p = variants.length > 2 ? ci(values.get(2).get(k)) : null;
                    rows.add(new Row("recover", "ring", n, metrics[k], mean(m), half(m), p == null ? Double.NaN : mean(p),
                            p == null ? Double.NaN : half(p), mean(b)));
                }
            }
            bar.finish();
        }
        // 3b. Streams: the broadcast command itself at each rate, on the real engine, the baseline and the model.
        ArrayNode streamRuns = new ObjectMapper().createArrayNode();
        if (!rates.isEmpty()) {
            List<String[]> cells = new ArrayList<>();
            for (double rate : rates) {
                for (String t : tops) {
                    for (int n : nodes) {
                        if (n <= cap) {
                            cells.add(new String[] {rate == Math.rint(rate) ? String.valueOf((long) rate) : String.valueOf(rate), t,
                                String.valueOf(n)});
                        }
                    }
                }
            }
            ProgressBar bar = new ProgressBar(err, "fidelity streams", cells.size() * seedList.size() * variants.length);
            for (String[] c : cells) {
                // values[variant][metric]: p50, p99, CPU per message over the seeds
                List<List<List<Double>>> values = new ArrayList<>();
                for (int e = 0; e < variants.length; e++) {
                    List<List<Double>> perMetric = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
                    values.add(perMetric);
                    for (long s : seedList) {
                        List<String> args = new ArrayList<>(List.of("--topology", c[1], "-n", c[2], "--protocol", protocol, "--rate", c[0],
                                "--duration", streamDuration, "--seed", String.valueOf(s), "--engine", e == 0 ? real.name() : "sim"));
                        if (e == 1) {
                            args.addAll(List.of("--latency", simLatency, "--processing", processingNanos + "ns"));
                        } else if (e == 2) {
                            args.addAll(List.of("--model", "calibrated:" + calDir));
                        }
                        RecoverRuns.Outcome o = RecoverRuns.run("broadcast", args);
                        ObjectNode rec = streamRuns.addObject();
                        rec.put("engine", variants[e]);
                        rec.put("rate", Double.parseDouble(c[0]));
                        rec.put("topology", c[1]);
                        rec.put("nodes", Integer.parseInt(c[2]));
                        rec.put("seed", s);
                        rec.put("exit", o.exit());
                        rec.set("result", o.json());
                        JsonNode lat = o.json() == null ? null : o.json().get("latency_ms");
                        for (int k = 0; k < 2; k++) {
                            JsonNode v = lat == null ? null : lat.get(k == 0 ? "p50" : "p99");
                            if (v != null && v.isNumber()) {
                                perMetric.get(k).add(v.asDouble());
                            }
                        }
                        JsonNode cpuPerMsg = o.json() == null ? null : o.json().get("cpu_us_per_msg");
                        if (cpuPerMsg != null && cpuPerMsg.isNumber()) {
                            perMetric.get(2).add(cpuPerMsg.asDouble());
                        }
                        bar.step("stream " + c[0] + "/s " + c[1] + " n=" + c[2] + " " + variants[e] + " seed=" + s);
                    }
                }
                for (int k = 0; k < 3; k++) {
                    if (k == 2 && values.get(0).get(k).isEmpty()) {
                        continue; // no CPU figure from the real engine (a node JVM ended during the stream): no row
                    }
                    ConfidenceInterval m = ci(values.get(0).get(k));
                    ConfidenceInterval b = ci(values.get(1).get(k));
                    ConfidenceInterval pm = variants.length > 2 ? ci(values.get(2).get(k)) : null;
                    rows.add(new Row("stream@" + c[0] + "/s", c[1], Integer.parseInt(c[2]), STREAM_METRICS[k],
                            mean(m), half(m), pm == null ? Double.NaN : mean(pm), pm == null ? Double.NaN : half(pm), mean(b)));
                }
            }
            bar.finish();
        }
        Map<String, Double> hostAfter = null;
        if (!noHostCheck) {
            hostAfter = hostNow(cal, real);
            err.println("fidelity: host check after the runs (now vs the calibration's): " + hostLine(hostThen, hostAfter));
        }
        String hostWarning = hostWarning(hostThen, hostBefore, hostAfter);
        if (hostWarning != null) {
            err.println("fidelity: warning: " + hostWarning);
        }
        err.flush();
        ObjectNode hostCheck = noHostCheck ? null : hostCheckJson(hostThen, hostBefore, hostAfter, hostWarning);
        for (Row r : rows) {
            if (!targeted(r)) {
                continue; // the plot is latencies and recovery times
            }
            boolean broadcast = r.experiment().equals("broadcast") || r.experiment().startsWith("stream@");
            String group = !broadcast ? "recovery" : r.experiment().startsWith("stream@") ? r.topology() + " " + r.experiment()
                    : r.topology();
            String metric = broadcast ? r.metric().replace("latency_ms_", "") : r.metric();
            points.add(new FidelityPlots.Point(group, metric, true, r.measured(), r.predicted(), r.predictedHalfWidth()));
            points.add(new FidelityPlots.Point(group, metric, false, r.measured(), r.baseline(), Double.NaN));
        }

        // 4. Files.
        List<String> columns = new ArrayList<>(rows.isEmpty() ? List.of() : rows.get(0).fields().keySet());
        List<List<Object>> csv = new ArrayList<>();
        for (Row r : rows) {
            csv.add(new ArrayList<>(r.fields().values()));
        }
        dir.writeCsv("fidelity.csv", columns, csv);
        FidelityPlots.save(dir.path(), "fidelity-predicted-vs-measured", "Calibrated sim vs " + real.name() + ": predicted vs measured "
                + "(y = x is perfect; bars: 95 % over seeds)", points);
        Plots.Builder p50 = new Plots.Builder();
        for (int i = 0; i < measured.rows().size(); i++) {
            BroadcastExperiment.Row m = measured.rows().get(i);
            p50.add(m.topology() + " " + real.name() + " (measured)", m.nodes(), m.latencyMsP50().mean(), m.latencyMsP50().halfWidth());
            BroadcastExperiment.Row q = (modelled != null ? modelled : sim).rows().get(i);
            p50.add(m.topology() + " sim (predicted" + (modelled != null ? ", model" : "") + ")", q.nodes(), q.latencyMsP50().mean(),
                    q.latencyMsP50().halfWidth());
        }
        Plots.save(Plots.chart(new Plots.Axes("Broadcast latency p50: " + real.name() + " (measured) vs calibrated sim (predicted)", "nodes (log)",
                "latency p50, ms (log)", true, true), p50.series()), dir.path(), "fidelity-p50");
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode run = mapper.createObjectNode();
        run.put("experiment", "fidelity");
        run.put("version", Main.version());
        run.put("command", command);
        run.put("started_at", started.toString());
        run.put("java", Runtime.version().toString());
        run.put("cores", Runtime.getRuntime().availableProcessors());
        run.put("loadavg_1m", CalibrateCommand.loadAverage());
        run.put("seed", seed);
        run.put("engine", real.name());
        run.put("threads", simThreads);
        ArrayNode sl = run.putArray("seeds");
        seedList.forEach(sl::add);
        run.set("calibration", cal);
        run.put("calibration_dir", calibration != null ? calibration.toString() : "calibration");
        run.put("model", model == null ? null : model.describe());
        run.put("machine_warning", machineWarning);
        run.put("calibration_warning", calibrationWarning);
        run.set("host_check", hostCheck);
        run.put("measure_twice", measureTwice);
        ObjectNode simNode = run.putObject("sim");
        BroadcastExperiment.putParams(simNode, simParams);
        BroadcastSweep.describe(simNode, sim);
        if (modelled != null) {
            // Not under "sim": replay reruns the baseline half, whose spec needs no calibration directory.
            ObjectNode modelNode = run.putObject("sim_model");
            BroadcastExperiment.putParams(modelNode, modelParams);
            modelNode.put("model", "calibrated:" + calDir);
            BroadcastSweep.describe(modelNode, modelled);
        }
        ObjectNode measuredNode = run.putObject(real.name()); // the measured sweep, under the engine's name
        BroadcastExperiment.putParams(measuredNode, realParams);
        BroadcastSweep.describe(measuredNode, measured);
        if (again != null) {
            ObjectNode againNode = run.putObject(real.name() + "_again");
            BroadcastExperiment.putParams(againNode, realParams);
            BroadcastSweep.describe(againNode, again);
        }
        run.set("recovery_runs", recoveryRuns);
        ArrayNode ratesNode = run.putArray("rates");
        rates.forEach(ratesNode::add);
        run.put("stream_duration", rates.isEmpty() ? null : streamDuration);
        run.set("stream_runs", streamRuns);
        ArrayNode files = run.putArray("files").add("fidelity.csv").add("fidelity-predicted-vs-measured.png")
                .add("fidelity-predicted-vs-measured.svg").add("fidelity-p50.png").add("fidelity-p50.svg").add(real.name() + "/").add("sim/")
                .add("sim-model/");
        if (again != null) {
            files.add(real.name() + "-again/");
        }
        dir.writeRunJson(run);

        List<Row> targetRows = rows.stream().filter(FidelityCommand::targeted).toList();
        long withinModel = targetRows.stream().filter(r -> Math.abs(r.relError()) <= target(r.metric())).count();
        long withinBaseline = targetRows.stream().filter(r -> Math.abs(r.baselineRelError()) <= target(r.metric())).count();
        List<Row> againRows = rows.stream().filter(r -> Double.isFinite(r.measuredAgain())).toList();
        long withinAgain = againRows.stream().filter(r -> Math.abs(r.againRelError()) <= target(r.metric())).count();
        if (json) {
            ObjectNode j = mapper.createObjectNode();
            j.put("results_dir", dir.path().toString());
            j.put("engine", real.name());
            j.put("latency", simLatency);
            j.put("processing_ns", processingNanos);
            j.put("model", model == null ? null : model.describe());
            j.put("machine_warning", machineWarning);
            j.put("calibration_warning", calibrationWarning);
            j.set("host_check", hostCheck);
            j.put("within_target_model", model == null ? null : withinModel);
            j.put("within_target_baseline", withinBaseline);
            j.put("compared", targetRows.size());
            j.put("within_target_again", again == null ? null : withinAgain);
            j.put("compared_again", again == null ? null : againRows.size());
            ArrayNode a = j.putArray("rows");
            for (Row r : rows) {
                ObjectNode o = a.addObject();
                r.fields().forEach((k, v) -> BroadcastSweep.put(o, k, v));
            }
            stdout.println(j.toString());
        } else {
            stdout.printf(Locale.ROOT, "%-14s %-18s %5s %-15s %10s %10s %8s %10s %8s%n", "experiment", "topology", "n", "metric",
                    "measured", "model", "error", "baseline", "error");
            for (Row r : rows) {
                stdout.printf(Locale.ROOT, "%-14s %-18s %5d %-15s %10s %10s %8s %10s %8s%n", r.experiment(), r.topology(), r.nodes(),
                        r.metric(), BroadcastSweep.sig(r.measured()), BroadcastSweep.sig(r.predicted()), pct(r.relError()),
                        BroadcastSweep.sig(r.baseline()), pct(r.baselineRelError()));
            }
            stdout.printf(Locale.ROOT, "%nmeasured: %s (loopback, %d cores, load %s); model: %s; baseline: sim with --latency %s "
                    + "--processing %dns%n", real.name(), Runtime.getRuntime().availableProcessors(), CalibrateCommand.loadAverage(),
                    model == null ? "none" : model.describe(), simLatency, processingNanos);
            if (!noHostCheck) {
                stdout.printf(Locale.ROOT, "host check (now vs calibration): before %s; after %s%n", hostLine(hostThen, hostBefore),
                        hostLine(hostThen, hostAfter));
                if (hostWarning != null) {
                    stdout.println("warning: " + hostWarning);
                }
            }
            if (again != null) {
                stdout.printf(Locale.ROOT, "engine vs itself (the broadcast sweep run again, --measure-twice): %d of %d broadcast rows "
                        + "within the same targets; second over first %s%n", withinAgain, againRows.size(), againRows.stream()
                        .map(r -> r.topology() + "-" + r.nodes() + " " + r.metric().replace("latency_ms_", "") + " " + pct(r.againRelError()))
                        .collect(java.util.stream.Collectors.joining(", ")));
            }
            stdout.printf(Locale.ROOT, "within target (p50, detect, repair 15%%; p99, rejoin 30%%): model %s of %d, baseline %d of %d; "
                    + "results in %s%n", model == null ? "-" : String.valueOf(withinModel), targetRows.size(), withinBaseline,
                    targetRows.size(), dir.path());
        }
        stdout.flush();
        return 0;
    }

    private static String pct(double rel) {
        return Double.isFinite(rel) ? String.format(Locale.ROOT, "%+.0f%%", 100 * rel) : "-";
    }

    private static ConfidenceInterval ci(List<Double> values) {
        return values.isEmpty() ? null : ConfidenceInterval.of95(values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private static double mean(ConfidenceInterval c) {
        return c == null ? Double.NaN : c.mean();
    }

    private static double half(ConfidenceInterval c) {
        return c == null ? Double.NaN : c.halfWidth();
    }

    /**
     * The host's state now ({@link CalibrateCommand#hostState}), measured as the calibration {@code cal} measured it: its
     * ring size, token rotations, idle floods and seed, on {@code real}.
     */
    private Map<String, Double> hostNow(JsonNode cal, dev.ringlab.node.spec.ClusterEngine real) {
        CalibrateCommand c = new CalibrateCommand();
        c.nodes = cal.path("nodes").asInt(calibrateNodes);
        c.rotations = cal.path("rotations").asInt(400);
        c.seed = cal.path("seed").asLong(seed);
        c.engine = real.name();
        return c.hostState(cal.path("flood_broadcasts").asInt(CalibrateCommand.FLOOD_BROADCASTS)).figures();
    }

    /** A host figure that moved by more than this factor (either way) since the calibration is named in the warning. */
    static final double HOST_MOVED = 1.2;

    /** What each host figure is, for people. */
    private static final Map<String, String> HOST_FIGURES = Map.of(
            "token_same_us", "token hop within an executor",
            "token_cross_us", "token hop into another executor",
            "idle_ring_us", "idle ring flood");

    /** now / then per figure, null where either is missing. */
    static Map<String, Double> hostRatios(Map<String, Double> then, Map<String, Double> now) {
        Map<String, Double> r = new LinkedHashMap<>();
        for (String k : now.keySet()) {
            Double a = then.get(k);
            Double b = now.get(k);
            r.put(k, a == null || b == null || !(a > 0) ? null : b / a);
        }
        return r;
    }

    /**
     * One line: each figure now, the calibration's and the ratio, e.g. {@code idle ring flood 812.0 us (calibration 640.0,
     * x1.27)}.
     */
    static String hostLine(Map<String, Double> then, Map<String, Double> now) {
        List<String> parts = new ArrayList<>();
        Map<String, Double> ratio = hostRatios(then, now);
        for (String k : now.keySet()) {
            Double b = now.get(k);
            if (b == null) {
                continue; // no such hop on this engine
            }
            Double a = then.get(k);
            parts.add(String.format(Locale.ROOT, "%s %.1f us (%s)", HOST_FIGURES.get(k), b, a == null ? "calibration: not recorded"
                    : String.format(Locale.ROOT, "calibration %.1f, x%.2f", a, ratio.get(k))));
        }
        return String.join(", ", parts);
    }

    /**
     * The warning for a host that moved since the calibration: every figure of either check off the calibration's by
     * more than {@link #HOST_MOVED} either way; null if none (or no check ran). It names the figures, not a cause: in
     * one JVM, twelve checks back to back put the token hop into another loop at 7-31 us on an idle machine.
     */
    static String hostWarning(Map<String, Double> then, Map<String, Double> before, Map<String, Double> after) {
        List<String> parts = new ArrayList<>();
        String[] when = {"before the runs", "after them"};
        List<Map<String, Double>> checks = java.util.Arrays.asList(before, after);
        for (int i = 0; i < 2; i++) {
            if (checks.get(i) == null) {
                continue;
            }
            List<String> moved = new ArrayList<>();
            hostRatios(then, checks.get(i)).forEach((k, r) -> {
                if (r != null && (r > HOST_MOVED || r < 1 / HOST_MOVED)) {
                    moved.add(String.format(Locale.ROOT, "%s x%.2f", HOST_FIGURES.get(k), r));
                }
            });
            if (!moved.isEmpty()) {
                parts.add(when[i] + ": " + String.join(", ", moved));
            }
        }
        return parts.isEmpty() ? null : "the calibration's own workloads ran differently now (now over then, " + String.join("; ", parts)
                + "): the engine is not as it was calibrated, and a prediction can miss by that much for this reason alone; "
                + "calibrate again just before (fidelity without --calibration does)";
    }

    private static ObjectNode hostCheckJson(Map<String, Double> then, Map<String, Double> before, Map<String, Double> after,
            String warning) {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.set("calibration", figures(then));
        o.set("before", figures(before));
        o.set("after", figures(after));
        o.set("ratio_before", figures(hostRatios(then, before)));
        o.set("ratio_after", figures(hostRatios(then, after)));
        o.put("moved_factor", HOST_MOVED);
        o.put("warning", warning);
        return o;
    }

    private static ObjectNode figures(Map<String, Double> m) {
        ObjectNode o = new ObjectMapper().createObjectNode();
        m.forEach((k, v) -> BroadcastSweep.put(o, k, v)); // null stays null
        return o;
    }

    /**
     * The calibration's own warning ({@code calibrate}'s self-check found its model far too slow on its own
     * floods: a noisy spell), said again where its predictions are used; null if it had none.
     */
    static String calibrationWarning(com.fasterxml.jackson.databind.JsonNode calibrationRun) {
        com.fasterxml.jackson.databind.JsonNode w = calibrationRun.path("self_check_warning");
        return w.isTextual() ? "the calibration's self-check: " + w.asText() : null;
    }

    /**
     * Why a calibration made on {@code then} may not fit this machine ({@code now}): another core count or
     * JDK, or a load average that differs by more than one (a loaded machine runs slower); null if none.
     */
    static String machineWarning(Map<String, String> then, Map<String, String> now) {
        List<String> why = new ArrayList<>();
        for (String k : List.of("cores", "java", "os_arch")) {
            if (then.containsKey(k) && !then.get(k).equals(now.get(k))) {
                why.add(k + " " + then.get(k) + " then, " + now.get(k) + " now");
            }
        }
        try {
            if (then.containsKey("loadavg_1m") && now.containsKey("loadavg_1m")
                    && Math.abs(Double.parseDouble(then.get("loadavg_1m")) - Double.parseDouble(now.get("loadavg_1m"))) > 1) {
                why.add("load average " + then.get("loadavg_1m") + " then, " + now.get("loadavg_1m") + " now");
            }
        } catch (NumberFormatException e) {
            why.add("unreadable load average");
        }
        return why.isEmpty() ? null : "the calibration was made on a different machine or load (" + String.join("; ", why)
                + "): predictions may be off; calibrate again here";
    }
}
