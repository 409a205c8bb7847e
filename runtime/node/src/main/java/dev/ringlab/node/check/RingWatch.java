package dev.ringlab.node.check;

import dev.ringlab.node.Observation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Consumer;

/**
 * Watches a healing ring's token from the {@link Observation} stream alone (so it means the same on every
 * engine) and the control side's record of crashes and restarts ({@link #crashed}, {@link #restarted}).
 *
 * <h2>Safety: at most one token per epoch</h2>
 * Messages are never duplicated, so a second token of one epoch can only come from a node bug: an epoch
 * created twice, or a token passed by a node that did not hold it, or arriving where it was not sent. The
 * watch tracks each epoch's custody (created and held by v, in flight from v to w, held by w, dropped) and
 * records the first violation; {@link #check} throws it (the simulator calls it after every event).
 * Tokens lost to a crash or to the network stay "held" or "in flight" here, which can hide nothing: they
 * never move again.
 *
 * <h2>Liveness: full rotations</h2>
 * A full rotation of the live ring is a run of arrivals of one epoch, each at the next live node after the
 * previous one (in the fixed enumeration, skipping crashed nodes) and coming from the live node before it,
 * as many as there are live nodes. {@link #markRotations} starts counting afresh; {@link #fullRotationAt}
 * gives when the first full rotation completed after the mark, counting only arrivals after it.
 *
 * <h2>Gaps and overlaps</h2>
 * {@link #tokenGapNanos} is the longest interval between two consecutive token sightings (a creation or an
 * arrival anywhere), so a fault-free ring reports one hop latency. An epoch is circulating from its creation
 * to its last sighting (arrival, pass or drop); {@link #maxConcurrentEpochsAfter} is the largest number of
 * epochs circulating at one instant after a time.
 *
 * <h2>Streams out of order</h2>
 * Without the custody check (real engines) observations may reach the watch out of time order: a processes
 * cluster reads each child's stream on a thread of its own, and under load the streams fall behind by
 * different amounts (seen on 2 cores: a 4-node ring on loopback passes its token about 80,000 times a
 * second, and one child's stream was read 0.8 s late while another's was 1.9 s late). Rotations and gaps are
 * only meaningful in time order, so there token creations and arrivals wait in a buffer and are taken in time
 * order once every node the control side believes up has been observed at or after them (each stream is in
 * order), or, beyond {@link #MAX_WAITING} of them, oldest first (a stream that stays silent while the others
 * race on must not hold them all in memory). Before, an arrival read before its pass (from another stream)
 * was dropped, and so were rotations whose arrivals were read interleaved: a 4-node ring could rotate for
 * 20 s after a crash without the watch seeing a full rotation. Custody itself is then kept as far as the
 * streams allow: each epoch's first and last sighting.
 *
 * <p>Thread-safe (real engines call observers from their own threads, the control side from another).
 */
public final class RingWatch implements Consumer<Observation> {
    private final int n;
    private final boolean[] down;
    private int live;

    private static final int HELD = 1;
    private static final int FLYING = 2;
    private static final int GONE = 3;

    /** Custody of one epoch: state, where (holder or destination), and its sighting interval. */
    private static final class Custody {
        int state;
        int at;
        long firstNanos;
        long lastNanos;
    }

    private final Map<Long, Custody> epochs = new HashMap<>();
    private final List<Long> epochOrder = new ArrayList<>();
    private String violation;
    private long checks;

    private long lastSightingNanos = Long.MIN_VALUE;
    private long gapNanos;
    private long gapEndNanos;

    private long markNanos = Long.MIN_VALUE;
    private long chainEpoch = -1;
    private int chainLength;
    private int chainLast = -1;
    private long fullRotationAt = -1;
    private long fullRotations;
    private long lastFullRotationAt = -1;
    private long lastFullRotationEpoch = -1;

