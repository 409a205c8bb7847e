package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.Observation;
import dev.ringlab.node.ReplicaMessage;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link DeltaReplicator} on the ring, nodes driven by hand: deltas riding the token (who acknowledges, where
 * a delta leaves the payload, hostile payloads, the frame cap, the traffic it counts), and hop-by-hop
 * forwarding to the successor or, when the ring skips suspected nodes, to each of them.
 */
class DeltaTokenPayloadTest {
    private static final long MS = 1_000_000L;
    private static final long SEED = 0xDE17A7L;
    private static final long START = 100;
    private static final long EPOCH = 5;

    private static DeltaReplicator.Settings ring(DeltaReplicator.Via via) {
        return new DeltaReplicator.Settings(DeltaReplicator.Mode.RING, 50 * MS, 100 * MS, RecoveryConfig.defaults(), via);
    }

    private record Entry(int hops, Message.Delta delta) {}

    private static final class Bus {
        final RecordingEnv env;
        final ConfigBus bus;
        /** Bytes and count of the loaded tokens this node sent, and of its other messages (its own traffic). */
        Bus(int self, Overlay o, DeltaReplicator.Via via) {
            env = new RecordingEnv(self, o.size(), SEED + self);
            env.nowNanos = START;
            bus = new ConfigBus(self, o, ring(via));
            bus.start(env);
            // Heard from every other node, as a node of a running ring has: a ring node passes the token only to a
            // successor it has heard from since it started (HealingRing, "Passing on a link that is up").
            for (int v = 0; v < o.size(); v++) {
                if (v != self) {
                    bus.onMessage(v, new Message.HeartbeatAck(1, START, EPOCH, 0, Long.MIN_VALUE));
                }
            }
        }

        /** Delivers a token with {@code payload} from {@code from}; returns the token this node passed on. */
        Message.Token visit(int from, byte[] payload) {
            int mark = env.sent.size();
            bus.onMessage(from, new Message.Token(EPOCH, 1, 0, 0, 0, 0, payload));
            Message.Token out = null;
            for (int i = mark; i < env.sent.size(); i++) {
                if (env.sent.get(i).message() instanceof Message.Token t) {
                    out = t;
                }
            }
            assertNotNull(out, "the token was passed on");
            return out;
        }

        int sentAcks(int to) {
            int c = 0;
            for (RecordingEnv.Sent s : env.sent) {
                if (s.to() == to && s.message() instanceof Message.DeltaAck) {
                    c++;
                }
            }
            return c;
        }
    }

