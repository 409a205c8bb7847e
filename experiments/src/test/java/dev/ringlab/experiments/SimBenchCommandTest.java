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
        // 500,000 nodes: at 200,000 one measured run took 67 ms on the 2-core machine (2026-12-06), under the
        // 100 ms below which no figure is reported, and the test checked none of them.
        TopologyCommandTest.Result r = TopologyCommandTest.run("simbench", "-n", "500000", "--baseline", "none",
                "--latency", "uniform:1ms,10ms", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        assertTrue(j.get("trace_hashes_equal").asBoolean(), r.out());
        assertEquals(j.get("trace_hash").asText(), j.get("trace_hash_limit").asText());
        assertTrue(r.err().contains("simbench: limit: 3500001 deliveries"), r.err());
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
            assertTrue(cost.has(k) && cost.get(k).isNumber(), k + " in " + cost);
            parts += cost.get(k).asDouble();
        }
        assertTrue(cost.get("queue").asDouble() > 0, cost.toString());
        assertTrue(cost.get("gc").asDouble() >= 0, cost.toString());
        // The parts are differences of measured runs, kept signed, so they add up to the simulator's run.
        double total = cost.get("total").asDouble();
        assertTrue(total > 0, cost.toString());
        assertEquals(total, parts, 1e-6 * total, cost.toString());
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

    @Test
    void repeatMeasuresEachPairAgainAndReportsEveryRunWithMedians() throws Exception {
        TopologyCommandTest.Result r = TopologyCommandTest.run("simbench", "-n", "500000", "--baseline", "none",
                "--latency", "uniform:1ms,10ms", "--repeat", "3", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        assertTrue(j.get("trace_hashes_equal").asBoolean(), r.out());
        assertEquals(3, j.get("repeats").asInt(), r.out());
        assertTrue(r.err().contains("simbench: repeat 2 of 3: calendar")
                && r.err().contains("simbench: repeat 3 of 3"), r.err());
        if (j.get("measurement_too_short").asBoolean()) {
            assertTrue(j.get("fast_to_limit_each").isNull() && j.get("fast_to_limit_median").isNull(), r.out());
            return; // a very fast machine: the figures are rightly withheld
        }
        JsonNode fast = j.get("fast_deliveries_per_s_each");
        JsonNode limit = j.get("limit_deliveries_per_s_each");
        JsonNode ratio = j.get("fast_to_limit_each");
        assertEquals(3, fast.size(), r.out());
        assertEquals(3, limit.size(), r.out());
        assertEquals(3, ratio.size(), r.out());
        // The first entries are the run the other fields report.
        assertEquals(j.get("fast_deliveries_per_s").asDouble(), fast.get(0).asDouble(), 1e-6);
        assertEquals(j.get("fast_to_limit").asDouble(), ratio.get(0).asDouble(), 1e-9);
        double[] rs = new double[3];
        for (int i = 0; i < 3; i++) {
            assertTrue(fast.get(i).asDouble() > 0 && limit.get(i).asDouble() > 0, r.out());
            assertEquals(fast.get(i).asDouble() / limit.get(i).asDouble(), ratio.get(i).asDouble(), 1e-9);
            rs[i] = ratio.get(i).asDouble();
        }
        java.util.Arrays.sort(rs);
        assertEquals(rs[1], j.get("fast_to_limit_median").asDouble(), 1e-12);
    }

    @Test
    void repeatIsRefusedOutOfRangeAndWithTheMemoryProbe() throws Exception {
        TopologyCommandTest.Result zero = TopologyCommandTest.run("simbench", "-n", "2000", "--repeat", "0");
        assertEquals(2, zero.exit(), zero.err());
        assertTrue(zero.err().contains("--repeat") && zero.err().contains("need 1 to 50 runs, got 0"), zero.err());
        TopologyCommandTest.Result probe = TopologyCommandTest.run("simbench", "-n", "2000", "--repeat", "2",
                "--memory-probe");
        assertEquals(2, probe.exit(), probe.err());
        assertTrue(probe.err().contains("--repeat") && probe.err().contains("not with --memory-probe"), probe.err());
    }

    @Test
    void theRepeatsAreReportedAsListsSoTheTextOutputPrintsTheirValues() {
        var reps = new SimBenchCommand.Repeats(new double[] {2e6, 4e6, 3e6}, new double[] {4e6, 5e6, 6e6},
                new long[6], 200_000_000L);
        java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
        reps.report(out, false);
        assertEquals(java.util.List.of(2e6, 4e6, 3e6), out.get("fast_deliveries_per_s_each"));
        assertEquals(java.util.List.of(0.5, 0.8, 0.5), out.get("fast_to_limit_each"));
        assertEquals(3e6, (double) out.get("fast_deliveries_per_s_median"), 0);
        assertEquals(0.5, (double) out.get("fast_to_limit_median"), 0);
        assertEquals(5e6, (double) out.get("limit_deliveries_per_s_median"), 0);
    }
}
