package dev.ringlab.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.protocols.BuiltInProtocols;
import dev.ringlab.node.protocols.DeltaMessage;
import dev.ringlab.node.protocols.HyParViewMessage;
import dev.ringlab.node.protocols.PlumtreeMessage;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Seeded property tests of {@link MessageCodec}: many messages of every type drawn from one master seed;
 * a failure names the case's seed so it replays alone.
 */
class MessageCodecTest {
    private static final long MASTER_SEED = 0xC0DECL;
    private static final int CASES = 400;

    /** One generator per message class; {@link #everyRegisteredTypeHasAGenerator} keeps this list complete. */
    private static final Map<Class<?>, Function<SplittableRandom, Message>> GENERATORS = Map.ofEntries(
            Map.entry(Message.Inject.class, r -> new Message.Inject(r.nextLong(), payload(r))),
            Map.entry(Message.CacheRequest.class, r -> r.nextBoolean()
                    ? new Message.CacheRequest(r.nextLong(), r.nextInt(-1, Integer.MAX_VALUE), r.nextInt(Integer.MAX_VALUE),
                            r.nextLong(), true, payload(r))
                    : new Message.CacheRequest(r.nextLong(), r.nextInt(-1, Integer.MAX_VALUE), r.nextInt(Integer.MAX_VALUE),
                            r.nextLong(), false, new byte[0])),
            Map.entry(Message.CacheResponse.class, r -> new Message.CacheResponse(r.nextLong(), r.nextLong(),
                    Message.CacheStatus.values()[r.nextInt(Message.CacheStatus.values().length)],
                    r.nextLong(Long.MAX_VALUE), payload(r))),
            Map.entry(Message.CacheSync.class, r -> {
                List<Message.CacheEntry> entries = new ArrayList<>();
                int count = r.nextInt(6);
                for (int i = 0; i < count; i++) {
                    entries.add(new Message.CacheEntry(r.nextLong(), 1 + r.nextLong(Long.MAX_VALUE - 1),
                            r.nextInt(Integer.MAX_VALUE), payload(r)));
                }
                return new Message.CacheSync(Message.CacheSyncKind.values()[r.nextInt(Message.CacheSyncKind.values().length)],
                        r.nextLong(), r.nextBoolean(), entries);
            }),
            Map.entry(Message.CacheSignal.class, r -> new Message.CacheSignal(
                    Message.CacheSignalKind.values()[r.nextInt(Message.CacheSignalKind.values().length)], r.nextLong())),
            Map.entry(Message.ConfigPut.class, r -> new Message.ConfigPut(text(r), text(r))),
            Map.entry(Message.CatalogAdd.class, r -> new Message.CatalogAdd(text(r))),
            Map.entry(Message.CatalogRevoke.class, r -> new Message.CatalogRevoke(text(r))),
            Map.entry(Message.Deltas.class, r -> {
                List<Message.Delta> items = new ArrayList<>();
                int count = 1 + r.nextInt(5);
                for (int i = 0; i < count; i++) {
                    List<Message.Dot> observed = new ArrayList<>();
                    int seen = r.nextInt(4);
                    for (int j = 0; j < seen; j++) {
                        observed.add(dot(r));
                    }
                    Message.Dot d = dot(r);
                    items.add(new Message.Delta(new Message.Dot(d.node(), d.incarnation(), 1 + r.nextLong(Long.MAX_VALUE - 1)),
                            r.nextLong(Long.MAX_VALUE), (byte) (1 + r.nextInt(3)), text(r), text(r), observed));
                }
                return new Message.Deltas(items);
            }),
            Map.entry(Message.Digest.class, r -> {
                List<Message.Dot> heads = new ArrayList<>();
                int count = r.nextInt(6);
                for (int i = 0; i < count; i++) {
                    heads.add(dot(r));
                }
                return new Message.Digest(r.nextBoolean(), heads);
            }),
            Map.entry(Message.DeltaAck.class, r -> new Message.DeltaAck(dot(r))),
            Map.entry(Message.Broadcast.class, MessageCodecTest::broadcast),
            Map.entry(Message.Batch.class, r -> {
                List<Message.Broadcast> items = new ArrayList<>();
                int count = 1 + r.nextInt(6);
                for (int i = 0; i < count; i++) {
                    items.add(broadcast(r));
                }
                return new Message.Batch(items);
            }),
            Map.entry(Message.Token.class, r -> new Message.Token(r.nextLong(Long.MAX_VALUE),
                    1 + r.nextLong(Long.MAX_VALUE - 1), r.nextLong(Long.MAX_VALUE), r.nextLong(), r.nextLong(),
                    r.nextLong(Long.MAX_VALUE), payload(r))),
            Map.entry(Message.Heartbeat.class, r -> new Message.Heartbeat(r.nextLong(), r.nextLong(),
                    r.nextLong(-1, Long.MAX_VALUE), r.nextLong(), r.nextInt(-1, Integer.MAX_VALUE))),
            Map.entry(Message.HeartbeatAck.class, r -> new Message.HeartbeatAck(r.nextLong(), r.nextLong(),
                    r.nextLong(-1, Long.MAX_VALUE), r.nextLong(), r.nextLong())),
            Map.entry(PlumtreeMessage.IHave.class, r -> {
                int count = 1 + r.nextInt(r.nextBoolean() ? 4 : PlumtreeMessage.MAX_ANNOUNCEMENTS);
                long[] ids = new long[count];
                int[] origins = new int[count];
                int[] hops = new int[count];
                for (int i = 0; i < count; i++) {
                    ids[i] = r.nextLong(Long.MAX_VALUE);
                    origins[i] = r.nextInt(Integer.MAX_VALUE);
                    hops[i] = r.nextInt(Integer.MAX_VALUE);
                }
                return new PlumtreeMessage.IHave(ids, origins, hops);
            }),
            Map.entry(PlumtreeMessage.Graft.class, r -> new PlumtreeMessage.Graft(r.nextLong(-1, Long.MAX_VALUE),
                    r.nextInt(Integer.MAX_VALUE))),
            Map.entry(PlumtreeMessage.Prune.class, r -> new PlumtreeMessage.Prune(r.nextInt(Integer.MAX_VALUE))),
            Map.entry(DeltaMessage.Request.class, r -> {
                DeltaMessage.RequestKind kind = DeltaMessage.RequestKind.values()[r.nextInt(
                        DeltaMessage.RequestKind.values().length)];
                long amount = kind == DeltaMessage.RequestKind.INCREMENT ? (r.nextBoolean() ? 1 : -1) * (1 + r.nextLong(
                        Long.MAX_VALUE - 1)) : 0;
                return new DeltaMessage.Request(kind, r.nextLong(), r.nextLong(), amount);
            }),
            Map.entry(DeltaMessage.State.class, r -> new DeltaMessage.State(DeltaMessage.StateKind.values()[r.nextInt(
                    DeltaMessage.StateKind.values().length)], r.nextLong(), r.nextLong(), deltaEntries(r))),
            Map.entry(DeltaMessage.Query.class, r -> new DeltaMessage.Query(r.nextInt(Integer.MAX_VALUE), r.nextLong(),
                    r.nextLong(), r.nextLong(Long.MAX_VALUE), r.nextBoolean(), r.nextBoolean())),
            Map.entry(DeltaMessage.Answer.class, r -> new DeltaMessage.Answer(r.nextInt(Integer.MAX_VALUE), r.nextLong(),
                    r.nextLong(), r.nextInt(Integer.MAX_VALUE), deltaEntries(r))),
            Map.entry(DeltaMessage.Signal.class, r -> new DeltaMessage.Signal(DeltaMessage.SignalKind.values()[r.nextInt(
                    DeltaMessage.SignalKind.values().length)], r.nextLong(), r.nextLong(), r.nextInt(Integer.MAX_VALUE),
                    r.nextLong(), r.nextLong(Long.MAX_VALUE))),
            Map.entry(HyParViewMessage.Join.class, r -> new HyParViewMessage.Join()),
            Map.entry(HyParViewMessage.ForwardJoin.class, r -> new HyParViewMessage.ForwardJoin(r.nextInt(Integer.MAX_VALUE),
                    r.nextInt(Integer.MAX_VALUE))),
            Map.entry(HyParViewMessage.Neighbor.class, r -> new HyParViewMessage.Neighbor(r.nextInt(3))),
            Map.entry(HyParViewMessage.NeighborReply.class, r -> new HyParViewMessage.NeighborReply(r.nextBoolean())),
            Map.entry(HyParViewMessage.Disconnect.class, r -> new HyParViewMessage.Disconnect()),
            Map.entry(HyParViewMessage.Shuffle.class, r -> new HyParViewMessage.Shuffle(r.nextInt(Integer.MAX_VALUE),
                    r.nextInt(Integer.MAX_VALUE), r.ints(r.nextInt(r.nextBoolean() ? 8 : HyParViewMessage.MAX_NODES + 1), 0,
                            Integer.MAX_VALUE).toArray())),
            Map.entry(HyParViewMessage.ShuffleReply.class, r -> new HyParViewMessage.ShuffleReply(r.ints(
                    r.nextInt(r.nextBoolean() ? 8 : HyParViewMessage.MAX_NODES + 1), 0, Integer.MAX_VALUE).toArray())),
            Map.entry(HyParViewMessage.KeepAlive.class, r -> new HyParViewMessage.KeepAlive()),
            Map.entry(Message.Membership.class, r -> {
                List<Message.Member> members = new ArrayList<>();
                int count = 1 + r.nextInt(8);
                for (int i = 0; i < count; i++) {
                    members.add(new Message.Member(r.nextInt(Integer.MAX_VALUE), r.nextBoolean(), r.nextLong(),
                            r.nextInt(Integer.MAX_VALUE)));
                }
                return new Message.Membership(r.nextBoolean(), members);
            }));

