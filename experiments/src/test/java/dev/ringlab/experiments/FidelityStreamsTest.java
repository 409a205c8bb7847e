package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fidelity --rates}: broadcast streams measured on netty next to the baseline and the model's prediction. */
class FidelityStreamsTest {

    /** The rows of {@code fidelity --json} output {@code j} whose experiment is {@code experiment}, in order. */
    private static List<JsonNode> rows(JsonNode j, String experiment) {
        List<JsonNode> out = new ArrayList<>();
        j.get("rows").forEach(row -> {
            if (row.get("experiment").asText().equals(experiment)) {
                out.add(row);
            }
        });
        return out;
    }

    @Test
    void aStreamIsMeasuredOnNettyAndPredictedByTheBaselineAndTheModel(@TempDir Path tmp) throws Exception {
        Path cal = Files.createDirectories(tmp.resolve("cal"));
        EngineModelCliTest.calibration(cal); // model.properties and its latency file
        Files.writeString(cal.resolve("run.json"), "{\"experiment\":\"calibrate\",\"latency_file\":\"hot-latency.txt\",\"processing_ns\":5000}");
        TokenCommandTest.Result r = TokenCommandTest.run("fidelity", "--calibration", cal.toString(), "--topologies", "ring", "-n", "4",
                "--seeds", "1", "--broadcasts", "2", "--recovery-seeds", "0", "--rates", "50", "--stream-duration", "400ms",
                "--no-host-check", "--measure-twice", "--out", tmp.resolve("out").toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        // --measure-twice: the broadcast sweep ran again on netty; each broadcast row has its figure and error against
        // the first sweep's, the stream rows (run once) have none.
        List<JsonNode> broadcastRows = rows(j, "broadcast");
        assertEquals(2, broadcastRows.size(), "p50 and p99 of (ring, 4): " + j.get("rows"));
        for (JsonNode row : broadcastRows) {
            double again = row.get("measured_again").asDouble();
            assertTrue(again > 0, "measured again on netty: " + row);
            assertEquals((again - row.get("measured").asDouble()) / row.get("measured").asDouble(), row.get("again_rel_error").asDouble(),
                    1e-12, row.toString());
        }
        assertEquals(2, j.get("compared_again").asInt(), j.toString());
        assertTrue(j.get("within_target_again").asInt() >= 0 && j.get("within_target_again").asInt() <= 2, j.toString());
        assertTrue(j.get("host_check").isNull(), "--no-host-check: no check, null: " + j.get("host_check"));
        assertFalse(r.err().contains("host check"), r.err());
        List<JsonNode> streams = rows(j, "stream@50/s");
        assertEquals(3, streams.size(), "p50, p99 and CPU per message of the one (ring, 4) stream: " + j.get("rows"));
        for (JsonNode row : streams) {
            assertTrue(row.get("measured").asDouble() > 0, "measured on netty: " + row);
            assertTrue(row.get("predicted").asDouble() > 0, "the model's prediction: " + row);
            assertTrue(row.get("measured_again").isNull() && row.get("again_rel_error").isNull(), "streams run once: " + row);
            if (row.get("metric").asText().equals("cpu_us_per_msg")) {
                // The baseline simulator has no cores: nothing to predict, null and not 0.
                assertTrue(row.get("baseline_predicted").isNull(), "no CPU figure on the baseline: " + row);
            } else {
                assertTrue(row.get("baseline_predicted").asDouble() > 0, "the baseline's prediction: " + row);
            }
        }
        assertEquals("cpu_us_per_msg", streams.get(2).get("metric").asText(), j.get("rows").toString());
        // The targets cover latencies and recovery: the CPU row is shown, not counted.
        assertEquals(j.get("rows").size() - 1, j.get("compared").asInt(), j.toString());
        JsonNode run = ResultsDir.readJson(Path.of(j.get("results_dir").asText()).resolve("run.json"));
        assertTrue(run.get("measure_twice").asBoolean() && run.has("netty_again"), "the second sweep in run.json");
        assertTrue(Files.isRegularFile(Path.of(j.get("results_dir").asText()).resolve("netty-again/broadcast.csv")),
                "the second sweep's tables under netty-again/");
        JsonNode runs = run.get("stream_runs");
        assertEquals(3, runs.size(), "netty, baseline sim, modelled sim: " + runs);
        for (JsonNode x : runs) {
            assertEquals(0, x.get("exit").asInt(), x.toString());
            // a 50/s Poisson stream for 400 ms: some broadcasts, each sent at the rate on every engine
            assertTrue(x.get("result").get("broadcasts").asInt() > 0, x.toString());
        }
        assertEquals(runs.get(1).get("result").get("broadcasts"), runs.get(2).get("result").get("broadcasts"),
                "the same seeded stream on both simulators");

        TokenCommandTest.Result bad = TokenCommandTest.run("fidelity", "--rates", "0", "--out", tmp.toString());
        assertEquals(2, bad.exit(), bad.err());
        assertTrue(bad.err().contains("--rates: each rate must be a positive number"), bad.err());
    }
}
