package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Protocol;
import dev.ringlab.node.ProtocolRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Every spec a built-in protocol or decorator writes parses back through the {@link ProtocolRegistry} to a
 * protocol with the same spec: that is how a {@code processes} child rebuilds its parent's protocol. Seeded
 * generators draw each protocol's parameters over their whole valid range; a failure names the case seed.
 */
class SpecRoundTripTest {
    private static final long MASTER_SEED = 0x5EC5L;
    private static final int CASES = 300;

    /** One generator per protocol family, each through the protocol's own public factory. */
    private static final Map<String, Function<SplittableRandom, Protocol>> GENERATORS = new LinkedHashMap<>();

    static {
        GENERATORS.put("ring", r -> Ring.PROTOCOL);
        GENERATORS.put("flood", r -> Flood.PROTOCOL);
        GENERATORS.put("tree", r -> Tree.protocol());
        GENERATORS.put("gossip", r -> Gossip.protocol(1 + r.nextInt(r.nextBoolean() ? 16 : Integer.MAX_VALUE)));
        GENERATORS.put("batched", r -> Batched.protocol(r.nextBoolean() ? r.nextLong(3_600_000_000_000L)
                : r.nextLong(3_600) * (r.nextBoolean() ? 1_000_000_000L : 1_000L)));
        GENERATORS.put("plumtree", r -> Plumtree.protocol(new Plumtree.Config(nanos(r, 0, 3_600_000_000_000L),
                r.nextBoolean() ? 0 : nanos(r, 0, 3_600_000_000_000L), nanos(r, 1, 3_600_000_000_000L),
                r.nextInt(r.nextBoolean() ? 8 : Integer.MAX_VALUE), r.nextBoolean())));
        GENERATORS.put("token", r -> {
            List<StationSpec> stations = new ArrayList<>();
            int count = r.nextInt(4);
            for (int i = 0; i < count; i++) {
                stations.add(new StationSpec(r.nextBoolean() ? StationSpec.EVERY_NODE : r.nextInt(1 << 20), delay(r)));
            }
            return TokenRing.protocol(stations);
        });
        GENERATORS.put("healing", r -> HealingRing.protocol(recovery(r)));
        GENERATORS.put("config", r -> ConfigBus.protocol(settings(r)));
        GENERATORS.put("catalog", r -> TokenCatalog.protocol(settings(r)));
        GENERATORS.put("cache", r -> FailoverCache.protocol(cache(r)));
        GENERATORS.put("dcache", r -> DeltaCache.protocol(deltaCache(r)));
    }

    private static DeltaCacheConfig deltaCache(SplittableRandom r) {
        long cap = Long.MAX_VALUE / 64; // sums of four stay within what a duration may be
        long hb = nanos(r, 1, cap);
        long suspect = 2 * hb + nanos(r, 0, cap);
        long retry = nanos(r, 1, cap);
        long hop = nanos(r, 1, cap);
        return new DeltaCacheConfig(1 + r.nextInt(8), hb, suspect, retry, suspect + retry + nanos(r, 0, cap),
                hop + nanos(r, 0, cap), hop, nanos(r, 1, cap));
    }

    /** A duration: small round values as a user writes them, or any nanosecond count up to {@code max}. */
    private static long nanos(SplittableRandom r, long min, long max) {
        long v = switch (r.nextInt(3)) {
            case 0 -> (1 + r.nextLong(1_000)) * 1_000_000L;
            case 1 -> 1 + r.nextLong(1_000_000_000L);
            default -> 1 + r.nextLong(Long.MAX_VALUE / 4);
        };
        return Math.max(min, Math.min(max, v));
    }

    private static DelaySpec delay(SplittableRandom r) {
        long lo = nanos(r, 0, Long.MAX_VALUE / 8);
        return r.nextBoolean() ? DelaySpec.fixed(lo) : DelaySpec.uniform(lo, lo + nanos(r, 0, Long.MAX_VALUE / 8));
    }

