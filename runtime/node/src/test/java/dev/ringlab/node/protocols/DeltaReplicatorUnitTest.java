package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.Observation;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@link DeltaReplicator} (as the {@link ConfigBus}) one node at a time on a hand-driven clock, in flood mode
 * so that no ring traffic blurs the picture: gap pulls and their rate limit, digest answers, the resend of
 * unacknowledged deltas (timeout, per-round cap), acknowledgement order, batching, the traffic it reports,
 * and a state hash compared with an independent computation of its definition.
 */
class DeltaReplicatorUnitTest {
    private static final long MS = 1_000_000L;
    private static final long SEED = 0xDE17AL;
    private static final long AE = 50 * MS;
    private static final long ACK = 100 * MS;

    private static DeltaReplicator.Settings flood() {
        return new DeltaReplicator.Settings(DeltaReplicator.Mode.FLOOD, AE, ACK, null);
    }

    /** One node of an {@code n}-node complete overlay, started at {@code startNanos}. */
    private static final class One {
        final RecordingEnv env;
        final ConfigBus bus;

        One(int self, int n, long startNanos) {
            this(self, Topologies.build("complete", n, SEED), startNanos);
        }

        One(int self, Overlay overlay, long startNanos) {
            env = new RecordingEnv(self, overlay.size(), SEED + self);
            env.nowNanos = startNanos;
            bus = new ConfigBus(self, overlay, flood());
            bus.start(env);
        }

        /** Runs every timer due up to {@code t}, each at its own time. */
        void runTo(long t) {
            while (true) {
                long next = Long.MAX_VALUE;
                for (RecordingEnv.Scheduled s : env.timers) {
                    if (!s.cancelled()[0] && s.atNanos() < next) {
                        next = s.atNanos();
                    }
                }
                if (next > t) {
                    break;
                }
                env.advanceTo(next);
            }
            env.nowNanos = t;
        }

        /** The first anti-entropy round after start. */
        long firstRound() {
            long first = Long.MAX_VALUE;
            for (RecordingEnv.Scheduled s : env.timers) {
                if (!s.cancelled()[0]) {
                    first = Math.min(first, s.atNanos());
                }
            }
            return first;
        }

        <T extends Message> List<RecordingEnv.Sent> sent(int from, Class<T> type) {
            List<RecordingEnv.Sent> out = new ArrayList<>();
            for (int i = from; i < env.sent.size(); i++) {
                if (type.isInstance(env.sent.get(i).message())) {
                    out.add(env.sent.get(i));
                }
            }
            return out;
        }

        <T extends Observation> List<T> observed(Class<T> type) {
            List<T> out = new ArrayList<>();
            for (Observation o : env.observed) {
                if (type.isInstance(o)) {
                    out.add(type.cast(o));
                }
            }
            return out;
        }
    }

    private static Message.Delta put(int node, long inc, long seq, long lamport, String key, String value) {
        return new Message.Delta(new Message.Dot(node, inc, seq), lamport, Message.Delta.OP_PUT, key, value, List.of());
    }

    private static int items(List<RecordingEnv.Sent> deltas) {
        int c = 0;
        for (RecordingEnv.Sent s : deltas) {
            c += ((Message.Deltas) s.message()).items().size();
        }
        return c;
    }

