package dev.ringlab.runtime;

import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.Observation;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * One node host's transport counters over its whole life (every incarnation of the node it hosts: a
 * restart does not reset them), written on its event loop and read by the cluster, the node process's
 * counter stream and the admin endpoint from other threads (hence {@link LongAdder} and atomics).
 * Rendered in the Prometheus text exposition format, version 0.0.4; message types are counted per type
 * byte and labelled with {@link MessageCodec#typeName}.
 */
public final class NodeMetrics {
    private static final int TYPES = 256; // one slot per type byte
    private final int node;
    private final AtomicLongArray messagesIn = new AtomicLongArray(TYPES);
    private final AtomicLongArray messagesOut = new AtomicLongArray(TYPES);
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
    private volatile long lastSendNanos;
    private volatile boolean anySent;

    public NodeMetrics(int node) {
        this.node = node;
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

    void deliveredOne() {
        delivered.increment();
    }

    /** A client request reached the host's loop (counted whether or not the node is up). */
    void clientRequest() {
        clientRequests.increment();
    }

    void messageIn(byte type, int wireBytes) {
        messagesIn.incrementAndGet(type & 0xFF);
        bytesIn.add(wireBytes);
    }

    void messageOut(byte type, int wireBytes) {
        messagesOut.incrementAndGet(type & 0xFF);
        bytesOut.add(wireBytes);
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

    /** Messages of type byte {@code type} received from peers and clients. */
    public long messagesIn(byte type) {
        return messagesIn.get(type & 0xFF);
    }

    /** Messages of type byte {@code type} written to peers. */
    public long messagesOut(byte type) {
        return messagesOut.get(type & 0xFF);
    }

    /** The Prometheus text format of every counter; message types that never occurred are left out. */
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
        labelled(b, "ringlab_rejected_connections_total", "Connections closed before or during the handshake, by reason.", n, rejected);
        labelled(b, "ringlab_decode_errors_total", "Connections closed on a malformed frame, by reason.", n, decodeErrors);
        labelled(b, "ringlab_dropped_writes_total", "Sends dropped instead of delivered, by reason (ClusterStats' reasons).", n, dropped);
        header(b, "ringlab_token_rotations_total", "Token rotations this node observed.");
        line(b, "ringlab_token_rotations_total", n, tokenRotations.sum());
        return b.toString();
    }

    private static void byType(StringBuilder b, String name, String n, AtomicLongArray counts) {
        for (int t = 0; t < TYPES; t++) {
            long v = counts.get(t);
            if (v != 0) {
                line(b, name, n + ",type=\"" + MessageCodec.typeName((byte) t) + "\"", v);
            }
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
