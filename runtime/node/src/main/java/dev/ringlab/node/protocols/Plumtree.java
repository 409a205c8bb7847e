package dev.ringlab.node.protocols;

import dev.ringlab.node.BroadcastMessage;
import dev.ringlab.node.Env;
import dev.ringlab.node.LongSet;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Observation.ControlSent;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.Timer;
import dev.ringlab.topology.Overlay;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Plumtree, the epidemic broadcast tree of Leitão, Pereira and Rodrigues ("Epidemic Broadcast Trees", SRDS
 * 2007), over the links of a static overlay, or over the active view of {@link HyParView}, whose changes reach
 * it as {@link #neighbourUp} and {@link #neighbourDown} (spec {@code hyparview+plumtree}).
 *
 * <h2>Algorithm</h2>
 * Each node splits its overlay links into an <em>eager</em> set (initially all of them) and a <em>lazy</em>
 * set. On the first receipt of a broadcast a node delivers it, sends the payload to its eager peers (eager
 * push) and queues an announcement of its id for its lazy peers (lazy push), in both cases but the peer it
 * came from; the sender's link becomes eager. A duplicate is answered with PRUNE, which moves the link to
 * the sender's lazy set: after one broadcast over a connected eager graph and without loss, the links that
 * still push are that broadcast's first-delivery tree (and, unused, its reverse), so the next one costs
 * n - 1 payload messages, as {@link Tree} does, but along the paths the first deliveries took.
 *
 * <p>Three departures from the paper, measured on the simulator (random-regular:4, n = 25, 100
 * broadcasts/s from random origins). (1) A duplicate prunes only the sender's pushes, not this node's pushes
 * back, and (2) a duplicate from a link that brought one of the last {@link #PRUNE_GRACE} first copies is
 * not pruned: with the paper's symmetric prune, copies in flight that crossed a prune cut the tree in two
 * places and orphaned nodes until grafts repaired them (1089 repairs in 20 s at uniform:50ms,150ms; none
 * with both rules). (3) By default there is one tree per origin ({@code trees=origin}): a shared tree
 * ({@code trees=shared}, the paper's) makes broadcasts from a leaf travel the whole tree, and under a
 * concurrent stream from many origins it keeps being pruned and repaired (thousands of repairs in the same
 * run); it is stable when broadcasts do not overlap. One tree per origin costs one flood per new origin.
 *
 * <p>Two more rules keep a tree that forms under a concurrent stream (and batched payload, where a whole
 * window of copies is in flight on a link) from costing a prune per duplicate and from cutting itself.
 * (4) A node prunes a peer in a tree at most once per graft timeout: the duplicates that peer sent before the
 * prune reached it need no prune each (random-regular:4, n = 25, 100 broadcasts/s, {@code lazy=500ms,
 * eager=200ms}: 1.9 prunes per broadcast before, 0.7 after, about one per tree and redundant link). A graft
 * from this node ends the hold. (5) A duplicate is pruned only if the link that brought the first copy is
 * one this node has not pruned: if it had, that copy was in flight when the prune went out, the path is
 * going away, and the duplicate's link may be the one left. Without it, nodes pruned every link that
 * pushed to them in a tree (two neighbours each keeping only the other, say) and were reached only by
 * grafts: up to 59 repairs and a 2 s maximum latency in that setting; with it, 0 to 10 and 1.5 s. A pruned
 * link that brings a first copy more than a graft timeout after the prune pushes here again (a copy from
 * this node made it eager) and counts as not pruned.
 *
 * <p>Announcements (IHAVE, {@link PlumtreeMessage.IHave}) are batched per lazy peer over the lazy window:
 * one message per peer and window however many broadcasts it announces, so they do not dominate the message
 * count of a steady stream. A node that hears of a broadcast it lacks arms a timer (the graft timeout); if
 * the payload has not come when it fires, it sends GRAFT to the first announcer, which makes that link eager
 * and sends the payload back: the tree is repaired around a crashed or slow inner node. If that fails too,
 * the next announcer is grafted after half the timeout, round-robin, at most twice per announcer.
 *
 * <p>The paper's optimisation: when an announcement shows a path shorter by at least the threshold (in hops)
 * than the one the payload took, the node grafts the announcer (without asking for anything) and prunes the
 * eager link the payload came by. It runs both when the announcement came before the payload (as in the paper)
 * and when it comes after it (which, with batched announcements, is the common case).
 *
 * <p>Payload may be batched too (the eager window, 0 by default): eager pushes to one peer within a window go
 * as one {@link Message.Batch}, trading latency for messages. A repair's payload is never delayed.
 *
 * <h2>Cost and special cases</h2>
 * After the tree formed: n - 1 payload messages per broadcast (relative message redundancy 0), plus at most
 * one IHAVE per lazy link direction and lazy window. Links are used both ways, so on a directed overlay an
 * arc u→v also carries v→u (in-neighbours are peers). Multi-edges count once, self-loops never. A received
 * broadcast is kept for {@link #RETENTION_NANOS} to answer grafts; ids are remembered forever, so a broadcast
 * is delivered at most once per node incarnation. Graft, prune and announcement sends are reported as
 * {@link ControlSent} observations.
 *
 * <p>Spec: {@code plumtree} or {@code plumtree:KEY=VALUE,...} with keys {@code lazy} (IHAVE window, default
 * {@value #DEFAULT_LAZY_MS} ms), {@code eager} (payload window, default 0 ms), {@code graft} (graft timeout,
 * default {@value #DEFAULT_GRAFT_MS} ms), {@code threshold} (hops, default {@value #DEFAULT_THRESHOLD}; 0
 * turns the optimisation off) and {@code trees} ({@code origin} or {@code shared}); {@link Config#spec}
 * writes every key.
 */
public final class Plumtree implements Node {
    static final long DEFAULT_LAZY_MS = 100;
    static final long DEFAULT_GRAFT_MS = 400;
    static final int DEFAULT_THRESHOLD = 3;
    static final boolean DEFAULT_PER_ORIGIN = true;
    /** See {@link #recentParent}. */
    static final int PRUNE_GRACE = 4;
    /**
     * Broadcasts delivered this recently are announced to a neighbour that comes up ({@link #neighbourUp}): it may
     * have been cut off from them while the membership changed.
     */
    static final long UP_ANNOUNCE_NANOS = 5_000_000_000L;
    /** How long a delivered broadcast is kept to answer grafts: far beyond any sensible graft timeout. */
    static final long RETENTION_NANOS = 60_000_000_000L;
    /** {@link Link#prunedAt} of a peer not pruned since the last change of its link. */
    static final long NEVER = Long.MIN_VALUE;

    /**
     * The protocol's options.
     *
     * @param lazyWindowNanos   announcements to one peer within this window go as one IHAVE (0: one each)
     * @param eagerWindowNanos  payload to one peer within this window goes as one batch (0: no batching)
     * @param graftTimeoutNanos how long a node waits for a payload it has heard of before grafting, &gt; 0
     * @param threshold         hops an announced path must save for the optimisation to switch to it; 0: off
     * @param perOrigin         one tree per origin (spec {@code trees=origin}) rather than one shared tree
     *                          ({@code trees=shared}, the paper's)
     */
    public record Config(long lazyWindowNanos, long eagerWindowNanos, long graftTimeoutNanos, int threshold,
            boolean perOrigin) {
        public Config {
            if (lazyWindowNanos < 0 || eagerWindowNanos < 0) {
                throw new IllegalArgumentException("plumtree windows must be >= 0, got lazy=" + lazyWindowNanos
                        + "ns eager=" + eagerWindowNanos + "ns");
            }
            if (graftTimeoutNanos <= 0) {
                throw new IllegalArgumentException("plumtree graft timeout must be > 0, got " + graftTimeoutNanos + "ns");
            }
            if (lazyWindowNanos > 3_600_000_000_000L || eagerWindowNanos > 3_600_000_000_000L
                    || graftTimeoutNanos > 3_600_000_000_000L) {
                throw new IllegalArgumentException("plumtree windows and timeouts must be at most an hour");
            }
            if (threshold < 0) {
                throw new IllegalArgumentException("plumtree threshold must be >= 0 hops, got " + threshold);
            }
        }

        /** The defaults of the plain spec {@code plumtree}. */
        public static Config defaults() {
            return new Config(DEFAULT_LAZY_MS * 1_000_000L, 0, DEFAULT_GRAFT_MS * 1_000_000L, DEFAULT_THRESHOLD,
                    DEFAULT_PER_ORIGIN);
        }

        /** The spec that parses back to this config. */
        public String spec() {
            return "plumtree:lazy=" + Protocols.format(lazyWindowNanos) + ",eager=" + Protocols.format(eagerWindowNanos)
                    + ",graft=" + Protocols.format(graftTimeoutNanos) + ",threshold=" + threshold + ",trees="
                    + (perOrigin ? "origin" : "shared");
        }

        /**
         * Parses {@code plumtree} or {@code plumtree:KEY=VALUE,...}; null if {@code spec} is not a plumtree spec.
         *
         * @throws IllegalArgumentException naming the bad key or value
         */
        static Config parse(String spec) {
            String s = spec.trim().toLowerCase(java.util.Locale.ROOT);
            if (s.equals("plumtree")) {
                return defaults();
            }
            if (!s.startsWith("plumtree:")) {
                return null;
            }
            Config d = defaults();
            long lazy = d.lazyWindowNanos;
            long eager = d.eagerWindowNanos;
            long graft = d.graftTimeoutNanos;
            int threshold = d.threshold;
            boolean perOrigin = d.perOrigin;
            for (String part : s.substring("plumtree:".length()).split(",")) {
                int eq = part.indexOf('=');
                if (eq < 0) {
                    throw new IllegalArgumentException("plumtree option '" + part + "' is not KEY=VALUE; " + FORM);
                }
                String key = part.substring(0, eq).trim();
                String value = part.substring(eq + 1).trim();
                switch (key) {
                    case "lazy" -> lazy = Protocols.duration("plumtree lazy", value);
                    case "eager" -> eager = Protocols.duration("plumtree eager", value);
                    case "graft" -> graft = Protocols.duration("plumtree graft", value);
                    case "threshold" -> {
                        try {
                            threshold = Integer.parseInt(value);
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("plumtree threshold must be a whole number of hops, got '"
                                    + value + "'");
                        }
                    }
                    case "trees" -> perOrigin = switch (value) {
                        case "origin" -> true;
                        case "shared" -> false;
                        default -> throw new IllegalArgumentException("plumtree trees must be origin or shared, got '"
                                + value + "'");
                    };
                    default -> throw new IllegalArgumentException("unknown plumtree option '" + key + "'; " + FORM);
                }
            }
            return new Config(lazy, eager, graft, threshold, perOrigin);
        }
    }

    /** The spec form, for help texts and errors. */
    static final String FORM = "plumtree[:lazy=W,eager=W,graft=T,threshold=H,trees=origin|shared] (IHAVE window, "
            + "payload window, graft timeout with unit ns|us|ms|s, optimisation threshold in hops, one tree per origin "
            + "or one shared; defaults lazy=" + DEFAULT_LAZY_MS + "ms,eager=0ms,graft=" + DEFAULT_GRAFT_MS
            + "ms,threshold=" + DEFAULT_THRESHOLD + ",trees=" + (DEFAULT_PER_ORIGIN ? "origin" : "shared") + ")";

    /** The protocol for {@code config}; its nodes share one computation of the overlay's undirected peers. */
    public static Protocol protocol(Config config) {
        String spec = config.spec();
        UndirectedPeers.Cache cache = new UndirectedPeers.Cache();
        return new PlumtreeProtocol(spec, config, cache);
    }

    /**
     * True if {@code p} is a plumtree protocol, whose runs report grafts, prunes and announcements: plain or
     * over {@link HyParView}.
     */
    public static boolean is(Protocol p) {
        return p instanceof PlumtreeProtocol || HyParView.is(p);
    }

    private record PlumtreeProtocol(String spec, Config config, UndirectedPeers.Cache cache) implements Protocol {
        @Override
        public Node create(int id, Overlay overlay) {
            return new Plumtree(cache.of(overlay).of(id), config);
        }
    }

    /** A delivered broadcast as it arrived (to answer grafts) and the link it came by (for the optimisation). */
    private static final class Held {
        Message.Broadcast broadcast;
        int from;
        int hop;
        final long atNanos;

        Held(Message.Broadcast broadcast, int from, long atNanos) {
            this.broadcast = broadcast;
            this.from = from;
            this.hop = broadcast.hop();
            this.atNanos = atNanos;
        }
    }

    /** One tree's state of one link at this node. */
    private static final class Link {
        /** Push payload to the peer (eager) or announce it (lazy). */
        boolean eager = true;
        /** {@link TreeState#firstCopies} when the peer last brought a first copy (0: never). */
        long lastFirstCopy;
        /** When this node last pruned the peer in this tree ({@link #NEVER}: not since). */
        long prunedAt = NEVER;
    }

    /** One tree's links at this node. */
    private static final class TreeState {
        /** By peer index. */
        Link[] links;
        /** First copies received in this tree so far. */
        long firstCopies;

        TreeState(int peers) {
            links = new Link[peers];
            for (int i = 0; i < peers; i++) {
                links[i] = new Link();
            }
        }
    }

    /** A broadcast heard of but not received: who announced it (and at which hop), and the graft timer. */
    private static final class Missing {
        final List<int[]> announcers = new ArrayList<>(2);
        Timer timer;
        int origin;
        int next;
        int attempts;
    }

    /** Growable (id, origin, hop) queue of one peer's pending announcements. */
    private static final class Announcements {
        long[] ids = new long[4];
        int[] origins = new int[4];
        int[] hops = new int[4];
        int size;

        void add(long id, int origin, int hop) {
            if (size == ids.length) {
                ids = Arrays.copyOf(ids, size * 2);
                origins = Arrays.copyOf(origins, size * 2);
                hops = Arrays.copyOf(hops, size * 2);
            }
            ids[size] = id;
            origins[size] = origin;
            hops[size] = hop;
            size++;
        }
    }

    private final Config config;
    /** Ascending. Replaced, never modified in place: the static overlay's array is shared between nodes. */
    private int[] peers;
    /** Per tree: key the origin ({@code trees=origin}) or 0 (shared). */
    private final Map<Integer, TreeState> trees = new HashMap<>();
    private Announcements[] lazyQueue;
    private List<Message.Broadcast>[] eagerQueue;
    private final LongSet seen = new LongSet();
    private final Map<Long, Held> held = new HashMap<>();
    private final ArrayDeque<Held> heldOrder = new ArrayDeque<>();
    private final Map<Long, Missing> missing = new HashMap<>();
    private Timer lazyTimer;
    private Timer eagerTimer;
    private Env env;

    @SuppressWarnings("unchecked")
    Plumtree(int[] peers, Config config) {
        this.config = config;
        this.peers = peers;
        this.lazyQueue = new Announcements[peers.length];
        this.eagerQueue = new List[peers.length];
    }

    @Override
    public void start(Env env) {
        this.env = env;
    }

    @Override
    public void stop() {
        for (Timer t : new Timer[] {lazyTimer, eagerTimer}) {
            if (t != null) {
                t.cancel();
            }
        }
        for (Missing m : missing.values()) {
            m.timer.cancel(); // every pending repair has its timer
        }
    }

    /**
     * The peers this node pushes broadcasts from {@code origin} to now (its eager links in that tree; with
     * {@code trees=shared} the origin does not matter), ascending: for checks and tests.
     */
    public int[] eagerPeers(int origin) {
        Link[] links = tree(origin).links;
        int k = 0;
        int[] out = new int[peers.length];
        for (int i = 0; i < peers.length; i++) {
            if (links[i].eager) {
                out[k++] = peers[i];
            }
        }
        return Arrays.copyOf(out, k); // ascending as the peers are
    }

    /** Broadcasts announced to this node and not yet received, whose repair (graft) is still pending: for tests. */
    int pendingRepairs() {
        return missing.size();
    }

    /**
     * A membership protocol ({@link HyParView}) made {@code peer} a neighbour: it joins every tree as an eager
     * link (the paper's NeighborUp), so the next broadcast of each tree reaches it and the duplicates it causes
     * prune what is redundant; and it is announced (lazily, in the next IHAVE) the broadcasts delivered here in
     * the last {@link #UP_ANNOUNCE_NANOS}, so a node the membership reconnects grafts what it missed. No-op if it
     * is a peer already. Plain {@code plumtree} never calls it: its peers are the static overlay's.
     */
    void neighbourUp(int peer) {
        int i = index(peer);
        if (i >= 0) {
            return;
        }
        int at = -i - 1;
        peers = insert(peers, at, peer);
        for (TreeState t : trees.values()) {
            t.links = insert(t.links, at, new Link());
        }
        lazyQueue = insert(lazyQueue, at, null);
        eagerQueue = insert(eagerQueue, at, null);
        // What this node delivered lately, announced to the newcomer: while the views changed it may have been
        // in a part that the broadcast's tree did not reach, and later links do not carry earlier broadcasts.
        // It grafts what it lacks; what it has costs nothing more.
        long now = env.now();
        for (Held h : heldOrder) {
            if (now - h.atNanos <= UP_ANNOUNCE_NANOS) {
                lazyPush(at, h.broadcast.id(), h.broadcast.origin(), h.broadcast.hop() + 1);
            }
        }
    }

    /**
     * A membership protocol dropped {@code peer} (it failed, or left this node's active view): it leaves every
     * tree, with what was queued for it. The repair is the protocol's own: the subtree it fed hears of the
     * next broadcasts through announcements of its other (lazy) links and grafts one of them; grafts still
     * pending towards {@code peer} pass on to the next announcer. No-op if it is no peer.
     */
    void neighbourDown(int peer) {
        int at = index(peer);
        if (at < 0) {
            return;
        }
        peers = remove(peers, at);
        for (TreeState t : trees.values()) {
            t.links = remove(t.links, at);
        }
        lazyQueue = remove(lazyQueue, at);
        eagerQueue = remove(eagerQueue, at);
    }

    /** The current peers, ascending (a copy): for checks and tests. */
    int[] peers() {
        return peers.clone();
    }

    private static int[] insert(int[] a, int at, int v) {
        int[] r = new int[a.length + 1];
        System.arraycopy(a, 0, r, 0, at);
        r[at] = v;
        System.arraycopy(a, at, r, at + 1, a.length - at);
        return r;
    }

    private static int[] remove(int[] a, int at) {
        int[] r = new int[a.length - 1];
        System.arraycopy(a, 0, r, 0, at);
        System.arraycopy(a, at + 1, r, at, r.length - at);
        return r;
    }

    private static <T> T[] insert(T[] a, int at, T v) {
        T[] r = Arrays.copyOf(a, a.length + 1);
        System.arraycopy(a, at, r, at + 1, a.length - at);
        r[at] = v;
        return r;
    }

    private static <T> T[] remove(T[] a, int at) {
        T[] r = Arrays.copyOf(a, a.length - 1);
        System.arraycopy(a, at + 1, r, at, r.length - at);
        return r;
    }

    @Override
    public void onMessage(int from, Message m) {
        if (m instanceof BroadcastMessage bm) {
            switch (bm) {
                case Message.Inject inject -> receive(Env.CLIENT,
                        new Message.Broadcast(inject.id(), env.self(), env.now(), 0, inject.payload()));
                case Message.Broadcast b -> receive(from, b);
                case Message.Batch batch -> {
                    for (Message.Broadcast b : batch.items()) {
                        receive(from, b);
                    }
                }
            }
        } else if (m instanceof PlumtreeMessage pm) {
            switch (pm) {
                case PlumtreeMessage.IHave h -> onIHave(from, h);
                case PlumtreeMessage.Graft g -> onGraft(from, g);
                case PlumtreeMessage.Prune p -> setEager(p.origin(), from, false);
            }
        }
        // Other families' messages belong to other protocols: ignored (see Node#onMessage).
    }

    private void receive(int from, Message.Broadcast b) {
        long id = b.id();
        if (!seen.add(id)) {
            // A duplicate: the link it came by is redundant for this broadcast's tree. Pruned even if this side
            // already holds it lazy: the sender pushed, so it holds it eager, and only a prune tells it otherwise.
            // This side keeps pushing to the sender, though: the link may still be the only way from here to
            // there (for a shared tree, or while copies still in flight reshape it), and if it is not, the sender
            // gets a duplicate from here and prunes it in turn.
            if (from != Env.CLIENT && !recentParent(b.origin(), from) && keeps(held.get(id))) {
                prune(b.origin(), from);
            }
            return;
        }
        long now = env.now();
        env.observe(new Observation.Delivered(env.self(), id, b.origin(), b.hop(), b.sentAtNanos(), now));
        Held h = new Held(b, from, now);
        held.put(id, h);
        heldOrder.add(h);
        evict(now);
        Missing ms = missing.remove(id);
        if (ms != null) {
            ms.timer.cancel();
        }
        TreeState tree = tree(b.origin());
        tree.firstCopies++;
        if (from != Env.CLIENT) {
            setEager(b.origin(), from, true);
            int i = index(from);
            if (i >= 0) {
                Link l = tree.links[i];
                l.lastFirstCopy = tree.firstCopies;
                if (l.prunedAt != NEVER && now - l.prunedAt >= config.graftTimeoutNanos) {
                    l.prunedAt = NEVER; // it pushes here again (a copy from this node made it eager)
                }
            }
        }
        Link[] links = tree.links;
        Message.Broadcast next = b.forwarded();
        for (int i = 0; i < peers.length; i++) {
            if (peers[i] == from) {
                continue;
            }
            if (links[i].eager) {
                eagerPush(i, next);
            } else {
                lazyPush(i, id, b.origin(), next.hop());
            }
        }
        if (ms != null) {
            for (int[] a : ms.announcers) {
                optimise(h, a[0], a[1]);
            }
        }
    }

    private void eagerPush(int i, Message.Broadcast next) {
        if (config.eagerWindowNanos == 0) {
            env.send(peers[i], next);
            return;
        }
        if (eagerQueue[i] == null) {
            eagerQueue[i] = new ArrayList<>();
        }
        eagerQueue[i].add(next);
        if (eagerTimer == null) {
            eagerTimer = env.schedule(config.eagerWindowNanos, this::onEagerWindow);
        }
    }

    private void lazyPush(int i, long id, int origin, int hop) {
        if (config.lazyWindowNanos == 0) {
            control(peers[i], new PlumtreeMessage.IHave(new long[] {id}, new int[] {origin}, new int[] {hop}),
                    ControlSent.IHAVE);
            return;
        }
        if (lazyQueue[i] == null) {
            lazyQueue[i] = new Announcements();
        }
        lazyQueue[i].add(id, origin, hop);
        if (lazyTimer == null) {
            lazyTimer = env.schedule(config.lazyWindowNanos, this::onLazyWindow);
        }
    }

    private void onLazyWindow() {
        lazyTimer = null;
        for (int i = 0; i < peers.length; i++) {
            Announcements a = lazyQueue[i];
            if (a == null || a.size == 0) {
                continue;
            }
            for (int from = 0; from < a.size; from += PlumtreeMessage.MAX_ANNOUNCEMENTS) {
                int to = Math.min(a.size, from + PlumtreeMessage.MAX_ANNOUNCEMENTS);
                control(peers[i], new PlumtreeMessage.IHave(Arrays.copyOfRange(a.ids, from, to),
                        Arrays.copyOfRange(a.origins, from, to), Arrays.copyOfRange(a.hops, from, to)),
                        ControlSent.IHAVE);
            }
            a.size = 0;
        }
    }

    private void onEagerWindow() {
        eagerTimer = null;
        for (int i = 0; i < peers.length; i++) {
            List<Message.Broadcast> q = eagerQueue[i];
            if (q == null || q.isEmpty()) {
                continue;
            }
            // A batch must fit one frame, so a burst larger than the frame cap goes as several.
            int start = 0;
            while (start < q.size()) {
                int end = start;
                int bytes = 2 + 4;
                while (end < q.size()) {
                    int itemBytes = MessageCodec.encodedSize(q.get(end)) - 2;
                    if (end > start && bytes + itemBytes > MessageCodec.MAX_FRAME_BYTES) {
                        break;
                    }
                    bytes += itemBytes;
                    end++;
                }
                env.send(peers[i], end - start == 1 ? q.get(start) : new Message.Batch(q.subList(start, end)));
                start = end;
            }
            q.clear();
        }
    }

    private void onIHave(int from, PlumtreeMessage.IHave ihave) {
        if (index(from) < 0) {
            return; // not a peer of ours (cannot happen on a static overlay: the engine drops non-edges)
        }
        for (int k = 0; k < ihave.ids().length; k++) {
            long id = ihave.ids()[k];
            int hop = ihave.hops()[k];
            if (seen.contains(id)) {
                Held h = held.get(id);
                if (h != null) {
                    optimise(h, from, hop);
                }
                continue;
            }
            Missing ms = missing.get(id);
            if (ms == null) {
                ms = new Missing();
                missing.put(id, ms);
            }
            ms.announcers.add(new int[] {from, hop});
            ms.origin = ihave.origins()[k];
            if (ms.timer == null) {
                ms.timer = env.schedule(config.graftTimeoutNanos, () -> onGraftTimeout(id));
            }
        }
    }

    /** The payload of broadcast {@code id} did not come in time: graft the next announcer. */
    private void onGraftTimeout(long id) {
        Missing ms = missing.get(id);
        if (ms == null) {
            return;
        }
        ms.timer = null;
        // Each announcer is tried twice at most, so a broadcast whose announcers all died stops costing grafts,
        // and its entry goes (so the map does not grow over a long run): a later announcement starts afresh.
        if (ms.attempts >= 2 * ms.announcers.size()) {
            missing.remove(id);
            return;
        }
        int[] a = ms.announcers.get(ms.next % ms.announcers.size());
        ms.next++;
        ms.attempts++;
        if (index(a[0]) < 0) {
            // The announcer left this node's neighbours (only with a membership protocol: static peers stay):
            // a graft would be ignored there, so try the next one now.
            ms.timer = env.schedule(0, () -> onGraftTimeout(id));
            return;
        }
        graft(ms.origin, a[0]);
        control(a[0], new PlumtreeMessage.Graft(id, ms.origin), ControlSent.GRAFT_REPAIR);
        ms.timer = env.schedule(Math.max(1, config.graftTimeoutNanos / 2), () -> onGraftTimeout(id));
    }

    private void onGraft(int from, PlumtreeMessage.Graft g) {
        if (index(from) < 0) {
            return;
        }
        setEager(g.origin(), from, true);
        if (g.id() >= 0) {
            Held h = held.get(g.id());
            if (h != null) {
                env.send(from, h.broadcast.forwarded());
            }
        }
    }

    /**
     * The paper's tree optimisation: {@code announcer} offers broadcast {@code h} at {@code hop}; if that saves
     * at least the threshold over the hop it came with, make the announcer's link eager and prune the old one.
     */
    private void optimise(Held h, int announcer, int hop) {
        int origin = h.broadcast.origin();
        if (config.threshold == 0 || h.from == Env.CLIENT || announcer == h.from || h.hop - hop < config.threshold
                || !isEager(origin, h.from)) {
            return;
        }
        graft(origin, announcer);
        control(announcer, new PlumtreeMessage.Graft(-1, origin), ControlSent.GRAFT_OPTIMISE);
        setEager(origin, h.from, false);
        int old = index(h.from);
        if (old >= 0) {
            tree(origin).links[old].prunedAt = env.now();
        }
        control(h.from, new PlumtreeMessage.Prune(origin), ControlSent.PRUNE);
        h.from = announcer;
        h.hop = hop;
    }

    /**
     * Prunes {@code peer} in the tree of {@code origin} after a duplicate from it, unless this node pruned it
     * there less than a graft timeout ago: the duplicates a peer sent before the first prune reached it (a
     * whole payload window of them, with batching) need no prune each. A peer that still sends duplicates
     * after that (the prune was lost, or a graft made the link eager again) is pruned again.
     */
    /**
     * True if the link that brought {@code h} first is still one this node lets push to it (not pruned here):
     * only then is a duplicate's link redundant. If this node had pruned it, the first copy was in flight when
     * the prune went out and that path is going away, so the duplicate's link may be the one left.
     */
    private boolean keeps(Held h) {
        if (h == null || h.from == Env.CLIENT) {
            return true;
        }
        int i = index(h.from);
        return i < 0 || tree(h.broadcast.origin()).links[i].prunedAt == NEVER;
    }

    private void prune(int origin, int peer) {
        int i = index(peer);
        long now = env.now();
        if (i >= 0) {
            Link l = tree(origin).links[i];
            if (l.prunedAt != NEVER && now - l.prunedAt < config.graftTimeoutNanos) {
                return;
            }
            l.prunedAt = now;
        }
        control(peer, new PlumtreeMessage.Prune(origin), ControlSent.PRUNE);
    }

    private void control(int to, Message m, int kind) {
        env.send(to, m);
        env.observe(new ControlSent(env.self(), to, kind, env.now()));
    }

    private void evict(long now) {
        while (!heldOrder.isEmpty() && now - heldOrder.peekFirst().atNanos > RETENTION_NANOS) {
            Held old = heldOrder.pollFirst();
            held.remove(old.broadcast.id());
        }
    }

    /** The index of {@code peer} in the ascending {@link #peers}, or negative if it is none of them. */
    private int index(int peer) {
        return Arrays.binarySearch(peers, peer);
    }

    /** The eager flags of the tree broadcasts from {@code origin} travel; a new tree starts all eager. */
    private TreeState tree(int origin) {
        int key = config.perOrigin ? origin : 0;
        TreeState t = trees.get(key);
        if (t == null) {
            t = new TreeState(peers.length);
            trees.put(key, t);
        }
        return t;
    }

    /**
     * True if {@code peer} brought one of this node's last {@link #PRUNE_GRACE} first copies in the tree of
     * {@code origin}: a duplicate from it is then not pruned. Why: when link delays vary, copies of successive
     * broadcasts meet at different points of a cycle of eager links, so pruning at every meeting point cuts the
     * cycle twice (the second cut made by a broadcast already in flight when the first took effect) and
     * leaves a part of the tree unreachable until grafts repair it. A link that recently carried a first copy
     * is on a live path; the cycle is cut where only duplicates come.
     */
    private boolean recentParent(int origin, int peer) {
        int i = index(peer);
        TreeState t = tree(origin);
        return i >= 0 && t.links[i].lastFirstCopy > 0 && t.firstCopies - t.links[i].lastFirstCopy < PRUNE_GRACE;
    }

    private boolean isEager(int origin, int peer) {
        int i = index(peer);
        return i >= 0 && tree(origin).links[i].eager;
    }

    /**
     * This node grafts {@code peer} in the tree of {@code origin}: the link is eager on both sides again, so a
     * duplicate from it is pruned at once (no hold from an earlier prune).
     */
    private void graft(int origin, int peer) {
        int i = index(peer);
        if (i >= 0) {
            Link l = tree(origin).links[i];
            l.eager = true;
            l.prunedAt = NEVER;
        }
    }

    private void setEager(int origin, int peer, boolean on) {
        int i = index(peer);
        if (i >= 0) {
            tree(origin).links[i].eager = on;
        }
    }
}
