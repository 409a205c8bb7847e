package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.protocols.Ring;
import dev.ringlab.node.protocols.TokenRing;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.node.spec.UnsupportedRunException;
import dev.ringlab.topology.Overlay;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Cluster contract's overlay rule, drop reasons, slow node, loss burst, counters across incarnations and
 * settle on the netty engine, on real loopback sockets.
 */
@Timeout(60)
class LocalClusterFaultsTest {
    private static final long MS = 1_000_000L;
    private static final long SECONDS_10 = TimeUnit.SECONDS.toNanos(10);

    /** A star: node 0 joined to every other node; no arc 1 -> 2. */
    private static Overlay star(int n) {
        int[][] adj = new int[n][];
        adj[0] = new int[n - 1];
        for (int v = 1; v < n; v++) {
            adj[0][v - 1] = v;
            adj[v] = new int[] {0};
        }
        return Overlay.fromAdjacency("star", false, adj);
    }

    /** The same scenario as SimClusterTest's: on biring(6), 2 sends 0 -> 3 (no edge), 1 send 0 -> 1 (edge). */
    @Test
    void aSendAlongANonEdgeIsDroppedAsNoEdgeAsOnTheSimulator() {
        Set<String> got = ConcurrentHashMap.newKeySet();
        try (LocalCluster c = new LocalCluster(TestOverlays.biring(6), TestProtocols.SENDER, 1)) {
            c.addObserver(o -> {
                if (o instanceof Observation.Delivered d) {
                    got.add(d.id() + "->" + d.node());
                }
            });
            c.start();
            c.inject(0, TestProtocols.send(3, 2));
            c.inject(0, TestProtocols.send(1, 1));
            assertTrue(c.runUntil(() -> got.contains("0->1") && c.stats().messagesDropped() == 2, SECONDS_10), c.stats()::toString);
            ClusterStats s = c.stats();
            assertEquals(3, s.messagesSent());
            assertEquals(1, s.messagesDelivered());
            assertEquals(Map.of(ClusterStats.NO_EDGE, 2L), s.drops());
            assertEquals(Set.of("0->1"), got);
        }
    }

    @Test
    void aProtocolThatRefusesTheOverlayIsRefusedWhenTheEngineIsBuilt() {
        RunSpec spec = RunSpec.of(star(4), Ring.PROTOCOL, 1);
        UnsupportedRunException netty = assertThrows(UnsupportedRunException.class, () -> new NettyEngine().build(spec));
        assertEquals("overlay", netty.field());
        assertTrue(netty.getMessage().contains("no arc 1 -> 2"), netty.getMessage());
        UnsupportedRunException processes = assertThrows(UnsupportedRunException.class,
                () -> new ProcessesEngine().build(spec));
        assertEquals("overlay", processes.field());
        assertThrows(IllegalArgumentException.class, () -> new LocalCluster(star(4), TokenRing.protocol(), 1));
        // The ring broadcast runs where the successor arcs exist.
        try (Cluster c = new NettyEngine().build(RunSpec.of(TestOverlays.ring(4), Ring.PROTOCOL, 1))) {
            assertEquals("netty", c.engine());
        }
    }

    @Test
    void aLossBurstOfOneStopsDeliveriesAndZeroRestoresThem() {
        int n = 6;
        Set<String> got = ConcurrentHashMap.newKeySet();
        try (LocalCluster c = new LocalCluster(TestOverlays.biring(n), Flood.PROTOCOL, 2)) {
            c.addObserver(o -> {
                if (o instanceof Observation.Delivered d) {
                    got.add(d.id() + ":" + d.node());
                }
            });
            c.start();
            c.lossBurst(1.0);
            c.inject(0, new Message.Inject(1, new byte[0]));
            assertTrue(c.runUntil(() -> c.stats().dropped(ClusterStats.LOSS) == 2, SECONDS_10), c.stats()::toString);
            c.settle(MS * 100);
            assertEquals(Set.of("1:0"), got, "only the origin delivered");
            assertEquals(2, c.stats().messagesSent());

            c.lossBurst(0);
            c.inject(0, new Message.Inject(2, new byte[0]));
            assertTrue(c.runUntil(() -> got.size() == 1 + n, SECONDS_10), got::toString);
            assertEquals(2, c.stats().dropped(ClusterStats.LOSS));
            assertThrows(IllegalArgumentException.class, () -> c.lossBurst(1.5));
        }
    }

