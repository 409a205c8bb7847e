package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Observation.ControlSent;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One {@link Plumtree} node driven by hand (node 4, peers 0, 1 and 2; node 0 is the first peer in its
 * tables): eager and lazy pushes, immediate or batched per window (frames never over the cap, IHAVEs never
 * over {@link PlumtreeMessage#MAX_ANNOUNCEMENTS}), prunes on duplicates except from a link that brought one
 * of the last {@link Plumtree#PRUNE_GRACE} first copies, one tree per origin or one shared, graft repair
 * round-robin over the announcers with its exact timing and its limit, grafts answered while a broadcast is
 * retained, and the tree optimisation with each of its conditions.
 */
class PlumtreeNodeTest {
    static final long MS = 1_000_000L;
    static final int[] PEERS = {0, 1, 2};

    private static Plumtree.Config config(long lazy, long eager, long graft, int threshold, boolean perOrigin) {
        return new Plumtree.Config(lazy, eager, graft, threshold, perOrigin);
    }

    private static final class One {
        final RecordingEnv env = new RecordingEnv(4, 5, 1);
        final Plumtree node;

        One(Plumtree.Config config) {
            node = new Plumtree(PEERS, config);
            node.start(env);
        }

        One at(long t) {
            env.advanceTo(t);
            return this;
        }

        void from(int peer, long id, int origin, int hop) {
            node.onMessage(peer, new Message.Broadcast(id, origin, 0, hop, new byte[0]));
        }

        List<RecordingEnv.Sent> sentOf(Class<?> type) {
            List<RecordingEnv.Sent> out = new ArrayList<>();
            for (RecordingEnv.Sent s : env.sent) {
                if (type.isInstance(s.message())) {
                    out.add(s);
                }
            }
            return out;
        }

        List<ControlSent> controls(int kind) {
            List<ControlSent> out = new ArrayList<>();
            for (Observation o : env.observed) {
                if (o instanceof ControlSent c && c.control() == kind) {
                    out.add(c);
                }
            }
            return out;
        }

        List<Integer> payloadTo() {
            return sentOf(Message.Broadcast.class).stream().map(RecordingEnv.Sent::to).toList();
        }

        /** Prunes sent so far to {@code peer}, in the tree of {@code origin}. */
        int prunesTo(int peer, int origin) {
            return (int) sentOf(PlumtreeMessage.Prune.class).stream()
                    .filter(s -> s.to() == peer && s.message().equals(new PlumtreeMessage.Prune(origin))).count();
        }
    }

    @Test
    void duplicatesPruneTheirLinkUnlessItBroughtOneOfTheLastFourFirstCopies() {
        One p = new One(config(0, 0, 100 * MS, 0, true));
        p.from(0, 1, 3, 2);
        assertEquals(List.of(1, 2), p.payloadTo(), "first copy pushed to the other peers, one hop further");
        assertEquals(3, ((Message.Broadcast) p.env.sent.get(0).message()).hop());
        p.from(1, 1, 3, 4); // a duplicate from 1, which never brought a first copy
        assertEquals(List.of(new RecordingEnv.Sent(1, new PlumtreeMessage.Prune(3))), p.sentOf(PlumtreeMessage.Prune.class));
        assertEquals(List.of(new ControlSent(4, 1, ControlSent.PRUNE, 0)), p.controls(ControlSent.PRUNE));
        // 0 brought first copies 1 and 2; duplicates from it are not pruned until four more first copies came
        // by another link.
        p.from(0, 2, 3, 2);
        p.from(0, 2, 3, 2);
        for (long id = 3; id <= 6; id++) {
            p.from(2, id, 3, 2);
            p.from(0, id, 3, 2);
            int prunesTo0 = (int) p.sentOf(PlumtreeMessage.Prune.class).stream().filter(s -> s.to() == 0).count();
            assertEquals(id == 6 ? 1 : 0, prunesTo0, "duplicate of " + id + " from 0, " + (id - 2) + " first copies after its last");
        }
        // A client re-injecting a known id is no link to prune.
        int before = p.env.sent.size();
        p.node.onMessage(Env.CLIENT, new Message.Inject(1, new byte[0]));
        assertEquals(before, p.env.sent.size());
        assertEquals(6, p.env.observed.stream().filter(o -> o instanceof Observation.Delivered).count());
    }

    @Test
    void aPruneMakesTheLinkLazyInThatOriginsTreeOnlyOrInTheSharedOne() {
        for (boolean perOrigin : new boolean[] {true, false}) {
            One p = new One(config(0, 0, 100 * MS, 0, perOrigin));
            p.node.onMessage(1, new PlumtreeMessage.Prune(3));
            assertArrayEquals(new int[] {0, 2}, p.node.eagerPeers(3));
            assertArrayEquals(perOrigin ? new int[] {0, 1, 2} : new int[] {0, 2}, p.node.eagerPeers(7), "trees=" + perOrigin);
            p.from(0, 1, 3, 1);
            assertEquals(List.of(2), p.payloadTo(), "lazy to 1 in the tree of 3");
            List<RecordingEnv.Sent> ihaves = p.sentOf(PlumtreeMessage.IHave.class);
            assertEquals(List.of(new RecordingEnv.Sent(1, new PlumtreeMessage.IHave(new long[] {1}, new int[] {3}, new int[] {2}))),
                    ihaves, "a lazy window of 0 announces at once");
            p.from(0, 2, 7, 1);
            assertEquals(perOrigin ? List.of(2, 1, 2) : List.of(2, 2), p.payloadTo(), "origin 7, trees=" + (perOrigin ? "origin" : "shared"));
        }
    }

    @Test
    void windowsBatchPayloadPerPeerAndAnnouncementsPerLazyPeer() {
        One p = new One(config(10 * MS, 5 * MS, 100 * MS, 0, true));
        p.node.onMessage(2, new PlumtreeMessage.Prune(3));
        p.from(0, 1, 3, 1);
        p.at(1 * MS).from(0, 2, 3, 1);
        assertTrue(p.env.sent.isEmpty(), "nothing before the windows close: " + p.env.sent);
        p.at(5 * MS);
        assertEquals(1, p.env.sent.size());
        Message.Batch batch = (Message.Batch) p.env.sent.get(0).message();
        assertEquals(1, p.env.sent.get(0).to());
        assertEquals(List.of(1L, 2L), batch.items().stream().map(Message.Broadcast::id).toList());
        p.at(10 * MS);
        assertEquals(new RecordingEnv.Sent(2, new PlumtreeMessage.IHave(new long[] {1, 2}, new int[] {3, 3}, new int[] {2, 2})),
                p.env.sent.get(1));
        p.at(50 * MS);
        assertEquals(2, p.env.sent.size(), "empty windows send nothing");
        p.from(0, 3, 3, 1);
        p.at(55 * MS);
        assertEquals(new RecordingEnv.Sent(1, new Message.Broadcast(3, 3, 0, 2, new byte[0])).to(), p.env.sent.get(2).to());
        assertTrue(p.env.sent.get(2).message() instanceof Message.Broadcast, "a window of one goes as a plain broadcast");
        p.from(0, 4, 3, 1);
        p.node.stop();
        p.at(200 * MS);
        assertEquals(3, p.env.sent.size(), "stopped: the open windows send nothing");
    }

    @Test
    void aPayloadWindowNeverSendsAFrameOverTheCapAndUsesAsFewAsFit() {
        int big = 200_000;
        List<Message.Broadcast> five = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            five.add(new Message.Broadcast(i, 3, 0, 2, new byte[big]));
        }
        five.add(new Message.Broadcast(5, 3, 0, 2, new byte[0]));
        int fill = MessageCodec.MAX_FRAME_BYTES - MessageCodec.encodedSize(new Message.Batch(five));
        for (int extra = 0; extra <= 1; extra++) {
            One p = new One(config(0, 5 * MS, 100 * MS, 0, true));
            p.node.onMessage(2, new PlumtreeMessage.Prune(3));
            for (int i = 0; i < 6; i++) {
                p.node.onMessage(0, new Message.Broadcast(i, 3, 0, 1, new byte[i < 5 ? big : fill + extra]));
            }
            p.at(5 * MS);
            List<RecordingEnv.Sent> to1 = p.env.sent.stream().filter(s -> s.to() == 1).toList();
            assertEquals(extra == 0 ? 1 : 2, to1.size(), "window of exactly one frame plus " + extra + " bytes");
            for (RecordingEnv.Sent s : to1) {
                assertTrue(MessageCodec.encodedSize(s.message()) <= MessageCodec.MAX_FRAME_BYTES);
            }
            if (extra == 0) {
                assertEquals(MessageCodec.MAX_FRAME_BYTES, MessageCodec.encodedSize(to1.get(0).message()));
            }
        }
        // The largest broadcast that fits a frame goes alone.
        int payload = MessageCodec.MAX_FRAME_BYTES - MessageCodec.encodedSize(new Message.Broadcast(0, 3, 0, 2, new byte[0]));
        One p = new One(config(0, 5 * MS, 100 * MS, 0, true));
        p.node.onMessage(2, new PlumtreeMessage.Prune(3));
        p.node.onMessage(0, new Message.Broadcast(1, 3, 0, 1, new byte[payload]));
        p.node.onMessage(0, new Message.Broadcast(2, 3, 0, 1, new byte[0]));
        p.at(5 * MS);
        assertEquals(2, p.sentOf(Message.Broadcast.class).size(), "two plain broadcasts to peer 1");
    }

    @Test
    void announcementsOfOneWindowAreSplitAtTheLimitOfOneIHave() {
        int max = PlumtreeMessage.MAX_ANNOUNCEMENTS;
        for (int count : new int[] {max, max + 1}) {
            One p = new One(config(10 * MS, 0, 100 * MS, 0, true));
            p.node.onMessage(1, new PlumtreeMessage.Prune(3));
            p.node.onMessage(2, new PlumtreeMessage.Prune(3));
            for (int id = 0; id < count; id++) {
                p.from(0, id, 3, 1);
            }
            p.at(10 * MS);
            List<RecordingEnv.Sent> to1 = p.sentOf(PlumtreeMessage.IHave.class).stream().filter(s -> s.to() == 1).toList();
            assertEquals(count == max ? 1 : 2, to1.size(), count + " announcements");
            assertEquals(count, to1.stream().mapToInt(s -> ((PlumtreeMessage.IHave) s.message()).ids().length).sum());
        }
    }

    @Test
    void aMissingBroadcastIsGraftedFromEachAnnouncerInTurnTwiceAtMost() {
        One p = new One(config(0, 0, 100 * MS, 0, true));
        p.node.onMessage(0, new PlumtreeMessage.Prune(3));
        p.node.onMessage(1, new PlumtreeMessage.Prune(3));
        assertArrayEquals(new int[] {2}, p.node.eagerPeers(3));
        p.node.onMessage(0, new PlumtreeMessage.IHave(new long[] {7}, new int[] {3}, new int[] {2}));
        p.at(10 * MS).node.onMessage(1, new PlumtreeMessage.IHave(new long[] {7}, new int[] {3}, new int[] {3}));
        // And one whose payload comes in time: never grafted.
        p.node.onMessage(1, new PlumtreeMessage.IHave(new long[] {8}, new int[] {3}, new int[] {3}));
        p.at(50 * MS).from(2, 8, 3, 2);
        for (long t = 60 * MS; t <= 1_000 * MS; t += 10 * MS) {
            p.at(t);
        }
        List<ControlSent> grafts = p.controls(ControlSent.GRAFT_REPAIR);
        assertEquals(List.of(new ControlSent(4, 0, ControlSent.GRAFT_REPAIR, 100 * MS),
                new ControlSent(4, 1, ControlSent.GRAFT_REPAIR, 150 * MS),
                new ControlSent(4, 0, ControlSent.GRAFT_REPAIR, 200 * MS),
                new ControlSent(4, 1, ControlSent.GRAFT_REPAIR, 250 * MS)), grafts);
        assertTrue(p.sentOf(PlumtreeMessage.Graft.class).stream().allMatch(s -> s.message().equals(new PlumtreeMessage.Graft(7, 3))));
        assertArrayEquals(new int[] {0, 1, 2}, p.node.eagerPeers(3), "grafted links are eager");
        // Announcements from a non-peer are ignored.
        p.node.onMessage(3, new PlumtreeMessage.IHave(new long[] {9}, new int[] {3}, new int[] {1}));
        p.at(2_000 * MS);
        assertEquals(4, p.controls(ControlSent.GRAFT_REPAIR).size());
    }

    @Test
    void graftsAreAnsweredWithTheRetainedPayloadForAMinute() {
        One p = new One(config(0, 0, 100 * MS, 0, true));
        p.from(1, 0, 3, 1);
        p.at(1_000 * MS).from(1, 10, 3, 1);
        p.node.onMessage(0, new PlumtreeMessage.Prune(3));
        int before = p.env.sent.size();
        p.node.onMessage(0, new PlumtreeMessage.Graft(0, 3));
        assertEquals(new RecordingEnv.Sent(0, null).to(), p.env.sent.get(before).to());
        assertEquals(0L, ((Message.Broadcast) p.env.sent.get(before).message()).id(), "broadcast 0 sent to the grafter");
        assertEquals(2, ((Message.Broadcast) p.env.sent.get(before).message()).hop());
        assertArrayEquals(new int[] {0, 1, 2}, p.node.eagerPeers(3), "a graft makes the link eager");
        p.node.onMessage(0, new PlumtreeMessage.Prune(3));
        p.node.onMessage(0, new PlumtreeMessage.Graft(-1, 3));
        assertEquals(before + 1, p.env.sent.size(), "graft -1 asks for nothing");
        assertArrayEquals(new int[] {0, 1, 2}, p.node.eagerPeers(3));
        p.node.onMessage(3, new PlumtreeMessage.Graft(0, 3));
        assertEquals(before + 1, p.env.sent.size(), "a graft from a non-peer is ignored");
        // Broadcast 10 arrived at 1 s: kept through 61 s, gone after.
        p.at(61_000 * MS).from(1, 11, 3, 1);
        int sent = p.env.sent.size();
        p.node.onMessage(0, new PlumtreeMessage.Graft(10, 3));
        assertEquals(sent + 1, p.env.sent.size(), "retained for exactly a minute");
        p.at(61_000 * MS + 1).from(1, 12, 3, 1);
        sent = p.env.sent.size();
        p.node.onMessage(0, new PlumtreeMessage.Graft(10, 3));
        p.node.onMessage(0, new PlumtreeMessage.Graft(0, 3));
        assertEquals(sent, p.env.sent.size(), "evicted after a minute");
    }

    @Test
    void theOptimisationSwitchesToAnAnnouncerThatSavesAtLeastTheThreshold() {
        // Each case its own origin, so its own tree. Payload from 0 at hop 5 unless said otherwise.
        One p = new One(config(0, 0, 1_000 * MS, 3, true));
        p.from(0, 1, 11, 5);
        p.node.onMessage(1, new PlumtreeMessage.IHave(new long[] {1}, new int[] {11}, new int[] {2}));
        assertEquals(List.of(new ControlSent(4, 1, ControlSent.GRAFT_OPTIMISE, 0)), p.controls(ControlSent.GRAFT_OPTIMISE));
        assertTrue(p.env.sent.contains(new RecordingEnv.Sent(1, new PlumtreeMessage.Graft(-1, 11))));
        assertTrue(p.env.sent.contains(new RecordingEnv.Sent(0, new PlumtreeMessage.Prune(11))));
        assertArrayEquals(new int[] {1, 2}, p.node.eagerPeers(11), "switched from 0 to 1");
        // Now the payload is held as if from 1 at hop 2: an offer at hop 0 from 2 saves only 2.
        p.node.onMessage(2, new PlumtreeMessage.IHave(new long[] {1}, new int[] {11}, new int[] {0}));
        assertEquals(1, p.controls(ControlSent.GRAFT_OPTIMISE).size(), "saves 2 < 3 over the new path");

        p.from(0, 2, 12, 5);
        p.node.onMessage(1, new PlumtreeMessage.IHave(new long[] {2}, new int[] {12}, new int[] {3}));
        assertEquals(1, p.controls(ControlSent.GRAFT_OPTIMISE).size(), "saves 2");

        p.node.onMessage(2, new PlumtreeMessage.IHave(new long[] {3}, new int[] {13}, new int[] {1}));
        p.from(0, 3, 13, 4);
        assertEquals(2, p.controls(ControlSent.GRAFT_OPTIMISE).size(), "announced before the payload came");
        assertEquals(2, p.controls(ControlSent.GRAFT_OPTIMISE).get(1).to());
        assertArrayEquals(new int[] {1, 2}, p.node.eagerPeers(13));

        p.from(0, 4, 14, 6);
        p.node.onMessage(0, new PlumtreeMessage.IHave(new long[] {4}, new int[] {14}, new int[] {1}));
        assertEquals(2, p.controls(ControlSent.GRAFT_OPTIMISE).size(), "the announcer is the link it came by");

        p.node.onMessage(Env.CLIENT, new Message.Inject(5, new byte[0]));
        p.node.onMessage(1, new PlumtreeMessage.IHave(new long[] {5}, new int[] {4}, new int[] {0}));
        assertEquals(2, p.controls(ControlSent.GRAFT_OPTIMISE).size(), "injected here: nothing is shorter");

        p.from(0, 6, 16, 6);
        p.node.onMessage(0, new PlumtreeMessage.Prune(16));
        p.node.onMessage(1, new PlumtreeMessage.IHave(new long[] {6}, new int[] {16}, new int[] {1}));
        assertEquals(2, p.controls(ControlSent.GRAFT_OPTIMISE).size(), "the link it came by is already lazy");

        One off = new One(config(0, 0, 1_000 * MS, 0, true));
        off.from(0, 1, 11, 9);
        off.node.onMessage(1, new PlumtreeMessage.IHave(new long[] {1}, new int[] {11}, new int[] {0}));
        assertEquals(List.of(), off.controls(ControlSent.GRAFT_OPTIMISE), "threshold 0: off");
    }

    @Test
    void aPeerIsPrunedAtMostOncePerGraftTimeoutInEachTree() {
        One p = new One(config(0, 0, 100 * MS, 0, true));
        p.from(0, 1, 3, 1);
        p.from(1, 1, 3, 1); // a duplicate from 1: pruned
        assertEquals(1, p.prunesTo(1, 3));
        p.from(0, 2, 3, 1);
        p.at(99 * MS).from(1, 2, 3, 1); // sent before the prune reached 1: no second prune
        assertEquals(1, p.prunesTo(1, 3), "within the graft timeout of the first prune");
        p.from(0, 5, 7, 1);
        p.from(1, 5, 7, 1);
        assertEquals(1, p.prunesTo(1, 7), "another tree has its own hold");
        p.from(0, 3, 3, 1);
        p.at(100 * MS).from(1, 3, 3, 1);
        assertEquals(2, p.prunesTo(1, 3), "1 still pushes a graft timeout later: pruned again");
        p.from(0, 4, 3, 1);
        p.at(150 * MS).from(1, 4, 3, 1);
        assertEquals(2, p.prunesTo(1, 3), "and held again from the second prune");
    }

    @Test
    void aGraftFromThisNodeEndsThePruneHoldAndTheOptimisationsPruneStartsOne() {
        // A repair graft: 1 announced broadcast 9 at 0 ms, pruned at 50 ms, grafted at 100 ms.
        One p = new One(config(0, 0, 100 * MS, 0, true));
        p.node.onMessage(1, new PlumtreeMessage.IHave(new long[] {9}, new int[] {3}, new int[] {1}));
        p.at(50 * MS).from(0, 1, 3, 1);
        p.from(1, 1, 3, 1);
        assertEquals(1, p.prunesTo(1, 3));
        p.at(100 * MS);
        assertEquals(List.of(new RecordingEnv.Sent(1, new PlumtreeMessage.Graft(9, 3))), p.sentOf(PlumtreeMessage.Graft.class));
        p.at(101 * MS).from(0, 2, 3, 1);
        p.from(1, 2, 3, 1);
        assertEquals(2, p.prunesTo(1, 3), "the graft ended the hold of the prune at 50 ms");

        // An optimisation graft of 1 at 10 ms, well within the hold of its prune at 0 ms; it prunes 0.
        One q = new One(config(0, 0, 1_000 * MS, 2, true));
        q.from(0, 1, 3, 5);
        q.from(1, 1, 3, 5);
        assertEquals(1, q.prunesTo(1, 3));
        q.at(10 * MS).node.onMessage(1, new PlumtreeMessage.IHave(new long[] {1}, new int[] {3}, new int[] {1}));
        assertEquals(List.of(new ControlSent(4, 1, ControlSent.GRAFT_OPTIMISE, 10 * MS)), q.controls(ControlSent.GRAFT_OPTIMISE));
        assertEquals(1, q.prunesTo(0, 3), "the optimisation prunes the old parent");
        q.at(20 * MS).from(0, 2, 3, 1); // in flight when 0 was pruned
        q.from(1, 2, 3, 1);
        assertEquals(1, q.prunesTo(1, 3), "the first copy came by the link the optimisation pruned: 1 is kept");
        q.at(30 * MS).from(2, 3, 3, 1);
        q.from(1, 3, 3, 1);
        assertEquals(2, q.prunesTo(1, 3), "grafted at 10 ms: a duplicate from 1 is pruned at once");
    }

    @Test
    void aDuplicateIsPrunedOnlyIfTheFirstCopysLinkIsStillKept() {
        One p = new One(config(0, 0, 100 * MS, 0, true));
        p.from(2, 1, 3, 1);
        p.from(0, 1, 3, 1); // 0 pruned: the first copy came by 2
        assertEquals(1, p.prunesTo(0, 3));
        p.at(10 * MS).from(0, 2, 3, 1); // a first copy from 0, sent before the prune reached it
        p.from(1, 2, 3, 1);
        assertEquals(0, p.prunesTo(1, 3), "the first copy came by a pruned link: 1 may be the path that stays");
        p.from(2, 2, 3, 1);
        assertEquals(0, p.prunesTo(2, 3), "2 brought a first copy lately (grace)");
        // 0 still brings first copies a graft timeout after it was pruned: it pushes here again.
        p.at(100 * MS).from(0, 3, 3, 1);
        p.from(1, 3, 3, 1);
        assertEquals(1, p.prunesTo(1, 3), "0 counts as kept again");
        assertEquals(1, p.prunesTo(0, 3));
        // Just short of the timeout, a first copy from a pruned link does not count as kept.
        One q = new One(config(0, 0, 100 * MS, 0, true));
        q.from(2, 1, 3, 1);
        q.from(0, 1, 3, 1);
        q.at(100 * MS - 1).from(0, 2, 3, 1);
        q.from(1, 2, 3, 1);
        assertEquals(0, q.prunesTo(1, 3));
        // Pruned at 50 ms, a first copy from it at 60 ms was in flight: still not kept.
        One late = new One(config(0, 0, 100 * MS, 0, true));
        late.at(50 * MS).from(2, 1, 3, 1);
        late.from(0, 1, 3, 1);
        late.at(60 * MS).from(0, 2, 3, 1);
        late.from(1, 2, 3, 1);
        assertEquals(0, late.prunesTo(1, 3), "10 ms after the prune");
        // Injected here: a duplicate's link is pruned (nothing to keep).
        One r = new One(config(0, 0, 100 * MS, 0, true));
        r.node.onMessage(Env.CLIENT, new Message.Inject(1, new byte[0]));
        r.from(1, 1, 4, 1);
        assertEquals(1, r.prunesTo(1, 4));
    }

    @Test
    void peersThatComeAndGoKeepEveryOtherPeersTreeStateInPlace() {
        // Node 4 with peers 0 and 2; in the tree of 3: 0 brings first copies, 2 is pruned (held), and lazy.
        RecordingEnv env = new RecordingEnv(4, 8, 1);
        Plumtree node = new Plumtree(new int[] {0, 2}, config(0, 0, 100 * MS, 0, true));
        node.start(env);
        node.onMessage(0, new Message.Broadcast(1, 3, 0, 1, new byte[0]));
        node.onMessage(2, new Message.Broadcast(1, 3, 0, 1, new byte[0]));
        node.onMessage(0, new PlumtreeMessage.Prune(3));
        node.onMessage(2, new PlumtreeMessage.Prune(3));
        assertArrayEquals(new int[] {}, node.eagerPeers(3));
        node.neighbourUp(1); // between them
        node.neighbourUp(1); // twice: no-op
        node.neighbourUp(5); // after them
        assertArrayEquals(new int[] {0, 1, 2, 5}, node.peers());
        assertArrayEquals(new int[] {1, 5}, node.eagerPeers(3), "newcomers are eager, the others keep their flags");
        env.advanceTo(50 * MS);
        node.onMessage(0, new Message.Broadcast(2, 3, 0, 1, new byte[0]));
        assertEquals(List.of(1, 5), env.sent.stream().filter(x -> x.message() instanceof Message.Broadcast b && b.id() == 2)
                .map(RecordingEnv.Sent::to).toList());
        int prunes = prunes(env);
        node.onMessage(2, new Message.Broadcast(2, 3, 0, 1, new byte[0]));
        assertEquals(prunes, prunes(env), "2's hold moved with it");
        node.onMessage(1, new Message.Broadcast(2, 3, 0, 1, new byte[0]));
        assertEquals(prunes + 1, prunes(env), "a newcomer was never pruned");
        // 0 (the parent) and 1 leave; 2 keeps its hold, 5 its flags.
        node.neighbourDown(0);
        node.neighbourDown(7); // no peer: no-op
        node.neighbourDown(1);
        assertArrayEquals(new int[] {2, 5}, node.peers());
        assertArrayEquals(new int[] {5}, node.eagerPeers(3));
        env.advanceTo(60 * MS);
        node.onMessage(5, new Message.Broadcast(3, 3, 0, 1, new byte[0]));
        node.onMessage(2, new Message.Broadcast(3, 3, 0, 1, new byte[0]));
        assertEquals(prunes + 1, prunes(env), "2 still held after 0 and 1 left");
        env.advanceTo(100 * MS);
        node.onMessage(5, new Message.Broadcast(4, 3, 0, 1, new byte[0]));
        node.onMessage(2, new Message.Broadcast(4, 3, 0, 1, new byte[0]));
        assertEquals(prunes + 2, prunes(env), "and pruned again once its hold ended");
        assertEquals(new RecordingEnv.Sent(2, new PlumtreeMessage.Prune(3)), env.sent.getLast());
    }

    @Test
    void aNewNeighbourIsAnnouncedWhatWasDeliveredInTheLastFiveSecondsAndAKnownOneChangesNothing() {
        RecordingEnv env = new RecordingEnv(4, 8, 1);
        Plumtree node = new Plumtree(new int[] {0, 2}, config(0, 0, 100 * MS, 0, true));
        node.start(env);
        node.onMessage(0, new Message.Broadcast(1, 3, 0, 1, new byte[0]));
        env.advanceTo(1_000 * MS);
        node.onMessage(0, new Message.Broadcast(2, 3, 0, 4, new byte[0]));
        env.advanceTo(6_000 * MS); // broadcast 2 arrived exactly 5 s ago, broadcast 1 six
        int before = env.sent.size();
        node.neighbourUp(0); // already a peer (the first): nothing changes
        assertEquals(before, env.sent.size());
        assertArrayEquals(new int[] {0, 2}, node.peers());
        node.neighbourUp(1);
        assertEquals(List.of(new RecordingEnv.Sent(1, new PlumtreeMessage.IHave(new long[] {2}, new int[] {3}, new int[] {5}))),
                env.sent.subList(before, env.sent.size()));
        env.advanceTo(6_000 * MS + 1);
        node.neighbourUp(5);
        assertEquals(before + 1, env.sent.size(), "nothing delivered in the last 5 s");
    }

    @Test
    void aGraftPassesAtOnceToTheNextAnnouncerWhenTheFirstIsNoLongerAPeerAndStopCancelsIt() {
        RecordingEnv env = new RecordingEnv(4, 8, 1);
        Plumtree node = new Plumtree(new int[] {0, 1, 2}, config(0, 0, 100 * MS, 0, true));
        node.start(env);
        node.onMessage(0, new PlumtreeMessage.IHave(new long[] {7}, new int[] {3}, new int[] {1}));
        node.onMessage(1, new PlumtreeMessage.IHave(new long[] {7}, new int[] {3}, new int[] {1}));
        node.neighbourDown(0);
        env.advanceTo(100 * MS);
        assertEquals(List.of(new RecordingEnv.Sent(1, new PlumtreeMessage.Graft(7, 3))),
                env.sent.stream().filter(x -> x.message() instanceof PlumtreeMessage.Graft).toList());
        node.stop();
        env.advanceTo(10_000 * MS);
        assertEquals(1, env.sent.size(), "stopped: the pending repair grafts no more");
        assertEquals(1, node.pendingRepairs());
    }

    private static int prunes(RecordingEnv env) {
        return (int) env.sent.stream().filter(x -> x.message() instanceof PlumtreeMessage.Prune).count();
    }

    @Test
    void specsParseToConfigsAndBadOnesSayWhy() {
        assertEquals(Plumtree.Config.defaults(), Plumtree.Config.parse(" PLUMTREE "));
        assertNull(Plumtree.Config.parse("flood"));
        Plumtree.Config c = Plumtree.Config.parse("plumtree:lazy=5ms,eager=1ms,graft=1ns,threshold=0,trees=shared");
        assertEquals(config(5 * MS, MS, 1, 0, false), c);
        assertEquals(c, Plumtree.Config.parse(c.spec()));
        IllegalArgumentException noKey = assertThrows(IllegalArgumentException.class, () -> Plumtree.Config.parse("plumtree:=5ms"));
        assertTrue(noKey.getMessage().contains("unknown plumtree option ''"), noKey.getMessage());
        assertThrows(IllegalArgumentException.class, () -> config(0, 0, 0, 0, true), "graft timeout 0");
        assertTrue(Plumtree.is(Plumtree.protocol(Plumtree.Config.defaults())));
        assertFalse(Plumtree.is(Protocols.parse("flood")));
    }
}
