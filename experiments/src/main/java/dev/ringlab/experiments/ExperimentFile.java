package dev.ringlab.experiments;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/**
 * An experiment file: a whole study as cells, each cell one run of an existing {@code ringlab} command with
 * its own options, so a file can say everything the commands' flags say and nothing they cannot.
 *
 * <p>Format: TOML ({@code .toml}) or JSON ({@code .json}), read into Jackson's tree. Top-level keys:
 * {@code name}, {@code description}, {@code command}, {@code options} (a table: option name without its
 * dashes, e.g. {@code latency = "const:1ms"}, {@code n = 64}, {@code json}-style switches as booleans),
 * {@code sweep} (a table of lists: the cells are the cartesian product, first key outermost),
 * {@code metrics} (dotted paths into the command's JSON output, for the summary) and {@code part} (an array
 * of tables, each with its own {@code command}, {@code options}, {@code sweep}, {@code metrics}). Without
 * {@code part} the top level is the one part; with it, the top level's keys are defaults every part starts
 * from, a part's key replacing the top level's in either table.
 *
 * <p>Every key is checked against the command's own picocli options before anything runs: an unknown key is
 * a {@link UsageException} naming the file, the key and the nearest option; every cell's argument list is
 * then parsed by picocli itself, and its run options ({@link RunOptions#validate}) and heap
 * ({@link MemoryBudget}) checked, so a study does not fail at cell 40 on a typo that cell 1 could have shown.
 */
final class ExperimentFile {
    /** Top-level and part keys. */
    static final List<String> KEYS = List.of("name", "description", "command", "options", "sweep", "metrics", "part");
    private static final List<String> PART_KEYS = List.of("command", "options", "sweep", "metrics");
    /** Option keys the runner sets itself, and why a file may not. */
    private static final Map<String, String> RESERVED = Map.of(
            "json", "ringlab run adds --json to every cell and keeps its output",
            "out", "ringlab run puts each cell's results directory inside the study directory",
            "help", "a cell runs its command, it does not print help",
            "version", "a cell runs its command, it does not print the version");
    /** Commands a cell cannot run, and why. */
    private static final Map<String, String> NOT_CELLS = Map.of(
            "run", "a study cannot contain studies",
            "node", "one node of a multi-process cluster is started by the processes engine, not by a study",
            "help", "not an experiment",
            "bench", "bench prints on the process's own stdout; run it alone");

    /**
     * The summary's columns for a command when the file names none: its headline figures. A field a cell's
     * output lacks is blank in its row (a ring and an expander recover report different fields).
     */
    static final Map<String, List<String>> DEFAULT_METRICS = Map.ofEntries(
            Map.entry("broadcast", List.of("reliability", "latency_ms.p50", "latency_ms.p99", "msgs_per_op", "trace_hash")),
            Map.entry("recover", List.of("detect_ms", "repair_ms", "rejoin_ms", "reliability_live", "trace_hash")),
            Map.entry("topology", List.of("diameter", "avg_path_length", "lambda2", "spectral_gap")),
            Map.entry("compare", List.of("results_dir")),
            Map.entry("recover-sweep", List.of("results_dir")),
            Map.entry("fidelity", List.of("results_dir")),
            Map.entry("calibrate", List.of("results_dir")));

    private final String file;
    private final String name;
    private final String description;
    private final List<Part> parts;

    /** One command with its fixed options and its sweep axes, as written (after the top-level defaults). */
    record Part(int index, String command, Map<String, JsonNode> options, Map<String, List<JsonNode>> sweep,
            List<String> metrics) {}

    /**
     * One run: {@code ringlab command args... --json}. {@code axes} are the sweep values that made this cell
     * (key to text), {@code metrics} the summary's columns for it.
     */
    record Cell(int index, int part, String command, List<String> args, Map<String, String> axes, List<String> metrics) {
        /** The arguments after {@code ringlab}, {@code --json} included: what a person would type. */
        List<String> argv() {
            List<String> a = new ArrayList<>();
            a.add(command);
            a.addAll(args);
            a.add("--json");
            return a;
        }

