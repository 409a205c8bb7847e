package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * {@link DeltaCacheConfig}'s checks at their exact boundaries (the least accepted value and the one below it),
 * the figures its messages name, the two derived configs the CLI builds, and the parser's errors.
 */
class DeltaCacheConfigTest {
    private static final long MS = 1_000_000L;

    /** r, hb, suspect, retry, write, read, hop, compact. */
    private static DeltaCacheConfig config(int r, long hb, long suspect, long retry, long write, long read, long hop,
            long compact) {
        return new DeltaCacheConfig(r, hb, suspect, retry, write, read, hop, compact);
    }

    private static String rejected(int r, long hb, long suspect, long retry, long write, long read, long hop,
            long compact) {
        return assertThrows(IllegalArgumentException.class, () -> config(r, hb, suspect, retry, write, read, hop, compact))
                .getMessage();
    }

    @Test
    void everyPeriodMustBePositiveAndOneNanosecondIs() {
        // hb = 1 ns, suspect = 2 ns, retry = 1 ns, write = 3 ns, read = 1 ns, hop = 1 ns, compact = 1 ns: the least.
        DeltaCacheConfig least = config(1, 1, 2, 1, 3, 1, 1, 1);
        assertEquals(1, least.replicas());
        assertTrue(rejected(0, 1, 2, 1, 3, 1, 1, 1).contains("r must be >= 1, got 0"));
        assertTrue(rejected(1, 0, 2, 1, 3, 1, 1, 1).contains("hb=0 ns"));
        assertTrue(rejected(1, 1, 2, 0, 3, 1, 1, 1).contains("replica_retry=0 ns"));
        assertTrue(rejected(1, 1, 2, 1, 3, 1, 0, 1).contains("hop=0 ns"));
        assertTrue(rejected(1, 1, 2, 1, 3, 1, 1, 0).contains("compact=0 ns"));
    }

    @Test
    void suspicionCoversTwoHeartbeatsExactly() {
        assertEquals(20 * MS, config(2, 10 * MS, 20 * MS, MS, 21 * MS, MS, MS, MS).suspicionNanos());
        String m = rejected(2, 10 * MS, 20 * MS - 1, MS, 21 * MS, MS, MS, MS);
        assertTrue(m.contains("suspect (19999999 ns) must be at least two heartbeats (20000000 ns)"), m);
    }

    @Test
    void theWriteDeadlineCoversASuspicionAndAResendExactly() {
        assertEquals(53 * MS, config(2, 10 * MS, 50 * MS, 3 * MS, 53 * MS, MS, MS, MS).writeDeadlineNanos());
        String m = rejected(2, 10 * MS, 50 * MS, 3 * MS, 53 * MS - 1, MS, MS, MS);
        assertTrue(m.contains("(52999999 ns) must cover a suspicion timeout and a resend (53000000 ns)"), m);
    }

    @Test
    void theReadBudgetIsAtLeastOneHopSlack() {
        assertEquals(7 * MS, config(2, 10 * MS, 20 * MS, MS, 21 * MS, 7 * MS, 7 * MS, MS).readBudgetNanos());
        String m = rejected(2, 10 * MS, 20 * MS, MS, 21 * MS, 7 * MS - 1, 7 * MS, MS);
        assertTrue(m.contains("must be at least one hop slack (7000000 ns)"), m);
    }

    @Test
    void withTimingRaisesTheWriteDeadlineOnlyWhenItMustAndKeepsTheRest() {
        DeltaCacheConfig d = DeltaCacheConfig.defaults();
        DeltaCacheConfig slow = d.withTiming(20 * MS, 700 * MS);
        assertEquals(20 * MS, slow.heartbeatNanos());
        assertEquals(700 * MS, slow.suspicionNanos());
        assertEquals(700 * MS + d.replicaRetryNanos(), slow.writeDeadlineNanos(), "raised to cover the suspicion");
        assertEquals(d.replicas(), slow.replicas());
        assertEquals(d.readBudgetNanos(), slow.readBudgetNanos());
        assertEquals(d.hopSlackNanos(), slow.hopSlackNanos());
        assertEquals(d.compactNanos(), slow.compactNanos());
        assertEquals(d.replicaRetryNanos(), slow.replicaRetryNanos());
        DeltaCacheConfig fast = d.withTiming(5 * MS, 20 * MS);
        assertEquals(d.writeDeadlineNanos(), fast.writeDeadlineNanos(), "already long enough: kept");
    }

    @Test
    void withHopSlackRaisesTheReadBudgetOnlyWhenItMust() {
        DeltaCacheConfig d = DeltaCacheConfig.defaults();
        DeltaCacheConfig a = d.withHopSlack(20 * MS);
        assertEquals(20 * MS, a.hopSlackNanos());
        assertEquals(d.readBudgetNanos(), a.readBudgetNanos());
        assertEquals(d.writeDeadlineNanos(), a.writeDeadlineNanos());
        assertEquals(d.suspicionNanos(), a.suspicionNanos());
        DeltaCacheConfig b = d.withHopSlack(900 * MS);
        assertEquals(900 * MS, b.readBudgetNanos(), "raised to one hop slack");
    }

    @Test
    void theSpecParsesBackAndMissingKeysKeepTheirDefaults() {
        DeltaCacheConfig d = DeltaCacheConfig.defaults();
        assertEquals("dcache:r=2,hb=10ms,suspect=50ms,replica_retry=10ms,write=500ms,read=400ms,hop=500us,compact=50ms",
                d.spec());
        assertEquals(d, DeltaCacheConfig.parse("dcache"));
        assertEquals(d, DeltaCacheConfig.parse(" DCACHE "));
        DeltaCacheConfig c = DeltaCacheConfig.parse("dcache:r=3,hb=5ms,suspect=30ms,replica_retry=2ms,write=1s,read=90ms,"
                + "hop=3ms,compact=70ms");
        assertEquals(new DeltaCacheConfig(3, 5 * MS, 30 * MS, 2 * MS, 1000 * MS, 90 * MS, 3 * MS, 70 * MS), c);
        assertEquals(c, DeltaCacheConfig.parse(c.spec()));
        assertEquals(d.withHopSlack(20 * MS), DeltaCacheConfig.parse("dcache:hop=20ms"));
        assertTrue(DeltaCacheConfig.isSpec("dcache"));
        assertTrue(DeltaCacheConfig.isSpec("dcache:r=3"));
        assertFalse(DeltaCacheConfig.isSpec("dcachex"));
        assertFalse(DeltaCacheConfig.isSpec("cache"));
    }

    @Test
    void badSpecsNameTheirBadPart() {
        String[][] cases = {
                {"cache:r=2", "is not a delta cache spec"},
                {"dcache:r", "'r' in 'dcache:r' is not KEY=VALUE"},
                {"dcache:=5", "unknown key '' in"},
                {"dcache:r=two", "bad r 'two'"},
                {"dcache:hb=fast", "bad duration 'fast'"},
                {"dcache:colour=red", "unknown key 'colour'"},
                {"dcache:r=0", "r must be >= 1"},
        };
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeltaCacheConfig.parse(c[0]), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
        }
    }
}
