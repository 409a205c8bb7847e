package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ringlab submit} and {@code collect} without Slurm: the job script (chunking, paths, quoting, refusals),
 * a study whose slices run in-process as the array tasks would ({@code run --resume DIR --cells LIST}) and are
 * collected into the directory a local {@code ringlab run} writes, and collect's refusal of a study with cells
 * missing. .ci/slurm-check.sh runs the same through a real one-node Slurm.
 */
class SubmitCollectTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Six cells: four sim broadcasts (trace hash in the cell's output) and two compares (a replayable results dir). */
    static final String MIXED = """
            name = "mixed"
            [[part]]
            command = "broadcast"
            metrics = ["reliability", "msgs_per_op", "trace_hash"]
            [part.options]
            n = 8
            latency = "uniform:1ms,3ms"
            [part.sweep]
            topology = ["ring", "random-regular:4"]
            seed = [1, 2]

            [[part]]
            command = "compare"
            [part.options]
            nodes = "16"
            topologies = "ring,random-regular:4"
            seeds = 2
            broadcasts = 3
            latency = "uniform:1ms,3ms"
            threads = 1
            [part.sweep]
            seed = [1, 3]
            """;

    @TempDir
    Path tmp;

    private static JsonNode lastJson(TopologyCommandTest.Result r) throws IOException {
        String out = r.out().strip();
        return JSON.readTree(out.substring(out.lastIndexOf('\n') + 1));
    }

    private Path fakeJar() throws IOException {
        return Files.writeString(tmp.resolve("ringlab.jar"), "not a real jar: the test runs the tasks in-process");
    }

    @Test
    void chunksAreContiguousInOrderAndCompact() {
        List<Integer> ten = List.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        assertEquals(List.of("1", "2", "3", "4", "5", "6", "7", "8", "9", "10"), SlurmJob.chunks(ten, 1, null));
        assertEquals(List.of("1-4", "5-8", "9-10"), SlurmJob.chunks(ten, 4, null));
        assertEquals(List.of("1-2", "3-5", "6-7", "8-10"), SlurmJob.chunks(ten, null, 4), "sizes differ by at most one");
        assertEquals(List.of("1", "2", "3"), SlurmJob.chunks(List.of(1, 2, 3), null, 8), "never an empty task");
        assertEquals(List.of("2-3,7", "9-11"), SlurmJob.chunks(List.of(2, 3, 7, 9, 10, 11), 3, null),
                "a resumed study's unfinished cells, with gaps");
        assertEquals("1,3,5-7", SlurmJob.compact(List.of(1, 3, 5, 6, 7)));
        assertEquals(List.of(1, 3, 5, 6, 7), RunCommand.cells("1,3,5-7", 7), "--cells reads what compact writes");
        assertEquals(List.of(2, 3, 4), RunCommand.cells("4,2-3,3", 9), "sorted, without repeats");
        for (String bad : List.of("0", "8", "3-2", "1-x", "", "1,,2")) {
            UsageException e = assertThrows(UsageException.class, () -> RunCommand.cells(bad, 7), bad);
            assertTrue(e.getMessage().startsWith("--cells: "), e.getMessage());
        }
    }

    @Test
    void theScriptRunsEachTasksCellsFromTheStudysJarWithEveryPathQuoted() {
        Path study = Path.of("/shared/results/mixed-20260101-000000");
        SlurmJob job = new SlurmJob("mixed", study, List.of("1-4", "5-6"), "/opt/my java/bin/java", List.of("-Xmx2g", "-Dx=a b"),
                List.of(study + "/slurm/ringlab.jar", "/shared/own protocol.jar"), 2, List.of("--partition=short", "--time=00:10:00"));
        String s = job.script();
        List<String> lines = s.lines().toList();
        assertEquals("#!/bin/bash", lines.get(0));
        assertTrue(lines.contains("#SBATCH --job-name=ringlab-mixed"), s);
        assertTrue(lines.contains("#SBATCH --array=1-2"), s);
        assertTrue(lines.contains("#SBATCH --output=" + study + "/slurm/%A-%a.log"), s);
        assertTrue(lines.contains("#SBATCH --cpus-per-task=2"), s);
        assertTrue(lines.contains("#SBATCH --partition=short"), s);
        assertTrue(lines.contains("#SBATCH --time=00:10:00"), s);
        int firstCommand = lines.indexOf("set -euo pipefail");
        assertTrue(firstCommand > 0, s);
        for (int i = 0; i < firstCommand; i++) {
            assertTrue(lines.get(i).startsWith("#"), "sbatch reads #SBATCH lines only before the first command: " + lines.get(i));
        }
        assertTrue(lines.contains("  [1]=1-4") && lines.contains("  [2]=5-6"), s);
        assertTrue(s.contains("exec '/opt/my java/bin/java' -Xmx2g '-Dx=a b' -cp '" + study + "/slurm/ringlab.jar:/shared/own protocol.jar'"
                + " dev.ringlab.experiments.Main run --resume " + study + " --cells \"$list\""), s);
        assertEquals(SlurmJob.log(study, "42", 2), study.resolve("slurm/42-2.log"), "the log --output names");

        // What sbatch would read differently is refused, naming the flag.
        SlurmJob spaced = new SlurmJob("mixed", Path.of("/my results/mixed-1"), List.of("1"), "java", List.of(), List.of("x.jar"), 1,
                List.of());
        assertTrue(assertThrows(UsageException.class, spaced::script).getMessage().startsWith("--out: '/my results/mixed-1'"));
        for (String own : List.of("--array=1-3", "-a", "--output=x", "-o", "--job-name=x", "-c4", "--wait")) {
            UsageException e = assertThrows(UsageException.class, () -> SlurmJob.checkOption(own), own);
            assertTrue(e.getMessage().startsWith("--sbatch-arg: "), e.getMessage());
        }
        assertThrows(UsageException.class, () -> SlurmJob.checkOption("--comment=it's"));
        assertThrows(UsageException.class, () -> SlurmJob.checkOption("partition=x"));
        SlurmJob.checkOption("--account=abc");
        SlurmJob.checkOption("--mem=8G");
    }

    @Test
    @Timeout(180)
    void slicesRunAsTasksAndCollectedAreTheDirectoryALocalRunWrites() throws Exception {
        Path file = Files.writeString(tmp.resolve("mixed.toml"), MIXED);
        TopologyCommandTest.Result local = TopologyCommandTest.run("run", file.toString(), "--out", tmp.resolve("local").toString(),
                "--json");
        assertEquals(0, local.exit(), local.err());
        Path a = Path.of(lastJson(local).get("results_dir").asText());

        TopologyCommandTest.Result sub = TopologyCommandTest.run("submit", file.toString(), "--out", tmp.resolve("shared").toString(),
                "--cells-per-task", "4", "--jar", fakeJar().toString(), "--partition", "short", "--dry-run", "--json");
        assertEquals(0, sub.exit(), sub.err());
        JsonNode s = lastJson(sub);
        Path b = Path.of(s.get("results_dir").asText());
        assertEquals(2, s.get("tasks").asInt());
        assertTrue(s.get("job_id").isNull(), "--dry-run submits nothing: " + s);
        Path script = Path.of(s.get("script").asText());
        assertEquals(b.resolve("slurm/job-1.sh"), script);
        assertTrue(Files.readString(script).contains("#SBATCH --partition=short"));
        assertTrue(Files.isRegularFile(b.resolve("slurm/ringlab.jar")), "the study carries the jar its tasks run");
        assertFalse(Files.exists(b.resolve("cells.csv")), "nothing ran yet");

        // The array tasks, in-process and in reverse order: each slice writes only its cells.
        JsonNode tasks = ResultsDir.readJson(b.resolve("slurm/jobs.json")).get(0).get("tasks");
        assertEquals("1-4", tasks.get("1").asText());
        assertEquals("5-6", tasks.get("2").asText());
        for (String t : List.of("2", "1")) {
            TopologyCommandTest.Result r = TopologyCommandTest.run("run", "--resume", b.toString(), "--cells", tasks.get(t).asText());
            assertEquals(0, r.exit(), r.err());
            assertFalse(Files.exists(b.resolve("cells.csv")), "a slice leaves the study's files to collect");
        }
        TopologyCommandTest.Result c = TopologyCommandTest.run("collect", b.toString(), "--json");
        assertEquals(0, c.exit(), c.err());
        assertEquals(6, lastJson(c).get("cells_finished").asInt());

        assertEquals(comparable(a, "cells.csv"), comparable(b, "cells.csv"));
        assertEquals(7, Files.readAllLines(b.resolve("cells.csv")).size());
        JsonNode runA = ResultsDir.readJson(a.resolve("run.json"));
        JsonNode runB = ResultsDir.readJson(b.resolve("run.json"));
        for (String k : List.of("kind", "name", "status", "cells_total", "cells_finished", "cells_failed", "parts", "experiment_file",
                "source")) {
            assertEquals(runA.get(k), runB.get(k), k);
        }
        assertEquals(1, runB.get("slurm").size(), "run.json records the job: " + runB.get("slurm"));
        List<String> hashes = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
            String cell = String.format("cells/c%03d", i);
            JsonNode ca = JSON.readTree(a.resolve(cell).resolve(Study.CELL_FILE).toFile());
            JsonNode cb = JSON.readTree(b.resolve(cell).resolve(Study.CELL_FILE).toFile());
            assertEquals(ca.get("argv"), cb.get("argv"));
            assertEquals(0, cb.get("exit").asInt(), cb.toString());
            if (i <= 4) {
                ObjectNode ra = ca.get("result").deepCopy();
                ObjectNode rb = cb.get("result").deepCopy();
                for (ObjectNode o : List.of(ra, rb)) {
                    o.remove(List.of("wall_ms", "events_per_s"));
                }
                assertEquals(ra, rb, cell);
                hashes.add(rb.get("trace_hash").asText());
            } else {
                Path da = resultsDirOf(a.resolve(cell));
                Path db = resultsDirOf(b.resolve(cell));
                JsonNode runsB = ResultsDir.readJson(db.resolve("run.json")).get("runs");
                assertEquals(ResultsDir.readJson(da.resolve("run.json")).get("runs"), runsB, cell + ": every seed's trace hash");
                assertEquals(withoutWallTime(da.resolve("broadcast-runs.csv")), withoutWallTime(db.resolve("broadcast-runs.csv")));
                assertEquals(Files.readAllLines(da.resolve("broadcast.csv")), Files.readAllLines(db.resolve("broadcast.csv")));
                runsB.forEach(r -> hashes.add(r.get("trace_hash").asText()));
                TopologyCommandTest.Result replay = TopologyCommandTest.run("replay", db.resolve("run.json").toString());
                assertEquals(0, replay.exit(), replay.out() + replay.err());
            }
        }
        TopologyCommandTest.Result replayStudy = TopologyCommandTest.run("replay", b.resolve("run.json").toString(), "--json");
        assertEquals(0, replayStudy.exit(), replayStudy.out() + replayStudy.err());
        JsonNode rs = lastJson(replayStudy);
        assertEquals(12, rs.get("runs").asInt(), "4 broadcast cells rerun + 2 compares of 2 topologies x 2 seeds replayed: " + rs);
        assertTrue(rs.get("matched").asBoolean(), rs.toString());
        assertEquals(12, hashes.size(), hashes.toString());
        assertEquals(12, hashes.stream().distinct().count(), "every run differs (the compares run seeds 1-2 and 3-4): " + hashes);
    }

    @Test
    @Timeout(120)
    void collectNamesTheMissingCellsTheirTaskAndLogAndWritesNothing() throws Exception {
        Path file = Files.writeString(tmp.resolve("mixed.toml"), MIXED);
        TopologyCommandTest.Result sub = TopologyCommandTest.run("submit", file.toString(), "--out", tmp.resolve("shared").toString(),
                "--tasks", "3", "--jar", fakeJar().toString(), "--dry-run", "--json");
        assertEquals(0, sub.exit(), sub.err());
        Path b = Path.of(lastJson(sub).get("results_dir").asText());
        // As if the job had been submitted as job 77 and its task 2 (cells 3-4) had died.
        Path jobs = b.resolve("slurm/jobs.json");
        Files.writeString(jobs, Files.readString(jobs).replace("\"job_id\" : null", "\"job_id\" : \"77\""));
        for (String t : List.of("1-2", "5-6")) {
            assertEquals(0, TopologyCommandTest.run("run", "--resume", b.toString(), "--cells", t).exit());
        }
        TopologyCommandTest.Result c = TopologyCommandTest.run("collect", b.toString());
        assertEquals(1, c.exit(), c.err());
        List<String> lines = c.err().lines().toList();
        assertEquals(1, lines.size(), "one line: " + c.err());
        String line = lines.get(0);
        assertTrue(line.startsWith("ringlab collect: 2 of 6 cells have no result: c003, c004 (job 77 task 2; logs: "
                + b.resolve("slurm/77-2.log") + "); nothing written."), line);
        assertTrue(line.contains("ringlab submit --resume " + b), line);
        assertFalse(Files.exists(b.resolve("cells.csv")), "no partial study");
        assertTrue(ResultsDir.readJson(b.resolve("run.json")).get("status").asText().startsWith("job script written"));

        // submit --resume covers exactly the missing cells; once they ran, collect writes the study.
        TopologyCommandTest.Result again = TopologyCommandTest.run("submit", "--resume", b.toString(), "--jar", fakeJar().toString(),
                "--dry-run", "--json");
        assertEquals(0, again.exit(), again.err());
        assertEquals(b.resolve("slurm/job-2.sh").toString(), lastJson(again).get("script").asText());
        JsonNode second = ResultsDir.readJson(jobs).get(1).get("tasks");
        assertEquals("3", second.get("1").asText());
        assertEquals("4", second.get("2").asText());
        assertEquals(0, TopologyCommandTest.run("run", "--resume", b.toString(), "--cells", "3-4").exit());
        TopologyCommandTest.Result done = TopologyCommandTest.run("collect", b.toString());
        assertEquals(0, done.exit(), done.err());
        assertEquals(7, Files.readAllLines(b.resolve("cells.csv")).size());
        // A recorded hash that the cell no longer gives is a mismatch naming the cell.
        Path c1 = b.resolve("cells/c001").resolve(Study.CELL_FILE);
        JsonNode rec = JSON.readTree(c1.toFile());
        String hash = rec.get("result").get("trace_hash").asText();
        Files.writeString(c1, Files.readString(c1).replace(hash, "0123456789abcdef"));
        TopologyCommandTest.Result bad = TopologyCommandTest.run("replay", b.toString());
        assertEquals(1, bad.exit(), bad.out() + bad.err());
        assertTrue(bad.out().contains("c001 (ringlab broadcast") && bad.out().contains("recorded 0123456789abcdef, replayed " + hash),
                bad.out());

        TopologyCommandTest.Result notStudy = TopologyCommandTest.run("collect", tmp.toString());
        assertEquals(2, notStudy.exit());
        assertTrue(notStudy.err().startsWith("ringlab collect: STUDY_DIR: "), notStudy.err());
        TopologyCommandTest.Result slice = TopologyCommandTest.run("run", file.toString(), "--cells", "1");
        assertEquals(2, slice.exit());
        assertTrue(slice.err().startsWith("ringlab run: --cells: "), slice.err());
        TopologyCommandTest.Result own = TopologyCommandTest.run("submit", file.toString(), "--jar", fakeJar().toString(), "--dry-run",
                "--out", tmp.resolve("x").toString(), "--sbatch-arg=--array=1-9");
        assertEquals(2, own.exit());
        assertTrue(own.err().startsWith("ringlab submit: --sbatch-arg: --array"), own.err());
        assertFalse(Files.exists(tmp.resolve("x")), "a refused submit creates no study");
    }

    /**
     * A study's CSV as two runs of the same cells share it: without wall_ms, and with the study's directory and
     * the timestamps of the results directories inside it (the compare cells' results_dir) made generic.
     */
    static List<String> comparable(Path study, String csv) throws IOException {
        return withoutWallTime(study.resolve(csv)).stream()
                .map(l -> l.replace(study.toString(), "STUDY").replaceAll("compare-\\d{8}-\\d{6}(-\\d+)?", "compare-STAMP"))
                .toList();
    }

    /** A CSV's lines without its wall_ms column: the one figure two runs of the same cells never share. */
    static List<String> withoutWallTime(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        assertFalse(lines.isEmpty(), csv.toString());
        int col = List.of(lines.get(0).split(",", -1)).indexOf("wall_ms");
        List<String> out = new ArrayList<>();
        for (String l : lines) {
            // No field before wall_ms holds a quoted comma in these tables (cell, command, axes, exit / topology, n, ...).
            List<String> f = new ArrayList<>(List.of(l.split(",", -1)));
            if (col >= 0) {
                f.remove(col);
            }
            out.add(String.join(",", f));
        }
        return out;
    }

    private static Path resultsDirOf(Path cell) throws IOException {
        try (Stream<Path> s = Files.list(cell)) {
            List<Path> dirs = s.filter(p -> p.getFileName().toString().startsWith("compare-")).toList();
            assertEquals(1, dirs.size(), cell + " holds one results directory: " + dirs);
            return dirs.get(0);
        }
    }
}
