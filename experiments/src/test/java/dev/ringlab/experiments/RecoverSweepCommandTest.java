package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecoverSweepCommandTest {
    @Test
    void detectionFollowsTheSuspicionTimeoutAndTheCsvMatchesTheJson() throws Exception {
        Path out = Files.createTempDirectory("recover-sweep");
        BroadcastCommandTest.Outcome o = BroadcastCommandTest.run("recover-sweep", "--nodes", "8", "--suspicion-timeouts",
                "25ms,100ms", "--seeds", "2", "--out", out.toString(), "--json");
        assertEquals(0, o.exit(), o.err());
        JsonNode j = new ObjectMapper().readTree(o.out());
        JsonNode rows = j.get("rows");
        assertEquals(2, rows.size());
        for (JsonNode r : rows) {
            double timeout = r.get("suspicion_timeout_ms").asDouble();
            double detect = r.get("detect_ms").asDouble();
            // A neighbour suspects after the timeout, and within one heartbeat period (10 ms) plus a few link delays.
            assertTrue(detect >= timeout - 10 && detect <= timeout + 30, "detect " + detect + " ms for timeout " + timeout);
        }
        Path dir = Path.of(j.get("results_dir").asText());
        List<String> csv = Files.readAllLines(dir.resolve("recovery.csv"));
        assertEquals(3, csv.size());
        String[] header = csv.get(0).split(",");
        String[] first = csv.get(1).split(",", -1);
        for (int c = 0; c < header.length; c++) {
            JsonNode v = rows.get(0).get(header[c]);
            if (v.isNull()) {
                assertEquals("", first[c], header[c]);
            } else {
                assertEquals(v.asDouble(), Double.parseDouble(first[c]), 0.0, header[c]);
            }
        }
        JsonNode run = new ObjectMapper().readTree(dir.resolve("run.json").toFile());
        assertEquals(4, run.get("runs").size());
        assertTrue(run.get("runs").get(0).get("result").get("trace_hash").asText().matches("[0-9a-f]{16}"));
    }
}
