package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.topology.Overlay;
import java.util.LinkedHashSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A node's distinct peers against an independent model (first occurrences, self-loops dropped), on rows
 * short and long (the two ways {@link Peers} checks a row: pairwise up to 16 entries, sorted above), clean
 * and dirty, at every position of the CSR arrays: a clean row must be used in place (null), a dirty one
 * cleaned exactly.
 */
class PeersDistinctTest {

    @Test
    void distinctPeersMatchAFirstOccurrenceModelOnCleanAndDirtyRowsOfEveryLength() {
        SplittableRandom master = new SplittableRandom(0x9EE5_0001L);
        int clean = 0;
        int dirty = 0;
        for (int c = 0; c < 400; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 2 + r.nextInt(60);
            int[][] adj = new int[n][];
            for (int v = 0; v < n; v++) {
                // Degrees around the 16-entry switch, distinct targets first, then maybe one defect.
                int degree = Math.min(n - 1, 1 + r.nextInt(24));
                int[] row = distinctOthers(r, n, v, degree);
                switch (r.nextInt(4)) {
                    case 0 -> row[r.nextInt(degree)] = v; // a self-loop
                    case 1 -> {
                        if (degree > 1) {
                            int i = r.nextInt(degree);
                            int j = r.nextInt(degree - 1);
                            row[j >= i ? j + 1 : j] = row[i]; // a repeated neighbour
                        }
                    }
                    default -> { } // clean
                }
                adj[v] = row;
            }
            Overlay overlay = Overlay.fromAdjacency("rows", true, adj);
            for (int v = 0; v < n; v++) {
                int[] model = model(adj[v], v);
                String why = "node " + v + " row " + java.util.Arrays.toString(adj[v]) + " (seed " + seed + ")";
                assertArrayEquals(model, Peers.distinct(overlay, v), why);
                int[] inPlace = Peers.distinctOrNull(overlay, v);
                if (model.length == adj[v].length) {
                    clean++;
                    assertNull(inPlace, why + ": a clean row is used in place");
                } else {
                    dirty++;
                    assertArrayEquals(model, inPlace, why);
                }
            }
        }
        assertTrue(clean > 1000 && dirty > 1000, "both kinds of rows drawn: " + clean + " clean, " + dirty + " dirty");
    }

    @Test
    void rowsOfExactlySixteenAndSeventeenEntriesAreJudgedAlike() {
        for (int degree = 15; degree <= 18; degree++) {
            int n = degree + 2;
            int[] row = new int[degree];
            for (int i = 0; i < degree; i++) {
                row[i] = i + 2; // node 1's peers 2..degree+1, in order
            }
            int[][] adj = new int[n][];
            for (int v = 0; v < n; v++) {
                adj[v] = new int[0];
            }
            adj[1] = row.clone();
            assertNull(Peers.distinctOrNull(Overlay.fromAdjacency("row", true, adj), 1), "degree " + degree + " clean");
            int[] repeatLast = row.clone();
            repeatLast[degree - 1] = repeatLast[degree - 2];
            adj[1] = repeatLast;
            assertArrayEquals(model(repeatLast, 1), Peers.distinctOrNull(Overlay.fromAdjacency("row", true, adj), 1),
                    "degree " + degree + " with the last two equal");
            int[] selfLast = row.clone();
            selfLast[degree - 1] = 1;
            adj[1] = selfLast;
            assertArrayEquals(model(selfLast, 1), Peers.distinctOrNull(Overlay.fromAdjacency("row", true, adj), 1),
                    "degree " + degree + " with a self-loop last");
        }
    }

    private static int[] distinctOthers(SplittableRandom r, int n, int v, int degree) {
        LinkedHashSet<Integer> picked = new LinkedHashSet<>();
        while (picked.size() < degree) {
            int u = r.nextInt(n);
            if (u != v) {
                picked.add(u);
            }
        }
        return picked.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] model(int[] row, int v) {
        LinkedHashSet<Integer> out = new LinkedHashSet<>();
        for (int u : row) {
            if (u != v) {
                out.add(u);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }
}
