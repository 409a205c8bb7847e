package dev.ringlab.sim;

import static dev.ringlab.sim.CacheHarness.MS;
import static dev.ringlab.sim.CacheHarness.isSignal;
import static dev.ringlab.sim.CacheHarness.isSync;
import static dev.ringlab.sim.CacheHarness.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.CacheConfig;
import dev.ringlab.node.protocols.FailoverCache;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link FailoverCache}'s failure paths, one controlled scenario each on 1 ms links: lost requests, lost
 * write-throughs and acknowledgements, a replica holding a newer copy, deadlines, restarts whose hand-back is
 * lost, takeover followed by a second crash, a healed partition, and the message bounds of each path (so a
 * path that silently stops working, and is covered for by a slower one, is seen).
 */
class CacheFailurePathsTest {
    private static final long SEED = 0xCAC4EFA11L;

    private static String at(CacheHarness h) {
        return "seed " + h.seed + ", t=" + h.cluster.now() / 1_000 + " us";
    }

    @Test
    void aGetOfAKeyNeverWrittenMissesWhetherTheOriginServesItOrNot() {
        CacheHarness h = new CacheHarness(5, SEED).settle();
        for (int origin : new int[] {0, 2}) {
            long key = h.keyOf(2, origin);
            Observation o = h.await(h.get(origin, key), 100 * MS);
            Observation.CacheReply r = assertInstanceOf(Observation.CacheReply.class, o, at(h));
            assertFalse(r.hit(), at(h));
            assertEquals(0, r.version(), at(h));
            assertEquals(2, r.servedBy(), at(h));
            assertEquals(origin, r.node(), at(h));
        }
    }

    @Test
    void aRequestSwallowedByACrashedOwnerIsRetriedUntilTheSuccessorServesIt() {
        CacheHarness h = new CacheHarness(5, SEED).settle();
        long key = h.keyOf(2, 0);
        h.putAcked(0, key, value(1));
        h.cluster.crash(2);
        long t0 = h.cluster.now();
        long id = h.get(0, key);
        Observation o = h.await(id, 1_000 * MS);
        Observation.CacheReply r = assertInstanceOf(Observation.CacheReply.class, o, at(h));
        assertTrue(r.hit(), at(h));
        assertEquals(1, r.version(), at(h));
        assertEquals(3, r.servedBy(), "the successor serves the dead owner's key, " + at(h));
        assertEquals(FailoverCache.digest(value(1)), r.valueDigest(), at(h));
        // The view needs a suspicion timeout (50 ms) and its announcement; the next retry (every 20 ms) finds it.
        long took = h.cluster.now() - t0;
        assertTrue(took >= 50 * MS && took < 200 * MS, "answered after " + took / MS + " ms, " + at(h));
        // Retries went to the dead owner until the view changed: more than one routed copy of the request.
        assertTrue(h.sentSince(t0, Message.CacheRequest.class, q -> q.reqId() == id).size() >= 3, at(h));
    }

    @Test
    void aRequestNoLiveNodeServesFailsAtItsDeadlineNotBeforeNorAfter() {
        // r = 2: the keys of node 1 are served by 1, 2 or 3; all three crash (beyond what the cache promises).
        // Node 0 hears of 1 and 2 only (its successors), so it keeps routing to 3, where requests vanish.
        CacheHarness h = new CacheHarness(5, SEED, CacheConfig.parse("cache:r=2")).settle();
        long key = h.keyOf(1, 0);
        h.putAcked(1, key, value(7));
        h.cluster.crash(1);
        h.cluster.crash(2);
        h.cluster.crash(3);
        assertTrue(h.cluster.runUntil(() -> h.nodes[0].ring().deadInView().containsAll(List.of(1, 2)), 2_000 * MS),
                "node 0 calls 1, 2 dead: " + h.nodes[0].ring().deadInView() + ", " + at(h));
        h.cluster.runFor(100 * MS);
        assertEquals(3, h.nodes[0].servingNode(1), at(h));
        long t0 = h.cluster.now();
        long id = h.get(0, key);
        Observation o = h.await(id, 5_000 * MS);
        // Not a miss from a node that does not hold the key: a failure, at the deadline.
        Observation.CacheFailed f = assertInstanceOf(Observation.CacheFailed.class, o, at(h));
        assertEquals(key, f.key(), at(h));
        assertFalse(f.put(), at(h));
        long took = f.atNanos() - t0;
        assertTrue(took >= h.config.deadlineNanos() && took < h.config.deadlineNanos() + h.config.retryNanos(),
                "failed after " + took / MS + " ms, " + at(h));
    }

