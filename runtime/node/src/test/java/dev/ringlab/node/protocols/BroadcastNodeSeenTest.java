package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.topology.Overlay;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The first-receipt broadcasts ({@code flood}, {@code ring}, {@code gossip}, {@code tree}) deliver each
 * broadcast id once whatever order ids and duplicates arrive in, id 0 included (the seen-set keeps its latest
 * two ids apart from the rest), whether a broadcast comes alone or in a {@link Message.Batch}; each delivery
 * carries the hop and origin it arrived with.
 */
class BroadcastNodeSeenTest {
    private static final List<String> SPECS = List.of("flood", "ring", "gossip:2", "tree");

    private static Overlay complete(int n) {
        int[][] adj = new int[n][];
        for (int v = 0; v < n; v++) {
            adj[v] = new int[n - 1];
            for (int u = 0, k = 0; u < n; u++) {
                if (u != v) {
                    adj[v][k++] = u;
                }
            }
        }
        return Overlay.fromAdjacency("complete", false, adj);
    }

    /** One seeded case: node 2 of the overlay, of a protocol drawn from {@link #SPECS}, started on a recording env. */
    private record Case(long seed, SplittableRandom random, String spec, RecordingEnv env, Node node) {
        static Case next(SplittableRandom master, Overlay overlay) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            String spec = SPECS.get(r.nextInt(SPECS.size()));
            RecordingEnv env = new RecordingEnv(2, 5, seed);
            Node node = Protocols.parse(spec).create(2, overlay);
            node.start(env);
            return new Case(seed, r, spec, env, node);
        }
    }

    @Test
    void eachIdIsDeliveredOnceInAnyOrderOfIdsDuplicatesAndBatches() {
        SplittableRandom master = new SplittableRandom(0xB0AD_0001L);
        Overlay overlay = complete(5);
        int deliveries = 0;
        for (int c = 0; c < 200; c++) {
            Case k0 = Case.next(master, overlay);
            long seed = k0.seed();
            SplittableRandom r = k0.random();
            String spec = k0.spec();
            RecordingEnv env = k0.env();
            Node node = k0.node();
            // A few small ids (0 among them) sent many times, alone or batched, in a random order.
            int distinct = 1 + r.nextInt(6);
            Map<Long, Integer> firstHop = new HashMap<>();
            List<Message.Broadcast> sent = new ArrayList<>();
            for (int k = 0; k < 12; k++) {
                long id = r.nextInt(distinct);
                int hop = 1 + r.nextInt(4);
                Message.Broadcast b = new Message.Broadcast(id, 0, 0, hop, new byte[0]);
                sent.add(b);
                if (r.nextInt(3) == 0 && k < 11) {
                    long id2 = r.nextInt(distinct);
                    Message.Broadcast b2 = new Message.Broadcast(id2, 0, 0, hop + 1, new byte[0]);
                    sent.add(b2);
                    k++;
                    node.onMessage(1, new Message.Batch(List.of(b, b2)));
                } else {
                    node.onMessage(1, b);
                }
            }
            for (Message.Broadcast b : sent) {
                firstHop.putIfAbsent(b.id(), b.hop());
            }
            List<Observation.Delivered> delivered = env.observed.stream()
                    .filter(o -> o instanceof Observation.Delivered).map(o -> (Observation.Delivered) o).toList();
            String why = spec + " order " + sent.stream().map(Message.Broadcast::id).toList() + " (seed " + seed + ")";
            assertEquals(firstHop.size(), delivered.size(), why + ": one delivery per distinct id");
            for (Observation.Delivered d : delivered) {
                assertEquals(firstHop.get(d.id()), d.hop(), why + ": hop of the first copy of " + d.id());
                assertEquals(2, d.node(), why);
            }
            deliveries += delivered.size();
        }
        assertTrue(deliveries > 200, "deliveries observed: " + deliveries);
    }

    /**
     * {@link Node#mightAct} (the simulator's prefetch hint) says false only where the node then sends nothing and
     * schedules nothing, and it does say false for copies of the latest two ids, the flood's common case.
     */
    @Test
    void theHintSaysFalseOnlyForCopiesThatChangeNothing() {
        SplittableRandom master = new SplittableRandom(0xB0AD_0002L);
        Overlay overlay = complete(5);
        int falseHints = 0;
        int trueHintsOnSeenIds = 0;
        for (int c = 0; c < 200; c++) {
            Case k0 = Case.next(master, overlay);
            long seed = k0.seed();
            SplittableRandom r = k0.random();
            String spec = k0.spec();
            RecordingEnv env = k0.env();
            Node node = k0.node();
            int distinct = 1 + r.nextInt(5);
            java.util.Set<Long> seen = new java.util.HashSet<>();
            for (int k = 0; k < 16; k++) {
                Message m;
                int from = 1;
                int kind = r.nextInt(8);
                if (kind == 0) {
                    m = new Message.Inject(100 + k, new byte[0]);
                    from = Env.CLIENT;
                } else if (kind == 1) {
                    m = new Message.Batch(List.of(new Message.Broadcast(r.nextInt(distinct), 0, 0, 1, new byte[0]),
                            new Message.Broadcast(r.nextInt(distinct), 0, 0, 2, new byte[0])));
                } else {
                    m = new Message.Broadcast(r.nextInt(distinct), 0, 0, 1 + r.nextInt(3), new byte[0]);
                }
                boolean hint = node.mightAct(from, m);
                int sentBefore = env.sent.size();
                int timersBefore = env.timers.size();
                node.onMessage(from, m);
                String why = spec + " message " + k + " " + m.getClass().getSimpleName() + " (seed " + seed + ")";
                if (!hint) {
                    falseHints++;
                    assertEquals(sentBefore, env.sent.size(), why + ": sent after a false hint");
                    assertEquals(timersBefore, env.timers.size(), why + ": scheduled after a false hint");
                } else if (m instanceof Message.Broadcast b && seen.contains(b.id())) {
                    trueHintsOnSeenIds++;
                }
                if (m instanceof Message.Broadcast b) {
                    seen.add(b.id());
                } else if (m instanceof Message.Batch batch) {
                    batch.items().forEach(b -> seen.add(b.id()));
                } else if (m instanceof Message.Inject inject) {
                    seen.add(inject.id());
                }
            }
        }
        assertTrue(falseHints > 500, "false hints: " + falseHints);
        // Only ids older than a node's latest two, kept in a set the hint does not read, are answered with true.
        assertTrue(trueHintsOnSeenIds < falseHints, "true hints on seen ids " + trueHintsOnSeenIds);
    }

    @Test
    void idZeroThenOthersThenZeroAgainIsNotDeliveredTwice() {
        for (String spec : SPECS) {
            for (long[] order : new long[][] {{0, 5, 0}, {3, 0, 7, 0}, {0, 3, 7, 9, 0, 3, 7, 9}}) {
                RecordingEnv env = new RecordingEnv(2, 5, 1);
                Node node = Protocols.parse(spec).create(2, complete(5));
                node.start(env);
                for (long id : order) {
                    node.onMessage(1, new Message.Broadcast(id, 1, 0, 1, new byte[0]));
                }
                long distinct = java.util.Arrays.stream(order).distinct().count();
                long delivered = env.observed.stream().filter(o -> o instanceof Observation.Delivered).count();
                assertEquals(distinct, delivered, spec + " ids " + java.util.Arrays.toString(order));
            }
        }
    }

    @Test
    void anInjectIsDeliveredAtItsOriginAtHopZeroAndABatchRelaysEachItem() {
        for (String spec : SPECS) {
            RecordingEnv env = new RecordingEnv(2, 5, 1);
            env.nowNanos = 7_000;
            Node node = Protocols.parse(spec).create(2, complete(5));
            node.start(env);
            node.onMessage(Env.CLIENT, new Message.Inject(4, new byte[] {1}));
            Observation.Delivered d = (Observation.Delivered) env.observed.get(0);
            assertEquals(new Observation.Delivered(2, 4, 2, 0, 7_000, 7_000), d, spec);
            int afterInject = env.sent.size();
            assertTrue(afterInject > 0, spec + ": the origin sends its broadcast on");
            node.onMessage(1, new Message.Batch(List.of(new Message.Broadcast(8, 1, 0, 1, new byte[0]),
                    new Message.Broadcast(9, 1, 0, 1, new byte[0]))));
            long delivered = env.observed.stream().filter(o -> o instanceof Observation.Delivered).count();
            assertEquals(3, delivered, spec + ": both batch items delivered");
            if (!spec.equals("ring")) {
                // flood, gossip and tree relay each item they deliver (ring only from the origin's side).
                assertTrue(env.sent.size() > afterInject, spec + ": batch items relayed");
            }
        }
    }

    /**
     * In a stream (each broadcast's copies arrive before the next broadcast), the hint says false for every copy
     * after the first, the tenth broadcast's as well as the first's: the fields keep the latest two ids; and a
     * node's {@link Node#dropsSeenBroadcasts} holds: a copy of an older id, answered true, is still dropped.
     */
    @Test
    void inAStreamEveryLaterCopyIsHintedFalseAndAnOldIdIsStillDropped() {
        for (String spec : SPECS) {
            RecordingEnv env = new RecordingEnv(2, 5, 1);
            Node node = Protocols.parse(spec).create(2, complete(5));
            node.start(env);
            assertTrue(node.dropsSeenBroadcasts(), spec);
            for (long id = 0; id < 10; id++) {
                Message.Broadcast b = new Message.Broadcast(id, 1, 0, 1, new byte[0]);
                assertTrue(node.mightAct(1, b), spec + ": first copy of " + id);
                node.onMessage(1, b);
                for (int copy = 0; copy < 3; copy++) {
                    assertTrue(!node.mightAct(3, b), spec + ": a later copy of " + id);
                    int sentBefore = env.sent.size();
                    node.onMessage(3, b);
                    assertEquals(sentBefore, env.sent.size(), spec + ": a later copy of " + id + " sent nothing");
                }
            }
            int sentBefore = env.sent.size();
            long deliveredBefore = env.observed.stream().filter(o -> o instanceof Observation.Delivered).count();
            node.onMessage(3, new Message.Broadcast(0, 1, 0, 1, new byte[0]));
            assertEquals(sentBefore, env.sent.size(), spec + ": the oldest id again");
            assertEquals(deliveredBefore, env.observed.stream().filter(o -> o instanceof Observation.Delivered).count(),
                    spec + ": the oldest id again, not delivered");
            assertEquals(10, deliveredBefore, spec + ": ten broadcasts delivered once each");
        }
    }
}