    private final long[] crashedAt;
    private final long[] crashCallNanos;
    /** Per node, the time of its latest observation (its own clock). */
    private final long[] lastObservedAt;
    /** Per node, its latest observation no later than its last crash instant. */
    private final long[] lastObservedBeforeCrash;
    /** Per node, its down intervals [crash, restart) on the engine clock, so that observations that reach
     *  the watch late (real engines) are judged by when they happened, not when they arrived. */
    private final List<List<long[]>> downIntervals = new ArrayList<>();
    /** Per node, its restart calls [start, end]: a suspicion inside one is neither true nor false. */
    private final List<List<long[]>> restartCalls = new ArrayList<>();
    /**
     * Every suspicion, judged when asked rather than when it arrives: on a real engine the victim's suspicion
     * can reach the watch while the crash call is still running, before {@link #crashed} is called.
     */
    private final List<Observation.Suspected> allSuspicions = new ArrayList<>();
    private final int[] viewDead;
    private final long[] viewDigest;

    private final boolean custody;

    /**
     * How many sightings may wait for a stream that is behind (see the class doc): about 13 s of a token that
     * passes 80,000 times a second, where one stream was seen 5.4 s behind another.
     */
    public static final int MAX_WAITING = 1 << 20;

    /** A token creation or arrival waiting for the other streams (custody off). */
    private record Sighting(long atNanos, long seq, Observation o) {}

    private final PriorityQueue<Sighting> waiting = new PriorityQueue<>((a, b) -> a.atNanos != b.atNanos
            ? Long.compare(a.atNanos, b.atNanos) : Long.compare(a.seq, b.seq));
    private long sightingSeq;
    /**
     * The latest arrivals taken from {@link #waiting}, in time order (custody off), so that {@link #markRotations}
     * counts those at or after its mark that were taken before it was called: the control side marks after its
     * crash or restart call returns, and the streams may have passed that instant by then.
     */
    private final java.util.ArrayDeque<Observation.TokenArrived> taken = new java.util.ArrayDeque<>();
    /** How many taken arrivals are kept for {@link #markRotations}. */
    static final int MAX_TAKEN = 1 << 16;

    /** A watch that checks custody (observations arrive in causal order: the simulator, netty). */
    public RingWatch(int n) {
        this(n, true);
    }

    /**
     * @param custody whether to check custody: only valid if observations reach the watch in causal order;
     *                a processes cluster reads each child's stream on its own thread, so a token's arrival at
     *                one node can be read before its departure from another
     */
    public RingWatch(int n, boolean custody) {
        this.custody = custody;
        this.n = n;
        this.down = new boolean[n];
        this.live = n;
        this.crashedAt = new long[n];
        this.crashCallNanos = new long[n];
        this.lastObservedAt = new long[n];
        this.lastObservedBeforeCrash = new long[n];
        java.util.Arrays.fill(lastObservedAt, Long.MIN_VALUE);
        java.util.Arrays.fill(lastObservedBeforeCrash, Long.MIN_VALUE);
        java.util.Arrays.fill(crashedAt, -1);
        for (int v = 0; v < n; v++) {
            downIntervals.add(new ArrayList<>());
            restartCalls.add(new ArrayList<>());
        }
        this.viewDead = new int[n];
        this.viewDigest = new long[n];
    }

    /** The control side crashed {@code node} at {@code atNanos} (the simulator: exactly then). */
    public synchronized void crashed(int node, long atNanos) {
        crashed(node, atNanos, 0);
    }

    /**
     * The control side crashed {@code node}: the crash call took {@code callNanos} and returned at
     * {@code atNanos}, so the node died in {@code [atNanos - callNanos, atNanos]}. The crash instant used for
     * {@link #detectNanos} is then the node's last observation inside that window if any (it was alive
     * then; a node on the ring reports every rotation), else the window's start.
     */
    public synchronized void crashed(int node, long atNanos, long callNanos) {
        crashCallNanos[node] = callNanos;
        lastObservedBeforeCrash[node] = lastObservedAt[node];
        if (!down[node]) {
            down[node] = true;
            live--;
            crashedAt[node] = atNanos;
            // Down from the call's start: the node may have died anywhere in the call (a suspicion inside the
            // call is not counted as false; one of a node still alive there would be missed, not invented).
            downIntervals.get(node).add(new long[] {atNanos - callNanos, Long.MAX_VALUE});
            resetChain();
        }
        release();
    }

