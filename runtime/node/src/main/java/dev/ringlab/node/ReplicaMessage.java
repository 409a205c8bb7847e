package dev.ringlab.node;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The replicated applications' family ({@code protocols.DeltaReplicator}: the config bus and the token
 * catalog): client requests ({@link AppRequest}), deltas, digests and acknowledgements.
 *
 * <p>Bodies (big-endian; {@code str = len:4 utf8}, {@code dot = node:4 incarnation:8 seq:8}):
 * {@code AppRequest = kind:1 (ConfigPut: str str | CatalogAdd: str | CatalogRevoke: str)},
 * {@code Deltas = count:4 delta*} with {@code delta = dot lamport:8 op:1 str str count:4 dot*},
 * {@code Digest = reply:1 count:4 dot*}, {@code DeltaAck = dot}.
 */
public sealed interface ReplicaMessage extends Message
        permits ReplicaMessage.AppRequest, Message.Deltas, Message.Digest, Message.DeltaAck {

    byte KIND_CONFIG_PUT = 1;
    byte KIND_CATALOG_ADD = 2;
    byte KIND_CATALOG_REVOKE = 3;
    int DOT_BYTES = 4 + 8 + 8;
    /** A delta without its strings and observed dots: dot, lamport, op, two string lengths, dot count. */
    int DELTA_FIXED = DOT_BYTES + 8 + 1 + 4 + 4 + 4;

    /** A client's request to a replicated application: one wire type, its first byte says which. */
    sealed interface AppRequest extends ReplicaMessage permits Message.ConfigPut, Message.CatalogAdd, Message.CatalogRevoke {
        @Override
        default MessageType<AppRequest> type() {
            return APP_REQUEST;
        }
    }

    MessageType<AppRequest> APP_REQUEST = MessageType.of(8, "app_request", AppRequest.class,
            r -> 1 + switch (r) {
                case Message.ConfigPut p -> Wire.stringSize(p.key()) + Wire.stringSize(p.value());
                case Message.CatalogAdd a -> Wire.stringSize(a.token());
                case Message.CatalogRevoke v -> Wire.stringSize(v.token());
            },
            (r, out) -> {
                switch (r) {
                    case Message.ConfigPut p -> {
                        out.put(KIND_CONFIG_PUT);
                        Wire.putString(p.key(), out);
                        Wire.putString(p.value(), out);
                    }
                    case Message.CatalogAdd a -> {
                        out.put(KIND_CATALOG_ADD);
                        Wire.putString(a.token(), out);
                    }
                    case Message.CatalogRevoke v -> {
                        out.put(KIND_CATALOG_REVOKE);
                        Wire.putString(v.token(), out);
                    }
                }
            },
            in -> {
                byte kind = in.get();
                return switch (kind) {
                    case KIND_CONFIG_PUT -> {
                        String key = Wire.getString(in);
                        yield new Message.ConfigPut(key, Wire.getString(in));
                    }
                    case KIND_CATALOG_ADD -> new Message.CatalogAdd(Wire.getString(in));
                    case KIND_CATALOG_REVOKE -> new Message.CatalogRevoke(Wire.getString(in));
                    default -> throw new CodecException("unknown app request kind " + (kind & 0xff));
                };
            });

    MessageType<Message.Deltas> DELTAS = MessageType.of(9, "deltas", Message.Deltas.class,
            d -> {
                int size = 4;
                for (Message.Delta x : d.items()) {
                    size += deltaSize(x);
                }
                return size;
            },
            (d, out) -> {
                out.putInt(d.items().size());
                for (Message.Delta x : d.items()) {
                    putDelta(x, out);
                }
            },
            in -> {
                int count = Wire.getCount(in, DELTA_FIXED, 1, "deltas");
                List<Message.Delta> items = new ArrayList<>(count);
                for (int k = 0; k < count; k++) {
                    items.add(getDelta(in));
                }
                return new Message.Deltas(items);
            });

    MessageType<Message.Digest> DIGEST = MessageType.of(10, "digest", Message.Digest.class,
            d -> 1 + 4 + DOT_BYTES * d.heads().size(),
            (d, out) -> {
                Wire.putBool(d.reply(), out);
                putDots(d.heads(), out);
            },
            in -> {
                boolean reply = Wire.getBool(in);
                return new Message.Digest(reply, getDots(in));
            });

    MessageType<Message.DeltaAck> DELTA_ACK = MessageType.of(11, "delta_ack", Message.DeltaAck.class,
            a -> DOT_BYTES,
            (a, out) -> putDot(a.dot(), out),
            in -> new Message.DeltaAck(getDot(in)));

    /** This family's types, for registration ({@link ProtocolProvider#messageTypes()}). */
    static List<MessageType<?>> types() {
        return List.of(APP_REQUEST, DELTAS, DIGEST, DELTA_ACK);
    }

    /** Bytes of one delta as {@link #putDelta} writes it (inside a {@link Message.Deltas} body). */
    static int deltaSize(Message.Delta d) {
        return DELTA_FIXED + Wire.utf8Length(d.key()) + Wire.utf8Length(d.value()) + DOT_BYTES * d.observed().size();
    }

    /**
     * Writes one delta as inside a {@link Message.Deltas} body ({@link #deltaSize} bytes): for protocols that
     * carry deltas in another container, such as the config bus's token payload.
     */
    static void putDelta(Message.Delta x, ByteBuffer out) {
        putDot(x.dot(), out);
        out.putLong(x.lamport());
        out.put(x.op());
        Wire.putString(x.key(), out);
        Wire.putString(x.value(), out);
        putDots(x.observed(), out);
    }

    /**
     * Reads one delta written by {@link #putDelta}.
     *
     * @throws CodecException if the bytes are not a delta (a bad length, impossible fields)
     * @throws java.nio.BufferUnderflowException if they end before the delta does
     */
    static Message.Delta getDelta(ByteBuffer in) {
        Message.Dot dot = getDot(in);
        long lamport = in.getLong();
        byte op = in.get();
        String key = Wire.getString(in);
        String value = Wire.getString(in);
        List<Message.Dot> observed = getDots(in);
        try {
            return new Message.Delta(dot, lamport, op, key, value, observed);
        } catch (IllegalArgumentException e) {
            throw new CodecException(e.getMessage());
        }
    }

    private static void putDots(List<Message.Dot> dots, ByteBuffer out) {
        out.putInt(dots.size());
        for (Message.Dot o : dots) {
            putDot(o, out);
        }
    }

    private static List<Message.Dot> getDots(ByteBuffer in) {
        int count = Wire.getCount(in, DOT_BYTES, 0, "dot");
        List<Message.Dot> dots = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            dots.add(getDot(in));
        }
        return dots;
    }

    private static void putDot(Message.Dot d, ByteBuffer out) {
        out.putInt(d.node());
        out.putLong(d.incarnation());
        out.putLong(d.seq());
    }

    private static Message.Dot getDot(ByteBuffer in) {
        int node = in.getInt();
        long incarnation = in.getLong();
        long seq = in.getLong();
        try {
            return new Message.Dot(node, incarnation, seq);
        } catch (IllegalArgumentException e) {
            throw new CodecException(e.getMessage());
        }
    }
}