    private static RecoveryConfig recovery(SplittableRandom r) {
        long hb = nanos(r, 1, Long.MAX_VALUE / 16);
        long suspect = hb + nanos(r, 0, Long.MAX_VALUE / 16);
        long loss = suspect + nanos(r, 0, Long.MAX_VALUE / 16);
        RecoveryConfig c = new RecoveryConfig(hb, suspect, loss, 1 + r.nextInt(64), RecoveryConfig.Detector.TIMEOUT, 8.0);
        return r.nextBoolean() ? c : c.withPhi(r.nextBoolean() ? 1 + r.nextInt(20) : 1e-9 + r.nextDouble() * 299);
    }

    private static DeltaReplicator.Settings settings(SplittableRandom r) {
        long ae = nanos(r, 1, Long.MAX_VALUE / 4);
        long ack = nanos(r, 1, Long.MAX_VALUE / 4);
        if (r.nextBoolean()) {
            return new DeltaReplicator.Settings(DeltaReplicator.Mode.FLOOD, ae, ack, null, null);
        }
        DeltaReplicator.Via via = r.nextBoolean() ? DeltaReplicator.Via.TOKEN : DeltaReplicator.Via.HOP;
        return new DeltaReplicator.Settings(DeltaReplicator.Mode.RING, ae, ack, recovery(r), via);
    }

    private static CacheConfig cache(SplittableRandom r) {
        RecoveryConfig ring = recovery(r);
        long retry = nanos(r, 1, Long.MAX_VALUE / 8);
        return new CacheConfig(ring, retry, nanos(r, 1, Long.MAX_VALUE / 4),
                ring.suspicionTimeoutNanos() + nanos(r, 0, Long.MAX_VALUE / 8), retry + nanos(r, 0, Long.MAX_VALUE / 8));
    }

    private static void assertRoundTrips(Protocol p, String why) {
        String spec = p.spec();
        Protocol back = ProtocolRegistry.standard().protocol(spec);
        assertEquals(spec, back.spec(), why);
        assertEquals(spec, ProtocolRegistry.standard().protocol(back.spec()).spec(), "second round, " + why);
    }

    @Test
    void everyBuiltInSpecParsesBackToItself() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED);
        int checked = 0;
        for (Map.Entry<String, Function<SplittableRandom, Protocol>> e : GENERATORS.entrySet()) {
            for (int i = 0; i < CASES; i++) {
                long seed = master.nextLong();
                Protocol p = e.getValue().apply(new SplittableRandom(seed));
                assertRoundTrips(p, e.getKey() + " case seed " + seed + ": " + p.spec());
                // The census decorator adds no spec of its own: a child rebuilds the protocol it watches.
                assertRoundTrips(new TokenCensus(p), "census over " + e.getKey() + " case seed " + seed);
                checked++;
            }
        }
        assertEquals(GENERATORS.size() * CASES, checked);
    }

    /** The generators cover every spec form the built-in provider lists (one generator per form's name). */
    @Test
    void everyBuiltInFormHasAGenerator() {
        List<String> forms = new BuiltInProtocols().forms();
        assertTrue(forms.size() >= 5, forms.toString());
        for (String name : List.of("ring", "flood", "gossip", "tree", "batched", "token", "healing", "config", "catalog",
                "cache", "dcache")) {
            assertTrue(String.join(" ", forms).contains(name), name + " not in " + forms);
            assertTrue(GENERATORS.containsKey(name), "no generator for " + name);
        }
    }

    /** The parser's short forms (defaults) give specs that parse back too. */
    @Test
    void shortFormsExpandToSpecsThatParseBack() {
        for (String s : List.of("batched", "healing", "cache", "dcache", "dcache:r=3,compact=20ms", "token", "gossip:4", "batched:0.5ms", "healing:phi=8",
                "config;flood;ae=50ms,ack=100ms", "catalog;ring;ae=1s,ack=2s;healing")) {
            assertRoundTrips(ProtocolRegistry.standard().protocol(s), s);
        }
    }
}
