package dev.ringlab.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LongSetTest {
    private static final long MASTER_SEED = 0x10D5E7L;

    @Test
    void behavesLikeAHashSetForRandomOperationSequences() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED);
        for (int c = 0; c < 300; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            LongSet set = new LongSet();
            Set<Long> reference = new HashSet<>();
            int ops = 1 + r.nextInt(400);
            // Small ranges force repeats, large ones force growth; both cross the inline-to-table switch.
            long range = r.nextBoolean() ? 1 + r.nextInt(8) : 1 + r.nextLong(1L << 40);
            for (int k = 0; k < ops; k++) {
                long v = r.nextLong(range);
                if (r.nextInt(3) == 0) {
                    assertEquals(reference.contains(v), set.contains(v), "contains(" + v + "), case seed " + seed);
                } else {
                    assertEquals(reference.add(v), set.add(v), "add(" + v + "), case seed " + seed);
                }
                assertEquals(reference.size(), set.size(), "size, case seed " + seed);
            }
            for (long v : reference) {
                assertEquals(true, set.contains(v), "lost " + v + ", case seed " + seed);
            }
        }
    }

    @Test
    void rejectsNegativeValuesAndNeverContainsThem() {
        LongSet set = new LongSet();
        assertThrows(IllegalArgumentException.class, () -> set.add(-1));
        assertFalse(set.contains(-1));
        assertFalse(set.contains(0));
    }
}
