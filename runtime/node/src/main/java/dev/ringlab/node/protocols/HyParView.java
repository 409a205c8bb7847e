package dev.ringlab.node.protocols;

import dev.ringlab.node.Env;
import dev.ringlab.node.ForwardingEnv;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.Timer;
import dev.ringlab.topology.Overlay;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * HyParView, the membership protocol of Leitão, Pereira and Rodrigues ("HyParView: a membership protocol for
 * reliable gossip-based broadcast", DSN 2007), with {@link Plumtree} running over its active view: spec
 * {@code hyparview+plumtree}.
 *
 * <h2>Algorithm</h2>
 * Each node keeps a small symmetric <em>active view</em> (its neighbours: the links Plumtree uses) and a larger
 * <em>passive view</em> (a reserve of other nodes' ids, never contacted until needed).
 * <ul>
 *   <li><b>Join.</b> A starting node takes a contact into its active view and sends it {@code Join}; the contact
 *       takes it in too and starts a {@code ForwardJoin} random walk of length {@code arwl} to each of its
 *       other active neighbours. Where a walk passes with {@code prwl} hops left the joiner enters the passive
 *       view; where it ends (or meets a node with only one neighbour) the joiner enters the active view (a
 *       {@code Neighbor} of forced priority tells it). A full active view drops a random member, which gets
 *       {@code Disconnect} and moves to the passive view on both sides.</li>
 *   <li><b>Failure.</b> Every {@code hb} a node sends {@code KeepAlive} to each active neighbour it sent nothing
 *       else to for that long (a link that carries broadcasts or announcements needs none); a neighbour
 *       silent past {@code suspect} (any message counts; {@code grace} until first heard from) is judged
 *       failed by the {@link FailureDetector} of {@link HealingRing} and dropped. The engines report no failed
 *       send, so silence is the signal the paper takes from a broken TCP connection.</li>
 *   <li><b>Repair.</b> A node whose active view is not full asks random passive nodes with {@code Neighbor},
 *       one request per missing neighbour, in parallel (after a mass crash most passive entries are dead and
 *       each costs a timeout): of high priority if its view is empty (always accepted), else low (accepted only
 *       into a view that is not full). After a refusal the next low-priority requests wait {@code suspect}; a
 *       passive node that does not answer within {@code suspect} is presumed dead and forgotten. An acceptance
 *       that finds the view already full is undone with {@code Disconnect}.</li>
 *   <li><b>Shuffle.</b> Every {@code shuffle} a node sends itself, {@code ka} active and {@code kp} passive
 *       ids on a random walk of {@code arwl} hops; its end answers with as many of its passive ids, and both
 *       merge what they got into their passive views (evicting first the ids they sent).</li>
 * </ul>
 * Plumtree sees a neighbour come up (an eager link in every tree) and go down (its subtree repairs through
 * announcements and grafts): see {@link Plumtree#neighbourUp}.
 *
 * <h2>The overlay</h2>
 * The run's static overlay is the set of <em>allowed</em> links: views only hold nodes joined to this one by
 * an edge, because every engine drops a send along a non-edge. {@code complete} is the paper's setting (any
 * node may talk to any); on a sparse overlay the active views are subgraphs of it. The contact of a join is a
 * random overlay neighbour of lower id (node 0 of a complete overlay has none and waits to be joined); a node
 * whose both views ran empty joins again through a random overlay neighbour. On netty and processes this
 * protocol runs with lazy connections by default ({@code --connections lazy:1s}): the runtime dials an edge on
 * its first send and closes it after a second without traffic, so a node holds about its active view's
 * connections, not one per allowed link.
 *
 * <p>All randomness comes from {@link Env#random()}, so simulator runs replay exactly. Each change of a
 * node's active view is reported as an {@link ActiveViewChange} observation.
 *
 * <p>Spec: {@code hyparview+plumtree} or {@code hyparview+plumtree:KEY=VALUE,...} with the membership keys
 * {@code active} (default {@value #DEFAULT_ACTIVE}: fanout + 1), {@code passive} ({@value #DEFAULT_PASSIVE}),
 * {@code arwl} ({@value #DEFAULT_ARWL}), {@code prwl} ({@value #DEFAULT_PRWL}), {@code ka} ({@value #DEFAULT_KA}),
 * {@code kp} ({@value #DEFAULT_KP}), {@code shuffle} (period, {@value #DEFAULT_SHUFFLE_MS} ms), {@code hb}
 * ({@value #DEFAULT_HB_MS} ms), {@code suspect} ({@value #DEFAULT_SUSPECT_MS} ms), {@code grace}
 * ({@value #DEFAULT_GRACE_MS} ms), and Plumtree's keys ({@code lazy}, {@code eager}, {@code graft},
 * {@code threshold}, {@code trees}); {@link Config#spec} writes every key.
 */
public final class HyParView implements Node {
    static final int DEFAULT_ACTIVE = 5;
    static final int DEFAULT_PASSIVE = 30;
    static final int DEFAULT_ARWL = 6;
    static final int DEFAULT_PRWL = 3;
    static final int DEFAULT_KA = 3;
    static final int DEFAULT_KP = 4;
    static final long DEFAULT_SHUFFLE_MS = 1000;
    static final long DEFAULT_HB_MS = 50;
    static final long DEFAULT_SUSPECT_MS = 200;
    static final long DEFAULT_GRACE_MS = 1000;

    static final String PREFIX = "hyparview+plumtree";

    /** The spec form, for help texts and errors. */
    static final String FORM = PREFIX + "[:active=A,passive=P,arwl=L,prwl=L,ka=K,kp=K,shuffle=D,hb=D,suspect=D,grace=D,"
            + "and plumtree's keys] (HyParView membership with Plumtree over its active view; defaults active="
            + DEFAULT_ACTIVE + ",passive=" + DEFAULT_PASSIVE + ",arwl=" + DEFAULT_ARWL + ",prwl=" + DEFAULT_PRWL + ",ka="
            + DEFAULT_KA + ",kp=" + DEFAULT_KP + ",shuffle=" + DEFAULT_SHUFFLE_MS + "ms,hb=" + DEFAULT_HB_MS + "ms,suspect="
            + DEFAULT_SUSPECT_MS + "ms,grace=" + DEFAULT_GRACE_MS + "ms; use --topology complete for the paper's setting)";

    /**
     * An active-view change at {@code node}: {@code peer} became a neighbour ({@code up}) or stopped being one.
     * The sequence of a node's changes replays its active view.
     */
    public record ActiveViewChange(int node, int peer, boolean up, long atNanos) implements Observation.Custom {}

    /**
     * The protocol's options.
     *
     * @param active        active view size (the paper's fanout + 1), &gt;= 1
     * @param passive       passive view size, &gt;= 1
     * @param arwl          active random walk length of joins and shuffles, &gt;= 1
     * @param prwl          a join walk with this many hops left puts the joiner in the passive view; 0..arwl
     * @param ka            active ids a shuffle carries
     * @param kp            passive ids a shuffle carries
     * @param shuffleNanos  shuffle period, &gt; 0
     * @param hbNanos       keep-alive period, &gt; 0
     * @param suspectNanos  silence after which an active neighbour is judged failed, &gt;= hb
     * @param graceNanos    the same for a neighbour not yet heard from, &gt;= suspect
     * @param plumtree      the broadcast layer's options
     */
    public record Config(int active, int passive, int arwl, int prwl, int ka, int kp, long shuffleNanos, long hbNanos,
            long suspectNanos, long graceNanos, Plumtree.Config plumtree) {
        public Config {
            if (active < 1 || active > 1024 || passive < 1 || passive > HyParViewMessage.MAX_NODES) {
                throw new IllegalArgumentException("hyparview active must be in 1..1024 and passive in 1.."
                        + HyParViewMessage.MAX_NODES + ", got active=" + active + " passive=" + passive);
            }
            if (arwl < 1 || arwl > 64 || prwl < 0 || prwl > arwl) {
                throw new IllegalArgumentException("hyparview arwl must be in 1..64 and prwl in 0..arwl, got arwl=" + arwl
                        + " prwl=" + prwl);
            }
            if (ka < 0 || kp < 0 || ka + kp + 1 > HyParViewMessage.MAX_NODES) {
                throw new IllegalArgumentException("hyparview ka and kp must be >= 0 with ka + kp < "
                        + HyParViewMessage.MAX_NODES + ", got ka=" + ka + " kp=" + kp);
            }
            long hour = 3_600_000_000_000L;
            if (shuffleNanos <= 0 || hbNanos <= 0 || shuffleNanos > hour || graceNanos > hour) {
                throw new IllegalArgumentException("hyparview shuffle and hb must be > 0 and every period at most an hour");
            }
            if (suspectNanos < hbNanos || graceNanos < suspectNanos) {
                throw new IllegalArgumentException("hyparview needs hb <= suspect <= grace, got hb=" + Protocols.format(hbNanos)
                        + " suspect=" + Protocols.format(suspectNanos) + " grace=" + Protocols.format(graceNanos));
            }
            java.util.Objects.requireNonNull(plumtree, "plumtree");
        }

        /** The defaults of the plain spec {@code hyparview+plumtree}. */
        public static Config defaults() {
            return new Config(DEFAULT_ACTIVE, DEFAULT_PASSIVE, DEFAULT_ARWL, DEFAULT_PRWL, DEFAULT_KA, DEFAULT_KP,
                    DEFAULT_SHUFFLE_MS * 1_000_000L, DEFAULT_HB_MS * 1_000_000L, DEFAULT_SUSPECT_MS * 1_000_000L,
                    DEFAULT_GRACE_MS * 1_000_000L, Plumtree.Config.defaults());
        }

        /** The spec that parses back to this config. */
        public String spec() {
            return PREFIX + ":active=" + active + ",passive=" + passive + ",arwl=" + arwl + ",prwl=" + prwl + ",ka=" + ka
                    + ",kp=" + kp + ",shuffle=" + Protocols.format(shuffleNanos) + ",hb=" + Protocols.format(hbNanos)
                    + ",suspect=" + Protocols.format(suspectNanos) + ",grace=" + Protocols.format(graceNanos) + ","
                    + plumtree.spec().substring("plumtree:".length());
        }

        /** The failure detector's settings: {@link HealingRing}'s timeout detector on these periods. */
        RecoveryConfig detector() {
            return new RecoveryConfig(hbNanos, suspectNanos, suspectNanos, 1, RecoveryConfig.Detector.TIMEOUT, 8.0,
                    graceNanos, 0);
        }

        /**
         * Parses {@code hyparview+plumtree} or {@code hyparview+plumtree:KEY=VALUE,...}; null if {@code spec} is
         * not one.
         *
         * @throws IllegalArgumentException naming the bad key or value
         */
        static Config parse(String spec) {
            String s = spec.trim().toLowerCase(Locale.ROOT);
            if (s.equals(PREFIX)) {
                return defaults();
            }
            if (!s.startsWith(PREFIX + ":")) {
                return null;
            }
            Config d = defaults();
            int[] ints = {d.active, d.passive, d.arwl, d.prwl, d.ka, d.kp};
            List<String> intKeys = List.of("active", "passive", "arwl", "prwl", "ka", "kp");
            long[] durations = {d.shuffleNanos, d.hbNanos, d.suspectNanos, d.graceNanos};
            List<String> durationKeys = List.of("shuffle", "hb", "suspect", "grace");
            boolean graceGiven = false;
            StringBuilder plumtree = new StringBuilder();
            for (String part : s.substring(PREFIX.length() + 1).split(",")) {
                int eq = part.indexOf('=');
                if (eq < 0) {
                    throw new IllegalArgumentException("hyparview option '" + part + "' is not KEY=VALUE; " + FORM);
                }
                String key = part.substring(0, eq).trim();
                String value = part.substring(eq + 1).trim();
                if (intKeys.contains(key)) {
                    try {
                        ints[intKeys.indexOf(key)] = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("hyparview " + key + " must be a whole number, got '" + value + "'");
                    }
                } else if (durationKeys.contains(key)) {
                    durations[durationKeys.indexOf(key)] = Protocols.duration("hyparview " + key, value);
                    graceGiven |= key.equals("grace");
                } else if (List.of("lazy", "eager", "graft", "threshold", "trees").contains(key)) {
                    plumtree.append(plumtree.isEmpty() ? "plumtree:" : ",").append(key).append('=').append(value);
                } else {
                    throw new IllegalArgumentException("unknown hyparview option '" + key + "'; " + FORM);
                }
            }
            if (!graceGiven) {
                durations[3] = Math.max(durations[3], durations[2]); // a longer suspect carries the default grace along
            }
            Plumtree.Config p = plumtree.isEmpty() ? Plumtree.Config.defaults() : Plumtree.Config.parse(plumtree.toString());
            return new Config(ints[0], ints[1], ints[2], ints[3], ints[4], ints[5], durations[0], durations[1],
                    durations[2], durations[3], p);
        }
    }

    /** The protocol for {@code config}. */
    public static Protocol protocol(Config config) {
        return new HyParViewProtocol(config.spec(), config, new AllowedCache());
    }

    /** True if {@code p} is a {@code hyparview+plumtree} protocol. */
    public static boolean is(Protocol p) {
        return p instanceof HyParViewProtocol;
    }

    private record HyParViewProtocol(String spec, Config config, AllowedCache cache) implements Protocol {
        @Override
        public Node create(int id, Overlay overlay) {
            return new HyParView(id, cache.of(overlay), config);
        }
    }

    /** Which links a node may use: all (a complete overlay, checked once in O(n)) or its overlay peers. */
    static final class Allowed {
        final int n;
        final boolean complete;
        final UndirectedPeers peers;

        Allowed(Overlay overlay) {
            n = overlay.size();
            boolean all = !overlay.directed();
            for (int v = 0; all && v < n; v++) {
                all = overlay.degree(v) == n - 1; // a complete overlay has no multi-edges or self-loops
            }
            complete = all;
            peers = all ? null : new UndirectedPeers.Cache().of(overlay);
        }

        boolean allowed(int self, int v) {
            return v != self && v >= 0 && v < n && (complete || Arrays.binarySearch(peers.of(self), v) >= 0);
        }
    }

    private static final class AllowedCache {
        private Overlay overlay;
        private Allowed allowed;

        synchronized Allowed of(Overlay o) {
            if (overlay != o) {
                allowed = new Allowed(o);
                overlay = o;
            }
            return allowed;
        }
    }

    private final int self;
    private final Allowed allowed;
    private final Config config;
    private final RecoveryConfig detectorConfig;
    private final Plumtree plumtree;
    private final List<Integer> active = new ArrayList<>();
    private final List<Integer> passive = new ArrayList<>();
    private final Map<Integer, FailureDetector> detectors = new HashMap<>();
    /** When this node last sent anything to each peer: a link that carried something needs no keep-alive. */
    private final Map<Integer, Long> lastSent = new HashMap<>();
    /** Passive nodes asked with a Neighbor request not yet answered, and since when. */
    private final Map<Integer, Long> pending = new HashMap<>();
    /** No low-priority request before this time (one was refused). */
    private long nextLowRequest;
    private int[] lastShuffleSent = new int[0];
    private Timer tick;
    /** When the current tick was due: how late it ran is how long this node was paused (a loaded host). */
    private long tickDue;
    private Timer shuffleTimer;
    private Env env;
    private RandomGenerator random;

    HyParView(int self, Allowed allowed, Config config) {
        this.self = self;
        this.allowed = allowed;
        this.config = config;
        this.detectorConfig = config.detector();
        this.plumtree = new Plumtree(new int[0], config.plumtree());
    }

    @Override
    public void start(Env engine) {
        // Every send, Plumtree's included, goes through here, so the keep-alive knows which links are busy.
        this.env = new ForwardingEnv(engine) {
            @Override
            public void send(int to, Message m) {
                lastSent.put(to, now());
                super.send(to, m);
            }
        };
        this.random = env.random();
        plumtree.start(env);
        int contact = contact(true);
        if (contact >= 0) {
            join(contact);
        }
        // Jittered first ticks, so that n nodes started together do not keep in lockstep.
        long first = 1 + random.nextLong(config.hbNanos);
        tickDue = env.now() + first;
        tick = env.schedule(first, this::onTick);
        shuffleTimer = env.schedule(1 + random.nextLong(config.shuffleNanos), this::onShuffleTimer);
    }

    @Override
    public void stop() {
        plumtree.stop();
        for (Timer t : new Timer[] {tick, shuffleTimer}) {
            if (t != null) {
                t.cancel();
            }
        }
    }

    /** This node's active view, ascending: for checks and tests. */
    public int[] activeView() {
        return active.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /** This node's passive view, ascending: for checks and tests. */
    public int[] passiveView() {
        return passive.stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /** The Plumtree layer's peers, ascending: the same set as {@link #activeView()}. */
    public int[] broadcastPeers() {
        return plumtree.peers();
    }

    @Override
    public void onMessage(int from, Message m) {
        if (from != Env.CLIENT) {
            FailureDetector d = detectors.get(from);
            if (d != null) {
                d.heard(env.now());
            }
        }
        if (!(m instanceof HyParViewMessage hm)) {
            plumtree.onMessage(from, m);
            return;
        }
        switch (hm) {
            case HyParViewMessage.Join j -> onJoin(from);
            case HyParViewMessage.ForwardJoin fj -> onForwardJoin(from, fj);
            case HyParViewMessage.Neighbor nb -> onNeighbor(from, nb.priority());
            case HyParViewMessage.NeighborReply r -> onNeighborReply(from, r.accepted());
            case HyParViewMessage.Disconnect d -> {
                if (removeActive(from)) {
                    addPassive(from);
                    refill();
                }
            }
            case HyParViewMessage.Shuffle sh -> onShuffle(from, sh);
            case HyParViewMessage.ShuffleReply r -> integrate(r.nodes(), lastShuffleSent);
            case HyParViewMessage.KeepAlive k -> {
                if (!active.contains(from) && !pending.containsKey(from) && allowed.allowed(self, from)) {
                    // The sender holds this node as a neighbour and this node does not: undo its side.
                    env.send(from, new HyParViewMessage.Disconnect());
                }
            }
        }
    }

    /**
     * A contact to join through: a random overlay neighbour of lower id ({@code lower}) or any; -1 if none.
     * Lower ids at start make the first links a random recursive tree, connected however the joins interleave.
     */
    private int contact(boolean lower) {
        if (allowed.complete) {
            int bound = lower ? self : allowed.n;
            if (bound == 0 || allowed.n < 2) {
                return -1;
            }
            int v = random.nextInt(lower ? bound : bound - 1);
            return lower || v < self ? v : v + 1;
        }
        int[] peers = allowed.peers.of(self);
        if (peers.length == 0) {
            return -1;
        }
        int below = 0;
        while (below < peers.length && peers[below] < self) {
            below++;
        }
        if (lower && below > 0) {
            return peers[random.nextInt(below)];
        }
        return peers[random.nextInt(peers.length)];
    }

    private void join(int contact) {
        addActive(contact);
        env.send(contact, new HyParViewMessage.Join());
    }

    private void onJoin(int from) {
        if (!allowed.allowed(self, from)) {
            return;
        }
        addActive(from);
        for (int q : new ArrayList<>(active)) {
            if (q != from) {
                env.send(q, new HyParViewMessage.ForwardJoin(from, config.arwl));
            }
        }
    }

    private void onForwardJoin(int from, HyParViewMessage.ForwardJoin fj) {
        int node = fj.node();
        if (node == self) {
            return;
        }
        boolean ok = allowed.allowed(self, node);
        if ((fj.ttl() == 0 || active.size() <= 1) && ok) {
            accept(node);
            return;
        }
        if (fj.ttl() == config.prwl) {
            addPassive(node);
        }
        int next = randomActive(from, node);
        if (next >= 0 && fj.ttl() > 0) {
            env.send(next, new HyParViewMessage.ForwardJoin(node, fj.ttl() - 1));
        } else if (ok) {
            accept(node);
        }
    }

    /** The end of a join walk: take {@code node} in, and tell it so. */
    private void accept(int node) {
        if (!active.contains(node)) {
            addActive(node);
            env.send(node, new HyParViewMessage.Neighbor(HyParViewMessage.Neighbor.FORCED));
        }
    }

    private void onNeighbor(int from, int priority) {
        if (!allowed.allowed(self, from)) {
            return;
        }
        boolean accept = active.contains(from) || priority != HyParViewMessage.Neighbor.LOW
                || active.size() < config.active;
        if (accept) {
            addActive(from);
        }
        if (priority != HyParViewMessage.Neighbor.FORCED) {
            env.send(from, new HyParViewMessage.NeighborReply(accept));
        }
    }

    private void onNeighborReply(int from, boolean accepted) {
        pending.remove(from);
        if (accepted && !active.contains(from) && active.size() >= config.active) {
            // Requests run in parallel, so more may be accepted than there is room for: undo this one.
            env.send(from, new HyParViewMessage.Disconnect());
        } else if (accepted) {
            addActive(from);
        } else {
            nextLowRequest = env.now() + config.suspectNanos;
            refill();
        }
    }

    private void onShuffle(int from, HyParViewMessage.Shuffle sh) {
        if (sh.origin() == self) {
            return;
        }
        if (sh.ttl() > 0 && active.size() > 1) {
            int next = randomActive(from, sh.origin());
            if (next >= 0) {
                env.send(next, new HyParViewMessage.Shuffle(sh.origin(), sh.ttl() - 1, sh.nodes()));
                return;
            }
        }
        int[] reply = sample(passive, sh.nodes().length, -1);
        if (allowed.allowed(self, sh.origin())) {
            env.send(sh.origin(), new HyParViewMessage.ShuffleReply(reply));
        }
        integrate(sh.nodes(), reply);
    }

    private void onShuffleTimer() {
        shuffleTimer = env.schedule(config.shuffleNanos, this::onShuffleTimer);
        if (active.isEmpty()) {
            return;
        }
        int to = active.get(random.nextInt(active.size()));
        int[] a = sample(active, config.ka, to);
        int[] p = sample(passive, config.kp, -1);
        int[] nodes = new int[1 + a.length + p.length];
        nodes[0] = self;
        System.arraycopy(a, 0, nodes, 1, a.length);
        System.arraycopy(p, 0, nodes, 1 + a.length, p.length);
        lastShuffleSent = nodes;
        env.send(to, new HyParViewMessage.Shuffle(self, config.arwl, nodes));
    }

    private void onTick() {
        long now = env.now();
        // A tick that ran late means this node (its thread, process or host) was paused: acks that came
        // meanwhile may be unread, so that time is not the peers' silence (as in HealingRing).
        long paused = Math.max(0, now - tickDue);
        tickDue = now + config.hbNanos;
        tick = env.schedule(config.hbNanos, this::onTick);
        for (int p : new ArrayList<>(active)) {
            if (detectors.get(p).suspects(now, paused, 0)) {
                removeActive(p); // failed: not kept in the passive view either
            } else if (now - lastSent.getOrDefault(p, Long.MIN_VALUE / 2) >= config.hbNanos) {
                env.send(p, new HyParViewMessage.KeepAlive());
            }
        }
        for (var it = pending.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (now - e.getValue() > config.suspectNanos) {
                passive.remove(e.getKey()); // no answer: presumed dead
                it.remove();
            }
        }
        refill();
    }

    /**
     * Asks passive nodes to become neighbours, one request per missing active neighbour (in parallel: after a
     * mass crash most passive entries are dead, and each costs a timeout).
     */
    private void refill() {
        long now = env.now();
        boolean empty = active.isEmpty();
        if (passive.isEmpty() && empty && pending.isEmpty()) {
            int contact = contact(false); // nobody left that this node knows: join again
            if (contact >= 0) {
                join(contact);
            }
            return;
        }
        if (!empty && now - nextLowRequest < 0) {
            return;
        }
        while (active.size() + pending.size() < config.active && pending.size() < passive.size()) {
            int q = passive.get(random.nextInt(passive.size()));
            if (pending.containsKey(q)) {
                continue;
            }
            pending.put(q, now);
            env.send(q, new HyParViewMessage.Neighbor(empty ? HyParViewMessage.Neighbor.HIGH
                    : HyParViewMessage.Neighbor.LOW));
        }
    }

    /** Takes {@code p} into the active view (dropping a random member of a full one); false if it was there. */
    private boolean addActive(int p) {
        if (p == self || active.contains(p)) {
            return false;
        }
        if (active.size() >= config.active) {
            int q = active.get(random.nextInt(active.size()));
            removeActive(q);
            env.send(q, new HyParViewMessage.Disconnect());
            addPassive(q);
        }
        passive.remove(Integer.valueOf(p));
        active.add(p);
        detectors.put(p, new FailureDetector(detectorConfig, env.now()));
        plumtree.neighbourUp(p);
        env.observe(new ActiveViewChange(self, p, true, env.now()));
        return true;
    }

    private boolean removeActive(int p) {
        if (!active.remove(Integer.valueOf(p))) {
            return false;
        }
        detectors.remove(p);
        lastSent.remove(p);
        plumtree.neighbourDown(p);
        env.observe(new ActiveViewChange(self, p, false, env.now()));
        return true;
    }

    private void addPassive(int p) {
        if (p == self || active.contains(p) || passive.contains(p) || !allowed.allowed(self, p)) {
            return;
        }
        if (passive.size() >= config.passive) {
            passive.remove(random.nextInt(passive.size()));
        }
        passive.add(p);
    }

    /** Merges {@code nodes} into the passive view, evicting first those in {@code sent} (they live on elsewhere). */
    private void integrate(int[] nodes, int[] sent) {
        int s = 0;
        for (int v : nodes) {
            if (v == self || active.contains(v) || passive.contains(v) || !allowed.allowed(self, v)) {
                continue;
            }
            if (passive.size() >= config.passive) {
                boolean evicted = false;
                while (!evicted && s < sent.length) {
                    evicted = passive.remove(Integer.valueOf(sent[s++]));
                }
                if (!evicted) {
                    passive.remove(random.nextInt(passive.size()));
                }
            }
            passive.add(v);
        }
    }

    /** A random active neighbour other than {@code a} and {@code b}, or -1. */
    private int randomActive(int a, int b) {
        int k = 0;
        for (int p : active) {
            if (p != a && p != b) {
                k++;
            }
        }
        if (k == 0) {
            return -1;
        }
        int pick = random.nextInt(k);
        for (int p : active) {
            if (p != a && p != b && pick-- == 0) {
                return p;
            }
        }
        throw new IllegalStateException("unreachable");
    }

    /** Up to {@code k} distinct random members of {@code from} other than {@code except}. */
    private int[] sample(List<Integer> from, int k, int except) {
        int[] all = new int[from.size()];
        int m = 0;
        for (int v : from) {
            if (v != except) {
                all[m++] = v;
            }
        }
        int take = Math.min(k, m);
        for (int i = 0; i < take; i++) {
            int j = i + random.nextInt(m - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return Arrays.copyOf(all, take);
    }
}
