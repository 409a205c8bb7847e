package dev.ringlab.topology;

import java.util.Arrays;
import java.util.Objects;
import org.jgrapht.Graph;
import org.jgrapht.graph.DefaultEdge;

/**
 * An immutable graph on nodes {@code 0..n-1}, stored as compressed sparse rows: the out-neighbours of
 * node {@code v} are {@code targets[offsets[v] .. offsets[v+1])}.
 *
 * <p>Directed overlays (the unidirectional ring) store each arc once, at its tail. Undirected overlays
 * store each edge twice, once at each end, so {@link #degree(int)} is the usual degree and
 * {@link #edges()} counts each undirected edge once. Neighbour lists are kept in the order the generator
 * produced them; constructions that need multi-edges or self-loops (Margulis–Gabber–Galil) keep them and
 * say so in their javadoc.
 *
 * <p>Read-mostly by design: the simulator and the runtime index these arrays on the hot path, so they
 * are exposed through accessors that never copy ({@link #neighbour(int, int)}) besides defensive-copy
 * getters.
 */
public final class Overlay {
    private final String spec;
    private final int n;
    private final boolean directed;
    private final int[] offsets;
    private final int[] targets;

    /**
     * @param spec     the topology spec that built it (for reports), e.g. {@code "random-regular:8"}
     * @param directed true if {@code targets} holds arcs (tail to head) rather than both ends of edges
     * @param offsets  length n+1, non-decreasing, offsets[0] == 0, offsets[n] == targets.length
     * @param targets  neighbour ids in 0..n-1
     * @throws IllegalArgumentException if the arrays are not a valid CSR structure
     */
    public Overlay(String spec, boolean directed, int[] offsets, int[] targets) {
        this.spec = Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(offsets, "offsets");
        Objects.requireNonNull(targets, "targets");
        if (offsets.length < 2) {
            throw new IllegalArgumentException("an overlay needs at least 1 node, got offsets of length " + offsets.length);
        }
        this.n = offsets.length - 1;
        if (offsets[0] != 0 || offsets[n] != targets.length) {
            throw new IllegalArgumentException("offsets must start at 0 and end at targets.length=" + targets.length);
        }
        for (int v = 0; v < n; v++) {
            if (offsets[v + 1] < offsets[v]) {
                throw new IllegalArgumentException("offsets must be non-decreasing, broken at node " + v);
            }
        }
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] < 0 || targets[i] >= n) {
                throw new IllegalArgumentException("target " + targets[i] + " at index " + i + " is outside 0.." + (n - 1));
            }
        }
        if (!directed && (targets.length & 1) != 0) {
            throw new IllegalArgumentException("an undirected overlay stores each edge twice; odd arc count " + targets.length);
        }
        this.directed = directed;
        this.offsets = offsets;
        this.targets = targets;
    }

    /** Builds an overlay from adjacency lists; {@code adj[v]} are v's (out-)neighbours. */
    public static Overlay fromAdjacency(String spec, boolean directed, int[][] adj) {
        int[] offsets = new int[adj.length + 1];
        for (int v = 0; v < adj.length; v++) {
            offsets[v + 1] = offsets[v] + adj[v].length;
        }
        int[] targets = new int[offsets[adj.length]];
        for (int v = 0; v < adj.length; v++) {
            System.arraycopy(adj[v], 0, targets, offsets[v], adj[v].length);
        }
        return new Overlay(spec, directed, offsets, targets);
    }

    /** The spec that built this overlay, e.g. {@code "ring"} or {@code "random-regular:8"}. */
    public String spec() {
        return spec;
    }

    /** Number of nodes. */
    public int size() {
        return n;
    }

    public boolean directed() {
        return directed;
    }

    /** Out-degree (directed) or degree (undirected) of {@code v}, counting multi-edges. */
    public int degree(int v) {
        return offsets[v + 1] - offsets[v];
    }

    /** The {@code i}-th (out-)neighbour of {@code v}, {@code 0 <= i < degree(v)}. */
    public int neighbour(int v, int i) {
        return targets[offsets[v] + i];
    }

    /** A copy of v's (out-)neighbours. */
    public int[] neighbours(int v) {
        return Arrays.copyOfRange(targets, offsets[v], offsets[v + 1]);
    }

    /** Number of arcs (directed) or undirected edges. */
    public long edges() {
        return directed ? targets.length : targets.length / 2;
    }

    /** Number of stored adjacency entries (arcs, or twice the undirected edges). */
    public int arcs() {
        return targets.length;
    }

    /** A copy of the CSR offsets array (length n+1). */
    public int[] offsets() {
        return offsets.clone();
    }

    /** A copy of the CSR targets array. */
    public int[] targets() {
        return targets.clone();
    }

    /** Start of v's neighbour run in the (hidden) targets array: for hot loops in the same process. */
    public int offset(int v) {
        return offsets[v];
    }

    /** The raw target at a CSR index, {@code 0 <= index < arcs()}. */
    public int target(int index) {
        return targets[index];
    }

    /**
     * This overlay as a JGraphT graph on vertices {@code 0..n-1}: simple (directed) graph if it has no
     * loops or parallel edges, pseudograph otherwise. See {@link OverlayGraphs#toGraph(Overlay)}.
     */
    public Graph<Integer, DefaultEdge> toGraph() {
        return OverlayGraphs.toGraph(this);
    }

    /**
     * An overlay from a JGraphT graph, vertices numbered in {@code g.vertexSet()} iteration order. See
     * {@link OverlayGraphs#fromGraph(String, Graph)}.
     */
    public static <V, E> Overlay fromGraph(String spec, Graph<V, E> g) {
        return OverlayGraphs.fromGraph(spec, g);
    }

    /** The offsets array itself, for metrics in this package that must not copy 10^6-node arrays. */
    int[] rawOffsets() {
        return offsets;
    }

    /** The targets array itself; see {@link #rawOffsets()}. */
    int[] rawTargets() {
        return targets;
    }

    @Override
    public String toString() {
        return "Overlay[" + spec + ", n=" + n + ", " + (directed ? "arcs=" : "edges=") + edges() + "]";
    }
}