    @Test
    void withRNodesInARowDownTheNextServesAndWithRPlusOneNoneDoesAndRequestsFail() {
        // r = 2, n = 6; 3, 2 and 1 crash one after the other (each seen dead by all before the next), so
        // every view knows all three: the keys of 2 (served by 2, 3 or 4) go to 4, those of 1 (1, 2 or 3) to
        // nobody. Durability is not promised past one crash; availability of the rest is.
        CacheHarness h = new CacheHarness(6, SEED, CacheConfig.parse("cache:r=2")).settle();
        for (int v : new int[] {3, 2, 1}) {
            h.cluster.crash(v);
            h.awaitDeadInViews(v);
        }
        h.cluster.runFor(100 * MS);
        for (int v : new int[] {0, 4, 5}) {
            assertEquals(4, h.nodes[v].servingNode(2), "node " + v + ", " + at(h));
            assertEquals(-1, h.nodes[v].servingNode(1), "node " + v + ", " + at(h));
            assertEquals(v, h.nodes[v].servingNode(v), at(h));
        }
        Observation o = h.await(h.get(0, h.keyOf(2, 0)), 1_000 * MS);
        Observation.CacheReply r = assertInstanceOf(Observation.CacheReply.class, o, at(h));
        assertEquals(4, r.servedBy(), at(h));
        long t0 = h.cluster.now();
        Observation f = h.await(h.get(0, h.keyOf(1, 0)), 5_000 * MS);
        Observation.CacheFailed failed = assertInstanceOf(Observation.CacheFailed.class, f, at(h));
        long took = failed.atNanos() - t0;
        assertTrue(took >= h.config.deadlineNanos() && took < h.config.deadlineNanos() + h.config.retryNanos(),
                "failed after " + took / MS + " ms, " + at(h));
    }

    @Test
    void aWriteThroughWithNothingLostIsAcknowledgedWithinARoundTripAndHeldByServerAndReplica() {
        CacheHarness h = new CacheHarness(5, SEED).settle();
        // Server 4's replica is node 0.
        long key = h.keyOf(4, 0);
        long t0 = h.cluster.now();
        Observation.CacheAck a = h.putAcked(1, key, value(3));
        assertEquals(1, a.version(), at(h));
        assertEquals(4, a.servedBy(), at(h));
        assertTrue(a.atNanos() - t0 <= 5 * MS, "acked after " + (a.atNanos() - t0) / 1_000 + " us, " + at(h));
        assertEquals(1, h.nodes[4].entry(key).version(), at(h));
        assertEquals(1, h.nodes[0].entry(key).version(), at(h));
    }

    @Test
    void aLostWriteThroughIsResentAndThePutAcknowledgedOnceWithVersionOne() {
        CacheHarness h = new CacheHarness(5, SEED).settle();
        long key = h.keyOf(4, 1);
        boolean[] dropped = h.dropFirst(s -> s.from() == 4 && isSync(s.message(), Message.CacheSyncKind.REPLICATE));
        long t0 = h.cluster.now();
        Observation.CacheAck a = h.putAcked(1, key, value(4));
        assertTrue(dropped[0], at(h));
        assertEquals(1, a.version(), "one put, one version, " + at(h));
        long took = a.atNanos() - t0;
        assertTrue(took >= h.config.replicaRetryNanos() && took < h.config.replicaRetryNanos() + 5 * MS,
                "acked after " + took / 1_000 + " us: the resend, " + at(h));
        assertEquals(1, h.nodes[0].entry(key).version(), at(h));
        assertEquals(1, h.nodes[4].entry(key).version(), at(h));
    }

