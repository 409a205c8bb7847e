package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.SplitMix;
import dev.ringlab.topology.Overlay;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link FailoverCache}'s placement and digests against an independent computation of their documented
 * definitions, the overlays it accepts, its accessors, and the boundaries of {@link CacheConfig}.
 */
class CachePlacementTest {
    private static final long SEED = 0xCAC4E9L;

    /** FNV-1a over the bytes, then the SplitMix64 finaliser of (hash xor length), as documented. */
    private static long expectedDigest(byte[] value) {
        long h = 0xcbf29ce484222325L;
        for (byte b : value) {
            h = (h ^ Byte.toUnsignedLong(b)) * 0x100000001b3L;
        }
        return SplitMix.mix64((h ^ value.length) + SplitMix.GOLDEN_GAMMA);
    }

    /** The arc of the 2^64-point ring the key's SplitMix64 hash falls in. */
    private static int expectedOwner(long key, int n) {
        long h = SplitMix.mix64(key + SplitMix.GOLDEN_GAMMA);
        // floor(h * n / 2^64) with h unsigned, by BigInteger: independent of Math.unsignedMultiplyHigh.
        return java.math.BigInteger.valueOf(h).and(java.math.BigInteger.ONE.shiftLeft(64).subtract(java.math.BigInteger.ONE))
                .multiply(java.math.BigInteger.valueOf(n)).shiftRight(64).intValueExact();
    }

    @Test
    void digestsAndOwnersFollowTheirDefinitionsAndDistinguishValues() {
        SplittableRandom r = new SplittableRandom(SEED);
        Map<Long, byte[]> seen = new HashMap<>();
        for (int i = 0; i < 5_000; i++) {
            byte[] v = new byte[r.nextInt(40)];
            r.nextBytes(v);
            long d = FailoverCache.digest(v);
            assertEquals(expectedDigest(v), d, "seed " + SEED + " case " + i);
            byte[] other = seen.put(d, v);
            assertTrue(other == null || java.util.Arrays.equals(other, v), "seed " + SEED + ": digest collision at case " + i);
            long key = r.nextLong();
            int n = 1 + r.nextInt(64);
            assertEquals(expectedOwner(key, n), FailoverCache.owner(key, n), "seed " + SEED + " key " + key + " n " + n);
        }
        // Values that differ only in high bytes, or only in length (trailing zeros), have different digests.
        assertNotEquals(FailoverCache.digest(new byte[] {(byte) 0x80}), FailoverCache.digest(new byte[] {(byte) 0xff}));
        assertNotEquals(FailoverCache.digest(new byte[0]), FailoverCache.digest(new byte[1]));
        assertNotEquals(FailoverCache.digest(new byte[1]), FailoverCache.digest(new byte[2]));
        for (long k = -100; k < 100; k++) {
            assertEquals(0, FailoverCache.owner(k, 1), "one node owns every key");
        }
        assertThrows(IllegalArgumentException.class, () -> FailoverCache.owner(1, 0));
    }

    /** Node v lists v+1 .. v+k (mod n): each pair is an edge in one direction only. */
    private static Overlay forward(int n, int k) {
        int[][] adj = new int[n][k];
        for (int v = 0; v < n; v++) {
            for (int i = 0; i < k; i++) {
                adj[v][i] = (v + 1 + i) % n;
            }
        }
        return Overlay.fromAdjacency("forward:" + k, true, adj);
    }

    @Test
    void anEdgeListedAtEitherEndCountsAndAMissingPairIsNamed() {
        // n = 5, each node lists its 3 successors: the 4th pair (v, v-1) is listed by v-1 only.
        Overlay ok = forward(5, 3);
        for (int v = 0; v < 5; v++) {
            FailoverCache c = new FailoverCache(v, ok, CacheConfig.defaults());
            assertEquals(0, c.size());
        }
        // n = 8: v and v+4 are not linked at all.
        Overlay bad = forward(8, 3);
        for (int v = 0; v < 8; v++) {
            int id = v;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new FailoverCache(id, bad, CacheConfig.defaults()));
            assertTrue(e.getMessage().contains("no edge " + v + " - " + (v + 4) % 8) && e.getMessage().contains("complete"),
                    e.getMessage());
        }
    }

    @Test
    void aFreshNodeIsEmptyRecoveringAndServesEachOwnersKeysAtTheOwnerUntilItHasAView() {
        Overlay o = forward(5, 4);
        FailoverCache c = new FailoverCache(3, o, CacheConfig.defaults());
        assertEquals(0, c.size());
        assertTrue(c.recovering());
        assertNotNull(c.ring());
        assertTrue(c.toString().contains("node 3") && c.toString().contains("recovering"), c.toString());
        for (int v = 0; v < 5; v++) {
            assertEquals(v, c.servingNode(v));
        }
        // Started, it asks its successors (4, 0, 1) and predecessors (2, 1, 0) once each for its keys.
        RecordingEnv env = new RecordingEnv(3, 5, SEED);
        env.nowNanos = 1_000;
        c.start(env);
        long asks = env.sent.stream().filter(s -> s.message() instanceof Message.CacheSignal).count();
        assertEquals(4, asks);
        // Each successor hands back (one holds a key of node 3): then it has recovered, with that entry.
        long key = 0;
        while (FailoverCache.owner(key, 5) != 3) {
            key++;
        }
        Message.CacheEntry e = new Message.CacheEntry(key, 2, 3, new byte[] {1, 2});
        for (int s : new int[] {4, 0, 1}) {
            assertTrue(c.recovering(), "still waiting for node " + s);
            c.onMessage(s, new Message.CacheSync(Message.CacheSyncKind.HANDBACK, 1_000, true,
                    s == 0 ? java.util.List.of(e) : java.util.List.of()));
        }
        assertFalse(c.recovering());
        assertEquals(1, c.size());
        assertSame(e, c.entry(key));
        assertTrue(env.observed.stream().anyMatch(x -> x instanceof Observation.CacheRecovered r && r.entries() == 1),
                env.observed.toString());
        assertFalse(c.toString().contains("recovering"), c.toString());
        assertTrue(c.toString().contains("1 entries"), c.toString());
    }

    @Test
    void cacheConfigBoundsAreInclusiveWhereTheyAllowEquality() {
        RecoveryConfig ring = RecoveryConfig.defaults();
        long suspect = ring.suspicionTimeoutNanos();
        // The smallest legal values: 1 ns retries, a write timeout of exactly the suspicion timeout, a
        // deadline of exactly one retry interval.
        CacheConfig min = new CacheConfig(ring, 1, 1, suspect, 1);
        assertEquals(1, min.retryNanos());
        assertEquals(suspect, min.writeTimeoutNanos());
        assertThrows(IllegalArgumentException.class, () -> new CacheConfig(ring, 0, 1, suspect, 1));
        assertThrows(IllegalArgumentException.class, () -> new CacheConfig(ring, 1, 0, suspect, 1));
        assertThrows(IllegalArgumentException.class, () -> new CacheConfig(ring, 1, 1, suspect - 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new CacheConfig(ring, 2, 1, suspect, 1));
        new CacheConfig(ring, 2, 1, suspect, 2);
        RecoveryConfig other = RecoveryConfig.parse("healing:suspect=100ms,r=2");
        CacheConfig d = CacheConfig.defaults();
        CacheConfig w = d.withRing(other);
        assertEquals(new CacheConfig(other, d.retryNanos(), d.replicaRetryNanos(), d.writeTimeoutNanos(), d.deadlineNanos()),
                w);
        assertEquals(w, CacheConfig.parse(w.spec()));
    }
}
