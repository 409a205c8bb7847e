package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.topology.Overlay;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link Centres} against brute force (a BFS from every node) on seeded random overlays, directed and not,
 * connected or in pieces; and the {@code tree} protocol's depth is the radius.
 */
class CentresTest {
    @Test
    void theCentreOfEachComponentIsItsLowestIdOfMinimumEccentricity() {
        SplittableRandom master = new SplittableRandom(0xCE47_0001L);
        int checked = 0;
        for (int c = 0; c < 200; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            Overlay o = random(r, 1 + r.nextInt(120));
            int[][] und = Centres.undirected(o);
            int[] got = Centres.of(o.size(), und[0], und[1]);
            assertArrayEquals(bruteForce(o), got, o.spec() + " n=" + o.size() + " (case seed " + seed + ")");
            checked++;
        }
        assertEquals(200, checked);
    }

    @Test
    void aCentredTreeIsAsDeepAsTheRadius() {
        SplittableRandom master = new SplittableRandom(0xCE47_0002L);
        for (int c = 0; c < 50; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            Overlay o = random(r, 2 + r.nextInt(100));
            SpanningTree t = new SpanningTree.Cache(true).of(o);
            int[] centres = bruteForce(o);
            int maxRadius = 0;
            for (int centre : centres) {
                assertEquals(-1, t.parent(centre), "the centre " + centre + " roots its tree (case seed " + seed + ")");
                maxRadius = Math.max(maxRadius, eccentricities(o)[centre]);
            }
            assertEquals(maxRadius, t.maxDepth(), o.spec() + " (case seed " + seed + ")");
            assertTrue(t.maxDepth() <= new SpanningTree.Cache(false).of(o).maxDepth(), "(case seed " + seed + ")");
        }
    }

    /** Sparse random arcs (so some overlays fall apart), sometimes directed (then with the odd self-loop). */
    private static Overlay random(SplittableRandom r, int n) {
        boolean directed = r.nextInt(3) == 0;
        int arcs = n * (1 + r.nextInt(3)) / (r.nextBoolean() ? 1 : 2);
        List<List<Integer>> adj = new ArrayList<>();
        for (int v = 0; v < n; v++) {
            adj.add(new ArrayList<>());
        }
        for (int k = 0; k < arcs; k++) {
            int u = r.nextInt(n);
            int v = r.nextInt(n);
            if (!directed && u == v) {
                continue; // an undirected overlay stores each edge twice, which a self-loop cannot be
            }
            adj.get(u).add(v);
            if (!directed) {
                adj.get(v).add(u);
            }
        }
        int[][] rows = new int[n][];
        for (int v = 0; v < n; v++) {
            rows[v] = adj.get(v).stream().mapToInt(Integer::intValue).toArray();
        }
        return Overlay.fromAdjacency("random", directed, rows);
    }

    /** Eccentricity of every node within its component, arcs taken both ways. */
    private static int[] eccentricities(Overlay o) {
        int n = o.size();
        List<List<Integer>> und = new ArrayList<>();
        for (int v = 0; v < n; v++) {
            und.add(new ArrayList<>());
        }
        for (int v = 0; v < n; v++) {
            for (int i = 0; i < o.degree(v); i++) {
                und.get(v).add(o.neighbour(v, i));
                und.get(o.neighbour(v, i)).add(v);
            }
        }
        int[] ecc = new int[n];
        for (int s = 0; s < n; s++) {
            int[] d = new int[n];
            Arrays.fill(d, -1);
            d[s] = 0;
            ArrayDeque<Integer> q = new ArrayDeque<>(List.of(s));
            while (!q.isEmpty()) {
                int v = q.poll();
                ecc[s] = Math.max(ecc[s], d[v]);
                for (int u : und.get(v)) {
                    if (d[u] < 0) {
                        d[u] = d[v] + 1;
                        q.add(u);
                    }
                }
            }
        }
        return ecc;
    }

    /** Per component (by smallest id), its lowest id of minimum eccentricity. */
    private static int[] bruteForce(Overlay o) {
        int n = o.size();
        int[] ecc = eccentricities(o);
        int[] comp = new int[n];
        Arrays.fill(comp, -1);
        List<Integer> centres = new ArrayList<>();
        for (int s = 0; s < n; s++) {
            if (comp[s] >= 0) {
                continue;
            }
            int id = centres.size();
            int best = s;
            ArrayDeque<Integer> q = new ArrayDeque<>(List.of(s));
            comp[s] = id;
            while (!q.isEmpty()) {
                int v = q.poll();
                if (ecc[v] < ecc[best] || (ecc[v] == ecc[best] && v < best)) {
                    best = v;
                }
                for (int i = 0; i < o.degree(v); i++) {
                    int u = o.neighbour(v, i);
                    if (comp[u] < 0) {
                        comp[u] = id;
                        q.add(u);
                    }
                }
                for (int u = 0; u < n; u++) {
                    if (comp[u] < 0 && arc(o, u, v)) {
                        comp[u] = id;
                        q.add(u);
                    }
                }
            }
            centres.add(best);
        }
        return centres.stream().mapToInt(Integer::intValue).toArray();
    }

    private static boolean arc(Overlay o, int u, int v) {
        for (int i = 0; i < o.degree(u); i++) {
            if (o.neighbour(u, i) == v) {
                return true;
            }
        }
        return false;
    }
}