    private static Message.Dot dot(SplittableRandom r) {
        return new Message.Dot(r.nextInt(Integer.MAX_VALUE), r.nextLong(), r.nextLong(Long.MAX_VALUE));
    }

    /** Strings of mixed width: ASCII, 2- and 3-byte UTF-8, surrogate pairs (no lone surrogates: they do not round-trip). */
    private static String text(SplittableRandom r) {
        StringBuilder b = new StringBuilder();
        int len = r.nextInt(4) == 0 ? 0 : r.nextInt(40);
        for (int i = 0; i < len; i++) {
            switch (r.nextInt(4)) {
                case 0 -> b.append((char) r.nextInt(0x80));
                case 1 -> b.append((char) (0x80 + r.nextInt(0x780)));
                case 2 -> b.append((char) (0x800 + r.nextInt(0xD800 - 0x800)));
                default -> b.appendCodePoint(0x10000 + r.nextInt(0x10FFFF - 0x10000));
            }
        }
        return b.toString();
    }

    private static Message.Broadcast broadcast(SplittableRandom r) {
        return new Message.Broadcast(r.nextLong(), r.nextInt(), r.nextLong(), r.nextInt(), payload(r));
    }

    private static byte[] payload(SplittableRandom r) {
        // Mostly small payloads, sometimes empty, sometimes a few KiB.
        int len = switch (r.nextInt(4)) {
            case 0 -> 0;
            case 1 -> 1 + r.nextInt(16);
            case 2 -> r.nextInt(256);
            default -> r.nextInt(4096);
        };
        byte[] b = new byte[len];
        r.nextBytes(b);
        return b;
    }

