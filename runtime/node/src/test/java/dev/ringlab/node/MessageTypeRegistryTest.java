package dev.ringlab.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.protocols.BuiltInProtocols;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.example.codec.OutsideProvider;
import org.junit.jupiter.api.Test;

/**
 * Registration of message types through {@link ProtocolProvider#messageTypes()}: the registry's id table,
 * its refusals, and the codec over a type that is not ringlab's.
 */
class MessageTypeRegistryTest {
    /** A type of its own, as a protocol outside ringlab's families would declare it. */
    record Probe(long seq, String label, byte[] data) implements Message {
        static final MessageType<Probe> TYPE = MessageType.of(200, "probe", Probe.class,
                p -> 8 + Wire.stringSize(p.label()) + Wire.bytesSize(p.data()),
                (p, out) -> {
                    out.putLong(p.seq());
                    Wire.putString(p.label(), out);
                    Wire.putBytes(p.data(), out);
                },
                in -> {
                    long seq = in.getLong();
                    String label = Wire.getString(in);
                    return new Probe(seq, label, Wire.getBytes(in));
                });

        Probe {
            if (seq < 0) {
                throw new IllegalArgumentException("bad probe: seq " + seq + " (need >= 0)");
            }
        }

        @Override
        public MessageType<Probe> type() {
            return TYPE;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Probe p && p.seq == seq && p.label.equals(label) && Arrays.equals(p.data, data);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(seq) * 31 + label.hashCode();
        }
    }

    /** A provider that declares exactly the given types. */
    record Declaring(List<MessageType<?>> types) implements ProtocolProvider {
        @Override
        public List<String> forms() {
            return List.of();
        }

        @Override
        public Protocol parse(String spec) {
            return null;
        }

        @Override
        public List<MessageType<?>> messageTypes() {
            return types;
        }
    }

    /** A second provider class, so that an error naming "both providers" can be told from one naming one twice. */
    record Other(List<MessageType<?>> types) implements ProtocolProvider {
        @Override
        public List<String> forms() {
            return List.of();
        }

        @Override
        public Protocol parse(String spec) {
            return null;
        }

        @Override
        public List<MessageType<?>> messageTypes() {
            return types;
        }
    }

    private static ProtocolRegistry withProbe() {
        return new ProtocolRegistry(List.of(new BuiltInProtocols(), new Declaring(List.of(Probe.TYPE))));
    }

    private static MessageType<Probe> probeLike(int id, String name) {
        return MessageType.of(id, name, Probe.class, p -> 0, (p, out) -> {}, in -> new Probe(0, "", new byte[0]));
    }

    @Test
    void theTableHoldsEveryProvidersTypesById() {
        ProtocolRegistry r = withProbe();
        assertSame(Probe.TYPE, r.messageType(200));
        assertSame(RingMessage.TOKEN, r.messageType(4));
        assertNull(r.messageType(0));
        assertNull(r.messageType(99));
        assertEquals(32, r.messageTypes().size());
        for (int i = 1; i < r.messageTypes().size(); i++) {
            assertTrue(r.messageTypes().get(i - 1).id() < r.messageTypes().get(i).id(), "by id");
        }
    }

    @Test
    void aDuplicateIdIsRefusedNamingBothProviders() {
        var e = assertThrows(IllegalArgumentException.class, () -> new ProtocolRegistry(List.of(
                new Declaring(List.of(probeLike(70, "alpha"))), new Other(List.of(probeLike(70, "beta"))))));
        assertTrue(e.getMessage().contains("id 70"), e.getMessage());
        assertTrue(e.getMessage().contains("alpha(70) by " + Declaring.class.getName()), e.getMessage());
        assertTrue(e.getMessage().contains("beta(70) by " + Other.class.getName()), e.getMessage());

        var builtIn = assertThrows(IllegalArgumentException.class, () -> new ProtocolRegistry(List.of(
                new BuiltInProtocols(), new Other(List.of(probeLike(4, "not_a_token"))))));
        assertTrue(builtIn.getMessage().contains("token(4) by " + BuiltInProtocols.class.getName()), builtIn.getMessage());
    }

    @Test
    void aDuplicateNameIsRefusedNamingBothProviders() {
        var e = assertThrows(IllegalArgumentException.class, () -> new ProtocolRegistry(List.of(
                new BuiltInProtocols(), new Other(List.of(probeLike(90, "heartbeat"))))));
        assertTrue(e.getMessage().contains("name 'heartbeat'"), e.getMessage());
        assertTrue(e.getMessage().contains(BuiltInProtocols.class.getName()), e.getMessage());
        assertTrue(e.getMessage().contains(Other.class.getName()), e.getMessage());
    }

    @Test
    void oneTypeListedByTwoProvidersIsOneType() {
        ProtocolRegistry r = new ProtocolRegistry(List.of(new BuiltInProtocols(),
                new Declaring(List.of(BroadcastMessage.INJECT, Probe.TYPE)), new Other(List.of(Probe.TYPE))));
        assertSame(Probe.TYPE, r.messageType(200));
        assertEquals(32, r.messageTypes().size());
    }