    @Test
    void aLostReplicaAcknowledgementIsAnsweredAgainWhenTheSameWriteIsResent() {
        CacheHarness h = new CacheHarness(5, SEED).settle();
        long key = h.keyOf(2, 0);
        boolean[] dropped = h.dropFirst(s -> s.from() == 3 && isSignal(s.message(), Message.CacheSignalKind.REPLICATED));
        long t0 = h.cluster.now();
        Observation.CacheAck a = h.putAcked(0, key, value(5));
        assertTrue(dropped[0], at(h));
        assertEquals(1, a.version(), at(h));
        long took = a.atNanos() - t0;
        assertTrue(took < h.config.replicaRetryNanos() + 5 * MS, "acked after " + took / 1_000 + " us, " + at(h));
        assertEquals(h.nodes[2].entry(key), h.nodes[3].entry(key), at(h));
    }

    @Test
    void aLostAnswerToTheOriginIsRetriedAndAnsweredWithoutApplyingThePutTwice() {
        CacheHarness h = new CacheHarness(5, SEED).settle();
        long key = h.keyOf(3, 0);
        boolean[] dropped = h.dropFirst(
                s -> s.message() instanceof Message.CacheResponse r && r.status() == Message.CacheStatus.STORED);
        long t0 = h.cluster.now();
        Observation.CacheAck a = h.putAcked(0, key, value(6));
        assertTrue(dropped[0], at(h));
        assertEquals(1, a.version(), "the retry is the same put: " + at(h));
        assertTrue(a.atNanos() - t0 < h.config.retryNanos() + 5 * MS, at(h));
        assertEquals(1, h.nodes[3].entry(key).version(), at(h));
        assertEquals(1, h.nodes[4].entry(key).version(), at(h));
        // A later put is a new one.
        assertEquals(2, h.putAcked(0, key, value(66)).version(), at(h));
    }

    @Test
    void aWriteNoReplicaAcknowledgesFailsAtTheWriteTimeoutAndTheClientAtItsDeadline() {
        CacheHarness h = new CacheHarness(5, SEED).settle();
        long key = h.keyOf(2, 1);
        h.drop = s -> s.from() == 2 && isSync(s.message(), Message.CacheSyncKind.REPLICATE);
        long t0 = h.cluster.now();
        long id = h.put(0, key, value(8));
        Observation o = h.await(id, 5_000 * MS);
        Observation.CacheFailed f = assertInstanceOf(Observation.CacheFailed.class, o, at(h));
        assertTrue(f.put(), at(h));
        long took = f.atNanos() - t0;
        assertTrue(took >= h.config.deadlineNanos() && took < h.config.deadlineNanos() + h.config.retryNanos(),
                "failed after " + took / MS + " ms, " + at(h));
        List<CacheHarness.Sent> writes = h.sentSince(t0, Message.CacheSync.class,
                c -> c.kind() == Message.CacheSyncKind.REPLICATE);
        List<CacheHarness.Sent> failed = h.sentSince(t0, Message.CacheResponse.class,
                r -> r.reqId() == id && r.status() == Message.CacheStatus.FAILED);
        assertFalse(writes.isEmpty(), at(h));
        assertFalse(failed.isEmpty(), "the server tells the origin its write failed, " + at(h));
        long firstWrite = writes.get(0).atNanos();
        assertEquals(firstWrite + h.config.writeTimeoutNanos(), failed.get(0).atNanos(),
                "the server gives up exactly at the write timeout, " + at(h));
        // Resent every replica retry interval in between.
        long before = writes.stream().filter(s -> s.atNanos() < failed.get(0).atNanos()).count();
        assertEquals(h.config.writeTimeoutNanos() / h.config.replicaRetryNanos(), before, at(h));
    }

