package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.protocols.DeltaMessage.Entry;
import dev.ringlab.node.protocols.DeltaStore.Origin;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link DeltaStore}'s contract piece by piece: what a merge reports as learned (the delta cache resends and
 * counts on it), folding and its result, release of single increments and summaries, the sizes and sums, the
 * dots text both ways; and {@link DeltaMessage}'s entry and query checks at their boundaries, with an entry's
 * value semantics (copies in and out, equality, hashing).
 */
class DeltaStoreTest {
    private static final Origin A = new Origin(1, 7);

    private static Entry summary(int node, long inc, long upTo, long plus, long minus, long... seqAmount) {
        long[] seqs = new long[seqAmount.length / 2];
        long[] amounts = new long[seqs.length];
        for (int i = 0; i < seqs.length; i++) {
            seqs[i] = seqAmount[2 * i];
            amounts[i] = seqAmount[2 * i + 1];
        }
        return new Entry(node, inc, upTo, plus, minus, seqs, amounts);
    }

    @Test
    void aMergeSaysWhetherItLearnedSomething() {
        DeltaStore s = new DeltaStore();
        assertTrue(s.isEmpty());
        assertTrue(s.merge(Entry.single(1, 7, 1, 5)), "a new increment");
        assertFalse(s.isEmpty());
        assertFalse(s.merge(Entry.single(1, 7, 1, 5)), "the same increment again");
        assertTrue(s.merge(Entry.single(1, 7, 2, -3)), "the next one");
        Entry sum = summary(1, 7, 2, 5, 3);
        assertTrue(s.merge(sum), "a summary covering both is a summary the store did not have");
        assertFalse(s.merge(sum), "the same summary again");
        assertFalse(s.merge(Entry.single(1, 7, 2, -3)), "an increment the summary covers");
        assertFalse(s.merge(summary(1, 7, 1, 5, 0)), "a smaller summary");
        assertEquals(2, s.value());
        assertEquals(1, s.summaryCount());
        assertEquals(0, s.looseCount());
        // An empty-looking entry (upTo 0, nothing loose) leaves no trace.
        assertFalse(s.merge(summary(9, 1, 0, 0, 0)));
        assertEquals(List.of(A), s.origins());
    }

    @Test
    void mergeAllSaysWhetherAnyEntryTaught() {
        DeltaStore s = new DeltaStore();
        s.merge(Entry.single(1, 7, 1, 5));
        assertFalse(s.mergeAll(List.of()));
        assertFalse(s.mergeAll(List.of(Entry.single(1, 7, 1, 5))));
        assertTrue(s.mergeAll(List.of(Entry.single(1, 7, 1, 5), Entry.single(2, 0, 1, 1))), "the second is new");
        assertTrue(s.mergeAll(List.of(Entry.single(3, 0, 1, 1), Entry.single(2, 0, 1, 1))), "the first is new");
        assertFalse(s.mergeAll(List.of(Entry.single(3, 0, 1, 1), Entry.single(2, 0, 1, 1))));
    }

    @Test
    void foldingSaysWhetherItFoldedAndFoldsOnlyAGapFreeRun() {
        DeltaStore s = new DeltaStore();
        s.merge(Entry.single(1, 7, 1, 4));
        assertFalse(s.fold(), "a lone increment 1 stays single: its summary would be larger");
        assertEquals(1, s.looseCount());
        s.merge(Entry.single(1, 7, 2, -6));
        s.merge(Entry.single(1, 7, 4, 9));
        assertTrue(s.fold());
        assertEquals(summary(1, 7, 2, 4, 6, 4, 9), s.entry(A), "1..2 folded, 4 waits for 3");
        assertFalse(s.fold(), "nothing more to fold");
        s.merge(Entry.single(1, 7, 3, 1));
        assertTrue(s.fold());
        assertEquals(summary(1, 7, 4, 14, 6), s.entry(A));
        assertEquals(8, s.value());
        assertEquals(14, s.plus());
        assertEquals(6, s.minus());
        assertEquals(DeltaStore.SUMMARY_BYTES, s.bytes());
    }

    @Test
    void aReleaseDropsSingleIncrementsAndSummariesUpToItsBound() {
        DeltaStore s = new DeltaStore();
        s.merge(Entry.single(1, 7, 1, 4));
        s.release(A, 1);
        assertTrue(s.isEmpty(), "a lone increment released");
        assertNull(s.entry(A));
        assertEquals(List.of(), s.origins());

        s.merge(Entry.single(1, 7, 2, 4));
        s.merge(Entry.single(1, 7, 3, 5));
        s.merge(Entry.single(1, 7, 5, 6));
        s.release(A, 3);
        assertEquals(summary(1, 7, 0, 0, 0, 5, 6), s.entry(A), "2 and 3 dropped, 5 kept");
        s.release(new Origin(1, 8), 10);
        assertEquals(6, s.value(), "another incarnation's release drops nothing");

        DeltaStore f = new DeltaStore();
        f.merge(summary(1, 7, 5, 10, 0, 7, 2));
        f.release(A, 4);
        assertEquals(summary(1, 7, 5, 10, 0, 7, 2), f.entry(A), "a summary beyond the bound stays");
        f.release(A, 5);
        assertEquals(summary(1, 7, 0, 0, 0, 7, 2), f.entry(A));
        assertEquals(2, f.value());
        f.release(A, 7);
        assertTrue(f.isEmpty());
    }

