package dev.ringlab.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Every queue kind pops exactly (time, seq) order, checked against a brute-force reference on random
 * workloads: many cases drawn from one master seed, the failing case's seed in the message.
 */
class EventQueueOrderTest {
    private static final long MASTER_SEED = 0x0DDBA11L;
    private static final int CASES = 250;

    /** The reference: pending (time, seq, id); pop scans for the minimum. */
    private static final class Reference {
        final List<long[]> pending = new ArrayList<>();
        long seq;

        void push(long time, int id) {
            pending.add(new long[] {time, seq++, id});
        }

        long[] pop() {
            int best = 0;
            for (int i = 1; i < pending.size(); i++) {
                long[] e = pending.get(i);
                long[] b = pending.get(best);
                if (e[0] < b[0] || (e[0] == b[0] && e[1] < b[1])) {
                    best = i;
                }
            }
            return pending.remove(best);
        }
    }

    @Test
    void everyQueueKindPopsInTimeThenSeqOrderForRandomWorkloads() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED);
        long calendarHints = 0;
        for (int c = 0; c < CASES; c++) {
            long caseSeed = master.nextLong();
            for (QueueKind kind : QueueKind.values()) {
                long hints = runCase(caseSeed, kind);
                if (kind == QueueKind.CALENDAR) {
                    calendarHints += hints;
                }
            }
        }
        assertTrue(calendarHints > 10_000, "the calendar's prefetch hint named only " + calendarHints + " events");
    }

    /** One random workload on {@code kind}; returns how many events its prefetch hints named. */
    private static long runCase(long caseSeed, QueueKind kind) {
        SplittableRandom r = new SplittableRandom(caseSeed);
        long maxLatency = switch (r.nextInt(5)) {
            case 0 -> 0;
            case 1 -> 1 + r.nextInt(16);
            case 2 -> 1_000_000;
            case 3 -> 2_000_000_000L + r.nextLong(4_000_000_000L); // beyond the 2^31 ns cap on the ring's span
            default -> 1 + r.nextLong(50_000_000);
        };
        int nodes = 1 << r.nextInt(18);
        EventQueue q = EventQueue.create(kind, maxLatency, nodes);
        Reference ref = new Reference();
        int ops = 50 + r.nextInt(3000);
        int nextId = 0;
        long now = 0;
        long hints = 0;
        String where = kind + " case seed " + caseSeed + " (master " + MASTER_SEED + ")";
        for (int op = 0; op < ops; op++) {
            boolean push = ref.pending.isEmpty() || r.nextInt(100) < 55;
            if (push) {
                int burst = r.nextInt(10) == 0 ? 1 + r.nextInt(40) : 1;
                for (int k = 0; k < burst; k++) {
                    long delay = switch (r.nextInt(6)) {
                        case 0 -> 0; // same instant: ties with what is being consumed
                        case 1 -> maxLatency; // constant latency: ties galore
                        case 2 -> r.nextLong(maxLatency + 1);
                        case 3 -> maxLatency + 1 + r.nextLong(4 * maxLatency + 10); // beyond the ring
                        case 4 -> r.nextInt(3) * Math.max(1, maxLatency / 2);
                        default -> r.nextInt(10) == 0 ? 1_000L * (maxLatency + 1_000) : r.nextLong(maxLatency / 4 + 1);
                    };
                    int id = nextId++;
                    q.push(now + delay, id, -id, null);
                    ref.push(now + delay, id);
                }
            } else {
                hints += checkHint(q, ref, where + ", op " + op);
                long[] expected = ref.pop();
                assertEquals(expected[0], q.peekTime(), "peek time, " + where + ", op " + op);
                q.pop();
                assertEquals(expected[2], q.a(), "popped id, " + where + ", op " + op);
                assertEquals(expected[0], q.time(), "popped time, " + where + ", op " + op);
                assertEquals(-expected[2], q.b(), "second int, " + where + ", op " + op);
                now = q.time();
            }
            assertEquals(ref.pending.size(), q.size(), "size, " + where + ", op " + op);
        }
        while (!ref.pending.isEmpty()) {
            long[] expected = ref.pop();
            q.pop();
            assertEquals(expected[2], q.a(), "draining: popped id, " + where);
        }
        assertTrue(q.isEmpty(), where);
        return hints;
    }

    /**
     * The prefetch hint ({@link EventQueue#upcoming}) names pending events in the order they will leave: it
     * steers only the simulator's prefetch, so a wrong hint would cost speed and nothing else shows it.
     */
    private static int checkHint(EventQueue q, Reference ref, String where) {
        int[] slots = new int[16];
        int[] as = new int[16];
        int[] bs = new int[16];
        int k = q.upcoming(slots, as, bs, 0);
        // A caller that has the first entries from its last call skips them: the rest are the same.
        int skip = k / 2;
        int[] slots2 = new int[16];
        int[] as2 = new int[16];
        int[] bs2 = new int[16];
        Arrays.fill(as2, 0, skip, Integer.MIN_VALUE);
        assertEquals(k, q.upcoming(slots2, as2, bs2, skip), "hint count with " + skip + " skipped, " + where);
        for (int j = 0; j < k; j++) {
            if (j < skip) {
                assertEquals(Integer.MIN_VALUE, as2[j], "skipped hint " + j + " written, " + where);
            } else {
                assertEquals(slots[j], slots2[j], "hint " + j + " with " + skip + " skipped, " + where);
                assertEquals(as[j], as2[j], "hint " + j + " with " + skip + " skipped, " + where);
                assertEquals(bs[j], bs2[j], "hint " + j + " with " + skip + " skipped, " + where);
            }
        }
        long prevTime = Long.MIN_VALUE;
        long prevSeq = -1;
        for (int j = 0; j < k; j++) {
            long[] e = null;
            for (long[] p : ref.pending) {
                if (p[2] == as[j]) {
                    e = p;
                }
            }
            assertTrue(e != null, "hint " + j + " names id " + as[j] + ", not pending, " + where);
            assertEquals(-e[2], bs[j], "hint " + j + " second int, " + where);
            assertTrue(e[0] > prevTime || (e[0] == prevTime && e[1] > prevSeq),
                    "hint " + j + " (id " + as[j] + ") out of (time, seq) order, " + where);
            prevTime = e[0];
            prevSeq = e[1];
        }
        return k;
    }

    @Test
    void pushingIntoThePastThrows() {
        for (QueueKind kind : QueueKind.values()) {
            EventQueue q = EventQueue.create(kind, 1_000, 16);
            q.push(5_000, 1, 1, null);
            q.pop();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> q.push(4_999, 2, 2, null), kind.name());
            assertTrue(e.getMessage().contains("backwards"), e.getMessage());
        }
    }

    @Test
    void aMillionEqualTimesLeaveInPushOrderFromTheCalendar() {
        EventQueue q = EventQueue.create(QueueKind.CALENDAR, 1_000_000, 1 << 20);
        int n = 1_000_000;
        for (int i = 0; i < n; i++) {
            q.push(1_000_000, i, 0, null);
        }
        for (int i = 0; i < n; i++) {
            q.pop();
            if (q.a() != i) {
                assertEquals(i, q.a(), "pop " + i);
            }
        }
        assertEquals(n, q.peakSize());
        assertEquals(0, ((CalendarQueue) q).overflowSize(), "equal times within the ring never take the heap");
    }
}
