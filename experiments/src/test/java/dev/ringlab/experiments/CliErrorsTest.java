package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The CLI's one error path and its help text: every failure one line (no trace without --verbose), exit 2
 * for bad input, suggestions for typos, sizes refused before allocating, and help wrapped once.
 */
class CliErrorsTest {
    static TopologyCommandTest.Result run(String... args) {
        return TopologyCommandTest.run(args);
    }

    private static void assertOneLine(TopologyCommandTest.Result r) {
        List<String> lines = r.err().lines().filter(l -> l.startsWith("ringlab")).toList();
        assertFalse(lines.isEmpty(), "an error line expected: " + r.err());
        String last = r.err().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.startsWith("ringlab"), "the error is the last line: " + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --verbose: " + r.err());
    }

    @Test
    void mistypedCommandAndOptionGetSuggestions() {
        TopologyCommandTest.Result r = run("topolgy", "ring");
        assertEquals(2, r.exit());
        assertOneLine(r);
        assertTrue(r.err().contains("unknown command 'topolgy'; did you mean topology"), r.err());

        r = run("topology", "ring", "--nodez", "5");
        assertEquals(2, r.exit());
        assertOneLine(r);
        assertTrue(r.err().contains("unknown option '--nodez'; did you mean --nodes?"), r.err());
        assertFalse(r.err().contains("Missing required"), "the typo is the cause, not a missing --nodes: " + r.err());
    }

    @Test
    void sizesThatCannotFitTheHeapAreRefusedBeforeAllocating() {
        for (String[] args : List.of(new String[] {"topology", "ring", "-n", "1000000000"},
                new String[] {"broadcast", "--topology", "ring", "-n", "1000000000"},
                new String[] {"token", "-n", "1000000000"},
                new String[] {"compare", "-n", "1000000000"},
                new String[] {"recover", "-n", "1000000000"},
                new String[] {"simbench", "-n", "1000000000"})) {
            TopologyCommandTest.Result r = run(args);
            assertEquals(2, r.exit(), String.join(" ", args) + ": " + r.err());
            assertOneLine(r);
            assertTrue(r.err().contains("RINGLAB_JAVA_OPTS") && r.err().contains("GB of heap"), r.err());
        }
    }

    @Test
    void outOfMemoryIsOneLineNamingTheJavaOptions() {
        String line = Main.outOfMemory(new OutOfMemoryError("Java heap space"));
        assertTrue(line.contains("RINGLAB_JAVA_OPTS") && line.contains("Java heap space"), line);
    }

    @Test
    void theSuggestedJavaOptionsKeepTheLaunchersHugePagesAndCompactHeaders() {
        assertEquals("-Xmx8g -XX:+UseParallelGC -XX:+UseTransparentHugePages",
                MemoryBudget.javaOpts(8, List.of("-Xmx3g", "-XX:+UseParallelGC", "-XX:+UseTransparentHugePages")));
        assertEquals("-Xmx8g -XX:+UseParallelGC", MemoryBudget.javaOpts(8, List.of("-Xmx3g", "-XX:+UseParallelGC")));
        assertEquals("-Xmx8g -XX:+UseParallelGC -XX:+UseTransparentHugePages -XX:+UseCompactObjectHeaders",
                MemoryBudget.javaOpts(8, List.of("-Xmx3g", "-XX:+UseParallelGC", "-XX:+UseTransparentHugePages",
                        "-XX:+UseCompactObjectHeaders")));
        assertEquals("-Xmx8g -XX:+UseParallelGC -XX:+UseCompactObjectHeaders",
                MemoryBudget.javaOpts(8, List.of("-Xmx3g", "-XX:+UseParallelGC", "-XX:+UseCompactObjectHeaders")));
        boolean thp = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()
                .contains("-XX:+UseTransparentHugePages");
        assertEquals(thp, Main.outOfMemory(new OutOfMemoryError("Java heap space")).contains("UseTransparentHugePages"));
    }

