package dev.ringlab.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The token's one binary encoding: round trips, exact sizes, and hardening against bad frames. */
class TokenCodecTest {
    private static final long MASTER_SEED = 0x70C0_DEC0L;

    static Message.Token randomToken(SplittableRandom r) {
        byte[] payload = new byte[r.nextInt(4) == 0 ? 0 : r.nextInt(300)];
        r.nextBytes(payload);
        return new Message.Token(r.nextLong(Long.MAX_VALUE), 1 + r.nextLong(Long.MAX_VALUE - 1), r.nextLong(Long.MAX_VALUE),
                r.nextLong(), r.nextLong(), r.nextLong(Long.MAX_VALUE), payload);
    }

    @Test
    void tokensRoundTripThroughTheCodecWithTheirExactSize() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED);
        for (int c = 0; c < 500; c++) {
            long seed = master.nextLong();
            Message.Token t = randomToken(new SplittableRandom(seed));
            ByteBuffer frame = MessageCodec.encode(t);
            assertEquals(MessageCodec.encodedSize(t), frame.remaining(), "seed " + seed);
            assertEquals(2 + 6 * 8 + 4 + t.payload().length, frame.remaining(), "seed " + seed);
            assertEquals(MessageCodec.TYPE_TOKEN, frame.get(1), "seed " + seed);
            assertEquals(t, MessageCodec.decode(frame), "seed " + seed);
        }
        assertEquals("token", MessageCodec.typeName(MessageCodec.TYPE_TOKEN));
        assertEquals(MessageCodec.TYPE_TOKEN, MessageCodec.type(new Message.Token(0, 1, 0, 0, 0, 0, new byte[0])));
    }

    @Test
    void everyTruncatedTokenFrameIsRejected() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED + 1);
        for (int c = 0; c < 50; c++) {
            long seed = master.nextLong();
            ByteBuffer frame = MessageCodec.encode(randomToken(new SplittableRandom(seed)));
            byte[] bytes = new byte[frame.remaining()];
            frame.get(bytes);
            for (int len = 0; len < bytes.length; len++) {
                int cut = len;
                assertThrows(CodecException.class, () -> MessageCodec.decode(ByteBuffer.wrap(bytes, 0, cut)),
                        "prefix of " + cut + " bytes, seed " + seed);
            }
        }
    }

    @Test
    void trailingBytesAfterATokenAreRejected() {
        ByteBuffer frame = MessageCodec.encode(new Message.Token(0, 3, 17, 5, 9, 0, new byte[] {1, 2}));
        ByteBuffer longer = ByteBuffer.allocate(frame.remaining() + 1);
        longer.put(frame).put((byte) 0).flip();
        CodecException e = assertThrows(CodecException.class, () -> MessageCodec.decode(longer));
        assertTrue(e.getMessage().contains("1 trailing bytes after a token message"), e.getMessage());
    }

    @Test
    void aPayloadLengthBeyondTheFrameIsRejectedWithoutAllocatingIt() {
        ByteBuffer frame = MessageCodec.encode(new Message.Token(0, 1, 0, 0, 0, 0, new byte[0]));
        frame.putInt(2 + 6 * 8, Integer.MAX_VALUE);
        CodecException e = assertThrows(CodecException.class, () -> MessageCodec.decode(frame));
        assertTrue(e.getMessage().contains("bad payload length"), e.getMessage());
        frame.putInt(2 + 6 * 8, -1);
        frame.rewind();
        assertThrows(CodecException.class, () -> MessageCodec.decode(frame));
    }

    @Test
    void aTokenWithImpossibleCountersIsACodecErrorNotACrash() {
        ByteBuffer frame = MessageCodec.encode(new Message.Token(0, 1, 0, 0, 0, 0, new byte[0]));
        frame.putLong(2 + 8, 0); // rotation 0: rotations count from 1
        CodecException e = assertThrows(CodecException.class, () -> MessageCodec.decode(frame));
        assertTrue(e.getMessage().contains("rotation=0"), e.getMessage());
    }

    @Test
    void tokensWithEqualFieldsAreEqualIncludingPayloadBytes() {
        Message.Token a = new Message.Token(1, 2, 3, 4, 5, 6, new byte[] {7});
        Message.Token b = new Message.Token(1, 2, 3, 4, 5, 6, new byte[] {7});
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertTrue(!a.equals(new Message.Token(1, 2, 3, 4, 5, 6, new byte[] {8})));
    }
}
