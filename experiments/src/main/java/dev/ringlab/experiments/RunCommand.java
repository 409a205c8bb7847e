package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab run FILE}: runs a study described by an {@link ExperimentFile}, cell after cell, each cell
 * its command run in this JVM through the command tree with {@code --json} (as {@link RecoverRuns} runs
 * {@code recover}), so a cell's output is exactly what the command alone prints: same arguments, same seed,
 * same trace hash. Every cell is checked before the first one runs. Each finished cell is written at once
 * ({@link Study}), so {@code --resume STUDY_DIR} continues an interrupted study where it stopped.
 *
 * <p>Exit codes: 0 when every cell exited 0 (or {@code --max-cells} stopped the run early); 1 when a cell's
 * experiment failed (the study goes on and the failures are listed at the end); 2 for a bad file or a cell
 * its command refuses as bad input (the study stops there: every later cell would need the same fix).
 */
@Command(
        name = "run",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        header = "Run a study from an experiment file: a sweep of ringlab commands, each cell kept as it finishes.",
        description = {
            "FILE (.toml or .json) names the command each cell runs and its options by the command's own flag names "
                    + "without dashes (n = 64, latency = \"const:1ms\", a switch as true/false); [sweep] lists values "
                    + "per key and the cells are their cartesian product; [[part]] tables hold several commands in one "
                    + "study; metrics = [\"latency_ms.p99\", ...] picks the summary's columns. Examples: "
                    + "experiments/studies/*.toml.",
            "",
            "Every key and every cell is checked through the command's own options before anything runs (exit 2). "
                    + "Writes <out>/<name>-<stamp>/: experiment.toml (the file, verbatim), run.json, cells.csv and "
                    + "cells/cNNN/ (cell.json with the command's JSON output, stderr.log, its results directory if "
                    + "it writes one), each cell as it finishes; progress on stderr, a summary table at the end.",
            "",
            "--resume STUDY_DIR continues an interrupted study from its own copy of the file, running only the cells "
                    + "without a cell.json. Exit 1 if a cell failed (the others still run)."
        })
