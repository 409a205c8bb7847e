package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ringlab.sim.model.EngineModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A short calibration of the real netty engine on loopback writes a model the simulator loads and runs. */
class CalibrateCommandTest {
    @Test
    void aShortNettyCalibrationWritesALoadableModelWithPlacementAndTheColdStartTable(@TempDir Path tmp) throws Exception {
        TopologyCommandTest.Result r = TopologyCommandTest.run("calibrate", "--out", tmp.toString(), "-n", "8", "--rotations", "20",
                "--bursts", "1,4", "--reps", "3", "--respawns", "1", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode run = new ObjectMapper().readTree(r.out().strip().lines().reduce((a, b) -> b).orElseThrow());
        Path dir = Path.of(run.get("results_dir").asText());
        // Two passes by default on netty: the first one only compiles, prints one line, and leaves no directory.
        assertTrue(r.err().contains("passes=2"), r.err());
        assertTrue(r.err().contains("calibrate: pass 1 of 2 (not kept"), r.err());
        assertEquals(1, r.err().lines().filter(l -> l.contains("calibrate: flood on a star of 8 leaves")).count(),
                "only the kept pass prints its figures: " + r.err());
        try (java.util.stream.Stream<Path> made = Files.list(tmp)) {
            assertEquals(List.of(dir.getFileName().toString()), made.map(p -> p.getFileName().toString())
                    .filter(f -> !f.equals("latest")).toList());
        }
        assertEquals(2, new ObjectMapper().readTree(dir.resolve("run.json").toFile()).get("passes").asInt());
        EngineModel m = EngineModel.load(dir);
        assertNotNull(m.cpu(), "cpu part");
        assertTrue(m.cpu().blocks(), "netty places nodes in blocks, and so does the model");
        assertNotNull(m.cold(), "cold-start part");
        assertEquals(4, m.cold().idleNanos().length, "1, 10, 100 and 250 ms gaps: " + m.cold());
        assertTrue(m.cold().idleNanos()[3] >= 250_000_000L, "the settle's quiet gap: " + m.cold());
        assertTrue(Files.readAllLines(dir.resolve("cold.csv")).size() == 5, "header and four points");
        // The receive/send split: fitted on star floods, written with every candidate (measured row first).
        assertEquals(1 + 1 + 21, Files.readAllLines(dir.resolve("split.csv")).size(), "header, measured, 21 candidates");
        JsonNode fit = new ObjectMapper().readTree(dir.resolve("run.json").toFile()).get("split_fit");
        assertEquals(m.cpu().recvNanos(), fit.get("recv_ns").asLong());
        assertEquals(m.cpu().sendNanos(), fit.get("send_ns").asLong());
        assertEquals(CalibrateCommand.STAR_LEAVES.length, fit.get("star_measured_us").size());
        for (JsonNode t : fit.get("star_measured_us")) {
            assertTrue(t.asDouble() > 0, "a measured star completion: " + fit);
        }
        // The model runs on the simulator.
        TopologyCommandTest.Result sim = TopologyCommandTest.run("broadcast", "--topology", "random-regular:4", "-n", "16",
                "--model", "calibrated:" + dir, "--json");
        assertEquals(0, sim.exit(), sim.err());
    }

    @Test
    void passesOutsideOneToThreeAreRefusedWithTheFlagNamed(@TempDir Path tmp) {
        for (String bad : List.of("0", "4")) {
            TopologyCommandTest.Result r = TopologyCommandTest.run("calibrate", "--out", tmp.toString(), "--passes", bad);
            assertEquals(2, r.exit(), r.err());
            assertTrue(r.err().contains("--passes") && r.err().contains("must be 1 to 3, got " + bad), r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        }
    }
}