    private static Message draw(SplittableRandom r) {
        List<Class<?>> types = new ArrayList<>(GENERATORS.keySet());
        types.sort((a, b) -> a.getName().compareTo(b.getName())); // Map.of order is unspecified
        return GENERATORS.get(types.get(r.nextInt(types.size()))).apply(r);
    }

    /** The classes whose messages a type decodes to: a record class, or the records of a sealed interface. */
    private static List<Class<?>> recordsOf(Class<?> c) {
        if (!c.isSealed()) {
            return List.of(c);
        }
        List<Class<?>> all = new ArrayList<>();
        for (Class<?> sub : c.getPermittedSubclasses()) {
            all.addAll(recordsOf(sub));
        }
        return all;
    }

    @Test
    void everyRegisteredTypeHasAGenerator() {
        List<MessageType<?>> types = ProtocolRegistry.standard().messageTypes();
        assertFalse(types.isEmpty(), "no message type registered");
        for (MessageType<?> type : types) {
            for (Class<?> c : recordsOf(type.messageClass())) {
                assertTrue(GENERATORS.containsKey(c), "no round-trip generator for " + c.getSimpleName() + " (type "
                        + type + "): add one to MessageCodecTest.GENERATORS");
                assertSame(type, GENERATORS.get(c).apply(new SplittableRandom(0)).type(), c.getSimpleName());
            }
        }
    }

    /** Up to four delta cache entries with up to five loose increments each. */
    private static List<DeltaMessage.Entry> deltaEntries(SplittableRandom r) {
        List<DeltaMessage.Entry> out = new ArrayList<>();
        for (int k = r.nextInt(5); k > 0; k--) {
            long upTo = r.nextBoolean() ? 0 : r.nextLong(1L << 40);
            int loose = r.nextInt(6);
            long[] seqs = new long[loose];
            long[] amounts = new long[loose];
            long seq = upTo;
            for (int i = 0; i < loose; i++) {
                seq += 1 + r.nextInt(1000);
                seqs[i] = seq;
                amounts[i] = (r.nextBoolean() ? 1 : -1) * (1 + r.nextLong(1L << 40));
            }
            out.add(new DeltaMessage.Entry(r.nextInt(Integer.MAX_VALUE), r.nextLong(), upTo, r.nextLong(Long.MAX_VALUE),
                    r.nextLong(Long.MAX_VALUE), seqs, amounts));
        }
        return out;
    }

