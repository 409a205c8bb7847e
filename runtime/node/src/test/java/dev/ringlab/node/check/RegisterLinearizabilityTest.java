package dev.ringlab.node.check;

import static dev.ringlab.node.check.RegisterLinearizability.ABSENT;
import static dev.ringlab.node.check.RegisterLinearizability.UNKNOWN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.check.RegisterLinearizability.Op;
import dev.ringlab.node.check.RegisterLinearizability.Verdict;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RegisterLinearizabilityTest {
    private static final long BUDGET = 1_000_000;

    private static Verdict check(Op... ops) {
        return RegisterLinearizability.check(List.of(ops), BUDGET).verdict();
    }

    @Test
    void theTextbookCases() {
        // Sequential: write 1, read 1.
        assertEquals(Verdict.LINEARIZABLE, check(new Op(1, true, 1, 0, 10), new Op(2, false, 1, 20, 30)));
        // A read before any write sees nothing; one that sees a value the write has not yet been invoked for is wrong.
        assertEquals(Verdict.LINEARIZABLE, check(new Op(1, false, ABSENT, 0, 5), new Op(2, true, 1, 10, 20)));
        assertEquals(Verdict.NOT_LINEARIZABLE, check(new Op(1, false, 1, 0, 5), new Op(2, true, 1, 10, 20)));
        // A stale read: write 1, then write 2, both complete, then a read of 1.
        assertEquals(Verdict.NOT_LINEARIZABLE, check(new Op(1, true, 1, 0, 10), new Op(2, true, 2, 20, 30),
                new Op(3, false, 1, 40, 50)));
        // Concurrent with write 2, a read may see 1 or 2 ...
        assertEquals(Verdict.LINEARIZABLE, check(new Op(1, true, 1, 0, 10), new Op(2, true, 2, 20, 60),
                new Op(3, false, 1, 30, 40), new Op(4, false, 2, 45, 50)));
        // ... but not 2 then 1 in real time (a new-old inversion).
        assertEquals(Verdict.NOT_LINEARIZABLE, check(new Op(1, true, 1, 0, 10), new Op(2, true, 2, 20, 60),
                new Op(3, false, 2, 30, 40), new Op(4, false, 1, 45, 50)));
        // A write of unknown outcome may have taken effect ...
        assertEquals(Verdict.LINEARIZABLE, check(new Op(1, true, 1, 0, UNKNOWN), new Op(2, false, 1, 20, 30)));
        // ... or not.
        assertEquals(Verdict.LINEARIZABLE, check(new Op(1, true, 1, 0, UNKNOWN), new Op(2, false, ABSENT, 20, 30)));
        // But not both, in real time order.
        assertEquals(Verdict.NOT_LINEARIZABLE, check(new Op(1, true, 1, 0, UNKNOWN), new Op(2, false, 1, 20, 30),
                new Op(3, false, ABSENT, 40, 50)));
        // An empty history is linearizable.
        assertEquals(Verdict.LINEARIZABLE, RegisterLinearizability.check(List.of(), BUDGET).verdict());
    }

    @Test
    void malformedOperationsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Op(1, true, 1, 10, 5));
        assertThrows(IllegalArgumentException.class, () -> new Op(1, false, 1, 10, UNKNOWN));
    }

    @Test
    void theBudgetGivesUnknownNotAGuess() {
        List<Op> ops = new ArrayList<>();
        // Many concurrent writes and a read no order explains: the search needs more than 10 configurations.
        for (int i = 0; i < 12; i++) {
            ops.add(new Op(i, true, i + 1, 0, 100));
        }
        ops.add(new Op(99, false, 1000, 200, 300));
        RegisterLinearizability.Result r = RegisterLinearizability.check(ops, 10);
        assertEquals(Verdict.UNKNOWN, r.verdict());
        assertTrue(r.explored() > 10);
    }

    /**
     * Seeded property: histories made by a real register (each operation takes effect at a random instant
     * between its invocation and completion) are linearizable, also with some writes' outcomes hidden and some
     * unknown writes that never took effect; and a read made stale (it returns a write that a later completed
     * write overwrote before the read was invoked) or fictitious is found out.
     */
    @Test
    void registerHistoriesAreLinearizableAndCorruptedOnesAreNot() {
        long master = 0x11AEA2L;
        SplittableRandom seeds = new SplittableRandom(master);
        int corruptedChecked = 0;
        for (int c = 0; c < 400; c++) {
            long seed = seeds.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            List<Op> ops = history(r, 4 + r.nextInt(30), 1 + r.nextInt(4));
            assertFalse(ops.isEmpty());
            assertEquals(Verdict.LINEARIZABLE, RegisterLinearizability.check(ops, BUDGET).verdict(),
                    "seed " + seed + ": " + ops);
            // A fictitious value.
            List<Op> fict = new ArrayList<>(ops);
            for (int i = 0; i < fict.size(); i++) {
                Op o = fict.get(i);
                if (!o.write()) {
                    fict.set(i, new Op(o.id(), false, 0xDEADL, o.invokeNanos(), o.completeNanos()));
                    assertEquals(Verdict.NOT_LINEARIZABLE, RegisterLinearizability.check(fict, BUDGET).verdict(),
                            "seed " + seed + " fictitious read " + o.id() + ": " + fict);
                    corruptedChecked++;
                    break;
                }
            }
            // A stale value: a read invoked after w2 completed, w2 invoked after w1 completed, reads w1.
            outer:
            for (Op read : ops) {
                if (read.write()) {
                    continue;
                }
                for (Op w2 : ops) {
                    if (!w2.write() || w2.completeNanos() == UNKNOWN || w2.completeNanos() >= read.invokeNanos()) {
                        continue;
                    }
                    for (Op w1 : ops) {
                        if (w1.write() && w1.completeNanos() != UNKNOWN && w1.completeNanos() < w2.invokeNanos()) {
                            List<Op> stale = new ArrayList<>(ops);
                            stale.set(stale.indexOf(read), new Op(read.id(), false, w1.value(), read.invokeNanos(),
                                    read.completeNanos()));
                            assertEquals(Verdict.NOT_LINEARIZABLE, RegisterLinearizability.check(stale, BUDGET).verdict(),
                                    "seed " + seed + " stale read " + read.id() + " of " + w1.id() + " after " + w2.id() + ": "
                                            + stale);
                            corruptedChecked++;
                            break outer;
                        }
                    }
                }
            }
        }
        assertTrue(corruptedChecked > 200, "corrupted histories checked: " + corruptedChecked);
    }

    /** {@code count} operations by {@code clients} sequential clients on a real register, times in [0, ~1000). */
    private static List<Op> history(SplittableRandom r, int count, int clients) {
        record Planned(Op op, long at, boolean applies) {}
        List<Planned> planned = new ArrayList<>();
        long[] clock = new long[clients];
        for (int i = 0; i < count; i++) {
            int cl = r.nextInt(clients);
            long invoke = clock[cl] + r.nextInt(20);
            long complete = invoke + 1 + r.nextInt(60);
            long at = invoke + r.nextLong(complete - invoke + 1);
            clock[cl] = complete + 1;
            boolean write = r.nextInt(3) == 0;
            planned.add(new Planned(new Op(i, write, write ? 1000 + i : 0, invoke, complete), at, true));
        }
        // Apply at the linearization points to find what each read returns.
        planned.sort(Comparator.comparingLong(Planned::at).thenComparingLong(p -> p.op().id()));
        long state = ABSENT;
        List<Op> out = new ArrayList<>();
        for (Planned p : planned) {
            Op o = p.op();
            if (o.write()) {
                state = o.value();
                // Now and then the client never learns the outcome.
                out.add(r.nextInt(8) == 0 ? new Op(o.id(), true, o.value(), o.invokeNanos(), UNKNOWN) : o);
            } else {
                out.add(new Op(o.id(), false, state, o.invokeNanos(), o.completeNanos()));
            }
        }
        // Now and then a write that never took effect, its outcome unknown.
        if (r.nextBoolean()) {
            out.add(new Op(count, true, 999_999, r.nextInt(500), UNKNOWN));
        }
        return out;
    }
}
