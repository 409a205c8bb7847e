package dev.ringlab.node;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Field codecs for {@link MessageType} bodies, big-endian like {@link ByteBuffer}: length-prefixed bytes and
 * UTF-8 strings, booleans, enums by ordinal and item counts. The readers are hardened the same way for
 * every type, ringlab's or a researcher's: a length or count is checked against the bytes really left before
 * anything is allocated, so a hostile frame costs a {@link CodecException}, never an allocation larger than
 * the frame (which {@link MessageCodec#MAX_FRAME_BYTES} caps). A read past the end throws
 * {@link java.nio.BufferUnderflowException}, which {@link MessageCodec#decode} reports as a truncated frame.
 */
public final class Wire {
    private Wire() {}

    /** Bytes of {@code b} as {@link #putBytes} writes them: {@code len:4 bytes}. */
    public static int bytesSize(byte[] b) {
        return 4 + b.length;
    }

    public static void putBytes(byte[] b, ByteBuffer out) {
        out.putInt(b.length);
        out.put(b);
    }

    /**
     * Reads what {@link #putBytes} wrote.
     *
     * @throws CodecException if the length is negative or more than the bytes left
     */
    public static byte[] getBytes(ByteBuffer in) {
        int len = in.getInt();
        if (len < 0 || len > in.remaining()) {
            throw new CodecException("bad payload length " + len + " with " + in.remaining() + " bytes left");
        }
        byte[] b = new byte[len];
        in.get(b);
        return b;
    }

    /** Bytes of {@code s} as {@link #putString} writes it: {@code len:4 utf8}, counted without encoding. */
    public static int stringSize(String s) {
        return 4 + utf8Length(s);
    }

    public static void putString(String s, ByteBuffer out) {
        putBytes(s.getBytes(StandardCharsets.UTF_8), out);
    }

    /**
     * Reads what {@link #putString} wrote. Malformed UTF-8 is a bad frame: decoding never substitutes
     * characters, so what decodes re-encodes to the same bytes.
     *
     * @throws CodecException on a bad length or malformed UTF-8
     */
    public static String getString(ByteBuffer in) {
        byte[] b = getBytes(in);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new CodecException("malformed UTF-8 string of " + b.length + " bytes");
        }
    }

    /** UTF-8 length of {@code s} without encoding it (a lone surrogate counts as the one byte '?' it encodes to). */
    public static int utf8Length(String s) {
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

    /** One byte, 1 or 0. */
    public static void putBool(boolean b, ByteBuffer out) {
        out.put(b ? (byte) 1 : (byte) 0);
    }

    /**
     * Reads what {@link #putBool} wrote.
     *
     * @throws CodecException on a byte other than 0 or 1 (one value, one encoding)
     */
    public static boolean getBool(ByteBuffer in) {
        byte b = in.get();
        if (b != 0 && b != 1) {
            throw new CodecException("bad boolean byte " + (b & 0xff) + ", expected 0 or 1");
        }
        return b == 1;
    }

    /** One byte: the ordinal of {@code e} (an enum of at most 256 constants). */
    public static void putEnum(Enum<?> e, ByteBuffer out) {
        out.put((byte) e.ordinal());
    }

    /**
     * Reads what {@link #putEnum} wrote, {@code values} being the enum's {@code values()}.
     *
     * @throws CodecException on an ordinal outside {@code values}; {@code what} names the field
     */
    public static <E extends Enum<E>> E getEnum(E[] values, ByteBuffer in, String what) {
        int i = in.get() & 0xff;
        if (i >= values.length) {
            throw new CodecException("bad " + what + " " + i + ", expected 0.." + (values.length - 1));
        }
        return values[i];
    }

    /**
     * Reads an item count ({@code count:4}) and checks it before the caller allocates anything for the items:
     * at least {@code min} and no more than could fit in the bytes left, each item taking at least
     * {@code minItemBytes}.
     *
     * @throws CodecException naming {@code what} if the count is impossible
     */
    public static int getCount(ByteBuffer in, int minItemBytes, int min, String what) {
        if (minItemBytes < 1) {
            throw new IllegalArgumentException("an item takes at least one byte, got minItemBytes=" + minItemBytes);
        }
        int count = in.getInt();
        if (count < min || count > in.remaining() / minItemBytes) {
            throw new CodecException("bad " + what + " count " + count + " for " + in.remaining() + " bytes");
        }
        return count;
    }
}
