package dev.ringlab.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Message;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.protocols.Ring;
import dev.ringlab.node.protocols.TokenRing;
import dev.ringlab.node.spec.LinkModels;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.node.spec.UnsupportedRunException;
import dev.ringlab.topology.Overlay;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The overlay rule every engine shares, drop reasons and settle's last activity, on the simulator. */
class SimOverlayRuleTest {
    private static final long MS = 1_000_000L;

    private static Overlay biring(int n) {
        int[][] adj = new int[n][];
        for (int v = 0; v < n; v++) {
            adj[v] = new int[] {(v + n - 1) % n, (v + 1) % n};
        }
        return Overlay.fromAdjacency("biring", false, adj);
    }

    private static Overlay directedRing(int n) {
        int[][] adj = new int[n][];
        for (int v = 0; v < n; v++) {
            adj[v] = new int[] {(v + 1) % n};
        }
        return Overlay.fromAdjacency("ring", true, adj);
    }

    /** The same scenario as the runtime's LocalClusterFaultsTest: same counts on both engines. */
    @Test
    void aSendAlongANonEdgeIsDroppedAsNoEdgeAndStillCountsAsSent() {
        List<long[]> log = new ArrayList<>();
        try (SimCluster sim = new SimCluster(biring(6), TestNodes.sender(log), SimConfig.of(1))) {
            sim.start();
            sim.inject(0, TestNodes.send(3, 2));
            sim.inject(0, TestNodes.send(1, 1));
            sim.runToQuiescence();
            ClusterStats s = sim.stats();
            assertEquals(3, s.messagesSent());
            assertEquals(1, s.messagesDelivered());
            assertEquals(Map.of(ClusterStats.NO_EDGE, 2L), s.drops());
            assertEquals(1, log.size());
            assertEquals(1, log.get(0)[2]);
        }
    }

    /** An edge carries both ways: the reverse of an arc of a directed ring is an edge, as on real sockets. */
    @Test
    void theReverseOfAnArcIsAnEdge() {
        List<long[]> log = new ArrayList<>();
        try (SimCluster sim = new SimCluster(directedRing(5), TestNodes.sender(log), SimConfig.of(1))) {
            sim.start();
            sim.inject(3, TestNodes.send(2, 1)); // against the arc 2 -> 3
            sim.inject(3, TestNodes.send(1, 1)); // no arc either way
            sim.runToQuiescence();
            assertEquals(1, log.size());
            assertEquals(2, log.get(0)[2]);
            assertEquals(Map.of(ClusterStats.NO_EDGE, 1L), sim.stats().drops());
        }
    }

    /** Rows longer than the scan limit are searched in a sorted copy: same answers. */
    @Test
    void longOverlayRowsAnswerTheSameAsShortOnes() {
        int n = SimCluster.SCAN_MAX + 10;
        int[][] adj = new int[n][];
        for (int v = 0; v < n; v++) {
            List<Integer> row = new ArrayList<>();
            for (int u = n - 1; u >= 0; u--) { // descending, so the row is not already sorted
                boolean missing = (v == 0 && u == 5) || (v == 5 && u == 0);
                if (u != v && !missing) {
                    row.add(u);
                }
            }
            adj[v] = row.stream().mapToInt(Integer::intValue).toArray();
        }
        Overlay almostComplete = Overlay.fromAdjacency("complete-minus-0-5", false, adj);
        List<long[]> log = new ArrayList<>();
        try (SimCluster sim = new SimCluster(almostComplete, TestNodes.sender(log), SimConfig.of(1))) {
            sim.start();
            for (int to = 1; to < n; to++) {
                sim.inject(0, TestNodes.send(to, 1));
            }
            sim.runToQuiescence();
            assertEquals(n - 2, log.size());
            assertEquals(Map.of(ClusterStats.NO_EDGE, 1L), sim.stats().drops());
        }
    }

    @Test
    void dropsAreCountedByReason() {
        List<long[]> log = new ArrayList<>();
        try (SimCluster sim = new SimCluster(TestNodes.complete(4), TestNodes.sender(log), SimConfig.of(3).withLoss(0.5))) {
            sim.start();
            sim.inject(0, TestNodes.send(1, 200)); // about half lost
            sim.runToQuiescence();
            long lost = sim.stats().dropped(ClusterStats.LOSS);
            assertTrue(lost > 50 && lost < 150, "lost " + lost + " of 200 at p = 0.5");
            assertEquals(200 - lost, log.size());
        }
        try (SimCluster sim = new SimCluster(TestNodes.complete(4), TestNodes.sender(log), SimConfig.of(3))) {
            sim.start();
            sim.crash(3);
            sim.partition(new int[][] {{0, 1}});
            sim.inject(0, TestNodes.send(3, 2));
            sim.inject(0, TestNodes.send(2, 1));
            sim.inject(0, TestNodes.send(1, 1));
            sim.inject(3, TestNodes.send(1, 1)); // a client request to a crashed node: neither sent nor dropped
            sim.runToQuiescence();
            ClusterStats s = sim.stats();
            assertEquals(Map.of(ClusterStats.RECEIVER_DOWN, 2L, ClusterStats.PARTITION, 1L), s.drops());
            assertEquals(3, s.messagesDropped());
            assertEquals(4, s.messagesSent());
            assertEquals(s.messagesSent(), s.messagesDelivered() + s.messagesDropped());
        }
    }

    @Test
    void settleReportsTheLastSendAsTheEndOfTheWork() {
        List<long[]> log = new ArrayList<>();
        try (SimCluster sim = new SimCluster(TestNodes.complete(3), TestNodes.sender(log),
                SimConfig.of(1).withLink(LinkModels.parse("const:2ms")))) {
            sim.start();
            assertEquals(OptionalLong.empty(), sim.stats().lastSendNanos());
            sim.at(5 * MS, () -> sim.inject(0, TestNodes.send(1, 1)));
            Cluster.Settled s = sim.settle(100 * MS);
            assertTrue(s.quiet());
            assertEquals(5 * MS, s.lastActivityNanos(), "the send at 5 ms, not its delivery at 7 ms");
            assertEquals(OptionalLong.of(5 * MS), sim.stats().lastSendNanos());
            assertEquals(7 * MS, sim.now());
        }
    }

    @Test
    void aProtocolThatRefusesTheOverlayIsRefusedWhenTheSimulatorIsBuilt() {
        Overlay star = Overlay.fromAdjacency("star", false, new int[][] {{1, 2, 3}, {0}, {0}, {0}});
        UnsupportedRunException e = assertThrows(UnsupportedRunException.class,
                () -> new SimEngine().build(RunSpec.of(star, Ring.PROTOCOL, 1)));
        assertEquals("overlay", e.field());
        assertTrue(e.getMessage().contains("needs the arc v -> v+1 mod n") && e.getMessage().contains("no arc 1 -> 2"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SimCluster(star, TokenRing.protocol(), SimConfig.of(1)));
        assertTrue(new SimEngine().build(RunSpec.of(star, Flood.PROTOCOL, 1)) instanceof SimCluster);
        try (Cluster ring = new SimEngine().build(RunSpec.of(biring(4), Ring.PROTOCOL, 1))) {
            ring.start();
            ring.inject(2, new Message.Inject(1, new byte[0]));
            assertTrue(ring.settle(MS * 100).quiet());
            assertEquals(3, ring.stats().messagesDelivered());
            assertEquals(0, ring.stats().messagesDropped());
        }
    }
}
