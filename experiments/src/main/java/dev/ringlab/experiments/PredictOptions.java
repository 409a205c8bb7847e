package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code --predict DIR}, a mixin of the measuring commands that run on real engines: after the measured run,
 * the same command runs again in this JVM on the simulator with the engine model calibrated in DIR
 * ({@code --engine sim --model calibrated:DIR}, same arguments, same seed), and the measured JSON gains two
 * objects: {@code predicted} (the simulator's value of each compared figure, at the same path) and
 * {@code error} ({@code (predicted - measured) / measured}; null where either was not measured or the
 * measured value is 0).
 */
public final class PredictOptions {
    @Option(names = "--predict", paramLabel = "DIR",
            description = "netty and processes: also run this experiment on the simulator with the engine model calibrated "
                    + "in DIR (a ringlab calibrate directory), same seed; the JSON gains 'predicted' and 'error' "
                    + "((predicted - measured) / measured) next to each measured latency or recovery figure, null where "
                    + "not measured. Needs --json; sim refuses it (it is the prediction), and so does an added --latency "
                    + "(the model predicts the engine's own links).")
    Path dir;

    /** Whether {@code --predict} was given. */
    public boolean given() {
        return dir != null;
    }

    /**
     * Checks the flag against the run: a real engine, JSON output, no added latency, a readable model.
     *
     * @throws UsageException naming {@code --predict}
     */
    public void validate(RunOptions run, boolean json) {
        if (dir == null) {
            return;
        }
        if (run.engine().deterministic()) {
            throw new UsageException("--predict", "engine " + run.engine().name() + " is the simulator: --predict compares a "
                    + "real run (--engine netty or processes) with it");
        }
        if (!json) {
            throw new UsageException("--predict", "adds 'predicted' and 'error' to the JSON output: add --json");
        }
        if (run.latency() != null) {
            throw new UsageException("--predict", "the engine model predicts the engine's own links; drop --latency");
        }
        try {
            RunOptions.parseModel("calibrated:" + dir);
        } catch (UsageException e) {
            throw new UsageException("--predict", e.getMessage().replaceFirst("^--model: ", ""));
        }
    }

    /**
     * The measured JSON object {@code measured} with {@code predicted} and {@code error} for each of
     * {@code figures} (paths like {@code latency_ms.p50} or {@code detect_ms}), from the same command run on
     * the modelled simulator; {@code extraArgs} are added to that run (e.g. the real engine's timing, which
     * the simulator's defaults would change). Unchanged when {@code --predict} was not given.
     */
    public String decorate(String measured, CommandSpec spec, List<String> figures, List<String> extraArgs) {
        if (dir == null) {
            return measured;
        }
        try {
            ObjectMapper mapper = new ObjectMapper();
            ObjectNode m = (ObjectNode) mapper.readTree(measured);
            JsonNode p = simulate(spec, extraArgs);
            ObjectNode predicted = m.putObject("predicted");
            ObjectNode error = m.putObject("error");
            predicted.put("model", "calibrated:" + dir.toAbsolutePath().normalize());
            predicted.set("trace_hash", p.get("trace_hash"));
            if (p.has("drops")) {
                predicted.set("drops", p.get("drops")); // shown next to the measured drops, not compared
            }
            for (String f : figures) {
                int rows = f.indexOf("[].");
                if (rows < 0) {
                    compare(m, p, f, predicted, error);
                    continue;
                }
                // A sweep's rows: each measured row gains its own predicted and error, from the row of the same
                // (topology, nodes) of the prediction (same plan, so same order; checked).
                String array = f.substring(0, rows);
                String field = f.substring(rows + 3);
                JsonNode ms = m.path(array);
                JsonNode ps = p.path(array);
                for (int i = 0; i < ms.size(); i++) {
                    ObjectNode mr = (ObjectNode) ms.get(i);
                    JsonNode pr = i < ps.size() && ps.get(i).path("topology").equals(mr.path("topology"))
                            && ps.get(i).path("nodes").equals(mr.path("nodes")) ? ps.get(i) : null;
                    ObjectNode rp = mr.has("predicted") ? (ObjectNode) mr.get("predicted") : mr.putObject("predicted");
                    ObjectNode re = mr.has("error") ? (ObjectNode) mr.get("error") : mr.putObject("error");
                    compare(mr, pr == null ? mapper.createObjectNode() : pr, field, rp, re);
                }
            }
            return mapper.writeValueAsString(m);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("--predict: cannot read a JSON output: " + e.getMessage(), e);
        }
    }

    /** The same command on the modelled simulator: the original arguments less engine-only ones. */
    private JsonNode simulate(CommandSpec spec, List<String> extraArgs) throws com.fasterxml.jackson.core.JsonProcessingException {
        List<String> args = new ArrayList<>();
        args.add(spec.name());
        List<String> given = spec.commandLine().getParseResult().originalArgs();
        // The parse result's original arguments start at the top command: skip up to this command's name.
        int first = given.indexOf(spec.name()) + 1;
        for (int i = first; i < given.size(); i++) {
            String a = given.get(i);
            if (a.equals("--predict") || a.equals("--engine")) {
                i++; // and its value
            } else if (!a.startsWith("--predict=") && !a.startsWith("--engine=") && !a.equals("--keep-run-dir")) {
                args.add(a);
            }
        }
        args.addAll(List.of("--engine", "sim", "--model", "calibrated:" + dir.toAbsolutePath().normalize()));
        args.addAll(extraArgs);
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args.toArray(String[]::new));
        String text = out.toString().trim();
        if (text.isEmpty()) {
            String[] lines = err.toString().trim().split("\n");
            throw new IllegalStateException("--predict: the simulator run (" + String.join(" ", args) + ") exited " + exit
                    + " without output: " + lines[lines.length - 1]);
        }
        return new ObjectMapper().readTree(text.substring(text.lastIndexOf('\n') + 1));
    }

    /** Puts the predicted value of {@code f} and its relative error (null where either is missing or measured is 0). */
    private static void compare(JsonNode m, JsonNode p, String f, ObjectNode predicted, ObjectNode error) {
        JsonNode mv = at(m, f);
        JsonNode pv = at(p, f);
        Double mn = mv != null && mv.isNumber() ? mv.asDouble() : null;
        Double pn = pv != null && pv.isNumber() ? pv.asDouble() : null;
        put(predicted, f, pn);
        put(error, f, mn == null || pn == null || mn == 0 ? null : (pn - mn) / mn);
    }

    private static JsonNode at(JsonNode o, String path) {
        JsonNode n = o;
        for (String part : path.split("\\.")) {
            n = n == null ? null : n.get(part);
        }
        return n;
    }

    private static void put(ObjectNode o, String path, Double v) {
        String[] parts = path.split("\\.");
        ObjectNode n = o;
        for (int i = 0; i < parts.length - 1; i++) {
            n = n.has(parts[i]) ? (ObjectNode) n.get(parts[i]) : n.putObject(parts[i]);
        }
        if (v == null) {
            n.putNull(parts[parts.length - 1]);
        } else {
            n.put(parts[parts.length - 1], v);
        }
    }
}
