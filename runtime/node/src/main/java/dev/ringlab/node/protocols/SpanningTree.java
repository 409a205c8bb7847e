package dev.ringlab.node.protocols;

import dev.ringlab.topology.Overlay;
import java.util.Arrays;

/**
 * A breadth-first spanning forest of an overlay, the shared structure of the {@code tree} and
 * {@code batched} protocols.
 *
 * <p>Algorithm: BFS (Moore 1959) from the root over the overlay taken as undirected (an arc u→v is also
 * used as v→u, so the unidirectional ring yields a path rather than a tree that only the root can use),
 * visiting neighbours in CSR order; if nodes remain unvisited, BFS again from the next component's root,
 * so a disconnected overlay yields one tree per component. The root of a component is its smallest id, or,
 * for a centred tree, a centre ({@link Centres}: minimum eccentricity, lowest id among ties), which makes the
 * depth the component's radius instead of node 0's eccentricity. Everything is
 * a function of the overlay alone, so every node that computes it, in any process, gets the same tree:
 * no coordination is needed. Time and memory O(n + arcs).
 *
 * <p>A BFS tree has depth equal to the root's eccentricity, so on an expander (diameter O(log n)) a
 * broadcast crosses O(log n) tree edges while sending exactly one message per tree edge: n - 1 in all.
 */
final class SpanningTree {
    private final Overlay overlay;
    private final int[] parent;
    private final int[] depth;
    /** Tree adjacency in CSR form: parent first (if any), then children in BFS order. */
    private final int[] offsets;
    private final int[] targets;
    private final int maxDepth;

    private SpanningTree(Overlay overlay, boolean centred) {
        int n = overlay.size();
        this.overlay = overlay;
        int[] centres = new int[0];
        if (centred) {
            int[][] und = Centres.undirected(overlay);
            centres = Centres.of(n, und[0], und[1]);
        }
        int[][] reverse = overlay.directed() ? reverse(overlay) : null;
        parent = new int[n];
        depth = new int[n];
        Arrays.fill(parent, -2);
        int[] queue = new int[n];
        int deepest = 0;
        for (int k = 0; k < centres.length + n; k++) {
            int root = k < centres.length ? centres[k] : k - centres.length;
            if (parent[root] != -2) {
                continue;
            }
            parent[root] = -1;
            int head = 0;
            int tail = 0;
            queue[tail++] = root;
            while (head < tail) {
                int v = queue[head++];
                int start = overlay.offset(v);
                for (int i = 0; i < overlay.degree(v); i++) {
                    tail = visit(v, overlay.target(start + i), queue, tail);
                }
                if (reverse != null) {
                    for (int u : reverse[v]) {
                        tail = visit(v, u, queue, tail);
                    }
                }
                deepest = Math.max(deepest, depth[v]);
            }
        }
        maxDepth = deepest;
        offsets = new int[n + 1];
        for (int v = 0; v < n; v++) {
            if (parent[v] >= 0) {
                offsets[v + 1]++;
                offsets[parent[v] + 1]++;
            }
        }
        for (int v = 0; v < n; v++) {
            offsets[v + 1] += offsets[v];
        }
        targets = new int[offsets[n]];
        int[] fill = Arrays.copyOf(offsets, n);
        for (int v = 0; v < n; v++) {
            if (parent[v] >= 0) {
                targets[fill[v]++] = parent[v];
            }
        }
        // Children in BFS order: the queue order of one BFS is a valid global order for all components.
        for (int v = 0; v < n; v++) {
            if (parent[v] >= 0) {
                targets[fill[parent[v]]++] = v;
            }
        }
    }

    private int visit(int v, int u, int[] queue, int tail) {
        if (parent[u] != -2) {
            return tail;
        }
        parent[u] = v;
        depth[u] = depth[v] + 1;
        queue[tail] = u;
        return tail + 1;
    }

    private static int[][] reverse(Overlay overlay) {
        int n = overlay.size();
        int[] count = new int[n];
        for (int i = 0; i < overlay.arcs(); i++) {
            count[overlay.target(i)]++;
        }
        int[][] in = new int[n][];
        for (int v = 0; v < n; v++) {
            in[v] = new int[count[v]];
            count[v] = 0;
        }
        for (int v = 0; v < n; v++) {
            int start = overlay.offset(v);
            for (int i = 0; i < overlay.degree(v); i++) {
                int u = overlay.target(start + i);
                in[u][count[u]++] = v;
            }
        }
        return in;
    }

    /**
     * Computes the tree of one overlay at most once. Engines create every node of a cluster against one
     * overlay instance, so a protocol holding a cache pays one O(n + arcs) BFS for n nodes instead of n of
     * them (quadratic at a million nodes); the result is the same as every node computing it.
     */
    static final class Cache {
        private final boolean centred;
        private Overlay overlay;
        private SpanningTree tree;

        /** Trees rooted at each component's smallest id. */
        Cache() {
            this(false);
        }

        /** Trees rooted at each component's smallest id, or at a centre if {@code centred}. */
        Cache(boolean centred) {
            this.centred = centred;
        }

        synchronized SpanningTree of(Overlay o) {
            if (overlay != o) {
                tree = new SpanningTree(o, centred);
                overlay = o;
            }
            return tree;
        }
    }

    Overlay overlay() {
        return overlay;
    }

    /** The parent of {@code v}, or -1 if {@code v} is the root of its component's tree. */
    int parent(int v) {
        return parent[v];
    }

    /** Tree edges between {@code v} and its component's root. */
    int depth(int v) {
        return depth[v];
    }

    /** The largest depth over all nodes. */
    int maxDepth() {
        return maxDepth;
    }

    /** Number of tree neighbours of {@code v} (parent and children). */
    int degree(int v) {
        return offsets[v + 1] - offsets[v];
    }

    /** The {@code i}-th tree neighbour of {@code v}: the parent first, if any, then the children. */
    int neighbour(int v, int i) {
        return targets[offsets[v] + i];
    }
}
