package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.HyParViewMessage.Disconnect;
import dev.ringlab.node.protocols.HyParViewMessage.ForwardJoin;
import dev.ringlab.node.protocols.HyParViewMessage.Join;
import dev.ringlab.node.protocols.HyParViewMessage.KeepAlive;
import dev.ringlab.node.protocols.HyParViewMessage.Neighbor;
import dev.ringlab.node.protocols.HyParViewMessage.NeighborReply;
import dev.ringlab.node.protocols.HyParViewMessage.Shuffle;
import dev.ringlab.node.protocols.HyParViewMessage.ShuffleReply;
import dev.ringlab.topology.Overlay;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * One {@link HyParView} node driven by hand through a {@link RecordingEnv}: the exact messages it sends and the
 * views it keeps for joins, forward-join walks, neighbour requests, disconnects, shuffles, keep-alives, failure
 * and repair; plus the bounds of {@link HyParView.Config} and {@link HyParView.Allowed}. Loops over seeds name
 * the seed in the assertion message.
 */
class HyParViewNodeTest {
    private static final long MS = 1_000_000L;
    private static final long HB = 50 * MS;
    private static final long SUSPECT = 200 * MS;
    private static final long GRACE = 1000 * MS;

    private static HyParView.Config cfg(int active, int passive, int arwl, int prwl, int ka, int kp) {
        return new HyParView.Config(active, passive, arwl, prwl, ka, kp, 1000 * MS, HB, SUSPECT, GRACE,
                Plumtree.Config.defaults());
    }

    private static Overlay complete(int n) {
        int[][] adj = new int[n][];
        for (int v = 0; v < n; v++) {
            int self = v;
            adj[v] = java.util.stream.IntStream.range(0, n).filter(u -> u != self).toArray();
        }
        return Overlay.fromAdjacency("complete", false, adj);
    }

    /** 0-2, 0-3, 2-3, 2-4; node 1 is isolated. */
    private static Overlay sparse() {
        return Overlay.fromAdjacency("sparse", false, new int[][] {{2, 3}, {}, {0, 3, 4}, {0, 2}, {2}});
    }

    private static final class H {
        final RecordingEnv env;
        final HyParView node;
        final long firstTick;
        final long firstShuffle;

        H(int self, Overlay overlay, HyParView.Config config, long seed) {
            env = new RecordingEnv(self, overlay.size(), seed);
            node = new HyParView(self, new HyParView.Allowed(overlay), config);
            node.start(env);
            // start schedules the tick, then the shuffle timer, last.
            firstTick = env.timers.get(env.timers.size() - 2).atNanos();
            firstShuffle = env.timers.get(env.timers.size() - 1).atNanos();
        }

        /** Makes {@code peers} active neighbours (the end of their join walks) and forgets what was sent. */
        H active(int... peers) {
            for (int p : peers) {
                node.onMessage(p, new Neighbor(Neighbor.FORCED));
            }
            env.sent.clear();
            return this;
        }

        /** Puts {@code nodes} into the passive view through a shuffle that ends here, sent by {@code from}. */
        H passive(int from, int... nodes) {
            node.onMessage(from, new Shuffle(from, 0, nodes));
            env.sent.clear();
            return this;
        }

        List<RecordingEnv.Sent> sent(Class<? extends Message> type) {
            return env.sent.stream().filter(s -> type.isInstance(s.message())).toList();
        }

        List<HyParView.ActiveViewChange> changes() {
            List<HyParView.ActiveViewChange> out = new ArrayList<>();
            for (Observation o : env.observed) {
                if (o instanceof HyParView.ActiveViewChange c) {
                    out.add(c);
                }
            }
            return out;
        }
    }

    private static Set<Integer> set(int... v) {
        return new TreeSet<>(Arrays.stream(v).boxed().toList());
    }

