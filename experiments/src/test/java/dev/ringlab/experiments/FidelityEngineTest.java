package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ringlab.sim.model.EngineModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fidelity --engine processes}: the simulator against one JVM per node, and what the option refuses. */
class FidelityEngineTest {
    private static final long US = 1_000L;
    private static final long MS = 1_000_000L;

    /** A calibration directory as {@code calibrate --engine processes} writes it (hand-made numbers, no measurement). */
    static Path processesCalibration(Path dir) throws Exception {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("hot-latency.txt"), "300000\n400000\n500000\n900000\n");
        new EngineModel("processes", null, new EngineModel.Cpu(0, 2, 50 * US, 50 * US), null,
                new EngineModel.Restart(10 * MS, 200 * MS, 20 * MS, 300 * MS), CalibrateCommand.machine())
                .save(dir, "hot-latency.txt", "test");
        Files.writeString(dir.resolve("run.json"),
                "{\"experiment\":\"calibrate\",\"engine\":\"processes\",\"latency_file\":\"hot-latency.txt\",\"processing_ns\":100000}");
        return dir;
    }

    @Test
    @org.junit.jupiter.api.Tag("long") // a whole real-engine run: `mvn verify -P long` (README, "The two commands")
    void aFidelityRunOnProcessesMeasuresOneJvmPerNodeAndSkipsWhatProcessesCannotRun(@TempDir Path tmp) throws Exception {
        Path cal = processesCalibration(tmp.resolve("cal"));
        TokenCommandTest.Result r = TokenCommandTest.run("fidelity", "--engine", "processes", "--calibration", cal.toString(),
                "--topologies", "ring", "-n", "4,64", "--seeds", "1", "--broadcasts", "2", "--recovery-seeds", "1",
                "--no-host-check", "--out", tmp.resolve("out").toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("n=64 skipped on every engine") && r.err().contains("processes runs at most 32"), r.err());
        JsonNode j = r.json();
        assertEquals("processes", j.get("engine").asText());
        List<JsonNode> rows = new ArrayList<>();
        j.get("rows").forEach(rows::add);
        assertFalse(rows.isEmpty(), "rows: " + j);
        for (JsonNode row : rows) {
            assertEquals(4, row.get("nodes").asInt(), "n=64 is skipped everywhere: " + row);
        }
        JsonNode p50 = rows.stream().filter(x -> x.get("metric").asText().equals("latency_ms_p50")).findFirst().orElseThrow();
        assertTrue(p50.get("measured").asDouble() > 0 && p50.get("predicted").asDouble() > 0, "measured on processes, predicted: " + p50);
        JsonNode detect = rows.stream().filter(x -> x.get("metric").asText().equals("detect_ms")).findFirst().orElseThrow();
        assertTrue(detect.get("measured").asDouble() > 0 && detect.get("predicted").asDouble() > 0, "recovery on processes: " + detect);

        Path dir = Path.of(j.get("results_dir").asText());
        assertTrue(Files.isDirectory(dir.resolve("processes")), "the measured sweep's tables under processes/");
        JsonNode run = ResultsDir.readJson(dir.resolve("run.json"));
        assertEquals("processes", run.get("engine").asText());
        assertTrue(run.has("processes") && !run.has("netty"), "the measured sweep under the engine's name: " + run.fieldNames());
        JsonNode recoveries = run.get("recovery_runs");
        assertEquals(3, recoveries.size(), "processes, baseline sim, modelled sim: " + recoveries);
        assertEquals("processes", recoveries.get(0).get("engine").asText());
        for (JsonNode x : recoveries) {
            assertEquals(0, x.get("exit").asInt(), x.toString());
        }
        assertEquals("processes", recoveries.get(0).get("result").get("engine").asText(), recoveries.get(0).toString());
    }

    @Test
    void theEngineMustBeRealAndMatchTheCalibration(@TempDir Path tmp) throws Exception {
        TokenCommandTest.Result r = TokenCommandTest.run("fidelity", "--engine", "sim", "--out", tmp.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("--engine") && r.err().contains("netty or processes"), r.err());

        Path netty = Files.createDirectories(tmp.resolve("netty-cal"));
        EngineModelCliTest.calibration(netty);
        Files.writeString(netty.resolve("run.json"), "{\"experiment\":\"calibrate\",\"engine\":\"netty\",\"latency_file\":\"hot-latency.txt\"}");
        r = TokenCommandTest.run("fidelity", "--engine", "processes", "--calibration", netty.toString(), "--out", tmp.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("--calibration") && r.err().contains("calibrates netty, not processes")
                && r.err().contains("calibrate --engine processes"), r.err());

        Path processes = processesCalibration(tmp.resolve("processes-cal"));
        r = TokenCommandTest.run("fidelity", "--calibration", processes.toString(), "--out", tmp.toString());
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("calibrates processes, not netty") && r.err().contains("--engine processes"), r.err());
    }

    @Test
    void recoveryRespawnsAfterThreeSuspicionTimeoutsAndAtLeastOneSecond() {
        assertEquals("1000ms", FidelityCommand.respawnAfter(Engines.byName("netty"), 16), "netty: as before");
        for (int n : new int[] {4, 16, 32}) {
            long suspicion = Defaults.timing(Engines.byName("processes"), n,
                    dev.ringlab.node.spec.LinkModels.parse(dev.ringlab.node.spec.RunSpec.DEFAULT_SIM_LATENCY)).suspicionNanos();
            String after = FidelityCommand.respawnAfter(Engines.byName("processes"), n);
            long ms = Long.parseLong(after.replace("ms", ""));
            assertTrue(ms * MS >= 3 * suspicion && ms >= 1000 && ms % 100 == 0, "n=" + n + ": " + after + " vs suspicion "
                    + suspicion / MS + " ms");
        }
    }
}
