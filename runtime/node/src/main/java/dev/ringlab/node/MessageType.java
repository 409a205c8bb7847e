package dev.ringlab.node;

import java.nio.ByteBuffer;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import java.util.regex.Pattern;

/**
 * One kind of {@link Message} on the wire: its one-byte id, its name and the binary encoding of its body.
 * A protocol's types live with the protocol (ringlab's in its message families, e.g. {@link RingMessage});
 * its {@link ProtocolProvider#messageTypes()} registers them, and {@link MessageCodec} frames every message as
 * {@code [version:1][id:1][body]} through the type the message names ({@link Message#type()}).
 *
 * <h2>Ids</h2>
 * 1..{@value #LAST_RINGLAB_ID} are ringlab's: its messages use 1..15, 19..21 (Plumtree's), 22..26 (the delta
 * cache's) and 27..34 (HyParView's), the runtime's handshake frames 16..18. A protocol from another jar takes ids in
 * {@value #FIRST_THIRD_PARTY_ID}..{@value #MAX_ID}; the
 * {@link ProtocolRegistry} refuses anything else, and two types with one id or one name.
 *
 * <h2>Contract</h2>
 * A type is an immutable, stateless constant, called from any thread.
 * <ul>
 *   <li>{@link #bodySize} is exact (what {@link #encode} writes), pure and cheap: the simulator calls it on
 *       every send, so it must not allocate.</li>
 *   <li>{@link #encode} writes exactly {@link #bodySize} bytes at {@code out}'s position; the codec has made
 *       room and checked the frame cap.</li>
 *   <li>{@link #decode} reads one body from {@code in}, which holds the frame's remaining bytes (the codec
 *       rejects any left over). It must check every length and count against {@code in.remaining()} before
 *       allocating: {@link Wire}'s readers do. A read past the end ({@link java.nio.BufferUnderflowException})
 *       and an impossible field ({@link IllegalArgumentException}, e.g. from the record's constructor) are
 *       reported by the codec as a {@link CodecException}, as is a {@code CodecException} thrown here.</li>
 *   <li>{@code decode(encode(m))} equals {@code m}.</li>
 * </ul>
 *
 * @param <M> the messages of this type: a record class, or a sealed interface of records that share one id
 *            (then the body says which record, as {@code ReplicaMessage.APP_REQUEST} does)
 */
public abstract class MessageType<M extends Message> {
    /** Last id reserved for ringlab's own types and frames. */
    public static final int LAST_RINGLAB_ID = 63;
    /** First id a protocol from another jar may use. */
    public static final int FIRST_THIRD_PARTY_ID = 64;
    /** Largest id: the id is one byte on the wire. */
    public static final int MAX_ID = 255;

    /** Names are Prometheus label values and JSON keys: snake_case, short. */
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,47}");

    private final int id;
    private final String name;
    private final Class<M> messageClass;

    /**
     * @param id           the wire id, 1..{@value #MAX_ID}
     * @param name         snake_case, e.g. {@code heartbeat_ack}: the {@code type} label of {@code /metrics}
     * @param messageClass the class (or sealed interface) of the messages of this type
     * @throws IllegalArgumentException on an id out of range or a name that is not snake_case
     */
    protected MessageType(int id, String name, Class<M> messageClass) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(messageClass, "messageClass");
        if (id < 1 || id > MAX_ID) {
            throw new IllegalArgumentException("message type '" + name + "': id must be in 1.." + MAX_ID + ", got " + id);
        }
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("message type name '" + name + "' must be snake_case: a lower-case letter,"
                    + " then up to 47 lower-case letters, digits or '_'");
        }
        this.id = id;
        this.name = name;
        this.messageClass = messageClass;
    }

    /**
     * A type from three functions, the usual way to write one:
     *
     * <pre>{@code
     * static final MessageType<Hello> TYPE = MessageType.of(64, "hello", Hello.class,
     *         h -> 8 + 4,
     *         (h, out) -> out.putLong(h.id()).putInt(h.hop()),
     *         in -> new Hello(in.getLong(), in.getInt()));
     * }</pre>
     */
    public static <M extends Message> MessageType<M> of(int id, String name, Class<M> messageClass,
            ToIntFunction<? super M> bodySize, BiConsumer<? super M, ByteBuffer> encode,
            Function<ByteBuffer, ? extends M> decode) {
        Objects.requireNonNull(bodySize, "bodySize");
        Objects.requireNonNull(encode, "encode");
        Objects.requireNonNull(decode, "decode");
        return new MessageType<>(id, name, messageClass) {
            @Override
            public int bodySize(M m) {
                return bodySize.applyAsInt(m);
            }

            @Override
            public void encode(M m, ByteBuffer out) {
                encode.accept(m, out);
            }

            @Override
            public M decode(ByteBuffer in) {
                return decode.apply(in);
            }
        };
    }

    /** The wire id, 1..{@value #MAX_ID}. */
    public final int id() {
        return id;
    }

    /** The snake_case name, e.g. {@code token}. */
    public final String name() {
        return name;
    }

    /** The class (or sealed interface) of this type's messages. */
    public final Class<M> messageClass() {
        return messageClass;
    }

    /** Bytes {@link #encode} writes for {@code m}; see the class contract. */
    public abstract int bodySize(M m);

    /** Writes the body of {@code m} at {@code out}'s position; see the class contract. */
    public abstract void encode(M m, ByteBuffer out);

    /** Reads one body; see the class contract. */
    public abstract M decode(ByteBuffer in);

    /** {@link #bodySize} of a message whose {@link Message#type()} is this type. */
    @SuppressWarnings("unchecked")
    final int bodySizeOf(Message m) {
        return bodySize((M) m);
    }

    /** {@link #encode} of a message whose {@link Message#type()} is this type. */
    @SuppressWarnings("unchecked")
    final void encodeOf(Message m, ByteBuffer out) {
        encode((M) m, out);
    }

    @Override
    public final String toString() {
        return name + "(" + id + ")";
    }
}
