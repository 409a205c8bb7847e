package dev.ringlab.runtime;

import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.MessageType;
import dev.ringlab.node.Observation;
import dev.ringlab.node.ProtocolRegistry;
import dev.ringlab.node.TimerLateness;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * One node host's transport counters over its whole life (every incarnation of the node it hosts: a
 * restart does not reset them), written on its event loop and read by the cluster, the node process's
 * counter stream and the admin endpoint from other threads (hence {@link LongAdder} and atomics).
 * Rendered in the Prometheus text exposition format, version 0.0.4. Messages are counted per
 * {@link MessageType} registered with the {@link ProtocolRegistry}, labelled by the type's name (a
 * researcher's types included); an id no registered type has is counted as {@code unknown}.
 *
 * <p>{@code ringlab_rejected_connections_total} reasons: {@code too_many_pending} (more unauthenticated
 * connections than {@link RuntimeConfig#maxPendingHandshakes}), {@code oversize_before_handshake} (a frame
 * longer than {@link Handshake#MAX_FRAME_BYTES} before the handshake), {@code handshake_timeout},
 * {@code bad_handshake}, {@code unauthenticated_frame}, {@code unknown_peer}, {@code bad_mac} (see
 * {@link HandshakeHandler}) and {@code duplicate_peer} (authenticated as a neighbour whose link is live: see
 * {@link LinkTable}, "Duplicate peers"). {@code ringlab_decode_errors_total}: {@code bad_frame_header},
 * {@code truncated_frame}, {@code bad_message}, {@code other}.
 */
public final class NodeMetrics {
    private final int node;
    /** The registered types, by id: the series {@link #prometheus} prints. */
    private final List<MessageType<?>> types;
    /** By wire id (1..255): a registered type's counter; slot 0, never an id, counts unknown ids. */
    private final LongAdder[] messagesIn;
    private final LongAdder[] messagesOut;
    private final LongAdder bytesIn = new LongAdder();
    private final LongAdder bytesOut = new LongAdder();
    private final LongAdder sent = new LongAdder();
    private final LongAdder bytesSent = new LongAdder();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder clientRequests = new LongAdder();
    private final LongAdder tokenRotations = new LongAdder();
    private final Map<String, LongAdder> rejected = new ConcurrentSkipListMap<>();
    private final Map<String, LongAdder> decodeErrors = new ConcurrentSkipListMap<>();
    private final Map<String, LongAdder> dropped = new ConcurrentSkipListMap<>();
    private final LongAdder connectionsOpened = new LongAdder();
    private final LongAdder idleCloses = new LongAdder();
    /** How late the node's timers ran. */
    private final TimerLateness timers = new TimerLateness();
    /** The link table's count of open peer connections; none until a table registers it. */
    private volatile java.util.function.IntSupplier openConnections = () -> 0;
    private volatile long lastSendNanos;
    private volatile boolean anySent;

    public NodeMetrics(int node) {
        this(node, ProtocolRegistry.standard().messageTypes());
    }

    /** Counters for exactly {@code types} (tests). */
    NodeMetrics(int node, List<MessageType<?>> types) {
        this.node = node;
        this.types = List.copyOf(types);
        this.messagesIn = adders(this.types);
        this.messagesOut = adders(this.types);
    }

    private static LongAdder[] adders(List<MessageType<?>> types) {
        LongAdder[] a = new LongAdder[MessageType.MAX_ID + 1];
        a[0] = new LongAdder();
        for (MessageType<?> t : types) {
            a[t.id()] = new LongAdder();
        }
        return a;
    }

    /**
     * A node's counters at one instant, as the cluster sums them (and as a node process streams them to its
     * parent).
     *
     * @param sent          node-to-node sends
     * @param bytesSent     their encoded bytes
     * @param delivered     messages handed to the node
     * @param drops         dropped sends by reason (zero counts left out)
     * @param lastSendNanos {@code System.nanoTime()} of the latest send, empty if none
     * @param clientRequests client requests ({@code Env.CLIENT}) the host handled: not part of the cluster's
     *     statistics; a node process's parent compares it with what it sent (see {@link ProcessCluster})
     */
    public record Counters(long sent, long bytesSent, long delivered, Map<String, Long> drops, OptionalLong lastSendNanos,
            long clientRequests) {
        public Counters {
            drops = Map.copyOf(drops);
            Objects.requireNonNull(lastSendNanos, "lastSendNanos");
        }

        public static final Counters ZERO = new Counters(0, 0, 0, Map.of(), OptionalLong.empty(), 0);

        /** The cluster's statistics: the sum of {@code parts} (deliveries are the events). */
        public static ClusterStats sum(Iterable<Counters> parts) {
            long s = 0;
            long b = 0;
            long d = 0;
            long last = Long.MIN_VALUE;
            boolean any = false;
            Map<String, Long> drops = new HashMap<>();
            for (Counters c : parts) {
                s += c.sent;
                b += c.bytesSent;
                d += c.delivered;
                c.drops.forEach((reason, k) -> drops.merge(reason, k, Long::sum));
                if (c.lastSendNanos.isPresent() && (!any || c.lastSendNanos.getAsLong() - last > 0)) {
                    last = c.lastSendNanos.getAsLong();
                    any = true;
                }
            }
            return new ClusterStats(s, b, d, drops, d, any ? OptionalLong.of(last) : OptionalLong.empty());
        }
    }

    /**
     * The counters now. Each is read on its own (the node keeps running), so a snapshot taken while messages
     * flow may be a few messages apart between fields.
     */
    public Counters counters() {
        Map<String, Long> drops = new TreeMap<>();
        dropped.forEach((reason, a) -> drops.put(reason, a.sum()));
        boolean any = anySent;
        return new Counters(sent.sum(), bytesSent.sum(), delivered.sum(), drops,
                any ? OptionalLong.of(lastSendNanos) : OptionalLong.empty(), clientRequests.sum());
    }

    /** A node-to-node send of {@code bytes} encoded bytes at {@code nowNanos}, counted before any drop. */
    void sent(int bytes, long nowNanos) {
        sent.increment();
        bytesSent.add(bytes);
        lastSendNanos = nowNanos;
        anySent = true;
    }

    /** A timer of the node ran {@code lateNanos} after it was due, at incarnation age {@code ageNanos} (node's thread). */
    void timerFired(long ageNanos, long lateNanos) {
        timers.record(ageNanos, lateNanos);
    }

    /** How many of this host's timers were counted so far (no copy: the counters line asks every period). */
    long timersCounted() {
        return timers.count();
    }

    /** How late this host's timers ran so far, every incarnation (a copy; see {@link TimerLateness}). */
    public TimerLateness timerLateness() {
        TimerLateness copy = new TimerLateness();
        copy.add(timers);
        return copy;
    }

    void deliveredOne() {
        delivered.increment();
    }

    /** A client request reached the host's loop (counted whether or not the node is up). */
    void clientRequest() {
        clientRequests.increment();
    }

    /** The counter of wire id {@code type}, or the unknown counter. */
    private static LongAdder slot(LongAdder[] counters, byte type) {
        LongAdder a = counters[type & 0xff];
        return a != null ? a : counters[0];
    }

    void messageIn(byte type, int wireBytes) {
        slot(messagesIn, type).increment();
        bytesIn.add(wireBytes);
    }

    void messageOut(byte type, int wireBytes) {
        slot(messagesOut, type).increment();
        bytesOut.add(wireBytes);
    }

    /** Messages received of the type named {@code type} ({@code unknown} for unregistered ids), 0 if none. */
    public long messagesIn(String type) {
        return count(messagesIn, type);
    }

    /** Messages written of the type named {@code type} ({@code unknown} for unregistered ids), 0 if none. */
    public long messagesOut(String type) {
        return count(messagesOut, type);
    }

    private long count(LongAdder[] counters, String type) {
        if (type.equals("unknown")) {
            return counters[0].sum();
        }
        for (MessageType<?> t : types) {
            if (t.name().equals(type)) {
                return counters[t.id()].sum();
            }
        }
        return 0;
    }

    void reject(String reason) {
        rejected.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    void decodeError(String reason) {
        decodeErrors.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    void drop(String reason) {
        dropped.computeIfAbsent(reason, r -> new LongAdder()).increment();
    }

    private volatile Observation lastToken;

    /** Counts a token rotation per {@link Observation.Tick} (one per rotation at every node) and keeps the last token event. */
    void observed(Observation o) {
        // instanceof, not a switch: a switch over the sealed Observation would need a default that gives up
        // the exhaustiveness check, and only four kinds matter here
        if (o instanceof Observation.Tick) {
            tokenRotations.increment();
        } else if (o instanceof Observation.TokenCreated || o instanceof Observation.TokenArrived
                || o instanceof Observation.TokenPassed) {
            lastToken = o;
        }
    }

    /** The last token event this node observed, or null. */
    public Observation lastToken() {
        return lastToken;
    }

    public long rejected(String reason) {
        LongAdder a = rejected.get(reason);
        return a == null ? 0 : a.sum();
    }

    public long decodeErrors(String reason) {
        LongAdder a = decodeErrors.get(reason);
        return a == null ? 0 : a.sum();
    }

    public long dropped(String reason) {
        LongAdder a = dropped.get(reason);
        return a == null ? 0 : a.sum();
    }

    public long droppedTotal() {
        return dropped.values().stream().mapToLong(LongAdder::sum).sum();
    }

    public long sent() {
        return sent.sum();
    }

    public long bytesSent() {
        return bytesSent.sum();
    }

    public long delivered() {
        return delivered.sum();
    }

    public long tokenRotations() {
        return tokenRotations.sum();
    }

    /** Where {@link #openConnections()} reads from: the host's link table. */
    void openConnections(java.util.function.IntSupplier source) {
        this.openConnections = Objects.requireNonNull(source, "source");
    }

    /** Peer connections open now (authenticated; control connections not counted). */
    public int openConnections() {
        return openConnections.getAsInt();
    }

    void connectionOpened() {
        connectionsOpened.increment();
    }

    /** Peer connections taken into the link table (authenticated), over the host's life. */
    public long connectionsOpened() {
        return connectionsOpened.sum();
    }

    void idleClose() {
        idleCloses.increment();
    }

    /** Connections retired by a lazy policy's idle timeout on this side. */
    public long idleCloses() {
        return idleCloses.sum();
    }

    /** The Prometheus text format of every counter; every registered message type has a series. */
    public String prometheus() {
        StringBuilder b = new StringBuilder(2048);
        String n = "node=\"" + node + "\"";
        header(b, "ringlab_messages_in_total", "Messages received from peers and clients, by type.");
        byType(b, "ringlab_messages_in_total", n, messagesIn);
        header(b, "ringlab_messages_out_total", "Messages written to peers, by type.");
        byType(b, "ringlab_messages_out_total", n, messagesOut);
        header(b, "ringlab_bytes_in_total", "Frame bytes received, length prefixes included.");
        line(b, "ringlab_bytes_in_total", n, bytesIn.sum());
        header(b, "ringlab_bytes_out_total", "Frame bytes written, length prefixes included.");
        line(b, "ringlab_bytes_out_total", n, bytesOut.sum());
        header(b, "ringlab_sent_total", "Node-to-node sends, counted before any drop.");
        line(b, "ringlab_sent_total", n, sent.sum());
        header(b, "ringlab_delivered_total", "Messages from peers handed to the node.");
        line(b, "ringlab_delivered_total", n, delivered.sum());
        labelled(b, "ringlab_rejected_connections_total", "Connections refused before, during or right after the handshake, by reason.", n, rejected);
        labelled(b, "ringlab_decode_errors_total", "Connections closed on a malformed frame, by reason.", n, decodeErrors);
        labelled(b, "ringlab_dropped_writes_total", "Sends dropped instead of delivered, by reason (ClusterStats' reasons).", n, dropped);
        header(b, "ringlab_token_rotations_total", "Token rotations this node observed.");
        line(b, "ringlab_token_rotations_total", n, tokenRotations.sum());
        b.append("# HELP ringlab_open_connections Peer connections open and authenticated now (control connections not counted).\n");
        b.append("# TYPE ringlab_open_connections gauge\n");
        line(b, "ringlab_open_connections", n, openConnections());
        header(b, "ringlab_connections_opened_total", "Peer connections authenticated and taken into the link table.");
        line(b, "ringlab_connections_opened_total", n, connectionsOpened.sum());
        header(b, "ringlab_idle_closes_total", "Peer connections this node closed after the lazy policy's idle time.");
        line(b, "ringlab_idle_closes_total", n, idleCloses.sum());
        return b.toString();
    }

    /** One series per registered type (names are snake_case, so valid label values), then unknown ids. */
    private void byType(StringBuilder b, String name, String n, LongAdder[] counters) {
        line(b, name, n + ",type=\"unknown\"", counters[0].sum());
        for (MessageType<?> t : types) {
            line(b, name, n + ",type=\"" + t.name() + "\"", counters[t.id()].sum());
        }
    }

    private static void header(StringBuilder b, String name, String help) {
        b.append("# HELP ").append(name).append(' ').append(help).append('\n');
        b.append("# TYPE ").append(name).append(" counter\n");
    }

    private static void line(StringBuilder b, String name, String labels, long v) {
        b.append(name).append('{').append(labels).append("} ").append(v).append('\n');
    }

    private static void labelled(StringBuilder b, String name, String help, String n, Map<String, LongAdder> m) {
        header(b, name, help);
        if (m.isEmpty()) {
            line(b, name, n + ",reason=\"none\"", 0);
        }
        m.forEach((reason, a) -> line(b, name, n + ",reason=\"" + reason + "\"", a.sum()));
    }
}
