package dev.ringlab.node.spec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Placement orders, names and the spec's one-line errors, over many seeded shapes. */
class PlacementTest {

    @Test
    void everyOrderGivesEveryDatacenterPerDcNodes() {
        SplittableRandom shapes = new SplittableRandom(18);
        for (int i = 0; i < 200; i++) {
            int dcs = 1 + shapes.nextInt(6);
            int perDc = 1 + shapes.nextInt(10);
            long seed = shapes.nextLong();
            for (Placement.Order order : Placement.Order.values()) {
                Placement p = new Placement.Spec(dcs, perDc, order, "prod").resolve(seed);
                assertEquals(dcs * perDc, p.nodes(), "seed " + seed);
                int[] count = new int[dcs];
                for (int v = 0; v < p.nodes(); v++) {
                    count[p.dc(v)]++;
                }
                for (int d = 0; d < dcs; d++) {
                    assertEquals(perDc, count[d], "dc " + d + " of " + p + " seed " + seed);
                    assertEquals(perDc, p.members(d).length, "seed " + seed);
                }
            }
        }
    }

    @Test
    void interleavedPutsConsecutivePositionsInDifferentDatacenters() {
        for (int dcs = 2; dcs <= 6; dcs++) {
            for (int perDc = 1; perDc <= 9; perDc++) {
                Placement p = Placement.parse("dcs=" + dcs + ",per-dc=" + perDc + ",order=interleaved").resolve(1);
                assertTrue(p.nodes() >= 2, "some positions to check");
                for (int i = 0; i + 1 < p.nodes(); i++) {
                    assertNotEquals(p.dc(i), p.dc(i + 1), "positions " + i + "," + (i + 1) + " of " + p);
                }
                assertEquals(p.nodes(), p.wanRingHops(), "every ring hop crosses the WAN: " + p);
            }
        }
    }

    @Test
    void groupedCrossesTheWanExactlyOncePerDatacenter() {
        for (int dcs = 2; dcs <= 6; dcs++) {
            for (int perDc = 1; perDc <= 9; perDc++) {
                Placement p = Placement.parse("dcs=" + dcs + ",per-dc=" + perDc + ",order=grouped").resolve(1);
                assertEquals(dcs, p.wanRingHops(), p.toString());
            }
        }
        assertEquals(0, Placement.parse("dcs=1,per-dc=5,order=grouped").resolve(1).wanRingHops());
    }

    @Test
    void randomOrderReplaysFromItsSeedAndDiffersAcrossSeeds() {
        Placement.Spec s = Placement.parse("dcs=3,per-dc=8,order=random");
        int distinct = 0;
        for (long seed = 0; seed < 50; seed++) {
            assertArrayEquals(s.resolve(seed).dcOf(), s.resolve(seed).dcOf(), "seed " + seed);
            if (!java.util.Arrays.equals(s.resolve(seed).dcOf(), s.resolve(seed + 1).dcOf())) {
                distinct++;
            }
        }
        assertTrue(distinct > 40, "random orders barely depend on the seed: " + distinct + " of 50 differ");
    }

    @Test
    void namesFollowTheOriginalEnumeration() {
        Placement p = Placement.parse("dcs=3,per-dc=2,order=interleaved").resolve(1);
        String[] expected = {"dc1/prod/0", "dc2/prod/0", "dc3/prod/0", "dc1/prod/1", "dc2/prod/1", "dc3/prod/1"};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], p.name(i));
        }
        assertEquals("dc2/web/1", Placement.parse("dcs=2,per-dc=2,order=grouped,role=web").resolve(1).name(3));
    }

    @Test
    void badSpecsAreOneLineErrorsNamingTheForm() {
        for (String bad : new String[] {"dcs=3", "per-dc=8", "dcs=0,per-dc=8", "dcs=3,per-dc=x", "dcs=3,per-dc=8,order=zigzag",
            "dcs=3,per-dc=8,colour=red", "dcs=3 per-dc=8", "dcs=3,per-dc=8,role=a/b"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Placement.parse(bad), bad);
            assertTrue(e.getMessage().contains("bad placement") && e.getMessage().contains("dcs=D,per-dc=P")
                    && !e.getMessage().contains("\n"), e.getMessage());
        }
        assertEquals("dcs=3,per-dc=8,order=grouped", Placement.parse(" DCS=3 , per-dc=8 ,order=GROUPED").toString());
    }
}