    @Test
    void aGapIsPulledFromTheSenderAtMostOncePerQuarterRoundAndADuplicateIsNoGap() {
        One one = new One(1, 4, 0);
        int mark = one.env.sent.size();
        one.bus.onMessage(2, new Message.Deltas(List.of(put(3, 0, 1, 1, "a", "x"))));
        one.bus.onMessage(2, new Message.Deltas(List.of(put(3, 0, 1, 1, "a", "x")))); // a duplicate
        assertEquals(List.of(), one.sent(mark, Message.Digest.class), "in order and duplicate: no pull");
        one.bus.onMessage(2, new Message.Deltas(List.of(put(3, 0, 3, 3, "a", "z")))); // seq 2 is missing
        List<RecordingEnv.Sent> pulls = one.sent(mark, Message.Digest.class);
        assertEquals(1, pulls.size());
        assertEquals(2, pulls.get(0).to());
        Message.Digest d = (Message.Digest) pulls.get(0).message();
        assertFalse(d.reply());
        assertEquals(List.of(new Message.Dot(3, 0, 1)), d.heads(), "heads: the contiguous prefix per source");
        assertEquals(1, one.bus.bufferedCount());
        // More gaps from the same sender within a quarter round: no more pulls; from another sender: one.
        one.env.nowNanos = AE / 4 - 1;
        one.bus.onMessage(2, new Message.Deltas(List.of(put(3, 0, 4, 4, "b", "z"))));
        assertEquals(1, one.sent(mark, Message.Digest.class).size());
        one.bus.onMessage(0, new Message.Deltas(List.of(put(3, 0, 5, 5, "b", "y"))));
        assertEquals(2, one.sent(mark, Message.Digest.class).size());
        one.env.nowNanos = AE / 4;
        one.bus.onMessage(2, new Message.Deltas(List.of(put(3, 0, 6, 6, "c", "z"))));
        assertEquals(3, one.sent(mark, Message.Digest.class).size(), "a quarter round later the sender is asked again");
        // The gap filled: everything applies in order.
        one.bus.onMessage(2, new Message.Deltas(List.of(put(3, 0, 2, 2, "a", "y"))));
        assertEquals(0, one.bus.bufferedCount());
        assertEquals(6, one.bus.appliedCount());
        assertEquals("z", one.bus.get("a"));
        assertEquals("y", one.bus.get("b"));
    }

    @Test
    void aDigestIsAnsweredWithWhatThePeerLacksAndADigestBackOnlyIfThePeerHasMore() {
        One one = new One(1, 4, 0);
        for (int s = 1; s <= 3; s++) {
            one.bus.onMessage(3, new Message.Deltas(List.of(put(3, 0, s, s, "k" + s, "v"))));
        }
        int mark = one.env.sent.size();
        // The peer has 3's first delta and as many of 2's as this node (none): push 3's 2..3, no digest back.
        one.bus.onMessage(0, new Message.Digest(false, List.of(new Message.Dot(3, 0, 1))));
        List<RecordingEnv.Sent> push = one.sent(mark, Message.Deltas.class);
        assertEquals(1, push.size());
        assertEquals(List.of(2L, 3L), ((Message.Deltas) push.get(0).message()).items().stream()
                .map(d -> d.dot().seq()).toList());
        assertEquals(List.of(), one.sent(mark, Message.Digest.class));
        // Equal heads: nothing to push, nothing to ask.
        mark = one.env.sent.size();
        one.bus.onMessage(0, new Message.Digest(false, List.of(new Message.Dot(3, 0, 3))));
        assertEquals(List.of(), one.sent(mark, Message.Deltas.class));
        assertEquals(List.of(), one.sent(mark, Message.Digest.class));
        // The peer has more of 3's (and of 2's, unknown here): one digest back, a reply.
        mark = one.env.sent.size();
        one.bus.onMessage(0, new Message.Digest(false, List.of(new Message.Dot(2, 0, 1), new Message.Dot(3, 0, 4))));
        List<RecordingEnv.Sent> back = one.sent(mark, Message.Digest.class);
        assertEquals(1, back.size());
        assertEquals(0, back.get(0).to());
        assertTrue(((Message.Digest) back.get(0).message()).reply());
        assertEquals(List.of(new Message.Dot(3, 0, 3)), ((Message.Digest) back.get(0).message()).heads());
        // A reply is never answered with a digest.
        mark = one.env.sent.size();
        one.bus.onMessage(0, new Message.Digest(true, List.of(new Message.Dot(3, 0, 9))));
        assertEquals(List.of(), one.sent(mark, Message.Digest.class));
    }

