package dev.ringlab.topology;

import java.util.Arrays;

/**
 * Builds the ringlab topologies from a SPEC and a node count. Node ids are {@code 0..n-1}; every
 * construction except {@code random-regular} ignores the seed, and {@code random-regular} is a pure
 * function of {@code (n, D, seed)}.
 *
 * <ul>
 *   <li>{@code ring}: the unidirectional ring, arcs {@code i -> i+1 (mod n)}; the only directed overlay.
 *   <li>{@code biring}: the cycle C_n (edges {@code {i, i+1}}). For n = 2 it is the single edge {0, 1}.
 *   <li>{@code chordal:K}: the Chord-like circulant graph C_n(S), S = {±2^j mod n : 0 <= j < K} minus 0
 *       (Stoica et al., SIGCOMM 2001, finger i+2^j). Undirected: a finger is used both ways. Offsets
 *       that coincide mod n (2^j = ±2^j' mod n, which happens once 2^(K-1) >= n/2) are merged and a chord
 *       of length 0 (2^j = 0 mod n) is dropped, so the graph is always simple and |S|-regular; for
 *       2^(K-1) < n/2 the degree is 2K. chordal:1 is the biring.
 *   <li>{@code successor-ring:R}: the circulant graph C_n(±1, ..., ±R): node i linked (undirected) to its R
 *       successors i+1..i+R, and so to its R predecessors. It is the overlay of a ring whose nodes keep
 *       successor lists of length R (the healing ring: a node must reach its R successors to route around
 *       up to R-1 dead ones), and the smallest one such a ring runs on over real sockets. Offsets that
 *       coincide mod n are merged, so for R >= n/2 it is the complete graph (under its own spec); for
 *       2R < n the degree is 2R. successor-ring:1 is the biring.
 *   <li>{@code random-regular:D}: a random simple D-regular graph, see {@link RandomRegularGraphs}.
 *   <li>{@code margulis}: the Margulis–Gabber–Galil graph on Z_m x Z_m, n = m^2 (Gabber and Galil 1981,
 *       in the form of Hoory, Linial and Wigderson, "Expander graphs and their applications", Bull. AMS
 *       2006, Construction 8.1): (x, y) is joined to (x ± 2y, y), (x ± (2y+1), y), (x, y ± 2x),
 *       (x, y ± (2x+1)). It is 8-regular as a multigraph: the self-loops (for example at (0,0) from
 *       x+2y) and parallel edges the maps produce for small m are kept, because dropping them would break
 *       regularity and the spectral bound lambda <= 5 sqrt 2 that makes it an expander. A loop appears
 *       twice in its node's neighbour list (once from a map, once from the inverse map) and counts 2
 *       towards the degree, as in the adjacency matrix sum of the 4 maps and their inverses.
 *   <li>{@code hypercube}: Q_k on n = 2^k nodes, i joined to i XOR 2^b.
 *   <li>{@code paley}: the Paley graph on a prime n = 1 (mod 4): i ~ j iff i - j is a non-zero square
 *       mod n (Paley 1933); (n-1)/2-regular, strongly regular.
 *   <li>{@code complete}: K_n.
 * </ul>
 *
 * <p>Undirected overlays store each edge at both ends (see {@link Overlay}). The deterministic
 * constructions list a node's neighbours in the order of the generating set above; random-regular
 * lists them sorted.
 */
public final class Topologies {

    /** The valid SPECs on one line, for error messages. */
    public static final String VALID_SPECS =
            "ring, biring, chordal:K, successor-ring:R, random-regular:D, margulis, hypercube, paley, complete, dc-regular:D,K";