    @Test
    void aProviderOutsideRinglabMustUseTheThirdPartyRange() {
        for (int id : new int[] {1, 16, 17, 18, 63}) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> new ProtocolRegistry(List.of(new BuiltInProtocols(), new OutsideProvider(id))), "id " + id);
            assertTrue(e.getMessage().contains("use 64..255"), e.getMessage());
            assertTrue(e.getMessage().contains(OutsideProvider.class.getName()), e.getMessage());
        }
        assertEquals("note", new ProtocolRegistry(List.of(new OutsideProvider(64))).messageType(64).name());
        assertEquals("note", new ProtocolRegistry(List.of(new OutsideProvider(255))).messageType(255).name());
    }

    @Test
    void aTypeNeedsAnIdInOneByteAndASnakeCaseName() {
        for (int id : new int[] {0, -1, 256}) {
            assertThrows(IllegalArgumentException.class, () -> probeLike(id, "probe"), "id " + id);
        }
        for (String name : List.of("", "Probe", "probe-x", "1probe", "probe x", "p".repeat(49))) {
            assertThrows(IllegalArgumentException.class, () -> probeLike(200, name), "'" + name + "'");
        }
        assertEquals("p_2", probeLike(200, "p_2").name());
    }

    @Test
    void aRegisteredTypeRoundTripsAndAnUnregisteredIdIsACodecError() {
        ProtocolRegistry r = withProbe();
        SplittableRandom master = new SplittableRandom(0xBEEFL);
        for (int i = 0; i < 200; i++) {
            long seed = master.nextLong();
            SplittableRandom g = new SplittableRandom(seed);
            byte[] data = new byte[g.nextInt(64)];
            g.nextBytes(data);
            Probe p = new Probe(g.nextLong(Long.MAX_VALUE), "é" + g.nextInt(), data);
            ByteBuffer frame = MessageCodec.encode(p);
            assertEquals(MessageCodec.encodedSize(p), frame.remaining(), "seed " + seed);
            assertEquals((byte) 200, frame.get(1), "seed " + seed);
            assertEquals(p, MessageCodec.decode(frame.duplicate(), r), "seed " + seed);
            // The standard registry (ringlab's provider only, in this module) does not know id 200.
            CodecException e = assertThrows(CodecException.class, () -> MessageCodec.decode(frame.duplicate()));
            assertTrue(e.getMessage().contains("unknown message type 200"), e.getMessage());
        }
    }

    @Test
    void aThirdPartyTypeGetsTheSameHardening() {
        ProtocolRegistry r = withProbe();
        byte[] frame = bytes(MessageCodec.encode(new Probe(5, "ab", new byte[] {1, 2, 3})));
        for (int len = 0; len < frame.length; len++) {
            int cut = len;
            assertThrows(CodecException.class, () -> MessageCodec.decode(ByteBuffer.wrap(frame, 0, cut), r), "prefix " + cut);
        }
        byte[] longer = Arrays.copyOf(frame, frame.length + 1);
        CodecException trailing = assertThrows(CodecException.class, () -> MessageCodec.decode(ByteBuffer.wrap(longer), r));
        assertTrue(trailing.getMessage().contains("1 trailing bytes after a probe message"), trailing.getMessage());

        byte[] negative = frame.clone();
        negative[2] = (byte) 0x80; // seq < 0: the record's constructor refuses it
        CodecException bad = assertThrows(CodecException.class, () -> MessageCodec.decode(ByteBuffer.wrap(negative), r));
        assertTrue(bad.getMessage().contains("bad probe message: bad probe: seq"), bad.getMessage());

        byte[] hugeString = frame.clone();
        ByteBuffer.wrap(hugeString).putInt(2 + 8, Integer.MAX_VALUE); // the label's length
        CodecException huge = assertThrows(CodecException.class, () -> MessageCodec.decode(ByteBuffer.wrap(hugeString), r));
        assertTrue(huge.getMessage().contains("bad payload length"), huge.getMessage());
    }

    @Test
    void aTypeWhoseSizeDisagreesWithItsEncodingFailsAtTheSender() {
        MessageType<Message> liar = MessageType.of(201, "liar", Message.class, m -> 4,
                (m, out) -> out.putInt(1).putInt(2), in -> null);
        Message m = new Message() {
            @Override
            public MessageType<?> type() {
                return liar;
            }
        };
        // A mismatch surfaces as a bug in the type, never as a silently short or long frame.
        assertThrows(java.nio.BufferOverflowException.class, () -> MessageCodec.encode(m));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> MessageCodec.encode(m, ByteBuffer.allocate(64)));
        assertTrue(e.getMessage().contains("liar(201) wrote 8 body bytes, but its bodySize said 4"), e.getMessage());
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