    /** Every family's records: each has a generator, so a new record cannot skip the round trip. */
    @Test
    void everyBuiltInFamilyRecordHasAGenerator() {
        for (Class<?> family : List.of(BroadcastMessage.class, RingMessage.class, ReplicaMessage.class, CacheMessage.class,
                PlumtreeMessage.class, DeltaMessage.class, HyParViewMessage.class)) {
            for (Class<?> c : recordsOf(family)) {
                assertTrue(GENERATORS.containsKey(c), "no round-trip generator for " + c.getSimpleName());
            }
        }
    }

    /**
     * The built-in ids and names are a wire format (peers of one build talk to each other) and the simulator's
     * trace hash records the id: pinned here.
     */
    @Test
    void builtInIdsAndNamesAreThoseOfTheWireFormat() {
        List<String> expected = List.of("1 inject", "2 broadcast", "3 batch", "4 token", "5 heartbeat", "6 heartbeat_ack",
                "7 membership", "8 app_request", "9 deltas", "10 digest", "11 delta_ack", "12 cache_request",
                "13 cache_response", "14 cache_sync", "15 cache_signal", "19 ihave", "20 graft", "21 prune",
                "22 dcache_request", "23 dcache_state", "24 dcache_query", "25 dcache_answer", "26 dcache_signal",
                "27 hpv_join", "28 hpv_forward_join", "29 hpv_neighbor", "30 hpv_neighbor_reply", "31 hpv_disconnect",
                "32 hpv_shuffle", "33 hpv_shuffle_reply", "34 hpv_keep_alive");
        List<String> actual = new ArrayList<>();
        for (MessageType<?> t : new BuiltInProtocols().messageTypes()) {
            actual.add(t.id() + " " + t.name());
        }
        assertEquals(expected, actual);
        assertEquals(MessageCodec.TYPE_INJECT, BroadcastMessage.INJECT.id());
        assertEquals(MessageCodec.TYPE_BROADCAST, BroadcastMessage.BROADCAST.id());
        assertEquals(MessageCodec.TYPE_BATCH, BroadcastMessage.BATCH.id());
        assertEquals(MessageCodec.TYPE_TOKEN, RingMessage.TOKEN.id());
        assertEquals(MessageCodec.TYPE_HEARTBEAT, RingMessage.HEARTBEAT.id());
        assertEquals(MessageCodec.TYPE_HEARTBEAT_ACK, RingMessage.HEARTBEAT_ACK.id());
        assertEquals(MessageCodec.TYPE_MEMBERSHIP, RingMessage.MEMBERSHIP.id());
        assertEquals(MessageCodec.TYPE_APP_REQUEST, ReplicaMessage.APP_REQUEST.id());
        assertEquals(MessageCodec.TYPE_DELTAS, ReplicaMessage.DELTAS.id());
        assertEquals(MessageCodec.TYPE_DIGEST, ReplicaMessage.DIGEST.id());
        assertEquals(MessageCodec.TYPE_DELTA_ACK, ReplicaMessage.DELTA_ACK.id());
        assertEquals(MessageCodec.TYPE_CACHE_REQUEST, CacheMessage.CACHE_REQUEST.id());
        assertEquals(MessageCodec.TYPE_CACHE_RESPONSE, CacheMessage.CACHE_RESPONSE.id());
        assertEquals(MessageCodec.TYPE_CACHE_SYNC, CacheMessage.CACHE_SYNC.id());
        assertEquals(MessageCodec.TYPE_CACHE_SIGNAL, CacheMessage.CACHE_SIGNAL.id());
        assertEquals("heartbeat_ack", MessageCodec.typeName(MessageCodec.TYPE_HEARTBEAT_ACK));
        assertEquals("unknown_200", MessageCodec.typeName((byte) 200));
    }

