package dev.ringlab.node.protocols;

import dev.ringlab.node.Message;
import dev.ringlab.node.MessageType;
import dev.ringlab.node.Wire;
import java.util.Arrays;
import java.util.List;

/**
 * The membership messages of {@link HyParView} (Leitão, Pereira, Rodrigues, DSN 2007). The broadcasts it
 * carries travel as {@link Plumtree}'s messages.
 *
 * <p>Bodies (big-endian): {@code Join = (empty)}, {@code ForwardJoin = node:4 ttl:4}, {@code Neighbor =
 * priority:1}, {@code NeighborReply = accepted:1}, {@code Disconnect = (empty)}, {@code Shuffle = origin:4 ttl:4
 * count:4 node:4*}, {@code ShuffleReply = count:4 node:4*}, {@code KeepAlive = (empty)}. Ids 27..34 (22..26
 * are taken by the delta cache).
 */
public sealed interface HyParViewMessage extends Message permits HyParViewMessage.Join, HyParViewMessage.ForwardJoin,
        HyParViewMessage.Neighbor, HyParViewMessage.NeighborReply, HyParViewMessage.Disconnect, HyParViewMessage.Shuffle,
        HyParViewMessage.ShuffleReply, HyParViewMessage.KeepAlive {

    /** Most node ids one shuffle carries: far more than any sensible ka + kp + 1. */
    int MAX_NODES = 4096;

    /** "Let me in": sent to the contact node, which takes the sender into its active view. */
    record Join() implements HyParViewMessage {
        @Override
        public MessageType<Join> type() {
            return JOIN;
        }
    }

    /** The random walk that spreads a joining {@code node} into active (at the walk's end) and passive views. */
    record ForwardJoin(int node, int ttl) implements HyParViewMessage {
        public ForwardJoin {
            if (node < 0 || ttl < 0) {
                throw new IllegalArgumentException("forward_join node and ttl must be >= 0, got " + node + ", " + ttl);
            }
        }

        @Override
        public MessageType<ForwardJoin> type() {
            return FORWARD_JOIN;
        }
    }

    /**
     * "Take me into your active view": {@link #LOW} is refused by a full view, {@link #HIGH} (the sender's view
     * is empty) is not, {@link #FORCED} is the end of a join walk (the receiver takes the sender and does not
     * reply).
     */
    record Neighbor(int priority) implements HyParViewMessage {
        public static final int LOW = 0;
        public static final int HIGH = 1;
        public static final int FORCED = 2;

        public Neighbor {
            if (priority < LOW || priority > FORCED) {
                throw new IllegalArgumentException("neighbor priority must be in 0..2, got " + priority);
            }
        }

        @Override
        public MessageType<Neighbor> type() {
            return NEIGHBOR;
        }
    }

    /** The answer to a {@link Neighbor} request of low or high priority. */
    record NeighborReply(boolean accepted) implements HyParViewMessage {
        @Override
        public MessageType<NeighborReply> type() {
            return NEIGHBOR_REPLY;
        }
    }

    /** "You left my active view": the receiver moves the sender to its passive view. */
    record Disconnect() implements HyParViewMessage {
        @Override
        public MessageType<Disconnect> type() {
            return DISCONNECT;
        }
    }

    /** A shuffle walk from {@code origin}: a sample of its views, exchanged for one of the walk's end's passive view. */
    record Shuffle(int origin, int ttl, int[] nodes) implements HyParViewMessage {
        public Shuffle {
            check(nodes, "shuffle");
            if (origin < 0 || ttl < 0) {
                throw new IllegalArgumentException("shuffle origin and ttl must be >= 0, got " + origin + ", " + ttl);
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Shuffle s && s.origin == origin && s.ttl == ttl && Arrays.equals(s.nodes, nodes);
        }

        @Override
        public int hashCode() {
            return (origin * 31 + ttl) * 31 + Arrays.hashCode(nodes);
        }

        @Override
        public String toString() {
            return "Shuffle[origin=" + origin + ", ttl=" + ttl + ", nodes=" + Arrays.toString(nodes) + "]";
        }

        @Override
        public MessageType<Shuffle> type() {
            return SHUFFLE;
        }
    }

    /** The walk's end's answer to a {@link Shuffle}, sent straight to its origin. */
    record ShuffleReply(int[] nodes) implements HyParViewMessage {
        public ShuffleReply {
            check(nodes, "shuffle_reply");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ShuffleReply s && Arrays.equals(s.nodes, nodes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(nodes);
        }

        @Override
        public String toString() {
            return "ShuffleReply" + Arrays.toString(nodes);
        }

        @Override
        public MessageType<ShuffleReply> type() {
            return SHUFFLE_REPLY;
        }
    }

    /**
     * Sent to each active neighbour every heartbeat interval: silence is how a crashed neighbour is noticed
     * (the paper uses the TCP connection's failure; engines here report no failed send).
     */
    record KeepAlive() implements HyParViewMessage {
        @Override
        public MessageType<KeepAlive> type() {
            return KEEP_ALIVE;
        }
    }

    private static void check(int[] nodes, String what) {
        if (nodes.length > MAX_NODES) {
            throw new IllegalArgumentException(what + " carries at most " + MAX_NODES + " nodes, got " + nodes.length);
        }
        for (int v : nodes) {
            if (v < 0) {
                throw new IllegalArgumentException(what + ": negative node id " + v);
            }
        }
    }

    MessageType<Join> JOIN = MessageType.of(27, "hpv_join", Join.class, m -> 0, (m, out) -> {}, in -> new Join());

    MessageType<ForwardJoin> FORWARD_JOIN = MessageType.of(28, "hpv_forward_join", ForwardJoin.class, m -> 8,
            (m, out) -> out.putInt(m.node()).putInt(m.ttl()),
            in -> {
                int node = in.getInt();
                return new ForwardJoin(node, in.getInt());
            });

    MessageType<Neighbor> NEIGHBOR = MessageType.of(29, "hpv_neighbor", Neighbor.class, m -> 1,
            (m, out) -> out.put((byte) m.priority()), in -> new Neighbor(in.get()));

    MessageType<NeighborReply> NEIGHBOR_REPLY = MessageType.of(30, "hpv_neighbor_reply", NeighborReply.class, m -> 1,
            (m, out) -> out.put((byte) (m.accepted() ? 1 : 0)),
            in -> {
                byte b = in.get();
                if (b != 0 && b != 1) {
                    throw new IllegalArgumentException("hpv_neighbor_reply accepted must be 0 or 1, got " + b);
                }
                return new NeighborReply(b == 1);
            });

    MessageType<Disconnect> DISCONNECT = MessageType.of(31, "hpv_disconnect", Disconnect.class, m -> 0, (m, out) -> {},
            in -> new Disconnect());

    MessageType<Shuffle> SHUFFLE = MessageType.of(32, "hpv_shuffle", Shuffle.class, m -> 12 + 4 * m.nodes().length,
            (m, out) -> {
                out.putInt(m.origin()).putInt(m.ttl()).putInt(m.nodes().length);
                for (int v : m.nodes()) {
                    out.putInt(v);
                }
            },
            in -> {
                int origin = in.getInt();
                int ttl = in.getInt();
                return new Shuffle(origin, ttl, nodes(in, "hpv_shuffle"));
            });

    MessageType<ShuffleReply> SHUFFLE_REPLY = MessageType.of(33, "hpv_shuffle_reply", ShuffleReply.class,
            m -> 4 + 4 * m.nodes().length,
            (m, out) -> {
                out.putInt(m.nodes().length);
                for (int v : m.nodes()) {
                    out.putInt(v);
                }
            },
            in -> new ShuffleReply(nodes(in, "hpv_shuffle_reply")));

    MessageType<KeepAlive> KEEP_ALIVE = MessageType.of(34, "hpv_keep_alive", KeepAlive.class, m -> 0, (m, out) -> {},
            in -> new KeepAlive());

    private static int[] nodes(java.nio.ByteBuffer in, String what) {
        int count = Wire.getCount(in, 4, 0, what);
        int[] nodes = new int[count];
        for (int i = 0; i < count; i++) {
            nodes[i] = in.getInt();
        }
        return nodes;
    }

    /** This family's types, for registration ({@link dev.ringlab.node.ProtocolProvider#messageTypes()}). */
    static List<MessageType<?>> types() {
        return List.of(JOIN, FORWARD_JOIN, NEIGHBOR, NEIGHBOR_REPLY, DISCONNECT, SHUFFLE, SHUFFLE_REPLY, KEEP_ALIVE);
    }
}
