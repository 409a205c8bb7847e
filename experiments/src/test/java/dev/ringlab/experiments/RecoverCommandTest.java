package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code ringlab recover} in-process: sim figures on constant links, expanders, usage errors, a real SIGKILL. */
class RecoverCommandTest {

    @Test
    void simulatedCrashAndRespawnReportTheIssueFieldsWithExpectedFigures() throws Exception {
        TokenCommandTest.Result r = TokenCommandTest.run("recover", "--topology", "ring", "-n", "8", "--crash-nodes", "3",
                "--respawn-after", "1s", "--seed", "5", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        for (String f : List.of("engine", "seed", "nodes", "topology", "protocol", "detect_ms", "repair_ms", "rejoin_ms",
                "tokens_max_after_repair", "token_gap_ms", "false_suspicions")) {
            assertTrue(j.has(f), "missing " + f + ": " + r.out());
        }
        assertEquals("sim", j.get("engine").asText());
        assertEquals(List.of(3), List.of(j.get("crashed").get(0).asInt()));
        // 50 ms suspicion timeout checked every 10 ms heartbeat, acks 2 ms after each heartbeat: 50..62 ms.
        double detect = j.get("detect_ms").asDouble();
        assertTrue(detect >= 48 && detect <= 62, "detect_ms " + detect);
        double repair = j.get("repair_ms").asDouble();
        // The predecessor regenerates on suspicion; one rotation of the 7 live nodes (7 ms) later it is whole.
        assertTrue(repair >= detect && repair <= detect + 7 + 10, "repair_ms " + repair);
        double rejoin = j.get("rejoin_ms").asDouble();
        assertTrue(rejoin > 0 && rejoin <= 10 + 2 + 8, "rejoin_ms " + rejoin); // a heartbeat round trip, then a rotation
        assertEquals(1, j.get("tokens_max_after_repair").asInt());
        assertEquals(0, j.get("false_suspicions").asInt());
        assertTrue(j.get("token_gap_ms").asDouble() <= 200 + 8, r.out()); // loss timeout plus one rotation
        assertTrue(r.err().contains("replay: ringlab recover --topology ring -n 8 --engine sim --crash-nodes 3"), r.err());
        // Same seed, same run.
        TokenCommandTest.Result again = TokenCommandTest.run("recover", "--topology", "ring", "-n", "8", "--crash-nodes",
                "3", "--respawn-after", "1s", "--seed", "5", "--json");
        assertEquals(j.get("trace_hash"), again.json().get("trace_hash"));
    }

    @Test
    void twoAdjacentCrashesAndAFaultPlanStillRepairToOneToken() throws Exception {
        TokenCommandTest.Result r = TokenCommandTest.run("recover", "-n", "12", "--crash-nodes", "5,6", "--faults",
                "loss:0.05@0..300ms,slow:9=20ms@100ms..400ms", "--seed", "2", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        assertEquals(1, j.get("tokens_max_after_repair").asInt(), r.out());
        assertTrue(j.get("faults").asText().startsWith("crash:5@200ms,crash:6@200ms,loss:0.05@0..300ms"), r.out());
    }

    @Test
    void onAnExpanderBroadcastReachesEveryLiveNodeWithNodesCrashed() throws Exception {
        TokenCommandTest.Result r = TokenCommandTest.run("recover", "--topology", "random-regular:4", "-n", "32", "--crash",
                "4", "--seed", "9", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        assertEquals(28, j.get("live_nodes").asInt());
        assertEquals(1.0, j.get("reliability_live").asDouble(), r.out());
    }

    @Test
    void badFlagsAreUsageErrors() {
        TokenCommandTest.Result r = TokenCommandTest.run("recover", "-n", "8", "--crash", "8");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--crash"), r.err());
        r = TokenCommandTest.run("recover", "-n", "8", "--faults", "slow:3=5ms@1s", "--engine", "netty");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("slow and loss faults need the simulator"), r.err());
        r = TokenCommandTest.run("recover", "-n", "8", "--faults", "crash:9@1s");
        assertEquals(2, r.exit());
        r = TokenCommandTest.run("recover", "-n", "8", "--crash-nodes", "1", "--suspicion-timeout", "1ms");
        assertEquals(2, r.exit());
    }

    @Test
    @Timeout(180)
    void processesEngineSigkillsOneOfFourNodesTheTokenResumesAndTheRespawnedJvmRejoins() throws Exception {
        // Timeouts for a loaded machine (JVM start-up and JIT stall event loops for tens of ms).
        TokenCommandTest.Result r = TokenCommandTest.run("recover", "-n", "4", "--engine", "processes", "--crash-nodes",
                "2", "--respawn-after", "1s", "--heartbeat", "20ms", "--suspicion-timeout", "200ms", "--loss-timeout",
                "1s", "--timeout", "30s", "--json");
        assertEquals(0, r.exit(), r.err() + r.out());
        JsonNode j = r.json();
        assertEquals("processes", j.get("engine").asText());
        assertEquals("complete", j.get("overlay").asText());
        assertTrue(j.get("repair_ms").isNumber(), "the token did not resume: " + r.out());
        assertTrue(j.get("rejoin_ms").isNumber(), "the respawned node did not rejoin: " + r.out());
        assertTrue(j.get("respawn_call_ms").asDouble() > 0, r.out());
        assertEquals(1, j.get("tokens_max_after_repair").asInt(), r.out());
    }
}
