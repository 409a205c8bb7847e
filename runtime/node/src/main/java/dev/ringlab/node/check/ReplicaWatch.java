package dev.ringlab.node.check;

import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.DeltaReplicator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.IntPredicate;

/**
 * Watches a replicated application ({@link DeltaReplicator}: config bus, token catalog) through its
 * observations alone, so its figures mean the same on every engine: which deltas were created and when
 * ({@link Observation.DeltaApplied} at the origin), when each node applied each one, which were acknowledged
 * to the client ({@link Observation.DeltaAcked}), each node's latest state hash ({@link Observation.StateHash})
 * and the application traffic ({@link Observation.AppTraffic}).
 *
 * <p>The control side tells it which nodes crashed and restarted ({@link #crashed}, {@link #restarted}), so
 * that an observation a crashed node's old incarnation reported last does not count for the node that
 * replaced it. Thread-safe: real engines call {@link #accept} from their own threads.
 */
public final class ReplicaWatch implements Consumer<Observation> {
    private final int n;
    /** Every delta created: dot -> [origin's creation time, op]. */
    private final TreeMap<Message.Dot, long[]> created = new TreeMap<>(DeltaReplicator.DOT_ORDER);
    /** Per delta, when each node applied it (its current incarnation only; -1: not). */
    private final Map<Message.Dot, long[]> appliedAt = new HashMap<>();
    /** Per source (dot with seq 0), the highest sequence acknowledged to the client. */
    private final TreeMap<Message.Dot, Long> acked = new TreeMap<>(DeltaReplicator.DOT_ORDER);
    /** Per acknowledged delta, the replica the origin named. */
    private final Map<Message.Dot, Integer> replicaOf = new HashMap<>();
    private final long[] hash;
    private final long[] hashDeltas;
    private final boolean[] hashKnown;
    private final boolean[] everCrashed;
    /** Per node incarnation (a dot with seq 0), its latest cumulative [messages, bytes] report. */
    private final Map<Message.Dot, long[]> traffic = new TreeMap<>(DeltaReplicator.DOT_ORDER);
    private long lastChangeNanos;

