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

    /**
     * One client operation: injected at {@code node} at {@code invokeNanos}; the delta it created
     * ({@code dot}, null if its node crashed before creating one) at {@code createdNanos}; acknowledged at
     * {@code ackedNanos} (-1: never, so its outcome is unknown to the client).
     */
    public record ClientOp(int node, String op, long invokeNanos, Message.Dot dot, long createdNanos, long ackedNanos) {}

    /** Per node, the operations injected and not yet seen creating a delta, oldest first. */
    private final List<java.util.ArrayDeque<ClientOp>> pending = new ArrayList<>();
    /** Every client operation, in the order their outcome (creation, or loss with the node) became known. */
    private final List<ClientOp> clientOps = new ArrayList<>();
    private final Map<Message.Dot, Integer> clientOpOfDot = new HashMap<>();
    /** Per (applying node, source), the highest sequence it applied: the next must be one more. */
    private final Map<Applier, Long> appliedHead = new HashMap<>();

    /** A node applying one source's (origin incarnation's) deltas. */
    private record Applier(int node, int origin, long incarnation) {}
    private final List<String> orderViolations = new ArrayList<>();
    private long orderViolationCount;

    public ReplicaWatch(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("need n >= 1, got " + n);
        }
        this.n = n;
        hash = new long[n];
        hashDeltas = new long[n];
        hashKnown = new boolean[n];
        everCrashed = new boolean[n];
        for (int v = 0; v < n; v++) {
            pending.add(new java.util.ArrayDeque<>());
        }
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
        // Requests it had not turned into deltas died with it: their outcome is unknown to the client.
        for (ClientOp op : pending.get(node)) {
            clientOps.add(op);
        }
        pending.get(node).clear();
        appliedHead.keySet().removeIf(k -> k.node() == node);
        for (long[] at : appliedAt.values()) {
            at[node] = -1;
        }
    }

    @Override
    public synchronized void accept(Observation o) {
        switch (o) {
            case Observation.DeltaApplied a -> {
                Message.Dot dot = new Message.Dot(a.origin(), a.incarnation(), a.seq());
                if (a.node() == a.origin() && created.putIfAbsent(dot, new long[] {a.atNanos(), a.op()}) == null) {
                    ClientOp op = pending.get(a.node()).poll();
                    clientOpOfDot.put(dot, clientOps.size());
                    clientOps.add(op == null ? new ClientOp(a.node(), null, -1, dot, a.atNanos(), -1)
                            : new ClientOp(op.node(), op.op(), op.invokeNanos(), dot, a.atNanos(), -1));
                }
                // Per source, a node applies sequence 1, 2, 3, ... each once.
                Applier head = new Applier(a.node(), a.origin(), a.incarnation());
                long expected = appliedHead.getOrDefault(head, 0L) + 1;
                if (a.seq() != expected) {
                    orderViolationCount++;
                    if (orderViolations.size() < 5) {
                        orderViolations.add("node " + a.node() + " applied " + dot + " after sequence " + (expected - 1)
                                + " of that source");
                    }
                }
                appliedHead.merge(head, a.seq(), Math::max);
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
                Long before = acked.get(new Message.Dot(k.node(), k.incarnation(), 0));
                for (long q = (before == null ? 0 : before) + 1; q <= k.seq(); q++) {
                    Integer i = clientOpOfDot.get(new Message.Dot(k.node(), k.incarnation(), q));
                    if (i != null && clientOps.get(i).ackedNanos() < 0) {
                        ClientOp c = clientOps.get(i);
                        clientOps.set(i, new ClientOp(c.node(), c.op(), c.invokeNanos(), c.dot(), c.createdNanos(), k.atNanos()));
                    }
                }
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

    /**
     * The control side injects client operation {@code op} at {@code node} (call just before
     * {@link dev.ringlab.node.Cluster#inject}): the next delta {@code node} creates is this operation's.
     */
    public synchronized void invoked(int node, long atNanos, String op) {
        pending.get(node).add(new ClientOp(node, op, atNanos, null, -1, -1));
    }

    /**
     * The client history: every operation injected, with the delta it created and when it was acknowledged
     * (operations still waiting at their node come last, with no delta).
     */
    public synchronized List<ClientOp> clientHistory() {
        List<ClientOp> out = new ArrayList<>(clientOps);
        for (java.util.ArrayDeque<ClientOp> q : pending) {
            out.addAll(q);
        }
        return out;
    }

    /** How many times a node applied a source's delta out of sequence or twice (must be 0). */
    public synchronized long orderViolations() {
        return orderViolationCount;
    }

    /** Up to five of {@link #orderViolations}, described. */
    public synchronized List<String> orderViolationSamples() {
        return List.copyOf(orderViolations);
    }

    /** Acknowledgements of a delta no node was seen creating (must be 0). */
    public synchronized long phantomAcks() {
        long c = 0;
        for (Map.Entry<Message.Dot, Long> e : acked.entrySet()) {
            for (long q = 1; q <= e.getValue(); q++) {
                if (!created.containsKey(new Message.Dot(e.getKey().node(), e.getKey().incarnation(), q))) {
                    c++;
                }
            }
        }
        return c;
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
