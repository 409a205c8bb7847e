package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.topology.Overlay;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ProtocolsTest {
    private static final List<String> SPECS = List.of("ring", "flood", "gossip:1", "gossip:3", "tree", "batched:2ms",
            "batched:0ms");

    /** Node 0 has a multi-edge to 1 (three times), a self-loop, and plain edges to 2 and 3. */
    private static Overlay multigraph() {
        return Overlay.fromAdjacency("multi", false, new int[][] {
            {1, 0, 1, 2, 1, 0, 3}, {0, 0, 0, 2}, {0, 1}, {0}
        });
    }

    @Test
    void parseRoundTripsEveryValidSpec() {
        for (String spec : SPECS) {
            assertEquals(spec, Protocols.parse(spec).spec());
        }
        assertEquals("batched:2ms", Protocols.parse("batched").spec());
        assertEquals("batched:500us", Protocols.parse("batched:0.5ms").spec());
        assertEquals("gossip:4", Protocols.parse(" GOSSIP:4 ").spec());
    }

    @Test
    void parseRejectsBadSpecsListingTheValidOnes() {
        for (String bad : List.of("", "flod", "gossip", "gossip:0", "gossip:-1", "gossip:x", "batched:2", "batched:ms",
                "batched:-1ms", "tree:3", "ring:1")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Protocols.parse(bad), bad);
            assertTrue(e.getMessage().contains("gossip:F") || e.getMessage().contains("fanout"), e.getMessage());
        }
    }

    @Test
    void parseReturnsFreshTreeProtocolsSoClustersShareNoCache() {
        assertNotSame(Protocols.parse("tree"), Protocols.parse("tree"));
        assertNotSame(Protocols.parse("batched:1ms"), Protocols.parse("batched:1ms"));
    }

    @Test
    void noProtocolSendsTwiceToOneNeighbourOrToItselfOnAMultigraph() {
        Overlay overlay = multigraph();
        for (String spec : SPECS) {
            Protocol protocol = Protocols.parse(spec);
            for (int self = 0; self < overlay.size(); self++) {
                for (int from : new int[] {Env.CLIENT, 0, 1, 2, 3}) {
                    if (from == self) {
                        continue;
                    }
                    RecordingEnv env = new RecordingEnv(self, overlay.size(), 7);
                    Node node = protocol.create(self, overlay);
                    node.start(env);
                    Message m = from == Env.CLIENT
                            ? new Message.Inject(5, new byte[0])
                            : new Message.Broadcast(5, from, 0, 1, new byte[0]);
                    node.onMessage(from, m);
                    env.advanceTo(1_000_000_000L);
                    Set<Integer> targets = new HashSet<>();
                    for (RecordingEnv.Sent s : env.sent) {
                        assertTrue(targets.add(s.to()), spec + " at node " + self + " (from " + from + ") sent twice to "
                                + s.to() + ": " + env.sent);
                    }
                }
            }
        }
    }

    @Test
    void floodSendsOnceToEachDistinctPeerButTheSender() {
        RecordingEnv env = new RecordingEnv(0, 4, 1);
        Node node = Flood.PROTOCOL.create(0, multigraph());
        node.start(env);
        node.onMessage(2, new Message.Broadcast(9, 2, 0, 1, new byte[0]));
        assertEquals(List.of(1, 3), env.sent.stream().map(RecordingEnv.Sent::to).toList());
    }

    @Test
    void gossipPushesToMinOfFanoutAndEligiblePeers() {
        Overlay overlay = multigraph(); // node 0 has 3 distinct peers
        for (int fanout = 1; fanout <= 5; fanout++) {
            RecordingEnv env = new RecordingEnv(0, 4, fanout);
            Node node = Gossip.protocol(fanout).create(0, overlay);
            node.start(env);
            node.onMessage(Env.CLIENT, new Message.Inject(1, new byte[0]));
            assertEquals(Math.min(fanout, 3), env.sent.size(), "fanout " + fanout + " from the origin");

            RecordingEnv relay = new RecordingEnv(0, 4, fanout);
            Node other = Gossip.protocol(fanout).create(0, overlay);
            other.start(relay);
            other.onMessage(1, new Message.Broadcast(1, 1, 0, 1, new byte[0]));
            assertEquals(Math.min(fanout, 2), relay.sent.size(), "fanout " + fanout + " at a relay excludes the sender");
            assertTrue(relay.sent.stream().noneMatch(s -> s.to() == 1), "gossip pushed back to the sender");
        }
    }

    @Test
    void everyProtocolDeliversOnceAndIgnoresDuplicates() {
        Overlay overlay = multigraph();
        for (String spec : SPECS) {
            RecordingEnv env = new RecordingEnv(3, 4, 3);
            Node node = Protocols.parse(spec).create(3, overlay);
            node.start(env);
            Message.Broadcast b = new Message.Broadcast(11, 0, 0, 1, new byte[0]);
            node.onMessage(0, b);
            node.onMessage(0, b);
            env.advanceTo(10_000_000L);
            long delivered = env.observed.stream().filter(o -> o instanceof Observation.Delivered).count();
            assertEquals(1, delivered, spec);
        }
    }

    @Test
    void ringHandsTheBroadcastToTheSuccessorAndStopsBeforeTheOrigin() {
        RecordingEnv env = new RecordingEnv(2, 5, 1);
        Node node = Ring.PROTOCOL.create(2, multigraph());
        node.start(env);
        node.onMessage(Env.CLIENT, new Message.Inject(1, new byte[0]));
        assertEquals(List.of(3), env.sent.stream().map(RecordingEnv.Sent::to).toList());

        RecordingEnv last = new RecordingEnv(1, 5, 1);
        Node before = new Ring(5);
        before.start(last);
        before.onMessage(0, new Message.Broadcast(1, 2, 0, 4, new byte[0]));
        assertTrue(last.sent.isEmpty(), "the node before the origin must not send the broadcast home");
    }

    @Test
    void batchedRootHoldsBroadcastsForOneWindowThenSendsOneBatchPerChild() {
        // Star around node 0: the BFS tree from 0 is the star itself, node 0 is the root.
        Overlay star = Overlay.fromAdjacency("star", false, new int[][] {{1, 2, 3}, {0}, {0}, {0}});
        RecordingEnv env = new RecordingEnv(0, 4, 1);
        Node root = Protocols.parse("batched:2ms").create(0, star);
        root.start(env);
        root.onMessage(Env.CLIENT, new Message.Inject(1, new byte[0]));
        env.nowNanos = 500_000L;
        root.onMessage(1, new Message.Broadcast(2, 1, 400_000L, 1, new byte[0]));
        env.nowNanos = 1_999_999L;
        root.onMessage(Env.CLIENT, new Message.Inject(3, new byte[0]));
        assertTrue(env.sent.isEmpty(), "the root sent before its window closed: " + env.sent);
        env.advanceTo(2_000_000L);
        assertEquals(3, env.sent.size(), "one message per child: " + env.sent);
        for (RecordingEnv.Sent s : env.sent) {
            Message.Batch batch = (Message.Batch) s.message();
            assertEquals(List.of(1L, 2L, 3L), batch.items().stream().map(Message.Broadcast::id).toList());
            assertEquals(List.of(1, 2, 1), batch.items().stream().map(Message.Broadcast::hop).toList());
        }
        env.advanceTo(10_000_000L);
        assertEquals(3, env.sent.size(), "an empty window must send nothing");
    }

    @Test
    void spanningTreeIsAForestRootedAtEachComponentsSmallestId() {
        // Components {0,1,2} and {3,4}; node 5 isolated.
        Overlay overlay = Overlay.fromAdjacency("two", false, new int[][] {{1}, {0, 2}, {1}, {4}, {3}, {}});
        SpanningTree tree = new SpanningTree.Cache().of(overlay);
        assertEquals(List.of(-1, 0, 1, -1, 3, -1), List.of(tree.parent(0), tree.parent(1), tree.parent(2),
                tree.parent(3), tree.parent(4), tree.parent(5)));
        assertEquals(2, tree.maxDepth());
    }

    @Test
    void spanningTreeOfADirectedRingUsesArcsBothWays() {
        int n = 6;
        int[][] adj = new int[n][];
        for (int v = 0; v < n; v++) {
            adj[v] = new int[] {(v + 1) % n};
        }
        SpanningTree tree = new SpanningTree.Cache().of(Overlay.fromAdjacency("ring", true, adj));
        assertEquals(3, tree.maxDepth(), "BFS over the ring taken as undirected reaches the far side in n/2 hops");
        assertEquals(5, tree.parent(4));
    }
}
