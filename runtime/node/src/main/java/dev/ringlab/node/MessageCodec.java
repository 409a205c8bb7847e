package dev.ringlab.node;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;

/**
 * The binary frame of every {@link Message}: {@code [version:1][type id:1][body]}, the body written by the
 * message's own {@link MessageType} ({@link Message#type()}). The runtime puts a 4-byte length prefix in
 * front on the wire ({@link #MAX_FRAME_BYTES} caps it); the simulator uses {@link #encodedSize} to count bytes
 * without encoding.
 *
 * <p>Decoding looks the id up among the types every {@link ProtocolProvider} registered
 * ({@link ProtocolRegistry#standard()}, or the registry given). It checks the cap, the version and the id
 * here and every length inside the body through the type (see the {@link MessageType} contract), and rejects
 * trailing bytes, so a hostile frame costs a {@link CodecException}, never an allocation larger than the
 * frame. ringlab's types and their ids are those of {@link BroadcastMessage}, {@link RingMessage},
 * {@link ReplicaMessage} and {@link CacheMessage}; ids 64..255 are for protocols from other jars.
 */
public final class MessageCodec {
    /** Encoding version; a frame with another version is rejected. */
    public static final byte VERSION = 1;
    /** Largest frame (version byte through the end of the body) either side accepts. */
    public static final int MAX_FRAME_BYTES = 1 << 20;

    // The ids of ringlab's own types, for callers that write raw frames (tests of hostile peers).
    public static final byte TYPE_INJECT = 1;
    public static final byte TYPE_BROADCAST = 2;
    public static final byte TYPE_BATCH = 3;
    public static final byte TYPE_TOKEN = 4;
    public static final byte TYPE_HEARTBEAT = 5;
    public static final byte TYPE_HEARTBEAT_ACK = 6;
    public static final byte TYPE_MEMBERSHIP = 7;
    /** Client requests of the replicated applications: {@code kind:1} then ConfigPut/CatalogAdd/CatalogRevoke fields. */
    public static final byte TYPE_APP_REQUEST = 8;
    public static final byte TYPE_DELTAS = 9;
    public static final byte TYPE_DIGEST = 10;
    public static final byte TYPE_DELTA_ACK = 11;
    public static final byte TYPE_CACHE_REQUEST = 12;
    public static final byte TYPE_CACHE_RESPONSE = 13;
    public static final byte TYPE_CACHE_SYNC = 14;
    public static final byte TYPE_CACHE_SIGNAL = 15;

    private MessageCodec() {}

    /** The type byte of {@code m} (its {@link MessageType#id()}): also what trace hashes record. No lookup, no allocation. */
    public static byte type(Message m) {
        return (byte) m.type().id();
    }

    /**
     * The name of the registered type with id {@code type}, for metrics labels and error messages;
     * {@code unknown_N} if none has it.
     */
    public static String typeName(byte type) {
        MessageType<?> t = ProtocolRegistry.standard().messageType(type & 0xff);
        return t != null ? t.name() : "unknown_" + (type & 0xff);
    }

    /** Bytes of the frame for {@code m} (without the transport's length prefix). No lookup, no allocation. */
    public static int encodedSize(Message m) {
        return 2 + m.type().bodySizeOf(m);
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
     * @throws IllegalStateException    if the type wrote another number of bytes than its body size (a bug
     *                                  in the type)
     */
    public static void encode(Message m, ByteBuffer out) {
        MessageType<?> type = m.type();
        int size = 2 + type.bodySizeOf(m);
        if (size > MAX_FRAME_BYTES) {
            throw new IllegalArgumentException("frame of " + size + " bytes exceeds the cap of " + MAX_FRAME_BYTES);
        }
        int start = out.position();
        out.put(VERSION);
        out.put((byte) type.id());
        type.encodeOf(m, out);
        if (out.position() - start != size) {
            throw new IllegalStateException("message type " + type + " wrote " + (out.position() - start - 2)
                    + " body bytes, but its bodySize said " + (size - 2));
        }
    }

    /**
     * Decodes one whole frame, all of {@code in}'s remaining bytes, with the types of
     * {@link ProtocolRegistry#standard()}.
     *
     * @throws CodecException on a wrong version, an unknown type, a truncated body, a bad length or field,
     *                        or trailing bytes
     */
    public static Message decode(ByteBuffer in) {
        return decode(in, ProtocolRegistry.standard());
    }

    /**
     * Decodes one whole frame, all of {@code in}'s remaining bytes, with the types of {@code registry}.
     *
     * @throws CodecException on a wrong version, an unknown type, a truncated body, a bad length or field,
     *                        or trailing bytes
     */
    public static Message decode(ByteBuffer in, ProtocolRegistry registry) {
        if (in.remaining() > MAX_FRAME_BYTES) {
            throw new CodecException("frame of " + in.remaining() + " bytes exceeds the cap of " + MAX_FRAME_BYTES);
        }
        if (in.remaining() < 2) {
            throw new CodecException("truncated frame: " + in.remaining() + " bytes, need at least 2");
        }
        byte version = in.get();
        if (version != VERSION) {
            throw new CodecException("unsupported encoding version " + (version & 0xff) + ", expected " + VERSION);
        }
        int id = in.get() & 0xff;
        MessageType<?> type = registry.messageType(id);
        if (type == null) {
            throw new CodecException("unknown message type " + id + " (no registered protocol provider declares it)");
        }
        Message m;
        try {
            m = type.decode(in);
        } catch (BufferUnderflowException e) {
            throw new CodecException("truncated " + type.name() + " frame");
        } catch (IllegalArgumentException e) {
            // A well-framed message with impossible fields is still a bad frame, not a node bug.
            throw new CodecException("bad " + type.name() + " message: " + e.getMessage());
        }
        if (m == null || m.type() != type) {
            throw new IllegalStateException("message type " + type + " decoded " + m + ", which is not of that type");
        }
        if (in.hasRemaining()) {
            throw new CodecException(in.remaining() + " trailing bytes after a " + type.name() + " message");
        }
        return m;
    }
}