    @Test
    void recoverRefusesACrashTheHealingRingCannotSurvive() {
        TopologyCommandTest.Result r = run("recover", "-n", "2", "--crash", "1");
        assertEquals(2, r.exit(), r.err());
        assertOneLine(r);
        assertTrue(r.err().contains("at least 2 live nodes"), r.err());
        r = run("recover", "-n", "8", "--crash-nodes", "2,3,4");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("cuts successor-ring:3"), r.err());
    }

    @Test
    void verboseAddsTheTraceToAnInternalError() {
        TopologyCommandTest.Result quiet = run("recover", "-n", "2", "--crash", "1");
        TopologyCommandTest.Result loud = run("recover", "-n", "2", "--crash", "1", "--verbose");
        assertFalse(quiet.err().contains("\tat "), quiet.err());
        assertTrue(loud.err().contains("\tat dev.ringlab"), loud.err());
    }

    // ---- help wrapped once ----

    /**
     * Ragged lines: a line shorter than half the width whose next line continues the same sentence (starts
     * with a lower-case letter), outside tables (lines with a column gap of two spaces after the indent).
     */
    static List<String> ragged(String help, int width) {
        List<String> bad = new ArrayList<>();
        String[] lines = help.split("\\R");
        for (int i = 0; i + 1 < lines.length; i++) {
            String a = lines[i].stripTrailing();
            String b = lines[i + 1];
            String bText = b.strip();
            if (a.isBlank() || bText.isEmpty() || a.length() >= width / 2) {
                continue;
            }
            if (a.strip().contains("  ") || bText.contains("  ")) {
                continue; // a table row or an option row with its column gap
            }
            if (Character.isLowerCase(bText.charAt(0))) {
                bad.add(a + " / " + bText);
            }
        }
        return bad;
    }

    private static String help(CommandLine cl, int width) {
        cl.setUsageHelpAutoWidth(false);
        cl.setUsageHelpWidth(width);
        StringWriter s = new StringWriter();
        cl.usage(new PrintWriter(s));
        return s.toString();
    }

    @Test
    void noHelpLineOfAnyCommandIsRagged() {
        CommandLine root = Main.commandLine();
        List<CommandLine> all = new ArrayList<>();
        all.add(root);
        all.addAll(root.getSubcommands().values());
        assertTrue(all.size() > 10, "every command: " + all.size());
        for (int width : new int[] {80, 100, 120}) {
            for (CommandLine cl : all) {
                String text = help(cl, width);
                assertTrue(text.lines().count() > 3, cl.getCommandName());
                assertEquals(List.of(), ragged(text, width), "ringlab " + cl.getCommandName() + " --help at width " + width);
            }
        }
    }

    @Command(name = "prewrapped", description = {
        "A description written as source lines of about a hundred characters, each one string, which picocli",
        "wraps again at eighty columns, leaving a short fragment at the end of every source line that it",
        "prints before the next string."
    })
    static final class PreWrapped implements Runnable {
        @Override
        public void run() {}
    }

    @Test
    void theRaggedCheckFailsOnPreWrappedTextAndTheReflowFixesIt() {
        CommandLine raw = new CommandLine(new PreWrapped());
        assertFalse(ragged(help(raw, 80), 80).isEmpty(), "the check must see the double wrap:\n" + help(raw, 80));
        CommandLine fixed = new CommandLine(new PreWrapped());
        HelpText.reflow(fixed);
        assertEquals(List.of(), ragged(help(fixed, 80), 80), help(fixed, 80));
    }

    /**
     * A results root that cannot be made or written fails before the work, exit 2 naming --out, on every command
     * that writes a results directory; the check itself leaves no directory behind.
     */
    @Test
    void anUnwritableOutFailsBeforeTheWorkAndTheCheckLeavesNothing(@org.junit.jupiter.api.io.TempDir
            java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path file = java.nio.file.Files.writeString(tmp.resolve("a-file"), "x");
        String under = file.resolve("results").toString();
        List<String[]> commands = List.of(
                new String[] {"compare", "-n", "16", "--seeds", "1", "--out", under},
                new String[] {"recover-sweep", "-n", "8", "--out", under},
                new String[] {"datacenters", "--out", under},
                new String[] {"calibrate", "--engine", "netty", "--out", under},
                new String[] {"fidelity", "--out", under},
                new String[] {"compare", "-n", "16", "--out", file.toString()});
        for (String[] args : commands) {
            TopologyCommandTest.Result r = run(args);
            String why = String.join(" ", args) + ": " + r.err();
            assertEquals(2, r.exit(), why);
            assertOneLine(r);
            assertTrue(r.err().contains("--out: cannot ") && r.err().contains("choose a directory you can write to"),
                    why);
            assertFalse(r.err().contains("results in") || r.err().contains("replay:"), "no work before: " + why);
        }
        java.nio.file.Path fresh = tmp.resolve("new").resolve("deeper");
        ResultsDir.requireWritableRoot(fresh);
        assertFalse(java.nio.file.Files.exists(tmp.resolve("new")), "the check removes what it made");
    }
}