    @Test
    void sumsCountPositiveAndNegativeIncrementsApart() {
        DeltaStore s = new DeltaStore();
        s.merge(Entry.single(1, 7, 1, 1));
        s.merge(Entry.single(1, 7, 2, -1));
        s.merge(Entry.single(2, 0, 5, -9));
        s.merge(summary(3, 0, 3, 6, 2));
        assertEquals(7, s.plus());
        assertEquals(12, s.minus());
        assertEquals(-5, s.value());
        assertEquals(3, s.looseCount());
        assertEquals(1, s.summaryCount());
        assertEquals(3L * DeltaStore.DELTA_BYTES + DeltaStore.SUMMARY_BYTES, s.bytes());
        assertTrue(s.contains(new Origin(3, 0), 3));
        assertFalse(s.contains(new Origin(3, 0), 4));
        assertTrue(s.contains(new Origin(2, 0), 5));
        assertFalse(s.contains(new Origin(2, 0), 4));
        assertFalse(s.contains(new Origin(4, 0), 1));
    }

    @Test
    void dotsTextParsesBackToTheSameIncrements() {
        assertTrue(DeltaStore.parseDots("").isEmpty());
        DeltaStore s = new DeltaStore();
        s.merge(summary(3, 9, 4, 6, 2, 6, 1, 8, -2));
        s.merge(Entry.single(1, 7, 2, 5));
        assertEquals("1/7:0,2;3/9:4,6,8", s.dots());
        assertEquals("DeltaStore[1/7:0,2;3/9:4,6,8]", s.toString());
        DeltaStore back = DeltaStore.parseDots(s.dots());
        assertEquals(s.dots(), back.dots());
        assertTrue(back.contains(new Origin(3, 9), 4));
        assertTrue(back.contains(new Origin(3, 9), 8));
        assertFalse(back.contains(new Origin(3, 9), 7));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DeltaStore.parseDots("3-9:4"));
        assertTrue(e.getMessage().contains("bad dots '3-9:4'"), e.getMessage());
    }

    @Test
    void entriesAreCheckedAtTheirBoundaries() {
        assertThrows(IllegalArgumentException.class, () -> summary(1, 7, 3, 1, 1, 3, 1), "a loose seq equal to upTo");
        assertThrows(IllegalArgumentException.class, () -> summary(1, 7, 0, 0, 0, 2, 1, 2, 1), "a repeated seq");
        assertThrows(IllegalArgumentException.class, () -> summary(1, 7, 0, 0, 0, 2, 0), "an amount of 0");
        assertThrows(IllegalArgumentException.class, () -> summary(1, 7, 0, 0, 0, 2, Long.MIN_VALUE));
        assertThrows(IllegalArgumentException.class, () -> summary(-1, 7, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> summary(1, 7, -1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Entry(1, 7, 0, 0, 0, new long[1], new long[2]));
        summary(0, 0, 0, 0, 0, 1, -1); // node 0, seq 1: the least
        // Queries: root 0 and a zero budget (a leaf with no time left) are valid; below is not.
        assertEquals(0, new DeltaMessage.Query(0, 1, 2, 0, false, false).budgetNanos());
        assertThrows(IllegalArgumentException.class, () -> new DeltaMessage.Query(-1, 1, 2, 0, false, false));
        assertThrows(IllegalArgumentException.class, () -> new DeltaMessage.Query(0, 1, 2, -1, false, false));
    }

    @Test
    void anEntryIsAValueItsArraysAreCopiesAndItsHashSeparatesDifferentEntries() {
        long[] seqs = {3, 5};
        long[] amounts = {2, -4};
        Entry e = new Entry(1, 7, 2, 3, 1, seqs, amounts);
        seqs[0] = 4;
        amounts[0] = 9;
        assertArrayEquals(new long[] {3, 5}, e.seqs(), "copied in");
        assertArrayEquals(new long[] {2, -4}, e.amounts(), "copied in");
        e.seqs()[0] = 4;
        e.amounts()[0] = 9;
        assertArrayEquals(new long[] {3, 5}, e.seqs(), "copied out");
        assertArrayEquals(new long[] {2, -4}, e.amounts(), "copied out");
        Entry same = summary(1, 7, 2, 3, 1, 3, 2, 5, -4);
        assertEquals(e, same);
        assertEquals(e.hashCode(), same.hashCode());
        assertEquals("Entry[1/7 upTo=2 +3 -1 loose=[3, 5]]", e.toString());
        List<Entry> others = List.of(summary(2, 7, 2, 3, 1, 3, 2, 5, -4), summary(1, 8, 2, 3, 1, 3, 2, 5, -4),
                summary(1, 7, 1, 3, 1, 3, 2, 5, -4), summary(1, 7, 2, 4, 1, 3, 2, 5, -4), summary(1, 7, 2, 3, 2, 3, 2, 5, -4),
                summary(1, 7, 2, 3, 1, 3, 2, 6, -4), summary(1, 7, 2, 3, 1, 3, 2, 5, -5), summary(1, 7, 2, 3, 1, 3, 2));
        for (Entry o : others) {
            assertNotEquals(e, o, o.toString());
        }
        assertNotEquals(e, "Entry[1/7 upTo=2 +3 -1 loose=[3, 5]]");
        // A hash that folds different entries together would make every hashed collection of them a list.
        SplittableRandom r = new SplittableRandom(0xE7);
        Set<Integer> hashes = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            hashes.add(summary(r.nextInt(50), r.nextLong(100), 0, 0, 0, 1 + r.nextInt(50), 1 + r.nextInt(9)).hashCode());
        }
        assertTrue(hashes.size() > 90, hashes.size() + " distinct hashes of 100 random entries");
    }
}
