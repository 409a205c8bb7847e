package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The README stays true: every command it shows in a fenced block as {@code $ ./ringlab ...} runs through
 * {@link Main} in-process, exits as shown (2 when the shown output is a {@code ringlab CMD: --flag: ...}
 * error line, else 0), and the shown output has the real output's shape: every JSON key shown is in the
 * real JSON object, and the first word of every shown text line starts some real line (stdout or stderr).
 * Figures are not compared (they are the README's measurements, some on real engines). Commands too long
 * for the test suite are listed in {@link #SKIPPED} with the reason; a skip that matches no README command
 * fails, so the list cannot go stale. The README links nothing outside the repository.
 */
class ReadmeTest {
    /** Command prefixes (after {@code ./ringlab}) not run here, and why. */
    static final Map<String, String> SKIPPED = Map.of(
            "--help > /dev/null", "a shell redirection that only builds the jar (the own-protocol walk-through)",
            "broadcast --topology random-regular:8 -n 1024 --protocol batched:2ms --rate 10000 --duration 0.5s",
                    "5000 broadcasts to 1024 nodes: 9-16 s on 2 cores; its table is a measurement, no output is shown",
            "check --runs 1000", "1000 swarm runs: 7-10 s on 2 cores under load",
            "soak --engine processes", "a 2-minute soak on six JVMs: .ci/run runs it and checks it",
            "datacenters", "15 sub-runs, ~20 s under load: DatacentersCommandTest runs a tiny one, .ci/run a quick one");

    record Shown(String command, List<String> output, boolean excerpt) {}

    static Path readme() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.exists(p.resolve("README.md"))) {
            p = p.getParent();
        }
        assertTrue(p != null, "README.md above " + Path.of("").toAbsolutePath());
        return p.resolve("README.md");
    }

    /** The {@code $ ./ringlab} commands of the README's fenced blocks with the output lines shown under each. */
    static List<Shown> shown(List<String> lines) {
        List<Shown> out = new ArrayList<>();
        boolean fenced = false;
        String command = null;
        List<String> output = new ArrayList<>();
        boolean excerpt = false;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.strip().startsWith("```")) {
                if (fenced && command != null) {
                    out.add(new Shown(command, output, excerpt));
                }
                command = null;
                fenced = !fenced;
                continue;
            }
            if (!fenced) {
                continue;
            }
            if (line.startsWith("$ ")) {
                if (command != null) {
                    out.add(new Shown(command, output, excerpt));
                }
                command = null;
                output = new ArrayList<>();
                if (!line.startsWith("$ ./ringlab ")) {
                    continue;
                }
                StringBuilder c = new StringBuilder(line.substring("$ ./ringlab ".length()));
                while (c.toString().stripTrailing().endsWith("\\") && i + 1 < lines.size()) {
                    String s = c.toString().stripTrailing();
                    c.setLength(0);
                    c.append(s.substring(0, s.length() - 1).stripTrailing()).append(' ').append(lines.get(++i).strip());
                }
                String cmd = c.toString().strip();
                excerpt = cmd.endsWith("(excerpt)");
                command = excerpt ? cmd.substring(0, cmd.length() - "(excerpt)".length()).strip() : cmd;
            } else if (command != null) {
                output.add(line);
            }
        }
        return out;
    }

    /** Splits a shell command line: blanks separate words, single and double quotes group. */
    static List<String> words(String command) {
        List<String> w = new ArrayList<>();
        StringBuilder cur = null;
        char quote = 0;
        for (char ch : command.toCharArray()) {
            if (quote != 0) {
                if (ch == quote) {
                    quote = 0;
                } else {
                    cur.append(ch);
                }
            } else if (ch == '\'' || ch == '"') {
                quote = ch;
                cur = cur == null ? new StringBuilder() : cur;
            } else if (Character.isWhitespace(ch)) {
                if (cur != null) {
                    w.add(cur.toString());
                    cur = null;
                }
            } else {
                cur = cur == null ? new StringBuilder() : cur;
                cur.append(ch);
            }
        }
        if (cur != null) {
            w.add(cur.toString());
        }
        return w;
    }

    private static final Pattern JSON_KEY = Pattern.compile("\"([A-Za-z0-9_]+)\"\\s*:");
    private static final Pattern ERROR_LINE = Pattern.compile("^ringlab [a-z-]+: --[a-z-]+: .*");

    @Test
    @Timeout(300)
    void everyShownCommandRunsAndItsOutputHasTheShownShape() throws IOException {
        List<Shown> all = shown(Files.readAllLines(readme()));
        assertTrue(all.size() >= 8, "the README shows its commands: " + all);
        for (String skip : SKIPPED.keySet()) {
            assertTrue(all.stream().anyMatch(s -> s.command().startsWith(skip)), "a stale skip: " + skip);
        }
        int ran = 0;
        for (Shown s : all) {
            if (SKIPPED.keySet().stream().anyMatch(k -> s.command().startsWith(k))) {
                continue;
            }
            ran++;
            BroadcastExperiment.forgetJvmWarmUp(); // each ./ringlab is a fresh JVM: a netty one warms itself up first
            check(s);
        }
        assertTrue(ran >= 8, "ran " + ran);
    }

    private static void check(Shown s) {
        TopologyCommandTest.Result r = TopologyCommandTest.run(words(s.command()).toArray(String[]::new));
        String real = r.out() + "\n" + r.err();
        String where = "README: $ ./ringlab " + s.command() + "\n--- real output:\n" + real;
        boolean error = s.output().stream().anyMatch(l -> ERROR_LINE.matcher(l.strip()).matches());
        assertEquals(error ? 2 : 0, r.exit(), where);
        List<String> realLines = real.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        // JSON shown (one object, possibly over several lines, possibly abridged with ...): its keys.
        StringBuilder json = null;
        for (String line : s.output()) {
            String t = line.strip();
            if (t.startsWith("{")) {
                json = new StringBuilder();
            }
            if (json != null) {
                json.append(t).append(' ');
                if (t.endsWith("}")) {
                    checkJson(json.toString(), r.out(), where);
                    json = null;
                }
                continue;
            }
            if (t.isEmpty() || t.equals("...")) {
                continue;
            }
            String first = t.split("\\s+")[0];
            assertTrue(realLines.stream().anyMatch(l -> l.startsWith(first)), "shown line '" + t + "': no real line starts with '"
                    + first + "'\n" + where);
        }
    }

    private static void checkJson(String shown, String stdout, String where) {
        Set<String> keys = new LinkedHashSet<>();
        Matcher m = JSON_KEY.matcher(shown);
        while (m.find()) {
            keys.add(m.group(1));
        }
        assertFalse(keys.isEmpty(), "shown JSON without keys: " + shown);
        JsonNode real;
        try {
            real = new ObjectMapper().readTree(stdout.strip().lines().reduce((a, b) -> b).orElse("{}"));
        } catch (IOException e) {
            throw new AssertionError("stdout is not one JSON object\n" + where, e);
        }
        for (String k : keys) {
            assertTrue(real.has(k), "shown key " + k + " is not in the real JSON\n" + where);
        }
    }

    @Test
    void theParserSeesContinuationsQuotesAndExcerpts() {
        List<Shown> s = shown(List.of("```", "$ ./ringlab recover -n 4 \\", "    --faults 'a|b' --seed 9   (excerpt)", "  crashed  [1]",
                "$ echo no", "x", "```", "$ ./ringlab outside"));
        assertEquals(1, s.size(), s.toString());
        assertEquals("recover -n 4 --faults 'a|b' --seed 9", s.get(0).command());
        assertTrue(s.get(0).excerpt());
        assertEquals(List.of("  crashed  [1]"), s.get(0).output());
        assertEquals(List.of("recover", "-n", "4", "--faults", "a|b", "--seed", "9"), words(s.get(0).command()));
    }

    @Test
    void theReadmeLinksNothingOutsideTheRepository() throws IOException {
        Path readme = readme();
        String text = Files.readString(readme);
        Matcher m = Pattern.compile("\\]\\(([^)]+)\\)").matcher(text);
        int links = 0;
        while (m.find()) {
            links++;
            String target = m.group(1).split("#")[0];
            assertFalse(target.contains("://"), "a link outside the repository: " + target);
            assertFalse(target.startsWith("/") || target.startsWith(".."), "a link outside the repository: " + target);
            assertTrue(Files.exists(readme.getParent().resolve(target)), "a link to a missing file: " + target);
        }
        assertTrue(links > 3, "links checked: " + links);
    }
}
