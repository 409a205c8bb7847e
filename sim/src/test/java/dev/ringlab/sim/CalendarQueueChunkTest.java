package dev.ringlab.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The calendar queue's chunked buckets: unsorted buckets larger than a chunk sort stably, and chunks are
 * recycled so a steady flow of events does not grow the pages.
 */
class CalendarQueueChunkTest {

    @Test
    void anUnsortedBucketOfManyChunksLeavesInTimeThenSeqOrder() {
        SplittableRandom r = new SplittableRandom(42);
        CalendarQueue q = new CalendarQueue(1_000_000, 64);
        long width = q.bucketWidthNanos();
        int n = 20 * CalendarQueue.CHUNK + 7;
        long base = 3 * width; // a bucket that is not current: it is sorted when reached
        long[] keys = new long[n];
        for (int i = 0; i < n; i++) {
            long t = base + r.nextLong(Math.min(width, 50)); // few distinct times: many ties
            q.push(t, i, ~i, "e" + i);
            keys[i] = (t - base) << 32 | i;
        }
        Arrays.sort(keys);
        for (int i = 0; i < n; i++) {
            int id = (int) keys[i];
            q.pop();
            assertEquals(id, q.a(), "pop " + i);
            assertEquals(~id, q.b(), "pop " + i);
            assertEquals("e" + id, q.ref(), "pop " + i);
            assertEquals(base + (keys[i] >>> 32), q.time(), "pop " + i);
        }
        assertTrue(q.isEmpty());
        assertEquals(0, q.overflowSize());
    }

    @Test
    void waveAfterWaveReusesTheSameChunks() {
        CalendarQueue q = new CalendarQueue(1_000_000, 1 << 16);
        int wave = 100_000;
        for (int i = 0; i < wave; i++) {
            q.push(1_000_000, i, 0, null);
        }
        long footprint = 0;
        long now = 1_000_000;
        for (int w = 0; w < 20; w++) {
            // Pop the whole wave, each pop pushing its successor one latency later (a constant-latency relay).
            for (int i = 0; i < wave; i++) {
                q.pop();
                assertEquals(now, q.time());
                assertEquals(w * wave + i, q.a(), "wave " + w + " pop " + i);
                q.push(now + 1_000_000, (w + 1) * wave + i, 0, null);
            }
            now += 1_000_000;
            if (w == 1) {
                footprint = q.footprintBytes();
            } else if (w > 1) {
                assertEquals(footprint, q.footprintBytes(), "wave " + w + ": pages grew although pending stayed at " + wave);
            }
        }
        assertEquals(wave, q.size());
    }

    /**
     * A bucket that empties and a bucket sorted when it becomes current each give their chunks back (a PIT run found
     * that removing either return went unnoticed: one chunk a round fills a page only after 128 rounds).
     */
    @Test
    void emptiedAndSortedBucketsGiveTheirChunksBack() {
        CalendarQueue q = new CalendarQueue(1_000_000, 1 << 16);
        long width = q.bucketWidthNanos();
        long now = 0;
        long footprint = 0;
        int rounds = 400;
        for (int round = 0; round < rounds; round++) {
            long t = (now / width + 3) * width; // a bucket's start: t + 1 and t + 5 share the bucket
            q.push(t + 5, 2 * round + 1, 0, null);
            q.push(t + 1, 2 * round, 0, null); // before the bucket's tail: the bucket is sorted when reached
            q.pop();
            assertEquals(2 * round, q.a(), "round " + round);
            assertEquals(t + 1, q.time(), "round " + round);
            q.pop();
            assertEquals(2 * round + 1, q.a(), "round " + round);
            now = q.time();
            if (round == 10) {
                footprint = q.footprintBytes();
            } else if (round > 10) {
                assertEquals(footprint, q.footprintBytes(), "round " + round + ": pages grew with the queue empty");
            }
        }
        assertTrue(q.isEmpty());
        assertEquals(rounds, q.bucketSorts(), "every round sorted its bucket");
        assertEquals(0, q.overflowSize(), "no event took the overflow heap");
    }

