package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab replay RUN_JSON}: reruns every simulator run recorded in a results directory's
 * {@code run.json} with the recorded parameters (topology, n, seed, protocol, latency, loss, processing,
 * broadcasts per seed, drain, payload) and compares each trace hash with the recorded one. Exit 0 if all
 * match, 1 with one line per difference if any does not, 2 if the file cannot be replayed (not a simulator
 * run, a field missing).
 *
 * <p>Replays {@code compare} results and the simulator half of {@code fidelity} results (its
 * {@code sim} object has the same shape). The trace hash covers every delivery (time, from, to, message
 * type), so any change to the overlay, the origins, the link draws or the protocol shows; a different build
 * may legitimately change it too, so the recorded and current versions are printed.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Rerun a recorded experiment (results/<dir>/run.json, or the directory) on the simulator and check "
                + "that every trace hash matches. Exit 1 with a diff if any differs.")
public final class ReplayCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN_JSON", description = "A run.json written by compare or fidelity, or its directory.")
    Path file;

    @Option(names = "--json", description = "Print one JSON object: matched, mismatches.")
    boolean json;

    /** One run whose replayed hash differs from the recorded one. */
    public record Mismatch(String topology, int nodes, long seed, String recorded, String replayed) {
        @Override
        public String toString() {
            return topology + " n=" + nodes + " seed=" + seed + ": recorded " + recorded + ", replayed " + replayed;
        }
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path f = Files.isDirectory(file) ? file.resolve("run.json") : file;
        if (!Files.isRegularFile(f)) {
            throw new UsageException("RUN_JSON", "no such file: " + f);
        }
        JsonNode run;
        try {
            run = ResultsDir.readJson(f);
        } catch (RuntimeException e) {
            throw new UsageException("RUN_JSON", e.getMessage());
        }
        if ("run".equals(run.path("kind").asText())) {
            // A study (ringlab run, or submit + collect): its cells' trace hashes.
            return StudyReplay.replay(f.toAbsolutePath().getParent(), json, out, err);
        }
        String experiment = run.path("experiment").asText("");
        JsonNode recorded = switch (experiment) {
            case "compare" -> run;
            case "fidelity" -> run.path("sim");
            default -> throw new UsageException("RUN_JSON", f + " is not a compare or fidelity run.json (experiment='"
                    + experiment + "')");
        };
        String version = run.path("version").asText("?");
        if (!version.equals(Main.version())) {
            err.println("replay: recorded with version " + version + ", replaying with " + Main.version()
                    + " (a different build may change trace hashes)");
        }
        List<Mismatch> mismatches;
        int[] count = {0};
        try {
            mismatches = replay(recorded, err, count);
        } catch (IllegalArgumentException e) {
            throw new UsageException("RUN_JSON", e.getMessage());
        }
        if (json) {
            ObjectNode o = new ObjectMapper().createObjectNode();
            o.put("run_json", f.toString());
            o.put("runs", count[0]);
            o.put("matched", mismatches.isEmpty());
            ArrayNode a = o.putArray("mismatches");
            for (Mismatch m : mismatches) {
                ObjectNode x = a.addObject();
                x.put("topology", m.topology());
                x.put("nodes", m.nodes());
                x.put("seed", m.seed());
                x.put("recorded", m.recorded());
                x.put("replayed", m.replayed());
            }
            out.println(o.toString());
        } else if (mismatches.isEmpty()) {
            out.println("replay: all " + count[0] + " trace hashes match (" + f + ")");
        } else {
            out.println("replay: " + mismatches.size() + " of " + count[0] + " trace hashes differ (" + f + "):");
            for (Mismatch m : mismatches) {
                out.println("  " + m);
            }
        }
        out.flush();
        return mismatches.isEmpty() ? 0 : 1;
    }

    /**
     * Reruns the runs recorded in {@code recorded} (params as written by {@link BroadcastExperiment#putParams}
     * and a {@code runs} array) and returns those whose hash differs.
     *
     * @throws IllegalArgumentException if the record is not a simulator run or lacks a field
     */
    static List<Mismatch> replay(JsonNode recorded, PrintWriter err, int[] count) {
        BroadcastExperiment.Params p = BroadcastExperiment.paramsFrom(recorded);
        if (!p.engine().deterministic()) {
            throw new IllegalArgumentException("engine " + p.engine().name() + " runs are not deterministic and have no trace"
                    + " hash; only simulator runs replay");
        }
        JsonNode runs = recorded.path("runs");
        if (!runs.isArray() || runs.isEmpty()) {
            throw new IllegalArgumentException("run.json has no 'runs' to replay");
        }
        List<Mismatch> out = new ArrayList<>();
        ProgressBar bar = new ProgressBar(err, "replay", runs.size());
        for (JsonNode r : runs) {
            String topology = r.path("topology").asText();
            int n = r.path("nodes").asInt();
            long seed = r.path("seed").asLong();
            String want = r.path("trace_hash").asText(null);
            String why = BroadcastExperiment.cannotBuild(topology, n);
            String got = why != null ? "(cannot build: " + why + ")" : BroadcastExperiment.run(p, topology, n, seed).traceHash();
            if (!Objects.equals(want, got)) {
                out.add(new Mismatch(topology, n, seed, want, got));
            }
            count[0]++;
            bar.step(topology + " n=" + n + " seed=" + seed);
        }
        bar.finish();
        return out;
    }
}