    @Test
    void aReplicaHoldingANewerCopyRefusesAndTheServerWritesOnTopOfIt() {
        CacheHarness h = new CacheHarness(5, SEED).settle();
        long key = h.keyOf(2, 2);
        // Node 3 got version 5 of the key from another server meanwhile (a false suspicion elsewhere).
        h.nodes[3].onMessage(4, new Message.CacheSync(Message.CacheSyncKind.PUSH, 0, true,
                List.of(new Message.CacheEntry(key, 5, 4, value(50)))));
        long t0 = h.cluster.now();
        Observation.CacheAck a = h.putAcked(0, key, value(9));
        assertEquals(6, a.version(), "written on top of the replica's newer copy, " + at(h));
        assertTrue(a.atNanos() - t0 < h.config.replicaRetryNanos(), at(h));
        assertEquals(6, h.nodes[2].entry(key).version(), at(h));
        assertEquals(h.nodes[2].entry(key), h.nodes[3].entry(key), at(h));
        assertEquals(1, h.sentSince(t0, Message.CacheSync.class,
                c -> c.kind() == Message.CacheSyncKind.REPLICA_REFUSED && c.entries().size() == 1
                        && c.entries().get(0).version() == 5).size(), at(h));
        // A write through from a node that does not serve the key in the replica's view is refused.
        long t1 = h.cluster.now();
        h.nodes[3].onMessage(1, new Message.CacheSync(Message.CacheSyncKind.REPLICATE, 77, true,
                List.of(new Message.CacheEntry(key, 9, 1, value(90)))));
        assertEquals(6, h.nodes[3].entry(key).version(), at(h));
        List<CacheHarness.Sent> refused = h.sentSince(t1, Message.CacheSync.class,
                c -> c.kind() == Message.CacheSyncKind.REPLICA_REFUSED && c.seq() == 77);
        assertEquals(1, refused.size(), at(h));
        assertEquals(1, refused.get(0).to(), at(h));
        assertEquals(List.of(h.nodes[3].entry(key)), ((Message.CacheSync) refused.get(0).message()).entries(), at(h));
        // And from the server, an older version than the replica's copy is refused too.
        h.nodes[3].onMessage(2, new Message.CacheSync(Message.CacheSyncKind.REPLICATE, 78, true,
                List.of(new Message.CacheEntry(key, 3, 2, value(30)))));
        assertEquals(6, h.nodes[3].entry(key).version(), at(h));
        assertEquals(1, h.sentSince(t1, Message.CacheSync.class,
                c -> c.kind() == Message.CacheSyncKind.REPLICA_REFUSED && c.seq() == 78).size(), at(h));
        // A key nobody holds yet, from its server: accepted and acknowledged.
        long fresh = h.keyOf(2, 3);
        h.nodes[3].onMessage(2, new Message.CacheSync(Message.CacheSyncKind.REPLICATE, 79, true,
                List.of(new Message.CacheEntry(fresh, 1, 2, value(31)))));
        assertEquals(1, h.nodes[3].entry(fresh).version(), at(h));
        assertEquals(1, h.sentSince(t1, Message.CacheSignal.class,
                s -> s.kind() == Message.CacheSignalKind.REPLICATED && s.seq() == 79).size(), at(h));
    }

    @Test
    void aWriteOvertakenByALaterPutOfTheSameServerIsDoneWhenItsResendIsRefusedNotMadeAgain() {
        // Put A's write through is lost; put B of the same key, on the same server, is written through and
        // acknowledged before A's resend, which the replica refuses with B's copy. A came first (a read between the
        // two returns it), so it is acknowledged with its own version and B's value stays: before, A was made
        // again on top of B (version 3) and a read after B's acknowledgement returned A's value.
        CacheHarness h = new CacheHarness(5, SEED).settle();
        long key = h.keyOf(2, 4);
        boolean[] dropped = h.dropFirst(s -> s.from() == 2 && isSync(s.message(), Message.CacheSyncKind.REPLICATE));
        long a = h.put(0, key, value(71));
        h.cluster.runFor(3 * MS);
        assertTrue(dropped[0], at(h));
        Observation.CacheReply between = assertInstanceOf(Observation.CacheReply.class, h.await(h.get(0, key), 100 * MS), at(h));
        assertEquals(1, between.version(), "the server's copy of A, " + at(h));
        Observation.CacheAck b = h.putAcked(0, key, value(72));
        assertEquals(2, b.version(), at(h));
        assertTrue(h.outcome(a) == null, "A is still waiting for its replica, " + at(h));
        Observation.CacheAck ackA = assertInstanceOf(Observation.CacheAck.class, h.await(a, 100 * MS), at(h));
        assertEquals(1, ackA.version(), "A is done with its own version, " + at(h));
        assertEquals(1, h.sentSince(0, Message.CacheSync.class, c -> c.kind() == Message.CacheSyncKind.REPLICA_REFUSED).size(),
                at(h));
        assertEquals(2, h.nodes[2].entry(key).version(), at(h));
        assertEquals(h.nodes[2].entry(key), h.nodes[3].entry(key), at(h));
        Observation.CacheReply after = assertInstanceOf(Observation.CacheReply.class, h.await(h.get(1, key), 100 * MS), at(h));
        assertEquals(2, after.version(), "B's value, not A's again, " + at(h));
        assertTrue(after.valueDigest() != between.valueDigest(), "B's value is not A's, " + at(h));
    }

