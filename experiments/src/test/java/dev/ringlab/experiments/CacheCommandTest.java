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

    static final List<String> DELTA_FIELDS = List.of("engine", "seed", "topology", "overlay_diameter", "protocol", "mode",
            "replicas", "nodes", "increments", "acked_increments", "failed_increments", "reads", "read_latency_ms",
            "write_latency_ms", "read_nodes_answered", "read_value_completeness", "reads_during_failure",
            "read_value_completeness_during_failure", "lost_acknowledged_increments", "verified_keys",
            "storage_bytes_per_key", "keys_over_r_x_deltas", "keys_over_r_x_merged", "exact", "anomalies", "trace_hash",
            "wall_ms");

    @Test
    void deltasModeOnTheSimulatorCountsEveryAcknowledgedIncrementOnceAfterACrash() throws Exception {
        String[] args = {"cache", "--mode", "deltas", "-n", "10", "--topology", "random-regular:4", "--keys", "8", "--ops",
            "600", "--get-ratio", "0.3", "--crash-nodes", "3", "--down", "300ms", "--check", "--seed", "4", "--json"};
        TokenCommandTest.Result r = TokenCommandTest.run(args);
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        for (String f : DELTA_FIELDS) {
            assertTrue(j.has(f), "missing " + f + " in " + r.out());
        }
        assertEquals("deltas", j.get("mode").asText());
        assertEquals(2, j.get("replicas").asInt());
        assertTrue(j.get("acked_increments").asLong() > 0, r.out());
        assertEquals(0, j.get("lost_acknowledged_increments").asLong(), r.out());
        assertEquals(8, j.get("verified_keys").asLong(), r.out());
        assertTrue(j.get("exact").asBoolean(), r.out());
        JsonNode st = j.get("storage_bytes_per_key");
        assertTrue(st.get("converged").asDouble() > 0, r.out());
        assertTrue(st.get("converged").asDouble() <= 2 * st.get("deltas").asDouble(), r.out());
        assertEquals(0, j.get("keys_over_r_x_merged").asLong(), r.out());
        assertFalse(j.get("trace_hash").isNull());
        assertEquals(j.get("trace_hash").asText(), TokenCommandTest.run(args).json().get("trace_hash").asText(),
                "same seed, same run");
    }

    @Test
    void deltasModeOnLoopbackSocketsLosesNoAcknowledgedIncrement() throws Exception {
        TokenCommandTest.Result r = TokenCommandTest.run("cache", "--mode", "deltas", "--engine", "netty", "-n", "4",
                "--keys", "5", "--ops", "300", "--clients", "4", "--get-ratio", "0.3", "--settle", "500ms", "--timeout",
                "30s", "--check", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        assertEquals("netty", j.get("engine").asText());
        assertTrue(j.get("acked_increments").asLong() > 0, r.out());
        assertEquals(0, j.get("lost_acknowledged_increments").asLong(), r.out());
        assertTrue(j.get("exact").asBoolean(), r.out());
        assertTrue(j.get("trace_hash").isNull(), "a real engine has no trace hash: " + r.out());
    }

    @Test
    void deltasModeRunsOnADatacenterAwareOverlayOfThePlacementAndNeedsThePlacementForIt() throws Exception {
        TokenCommandTest.Result r = TokenCommandTest.run("cache", "--mode", "deltas", "-n", "12", "--placement",
                "dcs=3,per-dc=4", "--topology", "dc-regular:3,1", "--latency", "dc:intra=const:1ms;inter=const:20ms",
                "--keys", "4", "--ops", "200", "--check", "--seed", "2", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        assertTrue(j.get("topology").asText().startsWith("dc-regular"), r.out());
        assertEquals(0, j.get("lost_acknowledged_increments").asLong(), r.out());
        assertTrue(j.get("exact").asBoolean(), r.out());
        TokenCommandTest.Result bad = TokenCommandTest.run("cache", "--mode", "deltas", "-n", "12", "--topology",
                "dc-regular:3,1");
        assertEquals(2, bad.exit(), bad.err());
        assertTrue(bad.err().contains("--placement"), bad.err());
    }

    @Test
    void modeIsOwnerOrDeltasAndFlagsOfTheOtherModeAreRefused() {
        TokenCommandTest.Result bad = TokenCommandTest.run("cache", "--mode", "replicas");
        assertEquals(2, bad.exit(), bad.err());
        assertTrue(bad.err().contains("--mode") && bad.err().contains("owner, deltas"), bad.err());
        assertEquals(1, bad.err().strip().lines().count(), "one line: " + bad.err());
        TokenCommandTest.Result topo = TokenCommandTest.run("cache", "--topology", "ring", "-n", "4");
        assertEquals(2, topo.exit(), topo.err());
        assertTrue(topo.err().contains("--topology"), topo.err());
        assertEquals(2, TokenCommandTest.run("cache", "--settle", "1s", "-n", "4").exit());
        assertEquals(2, TokenCommandTest.run("cache", "--mode", "deltas", "--value-bytes", "16", "-n", "4").exit());
        assertEquals(2, TokenCommandTest.run("cache", "--mode", "deltas", "--history", "x.jsonl", "-n", "4").exit());
        TokenCommandTest.Result r3 = TokenCommandTest.run("cache", "--mode", "deltas", "-n", "6", "--topology", "biring",
                "--config", "dcache:r=4");
        assertEquals(2, r3.exit(), r3.err());
        assertTrue(r3.err().contains("--config"), r3.err());
        assertEquals(2, TokenCommandTest.run("cache", "--mode", "deltas", "--config", "cache:retry=1ms").exit());
    }

    @Test
    void badOptionsAreUsageErrors() {
        assertEquals(2, TokenCommandTest.run("cache", "-n", "4", "--crash-nodes", "4").exit());
        assertEquals(2, TokenCommandTest.run("cache", "--get-ratio", "1.5").exit());
        assertEquals(2, TokenCommandTest.run("cache", "--config", "cache:retry=banana").exit());
        assertEquals(2, TokenCommandTest.run("cache", "--engine", "warp").exit());
    }
}
