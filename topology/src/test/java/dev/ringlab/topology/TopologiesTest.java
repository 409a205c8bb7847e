package dev.ringlab.topology;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TopologiesTest {

    private static String rejection(String spec, int n) {
        return assertThrows(IllegalArgumentException.class, () -> Topologies.build(spec, n, 1)).getMessage();
    }

    @Test
    void unknownSpecIsRejectedWithTheListOfValidOnes() {
        String msg = rejection("torus", 16);
        assertTrue(msg.contains("unknown topology 'torus'"), msg);
        assertTrue(msg.contains(Topologies.VALID_SPECS), msg);
    }

    @Test
    void parameterisedSpecsNeedAnIntegerParameterAndOthersTakeNone() {
        assertTrue(rejection("chordal", 16).contains("chordal:K"));
        assertTrue(rejection("random-regular:x", 16).contains("integer D"));
        assertTrue(rejection("random-regular:0", 16).contains("D >= 1"));
        assertTrue(rejection("chordal:0", 16).contains("1 <= K <= 31"));
        assertTrue(rejection("chordal:32", 16).contains("1 <= K <= 31"));
        assertTrue(rejection("ring:3", 16).contains("takes no parameter"));
    }

    @Test
    void specsParseCaseInsensitivelyAndPrintCanonically() {
        assertEquals("random-regular:8", TopologySpec.parse(" Random-Regular:8 ").toString());
        assertEquals(TopologySpec.parse("chordal:3"), TopologySpec.parse(TopologySpec.parse("chordal:3").toString()));
    }

    @Test
    void everySpecRejectsFewerThanTwoNodes() {
        for (String spec : new String[] {"ring", "biring", "chordal:2", "random-regular:1", "margulis", "hypercube",
                "paley", "complete"}) {
            assertTrue(rejection(spec, 1).contains("n must be at least 2"), spec);
        }
    }

    @Test
    void badNodeCountsAreRejectedSayingWhatIsAllowed() {
        assertTrue(rejection("margulis", 10).contains("perfect square n = m*m"));
        assertTrue(rejection("margulis", 10).contains("9 or 16"));
        assertTrue(rejection("hypercube", 1000).contains("n = 2^k"));
        assertTrue(rejection("hypercube", 1000).contains("512 or 1024"));
        assertTrue(rejection("paley", 12).contains("prime n with n = 1 (mod 4)"));
        assertTrue(rejection("paley", 12).contains("13"), rejection("paley", 12));
        assertTrue(rejection("paley", 7).contains("prime n with n = 1 (mod 4)"), "7 is prime but 3 mod 4");
        assertTrue(rejection("random-regular:3", 5).contains("n*D even"));
        assertTrue(rejection("random-regular:8", 8).contains("1 <= D <= n-1"));
        assertTrue(rejection("complete", 50_000).contains("more than one int[] holds"));
    }

    @Test
    void ringIsDirectedSuccessorArcs() {
        Overlay ring = Topologies.build("ring", 5, 1);
        assertTrue(ring.directed());
        assertEquals(5, ring.edges());
        for (int v = 0; v < 5; v++) {
            assertArrayEquals(new int[] {(v + 1) % 5}, ring.neighbours(v));
        }
    }

    @Test
    void biringIsTheCycleAndASingleEdgeOnTwoNodes() {
        Overlay c = Topologies.build("biring", 6, 1);
        assertFalse(c.directed());
        assertEquals(6, c.edges());
        assertArrayEquals(new int[] {1, 5}, c.neighbours(0));
        Overlay k2 = Topologies.build("biring", 2, 1);
        assertEquals(1, k2.edges());
        assertArrayEquals(new int[] {1}, k2.neighbours(0));
    }

    @Test
    void chordalListsRingThenChordsAndMergesCoincidingOffsetsOnSmallRings() {
        Overlay g = Topologies.build("chordal:3", 32, 1);
        assertArrayEquals(new int[] {1, 31, 2, 30, 4, 28}, g.neighbours(0));
        assertEquals(32 * 3, g.edges());
        // n = 8, K = 4: offsets ±1, ±2, ±4 (= -4) and 8 = 0: degree 5, no loop, no repeat.
        Overlay small = Topologies.build("chordal:4", 8, 1);
        int[] nb = small.neighbours(0);
        Arrays.sort(nb);
        assertArrayEquals(new int[] {1, 2, 4, 6, 7}, nb);
        assertTrue(OverlayGraphs.isSimple(small));
        assertEquals(Topologies.build("biring", 9, 1).neighbours(3).length, Topologies.build("chordal:1", 9, 1).neighbours(3).length);
    }

    @Test
    void successorRingLinksEachNodeToItsRSuccessorsAndPredecessorsInThatOrder() {
        Overlay g = Topologies.build("successor-ring:3", 10, 1);
        assertEquals("successor-ring:3", g.spec());
        assertFalse(g.directed());
        assertArrayEquals(new int[] {1, 9, 2, 8, 3, 7}, g.neighbours(0));
        assertArrayEquals(new int[] {8, 6, 9, 5, 0, 4}, g.neighbours(7));
        assertEquals(10 * 3, g.edges());
        assertTrue(OverlayGraphs.isSimple(g));
        assertSymmetricMultiset(g);
        assertEquals("successor-ring:3", TopologySpec.parse(" Successor-Ring:3 ").toString());
        assertTrue(TopologySpec.parse("successor-ring:2").vertexTransitive());
    }

    @Test
    void successorRingMergesOffsetsThatCoincideOnSmallRings() {
        // n = 4, R = 3: offsets ±1, ±2 (= -2), ±3 (= ∓1): every other node once, no loop.
        Overlay small = Topologies.build("successor-ring:3", 4, 1);
        assertArrayEquals(new int[] {1, 3, 2}, small.neighbours(0));
        assertTrue(OverlayGraphs.isSimple(small));
        // R far above n is the complete graph, and costs nothing extra to build.
        Overlay wide = Topologies.build("successor-ring:1000000", 5, 1);
        assertEquals(5 * 4 / 2, wide.edges());
        Overlay two = Topologies.build("successor-ring:3", 2, 1);
        assertArrayEquals(new int[] {1}, two.neighbours(0));
        assertArrayEquals(Topologies.build("biring", 9, 1).neighbours(4), Topologies.build("successor-ring:1", 9, 1).neighbours(4));
        assertTrue(rejection("successor-ring:0", 8).contains("R >= 1"));
        assertTrue(rejection("successor-ring", 8).contains("successor-ring:R"));
    }

    @Test
    void margulisIsEightRegularAndKeepsItsLoops() {
        Overlay g = Topologies.build("margulis", 25, 1);
        for (int v = 0; v < 25; v++) {
            assertEquals(8, g.degree(v));
        }
        assertEquals(4 * 25, g.edges());
        // (0,0) is fixed by x+2y and y+2x and their inverses (4 loop entries, 2 loops); x+2y+1 sends it
        // to (1,0) = node 5 and y+2x+1 to (0,1) = node 1.
        assertArrayEquals(new int[] {0, 0, 5, 20, 0, 0, 1, 4}, g.neighbours(0));
        assertFalse(OverlayGraphs.isSimple(g));
        // The CSR invariant: every neighbour list entry u->v is matched by v->u with the same multiplicity.
        assertSymmetricMultiset(g);
    }

    @Test
    void hypercubeJoinsNodesDifferingInOneBit() {
        Overlay g = Topologies.build("hypercube", 16, 1);
        assertArrayEquals(new int[] {4, 7, 1, 13}, g.neighbours(5));
        assertEquals(16 * 4 / 2, g.edges());
    }

    @Test
    void paleyJoinsNodesDifferingByANonZeroSquare() {
        Overlay g = Topologies.build("paley", 13, 1);
        int[] nb = g.neighbours(0);
        Arrays.sort(nb);
        // Squares mod 13: 1, 4, 9, 3, 12, 10.
        assertArrayEquals(new int[] {1, 3, 4, 9, 10, 12}, nb);
        assertEquals(13 * 6 / 2, g.edges());
        assertSymmetricMultiset(g);
    }

    @Test
    void completeGraphListsEveryOtherNode() {
        Overlay g = Topologies.build("complete", 7, 1);
        assertEquals(21, g.edges());
        for (int v = 0; v < 7; v++) {
            assertEquals(6, g.degree(v));
        }
        assertTrue(OverlayGraphs.isSimple(g));
    }

    @Test
    void paleyOrdersArePrimesCongruentToOneModFour() {
        int[] expected = {5, 13, 17, 29, 37, 41, 53, 61, 73, 89, 97};
        int k = 0;
        for (int n = 2; n < 100; n++) {
            if (Topologies.isPaleyOrder(n)) {
                assertEquals(expected[k++], n);
            }
        }
        assertEquals(expected.length, k);
    }

    @Test
    void vertexTransitivityIsClaimedOnlyForCayleyConstructions() {
        assertTrue(TopologySpec.parse("chordal:3").vertexTransitive());
        assertTrue(TopologySpec.parse("paley").vertexTransitive());
        assertFalse(TopologySpec.parse("margulis").vertexTransitive());
        assertFalse(TopologySpec.parse("random-regular:3").vertexTransitive());
    }

    /** Every entry u -> v is matched by v -> u with the same multiplicity (the undirected CSR invariant). */
    static void assertSymmetricMultiset(Overlay g) {
        int n = g.size();
        int[][] rows = new int[n][];
        for (int v = 0; v < n; v++) {
            rows[v] = g.neighbours(v);
            Arrays.sort(rows[v]);
        }
        for (int u = 0; u < n; u++) {
            int[] row = rows[u];
            for (int i = 0; i < row.length; ) {
                int v = row[i];
                int j = i;
                while (j < row.length && row[j] == v) {
                    j++;
                }
                assertEquals(j - i, count(rows[v], u), "multiplicity of " + u + "-" + v + " seen from both ends");
                i = j;
            }
        }
    }

    private static int count(int[] sorted, int x) {
        int lo = lowerBound(sorted, x);
        return lowerBound(sorted, x + 1) - lo;
    }

    private static int lowerBound(int[] a, int x) {
        int lo = 0;
        int hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] < x) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