    public ReplicaWatch(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("need n >= 1, got " + n);
        }
        this.n = n;
        hash = new long[n];
        hashDeltas = new long[n];
        hashKnown = new boolean[n];
        everCrashed = new boolean[n];
    }

    /**
     * The control side crashed {@code node} (call it when {@link dev.ringlab.node.Cluster#crash} has returned):
     * what it applied no longer counts, and every observation of {@code node} from now on is its next
     * incarnation's. A restart needs no call: on a real engine the new incarnation may apply deltas before
     * {@link dev.ringlab.node.Cluster#restart} returns, and those count.
     */
    public synchronized void crashed(int node) {
        everCrashed[node] = true;
        hashKnown[node] = false;
        for (long[] at : appliedAt.values()) {
            at[node] = -1;
        }
    }

    @Override
    public synchronized void accept(Observation o) {
        switch (o) {
            case Observation.DeltaApplied a -> {
                Message.Dot dot = new Message.Dot(a.origin(), a.incarnation(), a.seq());
                if (a.node() == a.origin()) {
                    created.putIfAbsent(dot, new long[] {a.atNanos(), a.op()});
                }
                long[] at = appliedAt.computeIfAbsent(dot, k -> {
                    long[] x = new long[n];
                    Arrays.fill(x, -1);
                    return x;
                });
                if (at[a.node()] < 0) {
                    at[a.node()] = a.atNanos();
                }
                lastChangeNanos = Math.max(lastChangeNanos, a.atNanos());
            }
            case Observation.DeltaAcked k -> {
                acked.merge(new Message.Dot(k.node(), k.incarnation(), 0), k.seq(), Math::max);
                replicaOf.put(new Message.Dot(k.node(), k.incarnation(), k.seq()), k.replica());
            }
            case Observation.StateHash h -> {
                hash[h.node()] = h.hash();
                hashDeltas[h.node()] = h.deltas();
                hashKnown[h.node()] = true;
            }
            case Observation.AppTraffic t -> traffic.merge(new Message.Dot(t.node(), t.incarnation(), 0),
                    new long[] {t.messages(), t.bytes()}, (x, y) -> y[0] >= x[0] ? y : x);
            default -> {}
        }
    }

    /** True if every node {@code live} accepts has reported a state, and all those states have one hash. */
    public synchronized boolean converged(IntPredicate live) {
        boolean first = true;
        long h = 0;
        for (int v = 0; v < n; v++) {
            if (!live.test(v)) {
                continue;
            }
            if (!hashKnown[v]) {
                return false;
            }
            if (first) {
                h = hash[v];
                first = false;
            } else if (hash[v] != h) {
                return false;
            }
        }
        return true;
    }

    /** Deltas created so far. */
    public synchronized int deltasCreated() {
        return created.size();
    }

    /** Deltas created so far with operation {@code op}. */
    public synchronized int deltasCreated(int op) {
        int c = 0;
        for (long[] x : created.values()) {
            if (x[1] == op) {
                c++;
            }
        }
        return c;
    }

    /** Deltas acknowledged to clients so far. */
    public synchronized long deltasAcked() {
        long c = 0;
        for (long s : acked.values()) {
            c += s;
        }
        return c;
    }

    /** Acknowledged deltas that some live node has not applied: must be 0 once the run has converged. */
    public synchronized List<Message.Dot> lostAcked(IntPredicate live) {
        List<Message.Dot> lost = new ArrayList<>();
        for (Map.Entry<Message.Dot, Long> e : acked.entrySet()) {
            for (long s = 1; s <= e.getValue(); s++) {
                Message.Dot dot = new Message.Dot(e.getKey().node(), e.getKey().incarnation(), s);
                if (!appliedEverywhere(dot, live)) {
                    lost.add(dot);
                }
            }
        }
        return lost;
    }

    /** Created deltas (acknowledged or not) that some live node has not applied. */
    public synchronized List<Message.Dot> missing(IntPredicate live) {
        List<Message.Dot> out = new ArrayList<>();
        for (Message.Dot dot : created.keySet()) {
            if (!appliedEverywhere(dot, live)) {
                out.add(dot);
            }
        }
        return out;
    }

    private boolean appliedEverywhere(Message.Dot dot, IntPredicate live) {
        long[] at = appliedAt.get(dot);
        for (int v = 0; v < n; v++) {
            if (live.test(v) && (at == null || at[v] < 0)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Per created delta of operation {@code op} (any op if negative) applied by every node {@code over}
     * accepts: the time from its creation to the last of those nodes applying it, nanoseconds, in creation order.
     * Deltas some such node lacks are left out (see {@link #missing}).
     */
    public synchronized long[] convergenceNanos(int op, IntPredicate over) {
        List<Long> out = new ArrayList<>();
        for (Map.Entry<Message.Dot, long[]> e : created.entrySet()) {
            if (op >= 0 && e.getValue()[1] != op) {
                continue;
            }
            long[] at = appliedAt.get(e.getKey());
            long last = -1;
            boolean all = true;
            for (int v = 0; v < n && all; v++) {
                if (over.test(v)) {
                    all = at[v] >= 0;
                    last = Math.max(last, at[v]);
                }
            }
            if (all && last >= 0) {
                out.add(last - e.getValue()[0]);
            }
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    /** The replica that held acknowledged delta {@code dot} when its origin acknowledged it, or -1. */
    public synchronized int replicaOf(Message.Dot dot) {
        return replicaOf.getOrDefault(dot, -1);
    }

    /** True if {@code node} was crashed at some point of the run. */
    public synchronized boolean everCrashed(int node) {
        return everCrashed[node];
    }

    /** The latest state hash {@code node} reported (its current incarnation), or empty. */
    public synchronized java.util.OptionalLong hash(int node) {
        return hashKnown[node] ? java.util.OptionalLong.of(hash[node]) : java.util.OptionalLong.empty();
    }

    /** Deltas {@code node} reported having applied with its latest state hash. */
    public synchronized long deltasApplied(int node) {
        return hashDeltas[node];
    }

    /** Application messages sent, summed over every node incarnation's latest report. */
    public synchronized long appMessages() {
        return traffic.values().stream().mapToLong(x -> x[0]).sum();
    }

    /** Application bytes sent (encoded frames), summed like {@link #appMessages}. */
    public synchronized long appBytes() {
        return traffic.values().stream().mapToLong(x -> x[1]).sum();
    }

    /** The latest instant some node applied a delta. */
    public synchronized long lastChangeNanos() {
        return lastChangeNanos;
    }
}
