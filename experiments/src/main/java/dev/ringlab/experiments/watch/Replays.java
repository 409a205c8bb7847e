package dev.ringlab.experiments.watch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ringlab.experiments.BroadcastExperiment;
import dev.ringlab.experiments.CheckRuns;
import dev.ringlab.experiments.ResultsDir;
import dev.ringlab.experiments.RunOptions;
import dev.ringlab.experiments.UsageException;
import dev.ringlab.node.Cluster;
import dev.ringlab.node.Message;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.Protocols;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/** Re-runs a seeded simulation with a {@link Recording}: a compare run.json's run, or a {@code check} run. */
final class Replays {
    /** BroadcastExperiment's origin stream ("origin"): the same origins as the recorded run. */
    private static final long ORIGIN_STREAM = 0x6F726967696EL;

    private Replays() {}

    /**
     * Run {@code index} of a compare {@code run.json} (or its directory), re-run on the simulator exactly as
     * {@code BroadcastExperiment.run} ran it, recorded; the note says whether the trace hash matches.
     */
    static Replayed runJson(Path file, int index) {
        Path f = Files.isDirectory(file) ? file.resolve("run.json") : file;
        if (!Files.isRegularFile(f)) {
            throw new UsageException("--replay", "no such file: " + f + " (give a run.json, its directory, or a quoted "
                    + "'ringlab check --run-seed S --nodes A..B' command)");
        }
        JsonNode run;
        BroadcastExperiment.Params p;
        try {
            run = ResultsDir.readJson(f);
            JsonNode rec = run.path("experiment").asText("").equals("fidelity") ? run.path("sim") : run;
            p = BroadcastExperiment.paramsFrom(rec);
            run = rec;
        } catch (RuntimeException e) {
            throw new UsageException("--replay", f + ": " + e.getMessage());
        }
        if (!p.engine().deterministic()) {
            throw new UsageException("--replay", f + " is a run on engine " + p.engine().name() + ": only simulator runs replay");
        }
        JsonNode runs = run.path("runs");
        if (!runs.isArray() || runs.isEmpty()) {
            throw new UsageException("--replay", f + " has no 'runs' to replay");
        }
        if (index < 0 || index >= runs.size()) {
            throw new UsageException("--run-index", "must be 0.." + (runs.size() - 1) + " for " + f + ", got " + index);
        }
        JsonNode r = runs.get(index);
        String topology = r.path("topology").asText();
        int n = r.path("nodes").asInt();
        long seed = r.path("seed").asLong();
        String want = r.path("trace_hash").asText(null);
        Overlay overlay = Topologies.build(topology, n, seed);
        Recording rec = new Recording(n);
        Protocol protocol = Protocols.parse(p.protocol());
        RunSpec spec = new RunSpec(overlay, rec.wrap(protocol), p.latency(), p.loss(), p.faults(), p.processingNanos(), seed);
        String hash;
        try (Cluster cluster = RunOptions.build(p.engine(), spec)) {
            cluster.start();
            byte[] payload = new byte[p.payloadBytes()];
            p.faults().applyTo(cluster, cluster.now(), (kind, node, at, call) -> rec.fault(kind, node, at));
            SplittableRandom origins = new SplittableRandom(seed ^ ORIGIN_STREAM);
            for (int b = 0; b < p.broadcasts(); b++) {
                int origin = origins.nextInt(n);
                long id = b;
                cluster.at(cluster.now(), () -> cluster.inject(origin, new Message.Inject(id, payload)));
                cluster.settle(p.drainNanos());
            }
            OptionalLong h = cluster.traceHash();
            hash = h.isPresent() ? String.format("%016x", h.getAsLong()) : null;
        }
        rec.finish(null);
        String note = want == null ? "no recorded trace hash to compare" : want.equals(hash) ? "trace hash " + hash
                + " matches the recorded one" : "trace hash " + hash + " differs from the recorded " + want
                + " (another build?)";
        return new Replayed(rec, overlay, p.protocol(), seed, f + " run " + index + " (" + topology + " n=" + n + " seed=" + seed + ")", note);
    }

    /** A {@code ringlab check --run-seed S [--nodes A..B] [--faults PLAN]} command, re-run and recorded. */
    static Replayed check(String command) {
        List<String> args = words(command);
        Long seed = null;
        int minN = 4;
        int maxN = 16;
        FaultPlan plan = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String v = i + 1 < args.size() ? args.get(i + 1) : null;
            switch (a) {
                case "ringlab", "check" -> { }
                case "--run-seed" -> {
                    seed = parseLong(v);
                    i++;
                }
                case "--nodes" -> {
                    String[] mm = v == null ? new String[0] : v.split("\\.\\.");
                    if (mm.length != 2) {
                        throw new UsageException("--replay", "--nodes needs MIN..MAX, got " + v);
                    }
                    minN = (int) parseLong(mm[0]);
                    maxN = (int) parseLong(mm[1]);
                    i++;
                }
                case "--faults" -> {
                    try {
                        plan = v == null || v.equals("none") ? FaultPlan.none() : FaultPlan.parse(v);
                    } catch (IllegalArgumentException e) {
                        throw new UsageException("--replay", "--faults: " + e.getMessage());
                    }
                    i++;
                }
                default -> throw new UsageException("--replay", "a check replay takes --run-seed, --nodes and --faults, "
                        + "got '" + a + "'");
            }
        }
        if (seed == null) {
            throw new UsageException("--replay", "a check replay needs --run-seed S (what a violation prints)");
        }
        if (minN < 3 || maxN < minN || maxN > 4096) {
            throw new UsageException("--replay", "--nodes needs 3 <= MIN <= MAX <= 4096");
        }
        return check(CheckRuns.draw(seed, minN, maxN, plan), p -> p, command);
    }

    /** Records run {@code d} with its protocol decorated first by {@code decorate} (tests break it on purpose). */
    static Replayed check(CheckRuns.Drawn d, UnaryOperator<Protocol> decorate, String source) {
        Recording rec = new Recording(d.overlay().size());
        rec.mark(d.plan(), 0);
        rec.mark(Recording.HEAL, -1, d.healAtNanos());
        String violation = CheckRuns.run(d, p -> rec.wrap(decorate.apply(p)));
        rec.finish(violation);
        return new Replayed(rec, d.overlay(), d.protocol(), d.seed(), source + " [" + d.describe() + "]",
                violation == null ? "the run passed (no violation)" : "violation at event " + rec.violationIndex() + ": " + violation);
    }

    private static long parseLong(String v) {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException | NullPointerException e) {
            throw new UsageException("--replay", "expected a number, got '" + v + "'");
        }
    }

    /** Splits a command line as a POSIX shell would for plain words and single or double quotes. */
    static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean in = false;
        char q = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (q != 0) {
                if (c == q) {
                    q = 0;
                } else {
                    w.append(c);
                }
            } else if (c == '\'' || c == '"') {
                q = c;
                in = true;
            } else if (Character.isWhitespace(c)) {
                if (in) {
                    out.add(w.toString());
                    w.setLength(0);
                    in = false;
                }
            } else {
                w.append(c);
                in = true;
            }
        }
        if (in) {
            out.add(w.toString());
        }
        return out;
    }
}
