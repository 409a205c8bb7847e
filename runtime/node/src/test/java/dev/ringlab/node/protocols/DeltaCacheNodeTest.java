package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.DeltaMessage.Entry;
import dev.ringlab.node.protocols.DeltaMessage.RequestKind;
import dev.ringlab.node.protocols.DeltaMessage.SignalKind;
import dev.ringlab.node.protocols.DeltaMessage.StateKind;
import dev.ringlab.node.protocols.DeltaStore.Origin;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link DeltaCache} one node at a time on a hand-driven clock ({@link RecordingEnv}): what it sends and reports
 * for writes (replication, acks, resends, stand-in replicas, the write deadline), reads (the query's budget and
 * targets, aggregation, the answer, the give-ups: suspicion, round-trip timeout, budget, crossing queries),
 * heartbeats and round-trip estimates, compaction (summaries to the replicas, releases to holders of the past)
 * and adoption of a dead origin's share (who adopts, where to, and the release when the origin comes back).
 * Every expectation is worked out from the protocol's description, not read off a run.
 */
class DeltaCacheNodeTest {
    private static final long MS = 1_000_000L;
    /** Nodes start here, so an incarnation (the start time) is not 0. */
    private static final long T0 = 1_000 * MS;
    /** r = 2, hb 10 ms, suspect 50 ms, resend 10 ms, write 500 ms, read 400 ms, hop 0.5 ms, compact 50 ms. */
    private static final DeltaCacheConfig D = DeltaCacheConfig.defaults();

    /** One delta cache node under test. */
    private static final class One {
        final RecordingEnv env;
        final DeltaCache node;
        final int self;
        /** The incarnation each neighbour's pings carry ({@link #hear}). */
        final long[] incs;

        One(int self, String topology, int n, DeltaCacheConfig config) {
            this(self, Topologies.build(topology, n, 1), config);
        }

        One(int self, Overlay overlay, DeltaCacheConfig config) {
            this.self = self;
            incs = new long[overlay.size()];
            env = new RecordingEnv(self, overlay.size(), 7);
            env.nowNanos = T0;
            node = (DeltaCache) DeltaCache.protocol(config).create(self, overlay);
            node.start(env);
        }

        /** Runs every timer due up to {@code t}, each at its own time, then sets the clock to {@code t}. */
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

        /** Runs to {@code t} in heartbeat steps, hearing a ping from each of {@code alive} at every step. */
        void runHearing(long t, int... alive) {
            while (env.nowNanos + D.heartbeatNanos() < t) {
                hear(alive);
                runTo(env.nowNanos + D.heartbeatNanos());
            }
            hear(alive);
            runTo(t);
        }

        void hear(int... alive) {
            for (int v : alive) {
                node.onMessage(v, new DeltaMessage.Signal(SignalKind.PING, 0, 0, v, incs[v], 0));
            }
        }

        void client(RequestKind kind, long reqId, long key, long amount) {
            node.onMessage(Env.CLIENT, new DeltaMessage.Request(kind, reqId, key, amount));
        }

        void from(int v, Message m) {
            node.onMessage(v, m);
        }

        /** The messages sent since the last call, without heartbeats and their answers. */
        List<RecordingEnv.Sent> take() {
            List<RecordingEnv.Sent> out = new ArrayList<>();
            for (RecordingEnv.Sent s : env.sent) {
                if (!(s.message() instanceof DeltaMessage.Signal g && (g.kind() == SignalKind.PING
                        || g.kind() == SignalKind.PONG))) {
                    out.add(s);
                }
            }
            env.sent.clear();
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

        long inc() {
            return node.incarnation();
        }
    }

    private static RecordingEnv.Sent sent(int to, Message m) {
        return new RecordingEnv.Sent(to, m);
    }

    private static DeltaMessage.Signal ack(long seq) {
        return DeltaMessage.Signal.ack(seq);
    }

    private static long stateSeq(RecordingEnv.Sent s) {
        return ((DeltaMessage.State) s.message()).seq();
    }

    // ---- writes ----------------------------------------------------------------------------------------------

    @Test
    void anIncrementGoesToTheNextNodeInRingOrderAndIsAcknowledgedOnceItHoldsIt() {
        One a = new One(0, "complete", 4, D);
        assertEquals(T0, a.inc());
        a.take();
        a.client(RequestKind.INCREMENT, 11, 5, 3);
        List<RecordingEnv.Sent> out = a.take();
        Entry e1 = Entry.single(0, T0, 1, 3);
        assertEquals(1, out.size(), out.toString());
        long id = stateSeq(out.get(0));
        assertEquals(sent(1, new DeltaMessage.State(StateKind.REPLICATE, id, 5, List.of(e1))), out.get(0));
        assertTrue(a.node.store(5).contains(new Origin(0, T0), 1), "the origin keeps its increment");
        assertEquals(List.of(), a.observed(Observation.DeltaAck.class), "not acknowledged before the replica holds it");

        a.env.nowNanos = T0 + 2 * MS;
        a.from(1, ack(id));
        assertEquals(List.of(new Observation.DeltaAck(0, 11, 5, T0, 1, 3, T0 + 2 * MS)), a.observed(Observation.DeltaAck.class));
        a.from(1, ack(id));
        assertEquals(1, a.observed(Observation.DeltaAck.class).size(), "a repeated ack acknowledges nothing more");

        // Seqs count per key: key 5's second increment is 2, key 6's first is 1.
        a.client(RequestKind.INCREMENT, 12, 5, -4);
        a.client(RequestKind.INCREMENT, 13, 6, 1);
        out = a.take();
        assertEquals(List.of(Entry.single(0, T0, 2, -4)), ((DeltaMessage.State) out.get(0).message()).entries());
        assertEquals(List.of(Entry.single(0, T0, 1, 1)), ((DeltaMessage.State) out.get(1).message()).entries());
        assertEquals(List.of(5L, 6L), a.node.keys());
        assertEquals(-1, a.node.store(5).value());
    }

