package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Station holds as users write them: each unit's shortest exact text, fractional durations, the largest
 * duration accepted, and specs that print back to what they parse from.
 */
class DelaySpecFormsTest {
    static final long MS = 1_000_000L;

    @Test
    void eachHoldPrintsInItsLargestExactUnit() {
        assertEquals("0ns", DelaySpec.fixed(0).spec());
        assertEquals("7ns", DelaySpec.fixed(7).spec());
        assertEquals("3us", DelaySpec.fixed(3_000).spec());
        assertEquals("1001us", DelaySpec.fixed(1_001_000).spec());
        assertEquals("5ms", DelaySpec.fixed(5 * MS).spec());
        assertEquals("1500ms", DelaySpec.fixed(1_500 * MS).spec());
        assertEquals("2s", DelaySpec.fixed(2_000 * MS).spec());
        assertEquals("uniform:250us,3s", DelaySpec.uniform(250_000, 3_000 * MS).spec());
        assertEquals("uniform:0ns,1ms", DelaySpec.uniform(0, MS).toString());
        assertEquals("2s", DelaySpec.fixed(2_000 * MS).toString());
    }

    @Test
    void fractionalDurationsRoundToTheNanosecond() {
        assertEquals(1_500_000, DelaySpec.parse("1.5ms").loNanos());
        assertEquals(2_500, DelaySpec.parse("const:2.5us").loNanos());
        assertEquals(DelaySpec.uniform(500_000, 1_250 * MS), DelaySpec.parse("uniform:0.5ms,1.25s"));
        assertEquals(2, DelaySpec.parse("1.6ns").loNanos());
        assertThrows(IllegalArgumentException.class, () -> DelaySpec.parse("9999999999999.5s"));
    }

    @Test
    void theLongestHoldIsAQuarterOfTheLongRange() {
        long max = Long.MAX_VALUE / 4;
        assertEquals(max, DelaySpec.parse(max + "ns").loNanos());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DelaySpec.parse((max + 1) + "ns"));
        assertTrue(e.getMessage().contains("too long"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> DelaySpec.parse("99999999999999999999s"));
    }

    @Test
    void everyHoldPrintsBackToItself() {
        SplittableRandom r = new SplittableRandom(0xDE1A_0001L);
        long[] units = {1, 1_000, MS, 1_000 * MS};
        for (int c = 0; c < 300; c++) {
            long lo = r.nextLong(1, 5_000) * units[r.nextInt(4)];
            long hi = lo + r.nextLong(0, 5_000) * units[r.nextInt(4)];
            DelaySpec d = r.nextBoolean() ? DelaySpec.fixed(lo) : DelaySpec.uniform(lo, hi);
            assertEquals(d, DelaySpec.parse(d.spec()), d.spec() + " (case " + c + ")");
            assertTrue(d.spec().length() <= 32, d.spec());
        }
    }
}
