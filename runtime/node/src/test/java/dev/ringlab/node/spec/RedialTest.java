package dev.ringlab.node.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RedialTest {
    private static final long MS = 1_000_000;

    @Test
    void everyDelayIsInTheUpperHalfOfTheCappedDoublingBackoff() {
        SplittableRandom master = new SplittableRandom(20261205);
        int cases = 0;
        for (int i = 0; i < 2_000; i++) {
            long seed = master.nextLong();
            int dialer = master.nextInt(1 << 20);
            int peer = master.nextInt(1 << 20);
            int attempt = master.nextInt(40);
            long base = 1 + master.nextLong(50 * MS);
            long max = base + master.nextLong(500 * MS);
            long d = Math.min(max, base << Math.min(Math.min(attempt, Redial.MAX_ATTEMPT), 20));
            long delay = Redial.delayNanos(seed, dialer, peer, attempt, base, max);
            assertTrue(delay >= d / 2 && delay <= d, "seed " + seed + " attempt " + attempt + ": " + delay + " not in [" + d / 2
                    + ", " + d + "]");
            assertEquals(delay, Redial.delayNanos(seed, dialer, peer, attempt, base, max), "seed " + seed + ": the same inputs, the same delay");
            if (attempt >= Redial.MAX_ATTEMPT) {
                assertEquals(Redial.delayNanos(seed, dialer, peer, Redial.MAX_ATTEMPT, base, max), delay,
                        "seed " + seed + ": attempts past the last counted one wait its delay, as the link table does");
            }
            cases++;
        }
        assertEquals(2_000, cases);
    }

    @Test
    void theJitterCoversItsRangeAndDiffersBySeedDialerAndPeer() {
        // attempt 5 at base 10 ms, cap 200 ms: d = 200 ms, delays in [100, 200] ms.
        long lo = Long.MAX_VALUE;
        long hi = Long.MIN_VALUE;
        Set<Long> seen = new HashSet<>();
        int draws = 0;
        for (int seed = 0; seed < 20; seed++) {
            for (int dialer = 0; dialer < 10; dialer++) {
                for (int peer = 0; peer < 10; peer++) {
                    long delay = Redial.delayNanos(seed, dialer, peer, 5, 10 * MS, 200 * MS);
                    lo = Math.min(lo, delay);
                    hi = Math.max(hi, delay);
                    seen.add(delay);
                    draws++;
                }
            }
        }
        assertEquals(2_000, draws);
        assertTrue(lo < 105 * MS && hi > 195 * MS, "2,000 draws cover [100, 200] ms: " + lo + ".." + hi);
        assertTrue(seen.size() > 1_990, "nearly all distinct: " + seen.size());
    }
}