    @Test
    void aServerWhoseReplicaIsNodeZeroAlsoWritesOnTopOfANewerCopy() {
        CacheHarness h = new CacheHarness(5, SEED).settle();
        long key = h.keyOf(4, 2);
        h.nodes[0].onMessage(3, new Message.CacheSync(Message.CacheSyncKind.PUSH, 0, true,
                List.of(new Message.CacheEntry(key, 3, 3, value(30)))));
        long t0 = h.cluster.now();
        Observation.CacheAck a = h.putAcked(1, key, value(31));
        assertEquals(4, a.version(), at(h));
        assertTrue(a.atNanos() - t0 < h.config.replicaRetryNanos(), at(h));
        assertEquals(h.nodes[4].entry(key), h.nodes[0].entry(key), at(h));
    }

    @Test
    void aRoutedRequestIsForwardedByANodeThatDoesNotServeItButNotForeverAndNotFromNowhere() {
        CacheHarness h = new CacheHarness(5, SEED).settle();
        long key = h.keyOf(3, 0);
        h.putAcked(3, key, value(10));
        // Origin 0 routes the get to 3; the copy is lost, and node 1 gets it instead (a stale view).
        h.drop = s -> s.from() == 0 && s.to() == 3 && s.message() instanceof Message.CacheRequest;
        long t0 = h.cluster.now();
        long id = h.get(0, key);
        h.drop = s -> false;
        List<CacheHarness.Sent> routed = h.sentSince(t0, Message.CacheRequest.class, q -> q.reqId() == id);
        assertEquals(1, routed.size(), at(h));
        Message.CacheRequest q = (Message.CacheRequest) routed.get(0).message();
        assertEquals(0, q.origin(), at(h));
        h.nodes[1].onMessage(0, q);
        Observation o = h.await(id, 100 * MS);
        Observation.CacheReply r = assertInstanceOf(Observation.CacheReply.class, o, at(h));
        assertEquals(3, r.servedBy(), at(h));
        assertTrue(r.atNanos() - t0 < h.config.retryNanos(), "forwarded, not retried: " + at(h));
        // A request that has been forwarded n times is answered FAILED, not forwarded again.
        long t1 = h.cluster.now();
        h.nodes[1].onMessage(4, new Message.CacheRequest(9_999, 0, h.n, key, false, new byte[0]));
        assertEquals(List.of(), h.sentSince(t1, Message.CacheRequest.class, x -> x.reqId() == 9_999), at(h));
        List<CacheHarness.Sent> failed = h.sentSince(t1, Message.CacheResponse.class,
                x -> x.reqId() == 9_999 && x.status() == Message.CacheStatus.FAILED);
        assertEquals(1, failed.size(), at(h));
        assertEquals(0, failed.get(0).to(), at(h));
        // One hop fewer is still forwarded.
        h.nodes[1].onMessage(4, new Message.CacheRequest(9_998, 0, h.n - 1, key, false, new byte[0]));
        assertEquals(1, h.sentSince(t1, Message.CacheRequest.class, x -> x.reqId() == 9_998 && x.hops() == h.n).size(),
                at(h));
        // A key of node 0 is forwarded to node 0 like any other.
        long zeroKey = h.keyOf(0, 0);
        h.nodes[1].onMessage(4, new Message.CacheRequest(9_996, 4, 1, zeroKey, false, new byte[0]));
        List<CacheHarness.Sent> toZero = h.sentSince(t1, Message.CacheRequest.class, x -> x.reqId() == 9_996);
        assertEquals(1, toZero.size(), at(h));
        assertEquals(0, toZero.get(0).to(), at(h));
        // A routed request must name its origin, a node of the cluster.
        for (int origin : new int[] {-1, h.n}) {
            IllegalStateException e = null;
            try {
                h.nodes[1].onMessage(4, new Message.CacheRequest(9_997, origin, 1, key, false, new byte[0]));
            } catch (IllegalStateException x) {
                e = x;
            }
            assertNotNull(e, "origin " + origin + ", " + at(h));
        }
    }

