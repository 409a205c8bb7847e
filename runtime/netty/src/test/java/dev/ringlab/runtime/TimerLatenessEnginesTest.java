package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.TimerLateness;
import dev.ringlab.node.protocols.HealingRing;
import dev.ringlab.node.protocols.RecoveryConfig;
import dev.ringlab.topology.Topologies;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Both real engines measure how late their nodes' timers ran (a healing ring's 10 ms heartbeats), by the age of each
 * node's incarnation; the processes engine carries it from every JVM on the counters lines, a killed incarnation's
 * included.
 */
class TimerLatenessEnginesTest {
    private static final long MS = 1_000_000L;
    private static final Protocol RING = HealingRing.protocol(RecoveryConfig.defaults().withSuccessors(2));

    /** 10 ms heartbeats for 600 ms: about 60 per node, in the first two age classes. */
    private static TimerLateness heartbeats(Cluster c, int nodes) {
        c.start();
        c.runFor(600 * MS);
        TimerLateness t = c.timerLateness();
        assertNotNull(t, c.engine() + " measures its timers");
        assertTrue(t.count() >= nodes * 30L, c.engine() + ": " + t.count() + " timers counted in 600 ms of 10 ms heartbeats: " + t);
        assertTrue(t.count(0) > 0 && t.count(1) > 0, c.engine() + ": both sides of 0.5 s of age: " + t);
        assertEquals(0, t.count(3) + t.count(4), c.engine() + ": nothing 2 s old yet: " + t);
        assertTrue(t.quantile(1, 0.5) >= 0 && t.quantile(1, 0.5) < 1_000 * MS, t.toString());
        return t;
    }

    @Test
    @Timeout(60)
    void theNettyEngineCountsItsNodesTimers() {
        try (LocalCluster c = new LocalCluster(Topologies.build("successor-ring:2", 4, 1), RING, 3)) {
            assertEquals(0, c.timerLateness().count(), "nothing before start");
            heartbeats(c, 4);
        }
    }

    @Test
    @Timeout(120)
    void theProcessesEngineCarriesEachJvmsCountsAndKeepsAKilledOnes() {
        try (ProcessCluster c = new ProcessCluster(Topologies.build("successor-ring:2", 3, 1), RING, 5, ProcessCluster.selfLauncher())) {
            assertNull(c.timerLateness(), "no JVM, no figure");
            TimerLateness before = heartbeats(c, 3);
            c.crash(1);
            long killed = c.timerLateness().count();
            assertTrue(killed >= before.count(), "the crash's counters request brings every JVM's latest: " + killed + " < " + before.count());
            c.restart(1);
            c.runFor(300 * MS);
            assertTrue(c.runUntil(() -> c.timerLateness().count() > killed + 30, TimeUnit.SECONDS.toNanos(20)),
                    "the respawned JVM's timers add to the killed one's: " + c.timerLateness());
        }
    }
}
