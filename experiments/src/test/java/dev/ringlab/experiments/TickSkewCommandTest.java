package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

/** {@code ringlab token}'s tick skew, plain and compensated, on the simulator and on loopback sockets. */
class TickSkewCommandTest {
    @Test
    void onConstantLinksCompensatedTicksHaveNoSkewWhilePlainTicksSpreadOverTheRing() throws Exception {
        JsonNode j = TokenCommandTest.run("token", "-n", "8", "--rotations", "60", "--latency", "const:1ms", "--json")
                .json();
        assertEquals(7.0, j.get("tick_skew_ms").get("p50").asDouble(), 1e-9);
        assertEquals(7.0, j.get("tick_skew_ms").get("p99").asDouble(), 1e-9);
        assertEquals(59, j.get("compensated_ticks").asLong()); // ticks 2..60
        assertEquals(0.0, j.get("compensated_tick_skew_ms").get("p50").asDouble(), 1e-9);
        assertEquals(0.0, j.get("compensated_tick_skew_ms").get("max").asDouble(), 1e-9);
    }

    @Test
    void onLoopbackSocketsBothSkewsAreMeasuredForEveryTick() throws Exception {
        TokenCommandTest.Result r = TokenCommandTest.run("token", "--engine", "netty", "-n", "4", "--rotations", "300",
                "--timeout", "30s", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        assertEquals(300, j.get("ticks").asLong());
        assertTrue(j.get("compensated_ticks").asLong() >= 298, r.out());
        for (String f : new String[] {"tick_skew_ms", "compensated_tick_skew_ms"}) {
            double p50 = j.get(f).get("p50").asDouble();
            double p99 = j.get(f).get("p99").asDouble();
            assertTrue(p50 > 0 && p50 <= p99, f + ": " + r.out());
        }
    }
}
