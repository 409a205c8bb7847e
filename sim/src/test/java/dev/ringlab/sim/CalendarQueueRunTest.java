package dev.ringlab.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The calendar queue's run: a window opened from a coarse bucket leaves in (time, seq) order from its sorted keys,
 * and events pushed into the window's fine buckets after it opened interleave with the run by time, after the
 * run's events of the same time (those were pushed first). The prefetch hint names the events in the order they
 * leave, stopping where the other side's next event comes first: a hint that skipped one would cost only speed,
 * so order alone would not show it. The cases are the ones a PIT run over the queue tests found unchecked: the
 * inlined pop taking a fine bucket's head while a run is open, the first look at a run that opens after a fine
 * bucket, and a hint of more than one fine-bucket event.
 */
class CalendarQueueRunTest {

    @Test
    void fineBucketEventsPushedAfterTheWindowOpenedInterleaveWithItsRunByTimeThenSeq() {
        CalendarQueue q = new CalendarQueue(10_000_000, 1 << 20);
        long width = q.bucketWidthNanos();
        long window = width * CalendarQueue.WINDOW_BUCKETS;
        assertEquals(512, width, "bucket width for a 10 ms bound at 2^16 buckets");
        long base = 10 * window; // a later window: its events wait in a coarse bucket until it opens
        q.push(base + 100, 0, ~0, "e0");
        q.push(base + 5_000, 1, ~1, "e1");
        q.push(base + 5_000, 2, ~2, "e2");
        q.push(base + 5_150, 8, ~8, "e8");
        q.push(base + 5_160, 9, ~9, "e9");
        q.push(base + 5_300, 3, ~3, "e3");
        q.push(base + 20_000, 4, ~4, "e4");

        popExpect(q, 0, base + 100);
        // Pushed into the open window: fine buckets 9 (4,608-5,120 ns) and 10 (5,120-5,632 ns) of the window.
        q.push(base + 5_000, 5, ~5, "e5"); // ties with e1 and e2, which were pushed first
        q.push(base + 5_200, 6, ~6, "e6");
        q.push(base + 5_250, 10, ~10, "e10");
        q.push(base + 5_300, 15, ~15, "e15"); // ties with the run's e3, which was pushed first
        q.push(base + 5_500, 7, ~7, "e7"); // same fine bucket as e6, e10 and e15, after the run's e3
        assertEquals(11, q.size());

        assertHint(q, 1, 2); // the run, up to the fine buckets' e5 (a tie: the run's go first)
        popExpect(q, 1, base + 5_000);
        popExpect(q, 2, base + 5_000);
        assertHint(q, 5); // fine bucket 9, before the run's e8
        popExpect(q, 5, base + 5_000);
        assertHint(q, 8, 9); // the run up to fine bucket 10's e6
        popExpect(q, 8, base + 5_150);
        popExpect(q, 9, base + 5_160); // not e6, at the head of the fine bucket the queue now looks at
        assertHint(q, 6, 10); // fine bucket 10 up to the run's e3: e15 ties with it and comes after it
        popExpect(q, 6, base + 5_200);
        popExpect(q, 10, base + 5_250);
        assertHint(q, 3); // the run up to e15
        popExpect(q, 3, base + 5_300);
        assertHint(q, 15, 7); // fine bucket 10, before the run's e4
        popExpect(q, 15, base + 5_300);
        popExpect(q, 7, base + 5_500);
        assertHint(q, 4); // the run's last
        assertEquals(base + 20_000, q.peekTime());
        popExpect(q, 4, base + 20_000);
        assertTrue(q.isEmpty());

        // A window reached from a fine bucket: the first look after it opens (here a peek) sees the run's head.
        q.push(base + 20_100, 11, ~11, "e11"); // the current window, one fine bucket
        q.push(base + 20_200, 12, ~12, "e12");
        q.push(base + 2 * window + 3_000, 14, ~14, "e14"); // a later window, two fine buckets: a run
        q.push(base + 2 * window + 1_000, 13, ~13, "e13");
        assertHint(q, 11, 12);
        popExpect(q, 11, base + 20_100);
        popExpect(q, 12, base + 20_200);
        assertEquals(base + 2 * window + 1_000, q.peekTime(), "peek as the run opens");
        assertHint(q, 13, 14);
        popExpect(q, 13, base + 2 * window + 1_000);
        popExpect(q, 14, base + 2 * window + 3_000);
        assertTrue(q.isEmpty());
        assertEquals(0, q.overflowSize(), "no event took the overflow heap");
        assertEquals(0, q.bucketSorts(), "no fine bucket needed a sort");

        // The window's chain goes back to the free list with its run's last event: window after window of 1,000
        // events (four chunks each; 128 chunks to a page) keeps the same pages.
        long footprint = 0;
        for (int w = 0; w < 50; w++) {
            long start = base + (3 + w) * window;
            for (int i = 0; i < 1_000; i++) {
                q.push(start + window + 7L * i, 100 + i, ~(100 + i), null); // the next window: a coarse bucket
            }
            for (int i = 0; i < 1_000; i++) {
                popExpect(q, 100 + i, start + window + 7L * i);
            }
            if (w == 1) {
                footprint = q.footprintBytes();
            } else if (w > 1) {
                assertEquals(footprint, q.footprintBytes(), "window " + w + ": pages grew, each run used up");
            }
        }
    }

    private static void popExpect(CalendarQueue q, int id, long time) {
        q.pop();
        assertEquals(id, q.a(), "popped id");
        assertEquals(~id, q.b(), "second int of " + id);
        assertEquals(time, q.time(), "time of " + id);
        if (id < 100) {
            assertEquals("e" + id, q.ref(), "ref of " + id);
        }
    }

    private static void assertHint(CalendarQueue q, int... ids) {
        int[] slots = new int[16];
        int[] as = new int[16];
        int[] bs = new int[16];
        int k = q.upcoming(slots, as, bs, 0);
        assertArrayEquals(ids, Arrays.copyOf(as, k), "hint " + Arrays.toString(Arrays.copyOf(as, k)));
        for (int j = 0; j < k; j++) {
            assertEquals(~as[j], bs[j], "hint " + j + " second int");
            assertEquals("e" + as[j], q.slotRef(slots[j]), "hint " + j + " slot");
        }
    }
}
