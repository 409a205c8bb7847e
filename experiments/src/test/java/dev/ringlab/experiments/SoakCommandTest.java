package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code ringlab soak} on the simulator (virtual time, so 20 s of soak take about 2 s): fields, checks, refusals. */
class SoakCommandTest {
    @Test
    void aShortSoakOnTheSimulatorSurvivesEveryKindOfFaultWithNoAnomaly() throws Exception {
        TokenCommandTest.Result r = TokenCommandTest.run("soak", "-n", "6", "--duration", "20s", "--seed", "4", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        for (String f : List.of("engine", "seed", "nodes", "rate_per_s", "duration_s", "rounds", "faults", "operations",
                "acked", "anomalies", "anomalies_by_kind", "anomaly_samples", "lost_deltas", "suspicions_of_live_nodes", "rss_mb",
                "children_rss_mb", "threads", "fds", "timeline", "wall_ms")) {
            assertTrue(j.has(f), "missing " + f + " in " + r.out());
        }
        assertEquals(0, j.get("anomalies").asInt(), r.out());
        assertTrue(j.get("rounds").asInt() >= 5, r.out());
        int kinds = 0;
        for (String k : List.of("crash", "partition", "pause")) {
            kinds += j.get("faults").get(k).asInt() > 0 ? 1 : 0;
        }
        assertEquals(3, kinds, "every kind of fault ran: " + j.get("faults"));
        assertTrue(j.get("operations").asLong() > 500, r.out());
        assertEquals(0, j.get("lost_deltas").asLong());
        assertEquals(j.get("rounds").asInt() + 1, j.get("timeline").size(), "one sample at the start and one per round");
        assertTrue(j.get("children_rss_mb").get("max").isNull(), "no child processes on sim: " + j.get("children_rss_mb"));
        // One progress line per round on stderr.
        assertEquals(j.get("rounds").asInt(), r.err().lines().filter(l -> l.startsWith("ringlab soak: round ")).count(), r.err());
    }

    @Test
    void badOptionsAreRefusedInOneLine() {
        for (List<String> args : List.of(List.of("soak", "-n", "3"), List.of("soak", "--faults", "crash:1@1s"),
                List.of("soak", "--duration", "10ms"), List.of("soak", "--rate", "0"))) {
            TokenCommandTest.Result r = TokenCommandTest.run(args.toArray(String[]::new));
            assertEquals(2, r.exit(), args + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), args + ": " + r.err());
        }
    }
}