    @Test
    void aJoinIntoAFullViewEvictsOneNeighbourToThePassiveViewAndReportsEveryChange() {
        for (long seed = 0; seed < 10; seed++) {
            H h = new H(0, complete(10), cfg(2, 5, 4, 2, 3, 4), seed);
            h.active(1, 2);
            assertEquals(List.of(new HyParView.ActiveViewChange(0, 1, true, 0), new HyParView.ActiveViewChange(0, 2, true, 0)),
                    h.changes(), "seed " + seed);
            h.env.nowNanos = 7;
            h.node.onMessage(3, new Join());
            List<RecordingEnv.Sent> disconnects = h.sent(Disconnect.class);
            assertEquals(1, disconnects.size(), "seed " + seed);
            int evicted = disconnects.get(0).to();
            int kept = evicted == 1 ? 2 : 1;
            assertTrue(evicted == 1 || evicted == 2, "seed " + seed);
            assertArrayEquals(new int[] {kept, 3}, h.node.activeView(), "seed " + seed);
            assertArrayEquals(new int[] {evicted}, h.node.passiveView(), "seed " + seed);
            assertEquals(List.of(new RecordingEnv.Sent(kept, new ForwardJoin(3, 4))), h.sent(ForwardJoin.class), "seed " + seed);
            List<HyParView.ActiveViewChange> c = h.changes();
            assertEquals(List.of(new HyParView.ActiveViewChange(0, evicted, false, 7), new HyParView.ActiveViewChange(0, 3, true, 7)),
                    c.subList(2, c.size()), "seed " + seed);
        }
    }

    private static int[] sorted(int[] a) {
        int[] b = a.clone();
        Arrays.sort(b);
        return b;
    }

    @Test
    void aDisconnectMovesTheNeighbourToThePassiveViewAndAsksForAReplacement() {
        H h = new H(0, complete(10), cfg(2, 5, 4, 2, 3, 4), 1).active(1, 2);
        h.node.onMessage(1, new Disconnect());
        assertArrayEquals(new int[] {2}, h.node.activeView());
        assertArrayEquals(new int[] {1}, h.node.passiveView());
        assertEquals(new HyParView.ActiveViewChange(0, 1, false, 0), h.changes().get(h.changes().size() - 1));
        // The view is one short and no request was ever refused: a low-priority request goes out at once.
        assertEquals(List.of(new RecordingEnv.Sent(1, new Neighbor(Neighbor.LOW))), h.env.sent);

        // A disconnect from a node that is no neighbour changes nothing.
        h.env.sent.clear();
        int changes = h.changes().size();
        h.node.onMessage(5, new Disconnect());
        assertArrayEquals(new int[] {2}, h.node.activeView());
        assertArrayEquals(new int[] {1}, h.node.passiveView());
        assertEquals(List.of(), h.env.sent);
        assertEquals(changes, h.changes().size());
    }

    @Test
    void aKeepAliveFromANodeThatIsNoNeighbourIsAnsweredWithADisconnect() {
        H h = new H(0, complete(10), cfg(3, 5, 4, 2, 3, 4), 1).active(1).passive(1, 4);
        h.node.onMessage(5, new KeepAlive());
        assertEquals(List.of(new RecordingEnv.Sent(5, new Disconnect())), h.env.sent);
        h.env.sent.clear();
        h.node.onMessage(1, new KeepAlive()); // a neighbour
        assertEquals(List.of(), h.env.sent);
        // Make 4 a pending request: the first tick asks it.
        h.env.advanceTo(h.firstTick);
        assertEquals(List.of(new RecordingEnv.Sent(4, new Neighbor(Neighbor.LOW))), h.sent(Neighbor.class));
        h.env.sent.clear();
        h.node.onMessage(4, new KeepAlive()); // asked, not yet answered: it may already hold this node
        assertEquals(List.of(), h.env.sent);
        H s = new H(0, sparse(), cfg(3, 5, 4, 2, 3, 4), 1);
        s.env.sent.clear();
        s.node.onMessage(4, new KeepAlive()); // not an overlay neighbour: no link to answer on
        assertEquals(List.of(), s.env.sent);
    }

    private static Set<Integer> joinTargets(int self, Overlay overlay) {
        Set<Integer> targets = new TreeSet<>();
        for (long seed = 0; seed < 40; seed++) {
            H h = new H(self, overlay, cfg(3, 5, 4, 2, 3, 4), seed);
            for (RecordingEnv.Sent s : h.sent(Join.class)) {
                targets.add(s.to());
            }
            assertTrue(h.sent(Join.class).size() <= 1, "seed " + seed);
        }
        return targets;
    }

