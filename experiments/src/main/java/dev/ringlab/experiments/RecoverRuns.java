package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/**
 * Runs {@code ringlab recover --json} in this JVM through the command tree and returns its JSON object, so
 * sweeps ({@code recover-sweep}, {@code fidelity}) reuse {@link RecoverCommand}'s measurement exactly (its
 * fault plan, its {@code RingWatch} metrics) instead of a second implementation of it.
 */
final class RecoverRuns {
    private RecoverRuns() {}

    /** The outcome of one run: its JSON (null if it printed none), exit code, and stderr's last line. */
    record Outcome(JsonNode json, int exit, String errTail) {}

    static Outcome run(List<String> args) {
        return run("recover", args);
    }

    /** As {@link #run(List)} for another command that prints one JSON object with {@code --json} ({@code broadcast}). */
    static Outcome run(String command, List<String> args) {
        List<String> full = new ArrayList<>();
        full.add(command);
        full.addAll(args);
        full.add("--json");
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(full.toArray(String[]::new));
        JsonNode j = null;
        String text = out.toString().trim();
        if (!text.isEmpty()) {
            try {
                j = new ObjectMapper().readTree(text.substring(text.lastIndexOf('\n') + 1));
            } catch (Exception e) {
                throw new IllegalStateException(command + " printed no JSON object: " + text, e);
            }
        }
        String[] lines = err.toString().trim().split("\n");
        if (exit == 2) {
            throw new UsageException(lines[lines.length - 1].replaceFirst("^ringlab " + command + ": ", ""));
        }
        return new Outcome(j, exit, lines[lines.length - 1]);
    }
}
