package dev.ringlab.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The timer-lateness counts: buckets, age classes, quantiles, merging and the text form. */
class TimerLatenessTest {
    private static final long MS = 1_000_000L;
    private static final long MASTER_SEED = 0x7133e5L;

    @Test
    void everyLatenessFallsInABucketThatSpansItWithinOneSixteenth() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED);
        for (int i = 0; i < 2_000; i++) {
            long caseSeed = master.nextLong();
            SplittableRandom r = new SplittableRandom(caseSeed);
            long v = r.nextLong(1L << r.nextInt(1, 40)); // spread over the octaves, beyond the last bucket too
            int b = TimerLateness.bucket(v);
            String where = "case seed " + caseSeed + ": " + v + " ns in bucket " + b;
            assertTrue(b >= 0 && b < TimerLateness.BUCKETS, where);
            assertTrue(TimerLateness.lowest(b) <= v, where + " whose lowest is " + TimerLateness.lowest(b));
            if (b == 0) {
                assertTrue(v < 1_024, where);
            } else if (b < TimerLateness.BUCKETS - 1) {
                long next = TimerLateness.lowest(b + 1);
                assertTrue(v < next, where + " whose next is " + next);
                assertTrue(next - TimerLateness.lowest(b) <= TimerLateness.lowest(b) / 16, where + ": wider than 1/16");
                assertEquals(b, TimerLateness.bucket(TimerLateness.middle(b)), where + ": its middle is in another bucket");
            }
        }
    }

    @Test
    void quantilesCountEachAgeClassApart() {
        TimerLateness t = new TimerLateness();
        assertEquals(-1, t.quantile(0, 0.5), "nothing counted");
        assertEquals(-1, t.max());
        for (int i = 1; i <= 100; i++) {
            t.record(100 * MS, i * MS); // age class 0 (before 0.5 s): 1..100 ms
        }
        t.record(5_000 * MS, 200_000); // age class 4 (from 4 s): 0.2 ms
        assertEquals(100, t.count(0));
        assertEquals(0, t.count(1));
        assertEquals(1, t.count(4));
        assertEquals(101, t.count());
        assertEquals(50 * MS, t.quantile(0, 0.5), 50 * MS / 16.0);
        assertEquals(99 * MS, t.quantile(0, 0.99), 99 * MS / 16.0);
        assertEquals(1 * MS, t.quantile(0, 0), MS / 16.0);
        assertEquals(100 * MS, t.quantile(0, 1), 100 * MS / 16.0);
        assertEquals(200_000, t.quantile(4, 0.5), 200_000 / 16.0);
        assertEquals(100 * MS, t.max(), 100 * MS / 16.0);
        assertEquals(0, TimerLateness.ageClass(0));
        assertEquals(1, TimerLateness.ageClass(500 * MS));
        assertEquals(3, TimerLateness.ageClass(3_999 * MS));
        assertEquals(4, TimerLateness.ageClass(Long.MAX_VALUE));
        assertEquals("0-0.5s", TimerLateness.ageLabel(0));
        assertEquals("4s+", TimerLateness.ageLabel(4));
        assertThrows(IllegalArgumentException.class, () -> t.quantile(0, 1.5));
    }

    @Test
    void theTextFormRoundTripsAndSumsAdd() {
        TimerLateness a = new TimerLateness();
        TimerLateness b = new TimerLateness();
        SplittableRandom r = new SplittableRandom(MASTER_SEED);
        for (int i = 0; i < 500; i++) {
            a.record(r.nextLong(6_000 * MS), r.nextLong(70 * MS));
            b.record(r.nextLong(6_000 * MS), r.nextLong(3 * MS));
        }
        assertEquals(a, TimerLateness.decode(a.encode()));
        assertEquals(new TimerLateness(), TimerLateness.decode(""));
        TimerLateness sum = TimerLateness.decode(a.encode());
        sum.add(b);
        assertEquals(1_000, sum.count());
        long[] cells = sum.cells();
        long[] ca = a.cells();
        long[] cb = b.cells();
        for (int i = 0; i < cells.length; i++) {
            assertEquals(ca[i] + cb[i], cells[i], "cell " + i);
        }
        assertThrows(IllegalArgumentException.class, () -> TimerLateness.decode("3"));
        assertThrows(IllegalArgumentException.class, () -> TimerLateness.decode("99999:1"));
    }
}