        /** {@code ringlab CMD ARGS --json}, quoted for a shell. */
        String commandLine() {
            StringBuilder b = new StringBuilder("ringlab");
            for (String a : argv()) {
                b.append(' ').append(Replay.quote(a));
            }
            return b.toString();
        }

        /** For progress lines: the command and the sweep's values, {@code broadcast topology=ring n=64 seed=1}. */
        String label() {
            StringBuilder b = new StringBuilder(command);
            axes.forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
            return b.toString();
        }

        /** The cell's directory name inside the study: c001, c002, ... (sorts by index up to 999 cells). */
        String dirName() {
            return String.format(Locale.ROOT, "c%03d", index);
        }
    }

    private ExperimentFile(String file, String name, String description, List<Part> parts) {
        this.file = file;
        this.name = name;
        this.description = description;
        this.parts = parts;
    }

    /**
     * Parses {@code bytes}, the content of {@code path} (named in every error), by its extension.
     *
     * @throws UsageException naming the file and what is wrong in it
     */
    static ExperimentFile parse(Path path, byte[] bytes) {
        String file = path.toString();
        String ext = extension(path);
        ObjectMapper mapper = switch (ext) {
            case "toml" -> new TomlMapper();
            case "json" -> new ObjectMapper();
            default -> throw new UsageException(file + ": an experiment file is .toml or .json, got '" + path.getFileName()
                    + "'; see experiments/studies/ for examples");
        };
        JsonNode root;
        try {
            root = mapper.readTree(new String(bytes, StandardCharsets.UTF_8));
        } catch (JacksonException e) {
            String at = e.getLocation() == null || e.getLocation().getLineNr() < 1 ? ""
                    : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
            throw new UsageException(file + ": not valid " + ext.toUpperCase(Locale.ROOT) + at + ": "
                    + e.getOriginalMessage().replace('\n', ' '));
        }
        if (root == null || !root.isObject()) {
            throw new UsageException(file + ": empty; an experiment file needs at least command = \"...\" and a [sweep] or [options]");
        }
        checkKeys(file, "", root, KEYS);
        String name = text(file, root, "name", null);
        String description = text(file, root, "description", null);
        List<Part> parts = new ArrayList<>();
        JsonNode partNodes = root.get("part");
        if (partNodes == null) {
            parts.add(part(file, 1, "", root, null));
        } else {
            if (!partNodes.isArray() || partNodes.isEmpty()) {
                throw new UsageException(file + ": 'part' is an array of tables ([[part]] in TOML), each with a command");
            }
            for (int i = 0; i < partNodes.size(); i++) {
                JsonNode p = partNodes.get(i);
                String where = "part " + (i + 1) + ": ";
                if (!p.isObject()) {
                    throw new UsageException(file + ": " + where + "a table with command, options, sweep, metrics");
                }
                checkKeys(file, where, p, PART_KEYS);
                parts.add(part(file, i + 1, where, p, root));
            }
        }
        if (name == null) {
            String base = path.getFileName().toString();
            name = base.substring(0, base.length() - ext.length() - 1);
        }
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
            throw new UsageException(file + ": name: letters, digits, '.', '_' and '-' (it names the study's directory), got '"
                    + name + "'");
        }
        return new ExperimentFile(file, name, description, List.copyOf(parts));
    }

    static String extension(Path path) {
        String base = path.getFileName().toString();
        int dot = base.lastIndexOf('.');
        return dot < 0 ? "" : base.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    String name() {
        return name;
    }

    String description() {
        return description;
    }

    List<Part> parts() {
        return parts;
    }

    /** A part from its table {@code p}, over the top level's defaults {@code top} (null: p is the top level). */
    private static Part part(String file, int index, String where, JsonNode p, JsonNode top) {
        String command = text(file, p, "command", top == null ? null : text(file, top, "command", null));
        if (command == null) {
            throw new UsageException(file + ": " + where + "no command: say which ringlab command the cells run, e.g. "
                    + "command = \"broadcast\"");
        }
        Map<String, JsonNode> options = new LinkedHashMap<>();
        Map<String, List<JsonNode>> sweep = new LinkedHashMap<>();
        if (top != null) {
            fields(file, "", top, "options").forEach(options::put);
            lists(file, "", top).forEach(sweep::put);
        }
        Map<String, JsonNode> ownOptions = fields(file, where, p, "options");
        Map<String, List<JsonNode>> ownSweep = lists(file, where, p);
        for (String k : ownOptions.keySet()) {
            if (ownSweep.containsKey(k)) {
                throw new UsageException(file + ": " + where + "'" + k + "' is in both [options] and [sweep]: keep one");
            }
        }
        // A part's key replaces the top level's, whichever table either is in.
        for (String k : ownOptions.keySet()) {
            sweep.remove(k);
        }
        for (String k : ownSweep.keySet()) {
            options.remove(k);
        }
        options.putAll(ownOptions);
        sweep.putAll(ownSweep);
        List<String> metrics = null;
        JsonNode m = p.has("metrics") ? p.get("metrics") : top == null ? null : top.get("metrics");
        if (m != null) {
            if (!m.isArray() || m.isEmpty()) {
                throw new UsageException(file + ": " + where + "metrics: a list of JSON fields of " + command
                        + "'s output, e.g. [\"latency_ms.p99\", \"msgs_per_op\"]");
            }
            metrics = new ArrayList<>();
            for (JsonNode e : m) {
                if (!e.isTextual()) {
                    throw new UsageException(file + ": " + where + "metrics: field names are strings, got " + e);
                }
                metrics.add(e.asText());
            }
        }
        return new Part(index, command, options, sweep, metrics == null ? DEFAULT_METRICS.getOrDefault(command, List.of("trace_hash")) : List.copyOf(metrics));
    }

    private static Map<String, JsonNode> fields(String file, String where, JsonNode p, String key) {
        Map<String, JsonNode> m = new LinkedHashMap<>();
        JsonNode t = p.get(key);
        if (t == null) {
            return m;
        }
        if (!t.isObject()) {
            throw new UsageException(file + ": " + where + key + ": a table of option = value ([" + key + "] in TOML)");
        }
        t.properties().forEach(e -> m.put(e.getKey(), e.getValue()));
        return m;
    }

    private static Map<String, List<JsonNode>> lists(String file, String where, JsonNode p) {
        Map<String, List<JsonNode>> m = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : fields(file, where, p, "sweep").entrySet()) {
            JsonNode v = e.getValue();
            if (!v.isArray() || v.isEmpty()) {
                throw new UsageException(file + ": " + where + "sweep." + e.getKey() + ": a non-empty list of values, e.g. "
                        + e.getKey() + " = [1, 2, 3]; a single value goes under [options]");
            }
            List<JsonNode> values = new ArrayList<>();
            v.forEach(values::add);
            m.put(e.getKey(), values);
        }
        return m;
    }

    private static String text(String file, JsonNode node, String key, String dflt) {
        JsonNode v = node.get(key);
        if (v == null) {
            return dflt;
        }
        if (!v.isTextual()) {
            throw new UsageException(file + ": " + key + ": a string, got " + v);
        }
        return v.asText();
    }

    private static void checkKeys(String file, String where, JsonNode node, List<String> allowed) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k)) {
                throw new UsageException(file + ": " + where + "unknown key '" + k + "'" + didYouMean(k, allowed)
                        + " (keys: " + String.join(", ", allowed) + ")");
            }
        }
    }

    /** picocli's own suggestion, the one it gives for a mistyped flag, over {@code names}. */
    private static String didYouMean(String key, List<String> names) {
        CommandSpec s = CommandSpec.create();
        names.forEach(n -> s.addOption(OptionSpec.builder("--" + n).arity("0").build()));
        List<String> hits = new CommandLine.UnmatchedArgumentException(new CommandLine(s), List.of("--" + key))
                .getSuggestions().stream().map(x -> x.replaceFirst("^-+", "")).limit(3).toList();
        return hits.isEmpty() ? "" : "; did you mean " + String.join(" or ", hits) + "?";
    }

    /**
     * Expands every part into its cells and checks each through picocli against {@code root}'s command tree
     * (a fresh one per part: picocli resets options between parses of one tree, but not across commands).
     *
     * @throws UsageException naming the file, the part or cell and the key or flag at fault
     */
    List<Cell> cells() {
        List<Cell> cells = new ArrayList<>();
        for (Part p : parts) {
            String where = parts.size() > 1 ? "part " + p.index() + " (" + p.command() + "): " : "";
            CommandLine root = Main.commandLine();
            CommandLine cmd = command(root, p.command(), where);
            CommandSpec spec = cmd.getCommandSpec();
            // Keys first, each once, so the error names the key as written in the file.
            Map<String, ArgTarget> targets = new LinkedHashMap<>();
            for (String k : p.options().keySet()) {
                targets.put(k, target(cmd, k, where + "[options] "));
            }
            for (String k : p.sweep().keySet()) {
                targets.put(k, target(cmd, k, where + "[sweep] "));
            }
            for (Map<String, JsonNode> point : product(p.sweep())) {
                Map<String, JsonNode> all = new LinkedHashMap<>(p.options());
                all.putAll(point);
                List<String> positional = new ArrayList<>();
                List<String> args = new ArrayList<>();
                for (Map.Entry<String, JsonNode> e : all.entrySet()) {
                    ArgTarget t = targets.get(e.getKey());
                    List<String> words = t.words(e.getValue(), file + ": " + where + e.getKey());
                    (t.option() == null ? positional : args).addAll(words);
                }
                positional.addAll(args);
                Map<String, String> axes = new LinkedHashMap<>();
                point.forEach((k, v) -> axes.put(k, display(v)));
                Cell c = new Cell(cells.size() + 1, p.index(), p.command(), List.copyOf(positional), axes, p.metrics());
                check(root, c, where);
                cells.add(c);
            }
        }
        if (cells.size() > 999) {
            throw new UsageException(file + ": " + cells.size() + " cells; a study holds at most 999: split it into several files");
        }
        return cells;
    }

    private CommandLine command(CommandLine root, String name, String where) {
        if (NOT_CELLS.containsKey(name)) {
            throw new UsageException(file + ": " + where + "command '" + name + "' cannot be a cell: " + NOT_CELLS.get(name));
        }
        CommandLine cmd = root.getSubcommands().get(name);
        if (cmd == null) {
            List<String> names = root.getSubcommands().keySet().stream().filter(n -> !NOT_CELLS.containsKey(n)).sorted().toList();
            throw new UsageException(file + ": " + where + "unknown command '" + name + "'" + didYouMean(name, names)
                    + " (commands: " + String.join(", ", names) + ")");
        }
        if (cmd.getCommandSpec().findOption("--json") == null) {
            throw new UsageException(file + ": " + where + "command '" + name + "' has no --json output to keep");
        }
        return cmd;
    }

    /** What a key sets: an option, or (option null) a positional parameter named by its label. */
    private record ArgTarget(OptionSpec option, PositionalParamSpec positional) {
        List<String> words(JsonNode v, String where) {
            if (option != null && option.arity().max() == 0) {
                if (!v.isBoolean()) {
                    throw new UsageException(where + ": " + option.longestName() + " is a switch: true or false, got " + v);
                }
                return v.asBoolean() ? List.of(option.longestName()) : List.of();
            }
            boolean multi = option != null ? option.isMultiValue() : positional.isMultiValue();
            List<String> values = new ArrayList<>();
            if (v.isArray()) {
                if (!multi) {
                    throw new UsageException(where + ": takes one value, got the list " + v + "; to run each value as its "
                            + "own cell, put it under [sweep]");
                }
                v.forEach(x -> values.add(scalar(x, where)));
            } else {
                values.add(scalar(v, where));
            }
            if (option == null) {
                return values;
            }
            List<String> w = new ArrayList<>();
            for (String x : values) {
                w.add(option.longestName());
                w.add(x);
            }
            return w;
        }
    }

    private static String scalar(JsonNode v, String where) {
        if (v.isTextual() || v.isNumber() || v.isBoolean()) {
            return v.asText();
        }
        throw new UsageException(where + ": a string, number or boolean, got " + v);
    }

    private static String display(JsonNode v) {
        if (v.isArray()) {
            List<String> parts = new ArrayList<>();
            v.forEach(x -> parts.add(x.asText()));
            return String.join(",", parts);
        }
        return v.asText();
    }

    private ArgTarget target(CommandLine cmd, String key, String where) {
        String at = file + ": " + where;
        if (RESERVED.containsKey(key)) {
            throw new UsageException(at + "'" + key + "' is set by ringlab run: " + RESERVED.get(key));
        }
        CommandSpec spec = cmd.getCommandSpec();
        OptionSpec o = key.startsWith("-") ? null : spec.findOption(key.length() == 1 ? "-" + key : "--" + key);
        if (o != null && (o.usageHelp() || o.versionHelp())) {
            throw new UsageException(at + "'" + key + "' is not an experiment option");
        }
        if (o != null) {
            return new ArgTarget(o, null);
        }
        for (PositionalParamSpec p : spec.positionalParameters()) {
            if (p.paramLabel().replaceAll("[<>]", "").equalsIgnoreCase(key)) {
                return new ArgTarget(null, p);
            }
        }
        List<String> known = new ArrayList<>();
        for (OptionSpec x : spec.options()) {
            if (!x.usageHelp() && !x.versionHelp() && !RESERVED.containsKey(x.longestName().replaceFirst("^-+", ""))) {
                known.add(x.longestName().replaceFirst("^-+", ""));
            }
        }
        spec.positionalParameters().forEach(p -> known.add(p.paramLabel().replaceAll("[<>]", "").toLowerCase(Locale.ROOT)));
        throw new UsageException(at + "unknown key '" + key + "' for " + spec.name() + didYouMean(key, known)
                + " (see: ringlab " + spec.name() + " --help)");
    }

    /** picocli parses the cell as it will run, then the checks a command makes before its first allocation. */
    private void check(CommandLine root, Cell c, String where) {
        String at = file + ": " + where + "cell " + c.index() + " (" + c.commandLine() + "): ";
        ParseResult parsed;
        try {
            parsed = root.parseArgs(c.argv().toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new UsageException(at + e.getMessage().replace("\n", " "));
        }
        try {
            MemoryBudget.check(parsed);
            CommandSpec sub = parsed.subcommand().commandSpec();
            for (CommandSpec m : sub.mixins().values()) {
                if (m.userObject() instanceof RunOptions r) {
                    r.validate();
                }
            }
        } catch (UsageException e) {
            throw new UsageException(at + e.getMessage());
        }
    }

    /** The cartesian product of the axes, first axis outermost; one empty point when there are none. */
    static List<Map<String, JsonNode>> product(Map<String, List<JsonNode>> axes) {
        List<Map<String, JsonNode>> points = new ArrayList<>();
        points.add(new LinkedHashMap<>());
        for (Map.Entry<String, List<JsonNode>> axis : axes.entrySet()) {
            List<Map<String, JsonNode>> next = new ArrayList<>();
            for (Map<String, JsonNode> p : points) {
                for (JsonNode v : axis.getValue()) {
                    Map<String, JsonNode> q = new LinkedHashMap<>(p);
                    q.put(axis.getKey(), v);
                    next.add(q);
                }
            }
            points = next;
        }
        return points;
    }

    /** Every sweep key of every part, in first-seen order: the columns of the cells index. */
    Set<String> axisKeys() {
        Set<String> keys = new java.util.LinkedHashSet<>();
        parts.forEach(p -> keys.addAll(p.sweep().keySet()));
        return keys;
    }
}
