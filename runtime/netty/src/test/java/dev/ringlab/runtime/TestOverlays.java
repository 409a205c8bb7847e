package dev.ringlab.runtime;

import dev.ringlab.topology.Overlay;

/** Small overlays built by hand, so runtime tests do not depend on the topology generators. */
final class TestOverlays {
    private TestOverlays() {}

    /** The unidirectional ring: v -> v+1. */
    static Overlay ring(int n) {
        int[][] adj = new int[n][];
        for (int v = 0; v < n; v++) {
            adj[v] = new int[] {(v + 1) % n};
        }
        return Overlay.fromAdjacency("ring", true, adj);
    }

    /** The bidirectional ring: v <-> v+1. */
    static Overlay biring(int n) {
        int[][] adj = new int[n][];
        for (int v = 0; v < n; v++) {
            adj[v] = n == 2 ? new int[] {1 - v} : new int[] {(v + n - 1) % n, (v + 1) % n};
        }
        return Overlay.fromAdjacency("biring", false, adj);
    }
}
