package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code ringlab catalog} in-process: a sim run with crashes and respawn, a netty run, a processes run. */
class CatalogCommandTest {

    @Test
    void tokensReachTheFleetAndRespawnedNodesCatchUp() throws Exception {
        TokenCommandTest.Result r = TokenCommandTest.run("catalog", "--topology", "ring", "-n", "10", "--tokens", "150",
                "--rate", "300", "--crash", "2", "--respawn-after", "300ms", "--seed", "8", "--via", "hop", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        for (String f : List.of("converged", "time_to_fleet_ms", "bytes_per_token", "add_delta_bytes", "adds", "revokes",
                "lost_deltas", "state_hash", "live_nodes")) {
            assertTrue(j.has(f), "missing " + f + ": " + r.out());
        }
        assertTrue(j.get("converged").asBoolean(), r.out());
        assertEquals(10, j.get("live_nodes").asInt());
        assertEquals(150, j.get("adds").asInt() + j.get("revokes").asInt());
        assertTrue(j.get("revokes").asInt() > 0, r.out());
        assertEquals(j.get("deltas").asInt(), j.get("deltas_held").asInt(), r.out());
        assertEquals(0, j.get("lost_deltas").asInt());
        double p50 = j.get("time_to_fleet_ms").get("p50").asDouble();
        assertTrue(p50 >= 7 && p50 <= 9, "8 or 9 hops on the 10-node ring at 1 ms, minus the crashed: " + p50);
        // A token's add is 79 bytes alone; every node forwards it once, plus acks and anti-entropy digests.
        assertEquals(79, j.get("add_delta_bytes").asInt());
        assertTrue(j.get("bytes_per_token").asDouble() > 9 * 79, r.out());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void nettyRunOnAnExpanderConvergesAfterACrash() throws Exception {
        TokenCommandTest.Result r = TokenCommandTest.run("catalog", "--topology", "random-regular:4", "-n", "10",
                "--tokens", "60", "--rate", "200", "--crash", "1", "--engine", "netty", "--timeout", "20s", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        assertTrue(j.get("converged").asBoolean(), r.out());
        assertEquals(0, j.get("lost_deltas").asInt(), r.out());
        assertEquals(9, j.get("live_nodes").asInt());
        assertTrue(j.get("time_to_fleet_ms").get("max").isNumber(), r.out());
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void processesRunRebuildsTheProtocolFromItsSpecAndSurvivesASigkill() throws Exception {
        TokenCommandTest.Result r = TokenCommandTest.run("catalog", "--topology", "ring", "-n", "4", "--tokens", "30",
                "--rate", "100", "--crash", "1", "--engine", "processes", "--timeout", "30s", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        assertEquals("processes", j.get("engine").asText());
        assertTrue(j.get("converged").asBoolean(), r.out());
        assertEquals(0, j.get("lost_deltas").asInt(), r.out());
        assertEquals(3, j.get("live_nodes").asInt());
    }
}
