package dev.ringlab.topology;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Datacenter-aware overlays and their metrics. The assignment of nodes to datacenters is a plain array,
 * {@code dcOf[v]} = datacenter (0-based) of node {@code v}, so this module needs no placement type.
 *
 * <h2>{@code dc-regular:D,K}</h2>
 * A random simple D-regular graph inside each datacenter ({@link RandomRegularGraphs}, each seeded from the
 * run seed and the datacenter) plus K random inter-datacenter edges per node: a random simple K-regular
 * graph among all nodes in which no edge joins two nodes of one datacenter. Every node has degree D + K,
 * exactly D of its neighbours in its own datacenter.
 *
 * <p>The inter-datacenter part is the pairing model restricted to allowed pairs: n*K stubs, K per node;
 * stubs are matched one at a time, each with a uniformly random still-free stub of another datacenter that
 * is not already a neighbour (a few random probes, then a scan of the free stubs). A draw that gets stuck
 * (no allowed partner left) is thrown away and redrawn. The result is seeded but not exactly uniform over
 * such graphs (sequential matching biases towards pairs available late); for an experiment comparing
 * placements this is immaterial, and it says so rather than claiming uniformity.
 *
 * <p>Connectivity: a draw that is not connected is redrawn (the next draw's seed is split from the same
 * seed), up to {@value #DRAWS} draws; then the build fails saying to raise D or K (degree 2 gives a union of
 * cycles, connected only when it is one cycle, so it often fails there). Impossible parameters are refused up
 * front: D + K = 1 on more than 2 nodes (a matching), D &gt;= a datacenter's size, an odd size * D, K = 0 with more than one datacenter
 * (never connected), K with one datacenter, n*K odd, or a datacenter holding more than half the nodes (its
 * K stubs per node could not all leave it) or K &gt; n minus a datacenter's size (not simple).
 */
public final class DcOverlays {
    /** Draws before the build gives up on getting a connected graph. */
    static final int DRAWS = 200;

    private static final int PROBES = 32;

    private DcOverlays() {}

    /**
     * {@code dc-regular:D,K} on the datacenters {@code dcOf} (see the class doc).
     *
     * @throws IllegalArgumentException saying which parameter is impossible, or that no connected draw came
     */
    public static Overlay regular(int d, int k, int[] dcOf, long seed) {
        int n = dcOf.length;
        int[][] members = members(dcOf);
        check(d, k, members, n);
        String spec = "dc-regular:" + d + "," + k;
        SplittableRandom root = new SplittableRandom(seed);
        for (int draw = 0; draw < DRAWS; draw++) {
            long drawSeed = root.nextLong();
            int[][] adj = draw(d, k, dcOf, members, drawSeed);
            if (adj == null) {
                continue;
            }
            for (int[] a : adj) {
                Arrays.sort(a);
            }
            Overlay o = Overlay.fromAdjacency(spec, false, adj);
            if (connected(o)) {
                return o;
            }
        }
        throw new IllegalArgumentException(spec + " gave no connected simple graph in " + DRAWS + " draws on "
                + members.length + " datacenters of sizes " + sizes(members) + "; raise D or K");
    }

    /** Checks the parameters against the datacenter sizes. @throws IllegalArgumentException saying which fails */
    public static void check(int d, int k, int[] dcOf) {
        check(d, k, members(dcOf), dcOf.length);
    }

    private static void check(int d, int k, int[][] members, int n) {
        String spec = "dc-regular:" + d + "," + k;
        if (d < 0 || k < 0 || d + k < 1) {
            throw new IllegalArgumentException(spec + " needs D >= 0, K >= 0 and D + K >= 1");
        }
        int dcs = members.length;
        if (d + k < 2 && n > 2) {
            throw new IllegalArgumentException(spec + " has degree 1: a perfect matching, never connected on " + n
                    + " nodes; use D + K >= 2");
        }
        if (dcs > 1 && k == 0) {
            throw new IllegalArgumentException(spec + ": with " + dcs + " datacenters K = 0 leaves them disconnected; use K >= 1");
        }
        if (dcs == 1 && k > 0) {
            throw new IllegalArgumentException(spec + ": with one datacenter there is no inter-datacenter edge; use K = 0");
        }
        for (int c = 0; c < dcs; c++) {
            int s = members[c].length;
            if (s == 0) {
                throw new IllegalArgumentException(spec + ": datacenter " + c + " has no node (datacenters must be 0..m-1)");
            }
            if (d > 0 && (d >= s || ((long) s * d) % 2 != 0)) {
                throw new IllegalArgumentException(spec + ": random-regular:" + d + " inside datacenter dc" + (c + 1) + " of "
                        + s + " nodes needs D <= " + (s - 1) + " and size*D even");
            }
            if (k > 0 && 2 * s > n) {
                throw new IllegalArgumentException(spec + ": datacenter dc" + (c + 1) + " holds " + s + " of " + n
                        + " nodes, more than half, so its inter-datacenter edges cannot all leave it");
            }
            if (k > n - s) {
                throw new IllegalArgumentException(spec + ": K=" + k + " exceeds the " + (n - s) + " nodes outside datacenter dc"
                        + (c + 1));
            }
        }
        if (((long) n * k) % 2 != 0) {
            throw new IllegalArgumentException(spec + " needs n*K even (each inter-datacenter edge has two ends), got n=" + n);
        }
        Topologies.checkArcs((long) n * (d + k), new TopologySpec(TopologySpec.Kind.DC_REGULAR, d, k), n);
    }

