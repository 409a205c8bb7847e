package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ringlab run} in-process on small simulator studies: the study directory, cells identical to the
 * command run alone, resume after a stop and after a kill, and the one-line refusals of a bad file.
 */
class RunCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Four sim broadcast cells: two topologies x two seeds, n = 8. */
    private static final String FOUR_CELLS = """
            name = "four"
            command = "broadcast"
            metrics = ["reliability", "msgs_per_op", "trace_hash"]
            [options]
            n = 8
            latency = "uniform:1ms,3ms"
            [sweep]
            topology = ["ring", "random-regular:4"]
            seed = [1, 2]
            """;

    @TempDir
    Path tmp;

    private Path write(String name, String text) throws IOException {
        return Files.writeString(tmp.resolve(name), text);
    }

    private static JsonNode lastJson(TopologyCommandTest.Result r) throws IOException {
        String out = r.out().strip();
        return JSON.readTree(out.substring(out.lastIndexOf('\n') + 1));
    }

    private static Path studyDir(JsonNode summary) {
        return Path.of(summary.get("results_dir").asText());
    }

    /** cell index to the bytes of its cell.json. */
    private static Map<Integer, byte[]> cellFiles(Path study) throws IOException {
        Map<Integer, byte[]> m = new TreeMap<>();
        try (Stream<Path> s = Files.list(study.resolve("cells"))) {
            for (Path d : s.toList()) {
                Path f = d.resolve(Study.CELL_FILE);
                if (Files.isRegularFile(f)) {
                    m.put(Integer.parseInt(d.getFileName().toString().substring(1)), Files.readAllBytes(f));
                }
            }
        }
        return m;
    }

    @Test
    @Timeout(120)
    void everyCellIsExactlyWhatItsCommandPrintsAloneAndTheStudyDirectoryHoldsTheFile() throws Exception {
        Path file = write("four.toml", FOUR_CELLS);
        TopologyCommandTest.Result r = TopologyCommandTest.run("run", file.toString(), "--out", tmp.resolve("results").toString(),
                "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode summary = lastJson(r);
        Path study = studyDir(summary);
        assertTrue(study.getFileName().toString().startsWith("four-"), study.toString());
        assertArrayEquals(Files.readAllBytes(file), Files.readAllBytes(study.resolve("experiment.toml")),
                "the study holds the exact file");
        JsonNode run = ResultsDir.readJson(study.resolve("run.json"));
        assertEquals("finished", run.get("status").asText());
        assertEquals(4, run.get("cells_total").asInt());
        assertEquals(4, run.get("cells_finished").asInt());
        assertEquals(0, run.get("cells_failed").asInt());
        List<String> csv = Files.readAllLines(study.resolve("cells.csv"));
        assertEquals("cell,command,topology,seed,exit,wall_ms,reliability,msgs_per_op,trace_hash,command_line", csv.get(0));
        assertEquals(5, csv.size(), csv.toString());
        assertEquals(4, summary.get("rows").size());
        assertTrue(r.err().contains("[4/4] broadcast topology=random-regular:4 seed=2"), r.err());

        Map<Integer, byte[]> cells = cellFiles(study);
        assertEquals(4, cells.size());
        List<String> hashes = new ArrayList<>();
        for (byte[] bytes : cells.values()) {
            JsonNode cell = JSON.readTree(bytes);
            List<String> argv = new ArrayList<>();
            cell.get("argv").forEach(a -> argv.add(a.asText()));
            TopologyCommandTest.Result alone = TopologyCommandTest.run(argv.toArray(String[]::new));
            assertEquals(0, alone.exit(), alone.err());
            ObjectNode a = (ObjectNode) lastJson(alone);
            ObjectNode c = (ObjectNode) cell.get("result").deepCopy();
            assertFalse(c.get("trace_hash").isNull(), "a sim cell has a trace hash: " + c);
            // Wall-clock figures differ between any two runs; every other field is the same run's.
            for (ObjectNode o : List.of(a, c)) {
                o.remove(List.of("wall_ms", "events_per_s"));
            }
            assertEquals(a, c, "cell " + cell.get("cell") + " vs " + argv);
            hashes.add(c.get("trace_hash").asText());
        }
        assertEquals(4, hashes.stream().distinct().count(), "four different runs: " + hashes);
    }

    @Test
    @Timeout(120)
    void resumeRunsOnlyTheCellsThatDidNotFinish() throws Exception {
        Path file = write("four.toml", FOUR_CELLS);
        TopologyCommandTest.Result first = TopologyCommandTest.run("run", file.toString(), "--out",
                tmp.resolve("results").toString(), "--max-cells", "2", "--json");
        assertEquals(0, first.exit(), first.err());
        Path study = studyDir(lastJson(first));
        assertEquals(2, lastJson(first).get("cells_run").asInt());
        assertEquals("stopped", ResultsDir.readJson(study.resolve("run.json")).get("status").asText());
        assertTrue(first.err().contains("continue with: ringlab run --resume " + study), first.err());
        Map<Integer, byte[]> before = cellFiles(study);
        assertEquals(List.of(1, 2), List.copyOf(before.keySet()));

        TopologyCommandTest.Result second = TopologyCommandTest.run("run", "--resume", study.toString(), "--json");
        assertEquals(0, second.exit(), second.err());
        JsonNode s = lastJson(second);
        assertEquals(2, s.get("cells_run").asInt(), "only the two unfinished cells ran: " + second.err());
        assertEquals(4, s.get("cells_finished").asInt());
        assertFalse(second.err().contains("[1/4]") || second.err().contains("[2/4]"), second.err());
        Map<Integer, byte[]> after = cellFiles(study);
        assertEquals(4, after.size());
        for (int i : before.keySet()) {
            assertArrayEquals(before.get(i), after.get(i), "finished cell " + i + " untouched");
        }

        // A run killed inside cell 3 leaves its directory without a cell.json: resume clears and redoes it alone.
        Path c3 = study.resolve("cells/c003");
        Files.delete(c3.resolve(Study.CELL_FILE));
        Files.writeString(c3.resolve("partial.txt"), "left by a killed run");
        TopologyCommandTest.Result third = TopologyCommandTest.run("run", "--resume", study.toString(), "--json");
        assertEquals(0, third.exit(), third.err());
        assertEquals(1, lastJson(third).get("cells_run").asInt(), third.err());
        assertFalse(Files.exists(c3.resolve("partial.txt")));
        assertEquals(4, cellFiles(study).size());
        assertEquals(5, Files.readAllLines(study.resolve("cells.csv")).size());

        TopologyCommandTest.Result done = TopologyCommandTest.run("run", "--resume", study.toString(), "--json");
        assertEquals(0, done.exit(), done.err());
        assertEquals(0, lastJson(done).get("cells_run").asInt());
    }

    @Test
    @Timeout(180)
    void aStudyKilledMidwayResumesWithoutRedoingItsFinishedCells() throws Exception {
        // Cells long enough (a Poisson stream of broadcasts) that a SIGKILL lands while the study is running.
        Path file = write("killed.toml", """
                command = "broadcast"
                [options]
                topology = "random-regular:4"
                n = 32
                rate = 1000
                duration = "0.5s"
                [sweep]
                seed = [1, 2, 3, 4]
                """);
        Path root = tmp.resolve("results");
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(java, "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "run", file.toString(), "--out", root.toString())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile()).start();
        Path study = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (System.nanoTime() < deadline && p.isAlive()) {
            try (Stream<Path> s = Files.exists(root) ? Files.list(root) : Stream.empty()) {
                study = s.findFirst().orElse(null);
            }
            if (study != null && Files.exists(study.resolve("cells/c001/" + Study.CELL_FILE))) {
                break;
            }
            Thread.sleep(10);
        }
        p.destroyForcibly();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertNotNull(study, Files.readString(tmp.resolve("child.log")));
        Map<Integer, byte[]> before = cellFiles(study);
        assertTrue(before.size() >= 1 && before.size() < 4, "killed midway: " + before.keySet() + "\n"
                + Files.readString(tmp.resolve("child.log")));

        TopologyCommandTest.Result r = TopologyCommandTest.run("run", "--resume", study.toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        assertEquals(4 - before.size(), lastJson(r).get("cells_run").asInt(), r.err());
        Map<Integer, byte[]> after = cellFiles(study);
        assertEquals(4, after.size());
        for (int i : before.keySet()) {
            assertArrayEquals(before.get(i), after.get(i), "cell " + i + " finished before the kill was not redone");
        }
    }

    @Test
    void aBadFileIsOneLineNamingTheFileAndTheKeyAndNothingIsWritten() throws Exception {
        Path out = tmp.resolve("results");
        record Case(String toml, String... expected) {}
        List<Case> cases = List.of(
                new Case("command = \"broadcast\"\n[options]\nnodez = 8\n", "unknown key 'nodez' for broadcast", "did you mean nodes?"),
                new Case("command = \"broadcast\"\n[sweeep]\nn = [8]\n", "unknown key 'sweeep'", "did you mean sweep?"),
                new Case("command = \"brodcast\"\n", "unknown command 'brodcast'", "did you mean broadcast?"),
                new Case("command = \"broadcast\"\n[sweep]\nn = 8\n", "sweep.n: a non-empty list"),
                new Case("command = \"broadcast\"\n[options]\nn = [8, 16]\ntopology = \"ring\"\n", "n: takes one value",
                        "put it under [sweep]"),
                new Case("command = \"broadcast\"\n[options]\njson = true\n", "'json' is set by ringlab run"),
                new Case("command = \"broadcast\"\n[options]\ntopology = \"ring\"\n[sweep]\nn = [8, \"x\"]\n", "cell 2",
                        "'x' is not an int"),
                new Case("command = \"broadcast\"\n[options]\nn = 8\ntopology = \"ring\"\nlatency = \"bogus\"\n",
                        "cell 1", "--latency: bad latency spec"),
                new Case("command = \"node\"\n", "command 'node' cannot be a cell"),
                new Case("command = \"broadcast\"\n[options\n", "not valid TOML (line 2"));
        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            Path f = write("bad" + i + ".toml", c.toml());
            TopologyCommandTest.Result r = TopologyCommandTest.run("run", f.toString(), "--out", out.toString());
            String where = c.toml() + "\n-> " + r.err();
            assertEquals(2, r.exit(), where);
            assertEquals(1, r.err().strip().lines().count(), "one line: " + where);
            assertTrue(r.err().startsWith("ringlab run: " + f + ": "), "names the file: " + where);
            for (String e : c.expected()) {
                assertTrue(r.err().contains(e), "'" + e + "' in: " + where);
            }
        }
        assertFalse(Files.exists(out), "a refused file leaves no study directory");
    }

    @Test
    void aCellItsCommandRefusesStopsTheStudyWithExit2AndTheFixAndResumeLine() throws Exception {
        Path f = write("origin.toml", "command = \"broadcast\"\n[options]\nn = 8\ntopology = \"ring\"\n[sweep]\norigin = [1, 9]\n");
        TopologyCommandTest.Result r = TopologyCommandTest.run("run", f.toString(), "--out", tmp.resolve("results").toString());
        assertEquals(2, r.exit(), r.err());
        String last = r.err().strip().lines().reduce((a, b) -> b).orElseThrow();
        assertTrue(last.contains("cell 2") && last.contains("--origin: must be a node in 0..7, got 9")
                && last.contains("continue with: ringlab run --resume "), last);
    }

    @Test
    void theExampleStudiesAreValidAndDryRunWritesNothing() throws Exception {
        Path studies = ReadmeTest.readme().getParent().resolve("experiments/studies");
        List<Path> files;
        try (Stream<Path> s = Files.list(studies)) {
            files = s.filter(p -> p.toString().endsWith(".toml")).sorted().toList();
        }
        assertTrue(files.size() >= 3, "example studies: " + files);
        String readme = Files.readString(ReadmeTest.readme());
        for (Path f : files) {
            TopologyCommandTest.Result r = TopologyCommandTest.run("run", f.toString(), "--dry-run", "--json",
                    "--out", tmp.resolve("results").toString());
            assertEquals(0, r.exit(), f + ": " + r.err());
            JsonNode j = lastJson(r);
            assertTrue(j.get("cells_total").asInt() >= 8, f + ": " + j);
            assertTrue(readme.contains("experiments/studies/" + f.getFileName()), "the README names " + f.getFileName());
        }
        assertFalse(Files.exists(tmp.resolve("results")), "--dry-run writes nothing");
    }

    @Test
    void partsShareTheTopLevelAndPositionalParametersAreKeys() throws Exception {
        Path f = write("parts.toml", """
                [sweep]
                n = [16, 32]
                [[part]]
                command = "topology"
                [part.sweep]
                spec = ["ring", "hypercube"]
                [[part]]
                command = "broadcast"
                [part.options]
                topology = "hypercube"
                n = 16
                """);
        TopologyCommandTest.Result r = TopologyCommandTest.run("run", f.toString(), "--dry-run", "--json");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = new ArrayList<>();
        lastJson(r).get("cells").forEach(c -> lines.add(c.get("command_line").asText()));
        assertEquals(List.of(
                "ringlab topology ring --nodes 16 --json",
                "ringlab topology hypercube --nodes 16 --json",
                "ringlab topology ring --nodes 32 --json",
                "ringlab topology hypercube --nodes 32 --json",
                "ringlab broadcast --topology hypercube --nodes 16 --json"), lines);
    }
}
