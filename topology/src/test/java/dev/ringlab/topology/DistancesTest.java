package dev.ringlab.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.jgrapht.Graph;
import org.jgrapht.alg.shortestpath.GraphMeasurer;
import org.jgrapht.graph.DefaultEdge;
import org.junit.jupiter.api.Test;

class DistancesTest {

    private static Distances.Stats exact(Overlay g) {
        return new Distances(g).compute(Distances.Options.defaults(1).withExactBudget(Long.MAX_VALUE));
    }

    @Test
    void knownDiametersOfTheConstructions() {
        assertEquals(99, exact(Topologies.build("ring", 100, 1)).diameter(), "directed ring: n-1");
        assertEquals(50, exact(Topologies.build("biring", 100, 1)).diameter(), "C_100: n/2");
        assertEquals(50, exact(Topologies.build("biring", 101, 1)).diameter(), "C_101: floor(n/2)");
        assertEquals(9, exact(Topologies.build("hypercube", 512, 1)).diameter(), "Q_9: k");
        assertEquals(1, exact(Topologies.build("complete", 40, 1)).diameter(), "K_40");
        assertEquals(2, exact(Topologies.build("paley", 101, 1)).diameter(), "Paley graphs are strongly regular: 2");
        // chordal:4 on 16 nodes: offsets S = {±1, ±2, ±4, 8}; every other residue is a sum of two of them.
        assertEquals(2, exact(Topologies.build("chordal:4", 16, 1)).diameter());
    }

    @Test
    void averagePathLengthOfRingsHasAClosedForm() {
        // Directed ring: distances 1..n-1 from every node, mean n/2. Cycle C_n, n even: mean n^2/(4(n-1)).
        assertEquals(50.0, exact(Topologies.build("ring", 100, 1)).avgPathLength(), 1e-12);
        assertEquals(100.0 * 100 / (4 * 99), exact(Topologies.build("biring", 100, 1)).avgPathLength(), 1e-12);
        assertEquals(1.0, exact(Topologies.build("complete", 30, 1)).avgPathLength(), 1e-12);
    }

    @Test
    void allPairsAgreesWithJGraphTsGraphMeasurerOnSeededGraphs() {
        SplittableRandom master = new SplittableRandom(0xD1A_2026L);
        String[] specs = {"random-regular:3", "random-regular:5", "margulis", "chordal:3", "biring", "hypercube"};
        for (int c = 0; c < 18; c++) {
            String spec = specs[c % specs.length];
            long seed = master.nextLong();
            int n = switch (spec) {
                case "margulis" -> (int) Math.pow(4 + master.nextInt(10), 2);
                case "hypercube" -> 1 << (2 + master.nextInt(7));
                default -> 20 + 2 * master.nextInt(150);
            };
            Overlay g = Topologies.build(spec, n, seed);
            Distances.Stats s = exact(g);
            Graph<Integer, DefaultEdge> jg = OverlayGraphs.toGraph(g);
            GraphMeasurer<Integer, DefaultEdge> m = new GraphMeasurer<>(jg);
            String why = "Topologies.build(\"" + spec + "\", " + n + ", " + seed + "L)";
            if (s.connected()) {
                assertEquals((double) s.diameter(), m.getDiameter(), why);
                assertTrue(s.diameterExact() && s.avgPathLengthExact(), why);
                assertEquals(averageOfJGraphT(jg), s.avgPathLength(), 1e-9, why);
            } else {
                assertEquals(Double.POSITIVE_INFINITY, m.getDiameter(), why);
            }
        }
    }

    @Test
    void vertexTransitiveShortcutGivesTheSameAnswerAsAllPairs() {
        for (String spec : new String[] {"ring", "biring", "chordal:5", "hypercube", "paley", "complete"}) {
            int n = switch (spec) {
                case "hypercube" -> 256;
                case "paley" -> 197;
                default -> 300;
            };
            Overlay g = Topologies.build(spec, n, 1);
            Distances.Stats all = exact(g);
            Distances.Stats one = new Distances(g).compute(Distances.Options.defaults(1).withVertexTransitive(true));
            assertEquals(all.diameter(), one.diameter(), spec);
            assertEquals(all.avgPathLength(), one.avgPathLength(), 1e-12, spec);
            assertEquals(1, one.avgPathSources(), spec);
        }
    }

    @Test
    void boundsBracketTheExactDiameterAndTheSampleIsClose() {
        SplittableRandom master = new SplittableRandom(0xB0_2026L);
        for (int c = 0; c < 6; c++) {
            long seed = master.nextLong();
            String spec = c % 2 == 0 ? "random-regular:4" : "margulis";
            int n = c % 2 == 0 ? 3000 + 2 * master.nextInt(2000) : 2500;
            Overlay g = Topologies.build(spec, n, seed);
            Distances.Stats truth = exact(g);
            Distances.Stats bounded = new Distances(g).compute(
                    Distances.Options.defaults(seed).withExactBudget(0).withSampleSources(300));
            String why = "Topologies.build(\"" + spec + "\", " + n + ", " + seed + "L): " + bounded + " vs " + truth;
            assertFalse(bounded.avgPathLengthExact(), why);
            assertEquals(300, bounded.avgPathSources(), why);
            assertTrue(bounded.diameterLower() <= truth.diameter() && truth.diameter() <= bounded.diameterUpper(), why);
            assertEquals(bounded.diameterLower(), bounded.diameter(), why);
            assertEquals(bounded.diameterExact(), bounded.diameterLower().equals(bounded.diameterUpper()), why);
            assertEquals(truth.avgPathLength(), bounded.avgPathLength(), 5 * bounded.avgPathLengthStderr() + 1e-3, why);
        }
    }

    @Test
    void disconnectedGraphsHaveInfiniteDiameterAndNoAveragePathLength() {
        // Two disjoint triangles.
        int[][] adj = {{1, 2}, {0, 2}, {0, 1}, {4, 5}, {3, 5}, {3, 4}};
        Distances.Stats s = exact(Overlay.fromAdjacency("two triangles", false, adj));
        assertFalse(s.connected());
        assertNull(s.diameter());
        assertNull(s.avgPathLength());
        assertTrue(s.diameterExact(), "infinite, exactly");
    }

    @Test
    void aOneWayPathIsNotStronglyConnected() {
        int[][] adj = {{1}, {2}, {}};
        assertFalse(exact(Overlay.fromAdjacency("path", true, adj)).connected());
    }

    @Test
    void distancesFromASourceFollowArcDirection() {
        Distances d = new Distances(Topologies.build("ring", 5, 1));
        assertEquals(java.util.List.of(0, 1, 2, 3, 4), java.util.Arrays.stream(d.distancesFrom(0)).boxed().toList());
        assertEquals(4, d.eccentricity(2));
    }

    private static double averageOfJGraphT(Graph<Integer, DefaultEdge> g) {
        var fw = new org.jgrapht.alg.shortestpath.FloydWarshallShortestPaths<>(g);
        double sum = 0;
        int n = g.vertexSet().size();
        for (int u = 0; u < n; u++) {
            for (int v = 0; v < n; v++) {
                if (u != v) {
                    sum += fw.getPathWeight(u, v);
                }
            }
        }
        return sum / ((double) n * (n - 1));
    }
}
