package dev.ringlab.experiments;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;

/**
 * One cell of an experiment file ({@link ExperimentFile}) as the cluster it runs, for {@code watch --study FILE
 * --cell K}: the cell's command is parsed and run by its own code up to the cluster it builds
 * ({@link RunOptions#capture}), so the overlay, protocol, links, placement, seed and fault plan are the ones the
 * command would use, whatever its flags. The command's own measurement (its broadcasts, timeouts, checks) does
 * not run.
 */
public final class StudyCell {
    /** Commands whose run is one cluster. */
    public static final List<String> COMMANDS = List.of("broadcast", "token", "recover", "config", "catalog", "cache", "replica");

    /**
     * @param label the cell's command and sweep values ({@code broadcast topology=ring seed=2})
     * @param commandLine the cell as a command line ({@code ringlab broadcast ... --json})
     */
    public record Cell(int index, int cells, String command, String label, String commandLine, RunOptions.Captured captured) {}

    private StudyCell() {}

    /**
     * Cell {@code index} (from 1) of {@code file}.
     *
     * @throws UsageException naming {@code --study} or {@code --cell} and what is wrong
     */
    public static Cell capture(Path file, int index) throws Exception {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UsageException("--study", "cannot read " + file + " (" + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + "); give an experiment file such as experiments/studies/ring-vs-expander.toml");
        }
        List<ExperimentFile.Cell> cells = ExperimentFile.parse(file, bytes).cells();
        if (index < 1 || index > cells.size()) {
            throw new UsageException("--cell", file + " has cells 1.." + cells.size() + ", got " + index);
        }
        ExperimentFile.Cell c = cells.get(index - 1);
        if (!COMMANDS.contains(c.command())) {
            throw new UsageException("--cell", "cell " + index + " of " + file + " runs " + c.command() + ", which is not one "
                    + "cluster; watch shows a cell of " + String.join(", ", COMMANDS));
        }
        CommandLine root = Main.commandLine();
        CommandLine sub = root.getSubcommands().get(c.command());
        // Anything the command prints before it builds its cluster (nothing, as they are written) stays out of watch's output.
        sub.setOut(new PrintWriter(Writer.nullWriter()));
        sub.setErr(new PrintWriter(Writer.nullWriter()));
        root.parseArgs(c.argv().toArray(String[]::new)); // checked already by cells(): parses
        RunOptions.Captured cap;
        try {
            cap = RunOptions.capture((Callable<?>) sub.getCommand());
        } catch (UsageException e) {
            throw new UsageException("--study", file + " cell " + index + " (" + c.label() + "): " + e.getMessage());
        }
        if (cap == null) {
            throw new UsageException("--cell", "cell " + index + " of " + file + " (" + c.label() + ") ended without a cluster to watch");
        }
        return new Cell(index, cells.size(), c.command(), c.label(), c.commandLine(), cap);
    }
}
