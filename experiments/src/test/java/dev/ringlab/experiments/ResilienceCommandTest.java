package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResilienceCommandTest {
    static final ObjectMapper M = new ObjectMapper();

    static List<JsonNode> cells(String protocols, String fractions) throws Exception {
        List<String> args = new ArrayList<>(List.of("resilience", "-n", "120", "--fractions", fractions, "--broadcasts", "6",
                "--heal", "1s", "--protocols", protocols, "--seed", "3", "--json"));
        BroadcastCommandTest.Outcome o = BroadcastCommandTest.run(args.toArray(String[]::new));
        assertEquals(0, o.exit(), o.err());
        List<JsonNode> out = new ArrayList<>();
        for (String line : o.out().strip().split("\n")) {
            out.add(M.readTree(line));
        }
        return out;
    }

    @Test
    void floodReachesEverySurvivorItCanAndNoProtocolBeatsTheOverlaysBound() throws Exception {
        List<JsonNode> cells = cells("flood,tree,gossip:2,plumtree", "0.2,0.7");
        assertEquals(8, cells.size(), "4 protocols x 2 fractions");
        for (JsonNode c : cells) {
            String why = c.toString();
            double bound = c.get("reachable_bound").asDouble();
            assertTrue(bound > 0 && bound <= 1, why);
            assertEquals(Math.round(c.get("fraction").asDouble() * 120), c.get("crashed").asInt(), why);
            assertEquals(120 - c.get("crashed").asInt(), c.get("survivors").asInt(), why);
            for (String f : List.of("reliability_right_after", "reliability_after_heal")) {
                double r = c.get(f).asDouble();
                // Every origin is a survivor and delivers its own broadcast, so nothing measured is 0.
                assertTrue(r > 0 && r <= bound + 1e-12, f + " " + why);
                if (c.get("protocol").asText().equals("flood")) {
                    assertEquals(bound, r, 1e-12, "flood reaches the origin's whole surviving component: " + why);
                }
            }
            assertFalse(c.get("trace_hash").isNull(), why);
        }
        // At 70 % crashed the tree (no repair) loses most survivors while flood does not.
        JsonNode tree = cells.stream().filter(c -> c.get("protocol").asText().equals("tree") && c.get("fraction").asDouble() == 0.7)
                .findFirst().orElseThrow();
        JsonNode flood = cells.stream().filter(c -> c.get("protocol").asText().equals("flood") && c.get("fraction").asDouble() == 0.7)
                .findFirst().orElseThrow();
        assertTrue(tree.get("reliability_right_after").asDouble() < flood.get("reliability_right_after").asDouble(),
                tree + "\n" + flood);
    }

    @Test
    void theSameSeedGivesTheSameTraces() throws Exception {
        List<JsonNode> a = cells("plumtree", "0.5");
        List<JsonNode> b = cells("plumtree", "0.5");
        assertEquals(1, a.size());
        assertEquals(a.get(0).get("trace_hash"), b.get(0).get("trace_hash"));
        assertEquals(a.get(0).get("reliability_right_after"), b.get(0).get("reliability_right_after"));
    }

    @Test
    void runsOnNettyWithTheSameMeaning() throws Exception {
        BroadcastCommandTest.Outcome o = BroadcastCommandTest.run("resilience", "--engine", "netty", "-n", "12", "--topology",
                "random-regular:4", "--fractions", "0.25", "--broadcasts", "3", "--heal", "300ms", "--protocols", "flood", "--json");
        assertEquals(0, o.exit(), o.err());
        JsonNode c = M.readTree(o.out().strip());
        assertEquals("netty", c.get("engine").asText());
        assertEquals(3, c.get("crashed").asInt());
        assertEquals(c.get("reachable_bound").asDouble(), c.get("reliability_right_after").asDouble(), 1e-12, c.toString());
        assertEquals(c.get("reachable_bound").asDouble(), c.get("reliability_after_heal").asDouble(), 1e-12, c.toString());
        assertTrue(c.get("trace_hash").isNull(), c.toString());
        assertEquals("eager", c.get("connections").asText(), "flood's default");
        JsonNode open = c.get("open_connections_per_node");
        // eager on random-regular:4: a survivor keeps its edges to the other survivors, at most 4
        assertTrue(open.get("mean").asDouble() > 0 && open.get("max").asInt() <= 4, c.toString());
    }

    /**
     * HyParView rebuilds its overlay after the crash: once healed it reaches every survivor, beyond the static
     * overlay's bound that caps flood and plumtree, and it says when its views were connected again.
     */
    @Test
    void hyparviewHealsBeyondTheStaticOverlaysBoundAndReportsWhen() throws Exception {
        List<JsonNode> cells = cells("flood,hyparview+plumtree", "0.8");
        assertEquals(2, cells.size());
        JsonNode flood = cells.get(0);
        JsonNode hpv = cells.get(1);
        assertTrue(flood.get("membership_topology").isNull() && flood.get("heal_connected_ms").isNull()
                && flood.get("active_view_mean").isNull() && flood.get("active_view_connected").isNull(), flood.toString());
        assertTrue(hpv.get("protocol").asText().startsWith("hyparview+plumtree:"), hpv.toString());
        assertEquals("complete", hpv.get("membership_topology").asText(), hpv.toString());
        assertEquals(1.0, hpv.get("reachable_bound").asDouble(), 1e-12, hpv.toString());
        assertEquals(flood.get("crashed"), hpv.get("crashed"), "the same crash for both");
        assertTrue(flood.get("reachable_bound").asDouble() < 0.9, "the static overlay splits at f = 0.8: " + flood);
        assertEquals(1.0, hpv.get("reliability_after_heal").asDouble(), 1e-12, hpv.toString());
        double healed = hpv.get("heal_connected_ms").asDouble();
        assertTrue(healed > 0 && healed <= 1000, hpv.toString());
        assertTrue(hpv.get("active_view_connected").asBoolean(), hpv.toString());
        assertTrue(hpv.get("active_view_mean").asDouble() >= 1, hpv.toString());
        assertTrue(hpv.get("connections").isNull() && hpv.get("open_connections_per_node").get("mean").isNull()
                && hpv.get("open_connections_per_node").get("max").isNull(), "sim: " + hpv);
    }

    @Test
    void badInputIsOneLineAndExitTwo() {
        for (String[] args : List.of(new String[] {"resilience", "--faults", "crash:1@0"},
                new String[] {"resilience", "-n", "10", "--fractions", "1.0"},
                new String[] {"resilience", "-n", "10", "--fractions", "0.95"},
                new String[] {"resilience", "-n", "10", "--broadcasts", "50", "--heal", "100ms"},
                new String[] {"resilience", "-n", "10", "--protocols", "warp"},
                new String[] {"resilience", "-n", "10", "--protocols", "hyparview+plumtree", "--membership-topology", "warp"},
                new String[] {"resilience", "-n", "10", "--join", "0s"})) {
            BroadcastCommandTest.Outcome o = BroadcastCommandTest.run(args);
            assertEquals(2, o.exit(), String.join(" ", args) + ": " + o.err());
            assertEquals(1, o.err().strip().lines().count(), o.err());
            assertTrue(o.err().startsWith("ringlab resilience: --"), o.err());
        }
    }
}
