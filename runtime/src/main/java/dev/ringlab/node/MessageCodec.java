package dev.ringlab.node;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The one binary encoding of every {@link Message}: {@code [version:1][type:1][body]}, big-endian. The
 * runtime puts a 4-byte length prefix in front on the wire ({@link #MAX_FRAME_BYTES} caps it); the
 * simulator uses {@link #encodedSize} to count bytes without encoding.
 *
 * <p>Bodies: {@code Inject = id:8 len:4 payload}, {@code Broadcast = id:8 origin:4 sentAt:8 hop:4 len:4
 * payload}, {@code Batch = count:4 Broadcast-body*}, {@code Token = epoch:8 rotation:8 hop:8 rotationStartedAt:8
 * sentAt:8 held:8 len:4 payload}, {@code Heartbeat = seq:8 sentAt:8 maxEpoch:8 digest:8 successor:4},
 * {@code HeartbeatAck = seq:8 sentAt:8 maxEpoch:8 digest:8 tokenSeenAt:8},
 * {@code Membership = relay:1 count:4 (node:4 dead:1 stamp:8 announcer:4)*}. Decoding checks every length against what is left and
 * against the cap, and rejects trailing bytes, so a hostile frame costs a {@link CodecException}, never an
 * allocation larger than the frame.
 */
public final class MessageCodec {
    /** Encoding version; a frame with another version is rejected. */
    public static final byte VERSION = 1;
    /** Largest frame (version byte through the end of the body) either side accepts. */
    public static final int MAX_FRAME_BYTES = 1 << 20;

    public static final byte TYPE_INJECT = 1;
    public static final byte TYPE_BROADCAST = 2;
    public static final byte TYPE_BATCH = 3;
    public static final byte TYPE_TOKEN = 4;
    public static final byte TYPE_HEARTBEAT = 5;
    public static final byte TYPE_HEARTBEAT_ACK = 6;
    public static final byte TYPE_MEMBERSHIP = 7;

    private static final int BROADCAST_FIXED = 8 + 4 + 8 + 4 + 4;
    private static final int TOKEN_FIXED = 6 * 8 + 4;
    private static final int HEARTBEAT_BODY = 4 * 8;
    private static final int MEMBER_BYTES = 4 + 1 + 8 + 4;

    private MessageCodec() {}

    /** The type byte of {@code m}: also what trace hashes record. */
    public static byte type(Message m) {
        return switch (m) {
            case Message.Inject i -> TYPE_INJECT;
            case Message.Broadcast b -> TYPE_BROADCAST;
            case Message.Batch b -> TYPE_BATCH;
            case Message.Token t -> TYPE_TOKEN;
            case Message.Heartbeat h -> TYPE_HEARTBEAT;
            case Message.HeartbeatAck a -> TYPE_HEARTBEAT_ACK;
            case Message.Membership ms -> TYPE_MEMBERSHIP;
        };
    }

    /** A short name for a type byte, for metrics labels. */
    public static String typeName(byte type) {
        return switch (type) {
            case TYPE_INJECT -> "inject";
            case TYPE_BROADCAST -> "broadcast";
            case TYPE_BATCH -> "batch";
            case TYPE_TOKEN -> "token";
            case TYPE_HEARTBEAT -> "heartbeat";
            case TYPE_HEARTBEAT_ACK -> "heartbeat_ack";
            case TYPE_MEMBERSHIP -> "membership";
            default -> "unknown_" + (type & 0xff);
        };
    }

    /** Bytes of the frame for {@code m} (without the transport's length prefix). */
    public static int encodedSize(Message m) {
        return 2 + bodySize(m);
    }

    private static int bodySize(Message m) {
        return switch (m) {
            case Message.Inject i -> 8 + 4 + i.payload().length;
            case Message.Broadcast b -> BROADCAST_FIXED + b.payload().length;
            case Message.Batch b -> {
                int size = 4;
                for (Message.Broadcast item : b.items()) {
                    size += BROADCAST_FIXED + item.payload().length;
                }
                yield size;
            }
            case Message.Token t -> TOKEN_FIXED + t.payload().length;
            case Message.Heartbeat h -> HEARTBEAT_BODY + 4;
            case Message.HeartbeatAck a -> HEARTBEAT_BODY + 8;
            case Message.Membership ms -> 1 + 4 + MEMBER_BYTES * ms.members().size();
        };
    }

    /** Encodes {@code m} into a new heap buffer, flipped for reading. */
    public static ByteBuffer encode(Message m) {
        ByteBuffer buf = ByteBuffer.allocate(encodedSize(m));
        encode(m, buf);
        return buf.flip();
    }

    /**
     * Writes the frame for {@code m} at {@code out}'s position.
     *
     * @throws IllegalArgumentException if the frame would exceed {@link #MAX_FRAME_BYTES}
     */
    public static void encode(Message m, ByteBuffer out) {
        int size = encodedSize(m);
        if (size > MAX_FRAME_BYTES) {
            throw new IllegalArgumentException("frame of " + size + " bytes exceeds the cap of " + MAX_FRAME_BYTES);
        }
        out.put(VERSION);
        out.put(type(m));
        switch (m) {
            case Message.Inject i -> {
                out.putLong(i.id());
                out.putInt(i.payload().length);
                out.put(i.payload());
            }
            case Message.Broadcast b -> putBroadcast(b, out);
            case Message.Batch b -> {
                out.putInt(b.items().size());
                for (Message.Broadcast item : b.items()) {
                    putBroadcast(item, out);
                }
            }
            case Message.Token t -> {
                out.putLong(t.epoch());
                out.putLong(t.rotation());
                out.putLong(t.hop());
                out.putLong(t.rotationStartedAtNanos());
                out.putLong(t.sentAtNanos());
                out.putLong(t.heldNanos());
                out.putInt(t.payload().length);
                out.put(t.payload());
            }
            case Message.Heartbeat h -> {
                out.putLong(h.seq());
                out.putLong(h.sentAtNanos());
                out.putLong(h.maxEpoch());
                out.putLong(h.viewDigest());
                out.putInt(h.successor());
            }
            case Message.HeartbeatAck a -> {
                out.putLong(a.seq());
                out.putLong(a.echoSentAtNanos());
                out.putLong(a.maxEpoch());
                out.putLong(a.viewDigest());
                out.putLong(a.tokenSeenAtNanos());
            }
            case Message.Membership ms -> {
                out.put(ms.relay() ? (byte) 1 : (byte) 0);
                out.putInt(ms.members().size());
                for (Message.Member mb : ms.members()) {
                    out.putInt(mb.node());
                    out.put(mb.dead() ? (byte) 1 : (byte) 0);
                    out.putLong(mb.stampNanos());
                    out.putInt(mb.announcer());
                }
            }
        }
    }

    private static void putBroadcast(Message.Broadcast b, ByteBuffer out) {
        out.putLong(b.id());
        out.putInt(b.origin());
        out.putLong(b.sentAtNanos());
        out.putInt(b.hop());
        out.putInt(b.payload().length);
        out.put(b.payload());
    }

    /**
     * Decodes one whole frame: all of {@code in}'s remaining bytes.
     *
     * @throws CodecException on a wrong version, an unknown type, a truncated body, a bad length or
     *     trailing bytes
     */
    public static Message decode(ByteBuffer in) {
        if (in.remaining() > MAX_FRAME_BYTES) {
            throw new CodecException("frame of " + in.remaining() + " bytes exceeds the cap of " + MAX_FRAME_BYTES);
        }
        try {
            if (in.remaining() < 2) {
                throw new CodecException("truncated frame: " + in.remaining() + " bytes, need at least 2");
            }
            byte version = in.get();
            if (version != VERSION) {
                throw new CodecException("unsupported encoding version " + (version & 0xff) + ", expected " + VERSION);
            }
            byte type = in.get();
            Message m = switch (type) {
                case TYPE_INJECT -> {
                    long id = in.getLong();
                    yield new Message.Inject(id, bytes(in));
                }
                case TYPE_BROADCAST -> getBroadcast(in);
                case TYPE_BATCH -> {
                    int count = in.getInt();
                    if (count <= 0 || count > in.remaining() / BROADCAST_FIXED) {
                        throw new CodecException("bad batch count " + count + " for " + in.remaining() + " bytes");
                    }
                    List<Message.Broadcast> items = new ArrayList<>(count);
                    for (int k = 0; k < count; k++) {
                        items.add(getBroadcast(in));
                    }
                    yield new Message.Batch(items);
                }
                case TYPE_TOKEN -> getToken(in);
                case TYPE_HEARTBEAT, TYPE_HEARTBEAT_ACK -> getHeartbeat(type, in);
                case TYPE_MEMBERSHIP -> getMembership(in);
                default -> throw new CodecException("unknown message type " + (type & 0xff));
            };
            if (in.hasRemaining()) {
                throw new CodecException(in.remaining() + " trailing bytes after a " + typeName(type) + " message");
            }
            return m;
        } catch (BufferUnderflowException e) {
            throw new CodecException("truncated frame");
        }
    }

    private static Message.Broadcast getBroadcast(ByteBuffer in) {
        long id = in.getLong();
        int origin = in.getInt();
        long sentAt = in.getLong();
        int hop = in.getInt();
        return new Message.Broadcast(id, origin, sentAt, hop, bytes(in));
    }

    private static Message.Token getToken(ByteBuffer in) {
        long epoch = in.getLong();
        long rotation = in.getLong();
        long hop = in.getLong();
        long rotationStartedAt = in.getLong();
        long sentAt = in.getLong();
        long held = in.getLong();
        byte[] payload = bytes(in);
        try {
            return new Message.Token(epoch, rotation, hop, rotationStartedAt, sentAt, held, payload);
        } catch (IllegalArgumentException e) {
            // A well-framed token with impossible counters is still a bad frame, not a node bug.
            throw new CodecException(e.getMessage());
        }
    }

    private static Message getHeartbeat(byte type, ByteBuffer in) {
        long seq = in.getLong();
        long sentAt = in.getLong();
        long maxEpoch = in.getLong();
        long digest = in.getLong();
        try {
            return type == TYPE_HEARTBEAT ? new Message.Heartbeat(seq, sentAt, maxEpoch, digest, in.getInt())
                    : new Message.HeartbeatAck(seq, sentAt, maxEpoch, digest, in.getLong());
        } catch (IllegalArgumentException e) {
            throw new CodecException(e.getMessage());
        }
    }

    private static Message.Membership getMembership(ByteBuffer in) {
        boolean relay = bool(in.get());
        int count = in.getInt();
        // The count is checked against the bytes that are really there before anything is allocated.
        if (count <= 0 || count > in.remaining() / MEMBER_BYTES) {
            throw new CodecException("bad membership count " + count + " for " + in.remaining() + " bytes");
        }
        List<Message.Member> members = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            int node = in.getInt();
            boolean dead = bool(in.get());
            long stamp = in.getLong();
            int announcer = in.getInt();
            try {
                members.add(new Message.Member(node, dead, stamp, announcer));
            } catch (IllegalArgumentException e) {
                throw new CodecException(e.getMessage());
            }
        }
        return new Message.Membership(relay, members);
    }

    private static boolean bool(byte b) {
        if (b != 0 && b != 1) {
            throw new CodecException("bad boolean byte " + (b & 0xff) + ", expected 0 or 1");
        }
        return b == 1;
    }

    private static byte[] bytes(ByteBuffer in) {
        int len = in.getInt();
        if (len < 0 || len > in.remaining()) {
            throw new CodecException("bad payload length " + len + " with " + in.remaining() + " bytes left");
        }
        byte[] b = new byte[len];
        in.get(b);
        return b;
    }
}
