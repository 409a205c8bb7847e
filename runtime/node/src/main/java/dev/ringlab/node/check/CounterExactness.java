package dev.ringlab.node.check;

import dev.ringlab.node.protocols.DeltaStore;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The delta cache's history check for one counter key: after convergence, a complete read counts every
 * acknowledged increment exactly once, and whatever else it counts is made of increments whose outcome the
 * client never learned.
 *
 * <p>The read lists the increments it counted ({@link DeltaStore#dots}: per origin, a prefix and single seqs),
 * and its positive and negative sums. An acknowledged increment names its place ({@code origin, incarnation,
 * seq}), so it is <em>lost</em> if the read's dots do not contain it. The sums cannot name places, so they are
 * checked arithmetically: the read's positive sum minus the acknowledged positive increments must be the sum of
 * some subset of the positive increments of unknown outcome (a subset-sum over small amounts: a bitset of
 * reachable sums), and the same for the negative side. An acknowledged increment counted twice, or an increment
 * counted that no client made, breaks that unless the unknown ones happen to add up to the same amount, which
 * the check then cannot see; with no unknown outcomes, the sums must match exactly.
 */
public final class CounterExactness {
    private CounterExactness() {}

    /** One acknowledged increment: origin {@code (node, incarnation)}'s {@code seq}-th increment of the key. */
    public record Acked(long reqId, int node, long incarnation, long seq, long amount) {}

    /**
     * The verdict for one key.
     *
     * @param lost     acknowledged increments the read does not count
     * @param problems what is wrong, one line each (empty: the read is exact)
     */
    public record Verdict(List<Acked> lost, List<String> problems) {
        public boolean exact() {
            return problems.isEmpty();
        }
    }

    /**
     * Checks one complete read of a key.
     *
     * @param acked    the key's acknowledged increments
     * @param unknown  amounts of the key's increments of unknown outcome (failed or unanswered)
     * @param plus     the read's positive sum
     * @param minus    the read's negative sum (a magnitude)
     * @param dots     the read's {@link DeltaStore#dots}
     */
    public static Verdict check(List<Acked> acked, long[] unknown, long plus, long minus, String dots) {
        DeltaStore counted = DeltaStore.parseDots(dots);
        List<Acked> lost = new ArrayList<>();
        long ackedPlus = 0;
        long ackedMinus = 0;
        for (Acked a : acked) {
            if (!counted.contains(new DeltaStore.Origin(a.node(), a.incarnation()), a.seq())) {
                lost.add(a);
            }
            if (a.amount() > 0) {
                ackedPlus += a.amount();
            } else {
                ackedMinus -= a.amount();
            }
        }
        List<String> problems = new ArrayList<>();
        if (!lost.isEmpty()) {
            problems.add(lost.size() + " acknowledged increments are not counted, e.g. #" + lost.get(0).reqId() + " ("
                    + lost.get(0).node() + "/" + lost.get(0).incarnation() + " seq " + lost.get(0).seq() + ")");
        }
        long[] ups = java.util.Arrays.stream(unknown).filter(x -> x > 0).toArray();
        long[] downs = java.util.Arrays.stream(unknown).filter(x -> x < 0).map(x -> -x).toArray();
        // A lost increment is reported above; the sums are checked against what the read does count.
        long lostPlus = lost.stream().mapToLong(a -> Math.max(0, a.amount())).sum();
        long lostMinus = lost.stream().mapToLong(a -> Math.max(0, -a.amount())).sum();
        check("positive", plus - (ackedPlus - lostPlus), ups, problems);
        check("negative", minus - (ackedMinus - lostMinus), downs, problems);
        return new Verdict(List.copyOf(lost), List.copyOf(problems));
    }

    private static void check(String side, long extra, long[] unknown, List<String> problems) {
        if (!subsetSum(unknown, extra)) {
            problems.add("the " + side + " sum exceeds the acknowledged increments it counts by " + extra + ", which no"
                    + " subset of the " + unknown.length + " " + side + " increments of unknown outcome makes"
                    + (extra > 0 ? " (an increment counted twice, or one nobody made)" : ""));
        }
    }

    /** Whether some subset of {@code amounts} (all > 0) sums to {@code target}. */
    static boolean subsetSum(long[] amounts, long target) {
        if (target == 0) {
            return true;
        }
        long total = 0;
        for (long a : amounts) {
            total += a;
        }
        if (target < 0 || target > total) {
            return false;
        }
        if (total > 50_000_000L) {
            throw new IllegalArgumentException("unknown increments sum to " + total + ": too large for the subset-sum check");
        }
        BitSet reach = new BitSet((int) total + 1);
        reach.set(0);
        for (long a : amounts) {
            for (int s = (int) (total - a); s >= 0; s--) {
                if (reach.get(s)) {
                    reach.set(s + (int) a);
                }
            }
        }
        return reach.get((int) target);
    }
}
