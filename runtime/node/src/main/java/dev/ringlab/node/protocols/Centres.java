package dev.ringlab.node.protocols;

import dev.ringlab.topology.Overlay;
import java.util.Arrays;

/**
 * A centre of each connected component of an overlay (links taken both ways): a node of minimum eccentricity,
 * the lowest id among several. A BFS tree rooted there has the smallest possible depth, the component's radius.
 *
 * <p>Algorithm: the bounding method of Takes and Kosters ("Computing the eccentricity distribution of large
 * graphs", Algorithms 6(1), 2013). A BFS from a node w gives every node v the bounds max(d(v,w), ecc(w) -
 * d(v,w)) &lt;= ecc(v) &lt;= ecc(w) + d(v,w); a node whose lower bound exceeds the smallest upper bound cannot
 * be a centre and drops out, and BFS runs go alternately to the remaining node with the smallest lower bound
 * and the one with the largest upper bound (ties: lowest id) until every remaining node's eccentricity is
 * known. On small-world graphs this takes few BFS runs; on an expander, whose eccentricities nearly all equal
 * its diameter or one less, it can take many, so the runs per component are capped at {@link #MAX_BFS}, and
 * lower on big overlays so that all runs together visit about {@link #BUDGET} nodes and arcs (but at least
 * {@link #MIN_BFS} runs): every component of up to {@value #MAX_BFS} nodes is exact (each run resolves at
 * least the node it starts from). Past the cap the centre is the node with the smallest upper bound (lowest id among
 * ties), whose eccentricity exceeds the radius by at most its upper bound minus the smallest lower bound left.
 * Deterministic: a function of the overlay alone, so every node that computes it gets the same roots.
 */
final class Centres {
    /** Most BFS runs per component (see the class comment). */
    static final int MAX_BFS = 256;
    /** Fewest BFS runs per component, whatever its size. */
    static final int MIN_BFS = 16;
    /** Nodes plus arcs that the runs of one component may visit, about a second's work. */
    static final long BUDGET = 300_000_000L;

    private Centres() {}

    /**
     * One centre per component, in order of each component's smallest id.
     *
     * @param adj undirected adjacency in CSR form: {@code adj[offsets[v] .. offsets[v + 1])}
     */
    static int[] of(int n, int[] offsets, int[] adj) {
        int[] component = new int[n];
        Arrays.fill(component, -1);
        int[] queue = new int[n];
        int[] dist = new int[n];
        int[] roots = new int[n];
        int components = 0;
        for (int s = 0; s < n; s++) {
            if (component[s] >= 0) {
                continue;
            }
            int head = 0;
            int tail = 0;
            queue[tail++] = s;
            component[s] = components;
            while (head < tail) {
                int v = queue[head++];
                for (int i = offsets[v]; i < offsets[v + 1]; i++) {
                    int u = adj[i];
                    if (component[u] < 0) {
                        component[u] = components;
                        queue[tail++] = u;
                    }
                }
            }
            int[] members = Arrays.copyOf(queue, tail);
            Arrays.sort(members);
            roots[components++] = centre(members, offsets, adj, dist, queue);
        }
        return Arrays.copyOf(roots, components);
    }

    /** The centre of one component, {@code members} ascending. */
    private static int centre(int[] members, int[] offsets, int[] adj, int[] dist, int[] queue) {
        int m = members.length;
        if (m <= 2) {
            return members[0];
        }
        int[] lower = new int[m];
        int[] upper = new int[m];
        Arrays.fill(upper, Integer.MAX_VALUE);
        boolean[] out = new boolean[m];
        int left = m;
        boolean smallestLower = true;
        long work = m + (long) offsets[offsets.length - 1];
        long cap = Math.max(MIN_BFS, Math.min(MAX_BFS, BUDGET / Math.max(1, work)));
        for (int runs = 0; runs < cap && left > 0; runs++) {
            int pick = -1;
            for (int k = 0; k < m; k++) {
                if (out[k]) {
                    continue;
                }
                if (pick < 0 || (smallestLower ? lower[k] < lower[pick] : upper[k] > upper[pick])) {
                    pick = k;
                }
            }
            smallestLower = !smallestLower;
            int ecc = bfs(members[pick], members, offsets, adj, dist, queue);
            int minUpper = Integer.MAX_VALUE;
            for (int k = 0; k < m; k++) {
                int d = dist[members[k]];
                lower[k] = Math.max(lower[k], Math.max(d, ecc - d));
                upper[k] = Math.min(upper[k], ecc + d);
                minUpper = Math.min(minUpper, upper[k]);
            }
            left = 0;
            for (int k = 0; k < m; k++) {
                if (!out[k] && (lower[k] > minUpper || lower[k] == upper[k])) {
                    out[k] = true;
                }
                if (!out[k]) {
                    left++;
                }
            }
        }
        // Exact once every node is resolved: then some centre has upper == radius, and the lowest id wins.
        int best = 0;
        for (int k = 1; k < m; k++) {
            if (upper[k] < upper[best]) {
                best = k;
            }
        }
        return members[best];
    }

    /** BFS distances from {@code s} into {@code dist} (for its component); returns the eccentricity of s. */
    private static int bfs(int s, int[] members, int[] offsets, int[] adj, int[] dist, int[] queue) {
        for (int v : members) {
            dist[v] = -1;
        }
        int head = 0;
        int tail = 0;
        queue[tail++] = s;
        dist[s] = 0;
        int max = 0;
        while (head < tail) {
            int v = queue[head++];
            max = Math.max(max, dist[v]);
            for (int i = offsets[v]; i < offsets[v + 1]; i++) {
                int u = adj[i];
                if (dist[u] < 0) {
                    dist[u] = dist[v] + 1;
                    queue[tail++] = u;
                }
            }
        }
        return max;
    }

    /**
     * The overlay's links both ways in CSR form ({@code {offsets, targets}}): an undirected overlay's own arrays
     * (self-loops and repeats are harmless to BFS), a directed one's arcs plus their reverses.
     */
    static int[][] undirected(Overlay overlay) {
        if (!overlay.directed()) {
            return new int[][] {overlay.offsets(), overlay.targets()};
        }
        int n = overlay.size();
        int[] offsets = new int[n + 1];
        for (int v = 0; v < n; v++) {
            int start = overlay.offset(v);
            for (int i = 0; i < overlay.degree(v); i++) {
                int u = overlay.target(start + i);
                if (u != v) {
                    offsets[v + 1]++;
                    offsets[u + 1]++;
                }
            }
        }
        for (int v = 0; v < n; v++) {
            offsets[v + 1] += offsets[v];
        }
        int[] adj = new int[offsets[n]];
        int[] fill = Arrays.copyOf(offsets, n);
        for (int v = 0; v < n; v++) {
            int start = overlay.offset(v);
            for (int i = 0; i < overlay.degree(v); i++) {
                int u = overlay.target(start + i);
                if (u != v) {
                    adj[fill[v]++] = u;
                    adj[fill[u]++] = v;
                }
            }
        }
        return new int[][] {offsets, adj};
    }
}