    @Test
    void withThreeCopiesAnIncrementNeedsTwoDistinctAcks() {
        One a = new One(0, "complete", 5, DeltaCacheConfig.parse("dcache:r=3"));
        a.take();
        a.client(RequestKind.INCREMENT, 1, 9, 2);
        List<RecordingEnv.Sent> out = a.take();
        assertEquals(List.of(1, 2), out.stream().map(RecordingEnv.Sent::to).toList());
        long id = stateSeq(out.get(0));
        assertEquals(id, stateSeq(out.get(1)));
        a.from(1, ack(id));
        a.from(1, ack(id));
        assertEquals(List.of(), a.observed(Observation.DeltaAck.class), "one replica, acked twice, is one copy");
        a.runHearing(T0 + 10 * MS, 1, 2, 3, 4);
        assertEquals(List.of(2), states(a.take(), StateKind.REPLICATE).stream().map(RecordingEnv.Sent::to).toList(),
                "resent only to the replica that has not acked");
        a.from(2, ack(id));
        assertEquals(1, a.observed(Observation.DeltaAck.class).size());
    }

    @Test
    void withOneCopyAnIncrementIsAcknowledgedAtOnceAndSentNowhere() {
        One a = new One(0, "ring", 3, DeltaCacheConfig.parse("dcache:r=1"));
        a.take();
        a.client(RequestKind.INCREMENT, 4, 2, 7);
        assertEquals(List.of(), a.take());
        assertEquals(List.of(new Observation.DeltaAck(0, 4, 2, T0, 1, 7, T0)), a.observed(Observation.DeltaAck.class));
    }

    @Test
    void anUnacknowledgedIncrementIsResentEveryRetryToAStandInOnceTheReplicaIsSuspectedAndFailsAtTheDeadline() {
        One a = new One(0, "complete", 4, D);
        a.take();
        a.client(RequestKind.INCREMENT, 21, 5, 1);
        long id = stateSeq(a.take().get(0));
        DeltaMessage.State copy = new DeltaMessage.State(StateKind.REPLICATE, id, 5, List.of(Entry.single(0, T0, 1, 1)));
        a.runHearing(T0 + 10 * MS - 1, 1, 2, 3);
        assertEquals(List.of(), a.take(), "no resend before the retry period");
        a.runHearing(T0 + 10 * MS, 1, 2, 3);
        assertEquals(List.of(sent(1, copy)), a.take(), "resent to the same replica");
        // Node 1 falls silent: suspected once it has been for more than 50 ms (at the heartbeat at T0 + 70 ms).
        a.runHearing(T0 + 60 * MS, 2, 3);
        assertEquals(5, a.take().stream().filter(s -> s.to() == 1).count(), "still resent to node 1 until suspected");
        a.runHearing(T0 + 70 * MS, 2, 3);
        List<RecordingEnv.Sent> out = a.take();
        assertEquals(List.of(sent(2, copy)), out, "a stand-in replica once node 1 is suspected");
        a.runHearing(T0 + 499 * MS, 2, 3);
        assertEquals(List.of(), a.observed(Observation.CacheFailed.class));
        a.take();
        a.runHearing(T0 + 500 * MS, 2, 3);
        assertEquals(List.of(new Observation.CacheFailed(0, 21, 5, true, T0 + 500 * MS)),
                a.observed(Observation.CacheFailed.class), "given up exactly at the write deadline");
        assertEquals(List.of(), states(a.take(), StateKind.REPLICATE), "not sent at the deadline");
        a.from(2, ack(id));
        assertEquals(List.of(), a.observed(Observation.DeltaAck.class), "a late ack acknowledges nothing");
        a.runHearing(T0 + 600 * MS, 2, 3);
        assertEquals(List.of(), a.take().stream().filter(s -> s.message() instanceof DeltaMessage.State st
                && st.kind() == StateKind.REPLICATE).toList(), "no resend after giving up");
        assertTrue(a.node.store(5).contains(new Origin(0, T0), 1), "the increment stays: its outcome is unknown");
    }

    @Test
    void requestsCountOnlyFromClientsAndStateOnlyFromNodes() {
        One a = new One(0, "complete", 4, D);
        a.take();
        a.from(2, new DeltaMessage.Request(RequestKind.INCREMENT, 1, 5, 1));
        a.from(Env.CLIENT, new DeltaMessage.State(StateKind.REPLICATE, 3, 5, List.of(Entry.single(2, 0, 1, 1))));
        a.from(Env.CLIENT, new DeltaMessage.Query(2, 1, 5, 100 * MS, false, false));
        a.from(Env.CLIENT, new DeltaMessage.Signal(SignalKind.RELEASE, 0, 5, 2, 0, 1));
        a.from(Env.CLIENT, new DeltaMessage.Answer(0, 1, 5, 1, List.of()));
        a.from(1, new Message.CatalogAdd("x"));
        assertEquals(List.of(), a.take());
        assertNull(a.node.store(5));
        assertEquals(List.of(), a.env.observed);
    }

    // ---- state from other nodes ------------------------------------------------------------------------------

    @Test
    void aReplicaStoresWhatItIsSentAcksItAndDropsWhatItIsToldToRelease() {
        One b = new One(1, "complete", 4, D);
        b.take();
        b.from(0, new DeltaMessage.State(StateKind.REPLICATE, 77, 5, List.of(Entry.single(0, 3, 1, 4))));
        b.from(0, new DeltaMessage.State(StateKind.REPLICATE, 78, 5, List.of(Entry.single(0, 3, 2, 5))));
        assertEquals(List.of(sent(0, ack(77)), sent(0, ack(78))), b.take());
        assertEquals(9, b.node.store(5).value());
        // An empty state (nothing to hold) is acked and leaves no key behind.
        b.from(2, new DeltaMessage.State(StateKind.SUMMARY, 79, 6, List.of()));
        assertEquals(List.of(sent(2, ack(79))), b.take());
        assertEquals(List.of(5L), b.node.keys());

        b.from(0, new DeltaMessage.Signal(SignalKind.RELEASE, 0, 5, 0, 3, 1));
        assertEquals(5, b.node.store(5).value(), "increment 1 released, 2 kept");
        b.from(0, new DeltaMessage.Signal(SignalKind.RELEASE, 0, 6, 0, 3, 9));
        b.from(0, new DeltaMessage.Signal(SignalKind.RELEASE, 0, 5, 0, 3, 2));
        assertNull(b.node.store(5), "a key released whole is gone");
        assertEquals(List.of(), b.node.keys());
        assertEquals(List.of(), b.take(), "releases are not answered");
    }

