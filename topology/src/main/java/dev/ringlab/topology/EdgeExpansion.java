package dev.ringlab.topology;

import java.util.Arrays;

/**
 * An estimate of the edge expansion h(G) = min over node sets S with |S| <= n/2 of |E(S, V \ S)| / |S|,
 * by a sweep cut over a second eigenvector (the spectral partitioning of Fiedler, Czech. Math. J. 23,
 * 1973, as used in the proof of Cheeger's inequality): order the nodes by their eigenvector entry and take
 * the best of the n-1 prefix cuts. The sweep realises an actual cut, so its ratio is a certified upper
 * bound on h(G); how close it is to h(G) is not known.
 *
 * <p>For a d-regular graph the spectrum brackets h(G) by the discrete Cheeger inequalities (Dodziuk 1984;
 * Alon and Milman 1985; Alon 1986): (d - lambda2) / 2 <= h(G) <= sqrt(2 d (d - lambda2)). These are
 * reported for regular graphs only, computed from the lambda2 given (an estimate when it came from
 * Lanczos). Self-loops never cross a cut and are ignored; parallel edges count with multiplicity.
 */
public final class EdgeExpansion {

    /**
     * @param estimate     best sweep ratio |E(S, V\S)| / min(|S|, |V\S|): an upper bound on h(G)
     * @param smallerSide  min(|S|, |V\S|) for the best sweep set
     * @param cutEdges     |E(S, V\S)| for it
     * @param cheegerLower (d - lambda2) / 2 for a d-regular graph, else null
     * @param cheegerUpper sqrt(2 d (d - lambda2)) for a d-regular graph, else null
     */
    public record Result(double estimate, int smallerSide, long cutEdges, Double cheegerLower, Double cheegerUpper) {}

    private EdgeExpansion() {}

    /**
     * Sweeps an undirected overlay along {@code vector} (length n). Entries are ranked in single
     * precision with ties broken by node id; the cut values themselves are exact integers.
     *
     * @param spectrum supplies lambda2 and regularity for the Cheeger bounds
     * @throws IllegalArgumentException if the overlay is directed or the vector has the wrong length
     */
    public static Result sweep(Overlay overlay, double[] vector, AdjacencySpectrum.Result spectrum) {
        if (overlay.directed()) {
            throw new IllegalArgumentException("sweep cuts need an undirected overlay; symmetrise it first");
        }
        int n = overlay.size();
        if (vector.length != n) {
            throw new IllegalArgumentException("vector has length " + vector.length + ", overlay has " + n + " nodes");
        }
        Double lower = null;
        Double upper = null;
        if (spectrum.regular()) {
            double d = spectrum.degree();
            double gap = Math.max(0, d - spectrum.lambda2());
            lower = gap / 2;
            upper = Math.sqrt(2 * d * gap);
        }
        if (n < 2) {
            return new Result(0, 0, 0, lower, upper);
        }
        // One long per node: sortable float bits above, node id below, so a primitive sort ranks them.
        long[] keys = new long[n];
        for (int v = 0; v < n; v++) {
            int bits = Float.floatToRawIntBits((float) vector[v]);
            bits ^= (bits >> 31) & 0x7fffffff;
            keys[v] = ((long) bits << 32) | v;
        }
        Arrays.sort(keys);
        int[] off = overlay.rawOffsets();
        int[] tgt = overlay.rawTargets();
        boolean[] inS = new boolean[n];
        long cut = 0;
        double best = Double.POSITIVE_INFINITY;
        int bestSide = 0;
        long bestCut = 0;
        for (int k = 0; k < n - 1; k++) {
            int v = (int) keys[k];
            for (int i = off[v]; i < off[v + 1]; i++) {
                int w = tgt[i];
                if (w != v) {
                    cut += inS[w] ? -1 : 1;
                }
            }
            inS[v] = true;
            int side = Math.min(k + 1, n - k - 1);
            double ratio = (double) cut / side;
            if (ratio < best) {
                best = ratio;
                bestSide = side;
                bestCut = cut;
            }
        }
        return new Result(best, bestSide, bestCut, lower, upper);
    }
}