    /** Help text for command lines: one SPEC per line, with what it needs of n (a compile-time constant, for annotations). */
    public static final String SPECS =
            "ring              unidirectional ring i -> i+1, directed (n >= 2)\n"
            + "biring            bidirectional ring, the cycle C_n (n >= 2)\n"
            + "chordal:K         ring + chords i ~ i+2^j for j < K, undirected (1 <= K <= 31)\n"
            + "successor-ring:R  each node linked to its R successors i+1..i+R, undirected (R >= 1)\n"
            + "random-regular:D  random simple D-regular graph, seeded (1 <= D < n, n*D even)\n"
            + "margulis          Margulis-Gabber-Galil 8-regular multigraph (n = m*m, m >= 2)\n"
            + "hypercube         hypercube Q_k (n = 2^k, k >= 1)\n"
            + "paley             Paley graph (n prime, n = 1 mod 4: 5, 13, 17, 29, ...)\n"
            + "complete          complete graph K_n (n >= 2)\n"
            + "dc-regular:D,K    random-regular:D inside each datacenter + K inter-datacenter edges per node (needs --placement)";

    /** The largest int[] the JVM allocates reliably: bounds the adjacency entries of one overlay. */
    static final long MAX_ARCS = Integer.MAX_VALUE - 8;

    private Topologies() {}

    /**
     * Parses {@code spec} and builds it on {@code n} nodes.
     *
     * @throws IllegalArgumentException if the SPEC is unknown or malformed, or does not fit n; the message
     *                                  says what is allowed
     */
    public static Overlay build(String spec, int n, long seed) {
        return build(TopologySpec.parse(spec), n, seed);
    }

    /**
     * Builds {@code spec} on {@code n} nodes.
     *
     * @throws IllegalArgumentException if the SPEC does not fit n (see {@link #check})
     */
    public static Overlay build(TopologySpec spec, int n, long seed) {
        return build(spec, n, seed, null);
    }

    /**
     * Builds {@code spec} on {@code n} nodes whose datacenters are {@code dcOf} ({@code dcOf[v]} the 0-based
     * datacenter of node v, or null when the nodes have none). Only {@code dc-regular} reads them
     * ({@link DcOverlays#regular}); every other construction ignores them.
     *
     * @throws IllegalArgumentException if the SPEC does not fit n or the datacenters, or needs datacenters and
     *                                  got none
     */
    public static Overlay build(TopologySpec spec, int n, long seed, int[] dcOf) {
        check(spec, n);
        if (dcOf != null && dcOf.length != n) {
            throw new IllegalArgumentException("datacenters given for " + dcOf.length + " nodes, but n=" + n);
        }
        String name = spec.toString();
        return switch (spec.kind()) {
            case RING -> ring(n);
            case BIRING -> circulant(name, n, new long[] {1});
            case CHORDAL -> circulant(name, n, powersOfTwo(spec.param()));
            case SUCCESSOR_RING -> circulant(name, n, firstIntegers(Math.min(spec.param(), n - 1)));
            case RANDOM_REGULAR -> RandomRegularGraphs.generate(n, spec.param(), seed);
            case MARGULIS -> margulis(n);
            case HYPERCUBE -> hypercube(n);
            case PALEY -> circulant(name, n, quadraticResidues(n));
            case COMPLETE -> complete(n);
            case DC_REGULAR -> {
                if (dcOf == null) {
                    throw new IllegalArgumentException(spec + " needs the datacenter of every node (a placement); "
                            + "the commands that place nodes build it: topology, broadcast and datacenters, with --placement");
                }
                yield DcOverlays.regular(spec.param(), spec.param2(), dcOf, seed);
            }
        };
    }