    @Test
    void aStorageRequestReportsWhatTheNodeHoldsOfTheKey() {
        One b = new One(1, "complete", 4, D);
        b.from(0, new DeltaMessage.State(StateKind.REPLICATE, 1, 5, List.of(Entry.single(0, 3, 1, 4))));
        b.from(2, new DeltaMessage.State(StateKind.SUMMARY, 2, 5, List.of(new Entry(2, 0, 3, 6, 1, new long[0], new long[0]))));
        b.env.nowNanos = T0 + 3 * MS;
        b.take();
        b.client(RequestKind.STORAGE, 41, 5, 0);
        b.client(RequestKind.STORAGE, 42, 8, 0);
        assertEquals(List.of(new Observation.DeltaStorage(1, 41, 5, 1, 1, DeltaStore.DELTA_BYTES + DeltaStore.SUMMARY_BYTES,
                T0 + 3 * MS), new Observation.DeltaStorage(1, 42, 8, 0, 0, 0, T0 + 3 * MS)),
                b.observed(Observation.DeltaStorage.class));
        assertEquals(List.of(), b.take());
    }

    // ---- heartbeats ------------------------------------------------------------------------------------------

    @Test
    void heartbeatsGoToEveryNeighbourEachPeriodCarryTheIncarnationAndPingsAreAnsweredWithTheirSeq() {
        One a = new One(0, "ring", 5, D);
        List<RecordingEnv.Sent> pings = a.env.sent.stream().filter(s -> s.message() instanceof DeltaMessage.Signal).toList();
        assertEquals(List.of(sent(1, new DeltaMessage.Signal(SignalKind.PING, T0, 0, 0, T0, 0)),
                sent(4, new DeltaMessage.Signal(SignalKind.PING, T0, 0, 0, T0, 0))), pings, "at start, to both ring neighbours");
        a.env.sent.clear();
        a.runTo(T0 + 10 * MS - 1);
        assertEquals(List.of(), a.env.sent);
        a.runTo(T0 + 10 * MS);
        assertEquals(2, a.env.sent.size());
        a.env.sent.clear();
        a.from(4, new DeltaMessage.Signal(SignalKind.PING, 12345, 0, 4, 99, 0));
        assertEquals(List.of(sent(4, new DeltaMessage.Signal(SignalKind.PONG, 12345, 0, 0, T0, 0))), a.env.sent);
        assertTrue(a.node.toString().startsWith("DeltaCache[node 0/" + T0 + ", 0 keys"), a.node.toString());
    }

    // ---- reads -----------------------------------------------------------------------------------------------

    @Test
    void aReadFloodsItsNeighboursWithAnEighthLessBudgetAndAggregatesTheirAnswers() {
        One a = new One(0, "ring", 5, D);
        a.client(RequestKind.INCREMENT, 1, 5, 2);
        a.take();
        a.client(RequestKind.READ, 7, 5, 0);
        DeltaMessage.Query q = new DeltaMessage.Query(0, 7, 5, 350 * MS, false, false);
        assertEquals(List.of(sent(1, q), sent(4, q)), a.take(), "400 ms less an eighth");
        a.env.nowNanos = T0 + 4 * MS;
        a.from(1, new DeltaMessage.Answer(0, 7, 5, 2, List.of(Entry.single(3, 0, 1, 4), Entry.single(0, T0, 1, 2))));
        assertEquals(List.of(), a.observed(Observation.DeltaRead.class), "node 4 has not answered");
        a.from(1, new DeltaMessage.Answer(0, 7, 5, 2, List.of(Entry.single(2, 0, 1, 100))));
        a.from(3, new DeltaMessage.Answer(0, 7, 5, 2, List.of(Entry.single(2, 0, 1, 100))));
        a.from(4, new DeltaMessage.Answer(0, 8, 5, 2, List.of(Entry.single(2, 0, 1, 100))));
        a.env.nowNanos = T0 + 6 * MS;
        a.from(4, new DeltaMessage.Answer(0, 7, 5, 1, List.of(Entry.single(3, 0, 1, 4), Entry.single(2, 0, 2, -1))));
        assertEquals(List.of(new Observation.DeltaRead(0, 7, 5, 6, 1, 4, 3, 3, "", T0 + 6 * MS)),
                a.observed(Observation.DeltaRead.class), "own 2 + 4 from node 3 (held twice) - 1 from node 2; 1 + 2 + 1 nodes");
        assertEquals(List.of(), a.take(), "the root answers its client, no node");
    }

    @Test
    void aDetailedReadListsTheIncrementsItCountedAndAPatientOneAsksNoTakeTimeout() {
        One a = new One(0, "ring", 5, D);
        a.client(RequestKind.INCREMENT, 1, 5, 2);
        a.take();
        a.client(RequestKind.READ_DETAIL, 8, 5, 0);
        assertEquals(new DeltaMessage.Query(0, 8, 5, 350 * MS, true, false), a.take().get(0).message());
        a.from(1, new DeltaMessage.Answer(0, 8, 5, 1, List.of()));
        a.from(4, new DeltaMessage.Answer(0, 8, 5, 1, List.of(Entry.single(3, 0, 2, 4))));
        Observation.DeltaRead r = a.observed(Observation.DeltaRead.class).get(0);
        assertEquals("0/" + T0 + ":0,1;3/0:0,2", r.dots());
        assertEquals(3, r.answered());

        a.client(RequestKind.READ_PATIENT, 9, 5, 0);
        assertEquals(new DeltaMessage.Query(0, 9, 5, 350 * MS, true, true), a.take().get(0).message());
        // No answer and no take: a patient read waits for its children until the budget (or a suspicion).
        a.runHearing(T0 + 399 * MS, 1, 4);
        assertEquals(1, a.observed(Observation.DeltaRead.class).size());
        a.runHearing(T0 + 400 * MS, 1, 4);
        Observation.DeltaRead late = a.observed(Observation.DeltaRead.class).get(1);
        assertEquals(1, late.answered(), "only the root itself, at the budget");
        assertEquals(T0 + 400 * MS, late.atNanos());
    }

