package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The replicated applications as state machines, one node at a time ({@link RecordingEnv}): the OR-Set
 * semantics of {@link TokenCatalog} (a revoke wins over the adds it saw, not over a concurrent one), the
 * last-writer-wins config of {@link ConfigBus}, and that the state reached does not depend on the order in
 * which deltas arrive (seeded permutations, out-of-order arrivals buffered and applied in sequence).
 */
class CatalogCrdtTest {
    private static final long MASTER_SEED = 0xCA7A1061L;
    private static final int CASES = 200;
    private static final Overlay COMPLETE = Topologies.build("complete", 4, 1);
    private static final DeltaReplicator.Settings FLOOD = new DeltaReplicator.Settings(DeltaReplicator.Mode.FLOOD,
            50_000_000L, 100_000_000L, null);

    private static <T extends DeltaReplicator> T started(T node, RecordingEnv env) {
        node.start(env);
        return node;
    }

    /** The deltas {@code env}'s node created and sent (to any neighbour), in creation order, without repeats. */
    private static List<Message.Delta> created(RecordingEnv env) {
        List<Message.Delta> out = new ArrayList<>();
        for (RecordingEnv.Sent s : env.sent) {
            if (s.message() instanceof Message.Deltas d) {
                for (Message.Delta x : d.items()) {
                    if (x.dot().node() == env.self() && !out.contains(x)) {
                        out.add(x);
                    }
                }
            }
        }
        return out;
    }

    @Test
    void aRevokeWinsOverTheAddItSawButNotOverAConcurrentAdd() {
        RecordingEnv e0 = new RecordingEnv(0, 4, 1);
        RecordingEnv e1 = new RecordingEnv(1, 4, 2);
        RecordingEnv e2 = new RecordingEnv(2, 4, 3);
        TokenCatalog a = started(new TokenCatalog(0, COMPLETE, FLOOD), e0);
        TokenCatalog b = started(new TokenCatalog(1, COMPLETE, FLOOD), e1);
        TokenCatalog c = started(new TokenCatalog(2, COMPLETE, FLOOD), e2);
        a.onMessage(Env.CLIENT, new Message.CatalogAdd("t"));
        Message.Delta addA = created(e0).get(0);
        b.onMessage(0, new Message.Deltas(List.of(addA)));
        assertTrue(b.contains("t"));
        // Concurrently: b revokes t having seen a's add; c adds t without having seen the revoke.
        b.onMessage(Env.CLIENT, new Message.CatalogRevoke("t"));
        assertFalse(b.contains("t"), "a revoke removes the add it saw at once");
        c.onMessage(Env.CLIENT, new Message.CatalogAdd("t"));
        Message.Delta revokeB = created(e1).get(0);
        Message.Delta addC = created(e2).get(0);
        assertEquals(List.of(addA.dot()), revokeB.observed(), "the revoke names exactly the tags it saw");
        for (TokenCatalog x : List.of(a, b, c)) {
            int self = x == a ? 0 : x == b ? 1 : 2;
            for (Message.Delta d : List.of(addA, revokeB, addC)) {
                if (d.dot().node() != self) {
                    x.onMessage(d.dot().node(), new Message.Deltas(List.of(d)));
                }
            }
        }
        for (TokenCatalog x : List.of(a, b, c)) {
            assertTrue(x.contains("t"), "the concurrent add survives the revoke: " + x.tokens());
        }
        assertEquals(a.stateHash(), b.stateHash());
        assertEquals(a.stateHash(), c.stateHash());
        // A revoke that saw both adds removes the token everywhere.
        a.onMessage(Env.CLIENT, new Message.CatalogRevoke("t"));
        Message.Delta revokeA = created(e0).get(1);
        assertEquals(List.of(addC.dot()), revokeA.observed(), "a revoke names the live tags only (addA is already removed)");
        b.onMessage(0, new Message.Deltas(List.of(revokeA)));
        c.onMessage(0, new Message.Deltas(List.of(revokeA)));
        for (TokenCatalog x : List.of(a, b, c)) {
            assertFalse(x.contains("t"));
        }
    }

    @Test
    void aRevokeThatOvertakesTheAddItRemovesStillRemovesIt() {
        RecordingEnv e0 = new RecordingEnv(0, 4, 1);
        RecordingEnv e1 = new RecordingEnv(1, 4, 2);
        RecordingEnv e2 = new RecordingEnv(2, 4, 3);
        TokenCatalog a = started(new TokenCatalog(0, COMPLETE, FLOOD), e0);
        TokenCatalog b = started(new TokenCatalog(1, COMPLETE, FLOOD), e1);
        TokenCatalog c = started(new TokenCatalog(2, COMPLETE, FLOOD), e2);
        a.onMessage(Env.CLIENT, new Message.CatalogAdd("secret"));
        Message.Delta add = created(e0).get(0);
        b.onMessage(0, new Message.Deltas(List.of(add)));
        b.onMessage(Env.CLIENT, new Message.CatalogRevoke("secret"));
        Message.Delta revoke = created(e1).get(0);
        c.onMessage(1, new Message.Deltas(List.of(revoke)));
        c.onMessage(0, new Message.Deltas(List.of(add)));
        assertFalse(c.contains("secret"), "the tombstone left by the early revoke hides the late add");
        assertEquals(b.stateHash(), c.stateHash());
    }

