package dev.ringlab.experiments.watch;

import dev.ringlab.topology.Overlay;
import java.util.SplittableRandom;

/**
 * Where the page draws each node, in the unit square: fixed for a run, so a node never moves while the user
 * watches it. Rings ({@code ring}, {@code biring}, {@code successor-ring}, {@code chordal}) sit on a circle in
 * id order, the picture of the origin story; any other overlay gets a force-directed layout (Fruchterman and
 * Reingold 1991, "Graph drawing by force-directed placement") started from a seeded circle and run for a
 * fixed number of iterations, so the same (overlay, seed) always gives the same picture. O(iterations · n²):
 * for n above {@link #FORCE_MAX} the circle is kept (a force layout of thousands of nodes is a hairball anyway).
 */
public final class Layout {
    /** Largest overlay laid out by forces; larger ones stay on the circle. */
    static final int FORCE_MAX = 512;
    private static final int ITERATIONS = 200;

    private Layout() {}

    /** True if {@code spec} names a ring-shaped overlay, drawn on a circle. */
    static boolean ringShaped(String spec) {
        return spec.startsWith("ring") || spec.startsWith("biring") || spec.startsWith("successor-ring")
                || spec.startsWith("chordal");
    }

    /** {@code [x0, y0, x1, y1, ...]} in [0.05, 0.95]², seeded by {@code seed}. */
    public static double[] of(Overlay overlay, long seed) {
        int n = overlay.size();
        double[] p = new double[2 * n];
        for (int v = 0; v < n; v++) {
            // node 0 at the top, ids clockwise
            double a = 2 * Math.PI * v / n - Math.PI / 2;
            p[2 * v] = 0.5 + 0.45 * Math.cos(a);
            p[2 * v + 1] = 0.5 + 0.45 * Math.sin(a);
        }
        if (ringShaped(overlay.spec()) || n > FORCE_MAX || n < 3) {
            return p;
        }
        SplittableRandom r = new SplittableRandom(seed ^ 0x6C61796F7574L); // "layout"
        for (int v = 0; v < n; v++) {
            p[2 * v] += (r.nextDouble() - 0.5) * 0.05;
            p[2 * v + 1] += (r.nextDouble() - 0.5) * 0.05;
        }
        double k = Math.sqrt(1.0 / n);
        double[] d = new double[2 * n];
        double t = 0.1;
        for (int it = 0; it < ITERATIONS; it++) {
            java.util.Arrays.fill(d, 0);
            for (int u = 0; u < n; u++) {
                for (int v = u + 1; v < n; v++) {
                    double dx = p[2 * u] - p[2 * v];
                    double dy = p[2 * u + 1] - p[2 * v + 1];
                    double dist = Math.max(1e-6, Math.hypot(dx, dy));
                    double f = k * k / dist; // repulsion
                    d[2 * u] += dx / dist * f;
                    d[2 * u + 1] += dy / dist * f;
                    d[2 * v] -= dx / dist * f;
                    d[2 * v + 1] -= dy / dist * f;
                }
            }
            for (int u = 0; u < n; u++) {
                for (int v : overlay.neighbours(u)) {
                    double dx = p[2 * u] - p[2 * v];
                    double dy = p[2 * u + 1] - p[2 * v + 1];
                    double dist = Math.max(1e-6, Math.hypot(dx, dy));
                    double f = dist * dist / k; // attraction along an arc (applied from both ends)
                    d[2 * u] -= dx / dist * f;
                    d[2 * u + 1] -= dy / dist * f;
                    d[2 * v] += dx / dist * f;
                    d[2 * v + 1] += dy / dist * f;
                }
            }
            for (int u = 0; u < n; u++) {
                double len = Math.max(1e-9, Math.hypot(d[2 * u], d[2 * u + 1]));
                double step = Math.min(len, t);
                p[2 * u] += d[2 * u] / len * step;
                p[2 * u + 1] += d[2 * u + 1] / len * step;
            }
            t *= 0.98;
        }
        // fit into the square
        double minX = Double.MAX_VALUE, minY = Double.MAX_VALUE, maxX = -Double.MAX_VALUE, maxY = -Double.MAX_VALUE;
        for (int u = 0; u < n; u++) {
            minX = Math.min(minX, p[2 * u]);
            maxX = Math.max(maxX, p[2 * u]);
            minY = Math.min(minY, p[2 * u + 1]);
            maxY = Math.max(maxY, p[2 * u + 1]);
        }
        double span = Math.max(1e-9, Math.max(maxX - minX, maxY - minY));
        for (int u = 0; u < n; u++) {
            p[2 * u] = 0.05 + 0.9 * (p[2 * u] - minX) / span;
            p[2 * u + 1] = 0.05 + 0.9 * (p[2 * u + 1] - minY) / span;
        }
        return p;
    }
}