    /** One draw, or null if the inter-datacenter matching got stuck. */
    private static int[][] draw(int d, int k, int[] dcOf, int[][] members, long seed) {
        int n = dcOf.length;
        SplittableRandom r = new SplittableRandom(seed);
        int[][] adj = new int[n][d + k];
        int[] fill = new int[n];
        if (d > 0) {
            for (int[] group : members) {
                Overlay inner = RandomRegularGraphs.generate(group.length, d, r.nextLong());
                for (int v = 0; v < group.length; v++) {
                    for (int w : inner.neighbours(v)) {
                        adj[group[v]][fill[group[v]]++] = group[w];
                    }
                }
            }
        }
        if (k == 0) {
            return adj;
        }
        // Free stubs, k per node, in random order; matched from the end with a random allowed partner.
        int[] free = new int[n * k];
        for (int i = 0; i < free.length; i++) {
            free[i] = i / k;
        }
        for (int i = free.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = free[i];
            free[i] = free[j];
            free[j] = t;
        }
        int left = free.length;
        while (left > 0) {
            int u = free[--left];
            int pick = -1;
            for (int p = 0; p < PROBES && left > 0; p++) {
                int j = r.nextInt(left);
                if (allowed(u, free[j], dcOf, adj, fill)) {
                    pick = j;
                    break;
                }
            }
            if (pick < 0) {
                int count = 0;
                for (int j = 0; j < left; j++) {
                    if (allowed(u, free[j], dcOf, adj, fill) && r.nextInt(++count) == 0) {
                        pick = j; // reservoir sampling: a uniform choice among the allowed ones
                    }
                }
                if (pick < 0) {
                    return null;
                }
            }
            int v = free[pick];
            free[pick] = free[--left];
            adj[u][fill[u]++] = v;
            adj[v][fill[v]++] = u;
        }
        return adj;
    }

    private static boolean allowed(int u, int v, int[] dcOf, int[][] adj, int[] fill) {
        if (dcOf[u] == dcOf[v]) {
            return false;
        }
        for (int i = 0; i < fill[u]; i++) {
            if (adj[u][i] == v) {
                return false;
            }
        }
        return true;
    }

    /** Nodes by datacenter; datacenters are 0..max(dcOf). @throws IllegalArgumentException for a negative id */
    static int[][] members(int[] dcOf) {
        if (dcOf.length < 2) {
            throw new IllegalArgumentException("a datacenter overlay needs at least 2 nodes, got " + dcOf.length);
        }
        int top = -1;
        for (int c : dcOf) {
            if (c < 0) {
                throw new IllegalArgumentException("datacenter ids must be >= 0, got " + c);
            }
            top = Math.max(top, c);
        }
        int[] size = new int[top + 1];
        for (int c : dcOf) {
            size[c]++;
        }
        int[][] m = new int[top + 1][];
        for (int c = 0; c <= top; c++) {
            m[c] = new int[size[c]];
        }
        int[] at = new int[top + 1];
        for (int v = 0; v < dcOf.length; v++) {
            m[dcOf[v]][at[dcOf[v]]++] = v;
        }
        return m;
    }

    private static String sizes(int[][] members) {
        StringBuilder sb = new StringBuilder();
        for (int[] m : members) {
            sb.append(sb.isEmpty() ? "" : ",").append(m.length);
        }
        return sb.toString();
    }

    /** Whether every node reaches every other (an undirected BFS; arcs count both ways). */
    public static boolean connected(Overlay o) {
        int n = o.size();
        int[][] und = undirected(o);
        boolean[] seen = new boolean[n];
        ArrayDeque<Integer> q = new ArrayDeque<>();
        seen[0] = true;
        q.add(0);
        int reached = 1;
        while (!q.isEmpty()) {
            int v = q.poll();
            for (int w : und[v]) {
                if (!seen[w]) {
                    seen[w] = true;
                    reached++;
                    q.add(w);
                }
            }
        }
        return reached == n;
    }

    private static int[][] undirected(Overlay o) {
        if (!o.directed()) {
            int[][] a = new int[o.size()][];
            for (int v = 0; v < o.size(); v++) {
                a[v] = o.neighbours(v);
            }
            return a;
        }
        int n = o.size();
        int[] deg = new int[n];
        for (int v = 0; v < n; v++) {
            for (int w : o.neighbours(v)) {
                deg[v]++;
                deg[w]++;
            }
        }
        int[][] a = new int[n][];
        for (int v = 0; v < n; v++) {
            a[v] = new int[deg[v]];
        }
        int[] at = new int[n];
        for (int v = 0; v < n; v++) {
            for (int w : o.neighbours(v)) {
                a[v][at[v]++] = w;
                a[w][at[w]++] = v;
            }
        }
        return a;
    }

    /**
     * Edges whose two ends sit in different datacenters: each undirected edge once, each arc of a directed
     * overlay once (so the unidirectional ring counts its WAN hops).
     */
    public static long interEdges(Overlay o, int[] dcOf) {
        if (dcOf.length != o.size()) {
            throw new IllegalArgumentException("datacenters of " + dcOf.length + " nodes for an overlay of " + o.size());
        }
        long arcs = 0;
        for (int v = 0; v < o.size(); v++) {
            for (int w : o.neighbours(v)) {
                if (dcOf[v] != dcOf[w]) {
                    arcs++;
                }
            }
        }
        return o.directed() ? arcs : arcs / 2;
    }
}