    @Test
    void theHopSlackIsTheLeastAHopLosesAndABudgetWithinItMakesALeaf() {
        One a = new One(0, "ring", 5, D.withHopSlack(100 * MS));
        a.take();
        a.client(RequestKind.READ, 7, 5, 0);
        assertEquals(300 * MS, ((DeltaMessage.Query) a.take().get(0).message()).budgetNanos(), "400 ms less 100 ms, not an eighth");

        One b = new One(2, "ring", 5, D);
        b.from(3, new DeltaMessage.State(StateKind.REPLICATE, 1, 5, List.of(Entry.single(3, 0, 1, 4))));
        b.take();
        // A budget of one hop slack leaves no child any time: the node answers at once, as a leaf.
        b.from(1, new DeltaMessage.Query(1, 9, 5, D.hopSlackNanos(), false, false));
        assertEquals(List.of(sent(1, new DeltaMessage.Signal(SignalKind.QUERY_TAKEN, 9, 5, 1, 0, 0)),
                sent(1, new DeltaMessage.Answer(1, 9, 5, 1, List.of(Entry.single(3, 0, 1, 4))))), b.take());
        // A little more and it asks its other neighbour, with what is left.
        b.from(1, new DeltaMessage.Query(1, 10, 5, D.hopSlackNanos() + 1, false, false));
        List<RecordingEnv.Sent> out = b.take();
        assertEquals(sent(3, new DeltaMessage.Query(1, 10, 5, 1, false, false)), out.get(1));
        assertEquals(2, out.size());
    }

    @Test
    void aNodeTakesAQueryFromItsFirstSenderAsksTheOthersAndAnswersWithItsSubtree() {
        One b = new One(2, "ring", 5, D);
        b.from(3, new DeltaMessage.State(StateKind.REPLICATE, 1, 5, List.of(Entry.single(3, 0, 1, 4))));
        b.take();
        b.from(1, new DeltaMessage.Query(1, 9, 5, 80 * MS, false, false));
        assertEquals(List.of(sent(1, new DeltaMessage.Signal(SignalKind.QUERY_TAKEN, 9, 5, 1, 0, 0)),
                sent(3, new DeltaMessage.Query(1, 9, 5, 70 * MS, false, false))), b.take(), "not back to its parent");
        b.from(3, new DeltaMessage.Signal(SignalKind.QUERY_TAKEN, 9, 5, 1, 0, 0));
        b.from(3, new DeltaMessage.Answer(1, 9, 5, 3, List.of(Entry.single(4, 0, 1, 1))));
        assertEquals(List.of(sent(1, new DeltaMessage.Answer(1, 9, 5, 4, List.of(Entry.single(3, 0, 1, 4),
                Entry.single(4, 0, 1, 1))))), b.take());
        // The same query again (another path): an empty answer, not a second subtree.
        b.from(3, new DeltaMessage.Query(1, 9, 5, 70 * MS, false, false));
        assertEquals(List.of(sent(3, new DeltaMessage.Answer(1, 9, 5, 0, List.of()))), b.take());
        assertEquals(List.of(), b.env.observed, "a node that is not the root reports no read");
    }

    @Test
    void aNodeRemembersTheLast8192QueriesItSaw() {
        One b = new One(2, "ring", 5, D);
        long leaf = D.hopSlackNanos(); // a leaf's budget: answered at once, nothing kept but the query's id
        for (long id = 1; id <= DeltaCache.MAX_SEEN; id++) {
            b.from(1, new DeltaMessage.Query(1, id, 5, leaf, false, false));
        }
        b.take();
        b.from(3, new DeltaMessage.Query(1, 1, 5, leaf, false, false));
        assertEquals(List.of(sent(3, new DeltaMessage.Answer(1, 1, 5, 0, List.of()))), b.take(), "the oldest of 8192: seen");
        b.from(1, new DeltaMessage.Query(1, DeltaCache.MAX_SEEN + 1, 5, leaf, false, false));
        b.take();
        b.from(3, new DeltaMessage.Query(1, 1, 5, leaf, false, false));
        assertEquals(SignalKind.QUERY_TAKEN, ((DeltaMessage.Signal) b.take().get(0).message()).kind(),
                "one more query: the oldest is forgotten, so it is taken as new");
    }

    @Test
    void crossingQueriesEndTheWaitForTheOtherSenderAtOnce() {
        One b = new One(2, "ring", 5, D);
        b.take();
        b.from(1, new DeltaMessage.Query(1, 9, 5, 80 * MS, false, false));
        b.take();
        // Node 3 had the query from elsewhere and sends it here too: it is not this node's child.
        b.from(3, new DeltaMessage.Query(1, 9, 5, 70 * MS, false, false));
        assertEquals(List.of(sent(1, new DeltaMessage.Answer(1, 9, 5, 1, List.of())),
                sent(3, new DeltaMessage.Answer(1, 9, 5, 0, List.of()))), b.take(),
                "node 3 answered empty, and this node's own answer goes up without waiting for node 3");

        // With two children, a crossing query from one leaves the wait for the other.
        One c = new One(0, "complete", 4, D);
        c.take();
        c.from(1, new DeltaMessage.Query(1, 9, 5, 80 * MS, false, false));
        c.take();
        c.from(2, new DeltaMessage.Query(1, 9, 5, 70 * MS, false, false));
        assertEquals(List.of(sent(2, new DeltaMessage.Answer(1, 9, 5, 0, List.of()))), c.take(), "still waiting for node 3");
        c.from(3, new DeltaMessage.Answer(1, 9, 5, 1, List.of()));
        assertEquals(List.of(sent(1, new DeltaMessage.Answer(1, 9, 5, 2, List.of()))), c.take());
    }

