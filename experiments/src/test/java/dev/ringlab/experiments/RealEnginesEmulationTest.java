package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ringlab.runtime.LinkEmulation;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code --latency} and {@code --loss} on the real engines: the runtime's seeded link emulation, through the CLI. */
class RealEnginesEmulationTest {
    private static JsonNode json(String... args) throws Exception {
        BroadcastCommandTest.Outcome o = BroadcastCommandTest.run(args);
        assertEquals(0, o.exit(), o.err());
        return new ObjectMapper().readTree(o.out());
    }

    /**
     * On a 2-node ring every delivery but the origin's is one hop, so the latency percentiles are hop
     * latencies: with 2 ms added by each child process they are at least 2 ms. With loss 1 every hop is lost,
     * which shows the children apply the cluster file's emulation (a loaded machine alone can make hops slow,
     * never lose them).
     */
    @Test
    @Timeout(90)
    void processesEngineAddsTheGivenLatencyAndLossInEachChild() throws Exception {
        JsonNode j = json("broadcast", "--engine", "processes", "--topology", "ring", "-n", "2", "--latency", "const:2ms",
                "--rate", "40", "--duration", "300ms", "--drain", "2s", "--seed", "4", "--json");
        assertEquals("const:2ms", j.get("latency").asText());
        assertTrue(j.get("broadcasts").asInt() >= 1, j.toString());
        assertEquals(1.0, j.get("reliability").asDouble(), j.toString());
        assertEquals(1, j.get("last_delivery_hop").asInt());
        assertTrue(j.get("latency_ms").get("p50").asDouble() >= 2.0, j.toString());
        assertTrue(j.get("latency_ms").get("mean").asDouble() >= 2.0, j.toString());
        // The child JVMs' CPU, read from the kernel in clock ticks: a number (0 only if no tick fell in the run).
        assertTrue(j.get("cpu_us_per_msg").isNumber() && j.get("cpu_us_per_msg").asDouble() >= 0, j.toString());

        JsonNode lost = json("broadcast", "--engine", "processes", "--topology", "ring", "-n", "2", "--loss", "1",
                "--seed", "4", "--drain", "2s", "--json");
        assertTrue(lost.get("latency").isNull(), lost.toString());
        assertEquals(0.5, lost.get("reliability").asDouble(), "only the origin has it: " + lost);
        assertEquals(1, lost.get("messages").asLong(), lost.toString());
        assertEquals(1, lost.get("dropped").asLong(), lost.toString());
    }

    @Test
    @Timeout(60)
    void nettyAddsNothingByDefaultAndEmulatesLoss() throws Exception {
        JsonNode plain = json("broadcast", "--engine", "netty", "--topology", "ring", "-n", "8", "--rate", "500",
                "--duration", "200ms", "--seed", "2", "--json");
        assertTrue(plain.get("latency").isNull(), "no --latency on netty adds nothing: " + plain);
        assertEquals(1.0, plain.get("reliability").asDouble(), plain.toString());
        assertEquals(0, plain.get("dropped").asLong(), plain.toString());

        // A flood on a directed ring ends at its first lost hop: expected reliability (1 + sum 0.7^k, k=1..7) / 8 = 0.39.
        JsonNode lossy = json("broadcast", "--engine", "netty", "--topology", "ring", "-n", "8", "--loss", "0.3",
                "--rate", "500", "--duration", "200ms", "--seed", "2", "--json");
        assertTrue(lossy.get("broadcasts").asInt() >= 20, lossy.toString());
        double r = lossy.get("reliability").asDouble();
        assertTrue(r > 0.15 && r < 0.6, "reliability " + r + " at loss 0.3: " + lossy);
        assertTrue(lossy.get("dropped").asLong() > 0, lossy.toString());
        assertEquals(0.3, lossy.get("loss").asDouble());
    }

    @Test
    void processingStaysRefusedOnRealEnginesWithAReason() {
        BroadcastCommandTest.Outcome o = BroadcastCommandTest.run("broadcast", "--engine", "netty", "--topology", "ring",
                "-n", "4", "--processing", "10us", "--json");
        assertNotEquals(0, o.exit());
        assertTrue(o.err().contains("--processing") && o.err().contains("busy time"), o.err());
    }

    @Test
    void theAdapterDrawsTheLinkModelWithTheNodesGenerator() {
        assertSame(LinkEmulation.NONE, Engines.emulation(null, 0));
        LinkEmulation lossOnly = Engines.emulation(null, 0.25);
        assertEquals(0.25, lossOnly.lossProbability());
        assertEquals(0, lossOnly.delayNanos(0, 1, new SplittableRandom(1)));
        LinkEmulation e = Engines.emulation("uniform:1ms,3ms", 0);
        assertEquals("uniform:1ms,3ms", e.spec());
        long[] a = new long[100];
        long[] b = new long[100];
        SplittableRandom ra = new SplittableRandom(9);
        SplittableRandom rb = new SplittableRandom(9);
        for (int i = 0; i < a.length; i++) {
            a[i] = e.delayNanos(0, 1, ra);
            b[i] = e.delayNanos(0, 1, rb);
            assertTrue(a[i] >= 1_000_000 && a[i] <= 3_000_000, Long.toString(a[i]));
        }
        assertEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b), "same seed, same delays");
        assertTrue(java.util.Arrays.stream(a).distinct().count() > 50, "uniform draws vary");
        assertThrows(UsageException.class, () -> Engines.emulation("const:abc", 0));
        assertThrows(UsageException.class, () -> Engines.emulation(null, 1.5));
    }
}
