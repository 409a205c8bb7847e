package dev.ringlab.runtime;

import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.Observation;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * One node's transport counters, written on its event loop and read by the cluster and the admin
 * endpoint from other threads (hence {@link LongAdder}). Rendered in the Prometheus text exposition
 * format, version 0.0.4.
 */
public final class NodeMetrics {
    private static final int TYPES = 5; // index 0: unknown, else the MessageCodec type byte (1..4)
    private final int node;
    private final LongAdder[] messagesIn = adders(TYPES);
    private final LongAdder[] messagesOut = adders(TYPES);
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
        this.node = node;
    }

    private static LongAdder[] adders(int k) {
        LongAdder[] a = new LongAdder[k];
        for (int i = 0; i < k; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }

    private static int slot(byte type) {
        return type >= 1 && type < TYPES ? type : 0;
    }

    void messageIn(byte type, int wireBytes) {
        messagesIn[slot(type)].increment();
        bytesIn.add(wireBytes);
    }

    void messageOut(byte type, int wireBytes) {
        messagesOut[slot(type)].increment();
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
        for (int t = 0; t < TYPES; t++) {
            line(b, "ringlab_messages_in_total", n + ",type=\"" + typeLabel(t) + "\"", messagesIn[t].sum());
        }
        header(b, "ringlab_messages_out_total", "Messages written to peers, by type.");
        for (int t = 0; t < TYPES; t++) {
            line(b, "ringlab_messages_out_total", n + ",type=\"" + typeLabel(t) + "\"", messagesOut[t].sum());
        }
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

    private static String typeLabel(int t) {
        return t == 0 ? "unknown" : MessageCodec.typeName((byte) t);
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
