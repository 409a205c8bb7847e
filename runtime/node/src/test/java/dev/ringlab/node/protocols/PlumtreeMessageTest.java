package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.MessageCodec;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Plumtree's announcements at their limits: 1 and {@link PlumtreeMessage#MAX_ANNOUNCEMENTS} entries pass,
 * 0 and one more do not; id, origin and hop 0 are valid, a negative one anywhere is not; value equality
 * over the three arrays (a set of announcements must not merge different ones).
 */
class PlumtreeMessageTest {

    private static PlumtreeMessage.IHave ihave(int count, long idBase) {
        long[] ids = new long[count];
        int[] origins = new int[count];
        int[] hops = new int[count];
        for (int i = 0; i < count; i++) {
            ids[i] = idBase + i;
            origins[i] = i % 7;
            hops[i] = i % 5;
        }
        return new PlumtreeMessage.IHave(ids, origins, hops);
    }

    @Test
    void anAnnouncementCarriesOneToMaxEntriesWithNonNegativeFieldsAndRoundTrips() {
        int max = PlumtreeMessage.MAX_ANNOUNCEMENTS;
        assertDoesNotThrow(() -> ihave(1, 0));
        PlumtreeMessage.IHave full = ihave(max, 0);
        assertEquals(full, MessageCodec.decode(MessageCodec.encode(full)), "the largest announcement round-trips");
        assertTrue(MessageCodec.encodedSize(full) <= MessageCodec.MAX_FRAME_BYTES);
        assertThrows(IllegalArgumentException.class, () -> ihave(max + 1, 0));
        assertThrows(IllegalArgumentException.class, () -> ihave(0, 0));
        assertDoesNotThrow(() -> new PlumtreeMessage.IHave(new long[] {0}, new int[] {0}, new int[] {0}));
        assertThrows(IllegalArgumentException.class, () -> new PlumtreeMessage.IHave(new long[2], new int[2], new int[3]));
        assertThrows(IllegalArgumentException.class, () -> new PlumtreeMessage.IHave(new long[2], new int[3], new int[2]));
        SplittableRandom r = new SplittableRandom(0x1AAE_0001L);
        for (int c = 0; c < 50; c++) {
            int count = 2 + r.nextInt(10);
            int at = r.nextInt(count);
            int field = r.nextInt(3);
            long[] ids = new long[count];
            int[] origins = new int[count];
            int[] hops = new int[count];
            switch (field) {
                case 0 -> ids[at] = -1 - r.nextInt(5);
                case 1 -> origins[at] = -1 - r.nextInt(5);
                default -> hops[at] = -1 - r.nextInt(5);
            }
            assertThrows(IllegalArgumentException.class, () -> new PlumtreeMessage.IHave(ids, origins, hops),
                    "negative field " + field + " at " + at + " of " + count + " (case " + c + ")");
        }
    }

    @Test
    void announcementsAreEqualExactlyWhenAllThreeArraysAre() {
        PlumtreeMessage.IHave a = ihave(3, 10);
        PlumtreeMessage.IHave same = ihave(3, 10);
        assertEquals(a, same);
        assertEquals(a.hashCode(), same.hashCode());
        assertNotEquals(a, ihave(3, 11), "other ids");
        assertNotEquals(a, new PlumtreeMessage.IHave(a.ids(), new int[] {1, 1, 2}, a.hops()), "other origins");
        assertNotEquals(a, new PlumtreeMessage.IHave(a.ids(), a.origins(), new int[] {0, 1, 3}), "other hops");
        assertNotEquals(a, new PlumtreeMessage.Prune(0));
        Set<PlumtreeMessage.IHave> set = new HashSet<>();
        for (int i = 0; i < 20; i++) {
            set.add(ihave(1 + i % 4, i));
        }
        assertEquals(20, set.size(), "twenty different announcements kept apart in a hash set");
        assertTrue(set.stream().mapToInt(Object::hashCode).distinct().count() >= 15, "hash codes spread");
        assertEquals("IHave[3 ids, first 10]", a.toString());
    }
}
