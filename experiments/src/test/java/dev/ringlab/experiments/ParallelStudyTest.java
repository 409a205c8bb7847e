package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --threads} on {@code ringlab run} (a study's simulator cells) and {@code ringlab check} (swarm runs): the
 * same output as one thread, wall time aside, and the refusal where a cell measures real time.
 */
class ParallelStudyTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static JsonNode lastJson(TopologyCommandTest.Result r) throws IOException {
        String out = r.out().strip();
        return JSON.readTree(out.substring(out.lastIndexOf('\n') + 1));
    }

    @Test
    @Timeout(180)
    void aStudyOnTwoThreadsWritesTheCellsOneThreadWrites() throws Exception {
        Path file = Files.writeString(tmp.resolve("mixed.toml"), SubmitCollectTest.MIXED);
        Path[] dirs = new Path[2];
        for (int t = 1; t <= 2; t++) {
            TopologyCommandTest.Result r = TopologyCommandTest.run("run", file.toString(), "--out", tmp.resolve("t" + t).toString(),
                    "--threads", String.valueOf(t), "--json");
            assertEquals(0, r.exit(), r.err());
            dirs[t - 1] = Path.of(lastJson(r).get("results_dir").asText());
            assertEquals(t > 1, r.err().contains("6 cell(s) on 2 threads"), r.err());
        }
        assertEquals(SubmitCollectTest.comparable(dirs[0], "cells.csv"), SubmitCollectTest.comparable(dirs[1], "cells.csv"));
        assertEquals(7, Files.readAllLines(dirs[1].resolve("cells.csv")).size());
        for (int i = 1; i <= 6; i++) {
            String cell = String.format("cells/c%03d/%s", i, Study.CELL_FILE);
            ObjectNode a = (ObjectNode) JSON.readTree(dirs[0].resolve(cell).toFile()).get("result");
            ObjectNode b = (ObjectNode) JSON.readTree(dirs[1].resolve(cell).toFile()).get("result");
            for (ObjectNode o : List.of(a, b)) {
                o.remove(List.of("wall_ms", "events_per_s", "results_dir"));
            }
            assertFalse(a.isEmpty(), cell);
            assertEquals(a, b, cell);
        }
        TopologyCommandTest.Result replay = TopologyCommandTest.run("replay", dirs[1].toString());
        assertEquals(0, replay.exit(), replay.out() + replay.err());
    }

    @Test
    void aStudyWithARealEngineCellRefusesMoreThanOneThread() throws Exception {
        Path file = Files.writeString(tmp.resolve("real.toml"), """
                command = "broadcast"
                [options]
                topology = "ring"
                n = 4
                [sweep]
                engine = ["sim", "netty"]
                """);
        TopologyCommandTest.Result r = TopologyCommandTest.run("run", file.toString(), "--out", tmp.resolve("r").toString(),
                "--threads", "2");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("ringlab run: --threads: cell 2 (ringlab broadcast --topology ring --nodes 4 --engine netty --json) measures "
                + "real time"), r.err());
    }

    @Test
    @Timeout(180)
    void checkOnTwoThreadsFindsWhatOneThreadFinds() throws Exception {
        JsonNode[] out = new JsonNode[2];
        for (int t = 1; t <= 2; t++) {
            TopologyCommandTest.Result r = TopologyCommandTest.run("check", "--runs", "24", "--seed", "11", "--nodes", "4..12",
                    "--threads", String.valueOf(t), "--json");
            assertEquals(0, r.exit(), r.err());
            ObjectNode o = (ObjectNode) lastJson(r);
            assertEquals(t, o.get("threads").asInt());
            o.remove(List.of("wall_ms", "threads"));
            out[t - 1] = o;
        }
        assertTrue(out[0].get("invariants_checked").asLong() > 0, out[0].toString());
        assertEquals(out[0], out[1], "same runs, same invariant checks, same virtual time");
    }
}