    private static byte[] encode(List<Entry> entries) {
        int size = 4;
        for (Entry e : entries) {
            size += 4 + ReplicaMessage.deltaSize(e.delta());
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.putInt(entries.size());
        for (Entry e : entries) {
            b.putInt(e.hops());
            ReplicaMessage.putDelta(e.delta(), b);
        }
        return b.array();
    }

    private static List<Entry> decode(byte[] payload) {
        List<Entry> out = new ArrayList<>();
        if (payload.length == 0) {
            return out;
        }
        ByteBuffer b = ByteBuffer.wrap(payload);
        int count = b.getInt();
        for (int i = 0; i < count; i++) {
            int hops = b.getInt();
            out.add(new Entry(hops, ReplicaMessage.getDelta(b)));
        }
        assertEquals(0, b.remaining());
        return out;
    }

    private static Message.Delta put(int node, long seq, String key, String value) {
        return new Message.Delta(new Message.Dot(node, START, seq), seq, Message.Delta.OP_PUT, key, value, List.of());
    }

    @Test
    void aDeltaGoesRoundOnceIsAcknowledgedByTheFirstNodeAfterItsOriginAndLeavesThePayloadThere() {
        Overlay o = Topologies.build("complete", 3, SEED);
        Bus[] b = {new Bus(0, o, DeltaReplicator.Via.TOKEN), new Bus(1, o, DeltaReplicator.Via.TOKEN),
                new Bus(2, o, DeltaReplicator.Via.TOKEN)};
        b[0].bus.onMessage(-1, new Message.ConfigPut("a", "1"));
        Message.Token t0 = b[0].visit(2, new byte[0]);
        List<Entry> p0 = decode(t0.payload());
        assertEquals(1, p0.size());
        assertEquals(0, p0.get(0).hops());
        assertEquals(new Message.Dot(0, START, 1), p0.get(0).delta().dot());
        Message.Token t1 = b[1].visit(0, t0.payload());
        assertEquals("1", b[1].bus.get("a"));
        assertEquals(1, b[1].sentAcks(0), "the first node after the origin acknowledges");
        assertEquals(1, decode(t1.payload()).get(0).hops());
        Message.Token t2 = b[2].visit(1, t1.payload());
        assertEquals("1", b[2].bus.get("a"));
        assertEquals(0, b[2].sentAcks(0), "later nodes do not");
        assertEquals(2, decode(t2.payload()).get(0).hops());
        // Back at its origin the delta leaves the payload, and the origin does not append it again.
        Message.Token t3 = b[0].visit(2, t2.payload());
        assertEquals(0, t3.payload().length);
        assertEquals(0, b[0].visit(2, new byte[0]).payload().length);
        b[0].bus.onMessage(1, new Message.DeltaAck(new Message.Dot(0, START, 1)));
        assertEquals(1, b[0].bus.ackedPrefix());
        assertTrue(b[0].env.observed.stream().anyMatch(x -> x instanceof Observation.DeltaAcked a && a.replica() == 1
                && a.seq() == 1), "acknowledged to the client naming replica 1");
        // Node 1's traffic: its ack, the loaded token it passed on, and its anti-entropy digests.
        b[1].env.advanceTo(START + 60 * MS);
        long messages = 0;
        long bytes = 0;
        for (RecordingEnv.Sent s : b[1].env.sent) {
            if (s.message() instanceof ReplicaMessage m) {
                messages++;
                bytes += MessageCodec.encodedSize(m);
            } else if (s.message() instanceof Message.Token t && t.payload().length > 0) {
                messages++;
                bytes += t.payload().length;
            }
        }
        List<Observation.AppTraffic> traffic = new ArrayList<>();
        for (Observation x : b[1].env.observed) {
            if (x instanceof Observation.AppTraffic a) {
                traffic.add(a);
            }
        }
        assertEquals(1, traffic.size());
        assertEquals(messages, traffic.get(0).messages());
        assertEquals(bytes, traffic.get(0).bytes());
    }

    @Test
    void aDeltaWhoseOriginIsGoneLeavesAfterNHopsAndForeignOrBrokenPayloadsAreIgnored() {
        Overlay o = Topologies.build("complete", 3, SEED);
        Bus one = new Bus(1, o, DeltaReplicator.Via.TOKEN);
        // Seq 1 has travelled 1 hop, seq 2 arrives with its 3rd (n = 3): applied, but it leaves the payload.
        Message.Token out = one.visit(0, encode(List.of(new Entry(1, put(2, 1, "a", "x")), new Entry(2, put(2, 2, "a", "y")))));
        assertEquals("y", one.bus.get("a"));
        List<Entry> kept = decode(out.payload());
        assertEquals(1, kept.size());
        assertEquals(2, kept.get(0).hops());
        assertEquals(1, kept.get(0).delta().dot().seq());
        // A delta from no node of this cluster: skipped and dropped.
        long applied = one.bus.appliedCount();
        out = one.visit(0, encode(List.of(new Entry(0, put(3, 1, "b", "x")))));
        assertEquals(applied, one.bus.appliedCount());
        assertEquals(0, decode(out.payload()).size());
        assertNull(one.bus.get("b"));
        // A truncated payload (two entries announced, one and a half there): dropped whole.
        byte[] good = encode(List.of(new Entry(0, put(0, 1, "c", "x")), new Entry(0, put(0, 2, "c", "y"))));
        byte[] cut = java.util.Arrays.copyOf(good, good.length - 5);
        out = one.visit(0, cut);
        assertEquals(applied, one.bus.appliedCount());
        assertNull(one.bus.get("c"));
        assertEquals(0, out.payload().length);
        // A gap: the node the token came from is asked for the missing deltas.
        int mark = one.env.sent.size();
        one.visit(2, encode(List.of(new Entry(0, put(0, 3, "d", "x")))));
        assertNull(one.bus.get("d"));
        List<Integer> pulls = new ArrayList<>();
        for (int i = mark; i < one.env.sent.size(); i++) {
            if (one.env.sent.get(i).message() instanceof Message.Digest d && !d.reply()) {
                pulls.add(one.env.sent.get(i).to());
            }
        }
        assertEquals(List.of(2), pulls);
    }

    @Test
    void aTokenNeverExceedsTheFrameCapAndCarriesAsManyOwnDeltasAsFit() {
        Overlay o = Topologies.build("complete", 3, SEED);
        Bus zero = new Bus(0, o, DeltaReplicator.Via.TOKEN);
        String big = "v".repeat(60_000);
        for (int i = 0; i < 20; i++) {
            zero.bus.onMessage(-1, new Message.ConfigPut("k" + i, big));
        }
        int own = 4 + ReplicaMessage.deltaSize(put(0, 1, "k10", big));
        Message.Token t = zero.visit(2, new byte[0]);
        List<Entry> first = decode(t.payload());
        assertTrue(MessageCodec.encodedSize(t) <= MessageCodec.MAX_FRAME_BYTES, "token of " + MessageCodec.encodedSize(t));
        assertTrue(MessageCodec.encodedSize(t) + own > MessageCodec.MAX_FRAME_BYTES, "room was left: " + first.size());
        // The rest on the next visit, which also carries others' deltas (these stay, and take room).
        List<Entry> foreign = new ArrayList<>();
        for (int s = 1; s <= 5; s++) {
            foreign.add(new Entry(0, put(1, s, "f" + s, big)));
        }
        Message.Token u = zero.visit(2, encode(foreign));
        List<Entry> second = decode(u.payload());
        assertTrue(MessageCodec.encodedSize(u) <= MessageCodec.MAX_FRAME_BYTES);
        assertEquals(5, second.stream().filter(e -> e.delta().dot().node() == 1).count());
        long mine = second.stream().filter(e -> e.delta().dot().node() == 0).count();
        assertTrue(mine > 0 && (mine == 20 - first.size() || MessageCodec.encodedSize(u) + own > MessageCodec.MAX_FRAME_BYTES),
                "second visit carried " + mine + " own deltas in " + MessageCodec.encodedSize(u) + " B");
        Message.Token w = zero.visit(2, new byte[0]);
        assertEquals(20, first.size() + mine + decode(w.payload()).size(), "each own delta appended once");
    }

    @Test
    void hopByHopDeltasGoToTheSuccessorOnlyOrToEveryNodeTheRingSkips() {
        Overlay o = Topologies.build("complete", 3, SEED);
        Bus zero = new Bus(0, o, DeltaReplicator.Via.HOP);
        zero.bus.onMessage(-1, new Message.ConfigPut("a", "1"));
        List<Integer> to = new ArrayList<>();
        for (RecordingEnv.Sent s : zero.env.sent) {
            if (s.message() instanceof Message.Deltas) {
                to.add(s.to());
            }
        }
        assertEquals(List.of(1), to);
        // Nobody answers heartbeats: both successors are suspected, and the node sends to each of them.
        for (long t = START; t <= START + 500 * MS; t += MS) {
            zero.env.advanceTo(t);
        }
        assertEquals(-1, zero.bus.ring().successor());
        int mark = zero.env.sent.size();
        zero.bus.onMessage(-1, new Message.ConfigPut("b", "2"));
        to.clear();
        for (int i = mark; i < zero.env.sent.size(); i++) {
            if (zero.env.sent.get(i).message() instanceof Message.Deltas) {
                to.add(zero.env.sent.get(i).to());
            }
        }
        assertEquals(List.of(1, 2), to);
    }
}