    @Test
    void aChildThatDoesNotTakeTheQueryWithinTheSuspicionTimeoutIsGivenUpButOneThatTookItIsAwaited() {
        One b = new One(0, "complete", 4, D);
        b.take();
        b.env.nowNanos = T0 + 1 * MS;
        b.from(1, new DeltaMessage.Query(1, 9, 5, 300 * MS, false, false));
        b.take();
        b.from(2, new DeltaMessage.Signal(SignalKind.QUERY_TAKEN, 9, 5, 1, 0, 0));
        b.from(2, new DeltaMessage.Signal(SignalKind.QUERY_TAKEN, 8, 5, 1, 0, 0)); // another read: no effect
        // No round trip measured yet: the take timeout is the suspicion timeout, 50 ms.
        b.runHearing(T0 + 51 * MS - 1, 1, 2, 3);
        assertEquals(List.of(), b.take());
        b.runHearing(T0 + 51 * MS, 1, 2, 3);
        assertEquals(List.of(), b.take(), "node 3 given up, node 2 took it: still waiting");
        b.from(3, new DeltaMessage.Answer(1, 9, 5, 5, List.of(Entry.single(3, 0, 1, 1))));
        assertEquals(List.of(), b.take(), "node 3's late answer is not counted");
        b.from(2, new DeltaMessage.Answer(1, 9, 5, 2, List.of()));
        assertEquals(List.of(sent(1, new DeltaMessage.Answer(1, 9, 5, 3, List.of()))), b.take());
    }

    @Test
    void theTakeTimeoutFollowsTheMeasuredRoundTripAsRfc6298Computes() {
        One b = new One(2, "ring", 5, D);
        b.take();
        // A pong echoes the ping's clock: a 2 ms round trip. srtt 2 ms, rttvar 1 ms: timeout 2 + 4 x 1 = 6 ms.
        b.env.nowNanos = T0 + 2 * MS;
        b.from(3, new DeltaMessage.Signal(SignalKind.PONG, T0, 0, 3, 0, 0));
        b.from(3, new DeltaMessage.Signal(SignalKind.PONG, T0 + 5 * MS, 0, 3, 0, 0)); // from the future: ignored
        b.from(1, new DeltaMessage.Query(1, 9, 5, 200 * MS, false, false));
        b.take();
        b.runTo(T0 + 8 * MS - 1);
        assertEquals(List.of(), b.take());
        b.runTo(T0 + 8 * MS);
        assertEquals(List.of(sent(1, new DeltaMessage.Answer(1, 9, 5, 1, List.of()))), b.take());

        // A second sample of 10 ms: rttvar (3 x 1 + |2 - 10|) / 4 = 2.75 ms, srtt (7 x 2 + 10) / 8 = 3 ms: 14 ms.
        b.env.nowNanos = T0 + 20 * MS;
        b.from(3, new DeltaMessage.Signal(SignalKind.PONG, T0 + 10 * MS, 0, 3, 0, 0));
        b.from(1, new DeltaMessage.Query(1, 10, 5, 200 * MS, false, false));
        b.take();
        b.runTo(T0 + 34 * MS - 1);
        assertEquals(List.of(), b.take());
        b.runTo(T0 + 34 * MS);
        assertEquals(List.of(sent(1, new DeltaMessage.Answer(1, 10, 5, 1, List.of()))), b.take());

        // With a hop slack larger than four variations, the slack is the margin: 3 + 20 ms.
        One c = new One(2, "ring", 5, D.withHopSlack(20 * MS));
        c.env.nowNanos = T0 + 2 * MS;
        c.from(3, new DeltaMessage.Signal(SignalKind.PONG, T0, 0, 3, 0, 0));
        c.from(1, new DeltaMessage.Query(1, 9, 5, 200 * MS, false, false));
        c.take();
        c.runTo(T0 + 24 * MS - 1);
        assertEquals(List.of(), c.take());
        c.runTo(T0 + 24 * MS);
        assertEquals(1, c.take().size());
    }

    @Test
    void aTakeTimeoutBeyondTheBudgetIsNotSetAndTheBudgetEndsTheRead() {
        One b = new One(2, "ring", 5, D);
        b.take();
        b.from(1, new DeltaMessage.Query(1, 9, 5, 40 * MS, false, false));
        b.take();
        // The take timeout (50 ms, no sample) is past the 40 ms budget: the budget ends the wait.
        b.runTo(T0 + 40 * MS - 1);
        assertEquals(List.of(), b.take());
        b.runTo(T0 + 40 * MS);
        assertEquals(List.of(sent(1, new DeltaMessage.Answer(1, 9, 5, 1, List.of()))), b.take());
        b.runTo(T0 + 100 * MS);
        assertEquals(List.of(), b.take(), "answered once");
    }

    @Test
    void aReadStopsWaitingForAChildItComesToSuspectAndSkipsSuspectedOnes() {
        One b = new One(3, "complete", 4, D);
        b.take();
        b.client(RequestKind.READ_PATIENT, 9, 5, 0);
        assertEquals(3, b.take().size());
        b.from(1, new DeltaMessage.Answer(3, 9, 5, 1, List.of()));
        b.from(2, new DeltaMessage.Answer(3, 9, 5, 1, List.of()));
        // Node 0 never answers and falls silent: suspected at the heartbeat after 50 ms of silence (T0 + 60 ms).
        b.runHearing(T0 + 59 * MS, 1, 2);
        assertEquals(List.of(), b.observed(Observation.DeltaRead.class));
        b.runHearing(T0 + 60 * MS, 1, 2);
        assertEquals(List.of(new Observation.DeltaRead(3, 9, 5, 0, 0, 3, 0, 0, "", T0 + 60 * MS)),
                b.observed(Observation.DeltaRead.class));
        b.take();
        b.client(RequestKind.READ, 10, 5, 0);
        assertEquals(List.of(1, 2), b.take().stream().map(RecordingEnv.Sent::to).toList(), "node 0 is not asked");
    }

    // ---- compaction and re-replication ----------------------------------------------------------------------

    /** Node 0 of a complete 4-node overlay with increments 1..k of key 5 acked by node 1. */
    private static One originWith(int k) {
        One a = new One(0, "complete", 4, D);
        for (int i = 1; i <= k; i++) {
            a.client(RequestKind.INCREMENT, i, 5, i);
            for (RecordingEnv.Sent s : a.take()) {
                a.from(s.to(), ack(stateSeq(s)));
            }
        }
        return a;
    }