    @Test
    void aStartingNodeJoinsThroughAnOverlayNeighbourOfLowerIdIfItHasOne() {
        assertEquals(set(0), joinTargets(2, sparse()));
        assertEquals(set(0, 2), joinTargets(3, sparse()));
        assertEquals(set(2), joinTargets(4, sparse())); // every peer is lower
        assertEquals(set(2, 3), joinTargets(0, sparse())); // no lower peer: any
        assertEquals(set(), joinTargets(1, sparse())); // no peer at all
        assertEquals(set(0, 1, 2, 3), joinTargets(4, complete(6)));
        assertEquals(set(), joinTargets(0, complete(6)));
        assertEquals(set(0), joinTargets(1, complete(2)));
    }

    @Test
    void aNodeThatKnowsNobodyJoinsAgainThroughAnyOverlayNeighbour() {
        Set<Integer> targets = new TreeSet<>();
        for (long seed = 0; seed < 40; seed++) {
            H h = new H(0, complete(5), cfg(3, 5, 4, 2, 3, 4), seed);
            assertEquals(List.of(), h.env.sent, "seed " + seed);
            h.env.advanceTo(h.firstTick);
            List<RecordingEnv.Sent> joins = h.sent(Join.class);
            assertEquals(1, joins.size(), "seed " + seed);
            targets.add(joins.get(0).to());
            assertArrayEquals(new int[] {joins.get(0).to()}, h.node.activeView(), "seed " + seed);
        }
        assertEquals(set(1, 2, 3, 4), targets);
        H two = new H(0, complete(2), cfg(3, 5, 4, 2, 3, 4), 3);
        two.env.advanceTo(two.firstTick);
        assertEquals(List.of(new RecordingEnv.Sent(1, new Join())), two.sent(Join.class));
        H sparse = new H(0, sparse(), cfg(3, 5, 4, 2, 3, 4), 3);
        assertEquals(1, sparse.sent(Join.class).size());
    }

    @Test
    void aSilentNeighbourIsDroppedAtTheFirstTickPastGraceAndTheLoneNodeJoinsAgain() {
        for (long seed = 0; seed < 5; seed++) {
            H h = new H(1, complete(2), cfg(3, 5, 4, 2, 3, 4), seed);
            assertEquals(List.of(new RecordingEnv.Sent(0, new Join())), h.sent(Join.class), "seed " + seed);
            long t = h.firstTick;
            while (h.changes().size() < 2 && t < 10 * GRACE) {
                h.env.advanceTo(t);
                t += HB;
            }
            HyParView.ActiveViewChange down = h.changes().get(1);
            assertFalse(down.up(), "seed " + seed);
            assertTrue(down.atNanos() > GRACE && down.atNanos() <= GRACE + HB, "seed " + seed + ": " + down);
            // Failed: not kept in the passive view; with nobody left it joins again at once.
            assertEquals(2, h.sent(Join.class).size(), "seed " + seed);
            assertEquals(new HyParView.ActiveViewChange(1, 0, true, down.atNanos()), h.changes().get(2), "seed " + seed);
            assertArrayEquals(new int[0], h.node.passiveView(), "seed " + seed);
        }
    }

    @Test
    void anIdleLinkGetsAKeepAliveEveryTickAndABusyOneNone() {
        H h = new H(0, complete(10), cfg(3, 5, 4, 2, 3, 4), 2).active(1);
        long t = h.firstTick;
        for (int k = 0; k < 4; k++) {
            h.env.sent.clear();
            h.env.advanceTo(t + k * HB);
            assertEquals(List.of(new RecordingEnv.Sent(1, new KeepAlive())), h.sent(KeepAlive.class), "tick " + k);
            h.node.onMessage(1, new KeepAlive()); // heard: no suspicion
        }
        // Something else goes to 1 between ticks: the next tick needs no keep-alive for it.
        h.env.nowNanos = t + 3 * HB + HB / 2;
        h.node.onMessage(2, new Join());
        assertEquals(List.of(new RecordingEnv.Sent(1, new ForwardJoin(2, 4))), h.sent(ForwardJoin.class));
        h.env.sent.clear();
        h.env.advanceTo(t + 4 * HB);
        assertEquals(List.of(new RecordingEnv.Sent(2, new KeepAlive())), h.sent(KeepAlive.class));
    }

