package dev.ringlab.runtime;

import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.HyParView;
import dev.ringlab.node.spec.Durations;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * When a node's {@link LinkTable} opens and closes the connections of its overlay edges.
 * <ul>
 *   <li>{@code eager}: one connection per edge, dialled at start by one side and redialled with backoff
 *       whenever it drops, for the node's whole life (on {@code complete} that is n - 1 per node);</li>
 *   <li>{@code lazy:IDLE}: no connection until a message is sent along the edge; then the sender dials it
 *       (either side may), and either side closes it after {@code IDLE} without a frame in either direction.
 *       A lazily closed edge is not redialled until its next send. So an edge costs a connection only while
 *       the protocol uses it: on {@code complete}, a membership protocol's nodes hold about their active
 *       views.</li>
 * </ul>
 *
 * <p>The default ({@link #resolve} of null): {@code lazy:}{@value #DEFAULT_IDLE_TEXT} for the
 * membership protocols ({@code hyparview+plumtree}: their views use a few of many allowed edges), {@code eager}
 * for every other protocol (a static overlay whose edges all carry traffic, where a connection set up in the
 * middle of a run would only add its handshake to some message's latency). Why 1 s: HyParView's active links
 * carry a keep-alive every 50 ms (its {@code hb}), so they never idle out, while the reply of a shuffle (one
 * per node per second, from a random node) holds its connection for about one idle period: about two more
 * connections per node at 1 s, against about twenty at 10 s.
 *
 * <p>Spec: {@code eager}, {@code lazy} (the default idle) or {@code lazy:IDLE} with a duration such as
 * {@code 500ms} or {@code 10s}; {@link #spec} writes it back.
 *
 * @param lazy      whether connections open on the first send and close when idle
 * @param idleNanos (lazy) a connection with no frame either way for this long is closed; 0 when eager
 */
public record ConnectionPolicy(boolean lazy, long idleNanos) {
    /** The idle timeout of {@code lazy} without one. */
    public static final long DEFAULT_IDLE_MS = 1000;

    /** {@link #DEFAULT_IDLE_MS} as {@link #spec} writes it, for help texts. */
    public static final String DEFAULT_IDLE_TEXT = "1s";

    /** Connections for every edge, for the node's whole life. */
    public static final ConnectionPolicy EAGER = new ConnectionPolicy(false, 0);

    /** What {@link #parse} takes, for messages and help texts. */
    public static final String FORMS = "eager, lazy or lazy:IDLE (e.g. lazy:500ms, lazy:10s)";

    /**
     * System property naming the policy of {@link RuntimeConfig#defaults()} ({@link #parse}'s forms; unset: the
     * protocol's default, see {@link #resolve}). {@code --connections} sets it.
     */
    public static final String PROPERTY = "ringlab.connections";

    public ConnectionPolicy {
        if (lazy ? idleNanos <= 0 : idleNanos != 0) {
            throw new IllegalArgumentException(lazy ? "the idle timeout of lazy connections must be positive, got "
                    + idleNanos + " ns" : "eager connections have no idle timeout");
        }
    }

    /** Lazy connections closed after {@code idleNanos} without traffic. */
    public static ConnectionPolicy lazy(long idleNanos) {
        return new ConnectionPolicy(true, idleNanos);
    }

    /**
     * @throws IllegalArgumentException naming the allowed forms if {@code text} is none of them
     */
    public static ConnectionPolicy parse(String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("eager")) {
            return EAGER;
        }
        if (t.equals("lazy")) {
            return lazy(TimeUnit.MILLISECONDS.toNanos(DEFAULT_IDLE_MS));
        }
        if (t.startsWith("lazy:")) {
            long idle;
            try {
                idle = Durations.parseNanos(t.substring("lazy:".length()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad idle timeout in '" + text + "': " + e.getMessage());
            }
            if (idle < TimeUnit.MILLISECONDS.toNanos(1)) {
                throw new IllegalArgumentException("the idle timeout of '" + text + "' must be at least 1ms");
            }
            return lazy(idle);
        }
        throw new IllegalArgumentException("unknown connection policy '" + text + "': use " + FORMS);
    }

    /** The policy the property {@value #PROPERTY} names, or null when it is unset (the protocol's default). */
    public static ConnectionPolicy fromProperty() {
        String p = System.getProperty(PROPERTY);
        return p == null || p.isBlank() ? null : parse(p);
    }

    /** {@code given}, or when null the default for {@code protocol} (see the class doc). */
    public static ConnectionPolicy resolve(ConnectionPolicy given, Protocol protocol) {
        if (given != null) {
            return given;
        }
        return HyParView.is(protocol) ? lazy(TimeUnit.MILLISECONDS.toNanos(DEFAULT_IDLE_MS)) : EAGER;
    }

    /** The text {@link #parse} takes back. */
    public String spec() {
        return lazy ? "lazy:" + Durations.format(idleNanos) : "eager";
    }

    @Override
    public String toString() {
        return spec();
    }
}
