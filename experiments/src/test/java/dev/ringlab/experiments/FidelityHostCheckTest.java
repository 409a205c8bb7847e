package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fidelity}'s host check: the calibration's token ring and idle ring floods run again, before and after. */
class FidelityHostCheckTest {

    private static Map<String, Double> figures(Double same, Double cross, Double ring) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("token_same_us", same);
        m.put("token_cross_us", cross);
        m.put("idle_ring_us", ring);
        return m;
    }

    @Test
    void theCalibrationsFiguresAreReadFromItsRunJsonAndMissingOnesAreNull() throws Exception {
        JsonNode cal = new ObjectMapper().readTree("{\"nodes\":16,\"token_hop_same_executor_us_p50\":6.5,"
                + "\"token_hop_cross_executor_us_p50\":25.8,\"self_check\":[{\"workload\":\"complete:4\",\"measured_us\":90.0},"
                + "{\"workload\":\"ring:16\",\"measured_us\":911.3}]}");
        assertEquals(figures(6.5, 25.8, 911.3), CalibrateCommand.HostState.recorded(cal));
        JsonNode processes = new ObjectMapper().readTree("{\"nodes\":8,\"token_hop_same_executor_us_p50\":null,"
                + "\"token_hop_cross_executor_us_p50\":80.0,\"self_check\":[{\"workload\":\"ring:16\",\"measured_us\":5.0}]}");
        assertEquals(figures(null, 80.0, null), CalibrateCommand.HostState.recorded(processes),
                "no hop within an executor; the self-check row is the calibration's own size (ring:8), which it lacks");
        assertEquals(figures(null, null, null), CalibrateCommand.HostState.recorded(new ObjectMapper().readTree("{}")),
                "an older calibration: nothing recorded, nothing made up");
    }

    @Test
    void aFigureOffByMoreThanTheFactorEitherWayIsNamedInTheWarning() {
        Map<String, Double> then = figures(4.0, 20.0, 800.0);
        Map<String, Double> same = figures(4.4, 17.0, 900.0); // x1.10, x0.85, x1.125: all within 1.2
        assertNull(FidelityCommand.hostWarning(then, same, same));
        assertNull(FidelityCommand.hostWarning(then, null, null), "no check ran: no claim");
        String w = FidelityCommand.hostWarning(then, same, figures(4.0, 12.0, 1100.0));
        assertTrue(w != null && w.contains("after them: token hop into another executor x0.60, idle ring flood x1.38"), w);
        assertFalse(w.contains("before the runs"), "nothing moved before: " + w);
        assertTrue(w.contains("calibrate again"), "the fix: " + w);
        w = FidelityCommand.hostWarning(then, figures(5.0, 20.0, 800.0), null);
        assertTrue(w != null && w.contains("before the runs: token hop within an executor x1.25"), w);

        assertEquals(figures(1.1, 0.85, null), FidelityCommand.hostRatios(then, figures(4.4, 17.0, null)));
        assertEquals(figures(null, 1.0, 1.0), FidelityCommand.hostRatios(figures(null, 20.0, 800.0), figures(4.0, 20.0, 800.0)));
        String line = FidelityCommand.hostLine(figures(null, 80.0, null), figures(null, 100.0, 2000.0));
        assertEquals("token hop into another executor 100.0 us (calibration 80.0, x1.25), idle ring flood 2000.0 us "
                + "(calibration: not recorded)", line, "a figure the engine has none of is left out");
    }

    @Test
    @org.junit.jupiter.api.Tag("long") // a whole real-engine run: `mvn verify -P long` (README, "The two commands")
    void fidelityMeasuresTheHostBeforeAndAfterItsRunsAndWarnsWhenItMoved(@TempDir Path tmp) throws Exception {
        Path cal = Files.createDirectories(tmp.resolve("cal"));
        EngineModelCliTest.calibration(cal);
        // A small calibration record (4 nodes, 25 rotations, 20 idle floods) whose token hop into another executor
        // took 100 ms: no loopback hop is that slow, so the check must find the host moved.
        Files.writeString(cal.resolve("run.json"), "{\"experiment\":\"calibrate\",\"engine\":\"netty\",\"latency_file\":"
                + "\"hot-latency.txt\",\"processing_ns\":5000,\"nodes\":4,\"rotations\":25,\"flood_broadcasts\":20,\"seed\":1,"
                + "\"token_hop_cross_executor_us_p50\":100000.0,\"self_check\":[{\"workload\":\"ring:4\",\"measured_us\":300.0}]}");
        TokenCommandTest.Result r = TokenCommandTest.run("fidelity", "--calibration", cal.toString(), "--topologies", "ring", "-n", "4",
                "--seeds", "1", "--broadcasts", "2", "--recovery-seeds", "0", "--out", tmp.resolve("out").toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("fidelity: host check before the runs") && r.err().contains("fidelity: host check after the runs"),
                r.err());
        // Before the runs the check runs twice, and the first (in a JVM whose JIT is still busy with it) is not kept.
        int first = r.err().indexOf("fidelity: host check warm-up (not kept: a fresh JVM's first check runs slower): token hop");
        assertTrue(first >= 0 && first < r.err().indexOf("fidelity: host check before the runs"), r.err());
        JsonNode h = r.json().get("host_check");
        assertEquals(100000.0, h.get("calibration").get("token_cross_us").asDouble(), h.toString());
        for (String when : new String[] {"before", "after"}) {
            double cross = h.get(when).get("token_cross_us").asDouble();
            double ring = h.get(when).get("idle_ring_us").asDouble();
            assertTrue(cross > 0 && cross < 100000.0, "a loopback hop, measured " + when + ": " + h);
            assertTrue(ring > 0, "the idle ring's floods, measured " + when + ": " + h);
            assertEquals(cross / 100000.0, h.get("ratio_" + when).get("token_cross_us").asDouble(), 1e-9, h.toString());
        }
        assertTrue(h.get("warning").asText().contains("token hop into another executor x0.00"), h.toString());
        assertTrue(r.err().contains("fidelity: warning: the calibration's own workloads ran differently now"), r.err());
        JsonNode run = ResultsDir.readJson(Path.of(r.json().get("results_dir").asText()).resolve("run.json"));
        assertEquals(h, run.get("host_check"), "run.json keeps the same check");
        assertTrue(r.json().get("within_target_again").isNull() && r.json().get("rows").get(0).get("measured_again").isNull(),
                "no --measure-twice: nothing measured again, null: " + r.json());
    }
}
