package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.topology.Topologies;
import org.junit.jupiter.api.Test;

/** {@link CacheConfig}'s spec round trip and checks, and {@link FailoverCache}'s placement and overlay checks. */
class CacheConfigTest {
    @Test
    void specParsesBackToTheSameConfig() {
        CacheConfig d = CacheConfig.defaults();
        assertEquals(d, CacheConfig.parse(d.spec()));
        assertEquals(d, CacheConfig.parse("cache"));
        CacheConfig c = CacheConfig.parse("cache:suspect=100ms,loss=1s,r=2,retry=30ms,write=400ms,deadline=5s");
        assertEquals(100_000_000L, c.ring().suspicionTimeoutNanos());
        assertEquals(2, c.ring().successors());
        assertEquals(30_000_000L, c.retryNanos());
        assertEquals(400_000_000L, c.writeTimeoutNanos());
        assertEquals(c, CacheConfig.parse(c.spec()));
        assertTrue(CacheConfig.isSpec(c.spec()));
    }

    @Test
    void badSpecsNameTheProblem() {
        assertThrows(IllegalArgumentException.class, () -> CacheConfig.parse("cache:retry=banana"));
        assertThrows(IllegalArgumentException.class, () -> CacheConfig.parse("cache:nope=1ms"));
        assertThrows(IllegalArgumentException.class, () -> CacheConfig.parse("healing"));
        // A write must be allowed to wait out a suspicion timeout.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CacheConfig.parse("cache:suspect=100ms,write=50ms"));
        assertTrue(e.getMessage().contains("suspicion timeout"), e.getMessage());
    }

    @Test
    void keysSpreadOverAllOwnersAndTheOverlayMustBeComplete() {
        int n = 7;
        int[] count = new int[n];
        for (long k = 0; k < 70_000; k++) {
            count[FailoverCache.owner(k, n)]++;
        }
        for (int c : count) {
            assertTrue(Math.abs(c - 10_000) < 500, "owner share " + c + " of 70000 keys over 7 nodes");
        }
        assertThrows(IllegalArgumentException.class,
                () -> new FailoverCache(0, Topologies.build("ring", 5, 1), CacheConfig.defaults()));
        new FailoverCache(0, Topologies.build("complete", 5, 1), CacheConfig.defaults());
    }
}
