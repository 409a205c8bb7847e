package dev.ringlab.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SeenFilterTest {
    /**
     * Seeded random marks, clears and lookups against a model that remembers every mark: the filter never says a
     * node is marked for a broadcast unless it was marked for it after its last clear (a wrong yes would keep a
     * message from a node that wanted it); and a broadcast that had a slot when it was marked is found.
     */
    @Test
    void itNeverReportsAMarkThatWasNotMadeOrWasCleared() {
        long master = 0x5EE7L;
        SplittableRandom seeds = new SplittableRandom(master);
        int hits = 0;
        for (int c = 0; c < 200; c++) {
            long seed = seeds.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 1 + r.nextInt(300);
            int ids = 1 + r.nextInt(2 * SeenFilter.SLOTS + 2);
            SeenFilter f = new SeenFilter(n);
            Map<Long, BitSet> marked = new HashMap<>();
            long deliveries = 0;
            for (int op = 0; op < 3_000; op++) {
                deliveries += r.nextInt(4);
                long id = r.nextInt(ids);
                int v = r.nextInt(n);
                int kind = r.nextInt(10);
                if (kind < 4) {
                    f.mark(id, v, deliveries);
                    marked.computeIfAbsent(id, k -> new BitSet()).set(v);
                    if (ids <= SeenFilter.SLOTS) {
                        // Never more ids than slots: every id keeps its slot, so each mark is found.
                        assertTrue(f.has(id, v),
                                "case " + c + " (seed " + seed + ", master " + master + "): a mark is lost");
                    }
                } else if (kind == 4) {
                    f.clear(v);
                    marked.values().forEach(b -> b.clear(v));
                } else {
                    boolean has = f.has(id, v);
                    boolean made = marked.containsKey(id) && marked.get(id).get(v);
                    assertTrue(!has || made, "case " + c + " (seed " + seed + ", master " + master + "): node " + v
                            + " reported marked for " + id + " without a mark since its last clear");
                    if (has) {
                        hits++;
                    }
                }
            }
        }
        assertTrue(hits > 10_000, "the lookups found few marks: " + hits);
    }

    /**
     * A fifth broadcast takes the slot least recently marked once that slot has had no mark for n deliveries, and
     * not before: until then it goes untracked (its copies reach the nodes).
     */
    @Test
    void aNewBroadcastTakesTheStalestSlotOnlyAfterNDeliveries() {
        int n = 100;
        SeenFilter f = new SeenFilter(n);
        for (int id = 0; id < SeenFilter.SLOTS; id++) {
            f.mark(id, 7, 10 + id);
        }
        f.mark(99, 7, 10 + n - 1); // every slot marked within the last n deliveries
        assertFalse(f.has(99, 7), "untracked while every slot is fresh");
        for (int id = 0; id < SeenFilter.SLOTS; id++) {
            assertTrue(f.has(id, 7), "broadcast " + id + " keeps its slot");
        }
        f.mark(99, 7, 10 + n);
        assertTrue(f.has(99, 7), "tracked once the stalest slot (broadcast 0) is n deliveries old");
        assertFalse(f.has(0, 7), "broadcast 0 lost its slot");
        assertTrue(f.has(1, 7), "broadcast 1 kept its slot");
        assertFalse(f.has(99, 8), "the taken slot starts empty");
        f.clear(7);
        assertFalse(f.has(99, 7), "a cleared node");
        assertEquals(false, f.has(1, 7), "a cleared node, in every slot");
    }
}
