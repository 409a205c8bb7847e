package dev.ringlab.node.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.protocols.CacheConfig;
import dev.ringlab.node.protocols.RecoveryConfig;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The per-engine timing rule: the simulator's timing unchanged, the real engines' from the rule. */
class TimingTest {
    private static final long MS = 1_000_000L;

    private static long ceilMs(long nanos) {
        return (nanos + MS - 1) / MS * MS;
    }

    @Test
    void theSimulatorKeepsTheTimingItsResultsWereMadeWith() {
        Timing t = Timing.forEngine("sim", 6, MS);
        assertEquals(10 * MS, t.heartbeatNanos());
        assertEquals(50 * MS, t.suspicionNanos());
        assertEquals(50 * MS, t.graceNanos());
        assertEquals(0, t.probationNanos());
        assertEquals(200 * MS, t.tokenLossNanos());
        assertEquals(0, t.warmupNanos());
        assertEquals(0, t.pauseBoundNanos());
        assertEquals(MS, t.hopBoundNanos());
        assertEquals(RecoveryConfig.defaults(), t.ring(3));
        assertEquals("healing:hb=10ms,suspect=50ms,loss=200ms,r=3", t.ring(3).spec());
        assertEquals(CacheConfig.defaults(), t.cache());
        // recover's loss rule: max(200 ms, 4 n L)
        assertEquals(4 * 100 * 2 * MS, Timing.forEngine("sim", 100, 2 * MS).tokenLossNanos());
        assertEquals(0, Timing.forEngine("sim", 6, MS, 500 * MS).pauseBoundNanos(), "the simulator never stalls");
    }

    @Test
    void theRealEnginesDefaultsAreTheMeasuredOnes() {
        Timing netty = Timing.forEngine("netty", 6, 0);
        assertEquals("timing:netty,hb=20ms,suspect=240ms,grace=490ms,probation=2s,loss=960ms,warmup=2s,pause=100ms,"
                + "link=0ns,hop=1ms", netty.spec());
        Timing processes = Timing.forEngine("processes", 6, 0);
        assertEquals("timing:processes,hb=50ms,suspect=600ms,grace=850ms,probation=2s,loss=2400ms,warmup=2s,"
                + "pause=250ms,link=0ns,hop=10ms", processes.spec());
        assertEquals("healing:hb=50ms,suspect=600ms,grace=850ms,probation=2s,loss=2400ms,r=3", processes.ring(3).spec());
        CacheConfig cache = processes.cache();
        assertEquals(1_800 * MS, cache.writeTimeoutNanos());
        assertEquals(3_600 * MS, cache.deadlineNanos());
        assertEquals(processes.ring(3), cache.ring());
        assertEquals(cache, CacheConfig.parse(cache.spec()), "a processes child rebuilds the same cache");
    }

    @Test
    void everyDrawFollowsTheRule() {
        String[] engines = {"netty", "processes"};
        for (long seed = 1; seed <= 300; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            String engine = engines[r.nextInt(2)];
            int n = 2 + r.nextInt(2_000);
            long link = r.nextBoolean() ? 0 : r.nextLong(50 * MS);
            long pause = r.nextLong(2_000 * MS);
            Timing t = Timing.forEngine(engine, n, link, pause);
            String at = "seed " + seed + ": " + t;
            long hb = ceilMs(Math.max(10 * MS, pause / 5));
            long suspicion = ceilMs(2 * (hb + 2 * link + pause));
            assertEquals(hb, t.heartbeatNanos(), at);
            assertEquals(suspicion, t.suspicionNanos(), at);
            assertEquals(suspicion + Timing.RECONNECT_BOUND, t.graceNanos(), at);
            assertEquals(ceilMs(Math.max(Math.max(200 * MS, 4L * n * link), 4 * suspicion)), t.tokenLossNanos(), at);
            assertEquals(t.warmupNanos(), t.probationNanos(), at);
            assertEquals(link + (engine.equals("netty") ? Timing.NETTY_HOP : Timing.PROCESSES_HOP), t.hopBoundNanos(), at);
            // The silence of a live successor (one interval, one round trip, one pause) fits twice in T.
            assertTrue(t.suspicionNanos() >= 2 * (t.heartbeatNanos() + 2 * link + pause), at);
            int successors = 1 + r.nextInt(5);
            RecoveryConfig ring = t.ring(successors);
            assertEquals(ring, RecoveryConfig.parse(ring.spec()), at);
            CacheConfig cache = t.cache();
            assertTrue(cache.writeTimeoutNanos() >= 3 * t.suspicionNanos(), at);
            assertTrue(cache.deadlineNanos() >= 2 * cache.writeTimeoutNanos(), at);
        }
    }

    @Test
    void unknownEnginesAndBadSizesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Timing.forEngine("docker", 6, 0));
        assertThrows(IllegalArgumentException.class, () -> Timing.forEngine("sim", 1, 0));
        assertThrows(IllegalArgumentException.class, () -> Timing.forEngine("netty", 6, -1));
        assertThrows(IllegalArgumentException.class, () -> Timing.forEngine("processes", 6, 0, -1));
        assertEquals(Timing.forEngine("netty", 6, 0), Timing.forEngine(" NETTY ", 6, 0));
    }
}