public final class RunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "FILE", description = "The experiment file, .toml or .json.")
    Path file;

    @Option(names = "--resume", paramLabel = "STUDY_DIR",
            description = "Continue the study in STUDY_DIR (a directory this command wrote): run its unfinished cells.")
    Path resume;

    @Option(names = "--out", defaultValue = "results", paramLabel = "DIR",
            description = "Results root; the study directory is created in it (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--max-cells", paramLabel = "K",
            description = "Run at most K cells now, then stop; --resume continues (for long studies in slices).")
    Integer maxCells;

    @Option(names = "--cells", paramLabel = "LIST",
            description = "With --resume: run only these cells (e.g. 1-4,9: the numbers of cells/cNNN) that are not finished, and "
                    + "write only their cells/cNNN/; run.json and cells.csv are left to 'ringlab collect STUDY_DIR', so "
                    + "several slices can run at once (a Slurm array task runs one, see 'ringlab submit').")
    String cellList;

    @Option(names = "--dry-run", description = "Check the file and list its cells; run and write nothing.")
    boolean dryRun;

    @Option(names = "--threads", paramLabel = "T",
            description = "Cells run in parallel on this many threads when every cell to run is a simulator run or a topology "
                    + "(default: the machine's cores, fewer if the heap cannot hold that many of the largest cell); each cell's "
                    + "output and trace hash are those of one thread. A cell on a real engine measures real time, so such a "
                    + "study runs one cell at a time and more than 1 is refused.")
    Integer threads;

    @Option(names = "--json", description = "Print one JSON object: results_dir, cells_total, cells_run, failed, rows.")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (file == null && resume == null) {
            throw new UsageException("FILE", "give an experiment file (see experiments/studies/), or --resume STUDY_DIR");
        }
        if (file != null && resume != null) {
            throw new UsageException("--resume", "continues a study from the copy of the file in STUDY_DIR: give FILE or "
                    + "--resume STUDY_DIR, not both");
        }
        if (resume != null && spec.commandLine().getParseResult().hasMatchedOption("--out")) {
            throw new UsageException("--out", "a resumed study stays in its directory, " + resume + ": drop --out");
        }
        if (cellList != null && resume == null) {
            throw new UsageException("--cells", "runs a slice of an existing study: give --resume STUDY_DIR (ringlab submit "
                    + "writes one), or run the whole FILE without --cells");
        }
        if (cellList != null && maxCells != null) {
            throw new UsageException("--cells", "names the cells to run; drop --max-cells");
        }
        if (maxCells != null && maxCells < 1) {
            throw new UsageException("--max-cells", "must be >= 1, got " + maxCells);
        }
        if (dryRun) {
            Study open = resume != null ? Study.open(resume) : null;
            return dryRun(stdout, open != null ? open.cells() : Study.prepare(file).cells(), open);
        }
        Instant started = Instant.now();
        String source;
        Study study;
        if (resume == null) {
            study = Study.prepare(file).create(out);
            source = file.toString();
        } else {
            study = Study.open(resume);
            JsonNode before = Files.isRegularFile(resume.resolve("run.json")) ? ResultsDir.readJson(resume.resolve("run.json")) : null;
            source = before == null ? null : before.path("source").asText(null);
            if (before != null && before.hasNonNull("started")) {
                started = Instant.parse(before.get("started").asText());
            }
        }
        if (cellList != null) {
            return runSlice(study, cells(cellList, study.cells().size()), stdout, err);
        }
        return run(study, started, source, stdout, err);
    }

    private int dryRun(PrintWriter stdout, List<ExperimentFile.Cell> cells, Study study) {
        if (json) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("cells_total", cells.size());
            ArrayNode rows = o.putArray("cells");
            for (ExperimentFile.Cell c : cells) {
                ObjectNode r = rows.addObject();
                r.put("cell", c.index());
                r.put("command_line", c.commandLine());
                r.put("finished", study != null && study.isFinished(c));
            }
            stdout.println(o);
        } else {
            for (ExperimentFile.Cell c : cells) {
                stdout.printf(Locale.ROOT, "%s  %s%s%n", c.dirName(), c.commandLine(),
                        study != null && study.isFinished(c) ? "   (finished)" : "");
            }
            stdout.printf(Locale.ROOT, "%d cells; checked, nothing run%n", cells.size());
        }
        stdout.flush();
        return 0;
    }

    private int run(Study study, Instant started, String source, PrintWriter stdout, PrintWriter err) {
        List<ExperimentFile.Cell> cells = study.cells();
        int before = study.finished().size();
        List<ExperimentFile.Cell> todo = cells.stream().filter(c -> !study.isFinished(c)).toList();
        boolean nothingToDo = todo.isEmpty();
        List<String> commands = study.file().parts().stream().map(ExperimentFile.Part::command).distinct().toList();
        err.printf(Locale.ROOT, "ringlab run: study %s: %d cell(s) of %s%s; results in %s%n", study.file().name(), cells.size(),
                String.join(", ", commands), before > 0 ? ", " + before + " finished before, " + todo.size() + " to run" : "",
                study.dir());
        err.flush();
        int cellThreads = threads(todo);
        study.writeRunJson("running", started, source);
        int ran = 0;
        long wallTotal = 0;
        String status = "finished";
        if (cellThreads > 1) {
            List<ExperimentFile.Cell> now = maxCells == null ? todo : todo.subList(0, Math.min(todo.size(), maxCells));
            status = now.size() < todo.size() ? "stopped" : status;
            ran = runParallel(study, now, cellThreads, started, source, false, err);
            todo = List.of();
        }
        for (ExperimentFile.Cell c : todo) {
            if (maxCells != null && ran == maxCells) {
                status = "stopped";
                break;
            }
            err.printf(Locale.ROOT, "ringlab run: [%d/%d] %s ... ", c.index(), cells.size(), c.label());
            err.flush();
            long t0 = System.nanoTime();
            ObjectNode record = runCell(study, c);
            long wall = System.nanoTime() - t0;
            int exit = record.get("exit").asInt();
            if (exit == 2) {
                err.println("bad input");
                err.flush();
                study.writeRunJson("bad input in cell " + c.index(), started, source);
                throw new UsageException(study.experiment() + ": cell " + c.index() + " (" + c.commandLine() + "): "
                        + record.get("error").asText() + "; fix it in " + study.experiment() + " and continue with: "
                        + "ringlab run --resume " + Replay.quote(study.dir().toString()));
            }
            study.finish(c, record);
            ran++;
            wallTotal += wall;
            // This invocation's cells: --max-cells may stop before the study's end.
            int left = (maxCells == null ? todo.size() : Math.min(todo.size(), maxCells)) - ran;
            err.printf(Locale.ROOT, "%s in %s%s%n", exit == 0 ? "ok" : "FAILED (exit " + exit + ")", seconds(wall),
                    left > 0 ? ", about " + seconds(wallTotal / ran * left) + " left" : "");
            if (exit != 0) {
                err.println("ringlab run:   " + record.get("error").asText());
            }
            err.flush();
            writeCsv(study);
        }
        if (nothingToDo) {
            err.println("ringlab run: every cell was already finished; nothing to run");
        }
        return finish(study, started, source, null, ran, status, json, "ringlab run", stdout, err);
    }

    /**
     * The threads for {@code todo}: {@code --threads} (default every core), refused above 1 when a cell measures real
     * time, and lowered so that that many copies of the largest cell fit the heap ({@link ParallelCells#threads}).
     */
    private int threads(List<ExperimentFile.Cell> todo) {
        if (threads != null && threads < 1) {
            throw new UsageException("--threads", "must be at least 1, got " + threads);
        }
        long largest = 0;
        // One command tree per command, as ExperimentFile checks them: building a tree per cell would cost more than the cell.
        Map<String, CommandLine> trees = new java.util.HashMap<>();
        for (ExperimentFile.Cell c : todo) {
            CommandLine tree = trees.computeIfAbsent(c.command(), k -> Main.commandLine());
            CommandLine.ParseResult p = tree.parseArgs(c.argv().toArray(String[]::new)).subcommand();
            CommandSpec sub = p.commandSpec();
            boolean simulated = c.command().equals("topology");
            for (CommandSpec m : sub.mixins().values()) {
                if (m.userObject() instanceof RunOptions r) {
                    simulated = r.engine().deterministic();
                }
            }
            if (!simulated) {
                if (threads != null && threads > 1) {
                    throw new UsageException("--threads", "cell " + c.index() + " (" + c.commandLine() + ") measures real time, "
                            + "so the study's cells run one at a time (parallel cells would measure each other); drop --threads "
                            + "or use --threads 1");
                }
                return 1;
            }
            long n = MemoryBudget.nodes(sub);
            for (String t : n > 0 ? MemoryBudget.topologies(sub, c.command()) : List.<String>of()) {
                largest = Math.max(largest, MemoryBudget.bytes(c.command(), t, n));
            }
        }
        return Math.min(Math.max(1, todo.size()), ParallelCells.threads(threads, Engines.byName("sim"), largest));
    }

    /**
     * Runs {@code todo} on {@code threads} threads. Each cell is finished (its cell.json written, cells.csv
     * rewritten) as soon as it ends, so a killed run keeps what finished; a cell its command refuses as bad input
     * stops the study as on one thread, at the first such cell in order, once the running cells have ended.
     */
    private int runParallel(Study study, List<ExperimentFile.Cell> todo, int threads, Instant started, String source,
            boolean slice, PrintWriter err) {
        int total = study.cells().size();
        err.printf(Locale.ROOT, "ringlab run: %d cell(s) on %d threads%n", todo.size(), threads);
        err.flush();
        java.util.concurrent.atomic.AtomicInteger ended = new java.util.concurrent.atomic.AtomicInteger();
        List<ObjectNode> records = ParallelCells.map(todo, threads, c -> {
            long t0 = System.nanoTime();
            ObjectNode record = runCell(study, c);
            int exit = record.get("exit").asInt();
            synchronized (study) {
                if (exit != 2) {
                    study.finish(c, record);
                    if (!slice) {
                        writeCsv(study);
                    }
                }
                // The line a cell gets on one thread, printed whole when the cell ends (cells end out of order).
                err.printf(Locale.ROOT, "ringlab run: [%d/%d] %s ... %s in %s (%d of %d ended)%n", c.index(), total, c.label(),
                        exit == 0 ? "ok" : exit == 2 ? "bad input" : "FAILED (exit " + exit + ")", seconds(System.nanoTime() - t0),
                        ended.incrementAndGet(), todo.size());
                if (exit != 0 && exit != 2) {
                    err.println("ringlab run:   " + record.get("error").asText());
                }
                err.flush();
            }
            return record;
        });
        int ran = 0;
        for (int i = 0; i < todo.size(); i++) {
            ExperimentFile.Cell c = todo.get(i);
            if (records.get(i).get("exit").asInt() == 2) {
                if (!slice) {
                    study.writeRunJson("bad input in cell " + c.index(), started, source);
                }
                throw new UsageException(study.experiment() + ": cell " + c.index() + " (" + c.commandLine() + "): "
                        + records.get(i).get("error").asText() + "; fix it in " + study.experiment() + " and continue with: "
                        + "ringlab run --resume " + Replay.quote(study.dir().toString()));
            }
            ran++;
        }
        return ran;
    }

    /**
     * Writes what a study's finished cells make: {@code cells.csv}, {@code run.json} (with {@code extra}'s fields
     * added, if any) and the summary on stdout (a table, or JSON with {@code json}); the closing lines on stderr
     * start with {@code who}. Exit code: 1 if a finished cell failed, else 0. {@code ringlab collect} ends a
     * study run as Slurm array tasks through the same method, so its directory is the one a local run writes.
     */
    static int finish(Study study, Instant started, String source, ObjectNode extra, int ran, String status, boolean json,
            String who, PrintWriter stdout, PrintWriter err) {
        List<ExperimentFile.Cell> cells = study.cells();
        writeCsv(study);
        study.writeRunJson(status, started, source, extra);
        List<Integer> failed = study.failed();
        if (json) {
            stdout.println(summaryJson(study, ran, failed));
        } else {
            table(stdout, study);
        }
        stdout.flush();
        if (status.equals("stopped")) {
            err.printf(Locale.ROOT, "%s: stopped after %d cells (--max-cells); %d of %d left; continue with: ringlab run "
                    + "--resume %s%n", who, ran, cells.size() - study.finished().size(), cells.size(), Replay.quote(study.dir().toString()));
        } else {
            err.printf(Locale.ROOT, "%s: %d cell(s), %d ran now, %d failed; results in %s%n", who, cells.size(), ran,
                    failed.size(), study.dir());
        }
        if (!failed.isEmpty()) {
            List<String> names = failed.stream().map(i -> cells.get(i - 1).dirName()).toList();
            err.println(who + ": failed cells: " + String.join(", ", names) + " (their cell.json has the error and "
                    + "stderr.log the whole run)");
        }
        err.flush();
        return failed.isEmpty() ? 0 : 1;
    }

    /**
     * Runs the unfinished cells among {@code slice} and writes only their cell directories: the study's own files
     * (run.json, cells.csv) are shared by every slice, so {@code ringlab collect} writes them once all are done.
     * Exit: 0 if its cells exited 0, 1 if one failed (the slice goes on), 2 at a cell its command refuses.
     */
    private int runSlice(Study study, List<Integer> slice, PrintWriter stdout, PrintWriter err) {
        List<ExperimentFile.Cell> cells = study.cells();
        List<ExperimentFile.Cell> todo = slice.stream().map(i -> cells.get(i - 1)).filter(c -> !study.isFinished(c)).toList();
        err.printf(Locale.ROOT, "ringlab run: study %s: slice %s, %d of its %d cell(s) to run; results in %s%n",
                study.file().name(), cellList, todo.size(), slice.size(), study.dir());
        err.flush();
        List<Integer> failed = new ArrayList<>();
        int done = 0;
        int cellThreads = threads(todo);
        if (cellThreads > 1) {
            runParallel(study, todo, cellThreads, null, null, true, err);
            todo.stream().filter(c -> study.finished().get(c.index()).path("exit").asInt() != 0).forEach(c -> failed.add(c.index()));
        }
        for (ExperimentFile.Cell c : cellThreads > 1 ? List.<ExperimentFile.Cell>of() : todo) {
            err.printf(Locale.ROOT, "ringlab run: [%d/%d] cell %d %s ... ", ++done, todo.size(), c.index(), c.label());
            err.flush();
            long t0 = System.nanoTime();
            ObjectNode record = runCell(study, c);
            int exit = record.get("exit").asInt();
            if (exit == 2) {
                err.println("bad input");
                err.flush();
                throw new UsageException(study.experiment() + ": cell " + c.index() + " (" + c.commandLine() + "): "
                        + record.get("error").asText() + "; fix it in " + study.experiment() + " and run the study's "
                        + "unfinished cells with: ringlab run --resume " + Replay.quote(study.dir().toString()));
            }
            study.finish(c, record);
            err.printf(Locale.ROOT, "%s in %s%n", exit == 0 ? "ok" : "FAILED (exit " + exit + ")", seconds(System.nanoTime() - t0));
            if (exit != 0) {
                failed.add(c.index());
                err.println("ringlab run:   " + record.get("error").asText());
            }
            err.flush();
        }
        if (json) {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("results_dir", study.dir().toString());
            o.put("cells", cellList);
            o.put("cells_run", todo.size());
            ArrayNode f = o.putArray("failed");
            failed.forEach(f::add);
            stdout.println(o);
            stdout.flush();
        }
        err.printf(Locale.ROOT, "ringlab run: slice %s: %d cell(s) ran, %d failed; when every slice is done: ringlab collect %s%n",
                cellList, todo.size(), failed.size(), Replay.quote(study.dir().toString()));
        err.flush();
        return failed.isEmpty() ? 0 : 1;
    }

    /**
     * Parses {@code --cells}: comma-separated cell numbers and ranges {@code a-b}, each in 1..{@code total};
     * returns them ascending, without repeats.
     *
     * @throws UsageException naming {@code --cells}
     */
    static List<Integer> cells(String list, int total) {
        java.util.TreeSet<Integer> out = new java.util.TreeSet<>();
        for (String part : list.split(",", -1)) {
            String p = part.strip();
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(?:-(\\d+))?").matcher(p);
            if (!m.matches()) {
                throw new UsageException("--cells", "cell numbers and ranges separated by commas, e.g. 1-4,9; got '" + list + "'");
            }
            int a;
            int b;
            try {
                a = Integer.parseInt(m.group(1));
                b = m.group(2) == null ? a : Integer.parseInt(m.group(2));
            } catch (NumberFormatException e) {
                throw new UsageException("--cells", "no such cell '" + p + "': the study has cells 1-" + total);
            }
            if (a < 1 || b > total || a > b) {
                throw new UsageException("--cells", "'" + p + "' is not a range of cells in 1-" + total
                        + " (the study's cells; ringlab run --resume DIR --dry-run lists them)");
            }
            for (int i = a; i <= b; i++) {
                out.add(i);
            }
        }
        return List.copyOf(out);
    }

    /** Runs one cell in this JVM and returns its record; the command's stderr goes to the cell's stderr.log. */
    private static ObjectNode runCell(Study study, ExperimentFile.Cell c) {
        Path dir = study.freshCellDir(c);
        List<String> argv = new ArrayList<>(c.argv());
        CommandLine cl = Main.commandLine();
        boolean writesResults = cl.getSubcommands().get(c.command()).getCommandSpec().findOption("--out") != null;
        if (writesResults) {
            argv.add("--out");
            argv.add(dir.toString());
        }
        StringWriter outText = new StringWriter();
        Instant started = Instant.now();
        long t0 = System.nanoTime();
        int exit;
        try (PrintWriter log = new PrintWriter(Files.newBufferedWriter(dir.resolve("stderr.log"), StandardCharsets.UTF_8), true)) {
            cl.setOut(new PrintWriter(outText, true));
            cl.setErr(log);
            exit = cl.execute(argv.toArray(String[]::new));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve("stderr.log") + ": " + e.getMessage(), e);
        }
        long wall = System.nanoTime() - t0;
        ObjectNode r = JsonNodeFactory.instance.objectNode();
        r.put("cell", c.index());
        r.put("part", c.part());
        r.put("command", c.command());
        ArrayNode a = r.putArray("argv");
        c.argv().forEach(a::add);
        r.put("command_line", c.commandLine());
        if (writesResults) {
            r.put("out", dir.toString());
        } else {
            r.putNull("out");
        }
        ObjectNode axes = r.putObject("axes");
        c.axes().forEach(axes::put);
        r.put("exit", exit);
        r.put("started", started.toString());
        r.put("wall_ms", wall / 1e6);
        JsonNode result = null;
        String error = null;
        String text = outText.toString().strip();
        if (!text.isEmpty()) {
            try {
                result = new ObjectMapper().readTree(text.substring(text.lastIndexOf('\n') + 1));
            } catch (IOException e) {
                error = "printed no JSON object on stdout: " + firstLine(text);
            }
        } else if (exit == 0) {
            error = "printed nothing on stdout";
        }
        if (exit != 0) {
            error = errorLine(dir.resolve("stderr.log"), c.command());
        }
        if (error != null && exit == 0) {
            r.put("exit", 1);
        }
        r.put("error", error);
        r.set("result", result);
        return r;
    }

    /**
     * The command's one-line error: the last stderr line {@code ringlab CMD: ...} (the replay lines a failed
     * run prints after it are not the cause), without that prefix; else the last line.
     */
    static String errorLine(Path log, String command) {
        List<String> lines;
        try {
            lines = Files.readAllLines(log, StandardCharsets.UTF_8).stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
        String prefix = "ringlab " + command + ": ";
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).startsWith(prefix)) {
                return lines.get(i).substring(prefix.length());
            }
        }
        return lines.isEmpty() ? "(no output on stderr)" : lines.get(lines.size() - 1);
    }

    private static String firstLine(String text) {
        int nl = text.indexOf('\n');
        return nl < 0 ? text : text.substring(0, nl);
    }

    /** The value at dotted {@code path} ("latency_ms.p99") in a cell's output, or null when absent or null. */
    static JsonNode metric(JsonNode result, String path) {
        if (result == null) {
            return null;
        }
        JsonNode v = result.at("/" + path.replace(".", "/"));
        return v.isMissingNode() || v.isNull() ? null : v;
    }

    private static List<String> metricColumns(Study study) {
        Set<String> m = new LinkedHashSet<>();
        study.file().parts().forEach(p -> m.addAll(p.metrics()));
        return List.copyOf(m);
    }

    /** cells.csv: one row per finished cell, the sweep's axes, exit, wall time, the metrics, the command line. */
    private static void writeCsv(Study study) {
        List<String> axes = List.copyOf(study.file().axisKeys());
        List<String> metrics = metricColumns(study);
        List<String> header = new ArrayList<>(List.of("cell", "command"));
        header.addAll(axes);
        header.addAll(List.of("exit", "wall_ms"));
        header.addAll(metrics);
        header.add("command_line");
        List<List<Object>> rows = new ArrayList<>();
        for (JsonNode r : study.finished().values()) {
            List<Object> row = new ArrayList<>();
            row.add(r.get("cell").asInt());
            row.add(r.get("command").asText());
            axes.forEach(k -> row.add(r.path("axes").has(k) ? r.path("axes").get(k).asText() : null));
            row.add(r.get("exit").asInt());
            row.add(r.get("wall_ms").asDouble());
            for (String m : metrics) {
                JsonNode v = metric(r.get("result"), m);
                row.add(v == null ? null : v.isNumber() ? (Object) v.asDouble() : v.isValueNode() ? v.asText() : v.toString());
            }
            row.add(r.get("command_line").asText());
            rows.add(row);
        }
        ResultsDir.open(study.dir()).writeCsv("cells.csv", header, rows);
    }

    private static ObjectNode summaryJson(Study study, int ran, List<Integer> failed) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("results_dir", study.dir().toString());
        o.put("name", study.file().name());
        o.put("cells_total", study.cells().size());
        o.put("cells_finished", study.finished().size());
        o.put("cells_run", ran);
        ArrayNode f = o.putArray("failed");
        failed.forEach(f::add);
        ArrayNode rows = o.putArray("rows");
        List<String> metrics = metricColumns(study);
        for (JsonNode r : study.finished().values()) {
            ObjectNode row = rows.addObject();
            row.put("cell", r.get("cell").asInt());
            row.put("command", r.get("command").asText());
            row.set("axes", r.get("axes"));
            row.put("exit", r.get("exit").asInt());
            ObjectNode m = row.putObject("metrics");
            for (String k : metrics) {
                m.set(k, metric(r.get("result"), k));
            }
        }
        return o;
    }

    /**
     * The summary on stdout: per part, a row per finished cell with the part's sweep axes then its metrics
     * ("-": not in the cell's output). Parts get tables of their own: their axes and metrics differ.
     */
    private static void table(PrintWriter out, Study study) {
        boolean several = study.file().parts().size() > 1;
        for (ExperimentFile.Part p : study.file().parts()) {
            List<String> axes = List.copyOf(p.sweep().keySet());
            List<String> header = new ArrayList<>();
            header.add("cell");
            header.addAll(axes);
            header.add("exit");
            header.addAll(p.metrics());
            List<List<String>> rows = new ArrayList<>();
            for (Map.Entry<Integer, JsonNode> e : study.finished().entrySet()) {
                JsonNode r = e.getValue();
                if (r.get("part").asInt() != p.index()) {
                    continue;
                }
                List<String> row = new ArrayList<>();
                row.add(study.cells().get(e.getKey() - 1).dirName());
                axes.forEach(k -> row.add(r.path("axes").path(k).asText("")));
                row.add(r.get("exit").asText());
                for (String m : p.metrics()) {
                    row.add(format(metric(r.get("result"), m)));
                }
                rows.add(row);
            }
            if (several) {
                out.printf(Locale.ROOT, "%spart %d: %s%n", p.index() > 1 ? System.lineSeparator() : "", p.index(), p.command());
            }
            int[] w = new int[header.size()];
            for (int i = 0; i < w.length; i++) {
                w[i] = header.get(i).length();
                for (List<String> row : rows) {
                    w[i] = Math.max(w[i], row.get(i).length());
                }
            }
            printRow(out, header, w);
            for (List<String> row : rows) {
                printRow(out, row, w);
            }
        }
    }

    private static void printRow(PrintWriter out, List<String> row, int[] w) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < row.size(); i++) {
            if (i > 0) {
                b.append("  ");
            }
            b.append(String.format(Locale.ROOT, "%-" + w[i] + "s", row.get(i)));
        }
        out.println(b.toString().stripTrailing());
    }

    private static String format(JsonNode v) {
        if (v == null) {
            return "-";
        }
        if (v.isIntegralNumber()) {
            return v.asText();
        }
        if (v.isNumber()) {
            double d = v.asDouble();
            return String.format(Locale.ROOT, Math.abs(d) >= 100 ? "%.1f" : "%.4g", d);
        }
        return v.isValueNode() ? v.asText() : v.toString();
    }

    private static String seconds(long nanos) {
        double s = nanos / 1e9;
        return s < 60 ? String.format(Locale.ROOT, "%.1f s", s) : String.format(Locale.ROOT, "%dm%02ds", (long) s / 60, (long) s % 60);
    }
}
