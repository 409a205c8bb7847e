package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.CodecException;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.check.CounterExactness;
import dev.ringlab.node.protocols.DeltaMessage.Entry;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The delta cache's pieces alone: every message round-trips through the codec (seeded random contents) and a
 * truncated one is a codec error; {@link DeltaStore} merges are idempotent, commutative and duplicate-safe and
 * compaction keeps the value while never growing the state; {@link CounterExactness} finds a lost and a doubly
 * counted increment.
 */
class DeltaCacheUnitTest {
    private static final long MASTER_SEED = 0xDE17A0001L;

    private static Entry randomEntry(SplittableRandom r) {
        int loose = r.nextInt(5);
        long upTo = r.nextBoolean() ? 0 : 1 + r.nextInt(100);
        long[] seqs = new long[loose];
        long[] amounts = new long[loose];
        long s = upTo;
        for (int i = 0; i < loose; i++) {
            s += 1 + r.nextInt(3);
            seqs[i] = s;
            amounts[i] = (1 + r.nextInt(9)) * (r.nextBoolean() ? 1 : -1);
        }
        return new Entry(r.nextInt(64), r.nextLong(1L << 40), upTo, upTo == 0 ? 0 : r.nextLong(1000),
                upTo == 0 ? 0 : r.nextLong(1000), seqs, amounts);
    }

    private static List<Entry> entries(SplittableRandom r) {
        List<Entry> out = new ArrayList<>();
        for (int i = r.nextInt(4); i > 0; i--) {
            out.add(randomEntry(r));
        }
        return out;
    }

    @Test
    void everyDeltaMessageRoundTripsThroughTheCodec() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED);
        for (int c = 0; c < 200; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            List<Message> ms = List.of(
                    new DeltaMessage.Request(DeltaMessage.RequestKind.INCREMENT, r.nextLong(), r.nextLong(), 1 + r.nextInt(9)),
                    new DeltaMessage.Request(DeltaMessage.RequestKind.READ_PATIENT, r.nextLong(), r.nextLong(), 0),
                    new DeltaMessage.State(DeltaMessage.StateKind.values()[r.nextInt(3)], r.nextLong(), r.nextLong(),
                            entries(r)),
                    new DeltaMessage.Query(r.nextInt(1000), r.nextLong(), r.nextLong(), r.nextLong(1L << 40), r.nextBoolean(),
                            r.nextBoolean()),
                    new DeltaMessage.Answer(r.nextInt(1000), r.nextLong(), r.nextLong(), r.nextInt(1000), entries(r)),
                    new DeltaMessage.Signal(DeltaMessage.SignalKind.values()[r.nextInt(5)], r.nextLong(), r.nextLong(),
                            r.nextInt(1000), r.nextLong(), r.nextLong(1L << 40)));
            for (Message m : ms) {
                ByteBuffer b = MessageCodec.encode(m);
                assertEquals(MessageCodec.encodedSize(m), b.remaining(), "size, seed " + seed + ": " + m);
                assertEquals(m, MessageCodec.decode(b), "seed " + seed);
                ByteBuffer cut = MessageCodec.encode(m);
                cut.limit(cut.limit() - 1);
                assertThrows(CodecException.class, () -> MessageCodec.decode(cut), "truncated, seed " + seed + ": " + m);
            }
        }
    }

    @Test
    void mergesAreIdempotentCommutativeAndCountADuplicateOnceAndFoldingKeepsTheValue() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED + 1);
        for (int c = 0; c < 200; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            // One origin's increments 1..k, spread over two holders with overlaps and gaps.
            int k = 1 + r.nextInt(20);
            long[] amounts = new long[k + 1];
            DeltaStore a = new DeltaStore();
            DeltaStore b = new DeltaStore();
            long value = 0;
            for (int s = 1; s <= k; s++) {
                amounts[s] = (1 + r.nextInt(9)) * (r.nextBoolean() ? 1 : -1);
                value += amounts[s];
                boolean inA = r.nextBoolean();
                boolean inB = !inA || r.nextBoolean();
                if (inA) {
                    a.merge(Entry.single(3, 7, s, amounts[s]));
                }
                if (inB) {
                    b.merge(Entry.single(3, 7, s, amounts[s]));
                }
            }
            if (r.nextBoolean()) {
                long bytes = a.bytes();
                a.fold();
                assertTrue(a.bytes() <= bytes, "folding never grows the state, seed " + seed);
            }
            DeltaStore ab = new DeltaStore();
            ab.merge(a);
            ab.merge(b);
            ab.merge(b);
            DeltaStore ba = new DeltaStore();
            ba.merge(b);
            ba.merge(a);
            ab.fold();
            ba.fold();
            assertEquals(value, ab.value(), "seed " + seed);
            assertEquals(ab.dots(), ba.dots(), "seed " + seed);
            assertEquals(ab.entries(), ba.entries(), "seed " + seed);
            // All of 1..k present: everything folds (but a lone increment 1, whose summary would be larger).
            assertEquals(k == 1 ? 1 : 0, ab.looseCount(), "seed " + seed);
            assertEquals(k == 1 ? 0 : 1, ab.summaryCount(), "seed " + seed);
            // The folded summary merged into a holder of a gap-free prefix changes nothing.
            DeltaStore again = new DeltaStore();
            again.mergeAll(ab.entries());
            again.merge(a);
            again.fold();
            assertEquals(value, again.value(), "seed " + seed);
        }
    }

    @Test
    void aReleaseDropsWhatTheSummaryCoversAndNoMore() {
        DeltaStore s = new DeltaStore();
        for (int i = 1; i <= 5; i++) {
            s.merge(Entry.single(1, 0, i, 2));
        }
        s.fold();
        s.merge(Entry.single(1, 0, 7, 3));
        s.release(new DeltaStore.Origin(1, 0), 5);
        assertEquals(3, s.value());
        assertTrue(s.contains(new DeltaStore.Origin(1, 0), 7));
        assertFalse(s.contains(new DeltaStore.Origin(1, 0), 5));
    }

    @Test
    void theExactnessCheckFindsALostAndADoublyCountedIncrement() {
        List<CounterExactness.Acked> acked = List.of(new CounterExactness.Acked(1, 2, 0, 1, 5),
                new CounterExactness.Acked(2, 2, 0, 2, -3), new CounterExactness.Acked(3, 4, 9, 1, 4));
        assertTrue(CounterExactness.check(acked, new long[0], 9, 3, "2/0:2;4/9:0,1").exact());
        CounterExactness.Verdict lost = CounterExactness.check(acked, new long[0], 5, 3, "2/0:2");
        assertEquals(1, lost.lost().size());
        assertEquals(3, lost.lost().get(0).reqId());
        CounterExactness.Verdict twice = CounterExactness.check(acked, new long[0], 13, 3, "2/0:2;4/9:0,1");
        assertFalse(twice.exact(), "an increment of 4 counted twice");
        // An increment of unknown outcome may be counted or not, once.
        assertTrue(CounterExactness.check(acked, new long[] {6}, 15, 3, "2/0:2;4/9:0,1;5/1:0,1").exact());
        assertTrue(CounterExactness.check(acked, new long[] {6}, 9, 3, "2/0:2;4/9:0,1").exact());
        assertFalse(CounterExactness.check(acked, new long[] {6}, 21, 3, "2/0:2;4/9:0,1").exact());
    }
}