    /**
     * Checks that {@code spec} can be built on {@code n} nodes without building it.
     *
     * @throws IllegalArgumentException saying what n (or D) must be
     */
    public static void check(TopologySpec spec, int n) {
        if (n < 2) {
            throw new IllegalArgumentException("n must be at least 2, got n=" + n);
        }
        switch (spec.kind()) {
            case RING -> { }
            case BIRING -> checkArcs(2L * n, spec, n);
            case CHORDAL -> checkArcs(2L * spec.param() * n, spec, n);
            case SUCCESSOR_RING -> checkArcs(Math.min(2L * spec.param(), n - 1L) * n, spec, n);
            case RANDOM_REGULAR -> {
                int d = spec.param();
                if (d >= n) {
                    throw new IllegalArgumentException("random-regular:D needs 1 <= D <= n-1 for a simple graph, got D="
                            + d + " with n=" + n);
                }
                if (((long) n * d) % 2 != 0) {
                    throw new IllegalArgumentException("random-regular:D needs n*D even (each edge has two ends), got n="
                            + n + ", D=" + d + " (n*D=" + ((long) n * d) + ")");
                }
                checkArcs((long) n * d, spec, n);
            }
            case MARGULIS -> {
                int m = (int) Math.round(Math.sqrt(n));
                if ((long) m * m != n) {
                    int lo = (int) Math.floor(Math.sqrt(n));
                    throw new IllegalArgumentException("margulis needs a perfect square n = m*m (m >= 2), got n=" + n
                            + " (nearest: " + ((long) lo * lo) + " or " + ((long) (lo + 1) * (lo + 1)) + ")");
                }
                checkArcs(8L * n, spec, n);
            }
            case HYPERCUBE -> {
                if (Integer.bitCount(n) != 1) {
                    int lo = Integer.highestOneBit(n);
                    throw new IllegalArgumentException("hypercube needs n = 2^k (k >= 1), got n=" + n
                            + " (nearest: " + lo + " or " + (2L * lo) + ")");
                }
                checkArcs((long) n * Integer.numberOfTrailingZeros(n), spec, n);
            }
            case PALEY -> {
                if (!isPaleyOrder(n)) {
                    throw new IllegalArgumentException("paley needs a prime n with n = 1 (mod 4), e.g. 5, 13, 17, 29, 37, 41;"
                            + " got n=" + n + " (nearest: " + nearestPaleyOrders(n) + ")");
                }
                checkArcs((long) n * ((n - 1) / 2), spec, n);
            }
            case COMPLETE -> checkArcs((long) n * (n - 1), spec, n);
            case DC_REGULAR -> checkArcs((long) n * (spec.param() + spec.param2()), spec, n);
        }
    }

    /** True if {@code n} is a prime with n = 1 (mod 4), the orders for which the Paley graph is undirected. */
    public static boolean isPaleyOrder(int n) {
        return n % 4 == 1 && isPrime(n);
    }

    static boolean isPrime(long n) {
        if (n < 2) {
            return false;
        }
        if (n % 2 == 0) {
            return n == 2;
        }
        for (long f = 3; f * f <= n; f += 2) {
            if (n % f == 0) {
                return false;
            }
        }
        return true;
    }

    private static String nearestPaleyOrders(int n) {
        StringBuilder sb = new StringBuilder();
        for (long p = n - 1; p >= 5; p--) {
            if (p % 4 == 1 && isPrime(p)) {
                sb.append(p).append(" or ");
                break;
            }
        }
        for (long p = (long) n + 1; p <= Integer.MAX_VALUE; p++) {
            if (p % 4 == 1 && isPrime(p)) {
                sb.append(p);
                break;
            }
        }
        return sb.toString();
    }

