package dev.ringlab.node.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Observation;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A processes cluster reads each child's stream on its own thread, and under load one stream falls seconds
 * behind another. The watch must then see the same rotations, gaps and tokens as when the observations come in
 * time order (see "Streams out of order" in {@link RingWatch}).
 */
class RingWatchStreamsOutOfOrderTest {
    private static final long MASTER_SEED = 0x5eed_0fd3L;

    /**
     * A 4-node ring whose node 0 crashes at 1,000 ns: the token (epoch 1, created by 0) goes round until node
     * 3 passes it to the dead node 0; node 3 then creates epoch 2 at 3,000 ns, which goes 3, 1, 2, 3, ... Each
     * node's observations, in its own time order.
     */
    private static List<List<Observation>> streams() {
        List<List<Observation>> s = new ArrayList<>();
        for (int v = 0; v < 4; v++) {
            s.add(new ArrayList<>());
        }
        s.get(0).add(new Observation.TokenCreated(0, 1, 0));
        long t = 0;
        int at = 0;
        for (int hop = 0; hop < 12; hop++) { // 0 -> 1 -> 2 -> 3 -> 0 ... ends with 3 passing to 0 at 890 ns
            int to = (at + 1) % 4;
            s.get(at).add(new Observation.TokenPassed(at, to, 1, 0, hop, t, t + 10));
            if (hop == 11) {
                break; // node 0 dies before it arrives
            }
            t += 80;
            s.get(to).add(new Observation.TokenArrived(to, at, 1, 0, hop + 1, t - 70, t));
            at = to;
        }
        s.get(3).add(new Observation.TokenCreated(3, 2, 3_000));
        t = 3_000;
        at = 3;
        int[] next = {1, 2, 3, 1}; // node 0 is dead: 3 -> 1 -> 2 -> 3
        for (int hop = 0; hop < 30; hop++) {
            int to = at == 3 ? 1 : next[at];
            s.get(at).add(new Observation.TokenPassed(at, to, 2, 0, hop, t, t + 10));
            t += 50;
            s.get(to).add(new Observation.TokenArrived(to, at, 2, 0, hop + 1, t - 40, t));
            at = to;
        }
        return s;
    }

    private record Seen(long fullRotationAt, long fullRotations, long gap, int tokensAfter, int created) {}

    /** Feeds the streams in {@code order} (node ids, each taking that node's next observation). */
    private static Seen feed(List<List<Observation>> s, int[] order) {
        RingWatch w = new RingWatch(4, false);
        w.markRotations(0);
        int[] next = new int[4];
        for (int v : order) {
            Observation o = s.get(v).get(next[v]++);
            w.accept(o);
            if (v == 0 && next[0] == s.get(0).size()) {
                w.crashed(0, 1_000, 0); // the control side learns of the crash once the dead node's stream ended
                w.markRotations(1_000);
            }
        }
        return new Seen(w.fullRotationAt(), w.fullRotations(), w.tokenGapNanos(), w.maxConcurrentEpochsAfter(3_000),
                w.epochsCreated());
    }

    /** The streams merged in time order: what the simulator delivers. */
    private static int[] inTimeOrder(List<List<Observation>> s) {
        List<long[]> all = new ArrayList<>();
        for (int v = 0; v < s.size(); v++) {
            for (int i = 0; i < s.get(v).size(); i++) {
                all.add(new long[] {stamp(s.get(v).get(i)), v, i});
            }
        }
        all.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
        return all.stream().mapToInt(a -> (int) a[1]).toArray();
    }

    private static long stamp(Observation o) {
        return switch (o) {
            case Observation.TokenCreated c -> c.atNanos();
            case Observation.TokenPassed p -> p.departedAtNanos();
            case Observation.TokenArrived a -> a.arrivedAtNanos();
            default -> throw new IllegalArgumentException(o.toString());
        };
    }

    /** A random interleaving that keeps each stream in order, in runs (a reader thread takes a batch at a time). */
    private static int[] interleaved(List<List<Observation>> s, SplittableRandom r) {
        int[] left = new int[s.size()];
        int total = 0;
        for (int v = 0; v < s.size(); v++) {
            left[v] = s.get(v).size();
            total += left[v];
        }
        int[] order = new int[total];
        int k = 0;
        while (k < total) {
            int v = r.nextInt(s.size());
            for (int run = 1 + r.nextInt(12); run > 0 && left[v] > 0; run--) {
                order[k++] = v;
                left[v]--;
            }
        }
        return order;
    }

    @Test
    void inTimeOrderTheRepairIsTheFirstRotationOfTheNewToken() {
        List<List<Observation>> s = streams();
        Seen seen = feed(s, inTimeOrder(s));
        // 3 creates at 3000; arrivals at 1 (3050), 2 (3100), 3 (3150): the first full rotation of the live ring.
        assertEquals(3_150, seen.fullRotationAt(), seen.toString());
        // Every 150 ns after; the streams end at 4400 (node 1), 4460 (node 2) and 4500 (node 3), and only what
        // all three streams have passed is taken: rotations ending at 3150, 3300, ..., 4350.
        assertEquals(9, seen.fullRotations(), seen.toString());
        assertEquals(3_000 - 880, seen.gap(), "from the last arrival before the crash to the new token: " + seen);
        assertEquals(1, seen.tokensAfter(), seen.toString());
        assertEquals(2, seen.created(), seen.toString());
    }

    /**
     * Property: any interleaving of the per-node streams gives what the time order gives. Before, an arrival
     * read before the pass it came from was dropped, and so were rotations read interleaved; here a 4-node ring
     * rotated for 20 s after a crash on processes without the watch seeing a full rotation.
     */
    @Test
    void everyInterleavingOfTheStreamsSeesWhatTheTimeOrderSees() {
        List<List<Observation>> s = streams();
        Seen expected = feed(s, inTimeOrder(s));
        SplittableRandom master = new SplittableRandom(MASTER_SEED);
        int cases = 400;
        int differentFromTimeOrder = 0;
        for (int c = 0; c < cases; c++) {
            long seed = master.nextLong();
            int[] order = interleaved(s, new SplittableRandom(seed));
            if (!java.util.Arrays.equals(order, inTimeOrder(s))) {
                differentFromTimeOrder++;
            }
            assertEquals(expected, feed(s, order), "interleaving seed " + seed + " (master " + MASTER_SEED + ")");
        }
        assertTrue(differentFromTimeOrder > cases / 2, "the interleavings must mostly differ from the time order: "
                + differentFromTimeOrder + " of " + cases);
    }
}
