package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ringlab config --check --history FILE} with a crash and a respawn, on the simulator and on loopback
 * sockets: no delta applied out of order or twice, no phantom acknowledgement, and the history has one line
 * per client operation, each acknowledged one with the delta it created.
 */
class ConfigHistoryCheckTest {
    @TempDir
    Path tmp;

    @Test
    void theHistoryOfACrashAndRespawnChecksCleanOnSimAndNetty() throws Exception {
        for (String engine : List.of("sim", "netty")) {
            Path file = tmp.resolve(engine + ".jsonl");
            TokenCommandTest.Result r = TokenCommandTest.run("config", "--engine", engine, "-n", "5", "--deltas", "60",
                    "--crash", "1", "--respawn-after", "1s", "--check", "--history", file.toString(), "--json");
            assertEquals(0, r.exit(), engine + ": " + r.err());
            JsonNode j = r.json();
            assertEquals(0, j.get("order_violations").asLong(), r.out());
            assertEquals(0, j.get("phantom_acks").asLong(), r.out());
            List<String> lines = Files.readAllLines(file);
            assertFalse(lines.isEmpty());
            assertEquals(j.get("operations_issued").asInt(), lines.size(), r.out());
            int acked = 0;
            for (String line : lines) {
                JsonNode op = new ObjectMapper().readTree(line);
                if (!op.get("acked_ms").isNull()) {
                    acked++;
                    assertFalse(op.get("delta").isNull(), line);
                    assertTrue(op.get("acked_ms").asDouble() >= op.get("invoke_ms").asDouble(), line);
                }
            }
            assertEquals(j.get("acked").asLong(), acked, engine + ": acknowledged operations in the history");
        }
        // Without --check the verdict fields are null, not 0.
        TokenCommandTest.Result r = TokenCommandTest.run("config", "-n", "4", "--deltas", "10", "--json");
        assertTrue(r.json().get("order_violations").isNull(), r.out());
        assertTrue(r.json().get("phantom_acks").isNull(), r.out());
    }
}