    @Test
    void anUnansweredRequestForgetsThePassiveNodeOnlyAfterSuspect() {
        H h = new H(0, complete(10), cfg(2, 5, 4, 2, 3, 4), 2).active(1).passive(1, 4);
        long t0 = h.firstTick;
        h.env.advanceTo(t0);
        assertEquals(List.of(new RecordingEnv.Sent(4, new Neighbor(Neighbor.LOW))), h.sent(Neighbor.class));
        for (int k = 1; k <= 4; k++) { // now - asked <= suspect
            h.env.advanceTo(t0 + k * HB);
            h.node.onMessage(1, new KeepAlive());
            assertArrayEquals(new int[] {4}, h.node.passiveView(), "tick " + k);
        }
        h.env.advanceTo(t0 + 5 * HB);
        assertArrayEquals(new int[0], h.node.passiveView());
        assertEquals(1, h.sent(Neighbor.class).size());
    }

    @Test
    void aRefusalHoldsBackLowPriorityRequestsForSuspect() {
        H h = new H(0, complete(10), cfg(3, 5, 4, 2, 3, 4), 4).active(1).passive(1, 4, 5, 6);
        long t0 = h.firstTick;
        h.env.advanceTo(t0);
        List<RecordingEnv.Sent> asked = h.sent(Neighbor.class);
        assertEquals(2, asked.size()); // one per missing neighbour
        assertNotEquals(asked.get(0).to(), asked.get(1).to());
        for (RecordingEnv.Sent s : asked) {
            assertEquals(new Neighbor(Neighbor.LOW), s.message());
            assertTrue(set(4, 5, 6).contains(s.to()), s.toString());
        }
        h.env.sent.clear();
        h.env.nowNanos = t0 + MS;
        h.node.onMessage(asked.get(0).to(), new NeighborReply(false));
        assertEquals(List.of(), h.sent(Neighbor.class));
        for (int k = 1; k <= 4; k++) { // t0 + 4 hb < t0 + 1 ms + suspect
            h.env.advanceTo(t0 + k * HB);
            h.node.onMessage(1, new KeepAlive());
            assertEquals(List.of(), h.sent(Neighbor.class), "tick " + k);
        }
        h.env.advanceTo(t0 + 5 * HB);
        assertFalse(h.sent(Neighbor.class).isEmpty());
    }

    @Test
    void aNodeWithoutNeighboursAsksWithHighPriorityAndAsksAgainAtOnceWhenRefused() {
        H h = new H(0, complete(10), cfg(2, 5, 4, 2, 3, 4), 4).passive(1, 4, 5, 6);
        assertArrayEquals(new int[] {4, 5, 6}, h.node.passiveView());
        h.env.advanceTo(h.firstTick);
        List<RecordingEnv.Sent> asked = h.sent(Neighbor.class);
        assertEquals(2, asked.size());
        for (RecordingEnv.Sent s : asked) {
            assertEquals(new Neighbor(Neighbor.HIGH), s.message());
        }
        h.env.sent.clear();
        h.node.onMessage(asked.get(0).to(), new NeighborReply(false));
        List<RecordingEnv.Sent> again = h.sent(Neighbor.class);
        assertEquals(1, again.size());
        assertEquals(new Neighbor(Neighbor.HIGH), again.get(0).message());
        assertNotEquals(asked.get(1).to(), again.get(0).to());
        h.node.onMessage(asked.get(1).to(), new NeighborReply(true));
        assertArrayEquals(new int[] {asked.get(1).to()}, h.node.activeView());
        assertEquals(2, h.node.passiveView().length);
    }

