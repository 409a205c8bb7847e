package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab collect STUDY_DIR}: ends a study whose cells ran elsewhere (Slurm array tasks of
 * {@code ringlab submit}, or {@code ringlab run --resume DIR --cells LIST} slices): once every cell has its
 * {@code cell.json}, writes {@code cells.csv}, {@code run.json} and the summary exactly as {@code ringlab run}
 * does at its end ({@link RunCommand#finish}), so the directory is the one a local run writes. A cell without a
 * result means a task failed, timed out or has not run yet: collect then writes nothing and names the missing
 * cells, their tasks and logs in one line (exit 1), rather than a partial study that looks finished.
 */
@Command(
        name = "collect",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        header = "Merge a study's cells that ran as Slurm array tasks (ringlab submit) into its run.json and cells.csv.",
        description = {
            "Writes STUDY_DIR/cells.csv, run.json and the summary, as ringlab run writes them at its end, once every cell "
                    + "has a result. Exit 1 with the missing cells (their array tasks and logs) if some have none: nothing "
                    + "is written then; run them with ringlab submit --resume STUDY_DIR, or here with ringlab run --resume "
                    + "STUDY_DIR. Exit 1 too, after writing, if a cell's command failed (as ringlab run)."
        })
public final class CollectCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "STUDY_DIR", description = "A study directory written by ringlab submit (or run).")
    Path dir;

    @Option(names = "--json", description = "Print one JSON object: results_dir, cells_total, cells_run, failed, rows.")
    boolean json;

    @Override
    public Integer call() {
        return collect(dir, json, spec.commandLine().getOut(), spec.commandLine().getErr());
    }

    /** Collects the study in {@code dir}; see the class comment. */
    static int collect(Path dir, boolean json, PrintWriter stdout, PrintWriter err) {
        if (!Files.isDirectory(dir) || !(Files.isRegularFile(dir.resolve("experiment.toml"))
                || Files.isRegularFile(dir.resolve("experiment.json")))) {
            throw new UsageException("STUDY_DIR", dir + " is not a study directory (no experiment.toml or .json): give the "
                    + "directory ringlab submit printed, results/<name>-<stamp>");
        }
        Study study = Study.open(dir);
        JsonNode before = Files.isRegularFile(dir.resolve("run.json")) ? ResultsDir.readJson(dir.resolve("run.json")) : null;
        List<ExperimentFile.Cell> missing = study.cells().stream().filter(c -> !study.isFinished(c)).toList();
        // slurm/jobs.json is the record submit keeps; run.json's copy is only as new as the last run.json written.
        JsonNode jobs = Files.isRegularFile(dir.resolve("slurm").resolve("jobs.json"))
                ? ResultsDir.readJson(dir.resolve("slurm").resolve("jobs.json")) : before == null ? null : before.get("slurm");
        if (!missing.isEmpty()) {
            err.println("ringlab collect: " + missingLine(study, missing, jobs));
            err.flush();
            return 1;
        }
        Instant started = before != null && before.hasNonNull("started") ? Instant.parse(before.get("started").asText()) : Instant.now();
        String source = before == null ? null : before.path("source").asText(null);
        ObjectNode extra = null;
        if (jobs != null) {
            extra = JsonNodeFactory.instance.objectNode();
            extra.set("slurm", jobs);
        }
        return RunCommand.finish(study, started, source, extra, study.finished().size(), "finished", json, "ringlab collect",
                stdout, err);
    }

    /**
     * One line: which cells have no result, which array tasks of which jobs were to run them and where their
     * logs are, and how to run them. Lists are cut at 12 names.
     */
    static String missingLine(Study study, List<ExperimentFile.Cell> missing, JsonNode jobs) {
        int total = study.cells().size();
        List<String> names = missing.stream().map(ExperimentFile.Cell::dirName).toList();
        StringBuilder b = new StringBuilder();
        b.append(missing.size()).append(" of ").append(total).append(" cells have no result: ").append(cut(names));
        // The last job that was to run a cell is the one whose log says why it has no result.
        Map<String, TreeSet<Integer>> tasksByJob = new LinkedHashMap<>();
        List<String> logs = new ArrayList<>();
        if (jobs != null && jobs.isArray()) {
            for (ExperimentFile.Cell c : missing) {
                for (int j = jobs.size() - 1; j >= 0; j--) {
                    JsonNode job = jobs.get(j);
                    String task = taskOf(job.path("tasks"), c.index(), total);
                    if (task != null) {
                        String id = job.path("job_id").isTextual() ? job.get("job_id").asText() : "(not submitted: "
                                + job.path("script").asText() + ")";
                        if (tasksByJob.computeIfAbsent(id, k -> new TreeSet<>()).add(Integer.parseInt(task))
                                && job.path("job_id").isTextual()) {
                            logs.add(SlurmJob.log(study.dir(), id, Integer.parseInt(task)).toString());
                        }
                        break;
                    }
                }
            }
        }
        if (!tasksByJob.isEmpty()) {
            List<String> parts = new ArrayList<>();
            tasksByJob.forEach((id, t) -> parts.add("job " + id + " task" + (t.size() > 1 ? "s " : " ")
                    + cut(t.stream().map(String::valueOf).toList())));
            b.append(" (").append(String.join(", ", parts));
            if (!logs.isEmpty()) {
                b.append("; logs: ").append(cut(logs));
            }
            b.append(')');
        }
        String d = Replay.quote(study.dir().toString());
        b.append("; nothing written. If the job is still running (squeue), wait; else run them again: ringlab submit --resume ")
                .append(d).append(", or here: ringlab run --resume ").append(d);
        return b.toString();
    }

    /** The task (its number as text) whose cell list holds {@code cell}, or null. */
    private static String taskOf(JsonNode tasks, int cell, int total) {
        for (var e : tasks.properties()) {
            if (RunCommand.cells(e.getValue().asText(), total).contains(cell)) {
                return e.getKey();
            }
        }
        return null;
    }

    private static String cut(List<String> names) {
        return names.size() <= 12 ? String.join(", ", names)
                : String.join(", ", names.subList(0, 12)) + ", ... (" + (names.size() - 12) + " more)";
    }
}
