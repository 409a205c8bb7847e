package dev.ringlab.node.protocols;

import dev.ringlab.topology.Overlay;
import java.util.Arrays;

/**
 * Every node's peers with the overlay's links taken both ways: out-neighbours and, on a directed overlay,
 * in-neighbours, without self-loops or repeats, ascending. For protocols that answer the node a message came
 * from ({@link Plumtree}'s prunes and grafts), which every engine allows along an arc in either direction.
 * Time and memory O(n + arcs), once per overlay.
 */
final class UndirectedPeers {
    private final int[][] peers;

    private UndirectedPeers(Overlay overlay) {
        int n = overlay.size();
        int[] count = new int[n];
        for (int v = 0; v < n; v++) {
            int start = overlay.offset(v);
            for (int i = 0; i < overlay.degree(v); i++) {
                int u = overlay.target(start + i);
                count[v]++;
                if (overlay.directed()) {
                    count[u]++;
                }
            }
        }
        int[][] all = new int[n][];
        for (int v = 0; v < n; v++) {
            all[v] = new int[count[v]];
            count[v] = 0;
        }
        for (int v = 0; v < n; v++) {
            int start = overlay.offset(v);
            for (int i = 0; i < overlay.degree(v); i++) {
                int u = overlay.target(start + i);
                all[v][count[v]++] = u;
                if (overlay.directed()) {
                    all[u][count[u]++] = v;
                }
            }
        }
        for (int v = 0; v < n; v++) {
            int[] row = all[v];
            Arrays.sort(row);
            int k = 0;
            for (int i = 0; i < row.length; i++) {
                if (row[i] != v && (k == 0 || row[k - 1] != row[i])) {
                    row[k++] = row[i];
                }
            }
            all[v] = k == row.length ? row : Arrays.copyOf(row, k);
        }
        this.peers = all;
    }

    /** The peers of {@code v}, ascending (shared: callers must not modify it). */
    int[] of(int v) {
        return peers[v];
    }

    /** Computes one overlay's peers at most once (engines create every node against one overlay instance). */
    static final class Cache {
        private Overlay overlay;
        private UndirectedPeers peers;

        synchronized UndirectedPeers of(Overlay o) {
            if (overlay != o) {
                peers = new UndirectedPeers(o);
                overlay = o;
            }
            return peers;
        }
    }
}