    /** The control side restarted {@code node}. */
    public synchronized void restarted(int node, long atNanos) {
        restarted(node, atNanos, atNanos);
    }

    /**
     * The control side restarted {@code node} with a call that ran from {@code startNanos} to {@code endNanos}
     * (a real engine: spawn, bind, start). The node counts as up from the call's start, since its new
     * incarnation may run and be observed before the call returns; but a suspicion of it inside the call is
     * not counted as false, since it may not have been serving yet (symmetric with {@link #crashed(int, long,
     * long)}: a suspicion inside a crash call is not counted as false either).
     */
    public synchronized void restarted(int node, long startNanos, long endNanos) {
        if (endNanos > startNanos) {
            restartCalls.get(node).add(new long[] {startNanos, endNanos});
        }
        long atNanos = startNanos;
        if (down[node]) {
            down[node] = false;
            live++;
            List<long[]> l = downIntervals.get(node);
            l.get(l.size() - 1)[1] = atNanos;
            resetChain();
        }
        release();
    }

    public synchronized boolean down(int node) {
        return down[node];
    }

    @Override
    public synchronized void accept(Observation o) {
        long ts = timestamp(o);
        int who = o.node();
        if (crashedAt[who] >= 0 && ts <= crashedAt[who]) {
            lastObservedBeforeCrash[who] = Math.max(lastObservedBeforeCrash[who], ts);
        }
        lastObservedAt[who] = Math.max(lastObservedAt[who], ts);
        if (!custody) {
            acceptUnordered(o);
            return;
        }
        switch (o) {
            case Observation.TokenCreated c -> {
                Custody k = epochs.get(c.epoch());
                if (k != null) {
                    fail("epoch " + c.epoch() + " created twice (by node " + c.node() + " at " + c.atNanos() + " ns)");
                    return;
                }
                k = new Custody();
                k.state = HELD;
                k.at = c.node();
                k.firstNanos = c.atNanos();
                k.lastNanos = c.atNanos();
                epochs.put(c.epoch(), k);
                epochOrder.add(c.epoch());
                sighting(c.atNanos());
            }
            case Observation.TokenPassed p -> {
                Custody k = custody(p.epoch(), "passed by node " + p.node());
                if (k == null) {
                    return;
                }
                if (k.state != HELD || k.at != p.node()) {
                    fail("node " + p.node() + " passed a token of epoch " + p.epoch() + " it did not hold ("
                            + describe(k) + ")");
                    return;
                }
                k.state = FLYING;
                k.at = p.to();
                k.lastNanos = p.departedAtNanos();
            }
            case Observation.TokenArrived a -> {
                Custody k = custody(a.epoch(), "arrived at node " + a.node());
                if (k == null) {
                    return;
                }
                if (k.state != FLYING || k.at != a.node()) {
                    fail("a token of epoch " + a.epoch() + " arrived at node " + a.node() + " from " + a.from()
                            + " but it was " + describe(k) + ": two tokens of one epoch");
                    return;
                }
                k.state = HELD;
                k.lastNanos = a.arrivedAtNanos();
                sighting(a.arrivedAtNanos());
                chain(a);
            }
            case Observation.TokenDropped d -> {
                Custody k = custody(d.epoch(), "dropped at node " + d.node());
                if (k == null) {
                    return;
                }
                if (k.at != d.node() || k.state == GONE) {
                    fail("node " + d.node() + " dropped a token of epoch " + d.epoch() + " that was " + describe(k));
                    return;
                }
                k.state = GONE;
                k.lastNanos = d.atNanos();
            }
            case Observation.Suspected x -> allSuspicions.add(x);
            case Observation.ViewChanged v -> {
                viewDead[v.node()] = v.dead();
                viewDigest[v.node()] = v.digest();
            }
            default -> {}
        }
    }

