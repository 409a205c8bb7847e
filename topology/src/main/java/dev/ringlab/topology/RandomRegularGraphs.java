package dev.ringlab.topology;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.jgrapht.Graph;
import org.jgrapht.generate.RandomRegularGraphGenerator;
import org.jgrapht.graph.DefaultEdge;
import org.jgrapht.graph.SimpleGraph;
import org.jgrapht.util.SupplierUtil;

/**
 * Random simple D-regular graphs on {@code n} nodes, deterministic from a seed, by one of two methods.
 *
 * <ul>
 *   <li>{@link #jgrapht}: JGraphT's {@link RandomRegularGraphGenerator} (Steger and Wormald, "Generating
 *       random regular graphs quickly", Combin. Probab. Comput. 8, 1999), asymptotically uniform for
 *       D = O(n^(1/3 - eps)) (Kim and Vu, STOC 2003). It keeps boxed edge sets, so it is used up to
 *       {@link #JGRAPHT_MAX_NODES} nodes (measured here: ~80 ms for n = 10^4, D = 8; ~1 s for 10^5).
 *   <li>{@link #pairing}: the pairing (configuration) model of Bollobás (Europ. J. Combin. 1, 1980): n*D
 *       stubs, D per node, matched by one Fisher–Yates shuffle, in O(nD) time and two int arrays of n*D
 *       entries. For fixed D the pairing is simple with probability about exp((1 - D^2)/4) (1.4e-7 for
 *       D = 8), so instead of rejecting, each self-loop and each repeated edge is removed by a random
 *       switching in the spirit of McKay and Wormald (J. Algorithms 11, 1990): the bad edge {u, v} and a
 *       uniformly random edge {x, y} are replaced by {u, x} and {v, y}, accepted only when this creates
 *       no loop and no repeated edge. The expected number of bad pairs is about (D^2 - 1)/4 whatever n
 *       is, so the repair costs O(D^2) switchings. Pairings conditioned on being simple are exactly
 *       uniform; the repaired ones are not, but the repair only rewires O(D^2) of the nD/2 edges. If a
 *       bad pair cannot be switched after many tries (tiny dense cases), the whole pairing is redrawn.
 * </ul>
 *
 * <p>Both methods are used only for D <= (n-1)/2; a denser D-regular graph is the complement of a random
 * (n-1-D)-regular one, and complementation is a bijection between the two sets of labelled graphs, so
 * uniformity is preserved while the sparse methods stay in the regime where they are fast (JGraphT's
 * generator took 48 s for n = 60, D = 57 when tried directly).
 *
 * <p>Neighbour lists are sorted. All randomness comes from the seed ({@link SplittableRandom} for the
 * pairing, {@code java.util.Random(seed)} inside JGraphT).
 */
public final class RandomRegularGraphs {

    /** Up to this many nodes {@link #generate} uses JGraphT's generator; above it, the pairing model. */
    public static final int JGRAPHT_MAX_NODES = 10_000;

    /** Switching attempts per bad pair before the pairing is redrawn. */
    private static final int SWITCH_TRIES = 10_000;

    private RandomRegularGraphs() {}

    /**
     * A random simple D-regular graph: {@link #jgrapht} for n <= {@link #JGRAPHT_MAX_NODES}, otherwise
     * {@link #pairing}.
     *
     * @throws IllegalArgumentException unless n >= 2, 1 <= d <= n-1 and n*d is even
     */
    public static Overlay generate(int n, int d, long seed) {
        return n <= JGRAPHT_MAX_NODES ? jgrapht(n, d, seed) : pairing(n, d, seed);
    }

    /** JGraphT's Steger–Wormald generator, seeded; see the class comment. */
    public static Overlay jgrapht(int n, int d, long seed) {
        check(n, d);
        int sparseD = Math.min(d, n - 1 - d);
        Graph<Integer, DefaultEdge> g =
                new SimpleGraph<>(SupplierUtil.createIntegerSupplier(), SupplierUtil.DEFAULT_EDGE_SUPPLIER, false);
        new RandomRegularGraphGenerator<Integer, DefaultEdge>(n, sparseD, seed).generateGraph(g);
        int[] nbr = new int[n * sparseD];
        int[] fill = new int[n];
        for (DefaultEdge e : g.edgeSet()) {
            int u = g.getEdgeSource(e);
            int v = g.getEdgeTarget(e);
            if (fill[u] == sparseD || fill[v] == sparseD) {
                throw new IllegalStateException("JGraphT generator returned a node of degree > " + sparseD
                        + " for n=" + n + ", seed=" + seed);
            }
            nbr[u * sparseD + fill[u]++] = v;
            nbr[v * sparseD + fill[v]++] = u;
        }
        return finish(n, d, sparseD, nbr, "seed=" + seed);
    }

