package dev.ringlab.topology;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Seeded property tests: every case is drawn from one master seed with {@link SplittableRandom}, and every
 * assertion message names the case (spec, n, seed) so a failure replays with
 * {@code Topologies.build(spec, n, seed)}.
 */
class GeneratorPropertiesTest {
    private static final long MASTER_SEED = 0x5EED_2026L;
    private static final int[] PALEY_ORDERS = paleyOrdersBelow(1200);

    @Test
    void everyGeneratorKeepsItsPromisedDegreesEdgeCountAndConnectivity() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED);
        for (int c = 0; c < 400; c++) {
            Case k = drawCase(master);
            Overlay g = Topologies.build(k.spec, k.n, k.seed);
            String why = k.toString();
            assertEquals(k.n, g.size(), why);
            for (int v = 0; v < k.n; v++) {
                assertEquals(k.degree, g.degree(v), why + " degree of node " + v);
            }
            assertEquals(k.edges, g.edges(), why);
            if (!g.directed()) {
                TopologiesTest.assertSymmetricMultiset(g);
            }
            if (k.mustBeSimple) {
                assertTrue(OverlayGraphs.isSimple(g), why + " must be simple");
            }
            if (k.mustBeConnected) {
                assertTrue(stronglyConnected(g), why + " must be connected");
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameGraphAndDifferentSeedsDiffer() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED + 1);
        for (int c = 0; c < 60; c++) {
            int d = 1 + master.nextInt(10);
            // Most cases on JGraphT's side of the threshold, the last ten on the pairing side.
            int n = c < 50 ? Math.max(20, d + 3) + master.nextInt(2000)
                    : RandomRegularGraphs.JGRAPHT_MAX_NODES + 1 + master.nextInt(20_000);
            if ((long) n * d % 2 != 0) {
                n++;
            }
            long seed = master.nextLong();
            String spec = "random-regular:" + d;
            String why = spec + " n=" + n + " seed=" + seed;
            Overlay a = Topologies.build(spec, n, seed);
            Overlay b = Topologies.build(spec, n, seed);
            assertArrayEquals(a.targets(), b.targets(), why + ": same seed, same graph");
            Overlay other = Topologies.build(spec, n, seed + 1);
            assertFalse(Arrays.equals(a.targets(), other.targets()), why + ": seeds " + seed + " and " + (seed + 1) + " gave the same graph");
        }
    }

    @Test
    void bothRandomRegularMethodsGiveSimpleRegularGraphsIncludingDenseAndTinyCases() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED + 2);
        for (int c = 0; c < 200; c++) {
            int n = 2 + master.nextInt(c < 120 ? 40 : 200);
            int d = 1 + master.nextInt(n - 1);
            if ((long) n * d % 2 != 0) {
                d = d == n - 1 ? d - 1 : d + 1;
            }
            if (d < 1) {
                continue;
            }
            long seed = master.nextLong();
            String why = "n=" + n + " d=" + d + " seed=" + seed;
            for (Overlay g : new Overlay[] {RandomRegularGraphs.jgrapht(n, d, seed), RandomRegularGraphs.pairing(n, d, seed)}) {
                assertTrue(OverlayGraphs.isSimple(g), why);
                for (int v = 0; v < n; v++) {
                    assertEquals(d, g.degree(v), why + " node " + v);
                }
                assertEquals((long) n * d / 2, g.edges(), why);
                TopologiesTest.assertSymmetricMultiset(g);
            }
        }
    }

    @Test
    void thePairingMethodScalesAndStaysSimple() {
        long seed = 42;
        Overlay g = RandomRegularGraphs.pairing(200_000, 8, seed);
        assertTrue(OverlayGraphs.isSimple(g), "pairing n=200000 d=8 seed=" + seed);
        assertEquals(800_000, g.edges());
        assertTrue(stronglyConnected(g), "pairing n=200000 d=8 seed=" + seed + " must be connected (whp)");
    }

    // ---------------------------------------------------------------------------------------------

    private record Case(String spec, int n, long seed, int degree, long edges, boolean mustBeSimple,
                        boolean mustBeConnected) {
        @Override
        public String toString() {
            return "Topologies.build(\"" + spec + "\", " + n + ", " + seed + "L)";
        }
    }

    private static Case drawCase(SplittableRandom r) {
        long seed = r.nextLong();
        switch (r.nextInt(8)) {
            case 0 -> {
                int n = 2 + r.nextInt(3000);
                return new Case("ring", n, seed, 1, n, true, true);
            }
            case 1 -> {
                int n = 2 + r.nextInt(3000);
                return new Case("biring", n, seed, n == 2 ? 1 : 2, n == 2 ? 1 : n, true, true);
            }
            case 2 -> {
                int k = 1 + r.nextInt(12);
                int n = 2 + r.nextInt(5000);
                TreeSet<Integer> s = new TreeSet<>();
                for (int j = 0; j < k; j++) {
                    int o = (int) ((1L << j) % n);
                    if (o != 0) {
                        s.add(o);
                        s.add(n - o);
                    }
                }
                return new Case("chordal:" + k, n, seed, s.size(), (long) n * s.size() / 2, true, true);
            }
            case 3 -> {
                int d = 1 + r.nextInt(12);
                int n = d + 1 + r.nextInt(4000);
                if ((long) n * d % 2 != 0) {
                    n++;
                }
                // Random d-regular graphs are connected with high probability for d >= 3: a component of a
                // small graph is possible, so connectivity is only promised from 64 nodes on.
                return new Case("random-regular:" + d, n, seed, d, (long) n * d / 2, true, d >= 3 && n >= 64);
            }
            case 4 -> {
                int m = 2 + r.nextInt(70);
                return new Case("margulis", m * m, seed, 8, 4L * m * m, false, true);
            }
            case 5 -> {
                int k = 1 + r.nextInt(12);
                return new Case("hypercube", 1 << k, seed, k, (long) k << (k - 1), true, true);
            }
            case 6 -> {
                int p = PALEY_ORDERS[r.nextInt(PALEY_ORDERS.length)];
                return new Case("paley", p, seed, (p - 1) / 2, (long) p * (p - 1) / 4, true, true);
            }
            default -> {
                int n = 2 + r.nextInt(400);
                return new Case("complete", n, seed, n - 1, (long) n * (n - 1) / 2, true, true);
            }
        }
    }

    private static int[] paleyOrdersBelow(int limit) {
        return java.util.stream.IntStream.range(2, limit).filter(Topologies::isPaleyOrder).toArray();
    }

    /** Strongly connected (connected if undirected), by a forward and a backward BFS from node 0. */
    static boolean stronglyConnected(Overlay g) {
        int n = g.size();
        int[][] reverse = new int[n][];
        int[] indeg = new int[n];
        for (int u = 0; u < n; u++) {
            for (int v : g.neighbours(u)) {
                indeg[v]++;
            }
        }
        for (int v = 0; v < n; v++) {
            reverse[v] = new int[indeg[v]];
        }
        int[] fill = new int[n];
        for (int u = 0; u < n; u++) {
            for (int v : g.neighbours(u)) {
                reverse[v][fill[v]++] = u;
            }
        }
        return reaches(n, g::neighbours) == n && reaches(n, v -> reverse[v]) == n;
    }

    private static int reaches(int n, java.util.function.IntFunction<int[]> next) {
        boolean[] seen = new boolean[n];
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        seen[0] = true;
        queue.add(0);
        int count = 1;
        while (!queue.isEmpty()) {
            for (int v : next.apply(queue.poll())) {
                if (!seen[v]) {
                    seen[v] = true;
                    count++;
                    queue.add(v);
                }
            }
        }
        return count;
    }
}
