package dev.ringlab.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Message;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.node.spec.Placement;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A link model by datacenter pair on the simulator, through the run spec: latency per pair, and per-pair loss. */
class DcLinkSimTest {
    static final Placement GROUPED = Placement.parse("dcs=2,per-dc=4,order=grouped").resolve(1);

    @Test
    void aWanLinkWithLossOneDropsEveryMessageOfThatPairOnly(@TempDir Path dir) throws Exception {
        Path m = dir.resolve("m");
        Files.writeString(m, "-  40ms/1\n40ms -\n"); // dc1 -> dc2 loses everything, dc2 -> dc1 nothing
        Overlay complete = Topologies.build("complete", 8, 1);
        RunSpec spec = new RunSpec(complete, Flood.PROTOCOL, "dc:intra=const:1ms;inter=matrix:" + m, 0, FaultPlan.none(), 0, 7,
                GROUPED);
        try (SimCluster sim = (SimCluster) new SimEngine().build(spec)) {
            sim.start();
            sim.inject(0, new Message.Inject(1, new byte[0]));
            sim.settle(10_000_000_000L);
            ClusterStats s = sim.stats();
            // Node 0 (dc1) floods to its 4 peers in dc2 (lost) and 3 in dc1; each dc1 node forwards to the 4 dc2 nodes
            // (lost): dc2 never hears of it.
            assertEquals(16, s.dropped(ClusterStats.LOSS), s.toString());
            assertTrue(sim.now() < 10_000_000L, "intra-dc only: settled at " + sim.now() + " ns");
        }
    }

    @Test
    void plainAndDcSpecsKeepTheirDrawsWithAPlacement() {
        Overlay rr = Topologies.build("random-regular:4", 8, 1);
        long plain = hash(new RunSpec(rr, Flood.PROTOCOL, "lognormal:2ms,0.5", 0.05, FaultPlan.none(), 0, 3));
        assertEquals(plain, hash(new RunSpec(rr, Flood.PROTOCOL, "lognormal:2ms,0.5", 0.05, FaultPlan.none(), 0, 3, GROUPED)),
                "a placement alone changes no draw");
        // One datacenter: the dc spec's intra model is every link, so it draws as the plain spec does.
        Placement one = Placement.parse("dcs=1,per-dc=8").resolve(1);
        assertEquals(plain, hash(new RunSpec(rr, Flood.PROTOCOL, "dc:intra=lognormal:2ms,0.5;inter=const:40ms", 0.05,
                FaultPlan.none(), 0, 3, one)));
    }

    private static long hash(RunSpec spec) {
        try (SimCluster sim = (SimCluster) new SimEngine().build(spec)) {
            sim.start();
            for (int b = 0; b < 4; b++) {
                sim.inject(b, new Message.Inject(b + 1, new byte[0]));
            }
            sim.settle(10_000_000_000L);
            return sim.traceHash().orElseThrow();
        }
    }
}