    @Test
    void configIsLastWriterWinsByLamportStamp() {
        RecordingEnv e0 = new RecordingEnv(0, 4, 1);
        RecordingEnv e1 = new RecordingEnv(1, 4, 2);
        ConfigBus a = started(new ConfigBus(0, COMPLETE, FLOOD), e0);
        ConfigBus b = started(new ConfigBus(1, COMPLETE, FLOOD), e1);
        a.onMessage(Env.CLIENT, new Message.ConfigPut("k", "old"));
        b.onMessage(0, new Message.Deltas(created(e0)));
        b.onMessage(Env.CLIENT, new Message.ConfigPut("k", "new")); // causally after "old": higher stamp
        a.onMessage(1, new Message.Deltas(created(e1)));
        assertEquals("new", a.get("k"));
        assertEquals("new", b.get("k"));
        assertEquals(a.stateHash(), b.stateHash());
        // The origin's successor acknowledges what it got first-hand: the origin acks to the client.
        a.onMessage(1, new Message.DeltaAck(created(e0).get(0).dot()));
        assertTrue(e0.observed.stream().anyMatch(o -> o instanceof Observation.DeltaAcked k && k.seq() == 1 && k.replica() == 1));
    }

    @Test
    void aGapIsBufferedAndPulledFromTheSenderThenAppliedInOrder() {
        RecordingEnv e0 = new RecordingEnv(0, 4, 1);
        RecordingEnv e1 = new RecordingEnv(1, 4, 2);
        ConfigBus a = started(new ConfigBus(0, COMPLETE, FLOOD), e0);
        ConfigBus b = started(new ConfigBus(1, COMPLETE, FLOOD), e1);
        a.onMessage(Env.CLIENT, new Message.ConfigPut("k", "1"));
        a.onMessage(Env.CLIENT, new Message.ConfigPut("k", "2"));
        List<Message.Delta> ds = created(e0);
        b.onMessage(2, new Message.Deltas(List.of(ds.get(1)))); // seq 2 first, relayed by node 2
        assertEquals(0, b.appliedCount());
        assertEquals(1, b.bufferedCount());
        assertTrue(e1.sent.stream().anyMatch(s -> s.to() == 2 && s.message() instanceof Message.Digest d && !d.reply()),
                "the gap pulls from the node that sent the later delta: " + e1.sent);
        b.onMessage(2, new Message.Deltas(List.of(ds.get(0))));
        assertEquals(2, b.appliedCount());
        assertEquals("2", b.get("k"));
        assertEquals(a.stateHash(), b.stateHash());
        // Anti-entropy: a digest from a node that lacks both makes b push both, in order.
        e1.sent.clear();
        b.onMessage(3, new Message.Digest(false, List.of()));
        assertEquals(List.of(new RecordingEnv.Sent(3, new Message.Deltas(ds))), e1.sent);
    }

    @Test
    void theStateDoesNotDependOnTheOrderDeltasArriveIn() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED);
        for (int c = 0; c < CASES; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            boolean catalog = r.nextBoolean();
            // Three origins make operations, each seeing only its own and some of the others' earlier deltas.
            List<RecordingEnv> envs = new ArrayList<>();
            List<DeltaReplicator> origins = new ArrayList<>();
            for (int v = 0; v < 3; v++) {
                RecordingEnv env = new RecordingEnv(v, 4, seed + v);
                envs.add(env);
                origins.add(started(catalog ? new TokenCatalog(v, COMPLETE, FLOOD) : new ConfigBus(v, COMPLETE, FLOOD), env));
            }
            List<Message.Delta> all = new ArrayList<>();
            int ops = 5 + r.nextInt(30);
            for (int i = 0; i < ops; i++) {
                int v = r.nextInt(3);
                String key = "t" + r.nextInt(4);
                Message request = !catalog ? new Message.ConfigPut(key, "v" + i)
                        : r.nextInt(3) == 0 ? new Message.CatalogRevoke(key) : new Message.CatalogAdd(key);
                origins.get(v).onMessage(Env.CLIENT, request);
                List<Message.Delta> mine = created(envs.get(v));
                Message.Delta d = mine.get(mine.size() - 1);
                all.add(d);
                // Sometimes another origin learns it at once, so later revokes see earlier adds.
                int w = r.nextInt(3);
                if (w != v && r.nextBoolean()) {
                    origins.get(w).onMessage(v, new Message.Deltas(List.of(d)));
                }
            }
            // Two fresh replicas (node 3) get every delta in two independent random orders.
            long[] hashes = new long[2];
            for (int k = 0; k < 2; k++) {
                List<Message.Delta> order = new ArrayList<>(all);
                Collections.shuffle(order, new Random(r.nextLong()));
                RecordingEnv env = new RecordingEnv(3, 4, seed);
                DeltaReplicator replica = started(catalog ? new TokenCatalog(3, COMPLETE, FLOOD) : new ConfigBus(3, COMPLETE, FLOOD), env);
                for (Message.Delta d : order) {
                    replica.onMessage(d.dot().node(), new Message.Deltas(List.of(d)));
                }
                assertEquals(all.size(), replica.appliedCount(), "every delta applied once, case seed " + seed);
                assertEquals(0, replica.bufferedCount(), "nothing left buffered, case seed " + seed);
                hashes[k] = replica.stateHash();
            }
            assertEquals(hashes[0], hashes[1], "state depends on arrival order, case seed " + seed);
        }
    }
}
