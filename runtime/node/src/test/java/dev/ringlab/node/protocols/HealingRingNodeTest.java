package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.topology.Overlay;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * One {@link HealingRing} node on a hand-driven clock, its peers played by the test: what it sends and
 * observes for each message and tick, at the exact times its rules give. Hello to the predecessors on start,
 * heartbeats and acks carrying the epoch floor and view digest, suspicion announced around the ring and
 * withdrawn by any message, view anti-entropy and re-announcement by the nearest live predecessor only, the
 * token that died at the suspected successor (at once, or when it should have been back), the token-loss
 * timeout of the anchor and the staggered backups (only while a predecessor reaches the node, and not
 * counting the node's own pause), a token held while no successor is live, stale tokens dropped, rotation
 * estimates and tick numbering. Timings: 10 ms heartbeats, 50 ms suspicion, 200 ms loss (the defaults).
 */
class HealingRingNodeTest {
    static final long MS = 1_000_000L;
    static final long NEVER = Long.MIN_VALUE / 2;

    /** One node and the test's model of its peers: who acks, who says it passes the token to the node. */
    static final class Harness {
        final int self;
        final int n;
        final RecordingEnv env;
        final HealingRing node;
        final Set<Integer> acking = new HashSet<>();
        long ackEpoch = -1;
        long ackTokenSeen = NEVER;
        /** Successors whose acks say they took a token at this time, overriding {@link #ackTokenSeen}. */
        final java.util.Map<Integer, Long> tokenSeenBy = new java.util.HashMap<>();
        /** A predecessor that heartbeats "my successor is you" before each tick, or -1. */
        int linkingPred = -1;
        long predEpoch = -1;
        private int cursor;

        Harness(int self, int n, RecoveryConfig config) {
            this(self, HealingRing.overlay(n, config.successors()), config);
        }

        Harness(int self, Overlay overlay, RecoveryConfig config) {
            this.self = self;
            this.n = overlay.size();
            this.env = new RecordingEnv(self, n, self);
            this.node = new HealingRing(self, overlay, config);
        }

        Harness start(int... ackers) {
            for (int a : ackers) {
                acking.add(a);
            }
            node.start(env);
            answer();
            return this;
        }

        /** Acks every heartbeat the node sent since the last call to a successor that is acking. */
        void answer() {
            for (; cursor < env.sent.size(); cursor++) {
                RecordingEnv.Sent s = env.sent.get(cursor);
                if (s.message() instanceof Message.Heartbeat h && h.seq() > 0 && acking.contains(s.to())) {
                    node.onMessage(s.to(), new Message.HeartbeatAck(h.seq(), h.sentAtNanos(), ackEpoch, h.viewDigest(),
                            tokenSeenBy.getOrDefault(s.to(), ackTokenSeen)));
                }
            }
        }

        /** Runs every timer due up to {@code t} at its own time (ticks on time), the peers answering. */
        void runTo(long t) {
            while (true) {
                long next = Long.MAX_VALUE;
                for (RecordingEnv.Scheduled s : env.timers) {
                    if (!s.cancelled()[0] && s.atNanos() <= t) {
                        next = Math.min(next, s.atNanos());
                    }
                }
                if (next == Long.MAX_VALUE) {
                    break;
                }
                fire(next);
            }
            env.nowNanos = t;
        }

        void fire(long at) {
            env.nowNanos = at;
            if (linkingPred >= 0) {
                node.onMessage(linkingPred, new Message.Heartbeat(1, at, predEpoch, 0, self));
            }
            env.advanceTo(at);
            answer();
        }

        /** Runs the timers due up to {@code at} (those at {@code at} first), then delivers {@code m}. */
        void deliver(long at, int from, Message m) {
            runTo(at);
            env.nowNanos = at;
            node.onMessage(from, m);
            answer();
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

        <T extends Message> List<T> sentTo(int to, Class<T> type) {
            List<T> out = new ArrayList<>();
            for (RecordingEnv.Sent s : env.sent) {
                if (s.to() == to && type.isInstance(s.message())) {
                    out.add(type.cast(s.message()));
                }
            }
            return out;
        }

        List<Message.Member> announced(int to) {
            List<Message.Member> out = new ArrayList<>();
            for (Message.Membership m : sentTo(to, Message.Membership.class)) {
                if (m.relay()) {
                    out.addAll(m.members());
                }
            }
            return out;
        }

        long lastDigest() {
            long d = 0;
            for (Observation o : env.observed) {
                if (o instanceof Observation.ViewChanged v) {
                    d = v.digest();
                }
            }
            return d;
        }
    }

    static Message.Token token(long epoch, long rotation, long hop, long heldNanos) {
        return new Message.Token(epoch, rotation, hop, 0, 0, heldNanos, new byte[0]);
    }

    static long epoch(long gen, int creator) {
        return gen << HealingRing.ID_BITS | creator;
    }

    // ---- start, heartbeats, acks ------------------------------------------------------------------------

    @Test
    void aStartingNodeSaysHelloToPredecessorsOutsideItsSuccessorListAndHeartbeatsItsSuccessorsEachTick() {
        int[][] cases = {{8, 3, 4}, {4, 3, 0}, {5, 3, 0}, {6, 2, 5}};
        for (int[] c : cases) {
            int n = c[0];
            int r = c[1];
            int self = c[2];
            String why = "n=" + n + " r=" + r + " node " + self;
            Harness h = new Harness(self, n, RecoveryConfig.defaults().withSuccessors(r)).start();
            Set<Integer> succ = new HashSet<>();
            for (int i = 1; i <= r; i++) {
                succ.add((self + i) % n);
            }
            for (int p = 0; p < n; p++) {
                boolean pred = false;
                for (int i = 1; i <= r; i++) {
                    pred |= Math.floorMod(self - i, n) == p;
                }
                List<Long> seqs = h.sentTo(p, Message.Heartbeat.class).stream().map(Message.Heartbeat::seq).toList();
                if (succ.contains(p)) {
                    assertEquals(List.of(1L), seqs, why + ": heartbeat to successor " + p);
                } else if (pred) {
                    assertEquals(List.of(0L), seqs, why + ": hello to predecessor " + p);
                } else {
                    assertEquals(List.of(), seqs, why + ": node " + p);
                }
            }
            h.runTo(30 * MS);
            int first = (self + 1) % n;
            assertEquals(List.of(1L, 2L, 3L, 4L),
                    h.sentTo(first, Message.Heartbeat.class).stream().map(Message.Heartbeat::seq).toList(), why);
            assertEquals(first, h.sentTo(first, Message.Heartbeat.class).get(3).successor(), why);
        }
    }

    @Test
    void aHeartbeatIsAckedWithTheEpochFloorAndDigestAndADifferingViewIsSentBack() {
        Harness h = new Harness(4, 8, RecoveryConfig.defaults()).start(5, 6, 7);
        long e = epoch(3, 1);
        h.deliver(5 * MS, 3, new Message.Heartbeat(7, 4 * MS, e, 0, 4));
        Message.HeartbeatAck ack = h.sentTo(3, Message.HeartbeatAck.class).get(0);
        assertEquals(new Message.HeartbeatAck(7, 4 * MS, e, 0, 0), ack, "ack: seq, echo, learnt floor, digest, token seen");
        assertTrue(h.sentTo(3, Message.Membership.class).isEmpty(), "empty view: nothing to exchange");
        h.runTo(10 * MS);
        assertEquals(e, h.sentTo(5, Message.Heartbeat.class).get(1).maxEpoch(), "the floor learnt from a heartbeat");
        // A successor's ack carries a higher floor: the next heartbeats say so.
        h.ackEpoch = epoch(9, 2);
        h.runTo(20 * MS);
        h.runTo(30 * MS);
        assertEquals(epoch(9, 2), h.sentTo(6, Message.Heartbeat.class).get(3).maxEpoch(), "the floor learnt from an ack");
        // Once the view holds an entry, a peer with another digest gets the whole view, one with the same none.
        h.deliver(31 * MS, 3, new Message.Membership(true, List.of(new Message.Member(1, true, 31 * MS, 3))));
        long digest = h.lastDigest();
        assertTrue(digest != 0);
        h.deliver(32 * MS, 3, new Message.Heartbeat(8, 32 * MS, -1, digest, 4));
        assertTrue(h.sentTo(3, Message.Membership.class).isEmpty(), "same digest: no exchange");
        h.deliver(33 * MS, 3, new Message.Heartbeat(9, 33 * MS, -1, digest + 1, 4));
        List<Message.Membership> back = h.sentTo(3, Message.Membership.class);
        assertEquals(1, back.size());
        assertEquals(new Message.Membership(false, List.of(new Message.Member(1, true, 31 * MS, 3))), back.get(0));
        // Acks with another digest get the view too, acks with the same one do not.
        int before = h.sentTo(5, Message.Membership.class).size();
        h.deliver(34 * MS, 5, new Message.HeartbeatAck(3, 30 * MS, -1, digest, NEVER));
        assertEquals(before, h.sentTo(5, Message.Membership.class).size(), "same digest in an ack");
        h.deliver(35 * MS, 5, new Message.HeartbeatAck(3, 30 * MS, -1, digest ^ 1, NEVER));
        assertEquals(before + 1, h.sentTo(5, Message.Membership.class).size(), "other digest in an ack");
        assertFalse(h.sentTo(5, Message.Membership.class).get(before).relay());
    }

    @Test
    void nodeZeroCreatesTheFirstTokenOnlyWhenTheFirstAckSaysNobodyHasSeenOne() {
        Harness cold = new Harness(0, 8, RecoveryConfig.defaults()).start(1, 2, 3);
        assertEquals(List.of(new Observation.TokenCreated(0, epoch(0, 0), 0)), cold.observed(Observation.TokenCreated.class));
        assertEquals(epoch(0, 0), cold.node.maxEpoch());
        assertEquals(1, cold.sentTo(1, Message.Token.class).size(), "passed to the successor at once");
        for (long seen : new long[] {0, epoch(5, 3)}) {
            Harness warm = new Harness(0, 8, RecoveryConfig.defaults());
            warm.ackEpoch = seen;
            warm.start(1, 2, 3);
            warm.runTo(100 * MS);
            assertEquals(List.of(), warm.observed(Observation.TokenCreated.class), "the first ack said epoch " + seen);
            assertEquals(-1, warm.node.maxEpoch());
        }
    }

    // ---- suspicion, membership ------------------------------------------------------------------------

    @Test
    void aSuspicionIsAnnouncedToTheNextSuccessorAndAnyMessageFromTheSuspectWithdrawsIt() {
        // Each kind of message from the suspect is proof of life.
        List<Message> proofs = List.of(new Message.Heartbeat(0, 0, -1, 0, -1),
                new Message.HeartbeatAck(1, 0, -1, 0, NEVER),
                new Message.Membership(false, List.of(new Message.Member(2, false, 1, 2))),
                token(epoch(1, 1), 1, 1, 0));
        for (Message proof : proofs) {
            String why = "proof " + proof;
            Harness h = new Harness(4, 8, RecoveryConfig.defaults()).start(6, 7);
            h.runTo(50 * MS);
            assertEquals(List.of(), h.observed(Observation.Suspected.class), why);
            h.runTo(60 * MS);
            assertEquals(List.of(new Observation.Suspected(4, 5, 60 * MS)), h.observed(Observation.Suspected.class), why);
            assertEquals(new Observation.SuccessorChanged(4, 6, 60 * MS), h.observed(Observation.SuccessorChanged.class).get(0));
            assertEquals(List.of(new Message.Member(5, true, 60 * MS, 4)), h.announced(6), why + ": announced to 6");
            assertEquals(List.of(5), h.node.deadInView(), why);
            assertEquals(1, h.observed(Observation.ViewChanged.class).get(1).dead(), why);
            assertEquals(6, h.node.successor(), why);
            h.deliver(75 * MS, 5, proof);
            assertEquals(List.of(new Observation.Unsuspected(4, 5, 75 * MS)), h.observed(Observation.Unsuspected.class), why);
            assertEquals(5, h.node.successor(), why);
            assertEquals(List.of(), h.node.deadInView(), why);
            assertEquals(List.of(new Message.Member(5, false, 75 * MS, 4)), h.announced(5), why + ": announced to 5 again");
        }
    }

    @Test
    void aReturningSuccessorIsOnProbationAgainAndJudgedByTheGrace() {
        RecoveryConfig real = RecoveryConfig.defaults().withGraceTimeoutNanos(300 * MS).withProbationNanos(1_000 * MS);
        Harness h = new Harness(4, 8, real).start(5, 6, 7);
        h.runTo(1_500 * MS);
        h.acking.remove(5);
        h.runTo(1_600 * MS);
        assertEquals(List.of(new Observation.Suspected(4, 5, 1_560 * MS)), h.observed(Observation.Suspected.class),
                "probation over: the suspicion timeout");
        h.deliver(1_700 * MS, 5, new Message.HeartbeatAck(1, 0, -1, 0, NEVER));
        h.runTo(2_200 * MS);
        List<Observation.Suspected> s = h.observed(Observation.Suspected.class);
        assertEquals(2, s.size(), "suspected again: " + s);
        assertEquals(2_010 * MS, s.get(1).atNanos(), "back from a suspicion: the 300 ms grace");
    }

    @Test
    void membershipNewsIsRelayedToTheSuccessorButNotBackToItsSenderAndUnknownNodesAreIgnored() {
        Harness h = new Harness(4, 8, RecoveryConfig.defaults()).start(5, 6, 7);
        Message.Member two = new Message.Member(2, true, 5 * MS, 3);
        Message.Member ghost = new Message.Member(8, true, 5 * MS, 3);
        h.deliver(5 * MS, 3, new Message.Membership(true, List.of(two, ghost)));
        assertEquals(List.of(2), h.node.deadInView(), "node 8 is not in an 8-node ring");
        assertEquals(List.of(two), h.announced(5), "only what was learnt, to the successor");
        h.deliver(6 * MS, 3, new Message.Membership(true, List.of(two)));
        assertEquals(1, h.announced(5).size(), "nothing new: nothing relayed");
        Message.Member one = new Message.Member(1, true, 6 * MS, 5);
        h.deliver(7 * MS, 5, new Message.Membership(true, List.of(one)));
        assertEquals(List.of(1, 2), h.node.deadInView());
        assertEquals(1, h.announced(5).size(), "news from the successor is not sent back to it");
        // The last node relays to node 0.
        Harness last = new Harness(7, 8, RecoveryConfig.defaults()).start(0, 1, 2);
        last.deliver(5 * MS, 6, new Message.Membership(true, List.of(two)));
        assertEquals(List.of(two), last.announced(0));
    }

    @Test
    void onlyTheNearestLivePredecessorContestsAStaleViewAndOnlyAfterASuspicionTimeout() {
        Harness h = new Harness(4, 8, RecoveryConfig.defaults()).start(5, 6, 7);
        h.runTo(100 * MS);
        // Someone says 5 and 6 are dead; node 4 hears both. It is the nearest live predecessor of 5 only.
        h.deliver(100 * MS, 3, new Message.Membership(true, List.of(new Message.Member(5, true, 100 * MS, 2),
                new Message.Member(6, true, 100 * MS, 2))));
        h.runTo(140 * MS);
        assertEquals(2, h.announced(5).size(), "the news relayed, not contested yet: " + h.announced(5));
        h.runTo(150 * MS);
        assertEquals(new Message.Member(5, false, 150 * MS, 4), h.announced(5).get(2), "contested at stamp + 50 ms");
        h.runTo(400 * MS);
        assertEquals(3, h.announced(5).size(), "6 is not node 4's to contest: " + h.announced(5));
        assertEquals(List.of(6), h.node.deadInView());
        // With 5 suspected, node 4 is 6's nearest live predecessor: now it contests 6.
        h.acking.remove(5);
        h.runTo(600 * MS);
        assertTrue(h.announced(6).contains(new Message.Member(6, false, 460 * MS, 4)), "contests 6: " + h.announced(6));
        assertEquals(List.of(5), h.node.deadInView());
        // And a suspicion the view contradicts (5 alive, stamped later by another node) is re-announced.
        h.deliver(600 * MS, 3, new Message.Membership(true, List.of(new Message.Member(5, false, 600 * MS, 2))));
        assertEquals(List.of(), h.node.deadInView());
        h.runTo(640 * MS);
        assertEquals(List.of(), h.node.deadInView(), "not before 50 ms");
        h.runTo(650 * MS);
        assertEquals(List.of(5), h.node.deadInView(), "re-announced at 650 ms");
        assertTrue(h.announced(6).contains(new Message.Member(5, true, 650 * MS, 4)), "" + h.announced(6));
    }

    // ---- the token died at the successor --------------------------------------------------------------

    @Test
    void aTokenPassedToASuccessorThatDiesIsRegeneratedAtOnceWithoutAnEstimateOrWhenItShouldHaveBeenBack() {
        // No rotation measured yet: at the suspicion.
        Harness h = new Harness(0, 8, RecoveryConfig.defaults()).start(1, 2, 3);
        h.acking.remove(1);
        h.runTo(300 * MS);
        List<Observation.TokenCreated> created = h.observed(Observation.TokenCreated.class);
        assertEquals(2, created.size(), "" + created);
        assertEquals(60 * MS, created.get(1).atNanos());
        assertTrue(created.get(1).epoch() > created.get(0).epoch());
        assertEquals(1, h.sentTo(2, Message.Token.class).size(), "the new token goes past the dead node");
        // Rotation interval I measured: regenerated at max(suspicion, pass + I + one heartbeat if later).
        long[][] cases = {{50, 460}, {60, 460}, {61, 471}, {300, 710}};
        for (long[] c : cases) {
            long interval = c[0] * MS;
            String why = "rotation " + c[0] + " ms";
            Harness k = rotating(interval);
            k.runTo(900 * MS);
            List<Observation.TokenCreated> made = k.observed(Observation.TokenCreated.class);
            assertEquals(1, made.size(), why + ": " + made);
            assertEquals(c[1] * MS, made.get(0).atNanos(), why);
            assertEquals(epoch(901, 0), made.get(0).epoch(), why + ": one generation above the floor");
            assertEquals(1, k.sentTo(2, Message.Token.class).size(), why);
        }
    }

    /**
     * Node 0 of 8 sees epoch (900, 5) go round twice, {@code interval} apart, the second time at 400 ms,
     * passes it to 1, which acks at 400 ms (no sign of the token) and then falls silent.
     */
    private static Harness rotating(long interval) {
        Harness k = new Harness(0, 8, RecoveryConfig.defaults());
        long e = epoch(900, 5);
        k.ackEpoch = e;
        k.ackTokenSeen = 400 * MS - interval;
        k.start(1, 2, 3);
        k.runTo(400 * MS - interval);
        k.deliver(400 * MS - interval, 7, token(e, 5, 16, 0));
        k.runTo(400 * MS);
        k.deliver(400 * MS, 7, token(e, 6, 24, 0));
        assertEquals(interval, k.observed(Observation.RotationEstimate.class).get(0).intervalNanos());
        k.acking.remove(1);
        return k;
    }

    @Test
    void noRegenerationWhenTheSuccessorSaidItTookTheTokenOrCameBackBeforeItWasDue() {
        Harness took = new Harness(0, 8, RecoveryConfig.defaults()).start(1, 2, 3);
        took.tokenSeenBy.put(1, 0L); // 1's acks say it took the token at the instant of the pass; 2's and 3's do not
        took.runTo(10 * MS);
        took.acking.remove(1);
        took.runTo(400 * MS);
        assertEquals(1, took.observed(Observation.Suspected.class).size());
        assertEquals(1, took.observed(Observation.TokenCreated.class).size(), "only the cold start's");

        Harness back = rotating(300 * MS);
        back.runTo(600 * MS);
        assertEquals(1, back.observed(Observation.Suspected.class).size());
        back.deliver(600 * MS, 1, new Message.HeartbeatAck(9, 0, -1, 0, NEVER));
        back.acking.add(1);
        back.runTo(900 * MS);
        assertEquals(List.of(), back.observed(Observation.TokenCreated.class), "1 came back before the token was due");
    }

    // ---- the token-loss timeout -----------------------------------------------------------------------

    @Test
    void withNoTokenTheAnchorRegeneratesAfterTheLossTimeoutAndTheOthersStaggeredByRank() {
        for (int self = 1; self < 8; self++) {
            for (boolean lowerDead : new boolean[] {false, true}) {
                String why = "node " + self + (lowerDead ? ", lower ids dead in its view" : "");
                Harness h = new Harness(self, 8, RecoveryConfig.defaults());
                h.linkingPred = self - 1;
                h.start((self + 1) % 8, (self + 2) % 8, (self + 3) % 8);
                if (lowerDead) {
                    List<Message.Member> dead = new ArrayList<>();
                    for (int v = 0; v < self; v++) {
                        dead.add(new Message.Member(v, true, 0, self - 1));
                    }
                    h.deliver(0, self - 1, new Message.Membership(true, dead));
                }
                h.runTo(600 * MS);
                List<Observation.TokenCreated> made = h.observed(Observation.TokenCreated.class);
                assertFalse(made.isEmpty(), why);
                // Node 7 hears its successor 0 and contests the entry that says 0 is dead (50 ms later): rank 1.
                int rank = !lowerDead ? self : self == 7 ? 1 : 0;
                long expected = rank == 0 ? 200 * MS : 400 * MS + rank * 10 * MS;
                assertEquals(expected, made.get(0).atNanos(), why);
                assertEquals(epoch(expected / MS, self), made.get(0).epoch(), why + ": generation = now in ms");
                assertEquals(made.get(made.size() - 1).epoch(), h.node.maxEpoch(), why + ": the latest token it made");
            }
        }
    }

    @Test
    void aNodeRegeneratesOnlyWhileAPredecessorSaysWithinTheSuspicionTimeoutThatItPassesToIt() {
        // Node 0 is the anchor; its predecessor 7 stops saying "my successor is 0" at a given time.
        for (long stop : new long[] {140, 150, 1000}) {
            Harness h = new Harness(0, 8, RecoveryConfig.defaults());
            h.ackEpoch = epoch(1, 3); // not a cold start
            h.linkingPred = 7;
            h.start(1, 2, 3);
            h.runTo(stop * MS);
            h.linkingPred = -1;
            h.runTo(700 * MS);
            boolean expected = stop >= 150;
            assertEquals(expected, !h.observed(Observation.TokenCreated.class).isEmpty(), "predecessor quiet from " + stop);
            if (expected) {
                assertEquals(200 * MS, h.observed(Observation.TokenCreated.class).get(0).atNanos());
            }
        }
        // A predecessor that passes to someone else does not make the node reachable.
        Harness other = new Harness(0, 8, RecoveryConfig.defaults());
        other.ackEpoch = epoch(1, 3);
        other.start(1, 2, 3);
        for (long t = 10 * MS; t <= 700 * MS; t += 10 * MS) {
            other.deliver(t, 7, new Message.Heartbeat(1, t, -1, 0, 1));
            other.runTo(t);
        }
        assertEquals(List.of(), other.observed(Observation.TokenCreated.class));
    }

    @Test
    void aLateTickDoesNotCountTheNodesOwnPauseAsTokenSilence() {
        Harness h = new Harness(0, 8, RecoveryConfig.defaults());
        h.ackEpoch = epoch(1, 3);
        h.linkingPred = 7;
        h.start(1, 2, 3);
        h.runTo(190 * MS);
        // The tick due at 200 ms runs 40 ms late: 240 ms since the last token, 40 ms of it paused, and an
        // 80 ms slack for the stall just seen: 120 ms of real silence.
        h.fire(240 * MS);
        assertEquals(List.of(), h.observed(Observation.TokenCreated.class));
        assertEquals(List.of(), h.observed(Observation.Suspected.class));
        h.runTo(500 * MS);
        assertEquals(1, h.observed(Observation.TokenCreated.class).size());
        long at = h.observed(Observation.TokenCreated.class).get(0).atNanos();
        assertTrue(at >= 280 * MS && at <= 300 * MS, "regenerated at " + at / MS + " ms");
    }

    @Test
    void aLongStallFadesOverTenSecondsAndAStallLateInARunStillCounts() {
        Harness h = new Harness(4, 8, RecoveryConfig.defaults()).start(5, 6, 7);
        h.runTo(6_000 * MS);
        h.fire(6_310 * MS); // the tick due at 6.01 s runs 300 ms late
        h.runTo(6_400 * MS);
        h.acking.clear();
        h.runTo(8_000 * MS);
        long detect = h.observed(Observation.Suspected.class).get(0).atNanos() - 6_400 * MS;
        // 50 ms + 2 x (300 ms fading by 3 % per 300 ms)
        assertTrue(detect > 600 * MS && detect < 660 * MS, "detected " + detect / MS + " ms after the silence began");
        Harness faded = new Harness(4, 8, RecoveryConfig.defaults()).start(5, 6, 7);
        faded.runTo(1_000 * MS);
        faded.fire(2_010 * MS); // a 1 s stall
        faded.runTo(11_000 * MS);
        faded.acking.clear();
        faded.runTo(12_000 * MS);
        long after = faded.observed(Observation.Suspected.class).get(0).atNanos() - 11_000 * MS;
        // 9 s later the slack is 2 x 1 s x (1 - elapsed / 10 s): about 160 ms by the time it matters.
        assertTrue(after > 200 * MS && after <= 230 * MS, "detected " + after / MS + " ms after the silence began");
    }

    @Test
    void regenerationGoesOneGenerationAboveTheFloorAndRefusesToOverflowTheEpoch() {
        Harness h = new Harness(0, 8, RecoveryConfig.defaults());
        h.ackEpoch = epoch(1_000_000, 6);
        h.linkingPred = 7;
        h.start(1, 2, 3);
        h.runTo(200 * MS);
        assertEquals(epoch(1_000_001, 0), h.observed(Observation.TokenCreated.class).get(0).epoch());
        Harness top = new Harness(0, 8, RecoveryConfig.defaults());
        top.ackEpoch = epoch((1L << (63 - HealingRing.ID_BITS)) - 1, 6);
        top.linkingPred = 7;
        top.start(1, 2, 3);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> top.runTo(200 * MS));
        assertTrue(e.getMessage().contains("overflows"), e.getMessage());
    }

    // ---- holding, dropping, estimates, ticks ----------------------------------------------------------

    @Test
    void aTokenWaitsForTheFirstWordOfTheSuccessorSinceStartWhichOneProbeHeartbeatAsksFor() {
        // Nobody acks: the successor's link is not up yet (a respawned node whose predecessor reached it first).
        Harness h = new Harness(5, 8, RecoveryConfig.defaults()).start();
        assertEquals(6, h.node.successor());
        int beats = h.sentTo(6, Message.Heartbeat.class).size();
        assertEquals(1, beats, "the start tick's heartbeat");
        long e = epoch(7, 2);
        h.deliver(3 * MS, 4, token(e, 2, 40, 0));
        assertTrue(h.node.holding(), "not passed to a successor not heard from since start");
        assertEquals(List.of(), h.sentTo(6, Message.Token.class));
        List<Message.Heartbeat> toSix = h.sentTo(6, Message.Heartbeat.class);
        assertEquals(2, toSix.size(), "one probe as it starts holding");
        assertEquals(3 * MS, toSix.get(1).sentAtNanos());
        h.deliver(4 * MS, 4, new Message.Heartbeat(9, 4 * MS, e, 0, 5));
        assertEquals(2, h.sentTo(6, Message.Heartbeat.class).size(), "no second probe for the same successor");
        // Node 7 answers first: not the successor, so the token still waits for node 6.
        h.deliver(5 * MS, 7, new Message.HeartbeatAck(1, 0, e, 0, NEVER));
        assertTrue(h.node.holding());
        h.deliver(6 * MS, 6, new Message.HeartbeatAck(1, 3 * MS, e, 0, NEVER));
        assertFalse(h.node.holding());
        List<Message.Token> passed = h.sentTo(6, Message.Token.class);
        assertEquals(1, passed.size());
        assertEquals(e, passed.get(0).epoch());
        assertEquals(41, passed.get(0).hop());
        assertEquals(3 * MS, passed.get(0).heldNanos(), "the wait counts as held");
        // Heard once is enough: the next token goes on at once.
        h.deliver(8 * MS, 4, token(e, 3, 56, 3 * MS));
        assertFalse(h.node.holding());
        assertEquals(2, h.sentTo(6, Message.Token.class).size());
    }

    @Test
    void withNoLiveSuccessorTheTokenIsHeldAndPassedWhenOneReturnsWhileStaleTokensAreDropped() {
        Harness h = new Harness(2, 4, RecoveryConfig.defaults().withSuccessors(1)).start();
        h.runTo(60 * MS);
        assertEquals(-1, h.node.successor());
        long e1 = epoch(5, 1);
        h.deliver(100 * MS, 1, token(e1, 3, 7, 2 * MS));
        assertTrue(h.node.holding());
        assertEquals(e1, h.node.maxEpoch());
        assertEquals(List.of(), h.sentTo(3, Message.Token.class));
        long e0 = epoch(4, 3);
        h.deliver(110 * MS, 1, token(e0, 9, 9, 0));
        assertEquals(new Observation.TokenDropped(2, e0, e1, 110 * MS), h.observed(Observation.TokenDropped.class).get(0));
        long e2 = epoch(6, 1);
        h.deliver(120 * MS, 1, token(e2, 4, 8, 3 * MS));
        assertEquals(new Observation.TokenDropped(2, e1, e2, 120 * MS), h.observed(Observation.TokenDropped.class).get(1),
                "the held token gives way to a newer one");
        assertTrue(h.node.holding());
        h.runTo(130 * MS);
        assertEquals(e2, h.sentTo(3, Message.Heartbeat.class).get(h.sentTo(3, Message.Heartbeat.class).size() - 1).maxEpoch());
        h.deliver(150 * MS, 3, new Message.HeartbeatAck(1, 0, -1, 0, NEVER));
        assertFalse(h.node.holding());
        assertEquals(3, h.node.successor());
        List<Message.Token> passed = h.sentTo(3, Message.Token.class);
        assertEquals(1, passed.size());
        assertEquals(e2, passed.get(0).epoch());
        assertEquals(9, passed.get(0).hop());
        assertEquals(3 * MS + 30 * MS, passed.get(0).heldNanos(), "the wait for a live successor counts as held");
        assertTrue(h.node.toString().contains("node 2, successor 3"), h.node.toString());
    }

    @Test
    void rotationEstimatesComeFromTwoVisitsOfOneEpochAndTicksNeverRepeat() {
        Harness h = new Harness(2, 8, RecoveryConfig.defaults()).start(3, 4, 5);
        long e = epoch(7, 0);
        h.deliver(100 * MS, 1, token(e, 4, 10, 5 * MS));
        h.deliver(300 * MS, 1, token(e, 5, 18, 9 * MS));
        assertEquals(List.of(new Observation.RotationEstimate(2, e, 200 * MS, 4 * MS, 8, (200 * MS - 4 * MS) / 8)),
                h.observed(Observation.RotationEstimate.class));
        h.deliver(350 * MS, 1, token(e, 5, 18, 9 * MS)); // a copy with no new hops: no estimate
        long e2 = epoch(8, 3);
        h.deliver(400 * MS, 1, token(e2, 3, 2, 0)); // another epoch: no estimate
        h.deliver(520 * MS, 1, token(e2, 9, 12, 20 * MS));
        List<Observation.RotationEstimate> est = h.observed(Observation.RotationEstimate.class);
        assertEquals(2, est.size(), "" + est);
        assertEquals(new Observation.RotationEstimate(2, e2, 120 * MS, 20 * MS, 10, 10 * MS), est.get(1));
        assertEquals(List.of(4L, 5L, 6L, 7L, 9L), h.observed(Observation.Tick.class).stream()
                .map(Observation.Tick::tick).toList(), "a rotation not above the last tick is renumbered");
        // Node 0 counts a rotation when the token comes from a higher id.
        Harness zero = new Harness(0, 8, RecoveryConfig.defaults());
        zero.ackEpoch = e;
        zero.start(1, 2, 3);
        zero.deliver(50 * MS, 7, token(e, 4, 10, 0));
        assertEquals(List.of(new Observation.RotationCompleted(0, e, 4, 0, 50 * MS)),
                zero.observed(Observation.RotationCompleted.class));
        assertEquals(5, zero.observed(Observation.Tick.class).get(0).tick());
    }

    // ---- overlays -------------------------------------------------------------------------------------

    @Test
    void theSuccessorOverlayLinksEachNodeToItsRSuccessorsWithoutSelfLoopsForAnyR() {
        for (int n = 2; n <= 9; n++) {
            for (int r = 1; r <= 10; r++) {
                Overlay o = HealingRing.overlay(n, r);
                String why = "n=" + n + " r=" + r;
                int expectedDegree = Math.min(n - 1, 2 * r);
                for (int node = 0; node < n; node++) {
                    int v = node;
                    int[] nb = o.neighbours(v);
                    assertEquals(expectedDegree, nb.length, why + " node " + v);
                    assertEquals(nb.length, java.util.Arrays.stream(nb).distinct().count(), why);
                    assertTrue(java.util.Arrays.stream(nb).noneMatch(u -> u == v), why + ": self-loop at " + v);
                    for (int i = 1; i <= Math.min(r, n - 1); i++) {
                        int s = (v + i) % n;
                        assertTrue(java.util.Arrays.stream(nb).anyMatch(u -> u == s), why + ": " + v + " - " + s);
                    }
                }
                new HealingRing(n - 1, o, RecoveryConfig.defaults().withSuccessors(Math.min(r, 64)));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> HealingRing.overlay(1, 1));
        assertThrows(IllegalArgumentException.class, () -> HealingRing.overlay(5, 0));
        assertThrows(IllegalArgumentException.class, () -> HealingRing.overlay(HealingRing.MAX_NODES + 1, 1));
    }

    @Test
    void aNodeNeedsAnEdgeEitherWayToEachSuccessorAndAnIdInTheRing() {
        RecoveryConfig r1 = RecoveryConfig.defaults().withSuccessors(1);
        // Arcs only forwards (v -> v+1), or only backwards (v+1 -> v): both link v to its successor.
        int n = 4;
        int[][] fwd = new int[n][];
        int[][] bwd = new int[n][];
        for (int v = 0; v < n; v++) {
            fwd[v] = new int[] {(v + 1) % n};
            bwd[v] = new int[] {(v + n - 1) % n};
        }
        for (int v = 0; v < n; v++) {
            new HealingRing(v, Overlay.fromAdjacency("fwd", true, fwd), r1);
            new HealingRing(v, Overlay.fromAdjacency("bwd", true, bwd), r1);
        }
        // Node 0 lacks an edge to 1 either way, though the row after 0's starts with 1, and the row after 1's with 0.
        Overlay gap = Overlay.fromAdjacency("gap", true, new int[][] {{2}, {1, 2}, {0}, {0}});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new HealingRing(0, gap, r1));
        assertTrue(e.getMessage().contains("no edge 0 - 1"), e.getMessage());
        Overlay gap2 = Overlay.fromAdjacency("gap2", true, new int[][] {{3}, {2}, {0, 1}, {0}});
        assertThrows(IllegalArgumentException.class, () -> new HealingRing(0, gap2, r1));
        Overlay ring4 = HealingRing.overlay(4, 1);
        IllegalArgumentException id = assertThrows(IllegalArgumentException.class, () -> new HealingRing(4, ring4, r1));
        assertTrue(id.getMessage().contains("0..3"), id.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new HealingRing(-1, ring4, r1));
        new HealingRing(3, ring4, r1);
        assertThrows(IllegalArgumentException.class,
                () -> new HealingRing(0, Overlay.fromAdjacency("one", false, new int[][] {{}}), r1));
        new HealingRing(1, HealingRing.overlay(2, 1), r1);
    }
}
