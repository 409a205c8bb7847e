package dev.ringlab.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.spec.LinkModels;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The primitive-queue limit does exactly the simulator's flood: same deliveries and same trace hash on
 * random cases (topology with multi-edges and self-loops included, constant and spread-out latencies),
 * and its recording replays to the same pops.
 */
class PrimitiveFloodTest {
    private static final String[] TOPOLOGIES = {"random-regular:4", "random-regular:8", "margulis", "ring", "complete",
        "hypercube"};
    private static final String[] LATENCIES = {"const:1ms", "uniform:1ms,10ms", "lognormal:2ms,0.5", "uniform:0ms,3us"};

    @Test
    void theLimitFloodsLikeTheSimulatorOnRandomCases() {
        SplittableRandom master = new SplittableRandom(20261204);
        int cases = 40;
        for (int c = 0; c < cases; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            String topology = TOPOLOGIES[r.nextInt(TOPOLOGIES.length)];
            String latency = LATENCIES[r.nextInt(LATENCIES.length)];
            int n = switch (topology) {
                case "margulis" -> 49;
                case "hypercube" -> 64;
                case "complete" -> 2 + r.nextInt(40);
                default -> 5 + r.nextInt(3000);
            };
            String what = "case seed " + seed + ": " + topology + " n=" + n + " " + latency;
            Overlay overlay = Topologies.build(topology, n, seed);
            SimConfig config = new SimConfig(seed, LinkModels.parse(latency), 0, 0);
            SimCluster sim = new SimCluster(overlay, Flood.PROTOCOL, config);
            sim.start();
            sim.inject(0, new Message.Inject(1, new byte[0]));
            sim.runToQuiescence();
            long simHash = sim.traceHash().orElseThrow();
            long deliveries = sim.stats().messagesDelivered();
            assertTrue(deliveries > 0, what);

            PrimitiveFlood pf = new PrimitiveFlood(overlay, config);
            PrimitiveFlood.Run limit = pf.run();
            assertEquals(deliveries, limit.deliveries(), what);
            assertEquals(Long.toHexString(simHash), Long.toHexString(limit.traceHash()), what);

            PrimitiveFlood.Recording rec = pf.record(sim.stats().messagesSent(), deliveries);
            assertEquals(simHash, rec.traceHash(), what);
            assertEquals(deliveries, rec.pops(), what);
            PrimitiveFlood.Run noDraws = pf.runWithoutDraws(rec);
            assertEquals(simHash, noDraws.traceHash(), what + ": recorded latencies give the same run");
            PrimitiveFlood.Run queue = pf.replayQueue(rec);
            assertEquals(deliveries, queue.deliveries(), what);
        }
    }

    @Test
    void lossProcessingAndEngineModelsAreRefused() {
        Overlay overlay = Topologies.build("ring", 8, 1);
        assertThrows(IllegalArgumentException.class,
                () -> new PrimitiveFlood(overlay, new SimConfig(1, LinkModels.parse("const:1ms"), 0.1, 0)));
        assertThrows(IllegalArgumentException.class,
                () -> new PrimitiveFlood(overlay, new SimConfig(1, LinkModels.parse("const:1ms"), 0, 1000)));
    }

    @Test
    void theBreakdownSplitsTheSimulatorsTimeIntoItsParts() {
        PrimitiveFlood.Breakdown b = PrimitiveFlood.breakdown(1000, 50, 400, 300, 120);
        assertEquals(120, b.queueNanos());
        assertEquals(100, b.linkDrawNanos());
        assertEquals(180, b.floodNanos());
        assertEquals(600, b.nodesAndMessagesNanos());
        assertEquals(50, b.gcNanos());
        assertEquals(1050, b.queueNanos() + b.linkDrawNanos() + b.floodNanos() + b.nodesAndMessagesNanos() + b.gcNanos());
        PrimitiveFlood.Breakdown noisy = PrimitiveFlood.breakdown(300, 0, 400, 450, 500);
        // Kept signed: below 0, the run a part subtracts took longer than the one it is taken from; the parts still
        // add up to the run.
        assertEquals(-50, noisy.linkDrawNanos());
        assertEquals(-50, noisy.floodNanos());
        assertEquals(-100, noisy.nodesAndMessagesNanos());
        assertEquals(300, noisy.queueNanos() + noisy.linkDrawNanos() + noisy.floodNanos() + noisy.nodesAndMessagesNanos()
                + noisy.gcNanos());
    }
}