    /**
     * A relay with spread-out latencies (1-10 ms, as {@code uniform:1ms,10ms}) at the bucket count of a 10^6-node
     * cluster: most pushes land beyond the window, in coarse buckets that are spread over the fine ones when
     * reached. Pops must match the binary heap's, event for event, with many ties in time.
     */
    @Test
    void spreadOutLatenciesPassThroughCoarseBucketsInOrder() {
        for (long seed = 1; seed <= 3; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            CalendarQueue cal = new CalendarQueue(10_000_000, 1 << 20);
            BinaryHeapQueue heap = new BinaryHeapQueue(1024);
            int id = 0;
            for (; id < 2_000; id++) {
                long t = 1_000_000 + r.nextLong(9_000_001) / 7 * 7; // multiples of 7 ns: ties
                cal.push(t, id, 0, null);
                heap.push(t, id, 0, null);
            }
            int pops = 0;
            while (!heap.isEmpty()) {
                assertEquals(heap.peekTime(), cal.peekTime(), "seed " + seed + " pop " + pops);
                heap.pop();
                cal.pop();
                pops++;
                if (heap.a() != cal.a() || heap.time() != cal.time()) {
                    assertEquals(heap.a() + "@" + heap.time(), cal.a() + "@" + cal.time(), "seed " + seed + " pop " + pops);
                }
                if (id < 300_000) {
                    int fanout = r.nextInt(4);
                    for (int k = 0; k < fanout; k++, id++) {
                        long t = heap.time() + 1_000_000 + r.nextLong(9_000_001) / 7 * 7;
                        cal.push(t, id, 0, null);
                        heap.push(t, id, 0, null);
                    }
                }
            }
            assertTrue(pops > 250_000, "seed " + seed + ": only " + pops + " pops");
            assertTrue(cal.isEmpty());
            // Every push lands at least 1 ms ahead, beyond the 65 us window: all arrive through the spreading.
            assertEquals(0, cal.bucketSorts(), "seed " + seed + ": fine buckets sorted after the spreading");
        }
    }

    /**
     * A window as wide as the span allows (few buckets, latencies near the 2^31 ns cap): its time offsets run
     * to 29 bits, so the radix sort that spreads a coarse bucket takes four 8-bit passes, and ties, equal top
     * digits and equal low digits all occur. Pops must match the binary heap's, event for event, and no fine
     * bucket needs sorting afterwards (an unsorted one would still leave in order, sorted when reached, so
     * order alone would not show a missing digit).
     */
    @Test
    void aWideWindowSpreadsInTimeThenSeqOrderOverEveryRadixDigit() {
        for (long seed = 1; seed <= 4; seed++) {
            SplittableRandom r = new SplittableRandom(seed);
            CalendarQueue cal = new CalendarQueue(1L << 30, 64);
            BinaryHeapQueue heap = new BinaryHeapQueue(64);
            long window = cal.bucketWidthNanos() * 16; // 16 fine buckets (a quarter of 64) per window
            assertTrue(window >= 1L << 28, "window of " + window + " ns: too narrow to need four digits");
            int id = 0;
            for (; id < 3_000; id++) {
                long t = window + switch (r.nextInt(4)) {
                    case 0 -> r.nextLong(window);             // anywhere in the second window
                    case 1 -> r.nextLong(16) << 24;           // only the top digit differs
                    case 2 -> r.nextLong(256);                // only the lowest digit differs
                    default -> 12_345;                        // one time: ties
                };
                cal.push(t, id, ~id, null);
                heap.push(t, id, ~id, null);
            }
            int pops = 0;
            while (!heap.isEmpty()) {
                heap.pop();
                cal.pop();
                pops++;
                if (heap.a() != cal.a() || heap.time() != cal.time()) {
                    assertEquals(heap.a() + "@" + heap.time(), cal.a() + "@" + cal.time(), "seed " + seed + " pop " + pops);
                }
                assertEquals(~cal.a(), cal.b(), "seed " + seed + " pop " + pops);
            }
            assertEquals(id, pops, "seed " + seed);
            assertTrue(cal.isEmpty());
            assertEquals(0, cal.overflowSize(), "seed " + seed + ": events took the overflow heap, not the calendar");
            // The spreading sorted every digit: no fine bucket was left for a comparison sort.
            assertEquals(0, cal.bucketSorts(), "seed " + seed + ": fine buckets sorted after the spreading");
        }
    }
}
