package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Observation;
import org.junit.jupiter.api.Test;

/**
 * The token's warm-up on a real engine ({@link TokenMetrics#untilWarm}): once a rotation completes after enough hops
 * or enough time, it runs one rotation more, and only what follows counts, numbered from 1.
 */
class TokenWarmUpTest {
    private static final int N = 4;
    private static final long HOP = 1_000; // ns

    /** Feeds rotation {@code r} of a 4-node ring, hops of 1 us, starting at {@code (r - 1) * 4 us}; ticks at each node. */
    private static void rotation(TokenMetrics m, long r) {
        long start = (r - 1) * N * HOP;
        for (int h = 1; h <= N; h++) {
            int node = h % N;
            long at = start + h * HOP;
            m.accept(new Observation.TokenArrived(node, (node + N - 1) % N, 1, r, h, at - HOP, at));
            m.accept(new Observation.Tick(node, r, at));
        }
        m.accept(new Observation.RotationCompleted(0, 1, r, start, start + N * HOP));
    }

    @Test
    void theWarmUpEndsOneRotationAfterTheOneThatReachesTheHopTarget() {
        TokenMetrics m = TokenMetrics.untilWarm(N, 5, 10, 1_000_000_000L);
        rotation(m, 1);
        rotation(m, 2);
        assertFalse(m.warmedUp(), "8 hops of 10");
        assertEquals(2, m.warmupRotations(), "so far");
        rotation(m, 3); // 12 hops: the rule is met, rotation 4 is the last of the warm-up
        assertFalse(m.warmedUp());
        assertEquals(4, m.warmupRotations());
        rotation(m, 4);
        assertTrue(m.warmedUp());
        assertEquals(0, m.rotationsCompleted(), "no warm-up rotation counts");
        for (long r = 5; r <= 9; r++) {
            rotation(m, r);
        }
        assertEquals(5, m.rotationsCompleted());
        TokenMetrics.TokenReport rep = m.report(1);
        assertEquals(5, rep.rotations());
        assertEquals(5, rep.ticks(), "ticks 5..9 are the measured ticks 1..5");
        assertTrue(rep.ticksAgree());
        rotation(m, 10); // after the measured ones: ignored
        assertEquals(5, m.rotationsCompleted());
    }

    @Test
    void aTickOfTheNextRotationSeenBeforeTheCompletionStaysInTheWarmUp() {
        // On processes a successor's report can overtake the origin's: tick 4 at node 1 before rotation 3 completes.
        TokenMetrics m = TokenMetrics.untilWarm(N, 2, 10, 1_000_000_000L);
        rotation(m, 1);
        rotation(m, 2);
        for (int h = 1; h <= N; h++) {
            m.accept(new Observation.TokenArrived(h % N, h - 1, 1, 3, h, 0, 1));
        }
        m.accept(new Observation.Tick(1, 4, 13 * HOP));
        m.accept(new Observation.RotationCompleted(0, 1, 3, 8 * HOP, 12 * HOP));
        assertEquals(5, m.warmupRotations(), "one rotation after the latest named (4)");
        m.accept(new Observation.TokenArrived(1, 0, 1, 4, 1, 12 * HOP, 13 * HOP));
        for (int h = 2; h <= N; h++) {
            m.accept(new Observation.TokenArrived(h % N, h - 1, 1, 4, h, 0, 1));
            m.accept(new Observation.Tick(h % N, 4, (12 + h) * HOP));
        }
        m.accept(new Observation.RotationCompleted(0, 1, 4, 12 * HOP, 16 * HOP));
        assertFalse(m.warmedUp(), "rotation 5 is still warm-up");
        rotation(m, 5);
        assertTrue(m.warmedUp());
        rotation(m, 6);
        rotation(m, 7);
        TokenMetrics.TokenReport rep = m.report(1);
        assertEquals(2, rep.rotations());
        assertEquals(2, rep.ticks());
        assertTrue(rep.ticksAgree(), "every node's measured ticks are 1, 2");
    }

    @Test
    void theWarmUpEndsAtTheTimeCapWhenHopsAreSlow() {
        // 4 us per rotation, a cap of 10 us since the first rotation began: rotation 3 completes at 12 us.
        TokenMetrics m = TokenMetrics.untilWarm(N, 2, 1_000_000, 10 * HOP);
        rotation(m, 1);
        rotation(m, 2);
        assertFalse(m.warmedUp(), "8 us of 10");
        assertEquals(2, m.warmupRotations(), "so far");
        rotation(m, 3);
        assertEquals(4, m.warmupRotations());
        rotation(m, 4);
        assertTrue(m.warmedUp());
        rotation(m, 5);
        rotation(m, 6);
        assertEquals(2, m.rotationsCompleted());
    }

    @Test
    void aFixedWarmUpIsKnownFromTheStart() {
        TokenMetrics none = new TokenMetrics(N, 3, 0);
        assertTrue(none.warmedUp(), "no warm-up: measured from the first rotation");
        assertEquals(0, none.warmupRotations());
        rotation(none, 1);
        assertEquals(1, none.rotationsCompleted());
        TokenMetrics two = new TokenMetrics(N, 3, 2);
        assertFalse(two.warmedUp());
        rotation(two, 1);
        rotation(two, 2);
        assertTrue(two.warmedUp());
        assertEquals(0, two.rotationsCompleted());
    }
}