    static void checkArcs(long arcs, TopologySpec spec, int n) {
        if (arcs > MAX_ARCS) {
            throw new IllegalArgumentException(spec + " on n=" + n + " nodes needs " + arcs
                    + " adjacency entries, more than one int[] holds (" + MAX_ARCS + "); use a smaller n");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Constructions

    private static Overlay ring(int n) {
        int[] offsets = new int[n + 1];
        int[] targets = new int[n];
        for (int v = 0; v < n; v++) {
            offsets[v + 1] = v + 1;
            targets[v] = v + 1 == n ? 0 : v + 1;
        }
        return new Overlay("ring", true, offsets, targets);
    }

    private static long[] powersOfTwo(int k) {
        long[] s = new long[k];
        for (int j = 0; j < k; j++) {
            s[j] = 1L << j;
        }
        return s;
    }

    private static long[] firstIntegers(int k) {
        long[] s = new long[k];
        for (int j = 0; j < k; j++) {
            s[j] = j + 1;
        }
        return s;
    }

    private static long[] quadraticResidues(int p) {
        boolean[] square = new boolean[p];
        for (long x = 1; x <= (p - 1) / 2; x++) {
            square[(int) (x * x % p)] = true;
        }
        long[] s = new long[(p - 1) / 2];
        int k = 0;
        for (int r = 1; r < p; r++) {
            if (square[r]) {
                s[k++] = r;
            }
        }
        return s;
    }

    /**
     * The circulant graph C_n(S) for S = {±g mod n : g in generators} minus 0, duplicates merged. S is
     * symmetric by construction, so v ~ v+s and v ~ v-s give each edge at both ends.
     */
    private static Overlay circulant(String spec, int n, long[] generators) {
        boolean[] inS = new boolean[n];
        for (long g : generators) {
            int s = (int) Math.floorMod(g, (long) n);
            if (s != 0) {
                inS[s] = true;
                inS[n - s] = true;
            }
        }
        // Offsets in the order the generators give them (+g then -g), so chordal lists the ring first.
        int[] order = new int[n];
        int deg = 0;
        boolean[] listed = new boolean[n];
        for (long g : generators) {
            int s = (int) Math.floorMod(g, (long) n);
            for (int t : new int[] {s, (n - s) % n}) {
                if (t != 0 && inS[t] && !listed[t]) {
                    listed[t] = true;
                    order[deg++] = t;
                }
            }
        }
        int[] s = Arrays.copyOf(order, deg);
        int[] offsets = new int[n + 1];
        int[] targets = new int[Math.multiplyExact(n, deg)];
        for (int v = 0; v < n; v++) {
            int base = v * deg;
            offsets[v + 1] = base + deg;
            for (int i = 0; i < deg; i++) {
                int w = v + s[i];
                targets[base + i] = w >= n ? w - n : w;
            }
        }
        return new Overlay(spec, false, offsets, targets);
    }

    private static Overlay complete(int n) {
        long[] all = new long[n - 1];
        for (int i = 1; i < n; i++) {
            all[i - 1] = i;
        }
        // S = {1..n-1} is its own negation, so circulant() lists each neighbour once.
        return circulant("complete", n, all);
    }

    private static Overlay hypercube(int n) {
        int k = Integer.numberOfTrailingZeros(n);
        int[] offsets = new int[n + 1];
        int[] targets = new int[n * k];
        for (int v = 0; v < n; v++) {
            offsets[v + 1] = (v + 1) * k;
            for (int b = 0; b < k; b++) {
                targets[v * k + b] = v ^ (1 << b);
            }
        }
        return new Overlay("hypercube", false, offsets, targets);
    }

    private static Overlay margulis(int n) {
        int m = (int) Math.round(Math.sqrt(n));
        int[] offsets = new int[n + 1];
        int[] targets = new int[8 * n];
        for (int x = 0; x < m; x++) {
            for (int y = 0; y < m; y++) {
                int v = x * m + y;
                int base = 8 * v;
                offsets[v + 1] = base + 8;
                long twoY = 2L * y;
                long twoX = 2L * x;
                // Each map T next to its inverse, so that {v, T(v)} is stored at v (as T(v)) and at T(v)
                // (as T^-1(T(v)) = v): the undirected CSR invariant, loops and parallel edges included.
                targets[base] = node(x + twoY, y, m);
                targets[base + 1] = node(x - twoY, y, m);
                targets[base + 2] = node(x + twoY + 1, y, m);
                targets[base + 3] = node(x - twoY - 1, y, m);
                targets[base + 4] = node(x, y + twoX, m);
                targets[base + 5] = node(x, y - twoX, m);
                targets[base + 6] = node(x, y + twoX + 1, m);
                targets[base + 7] = node(x, y - twoX - 1, m);
            }
        }
        return new Overlay("margulis", false, offsets, targets);
    }

    private static int node(long x, long y, int m) {
        return (int) (Math.floorMod(x, (long) m) * m + Math.floorMod(y, (long) m));
    }
}
