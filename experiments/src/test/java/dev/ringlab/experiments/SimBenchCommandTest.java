package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** {@code simbench}'s primitive-queue limit and cost breakdown: same trace hash, fields present or null. */
class SimBenchCommandTest {

    @Test
    void theLimitFoldsTheSimulatorsTraceHashAndTheBreakdownAddsUpToTheRun() throws Exception {
        TopologyCommandTest.Result r = TopologyCommandTest.run("simbench", "-n", "200000", "--baseline", "none",
                "--latency", "uniform:1ms,10ms", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        assertTrue(j.get("trace_hashes_equal").asBoolean(), r.out());
        assertEquals(j.get("trace_hash").asText(), j.get("trace_hash_limit").asText());
        assertTrue(r.err().contains("simbench: limit: 1400001 deliveries"), r.err());
        if (j.get("measurement_too_short").asBoolean()) {
            assertTrue(j.get("limit_deliveries_per_s").isNull() && j.get("cost_ns_per_delivery").isNull(), r.out());
            return; // a very fast machine: the figures are rightly withheld
        }
        assertTrue(j.get("limit_deliveries_per_s").asDouble() > 0, r.out());
        assertEquals(j.get("fast_deliveries_per_s").asDouble() / j.get("limit_deliveries_per_s").asDouble(),
                j.get("fast_to_limit").asDouble(), 1e-9);
        JsonNode cost = j.get("cost_ns_per_delivery");
        double parts = 0;
        for (String k : new String[] {"queue", "link_draws", "flood_on_primitive_state", "nodes_and_messages", "gc"}) {
            assertTrue(cost.has(k) && cost.get(k).asDouble() >= 0, k + " in " + cost);
            parts += cost.get(k).asDouble();
        }
        assertTrue(cost.get("queue").asDouble() > 0, cost.toString());
        // Each part is measured, so they add up to the run only up to noise (a part below 0 is clamped to 0).
        double total = cost.get("total").asDouble();
        assertTrue(parts > 0.5 * total && parts < 1.5 * total, parts + " vs " + total);
    }

    @Test
    void aShortRunWithholdsEveryFigureAndNoLimitSkipsIt() throws Exception {
        TopologyCommandTest.Result r = TopologyCommandTest.run("simbench", "-n", "2000", "--baseline", "none", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        assertTrue(j.get("measurement_too_short").asBoolean(), r.out());
        assertTrue(j.get("limit_deliveries_per_s").isNull(), r.out());
        assertTrue(j.get("fast_to_limit").isNull(), r.out());
        assertTrue(j.get("cost_ns_per_delivery").isNull(), r.out());
        assertEquals(j.get("trace_hash").asText(), j.get("trace_hash_limit").asText());

        TopologyCommandTest.Result off = TopologyCommandTest.run("simbench", "-n", "2000", "--baseline", "none",
                "--no-limit", "--json");
        assertEquals(0, off.exit(), off.err());
        assertFalse(off.json().has("limit_deliveries_per_s"), off.out());
        assertFalse(off.json().has("trace_hash_limit"), off.out());
    }
}