    @Test
    void aForwardJoinWithPrwlHopsLeftPutsTheJoinerInThePassiveViewAndWalksOn() {
        Set<Integer> targets = new TreeSet<>();
        for (long seed = 0; seed < 30; seed++) {
            H h = new H(0, complete(10), cfg(4, 5, 4, 2, 3, 4), seed).active(1, 2, 4);
            h.node.onMessage(1, new ForwardJoin(7, 2));
            assertArrayEquals(new int[] {7}, h.node.passiveView(), "seed " + seed);
            assertArrayEquals(new int[] {1, 2, 4}, h.node.activeView(), "seed " + seed);
            assertEquals(1, h.env.sent.size(), "seed " + seed);
            RecordingEnv.Sent s = h.env.sent.get(0);
            assertEquals(new ForwardJoin(7, 1), s.message(), "seed " + seed);
            targets.add(s.to());
        }
        assertEquals(set(2, 4), targets);
        // A full passive view makes room: it never grows past its size.
        for (long seed = 0; seed < 10; seed++) {
            H full = new H(0, complete(10), cfg(4, 2, 4, 2, 3, 4), seed).active(1, 2, 4).passive(1, 5, 6);
            assertArrayEquals(new int[] {5, 6}, full.node.passiveView(), "seed " + seed);
            full.node.onMessage(1, new ForwardJoin(7, 2));
            int[] view = full.node.passiveView();
            assertEquals(2, view.length, "seed " + seed);
            assertEquals(7, view[1], "seed " + seed);
        }
        H other = new H(0, complete(10), cfg(4, 5, 4, 2, 3, 4), 1).active(1, 2, 4);
        other.node.onMessage(1, new ForwardJoin(7, 3));
        assertArrayEquals(new int[0], other.node.passiveView());
        assertEquals(new ForwardJoin(7, 2), other.env.sent.get(0).message());
        other.env.sent.clear();
        other.node.onMessage(1, new ForwardJoin(0, 3)); // the joiner itself
        assertEquals(List.of(), other.env.sent);
    }

    @Test
    void aForwardJoinEndsWhereTheWalkRunsOutOrTheNodeHasOneNeighbour() {
        // Node 0 of a complete overlay joins nobody at start; node 1 joins node 0.
        H one = new H(0, complete(10), cfg(4, 5, 4, 2, 3, 4), 1).active(1);
        one.node.onMessage(1, new ForwardJoin(7, 3));
        assertEquals(List.of(new RecordingEnv.Sent(7, new Neighbor(Neighbor.FORCED))), one.env.sent);
        assertArrayEquals(new int[] {1, 7}, one.node.activeView());

        // The only other neighbour is node 0: the walk goes on to it.
        // The lone neighbour is not the sender (a walk from a node that dropped this one): the walk still ends.
        H stranger = new H(0, complete(10), cfg(4, 5, 4, 2, 3, 4), 1).active(1);
        stranger.node.onMessage(5, new ForwardJoin(7, 3));
        assertEquals(List.of(new RecordingEnv.Sent(7, new Neighbor(Neighbor.FORCED))), stranger.env.sent);
        assertArrayEquals(new int[] {1, 7}, stranger.node.activeView());

        H zero = new H(1, complete(10), cfg(4, 5, 4, 2, 3, 4), 1).active(2);
        assertArrayEquals(new int[] {0, 2}, zero.node.activeView());
        zero.node.onMessage(2, new ForwardJoin(7, 3));
        assertEquals(List.of(new RecordingEnv.Sent(0, new ForwardJoin(7, 2))), zero.env.sent);
        assertArrayEquals(new int[] {0, 2}, zero.node.activeView());

        H end = new H(0, complete(10), cfg(4, 5, 4, 2, 3, 4), 1).active(1, 2, 4);
        end.node.onMessage(1, new ForwardJoin(7, 0));
        assertEquals(List.of(new RecordingEnv.Sent(7, new Neighbor(Neighbor.FORCED))), end.env.sent);
        // A joiner this node may not link to (no overlay edge: id 99 is outside the overlay) is never taken in,
        // and a walk that ran out stops here.
        end.env.sent.clear();
        end.node.onMessage(1, new ForwardJoin(99, 0));
        assertEquals(List.of(), end.env.sent);
        H lone = new H(0, complete(10), cfg(4, 5, 4, 2, 3, 4), 1).active(1);
        lone.node.onMessage(1, new ForwardJoin(99, 3));
        assertEquals(List.of(), lone.env.sent);
        assertArrayEquals(new int[] {1}, lone.node.activeView());
    }