    @Test
    void unacknowledgedDeltasAreResentAtTheAckTimeoutAtMost256PerRoundAndAcknowledgedInOrder() {
        // Node 1 of 2: its only anti-entropy peer is node 0.
        One one = new One(1, 2, 7 * MS);
        assertEquals(7 * MS, one.bus.incarnation());
        assertNull(one.bus.ring());
        long p = one.firstRound();
        assertTrue(p > 7 * MS && p <= 7 * MS + AE, "first round at " + p);
        one.runTo(p);
        int mark = one.env.sent.size();
        for (int i = 0; i < 300; i++) {
            one.bus.onMessage(-1, new Message.ConfigPut("k" + i, "v" + i));
        }
        assertEquals(300, items(one.sent(mark, Message.Deltas.class)), "each sent first-hand once");
        mark = one.env.sent.size();
        one.runTo(p + AE); // 50 ms old: not yet
        assertEquals(0, items(one.sent(mark, Message.Deltas.class)));
        mark = one.env.sent.size();
        one.runTo(p + 2 * AE); // exactly the ack timeout: resent, 256 of them
        List<RecordingEnv.Sent> resent = one.sent(mark, Message.Deltas.class);
        assertEquals(256, items(resent));
        assertTrue(resent.stream().allMatch(s -> s.to() == 0));
        mark = one.env.sent.size();
        one.runTo(p + 3 * AE); // the other 44, still due since the first send
        assertEquals(44, items(one.sent(mark, Message.Deltas.class)));
        // Acks: the client hears of each delta in sequence order, once every earlier one is acknowledged.
        long inc = one.bus.incarnation();
        one.bus.onMessage(0, new Message.DeltaAck(new Message.Dot(1, inc, 2)));
        assertEquals(0, one.bus.ackedPrefix());
        assertEquals(List.of(), one.observed(Observation.DeltaAcked.class));
        one.bus.onMessage(0, new Message.DeltaAck(new Message.Dot(1, inc, 1)));
        one.bus.onMessage(0, new Message.DeltaAck(new Message.Dot(1, inc, 1))); // repeated
        one.bus.onMessage(0, new Message.DeltaAck(new Message.Dot(1, inc - 1, 3))); // a former incarnation's
        assertEquals(2, one.bus.ackedPrefix());
        List<Observation.DeltaAcked> acked = one.observed(Observation.DeltaAcked.class);
        assertEquals(List.of(1L, 2L), acked.stream().map(Observation.DeltaAcked::seq).toList());
        assertTrue(acked.stream().allMatch(a -> a.replica() == 0 && a.incarnation() == inc));
        // Acknowledged deltas are not resent any more.
        for (long s = 3; s <= 300; s++) {
            one.bus.onMessage(0, new Message.DeltaAck(new Message.Dot(1, inc, s)));
        }
        assertEquals(300, one.bus.ackedPrefix());
        mark = one.env.sent.size();
        one.runTo(p + 10 * AE);
        assertEquals(0, items(one.sent(mark, Message.Deltas.class)));
    }

    @Test
    void theTrafficReportCountsEverySentMessageAndItsBytesOncePerRoundThatSentSomething() {
        One one = new One(0, 3, 0);
        long p = one.firstRound();
        one.bus.onMessage(-1, new Message.ConfigPut("a", "1"));
        one.bus.onMessage(1, new Message.Deltas(List.of(put(2, 0, 2, 5, "b", "2")))); // a gap: a pull
        one.runTo(p);
        List<Observation.AppTraffic> t = one.observed(Observation.AppTraffic.class);
        assertEquals(1, t.size());
        long bytes = 0;
        for (RecordingEnv.Sent s : one.env.sent) {
            bytes += MessageCodec.encodedSize(s.message());
        }
        assertEquals(one.env.sent.size(), t.get(0).messages());
        assertEquals(bytes, t.get(0).bytes());
        assertEquals(p, t.get(0).atNanos());
        // Every round sends a digest, so every round reports, with the new totals.
        one.runTo(p + AE);
        t = one.observed(Observation.AppTraffic.class);
        assertEquals(2, t.size());
        assertEquals(one.env.sent.size(), t.get(1).messages());
    }

    @Test
    void aBatchStaysUnder64KiBExceptASingleLargerDelta() {
        One one = new One(1, 2, 0);
        String big = "x".repeat(1_000);
        for (int s = 1; s <= 200; s++) {
            one.bus.onMessage(0, new Message.Deltas(List.of(put(0, 0, s, s, "k" + s, big))));
        }
        // Larger than a batch on its own (key and value 40,000 characters each).
        String huge = "y".repeat(40_000);
        one.bus.onMessage(0, new Message.Deltas(List.of(put(0, 0, 201, 201, "h".repeat(40_000), huge))));
        int mark = one.env.sent.size();
        one.bus.onMessage(0, new Message.Digest(true, List.of()));
        List<RecordingEnv.Sent> push = one.sent(mark, Message.Deltas.class);
        assertEquals(201, items(push));
        List<Long> seqs = new ArrayList<>();
        for (RecordingEnv.Sent s : push) {
            Message.Deltas d = (Message.Deltas) s.message();
            assertFalse(d.items().isEmpty());
            if (d.items().size() > 1) {
                assertTrue(MessageCodec.encodedSize(d) <= 64 * 1024 + 64, "batch of " + MessageCodec.encodedSize(d) + " B");
            }
            d.items().forEach(x -> seqs.add(x.dot().seq()));
        }
        // 200 deltas of ~1 KiB fit in 4 batches of at most 64 KiB, then the large one alone.
        assertEquals(5, push.size());
        List<Long> expect = new ArrayList<>();
        for (long s = 1; s <= 201; s++) {
            expect.add(s);
        }
        assertEquals(expect, seqs, "in order, each once");
    }