    /** Custody off: observations may arrive out of time order (see "Streams out of order" in the class doc). */
    private void acceptUnordered(Observation o) {
        switch (o) {
            case Observation.TokenCreated c -> {
                sightingOf(c.epoch(), c.atNanos());
                waiting.add(new Sighting(c.atNanos(), sightingSeq++, c));
            }
            case Observation.TokenPassed p -> sightingOf(p.epoch(), p.departedAtNanos());
            case Observation.TokenArrived a -> {
                sightingOf(a.epoch(), a.arrivedAtNanos());
                waiting.add(new Sighting(a.arrivedAtNanos(), sightingSeq++, a));
            }
            case Observation.TokenDropped d -> sightingOf(d.epoch(), d.atNanos());
            case Observation.Suspected x -> allSuspicions.add(x);
            case Observation.ViewChanged v -> {
                viewDead[v.node()] = v.dead();
                viewDigest[v.node()] = v.digest();
            }
            default -> {}
        }
        release();
    }

    /** Widens {@code epoch}'s sighting interval to {@code atNanos}, first seen here if new (custody off). */
    private void sightingOf(long epoch, long atNanos) {
        Custody k = epochs.get(epoch);
        if (k == null) {
            k = new Custody();
            k.firstNanos = atNanos;
            k.lastNanos = atNanos;
            epochs.put(epoch, k);
            epochOrder.add(epoch);
        }
        k.firstNanos = Math.min(k.firstNanos, atNanos);
        k.lastNanos = Math.max(k.lastNanos, atNanos);
    }

    /**
     * Takes the waiting sightings, in time order, that the stream of every node believed up has passed, and the
     * oldest beyond {@link #MAX_WAITING}.
     */
    private void release() {
        if (waiting.isEmpty()) {
            return;
        }
        long passed = Long.MAX_VALUE;
        for (int v = 0; v < n; v++) {
            if (!down[v]) {
                passed = Math.min(passed, lastObservedAt[v]);
            }
        }
        while (!waiting.isEmpty() && (waiting.peek().atNanos <= passed || waiting.size() > MAX_WAITING)) {
            Observation o = waiting.poll().o;
            if (o instanceof Observation.TokenArrived a) {
                sighting(a.arrivedAtNanos());
                chain(a);
                taken.addLast(a);
                if (taken.size() > MAX_TAKEN) {
                    taken.removeFirst();
                }
            } else {
                sighting(((Observation.TokenCreated) o).atNanos());
            }
        }
    }

    /**
     * Crash to first suspicion of {@code node} (by any node), ns, for its last crash; -1 if it was not
     * crashed or not suspected since.
     */
    public synchronized long detectNanos(int node) {
        if (crashedAt[node] < 0) {
            return -1;
        }
        long from = crashInstant(node); // never negative: the node was seen alive up to here
        long first = Long.MAX_VALUE;
        for (Observation.Suspected x : allSuspicions) {
            if (x.suspect() == node && x.atNanos() >= from && x.atNanos() < first && downAt(node, x.atNanos())) {
                first = x.atNanos();
            }
        }
        return first == Long.MAX_VALUE ? -1 : first - from;
    }

    /** The best estimate of when {@code node} last died (see {@link #crashed(int, long, long)}); -1 if never. */
    public synchronized long crashInstant(int node) {
        if (crashedAt[node] < 0) {
            return -1;
        }
        // The node was alive at its last observation, which is never later than the call's return.
        return Math.max(crashedAt[node] - crashCallNanos[node], lastObservedBeforeCrash[node]);
    }

    private static long timestamp(Observation o) {
        return switch (o) {
            case Observation.Delivered d -> d.atNanos();
            case Observation.TokenCreated c -> c.atNanos();
            case Observation.TokenArrived a -> a.arrivedAtNanos();
            case Observation.TokenPassed p -> p.departedAtNanos();
            case Observation.Tick t -> t.atNanos();
            case Observation.RotationCompleted r -> r.completedAtNanos();
            case Observation.RotationEstimate e -> Long.MIN_VALUE;
            case Observation.Suspected s -> s.atNanos();
            case Observation.Unsuspected u -> u.atNanos();
            case Observation.SuccessorChanged c -> c.atNanos();
            case Observation.TokenDropped d -> d.atNanos();
            case Observation.ViewChanged v -> v.atNanos();
            default -> Long.MIN_VALUE;
        };
    }

