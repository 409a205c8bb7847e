package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.protocols.TokenRing;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class LocalClusterTest {
    private static final long SECONDS_10 = TimeUnit.SECONDS.toNanos(10);

    /** Records which nodes delivered which broadcast. */
    private static final class Deliveries {
        final Set<Long> seen = ConcurrentHashMap.newKeySet();

        void accept(Observation o) {
            if (o instanceof Observation.Delivered d) {
                seen.add(d.id() * 1_000_000L + d.node());
            }
        }

        int count(long id, int n) {
            int c = 0;
            for (int v = 0; v < n; v++) {
                c += seen.contains(id * 1_000_000L + v) ? 1 : 0;
            }
            return c;
        }
    }

    @Test
    void floodOnSixteenNodesReachesEveryNode() {
        int n = 16;
        Deliveries d = new Deliveries();
        try (LocalCluster c = new LocalCluster(TestOverlays.biring(n), Flood.PROTOCOL, 1)) {
            c.addObserver(d::accept);
            c.start();
            c.inject(5, new Message.Inject(1, new byte[8]));
            assertTrue(c.runUntil(() -> d.count(1, n) == n, SECONDS_10), "delivered to " + d.count(1, n) + " of " + n);
            assertEquals(0, c.stats().messagesDropped());
            assertTrue(c.stats().messagesDelivered() >= n - 1);
        }
    }

    @Test
    void theCpuTimeIsTheEventLoopsAndGrowsWithTheirWorkWithinTheirWallTime() {
        int n = 16;
        Deliveries d = new Deliveries();
        try (LocalCluster c = new LocalCluster(TestOverlays.biring(n), Flood.PROTOCOL, 1)) {
            c.addObserver(d::accept);
            c.start();
            long before = c.cpuNanos().orElseThrow();
            long wall = System.nanoTime();
            for (long id = 1; id <= 50; id++) {
                c.inject((int) (id % n), new Message.Inject(id, new byte[8]));
                long b = id;
                assertTrue(c.runUntil(() -> d.count(b, n) == n, SECONDS_10), "broadcast " + id);
            }
            wall = System.nanoTime() - wall;
            long used = c.cpuNanos().orElseThrow() - before;
            // 50 floods of 17 messages each (the origin sends 2, every other node 1): the loops' CPU time is more than
            // nothing and at most what their threads could run in the wall time.
            assertTrue(used > 0, "the event loops used no CPU in 50 floods");
            int loops = Math.min(n, Runtime.getRuntime().availableProcessors() * 2);
            assertTrue(used <= wall * loops, "CPU " + used + " ns over " + wall + " ns of wall on " + loops + " loops");
        }
    }

    @Test
    void crashedNodeMissesBroadcastsAndARestartedOneGetsThemAgain() {
        int n = 6;
        Deliveries d = new Deliveries();
        try (LocalCluster c = new LocalCluster(TestOverlays.biring(n), Flood.PROTOCOL, 2)) {
            c.addObserver(d::accept);
            c.start();
            c.crash(3);
            assertFalse(c.alive(3));
            c.inject(0, new Message.Inject(1, new byte[0]));
            assertTrue(c.runUntil(() -> d.count(1, n) == n - 1, SECONDS_10));
            c.runFor(TimeUnit.MILLISECONDS.toNanos(50));
            assertFalse(d.seen.contains(1_000_000L + 3), "a crashed node delivered");
            c.restart(3);
            assertTrue(c.alive(3));
            assertTrue(c.runUntil(() -> c.host(3).linksUp() == 2 && c.host(2).linksUp() == 2 && c.host(4).linksUp() == 2,
                    SECONDS_10), "neighbours reconnected");
            c.inject(0, new Message.Inject(2, new byte[0]));
            assertTrue(c.runUntil(() -> d.count(2, n) == n, SECONDS_10));
        }
    }

    @Test
    void aNeighboursRedialReachesARestartedNodeOnTheSeededSchedule() {
        long ms = 1_000_000;
        RuntimeConfig rc = RuntimeConfig.defaults();
        int checked = 0;
        for (long seed = 1; seed <= 3; seed++) {
            // Node 0 dials node 1 on a directed 3-ring; its redials after node 1's crash wait these delays.
            long[] at = new long[12];
            long t = 0;
            for (int k = 0; k < at.length; k++) {
                t += dev.ringlab.node.spec.Redial.delayNanos(seed, 0, 1, k, rc.backoffBaseNanos(), rc.backoffMaxNanos());
                at[k] = t;
            }
            // Restart 40 ms after attempt 5 (each real attempt comes a little late: 0.7 ms on an idle machine), so
            // attempt 6, 60-160 ms after the restart (its delay is 100-200 ms), is the first the new incarnation takes.
            long down = at[5] + 40 * ms;
            AtomicLong firstAt = new AtomicLong(-1);
            try (LocalCluster c = new LocalCluster(TestOverlays.ring(3), Flood.PROTOCOL, seed)) {
                c.addObserver(o -> {
                    if (o instanceof Observation.Delivered d && d.node() == 1 && d.origin() == 0 && d.id() >= 1_000) {
                        firstAt.compareAndSet(-1, d.atNanos());
                    }
                });
                c.start();
                c.crash(1);
                c.runFor(down);
                c.restart(1);
                long returned = c.now();
                long id = 1_000;
                while (firstAt.get() < 0 && c.now() - returned < 2_000 * ms) {
                    c.inject(0, new Message.Inject(id++, new byte[0]));
                    c.runUntil(() -> firstAt.get() >= 0, ms / 2);
                }
                assertTrue(firstAt.get() >= 0, "seed " + seed + ": node 1 never reached after its restart");
                long up = firstAt.get() - returned;
                long scheduled = at[6] - down;
                // An unseeded jitter would put the redial anywhere in 0..200 ms after the restart.
                assertTrue(up >= scheduled - 3 * ms && up <= scheduled + 30 * ms, "seed " + seed + ": reached " + up / 1e6
                        + " ms after the restart, the seeded schedule says " + scheduled / 1e6 + " ms (attempt 6)");
                checked++;
            }
        }
        assertEquals(3, checked);
    }

    @Test
    void partitionDropsCrossGroupMessagesUntilHealed() {
        int n = 6;
        Deliveries d = new Deliveries();
        try (LocalCluster c = new LocalCluster(TestOverlays.biring(n), Flood.PROTOCOL, 3)) {
            c.addObserver(d::accept);
            c.start();
            c.partition(new int[][] {{0, 1, 2}});
            c.inject(0, new Message.Inject(1, new byte[0]));
            assertTrue(c.runUntil(() -> d.count(1, n) == 3 && c.stats().messagesDropped() >= 2, SECONDS_10));
            assertEquals(3, d.count(1, n));
            c.heal();
            c.inject(0, new Message.Inject(2, new byte[0]));
            assertTrue(c.runUntil(() -> d.count(2, n) == n, SECONDS_10));
        }
    }

    @Test
    void tokenRotatesOnARingAndAtActionsRunOnTime() {
        int n = 5;
        AtomicLong rotations = new AtomicLong();
        try (LocalCluster c = new LocalCluster(TestOverlays.ring(n), TokenRing.protocol(), 4)) {
            c.addObserver(o -> {
                if (o instanceof Observation.RotationCompleted) {
                    rotations.incrementAndGet();
                }
            });
            c.start();
            AtomicLong ranAt = new AtomicLong();
            long when = c.now() + TimeUnit.MILLISECONDS.toNanos(20);
            c.at(when, () -> ranAt.set(c.now()));
            assertTrue(c.runUntil(() -> rotations.get() >= 20 && ranAt.get() != 0, SECONDS_10));
            assertTrue(ranAt.get() >= when);
            assertTrue(c.host(0).metrics().tokenRotations() >= 20);
        }
    }
}
