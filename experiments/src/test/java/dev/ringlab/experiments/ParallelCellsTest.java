package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ringlab.runtime.NettyEngine;
import dev.ringlab.sim.SimEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParallelCellsTest {
    @TempDir
    Path tmp;

    @Test
    void resultsComeBackInCellOrderWhateverTheOrderTheyFinishIn() {
        SplittableRandom r = new SplittableRandom(5);
        List<Integer> cells = IntStream.range(0, 40).boxed().toList();
        long[] sleeps = r.longs(40, 0, 3).toArray();
        List<Integer> out = ParallelCells.map(cells, 4, c -> {
            try {
                Thread.sleep(sleeps[c]); // later cells often finish first
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return c * c;
        });
        assertEquals(cells.stream().map(c -> c * c).toList(), out);
    }

    @Test
    void largestCellsAreSubmittedFirstAndResultsStayInCellOrder() {
        List<Integer> cells = List.of(3, 9, 1, 9, 5, 2, 7);
        assertEquals(List.of(1, 3, 6, 4, 0, 5, 2), List.of(ParallelCells.submissionOrder(cells, c -> c)),
                "largest first, the two 9s in cell order");
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6), List.of(ParallelCells.submissionOrder(cells, null)));
        List<Integer> out = ParallelCells.map(cells, 2, c -> c * 10, c -> c);
        assertEquals(List.of(30, 90, 10, 90, 50, 20, 70), out);
    }

    @Test
    void theFirstFailingCellInOrderIsRethrownAsItWas() {
        UsageException e = assertThrows(UsageException.class, () -> ParallelCells.map(List.of(1, 2, 3, 4), 2, c -> {
            if (c >= 2) {
                throw new UsageException("--x", "cell " + c);
            }
            return c;
        }));
        assertEquals("--x: cell 2", e.getMessage());
    }

    @Test
    void threadsAreRefusedAboveOneOnRealEnginesAndBoundedByTheHeap() {
        UsageException e = assertThrows(UsageException.class, () -> ParallelCells.threads(2, new NettyEngine(), 0));
        assertTrue(e.getMessage().startsWith("--threads: engine netty"), e.getMessage());
        assertEquals(1, ParallelCells.threads(null, new NettyEngine(), 0));
        assertThrows(UsageException.class, () -> ParallelCells.threads(0, new SimEngine(), 0));
        assertEquals(Runtime.getRuntime().availableProcessors(), ParallelCells.threads(null, new SimEngine(), 0));
        assertEquals(3, ParallelCells.threads(3, new SimEngine(), 1));
        // A cell that needs most of the heap runs alone.
        assertEquals(1, ParallelCells.threads(8, new SimEngine(), Runtime.getRuntime().maxMemory() / 2));
    }

    @Test
    void compareOnTwoThreadsWritesWhatOneThreadWrites() throws Exception {
        List<String> one = compareFiles(1);
        List<String> two = compareFiles(2);
        assertFalse(one.isEmpty());
        assertEquals(one, two);
    }

    /** broadcast.csv, then broadcast-runs.csv without its wall_ms column, then every trace hash. */
    private List<String> compareFiles(int threads) throws Exception {
        Path out = Files.createDirectories(tmp.resolve("t" + threads));
        BroadcastCommandTest.Outcome o = BroadcastCommandTest.run("compare", "--nodes", "16,64", "--topologies",
                "ring,random-regular:4", "--seeds", "3", "--broadcasts", "4", "--threads", String.valueOf(threads), "--out",
                out.toString(), "--json");
        assertEquals(0, o.exit(), o.err());
        assertTrue(o.err().contains(" threads=" + threads), o.err());
        Path dir = Path.of(new ObjectMapper().readTree(o.out()).get("results_dir").asText());
        List<String> lines = new ArrayList<>(Files.readAllLines(dir.resolve("broadcast.csv")));
        List<String> runs = Files.readAllLines(dir.resolve("broadcast-runs.csv"));
        int wall = List.of(runs.get(0).split(",")).indexOf("wall_ms");
        assertTrue(wall > 0, runs.get(0));
        for (String l : runs) {
            List<String> f = new ArrayList<>(List.of(l.split(",", -1)));
            f.remove(wall);
            lines.add(String.join(",", f));
        }
        JsonNode run = new ObjectMapper().readTree(dir.resolve("run.json").toFile());
        assertEquals(threads, run.get("threads").asInt());
        assertEquals(12, run.get("runs").size());
        for (JsonNode r : run.get("runs")) {
            lines.add(r.get("trace_hash").asText());
        }
        return lines;
    }

    @Test
    void recoverSweepOnTwoThreadsGivesTheSameRuns() throws Exception {
        List<String> a = sweepRuns(1);
        List<String> b = sweepRuns(2);
        assertEquals(4, a.size());
        assertEquals(a, b);
    }

    private List<String> sweepRuns(int threads) throws Exception {
        Path out = Files.createDirectories(tmp.resolve("rs" + threads));
        BroadcastCommandTest.Outcome o = BroadcastCommandTest.run("recover-sweep", "--nodes", "8,16", "--suspicion-timeouts", "50ms",
                "--seeds", "2", "--threads", String.valueOf(threads), "--out", out.toString(), "--json");
        assertEquals(0, o.exit(), o.err());
        Path dir = Path.of(new ObjectMapper().readTree(o.out()).get("results_dir").asText());
        JsonNode run = new ObjectMapper().readTree(dir.resolve("run.json").toFile());
        List<String> out2 = new ArrayList<>();
        for (JsonNode r : run.get("runs")) {
            JsonNode res = r.get("result");
            out2.add(r.get("nodes") + " " + r.get("seed") + " " + res.get("trace_hash").asText() + " " + res.get("detect_ms") + " "
                    + res.get("repair_ms"));
        }
        return out2;
    }
}