    @Test
    void aRestartedNodeAsksEachNeighbourOnceAndServesItsKeysBackWithinARoundTrip() {
        CacheHarness h = new CacheHarness(5, SEED).settle();
        List<Long> keys = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            keys.add(h.keyOf(2, i));
            h.putAcked(i % 5, keys.get(i), value(i));
        }
        h.cluster.crash(2);
        h.awaitDeadInViews(2);
        for (int i = 0; i < 10; i++) {
            assertEquals(2, h.putAcked(0, keys.get(i), value(100 + i)).version(), at(h));
        }
        h.cluster.restart(2);
        long tr = h.cluster.now();
        long id = h.get(2, keys.get(0)); // buffered while recovering
        assertTrue(h.nodes[2].recovering(), at(h));
        assertTrue(h.cluster.runUntil(() -> !h.nodes[2].recovering(), 1_000 * MS), at(h));
        List<Observation.CacheRecovered> rec = h.observedSince(tr, Observation.CacheRecovered.class);
        assertEquals(1, rec.size(), at(h));
        assertTrue(h.cluster.now() - tr <= 5 * MS, "recovered after " + (h.cluster.now() - tr) / 1_000 + " us, " + at(h));
        assertTrue(rec.get(0).entries() >= 20, "entries " + rec.get(0).entries() + ", " + at(h));
        // One hand-back request per distinct neighbour (successors 3, 4, 0 and predecessors 1, 0, 4).
        List<CacheHarness.Sent> asks = h.sentSince(tr, Message.CacheSignal.class,
                s -> s.kind() == Message.CacheSignalKind.HANDBACK_REQUEST);
        assertEquals(List.of(0, 1, 3, 4), asks.stream().map(CacheHarness.Sent::to).sorted().toList(), at(h));
        Observation o = h.outcome(id);
        Observation.CacheReply r = assertInstanceOf(Observation.CacheReply.class, o, "served at recovery, " + at(h));
        assertEquals(2, r.version(), at(h));
        assertEquals(2, r.servedBy(), at(h));
        for (int i = 0; i < 20; i++) {
            assertEquals(i < 10 ? 2 : 1, h.nodes[2].entry(keys.get(i)).version(), "key " + i + ", " + at(h));
        }
    }

    @Test
    void aRecoveringNodeAsksAgainTheSuccessorWhoseHandBackWasLost() {
        CacheHarness h = new CacheHarness(5, SEED).settle();
        List<Long> keys = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            keys.add(h.keyOf(2, i));
            h.putAcked(1, keys.get(i), value(i));
        }
        h.cluster.crash(2);
        h.awaitDeadInViews(2);
        boolean[] dropped = h.dropFirst(
                s -> s.from() == 3 && s.to() == 2 && isSync(s.message(), Message.CacheSyncKind.HANDBACK));
        h.cluster.restart(2);
        long tr = h.cluster.now();
        assertTrue(h.cluster.runUntil(() -> !h.nodes[2].recovering(), 1_000 * MS), at(h));
        assertTrue(dropped[0], at(h));
        long took = h.cluster.now() - tr;
        assertTrue(took >= h.config.retryNanos() && took <= h.config.retryNanos() + 5 * MS,
                "recovered after " + took / 1_000 + " us, " + at(h));
        // Asked again: only node 3, which had not answered.
        List<CacheHarness.Sent> again = h.sentSince(tr + MS, Message.CacheSignal.class,
                s -> s.kind() == Message.CacheSignalKind.HANDBACK_REQUEST);
        assertEquals(List.of(3), again.stream().map(CacheHarness.Sent::to).toList(), at(h));
        for (long k : keys) {
            assertNotNull(h.nodes[2].entry(k), "key " + k + ", " + at(h));
        }
    }

    @Test
    void afterATakeoverTheNewServerReplicatesWhatItTookOverSoALaterSecondCrashLosesNothing() {
        CacheHarness h = new CacheHarness(6, SEED).settle();
        List<Long> keys = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            keys.add(h.keyOf(2, i));
            h.putAcked(i % 6, keys.get(i), value(i));
        }
        h.cluster.crash(2);
        long tc = h.cluster.now();
        h.awaitDeadInViews(2);
        h.cluster.runFor(100 * MS);
        for (long k : keys) {
            assertNotNull(h.nodes[4].entry(k), "the new server's replica holds key " + k + ", " + at(h));
        }
        // Pushed in chunks of at most 256 entries, each entry once.
        List<CacheHarness.Sent> pushes = h.sentSince(tc, Message.CacheSync.class,
                c -> c.kind() == Message.CacheSyncKind.PUSH);
        assertFalse(pushes.isEmpty(), at(h));
        long entries = 0;
        for (CacheHarness.Sent s : pushes) {
            Message.CacheSync c = (Message.CacheSync) s.message();
            assertTrue(c.entries().size() <= 256 && !c.entries().isEmpty(), at(h));
            if (s.from() == 3 && s.to() == 4) {
                entries += c.entries().size();
            }
        }
        assertTrue(entries >= 300, "pushed " + entries + ", " + at(h));
        long msgs34 = pushes.stream().filter(s -> s.from() == 3 && s.to() == 4).count();
        assertEquals((entries + 255) / 256, msgs34, at(h));
        // Re-replication starts the instant node 3's view marks node 2 dead, not a maintenance tick later.
        long viewAt = -1;
        for (int i = 0; i < h.observed.size() && viewAt < 0; i++) {
            if (h.observed.get(i) instanceof Observation.ViewChanged v && v.node() == 3 && h.observedAt.get(i) >= tc) {
                viewAt = h.observedAt.get(i);
            }
        }
        long firstPush = pushes.stream().filter(s -> s.from() == 3 && s.to() == 4).findFirst().orElseThrow().atNanos();
        assertEquals(viewAt, firstPush, at(h));
        h.cluster.crash(3);
        h.awaitDeadInViews(3);
        for (int i = 0; i < keys.size(); i += 7) {
            Observation o = h.await(h.get(0, keys.get(i)), 1_000 * MS);
            Observation.CacheReply r = assertInstanceOf(Observation.CacheReply.class, o, at(h));
            assertTrue(r.hit(), "key " + keys.get(i) + " survived two crashes one after the other, " + at(h));
            assertEquals(4, r.servedBy(), at(h));
        }
    }

    @Test
    void whenTheNewServersSuccessorIsNodeZeroItGetsTheReplicasToo() {
        CacheHarness h = new CacheHarness(6, SEED).settle();
        List<Long> keys = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            keys.add(h.keyOf(4, i));
            h.putAcked(1, keys.get(i), value(i));
        }
        h.cluster.crash(4);
        h.awaitDeadInViews(4);
        h.cluster.runFor(100 * MS);
        for (long k : keys) {
            assertNotNull(h.nodes[0].entry(k), "node 5 took over and node 0 holds the replica of key " + k + ", " + at(h));
        }
    }

    @Test
    void aRestartedNodeGetsManyKeysBackInChunks() {
        CacheHarness h = new CacheHarness(5, SEED).settle();
        List<Long> keys = new ArrayList<>();
        for (int i = 0; i < 600; i++) {
            keys.add(h.keyOf(2, i));
            h.putAcked(0, keys.get(i), value(i));
        }
        h.cluster.crash(2);
        h.awaitDeadInViews(2);
        h.cluster.restart(2);
        long tr = h.cluster.now();
        assertTrue(h.cluster.runUntil(() -> !h.nodes[2].recovering(), 1_000 * MS), at(h));
        for (long k : keys) {
            assertNotNull(h.nodes[2].entry(k), "key " + k + ", " + at(h));
        }
        assertTrue(h.nodes[2].size() >= 600, at(h));
        List<CacheHarness.Sent> back = h.sentSince(tr, Message.CacheSync.class,
                c -> c.kind() == Message.CacheSyncKind.HANDBACK);
        List<Message.CacheSync> fromThree = new ArrayList<>();
        for (CacheHarness.Sent s : back) {
            if (s.from() == 3) {
                fromThree.add((Message.CacheSync) s.message());
            }
        }
        assertFalse(fromThree.isEmpty(), at(h));
        long entries = fromThree.stream().mapToLong(c -> c.entries().size()).sum();
        assertTrue(entries >= 600, "node 3 handed back " + entries + ", " + at(h));
        // Full chunks of 256, then the last (maybe partial) one, which says it is the last.
        assertEquals(entries / 256 + 1, fromThree.size(), at(h));
        for (int i = 0; i < fromThree.size(); i++) {
            boolean last = i == fromThree.size() - 1;
            assertEquals(last, fromThree.get(i).last(), at(h));
            assertEquals(last ? entries % 256 : 256, fromThree.get(i).entries().size(), at(h));
        }
    }

    @Test
    void whenAPartitionHealsTheNodeThatServedTheCutOffOwnersKeysHandsItsWritesBack() {
        // Node 0 is cut off; node 1 serves its keys meanwhile and, after the heal, pushes all it holds of them
        // back (more than one chunk).
        CacheHarness h = new CacheHarness(5, SEED).settle();
        List<Long> keys = new ArrayList<>();
        for (int i = 0; i < 260; i++) {
            keys.add(h.keyOf(0, i));
            h.putAcked(2, keys.get(i), value(i));
        }
        h.cluster.partition(new int[][] {{0}, {1, 2, 3, 4}});
        h.awaitDeadInViews(0);
        h.cluster.runFor(100 * MS);
        for (int i = 0; i < 10; i++) {
            Observation.CacheAck a = h.putAcked(2, keys.get(i), value(200 + i));
            assertEquals(1, a.servedBy(), at(h));
            assertEquals(2, a.version(), at(h));
        }
        long tHeal = h.cluster.now();
        h.cluster.heal();
        h.settle();
        h.cluster.runFor(200 * MS);
        for (int i = 0; i < 10; i++) {
            Observation o = h.await(h.get(3, keys.get(i)), 1_000 * MS);
            Observation.CacheReply r = assertInstanceOf(Observation.CacheReply.class, o, at(h));
            assertEquals(0, r.servedBy(), at(h));
            assertEquals(2, r.version(), "the write made during the partition survives the heal, " + at(h));
        }
        List<CacheHarness.Sent> back = h.sentSince(tHeal, Message.CacheSync.class,
                c -> c.kind() == Message.CacheSyncKind.PUSH);
        List<Integer> sizes = back.stream().filter(x -> x.from() == 1 && x.to() == 0)
                .map(x -> ((Message.CacheSync) x.message()).entries().size()).toList();
        assertEquals(List.of(256, 4), sizes, "node 1 hands back the 260 entries of node 0 in two chunks, " + at(h));
    }

    @Test
    void aNodeThatCrashesAgainAfterItsRestartIsTakenOverAgain() {
        CacheHarness h = new CacheHarness(5, SEED).settle();
        long key = h.keyOf(2, 0);
        h.putAcked(0, key, value(1));
        h.cluster.crash(2);
        h.awaitDeadInViews(2);
        h.cluster.restart(2);
        h.settle();
        h.cluster.runFor(100 * MS);
        h.cluster.crash(2);
        h.awaitDeadInViews(2);
        h.cluster.runFor(100 * MS);
        long t0 = h.cluster.now();
        Observation o = h.await(h.get(0, key), 1_000 * MS);
        Observation.CacheReply r = assertInstanceOf(Observation.CacheReply.class, o, at(h));
        assertEquals(3, r.servedBy(), at(h));
        assertTrue(r.atNanos() - t0 < 5 * MS, at(h));
    }

    @Test
    void aNodeRestartedWhileAnotherIsDeadRoutesTheDeadNodesKeysToItsSuccessor() {
        CacheHarness h = new CacheHarness(5, SEED).settle();
        long key = h.keyOf(2, 0);
        h.putAcked(1, key, value(1));
        h.cluster.crash(2);
        h.awaitDeadInViews(2);
        h.cluster.crash(0);
        h.cluster.restart(0);
        assertTrue(h.cluster.runUntil(() -> !h.nodes[0].recovering()
                && h.nodes[0].ring().deadInView().contains(2), 2_000 * MS), at(h));
        long t0 = h.cluster.now();
        Observation o = h.await(h.get(0, key), 1_000 * MS);
        Observation.CacheReply r = assertInstanceOf(Observation.CacheReply.class, o, at(h));
        assertEquals(3, r.servedBy(), at(h));
        assertTrue(r.atNanos() - t0 < 5 * MS, at(h));
    }
}
