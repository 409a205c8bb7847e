package dev.ringlab.node.protocols;

import dev.ringlab.node.SplitMix;
import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.ReplicaMessage;
import dev.ringlab.topology.Overlay;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Reliable dissemination of versioned deltas to every node, the engine under the replicated applications
 * ({@link ConfigBus}, {@link TokenCatalog}): each node originates deltas named by dots
 * {@code (node, incarnation, seq)}, and every node applies each source's deltas in sequence order.
 *
 * <h2>Propagation</h2>
 * A delta travels first-hand the moment it is created or first received, and every node forwards each delta
 * at most once:
 * <ul>
 *   <li>{@link Mode#RING} with {@link Via#TOKEN} (the default on the ring): on the wrapped {@link HealingRing}'s
 *       token. When the token visits, the node applies every delta in its payload (in order per source, gaps
 *       buffered and pulled from the node the token came from, as below), then appends its own deltas not yet
 *       circulated (new ones, and unacknowledged ones again after {@link Settings#ackTimeoutNanos}), as many
 *       as fit under {@link MessageCodec#MAX_FRAME_BYTES}; the rest wait for the next visit. Each payload
 *       entry counts the hops it has travelled; it leaves the payload when the token brings it back to its
 *       origin node (one rotation) or, if the origin is dead, after {@code n} hops. The payload is
 *       {@code int count} then per entry {@code int hops} and the delta as {@link ReplicaMessage#putDelta}
 *       writes it. The first node after the origin that reads a delta from the token (hop 1) answers the
 *       origin {@link Message.DeltaAck}. A token lost with its holder loses its payload: the origins re-send
 *       their unacknowledged deltas on a later token and anti-entropy spreads the rest. Deltas received
 *       otherwise (pulls, anti-entropy) are not forwarded first-hand.</li>
 *   <li>{@link Mode#RING} with {@link Via#HOP}: hop by hop around the ring, to the node's current successor as the
 *       {@link HealingRing} this node wraps decides it (its failure detector and successor list skip dead
 *       nodes, so the bus survives crashes and a respawned node is relinked), and to the suspected nodes the
 *       ring skips on the way there (a falsely suspected node still gets deltas first-hand; a dead one drops
 *       them); a delta stops at the node whose successor is its origin, or at a node that already has it. The
 *       wrapped ring still circulates its token (ticks, rotations) but deltas do not ride it.</li>
 *   <li>{@link Mode#FLOOD}: to every overlay neighbour but the sender (flooding on an expander).</li>
 * </ul>
 *
 * <h2>Order, gaps and anti-entropy</h2>
 * A delta that arrives ahead of its predecessors from the same source is buffered, and the gap triggers a
 * pull: a {@link Message.Digest} to the sender, which pushes what is missing. Independently, every
 * {@link Settings#antiEntropyNanos} a node sends its digest (per source, the highest contiguous sequence it
 * holds) to one peer — its ring successor, or a random neighbour — and the two push to each other what the
 * other lacks: push-pull anti-entropy (Demers et al., "Epidemic algorithms for replicated database
 * maintenance", PODC 1987). Since every ring edge (or every neighbour pair, eventually) runs it, every delta
 * held by a live node reaches every live node once the faults stop, whatever was lost in transit.
 *
 * <h2>Acknowledged deltas</h2>
 * A node that receives a delta directly from its origin answers {@link Message.DeltaAck}. The origin
 * acknowledges its deltas to the client ({@link Observation.DeltaAcked}, one per delta, naming the replica)
 * in sequence order, each once a replica other than itself holds it and every earlier one is acknowledged,
 * so an acknowledged delta survives the origin's crash: the replica forwards it and serves it by
 * anti-entropy. It does not survive the crash of both the origin and that replica before the replica passed
 * it on (one replica, one tolerated crash). Unacknowledged deltas
 * are re-sent every {@link Settings#ackTimeoutNanos} (to the current successor, or a random neighbour).
 *
 * <h2>Incarnations</h2>
 * A node's incarnation is its start time ({@link Env#now}), so a restarted node, which remembers nothing,
 * never reuses a dot: its old deltas stay those of the old source and come back to it by anti-entropy.
 *
 * <h2>Observations</h2>
 * {@link Observation.DeltaApplied} per applied delta (at the origin: its creation), {@link Observation.StateHash}
 * whenever the state changes (and at start), {@link Observation.AppTraffic} each anti-entropy round in which
 * the node sent something. The state hash is an order-independent sum over the application's entries and the
 * per-source heads, so two nodes that applied the same deltas have the same hash.
 */
public abstract class DeltaReplicator implements Node {
    /** How deltas travel first-hand. */
    public enum Mode {
        /** Hop by hop along the healing ring's live successor. */
        RING,
        /** Flooding to every overlay neighbour. */
        FLOOD
    }

    /** How deltas travel first-hand in {@link Mode#RING}. */
    public enum Via {
        /** In the payload of the healing ring's token. */
        TOKEN,
        /** Hop by hop to the current successor, each in its own messages. */
        HOP
    }

    /** Spec prefix of the config bus. */
    public static final String CONFIG = "config";
    /** Spec prefix of the token catalog. */
    public static final String CATALOG = "catalog";
    public static final String FORMS = "config;MODE;ae=D,ack=D[,via=token|hop][;healing:...] or catalog;... with MODE ring"
            + " or flood, D a duration such as 50ms (via and the healing ring part only with ring; via defaults to token)";

    /** Largest {@link Message.Deltas} this node sends, in encoded bytes, well under the frame cap. */
    private static final int MAX_BATCH_BYTES = 64 * 1024;
    /** An empty token payload. */
    private static final byte[] NO_DELTAS = new byte[0];
    /** Most deltas re-sent per anti-entropy round while unacknowledged. */
    private static final int MAX_RESEND = 256;

    /**
     * How a replicator runs.
     *
     * @param mode             how deltas travel first-hand
     * @param antiEntropyNanos period of the digest exchange with one peer, > 0
     * @param ackTimeoutNanos  an unacknowledged delta is re-sent after this long, > 0
     * @param ring             the healing ring wrapped in {@link Mode#RING}; null in {@link Mode#FLOOD}
     * @param via              how deltas travel on the ring in {@link Mode#RING}; null in {@link Mode#FLOOD}
     */
    public record Settings(Mode mode, long antiEntropyNanos, long ackTimeoutNanos, RecoveryConfig ring, Via via) {
        /** Settings with deltas on the token in {@link Mode#RING}. */
        public Settings(Mode mode, long antiEntropyNanos, long ackTimeoutNanos, RecoveryConfig ring) {
            this(mode, antiEntropyNanos, ackTimeoutNanos, ring, mode == Mode.RING ? Via.TOKEN : null);
        }

        public Settings {
            Objects.requireNonNull(mode, "mode");
            if (antiEntropyNanos <= 0 || ackTimeoutNanos <= 0) {
                throw new IllegalArgumentException("anti-entropy period and ack timeout must be > 0, got "
                        + antiEntropyNanos + " ns and " + ackTimeoutNanos + " ns");
            }
            if ((mode == Mode.RING) != (ring != null)) {
                throw new IllegalArgumentException("a healing ring config is needed in ring mode and only there");
            }
            if ((mode == Mode.RING) != (via != null)) {
                throw new IllegalArgumentException("via (token or hop) is needed in ring mode and only there");
            }
        }

        /** {@code ring;ae=50ms,ack=100ms,via=token;healing:...} or {@code flood;ae=50ms,ack=100ms}. */
        public String spec() {
            String s = mode.name().toLowerCase(Locale.ROOT) + ";ae=" + RecoveryConfig.format(antiEntropyNanos) + ",ack="
                    + RecoveryConfig.format(ackTimeoutNanos);
            return ring == null ? s : s + ",via=" + via.name().toLowerCase(Locale.ROOT) + ";" + ring.spec();
        }

        /** The inverse of {@link #spec()}. @throws IllegalArgumentException naming the bad part */
        public static Settings parse(String spec) {
            String[] parts = spec.trim().split(";");
            if (parts.length < 2 || parts.length > 3) {
                throw new IllegalArgumentException("'" + spec + "' is not MODE;ae=D,ack=D[;healing:...]");
            }
            Mode mode = switch (parts[0].toLowerCase(Locale.ROOT)) {
                case "ring" -> Mode.RING;
                case "flood" -> Mode.FLOOD;
                default -> throw new IllegalArgumentException("unknown mode '" + parts[0] + "': use ring or flood");
            };
            long ae = -1;
            long ack = -1;
            Via via = null;
            for (String kv : parts[1].split(",")) {
                String[] p = kv.split("=", 2);
                if (p.length != 2) {
                    throw new IllegalArgumentException("'" + kv + "' in '" + spec + "' is not KEY=VALUE");
                }
                if (p[0].equals("via")) {
                    via = switch (p[1].toLowerCase(Locale.ROOT)) {
                        case "token" -> Via.TOKEN;
                        case "hop" -> Via.HOP;
                        default -> throw new IllegalArgumentException("unknown via '" + p[1] + "': use token or hop");
                    };
                    continue;
                }
                DelaySpec d = DelaySpec.parse(p[1]);
                if (d.loNanos() != d.hiNanos()) {
                    throw new IllegalArgumentException("'" + p[1] + "' must be one duration, not a range");
                }
                switch (p[0]) {
                    case "ae" -> ae = d.loNanos();
                    case "ack" -> ack = d.loNanos();
                    default -> throw new IllegalArgumentException("unknown key '" + p[0] + "' in '" + spec + "': use ae, ack, via");
                }
            }
            if (ae < 0 || ack < 0) {
                throw new IllegalArgumentException("'" + spec + "' needs both ae=D and ack=D");
            }
            RecoveryConfig ring = parts.length == 3 ? RecoveryConfig.parse(parts[2]) : null;
            if (via != null && mode != Mode.RING) {
                throw new IllegalArgumentException("via=" + p1(via) + " in '" + spec + "': only in ring mode");
            }
            return new Settings(mode, ae, ack, ring, mode == Mode.RING && via == null ? Via.TOKEN : via);
        }

        private static String p1(Via via) {
            return via.name().toLowerCase(Locale.ROOT);
        }
    }

    /** True if {@code spec} names a config bus or token catalog protocol. */
    public static boolean isSpec(String spec) {
        return spec.startsWith(CONFIG + ";") || spec.startsWith(CATALOG + ";");
    }

    /** The protocol of a spec as {@link Protocol#spec()} writes it ({@code config;...} or {@code catalog;...}). */
    public static Protocol parse(String spec) {
        int cut = spec.indexOf(';');
        if (cut < 0) {
            throw new IllegalArgumentException("'" + spec + "' is not a replicated application spec: use " + FORMS);
        }
        Settings settings = Settings.parse(spec.substring(cut + 1));
        return switch (spec.substring(0, cut)) {
            case CONFIG -> ConfigBus.protocol(settings);
            case CATALOG -> TokenCatalog.protocol(settings);
            default -> throw new IllegalArgumentException("unknown application in '" + spec + "': use " + FORMS);
        };
    }

    /** The protocol named {@code app;settings}, creating nodes with {@code factory}. */
    static Protocol protocol(String app, Settings settings, Factory factory) {
        String spec = app + ";" + settings.spec();
        return new Protocol() {
            @Override
            public String spec() {
                return spec;
            }

            @Override
            public Node create(int id, Overlay overlay) {
                return factory.create(id, overlay, settings);
            }
        };
    }

    interface Factory {
        DeltaReplicator create(int id, Overlay overlay, Settings settings);
    }

    /** Orders dots by node, incarnation, sequence: every iteration over dots is deterministic. */
    public static final Comparator<Message.Dot> DOT_ORDER = Comparator.comparingInt(Message.Dot::node)
            .thenComparingLong(Message.Dot::incarnation).thenComparingLong(Message.Dot::seq);

    /** One source's deltas here: the applied prefix {@code 1..applied.size()} and those buffered beyond a gap. */
    private static final class SourceLog {
        final ArrayList<Message.Delta> applied = new ArrayList<>();
        final TreeMap<Long, Message.Delta> buffered = new TreeMap<>();

        long head() {
            return applied.size();
        }

        boolean holds(long seq) {
            return seq <= applied.size() || buffered.containsKey(seq);
        }
    }

    protected final int self;
    private final Overlay overlay;
    protected final Settings settings;
    private final HealingRing ring;
    private int[] peers;
    protected Env env;
    private long incarnation;
    private long lamport;
    private long nextSeq = 1;
    /** Per source (node, incarnation as a seq-0 dot), ordered: digests list sources in a fixed order. */
    private final TreeMap<Message.Dot, SourceLog> logs = new TreeMap<>(DOT_ORDER);
    /** Own deltas not yet acknowledged by a replica: seq -> when last sent. */
    private final TreeMap<Long, Long> unacked = new TreeMap<>();
    private long ackedPrefix;
    /** Own deltas acknowledged by a replica but not yet to the client (an earlier one is not): seq -> replica. */
    private final TreeMap<Long, Integer> ackedBy = new TreeMap<>();
    private long headsHash;
    private long appHash;
    private long appliedCount;
    private long lastReportedHash;
    private boolean reported;
    private long sentMessages;
    private long sentBytes;
    private long reportedMessages = -1;
    private final Map<Integer, Long> lastPullNanos = new HashMap<>();
    /** {@link Via#TOKEN}: own deltas (by seq) to append to the token on its next visit, in order. */
    private final java.util.TreeSet<Long> toCirculate = new java.util.TreeSet<>();

    protected DeltaReplicator(int id, Overlay overlay, Settings settings) {
        this.self = id;
        this.overlay = Objects.requireNonNull(overlay, "overlay");
        this.settings = Objects.requireNonNull(settings, "settings");
        if (id < 0 || id >= overlay.size()) {
            throw new IllegalArgumentException("node " + id + " is not in 0.." + (overlay.size() - 1));
        }
        this.ring = settings.mode() != Mode.RING ? null
                : settings.via() == Via.TOKEN ? new HealingRing(id, overlay, settings.ring(), this::onTokenVisit)
                : new HealingRing(id, overlay, settings.ring());
    }

    // ---- what an application supplies --------------------------------------------------------------------

    /** Turns a client request into a delta by calling {@link #originate}; ignores requests for other applications. */
    protected abstract void onClientRequest(ReplicaMessage.AppRequest request);

    /** Applies one delta to the application state (each delta once, each source in sequence order). */
    protected abstract void apply(Message.Delta d);

    /** Adds an entry's hash to the order-independent state hash. */
    protected final void hashIn(long h) {
        appHash += h;
    }

    /** Removes an entry's hash from the state hash. */
    protected final void hashOut(long h) {
        appHash -= h;
    }

    /**
     * Creates, applies and sends a delta of this node.
     *
     * @return the delta
     */
    protected final Message.Delta originate(byte op, String key, String value, List<Message.Dot> observed) {
        Message.Dot dot = new Message.Dot(self, incarnation, nextSeq++);
        Message.Delta d = new Message.Delta(dot, ++lamport, op, key, value, observed);
        SourceLog log = logs.computeIfAbsent(source(dot), k -> new SourceLog());
        applyInOrder(log, d);
        unacked.put(dot.seq(), env.now());
        if (onToken()) {
            toCirculate.add(dot.seq());
        } else {
            forward(Env.CLIENT, List.of(d));
        }
        reportState();
        return d;
    }

    // ---- node callbacks ----------------------------------------------------------------------------------

    @Override
    public void start(Env env) {
        this.env = env;
        this.incarnation = env.now();
        if (ring != null) {
            ring.start(env);
        } else {
            peers = Peers.distinct(overlay, self);
        }
        reportState();
        // A random phase, so that the nodes' rounds do not all fall on the same instants.
        env.schedule(env.random().nextLong(settings.antiEntropyNanos()) + 1, this::onAntiEntropyTimeout);
    }

    @Override
    public void onMessage(int from, Message m) {
        if (m instanceof ReplicaMessage rm) {
            switch (rm) {
                case ReplicaMessage.AppRequest r -> onClientRequest(r);
                case Message.Deltas d -> onDeltas(from, d);
                case Message.Digest d -> onDigest(from, d);
                case Message.DeltaAck a -> onDeltaAck(from, a);
            }
        } else if (ring != null) {
            // The ring's messages go to the ring underneath, which ignores any other family's.
            ring.onMessage(from, m);
        }
    }

    @Override
    public void stop() {
        if (ring != null) {
            ring.stop();
        }
    }

    private boolean onToken() {
        return settings.via() == Via.TOKEN;
    }

    private void onDeltas(int from, Message.Deltas msg) {
        List<Message.Delta> fresh = new ArrayList<>();
        boolean gap = false;
        for (Message.Delta d : msg.items()) {
            Message.Dot dot = d.dot();
            if (from == dot.node() && from != self) {
                send(from, new Message.DeltaAck(dot));
            }
            gap |= receive(d, fresh);
        }
        if (gap) {
            pull(from);
        }
        if (!fresh.isEmpty()) {
            if (!onToken()) {
                forward(from, fresh);
            }
            reportState();
        }
    }

    /** Takes one received delta: applies it (and what it unblocks) or buffers it; true if it left a gap. */
    private boolean receive(Message.Delta d, List<Message.Delta> fresh) {
        Message.Dot dot = d.dot();
        {
            SourceLog log = logs.computeIfAbsent(source(dot), k -> new SourceLog());
            if (log.holds(dot.seq())) {
                return false;
            }
            if (dot.node() == self && dot.incarnation() == incarnation) {
                throw new IllegalStateException("node " + self + " received its own delta " + dot + " that it never created");
            }
            lamport = Math.max(lamport, d.lamport());
            fresh.add(d);
            if (dot.seq() == log.head() + 1) {
                applyInOrder(log, d);
                while (!log.buffered.isEmpty() && log.buffered.firstKey() == log.head() + 1) {
                    applyInOrder(log, log.buffered.pollFirstEntry().getValue());
                }
            } else {
                log.buffered.put(dot.seq(), d);
                return true;
            }
        }
        return false;
    }

    /**
     * {@link Via#TOKEN}: the token visits. Applies the deltas of its payload, acknowledges those whose first
     * holder this node is, drops those back at their origin or that have travelled {@code n} hops, and appends
     * this node's deltas not yet circulated, as many as fit.
     */
    private byte[] onTokenVisit(int from, Message.Token token) {
        int n = overlay.size();
        List<Message.Delta> keep = new ArrayList<>();
        List<Integer> keepHops = new ArrayList<>();
        java.util.Set<Message.Dot> carried = new java.util.HashSet<>();
        List<Message.Delta> fresh = new ArrayList<>();
        boolean gap = false;
        byte[] in = token.payload();
        List<Message.Delta> items = new ArrayList<>();
        List<Integer> itemHops = new ArrayList<>();
        if (in.length > 0) {
            try {
                java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(in);
                int count = b.getInt();
                for (int k = 0; k < count; k++) {
                    int hops = b.getInt();
                    items.add(ReplicaMessage.getDelta(b));
                    itemHops.add(hops);
                }
            } catch (dev.ringlab.node.CodecException | java.nio.BufferUnderflowException e) {
                // Not a payload this bus wrote (a hostile or broken peer): drop it; anti-entropy repairs.
                items.clear();
                itemHops.clear();
            }
            for (int k = 0; k < items.size(); k++) {
                int hops = itemHops.get(k) + (from == self ? 0 : 1);
                Message.Delta d = items.get(k);
                Message.Dot dot = d.dot();
                if (dot.node() >= n) {
                    continue; // no such origin: not a delta of this cluster
                }
                boolean own = dot.node() == self && dot.incarnation() == incarnation;
                if (!own) {
                    if (hops == 1) {
                        send(dot.node(), new Message.DeltaAck(dot)); // the first node after the origin holds it
                    }
                    gap |= receive(d, fresh);
                }
                if (dot.node() != self && hops < n) {
                    keep.add(d);
                    keepHops.add(hops);
                    carried.add(dot);
                }
            }
        }
        if (gap) {
            pull(from);
        }
        if (!fresh.isEmpty()) {
            reportState();
        }
        // Room left under the frame cap for this node's deltas.
        int budget = MessageCodec.MAX_FRAME_BYTES - (MessageCodec.encodedSize(token) - in.length);
        int bytes = 4;
        for (Message.Delta d : keep) {
            bytes += 4 + ReplicaMessage.deltaSize(d);
        }
        SourceLog own = logs.get(new Message.Dot(self, incarnation, 0));
        java.util.Iterator<Long> it = toCirculate.iterator();
        while (it.hasNext()) {
            Message.Delta d = own.applied.get((int) (it.next() - 1));
            if (carried.contains(d.dot())) {
                it.remove(); // still on its way round
                continue;
            }
            int size = 4 + ReplicaMessage.deltaSize(d);
            if (bytes + size > budget) {
                break; // the token is full: the rest waits for the next visit
            }
            bytes += size;
            keep.add(d);
            keepHops.add(0);
            it.remove();
        }
        if (keep.isEmpty()) {
            return in.length == 0 ? in : NO_DELTAS;
        }
        java.nio.ByteBuffer out = java.nio.ByteBuffer.allocate(bytes);
        out.putInt(keep.size());
        for (int k = 0; k < keep.size(); k++) {
            out.putInt(keepHops.get(k));
            ReplicaMessage.putDelta(keep.get(k), out);
        }
        // The token now carries deltas: count its pass as a message of this application.
        sentMessages++;
        sentBytes += bytes;
        return out.array();
    }

    private void applyInOrder(SourceLog log, Message.Delta d) {
        if (d.dot().seq() != log.head() + 1) {
            throw new IllegalStateException("node " + self + " applying " + d.dot() + " after head " + log.head());
        }
        Message.Dot src = source(d.dot());
        headsHash -= headHash(src, log.head());
        log.applied.add(d);
        headsHash += headHash(src, log.head());
        appliedCount++;
        apply(d);
        env.observe(new Observation.DeltaApplied(self, d.dot().node(), d.dot().incarnation(), d.dot().seq(), d.op(),
                env.now()));
    }

    /** A gap: ask {@code from} (which holds deltas beyond it) for what is missing, at most every quarter round. */
    private void pull(int from) {
        if (from == Env.CLIENT || from == self) {
            return;
        }
        long now = env.now();
        Long last = lastPullNanos.get(from);
        if (last != null && now - last < settings.antiEntropyNanos() / 4) {
            return;
        }
        lastPullNanos.put(from, now);
        send(from, new Message.Digest(false, heads()));
    }

    private void onDigest(int from, Message.Digest dg) {
        Map<Message.Dot, Long> theirs = new HashMap<>();
        for (Message.Dot h : dg.heads()) {
            theirs.put(source(h), h.seq());
        }
        List<Message.Delta> push = new ArrayList<>();
        for (Map.Entry<Message.Dot, SourceLog> e : logs.entrySet()) {
            long their = theirs.getOrDefault(e.getKey(), 0L);
            List<Message.Delta> applied = e.getValue().applied;
            for (long s = their + 1; s <= applied.size(); s++) {
                push.add(applied.get((int) (s - 1)));
            }
        }
        sendBatched(from, push);
        if (!dg.reply()) {
            for (Message.Dot h : dg.heads()) {
                SourceLog mine = logs.get(source(h));
                if (h.seq() > (mine == null ? 0 : mine.head())) {
                    send(from, new Message.Digest(true, heads()));
                    break;
                }
            }
        }
    }

    private void onDeltaAck(int from, Message.DeltaAck a) {
        Message.Dot dot = a.dot();
        if (dot.node() != self || dot.incarnation() != incarnation || unacked.remove(dot.seq()) == null) {
            return; // an ack for a former incarnation, or a repeated one
        }
        ackedBy.put(dot.seq(), from);
        long now = env.now();
        while (ackedPrefix + 1 < nextSeq && !unacked.containsKey(ackedPrefix + 1)) {
            ackedPrefix++;
            env.observe(new Observation.DeltaAcked(self, incarnation, ackedPrefix, ackedBy.remove(ackedPrefix), now));
        }
    }

    private void onAntiEntropyTimeout() {
        long now = env.now();
        int peer = antiEntropyPeer();
        if (peer >= 0) {
            send(peer, new Message.Digest(false, heads()));
            List<Message.Delta> resend = new ArrayList<>();
            SourceLog own = logs.get(new Message.Dot(self, incarnation, 0));
            for (Map.Entry<Long, Long> e : unacked.entrySet()) {
                if (resend.size() >= MAX_RESEND) {
                    break;
                }
                if (now - e.getValue() >= settings.ackTimeoutNanos()) {
                    resend.add(own.applied.get((int) (e.getKey() - 1)));
                    e.setValue(now);
                }
            }
            if (onToken()) {
                for (Message.Delta d : resend) {
                    toCirculate.add(d.dot().seq()); // on the next token
                }
            } else {
                sendBatched(peer, resend);
            }
        }
        if (sentMessages != reportedMessages) {
            reportedMessages = sentMessages;
            env.observe(new Observation.AppTraffic(self, incarnation, sentMessages, sentBytes, now));
        }
        env.schedule(settings.antiEntropyNanos(), this::onAntiEntropyTimeout);
    }

    private int antiEntropyPeer() {
        if (ring != null) {
            return ring.successor();
        }
        return peers.length == 0 ? -1 : peers[env.random().nextInt(peers.length)];
    }

    // ---- sending -----------------------------------------------------------------------------------------

    /** First-hand propagation of {@code deltas}, which came from {@code from}. */
    private void forward(int from, List<Message.Delta> deltas) {
        if (ring != null) {
            // The current successor, and also every node of the successor list the ring skips now: a
            // suspected node that is alive after all (a false suspicion under load) still gets the delta
            // first-hand instead of waiting for anti-entropy; a dead one drops it.
            int successor = ring.successor();
            int n = overlay.size();
            int r = Math.min(settings.ring().successors(), n - 1);
            for (int i = 1; i <= r; i++) {
                int to = (self + i) % n;
                if (to != from) {
                    List<Message.Delta> out = new ArrayList<>(deltas.size());
                    for (Message.Delta d : deltas) {
                        if (d.dot().node() != to) { // back at its origin: the delta has been around
                            out.add(d);
                        }
                    }
                    sendBatched(to, out);
                }
                if (to == successor) {
                    break;
                }
            }
            return;
        }
        for (int to : peers) {
            if (to != from) {
                sendBatched(to, deltas);
            }
        }
    }

    private void sendBatched(int to, List<Message.Delta> deltas) {
        int from = 0;
        while (from < deltas.size()) {
            int bytes = 2 + 4;
            int end = from;
            while (end < deltas.size() && (end == from || bytes + ReplicaMessage.deltaSize(deltas.get(end)) <= MAX_BATCH_BYTES)) {
                bytes += ReplicaMessage.deltaSize(deltas.get(end));
                end++;
            }
            send(to, new Message.Deltas(deltas.subList(from, end)));
            from = end;
        }
    }

    private void send(int to, Message m) {
        sentMessages++;
        sentBytes += MessageCodec.encodedSize(m);
        env.send(to, m);
    }

    // ---- state -------------------------------------------------------------------------------------------

    private static Message.Dot source(Message.Dot d) {
        return d.seq() == 0 ? d : new Message.Dot(d.node(), d.incarnation(), 0);
    }

    /** Per source, the highest contiguous sequence held (sources with none left out). */
    private List<Message.Dot> heads() {
        List<Message.Dot> out = new ArrayList<>(logs.size());
        for (Map.Entry<Message.Dot, SourceLog> e : logs.entrySet()) {
            long head = e.getValue().head();
            if (head > 0) {
                out.add(new Message.Dot(e.getKey().node(), e.getKey().incarnation(), head));
            }
        }
        return out;
    }

    private static long headHash(Message.Dot src, long head) {
        return head == 0 ? 0 : Hashes.mix(Hashes.mix(Hashes.mix(0x5EED, src.node()), src.incarnation()), head);
    }

    private void reportState() {
        long h = stateHash();
        if (!reported || h != lastReportedHash) {
            reported = true;
            lastReportedHash = h;
            env.observe(new Observation.StateHash(self, h, appliedCount, env.now()));
        }
    }

    /** The order-independent hash of this node's state (application entries and per-source heads). */
    public long stateHash() {
        return Hashes.mix(appHash, headsHash);
    }

    /** How many deltas this node has applied. */
    public long appliedCount() {
        return appliedCount;
    }

    /** Deltas held beyond a gap, waiting for their predecessors. */
    public long bufferedCount() {
        long c = 0;
        for (SourceLog l : logs.values()) {
            c += l.buffered.size();
        }
        return c;
    }

    /** This node's incarnation (its start time). */
    public long incarnation() {
        return incarnation;
    }

    /** Own deltas acknowledged to the client so far (a prefix of the sequence). */
    public long ackedPrefix() {
        return ackedPrefix;
    }

    /** The wrapped healing ring in {@link Mode#RING}, else null. */
    public HealingRing ring() {
        return ring;
    }

    /** Deterministic 64-bit hashing (SplitMix64 finaliser; strings through their UTF-16 units). */
    static final class Hashes {
        private Hashes() {}

        static long mix(long h, long v) {
            return SplitMix.mix64(h * SplitMix.GOLDEN_GAMMA + v + 0x632BE59BD9B4E019L);
        }

        static long of(String s) {
            long h = 0xCBF29CE484222325L;
            for (int i = 0; i < s.length(); i++) {
                h = (h ^ s.charAt(i)) * 0x100000001B3L;
            }
            return mix(h, s.length());
        }

        static long of(Message.Dot d) {
            return mix(mix(mix(0xD07, d.node()), d.incarnation()), d.seq());
        }
    }
}