    private static List<RecordingEnv.Sent> states(List<RecordingEnv.Sent> sent, StateKind kind) {
        return sent.stream().filter(s -> s.message() instanceof DeltaMessage.State st && st.kind() == kind).toList();
    }

    private static List<RecordingEnv.Sent> signals(List<RecordingEnv.Sent> sent, SignalKind kind) {
        return sent.stream().filter(s -> s.message() instanceof DeltaMessage.Signal g && g.kind() == kind).toList();
    }

    @Test
    void compactionFoldsAndPushesTheOriginsSummaryToItsReplicaUntilItIsConfirmed() {
        One a = originWith(3);
        assertEquals(3, a.node.store(5).looseCount());
        a.runHearing(T0 + 50 * MS - 1, 1, 2, 3);
        assertEquals(List.of(), a.take());
        a.runHearing(T0 + 50 * MS, 1, 2, 3);
        Entry summary = new Entry(0, T0, 3, 6, 0, new long[0], new long[0]);
        assertEquals(summary, a.node.store(5).entry(new Origin(0, T0)), "folded");
        List<RecordingEnv.Sent> out = a.take();
        assertEquals(List.of(sent(1, new DeltaMessage.State(StateKind.SUMMARY, stateSeq(out.get(0)), 5, List.of(summary)))),
                out);
        // Not confirmed: sent again at the next round; confirmed: not sent again.
        a.runHearing(T0 + 100 * MS, 1, 2, 3);
        out = a.take();
        assertEquals(1, states(out, StateKind.SUMMARY).size());
        a.from(1, ack(stateSeq(out.get(0))));
        a.runHearing(T0 + 150 * MS, 1, 2, 3);
        assertEquals(List.of(), a.take());
        // A new increment makes the confirmed summary old: pushed again.
        a.client(RequestKind.INCREMENT, 9, 5, 4);
        a.from(1, ack(stateSeq(a.take().get(0))));
        a.runHearing(T0 + 200 * MS, 1, 2, 3);
        assertEquals(List.of(new Entry(0, T0, 4, 10, 0, new long[0], new long[0])),
                ((DeltaMessage.State) states(a.take(), StateKind.SUMMARY).get(0).message()).entries());
    }

    @Test
    void aLoneIncrementIsPushedUnfoldedToItsReplica() {
        One a = originWith(1);
        a.runHearing(T0 + 50 * MS, 1, 2, 3);
        List<RecordingEnv.Sent> out = states(a.take(), StateKind.SUMMARY);
        assertEquals(List.of(Entry.single(0, T0, 1, 1)), ((DeltaMessage.State) out.get(0).message()).entries());
        assertEquals(1, out.get(0).to());
    }

    @Test
    void aStandInReplicaIsToldToReleaseOnceTheReplicaIsBackAndConfirmed() {
        One a = originWith(2);
        // Node 1 falls silent and is suspected at T0 + 60 ms; node 2 stands in.
        a.runHearing(T0 + 60 * MS, 2, 3);
        a.take();
        a.runHearing(T0 + 100 * MS, 2, 3);
        List<RecordingEnv.Sent> all = a.take();
        assertEquals(List.of(), states(all, StateKind.ADOPT), "an origin never adopts its own live share");
        List<RecordingEnv.Sent> out = states(all, StateKind.SUMMARY);
        assertEquals(List.of(2), out.stream().map(RecordingEnv.Sent::to).toList(), "the summary goes to the stand-in");
        a.from(2, ack(stateSeq(out.get(0))));
        // Node 1 is back: it gets the summary (what it held before the suspicion may be gone) ...
        a.runHearing(T0 + 150 * MS, 1, 2, 3);
        out = a.take();
        assertEquals(List.of(1), states(out, StateKind.SUMMARY).stream().map(RecordingEnv.Sent::to).toList());
        assertEquals(List.of(), signals(out, SignalKind.RELEASE), "no release before node 1 confirmed");
        a.from(1, ack(stateSeq(states(out, StateKind.SUMMARY).get(0))));
        // ... and once it confirmed, node 2 (which got only the summary) is told to release, once.
        a.runHearing(T0 + 200 * MS, 1, 2, 3);
        assertEquals(List.of(sent(2, new DeltaMessage.Signal(SignalKind.RELEASE, 0, 5, 0, T0, 2))), a.take());
        a.runHearing(T0 + 250 * MS, 1, 2, 3);
        assertEquals(List.of(), a.take());
    }

    @Test
    void aStandInThatIsSuspectedIsReleasedOnlyOnceItIsHeardAgain() {
        One a = originWith(2);
        a.runHearing(T0 + 60 * MS, 2, 3);
        a.take();
        a.runHearing(T0 + 100 * MS, 2, 3);
        a.from(2, ack(stateSeq(states(a.take(), StateKind.SUMMARY).get(0))));
        // Node 1 back, node 2 silent from now on (suspected at T0 + 160 ms).
        a.runHearing(T0 + 110 * MS, 1, 2, 3);
        a.runHearing(T0 + 150 * MS, 1, 3);
        a.from(1, ack(stateSeq(states(a.take(), StateKind.SUMMARY).get(0))));
        a.runHearing(T0 + 200 * MS, 1, 3);
        assertEquals(List.of(), signals(a.take(), SignalKind.RELEASE), "node 2 is suspected: told nothing yet");
        a.runHearing(T0 + 250 * MS, 1, 2, 3);
        assertEquals(List.of(sent(2, new DeltaMessage.Signal(SignalKind.RELEASE, 0, 5, 0, T0, 2))),
                signals(a.take(), SignalKind.RELEASE));
    }

    @Test
    void aRestartedReplicaGetsTheSummaryAgain() {
        One a = originWith(2);
        a.runHearing(T0 + 50 * MS, 1, 2, 3);
        a.from(1, ack(stateSeq(states(a.take(), StateKind.SUMMARY).get(0))));
        a.runHearing(T0 + 100 * MS, 1, 2, 3);
        assertEquals(List.of(), a.take());
        // Node 1 pings with a new incarnation: it restarted and holds nothing.
        a.incs[1] = 5;
        a.hear(1);
        a.runHearing(T0 + 150 * MS, 1, 2, 3);
        assertEquals(List.of(1), states(a.take(), StateKind.SUMMARY).stream().map(RecordingEnv.Sent::to).toList());
    }

