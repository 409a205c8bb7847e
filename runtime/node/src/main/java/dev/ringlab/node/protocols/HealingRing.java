package dev.ringlab.node.protocols;

import dev.ringlab.node.SplitMix;
import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.RingMessage;
import dev.ringlab.node.Timer;
import dev.ringlab.topology.Overlay;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The token ring that survives crashes: the particle of {@link TokenRing} plus failure detection, ring
 * repair with successor lists, token regeneration with epochs, and rejoin at the node's place in the fixed
 * enumeration.
 *
 * <h2>Failure detection</h2>
 * Every {@link RecoveryConfig#heartbeatIntervalNanos} a node sends a {@link Message.Heartbeat} to each of
 * its {@code r} successors {@code self+1 .. self+r} (its successor list, as in Chord: Stoica et al., SIGCOMM
 * 2001, but over the fixed enumeration) and each answers with a {@link Message.HeartbeatAck}; a
 * {@link FailureDetector} per successor (timeout or phi-accrual) turns ack silence into suspicion
 * ({@link Observation.Suspected}). Suspicion is revocable: a node keeps heartbeating the successors it
 * suspects, and the first ack (or any message) from one withdraws the suspicion
 * ({@link Observation.Unsuspected}), so a node that was only slow, or cut off by a loss burst or a healed
 * partition, rejoins by itself. A (re)starting node also heartbeats its {@code r} predecessors once, which
 * they take as proof of life: that is how a respawned node announces itself.
 *
 * <p>What silence cannot tell, on real engines (in the simulator, whose timers fire exactly on time, the
 * last two never act, and the first acts only with a grace or probation other than the defaults of
 * {@link RecoveryConfig#defaults()}; {@link dev.ringlab.node.spec.Timing} sets them per engine):
 * <ul>
 *   <li>a successor on probation (never heard from since this node started; within
 *       {@link RecoveryConfig#probationNanos} of this node's start or of its own return from a suspicion)
 *       gets {@link RecoveryConfig#graceTimeoutNanos}: its link may still be dialling, its JVM still
 *       starting and compiling;</li>
 *   <li>time this node itself was paused (its tick came late: a stalled event loop, a GC pause, a process
 *       the OS did not schedule) is not counted as a successor's silence;</li>
 *   <li>the limit grows by {@link #STALL_SLACK_FACTOR} times this node's own recent stalls (the largest
 *       lateness of its ticks, fading linearly over {@link #STALL_MEMORY_NANOS}): processes that share an
 *       overloaded host stall together, and measured on a 2-core host at load average 15 a successor's
 *       silence was up to 640 ms while the judging nodes' own ticks came up to 100-530 ms late.</li>
 * </ul>
 *
 * <h2>Ring repair</h2>
 * A node passes the token to its current successor: the first of its list it does not suspect
 * ({@link Observation.SuccessorChanged} when that changes). Up to {@code r - 1} dead nodes in a row are
 * skipped; with {@code r} in a row the ring is broken until one comes back, and the node holds the token
 * meanwhile. Each node also keeps a membership view (who is dead) as last-writer-wins entries
 * {@code (node, dead, stamp, announcer)}: a node announces every change of its own suspicions that its view
 * does not already say, and the announcement travels around the ring ({@link Message.Membership} with
 * {@code relay}: each node that learns something forwards it to its successor). Announcements can be lost,
 * so views also converge by anti-entropy: heartbeats and acks carry a view digest, and neighbours whose
 * digests differ exchange whole views. A node re-announces, every tick, what it knows first-hand but its
 * view contradicts, for the successors it is the nearest live predecessor of; so views converge to the
 * detectors' opinions. The view decides which node is the <em>anchor</em> (the lowest id it believes alive).
 *
 * <h2>Token regeneration</h2>
 * Tokens carry an epoch {@code gen << 20 | creator}, so two nodes never create the same epoch and a
 * higher epoch wins ties by node id; {@code gen} is {@code max(highest generation heard of + 1, now in
 * ms)}, time-based so that a restarted node, which remembers nothing, still creates a higher epoch than
 * any it created before it crashed. A node drops any token of an epoch lower than the highest it has seen
 * ({@link Observation.TokenDropped}); two tokens of different epochs travelling the ring collapse into the
 * higher one within a rotation, since the lower one is dropped at the latest at the higher one's creator.
 * A token is regenerated ({@link Observation.TokenCreated}) when:
 * <ol>
 *   <li>a node suspects the successor it last passed the token to, no heartbeat ack of that successor
 *       says it took a token after the pass, and the node has not seen a token since, at least one of its
 *       own rotation intervals after that pass (the token would be back by now): the token died with that
 *       successor; this one node regenerates at once (the others that suspect a successor know from its
 *       acks that the token went on, so a stall that many nodes notice does not set off many
 *       regenerations);
 *   <li>the anchor has not seen a token for {@link RecoveryConfig#tokenLossTimeoutNanos} (lost in the
 *       network), or any other node for twice that plus its rank (lower ids it believes alive) times the
 *       heartbeat interval (the anchor itself is cut off; the stagger lets the first backup's token reach
 *       the others before they fire too); in both cases only if a
 *       predecessor said within the suspicion timeout that it passes the token to this node (heartbeats
 *       carry the sender's current successor): a node the ring does not reach (a respawned node whose
 *       nearest predecessor has not reconnected yet) cannot tell a lost token from one that cannot get to it.
 * </ol>
 * The first token: node 0 creates it when the first heartbeat ack tells it that no one has seen a token
 * yet (a cold start); a restarted node 0 learns an epoch from that ack instead and creates nothing.
 *
 * <h2>Rotations and ticks</h2>
 * The node that receives the token from a higher id (the token crossed the end of the enumeration: node 0,
 * or the lowest live node when 0 is dead) completes a rotation ({@link Observation.RotationCompleted}) and
 * starts the next. Ticks never repeat or go back on a node: a token arriving with a rotation number not
 * above the node's last tick (after a regeneration or a heal) is renumbered to the next tick, and within a
 * rotation all nodes agree again. Without faults, ticks, rotations and rotation estimates are those of
 * {@link TokenRing}, except that the first token appears one round trip after start.
 *
 * <h2>Passing on a link that is up</h2>
 * A node passes the token only to a successor it has heard from since it started (an ack, a membership
 * exchange: anything that came over the edge's connection); until then it holds the token, and passes it
 * the moment that successor is first heard from (or, if the successor is suspected meanwhile, to the next
 * one, once heard from). It sends that successor a heartbeat as it starts holding, so that a link that came
 * up since the last tick releases the token a round trip later rather than at the next tick.
 *
 * <p>Why: a message sent on a link that is not up is dropped at the sender, and the node would not know. On a
 * real engine a respawned node's predecessor may redial it, and hand it the token, before the new node's own
 * link to its successor is up (near the end of the enumeration every edge of the node is dialled by its
 * neighbours, each on its own backoff; elsewhere its own dials, from a cold JVM, may be slow). A token passed
 * then was lost until the token-loss timeout. On a cold start the first token comes one round trip after
 * start, by when each node has usually heard from its successor; in the simulator without a restart model
 * every link is up, so the wait only applies where a successor's ack is slower than the token (a ring whose
 * successors are a WAN round trip away).
 *
 * <h2>Payload station</h2>
 * A wrapping protocol may give a {@link PayloadStation}: each time this node takes the token (it arrives,
 * or this node creates one), the station reads the payload and returns the payload the token leaves with,
 * the way a {@link Station} rides the {@link TokenRing}'s token. The config bus puts its deltas there. Without
 * a station the payload is passed on untouched.
 *
 * <h2>Overlays</h2>
 * Needs an edge (either direction) between every node and each of its {@code r} successors, because real
 * engines only carry messages along overlay edges: {@link #overlay} builds the smallest such graph;
 * {@code complete} works for any r, {@code chordal:2} for r <= 2.
 */
public final class HealingRing implements Node {
    /** The node that creates the first token on a cold start. */
    public static final int ORIGIN = 0;
    /** Low bits of an epoch that name its creator. */
    public static final int ID_BITS = 20;
    /** Largest cluster: node ids must fit in {@link #ID_BITS}. */
    public static final int MAX_NODES = 1 << ID_BITS;

    /** Own stalls are remembered this long (fading linearly) when judging successors. */
    public static final long STALL_MEMORY_NANOS = 10_000_000_000L;
    /** The suspicion limit grows by this many times this node's own recent stalls. */
    public static final int STALL_SLACK_FACTOR = 2;

    private static final long MS = 1_000_000L;
    private static final byte[] EMPTY = new byte[0];

    /**
     * A hook at one node: called on the node's thread each time the node takes the token (once per visit,
     * before the token is passed on or held), it reads the payload and returns the payload the token leaves
     * with (the same array to leave it untouched). Must not block; the encoded token must stay within the
     * frame cap.
     */
    @FunctionalInterface
    public interface PayloadStation {
        /**
         * @param from  the node the token came from, or this node for a token it just created (empty payload)
         * @param token the token as it arrived (rotation already renumbered)
         * @return the payload to pass on, not null
         */
        byte[] onToken(int from, Message.Token token);
    }

    private final int self;
    private final int n;
    private final RecoveryConfig config;
    /** Reads and rewrites the token's payload on each visit; null: the payload passes untouched. */
    private final PayloadStation station;
    /** Successor list: self+1 .. self+r (fewer if n - 1 < r). */
    private final int[] succ;
    /** Predecessors self-1 .. self-r, heartbeated once at start. */
    private final int[] pred;
    private final FailureDetector[] detectors;
    private final boolean[] suspected;
    /** Per successor: heard from since this node started (its link is up: see "Passing on a link that is up"). */
    private final boolean[] heard;
    /** Per successor: the latest time its acks say it took a token. */
    private final long[] successorTokenAtNanos;
    private int current = -1; // index in succ of the current successor, -1 if all suspected
    private Env env;
    private long startedAtNanos;
    private long heartbeatSeq;
    /** When the last heartbeat tick ran: a tick later than one interval after it measures a local pause. */
    private long lastTickAtNanos;
    /** The largest recent lateness of this node's ticks, and when it was measured (see {@link #recentStall}). */
    private long stallPeakNanos;
    private long stallPeakAtNanos;

    // Token state.
    private long maxEpoch = -1; // highest epoch of a token seen (received or created) here
    private long epochFloor = -1; // highest epoch heard of, from tokens or heartbeats
    private boolean originPending;
    private Message.Token held; // the token, while this node has no live successor to pass it to
    private long heldArrivedAtNanos;
    /** The successor (index in succ) the held token last sent a probe heartbeat to, -1 if none. */
    private int probedFor = -1;
    private long lastTick;
    private long lastTokenSeenNanos;
    private int lastPassTo = -1;
    private long lastPassAtNanos;
    private boolean seenSincePass = true;
    private long lastIntervalNanos;
    /** When a predecessor that passes the token to this node last said so: proof that the ring reaches it. */
    private long lastLinkedNanos = Long.MIN_VALUE / 2;
    private Timer recheck;
    private boolean visited;
    private long visitEpoch;
    private long prevVisitAtNanos;
    private long prevHop;
    private long prevHeldNanos;

    // Membership view: last-writer-wins entries by node id (ordered map: iteration never depends on hashing).
    private final TreeMap<Integer, Message.Member> view = new TreeMap<>();
    private int deadCount;
    private long digest;

    /** The healing ring with {@code config}; its spec is {@link RecoveryConfig#spec()}. */
    public static Protocol protocol(RecoveryConfig config) {
        Objects.requireNonNull(config, "config");
        String spec = config.spec();
        return new Protocol() {
            @Override
            public String spec() {
                return spec;
            }

            @Override
            public Node create(int id, Overlay overlay) {
                return new HealingRing(id, overlay, config);
            }
        };
    }

    /** True if {@code spec} names this protocol ({@code healing} or {@code healing:...}). */
    public static boolean isSpec(String spec) {
        return spec.equals(RecoveryConfig.SPEC_PREFIX) || spec.startsWith(RecoveryConfig.SPEC_PREFIX + ":");
    }

    /**
     * The ring with successor lists: node {@code v} linked (undirected) to {@code v+1 .. v+r}, the smallest
     * overlay this protocol runs on over real sockets. Its spec is {@code successor-ring:R}; it is not a
     * built-in topology, so a processes cluster (which rebuilds the overlay from a spec in each JVM) uses
     * {@code complete} or {@code chordal:2} instead.
     */
    public static Overlay overlay(int n, int r) {
        if (n < 2 || n > MAX_NODES) {
            throw new IllegalArgumentException("a healing ring needs 2.." + MAX_NODES + " nodes, got " + n);
        }
        if (r < 1) {
            throw new IllegalArgumentException("successor list length must be >= 1, got " + r);
        }
        int[][] adj = new int[n][];
        for (int v = 0; v < n; v++) {
            List<Integer> out = new ArrayList<>();
            for (int i = 1; i <= r && i < n; i++) {
                int s = (v + i) % n;
                int p = Math.floorMod(v - i, n);
                if (!out.contains(s)) {
                    out.add(s);
                }
                if (!out.contains(p) && p != v) {
                    out.add(p);
                }
            }
            adj[v] = out.stream().mapToInt(Integer::intValue).toArray();
        }
        return Overlay.fromAdjacency("successor-ring:" + r, false, adj);
    }

    /**
     * @throws IllegalArgumentException if the overlay has fewer than 2 nodes, more than {@link #MAX_NODES}, or
     *     no edge between {@code id} and one of its successors
     */
    public HealingRing(int id, Overlay overlay, RecoveryConfig config) {
        this(id, overlay, config, null);
    }

    /**
     * The ring node with a {@link PayloadStation} ({@code station} null: none, exactly as the constructor
     * without it).
     *
     * @throws IllegalArgumentException as {@link #HealingRing(int, Overlay, RecoveryConfig)}
     */
    public HealingRing(int id, Overlay overlay, RecoveryConfig config, PayloadStation station) {
        Objects.requireNonNull(overlay, "overlay");
        this.station = station;
        this.config = Objects.requireNonNull(config, "config");
        this.n = overlay.size();
        if (n < 2 || n > MAX_NODES) {
            throw new IllegalArgumentException("a healing ring needs 2.." + MAX_NODES + " nodes, got " + n);
        }
        if (id < 0 || id >= n) {
            throw new IllegalArgumentException("node " + id + " is not in 0.." + (n - 1));
        }
        this.self = id;
        int r = Math.min(config.successors(), n - 1);
        this.succ = new int[r];
        this.pred = new int[r];
        for (int i = 0; i < r; i++) {
            succ[i] = (id + 1 + i) % n;
            pred[i] = Math.floorMod(id - 1 - i, n);
            if (!linked(overlay, id, succ[i])) {
                throw new IllegalArgumentException("overlay '" + overlay.spec() + "' has no edge " + id + " - " + succ[i]
                        + ": the healing ring with r=" + config.successors()
                        + " needs edges to the r successors (successor-ring:R, complete, or chordal:2 for r <= 2)");
            }
        }
        this.detectors = new FailureDetector[r];
        this.suspected = new boolean[r];
        this.heard = new boolean[r];
        this.successorTokenAtNanos = new long[r];
    }

    private static boolean linked(Overlay o, int a, int b) {
        for (int i = 0; i < o.degree(a); i++) {
            if (o.neighbour(a, i) == b) {
                return true;
            }
        }
        for (int i = 0; i < o.degree(b); i++) {
            if (o.neighbour(b, i) == a) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void start(Env env) {
        this.env = env;
        long now = env.now();
        startedAtNanos = now;
        lastTickAtNanos = now - config.heartbeatIntervalNanos(); // the first tick runs now, on time
        lastTokenSeenNanos = now;
        for (int i = 0; i < succ.length; i++) {
            detectors[i] = new FailureDetector(config, now);
            successorTokenAtNanos[i] = Long.MIN_VALUE;
        }
        current = succ.length > 0 ? 0 : -1;
        originPending = self == ORIGIN;
        env.observe(new Observation.ViewChanged(self, 0, 0, now));
        // Hello to the predecessors: the nearest live one relinks to this node at once (rejoin).
        Message.Heartbeat hello = new Message.Heartbeat(0, now, epochFloor, digest, -1);
        for (int p : pred) {
            if (!contains(succ, p)) {
                env.send(p, hello);
            }
        }
        onHeartbeatTimeout();
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void onMessage(int from, Message m) {
        // Broadcasts (and client injects) are not the ring's; application messages (config bus, catalog, cache)
        // belong to a protocol that wraps this ring: both ignored (Node#onMessage).
        if (m instanceof RingMessage rm) {
            switch (rm) {
                case Message.Token t -> onToken(from, t);
                case Message.Heartbeat h -> onHeartbeat(from, h);
                case Message.HeartbeatAck a -> onHeartbeatAck(from, a);
                case Message.Membership ms -> onMembership(from, ms);
            }
        }
    }

    // ---- failure detection ----------------------------------------------------------------------------

    private void onHeartbeatTimeout() {
        long now = env.now();
        // How late this tick is: this node was paused that long (never in the simulator, whose timers are
        // exact), and whatever arrived meanwhile may not have been read yet.
        long paused = Math.max(0, now - lastTickAtNanos - config.heartbeatIntervalNanos());
        lastTickAtNanos = now;
        if (paused > 0 && paused >= recentStall(now)) {
            stallPeakNanos = paused;
            stallPeakAtNanos = now;
        }
        long slack = STALL_SLACK_FACTOR * recentStall(now);
        heartbeatSeq++;
        Message.Heartbeat h = new Message.Heartbeat(heartbeatSeq, now, epochFloor, digest, successor());
        for (int s : succ) {
            env.send(s, h);
        }
        // Judge every successor first, then relink once: relinking one by one would pass the token to a
        // successor about to be suspected in the same tick.
        boolean[] fresh = null;
        for (int i = 0; i < succ.length; i++) {
            if (!suspected[i] && detectors[i].suspects(now, paused, slack)) {
                suspected[i] = true;
                env.observe(new Observation.Suspected(self, succ[i], now));
                if (fresh == null) {
                    fresh = new boolean[succ.length];
                }
                fresh[i] = true;
            }
        }
        if (fresh != null) {
            int passedTo = lastPassTo;
            updateCurrent(now);
            for (int i = 0; i < succ.length; i++) {
                if (fresh[i]) {
                    announce(succ[i], true, now);
                    if (succ[i] == passedTo && lastPassTo == passedTo) {
                        tokenMayHaveDiedAt(i, now);
                    }
                }
            }
        }
        reannounce(now);
        checkTokenLoss(now, paused, slack);
        env.schedule(config.heartbeatIntervalNanos(), this::onHeartbeatTimeout);
    }

    /** This node's own largest recent stall: the peak lateness of its ticks, fading linearly to 0. */
    private long recentStall(long now) {
        long age = now - stallPeakAtNanos;
        if (stallPeakNanos == 0 || age >= STALL_MEMORY_NANOS) {
            return 0;
        }
        return stallPeakNanos - (long) ((double) stallPeakNanos * age / STALL_MEMORY_NANOS);
    }

    private void onHeartbeat(int from, Message.Heartbeat h) {
        long now = env.now();
        heardFrom(from, now);
        if (h.successor() == self) {
            lastLinkedNanos = now;
        }
        learnEpoch(h.maxEpoch());
        env.send(from, new Message.HeartbeatAck(h.seq(), h.sentAtNanos(), epochFloor, digest, lastTokenSeenNanos));
        if (h.viewDigest() != digest && !view.isEmpty()) {
            env.send(from, new Message.Membership(false, new ArrayList<>(view.values())));
        }
    }

    private void onHeartbeatAck(int from, Message.HeartbeatAck a) {
        long now = env.now();
        heardFrom(from, now);
        for (int i = 0; i < succ.length; i++) {
            if (succ[i] == from) {
                successorTokenAtNanos[i] = Math.max(successorTokenAtNanos[i], a.tokenSeenAtNanos());
            }
        }
        if (originPending) {
            originPending = false;
            if (a.maxEpoch() < 0 && epochFloor < 0 && held == null) {
                regenerate(now); // a cold start: nobody has seen a token
            }
        }
        learnEpoch(a.maxEpoch());
        if (a.viewDigest() != digest && !view.isEmpty()) {
            env.send(from, new Message.Membership(false, new ArrayList<>(view.values())));
        }
    }

    private void learnEpoch(long epoch) {
        if (epoch > epochFloor) {
            epochFloor = epoch;
        }
        if (epoch >= 0) {
            originPending = false;
        }
    }

    /** Any message from a successor is proof of life, and (the first since this node started) of a link that is up. */
    private void heardFrom(int from, long now) {
        for (int i = 0; i < succ.length; i++) {
            if (succ[i] == from) {
                detectors[i].heard(now);
                boolean first = !heard[i];
                heard[i] = true;
                if (suspected[i]) {
                    unsuspect(i, now);
                }
                if (first && i == current && held != null) {
                    tryPass(); // the token waited for this successor's link
                }
                return;
            }
        }
    }

    /** Successor {@code i}, just suspected, is where this node last sent the token: was it lost there? */
    private void tokenMayHaveDiedAt(int i, long now) {
        if (current < 0) {
            // Every successor is suspected at once: far likelier this node is the one cut off (the minority side
            // of a partition, or a node whose heartbeats were all lost) than that r nodes in a row died, and a
            // token made here could go nowhere. The rest of the ring repairs the token if it was lost (its own
            // detectors, or the token-loss timeout); this node takes part again once it hears a successor.
            return;
        }
        if (lastPassTo == succ[i] && !seenSincePass && held == null && successorTokenAtNanos[i] < lastPassAtNanos) {
            // The token went to the node now suspected, no ack says it got there, and it has not come back:
            // it died there.
            long back = lastPassAtNanos + lastIntervalNanos;
            if (lastIntervalNanos == 0 || now >= back) {
                regenerate(now);
            } else {
                // The token may still be on its way round: look again when it should be back.
                int lost = succ[i];
                if (recheck != null) {
                    recheck.cancel();
                }
                recheck = env.schedule(back + config.heartbeatIntervalNanos() - now, () -> {
                    recheck = null;
                    if (lastPassTo == lost && !seenSincePass && held == null && isSuspected(lost) && current >= 0) {
                        regenerate(env.now());
                    }
                });
            }
        }
    }

    private void unsuspect(int i, long now) {
        suspected[i] = false;
        detectors[i].reset(now);
        env.observe(new Observation.Unsuspected(self, succ[i], now));
        updateCurrent(now);
        announce(succ[i], false, now);
    }

    private boolean isSuspected(int node) {
        for (int i = 0; i < succ.length; i++) {
            if (succ[i] == node) {
                return suspected[i];
            }
        }
        return false;
    }

    private void updateCurrent(long now) {
        int c = -1;
        for (int i = 0; i < succ.length; i++) {
            if (!suspected[i]) {
                c = i;
                break;
            }
        }
        if (c != current) {
            current = c;
            env.observe(new Observation.SuccessorChanged(self, successor(), now));
            if (held != null) {
                tryPass();
            }
        }
    }

    /** The node the token goes to next, or -1 if every successor in the list is suspected. */
    public int successor() {
        return current < 0 ? -1 : succ[current];
    }

    // ---- membership view ------------------------------------------------------------------------------

    /** Announces {@code node}'s state around the ring unless the view already says so. */
    private void announce(int node, boolean dead, long now) {
        if (viewDead(node) == dead) {
            return;
        }
        Message.Member m = new Message.Member(node, dead, now, self);
        if (apply(m)) {
            viewChanged(now);
            relay(List.of(m), -1);
        }
    }

    /**
     * Re-announces, for the successors this node is the nearest live predecessor of (those up to its current
     * successor), what it knows first-hand and its view contradicts: an entry older than a suspicion timeout,
     * so that views converge to the detectors after lost announcements without contesting fresh news.
     */
    private void reannounce(long now) {
        int upTo = current < 0 ? succ.length - 1 : current;
        for (int i = 0; i <= upTo; i++) {
            Message.Member e = view.get(succ[i]);
            boolean viewDead = e != null && e.dead();
            if (viewDead != suspected[i] && (e == null || now - e.stampNanos() >= config.suspicionTimeoutNanos())) {
                announce(succ[i], suspected[i], now);
            }
        }
    }

    private void onMembership(int from, Message.Membership ms) {
        long now = env.now();
        heardFrom(from, now);
        List<Message.Member> learnt = new ArrayList<>();
        for (Message.Member m : ms.members()) {
            if (m.node() < n && apply(m)) {
                learnt.add(m);
            }
        }
        if (!learnt.isEmpty()) {
            viewChanged(now);
            relay(learnt, from);
        }
    }

    private void relay(List<Message.Member> members, int cameFrom) {
        int s = successor();
        if (s >= 0 && s != cameFrom) {
            env.send(s, new Message.Membership(true, members));
        }
    }

    /** Merges one entry last-writer-wins; true if the view changed. */
    private boolean apply(Message.Member m) {
        Message.Member old = view.get(m.node());
        if (old != null && !m.newerThan(old)) {
            return false;
        }
        if (old != null) {
            digest -= entryHash(old);
            if (old.dead()) {
                deadCount--;
            }
        }
        view.put(m.node(), m);
        digest += entryHash(m);
        if (m.dead()) {
            deadCount++;
        }
        return true;
    }

    private void viewChanged(long now) {
        env.observe(new Observation.ViewChanged(self, deadCount, digest, now));
    }

    private boolean viewDead(int node) {
        Message.Member e = view.get(node);
        return e != null && e.dead();
    }

    private static long entryHash(Message.Member m) {
        long h = mix(m.node() * 0x9E3779B97F4A7C15L + (m.dead() ? 1 : 2));
        h = mix(h ^ m.stampNanos());
        return mix(h ^ m.announcer());
    }

    private static long mix(long z) {
        return SplitMix.mix64(z);
    }

    /** How many lower ids this node believes alive: 0 for the anchor, the lowest id it believes alive. */
    private int rankInView() {
        int rank = 0;
        for (int v = 0; v < self; v++) {
            if (!viewDead(v)) {
                rank++;
            }
        }
        return rank;
    }

    /** This node's view: the nodes it believes dead, in id order. */
    public List<Integer> deadInView() {
        List<Integer> dead = new ArrayList<>();
        for (Map.Entry<Integer, Message.Member> e : view.entrySet()) {
            if (e.getValue().dead()) {
                dead.add(e.getKey());
            }
        }
        return dead;
    }

    // ---- the token ------------------------------------------------------------------------------------

    private void checkTokenLoss(long now, long paused, long slack) {
        if (held != null) {
            return;
        }
        // A token that arrived while this node was paused may be unread: the pause does not count as idle,
        // and on a host that stalls this node the token stalls too (the slack; both 0 in the simulator).
        long idle = now - paused - slack - lastTokenSeenNanos;
        long loss = config.tokenLossTimeoutNanos();
        // A node no predecessor reaches (a respawned node whose predecessors have not reconnected yet, the
        // minority side of a partition) cannot tell a lost token from one that just cannot get to it.
        boolean reachable = now - lastLinkedNanos <= config.suspicionTimeoutNanos();
        if (!reachable || idle < loss) {
            return;
        }
        int rank = rankInView();
        // The anchor (rank 0) after one loss timeout; the others, as a backup for an anchor that is cut off,
        // after two, staggered by rank so that the first backup's token reaches the rest before they fire.
        if (rank == 0 || idle >= 2 * loss + rank * config.heartbeatIntervalNanos()) {
            regenerate(now);
        }
    }

    /** Creates a token of a fresh, higher epoch here. */
    private void regenerate(long now) {
        long gen = Math.max(epochFloor < 0 ? 0 : (epochFloor >>> ID_BITS) + 1, Math.max(0, Math.floorDiv(now, MS)));
        if (gen >= 1L << (63 - ID_BITS)) {
            throw new IllegalStateException("node " + self + ": token generation " + gen + " overflows the epoch");
        }
        long epoch = (gen << ID_BITS) | self;
        maxEpoch = epoch;
        epochFloor = epoch;
        originPending = false;
        if (recheck != null) {
            recheck.cancel();
            recheck = null;
        }
        env.observe(new Observation.TokenCreated(self, epoch, now));
        lastTokenSeenNanos = now;
        seenSincePass = true;
        visited = true;
        visitEpoch = epoch;
        prevVisitAtNanos = now;
        prevHop = 0;
        prevHeldNanos = 0;
        take(new Message.Token(epoch, lastTick + 1, 0, now, now, 0, EMPTY), now, self);
    }

    private void onToken(int from, Message.Token t) {
        long now = env.now();
        heardFrom(from, now);
        if (t.epoch() < maxEpoch) {
            env.observe(new Observation.TokenDropped(self, t.epoch(), maxEpoch, now));
            return;
        }
        if (held != null) {
            if (held.epoch() == t.epoch()) {
                throw new IllegalStateException("node " + self + " got a second token of epoch " + t.epoch()
                        + " while holding one: two tokens of one epoch");
            }
            env.observe(new Observation.TokenDropped(self, held.epoch(), t.epoch(), now));
            held = null;
        }
        maxEpoch = t.epoch();
        learnEpoch(t.epoch());
        seenSincePass = true;
        lastTokenSeenNanos = now;
        if (recheck != null) {
            recheck.cancel();
            recheck = null;
        }
        env.observe(new Observation.TokenArrived(self, from, t.epoch(), t.rotation(), t.hop(), t.sentAtNanos(), now));
        if (visited && visitEpoch == t.epoch() && t.hop() > prevHop) {
            long intervalNanos = now - prevVisitAtNanos;
            long heldNanos = t.heldNanos() - prevHeldNanos;
            long hops = t.hop() - prevHop;
            lastIntervalNanos = intervalNanos;
            env.observe(new Observation.RotationEstimate(self, t.epoch(), intervalNanos, heldNanos, hops,
                    (intervalNanos - heldNanos) / hops));
        }
        visited = true;
        visitEpoch = t.epoch();
        prevVisitAtNanos = now;
        prevHop = t.hop();
        prevHeldNanos = t.heldNanos();

        Message.Token here = t;
        if (from > self) {
            // The token crossed the end of the enumeration: this node is where rotations are counted.
            env.observe(new Observation.RotationCompleted(self, t.epoch(), t.rotation(), t.rotationStartedAtNanos(), now));
            here = new Message.Token(t.epoch(), t.rotation() + 1, t.hop(), now, t.sentAtNanos(), t.heldNanos(),
                    t.payload());
        }
        if (here.rotation() <= lastTick) {
            here = new Message.Token(here.epoch(), lastTick + 1, here.hop(), here.rotationStartedAtNanos(),
                    here.sentAtNanos(), here.heldNanos(), here.payload());
        }
        take(here, now, from);
    }

    private void take(Message.Token t, long arrivedAtNanos, int from) {
        lastTick = t.rotation();
        env.observe(new Observation.Tick(self, lastTick, arrivedAtNanos));
        if (station != null) {
            byte[] payload = Objects.requireNonNull(station.onToken(from, t), "payload station returned null");
            if (payload != t.payload()) {
                t = new Message.Token(t.epoch(), t.rotation(), t.hop(), t.rotationStartedAtNanos(), t.sentAtNanos(),
                        t.heldNanos(), payload);
            }
        }
        held = t;
        heldArrivedAtNanos = arrivedAtNanos;
        probedFor = -1;
        tryPass();
    }

    /**
     * Passes the held token to the current successor, or keeps it until there is one and this node has heard from it
     * since it started (see "Passing on a link that is up" in the class doc).
     */
    private void tryPass() {
        int to = successor();
        if (held == null || to < 0) {
            return;
        }
        if (!heard[current]) {
            if (probedFor != current) {
                // Ask now rather than at the next tick: if the link came up since, the ack releases the token
                // a round trip from now.
                probedFor = current;
                env.send(to, new Message.Heartbeat(heartbeatSeq, env.now(), epochFloor, digest, to));
            }
            return;
        }
        long now = env.now();
        Message.Token t = held;
        held = null;
        // Time spent waiting for a live successor counts as held, so rotation estimates subtract it.
        Message.Token out = new Message.Token(t.epoch(), t.rotation(), t.hop() + 1, t.rotationStartedAtNanos(), now,
                t.heldNanos() + (now - heldArrivedAtNanos), t.payload());
        env.observe(new Observation.TokenPassed(self, to, t.epoch(), t.rotation(), t.hop(), heldArrivedAtNanos, now));
        lastPassTo = to;
        lastPassAtNanos = now;
        seenSincePass = false;
        env.send(to, out);
    }

    /** The highest token epoch this node has seen, -1 if none. */
    public long maxEpoch() {
        return maxEpoch;
    }

    /**
     * True while this node holds the token: it has no live successor to pass it to, or has not heard from its
     * successor since it started.
     */
    public boolean holding() {
        return held != null;
    }

    @Override
    public String toString() {
        return "HealingRing[node " + self + ", successor " + successor() + ", maxEpoch " + maxEpoch + ", dead in view "
                + deadInView() + "]";
    }
}
