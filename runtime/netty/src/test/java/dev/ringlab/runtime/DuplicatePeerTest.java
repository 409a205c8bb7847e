package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.TokenRing;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A connection that authenticates (with the cluster secret) as a neighbour whose link is live: the
 * established link wins, the newcomer is closed and counted, and a token ring (which never regenerates a
 * lost token) keeps turning with {@code links_up} unchanged.
 */
@Timeout(60)
class DuplicatePeerTest {
    private static final long SECONDS_10 = TimeUnit.SECONDS.toNanos(10);

    @Test
    void anImpostorOfALivePeerIsRefusedAndTheRingKeepsTurning() throws Exception {
        int n = 3;
        int target = 1;
        int impersonated = 0; // on the directed ring node 0 dials node 1: node 1 accepts it
        int attempts = 20;
        AtomicLong rotations = new AtomicLong();
        try (LocalCluster c = new LocalCluster(TestOverlays.ring(n), TokenRing.protocol(), 4)) {
            c.addObserver(o -> {
                if (o instanceof Observation.RotationCompleted) {
                    rotations.incrementAndGet();
                }
            });
            c.start();
            assertTrue(c.runUntil(() -> rotations.get() >= 10, SECONDS_10), "the ring did not start turning");
            NodeMetrics m = c.host(target).metrics();
            int degree = c.host(target).degree();
            assertEquals(degree, c.host(target).linksUp());
            for (int k = 0; k < attempts; k++) {
                try (RawPeer p = new RawPeer(c.host(target).port())) {
                    assertEquals(target, p.handshake(c.secret(), impersonated));
                    // held open while the real link carries the token: refused, never swapped in
                    assertTrue(p.closedByPeer(), "impostor " + k + " was kept");
                }
                assertEquals(degree, c.host(target).linksUp(), "links_up after impostor " + k);
            }
            assertEquals(attempts, m.rejected("duplicate_peer"));
            long seen = rotations.get();
            assertTrue(c.runUntil(() -> rotations.get() >= seen + 50, SECONDS_10),
                    "the ring stalled after the impostors: " + rotations.get() + " rotations, " + seen + " before");
            assertEquals(degree, c.host(target).linksUp());
            assertEquals(0, c.stats().drops().values().stream().mapToLong(Long::longValue).sum(),
                    "drops: " + c.stats().drops());
        }
    }

    @Test
    void aPeerThatRestartsGetsItsLinkBackAndLinksUpCountsOnce() throws Exception {
        int n = 3;
        AtomicLong rotations = new AtomicLong();
        try (LocalCluster c = new LocalCluster(TestOverlays.biring(n), dev.ringlab.node.protocols.Flood.PROTOCOL, 4)) {
            c.start();
            for (int round = 0; round < 2; round++) {
                c.crash(0);
                int r = round;
                assertTrue(c.runUntil(() -> c.host(1).linksUp() == 1 && c.host(2).linksUp() == 1, SECONDS_10),
                        "round " + r + ": neighbours did not see the crash");
                c.restart(0);
                assertTrue(c.runUntil(() -> c.host(0).linksUp() == 2 && c.host(1).linksUp() == 2
                        && c.host(2).linksUp() == 2, SECONDS_10), "round " + r + ": links did not come back");
            }
            assertEquals(0, c.host(1).metrics().rejected("duplicate_peer") + c.host(2).metrics().rejected("duplicate_peer"));
        }
    }
}