    // ---- adoption --------------------------------------------------------------------------------------------

    /** Node 1 of a complete 4-node overlay holding increments 1..2 of origin (0, 3) of key 5. */
    private static One replicaOfZero() {
        One b = new One(1, "complete", 4, D);
        b.incs[0] = 3;
        b.hear(0);
        b.from(0, new DeltaMessage.State(StateKind.REPLICATE, 1, 5, List.of(Entry.single(0, 3, 1, 2))));
        b.from(0, new DeltaMessage.State(StateKind.REPLICATE, 2, 5, List.of(Entry.single(0, 3, 2, 5))));
        b.take();
        return b;
    }

    @Test
    void theFirstReplicaAdoptsAnOriginSilentForTwoSuspicionTimeoutsAndReleasesTheCopyWhenItTalksAgain() {
        One b = replicaOfZero();
        // Node 0 silent from T0: suspected at T0 + 60 ms, adopted at the first compaction after T0 + 100 ms.
        b.runHearing(T0 + 100 * MS, 2, 3);
        assertEquals(List.of(), states(b.take(), StateKind.ADOPT));
        b.runHearing(T0 + 150 * MS, 2, 3);
        List<RecordingEnv.Sent> out = states(b.take(), StateKind.ADOPT);
        Entry share = new Entry(0, 3, 2, 7, 0, new long[0], new long[0]);
        assertEquals(List.of(sent(2, new DeltaMessage.State(StateKind.ADOPT, stateSeq(out.get(0)), 5, List.of(share)))),
                out, "folded, to its first live neighbour other than the origin");
        b.from(2, ack(stateSeq(out.get(0))));
        b.runHearing(T0 + 200 * MS, 2, 3);
        assertEquals(List.of(), states(b.take(), StateKind.ADOPT), "adopted once");
        // Node 0 talks again, same incarnation: a false suspicion. Node 2 is told to release the copy.
        b.runHearing(T0 + 250 * MS, 0, 2, 3);
        assertEquals(List.of(sent(2, new DeltaMessage.Signal(SignalKind.RELEASE, 0, 5, 0, 3, 2))),
                signals(b.take(), SignalKind.RELEASE));
        b.runHearing(T0 + 300 * MS, 0, 2, 3);
        assertEquals(List.of(), b.take());
    }

    @Test
    void anAdopterSuspectedInBetweenIsReplacedAndBothCopiesAreReleased() {
        One b = replicaOfZero();
        b.runHearing(T0 + 150 * MS, 2, 3);
        b.from(2, ack(stateSeq(states(b.take(), StateKind.ADOPT).get(0))));
        // Node 2 falls silent too (suspected at T0 + 210 ms): the share goes to node 3 at the next compaction.
        b.runHearing(T0 + 200 * MS, 3);
        assertEquals(List.of(), states(b.take(), StateKind.ADOPT));
        b.runHearing(T0 + 250 * MS, 3);
        List<RecordingEnv.Sent> out = states(b.take(), StateKind.ADOPT);
        assertEquals(List.of(3), out.stream().map(RecordingEnv.Sent::to).toList());
        b.from(3, ack(stateSeq(out.get(0))));
        // Everyone is back: both adopters release, node 2 included (its suspicion was false too).
        b.runHearing(T0 + 300 * MS, 0, 2, 3);
        assertEquals(List.of(sent(2, new DeltaMessage.Signal(SignalKind.RELEASE, 0, 5, 0, 3, 2)),
                sent(3, new DeltaMessage.Signal(SignalKind.RELEASE, 0, 5, 0, 3, 2))), signals(b.take(), SignalKind.RELEASE));
    }

    @Test
    void anUnacknowledgedAdoptionIsSentAgainAndReleasedOnlyOnceItSurelyArrived() {
        One b = replicaOfZero();
        b.runHearing(T0 + 150 * MS, 2, 3);
        assertEquals(1, states(b.take(), StateKind.ADOPT).size());
        b.runHearing(T0 + 200 * MS, 2, 3);
        assertEquals(1, states(b.take(), StateKind.ADOPT).size(), "not acked: sent again");
        // The origin is back at T0 + 210 ms; the copy was last sent at T0 + 200 ms, unacked: released only after
        // four compaction periods (T0 + 400 ms), lest the release overtake it.
        b.runHearing(T0 + 400 * MS, 0, 2, 3);
        assertEquals(List.of(), signals(b.take(), SignalKind.RELEASE));
        b.runHearing(T0 + 450 * MS, 0, 2, 3);
        assertEquals(List.of(sent(2, new DeltaMessage.Signal(SignalKind.RELEASE, 0, 5, 0, 3, 2))),
                signals(b.take(), SignalKind.RELEASE));
    }

    @Test
    void aRestartedOriginIsAdoptedAtOnceAndARestartedAdopterIsForgotten() {
        One b = replicaOfZero();
        // Node 0 pings with a new incarnation: the old one's increments have lost their origin.
        b.incs[0] = 4;
        b.hear(0);
        b.runHearing(T0 + 50 * MS, 0, 2, 3);
        List<RecordingEnv.Sent> out = states(b.take(), StateKind.ADOPT);
        assertEquals(List.of(2), out.stream().map(RecordingEnv.Sent::to).toList());
        b.from(2, ack(stateSeq(out.get(0))));
        b.runHearing(T0 + 100 * MS, 0, 2, 3);
        assertEquals(List.of(), states(b.take(), StateKind.ADOPT));
        // Node 2 restarts (new incarnation): its copy is gone, the share is copied again.
        b.incs[2] = 9;
        b.hear(2);
        b.runHearing(T0 + 150 * MS, 0, 2, 3);
        assertEquals(List.of(2), states(b.take(), StateKind.ADOPT).stream().map(RecordingEnv.Sent::to).toList());
        assertEquals(List.of(), signals(b.take(), SignalKind.RELEASE), "a dead incarnation's copies are never released");
    }

