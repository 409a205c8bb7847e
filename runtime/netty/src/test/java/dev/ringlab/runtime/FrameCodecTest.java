package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The wire codec without sockets: encoder, frame decoder and message decoder through EmbeddedChannel. */
class FrameCodecTest {
    private static final List<Message> SAMPLES = List.of(
            new Message.Inject(7, new byte[] {1, 2, 3}),
            new Message.Broadcast(42, 3, 123_456_789L, 5, new byte[16]),
            new Message.Batch(List.of(new Message.Broadcast(1, 0, 1, 1, new byte[0]),
                    new Message.Broadcast(2, 1, 2, 2, new byte[] {9}))),
            new Message.Token(0, 3, 17, 1000, 2000, 5, new byte[] {4, 5}));

    private static EmbeddedChannel encoder() {
        return new EmbeddedChannel(MessageEncoder.INSTANCE);
    }

    private static EmbeddedChannel decoder() {
        return new EmbeddedChannel(new FrameDecoder(), new MessageDecoder());
    }

    @Test
    void everyMessageTypeRoundTripsThroughTheWireCodec() {
        EmbeddedChannel enc = encoder();
        EmbeddedChannel dec = decoder();
        try {
            for (Message m : SAMPLES) {
                assertTrue(enc.writeOutbound(m));
                ByteBuf wire = enc.readOutbound();
                assertEquals(FrameDecoder.PREFIX_BYTES + MessageCodec.encodedSize(m), wire.readableBytes());
                assertEquals(MessageCodec.encodedSize(m), wire.getInt(wire.readerIndex()));
                assertTrue(dec.writeInbound(wire));
                assertEquals(m, dec.readInbound());
            }
        } finally {
            assertFalse(enc.finishAndReleaseAll());
            assertFalse(dec.finishAndReleaseAll());
        }
    }

    @Test
    void decoderWaitsForWholeFramesFedOneByteAtATime() {
        EmbeddedChannel enc = encoder();
        EmbeddedChannel dec = decoder();
        try {
            ByteBuf all = Unpooled.buffer();
            for (Message m : SAMPLES) {
                enc.writeOutbound(m);
                ByteBuf b = enc.readOutbound();
                all.writeBytes(b);
                b.release();
            }
            int decoded = 0;
            while (all.isReadable()) {
                dec.writeInbound(all.readRetainedSlice(1));
                Message m = dec.readInbound();
                if (m != null) {
                    assertEquals(SAMPLES.get(decoded++), m);
                }
            }
            all.release();
            assertEquals(SAMPLES.size(), decoded);
        } finally {
            enc.finishAndReleaseAll();
            assertFalse(dec.finishAndReleaseAll());
        }
    }

    @Test
    void lengthOverTheCapIsACorruptedFrameAsSoonAsTheHeaderArrives() {
        EmbeddedChannel dec = decoder();
        ByteBuf header = Unpooled.buffer().writeInt(MessageCodec.MAX_FRAME_BYTES + 1);
        assertThrows(CorruptedFrameException.class, () -> dec.writeInbound(header));
        assertNull(dec.readInbound());
        dec.finishAndReleaseAll();
    }

    @Test
    void unknownMessageTypeIsABadMessage() {
        EmbeddedChannel dec = decoder();
        ByteBuf frame = Unpooled.buffer().writeInt(2).writeByte(MessageCodec.VERSION).writeByte(99);
        assertThrows(MessageDecoder.BadMessageException.class, () -> dec.writeInbound(frame));
        dec.finishAndReleaseAll();
    }

    @Test
    void truncatedBodyInsideAFrameIsABadMessage() {
        EmbeddedChannel dec = decoder();
        ByteBuf frame = Unpooled.buffer().writeInt(6).writeByte(MessageCodec.VERSION)
                .writeByte(MessageCodec.TYPE_BROADCAST).writeInt(1);
        assertThrows(MessageDecoder.BadMessageException.class, () -> dec.writeInbound(frame));
        dec.finishAndReleaseAll();
    }

    @Test
    void connectionClosedInsideAFrameIsATruncatedFrame() {
        EmbeddedChannel dec = decoder();
        dec.writeInbound(Unpooled.buffer().writeInt(40).writeBytes(new byte[10]));
        assertNull(dec.readInbound());
        assertThrows(FrameDecoder.TruncatedFrameException.class, dec::finish);
        dec.finishAndReleaseAll();
    }
}
