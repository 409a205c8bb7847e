package dev.ringlab.node;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
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
 * {@code Membership = relay:1 count:4 (node:4 dead:1 stamp:8 announcer:4)*}. Replicated applications
 * ({@code str = len:4 utf8}, {@code dot = node:4 incarnation:8 seq:8}): {@code AppRequest = sub:1 (ConfigPut: str
 * str | CatalogAdd: str | CatalogRevoke: str)}, {@code Deltas = count:4 (dot lamport:8 op:1 str str count:4 dot*)*},
 * {@code Digest = reply:1 count:4 dot*}, {@code DeltaAck = dot}. Failover cache ({@code entry = key:8 version:8
 * writer:4 len:4 value}): {@code CacheRequest = reqId:8 origin:4 hops:4 key:8 put:1 len:4 value},
 * {@code CacheResponse = reqId:8 key:8 status:1 version:8 len:4 value}, {@code CacheSync = kind:1 seq:8 last:1
 * count:4 entry*}, {@code CacheSignal = kind:1 seq:8}. Decoding checks every length against what is left and
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
    /** Client requests of the replicated applications: {@code sub:1} then ConfigPut/CatalogAdd/CatalogRevoke fields. */
    public static final byte TYPE_APP_REQUEST = 8;
    public static final byte TYPE_DELTAS = 9;
    public static final byte TYPE_DIGEST = 10;
    public static final byte TYPE_DELTA_ACK = 11;
    public static final byte TYPE_CACHE_REQUEST = 12;
    public static final byte TYPE_CACHE_RESPONSE = 13;
    public static final byte TYPE_CACHE_SYNC = 14;
    public static final byte TYPE_CACHE_SIGNAL = 15;
    private static final int CACHE_ENTRY_FIXED = 8 + 8 + 4 + 4;

    private static final byte SUB_CONFIG_PUT = 1;
    private static final byte SUB_CATALOG_ADD = 2;
    private static final byte SUB_CATALOG_REVOKE = 3;
    private static final int DOT_BYTES = 4 + 8 + 8;
    /** A delta without its strings and observed dots: dot, lamport, op, two string lengths, dot count. */
    private static final int DELTA_FIXED = DOT_BYTES + 8 + 1 + 4 + 4 + 4;

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
            case Message.ConfigPut p -> TYPE_APP_REQUEST;
            case Message.CatalogAdd a -> TYPE_APP_REQUEST;
            case Message.CatalogRevoke r -> TYPE_APP_REQUEST;
            case Message.Deltas d -> TYPE_DELTAS;
            case Message.Digest d -> TYPE_DIGEST;
            case Message.DeltaAck a -> TYPE_DELTA_ACK;
            case Message.CacheRequest r -> TYPE_CACHE_REQUEST;
            case Message.CacheResponse r -> TYPE_CACHE_RESPONSE;
            case Message.CacheSync c -> TYPE_CACHE_SYNC;
            case Message.CacheSignal c -> TYPE_CACHE_SIGNAL;
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
            case TYPE_APP_REQUEST -> "app_request";
            case TYPE_DELTAS -> "deltas";
            case TYPE_DIGEST -> "digest";
            case TYPE_DELTA_ACK -> "delta_ack";
            case TYPE_CACHE_REQUEST -> "cache_request";
            case TYPE_CACHE_RESPONSE -> "cache_response";
            case TYPE_CACHE_SYNC -> "cache_sync";
            case TYPE_CACHE_SIGNAL -> "cache_signal";
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
            case Message.ConfigPut p -> 1 + stringSize(p.key()) + stringSize(p.value());
            case Message.CatalogAdd a -> 1 + stringSize(a.token());
            case Message.CatalogRevoke r -> 1 + stringSize(r.token());
            case Message.Deltas d -> {
                int size = 4;
                for (Message.Delta x : d.items()) {
                    size += deltaSize(x);
                }
                yield size;
            }
            case Message.Digest d -> 1 + 4 + DOT_BYTES * d.heads().size();
            case Message.DeltaAck a -> DOT_BYTES;
            case Message.CacheRequest r -> 8 + 4 + 4 + 8 + 1 + 4 + r.value().length;
            case Message.CacheResponse r -> 8 + 8 + 1 + 8 + 4 + r.value().length;
            case Message.CacheSync c -> {
                int size = 1 + 8 + 1 + 4;
                for (Message.CacheEntry e : c.entries()) {
                    size += CACHE_ENTRY_FIXED + e.value().length;
                }
                yield size;
            }
            case Message.CacheSignal c -> 1 + 8;
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
            case Message.ConfigPut p -> {
                out.put(SUB_CONFIG_PUT);
                putString(p.key(), out);
                putString(p.value(), out);
            }
            case Message.CatalogAdd a -> {
                out.put(SUB_CATALOG_ADD);
                putString(a.token(), out);
            }
            case Message.CatalogRevoke r -> {
                out.put(SUB_CATALOG_REVOKE);
                putString(r.token(), out);
            }
            case Message.Deltas d -> {
                out.putInt(d.items().size());
                for (Message.Delta x : d.items()) {
                    putDelta(x, out);
                }
            }
            case Message.Digest d -> {
                out.put(d.reply() ? (byte) 1 : (byte) 0);
                out.putInt(d.heads().size());
                for (Message.Dot o : d.heads()) {
                    putDot(o, out);
                }
            }
            case Message.DeltaAck a -> putDot(a.dot(), out);
            case Message.CacheRequest r -> {
                out.putLong(r.reqId());
                out.putInt(r.origin());
                out.putInt(r.hops());
                out.putLong(r.key());
                out.put(r.put() ? (byte) 1 : (byte) 0);
                out.putInt(r.value().length);
                out.put(r.value());
            }
            case Message.CacheResponse r -> {
                out.putLong(r.reqId());
                out.putLong(r.key());
                out.put((byte) r.status().ordinal());
                out.putLong(r.version());
                out.putInt(r.value().length);
                out.put(r.value());
            }
            case Message.CacheSync c -> {
                out.put((byte) c.kind().ordinal());
                out.putLong(c.seq());
                out.put(c.last() ? (byte) 1 : (byte) 0);
                out.putInt(c.entries().size());
                for (Message.CacheEntry e : c.entries()) {
                    out.putLong(e.key());
                    out.putLong(e.version());
                    out.putInt(e.writer());
                    out.putInt(e.value().length);
                    out.put(e.value());
                }
            }
            case Message.CacheSignal c -> {
                out.put((byte) c.kind().ordinal());
                out.putLong(c.seq());
            }
        }
    }

    /** Bytes of one delta inside a {@link Message.Deltas} body. */
    public static int deltaSize(Message.Delta d) {
        return DELTA_FIXED + utf8Length(d.key()) + utf8Length(d.value()) + DOT_BYTES * d.observed().size();
    }

    private static int stringSize(String s) {
        return 4 + utf8Length(s);
    }

    /** UTF-8 length without encoding (a lone surrogate counts as the one byte '?' it encodes to). */
    private static int utf8Length(String s) {
        int len = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                len += 1;
            } else if (c < 0x800) {
                len += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                len += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                len += 1;
            } else {
                len += 3;
            }
        }
        return len;
    }

    private static void putString(String s, ByteBuffer out) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.putInt(b.length);
        out.put(b);
    }

    private static void putDot(Message.Dot d, ByteBuffer out) {
        out.putInt(d.node());
        out.putLong(d.incarnation());
        out.putLong(d.seq());
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
                case TYPE_APP_REQUEST -> getAppRequest(in);
                case TYPE_DELTAS -> getDeltas(in);
                case TYPE_DIGEST -> {
                    boolean reply = bool(in.get());
                    yield new Message.Digest(reply, dots(in));
                }
                case TYPE_DELTA_ACK -> new Message.DeltaAck(getDot(in));
                case TYPE_CACHE_REQUEST, TYPE_CACHE_RESPONSE, TYPE_CACHE_SYNC, TYPE_CACHE_SIGNAL -> getCache(type, in);
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

    private static Message getAppRequest(ByteBuffer in) {
        byte sub = in.get();
        return switch (sub) {
            case SUB_CONFIG_PUT -> {
                String key = string(in);
                yield new Message.ConfigPut(key, string(in));
            }
            case SUB_CATALOG_ADD -> new Message.CatalogAdd(string(in));
            case SUB_CATALOG_REVOKE -> new Message.CatalogRevoke(string(in));
            default -> throw new CodecException("unknown app request kind " + (sub & 0xff));
        };
    }

    private static Message.Deltas getDeltas(ByteBuffer in) {
        int count = in.getInt();
        if (count <= 0 || count > in.remaining() / DELTA_FIXED) {
            throw new CodecException("bad deltas count " + count + " for " + in.remaining() + " bytes");
        }
        List<Message.Delta> items = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            items.add(getDelta(in));
        }
        return new Message.Deltas(items);
    }

    /**
     * Writes one delta as inside a {@link Message.Deltas} body ({@link #deltaSize} bytes): for protocols that
     * carry deltas in another container, such as the config bus's token payload.
     */
    public static void putDelta(Message.Delta x, ByteBuffer out) {
        putDot(x.dot(), out);
        out.putLong(x.lamport());
        out.put(x.op());
        putString(x.key(), out);
        putString(x.value(), out);
        out.putInt(x.observed().size());
        for (Message.Dot o : x.observed()) {
            putDot(o, out);
        }
    }

    /**
     * Reads one delta written by {@link #putDelta}.
     *
     * @throws CodecException if the bytes are not a delta
     */
    public static Message.Delta getDelta(ByteBuffer in) {
        Message.Dot dot = getDot(in);
        long lamport = in.getLong();
        byte op = in.get();
        String key = string(in);
        String value = string(in);
        List<Message.Dot> observed = dots(in);
        try {
            return new Message.Delta(dot, lamport, op, key, value, observed);
        } catch (IllegalArgumentException e) {
            throw new CodecException(e.getMessage());
        }
    }

    private static List<Message.Dot> dots(ByteBuffer in) {
        int count = in.getInt();
        if (count < 0 || count > in.remaining() / DOT_BYTES) {
            throw new CodecException("bad dot count " + count + " for " + in.remaining() + " bytes");
        }
        List<Message.Dot> dots = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            dots.add(getDot(in));
        }
        return dots;
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

    /** A UTF-8 string; malformed UTF-8 is a bad frame (decoding never substitutes characters). */
    private static String string(ByteBuffer in) {
        byte[] b = bytes(in);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new CodecException("malformed UTF-8 string of " + b.length + " bytes");
        }
    }

    private static boolean bool(byte b) {
        if (b != 0 && b != 1) {
            throw new CodecException("bad boolean byte " + (b & 0xff) + ", expected 0 or 1");
        }
        return b == 1;
    }

    private static Message getCache(byte type, ByteBuffer in) {
        try {
            switch (type) {
                case TYPE_CACHE_REQUEST -> {
                    long reqId = in.getLong();
                    int origin = in.getInt();
                    int hops = in.getInt();
                    long key = in.getLong();
                    boolean put = bool(in.get());
                    return new Message.CacheRequest(reqId, origin, hops, key, put, bytes(in));
                }
                case TYPE_CACHE_RESPONSE -> {
                    long reqId = in.getLong();
                    long key = in.getLong();
                    Message.CacheStatus status = ordinal(Message.CacheStatus.values(), in.get(), "cache status");
                    long version = in.getLong();
                    return new Message.CacheResponse(reqId, key, status, version, bytes(in));
                }
                case TYPE_CACHE_SYNC -> {
                    Message.CacheSyncKind kind = ordinal(Message.CacheSyncKind.values(), in.get(), "cache sync kind");
                    long seq = in.getLong();
                    boolean last = bool(in.get());
                    int count = in.getInt();
                    // Checked against the bytes really there before anything is allocated.
                    if (count < 0 || count > in.remaining() / CACHE_ENTRY_FIXED) {
                        throw new CodecException("bad cache entry count " + count + " for " + in.remaining() + " bytes");
                    }
                    List<Message.CacheEntry> entries = new ArrayList<>(count);
                    for (int k = 0; k < count; k++) {
                        long key = in.getLong();
                        long version = in.getLong();
                        int writer = in.getInt();
                        entries.add(new Message.CacheEntry(key, version, writer, bytes(in)));
                    }
                    return new Message.CacheSync(kind, seq, last, entries);
                }
                default -> {
                    Message.CacheSignalKind kind = ordinal(Message.CacheSignalKind.values(), in.get(), "cache signal kind");
                    return new Message.CacheSignal(kind, in.getLong());
                }
            }
        } catch (IllegalArgumentException e) {
            // A well-framed cache message with impossible fields is still a bad frame, not a node bug.
            throw new CodecException(e.getMessage());
        }
    }

    private static <E> E ordinal(E[] values, byte b, String what) {
        int i = b & 0xff;
        if (i >= values.length) {
            throw new CodecException("bad " + what + " " + i + ", expected 0.." + (values.length - 1));
        }
        return values[i];
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
