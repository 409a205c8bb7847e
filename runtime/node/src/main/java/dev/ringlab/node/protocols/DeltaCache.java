package dev.ringlab.node.protocols;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.Timer;
import dev.ringlab.node.protocols.DeltaMessage.Entry;
import dev.ringlab.node.protocols.DeltaStore.Origin;
import dev.ringlab.topology.Overlay;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A cache of counters that keeps no owner per key: "sharing is caring" of the ring of servers' README. Any node
 * takes an increment of any key and keeps it; a read asks the whole fleet and aggregates on the way back, so no
 * single machine's death loses a key's value, and no machine holds a key's value as such.
 *
 * <h2>Type</h2>
 * Each key is a PN-counter (Shapiro et al., "A comprehensive study of convergent and commutative replicated data
 * types", INRIA RR-7506, 2011) in delta-state form (Almeida, Shoker, Baquero, JPDC 2018): an increment is a delta
 * {@code (origin, seq, amount)}, the origin being the node that took it in its current incarnation and
 * {@code seq} numbering that origin's increments of that key densely from 1. Copies merge through
 * {@link DeltaStore}: per origin the largest folded summary plus the single increments above it, by seq, so a
 * delta seen twice (two replicas, two paths of a read) counts once. Sets and registers are not offered.
 *
 * <h2>Writes and placement</h2>
 * The node that takes an increment from a client (its origin) stores it and sends it ({@link
 * DeltaMessage.StateKind#REPLICATE}) to its <em>replicas</em>: the first r - 1 of its overlay neighbours in ring
 * order from itself ({@code self+1, self+2, ...} modulo n, skipping non-neighbours) that it does not suspect.
 * On a ring or a complete graph these are its next r - 1 ring successors. It acknowledges the increment
 * ({@link Observation.DeltaAck}) once r - 1 distinct nodes acked it, resending every
 * {@link DeltaCacheConfig#replicaRetryNanos} to the current replicas (a suspected one is replaced by the next
 * neighbour), and gives up after {@link DeltaCacheConfig#writeDeadlineNanos} ({@link Observation.CacheFailed}:
 * the increment stays stored and may still be counted: outcome unknown). So an acknowledged increment is on r
 * nodes, and survives r - 1 crashes.
 *
 * <h2>Reads</h2>
 * The node a client asks (the root) floods a {@link DeltaMessage.Query} over the overlay; the first sender a node
 * hears it from is its parent, a node that has seen it already answers at once with nothing, and a node answers its
 * parent with the merge of its own share and its children's answers ({@link DeltaMessage.Answer}), and how many
 * nodes that covers. The root has {@link DeltaCacheConfig#readBudgetNanos} to answer, each hop an eighth less
 * than its parent (at least {@link DeltaCacheConfig#hopSlackNanos} less), so budgets fall geometrically and a
 * deep tree's far nodes still get some; a node stops waiting for a child it comes to suspect. A child says at
 * once that it took the query ({@link DeltaMessage.SignalKind#QUERY_TAKEN}); one that has not within a
 * retransmission timeout of its link (RFC 6298 over the heartbeats' round trips, at least
 * {@link DeltaCacheConfig#hopSlackNanos}) is most likely dead and is not waited for, so a crash costs a read one
 * such timeout rather than a suspicion timeout (it may also cost it that child's subtree, if the child was only
 * slow). Failures aside, no timer fires: every node answers once all its children have. The root reports
 * the value and the number of nodes that answered ({@link Observation.DeltaRead}). Cost: two messages per edge
 * direction at most, time about twice the tree's depth in link latencies.
 *
 * <h2>Background work (every {@link DeltaCacheConfig#compactNanos})</h2>
 * <ol>
 *   <li>Compaction: every node folds each origin's consecutive increments into the origin's summary.
 *   <li>An origin sends its folded summary of a key to its current replicas until each acks it
 *       ({@link DeltaMessage.StateKind#SUMMARY}); this fills a replica's gaps so it can fold everything, and gives
 *       a new replica (one replaced after a suspicion, or a restarted one) its copy: that is the re-replication
 *       of a live origin's increments. Once all r - 1 current replicas confirmed the summary, the origin tells the
 *       other nodes it sent increments or a summary of the key to (replicas of the past, e.g. stand-ins during a
 *       false suspicion) to drop them ({@link DeltaMessage.SignalKind#RELEASE}). An origin with one increment of
 *       a key pushes it unfolded, so that case is re-replicated and released too.
 *   <li>A node that holds increments of a dead origin (a neighbour it suspects, or one that came back with a new
 *       incarnation and so numbers afresh) copies them to its first live neighbour in ring order other than the
 *       origin ({@link DeltaMessage.StateKind#ADOPT}), once, again if that node is suspected: the re-replication of
 *       a dead origin's increments, so they are on r live nodes again. Only the first of the origin's r - 1
 *       replicas (in its ring order) that this node does not suspect adopts, so one copy is made, not r - 1; a
 *       suspected origin is adopted once it has been silent for two suspicion timeouts (a restarted one at once),
 *       and if it talks again with the same incarnation (a false suspicion), every node it was copied to is told
 *       to release the copy, also one that was itself suspected in between (a suspicion does not show a copy
 *       is gone; only a restart does).
 * </ol>
 * So after compaction each key is stored as one summary per origin on r nodes: r times its merged state.
 *
 * <h2>Failure detection</h2>
 * Every node pings its overlay neighbours every {@link DeltaCacheConfig#heartbeatNanos} (carrying its
 * incarnation); a neighbour heard from by no message for {@link DeltaCacheConfig#suspicionNanos} is suspected.
 *
 * <h2>Limits</h2>
 * The guarantee is for crash-stop failures of up to r - 1 nodes at a time, with time for background work in
 * between. A false suspicion costs extra copies for a while (an adoption, a replica, both released later),
 * never a lost increment; a release that crosses a copy in flight can leave a stray copy. A read during a crash answers from the nodes that answered: an increment whose copies are all on
 * nodes that did not is missing from that read (completeness says so), and appears in later ones. Increments
 * are not deduplicated across client retries: a client that resends an increment with unknown outcome may count
 * it twice (the workloads do not resend). An answer carries a key's whole state, so a key must stay below the
 * codec's frame cap (about 65 000 unfolded increments).
 */
public final class DeltaCache implements Node {
    /** Reads remembered as seen (a query arriving again is answered with nothing). */
    static final int MAX_SEEN = 8192;

    private final int self;
    private final int n;
    private final DeltaCacheConfig config;
    /** Undirected overlay neighbours in ring order from this node: (v - self) mod n ascending. */
    private final int[] peers;
    private final UndirectedPeers all;
    private Env env;
    private long incarnation;

    /** The increments held, per key. */
    private final TreeMap<Long, DeltaStore> store = new TreeMap<>();
    /** This node's last seq per key, in this incarnation. */
    private final TreeMap<Long, Long> ownSeq = new TreeMap<>();

    private final long[] lastHeardNanos;
    private final long[] knownIncarnation;
    private final boolean[] suspected;
    /** Round-trip estimates to each neighbour from pings (RFC 6298's smoothed RTT and variation); -1: none yet. */
    private final long[] srttNanos;
    private final long[] rttVarNanos;
    private long nextSeq;

    private final TreeMap<Long, Write> writes = new TreeMap<>();
    private final TreeMap<Long, Sync> syncs = new TreeMap<>();
    /** Per key, the nodes this origin sent its increments to: {confirmed summary upTo, released upTo, dirty}. */
    private final TreeMap<Long, TreeMap<Integer, long[]>> holders = new TreeMap<>();
    /**
     * Per key, per dead origin held here, every node this one sent the origin's share to (an adopter):
     * {last seq sent, acked (1) or not (0), last sent at}. An adopter stays listed until it is told to release
     * the copy or restarts (and so lost it), also while it is suspected: a suspicion may be false, and then
     * its copy is still there to release.
     */
    private final TreeMap<Long, TreeMap<Origin, TreeMap<Integer, long[]>>> adopted = new TreeMap<>();
    private final TreeMap<QueryId, Read> reads = new TreeMap<>();
    private final LinkedHashMap<QueryId, Boolean> seen = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<QueryId, Boolean> eldest) {
            return size() > MAX_SEEN;
        }
    };

    private record QueryId(int root, long reqId) implements Comparable<QueryId> {
        @Override
        public int compareTo(QueryId o) {
            return root != o.root ? Integer.compare(root, o.root) : Long.compare(reqId, o.reqId);
        }
    }

    private static final class Write {
        final long reqId;
        final long key;
        final long seq;
        final long amount;
        final Entry entry;
        final long deadlineNanos;
        final BitSet ackedBy = new BitSet();

        Write(long reqId, long key, long seq, long amount, Entry entry, long deadlineNanos) {
            this.reqId = reqId;
            this.key = key;
            this.seq = seq;
            this.amount = amount;
            this.entry = entry;
            this.deadlineNanos = deadlineNanos;
        }
    }

    private record Sync(DeltaMessage.StateKind kind, long key, int to, long upTo, Origin origin, long sentNanos) {}

    private static final class Read {
        final QueryId id;
        final long key;
        final int parent;
        final boolean detail;
        final boolean patient;
        final DeltaStore merged = new DeltaStore();
        final BitSet waiting = new BitSet();
        /** Children that said they took the query (or answered). */
        final BitSet taken = new BitSet();
        int answered = 1;
        Timer timer;

        Read(QueryId id, long key, int parent, boolean detail, boolean patient) {
            this.id = id;
            this.key = key;
            this.parent = parent;
            this.detail = detail;
            this.patient = patient;
        }
    }

    /** The delta cache with {@code config}; its spec is {@link DeltaCacheConfig#spec()}. */
    public static Protocol protocol(DeltaCacheConfig config) {
        Objects.requireNonNull(config, "config");
        String spec = config.spec();
        UndirectedPeers.Cache cache = new UndirectedPeers.Cache();
        return new Protocol() {
            @Override
            public String spec() {
                return spec;
            }

            @Override
            public Node create(int id, Overlay overlay) {
                return new DeltaCache(id, overlay, cache.of(overlay), config);
            }
        };
    }

    /**
     * @param all every node's undirected overlay neighbours
     * @throws IllegalArgumentException if r > 1 and the node has fewer than r - 1 neighbours
     */
    DeltaCache(int id, Overlay overlay, UndirectedPeers all, DeltaCacheConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.self = id;
        this.n = overlay.size();
        this.all = all;
        this.peers = ringOrder(id);
        if (peers.length < config.replicas() - 1) {
            throw new IllegalArgumentException("node " + id + " of overlay '" + overlay.spec() + "' has " + peers.length
                    + " neighbours: the delta cache with r = " + config.replicas() + " needs at least " + (config.replicas() - 1));
        }
        this.lastHeardNanos = new long[n];
        this.knownIncarnation = new long[n];
        Arrays.fill(knownIncarnation, -1);
        this.suspected = new boolean[n];
        this.srttNanos = new long[n];
        this.rttVarNanos = new long[n];
        Arrays.fill(srttNanos, -1);
    }

    @Override
    public void start(Env env) {
        this.env = env;
        this.incarnation = env.now();
        Arrays.fill(lastHeardNanos, env.now());
        onHeartbeatTimeout();
        env.schedule(config.compactNanos(), this::onCompactTimeout);
    }

    @Override
    public void stop() {}

    @Override
    public void onMessage(int from, Message m) {
        if (from >= 0) {
            lastHeardNanos[from] = env.now();
        }
        if (!(m instanceof DeltaMessage dm)) {
            return;
        }
        switch (dm) {
            case DeltaMessage.Request r -> {
                if (from == Env.CLIENT) {
                    onRequest(r);
                }
            }
            case DeltaMessage.State s -> onState(from, s);
            case DeltaMessage.Query q -> onQuery(from, q);
            case DeltaMessage.Answer a -> onAnswer(from, a);
            case DeltaMessage.Signal s -> onSignal(from, s);
        }
    }

    /** {@code v}'s undirected overlay neighbours in ring order from {@code v}: (u - v) mod n ascending. */
    private int[] ringOrder(int v) {
        return Arrays.stream(all.of(v)).boxed()
                .sorted((a, b) -> Integer.compare(Math.floorMod(a - v, n), Math.floorMod(b - v, n)))
                .mapToInt(Integer::intValue).toArray();
    }

    // ---- the view ---------------------------------------------------------------------------------------

    private boolean suspects(int v) {
        return v != self && env.now() - lastHeardNanos[v] > config.suspicionNanos();
    }

    /** Whether increments of {@code o} held here have lost their origin (it is dead, or numbers afresh). */
    private boolean orphaned(Origin o) {
        if (o.node() == self) {
            return o.incarnation() != incarnation;
        }
        if (!isPeer(o.node())) {
            return false; // no first-hand news of it: its own neighbours adopt its increments
        }
        return (suspected[o.node()] && env.now() - lastHeardNanos[o.node()] > 2 * config.suspicionNanos())
                || (knownIncarnation[o.node()] >= 0 && knownIncarnation[o.node()] != o.incarnation());
    }

    private boolean isPeer(int v) {
        for (int p : peers) {
            if (p == v) {
                return true;
            }
        }
        return false;
    }

    /** The first {@code count} neighbours in ring order that are not suspected and not in {@code skip}. */
    private List<Integer> live(int count, BitSet skip) {
        List<Integer> out = new ArrayList<>(count);
        for (int p : peers) {
            if (out.size() == count) {
                break;
            }
            if (!suspected[p] && !skip.get(p)) {
                out.add(p);
            }
        }
        return out;
    }

    private List<Integer> replicaSet() {
        return live(config.replicas() - 1, new BitSet());
    }

    private void onHeartbeatTimeout() {
        DeltaMessage.Signal ping = new DeltaMessage.Signal(DeltaMessage.SignalKind.PING, env.now(), 0, self, incarnation,
                0);
        for (int p : peers) {
            env.send(p, ping);
        }
        for (int p : peers) {
            boolean s = suspects(p);
            if (s && !suspected[p]) {
                suspected[p] = true;
                forget(p, false);
            } else if (!s && suspected[p]) {
                suspected[p] = false;
            }
        }
        // A read stops waiting for a child it suspects.
        for (Read rd : new ArrayList<>(reads.values())) {
            for (int c = rd.waiting.nextSetBit(0); c >= 0; c = rd.waiting.nextSetBit(c + 1)) {
                if (suspected[c]) {
                    rd.waiting.clear(c);
                }
            }
            if (rd.waiting.isEmpty()) {
                finish(rd);
            }
        }
        env.schedule(config.heartbeatNanos(), this::onHeartbeatTimeout);
    }

    /**
     * {@code v} is suspected or restarted: whatever it confirmed holding may be gone. Only a restart (a new
     * incarnation) shows that its adopted copies are gone; a suspected adopter keeps its place in
     * {@link #adopted}, so a false suspicion's copy is released like any other.
     */
    private void forget(int v, boolean restarted) {
        for (TreeMap<Integer, long[]> hs : holders.values()) {
            long[] h = hs.get(v);
            if (h != null) {
                h[0] = 0;
            }
        }
        if (restarted) {
            for (TreeMap<Origin, TreeMap<Integer, long[]>> as : adopted.values()) {
                for (TreeMap<Integer, long[]> by : as.values()) {
                    by.remove(v);
                }
            }
        }
    }

    // ---- client requests -----------------------------------------------------------------------------------

    private DeltaStore storeOf(long key) {
        return store.computeIfAbsent(key, k -> new DeltaStore());
    }

    private void onRequest(DeltaMessage.Request r) {
        switch (r.kind()) {
            case INCREMENT -> onIncrement(r);
            case READ -> startRead(r.reqId(), r.key(), false, false);
            case READ_DETAIL -> startRead(r.reqId(), r.key(), true, false);
            case READ_PATIENT -> startRead(r.reqId(), r.key(), true, true);
            case STORAGE -> {
                DeltaStore s = store.get(r.key());
                env.observe(new Observation.DeltaStorage(self, r.reqId(), r.key(), s == null ? 0 : s.looseCount(),
                        s == null ? 0 : s.summaryCount(), s == null ? 0 : s.bytes(), env.now()));
            }
        }
    }

    private void onIncrement(DeltaMessage.Request r) {
        long seq = ownSeq.merge(r.key(), 1L, Long::sum);
        Entry e = Entry.single(self, incarnation, seq, r.amount());
        storeOf(r.key()).merge(e);
        if (config.replicas() == 1) {
            env.observe(new Observation.DeltaAck(self, r.reqId(), r.key(), incarnation, seq, r.amount(), env.now()));
            return;
        }
        long id = ++nextSeq;
        Write w = new Write(r.reqId(), r.key(), seq, r.amount(), e, env.now() + config.writeDeadlineNanos());
        writes.put(id, w);
        sendWrite(id, w);
        env.schedule(config.replicaRetryNanos(), () -> onWriteRetryTimeout(id));
    }

    private void sendWrite(long id, Write w) {
        DeltaMessage.State m = new DeltaMessage.State(DeltaMessage.StateKind.REPLICATE, id, w.key, List.of(w.entry));
        for (int to : live(config.replicas() - 1 - w.ackedBy.cardinality(), w.ackedBy)) {
            env.send(to, m);
            long[] h = holders.computeIfAbsent(w.key, k -> new TreeMap<>()).computeIfAbsent(to, k -> new long[3]);
            h[2] = 1; // dirty: it may hold increments a release has not covered
        }
    }

    private void onWriteRetryTimeout(long id) {
        Write w = writes.get(id);
        if (w == null) {
            return;
        }
        if (env.now() >= w.deadlineNanos) {
            writes.remove(id);
            env.observe(new Observation.CacheFailed(self, w.reqId, w.key, true, env.now()));
            return;
        }
        sendWrite(id, w);
        env.schedule(config.replicaRetryNanos(), () -> onWriteRetryTimeout(id));
    }

    // ---- state between nodes -------------------------------------------------------------------------------

    private void onState(int from, DeltaMessage.State s) {
        if (from < 0) {
            return;
        }
        DeltaStore ds = storeOf(s.key());
        ds.mergeAll(s.entries());
        if (ds.isEmpty()) {
            store.remove(s.key());
        }
        env.send(from, DeltaMessage.Signal.ack(s.seq()));
    }

    private void onSignal(int from, DeltaMessage.Signal s) {
        if (from < 0) {
            return;
        }
        switch (s.kind()) {
            case ACK -> onAck(from, s.seq());
            case RELEASE -> {
                DeltaStore ds = store.get(s.key());
                if (ds != null) {
                    ds.release(new Origin(s.node(), s.incarnation()), s.upTo());
                    if (ds.isEmpty()) {
                        store.remove(s.key());
                    }
                }
            }
            case PING -> {
                if (knownIncarnation[from] != s.incarnation()) {
                    if (knownIncarnation[from] >= 0) {
                        forget(from, true); // it restarted: it holds nothing it confirmed before
                    }
                    knownIncarnation[from] = s.incarnation();
                }
                env.send(from, new DeltaMessage.Signal(DeltaMessage.SignalKind.PONG, s.seq(), 0, self, incarnation, 0));
            }
            case PONG -> onRoundTrip(from, env.now() - s.seq());
            case QUERY_TAKEN -> {
                Read rd = reads.get(new QueryId(s.node(), s.seq()));
                if (rd != null) {
                    rd.taken.set(from);
                }
            }
        }
    }

    /** RFC 6298, section 2: the smoothed round trip and its variation, gains 1/8 and 1/4. */
    private void onRoundTrip(int peer, long sampleNanos) {
        if (sampleNanos < 0) {
            return;
        }
        if (srttNanos[peer] < 0) {
            srttNanos[peer] = sampleNanos;
            rttVarNanos[peer] = sampleNanos / 2;
        } else {
            rttVarNanos[peer] = (3 * rttVarNanos[peer] + Math.abs(srttNanos[peer] - sampleNanos)) / 4;
            srttNanos[peer] = (7 * srttNanos[peer] + sampleNanos) / 8;
        }
    }

    /**
     * How long to wait for {@code peer} to say it took a query: a retransmission timeout as RFC 6298 computes it
     * (smoothed RTT plus four variations, at least the hop slack); before any sample, the suspicion timeout.
     */
    private long takeTimeoutNanos(int peer) {
        if (srttNanos[peer] < 0) {
            return config.suspicionNanos();
        }
        return srttNanos[peer] + Math.max(config.hopSlackNanos(), 4 * rttVarNanos[peer]);
    }

    private void onAck(int from, long seq) {
        Write w = writes.get(seq);
        if (w != null) {
            w.ackedBy.set(from);
            if (w.ackedBy.cardinality() >= config.replicas() - 1) {
                writes.remove(seq);
                env.observe(new Observation.DeltaAck(self, w.reqId, w.key, incarnation, w.seq, w.amount, env.now()));
            }
            return;
        }
        Sync y = syncs.remove(seq);
        if (y == null) {
            return;
        }
        switch (y.kind()) {
            case SUMMARY -> {
                long[] h = holders.computeIfAbsent(y.key(), k -> new TreeMap<>()).computeIfAbsent(from, k -> new long[3]);
                h[0] = Math.max(h[0], y.upTo());
            }
            case ADOPT -> {
                long[] a = adopted.computeIfAbsent(y.key(), k -> new TreeMap<>())
                        .computeIfAbsent(y.origin(), k -> new TreeMap<>())
                        .computeIfAbsent(from, k -> new long[] {y.upTo(), 0, y.sentNanos()});
                a[1] = 1;
            }
            case REPLICATE -> throw new IllegalStateException("replication acks are writes' acks, not syncs'");
        }
    }

    // ---- background work -----------------------------------------------------------------------------------

    private void onCompactTimeout() {
        for (DeltaStore ds : store.values()) {
            ds.fold();
        }
        // An unacknowledged summary or adoption is sent again below; an old one's ack is not coming.
        syncs.values().removeIf(y -> env.now() - y.sentNanos() > 4 * config.compactNanos());
        Origin me = new Origin(self, incarnation);
        List<Integer> replicas = replicaSet();
        for (Map.Entry<Long, Long> own : ownSeq.entrySet()) {
            pushSummary(own.getKey(), me, replicas);
        }
        for (Map.Entry<Long, DeltaStore> e : store.entrySet()) {
            for (Origin o : e.getValue().origins()) {
                if (orphaned(o)) {
                    adopt(e.getKey(), o, e.getValue().entry(o));
                }
            }
        }
        releaseAdoptions();
        env.schedule(config.compactNanos(), this::onCompactTimeout);
    }

    private void pushSummary(long key, Origin me, List<Integer> replicas) {
        DeltaStore ds = store.get(key);
        Entry own = ds == null ? null : ds.entry(me);
        if (own == null) {
            return;
        }
        long upTo = last(own);
        TreeMap<Integer, long[]> hs = holders.computeIfAbsent(key, k -> new TreeMap<>());
        boolean allConfirmed = replicas.size() == config.replicas() - 1;
        for (int v : replicas) {
            long[] h = hs.computeIfAbsent(v, k -> new long[3]);
            if (h[0] < upTo) {
                allConfirmed = false;
                long id = ++nextSeq;
                syncs.put(id, new Sync(DeltaMessage.StateKind.SUMMARY, key, v, upTo, me, env.now()));
                env.send(v, new DeltaMessage.State(DeltaMessage.StateKind.SUMMARY, id, key, List.of(own)));
                // Dirty like a write's target: a replica of now that a false suspicion put in place is a holder of
                // the past once the suspicion ends, and only a release removes its copy.
                h[2] = 1;
            }
        }
        if (!allConfirmed) {
            return;
        }
        for (Map.Entry<Integer, long[]> h : hs.entrySet()) {
            long[] st = h.getValue();
            if (!replicas.contains(h.getKey()) && st[2] != 0 && !suspected[h.getKey()]) {
                env.send(h.getKey(), new DeltaMessage.Signal(DeltaMessage.SignalKind.RELEASE, 0, key, self, incarnation,
                        upTo));
                st[0] = 0;
                st[1] = upTo;
                st[2] = 0;
            }
        }
    }

    /** The last increment {@code share} covers: its highest single increment, or its summary's if it has none. */
    private static long last(Entry share) {
        return share.looseCount() == 0 ? share.upTo() : share.seqAt(share.looseCount() - 1);
    }

    /**
     * Copies a dead origin's share to one more node, if this node is the one to do it: the origin's replicas were
     * its first r - 1 neighbours in its ring order, so the first of those this node does not suspect (itself,
     * or a neighbour of its own; a node it has no news of counts as alive) adopts, and copies to its first live
     * neighbour outside the origin's replica set. One holder copies, so the share is on r nodes again, not on
     * 2(r - 1).
     */
    private void adopt(long key, Origin o, Entry share) {
        int[] theirs = ringOrder(o.node());
        int replicas = Math.min(config.replicas() - 1, theirs.length);
        for (int i = 0; i < replicas; i++) {
            int h = theirs[i];
            if (h == self) {
                break;
            }
            if (!suspected[h]) {
                return; // an earlier replica of the origin is alive (as far as this node knows): it adopts
            }
        }
        TreeMap<Integer, long[]> by = adopted.computeIfAbsent(key, k -> new TreeMap<>())
                .computeIfAbsent(o, k -> new TreeMap<>());
        for (Map.Entry<Integer, long[]> a : by.entrySet()) {
            if (a.getValue()[1] != 0 && !suspected[a.getKey()]) {
                return; // a live adopter confirmed its copy
            }
        }
        BitSet skip = new BitSet();
        skip.set(o.node());
        for (int i = 0; i < replicas; i++) {
            skip.set(theirs[i]);
        }
        List<Integer> to = live(1, skip);
        if (to.isEmpty()) {
            return;
        }
        long id = ++nextSeq;
        int adopter = to.get(0);
        long last = last(share);
        syncs.put(id, new Sync(DeltaMessage.StateKind.ADOPT, key, adopter, last, o, env.now()));
        // Listed before the ack: if the ack is late or lost, the copy may still be there to release.
        long[] a = by.computeIfAbsent(adopter, k -> new long[3]);
        a[0] = Math.max(a[0], last);
        a[2] = env.now();
        env.send(adopter, new DeltaMessage.State(DeltaMessage.StateKind.ADOPT, id, key, List.of(share)));
    }

    /**
     * An origin adopted after a suspicion that turns out false (it talks again, same incarnation) holds its
     * increments itself, with its replicas: every adopter's copy is one too many, and is released. An adopter
     * is told once it is not suspected and its copy has surely arrived (it acked, or it was sent more than four
     * compaction periods ago), so the release does not overtake the copy.
     */
    private void releaseAdoptions() {
        for (Map.Entry<Long, TreeMap<Origin, TreeMap<Integer, long[]>>> e : adopted.entrySet()) {
            e.getValue().entrySet().removeIf(byOrigin -> {
                Origin o = byOrigin.getKey();
                boolean back = o.node() != self && !suspected[o.node()] && knownIncarnation[o.node()] == o.incarnation();
                if (back) {
                    byOrigin.getValue().entrySet().removeIf(a -> {
                        long[] st = a.getValue();
                        boolean arrived = st[1] != 0 || env.now() - st[2] > 4 * config.compactNanos();
                        if (suspected[a.getKey()] || !arrived) {
                            return false;
                        }
                        env.send(a.getKey(), new DeltaMessage.Signal(DeltaMessage.SignalKind.RELEASE, 0, e.getKey(),
                                o.node(), o.incarnation(), st[0]));
                        return true;
                    });
                }
                return byOrigin.getValue().isEmpty();
            });
        }
    }

    // ---- reads ---------------------------------------------------------------------------------------------

    private void startRead(long reqId, long key, boolean detail, boolean patient) {
        QueryId id = new QueryId(self, reqId);
        seen.put(id, Boolean.TRUE);
        Read rd = new Read(id, key, Env.CLIENT, detail, patient);
        begin(rd, config.readBudgetNanos(), -1);
    }

    private void onQuery(int from, DeltaMessage.Query q) {
        if (from < 0) {
            return;
        }
        QueryId id = new QueryId(q.root(), q.reqId());
        if (seen.containsKey(id)) {
            Read mine = reads.get(id);
            if (mine != null && mine.waiting.get(from)) {
                // Crossing queries: the sender has a parent of its own, so it is not this node's child. Stop
                // waiting for it now rather than for its empty answer a round trip later.
                mine.waiting.clear(from);
                if (mine.waiting.isEmpty()) {
                    finish(mine);
                }
            }
            env.send(from, new DeltaMessage.Answer(q.root(), q.reqId(), q.key(), 0, List.of()));
            return;
        }
        seen.put(id, Boolean.TRUE);
        env.send(from, new DeltaMessage.Signal(DeltaMessage.SignalKind.QUERY_TAKEN, q.reqId(), q.key(), q.root(), 0, 0));
        begin(new Read(id, q.key(), from, q.detail(), q.patient()), q.budgetNanos(), from);
    }

    private void begin(Read rd, long budgetNanos, int parent) {
        DeltaStore own = store.get(rd.key);
        if (own != null) {
            rd.merged.merge(own);
        }
        // An eighth less per hop (at least the hop slack): a deep tree's leaves still get time, and each answer
        // has that much time to cross its link before its parent's own deadline.
        long childBudget = budgetNanos - Math.max(budgetNanos / 8, config.hopSlackNanos());
        long takeTimeout = 0;
        if (childBudget > 0) {
            DeltaMessage.Query q = new DeltaMessage.Query(rd.id.root(), rd.id.reqId(), rd.key, childBudget, rd.detail,
                    rd.patient);
            for (int p : peers) {
                if (p != parent && !suspected[p]) {
                    rd.waiting.set(p);
                    env.send(p, q);
                    takeTimeout = Math.max(takeTimeout, takeTimeoutNanos(p));
                }
            }
        }
        if (rd.waiting.isEmpty()) {
            finish(rd);
            return;
        }
        reads.put(rd.id, rd);
        rd.timer = env.schedule(budgetNanos, () -> {
            if (reads.get(rd.id) == rd) {
                finish(rd);
            }
        });
        if (!rd.patient && takeTimeout < budgetNanos) {
            // A child that has not even taken the query within a round-trip timeout is most likely dead (a crash
            // the heartbeats have not shown yet): the read goes on without it rather than wait for the suspicion.
            env.schedule(takeTimeout, () -> {
                if (reads.get(rd.id) != rd) {
                    return;
                }
                for (int c = rd.waiting.nextSetBit(0); c >= 0; c = rd.waiting.nextSetBit(c + 1)) {
                    if (!rd.taken.get(c)) {
                        rd.waiting.clear(c);
                    }
                }
                if (rd.waiting.isEmpty()) {
                    finish(rd);
                }
            });
        }
    }

    private void onAnswer(int from, DeltaMessage.Answer a) {
        Read rd = reads.get(new QueryId(a.root(), a.reqId()));
        if (rd == null || from < 0 || !rd.waiting.get(from)) {
            return; // late, after this node answered its own parent
        }
        rd.waiting.clear(from);
        rd.taken.set(from);
        rd.merged.mergeAll(a.entries());
        rd.answered += a.answered();
        if (rd.waiting.isEmpty()) {
            finish(rd);
        }
    }

    private void finish(Read rd) {
        reads.remove(rd.id);
        if (rd.timer != null) {
            rd.timer.cancel();
        }
        rd.merged.fold();
        if (rd.parent == Env.CLIENT) {
            env.observe(new Observation.DeltaRead(self, rd.id.reqId(), rd.key, rd.merged.plus(), rd.merged.minus(),
                    rd.answered, rd.merged.origins().size(), rd.merged.looseCount(), rd.detail ? rd.merged.dots() : "",
                    env.now()));
        } else {
            env.send(rd.parent, new DeltaMessage.Answer(rd.id.root(), rd.id.reqId(), rd.key, rd.answered,
                    rd.merged.entries()));
        }
    }

    // ---- for tests and checkers ----------------------------------------------------------------------------

    /** What this node holds of {@code key}, or null. */
    public DeltaStore store(long key) {
        return store.get(key);
    }

    /** The keys this node holds something of. */
    public List<Long> keys() {
        return new ArrayList<>(store.keySet());
    }

    /** This node's incarnation: {@code Env.now()} when it (re)started. */
    public long incarnation() {
        return incarnation;
    }

    @Override
    public String toString() {
        return "DeltaCache[node " + self + "/" + incarnation + ", " + store.size() + " keys, " + writes.size()
                + " writes pending, " + reads.size() + " reads]";
    }
}
