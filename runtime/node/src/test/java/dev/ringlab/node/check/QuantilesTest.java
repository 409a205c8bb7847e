package dev.ringlab.node.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class QuantilesTest {
    @Test
    void nearestRankPicksAnObservedValue() {
        long[] s = {1, 2, 3, 4};
        assertEquals(2, Quantiles.nearestRank(s, 0.5));
        assertEquals(4, Quantiles.nearestRank(s, 0.99));
        assertEquals(4, Quantiles.nearestRank(s, 1.0));
        assertEquals(1, Quantiles.nearestRank(s, 0.01));
    }

    @Test
    void atLeastAShareP_ofTheSamplesAreAtMostTheQuantile() {
        long master = 20261203L;
        SplittableRandom seeds = new SplittableRandom(master);
        for (int c = 0; c < 500; c++) {
            long seed = seeds.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            long[] s = r.longs(1 + r.nextInt(200), 0, 50).toArray();
            Arrays.sort(s);
            double p = 0.001 + r.nextDouble() * 0.999;
            long q = Quantiles.nearestRank(s, p);
            long atMost = Arrays.stream(s).filter(x -> x <= q).count();
            long below = Arrays.stream(s).filter(x -> x < q).count();
            assertEquals(true, atMost >= Math.ceil(p * s.length) - 1e-9, "seed " + seed + ": too few samples <= q");
            assertEquals(true, below < Math.ceil(p * s.length), "seed " + seed + ": q is not the smallest such value");
        }
    }

    @Test
    void noSamplesIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Quantiles.nearestRank(new long[0], 0.5));
    }
}
