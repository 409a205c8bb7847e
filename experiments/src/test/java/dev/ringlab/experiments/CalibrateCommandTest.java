package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ringlab.sim.model.EngineModel;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