    @Test
    void aShuffleEndsAtANodeWithOneNeighbourOrNoHopsLeftAndIsMergedThere() {
        // One neighbour (not the sender): the walk ends here.
        H h = new H(0, complete(10), cfg(4, 5, 4, 2, 3, 4), 1).active(2).passive(2, 8);
        h.node.onMessage(1, new Shuffle(5, 3, new int[] {5, 6, 7}));
        assertEquals(List.of(new RecordingEnv.Sent(5, new ShuffleReply(new int[] {8}))), h.env.sent);
        assertArrayEquals(new int[] {5, 6, 7, 8}, h.node.passiveView());

        H none = new H(0, complete(10), cfg(4, 5, 4, 2, 3, 4), 1).active(1, 2, 3);
        none.node.onMessage(1, new Shuffle(5, 0, new int[] {5, 6}));
        assertEquals(List.of(new RecordingEnv.Sent(5, new ShuffleReply(new int[0]))), none.env.sent);
        assertArrayEquals(new int[] {5, 6}, none.node.passiveView());

        none.env.sent.clear();
        none.node.onMessage(1, new Shuffle(5, 2, new int[] {5, 9}));
        assertEquals(1, none.env.sent.size());
        RecordingEnv.Sent fwd = none.env.sent.get(0);
        assertEquals(new Shuffle(5, 1, new int[] {5, 9}), fwd.message());
        assertTrue(fwd.to() == 2 || fwd.to() == 3, fwd.toString());
        assertArrayEquals(new int[] {5, 6}, none.node.passiveView());
    }

    @Test
    void aShuffleCarriesThisNodeItsOtherNeighboursAndItsPassiveView() {
        for (long seed = 0; seed < 10; seed++) {
            H h = new H(0, complete(10), cfg(2, 5, 4, 2, 3, 4), seed).active(1, 2).passive(1, 4, 5);
            h.env.advanceTo(h.firstShuffle);
            List<RecordingEnv.Sent> shuffles = h.sent(Shuffle.class);
            assertEquals(1, shuffles.size(), "seed " + seed);
            Shuffle sh = (Shuffle) shuffles.get(0).message();
            int to = shuffles.get(0).to();
            assertEquals(0, sh.origin(), "seed " + seed);
            assertEquals(4, sh.ttl(), "seed " + seed);
            assertEquals(0, sh.nodes()[0], "seed " + seed);
            assertArrayEquals(new int[] {0, to == 1 ? 2 : 1, 4, 5}, sorted(sh.nodes()), "seed " + seed);
            // The answer is merged; a full passive view evicts first what the shuffle sent.
            h.node.onMessage(to, new ShuffleReply(new int[] {6, 7, 8, 9}));
            // (it carried this node, then its other neighbour, then its passive ids: the first of those goes)
            assertArrayEquals(new int[] {sh.nodes()[3], 6, 7, 8, 9}, h.node.passiveView(), "seed " + seed);
        }
    }

