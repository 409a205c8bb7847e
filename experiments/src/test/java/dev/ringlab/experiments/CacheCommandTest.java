package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code ringlab cache} in-process: the JSON fields and the guarantee on the simulator, a bounded real run on
 * loopback sockets with a crash, usage errors.
 */
class CacheCommandTest {
    static final List<String> FIELDS = List.of("engine", "seed", "topology", "protocol", "nodes", "keys", "ops",
            "hit_rate", "hit_rate_during_failure", "lost_acknowledged_writes", "takeover_ms", "handback_ms", "ops_per_s",
            "latency_ms", "acked_writes", "failed_ops", "verified_keys", "trace_hash", "wall_ms");

    @Test
    void onTheSimulatorACrashLosesNoAcknowledgedWriteAndTheSuccessorTakesOver() throws Exception {
        TokenCommandTest.Result r = TokenCommandTest.run("cache", "-n", "5", "--keys", "200", "--ops", "3000",
                "--crash-nodes", "2", "--down", "500ms", "--seed", "3", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        for (String f : FIELDS) {
            assertTrue(j.has(f), "missing " + f + " in " + r.out());
        }
        assertEquals("sim", j.get("engine").asText());
        assertEquals(0, j.get("lost_acknowledged_writes").asLong());
        assertEquals(200, j.get("verified_keys").asLong());
        double takeover = j.get("takeover_ms").asDouble();
        assertTrue(takeover > 50 && takeover < 200, "takeover_ms " + takeover);
        assertTrue(j.get("hit_rate_during_failure").asDouble() > 0.97, r.out());
        assertFalse(j.get("trace_hash").isNull());
        // Same seed, same run.
        assertEquals(j.get("trace_hash").asText(), TokenCommandTest.run("cache", "-n", "5", "--keys", "200", "--ops",
                "3000", "--crash-nodes", "2", "--down", "500ms", "--seed", "3", "--json").json().get("trace_hash").asText());
    }

    @Test
    void onLoopbackSocketsACrashedNodesKeysAreTakenOverAndNothingAcknowledgedIsLost() throws Exception {
        // Down long enough to be detected with netty's default timing (Timing: 240 ms suspicion, 490 ms on
        // probation in the first 2 s, plus slack on a loaded host); a 400 ms outage ends undetected.
        TokenCommandTest.Result r = TokenCommandTest.run("cache", "--engine", "netty", "-n", "4", "--keys", "100",
                "--ops", "3000", "--clients", "8", "--crash-nodes", "1", "--down", "1500ms", "--timeout", "30s", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        assertEquals("netty", j.get("engine").asText());
        assertEquals(0, j.get("lost_acknowledged_writes").asLong(), r.out());
        assertEquals(100, j.get("verified_keys").asLong());
        assertFalse(j.get("takeover_ms").isNull(), "the successor served the dead owner's keys: " + r.out());
        assertFalse(j.get("handback_ms").isNull(), r.out());
        assertTrue(j.get("ops_per_s").asDouble() > 0);
    }

    @Test
    void badOptionsAreUsageErrors() {
        assertEquals(2, TokenCommandTest.run("cache", "-n", "4", "--crash-nodes", "4").exit());
        assertEquals(2, TokenCommandTest.run("cache", "--get-ratio", "1.5").exit());
        assertEquals(2, TokenCommandTest.run("cache", "--config", "cache:retry=banana").exit());
        assertEquals(2, TokenCommandTest.run("cache", "--engine", "warp").exit());
    }
}
