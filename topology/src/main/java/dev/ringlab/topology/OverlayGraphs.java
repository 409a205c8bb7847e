package dev.ringlab.topology;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.jgrapht.Graph;
import org.jgrapht.graph.DefaultEdge;
import org.jgrapht.graph.DirectedPseudograph;
import org.jgrapht.graph.Pseudograph;
import org.jgrapht.graph.SimpleDirectedGraph;
import org.jgrapht.graph.SimpleGraph;

/**
 * Bridges between {@link Overlay} (CSR arrays) and JGraphT graphs, and the structural helpers the metrics
 * need (simplicity, symmetrisation).
 *
 * <p>Conventions, both ways: an undirected overlay stores each edge at both ends and a self-loop twice in
 * its node's list (it adds 2 to the degree, as in the adjacency matrix of Margulis–Gabber–Galil); in a
 * JGraphT graph that loop is one edge. Parallel edges are parallel edges in both. Edge weights are
 * ignored.
 */
public final class OverlayGraphs {
    private OverlayGraphs() {}

    /**
     * The overlay as a JGraphT graph on Integer vertices {@code 0..n-1}, added in order: a
     * {@link SimpleGraph} / {@link SimpleDirectedGraph} when the overlay has no loops or parallel edges,
     * otherwise a {@link Pseudograph} / {@link DirectedPseudograph}, so nothing is lost.
     */
    public static Graph<Integer, DefaultEdge> toGraph(Overlay overlay) {
        boolean simple = isSimple(overlay);
        Graph<Integer, DefaultEdge> g;
        if (overlay.directed()) {
            g = simple ? new SimpleDirectedGraph<>(DefaultEdge.class) : new DirectedPseudograph<>(DefaultEdge.class);
        } else {
            g = simple ? new SimpleGraph<>(DefaultEdge.class) : new Pseudograph<>(DefaultEdge.class);
        }
        int n = overlay.size();
        for (int v = 0; v < n; v++) {
            g.addVertex(v);
        }
        for (int u = 0; u < n; u++) {
            int loopEntries = 0;
            for (int i = 0; i < overlay.degree(u); i++) {
                int v = overlay.neighbour(u, i);
                if (overlay.directed() || u < v) {
                    g.addEdge(u, v);
                } else if (u == v) {
                    loopEntries++;
                }
            }
            // Undirected loops are stored twice at their node: one JGraphT loop per pair of entries.
            for (int i = 0; i < loopEntries / 2; i++) {
                g.addEdge(u, u);
            }
        }
        return g;
    }

    /**
     * An overlay from a JGraphT graph. Vertices are numbered {@code 0..n-1} in {@code g.vertexSet()}
     * iteration order (insertion order for JGraphT's default graphs); neighbour lists follow
     * {@code g.edgeSet()} order. Directed graphs give directed overlays.
     *
     * @throws IllegalArgumentException for mixed graphs or an empty vertex set
     */
    public static <V, E> Overlay fromGraph(String spec, Graph<V, E> g) {
        Objects.requireNonNull(spec, "spec");
        if (g.getType().isMixed()) {
            throw new IllegalArgumentException("mixed graphs (directed and undirected edges) have no overlay form");
        }
        int n = g.vertexSet().size();
        if (n == 0) {
            throw new IllegalArgumentException("an overlay needs at least 1 node, the graph has none");
        }
        boolean directed = g.getType().isDirected();
        Map<V, Integer> index = new HashMap<>(2 * n);
        for (V v : g.vertexSet()) {
            index.put(v, index.size());
        }
        int[] degree = new int[n];
        for (E e : g.edgeSet()) {
            int s = index.get(g.getEdgeSource(e));
            int t = index.get(g.getEdgeTarget(e));
            degree[s]++;
            if (!directed) {
                degree[t]++;
            }
        }
        int[] offsets = new int[n + 1];
        for (int v = 0; v < n; v++) {
            offsets[v + 1] = Math.addExact(offsets[v], degree[v]);
        }
        int[] fill = offsets.clone();
        int[] targets = new int[offsets[n]];
        for (E e : g.edgeSet()) {
            int s = index.get(g.getEdgeSource(e));
            int t = index.get(g.getEdgeTarget(e));
            targets[fill[s]++] = t;
            if (!directed) {
                targets[fill[t]++] = s;
            }
        }
        return new Overlay(spec, directed, offsets, targets);
    }

    /** True if no node lists itself or lists a neighbour twice (no loops, no parallel edges or arcs). */
    public static boolean isSimple(Overlay overlay) {
        int n = overlay.size();
        int[] lastSeenFrom = new int[n];
        java.util.Arrays.fill(lastSeenFrom, -1);
        for (int u = 0; u < n; u++) {
            for (int i = 0; i < overlay.degree(u); i++) {
                int v = overlay.neighbour(u, i);
                if (v == u || lastSeenFrom[v] == u) {
                    return false;
                }
                lastSeenFrom[v] = u;
            }
        }
        return true;
    }

    /**
     * The underlying simple undirected graph of a directed overlay: u ~ v iff u -> v or v -> u, loops
     * dropped, antiparallel arcs merged into one edge. The symmetrised unidirectional ring on n >= 3 nodes
     * is the cycle C_n (the biring), on 2 nodes the single edge {0, 1}. An undirected overlay is
     * returned as it is.
     */
    public static Overlay symmetrise(Overlay overlay) {
        if (!overlay.directed()) {
            return overlay;
        }
        int n = overlay.size();
        int[] degree = new int[n];
        for (int u = 0; u < n; u++) {
            for (int i = 0; i < overlay.degree(u); i++) {
                int v = overlay.neighbour(u, i);
                if (v != u) {
                    degree[u]++;
                    degree[v]++;
                }
            }
        }
        int[] offsets = new int[n + 1];
        for (int v = 0; v < n; v++) {
            offsets[v + 1] = Math.addExact(offsets[v], degree[v]);
        }
        int[] fill = offsets.clone();
        int[] both = new int[offsets[n]];
        for (int u = 0; u < n; u++) {
            for (int i = 0; i < overlay.degree(u); i++) {
                int v = overlay.neighbour(u, i);
                if (v != u) {
                    both[fill[u]++] = v;
                    both[fill[v]++] = u;
                }
            }
        }
        // Drop repeats within each row (antiparallel arcs give the same edge twice at both ends).
        int[] lastSeenFrom = new int[n];
        java.util.Arrays.fill(lastSeenFrom, -1);
        int[] newOffsets = new int[n + 1];
        int k = 0;
        for (int u = 0; u < n; u++) {
            for (int i = offsets[u]; i < offsets[u + 1]; i++) {
                int v = both[i];
                if (lastSeenFrom[v] != u) {
                    lastSeenFrom[v] = u;
                    both[k++] = v;
                }
            }
            newOffsets[u + 1] = k;
        }
        return new Overlay(overlay.spec() + " (symmetrised)", false, newOffsets, java.util.Arrays.copyOf(both, k));
    }
}