    @Test
    void everyMessageTypeSurvivesARoundTrip() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED);
        for (Map.Entry<Class<?>, Function<SplittableRandom, Message>> e : GENERATORS.entrySet()) {
            for (int i = 0; i < CASES; i++) {
                long seed = master.nextLong();
                Message m = e.getValue().apply(new SplittableRandom(seed));
                ByteBuffer frame = MessageCodec.encode(m);
                String why = e.getKey().getSimpleName() + " case seed " + seed;
                assertEquals(MessageCodec.encodedSize(m), frame.remaining(), "encodedSize disagrees with encode: " + why);
                assertEquals(MessageCodec.VERSION, frame.get(0), why);
                assertEquals(MessageCodec.type(m), frame.get(1), why);
                assertEquals(m, MessageCodec.decode(frame), why);
                assertEquals(0, frame.remaining(), "decode must consume the whole frame: " + why);
            }
        }
    }

    @Test
    void everyTruncatedFrameIsRejected() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED + 1);
        for (int i = 0; i < CASES / 4; i++) {
            long seed = master.nextLong();
            Message m = draw(new SplittableRandom(seed));
            byte[] frame = bytes(MessageCodec.encode(m));
            // Every strict prefix, sampled when the frame is long so that the test stays fast.
            int step = Math.max(1, frame.length / 64);
            for (int len = 0; len < frame.length; len += (len < 40 ? 1 : step)) {
                ByteBuffer prefix = ByteBuffer.wrap(Arrays.copyOf(frame, len));
                int cut = len;
                assertThrows(CodecException.class, () -> MessageCodec.decode(prefix),
                        () -> "prefix of " + cut + "/" + frame.length + " bytes of " + m + " decoded (case seed " + seed + ")");
            }
        }
    }

    @Test
    void trailingBytesAreRejected() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED + 2);
        for (int i = 0; i < CASES / 4; i++) {
            long seed = master.nextLong();
            Message m = draw(new SplittableRandom(seed));
            byte[] frame = bytes(MessageCodec.encode(m));
            byte[] longer = Arrays.copyOf(frame, frame.length + 1 + (int) (seed & 7));
            assertThrows(CodecException.class, () -> MessageCodec.decode(ByteBuffer.wrap(longer)),
                    "trailing bytes accepted after " + m + " (case seed " + seed + ")");
        }
    }

    @Test
    void unknownTypeByteIsRejected() {
        byte[] frame = bytes(MessageCodec.encode(new Message.Inject(7, new byte[] {1, 2})));
        for (int type = 0; type < 256; type++) {
            byte[] copy = frame.clone();
            copy[1] = (byte) type;
            if (ProtocolRegistry.standard().messageType(type) == null) {
                CodecException e = assertThrows(CodecException.class, () -> MessageCodec.decode(ByteBuffer.wrap(copy)));
                assertTrue(e.getMessage().contains("unknown message type " + (type & 0xff)), e.getMessage());
            }
        }
    }

    @Test
    void otherEncodingVersionsAreRejected() {
        byte[] frame = bytes(MessageCodec.encode(new Message.Broadcast(1, 2, 3, 4, new byte[3])));
        for (int version = 0; version < 256; version++) {
            if (version == MessageCodec.VERSION) {
                continue;
            }
            byte[] copy = frame.clone();
            copy[0] = (byte) version;
            CodecException e = assertThrows(CodecException.class, () -> MessageCodec.decode(ByteBuffer.wrap(copy)));
            assertTrue(e.getMessage().contains("version"), e.getMessage());
        }
    }

    @Test
    void hostileLengthsCostAnExceptionNotAnAllocation() {
        ByteBuffer inject = ByteBuffer.allocate(2 + 8 + 4);
        inject.put(MessageCodec.VERSION).put(MessageCodec.TYPE_INJECT).putLong(1).putInt(Integer.MAX_VALUE).flip();
        assertThrows(CodecException.class, () -> MessageCodec.decode(inject));

        ByteBuffer negative = ByteBuffer.allocate(2 + 8 + 4);
        negative.put(MessageCodec.VERSION).put(MessageCodec.TYPE_INJECT).putLong(1).putInt(-5).flip();
        assertThrows(CodecException.class, () -> MessageCodec.decode(negative));

        for (int count : new int[] {0, -1, Integer.MAX_VALUE}) {
            ByteBuffer batch = ByteBuffer.allocate(2 + 4 + 28);
            batch.put(MessageCodec.VERSION).put(MessageCodec.TYPE_BATCH).putInt(count).put(new byte[28]).flip();
            assertThrows(CodecException.class, () -> MessageCodec.decode(batch), "batch count " + count);
        }

        ByteBuffer tooLarge = ByteBuffer.allocate(MessageCodec.MAX_FRAME_BYTES + 1);
        assertThrows(CodecException.class, () -> MessageCodec.decode(tooLarge));
    }

    @Test
    void encodingAFrameOverTheCapFails() {
        Message big = new Message.Inject(1, new byte[MessageCodec.MAX_FRAME_BYTES]);
        assertThrows(IllegalArgumentException.class, () -> MessageCodec.encode(big));
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
