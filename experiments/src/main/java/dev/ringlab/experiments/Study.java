package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A study directory written by {@code ringlab run}: {@code <out>/<name>-<stamp>/} holding
 * {@code experiment.toml} (or {@code .json}: the file, byte for byte, so the directory carries what
 * reproduces it), {@code run.json} (the study: its parts, how many cells, its status), {@code cells.csv}
 * (one row per finished cell) and {@code cells/cNNN/} per cell: {@code cell.json} (the cell's arguments, exit
 * code and the command's JSON output, verbatim as a tree), {@code stderr.log}, and the results directory of a
 * command that writes one ({@code compare}, {@code recover-sweep}, ...).
 *
 * <p>A cell is finished exactly when its {@code cell.json} exists: it is written to a temporary name and
 * moved into place, so a run killed at any instant leaves either a finished cell or a directory without one,
 * which {@code --resume} clears and runs again. The cells are the copied file's expansion, so a resume
 * checks that every finished cell's arguments are still those of its index.
 */
final class Study {
    static final String CELL_FILE = "cell.json";

    private final Path dir;
    private final Path experiment;
    private final ExperimentFile file;
    private final List<ExperimentFile.Cell> cells;
    /** Finished cells by index: their cell.json. */
    private final Map<Integer, JsonNode> finished = new TreeMap<>();

    private Study(Path dir, Path experiment, ExperimentFile file, List<ExperimentFile.Cell> cells) {
        this.dir = dir;
        this.experiment = experiment;
        this.file = file;
        this.cells = cells;
    }

    /** Parses and checks the file at {@code source}: nothing is written, so a bad file leaves no directory. */
    static Prepared prepare(Path source) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(source);
        } catch (NoSuchFileException e) {
            throw new UsageException("FILE", "no such file: " + source);
        } catch (IOException e) {
            throw new UsageException("FILE", "cannot read " + source + ": " + e.getMessage());
        }
        ExperimentFile f = ExperimentFile.parse(source, bytes);
        return new Prepared(source, bytes, f, f.cells());
    }

    /** A checked experiment file, not yet a directory. */
    record Prepared(Path source, byte[] bytes, ExperimentFile file, List<ExperimentFile.Cell> cells) {
        /** Creates the study directory under {@code root} with the file copied in. */
        Study create(Path root) {
            ResultsDir d = ResultsDir.create(root, file.name());
            Path copy = d.resolve("experiment." + ExperimentFile.extension(source));
            try {
                Files.write(copy, bytes);
                Files.createDirectories(d.resolve("cells"));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + copy + ": " + e.getMessage(), e);
            }
            return new Study(d.path(), copy, file, cells);
        }
    }

    /**
     * Opens the study in {@code dir} from its own copy of the experiment file, with its finished cells.
     *
     * @throws UsageException naming {@code --resume} if {@code dir} is not a study or its cells no longer
     *     match the file
     */
    static Study open(Path dir) {
        Path copy = null;
        for (String ext : List.of("toml", "json")) {
            if (Files.isRegularFile(dir.resolve("experiment." + ext))) {
                copy = dir.resolve("experiment." + ext);
            }
        }
        if (!Files.isDirectory(dir) || copy == null) {
            throw new UsageException("--resume", dir + " holds no experiment.toml or experiment.json: give a study directory "
                    + "that ringlab run wrote (results/<name>-<stamp>)");
        }
        Prepared p = prepare(copy);
        Study s = new Study(dir, copy, p.file(), p.cells());
        for (ExperimentFile.Cell c : s.cells) {
            Path f = s.cellDir(c).resolve(CELL_FILE);
            if (Files.isRegularFile(f)) {
                JsonNode j = ResultsDir.readJson(f);
                List<String> argv = new ArrayList<>();
                j.path("argv").forEach(a -> argv.add(a.asText()));
                if (!argv.equals(c.argv())) {
                    throw new UsageException("--resume", s.cellDir(c) + " ran '" + String.join(" ", argv) + "' but "
                            + copy.getFileName() + " now makes cell " + c.index() + " '" + String.join(" ", c.argv())
                            + "': the file changed under finished cells; start a new study with ringlab run FILE");
                }
                s.finished.put(c.index(), j);
            }
        }
        return s;
    }

    Path dir() {
        return dir;
    }

    Path experiment() {
        return experiment;
    }

    ExperimentFile file() {
        return file;
    }

    List<ExperimentFile.Cell> cells() {
        return cells;
    }

    boolean isFinished(ExperimentFile.Cell c) {
        return finished.containsKey(c.index());
    }

    /** Finished cells' records, by index. */
    Map<Integer, JsonNode> finished() {
        return finished;
    }

    Path cellDir(ExperimentFile.Cell c) {
        return dir.resolve("cells").resolve(c.dirName());
    }

    /** An empty directory for {@code c}: what an interrupted attempt left there is removed first. */
    Path freshCellDir(ExperimentFile.Cell c) {
        Path d = cellDir(c);
        try {
            if (Files.exists(d)) {
                try (Stream<Path> all = Files.walk(d)) {
                    for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
            return Files.createDirectories(d);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear " + d + ": " + e.getMessage(), e);
        }
    }

    /** Records {@code c} as finished: its cell.json moved into place in one step. */
    void finish(ExperimentFile.Cell c, ObjectNode record) {
        Path d = cellDir(c);
        Path tmp = ResultsDir.open(d).writeJson(CELL_FILE + ".tmp", record);
        try {
            try {
                Files.move(tmp, d.resolve(CELL_FILE), StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, d.resolve(CELL_FILE), StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + d.resolve(CELL_FILE) + ": " + e.getMessage(), e);
        }
        finished.put(c.index(), record);
    }

    /** Finished cells whose command did not exit 0. */
    List<Integer> failed() {
        return finished.entrySet().stream().filter(e -> e.getValue().path("exit").asInt() != 0).map(Map.Entry::getKey).toList();
    }

    /** The study's run.json: what it is, how far it got. */
    void writeRunJson(String status, Instant started, String source) {
        writeRunJson(status, started, source, null);
    }

    /** The study's run.json, with {@code extra}'s fields (e.g. the Slurm jobs that ran its cells) at the end. */
    void writeRunJson(String status, Instant started, String source, ObjectNode extra) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("kind", "run");
        o.put("name", file.name());
        o.put("description", file.description());
        o.put("version", Main.version());
        o.put("java", Runtime.version().toString());
        o.put("experiment_file", experiment.getFileName().toString());
        o.put("source", source);
        o.put("resume_command", "ringlab run --resume " + Replay.quote(dir.toString()));
        o.put("status", status);
        o.put("started", started.toString());
        o.put("updated", Instant.now().toString());
        o.put("cells_total", cells.size());
        o.put("cells_finished", finished.size());
        o.put("cells_failed", failed().size());
        ArrayNode parts = o.putArray("parts");
        for (ExperimentFile.Part p : file.parts()) {
            ObjectNode j = parts.addObject();
            j.put("part", p.index());
            j.put("command", p.command());
            ObjectNode opts = j.putObject("options");
            p.options().forEach(opts::set);
            ObjectNode sweep = j.putObject("sweep");
            p.sweep().forEach((k, v) -> {
                ArrayNode a = sweep.putArray(k);
                v.forEach(a::add);
            });
            ArrayNode m = j.putArray("metrics");
            p.metrics().forEach(m::add);
        }
        o.put("cells_csv", "cells.csv");
        if (extra != null) {
            o.setAll(extra);
        }
        ResultsDir.open(dir).writeRunJson(o);
    }
}