    @Test
    void nodeIdsAreCheckedAndFloodNodesStopCleanly() {
        Overlay o = Topologies.build("complete", 3, SEED);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ConfigBus(3, o, flood()));
        assertTrue(e.getMessage().contains("0..2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ConfigBus(-1, o, flood()));
        One one = new One(2, 3, 0);
        one.bus.stop();
        assertThrows(IllegalArgumentException.class, () -> new DeltaReplicator.Settings(DeltaReplicator.Mode.FLOOD, 0, 1, null));
        assertThrows(IllegalArgumentException.class, () -> new DeltaReplicator.Settings(DeltaReplicator.Mode.FLOOD, 1, 0, null));
        assertEquals(1, new DeltaReplicator.Settings(DeltaReplicator.Mode.FLOOD, 1, 1, null).antiEntropyNanos());
        IllegalArgumentException v = assertThrows(IllegalArgumentException.class,
                () -> DeltaReplicator.Settings.parse("flood;ae=50ms,ack=100ms,via=hop"));
        assertTrue(v.getMessage().contains("via=hop"), v.getMessage());
    }

    // ---- the state hash -----------------------------------------------------------------------------------

    /** Last writer wins per key: the highest (lamport, origin node, incarnation). */
    private static TreeMap<String, Message.Delta> winners(List<Message.Delta> deltas) {
        TreeMap<String, Message.Delta> winners = new TreeMap<>();
        for (Message.Delta d : deltas) {
            Message.Delta w = winners.get(d.key());
            if (w == null || d.lamport() > w.lamport() || d.lamport() == w.lamport()
                    && (d.dot().node() > w.dot().node() || d.dot().node() == w.dot().node()
                    && d.dot().incarnation() > w.dot().incarnation())) {
                winners.put(d.key(), d);
            }
        }
        return winners;
    }

    private static Map<String, String> expectedConfig(List<Message.Delta> deltas) {
        Map<String, String> out = new TreeMap<>();
        winners(deltas).forEach((k, d) -> out.put(k, d.value()));
        return out;
    }

    /** The documented state hash of a config bus holding {@code deltas}, computed from its definition. */
    private static long expectedConfigHash(List<Message.Delta> deltas) {
        TreeMap<String, Message.Delta> winners = winners(deltas);
        Map<Message.Dot, Long> heads = new HashMap<>();
        for (Message.Delta d : deltas) {
            heads.merge(new Message.Dot(d.dot().node(), d.dot().incarnation(), 0), d.dot().seq(), Math::max);
        }
        long app = 0;
        for (Message.Delta d : winners.values()) {
            app += DeltaReplicator.Hashes.mix(DeltaReplicator.Hashes.mix(DeltaReplicator.Hashes.of(d.key()),
                    DeltaReplicator.Hashes.of(d.value())), DeltaReplicator.Hashes.of(d.dot()));
        }
        long h = 0;
        for (Map.Entry<Message.Dot, Long> e : heads.entrySet()) {
            h += DeltaReplicator.Hashes.mix(DeltaReplicator.Hashes.mix(DeltaReplicator.Hashes.mix(0x5EED,
                    e.getKey().node()), e.getKey().incarnation()), e.getValue());
        }
        return DeltaReplicator.Hashes.mix(app, h);
    }

    @Test
    void replicasThatAppliedTheSameDeltasInAnyOrderHoldTheSameConfigAndHashAndOthersDoNot() {
        SplittableRandom master = new SplittableRandom(SEED);
        Map<Long, String> byHash = new HashMap<>();
        for (int c = 0; c < 300; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            // Up to 3 sources (two incarnations of node 2), each a prefix of its deltas; few keys and lamport
            // stamps, so conflicts and exact ties (broken by node, then incarnation) are common.
            List<Message.Delta> all = new ArrayList<>();
            int[][] sources = {{0, 0}, {2, 0}, {2, 1}};
            for (int[] s : sources) {
                int count = r.nextInt(4);
                long lamport = 0;
                for (int q = 1; q <= count; q++) {
                    lamport += 1 + r.nextInt(2); // increasing at an origin, often equal across origins
                    all.add(put(s[0], s[1], q, lamport, "k" + r.nextInt(3), "v" + r.nextInt(2)));
                }
            }
            One a = new One(1, 3, 100);
            One b = new One(1, 3, 100);
            List<Message.Delta> shuffled = new ArrayList<>(all);
            Collections.shuffle(shuffled, new java.util.Random(seed));
            // a gets them in order, b in a random order (gaps buffered and filled).
            for (Message.Delta d : all) {
                a.bus.onMessage(0, new Message.Deltas(List.of(d)));
            }
            for (Message.Delta d : shuffled) {
                b.bus.onMessage(0, new Message.Deltas(List.of(d)));
            }
            String why = "seed " + seed + ", deltas " + all;
            assertEquals(all.size(), a.bus.appliedCount(), why);
            assertEquals(all.size(), b.bus.appliedCount(), why);
            assertEquals(expectedConfig(all), a.bus.snapshot(), why);
            assertEquals(expectedConfig(all), b.bus.snapshot(), why);
            long expected = expectedConfigHash(all);
            assertEquals(expected, a.bus.stateHash(), why);
            assertEquals(expected, b.bus.stateHash(), why);
            List<Observation.StateHash> reports = b.observed(Observation.StateHash.class);
            assertFalse(reports.isEmpty(), why);
            assertEquals(expected, reports.get(reports.size() - 1).hash(), why);
            assertEquals(all.size(), reports.get(reports.size() - 1).deltas(), why);
            // Different delta sets (a dot names one delta: its lamport stamp is its own), different hashes.
            List<String> canon = all.stream().map(d -> d.dot().toString()).sorted()
                    .toList();
            String prev = byHash.putIfAbsent(expected, canon.toString());
            assertTrue(prev == null || prev.equals(canon.toString()), "hash collision: " + prev + " vs " + canon + ", " + why);
        }
        assertTrue(byHash.size() > 100, "distinct states " + byHash.size());
    }

    @Test
    void theHashHelpersSeparateDistinctInputs() {
        SplittableRandom r = new SplittableRandom(SEED);
        Map<Long, String> strings = new HashMap<>();
        Map<Long, Message.Dot> dots = new HashMap<>();
        Map<Long, Long> mixes = new HashMap<>();
        for (int i = 0; i < 20_000; i++) {
            StringBuilder sb = new StringBuilder();
            int len = r.nextInt(6);
            for (int k = 0; k < len; k++) {
                sb.append((char) ('a' + r.nextInt(4)));
            }
            String s = sb.toString();
            String prev = strings.putIfAbsent(DeltaReplicator.Hashes.of(s), s);
            assertTrue(prev == null || prev.equals(s), "seed " + SEED + ": '" + prev + "' and '" + s + "' collide");
            Message.Dot d = new Message.Dot(r.nextInt(8), r.nextInt(4), r.nextInt(8));
            Message.Dot pd = dots.putIfAbsent(DeltaReplicator.Hashes.of(d), d);
            assertTrue(pd == null || pd.equals(d), "seed " + SEED + ": " + pd + " and " + d + " collide");
            long h = r.nextLong(64);
            long v = r.nextLong(64);
            Long pm = mixes.putIfAbsent(DeltaReplicator.Hashes.mix(h, v), h * 64 + v);
            assertTrue(pm == null || pm == h * 64 + v, "seed " + SEED + ": mix collision");
        }
        assertTrue(strings.size() > 1_000 && dots.size() > 200 && mixes.size() > 3_000);
        assertNotEquals(DeltaReplicator.Hashes.of(""), 0L);
        assertNotNull(DeltaReplicator.DOT_ORDER);
    }
}
