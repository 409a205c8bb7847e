package dev.ringlab.node.protocols;

import dev.ringlab.node.Message;
import dev.ringlab.node.MessageType;
import dev.ringlab.node.Wire;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The messages of {@link DeltaCache}: client requests, key state between nodes (replication, compaction
 * summaries, adoption of a dead origin's deltas), the read query flooded over the overlay and its aggregated
 * answers, and small signals (acks, releases, heartbeats).
 *
 * <p>Bodies (big-endian): {@code entry = node:4 incarnation:8 upTo:8 plus:8 minus:8 count:4 (seq:8 amount:8)*};
 * {@code Request = kind:1 reqId:8 key:8 amount:8}, {@code State = kind:1 seq:8 key:8 count:4 entry*},
 * {@code Query = root:4 reqId:8 key:8 budgetNanos:8 detail:1 patient:1}, {@code Answer = root:4 reqId:8 key:8 answered:4
 * count:4 entry*}, {@code Signal = kind:1 seq:8 key:8 node:4 incarnation:8 upTo:8}. Ids 22..26, after Plumtree's.
 */
public sealed interface DeltaMessage extends Message permits DeltaMessage.Request, DeltaMessage.State,
        DeltaMessage.Query, DeltaMessage.Answer, DeltaMessage.Signal {

    /** Bytes of an entry without its loose deltas. */
    int ENTRY_FIXED = 4 + 8 + 8 + 8 + 8 + 4;
    /** Bytes of one loose delta in an entry. */
    int DOT_BYTES = 16;

    /**
     * One origin's share of one key, in delta-state form (Almeida, Shoker, Baquero, "Delta state replicated
     * data types", JPDC 2018): the origin {@code (node, incarnation)} numbered its increments of the key
     * 1, 2, 3, ...; {@code upTo} of them, all from 1, are folded into the summary {@code plus}/{@code minus} (the
     * positive and the negated negative increments: a PN-counter), and {@code seqs}/{@code amounts} are single
     * increments above {@code upTo}, ascending by seq. Two entries of one origin merge by the larger summary plus
     * the union of the loose increments above it, so a delta held (or answered) twice counts once.
     */
    record Entry(int node, long incarnation, long upTo, long plus, long minus, long[] seqs, long[] amounts) {
        public Entry {
            Objects.requireNonNull(seqs, "seqs");
            Objects.requireNonNull(amounts, "amounts");
            if (node < 0 || upTo < 0 || plus < 0 || minus < 0 || seqs.length != amounts.length) {
                throw new IllegalArgumentException("bad delta entry: node=" + node + " upTo=" + upTo + " plus=" + plus
                        + " minus=" + minus + " " + seqs.length + " seqs, " + amounts.length + " amounts");
            }
            long last = upTo;
            for (int i = 0; i < seqs.length; i++) {
                if (seqs[i] <= last) {
                    throw new IllegalArgumentException("bad delta entry: loose seqs must ascend above upTo=" + upTo
                            + ", got " + Arrays.toString(seqs));
                }
                if (amounts[i] == 0 || amounts[i] == Long.MIN_VALUE) {
                    throw new IllegalArgumentException("bad delta entry: amount " + amounts[i] + " at seq " + seqs[i]);
                }
                last = seqs[i];
            }
            seqs = seqs.clone();
            amounts = amounts.clone();
        }

        /** One increment {@code seq} of {@code amount} by origin {@code (node, incarnation)}, nothing folded. */
        public static Entry single(int node, long incarnation, long seq, long amount) {
            return new Entry(node, incarnation, 0, 0, 0, new long[] {seq}, new long[] {amount});
        }

        @Override
        public long[] seqs() {
            return seqs.clone();
        }

        @Override
        public long[] amounts() {
            return amounts.clone();
        }

        int looseCount() {
            return seqs.length;
        }

        long seqAt(int i) {
            return seqs[i];
        }

        long amountAt(int i) {
            return amounts[i];
        }

        int wireSize() {
            return ENTRY_FIXED + DOT_BYTES * seqs.length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Entry e && e.node == node && e.incarnation == incarnation && e.upTo == upTo
                    && e.plus == plus && e.minus == minus && Arrays.equals(e.seqs, seqs)
                    && Arrays.equals(e.amounts, amounts);
        }

        @Override
        public int hashCode() {
            return Objects.hash(node, incarnation, upTo, plus, minus) * 31 + Arrays.hashCode(seqs) * 7
                    + Arrays.hashCode(amounts);
        }

        @Override
        public String toString() {
            return "Entry[" + node + "/" + incarnation + " upTo=" + upTo + " +" + plus + " -" + minus + " loose="
                    + Arrays.toString(seqs) + "]";
        }
    }

    /** What a client asks of a delta cache node. */
    enum RequestKind {
        /** Add {@code amount} (non-zero, may be negative) to counter {@code key}; answered by {@code DeltaAck}. */
        INCREMENT,
        /** Read counter {@code key} from the fleet; answered by {@code DeltaRead} without the dots. */
        READ,
        /** As {@link #READ}, and the answer lists the increments it counted (for checkers). */
        READ_DETAIL,
        /**
         * As {@link #READ_DETAIL}, and no node gives up a child that has not taken the query within a round-trip
         * timeout (only a suspected one, or at the budget): the complete read a checker wants after convergence.
         */
        READ_PATIENT,
        /** Report what this node stores for {@code key} ({@code DeltaStorage}); nothing is sent. */
        STORAGE
    }

    /** A client's request, handed to a node by its engine as from {@code Env.CLIENT}. */
    record Request(RequestKind kind, long reqId, long key, long amount) implements DeltaMessage {
        public Request {
            Objects.requireNonNull(kind, "kind");
            if ((kind == RequestKind.INCREMENT) != (amount != 0) || amount == Long.MIN_VALUE) {
                throw new IllegalArgumentException("bad delta request: " + kind + " with amount " + amount
                        + " (an increment needs a non-zero amount, anything else none)");
            }
        }

        @Override
        public MessageType<Request> type() {
            return REQUEST;
        }
    }

    /** Why a {@link State} travels. */
    enum StateKind {
        /** An origin's new increment to one of its replicas; acked. */
        REPLICATE,
        /** An origin's folded summary of a key to its current replicas (compaction, and a new replica's copy); acked. */
        SUMMARY,
        /** A holder's copy of a dead origin's share to another node, so it is again on two; acked. */
        ADOPT
    }

    /** Entries of one key from one node to another; {@code seq} names it for the ack ({@link SignalKind#ACK}). */
    record State(StateKind kind, long seq, long key, List<Entry> entries) implements DeltaMessage {
        public State {
            Objects.requireNonNull(kind, "kind");
            entries = List.copyOf(entries);
        }

        @Override
        public MessageType<State> type() {
            return STATE;
        }
    }

    /**
     * The read of {@code key} started by {@code root} for its request {@code reqId}, flooded over the overlay;
     * the receiver must answer its parent within {@code budgetNanos} of receiving it. {@code detail}: the root
     * wants the increments listed; {@code patient}: see {@link RequestKind#READ_PATIENT}.
     */
    record Query(int root, long reqId, long key, long budgetNanos, boolean detail, boolean patient)
            implements DeltaMessage {
        public Query {
            if (root < 0 || budgetNanos < 0) {
                throw new IllegalArgumentException("bad delta query: root=" + root + " budget=" + budgetNanos);
            }
        }

        @Override
        public MessageType<Query> type() {
            return QUERY;
        }
    }

    /**
     * A node's answer to a {@link Query}: the merged entries of the {@code answered} nodes of its subtree
     * (itself included); {@code answered == 0} says the receiver had already seen the query from another node.
     */
    record Answer(int root, long reqId, long key, int answered, List<Entry> entries) implements DeltaMessage {
        public Answer {
            if (root < 0 || answered < 0) {
                throw new IllegalArgumentException("bad delta answer: root=" + root + " answered=" + answered);
            }
            entries = List.copyOf(entries);
        }

        @Override
        public MessageType<Answer> type() {
            return ANSWER;
        }
    }

    /** Signals without entries. */
    enum SignalKind {
        /** The receiver holds the {@link State} {@code seq} it was sent. */
        ACK,
        /**
         * Drop origin {@code (node, incarnation)}'s increments of {@code key} up to {@code upTo}: the origin's
         * current replicas confirmed a summary covering them, and the receiver is not one of them.
         */
        RELEASE,
        /**
         * A heartbeat to an overlay neighbour (any message counts as one), carrying the sender's incarnation;
         * {@code seq} is the sender's clock, which the receiver echoes in a {@link #PONG}.
         */
        PING,
        /** The answer to a {@link #PING}: {@code seq} is the ping's, so the pinger measures the round trip. */
        PONG,
        /** The receiver took the read {@code (node = root, seq = reqId)} from the sender as its parent. */
        QUERY_TAKEN
    }

    /** A signal; fields a kind does not use are 0. */
    record Signal(SignalKind kind, long seq, long key, int node, long incarnation, long upTo) implements DeltaMessage {
        public Signal {
            Objects.requireNonNull(kind, "kind");
            if (node < 0 || upTo < 0) {
                throw new IllegalArgumentException("bad delta signal: node=" + node + " upTo=" + upTo);
            }
        }

        static Signal ack(long seq) {
            return new Signal(SignalKind.ACK, seq, 0, 0, 0, 0);
        }

        static final Signal PING_SIGNAL = new Signal(SignalKind.PING, 0, 0, 0, 0, 0);

        @Override
        public MessageType<Signal> type() {
            return SIGNAL;
        }
    }

    private static int entriesSize(List<Entry> entries) {
        int size = 4;
        for (Entry e : entries) {
            size += e.wireSize();
        }
        return size;
    }

    private static void putEntries(List<Entry> entries, ByteBuffer out) {
        out.putInt(entries.size());
        for (Entry e : entries) {
            out.putInt(e.node());
            out.putLong(e.incarnation());
            out.putLong(e.upTo());
            out.putLong(e.plus());
            out.putLong(e.minus());
            out.putInt(e.looseCount());
            for (int i = 0; i < e.looseCount(); i++) {
                out.putLong(e.seqAt(i));
                out.putLong(e.amountAt(i));
            }
        }
    }

    private static List<Entry> getEntries(ByteBuffer in) {
        int count = Wire.getCount(in, ENTRY_FIXED, 0, "delta entry");
        List<Entry> entries = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            int node = in.getInt();
            long incarnation = in.getLong();
            long upTo = in.getLong();
            long plus = in.getLong();
            long minus = in.getLong();
            int loose = Wire.getCount(in, DOT_BYTES, 0, "loose delta");
            long[] seqs = new long[loose];
            long[] amounts = new long[loose];
            for (int i = 0; i < loose; i++) {
                seqs[i] = in.getLong();
                amounts[i] = in.getLong();
            }
            entries.add(new Entry(node, incarnation, upTo, plus, minus, seqs, amounts));
        }
        return entries;
    }

    MessageType<Request> REQUEST = MessageType.of(22, "dcache_request", Request.class,
            r -> 1 + 8 + 8 + 8,
            (r, out) -> {
                Wire.putEnum(r.kind(), out);
                out.putLong(r.reqId()).putLong(r.key()).putLong(r.amount());
            },
            in -> {
                RequestKind kind = Wire.getEnum(RequestKind.values(), in, "delta request kind");
                long reqId = in.getLong();
                long key = in.getLong();
                return new Request(kind, reqId, key, in.getLong());
            });

    MessageType<State> STATE = MessageType.of(23, "dcache_state", State.class,
            s -> 1 + 8 + 8 + entriesSize(s.entries()),
            (s, out) -> {
                Wire.putEnum(s.kind(), out);
                out.putLong(s.seq()).putLong(s.key());
                putEntries(s.entries(), out);
            },
            in -> {
                StateKind kind = Wire.getEnum(StateKind.values(), in, "delta state kind");
                long seq = in.getLong();
                long key = in.getLong();
                return new State(kind, seq, key, getEntries(in));
            });

    MessageType<Query> QUERY = MessageType.of(24, "dcache_query", Query.class,
            q -> 4 + 8 + 8 + 8 + 1 + 1,
            (q, out) -> {
                out.putInt(q.root()).putLong(q.reqId()).putLong(q.key()).putLong(q.budgetNanos());
                Wire.putBool(q.detail(), out);
                Wire.putBool(q.patient(), out);
            },
            in -> {
                int root = in.getInt();
                long reqId = in.getLong();
                long key = in.getLong();
                long budget = in.getLong();
                boolean detail = Wire.getBool(in);
                return new Query(root, reqId, key, budget, detail, Wire.getBool(in));
            });

    MessageType<Answer> ANSWER = MessageType.of(25, "dcache_answer", Answer.class,
            a -> 4 + 8 + 8 + 4 + entriesSize(a.entries()),
            (a, out) -> {
                out.putInt(a.root()).putLong(a.reqId()).putLong(a.key()).putInt(a.answered());
                putEntries(a.entries(), out);
            },
            in -> {
                int root = in.getInt();
                long reqId = in.getLong();
                long key = in.getLong();
                int answered = in.getInt();
                return new Answer(root, reqId, key, answered, getEntries(in));
            });

    MessageType<Signal> SIGNAL = MessageType.of(26, "dcache_signal", Signal.class,
            s -> 1 + 8 + 8 + 4 + 8 + 8,
            (s, out) -> {
                Wire.putEnum(s.kind(), out);
                out.putLong(s.seq()).putLong(s.key()).putInt(s.node()).putLong(s.incarnation()).putLong(s.upTo());
            },
            in -> {
                SignalKind kind = Wire.getEnum(SignalKind.values(), in, "delta signal kind");
                long seq = in.getLong();
                long key = in.getLong();
                int node = in.getInt();
                long incarnation = in.getLong();
                return new Signal(kind, seq, key, node, incarnation, in.getLong());
            });

    /** This family's types, for registration ({@link dev.ringlab.node.ProtocolProvider#messageTypes()}). */
    static List<MessageType<?>> types() {
        return List.of(REQUEST, STATE, QUERY, ANSWER, SIGNAL);
    }
}