    @Test
    void onlyTheOriginsFirstLiveReplicaAdopts() {
        // Node 2 holds origin 0's share too (a stand-in of the past): node 1, origin 0's first replica, is alive
        // as far as node 2 knows, so node 2 leaves the adoption to it.
        One c = new One(2, "complete", 4, D);
        c.from(0, new DeltaMessage.State(StateKind.REPLICATE, 1, 5, List.of(Entry.single(0, 3, 1, 2))));
        c.take();
        c.runHearing(T0 + 200 * MS, 1, 3);
        assertEquals(List.of(), states(c.take(), StateKind.ADOPT));
        // Once it suspects node 1 as well, it adopts, to node 3 (not the origin, not node 1).
        c.runHearing(T0 + 300 * MS, 3);
        assertEquals(List.of(3), states(c.take(), StateKind.ADOPT).stream().map(RecordingEnv.Sent::to).toList());
    }

    @Test
    void anOriginThatIsNotANeighbourIsLeftToItsNeighbours() {
        // On a ring of 6, node 4 is not a neighbour of node 0: node 0 never adopts its share, not even when it
        // suspects node 5, node 4's first replica.
        One a = new One(0, "ring", 6, D);
        a.from(1, new DeltaMessage.State(StateKind.ADOPT, 1, 5, List.of(Entry.single(4, 0, 1, 2))));
        a.take();
        a.runHearing(T0 + 300 * MS, 1);
        assertEquals(List.of(), states(a.take(), StateKind.ADOPT));
        assertEquals(2, a.node.store(5).value());
    }


    @Test
    void aReplicaBackFromASuspicionGetsTheSummaryAgain() {
        One a = originWith(2);
        a.runHearing(T0 + 50 * MS, 1, 2, 3);
        a.from(1, ack(stateSeq(states(a.take(), StateKind.SUMMARY).get(0))));
        // Node 1 silent from T0 + 50 ms: suspected at T0 + 110 ms; what it confirmed may be gone.
        a.runHearing(T0 + 120 * MS, 2, 3);
        a.take();
        a.runHearing(T0 + 200 * MS, 1, 2, 3);
        assertTrue(states(a.take(), StateKind.SUMMARY).stream().anyMatch(s -> s.to() == 1), "pushed to node 1 again");
    }

    @Test
    void aSummaryAckTwoRoundsLateStillConfirms() {
        One a = originWith(2);
        a.runHearing(T0 + 50 * MS, 1, 2, 3);
        long first = stateSeq(states(a.take(), StateKind.SUMMARY).get(0));
        a.runHearing(T0 + 140 * MS, 1, 2, 3);
        a.take();
        a.from(1, ack(first)); // 90 ms late: within four compaction periods, it still counts
        a.runHearing(T0 + 150 * MS, 1, 2, 3);
        assertEquals(List.of(), states(a.take(), StateKind.SUMMARY));
    }

    @Test
    void aShareHeldBeforeItsOriginsFirstHeartbeatIsNotAdopted() {
        // Node 1 has never had a ping from node 0 (its incarnation is unknown, not 0): nothing says it restarted.
        One b = new One(1, "complete", 4, D);
        b.from(0, new DeltaMessage.State(StateKind.REPLICATE, 1, 5, List.of(Entry.single(0, 3, 1, 2))));
        b.runTo(T0 + 50 * MS);
        assertEquals(List.of(), states(b.take(), StateKind.ADOPT));
    }

    @Test
    void aLaterReplicaOfTheOriginAdoptsOnlyIfEveryEarlierOneIsSuspected() {
        // Node 3 holds origin 0's share; node 0's replica is node 1. Node 3 hears node 2 only: it adopts, to node 2.
        One c = new One(3, "complete", 4, D);
        c.from(0, new DeltaMessage.State(StateKind.REPLICATE, 1, 5, List.of(Entry.single(0, 3, 1, 2))));
        c.take();
        c.runHearing(T0 + 150 * MS, 2);
        assertEquals(List.of(2), states(c.take(), StateKind.ADOPT).stream().map(RecordingEnv.Sent::to).toList());
    }

    @Test
    void anAdopterCopiesToNeitherTheOriginNorItsOtherReplicas() {
        // Complete 3: node 1 adopts restarted origin 0's share to node 2, which falls silent: once node 2 is
        // suspected there is nobody left to copy to (the origin's new incarnation is not a place for it).
        One b = new One(1, "complete", 3, D);
        b.incs[0] = 3;
        b.hear(0);
        b.from(0, new DeltaMessage.State(StateKind.REPLICATE, 1, 5, List.of(Entry.single(0, 3, 1, 2))));
        b.incs[0] = 4;
        b.runHearing(T0 + 200 * MS, 0);
        assertEquals(List.of(2), states(b.take(), StateKind.ADOPT).stream().map(RecordingEnv.Sent::to).toList(),
                "to node 2 at T0 + 50 ms; not again, and never to the origin");

        // r = 3 on complete 5: origin 0's replicas are 1 and 2; node 1 adopts, to node 3 (not node 2).
        One r3 = new One(1, "complete", 5, DeltaCacheConfig.parse("dcache:r=3"));
        r3.from(0, new DeltaMessage.State(StateKind.REPLICATE, 1, 5, List.of(Entry.single(0, 3, 1, 2))));
        r3.take();
        r3.runHearing(T0 + 150 * MS, 2, 3, 4);
        assertEquals(List.of(3), states(r3.take(), StateKind.ADOPT).stream().map(RecordingEnv.Sent::to).toList());
    }

    @Test
    void aNodeWithTooFewNeighboursForRIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DeltaCache.protocol(DeltaCacheConfig.parse("dcache:r=4")).create(0, Topologies.build("ring", 5, 1)));
        assertTrue(e.getMessage().contains("has 2 neighbours: the delta cache with r = 4 needs at least 3"), e.getMessage());
        DeltaCache.protocol(DeltaCacheConfig.parse("dcache:r=3")).create(0, Topologies.build("ring", 5, 1));
        assertEquals(D.spec(), DeltaCache.protocol(D).spec());
        assertFalse(DeltaCache.protocol(D).create(0, Topologies.build("ring", 5, 1)).toString().isEmpty());
    }
}
