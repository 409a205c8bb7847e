package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab submit FILE}: a study ({@link ExperimentFile}) as a Slurm array job. Creates the study
 * directory exactly as {@code ringlab run} does, copies the ringlab jar into {@code STUDY/slurm/} (every task runs
 * the build that checked the cells, whatever happens to the checkout meanwhile), writes the job script
 * ({@link SlurmJob}) and submits it with {@code sbatch}; {@code ringlab collect STUDY} then writes run.json and
 * cells.csv. {@code --resume STUDY} submits only the cells that have no result yet (after a task failed or
 * timed out). {@code STUDY/slurm/jobs.json} lists every job submitted for the study, with each task's cells, so
 * {@code collect} can name the task and log of a missing cell.
 */
@Command(
        name = "submit",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        header = "Run a study (an experiment file) as a Slurm array job; ringlab collect merges the results.",
        description = {
            "Creates the study directory (as ringlab run FILE does, under --out, which must be on a file system every "
                    + "node sees), copies the ringlab jar into STUDY/slurm/, writes STUDY/slurm/job-K.sh (one array task "
                    + "per --cells-per-task cells, default 1, or --tasks T tasks) and submits it with sbatch. Each task "
                    + "runs 'ringlab run --resume STUDY --cells LIST' and writes only its cells' directories.",
            "",
            "When the job has ended, 'ringlab collect STUDY' writes run.json and cells.csv: the directory a local "
                    + "'ringlab run FILE' writes. --dry-run writes the script without submitting it; --wait waits for "
                    + "the job (sbatch --wait) and collects. --resume STUDY submits the cells that have no result yet."
        })
