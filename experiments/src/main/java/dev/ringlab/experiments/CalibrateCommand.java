package dev.ringlab.experiments;

import dev.ringlab.node.check.Quantiles;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.TimerLateness;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.protocols.HealingRing;
import dev.ringlab.node.protocols.TokenRing;
import dev.ringlab.node.Cluster;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.node.spec.Timing;
import dev.ringlab.runtime.LocalCluster;
import dev.ringlab.runtime.RuntimeConfig;
import dev.ringlab.sim.model.EngineModel;
import java.util.Map;
import java.util.TreeMap;
import dev.ringlab.topology.Topologies;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.commons.math3.stat.regression.SimpleRegression;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab calibrate}: measures, on the netty engine ({@link LocalCluster}, loopback TCP), the two
 * numbers the simulator needs to predict it, and writes them where {@code --latency empirical:FILE} and
 * {@code --processing} can use them.
 *
 * <ol>
 *   <li><b>Hop latency, as broadcasts see it.</b> Broadcasts are flooded one at a time from node 0 around a
 *       unidirectional ring of {@code --nodes} nodes ({@link Flood}), with an idle gap of
 *       {@link dev.ringlab.node.Cluster#QUIET_NANOS} between them, as {@code compare} and {@code fidelity} run them. Node h
 *       delivers at hop h, so the differences between consecutive deliveries (node 1's from the origin's
 *       timestamp) are the individual hop latencies: encode, the loopback socket, decode, and the wake-up
 *       of an event loop that was idle. On netty the floods run on 4 fresh clusters in turn, a quarter on each
 *       ({@link #floodClusters}: one cluster's threads share the cores in their own way). The first fifth of the
 *       broadcasts (each cluster's first ones) is warm-up and discarded. These
 *       samples go to {@code latency.txt}, one value in ns per line: the simulator's empirical format.
 *   <li><b>Hop latency of a hot ring</b>, for comparison only: a token circles the same ring
 *       ({@link TokenRing}) without pause and every {@link Observation.TokenArrived#hopNanos} is a sample
 *       ({@code hop-latency.csv}, column {@code token_hop_us}). Threads never sleep there, so it is the
 *       floor the idle-start figure is compared with.
 *   <li><b>Processing time per message.</b> A burst of k broadcasts is injected at once at node 0 of a
 *       2-node ring running {@link Flood} (each node on its own event loop); the time until node 1 has
 *       delivered the k-th is {@code L + k·p}, where p is the per-message cost of the slower of the two
 *       stages (node 0: inject, encode, write; node 1: read, decode, deliver, forward). p is the slope of a
 *       least-squares line (Commons Math {@link SimpleRegression}) through the median completion time of
 *       {@code --reps} bursts for each k in {@code --bursts}. This is what the simulator's per-node
 *       processing time models: a node that handles one message at a time.
 * </ol>
 *
 * <p><b>The engine model</b> ({@code model.properties}, for {@code --model calibrated:DIR} and {@code --predict DIR};
 * see {@link EngineModel}), on the engine {@code --engine} names: executors and cores from the engine's own
 * configuration (netty: its event-loop group's default threads; processes: one per node) and the machine;
 * the per-message service time from flood completion on complete graphs (unbatched messages, the Theil-Sen slope
 * through every flood's completion against its message count, times the cores; {@code fanout-samples.csv}), split
 * into receive and send by floods on stars of 8 to 48 leaves (4 to 16 on processes;
 * {@link #fitSplit}, {@code split.csv}: the complete graphs cannot tell the two apart); the wake send (what a
 * send into a parked executor costs its handler more, {@link EngineModel.Cpu#wakeSendNanos}: the token's median
 * hop into another event loop less its median hop within one; 0 on processes, where every hop enters another
 * JVM); hot links from the token ring's hops within one event loop (on processes: all of them) less that service
 * time ({@code hot-latency.txt}); the cold start
 * ({@link EngineModel.Cold}, {@code cold.csv}) from ring floods after quiet gaps of 1, 10 and 100 ms and the
 * settle's 250 ms: per gap, the median quiet time, the median time from injection to the origin's delivery,
 * and the median excess over the token's median hop into another executor of the hops that are the first
 * delivery on their executor (the
 * model's placement says which), and all those samples, from which the simulator draws each penalty (the
 * spread: now and then a wake-up takes milliseconds); on netty also each executor's second piece of work after
 * the quiet spell (the hop into the second node of a loop's block, and on the origin's loop the hop into node 1,
 * after the injection), its excess over the token's median hop within one loop (the second-work table, and the
 * origin's loop's apart as the table after a request), and with two cores or more the core wake (per flood, the slower
 * of the first two loop entries less the faster, and the hop after each likewise; the slower entry then counts as the
 * faster in the tables above); the restart from the runtime's backoff schedule, the measured restart call and
 * the time until a respawned node's own dial carries a message ({@code --respawns} rounds, medians), and, from
 * 2 x {@code --respawns} outages of 200 to 1,500 ms each with its own run seed, how late each of a neighbour's
 * redials comes after its seeded backoff and how long before the restart call returns the new incarnation takes
 * connections ({@link #fitRedial}); the load part ({@link EngineModel.Load}, {@code load.csv}): Poisson streams of
 * {@code --load-rates} broadcasts per second on complete:16, each on the engine and on the model: the service scaled
 * until the model's CPU per message on the first equals the event loops', the quiet factor on a stream of
 * {@value #QUIET_RATE} broadcasts per second, then the factor at each further one bisected the same way (netty only,
 * {@link #loadFit}); the timer part ({@link EngineModel.Timers}, {@code timers.csv}):
 * how late a healing ring's timers ran in its first {@value #TIMER_SECONDS} s, by the age of each node's incarnation
 * ({@link #sizeParts}); on processes, the restart at those sizes ({@code restarts.csv}): the restart call and how long
 * before its return the new JVM was bound, {@code --respawns} rings each, crashed and restarted as {@code recover}
 * does ({@link #restartRounds}); and the machine
 * (cores, JDK, load average).
 *
 * Writes {@code <out>/calibrate-<ts>/}: {@code run.json}, {@code latency.txt}, {@code hop-latency.csv}
 * (quantiles), {@code burst.csv}, {@code processing.png/svg} (completion time vs burst size and the fit) and
 * {@code hop-latency.png/svg} (the empirical CDF), {@code fanout.csv}, {@code cold.csv}, {@code split.csv},
 * {@code load.csv}, {@code timers.csv} and {@code restarts.csv} (the model's fits), {@code self-check.csv} (the model on the complete-graph
 * and star floods it was fitted on,
 * next to the measured completions: {@link #selfCheck}) and
 * {@code model.properties}.
 */
@Command(name = "calibrate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Measure a real engine (--engine netty or processes, loopback) and write what the simulator needs to predict "
                    + "it: results/calibrate-<ts>/latency.txt (use: --latency empirical:FILE), run.json's processing_ns "
                    + "(use: --processing), and the engine model model.properties (use: --model calibrated:DIR on sim, "
                    + "--predict DIR on real runs, fidelity --calibration DIR). self-check.csv (and the last line before the "
                    + "summary) shows the model on the complete-graph and star floods it was fitted on, against their measured "
                    + "completions. On netty the model's service is scaled to the loops' CPU per message on a stream on "
                    + "complete:16, and its load part (a busy loop's lower CPU per message) fitted on faster ones "
                    + "(--load-rates; load.csv), with its quiet factor (a loop's higher CPU per message after quiet) fitted on "
                    + "a stream of 4 broadcasts/s for 8 s (run.json's load_fit.quiet). The cold start (cold.csv: what the first "
                    + "work after 1, 10, 100 and 250 ms of quiet costs) keeps every sample but isolated stalls: a sample over 1 ms "
                    + "and its set's far-out fence, alone in a set too small to weigh it (run.json's cold_stalls).",
            "Of the run options it takes --seed and --engine only: it measures the engine's own links and nodes, which an added "
                    + "latency, loss, faults or processing time would hide.",
        })
public final class CalibrateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-n", "--nodes"}, defaultValue = "16", paramLabel = "N",
            description = "Nodes on the token ring that measures hop latency (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--rotations", defaultValue = "400", paramLabel = "R",
            description = "Token rotations to sample (default: ${DEFAULT-VALUE}).")
    int rotations;

    @Option(names = "--bursts", defaultValue = "1,16,64,256", split = ",", paramLabel = "K",
            description = "Burst sizes for the processing-time fit (default: ${DEFAULT-VALUE}).")
    List<Integer> bursts;

    @Option(names = "--reps", defaultValue = "7", paramLabel = "R",
            description = "Bursts per size, whose median is fitted; 2R+1 floods on each complete graph and star "
                    + "(default: ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = RunOptions.SEED_HELP)
    long seed;

    @Option(names = "--engine", defaultValue = "netty", paramLabel = "ENGINE",
            description = "The real engine to calibrate: netty or processes (default: ${DEFAULT-VALUE}).")
    String engine;

    @Option(names = "--respawns", defaultValue = "5", paramLabel = "R",
            description = "Crash-and-respawn rounds that measure the restart model: R for the restart call and the "
                    + "respawned node's own dial, 2R outages of 200..1,500 ms for the neighbours' redials, and on "
                    + "processes R rings at each size of the timer step, crashed and restarted as recover does, for the "
                    + "restart call and how early in it the new JVM is bound (default: ${DEFAULT-VALUE}).")
    int respawns;

    /** {@code --load-rates}'s default. */
    static final String DEFAULT_LOAD_RATES = "200,1000,2500";

    @Option(names = "--load-rates", defaultValue = DEFAULT_LOAD_RATES, split = ",", paramLabel = "R",
            description = "Broadcasts per second of the streams on complete:16 that fit the load part (a busy loop's lower "
                    + "cost per message): ascending; on the first the model's service is scaled to the loops' CPU per "
                    + "message; 'none' leaves the part, the scaling and the quiet factor out. netty only: not fitted on "
                    + "processes (default: ${DEFAULT-VALUE}).")
    List<String> loadRates;

    @Option(names = "--out", defaultValue = "results", paramLabel = "DIR", description = "Results root (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--passes", paramLabel = "P",
            description = "Run every measurement P times in this JVM and keep only the last pass, 1 to 3 (default: 2 on "
                    + "netty, 1 on processes). Each workload runs code the ones before did not, and on 2 cores the JIT "
                    + "compiling it competes with the pass that measures: a first pass compiles it all. processes runs "
                    + "every node in a new JVM, which a pass in this JVM does not warm.")
    Integer passes;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    /** What calibration found; {@code latencyFile} is what {@code empirical:} takes. */
    public record Calibration(Path dir, Path latencyFile, long hopP50Nanos, long hopP99Nanos, double processingNanos,
            double fitInterceptNanos, double fitR2) {
        /** The simulator's link spec for these measurements. */
        public String latencySpec() {
            return "empirical:" + latencyFile;
        }
    }

    @Override
    public Integer call() {
        if (nodes < 2) {
            throw new UsageException("--nodes", "a ring needs at least 2 nodes, got " + nodes);
        }
        if (rotations < 10) {
            throw new UsageException("--rotations", "need at least 10, got " + rotations);
        }
        if (bursts.size() < 2 || bursts.stream().anyMatch(k -> k < 1) || bursts.stream().distinct().count() < 2) {
            throw new UsageException("--bursts", "need at least two distinct sizes >= 1 to fit a slope, got " + bursts);
        }
        if (reps < 1) {
            throw new UsageException("--reps", "must be >= 1, got " + reps);
        }
        if (respawns < 1) {
            throw new UsageException("--respawns", "must be >= 1, got " + respawns);
        }
        loadRates();
        if (passes != null && (passes < 1 || passes > MAX_PASSES)) {
            throw new UsageException("--passes", "must be 1 to " + MAX_PASSES + ", got " + passes);
        }
        realEngine();
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        err.println("calibrate: engine=" + realEngine().name() + " nodes=" + nodes + " rotations=" + rotations + " bursts=" + bursts + " reps=" + reps + " passes=" + passes()
                + " cores=" + Runtime.getRuntime().availableProcessors());
        err.flush();
        ResultsDir.requireWritableRoot(out);
        ResultsDir dir = ResultsDir.create(out, "calibrate");
        Calibration c = calibrate(dir, err, "ringlab " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        if (json) {
            ObjectNode j = new ObjectMapper().createObjectNode();
            j.put("results_dir", dir.path().toString());
            j.put("engine", realEngine().name());
            j.put("model", c.dir().resolve(EngineModel.FILE).toString());
            j.put("nodes", nodes);
            j.put("seed", seed);
            j.put("latency_file", c.latencyFile().toString());
            j.put("hop_latency_ms_p50", c.hopP50Nanos() / 1e6);
            j.put("hop_latency_ms_p99", c.hopP99Nanos() / 1e6);
            j.put("processing_ns", Math.round(c.processingNanos()));
            j.put("fit_r2", c.fitR2());
            stdout.println(j.toString());
        } else {
            stdout.printf(Locale.ROOT, "hop latency      p50 %.1f us  p99 %.1f us  (%s)%n", c.hopP50Nanos() / 1e3,
                    c.hopP99Nanos() / 1e3, c.latencyFile());
            stdout.printf(Locale.ROOT, "processing       %.1f us per message (slope of burst completion vs size, R^2 %.3f)%n",
                    c.processingNanos() / 1e3, c.fitR2());
            stdout.printf(Locale.ROOT, "simulator flags  --latency %s --processing %dns%n", c.latencySpec(),
                    Math.round(c.processingNanos()));
            stdout.println("engine model     --model calibrated:" + c.dir());
            stdout.println("results in " + dir.path());
        }
        stdout.flush();
        return 0;
    }

    /** {@code --load-rates} parsed: empty for {@code none}; at least two ascending rates > 0 otherwise. */
    List<Double> loadRates() {
        if (loadRates.size() == 1 && loadRates.get(0).trim().equalsIgnoreCase("none")) {
            return List.of();
        }
        List<Double> out = new ArrayList<>();
        for (String r : loadRates) {
            double v;
            try {
                v = Double.parseDouble(r.trim());
            } catch (NumberFormatException e) {
                throw new UsageException("--load-rates", "broadcasts per second, ascending, comma-separated, or none; got " + r);
            }
            if (!(v > 0) || !Double.isFinite(v) || (!out.isEmpty() && v <= out.get(out.size() - 1))) {
                throw new UsageException("--load-rates", "broadcasts per second must be > 0 and ascending, or none; got "
                        + String.join(",", loadRates));
            }
            out.add(v);
        }
        if (out.size() < 2) {
            throw new UsageException("--load-rates", "need at least two rates (the first anchors the model's service times), "
                    + "or none; got " + String.join(",", loadRates));
        }
        return out;
    }

    /** Most passes {@code --passes} takes. */
    static final int MAX_PASSES = 3;

    /** {@code --passes}, or its default on the engine: 2 on netty, 1 on processes. */
    int passes() {
        return passes != null ? passes : realEngine().name().equals("netty") ? 2 : 1;
    }

    /**
     * Runs every measurement {@link #passes()} times and writes the last pass into {@code dir}; the passes before
     * it go to a temporary directory that is deleted, and print one line each. Measured on netty (three
     * calibrations, 2026-12-05, load 0.1-0.6): the fitted service came out 11.7, 11.5 and 12.7 us in the second
     * pass against 10.8, 8.6 and 14.5 us in the first pass of the same runs (9.3-19.9 us in seven single-pass
     * calibrations that day; 9.5, 10.8 and 7.8 us in three more two-pass ones), and the complete:4 flood took
     * 438-474 us in the second passes against 553-902 us in the first.
     */
    Calibration calibrate(ResultsDir dir, PrintWriter err, String command) {
        // The machine as the calibration found it: read once the model is built, the load average was the calibration's own.
        loadAtStart = loadAverage();
        return inPasses(passes(), dir, err, command, this::measure);
    }

    /** The one-minute load average when {@link #calibrate} began (null: not read), the model's {@code machine.loadavg_1m}. */
    private String loadAtStart;

    /** One pass of the measurements: writes everything into {@code dir}, its progress to {@code err}. */
    interface Pass<T> {
        T run(ResultsDir dir, PrintWriter err, String command);
    }

    /**
     * Runs {@code pass} {@code total} times and returns the last run, the one written into {@code dir}; each run
     * before it writes into a temporary directory, deleted after it, prints its progress nowhere, and is
     * reported by one line on {@code err} with its duration.
     */
    static <T> T inPasses(int total, ResultsDir dir, PrintWriter err, String command, Pass<T> pass) {
        for (int p = 1; p < total; p++) {
            long t0 = System.nanoTime();
            Path tmp;
            try {
                tmp = Files.createTempDirectory("ringlab-calibrate-pass");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a temporary directory for a calibration pass: " + e.getMessage(), e);
            }
            try {
                pass.run(ResultsDir.create(tmp, "calibrate"), new PrintWriter(java.io.Writer.nullWriter()), command + " (pass " + p + ")");
            } finally {
                deleteTree(tmp);
            }
            err.printf(Locale.ROOT, "calibrate: pass %d of %d (not kept: it compiles what the last pass measures) took %.1f s%n",
                    p, total, (System.nanoTime() - t0) / 1e9);
            err.flush();
        }
        return pass.run(dir, err, command);
    }

    private static void deleteTree(Path root) {
        try (java.util.stream.Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + root + ": " + e.getMessage(), e);
        }
    }

    /** One pass: runs every measurement and writes everything into {@code dir}. */
    private Calibration measure(ResultsDir dir, PrintWriter err, String command) {
        Instant started = Instant.now();
        // Order matters: the JIT must have compiled the delivery path before anything is measured, as the
        // experiments' own warm-up ensures before theirs (BroadcastExperiment.warmUp); measured cold, the flood
        // hops came out 3-5x slower than the same floods in the sweep that follows. So first the experiments'
        // warm-up on a ring flood; then the token ring and the bursts, which warm the rest of the netty path.
        if (realEngine().name().equals("netty")) {
            warmUpFloods(err); // processes: every cluster starts its own JVMs; each flood cluster warms itself (warmUpProcesses)
        }
        EngineModel.Cpu placement = placement();
        TokenHops tokenHops = tokenHops(err, placement);
        long[] token = tokenHops.all();

        SimpleRegression fit = new SimpleRegression();
        List<List<Object>> burstRows = new ArrayList<>();
        Plots.Builder points = new Plots.Builder();
        for (int k : bursts) {
            long[] t = new long[reps];
            for (int r = 0; r < reps; r++) {
                t[r] = burst(k);
            }
            Arrays.sort(t);
            long median = t[reps / 2];
            fit.addData(k, median);
            burstRows.add(List.of(k, median / 1e3, t[0] / 1e3, t[reps - 1] / 1e3));
            points.add("median of " + reps + " bursts", k, median / 1e3, Double.NaN);
            err.printf(Locale.ROOT, "calibrate: burst of %d: median %.1f us to deliver all at node 1%n", k, median / 1e3);
            err.flush();
        }
        dir.writeCsv("burst.csv", List.of("burst", "completion_us_median", "completion_us_min", "completion_us_max"), burstRows);
        FloodRun idleRing = floodRun(FLOOD_BROADCASTS, dev.ringlab.node.Cluster.QUIET_NANOS);
        long[] hops = floodHops(idleRing, err);
        long[] sorted = hops.clone();
        Arrays.sort(sorted);
        Path latency = dir.resolve("latency.txt");
        writeLatencyFile(latency, hops, command, realEngine().name() + ", loopback TCP, flood hops on a ring, idle between broadcasts");
        List<List<Object>> q = new ArrayList<>();
        for (double p : new double[] {0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0}) {
            q.add(List.of(p, quantile(sorted, p) / 1e3, quantile(token, p) / 1e3));
        }
        dir.writeCsv("hop-latency.csv", List.of("quantile", "flood_hop_us", "token_hop_us"), q);
        double slope = fit.getSlope();
        List<Plots.Series> series = new ArrayList<>(points.series());
        double[] xs = bursts.stream().mapToDouble(Integer::doubleValue).sorted().toArray();
        double[] ys = Arrays.stream(xs).map(x -> (fit.getIntercept() + slope * x) / 1e3).toArray();
        series.add(new Plots.Series(String.format(Locale.ROOT, "fit: %.1f us + k x %.2f us", fit.getIntercept() / 1e3, slope / 1e3),
                xs, ys, null));
        Plots.save(Plots.chart(new Plots.Axes("Processing time on netty: burst of k broadcasts, 2-node ring",
                "burst size k", "time until node 1 delivered all k, us", false, false), series), dir.path(), "processing");
        double[] cdfY = new double[100];
        double[] cdfFlood = new double[100];
        double[] cdfToken = new double[100];
        for (int i = 0; i < 100; i++) {
            cdfY[i] = (i + 1) / 100.0;
            cdfFlood[i] = quantile(sorted, cdfY[i]) / 1e3;
            cdfToken[i] = quantile(token, cdfY[i]) / 1e3;
        }
        Plots.save(Plots.chart(new Plots.Axes("Hop latency on netty (ring, n=" + nodes + "): empirical CDF",
                "hop latency, us (log)", "fraction of hops", true, false),
                List.of(new Plots.Series("flood hops, idle between broadcasts (latency.txt)", cdfFlood, cdfY, null),
                        new Plots.Series("token hops, hot ring", cdfToken, cdfY, null))),
                dir.path(), "hop-latency");

        ObjectNode run = new ObjectMapper().createObjectNode();
        run.put("experiment", "calibrate");
        run.put("version", Main.version());
        run.put("command", command);
        run.put("started_at", started.toString());
        run.put("java", Runtime.version().toString());
        run.put("cores", Runtime.getRuntime().availableProcessors());
        run.put("engine", realEngine().name());
        run.put("nodes", nodes);
        run.put("rotations", rotations);
        run.put("seed", seed);
        run.put("passes", passes());
        ArrayNode b = run.putArray("bursts");
        bursts.forEach(b::add);
        run.put("reps", reps);
        run.put("hop_samples", hops.length);
        run.put("flood_broadcasts", FLOOD_BROADCASTS);
        run.put("flood_clusters", floodClusters());
        run.put("token_hop_samples", token.length);
        run.put("token_hop_latency_us_p50", quantile(token, 0.5) / 1e3);
        run.put("hop_latency_us_p50", quantile(sorted, 0.5) / 1e3);
        run.put("hop_latency_us_p99", quantile(sorted, 0.99) / 1e3);
        run.put("hop_latency_us_mean", Arrays.stream(hops).average().orElse(Double.NaN) / 1e3);
        run.put("latency_file", "latency.txt");
        run.put("processing_ns", Math.round(slope));
        run.put("fit_intercept_ns", fit.getIntercept());
        run.put("fit_r2", fit.getRSquare());

        // The engine model (--model calibrated:DIR), every part from what was measured here.
        long[] respawnCall = new long[respawns];
        long[] handshake = new long[respawns];
        long[] respawnAccept = new long[respawns];
        for (int r = 0; r < respawns; r++) {
            Respawn rs = respawn(quantile(token, 0.5));
            respawnCall[r] = rs.callNanos();
            handshake[r] = rs.handshakeNanos();
            respawnAccept[r] = rs.acceptNanos();
        }
        Arrays.sort(respawnCall);
        Arrays.sort(handshake);
        Arrays.sort(respawnAccept);
        err.printf(Locale.ROOT, "calibrate: respawn call median %.1f ms, redial-free link up %.2f ms after it%n",
                quantile(respawnCall, 0.5) / 1e6, quantile(handshake, 0.5) / 1e6);
        // The neighbour's redials: outages of 200..1,500 ms (from the seed), each round its own run seed and so its
        // own jitter; the per-attempt lateness is fitted on top of the seeded schedule.
        RuntimeConfig rc = RuntimeConfig.defaults();
        EngineModel.Restart schedule = new EngineModel.Restart(rc.backoffBaseNanos(), rc.backoffMaxNanos(),
                quantile(handshake, 0.5), quantile(respawnCall, 0.5));
        List<Redialed> redials = new ArrayList<>();
        java.util.SplittableRandom outages = new java.util.SplittableRandom(seed ^ 0x72656469616cL);
        ArrayNode redialJson = run.putArray("redial_rounds");
        for (int r = 0; r < 2 * respawns; r++) {
            long down = TimeUnit.MILLISECONDS.toNanos(200 + outages.nextLong(1_301));
            Redialed x = redial(seed + 1 + r, down, quantile(token, 0.5));
            redials.add(x);
            ObjectNode j = redialJson.addObject();
            j.put("seed", x.seed());
            j.put("down_ms", x.downNanos() / 1e6);
            j.put("restart_call_ms", x.callNanos() / 1e6);
            j.put("up_ms", x.upNanos() / 1e6);
            j.put("schedule_ms", schedule.neighbourDialDelay(x.downNanos(), x.callNanos(), 0, 0, x.seed(), 0, 1) / 1e6);
        }
        RedialFit redialFit = fitRedial(schedule, redials);
        long dialNanos = redialFit.dialNanos();
        long acceptNanos = redialFit.acceptNanos();
        for (int r = 0; r < redials.size(); r++) {
            Redialed x = redials.get(r);
            ((ObjectNode) redialJson.get(r)).put("model_ms",
                    schedule.neighbourDialDelay(x.downNanos(), x.callNanos(), dialNanos, acceptNanos, x.seed(), 0, 1) / 1e6);
        }
        err.printf(Locale.ROOT, "calibrate: a neighbour's redial attempt %.2f ms later than its backoff alone, a respawned node taking "
                + "connections %.0f ms before its restart call returns (%d of %d outages of 200..1,500 ms predicted within %.1f ms)%s%n",
                dialNanos / 1e6, acceptNanos / 1e6, redialFit.predicted(), redialFit.rounds(),
                Math.max(2_000_000, schedule.handshakeNanos() / 2) / 1e6, respawnAccept[0] < 0 ? ""
                        : String.format(Locale.ROOT, "; bound %.0f ms before the call returned (median, engine-measured)",
                                quantile(respawnAccept, 0.5) / 1e6));

        // Per-message CPU cost when messages are not batched: flood completion on complete graphs of k nodes
        // (k(k-1) messages, each its own write, wake-up and read) against the message count; the executors
        // share the cores, so the work of M messages takes M·s/cores and s = cores · slope.
        List<double[]> fanPoints = new ArrayList<>();
        List<List<Object>> fanRows = new ArrayList<>();
        List<List<Object>> fanSamples = new ArrayList<>();
        long[] fanMedians = new long[FANOUT_SIZES.length];
        for (int i = 0; i < FANOUT_SIZES.length; i++) {
            int k = FANOUT_SIZES[i];
            long[] t = fanout(k);
            for (int r = 0; r < t.length; r++) {
                fanSamples.add(List.of(k, r, t[r] / 1e3));
                fanPoints.add(new double[] {(double) k * (k - 1), t[r]});
            }
            Arrays.sort(t);
            long median = t[t.length / 2];
            fanMedians[i] = median;
            fanRows.add(List.of(k, k * (k - 1), median / 1e3, t[0] / 1e3, t[t.length - 1] / 1e3));
            err.printf(Locale.ROOT, "calibrate: flood on complete:%d (%d messages): median completion %.1f us%n", k, k * (k - 1),
                    median / 1e3);
            err.flush();
        }
        dir.writeCsv("fanout.csv", List.of("k", "messages", "completion_us_median", "completion_us_min", "completion_us_max"), fanRows);
        dir.writeCsv("fanout-samples.csv", List.of("k", "rep", "completion_us"), fanSamples);
        int cores = Runtime.getRuntime().availableProcessors();
        double fanSlope = theilSenSlope(fanPoints);
        long service = Math.max(0, Math.round(fanSlope * cores));
        run.put("fanout_slope_ns_per_message", fanSlope);
        run.put("fanout_fit", "theil-sen");
        run.put("fanout_floods_per_size", floodReps());
        run.put("service_ns", service);
        // A hop on a hot ring is link + the receiver's recv + its one send: the hot link is the rest. The
        // complete graphs measure recv + send and cannot split them; the star floods below do (fitSplit).
        // On netty the token's hops within one event loop and across loops differ by the wake-up of the parked
        // loop the token enters, which the writing loop pays (wakeSend): hot links are the hops within a loop, and
        // the wake-up is the model's cpu.wake_send_ns. On processes every hop enters a parked JVM: the hot links
        // keep the wake-up, and the model has no separate cost for it.
        long wakeSend = tokenHops.wakeSendNanos();
        long[] hotHops = wakeSend > 0 ? tokenHops.same() : token;
        long[] hot = Arrays.stream(hotHops).map(h -> Math.max(HOT_LINK_FLOOR_NANOS, h - service)).toArray();
        writeLatencyFile(dir.resolve("hot-latency.txt"), hot, command, realEngine().name()
                + ", loopback TCP, token hops on a ring " + (wakeSend > 0 ? "within one event loop " : "")
                + "less the service time: the model's hot links");
        run.put("token_hop_same_executor_samples", tokenHops.same().length);
        run.put("token_hop_same_executor_us_p50", tokenHops.same().length == 0 ? null : quantile(tokenHops.same(), 0.5) / 1e3);
        run.put("token_hop_cross_executor_samples", tokenHops.cross().length);
        run.put("token_hop_cross_executor_us_p50", tokenHops.cross().length == 0 ? null : quantile(tokenHops.cross(), 0.5) / 1e3);
        run.put("wake_send_ns", wakeSend);
        if (wakeSend > 0) {
            err.printf(Locale.ROOT, "calibrate: token hops within an event loop median %.1f us, into another loop %.1f us: a send "
                    + "that wakes a parked loop costs %.1f us more%n", quantile(tokenHops.same(), 0.5) / 1e3,
                    quantile(tokenHops.cross(), 0.5) / 1e3, wakeSend / 1e3);
        }
        boolean processes = realEngine().name().equals("processes");
        EngineModel.Cpu cpu = new EngineModel.Cpu(placement.executors(), placement.cores(), service / 2, service - service / 2,
                placement.blocks(), wakeSend);
        // Cold start: the same ring floods after shorter quiet gaps, and the idle ring's own (the settle's gap).
        List<ColdPoint> coldPoints = new ArrayList<>();
        List<List<Object>> coldRows = new ArrayList<>();
        // The first delivery on an executor is a hop into a parked executor: its excess is over such a hop (the
        // model charges that hop's wake-up as wake_send already).
        long hotHop = quantile(tokenHops.cross().length > 0 ? tokenHops.cross() : token, 0.5);
        // An executor's second piece of work after quiet is slow too (a hop within its loop): over the hot hop within one.
        long sameHop = tokenHops.same().length > 0 ? quantile(tokenHops.same(), 0.5) : -1;
        for (long gap : COLD_GAPS_NANOS) {
            coldPoints.add(coldPoint(floodRun(COLD_BROADCASTS, gap), COLD_BROADCASTS / 5, cpu, hotHop, sameHop));
        }
        coldPoints.add(coldPoint(idleRing, FLOOD_BROADCASTS / 5, cpu, hotHop, sameHop));
        coldPoints = leaveOutStalls(coldPoints);
        ArrayNode stallJson = run.putArray("cold_stalls");
        int coldSamples = 0;
        for (ColdPoint p : coldPoints) {
            coldSamples += p.stalls().size();
            for (long[] set : sampleSets(p)) {
                coldSamples += set.length;
            }
            for (Stall st : p.stalls()) {
                stallJson.addObject().put("quiet_ms", p.quietNanos() / 1e6).put("kind", st.kind()).put("us", st.nanos() / 1e3);
                err.printf(Locale.ROOT, "calibrate: after %.1f ms quiet: a stall of %.1f us (%s) left out of the cold-start table: "
                        + "over 1 ms and its set's far-out fence, alone in a set too small to weigh it%n", p.quietNanos() / 1e6,
                        st.nanos() / 1e3, st.kind());
            }
        }
        run.put("cold_samples", coldSamples);
        for (ColdPoint p : coldPoints) {
            boolean second = p.second().length > 0;
            boolean afterRequest = p.secondAfterRequest().length > 0;
            coldRows.add(List.of(p.quietNanos() / 1e6, p.injectNanos() / 1e3, p.deliveryNanos() / 1e3, p.injectSamples(),
                    p.deliverySamples(), quantile(p.inject(), 0.9) / 1e3, p.inject()[p.injectSamples() - 1] / 1e3,
                    quantile(p.delivery(), 0.9) / 1e3, p.delivery()[p.deliverySamples() - 1] / 1e3,
                    second ? p.secondNanos() / 1e3 : "", p.second().length, second ? quantile(p.second(), 0.9) / 1e3 : "",
                    afterRequest ? quantile(p.secondAfterRequest(), 0.5) / 1e3 : "", p.secondAfterRequest().length,
                    afterRequest ? quantile(p.secondAfterRequest(), 0.9) / 1e3 : "",
                    p.hasCoreWake() ? p.coreWakeNanos() / 1e3 : "", p.coreWake().length, p.hasCoreWake() ? p.coreSecondNanos() / 1e3 : "",
                    p.stalls().size()));
            if (p.hasCoreWake()) {
                err.printf(Locale.ROOT, "calibrate: after %.1f ms quiet: the slower of the first two loops entered +%.1f us over the faster "
                        + "(a core wake), its second hop +%.1f us (medians of %d floods)%n", p.quietNanos() / 1e6,
                        p.coreWakeNanos() / 1e3, p.coreSecondNanos() / 1e3, p.coreWake().length);
            }
            if (second) {
                err.printf(Locale.ROOT, "calibrate: after %.1f ms quiet: an executor's second delivery +%.1f us over a hop within a loop "
                        + "(p90 %.1f)%s%n", p.quietNanos() / 1e6, p.secondNanos() / 1e3, quantile(p.second(), 0.9) / 1e3,
                        afterRequest ? String.format(Locale.ROOT, "; on the origin's loop, after the request, +%.1f us (p90 %.1f)",
                                quantile(p.secondAfterRequest(), 0.5) / 1e3, quantile(p.secondAfterRequest(), 0.9) / 1e3) : "");
            }
            err.printf(Locale.ROOT, "calibrate: after %.1f ms quiet: injection to the origin %.1f us (max %.1f), first delivery on an "
                    + "executor +%.1f us over the hot hop (p90 %.1f, max %.1f)%n", p.quietNanos() / 1e6, p.injectNanos() / 1e3,
                    p.inject()[p.injectSamples() - 1] / 1e3, p.deliveryNanos() / 1e3, quantile(p.delivery(), 0.9) / 1e3,
                    p.delivery()[p.deliverySamples() - 1] / 1e3);
        }
        err.flush();
        dir.writeCsv("cold.csv", List.of("quiet_ms_median", "inject_us_median", "first_delivery_excess_us_median", "inject_samples",
                "delivery_samples", "inject_us_p90", "inject_us_max", "first_delivery_excess_us_p90",
                "first_delivery_excess_us_max", "second_work_excess_us_median", "second_work_samples", "second_work_excess_us_p90",
                "second_after_request_excess_us_median", "second_after_request_samples", "second_after_request_excess_us_p90",
                "core_wake_us_median", "core_wake_samples", "core_second_us_median", "stalls_left_out"), coldRows);
        EngineModel.Cold cold = coldTable(coldPoints);
        // The core wake's samples, per point, as measured (the model keeps them too, a second part below 0 as 0).
        ArrayNode coreJson = run.putArray("core_wake_samples");
        for (ColdPoint p : coldPoints) {
            ObjectNode j = coreJson.addObject().put("quiet_ms", p.quietNanos() / 1e6);
            ArrayNode w = j.putArray("wake_us");
            ArrayNode s2 = j.putArray("second_us");
            for (long v : p.coreWake()) {
                w.add(v / 1e3);
            }
            for (long v : p.coreSecond()) {
                s2.add(v / 1e3);
            }
        }
        // The receive/send split: star floods on the engine, then the same on the simulator for each candidate.
        int[] leaves = processes ? STAR_LEAVES_PROCESSES : STAR_LEAVES;
        long[] starMedians = new long[leaves.length];
        for (int i = 0; i < leaves.length; i++) {
            try (Cluster c = realEngine().build(RunSpec.of(star(leaves[i]), Flood.PROTOCOL, seed))) {
                long[] t = floodCompletions(c, floodReps(), this::warmUpProcesses);
                Arrays.sort(t);
                starMedians[i] = t[t.length / 2];
            }
            err.printf(Locale.ROOT, "calibrate: flood on a star of %d leaves: median completion %.1f us%n", leaves[i],
                    starMedians[i] / 1e3);
            err.flush();
        }
        List<SplitFit> fits = fitSplit(service, starMedians, leaves, cpu,
                dev.ringlab.node.spec.LinkModels.empirical("hot", hot), cold, seed, floodReps());
        SplitFit best = fits.get(0);
        List<List<Object>> splitRows = new ArrayList<>();
        List<Object> measuredRow = new ArrayList<>(List.of("measured", "", ""));
        for (long m : starMedians) {
            measuredRow.add(m / 1e3);
        }
        splitRows.add(measuredRow);
        for (SplitFit f : fits) {
            List<Object> row = new ArrayList<>(List.of(f.recvNanos() / 1e3, f.sendNanos() / 1e3, f.error()));
            for (long m : f.modelMedians()) {
                row.add(m / 1e3);
            }
            splitRows.add(row);
        }
        List<String> splitHeader = new ArrayList<>(List.of("recv_us", "send_us", "error_sum_sq_log"));
        for (int k : leaves) {
            splitHeader.add("star" + k + "_completion_us");
        }
        dir.writeCsv("split.csv", splitHeader, splitRows);
        err.printf(Locale.ROOT, "calibrate: service %.1f us split as receive %.1f us + send %.1f us (star fit, error %.3f)%n",
                service / 1e3, best.recvNanos() / 1e3, best.sendNanos() / 1e3, best.error());
        err.flush();
        cpu = new EngineModel.Cpu(cpu.executors(), cpu.cores(), best.recvNanos(), best.sendNanos(), cpu.blocks(), cpu.wakeSendNanos());
        ObjectNode sj = run.putObject("split_fit");
        sj.put("recv_ns", best.recvNanos());
        sj.put("send_ns", best.sendNanos());
        sj.put("error", best.error());
        ArrayNode sl = sj.putArray("star_leaves");
        ArrayNode sm = sj.putArray("star_measured_us");
        ArrayNode sp = sj.putArray("star_model_us");
        for (int i = 0; i < leaves.length; i++) {
            sl.add(leaves[i]);
            sm.add(starMedians[i] / 1e3);
            sp.add(best.modelMedians()[i] / 1e3);
        }
        SizeParts bySize = sizeParts(dir, run, err);
        EngineModel.Timers timers = bySize.timers();
        EngineModel model = new EngineModel(realEngine().name(), null, cpu, null, cold,
                new EngineModel.Restart(schedule.backoffBaseNanos(), schedule.backoffMaxNanos(), schedule.handshakeNanos(),
                        schedule.respawnNanos(), dialNanos, acceptNanos, bySize.restart()),
                machine(loadAtStart)).withTimers(timers);
        model.save(dir.path(), "hot-latency.txt", command);
        LoadFit fitted = loadFit(dir, run, err, EngineModel.load(dir.path()), command);
        EngineModel.Load load = fitted == null ? null : fitted.load();
        if (fitted != null) {
            cpu = fitted.cpu();
            model = new EngineModel(model.engine(), null, cpu, null, cold, model.restart(), model.machine()).withLoad(load)
                    .withTimers(timers);
            model.save(dir.path(), "hot-latency.txt", command);
        }
        selfCheck(dir, run, err, EngineModel.load(dir.path()), fanMedians, leaves, starMedians, idleRing);
        ObjectNode mj = run.putObject("model");
        mj.put("file", EngineModel.FILE);
        mj.put("describe", model.describe());
        mj.put("respawn_call_ms_p50", quantile(respawnCall, 0.5) / 1e6);
        mj.put("respawn_handshake_ms_p50", quantile(handshake, 0.5) / 1e6);
        mj.put("redial_late_ms", dialNanos / 1e6);
        mj.put("accept_before_return_ms", acceptNanos / 1e6);
        if (respawnAccept[0] >= 0) {
            mj.put("respawn_bound_before_return_ms_p50", quantile(respawnAccept, 0.5) / 1e6);
        } else {
            mj.putNull("respawn_bound_before_return_ms_p50");
        }
        mj.put("redial_rounds_predicted", redialFit.predicted());
        ObjectNode mm = mj.putObject("machine");
        model.machine().forEach(mm::put);
        run.putArray("files").add("latency.txt").add("hop-latency.csv").add("burst.csv").add("processing.png")
                .add("processing.svg").add("hop-latency.png").add("hop-latency.svg").add(EngineModel.FILE).add("hot-latency.txt").add("fanout.csv").add("fanout-samples.csv").add("cold.csv").add("split.csv").add("self-check.csv");
        if (load != null) {
            run.withArray("files").add("load.csv");
        }
        if (timers != null) {
            run.withArray("files").add("timers.csv");
        }
        if (bySize.restart() != null) {
            run.withArray("files").add("restarts.csv");
        }
        dir.writeRunJson(run);
        return new Calibration(dir.path(), latency, quantile(sorted, 0.5), quantile(sorted, 0.99), slope,
                fit.getIntercept(), fit.getRSquare());
    }

    /** Nodes of the complete graph the load streams run on (a size {@code fanout} also floods). */
    static final int LOAD_NODES = 16;
    /** Seconds of each load stream. */
    static final int LOAD_SECONDS = 1;
    /** Time constant of the model's per-executor rate estimate: long next to one isolated flood, short next to a stream. */
    static final long LOAD_WINDOW_NANOS = 10_000_000L;
    /** Broadcasts per second of the quiet stream the load part's quiet factor is fitted on: 250 ms apart on average. */
    static final double QUIET_RATE = 4;
    /** Seconds of the quiet stream (about 32 floods, 7,700 messages on complete:16). */
    static final int QUIET_SECONDS = 8;
    /** The quiet factor's bisection bounds. */
    static final double QUIET_FACTOR_MIN = 0.5;
    static final double QUIET_FACTOR_MAX = 4;

    /**
     * The load part ({@link EngineModel.Load}): Poisson streams of {@code --load-rates} broadcasts per second on
     * complete:{@value #LOAD_NODES}, each run by the {@code broadcast} command itself, as {@code fidelity} runs its
     * streams, once on the engine (its event loops' CPU per message) and then on the simulator with {@code model}.
     * The first rate anchors the table: its factor is 1, and the model's receive and send times are scaled together
     * (bisected) until its CPU per message on that stream is the engine's. That CPU figure is steadier than the flood
     * slope the service came from (11.1-16.7 us in nine netty calibrations on 2026-12-06, where the slope's service
     * was 7.7-20.5 us), and calibrations whose service came out low underpredicted every broadcast; the hot links
     * stay as the token ring and the unscaled service made them. For each further rate, in turn, the factor is
     * bisected until the model's CPU per message on the same stream (same seed, the factors before it fixed) equals
     * the engine's. A point's rate is the executor's: the messages the engine sent per second of the stream over the
     * executors.
     *
     * <p>Between the anchor and the further rates, the <b>quiet factor</b> ({@link EngineModel.Load#quietFactor}): a
     * stream of {@value #QUIET_RATE} broadcasts per second for {@value #QUIET_SECONDS} s on the same graph, each flood
     * after about 250 ms of quiet, as {@code fidelity}'s single broadcasts run, measured on the engine; the factor on
     * the service times at rate 0 is bisected in [{@value #QUIET_FACTOR_MIN}, {@value #QUIET_FACTOR_MAX}] until the
     * model's CPU per message on that stream (same seed, only the anchor point in the table) is the loops'. The
     * further rates are then fitted with it in place. Writes {@code load.csv} and run.json's {@code load_fit} (with
     * {@code service_scale} and {@code quiet}), prints its lines; null (no load part, no scaling) with
     * {@code --load-rates none}, on processes (not tried there: its JVMs' CPU per message is several times its floods'
     * service), or when the engine gave no CPU figure.
     */
    private LoadFit loadFit(ResultsDir dir, ObjectNode run, PrintWriter err, EngineModel model, String command) {
        List<Double> rates = loadRates();
        if (rates.isEmpty()) {
            return null;
        }
        if (realEngine().name().equals("processes")) {
            // Not tried on processes: its CPU figure (the node JVMs', every thread) on complete:16 was 131 us per
            // message at 20 broadcasts/s, three times its floods' service, and 200/s saturated the 16 JVMs (2026-12-06):
            // neither the anchor nor netty's default rates carry over.
            err.println("calibrate: load: not fitted on processes (its JVMs' CPU per message is not the floods' service, "
                    + "and netty's rates saturate it), so the model has no load part and keeps the slope's service");
            err.flush();
            run.putNull("load_fit");
            return null;
        }
        int executors = model.cpu().executorCount(LOAD_NODES);
        double seconds = LOAD_SECONDS;
        double[] measuredCpu = new double[rates.size()];
        double[] measuredP50 = new double[rates.size()];
        double[] execRate = new double[rates.size()];
        for (int i = 0; i < rates.size(); i++) {
            JsonStream m = stream(rates.get(i), realEngine().name(), null);
            if (m.cpuUsPerMsg() == null) {
                err.println("calibrate: load: " + realEngine().name() + " has no CPU figure, so the model has no load part");
                err.flush();
                run.putNull("load_fit");
                return null;
            }
            measuredCpu[i] = m.cpuUsPerMsg();
            measuredP50[i] = m.p50Ms();
            execRate[i] = m.messages() / seconds / executors;
            err.printf(Locale.ROOT, "calibrate: load stream %s/s on complete:%d: %.1f us of CPU per message, %.0f messages/s per loop%n",
                    fmtRate(rates.get(i)), LOAD_NODES, measuredCpu[i], execRate[i]);
            err.flush();
        }
        JsonStream quietMeasured = stream(QUIET_RATE, QUIET_SECONDS, realEngine().name(), null);
        if (quietMeasured.cpuUsPerMsg() == null) {
            throw new IllegalStateException("the quiet stream on " + realEngine().name() + " gave no CPU figure where the load "
                    + "streams did");
        }
        err.printf(Locale.ROOT, "calibrate: quiet stream %s/s on complete:%d for %d s: %.1f us of CPU per message%n", fmtRate(QUIET_RATE),
                LOAD_NODES, QUIET_SECONDS, quietMeasured.cpuUsPerMsg());
        err.flush();
        for (int i = 1; i < execRate.length; i++) {
            if (!(execRate[i] > execRate[i - 1])) {
                err.printf(Locale.ROOT, "calibrate: load: the streams' message rates did not rise with their broadcast rates (%s), so "
                        + "the model has no load part%n", Arrays.toString(execRate));
                err.flush();
                run.putNull("load_fit");
                return null;
            }
        }
        double[] factor = new double[rates.size()];
        double[] modelCpu = new double[rates.size()];
        double[] modelP50 = new double[rates.size()];
        factor[0] = 1;
        Path tmp;
        try {
            tmp = Files.createTempDirectory("ringlab-calibrate-load");
            Files.copy(dir.path().resolve("hot-latency.txt"), tmp.resolve("hot-latency.txt"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare the load fit's model directory: " + e.getMessage(), e);
        }
        EngineModel.Cpu unscaled = model.cpu();
        double scale = 1;
        double quiet = 1;
        JsonStream quietFlat = null;
        JsonStream quietModel = null;
        try {
            // The anchor: the service (receive and send) scaled until the model's CPU per message on the first stream is
            // the loops' (bisection in log scale over [1/4, 4]).
            EngineModel anchorModel = model;
            scale = bisectLog(0.25, 4, measuredCpu[0], x -> {
                withCpu(anchorModel, scaledCpu(unscaled, x)).save(tmp, "hot-latency.txt", command + " (load fit)");
                return stream(rates.get(0), "sim", tmp).cpuUsPerMsg();
            });
            withCpu(model, unscaled).save(tmp, "hot-latency.txt", command + " (load fit)");
            double unscaledCpu = stream(rates.get(0), "sim", tmp).cpuUsPerMsg();
            model = withCpu(model, scaledCpu(unscaled, scale));
            err.printf(Locale.ROOT, "calibrate: load: service x%.2f (%.1f -> %.1f us) so that the model's CPU per message on the %s/s "
                    + "stream, %.1f us unscaled, is the loops' %.1f us%n", scale, (unscaled.recvNanos() + unscaled.sendNanos()) / 1e3,
                    (model.cpu().recvNanos() + model.cpu().sendNanos()) / 1e3, fmtRate(rates.get(0)), unscaledCpu, measuredCpu[0]);
            err.flush();
            // The quiet factor: the service at rate 0 scaled until the model's CPU per message on the quiet stream is the
            // loops', with the anchor's point alone in the table.
            double[] anchorRate = {execRate[0]};
            double[] anchorFactor = {1};
            model.withLoad(new EngineModel.Load(LOAD_WINDOW_NANOS, anchorRate, anchorFactor)).save(tmp, "hot-latency.txt",
                    command + " (load fit)");
            quietFlat = stream(QUIET_RATE, QUIET_SECONDS, "sim", tmp);
            EngineModel scaledModel = model;
            quiet = bisectLog(QUIET_FACTOR_MIN, QUIET_FACTOR_MAX, quietMeasured.cpuUsPerMsg(), x -> {
                scaledModel.withLoad(new EngineModel.Load(LOAD_WINDOW_NANOS, anchorRate, anchorFactor, x)).save(tmp, "hot-latency.txt",
                        command + " (load fit)");
                return stream(QUIET_RATE, QUIET_SECONDS, "sim", tmp).cpuUsPerMsg();
            });
            model.withLoad(new EngineModel.Load(LOAD_WINDOW_NANOS, anchorRate, anchorFactor, quiet)).save(tmp, "hot-latency.txt",
                    command + " (load fit)");
            quietModel = stream(QUIET_RATE, QUIET_SECONDS, "sim", tmp);
            err.printf(Locale.ROOT, "calibrate: load: quiet factor x%.2f on the service at rate 0, so that the model's CPU per message "
                    + "on the quiet stream, %.1f us without it, is the loops' %.1f us (now %.1f)%s%n", quiet, quietFlat.cpuUsPerMsg(),
                    quietMeasured.cpuUsPerMsg(), quietModel.cpuUsPerMsg(),
                    quiet < QUIET_FACTOR_MIN * 1.01 || quiet > QUIET_FACTOR_MAX / 1.01 ? " (at the bisection's bound: not matched)" : "");
            err.flush();
            for (int i = 0; i < rates.size(); i++) {
                double lo = 0.02;
                double hi = 2.0;
                JsonStream last = null;
                for (int it = 0; it < (i == 0 ? 1 : LOAD_BISECTIONS); it++) {
                    if (i > 0) {
                        factor[i] = Math.sqrt(lo * hi); // bisection in log factor
                    }
                    EngineModel.Load candidate = new EngineModel.Load(LOAD_WINDOW_NANOS, Arrays.copyOf(execRate, i + 1),
                            Arrays.copyOf(factor, i + 1), quiet);
                    model.withLoad(candidate).save(tmp, "hot-latency.txt", command + " (load fit)");
                    last = stream(rates.get(i), "sim", tmp);
                    if (last.cpuUsPerMsg() > measuredCpu[i]) {
                        hi = factor[i];
                    } else {
                        lo = factor[i];
                    }
                }
                modelCpu[i] = last.cpuUsPerMsg();
                modelP50[i] = last.p50Ms();
            }
        } finally {
            deleteTree(tmp);
        }
        List<List<Object>> rows = new ArrayList<>();
        ObjectNode fitJson = run.putObject("load_fit").put("window_ms", LOAD_WINDOW_NANOS / 1e6).put("nodes", LOAD_NODES)
                .put("duration_s", seconds).put("service_scale", scale)
                .put("service_before_ns", unscaled.recvNanos() + unscaled.sendNanos())
                .put("service_ns", model.cpu().recvNanos() + model.cpu().sendNanos());
        fitJson.putObject("quiet").put("broadcasts_per_s", QUIET_RATE).put("duration_s", QUIET_SECONDS).put("quiet_factor", quiet)
                .put("measured_cpu_us_per_msg", quietMeasured.cpuUsPerMsg())
                .put("model_cpu_us_per_msg_without", quietFlat.cpuUsPerMsg()).put("model_cpu_us_per_msg", quietModel.cpuUsPerMsg())
                .put("measured_latency_ms_p50", quietMeasured.p50Ms()).put("model_latency_ms_p50_without", quietFlat.p50Ms())
                .put("model_latency_ms_p50", quietModel.p50Ms());
        ArrayNode json = fitJson.putArray("streams");
        StringBuilder line = new StringBuilder("calibrate: load: CPU per message, engine vs model (factor):");
        for (int i = 0; i < rates.size(); i++) {
            rows.add(List.of(rates.get(i), execRate[i], measuredCpu[i], modelCpu[i], factor[i], measuredP50[i], modelP50[i]));
            json.addObject().put("broadcasts_per_s", rates.get(i)).put("executor_messages_per_s", execRate[i])
                    .put("measured_cpu_us_per_msg", measuredCpu[i]).put("model_cpu_us_per_msg", modelCpu[i]).put("factor", factor[i])
                    .put("measured_latency_ms_p50", measuredP50[i]).put("model_latency_ms_p50", modelP50[i]);
            line.append(String.format(Locale.ROOT, " %s/s %.1f vs %.1f us (x%.2f)", fmtRate(rates.get(i)), measuredCpu[i], modelCpu[i],
                    factor[i]));
        }
        dir.writeCsv("load.csv", List.of("broadcasts_per_s", "executor_messages_per_s", "measured_cpu_us_per_msg",
                "model_cpu_us_per_msg", "factor", "measured_latency_ms_p50", "model_latency_ms_p50"), rows);
        err.println(line);
        err.flush();
        return new LoadFit(model.cpu(), new EngineModel.Load(LOAD_WINDOW_NANOS, execRate, factor, quiet));
    }

    /** What {@link #loadFit} fitted: the service scaled to the first stream's CPU, and the load part. */
    record LoadFit(EngineModel.Cpu cpu, EngineModel.Load load) {}

    private static EngineModel.Cpu scaledCpu(EngineModel.Cpu c, double scale) {
        return new EngineModel.Cpu(c.executors(), c.cores(), Math.round(c.recvNanos() * scale), Math.round(c.sendNanos() * scale),
                c.blocks(), c.wakeSendNanos());
    }

    private static EngineModel withCpu(EngineModel m, EngineModel.Cpu cpu) {
        return new EngineModel(m.engine(), m.hotLink(), cpu, m.wake(), m.cold(), m.restart(), m.machine());
    }

    /** Bisection steps (in log) per factor: [0.02, 2] and the scale's [1/4, 4] shrink to a ratio of about 1.001. */
    static final int LOAD_BISECTIONS = 12;

    /**
     * {@value #LOAD_BISECTIONS} steps of bisection in log scale over [{@code lo}, {@code hi}] for the value whose model
     * CPU per message ({@code cpuAt}, rising with the value) meets {@code target}; returns the last midpoint tried.
     */
    static double bisectLog(double lo, double hi, double target, java.util.function.DoubleUnaryOperator cpuAt) {
        double x = Math.sqrt(lo * hi);
        for (int it = 0; it < LOAD_BISECTIONS; it++) {
            x = Math.sqrt(lo * hi);
            if (cpuAt.applyAsDouble(x) > target) {
                hi = x;
            } else {
                lo = x;
            }
        }
        return x;
    }

    /** What {@link #stream} returns: the broadcast command's CPU per message (null: none), latency p50 and messages. */
    record JsonStream(Double cpuUsPerMsg, double p50Ms, long messages) {}

    /** One load stream through the {@code broadcast} command: on {@code engine}, with the model in {@code modelDir} on sim. */
    private JsonStream stream(double rate, String engineName, Path modelDir) {
        return stream(rate, LOAD_SECONDS, engineName, modelDir);
    }

    /** {@link #stream(double, String, Path)} for {@code seconds} seconds. */
    private JsonStream stream(double rate, int seconds, String engineName, Path modelDir) {
        List<String> args = new ArrayList<>(List.of("--topology", "complete", "-n", String.valueOf(LOAD_NODES), "--rate", fmtRate(rate),
                "--duration", seconds + "s", "--seed", String.valueOf(seed), "--engine", engineName));
        if (modelDir != null) {
            args.addAll(List.of("--model", "calibrated:" + modelDir));
        }
        RecoverRuns.Outcome o = RecoverRuns.run("broadcast", args);
        if (o.exit() != 0 || o.json() == null) {
            throw new IllegalStateException("the load stream at " + fmtRate(rate) + "/s on " + engineName + " failed: " + o.errTail());
        }
        com.fasterxml.jackson.databind.JsonNode cpu = o.json().get("cpu_us_per_msg");
        return new JsonStream(cpu != null && cpu.isNumber() ? cpu.asDouble() : null, o.json().path("latency_ms").path("p50").asDouble(),
                o.json().path("messages").asLong());
    }

    private static String fmtRate(double r) {
        return r == Math.rint(r) ? String.valueOf((long) r) : String.valueOf(r);
    }

    static long quantile(long[] sorted, double p) {
        return Quantiles.nearestRank(sorted, p);
    }

    static final int FLOOD_BROADCASTS = 40;

    /**
     * The model on the calibration's own flood workloads: the complete graphs (whose slope gave the service time),
     * the stars (which split it) and the idle ring (whose floods gave latency.txt and the cold table's point after the
     * settle; row {@code ring:N}), each run on the simulator with the saved model as they ran on the engine (same
     * settles, origin and medians; the ring's floods on the simulator follow 3 warm-up floods, as the others do, not
     * the engine's 8 discarded ones), next to the measured medians. A model that misses its
     * own calibration workloads will miss the topologies fidelity validates on in the same direction: this is
     * the first place to look when it does. Writes {@code self-check.csv} and run.json's {@code self_check}, prints
     * one line.
     */
    private void selfCheck(ResultsDir dir, ObjectNode run, PrintWriter err, EngineModel model, long[] fanMedians, int[] leaves,
            long[] starMedians, FloodRun idleRing) {
        List<List<Object>> rows = new ArrayList<>();
        ArrayNode json = run.putArray("self_check");
        StringBuilder line = new StringBuilder("calibrate: the model on these workloads (flood completion, model vs measured):");
        double[] errors = new double[FANOUT_SIZES.length + leaves.length + 1];
        for (int i = 0; i < errors.length; i++) {
            boolean complete = i < FANOUT_SIZES.length;
            boolean ring = i == errors.length - 1;
            String workload = ring ? "ring:" + nodes : complete ? "complete:" + FANOUT_SIZES[i] : "star:" + leaves[i - FANOUT_SIZES.length];
            long measured = ring ? idleRingCompletion(idleRing, FLOOD_BROADCASTS / 5)
                    : complete ? fanMedians[i] : starMedians[i - FANOUT_SIZES.length];
            long predicted;
            if (ring) {
                // The idle ring's floods (latency.txt and the cold table's settle point come from them), on the model.
                dev.ringlab.sim.SimConfig config = new dev.ringlab.sim.SimConfig(seed, model.hotLink(), 0, 0, model);
                try (Cluster sim = new dev.ringlab.sim.SimCluster(Topologies.build("ring", nodes, seed), Flood.PROTOCOL, config)) {
                    long[] t = floodCompletions(sim, FLOOD_BROADCASTS - FLOOD_BROADCASTS / 5);
                    Arrays.sort(t);
                    predicted = t[t.length / 2];
                }
            } else if (complete) {
                dev.ringlab.sim.SimConfig config = new dev.ringlab.sim.SimConfig(seed, model.hotLink(), 0, 0, model);
                try (Cluster sim = new dev.ringlab.sim.SimCluster(Topologies.build("complete", FANOUT_SIZES[i], seed), Flood.PROTOCOL,
                        config)) {
                    long[] t = floodCompletions(sim, floodReps());
                    Arrays.sort(t);
                    predicted = t[t.length / 2];
                }
            } else {
                // The same star floods the split was fitted on, on the saved model (its service scaled by the load fit).
                dev.ringlab.sim.SimConfig config = new dev.ringlab.sim.SimConfig(seed, model.hotLink(), 0, 0, model);
                try (Cluster sim = new dev.ringlab.sim.SimCluster(star(leaves[i - FANOUT_SIZES.length]), Flood.PROTOCOL, config)) {
                    long[] t = floodCompletions(sim, floodReps());
                    Arrays.sort(t);
                    predicted = t[t.length / 2];
                }
            }
            double error = measured > 0 ? (double) (predicted - measured) / measured : Double.NaN;
            errors[i] = error;
            rows.add(List.of(workload, measured / 1e3, predicted / 1e3, error));
            ObjectNode o = json.addObject();
            o.put("workload", workload);
            o.put("measured_us", measured / 1e3);
            o.put("model_us", predicted / 1e3);
            if (Double.isNaN(error)) {
                o.putNull("rel_error"); // no measured completion to compare with
            } else {
                o.put("rel_error", error);
            }
            line.append(String.format(Locale.ROOT, " %s %+.0f %%", workload, 100 * error));
        }
        dir.writeCsv("self-check.csv", List.of("workload", "measured_completion_us_median", "model_completion_us_median", "rel_error"),
                rows);
        err.println(line);
        String warning = selfCheckWarning(errors, model.cold());
        run.put("self_check_warning", warning);
        if (warning != null) {
            err.println("calibrate: warning: " + warning);
        }
        err.flush();
    }

    /** A self-check error above this (the model slower than measured) counts as too slow. */
    static final double SELF_CHECK_SLOW = 0.5;

    /**
     * The warning for a calibration that caught a noisy spell, or null: when the model is slower than measured
     * by more than {@link #SELF_CHECK_SLOW} on at least half of its own floods. Its cold start then holds
     * millisecond wake-ups the later runs may not see (the spread draws every penalty from those samples), so
     * its predictions come out too slow. Models of a quiet spell err the other way (faster than measured).
     */
    static String selfCheckWarning(double[] errors, EngineModel.Cold cold) {
        int slow = 0;
        double worst = 0;
        for (double e : errors) {
            if (e > SELF_CHECK_SLOW) {
                slow++;
                worst = Math.max(worst, e);
            }
        }
        if (errors.length == 0 || 2 * slow < errors.length) {
            return null;
        }
        StringBuilder w = new StringBuilder(String.format(Locale.ROOT,
                "the model is more than %.0f %% slower than measured on %d of its %d own floods (up to %+.0f %%)",
                100 * SELF_CHECK_SLOW, slow, errors.length, 100 * worst));
        if (cold != null && cold.spread()) {
            int last = cold.idleNanos().length - 1;
            long[] d = cold.deliverySamples()[last];
            long stalls = Arrays.stream(d).filter(x -> x > 1_000_000L).count();
            w.append(String.format(Locale.ROOT, "; %d of the %d first deliveries after %.0f ms of quiet took over 1 ms more than a hot hop",
                    stalls, d.length, cold.idleNanos()[last] / 1e6));
        }
        return w.append(": the calibration probably caught a noisy spell, and its predictions will be too slow (p99 above all). "
                + "Calibrate again on a quiet machine.").toString();
    }

    /**
     * The median completion (last delivery less the injection) of the idle ring's floods after the first {@code warm}:
     * the self-check's measured ring row.
     */
    static long idleRingCompletion(FloodRun r, int warm) {
        long[] t = new long[r.at().length - warm];
        for (int b = warm; b < r.at().length; b++) {
            t[b - warm] = Arrays.stream(r.at()[b]).max().orElseThrow() - r.injectedAt()[b];
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }

    /** Complete-graph sizes of the unbatched per-message cost fit (none is a topology fidelity validates on). */
    static final int[] FANOUT_SIZES = {4, 8, 12, 16};

    /**
     * Measured floods per complete graph and per star: 2 x {@code --reps} + 1 (15 by default). A flood's completion
     * after quiet is bimodal on this 2-core VM: most floods finish at the cost of their messages, a sixth to two
     * fifths of them 1.2-2 ms later (not examined; likely a parked thread waking late), and a median of 7 fell in
     * either mode. Drawn 300 times from 30 floods per size (2026-12-06, netty), the fitted service spread over
     * 10.1-20.2 us (5th-95th percentile) from 7 floods and a median line, and 11.4-13.8 us from 15 floods and the
     * Theil-Sen line.
     */
    int floodReps() {
        return 2 * reps + 1;
    }

    /**
     * Flood completion times on {@code complete:k}: 3 warm-up floods, then {@link #floodReps()} measured ones, each
     * from node 0 after the previous one went quiet; completion is the last delivery less the injection.
     */
    private long[] fanout(int k) {
        try (Cluster c = realEngine().build(RunSpec.of(Topologies.build("complete", k, seed), Flood.PROTOCOL, seed))) {
            return floodCompletions(c, floodReps(), this::warmUpProcesses);
        }
    }

    /**
     * The Theil-Sen slope of {@code points} ({x, y} pairs): the median of the slopes of all pairs with distinct x
     * (the lower median of an even count). Half the points can sit in a slow mode before it moves far, where a
     * least-squares line through per-size medians moves as soon as one size's median changes mode. Commons Math has
     * no Theil-Sen estimator; with 60 points this is 1,350 slopes.
     */
    static double theilSenSlope(List<double[]> points) {
        int n = points.size();
        double[] slopes = new double[n * (n - 1) / 2];
        int m = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double dx = points.get(j)[0] - points.get(i)[0];
                if (dx != 0) {
                    slopes[m++] = (points.get(j)[1] - points.get(i)[1]) / dx;
                }
            }
        }
        if (m == 0) {
            throw new IllegalArgumentException("a Theil-Sen slope needs two points with different x, got " + n + " points");
        }
        Arrays.sort(slopes, 0, m);
        return slopes[(m - 1) / 2];
    }

    /**
     * Flood completion times on {@code c} (unstarted; a real engine or the simulator): 3 warm-up floods, then
     * {@code reps} measured ones, each from node 0 after the previous one went quiet; completion is the last
     * delivery less the injection.
     */
    static long[] floodCompletions(Cluster c, int reps) {
        return floodCompletions(c, reps, started -> {});
    }

    /** {@link #floodCompletions(Cluster, int)}, with {@code afterStart} run on the started cluster before anything counts. */
    static long[] floodCompletions(Cluster c, int reps, java.util.function.Consumer<Cluster> afterStart) {
        AtomicLong last = new AtomicLong();
        AtomicInteger delivered = new AtomicInteger();
        long[] out = new long[reps];
        int k = c.size();
        c.start();
        afterStart.accept(c);
        c.addObserver(o -> {
            if (o instanceof Observation.Delivered d) {
                last.accumulateAndGet(d.atNanos(), Math::max);
                delivered.incrementAndGet();
            }
        });
        for (int i = 0; i < 3 + reps; i++) {
            int want = (i + 1) * k;
            long at = c.now();
            c.inject(0, new Message.Inject(i, new byte[16]));
            if (!c.runUntil(() -> delivered.get() >= want, TimeUnit.SECONDS.toNanos(30))) {
                throw new IllegalStateException("a flood on " + k + " nodes did not reach every node in 30 s");
            }
            c.settle(dev.ringlab.node.Cluster.QUIET_NANOS);
            if (i >= 3) {
                out[i - 3] = last.get() - at;
            }
        }
        return out;
    }

    /** Leaves of the star floods that split the service time into receive and send (see {@link #fitSplit}). */
    static final int[] STAR_LEAVES = {8, 16, 32, 48};

    /** The star sizes on processes (one JVM per node: fewer). */
    static final int[] STAR_LEAVES_PROCESSES = {4, 8, 16};

    /** The star: node 0 linked to leaves 1..k (undirected). A flood from 0 is k sends at 0 and one receive per leaf. */
    static dev.ringlab.topology.Overlay star(int k) {
        int[][] adj = new int[k + 1][];
        adj[0] = new int[k];
        for (int v = 1; v <= k; v++) {
            adj[0][v - 1] = v;
            adj[v] = new int[] {0};
        }
        return dev.ringlab.topology.Overlay.fromAdjacency("star:" + k, false, adj);
    }

    /** One candidate split of the service time: receive and send costs, the model's star completions, the error. */
    record SplitFit(long recvNanos, long sendNanos, long[] modelMedians, double error) {}

    /**
     * The receive/send split of the per-message service time {@code service} (from the complete graphs, which
     * see only receive + send). A flood on a star of k leaves is k sends at the centre, one after the other on
     * its executor, and one receive at each leaf: its completion grows with k by about a send. Each candidate
     * split (receive = 0, 5, ..., 100 % of the service) runs the same star floods, with the same settles, on the
     * simulator with the rest of the model (placement, cores, cold start, hot links); the split whose median
     * completions are nearest the measured ones (least squares of the log ratio over the star sizes) wins.
     * Returns every candidate, the best first.
     */
    static List<SplitFit> fitSplit(long service, long[] measuredMedians, int[] leaves, EngineModel.Cpu cpu,
            dev.ringlab.node.spec.LinkModel hotLink, EngineModel.Cold cold, long seed, int reps) {
        List<SplitFit> fits = new ArrayList<>();
        for (int pct = 0; pct <= 100; pct += 5) {
            long recv = service * pct / 100;
            long send = service - recv;
            EngineModel.Cpu c = new EngineModel.Cpu(cpu.executors(), cpu.cores(), recv, send, cpu.blocks(), cpu.wakeSendNanos());
            EngineModel model = new EngineModel("fit", null, c, null, cold, null, Map.of());
            long[] medians = new long[leaves.length];
            double err = 0;
            for (int i = 0; i < leaves.length; i++) {
                dev.ringlab.sim.SimConfig config = new dev.ringlab.sim.SimConfig(seed, hotLink, 0, 0, model);
                long[] t;
                try (Cluster sim = new dev.ringlab.sim.SimCluster(star(leaves[i]), Flood.PROTOCOL, config)) {
                    t = floodCompletions(sim, reps);
                }
                Arrays.sort(t);
                medians[i] = t[t.length / 2];
                double r = Math.log(Math.max(1, medians[i]) / (double) Math.max(1, measuredMedians[i]));
                err += r * r;
            }
            fits.add(new SplitFit(recv, send, medians, err));
        }
        fits.sort(java.util.Comparator.comparingDouble(SplitFit::error));
        return fits;
    }

    /** Smallest hot link latency: a token hop that came out below the service time is not a free link. */
    static final long HOT_LINK_FLOOR_NANOS = 1_000;

    /**
     * Floods on a ring of {@link #nodes}, from node 0, one at a time, {@code gapNanos} of quiet after each has
     * reached every node, on {@link #floodClusters} clusters in turn: each runs its share of the first fifth (the
     * warm-up the callers discard) and then its share of the rest. The arrays hold every cluster's warm-up floods
     * first, then every cluster's measured ones, so a caller that skips the first fifth skips all the warm-up.
     *
     * @param at          per broadcast, per node: when it delivered (on the unidirectional ring node v is hop v)
     * @param sentAt      per broadcast: the origin's send time the deliveries carry
     * @param injectedAt  per broadcast: engine time right before the driver injected it
     * @param quietBefore per broadcast: injection less the last delivery of the cluster's broadcast before it (0 for a
     *                    cluster's first)
     */
    record FloodRun(long[][] at, long[] sentAt, long[] injectedAt, long[] quietBefore) {}

    /**
     * Clusters the flood runs ({@link #floodRun}) are spread over: 4 on netty, 1 on processes (each cluster there
     * is a set of JVMs that starts and warms up for seconds). On netty a cluster's event-loop threads are new, and
     * how they share the cores is the cluster's: one JVM, eight fresh 16-node ring clusters one after another, 32
     * idle floods each after 8 discarded (a probe outside the repository, 2026-12-06 13:23, load 0.2), measured a
     * median hop-8 latency of 500-724 us, one cluster to the next; three calibrations that day, each on one
     * cluster, measured 422, 580 and 735 us, and the experiments' 16-node ring after each 0.61-0.65 ms.
     */
    int floodClusters() {
        return realEngine().name().equals("processes") ? 1 : FLOOD_CLUSTERS;
    }

    /** Clusters of each netty flood run ({@link #floodClusters}). */
    static final int FLOOD_CLUSTERS = 4;

    private FloodRun floodRun(int broadcasts, long gapNanos) {
        int clusters = floodClusters();
        int warm = broadcasts / 5;
        if (warm % clusters != 0 || (broadcasts - warm) % clusters != 0) {
            throw new IllegalStateException(broadcasts + " floods do not split evenly over " + clusters + " clusters");
        }
        int warmEach = warm / clusters;
        int measuredEach = (broadcasts - warm) / clusters;
        long[][] at = new long[broadcasts][nodes];
        long[] sentAt = new long[broadcasts];
        long[] injectedAt = new long[broadcasts];
        long[] quietBefore = new long[broadcasts];
        for (int k = 0; k < clusters; k++) {
            int[] order = new int[warmEach + measuredEach]; // this cluster's slots, in the order it floods them
            for (int j = 0; j < warmEach; j++) {
                order[j] = k * warmEach + j;
            }
            for (int j = 0; j < measuredEach; j++) {
                order[warmEach + j] = warm + k * measuredEach + j;
            }
            AtomicInteger delivered = new AtomicInteger();
            try (Cluster c = realEngine().build(RunSpec.of(Topologies.build("ring", nodes, seed), Flood.PROTOCOL, seed))) {
                c.addObserver(o -> {
                    if (o instanceof Observation.Delivered d && d.id() < broadcasts) {
                        at[(int) d.id()][d.node()] = d.atNanos(); // the id is the slot
                        sentAt[(int) d.id()] = d.sentAtNanos();
                        delivered.incrementAndGet();
                    }
                });
                c.start();
                warmUpProcesses(c); // its broadcasts' ids are above the measured ones, which the observer keeps
                for (int i = 0; i < order.length; i++) {
                    int b = order[i];
                    int want = (i + 1) * nodes;
                    injectedAt[b] = c.now();
                    if (i > 0) {
                        quietBefore[b] = injectedAt[b] - Arrays.stream(at[order[i - 1]]).max().orElseThrow();
                    }
                    c.inject(0, new Message.Inject(b, new byte[16]));
                    if (!c.runUntil(() -> delivered.get() >= want, TimeUnit.SECONDS.toNanos(30))) {
                        throw new IllegalStateException("broadcast " + b + " reached " + (delivered.get() - i * nodes) + " of "
                                + nodes + " nodes in 30 s");
                    }
                    c.runFor(gapNanos);
                }
            }
        }
        return new FloodRun(at, sentAt, injectedAt, quietBefore);
    }

    /**
     * On processes, the experiments' warm-up ({@link BroadcastExperiment#warmUp}) on a started flood cluster before
     * it measures: each of its nodes is a JVM of its own, which {@link #warmUpFloods} (netty's, in this JVM) cannot
     * warm. Measured cold, a processes calibration's per-message service came out 206 us and its cold-start
     * penalties 1-2.3 ms, and the model it made overpredicted the (warm) experiments by 83-222 % at n = 16.
     */
    private void warmUpProcesses(Cluster c) {
        if (realEngine().name().equals("processes")) {
            BroadcastExperiment.warmUp(c, realEngine(), new byte[16], dev.ringlab.node.Cluster.QUIET_NANOS * 8);
        }
    }

    /** The experiments' warm-up ({@link BroadcastExperiment#warmUp}) on a ring flood of {@link #nodes}; nothing measured. */
    private void warmUpFloods(PrintWriter err) {
        try (Cluster c = realEngine().build(RunSpec.of(Topologies.build("ring", nodes, seed), Flood.PROTOCOL, seed))) {
            c.start();
            BroadcastExperiment.WarmUp w = BroadcastExperiment.warmUp(c, realEngine(), new byte[16], dev.ringlab.node.Cluster.QUIET_NANOS * 8);
            err.printf(Locale.ROOT, "calibrate: warmed up: %d floods, %d deliveries%n", w.broadcasts(), w.deliveries());
            err.flush();
        }
    }

    /** Individual hop latencies of broadcasts flooded one at a time around the ring (see the class doc). */
    private long[] floodHops(FloodRun r, PrintWriter err) {
        int warm = FLOOD_BROADCASTS / 5;
        long[] hops = new long[(FLOOD_BROADCASTS - warm) * (nodes - 1)];
        int k = 0;
        for (int b = warm; b < FLOOD_BROADCASTS; b++) {
            long prev = r.sentAt()[b];
            for (int h = 1; h < nodes; h++) {
                hops[k++] = Math.max(0, r.at()[b][h] - prev);
                prev = r.at()[b][h];
            }
        }
        err.printf(Locale.ROOT, "calibrate: %d flood hops measured (%d broadcasts kept after warm-up)%n", k, FLOOD_BROADCASTS - warm);
        err.flush();
        return hops;
    }

    /** Quiet gaps of the cold-start table below the settle's own ({@link dev.ringlab.node.Cluster#QUIET_NANOS}). */
    static final long[] COLD_GAPS_NANOS = {1_000_000L, 10_000_000L, 100_000_000L};

    /** Broadcasts per cold-start gap, the first fifth of them discarded. */
    static final int COLD_BROADCASTS = 20;

    /**
     * One point of the cold-start table: after floods separated by a quiet gap, the median quiet time, and,
     * sorted, the times from injection to the origin's delivery (the hand-off to a parked loop) and the excesses
     * over the hot hop of the hops that are the first message delivery on their executor, and (on netty) the
     * excesses of each executor's second work after a first delivery, and of the origin's executor's after the
     * request (see the five-argument {@code coldPoint}; empty otherwise). The model keeps the medians and the
     * samples (its spread, {@link EngineModel.Cold}).
     */
    record ColdPoint(long quietNanos, long[] inject, long[] delivery, long[] second, long[] secondAfterRequest, long[] coreWake,
            long[] coreSecond, List<Stall> stalls) {
        ColdPoint {
            stalls = List.copyOf(stalls);
            if (inject.length == 0 || delivery.length == 0) {
                throw new IllegalArgumentException("a cold-start point needs samples");
            }
            inject = inject.clone();
            delivery = delivery.clone();
            second = second.clone();
            secondAfterRequest = secondAfterRequest.clone();
            coreWake = coreWake.clone();
            coreSecond = coreSecond.clone();
            Arrays.sort(inject);
            Arrays.sort(delivery);
            Arrays.sort(second);
            Arrays.sort(secondAfterRequest);
            Arrays.sort(coreWake);
            Arrays.sort(coreSecond);
        }

        /** A point without stalls left out. */
        ColdPoint(long quietNanos, long[] inject, long[] delivery, long[] second, long[] secondAfterRequest, long[] coreWake,
                long[] coreSecond) {
            this(quietNanos, inject, delivery, second, secondAfterRequest, coreWake, coreSecond, List.of());
        }

        /** A point without core-wake samples. */
        ColdPoint(long quietNanos, long[] inject, long[] delivery, long[] second, long[] secondAfterRequest) {
            this(quietNanos, inject, delivery, second, secondAfterRequest, new long[0], new long[0]);
        }

        /** A point without second-work samples. */
        ColdPoint(long quietNanos, long[] inject, long[] delivery) {
            this(quietNanos, inject, delivery, new long[0], new long[0]);
        }

        /** Whether the point has the core wake's samples (see {@code coldPoint}). */
        boolean hasCoreWake() {
            return coreWake.length > 0 && coreSecond.length > 0;
        }

        /** The median core wake, at least 0. */
        long coreWakeNanos() {
            return Math.max(0, quantile(coreWake, 0.5));
        }

        /** The median extra time of a woken core's second work, at least 0. */
        long coreSecondNanos() {
            return Math.max(0, quantile(coreSecond, 0.5));
        }

        /** The median excess of an executor's second piece of work; -1 without samples. */
        long secondNanos() {
            return second.length == 0 ? -1 : quantile(second, 0.5);
        }

        long injectNanos() {
            return quantile(inject, 0.5);
        }

        long deliveryNanos() {
            return quantile(delivery, 0.5);
        }

        int injectSamples() {
            return inject.length;
        }

        int deliverySamples() {
            return delivery.length;
        }
    }

    static ColdPoint coldPoint(FloodRun r, int warm, EngineModel.Cpu cpu, long hotHopNanos) {
        return coldPoint(r, warm, cpu, hotHopNanos, -1);
    }

    /**
     * {@link #coldPoint(FloodRun, int, EngineModel.Cpu, long)} with the second-work samples when {@code sameHopNanos}
     * (the hot hop within one executor) is not negative: an executor's second piece of work after the quiet spell
     * is the delivery after its first one (on the origin's executor, after the injection: node 1), its excess over
     * {@code sameHopNanos}; the origin's executor then has no first-delivery sample (its first work is the request).
     * The origin's samples are kept apart ({@link ColdPoint#secondAfterRequest}): on netty that hop, right after the
     * driver's hand-off, is several times slower than the second hop on a loop another loop woke.
     */
    static ColdPoint coldPoint(FloodRun r, int warm, EngineModel.Cpu cpu, long hotHopNanos, long sameHopNanos) {
        int n = r.at()[0].length;
        boolean withSecond = sameHopNanos >= 0;
        // The first node on each executor after the origin, in ring order: its hop is that executor's first delivery.
        List<Integer> first = new ArrayList<>();
        List<Integer> second = new ArrayList<>();
        boolean originSecond = false;
        java.util.Set<Integer> seen = new java.util.HashSet<>();
        if (withSecond) {
            seen.add(cpu.executorOf(0, n));
            originSecond = n > 1 && cpu.executorOf(1, n) == cpu.executorOf(0, n);
        }
        for (int v = 1; v < n; v++) {
            if (seen.add(cpu.executorOf(v, n))) {
                first.add(v);
                if (withSecond && v + 1 < n && cpu.executorOf(v + 1, n) == cpu.executorOf(v, n)) {
                    second.add(v + 1);
                }
            }
        }
        int broadcasts = r.at().length - warm;
        // The core wake (netty, several loops per core): of the first two loops a flood enters, one is entered on the
        // machine's idle CPU and pays for waking it, the other on a CPU that is awake (see EngineModel.Cold's
        // coreWakeNanos). Per flood, the slower entry less the faster is a core wake, and the second hop after each entry
        // likewise; the slower entry and its second hop then count as the faster ones in the executors' own tables, so
        // the wake is not in both.
        boolean coreWake = withSecond && cpu.cores() >= 2 && first.size() >= 2 && second.contains(first.get(0) + 1)
                && second.contains(first.get(1) + 1);
        long[] quiet = new long[broadcasts];
        long[] inject = new long[broadcasts];
        long[] delivery = new long[broadcasts * first.size()];
        long[] secondWork = new long[broadcasts * second.size()];
        long[] afterRequest = new long[originSecond ? broadcasts : 0];
        long[] wakes = new long[coreWake ? broadcasts : 0];
        long[] wakeSeconds = new long[coreWake ? broadcasts : 0];
        int k = 0;
        int k2 = 0;
        for (int b = warm; b < r.at().length; b++) {
            long[] at = r.at()[b];
            quiet[b - warm] = r.quietBefore()[b];
            inject[b - warm] = Math.max(0, at[0] - r.injectedAt()[b]);
            int slow = -1;
            int fast = -1;
            if (coreWake) {
                int a = first.get(0);
                int c = first.get(1);
                boolean aSlower = at[a] - at[a - 1] >= at[c] - at[c - 1];
                slow = aSlower ? a : c;
                fast = aSlower ? c : a;
                wakes[b - warm] = (at[slow] - at[slow - 1]) - (at[fast] - at[fast - 1]);
                wakeSeconds[b - warm] = (at[slow + 1] - at[slow]) - (at[fast + 1] - at[fast]);
            }
            for (int v : first) {
                int u = v == slow ? fast : v;
                delivery[k++] = Math.max(0, at[u] - at[u - 1] - hotHopNanos);
            }
            for (int v : second) {
                int u = v == slow + 1 ? fast + 1 : v;
                secondWork[k2++] = Math.max(0, at[u] - at[u - 1] - sameHopNanos);
            }
            if (originSecond) {
                afterRequest[b - warm] = Math.max(0, at[1] - at[0] - sameHopNanos);
            }
        }
        Arrays.sort(quiet);
        return new ColdPoint(quantile(quiet, 0.5), inject, delivery, secondWork, afterRequest, wakes, wakeSeconds);
    }

    /** A cold sample is a stall only above this, as well as above its samples' far-out fence ({@link #leaveOutStalls}). */
    static final long STALL_FLOOR_NANOS = 1_000_000L;

    /** A cold-start sample left out of the table as a stall ({@link #leaveOutStalls}): what it timed, and how long. */
    record Stall(String kind, long nanos) {}

    /** The names of a cold point's six sample sets, in {@link #sampleSets}' order. */
    static final String[] SAMPLE_KINDS = {"injection", "first delivery", "second work", "second work after the request",
        "core wake", "core wake's second hop"};

    private static long[][] sampleSets(ColdPoint p) {
        return new long[][] {p.inject(), p.delivery(), p.second(), p.secondAfterRequest(), p.coreWake(), p.coreSecond()};
    }

    /** A sorted sample set's stall candidates: above Tukey's far-out fence (Q3 + 3 IQR) and {@link #STALL_FLOOR_NANOS}. */
    static int stallCandidates(long[] sorted) {
        if (sorted.length < 4) {
            return 0;
        }
        long q1 = quantile(sorted, 0.25);
        long q3 = quantile(sorted, 0.75);
        long fence = Math.max(q3 + 3 * (q3 - q1), STALL_FLOOR_NANOS);
        int k = 0;
        for (int i = sorted.length - 1; i >= 0 && sorted[i] > fence; i--) {
            k++;
        }
        return k;
    }

    /**
     * The points with their isolated stalls left out. A stall candidate ({@link #stallCandidates}) is left out when
     * it is the only one in its sample set and that set is too small to weigh it right: the model draws a sample as
     * often as one over its set's size, and the candidates of all the points together occur at a rate r per sample;
     * it goes when one over the set's size is more than 2r, which brings its weight nearer r (0 instead of far above).
     * Two or more candidates in one set are a slow mode of that point and stay, and so do candidates in sets large
     * enough to weigh them.
     * <p>
     * Why: the cold tables of 17 netty calibrations kept on this machine from 2026-12-06 and 12-07 hold 11,680 samples
     * and 13 candidates (about 1 in 900); by this rule 9 of them, of 1.2-4.4 ms among 16-96 samples of tens to hundreds of us, in
     * 5 of the calibrations, are left out. Two were 3.85 and 3.93 ms after 1-2 ms of quiet, about one tick of this
     * kernel's 250 Hz clock; a probe that read the JVM's collection count around every cold flood of two calibrations
     * found no collection during any. One calibration drew its 3.93 ms for 1 in 48 first deliveries after short quiet;
     * its 100/s streams came out at p99 +96 to +377 % in 10 of 12 cells, and 12 of 12 within target without that
     * sample. On processes (7 calibrations, 8,960 samples, 79 candidates, up to 11 in one delivery set of 240) the
     * large delivery sets keep theirs; 7 go, all from the 16- and 32-sample injection sets.
     */
    static List<ColdPoint> leaveOutStalls(List<ColdPoint> points) {
        long samples = 0;
        long candidates = 0;
        for (ColdPoint p : points) {
            for (long[] set : sampleSets(p)) {
                samples += set.length;
                candidates += stallCandidates(set);
            }
        }
        List<ColdPoint> out = new ArrayList<>();
        for (ColdPoint p : points) {
            long[][] sets = sampleSets(p);
            List<Stall> stalls = new ArrayList<>(p.stalls());
            for (int i = 0; i < sets.length; i++) {
                // one over the set's size above twice the rate r = candidates / samples
                if (stallCandidates(sets[i]) == 1 && samples > 2 * candidates * sets[i].length) {
                    stalls.add(new Stall(SAMPLE_KINDS[i], sets[i][sets[i].length - 1]));
                    sets[i] = Arrays.copyOf(sets[i], sets[i].length - 1);
                }
            }
            out.add(new ColdPoint(p.quietNanos(), sets[0], sets[1], sets[2], sets[3], sets[4], sets[5], stalls));
        }
        return out;
    }

    /**
     * The cold-start table from its points: ordered by quiet time, a point not quieter than the one before
     * dropped; the medians and each point's samples.
     */
    static EngineModel.Cold coldTable(List<ColdPoint> points) {
        List<ColdPoint> sorted = new ArrayList<>(points);
        sorted.sort(java.util.Comparator.comparingLong(ColdPoint::quietNanos));
        List<ColdPoint> kept = new ArrayList<>();
        for (ColdPoint p : sorted) {
            if (p.quietNanos() > 0 && (kept.isEmpty() || p.quietNanos() > kept.get(kept.size() - 1).quietNanos())) {
                kept.add(p);
            }
        }
        // The second-work tables only when every point has their samples (netty with several nodes per loop).
        boolean second = kept.stream().allMatch(p -> p.second().length > 0);
        boolean afterRequest = second && kept.stream().allMatch(p -> p.secondAfterRequest().length > 0);
        boolean coreWake = kept.stream().allMatch(ColdPoint::hasCoreWake);
        EngineModel.Cold cold = new EngineModel.Cold(kept.stream().mapToLong(ColdPoint::quietNanos).toArray(),
                kept.stream().mapToLong(ColdPoint::deliveryNanos).toArray(), kept.stream().mapToLong(ColdPoint::injectNanos).toArray(),
                kept.stream().map(ColdPoint::delivery).toArray(long[][]::new), kept.stream().map(ColdPoint::inject).toArray(long[][]::new),
                second ? kept.stream().mapToLong(ColdPoint::secondNanos).toArray() : null,
                second ? kept.stream().map(ColdPoint::second).toArray(long[][]::new) : null,
                afterRequest ? kept.stream().mapToLong(p -> quantile(p.secondAfterRequest(), 0.5)).toArray() : null,
                afterRequest ? kept.stream().map(ColdPoint::secondAfterRequest).toArray(long[][]::new) : null);
        // The core wake's samples too (see EngineModel.Cold's coreWakeSamples): a second part below the faster entry's
        // counts as 0, as its median does.
        return coreWake ? cold.withCoreWake(kept.stream().mapToLong(ColdPoint::coreWakeNanos).toArray(),
                kept.stream().mapToLong(ColdPoint::coreSecondNanos).toArray(),
                kept.stream().map(p -> Arrays.stream(p.coreWake()).map(v -> Math.max(0, v)).sorted().toArray()).toArray(long[][]::new),
                kept.stream().map(p -> Arrays.stream(p.coreSecond()).map(v -> Math.max(0, v)).sorted().toArray()).toArray(long[][]::new))
                : cold;
    }

    /**
     * The token ring's hops (after its warm-up fifth), sorted: all, those between two nodes on one executor of
     * the engine's placement, and those into another executor.
     */
    record TokenHops(long[] all, long[] same, long[] cross) {
        /**
         * What waking a parked executor adds to a hop: the median hop into another executor less the median hop
         * within one; 0 when the ring has no hops of one kind (processes: every node its own executor).
         */
        long wakeSendNanos() {
            if (same.length == 0 || cross.length == 0) {
                return 0;
            }
            return Math.max(0, quantile(cross, 0.5) - quantile(same, 0.5));
        }

        /** Splits {@code hops} (unsorted) by whether hop i went from {@code from[i]} to a node on another executor. */
        static TokenHops of(long[] hops, int[] from, int[] to, EngineModel.Cpu placement, int n) {
            long[] same = new long[hops.length];
            long[] cross = new long[hops.length];
            int s = 0;
            int c = 0;
            for (int i = 0; i < hops.length; i++) {
                if (placement.executorOf(from[i], n) == placement.executorOf(to[i], n)) {
                    same[s++] = hops[i];
                } else {
                    cross[c++] = hops[i];
                }
            }
            long[] all = hops.clone();
            Arrays.sort(all);
            same = Arrays.copyOf(same, s);
            cross = Arrays.copyOf(cross, c);
            Arrays.sort(same);
            Arrays.sort(cross);
            return new TokenHops(all, same, cross);
        }
    }

    /** How the engine places nodes on executors (the model's cpu part without its service times). */
    private EngineModel.Cpu placement() {
        boolean processes = realEngine().name().equals("processes");
        return new EngineModel.Cpu(processes ? 0 : nettyDefaultThreads(), Runtime.getRuntime().availableProcessors(), 0, 0,
                RuntimeConfig.defaults().blockPlacement());
    }

    private TokenHops tokenHops(PrintWriter err, EngineModel.Cpu placement) {
        int want = rotations * nodes;
        long[] hops = new long[want];
        int[] hopFrom = new int[want];
        int[] hopTo = new int[want];
        AtomicInteger k = new AtomicInteger();
        AtomicInteger preRoll = new AtomicInteger();
        AtomicBoolean counting = new AtomicBoolean();
        try (Cluster c = realEngine().build(RunSpec.of(Topologies.build("ring", nodes, seed), TokenRing.protocol(), seed))) {
            c.addObserver(o -> {
                if (o instanceof Observation.TokenArrived a) {
                    if (!counting.get()) {
                        preRoll.incrementAndGet();
                        return;
                    }
                    int i = k.getAndIncrement();
                    if (i < want) {
                        hops[i] = a.hopNanos();
                        hopFrom[i] = a.from();
                        hopTo[i] = a.node();
                    }
                }
            });
            c.start();
            if (realEngine().name().equals("processes")) {
                // Every node is its own JVM, which nothing before has warmed: the token circles unmeasured first, as
                // the experiments' token warm-up does (8,000 hops or 2 s).
                c.runUntil(() -> preRoll.get() >= Defaults.REAL_WARMUP_DELIVERIES, Defaults.REAL_WARMUP_MAX_NANOS);
                err.printf(Locale.ROOT, "calibrate: token warm-up, %d hops unmeasured%n", preRoll.get());
            }
            counting.set(true);
            if (!c.runUntil(() -> k.get() >= want, TimeUnit.SECONDS.toNanos(120))) {
                throw new IllegalStateException("the token made " + k.get() + " of " + want + " hops in 120 s");
            }
        }
        err.printf(Locale.ROOT, "calibrate: %d token hops measured (%d kept after warm-up)%n", want, want - want / 5);
        err.flush();
        return TokenHops.of(Arrays.copyOfRange(hops, want / 5, want), Arrays.copyOfRange(hopFrom, want / 5, want),
                Arrays.copyOfRange(hopTo, want / 5, want), placement, nodes);
    }

    /**
     * What {@code fidelity}'s host check measures of the host's state, each a figure this calibration also records: the
     * token ring's median hop within one executor and into another (microseconds; null where the engine has no hop of
     * that kind: processes has none within one), and the idle ring's median flood completion (its self-check row
     * {@code ring:N}, the floods latency.txt comes from).
     */
    record HostState(Double tokenSameUs, Double tokenCrossUs, double idleRingUs) {
        /** The same figures as recorded in a calibration's run.json; a figure it lacks (an older calibration) is null. */
        static Map<String, Double> recorded(com.fasterxml.jackson.databind.JsonNode calibrationRun) {
            Map<String, Double> m = new java.util.LinkedHashMap<>();
            m.put("token_same_us", number(calibrationRun.get("token_hop_same_executor_us_p50")));
            m.put("token_cross_us", number(calibrationRun.get("token_hop_cross_executor_us_p50")));
            Double ring = null;
            String row = "ring:" + calibrationRun.path("nodes").asInt();
            for (com.fasterxml.jackson.databind.JsonNode c : calibrationRun.path("self_check")) {
                if (row.equals(c.path("workload").asText())) {
                    ring = number(c.get("measured_us"));
                }
            }
            m.put("idle_ring_us", ring);
            return m;
        }

        private static Double number(com.fasterxml.jackson.databind.JsonNode v) {
            return v != null && v.isNumber() ? v.asDouble() : null;
        }

        Map<String, Double> figures() {
            Map<String, Double> m = new java.util.LinkedHashMap<>();
            m.put("token_same_us", tokenSameUs);
            m.put("token_cross_us", tokenCrossUs);
            m.put("idle_ring_us", idleRingUs);
            return m;
        }
    }

    /** Token rings {@link #hostState} runs; only the last one is kept. */
    static final int HOST_TOKEN_RINGS = 3;

    /**
     * Measures {@link HostState} as this calibration would (set {@link #nodes}, {@link #rotations}, {@link #seed} and
     * {@link #engine} to the calibration's): on netty the experiments' warm-up floods first, then the token ring
     * {@value #HOST_TOKEN_RINGS} times, the last one kept (calibrate measures its token ring in its last pass, in a warm
     * JVM; in a fresh one, after the warm-up floods and one ring, the hop within a loop still took 6.8 us where the
     * calibration's took 4.8, and after two 5.3-5.4 us against 3.8-4.8, so a check first in its JVM still runs it
     * somewhat slow; on processes once: its node JVMs are new with every cluster and warm up in it), then
     * {@code floods} idle ring floods ({@value #FLOOD_BROADCASTS} in a calibration) on {@link #floodClusters} clusters,
     * the first fifth discarded. About 12 s on netty. Prints nothing.
     */
    HostState hostState(int floods) {
        PrintWriter quiet = new PrintWriter(java.io.Writer.nullWriter());
        boolean netty = realEngine().name().equals("netty");
        if (netty) {
            warmUpFloods(quiet);
        }
        EngineModel.Cpu placement = placement();
        TokenHops t = null;
        for (int i = 0; i < (netty ? HOST_TOKEN_RINGS : 1); i++) {
            t = tokenHops(quiet, placement);
        }
        FloodRun ring = floodRun(floods, dev.ringlab.node.Cluster.QUIET_NANOS);
        return new HostState(t.same().length == 0 ? null : quantile(t.same(), 0.5) / 1e3,
                t.cross().length == 0 ? null : quantile(t.cross(), 0.5) / 1e3,
                idleRingCompletion(ring, floods / 5) / 1e3);
    }

    /** The engine {@code --engine} names: netty or processes. @throws UsageException naming it */
    ClusterEngine realEngine() {
        ClusterEngine e = Engines.byName(engine);
        if (e.deterministic()) {
            throw new UsageException("--engine", "calibrate measures a real engine: use netty or processes, not " + e.name());
        }
        return e;
    }

    /**
     * Restart measurements: how long the restart call takes, until the restarted node's own dial is up, and how long
     * before the call returned the new incarnation was bound ({@link Cluster#restartAcceptNanos}; -1 where the engine
     * does not measure it).
     */
    record Respawn(long callNanos, long handshakeNanos, long acceptNanos) {}

    /** Seconds the timer workload runs: past the last age class's start (4 s) by two. */
    static final int TIMER_SECONDS = 6;
    /** Quantiles per age class in the model's timer part: 0, 1/(k-1), ..., 1. */
    static final int TIMER_QUANTILES = 101;

    /** The cluster sizes the timer part is measured at: half of {@code --nodes} (at least 3) and {@code --nodes}. */
    int[] timerSizes() {
        int half = Math.max(3, nodes / 2);
        return half >= nodes ? new int[] {nodes} : new int[] {half, nodes};
    }

    /** What {@link #sizeParts} measures at each of {@link #timerSizes}: the timer part, and the restart's (null if none). */
    record SizeParts(EngineModel.Timers timers, EngineModel.Sizes restart) {}

    /**
     * The timer part ({@link EngineModel.Timers}): for each of {@link #timerSizes} (smallest first), a healing ring of
     * that many nodes (successor lists of 3, as {@code recover} runs it) with the engine's own failure-detection timing
     * ({@link Timing#forEngine}) runs for {@value #TIMER_SECONDS} s from its start, no fault, and the engine's
     * {@link Cluster#timerLateness} gives how late its nodes' timers ran (heartbeats, mostly) by the age of each node's
     * JVM or incarnation. Two sizes because how late depends on how many nodes share the cores (on processes, how many
     * JVMs compile at once). The model keeps {@value #TIMER_QUANTILES} quantiles per size and age class; a class with
     * nothing counted takes the next older class's (the nearest younger one's for the oldest). Writes {@code timers.csv}
     * and run.json's {@code timer_fit}; null (no timer part) when the engine measured none.
     *
     * <p>Then the restart at that size ({@link #restartRounds}): the restart call and how long before its return the
     * new incarnation was bound, which grow with the number of JVMs on the cores and with how busy they still are. Written to
     * {@code restarts.csv} and run.json's {@code restart_sizes}; the restart part's {@link EngineModel.Sizes}, null
     * where the engine does not measure the accepting window (netty, whose link table opens as the call ends).
     */
    private SizeParts sizeParts(ResultsDir dir, ObjectNode run, PrintWriter err) {
        int[] sizes = timerSizes();
        long[][] restarts = new long[sizes.length][];
        List<List<Object>> restartRows = new ArrayList<>();
        long[][][] tables = new long[sizes.length][][];
        List<List<Object>> rows = new ArrayList<>();
        ObjectNode tj = run.putObject("timer_fit");
        tj.put("seconds", TIMER_SECONDS);
        ArrayNode sizesJson = tj.putArray("sizes");
        for (int k = 0; k < sizes.length; k++) {
            int size = sizes[k];
            Timing timing = Timing.forEngine(realEngine().name(), size, 0);
            TimerLateness late;
            try (Cluster c = realEngine().build(RunSpec.of(Topologies.build("successor-ring:3", size, seed),
                    HealingRing.protocol(timing.ring(3)), seed))) {
                c.start();
                c.runFor(TimeUnit.SECONDS.toNanos(TIMER_SECONDS));
                late = c.timerLateness();
            }
            // An engine that measured no window at the first size measures none at the next.
            restarts[k] = k > 0 && restarts[k - 1] == null ? null : restartRounds(realEngine(), size, respawns, seed, restartRows, err);
            if (late == null || late.count() == 0) {
                err.println("calibrate: timers: " + realEngine().name() + " measured no timer's lateness, so the model has no timer part");
                err.flush();
                run.putNull("timer_fit");
                return new SizeParts(null, restartSizes(dir, run, sizes, restarts, restartRows));
            }
            long[][] q = new long[TimerLateness.AGES][];
            for (int a = TimerLateness.AGES - 1; a >= 0; a--) {
                if (late.count(a) == 0) {
                    q[a] = a + 1 < TimerLateness.AGES ? q[a + 1] : null;
                    continue;
                }
                q[a] = new long[TIMER_QUANTILES];
                for (int i = 0; i < TIMER_QUANTILES; i++) {
                    q[a][i] = late.quantile(a, (double) i / (TIMER_QUANTILES - 1));
                }
            }
            for (int a = 0; a < q.length; a++) {
                if (q[a] == null) { // the oldest classes counted nothing: take the nearest younger one's
                    q[a] = q[a - 1];
                }
            }
            tables[k] = q;
            ObjectNode sj = sizesJson.addObject();
            sj.put("nodes", size);
            sj.put("timing", timing.spec());
            ArrayNode classes = sj.putArray("age_classes");
            StringBuilder line = new StringBuilder();
            for (int a = 0; a < TimerLateness.AGES; a++) {
                long n = late.count(a);
                Double p50 = n == 0 ? null : late.quantile(a, 0.5) / 1e6;
                Double p99 = n == 0 ? null : late.quantile(a, 0.99) / 1e6;
                Double max = n == 0 ? null : late.quantile(a, 1.0) / 1e6;
                rows.add(Arrays.asList(size, TimerLateness.ageLabel(a), n, p50, n == 0 ? null : late.quantile(a, 0.9) / 1e6, p99, max));
                ObjectNode cj = classes.addObject();
                cj.put("age", TimerLateness.ageLabel(a));
                cj.put("timers", n);
                cj.put("late_ms_p50", p50);
                cj.put("late_ms_p99", p99);
                cj.put("late_ms_max", max);
                line.append(a == 0 ? "" : ", ").append(TimerLateness.ageLabel(a)).append(n == 0 ? " none"
                        : String.format(Locale.ROOT, " p50 %.2f / p99 %.1f ms", p50, p99));
            }
            err.println("calibrate: timers late by age (healing ring, " + size + " nodes, " + TIMER_SECONDS + " s): " + line);
            err.flush();
        }
        dir.writeCsv("timers.csv", List.of("nodes", "age", "timers", "late_ms_p50", "late_ms_p90", "late_ms_p99", "late_ms_max"), rows);
        return new SizeParts(new EngineModel.Timers(TimerLateness.AGE_BOUNDS_NANOS, sizes, tables),
                restartSizes(dir, run, sizes, restarts, restartRows));
    }

    /**
     * {@code respawns} ({@code --respawns}) rounds, each on a new healing ring of {@code size} nodes (successor-ring:3,
     * the engine's timing, run seed {@code seed + round}) as {@code recover} runs it: node 1 crashes after the
     * engine's warm-up ({@link Timing#warmupNanos}) and is restarted after {@code fidelity}'s outage
     * ({@link FidelityCommand#respawnAfter}), so the other JVMs are as old, and as busy compiling, as in a
     * {@code recover} run (a ring of 6 s old JVMs restarted in half the time: 615 against 1,000-1,800 ms at 16
     * nodes). Adds a row per round to {@code rows}; returns the medians {call, accepting window}, or null when the
     * engine does not measure the window ({@link Cluster#restartAcceptNanos} empty: no further round is run).
     */
    static long[] restartRounds(ClusterEngine engine, int size, int respawns, long seed, List<List<Object>> rows, PrintWriter err) {
        Timing timing = Timing.forEngine(engine.name(), size, 0);
        long down = dev.ringlab.node.spec.Durations.parseNanos(FidelityCommand.respawnAfter(engine, size));
        long[] call = new long[respawns];
        long[] accept = new long[respawns];
        for (int r = 0; r < respawns; r++) {
            try (Cluster c = engine.build(RunSpec.of(Topologies.build("successor-ring:3", size, seed + r),
                    HealingRing.protocol(timing.ring(3)), seed + r))) {
                c.start();
                c.runFor(timing.warmupNanos());
                c.crash(1);
                c.runFor(down);
                long before = c.now();
                c.restart(1);
                call[r] = c.now() - before;
                java.util.OptionalLong a = c.restartAcceptNanos(1);
                if (a.isEmpty()) {
                    return null;
                }
                accept[r] = a.getAsLong();
            }
            rows.add(Arrays.asList(size, r, call[r] / 1e6, accept[r] / 1e6));
        }
        Arrays.sort(call);
        Arrays.sort(accept);
        long[] medians = {quantile(call, 0.5), quantile(accept, 0.5)};
        err.printf(Locale.ROOT, "calibrate: restart at %d nodes (%d ring%s, crashed %.1f s after the start, %.1f s down): call median "
                + "%.0f ms, bound %.0f ms before it returned%n", size, respawns, respawns == 1 ? "" : "s", timing.warmupNanos() / 1e9,
                down / 1e9, medians[0] / 1e6, medians[1] / 1e6);
        err.flush();
        return medians;
    }

    /**
     * The restart part's sizes from {@link #restartRounds}' medians (null if any size has none), written to
     * {@code restarts.csv} and run.json's {@code restart_sizes} (null without).
     */
    private static EngineModel.Sizes restartSizes(ResultsDir dir, ObjectNode run, int[] sizes, long[][] medians,
            List<List<Object>> rows) {
        for (long[] m : medians) {
            if (m == null) {
                run.putNull("restart_sizes");
                return null;
            }
        }
        dir.writeCsv("restarts.csv", List.of("nodes", "round", "call_ms", "bound_before_return_ms"), rows);
        long[] call = new long[sizes.length];
        long[] accept = new long[sizes.length];
        ArrayNode json = run.putArray("restart_sizes");
        for (int k = 0; k < sizes.length; k++) {
            call[k] = medians[k][0];
            accept[k] = medians[k][1];
            json.addObject().put("nodes", sizes[k]).put("call_ms_p50", call[k] / 1e6).put("bound_before_return_ms_p50", accept[k] / 1e6);
        }
        return new EngineModel.Sizes(sizes, call, accept);
    }

    /**
     * Crash and restart node 1 of a 3-node unidirectional ring (Flood): the restart call's duration, then the
     * time until a broadcast node 1 injects reaches node 2 over the edge node 1 dials (re-injected every
     * 0.5 ms until one does), less one hop: the connect and handshake the restart model adds to a dialled edge.
     */
    private Respawn respawn(long hopNanos) {
        AtomicInteger delivered = new AtomicInteger();
        AtomicLong firstAt = new AtomicLong(-1);
        try (Cluster c = realEngine().build(RunSpec.of(Topologies.build("ring", 3, seed), Flood.PROTOCOL, seed))) {
            c.addObserver(o -> {
                if (o instanceof Observation.Delivered d && d.node() == 2 && d.id() >= 1_000_000) {
                    firstAt.compareAndSet(-1, d.atNanos());
                    delivered.incrementAndGet();
                }
            });
            c.start();
            c.crash(1);
            c.runFor(TimeUnit.MILLISECONDS.toNanos(50));
            long before = c.now();
            c.restart(1);
            long returned = c.now();
            long accept = c.restartAcceptNanos(1).orElse(-1);
            long first = injectUntilDelivered(c, 1, firstAt, "a respawned node's broadcast did not reach its successor");
            return new Respawn(returned - before, Math.max(0, first - returned - hopNanos), accept);
        }
    }

    /**
     * One redial round: how long a neighbour's redial takes to reach a restarted node after an outage.
     *
     * @param downNanos    from the crash call's return to the restart call's start
     * @param callNanos    the restart call
     * @param upNanos      from the restart call's return to the first broadcast over the neighbour's edge, less one hop
     */
    record Redialed(long seed, long downNanos, long callNanos, long upNanos) {}

    /**
     * Crash node 1 of a 3-node unidirectional ring (Flood, run seed {@code runSeed}), restart it {@code downNanos}
     * later, then inject at node 0 every 0.5 ms until a broadcast reaches node 1 over the edge node 0 redials.
     */
    private Redialed redial(long runSeed, long downNanos, long hopNanos) {
        AtomicLong firstAt = new AtomicLong(-1);
        try (Cluster c = realEngine().build(RunSpec.of(Topologies.build("ring", 3, runSeed), Flood.PROTOCOL, runSeed))) {
            c.addObserver(o -> {
                if (o instanceof Observation.Delivered d && d.node() == 1 && d.origin() == 0 && d.id() >= 1_000_000) {
                    firstAt.compareAndSet(-1, d.atNanos());
                }
            });
            c.start();
            c.crash(1);
            long crashed = c.now();
            c.runFor(downNanos);
            long before = c.now();
            c.restart(1);
            long returned = c.now();
            long first = injectUntilDelivered(c, 0, firstAt, "a neighbour's redial did not reach a respawned node");
            return new Redialed(runSeed, before - crashed, returned - before, Math.max(0, first - returned - hopNanos));
        }
    }

    /**
     * Injects a broadcast (ids from 1,000,000) at {@code origin} every 0.5 ms until {@code firstAt} is set by the
     * caller's observer, for at most 20 s; returns it.
     *
     * @throws IllegalStateException {@code failure} and "in 20 s" if it never is
     */
    private static long injectUntilDelivered(Cluster c, int origin, AtomicLong firstAt, String failure) {
        long id = 1_000_000;
        long deadline = c.now() + TimeUnit.SECONDS.toNanos(20);
        while (firstAt.get() < 0 && c.now() < deadline) {
            c.inject(origin, new Message.Inject(id++, new byte[16]));
            c.runUntil(() -> firstAt.get() >= 0, TimeUnit.MICROSECONDS.toNanos(500));
        }
        if (firstAt.get() < 0) {
            throw new IllegalStateException(failure + " in 20 s");
        }
        return firstAt.get();
    }

    /** What {@link #fitRedial} fits: {@link EngineModel.Restart#dialNanos} and {@link EngineModel.Restart#acceptNanos}. */
    record RedialFit(long dialNanos, long acceptNanos, int predicted, int rounds) {}

    /**
     * The per-attempt lateness of the runtime's redials ({@link EngineModel.Restart#dialNanos}, 0..5 ms in 50 us
     * steps) and how long before its restart call returns a new incarnation takes connections
     * ({@link EngineModel.Restart#acceptNanos}, 0 up to the slowest round's restart call, in 5 ms steps): the pair
     * that predicts the most rounds' {@code upNanos}, from their own seed, outage and restart call, within
     * {@code max(2 ms, handshake / 2)} (the time after the call is the new incarnation's first message, as noisy
     * as the handshake it is measured with); among those, the one with the least absolute error over the rounds
     * it predicts, then the smallest. A round whose restart fell next to an attempt is measured a whole backoff
     * away from the model; a sum over all rounds would move the fit to explain it, a count of the rounds
     * predicted leaves it out.
     */
    static RedialFit fitRedial(EngineModel.Restart restart, List<Redialed> rounds) {
        long tolerance = Math.max(2_000_000, restart.handshakeNanos() / 2);
        long longestCall = rounds.stream().mapToLong(Redialed::callNanos).max().orElse(0);
        RedialFit best = null;
        double bestError = Double.POSITIVE_INFINITY;
        for (long accept = 0; accept <= longestCall + 5_000_000; accept += 5_000_000) {
            for (long c = 0; c <= 5_000_000; c += 50_000) {
                int hits = 0;
                double error = 0;
                for (Redialed r : rounds) {
                    long e = Math.abs(restart.neighbourDialDelay(r.downNanos(), r.callNanos(), c, accept, r.seed(), 0, 1) - r.upNanos());
                    if (e <= tolerance) {
                        hits++;
                        error += e;
                    }
                }
                if (best == null || hits > best.predicted() || (hits == best.predicted() && error < bestError - 1e-9)) {
                    best = new RedialFit(c, accept, hits, rounds.size());
                    bestError = error;
                }
            }
        }
        return best;
    }

    /** Load average over the last minute, or null where /proc/loadavg cannot be read. */
    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0];
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** The machine a calibration describes: compared by {@code fidelity} to warn on another machine. */
    static Map<String, String> machine() {
        return machine(loadAverage());
    }

    /** {@link #machine()} with {@code load} as its one-minute load average (null: none recorded). */
    static Map<String, String> machine(String load) {
        Map<String, String> m = new TreeMap<>();
        m.put("cores", String.valueOf(Runtime.getRuntime().availableProcessors()));
        m.put("java", Runtime.version().toString());
        m.put("os_arch", System.getProperty("os.name") + "/" + System.getProperty("os.arch"));
        if (load != null) {
            m.put("loadavg_1m", load);
        }
        return m;
    }

    /** Netty's event-loop threads when a group is made with 0 (what the netty engine does): its default. */
    static int nettyDefaultThreads() {
        return Math.max(1, io.netty.util.internal.SystemPropertyUtil.getInt("io.netty.eventLoopThreads",
                io.netty.util.NettyRuntime.availableProcessors() * 2));
    }

    /** Time from injecting k broadcasts at node 0 until node 1 delivered all of them (2-node ring, flood). */
    private long burst(int k) {
        AtomicInteger delivered = new AtomicInteger();
        AtomicLong lastAt = new AtomicLong();
        // Each of the 2 nodes on its own executor (netty's round-robin puts them on two loops; processes: two JVMs).
        try (Cluster c = realEngine().build(RunSpec.of(Topologies.build("ring", 2, seed), Flood.PROTOCOL, seed))) {
            c.addObserver(o -> {
                if (o instanceof Observation.Delivered d && d.node() == 1) {
                    lastAt.set(d.atNanos());
                    delivered.incrementAndGet();
                }
            });
            c.start();
            // Warm the path (connections, JIT of the handlers) with a burst that is not measured.
            for (int i = 0; i < 64; i++) {
                c.inject(0, new Message.Inject(i, new byte[16]));
            }
            c.runUntil(() -> delivered.get() >= 64, TimeUnit.SECONDS.toNanos(30));
            delivered.set(0);
            long start = c.now();
            for (int i = 0; i < k; i++) {
                c.inject(0, new Message.Inject(1000 + i, new byte[16]));
            }
            if (!c.runUntil(() -> delivered.get() >= k, TimeUnit.SECONDS.toNanos(30))) {
                throw new IllegalStateException("node 1 delivered " + delivered.get() + " of a burst of " + k + " in 30 s");
            }
            return lastAt.get() - start;
        }
    }

    private static void writeLatencyFile(Path file, long[] hops, String command, String what) {
        StringBuilder b = new StringBuilder();
        b.append("# ringlab empirical link latency, one-way, nanoseconds, one sample per line\n");
        b.append("# measured by: ").append(command).append(" (").append(what).append(")\n");
        b.append("# use: --latency empirical:").append(file).append('\n');
        for (long h : hops) {
            b.append(h).append('\n');
        }
        try {
            Files.writeString(file, b, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