    /**
     * A 4-node token ring with node 2 slowed by 20 ms: every hop into or out of node 2 takes at least 20 ms
     * (the emulation never delivers early) and their median at most 20 ms + 10 ms (timer lateness, loopback,
     * a loaded machine); after slow(2, 0) the hops through node 2 are fast again.
     */
    @Test
    void aSlowNodesHopLatencyRisesByAboutItsExtraDelayAndFallsBackWhenItRecovers() {
        ConcurrentLinkedQueue<Observation.TokenArrived> hops = new ConcurrentLinkedQueue<>();
        try (LocalCluster c = new LocalCluster(TestOverlays.ring(4), TokenRing.protocol(), 3)) {
            c.addObserver(o -> {
                if (o instanceof Observation.TokenArrived a) {
                    hops.add(a);
                }
            });
            c.start();
            c.slow(2, 20 * MS);
            long slowFrom = c.now();
            assertTrue(c.runUntil(() -> through(hops, slowFrom, true).length >= 10, SECONDS_10), "slow hops seen");
            long[] slow = through(hops, slowFrom, true);
            long[] other = through(hops, slowFrom, false);
            assertTrue(other.length > 0);
            assertTrue(slow[0] >= 20 * MS, "a hop through the slow node took " + slow[0] / 1e6 + " ms < 20 ms");
            assertTrue(slow[slow.length / 2] <= 30 * MS, "median hop through the slow node " + slow[slow.length / 2] / 1e6
                    + " ms: " + Arrays.toString(slow));
            assertTrue(other[other.length / 2] < 20 * MS, "hops elsewhere are not slowed: " + Arrays.toString(other));

            c.slow(2, 0);
            long fastFrom = c.now();
            assertTrue(c.runUntil(() -> through(hops, fastFrom, true).length >= 10, SECONDS_10));
            long[] fast = through(hops, fastFrom, true);
            assertTrue(fast[fast.length / 2] < 20 * MS, "hops through node 2 after recovery: " + Arrays.toString(fast));
        }
    }

    /** Sorted hop latencies of tokens sent after {@code from}, into or out of node 2 (or the others). */
    private static long[] through(ConcurrentLinkedQueue<Observation.TokenArrived> hops, long from, boolean viaNode2) {
        return hops.stream()
                .filter(a -> a.sentAtNanos() > from && (a.node() == 2 || a.from() == 2) == viaNode2)
                .mapToLong(a -> a.arrivedAtNanos() - a.sentAtNanos())
                .sorted().toArray();
    }

    /**
     * Three floods on biring(4): all up (5 sends), node 2 crashed (4 sends, the 2 towards node 2 counted as
     * receiver_down), node 2 restarted (5 sends): the counts add up across node 2's two incarnations.
     */
    @Test
    void countersAddUpAcrossACrashAndRestartAndSendsToTheCrashedNodeAreReceiverDown() {
        int n = 4;
        Set<String> got = ConcurrentHashMap.newKeySet();
        try (LocalCluster c = new LocalCluster(TestOverlays.biring(n), Flood.PROTOCOL, 4)) {
            c.addObserver(o -> {
                if (o instanceof Observation.Delivered d) {
                    got.add(d.id() + ":" + d.node());
                }
            });
            c.start();
            c.inject(0, new Message.Inject(1, new byte[0]));
            assertTrue(c.runUntil(() -> c.stats().messagesDelivered() == 5, SECONDS_10), c.stats()::toString);
            assertEquals(1, c.host(2).metrics().sent());

            c.crash(2);
            assertTrue(c.runUntil(() -> c.host(1).linksUp() == 1 && c.host(3).linksUp() == 1, SECONDS_10));
            c.inject(0, new Message.Inject(2, new byte[0]));
            assertTrue(c.runUntil(() -> c.stats().dropped(ClusterStats.RECEIVER_DOWN) == 2, SECONDS_10), c.stats()::toString);
            assertFalse(got.contains("2:2"));

            c.restart(2);
            assertTrue(c.runUntil(() -> c.host(2).linksUp() == 2 && c.host(1).linksUp() == 2 && c.host(3).linksUp() == 2,
                    SECONDS_10), "node 2 reconnected");
            c.inject(0, new Message.Inject(3, new byte[0]));
            assertTrue(c.runUntil(() -> c.stats().messagesDelivered() == 12, SECONDS_10), c.stats()::toString);
            Cluster.Settled settled = c.settle(SECONDS_10);
            assertTrue(settled.quiet());
            ClusterStats s = c.stats();
            assertEquals(14, s.messagesSent(), s.toString());
            assertEquals(12, s.messagesDelivered());
            assertEquals(Map.of(ClusterStats.RECEIVER_DOWN, 2L), s.drops());
            assertEquals(2, c.host(2).metrics().sent(), "node 2 sent once per incarnation");
            assertEquals(s.lastSendNanos().getAsLong(), settled.lastActivityNanos(),
                    "settle reports the last send, not the end of the quiet wait");
            assertTrue(c.now() - settled.lastActivityNanos() >= Cluster.QUIET_NANOS);
        }
    }

    @Test
    void aPartitionDropIsCountedAsPartition() {
        try (LocalCluster c = new LocalCluster(TestOverlays.biring(4), TestProtocols.SENDER, 5)) {
            c.start();
            c.partition(new int[][] {{0, 1}});
            c.inject(0, TestProtocols.send(3, 2));
            c.inject(0, TestProtocols.send(1, 1));
            assertTrue(c.runUntil(() -> c.stats().dropped(ClusterStats.PARTITION) == 2 && c.stats().messagesDelivered() == 1,
                    SECONDS_10), c.stats()::toString);
            c.heal();
            c.inject(0, TestProtocols.send(3, 1));
            assertTrue(c.runUntil(() -> c.stats().messagesDelivered() == 2, SECONDS_10));
            assertEquals(2, c.stats().messagesDropped());
        }
    }
}