    /** Suspicions of a node that was alive (per the control side) when suspected. */
    public synchronized long falseSuspicions() {
        return allSuspicions.stream().filter(this::isFalse).count();
    }

    /** The first (up to 10) false suspicions, for reports. */
    public synchronized List<Observation.Suspected> falseSuspicionSamples() {
        return allSuspicions.stream().filter(this::isFalse).limit(10).toList();
    }

    private boolean isFalse(Observation.Suspected x) {
        if (downAt(x.suspect(), x.atNanos())) {
            return false;
        }
        for (long[] call : restartCalls.get(x.suspect())) {
            if (x.atNanos() >= call[0] && x.atNanos() <= call[1]) {
                return false;
            }
        }
        return true;
    }

    /** Suspicions raised at or after {@code fromNanos}, in arrival order, with whether the suspect was down then. */
    public synchronized List<String> suspicionsSince(long fromNanos, long originNanos) {
        List<String> out = new ArrayList<>();
        for (Observation.Suspected x : allSuspicions) {
            if (x.atNanos() >= fromNanos) {
                out.add(x.node() + "->" + x.suspect() + "@" + (x.atNanos() - originNanos) / 1_000_000 + "ms"
                        + (downAt(x.suspect(), x.atNanos()) ? "" : "(live)"));
            }
        }
        return out;
    }

    /** All suspicions reported. */
    public synchronized long suspicions() {
        return allSuspicions.size();
    }

    /**
     * True if every live node's last reported view believes exactly the down nodes' count dead and all
     * live views have one digest (so they are the same view).
     */
    public synchronized boolean viewsConverged() {
        long digest = 0;
        boolean first = true;
        for (int v = 0; v < n; v++) {
            if (down[v]) {
                continue;
            }
            if (viewDead[v] != n - live) {
                return false;
            }
            if (first) {
                digest = viewDigest[v];
                first = false;
            } else if (viewDigest[v] != digest) {
                return false;
            }
        }
        return true;
    }

    private Custody custody(long epoch, String what) {
        Custody k = epochs.get(epoch);
        if (k == null) {
            fail("a token of epoch " + epoch + " that was never created " + what);
        }
        return k;
    }

    private static String describe(Custody k) {
        return switch (k.state) {
            case HELD -> "held by node " + k.at;
            case FLYING -> "in flight to node " + k.at;
            default -> "already dropped at node " + k.at;
        };
    }

    private void fail(String why) {
        if (violation == null && custody) {
            violation = why;
        }
    }

    private void sighting(long at) {
        if (lastSightingNanos != Long.MIN_VALUE && at - lastSightingNanos > gapNanos) {
            gapNanos = at - lastSightingNanos;
            gapEndNanos = at;
        }
        lastSightingNanos = at;
    }

    private void chain(Observation.TokenArrived a) {
        long t = a.arrivedAtNanos();
        if (t < markNanos || downAt(a.node(), t)) {
            return;
        }
        boolean extends_ = a.epoch() == chainEpoch && chainLast >= 0 && a.node() == nextLive(chainLast, t)
                && a.from() == chainLast;
        if (extends_) {
            chainLength++;
        } else {
            chainEpoch = a.epoch();
            chainLength = a.from() == prevLive(a.node(), t) && !downAt(a.from(), t) ? 1 : 0;
            if (chainLength == 0) {
                chainLast = -1;
                return;
            }
        }
        chainLast = a.node();
        if (chainLength >= liveAt(t)) {
            fullRotations++;
            if (fullRotationAt < 0) {
                fullRotationAt = a.arrivedAtNanos();
            }
            lastFullRotationAt = a.arrivedAtNanos();
            lastFullRotationEpoch = a.epoch();
            chainLength = 0; // the next rotation starts here
            chainEpoch = a.epoch();
        }
    }

    private boolean downAt(int v, long t) {
        List<long[]> l = downIntervals.get(v);
        for (int i = l.size() - 1; i >= 0; i--) {
            long[] iv = l.get(i);
            if (t >= iv[0] && t < iv[1]) {
                return true;
            }
        }
        return false;
    }

