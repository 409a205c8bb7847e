package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import picocli.CommandLine;

/**
 * {@code ringlab replay STUDY/run.json} for a study ({@code ringlab run}, or {@code submit} + {@code collect}):
 * every trace hash the study recorded is checked. A cell whose results directory holds a compare or fidelity
 * run.json is replayed as {@code replay} replays that file (every seed); a cell whose own output has a trace
 * hash (a simulator {@code broadcast}, {@code recover}, ...) and that writes no results directory is run again
 * in this JVM with its recorded arguments and its new hash compared. Cells with no trace hash (real engines,
 * {@code topology}) are counted as not replayable, not as matches.
 */
final class StudyReplay {
    private StudyReplay() {}

    /** One cell whose replayed hash differs from the recorded one. */
    record Mismatch(String cell, String what, String recorded, String replayed) {
        @Override
        public String toString() {
            return cell + " " + what + ": recorded " + recorded + ", replayed " + replayed;
        }
    }

    /** Replays the study in {@code dir}; exit 0 if every hash matches, 1 if one differs. */
    static int replay(Path dir, boolean json, PrintWriter out, PrintWriter err) {
        Study study;
        try {
            study = Study.open(dir);
        } catch (UsageException e) {
            throw new UsageException("RUN_JSON", e.getMessage().replaceFirst("^--resume: ", ""));
        }
        if (study.finished().isEmpty()) {
            throw new UsageException("RUN_JSON", dir + " is a study with no finished cell: nothing to replay");
        }
        List<Mismatch> mismatches = new ArrayList<>();
        int hashes = 0;
        int notReplayable = 0;
        ProgressBar bar = new ProgressBar(err, "replay", study.finished().size());
        for (ExperimentFile.Cell c : study.cells()) {
            JsonNode record = study.finished().get(c.index());
            if (record == null) {
                continue;
            }
            List<Path> runs = recordedRuns(study.cellDir(c));
            if (!runs.isEmpty()) {
                for (Path r : runs) {
                    JsonNode run = ResultsDir.readJson(r);
                    JsonNode recorded = run.path("experiment").asText("").equals("fidelity") ? run.path("sim") : run;
                    int[] count = {0};
                    for (ReplayCommand.Mismatch m : ReplayCommand.replay(recorded, new PrintWriter(Writer.nullWriter()), count)) {
                        mismatches.add(new Mismatch(c.dirName(), m.topology() + " n=" + m.nodes() + " seed=" + m.seed(),
                                m.recorded(), m.replayed()));
                    }
                    hashes += count[0];
                }
            } else {
                JsonNode want = RunCommand.metric(record.get("result"), "trace_hash");
                if (want == null || !record.path("out").isNull()) {
                    notReplayable++;
                } else {
                    String got = rerun(c);
                    hashes++;
                    if (!Objects.equals(want.asText(), got)) {
                        mismatches.add(new Mismatch(c.dirName(), "(" + c.commandLine() + ")", want.asText(), got));
                    }
                }
            }
            bar.step(c.dirName() + " " + c.label());
        }
        bar.finish();
        if (json) {
            ObjectNode o = new ObjectMapper().createObjectNode();
            o.put("run_json", dir.resolve("run.json").toString());
            o.put("runs", hashes);
            o.put("cells_not_replayable", notReplayable);
            o.put("matched", mismatches.isEmpty());
            ArrayNode a = o.putArray("mismatches");
            for (Mismatch m : mismatches) {
                ObjectNode x = a.addObject();
                x.put("cell", m.cell());
                x.put("what", m.what());
                x.put("recorded", m.recorded());
                x.put("replayed", m.replayed());
            }
            out.println(o);
        } else if (mismatches.isEmpty()) {
            out.println("replay: all " + hashes + " trace hashes match (study " + dir + ", " + study.finished().size() + " cells"
                    + (notReplayable > 0 ? ", " + notReplayable + " without a trace hash" : "") + ")");
        } else {
            out.println("replay: " + mismatches.size() + " of " + hashes + " trace hashes differ (study " + dir + "):");
            mismatches.forEach(m -> out.println("  " + m));
        }
        out.flush();
        return mismatches.isEmpty() ? 0 : 1;
    }

    /** The compare and fidelity run.json files in a cell's directory (its command's results directory). */
    private static List<Path> recordedRuns(Path cellDir) {
        if (!Files.isDirectory(cellDir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(cellDir)) {
            return s.filter(p -> p.getFileName().toString().matches("(compare|fidelity)-.*"))
                    .map(p -> p.resolve("run.json")).filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Runs the cell's command again in this JVM and returns its trace hash (null if it printed none). */
    private static String rerun(ExperimentFile.Cell c) {
        CommandLine cl = Main.commandLine();
        StringWriter text = new StringWriter();
        cl.setOut(new PrintWriter(text, true));
        cl.setErr(new PrintWriter(Writer.nullWriter()));
        int exit = cl.execute(c.argv().toArray(String[]::new));
        String s = text.toString().strip();
        if (exit != 0 || s.isEmpty()) {
            return "(exit " + exit + ")";
        }
        try {
            JsonNode v = RunCommand.metric(new ObjectMapper().readTree(s.substring(s.lastIndexOf('\n') + 1)), "trace_hash");
            return v == null ? null : v.asText();
        } catch (IOException e) {
            return "(no JSON output)";
        }
    }
}
