package dev.ringlab.node.check;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Checks that a history of reads and writes of one register (one key of a key-value store) is linearizable
 * (Herlihy and Wing, 1990): there is one order of the operations that respects real time (an operation that
 * completed before another was invoked comes first) in which every read returns the value of the write
 * before it, or {@link #ABSENT} if there is none. The search is Wing and Gong's (1993) depth-first
 * search over the operations that may come next, with Lowe's (2017) memo of the configurations already
 * explored (the set of operations linearized and the register's value), as in Knossos and Porcupine.
 *
 * <p>A write whose outcome the client does not know (it failed or timed out: it may have taken effect or
 * not) has no completion: it may be linearized at any point after its invocation, or never. A read whose
 * outcome is unknown tells nothing and is left out by the caller. Values must be unique per write (the
 * workload writes fresh values), which is what makes a read's value name the write it saw.
 *
 * <p>Histories of different keys are independent (a key-value store is linearizable iff each key is:
 * linearizability is local), so a store's history is checked key by key.
 */
public final class RegisterLinearizability {
    /** The value a read returns when the register holds nothing (a miss). */
    public static final long ABSENT = Long.MIN_VALUE;
    /** The completion time of an operation whose outcome is unknown. */
    public static final long UNKNOWN = Long.MAX_VALUE;

    private RegisterLinearizability() {}

    /**
     * One operation of the history.
     *
     * @param id            the client's id of the request (for reports)
     * @param write         a write (else a read)
     * @param value         the value written, or the value the read returned ({@link #ABSENT}: a miss)
     * @param invokeNanos   when the client invoked it
     * @param completeNanos when the client learned its outcome; {@link #UNKNOWN} for a write whose outcome is
     *                      unknown (reads of unknown outcome are left out)
     */
    public record Op(long id, boolean write, long value, long invokeNanos, long completeNanos) {
        public Op {
            if (completeNanos != UNKNOWN && completeNanos < invokeNanos) {
                throw new IllegalArgumentException("op " + id + " completes (" + completeNanos + ") before it is invoked ("
                        + invokeNanos + ")");
            }
            if (!write && completeNanos == UNKNOWN) {
                throw new IllegalArgumentException("read " + id + " of unknown outcome: leave it out of the history");
            }
        }

        @Override
        public String toString() {
            return (write ? "write" : "read") + "#" + id + "(" + (value == ABSENT ? "absent" : Long.toHexString(value)) + ") ["
                    + invokeNanos + ", " + (completeNanos == UNKNOWN ? "?" : Long.toString(completeNanos)) + "]";
        }
    }

    /** The verdict on one register's history. */
    public enum Verdict {
        LINEARIZABLE, NOT_LINEARIZABLE,
        /** The search explored its budget of configurations without an answer. */
        UNKNOWN
    }

    /** The verdict, and how many configurations the search explored. */
    public record Result(Verdict verdict, long explored) {}

    /**
     * Checks one register's history, starting {@link #ABSENT}.
     *
     * @param maxConfigurations the search's budget (configurations explored) before it answers {@link Verdict#UNKNOWN}
     */
    public static Result check(List<Op> history, long maxConfigurations) {
        Objects.requireNonNull(history, "history");
        List<Op> ops = new ArrayList<>(history);
        ops.sort(Comparator.comparingLong(Op::invokeNanos).thenComparingLong(Op::id));
        int n = ops.size();
        // Operations that must be linearized: those with a known outcome.
        BitSet required = new BitSet(n);
        for (int i = 0; i < n; i++) {
            if (ops.get(i).completeNanos() != UNKNOWN) {
                required.set(i);
            }
        }
        Search s = new Search(ops, required, maxConfigurations);
        Boolean found = s.dfs(new BitSet(n), ABSENT);
        return new Result(found == null ? Verdict.UNKNOWN : found ? Verdict.LINEARIZABLE : Verdict.NOT_LINEARIZABLE,
                s.explored);
    }

    /**
     * The verdict on a store's history, key by key.
     *
     * @param keys       keys checked
     * @param operations operations in the history
     * @param violations per key found not linearizable, its operations (in invocation order)
     * @param undecided  keys whose search ran out of budget
     */
    public record StoreResult(int keys, long operations, java.util.SortedMap<Long, List<Op>> violations,
            List<Long> undecided) {
        /** True if every key was found linearizable. */
        public boolean linearizable() {
            return violations.isEmpty() && undecided.isEmpty();
        }
    }

    /** Checks every key's history ({@code maxConfigurations} per key). */
    public static StoreResult checkStore(java.util.SortedMap<Long, List<Op>> byKey, long maxConfigurations) {
        java.util.TreeMap<Long, List<Op>> violations = new java.util.TreeMap<>();
        List<Long> undecided = new ArrayList<>();
        long operations = 0;
        for (java.util.Map.Entry<Long, List<Op>> e : byKey.entrySet()) {
            operations += e.getValue().size();
            switch (check(e.getValue(), maxConfigurations).verdict()) {
                case LINEARIZABLE -> {}
                case NOT_LINEARIZABLE -> {
                    List<Op> ops = new ArrayList<>(e.getValue());
                    ops.sort(Comparator.comparingLong(Op::invokeNanos).thenComparingLong(Op::id));
                    violations.put(e.getKey(), ops);
                }
                case UNKNOWN -> undecided.add(e.getKey());
            }
        }
        return new StoreResult(byKey.size(), operations, violations, undecided);
    }

    /**
     * For a history found not linearizable: the shortest prefix (in invocation order, plus the writes its reads
     * returned) that is not linearizable either, so a report can show the operations up to the first one that no
     * order explains. Returns the whole history if no shorter prefix fails within the budget.
     */
    public static List<Op> shortestFailingPrefix(List<Op> history, long maxConfigurations) {
        List<Op> ops = new ArrayList<>(history);
        ops.sort(Comparator.comparingLong(Op::invokeNanos).thenComparingLong(Op::id));
        java.util.Map<Long, Op> writes = new java.util.HashMap<>();
        for (Op o : ops) {
            if (o.write()) {
                writes.put(o.value(), o);
            }
        }
        for (int m = 1; m <= ops.size(); m++) {
            List<Op> prefix = new ArrayList<>(ops.subList(0, m));
            Set<Op> in = new HashSet<>(prefix);
            for (Op o : ops.subList(0, m)) {
                Op w = o.write() ? null : writes.get(o.value());
                if (w != null && in.add(w)) {
                    prefix.add(w);
                }
            }
            if (check(prefix, maxConfigurations).verdict() == Verdict.NOT_LINEARIZABLE) {
                prefix.sort(Comparator.comparingLong(Op::invokeNanos).thenComparingLong(Op::id));
                return prefix;
            }
        }
        return ops;
    }

    private static final class Search {
        private final List<Op> ops;
        private final BitSet required;
        private final long budget;
        private final Set<Configuration> seen = new HashSet<>();
        long explored;

        Search(List<Op> ops, BitSet required, long budget) {
            this.ops = ops;
            this.required = required;
            this.budget = budget;
        }

        /** True if the rest can be linearized from here, false if not, null if the budget ran out. */
        Boolean dfs(BitSet done, long state) {
            if (containsAll(done, required)) {
                return true;
            }
            if (!seen.add(new Configuration((BitSet) done.clone(), state))) {
                return false; // explored before, without success
            }
            if (++explored > budget) {
                return null;
            }
            // The earliest completion among the operations not linearized yet: an operation invoked after it
            // cannot come next (that one must precede it).
            long horizon = UNKNOWN;
            for (int i = done.nextClearBit(0); i < ops.size(); i = done.nextClearBit(i + 1)) {
                horizon = Math.min(horizon, ops.get(i).completeNanos());
            }
            for (int i = done.nextClearBit(0); i < ops.size(); i = done.nextClearBit(i + 1)) {
                Op op = ops.get(i);
                if (op.invokeNanos() > horizon) {
                    break; // sorted by invocation: every later one is invoked after the horizon too
                }
                long next;
                if (op.write()) {
                    next = op.value();
                } else if (op.value() == state) {
                    next = state;
                } else {
                    continue;
                }
                done.set(i);
                Boolean r = dfs(done, next);
                done.clear(i);
                if (r == null || r) {
                    return r;
                }
            }
            return false;
        }

        private static boolean containsAll(BitSet set, BitSet subset) {
            BitSet missing = (BitSet) subset.clone();
            missing.andNot(set);
            return missing.isEmpty();
        }
    }

    private record Configuration(BitSet done, long state) {}
}
