package dev.ringlab.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TopologyMetricsTest {

    private static TopologyMetrics.Report report(String spec, int n, long seed) {
        return TopologyMetrics.of(Topologies.build(spec, n, seed), TopologySpec.parse(spec), seed);
    }

    @Test
    void directedRingReportsDirectedDiameterAndSaysItsSpectrumIsOfTheSymmetrisation() {
        TopologyMetrics.Report r = report("ring", 50, 1);
        assertTrue(r.directed());
        assertTrue(r.symmetrised());
        assertEquals(49, r.distances().diameter());
        assertTrue(r.distances().diameterExact());
        assertEquals(1, r.degreeMin());
        assertEquals(2, r.lambda1(), 1e-9, "the symmetrised ring is the 2-regular cycle");
        assertEquals(Boolean.TRUE, r.ramanujan(), "every 2-regular graph is Ramanujan");
    }

    @Test
    void ramanujanTestFollowsTheExactSpectrum() {
        TopologyMetrics.Report paley = report("paley", 101, 1);
        assertEquals(Boolean.TRUE, paley.ramanujan(), paley.ramanujanNote());
        TopologyMetrics.Report cube = report("hypercube", 64, 1);
        assertEquals(Boolean.FALSE, cube.ramanujan(), "bipartite: lambda_min = -d fails the non-bipartite bound");
        TopologyMetrics.Report complete = report("complete", 20, 1);
        assertEquals(Boolean.TRUE, complete.ramanujan());
        assertEquals(2 * Math.sqrt(18), complete.ramanujanBound(), 1e-12);
        TopologyMetrics.Report chordal = report("chordal:3", 200, 1);
        assertEquals(Boolean.FALSE, chordal.ramanujan(), "long cycles with chords have lambda2 near d");
    }

    @Test
    void irregularGraphsGetNoRamanujanVerdictAndNoCheegerBounds() {
        int[][] star = {{1, 2, 3}, {0}, {0}, {0}};
        TopologyMetrics.Report r = new TopologyMetrics(Overlay.fromAdjacency("star", false, star),
                TopologyMetrics.Options.defaults(1)).compute();
        assertFalse(r.regular());
        assertNull(r.ramanujan());
        assertNull(r.ramanujanBound());
        assertNull(r.expansion().cheegerLower());
        assertEquals(Math.sqrt(3), r.lambda1(), 1e-9);
    }

    @Test
    void sweepCutFindsTheBridgeBetweenTwoCliques() {
        // Two K_10 joined by one edge: h(G) = 1/10, and the Fiedler vector separates the cliques.
        int half = 10;
        int[][] adj = new int[2 * half][];
        for (int side = 0; side < 2; side++) {
            for (int i = 0; i < half; i++) {
                int v = side * half + i;
                int extra = (i == 0) ? 1 : 0;
                adj[v] = new int[half - 1 + extra];
                int k = 0;
                for (int j = 0; j < half; j++) {
                    if (j != i) {
                        adj[v][k++] = side * half + j;
                    }
                }
                if (extra == 1) {
                    adj[v][k] = side == 0 ? half : 0;
                }
            }
        }
        Overlay g = Overlay.fromAdjacency("barbell", false, adj);
        AdjacencySpectrum.Result s = AdjacencySpectrum.compute(g, AdjacencySpectrum.Options.defaults(1));
        EdgeExpansion.Result x = EdgeExpansion.sweep(g, s.secondVector(), s);
        assertEquals(0.1, x.estimate(), 1e-12);
        assertEquals(10, x.smallerSide());
        assertEquals(1, x.cutEdges());
    }

    @Test
    void sweepEstimateLiesWithinTheCheegerBracketOnSeededRegularGraphs() {
        SplittableRandom master = new SplittableRandom(0xC4EE_2026L);
        for (int c = 0; c < 10; c++) {
            long seed = master.nextLong();
            int d = 3 + master.nextInt(6);
            int n = 100 + 2 * master.nextInt(200);
            String spec = c % 3 == 0 ? "margulis" : "random-regular:" + d;
            if (spec.equals("margulis")) {
                n = (int) Math.pow(6 + master.nextInt(14), 2);
            }
            TopologyMetrics.Report r = report(spec, n, seed);
            EdgeExpansion.Result x = r.expansion();
            String why = "Topologies.build(\"" + spec + "\", " + n + ", " + seed + "L): " + x;
            // The sweep realises a cut, so it bounds h from above: never below the certified lower bound.
            assertTrue(x.estimate() >= x.cheegerLower() - 1e-9, why);
            // Cheeger's upper bound is proved by this very sweep over an exact eigenvector.
            assertTrue(x.estimate() <= x.cheegerUpper() + 1e-9, why);
            assertTrue(x.smallerSide() >= 1 && x.smallerSide() <= n / 2, why);
        }
    }

    @Test
    void reportsAreAPureFunctionOfOverlayAndSeed() {
        Overlay g = Topologies.build("random-regular:6", 3000, 5);
        TopologyMetrics.Options o = TopologyMetrics.Options.defaults(9).withDistances(
                Distances.Options.defaults(4).withExactBudget(0));
        TopologyMetrics.Report a = new TopologyMetrics(g, o).compute();
        TopologyMetrics.Report b = new TopologyMetrics(g, o).compute();
        assertEquals(a, b);
        assertFalse(a.distances().avgPathLengthExact());
        assertFalse(a.spectrumExact());
    }
}