    /** The pairing model with switching repair; see the class comment. Scales to 10^6 nodes and beyond. */
    public static Overlay pairing(int n, int d, long seed) {
        check(n, d);
        int sparseD = Math.min(d, n - 1 - d);
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] nbr = new int[n * sparseD];
        while (!pairOnce(n, sparseD, nbr, rnd)) {
            // Tiny or dense cases only: some bad pair had no valid switching; draw a fresh pairing.
        }
        return finish(n, d, sparseD, nbr, "seed=" + seed);
    }

    static void check(int n, int d) {
        if (n < 2) {
            throw new IllegalArgumentException("n must be at least 2, got n=" + n);
        }
        if (d < 1 || d >= n) {
            throw new IllegalArgumentException("random-regular:D needs 1 <= D <= n-1 for a simple graph, got D=" + d
                    + " with n=" + n);
        }
        if (((long) n * d) % 2 != 0) {
            throw new IllegalArgumentException("random-regular:D needs n*D even (each edge has two ends), got n="
                    + n + ", D=" + d + " (n*D=" + ((long) n * d) + ")");
        }
        if ((long) n * d > Topologies.MAX_ARCS) {
            throw new IllegalArgumentException("random-regular:" + d + " on n=" + n + " needs " + ((long) n * d)
                    + " adjacency entries, more than one int[] holds (" + Topologies.MAX_ARCS + ")");
        }
    }

    /**
     * One pairing of n*d stubs into {@code nbr} (node v's neighbours at v*d .. v*d+d-1), then the
     * switching repair. Returns false if some bad pair could not be repaired.
     */
    private static boolean pairOnce(int n, int d, int[] nbr, SplittableRandom rnd) {
        int stubCount = n * d;
        if (stubCount == 0) {
            return true;
        }
        int[] stubs = new int[stubCount];
        for (int i = 0; i < stubCount; i++) {
            stubs[i] = i / d;
        }
        for (int i = stubCount - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = stubs[i];
            stubs[i] = stubs[j];
            stubs[j] = t;
        }
        int[] fill = new int[n];
        for (int i = 0; i < stubCount; i += 2) {
            int u = stubs[i];
            int v = stubs[i + 1];
            nbr[u * d + fill[u]++] = v;
            nbr[v * d + fill[v]++] = u;
        }
        stubs = null;
        fill = null;
        for (int u = 0; u < n; u++) {
            int base = u * d;
            for (int k = 0; k < d; k++) {
                // A switch rewrites slot k, so look at it again until it holds a good neighbour.
                while (isBad(nbr, base, k, u)) {
                    if (!switchOut(nbr, n, d, u, nbr[base + k], rnd)) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** True if slot k of u holds a self-loop or repeats an earlier neighbour. */
    private static boolean isBad(int[] nbr, int base, int k, int u) {
        int v = nbr[base + k];
        if (v == u) {
            return true;
        }
        for (int i = 0; i < k; i++) {
            if (nbr[base + i] == v) {
                return true;
            }
        }
        return false;
    }

    /** Replaces one copy of the bad edge {u, v} and a random edge {x, y} by {u, x} and {v, y}. */
    private static boolean switchOut(int[] nbr, int n, int d, int u, int v, SplittableRandom rnd) {
        for (int attempt = 0; attempt < SWITCH_TRIES; attempt++) {
            // Node uniform, then slot uniform: an oriented edge uniform among the nd, since all degrees are d.
            int x = rnd.nextInt(n);
            int y = nbr[x * d + rnd.nextInt(d)];
            if (x == y || x == u || y == v || contains(nbr, u * d, d, x) || contains(nbr, v * d, d, y)) {
                continue;
            }
            // x == v or y == u would recreate {u, v}; both are excluded above because v is in N(u).
            replaceFirst(nbr, u * d, d, v, x);
            replaceFirst(nbr, v * d, d, u, y);
            replaceFirst(nbr, x * d, d, y, u);
            replaceFirst(nbr, y * d, d, x, v);
            return true;
        }
        return false;
    }

    private static boolean contains(int[] nbr, int base, int d, int w) {
        for (int i = 0; i < d; i++) {
            if (nbr[base + i] == w) {
                return true;
            }
        }
        return false;
    }

    private static void replaceFirst(int[] nbr, int base, int d, int from, int to) {
        for (int i = 0; i < d; i++) {
            if (nbr[base + i] == from) {
                nbr[base + i] = to;
                return;
            }
        }
        throw new IllegalStateException("switching lost track of an edge endpoint " + from);
    }

    /**
     * Sorts the rows, checks the result is simple and sparseD-regular (always on: a broken generator must
     * not hand the simulator a multigraph), complements if d was dense, and wraps it in an Overlay.
     */
    private static Overlay finish(int n, int d, int sparseD, int[] nbr, String context) {
        for (int v = 0; v < n; v++) {
            int base = v * sparseD;
            Arrays.sort(nbr, base, base + sparseD);
            for (int i = 0; i < sparseD; i++) {
                int w = nbr[base + i];
                if (w == v || (i > 0 && nbr[base + i - 1] == w)) {
                    throw new IllegalStateException("random-regular generator produced a "
                            + (w == v ? "self-loop" : "repeated edge") + " at node " + v + " (" + context + ")");
                }
            }
        }
        int[] targets = sparseD == d ? nbr : complement(n, sparseD, nbr);
        int[] offsets = new int[n + 1];
        for (int v = 0; v < n; v++) {
            offsets[v + 1] = offsets[v] + d;
        }
        return new Overlay("random-regular:" + d, false, offsets, targets);
    }

    /** The complement of a sorted sparse d-regular graph: (n-1-d)-regular, rows sorted. */
    private static int[] complement(int n, int d, int[] nbr) {
        int cd = n - 1 - d;
        int[] out = new int[n * cd];
        for (int v = 0; v < n; v++) {
            int k = v * cd;
            int i = v * d;
            int end = i + d;
            for (int w = 0; w < n; w++) {
                if (i < end && nbr[i] == w) {
                    i++;
                } else if (w != v) {
                    out[k++] = w;
                }
            }
        }
        return out;
    }
}
