package dev.ringlab.node.protocols;

import dev.ringlab.topology.Overlay;
import java.util.Arrays;

/**
 * A node's distinct peers on an overlay: its (out-)neighbours without self-loops and without repeating a
 * multi-edge. Overlays may hold both (Margulis–Gabber–Galil does), and a broadcast must never be sent to
 * self nor twice to one neighbour: the second copy is pure redundancy that would inflate every message
 * count.
 */
final class Peers {
    private Peers() {}

    /**
     * The distinct peers of {@code v} in first-occurrence order, or {@code null} if {@code v}'s CSR row
     * already is that (no self-loop, no repeat), so that callers can iterate the overlay in place and a
     * million-node flood allocates no per-node array.
     */
    static int[] distinctOrNull(Overlay overlay, int v) {
        int start = overlay.offset(v);
        int degree = overlay.degree(v);
        if (isClean(overlay, v, start, degree)) {
            return null;
        }
        return distinct(overlay, v);
    }

    /** The distinct peers of {@code v} in first-occurrence order (always a fresh array). */
    static int[] distinct(Overlay overlay, int v) {
        int start = overlay.offset(v);
        int degree = overlay.degree(v);
        int[] sorted = new int[degree];
        for (int i = 0; i < degree; i++) {
            sorted[i] = overlay.target(start + i);
        }
        Arrays.sort(sorted);
        // Keep first-occurrence order (the generator's order) rather than sorted order, so a protocol
        // that walks peers in order behaves the same whether or not the row needed cleaning.
        boolean[] taken = new boolean[degree];
        int[] out = new int[degree];
        int k = 0;
        for (int i = 0; i < degree; i++) {
            int u = overlay.target(start + i);
            if (u == v) {
                continue;
            }
            int at = Arrays.binarySearch(sorted, u);
            while (at > 0 && sorted[at - 1] == u) {
                at--;
            }
            if (!taken[at]) {
                taken[at] = true;
                out[k++] = u;
            }
        }
        return Arrays.copyOf(out, k);
    }

    private static boolean isClean(Overlay overlay, int v, int start, int degree) {
        if (degree <= 16) {
            for (int i = 0; i < degree; i++) {
                int u = overlay.target(start + i);
                if (u == v) {
                    return false;
                }
                for (int j = 0; j < i; j++) {
                    if (overlay.target(start + j) == u) {
                        return false;
                    }
                }
            }
            return true;
        }
        int[] sorted = new int[degree];
        for (int i = 0; i < degree; i++) {
            sorted[i] = overlay.target(start + i);
            if (sorted[i] == v) {
                return false;
            }
        }
        Arrays.sort(sorted);
        for (int i = 1; i < degree; i++) {
            if (sorted[i] == sorted[i - 1]) {
                return false;
            }
        }
        return true;
    }
}
