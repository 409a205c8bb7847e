package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A sweep of {@link BroadcastExperiment} over topologies x sizes x seeds, in that order (all seeds of one
 * (topology, n) together), with combinations a topology cannot build, or that exceed the engine's node cap,
 * skipped and reported rather than failed. Shared by {@code compare} and {@code fidelity}; writes
 * {@code broadcast.csv} (one row per (topology, n): {@link BroadcastExperiment.Row#fields()}),
 * {@code broadcast-runs.csv} (one row per seed, with its trace hash) and the two plots.
 */
public final class BroadcastSweep {
    private BroadcastSweep() {}

    /**
     * @param maxNodes largest n the engine runs (larger ones are skipped); {@code Integer.MAX_VALUE} for none
     */
    public record Plan(List<String> topologies, List<Integer> nodes, List<Long> seeds,
            BroadcastExperiment.Params params, int maxNodes) {
        public int combinations() {
            return topologies.size() * nodes.size();
        }
    }

    /** A (topology, n) that was not run, and why. */
    public record Skip(String topology, int nodes, String reason) {}

    public record Outcome(List<BroadcastExperiment.SeedRun> runs, List<BroadcastExperiment.Row> rows,
            List<Skip> skipped, long wallNanos) {}

    /** The (topology, n) pairs the plan skips, with reasons; nothing is built. */
    public static List<Skip> skips(Plan plan) {
        List<Skip> out = new ArrayList<>();
        for (String t : plan.topologies()) {
            for (int n : plan.nodes()) {
                String why = BroadcastExperiment.cannotBuild(t, n);
                if (why == null && n > plan.maxNodes()) {
                    why = "engine " + plan.params().engine().name() + " runs at most " + plan.maxNodes()
                            + " nodes here (--max-nodes)";
                }
                if (why != null) {
                    out.add(new Skip(t, n, why));
                }
            }
        }
        return out;
    }

    public static Outcome run(Plan plan, PrintWriter err, String label) {
        return run(plan, err, label, 1);
    }

    /** One cell per (topology, n, seed). */
    private record Cell(String topology, int nodes, long seed) {}

    /**
     * Runs the plan's cells on {@code threads} threads ({@link ParallelCells}); the outcome is the same as on
     * one thread, wall time aside.
     */
    public static Outcome run(Plan plan, PrintWriter err, String label, int threads) {
        List<Skip> skipped = skips(plan);
        List<Cell> cells = new ArrayList<>();
        for (String t : plan.topologies()) {
            for (int n : plan.nodes()) {
                if (skipped.stream().anyMatch(s -> s.topology().equals(t) && s.nodes() == n)) {
                    continue;
                }
                for (long seed : plan.seeds()) {
                    cells.add(new Cell(t, n, seed));
                }
            }
        }
        if (!cells.isEmpty()) {
            BroadcastExperiment.warmUpJvm(plan.params().engine(), err); // before the bar: it prints a line of its own
        }
        ProgressBar bar = new ProgressBar(err, label, cells.size());
        long start = System.nanoTime();
        List<BroadcastExperiment.SeedRun> runs = ParallelCells.map(cells, threads, c -> {
            BroadcastExperiment.SeedRun r = BroadcastExperiment.run(plan.params(), c.topology(), c.nodes(), c.seed());
            bar.step(c.topology() + " n=" + c.nodes() + " seed=" + c.seed());
            return r;
        }, Cell::nodes);
        bar.finish();
        List<BroadcastExperiment.Row> rows = new ArrayList<>();
        int per = plan.seeds().size();
        for (int i = 0; i < runs.size(); i += per) {
            rows.add(BroadcastExperiment.summarize(runs.subList(i, i + per)));
        }
        return new Outcome(runs, rows, skipped, System.nanoTime() - start);
    }

    /** Writes {@code broadcast.csv}, {@code broadcast-runs.csv} and the plots; returns the file names. */
    public static List<String> write(ResultsDir dir, Outcome o, String engineLabel) {
        List<String> files = new ArrayList<>();
        List<List<Object>> rows = new ArrayList<>();
        for (BroadcastExperiment.Row r : o.rows()) {
            rows.add(new ArrayList<>(r.fields().values()));
        }
        dir.writeCsv("broadcast.csv", BroadcastExperiment.rowColumns(), rows);
        files.add("broadcast.csv");
        List<List<Object>> runs = new ArrayList<>();
        for (BroadcastExperiment.SeedRun s : o.runs()) {
            runs.add(BroadcastExperiment.runRow(s));
        }
        dir.writeCsv("broadcast-runs.csv", BroadcastExperiment.RUN_COLUMNS, runs);
        files.add("broadcast-runs.csv");
        if (!o.rows().isEmpty()) {
            files.addAll(plots(dir.path(), o.rows(), engineLabel));
        }
        return files;
    }

    /** Latency p50 vs n (log-log) and messages per broadcast vs n (log-log), with their 95% CI as bands. */
    static List<String> plots(Path dir, List<BroadcastExperiment.Row> rows, String engineLabel) {
        Plots.Builder p50 = new Plots.Builder();
        Plots.Builder msgs = new Plots.Builder();
        for (BroadcastExperiment.Row r : rows) {
            p50.add(r.topology(), r.nodes(), r.latencyMsP50());
            msgs.add(r.topology(), r.nodes(), r.msgsPerOp());
        }
        List<String> out = new ArrayList<>();
        Plots.save(Plots.chart(new Plots.Axes("Broadcast latency p50 vs n (" + engineLabel + ", mean and 95% CI over seeds)",
                "nodes (log)", "latency p50, ms (log)", true, true), p50.series()), dir, "latency-p50");
        out.add("latency-p50.png");
        out.add("latency-p50.svg");
        Plots.save(Plots.chart(new Plots.Axes("Messages per broadcast vs n (" + engineLabel + ")", "nodes (log)",
                "messages per broadcast (log)", true, true), msgs.series()), dir, "msgs-per-op");
        out.add("msgs-per-op.png");
        out.add("msgs-per-op.svg");
        return out;
    }

    /** {@code runs} and {@code skipped} arrays for run.json: every seed's trace hash. */
    public static void describe(ObjectNode run, Outcome o) {
        ArrayNode runs = run.putArray("runs");
        for (BroadcastExperiment.SeedRun s : o.runs()) {
            ObjectNode r = runs.addObject();
            r.put("topology", s.topology());
            r.put("nodes", s.nodes());
            r.put("seed", s.seed());
            if (s.traceHash() == null) {
                r.putNull("trace_hash");
            } else {
                r.put("trace_hash", s.traceHash());
            }
            r.put("settled", s.settled());
        }
        skipped(run.putArray("skipped"), o.skipped());
    }

    static void skipped(ArrayNode a, List<Skip> skips) {
        for (Skip s : skips) {
            ObjectNode k = a.addObject();
            k.put("topology", s.topology());
            k.put("nodes", s.nodes());
            k.put("reason", s.reason());
        }
    }

    /** The {@code rows} array of {@code --json}: {@link BroadcastExperiment.Row#fields()}, NaN as null. */
    public static ArrayNode rowsJson(ArrayNode a, List<BroadcastExperiment.Row> rows) {
        for (BroadcastExperiment.Row r : rows) {
            ObjectNode o = a.addObject();
            for (Map.Entry<String, Object> e : r.fields().entrySet()) {
                put(o, e.getKey(), e.getValue());
            }
        }
        return a;
    }

    static void put(ObjectNode o, String k, Object v) {
        switch (v) {
            case null -> o.putNull(k);
            case Double d -> {
                if (Double.isFinite(d)) {
                    o.put(k, d);
                } else {
                    o.putNull(k);
                }
            }
            case Integer i -> o.put(k, i);
            case Long l -> o.put(k, l);
            case Boolean b -> o.put(k, b);
            default -> o.put(k, v.toString());
        }
    }

    /** The human table: one line per (topology, n), mean ± 95% CI half-width; skipped combinations listed. */
    public static void table(PrintWriter out, Outcome o) {
        out.printf(Locale.ROOT, "%-18s %6s  %-22s %-22s %-22s %-22s %-22s %-13s%n", "topology", "n", "p50 ms", "p99 ms",
                "max ms", "last hop", "msgs/op", "rmr");
        for (BroadcastExperiment.Row r : o.rows()) {
            out.printf(Locale.ROOT, "%-18s %6d  %-22s %-22s %-22s %-22s %-22s %-13s%n", r.topology(), r.nodes(),
                    pm(r.latencyMsP50()), pm(r.latencyMsP99()), pm(r.latencyMsMax()), pm(r.lastDeliveryHop()),
                    pm(r.msgsPerOp()), pm(r.rmr()));
        }
        for (Skip s : o.skipped()) {
            out.printf(Locale.ROOT, "%-18s %6d  skipped: %s%n", s.topology(), s.nodes(), s.reason());
        }
    }

    /**
     * {@code mean ±half} (Student-t) or {@code mean [lo, hi]} (bootstrap) with 3 significant digits, the mean
     * alone below 3 seeds; {@code ±0} when the seeds agree exactly.
     */
    static String pm(ConfidenceInterval c) {
        return c.text(BroadcastSweep::sig);
    }

    static String sig(double v) {
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        if (a >= 1000) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.2f", v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
