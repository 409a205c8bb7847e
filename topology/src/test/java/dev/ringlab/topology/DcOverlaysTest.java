package dev.ringlab.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** dc-regular:D,K over many seeds and shapes (seed in every message), its impossible cases and its spec. */
class DcOverlaysTest {

    static int[] grouped(int dcs, int perDc) {
        int[] a = new int[dcs * perDc];
        for (int i = 0; i < a.length; i++) {
            a[i] = i / perDc;
        }
        return a;
    }

    static int[] shuffled(int[] a, SplittableRandom r) {
        int[] b = a.clone();
        for (int i = b.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = b[i];
            b[i] = b[j];
            b[j] = t;
        }
        return b;
    }

    @Test
    void degreeConnectivityAndInterEdgesHoldOverManySeeds() {
        SplittableRandom shapes = new SplittableRandom(1818);
        int checked = 0;
        for (int i = 0; i < 300; i++) {
            int dcs = 2 + shapes.nextInt(4);
            int perDc = 3 + shapes.nextInt(8);
            int d = shapes.nextInt(Math.min(4, perDc - 1) + 1);
            int k = Math.max(1 + shapes.nextInt(3), 3 - d); // degree >= 3: connected draws come quickly
            if ((perDc * d) % 2 != 0 || (dcs * perDc * k) % 2 != 0) {
                continue;
            }
            long seed = shapes.nextLong();
            int[] dcOf = shuffled(grouped(dcs, perDc), new SplittableRandom(seed));
            String where = "dc-regular:" + d + "," + k + " on " + dcs + "x" + perDc + " seed " + seed;
            Overlay o = DcOverlays.regular(d, k, dcOf, seed);
            checked++;
            assertEquals(dcs * perDc, o.size(), where);
            for (int v = 0; v < o.size(); v++) {
                int[] nb = o.neighbours(v);
                assertEquals(d + k, nb.length, where + " node " + v);
                int same = 0;
                for (int w : nb) {
                    assertTrue(w != v, where + ": self-loop at " + v);
                    same += dcOf[w] == dcOf[v] ? 1 : 0;
                }
                assertEquals(d, same, where + ": node " + v + " neighbours in its own datacenter");
                assertEquals(nb.length, Arrays.stream(nb).distinct().count(), where + ": repeated edge at " + v);
            }
            assertTrue(DcOverlays.connected(o), where);
            assertEquals((long) dcs * perDc * k / 2, DcOverlays.interEdges(o, dcOf), where);
            assertEquals(Arrays.toString(o.targets()), Arrays.toString(DcOverlays.regular(d, k, dcOf, seed).targets()),
                    where + ": not a function of the seed");
        }
        assertTrue(checked > 100, "only " + checked + " shapes checked");
    }

    @Test
    void impossibleParametersAreRefusedWithTheReason() {
        int[] g = grouped(3, 5);
        String[][] cases = {{"5", "1", "needs D <= 4"}, {"3", "1", "size*D even"}, {"2", "0", "K >= 1"},
            {"0", "11", "exceeds"}, {"0", "1", "D + K >= 2"}};
        assertTrue(cases.length > 0);
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DcOverlays.regular(Integer.parseInt(c[0]), Integer.parseInt(c[1]), g, 1));
            assertTrue(e.getMessage().contains(c[2]), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DcOverlays.regular(1, 1, new int[] {0, 0, 0, 0, 1, 2}, 1));
        assertTrue(e.getMessage().contains("more than half"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DcOverlays.regular(2, 1, grouped(1, 5), 1));
        assertTrue(e.getMessage().contains("one datacenter"), e.getMessage());
    }

    @Test
    void theSpecParsesPrintsAndNeedsDatacenters() {
        TopologySpec s = TopologySpec.parse("dc-regular:3,1");
        assertEquals("dc-regular:3,1", s.toString());
        assertEquals(s, TopologySpec.parse(s.toString()));
        assertTrue(s.needsDatacenters());
        for (String bad : new String[] {"dc-regular", "dc-regular:3", "dc-regular:3,x", "dc-regular:0,0", "dc-regular:-1,2"}) {
            assertThrows(IllegalArgumentException.class, () -> TopologySpec.parse(bad), bad);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Topologies.build("dc-regular:3,1", 24, 1));
        assertTrue(e.getMessage().contains("placement"), e.getMessage());
        Overlay o = Topologies.build(s, 24, 1, grouped(3, 8));
        assertEquals(4, o.degree(0));
        // Other kinds ignore the datacenters.
        assertEquals(Arrays.toString(Topologies.build("random-regular:4", 24, 1).targets()),
                Arrays.toString(Topologies.build(TopologySpec.parse("random-regular:4"), 24, 1, grouped(3, 8)).targets()));
    }

    @Test
    void interEdgesOfTheRingCountItsWanHops() {
        Overlay ring = Topologies.build("ring", 6, 1);
        assertEquals(2, DcOverlays.interEdges(ring, grouped(2, 3)));
        assertEquals(6, DcOverlays.interEdges(ring, new int[] {0, 1, 0, 1, 0, 1}));
        assertEquals(2, DcOverlays.interEdges(Topologies.build("biring", 6, 1), grouped(2, 3)));
    }
}
