package dev.ringlab.node;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.TreeMap;

/**
 * Engine counters since start, summed over every node and every incarnation of each node (a crashed and
 * restarted node's counts add up; nothing is reset by a restart).
 *
 * <p>{@code messagesSent} counts every node-to-node {@link Env#send} (a {@link Message.Batch} counts once),
 * {@code bytesSent} their encoded sizes ({@link MessageCodec#encodedSize}, no frame prefix); client
 * requests ({@link Cluster#inject}) are neither sent nor dropped (an injection into a crashed node is
 * ignored). {@code messagesDelivered} counts messages handed to a live node's {@link Node#onMessage}; the
 * simulator's event rate is quoted per delivery, so {@code events} equals it. A sent message ends
 * delivered, dropped (counted once, under one reason) or, on real engines only, lost uncounted: see
 * {@link #messagesDropped}. So after a {@link Cluster#settle} that went quiet,
 * {@code messagesSent - messagesDelivered - messagesDropped} is 0 on the simulator and the uncounted loss on
 * real engines.
 *
 * <h2>Drop reasons</h2>
 * {@link #drops} counts dropped node-to-node sends by reason; every engine uses the same names with the same
 * meaning, and a reason an engine cannot produce never appears in its map (absent means 0).
 * <ul>
 *   <li>{@value #NO_EDGE} (every engine): a send between two nodes that no overlay edge joins (see
 *       {@link Cluster}, "Overlay"), dropped at the sender.
 *   <li>{@value #PARTITION} (every engine): the receiver is in another {@link Cluster#partition} group when
 *       the message reaches it (the simulator: at arrival; real engines: when the receiving node reads it).
 *   <li>{@value #LOSS} (every engine): the link model's loss ({@code --loss}) or a {@link Cluster#lossBurst},
 *       drawn at the sender (the simulator's per-message draw; real engines' seeded emulation,
 *       {@code dev.ringlab.runtime.LinkEmulation}).
 *   <li>{@value #RECEIVER_DOWN} (every engine): the receiver is crashed. The simulator counts messages that
 *       reach a crashed node and messages waiting in its inbox (processing time) when it crashes; real
 *       engines count sends to a neighbour the engine has crashed (its connection went with it), from the
 *       moment the sender's host learns of the crash (at once on {@code netty}, after a stdin notice on
 *       {@code processes}) until the node is restarted.
 *   <li>{@value #SENDER_CRASHED} (real engines): the message was waiting out its emulated delay inside the
 *       sender's host when the sender crashed (the emulated wire lives in the sender's process; the
 *       simulator's wire survives its sender, so it never counts this). On {@code processes} a SIGKILL takes
 *       the waiting messages with the process, uncounted.
 *   <li>{@value #NO_CONNECTION} (real engines): the edge's TCP connection is down (a restarted neighbour
 *       not yet reconnected, or a connection that failed).
 *   <li>{@value #NOT_WRITABLE} (real engines): backpressure: the connection has more than its write buffer's
 *       high-water mark queued.
 *   <li>{@value #EMULATION_BACKLOG} (real engines): backpressure of the emulated wire: more than a write
 *       buffer's worth of encoded bytes waiting out their emulated delay on one link.
 *   <li>{@value #NOT_STARTED} (real engines): the receiving node was not started yet and its pre-start
 *       buffer was full.
 * </ul>
 * Real engines also lose frames already written to a socket when the receiver dies (they sit in kernel
 * buffers) without counting them: these are the uncounted loss above.
 *
 * @param messagesSent      node-to-node sends
 * @param bytesSent         encoded bytes of those sends
 * @param messagesDelivered deliveries to live nodes
 * @param drops             dropped sends by reason (a sorted copy is kept; zero counts are left out)
 * @param events            deliveries, the unit of the simulator's event rate
 * @param lastSendNanos     engine time ({@link Cluster#now()}) of the latest node-to-node send, empty if none yet
 */
public record ClusterStats(long messagesSent, long bytesSent, long messagesDelivered, Map<String, Long> drops,
        long events, OptionalLong lastSendNanos) {

    /** A send along a non-edge. */
    public static final String NO_EDGE = "no_edge";
    /** The receiver is in another partition group. */
    public static final String PARTITION = "partition";
    /** Configured loss or a loss burst. */
    public static final String LOSS = "loss";
    /** The receiver is crashed. */
    public static final String RECEIVER_DOWN = "receiver_down";
    /** Waiting out an emulated delay when the sender crashed (real engines). */
    public static final String SENDER_CRASHED = "sender_crashed";
    /** No TCP connection on the edge (real engines). */
    public static final String NO_CONNECTION = "no_connection";
    /** The connection's write buffer is full (real engines). */
    public static final String NOT_WRITABLE = "not_writable";
    /** The emulated wire of one link is full (real engines). */
    public static final String EMULATION_BACKLOG = "emulation_backlog";
    /** The receiver was not started and its pre-start buffer was full (real engines). */
    public static final String NOT_STARTED = "not_started";

    public ClusterStats {
        Objects.requireNonNull(drops, "drops");
        Objects.requireNonNull(lastSendNanos, "lastSendNanos");
        TreeMap<String, Long> sorted = new TreeMap<>();
        drops.forEach((reason, count) -> {
            if (count < 0) {
                throw new IllegalArgumentException("negative drop count " + count + " for " + reason);
            }
            if (count > 0) {
                sorted.put(reason, count);
            }
        });
        drops = Collections.unmodifiableMap(sorted);
    }

    /** Counters without drops and without sends, e.g. of an engine that has not started. */
    public static ClusterStats empty() {
        return new ClusterStats(0, 0, 0, Map.of(), 0, OptionalLong.empty());
    }

    /** Every dropped send: the sum of {@link #drops}. */
    public long messagesDropped() {
        long sum = 0;
        for (long c : drops.values()) {
            sum += c;
        }
        return sum;
    }

    /** Sends dropped for {@code reason}, 0 if none. */
    public long dropped(String reason) {
        return drops.getOrDefault(reason, 0L);
    }

    /**
     * The counters of the work since {@code baseline} (taken earlier on the same cluster): every count minus
     * the baseline's, drops reason by reason; {@link #lastSendNanos} stays this one's.
     */
    public ClusterStats minus(ClusterStats baseline) {
        TreeMap<String, Long> d = new TreeMap<>(drops);
        baseline.drops.forEach((reason, count) -> d.merge(reason, -count, Long::sum));
        d.values().removeIf(c -> c == 0);
        return new ClusterStats(messagesSent - baseline.messagesSent, bytesSent - baseline.bytesSent,
                messagesDelivered - baseline.messagesDelivered, d, events - baseline.events, lastSendNanos);
    }
}