    private int liveAt(long t) {
        int count = 0;
        for (int v = 0; v < n; v++) {
            count += downAt(v, t) ? 0 : 1;
        }
        return count;
    }

    private int nextLive(int v, long t) {
        for (int i = 1; i <= n; i++) {
            int w = (v + i) % n;
            if (!downAt(w, t)) {
                return w;
            }
        }
        return v;
    }

    private int prevLive(int v, long t) {
        for (int i = 1; i <= n; i++) {
            int w = Math.floorMod(v - i, n);
            if (!downAt(w, t)) {
                return w;
            }
        }
        return v;
    }

    private void resetChain() {
        chainEpoch = -1;
        chainLength = 0;
        chainLast = -1;
    }

    /** Counts full rotations afresh from {@code atNanos}: only arrivals at or after it count. */
    public synchronized void markRotations(long atNanos) {
        markNanos = atNanos;
        fullRotationAt = -1;
        fullRotations = 0;
        resetChain();
        for (Observation.TokenArrived a : taken) { // custody off: arrivals after the mark taken before it
            chain(a);
        }
    }

    /** When the first full rotation of the live ring after the mark completed, or -1. */
    public synchronized long fullRotationAt() {
        return fullRotationAt;
    }

    /** Full rotations of the live ring since the mark. */
    public synchronized long fullRotations() {
        return fullRotations;
    }

    /** The epoch of the last full rotation, -1 if none. */
    public synchronized long lastFullRotationEpoch() {
        return lastFullRotationEpoch;
    }

    /** Live nodes as the control side knows them. */
    public synchronized int live() {
        return live;
    }

    /** @throws IllegalStateException at the first custody violation: two tokens of one epoch */
    public synchronized void check() {
        checks++;
        if (violation != null) {
            throw new IllegalStateException("at most one token per epoch: " + violation);
        }
    }

    /** The first custody violation, or null. */
    public synchronized String violation() {
        return violation;
    }

    public synchronized long checks() {
        return checks;
    }

    /** Longest interval between two consecutive token sightings so far, ns. */
    public synchronized long tokenGapNanos() {
        return gapNanos;
    }

    /** When the longest gap ended. */
    public synchronized long tokenGapEndNanos() {
        return gapEndNanos;
    }

    /** Each token creation so far, in order: {node, epoch, atNanos}. */
    public synchronized List<long[]> creations() {
        List<long[]> out = new ArrayList<>();
        for (long e : epochOrder) {
            Custody k = epochs.get(e);
            out.add(new long[] {e & ((1L << 20) - 1), e, k.firstNanos});
        }
        // Custody off, an epoch may be read first from a node it reached, after a later creation elsewhere.
        out.sort((a, b) -> Long.compare(a[2], b[2]));
        return out;
    }

    /** Epochs created so far. */
    public synchronized int epochsCreated() {
        return epochOrder.size();
    }

    /**
     * The largest number of epochs circulating at one instant at or after {@code fromNanos} (an epoch
     * circulates from its creation to its last sighting).
     */
    public synchronized int maxConcurrentEpochsAfter(long fromNanos) {
        List<long[]> events = new ArrayList<>();
        for (long e : epochOrder) {
            Custody k = epochs.get(e);
            if (k.lastNanos < fromNanos) {
                continue;
            }
            events.add(new long[] {Math.max(k.firstNanos, fromNanos), +1});
            events.add(new long[] {k.lastNanos, -1});
        }
        // Starts before ends at equal times: a token created the instant another is dropped overlaps it.
        events.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(b[1], a[1]));
        int now = 0;
        int max = 0;
        for (long[] ev : events) {
            now += (int) ev[1];
            max = Math.max(max, now);
        }
        return max;
    }

    /** Epochs with a sighting in {@code [fromNanos, toNanos]}. */
    public synchronized List<Long> epochsSeenBetween(long fromNanos, long toNanos) {
        List<Long> out = new ArrayList<>();
        for (long e : epochOrder) {
            Custody k = epochs.get(e);
            if (k.lastNanos >= fromNanos && k.firstNanos <= toNanos) {
                out.add(e);
            }
        }
        return out;
    }
}