public final class SubmitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", description = "The experiment file, .toml or .json.")
    Path file;

    @Option(names = "--resume", paramLabel = "STUDY_DIR",
            description = "Submit the cells of STUDY_DIR (a study ringlab run or submit wrote) that have no result yet.")
    Path resume;

    @Option(names = "--out", defaultValue = "results", paramLabel = "DIR",
            description = "Results root, on a file system every node sees; the study directory is created in it "
                    + "(default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--cells-per-task", paramLabel = "K",
            description = "Cells per array task, run one after the other in one JVM (default: 1).")
    Integer cellsPerTask;

    @Option(names = "--tasks", paramLabel = "T", description = "Split the cells into T array tasks of near-equal size instead.")
    Integer tasks;

    @Option(names = {"-p", "--partition"}, paramLabel = "P", description = "sbatch --partition.")
    String partition;

    @Option(names = {"-t", "--time"}, paramLabel = "LIMIT", description = "sbatch --time, per task (e.g. 00:30:00).")
    String time;

    @Option(names = "--cpus-per-task", defaultValue = "1", paramLabel = "C",
            description = "sbatch --cpus-per-task (default: ${DEFAULT-VALUE}; a cell's own --threads then uses them).")
    int cpusPerTask;

    @Option(names = "--sbatch-arg", paramLabel = "OPTION",
            description = "Another sbatch option, passed through as one word, e.g. --sbatch-arg=--account=abc "
                    + "--sbatch-arg=--mem=8G (repeatable).")
    List<String> sbatchArgs = new ArrayList<>();

    @Option(names = "--java", paramLabel = "PATH",
            description = "The java binary the tasks run, Java 21+, on every node (default: this JVM's).")
    String java;

    @Option(names = "--java-opt", paramLabel = "OPTION",
            description = "A JVM option of the tasks (repeatable; default: -Xmx as this JVM's heap, which the cells were "
                    + "checked against, and -XX:+UseParallelGC).")
    List<String> javaOpts;

    @Option(names = "--jar", paramLabel = "JAR",
            description = "The ringlab jar the tasks run (default: the one running now, experiments/target/ringlab.jar).")
    Path jar;

    @Option(names = "--dry-run", description = "Write the study directory and the job script; do not submit.")
    boolean dryRun;

    @Option(names = "--wait", description = "Wait for the job to end (sbatch --wait), then collect as ringlab collect does.")
    boolean waitForJob;

    @Option(names = "--json", description = "Print one JSON object: results_dir, script, job_id, tasks, cells.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (file == null && resume == null) {
            throw new UsageException("FILE", "give an experiment file (see experiments/studies/), or --resume STUDY_DIR");
        }
        if (file != null && resume != null) {
            throw new UsageException("--resume", "submits the unfinished cells of STUDY_DIR: give FILE or --resume STUDY_DIR, not both");
        }
        if (resume != null && spec.commandLine().getParseResult().hasMatchedOption("--out")) {
            throw new UsageException("--out", "a resumed study stays in its directory, " + resume + ": drop --out");
        }
        if (cellsPerTask != null && tasks != null) {
            throw new UsageException("--tasks", "splits the cells by count of tasks, --cells-per-task by size: give one");
        }
        if (cellsPerTask != null && cellsPerTask < 1) {
            throw new UsageException("--cells-per-task", "must be >= 1, got " + cellsPerTask);
        }
        if (tasks != null && tasks < 1) {
            throw new UsageException("--tasks", "must be >= 1, got " + tasks);
        }
        if (cpusPerTask < 1) {
            throw new UsageException("--cpus-per-task", "must be >= 1, got " + cpusPerTask);
        }
        if (dryRun && waitForJob) {
            throw new UsageException("--wait", "waits for a submitted job; --dry-run submits none: drop one");
        }
        List<String> sbatchOptions = new ArrayList<>();
        if (partition != null) {
            SlurmJob.check("--partition", partition);
            sbatchOptions.add("--partition=" + partition);
        }
        if (time != null) {
            SlurmJob.check("--time", time);
            sbatchOptions.add("--time=" + time);
        }
        sbatchArgs.forEach(SlurmJob::checkOption);
        sbatchOptions.addAll(sbatchArgs);
        if (resume == null) {
            // The script's #SBATCH --output names the study's directory: refuse a root it cannot carry before creating it.
            SlurmJob.check("--out", out.toAbsolutePath().toString());
        }
        Path source = jarToRun();
        String javaBin = java != null ? java : Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> jvm = javaOpts != null ? javaOpts
                : List.of("-Xmx" + (Runtime.getRuntime().maxMemory() >> 20) + "m", "-XX:+UseParallelGC");
        String sbatch = dryRun ? null : sbatch();

        Study study;
        Instant started = Instant.now();
        String from;
        if (resume == null) {
            study = Study.prepare(file).create(out.toAbsolutePath());
            from = file.toString();
        } else {
            study = Study.open(resume.toAbsolutePath());
            JsonNode before = Files.isRegularFile(resume.resolve("run.json")) ? ResultsDir.readJson(resume.resolve("run.json")) : null;
            from = before == null ? null : before.path("source").asText(null);
            if (before != null && before.hasNonNull("started")) {
                started = Instant.parse(before.get("started").asText());
            }
        }
        Path dir = study.dir().toAbsolutePath();
        SlurmJob.check("--out", dir.toString());
        List<Integer> todo = study.cells().stream().filter(c -> !study.isFinished(c)).map(ExperimentFile.Cell::index).toList();
        if (todo.isEmpty()) {
            throw new UsageException("--resume", "every cell of " + dir + " has its result; write the study's files with: "
                    + "ringlab collect " + Replay.quote(dir.toString()));
        }
        List<String> chunks = SlurmJob.chunks(todo, tasks == null && cellsPerTask == null ? Integer.valueOf(1) : cellsPerTask, tasks);

        Path slurm = dir.resolve("slurm");
        Path jarCopy = slurm.resolve("ringlab.jar");
        ArrayNode jobs;
        try {
            Files.createDirectories(slurm);
            if (!Files.exists(jarCopy)) {
                Files.copy(source, jarCopy, StandardCopyOption.COPY_ATTRIBUTES);
            }
            jobs = Files.isRegularFile(slurm.resolve("jobs.json"))
                    ? (ArrayNode) ResultsDir.readJson(slurm.resolve("jobs.json")) : JsonNodeFactory.instance.arrayNode();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + slurm + ": " + e.getMessage(), e);
        }
        List<String> classpath = new ArrayList<>();
        classpath.add(jarCopy.toString());
        classpath.addAll(extraClasspath(source));
        SlurmJob job = new SlurmJob(study.file().name(), dir, chunks, javaBin, jvm, classpath, cpusPerTask, sbatchOptions);
        Path script = slurm.resolve("job-" + (jobs.size() + 1) + ".sh");
        try {
            Files.writeString(script, job.script(), StandardCharsets.UTF_8);
            script.toFile().setExecutable(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + script + ": " + e.getMessage(), e);
        }
        ObjectNode record = jobs.addObject();
        record.put("script", dir.relativize(script).toString());
        record.put("submitted", dryRun ? null : Instant.now().toString());
        record.putNull("job_id");
        ObjectNode taskCells = record.putObject("tasks");
        for (int i = 0; i < chunks.size(); i++) {
            taskCells.put(String.valueOf(i + 1), chunks.get(i));
        }
        String jobId = null;
        if (waitForJob) {
            err.printf(Locale.ROOT, "ringlab submit: study %s: %d cell(s) in %d array task(s); sbatch --wait %s: waiting for the job to "
                    + "end ...%n", study.file().name(), todo.size(), chunks.size(), script);
            err.flush();
        }
        if (!dryRun) {
            jobId = submit(sbatch, script, err);
            record.put("job_id", jobId);
        }
        ResultsDir.open(slurm).writeJson("jobs.json", jobs);
        ObjectNode extra = JsonNodeFactory.instance.objectNode();
        extra.set("slurm", jobs);
        study.writeRunJson(dryRun ? "job script written, not submitted" : "submitted to Slurm as job " + jobId, started, from, extra);

        String sbatchLine = "sbatch " + Replay.quote(script.toString());
        err.printf(Locale.ROOT, "ringlab submit: study %s: %d cell(s) in %d array task(s)%s; script %s%n", study.file().name(),
                todo.size(), chunks.size(), jobId == null ? ", not submitted (--dry-run): " + sbatchLine
                : waitForJob ? ", job " + jobId + " has ended" : ", job " + jobId, script);
        err.flush();
        if (waitForJob) {
            return CollectCommand.collect(dir, json, stdout, err);
        }
        if (json) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("results_dir", dir.toString());
            o.put("script", script.toString());
            o.put("job_id", jobId);
            o.put("tasks", chunks.size());
            o.put("cells", todo.size());
            stdout.println(o);
        } else {
            stdout.printf(Locale.ROOT, "%s%nwhen the job has ended: ringlab collect %s%n",
                    jobId == null ? "submit it with: " + sbatchLine : "submitted job " + jobId + " (squeue -j " + jobId + ")",
                    Replay.quote(dir.toString()));
        }
        stdout.flush();
        return 0;
    }

    /** The jar the tasks run: {@code --jar}, or the one this JVM runs from. */
    private Path jarToRun() {
        if (jar != null) {
            if (!Files.isRegularFile(jar)) {
                throw new UsageException("--jar", "no such file: " + jar + " (build it with ./ringlab --version, or mvn package)");
            }
            return jar.toAbsolutePath();
        }
        Path here = null;
        try {
            here = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            // no code source: fall through to the refusal below
        }
        if (here == null || !Files.isRegularFile(here)) {
            throw new UsageException("--jar", "this ringlab runs from " + (here == null ? "an unknown place" : here)
                    + ", not from a jar: give --jar experiments/target/ringlab.jar");
        }
        return here.toAbsolutePath();
    }

    /** This JVM's class path after the ringlab jar (a protocol of your own): the tasks need it too. */
    private List<String> extraClasspath(Path ringlabJar) {
        List<String> out = new ArrayList<>();
        for (String e : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
            if (!e.isBlank() && !Path.of(e).toAbsolutePath().normalize().equals(ringlabJar.normalize())) {
                out.add(Path.of(e).toAbsolutePath().toString());
            }
        }
        return jar == null ? out : List.of();
    }

    /** sbatch on the PATH, or a refusal naming the fix. */
    private static String sbatch() {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, "sbatch"))) {
                return Path.of(d, "sbatch").toString();
            }
        }
        throw new UsageException("--dry-run", "sbatch is not on the PATH: run ringlab submit on a Slurm login node, or give "
                + "--dry-run to only write the job script");
    }

    /** Runs sbatch on {@code script} and returns the job id; with --wait, returns when the job has ended. */
    private String submit(String sbatch, Path script, PrintWriter err) {
        List<String> cmd = new ArrayList<>(List.of(sbatch, "--parsable"));
        if (waitForJob) {
            cmd.add("--wait");
        }
        cmd.add(script.toString());
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UsageException("--dry-run", "cannot run " + sbatch + ": " + e.getMessage());
        }
        List<String> lines = new ArrayList<>();
        String id = null;
        try (var r = p.inputReader(StandardCharsets.UTF_8)) {
            String line;
            while ((line = r.readLine()) != null) {
                lines.add(line);
                if (id == null && line.matches("\\d+(;\\S+)?")) {
                    // --parsable prints the job id first (";cluster" on a federation); --wait keeps the pipe open until the end.
                    id = line.contains(";") ? line.substring(0, line.indexOf(';')) : line;
                }
            }
            int exit = p.waitFor();
            if (id == null) {
                throw new IllegalStateException("sbatch " + script + " failed (exit " + exit + "): "
                        + String.join(" / ", lines).strip() + "; fix the option it names and submit again: ringlab submit "
                        + "--resume " + Replay.quote(script.getParent().getParent().toString()));
            }
            if (exit != 0) {
                err.println("ringlab submit: sbatch --wait exited " + exit + ": a task failed; collect says which cells lack a result");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sbatch ran", e);
        }
        return id;
    }
}
