package dev.ringlab.runtime;

import dev.ringlab.node.MessageType;
import dev.ringlab.node.Observation;
import dev.ringlab.node.ProtocolRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * One node's transport counters, written on its event loop and read by the cluster and the admin
 * endpoint from other threads (hence {@link LongAdder}). Rendered in the Prometheus text exposition
 * format, version 0.0.4. Messages are counted per {@link MessageType} registered with the
 * {@link ProtocolRegistry}, labelled by the type's name (a researcher's types included); an id no registered
 * type has is counted as {@code unknown}.
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
    final LongAdder sent = new LongAdder();
    final LongAdder bytesSent = new LongAdder();
    final LongAdder delivered = new LongAdder();
    private final LongAdder tokenRotations = new LongAdder();
    private final Map<String, LongAdder> rejected = new ConcurrentSkipListMap<>();
    private final Map<String, LongAdder> decodeErrors = new ConcurrentSkipListMap<>();
    private final Map<String, LongAdder> dropped = new ConcurrentSkipListMap<>();

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
        switch (o) {
            case Observation.Tick t -> tokenRotations.increment();
            case Observation.TokenCreated t -> lastToken = t;
            case Observation.TokenArrived t -> lastToken = t;
            case Observation.TokenPassed t -> lastToken = t;
            default -> {}
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

    /** The Prometheus text format of every counter. */
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
        labelled(b, "ringlab_rejected_connections_total", "Connections closed before or during the handshake, by reason.", n, rejected);
        labelled(b, "ringlab_decode_errors_total", "Connections closed on a malformed frame, by reason.", n, decodeErrors);
        labelled(b, "ringlab_dropped_writes_total", "Sends dropped instead of queued, by reason.", n, dropped);
        header(b, "ringlab_token_rotations_total", "Token rotations this node observed.");
        line(b, "ringlab_token_rotations_total", n, tokenRotations.sum());
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