    private static void assertArrayEquals(int[] expected, int[] actual, String message) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, message);
    }

    private static void assertArrayEquals(int[] expected, int[] actual) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual,
                () -> "expected " + Arrays.toString(expected) + " got " + Arrays.toString(actual));
    }

    @Test
    void aStoppedNodeSendsNothingNotEvenItsBroadcastLayersAnnouncements() {
        // A lazy window of 10 ms: the announcement to the pruned neighbour waits on a Plumtree timer.
        HyParView.Config c = new HyParView.Config(2, 5, 4, 2, 3, 4, 1000 * MS, HB, SUSPECT, GRACE,
                new Plumtree.Config(10 * MS, 0, 100 * MS, 0, true));
        for (boolean stop : new boolean[] {true, false}) {
            H h = new H(0, complete(10), c, 1).active(1, 2);
            h.node.onMessage(2, new PlumtreeMessage.Prune(3));
            h.node.onMessage(1, new Message.Broadcast(1, 3, 0, 1, new byte[0]));
            assertEquals(List.of(), h.env.sent);
            if (stop) {
                h.node.stop();
            }
            h.env.advanceTo(10 * GRACE);
            assertEquals(!stop, !h.sent(PlumtreeMessage.IHave.class).isEmpty(), "stopped " + stop);
            assertEquals(!stop, !h.env.sent.isEmpty(), "stopped " + stop);
        }
    }

    @Test
    void configBoundsAreInclusive() {
        int max = HyParViewMessage.MAX_NODES;
        Plumtree.Config p = Plumtree.Config.defaults();
        long hour = 3_600_000_000_000L;
        // valid edges
        new HyParView.Config(1, 1, 1, 0, 0, 0, 1, 1, 1, 1, p);
        new HyParView.Config(1024, max, 64, 64, 0, max - 1, hour, 1, 1, hour, p);
        new HyParView.Config(1, 1, 1, 1, max - 1, 0, 1, 1, 1, 1, p);
        new HyParView.Config(1, 1, 1, 1, 1, max - 2, 1, 1, 1, 1, p);
        for (Runnable bad : List.<Runnable>of(
                () -> new HyParView.Config(0, 1, 1, 0, 0, 0, 1, 1, 1, 1, p),
                () -> new HyParView.Config(1025, 1, 1, 0, 0, 0, 1, 1, 1, 1, p),
                () -> new HyParView.Config(1, 0, 1, 0, 0, 0, 1, 1, 1, 1, p),
                () -> new HyParView.Config(1, max + 1, 1, 0, 0, 0, 1, 1, 1, 1, p),
                () -> new HyParView.Config(1, 1, 0, 0, 0, 0, 1, 1, 1, 1, p),
                () -> new HyParView.Config(1, 1, 65, 0, 0, 0, 1, 1, 1, 1, p),
                () -> new HyParView.Config(1, 1, 1, -1, 0, 0, 1, 1, 1, 1, p),
                () -> new HyParView.Config(1, 1, 1, 2, 0, 0, 1, 1, 1, 1, p),
                () -> new HyParView.Config(1, 1, 1, 0, -1, 0, 1, 1, 1, 1, p),
                () -> new HyParView.Config(1, 1, 1, 0, 0, -1, 1, 1, 1, 1, p),
                () -> new HyParView.Config(1, 1, 1, 0, 0, max, 1, 1, 1, 1, p),
                () -> new HyParView.Config(1, 1, 1, 0, max, 0, 1, 1, 1, 1, p),
                () -> new HyParView.Config(1, 1, 1, 0, 1, max - 1, 1, 1, 1, 1, p),
                () -> new HyParView.Config(1, 1, 1, 0, 0, 0, 0, 1, 1, 1, p),
                () -> new HyParView.Config(1, 1, 1, 0, 0, 0, 1, 0, 1, 1, p),
                () -> new HyParView.Config(1, 1, 1, 0, 0, 0, hour + 1, 1, 1, 1, p),
                () -> new HyParView.Config(1, 1, 1, 0, 0, 0, 1, 1, 1, hour + 1, p),
                () -> new HyParView.Config(1, 1, 1, 0, 0, 0, 1, 2, 1, 2, p),
                () -> new HyParView.Config(1, 1, 1, 0, 0, 0, 1, 1, 2, 1, p))) {
            assertThrows(IllegalArgumentException.class, bad::run);
        }
    }

    @Test
    void parseNamesAnEmptyKeyAndKeepsAGivenGraceShorterThanSuspectAnError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HyParView.Config.parse("hyparview+plumtree:=5"));
        assertTrue(e.getMessage().contains("unknown hyparview option ''"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HyParView.Config.parse("hyparview+plumtree:suspect=2s,grace=1s"));
        assertEquals(3000 * MS, HyParView.Config.parse("hyparview+plumtree:suspect=2s,grace=3s").graceNanos());
    }

    @Test
    void allowedLinksFollowTheOverlay() {
        HyParView.Allowed c = new HyParView.Allowed(complete(4));
        assertTrue(c.complete);
        assertEquals(4, c.n);
        for (int v = 0; v < 4; v++) {
            assertEquals(v != 2, c.allowed(2, v), "v " + v);
        }
        assertFalse(c.allowed(2, -1));
        assertFalse(c.allowed(2, 4));
        HyParView.Allowed s = new HyParView.Allowed(sparse());
        assertFalse(s.complete);
        assertTrue(s.allowed(2, 0)); // the first of 2's peers
        assertTrue(s.allowed(2, 4));
        assertFalse(s.allowed(2, 1));
        assertFalse(s.allowed(2, 2));
        assertFalse(s.allowed(4, 0));
        assertFalse(s.allowed(2, 5));
        assertFalse(s.allowed(2, -1));
        int[][] directedAll = {{1, 2}, {0, 2}, {0, 1}};
        assertFalse(new HyParView.Allowed(Overlay.fromAdjacency("d", true, directedAll)).complete);
        assertTrue(new HyParView.Allowed(Overlay.fromAdjacency("u", false, directedAll)).complete);
        // Node 2 links to all, 0 and 1 do not: not complete.
        assertFalse(new HyParView.Allowed(Overlay.fromAdjacency("p", false, new int[][] {{2}, {2}, {0, 1}})).complete);
        assertFalse(new HyParView.Allowed(Overlay.fromAdjacency("p", false, new int[][] {{1}, {0}, {}})).complete);
    }

    @Test
    void shuffleMessagesCompareByContentAndNameTheirFields() {
        int max = HyParViewMessage.MAX_NODES;
        Shuffle a = new Shuffle(3, 2, new int[] {1, 5});
        assertEquals(a, new Shuffle(3, 2, new int[] {1, 5}));
        assertEquals(a.hashCode(), new Shuffle(3, 2, new int[] {1, 5}).hashCode());
        assertNotEquals(a, new Shuffle(4, 2, new int[] {1, 5}));
        assertNotEquals(a, new Shuffle(3, 1, new int[] {1, 5}));
        assertNotEquals(a, new Shuffle(3, 2, new int[] {1, 6}));
        assertNotEquals(a, (Object) new ShuffleReply(new int[] {1, 5}));
        // The hash mixes every field (a distinct hash for each of these, as a record's would be).
        Set<Integer> hashes = new java.util.HashSet<>();
        for (int o = 0; o < 8; o++) {
            for (int t = 0; t < 8; t++) {
                hashes.add(new Shuffle(o, t, new int[] {1}).hashCode());
            }
        }
        assertEquals(64, hashes.size());
        assertEquals((3 * 31 + 2) * 31 + Arrays.hashCode(new int[] {1, 5}), a.hashCode());
        assertEquals("Shuffle[origin=3, ttl=2, nodes=[1, 5]]", a.toString());

        ShuffleReply r = new ShuffleReply(new int[] {4, 9});
        assertEquals(r, new ShuffleReply(new int[] {4, 9}));
        assertNotEquals(r, new ShuffleReply(new int[] {4}));
        assertNotEquals(r, (Object) new Shuffle(4, 9, new int[0]));
        assertEquals(Arrays.hashCode(new int[] {4, 9}), r.hashCode());
        assertNotEquals(new ShuffleReply(new int[] {1}).hashCode(), new ShuffleReply(new int[] {2}).hashCode());
        assertEquals("ShuffleReply[4, 9]", r.toString());

        assertThrows(IllegalArgumentException.class, () -> new Shuffle(0, 0, new int[] {2, -1}));
        assertThrows(IllegalArgumentException.class, () -> new Shuffle(0, 0, new int[max + 1]));
        assertThrows(IllegalArgumentException.class, () -> new ShuffleReply(new int[max + 1]));
        assertEquals(max, new ShuffleReply(new int[max]).nodes().length);
        assertEquals(max, new Shuffle(0, 0, new int[max]).nodes().length);
    }
}
