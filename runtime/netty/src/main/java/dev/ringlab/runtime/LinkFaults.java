package dev.ringlab.runtime;

import java.util.Arrays;

/**
 * What an engine imposes on its nodes' links from outside, for the {@code Cluster} faults: partition
 * groups, slow nodes, a loss burst, and which nodes the engine has crashed (so that a send towards one is
 * counted as {@code receiver_down} rather than {@code no_connection}). Every host of a {@link LocalCluster}
 * shares one instance; a node process keeps its own, set from the commands on its stdin
 * ({@link NodeProcess}).
 *
 * <p>Threads: written by the controlling thread, read on the nodes' event loops on every send and receipt.
 * Each field is replaced whole (copy-on-write behind a {@code volatile}), so a reader sees the state before
 * or after a change, never half of one, and reading costs one volatile load.
 */
public final class LinkFaults {
    private final int n;
    private volatile int[] group; // null: no partition
    private volatile long[] slowNanos; // null: no slow node ever
    private volatile double lossBurst;
    private volatile boolean[] down; // null: no node crashed ever

    /** No fault on a cluster of {@code n} nodes. */
    public LinkFaults(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("a cluster needs at least 1 node, got " + n);
        }
        this.n = n;
    }

    public int size() {
        return n;
    }

    /**
     * Group numbers per node for {@code Cluster.partition(groups)}: nodes of {@code groups[k]} get k + 1,
     * nodes in no group 0 (one more group).
     *
     * @throws IllegalArgumentException for a node id outside 0..n-1
     */
    public static int[] groupOfNode(int n, int[][] groups) {
        int[] g = new int[n];
        for (int k = 0; k < groups.length; k++) {
            for (int v : groups[k]) {
                if (v < 0 || v >= n) {
                    throw new IllegalArgumentException("node " + v + " not in 0.." + (n - 1));
                }
                g[v] = k + 1;
            }
        }
        return g;
    }

    /** Messages between nodes of different groups ({@code groupOfNode[v]}) are dropped until {@link #heal}. */
    public void partition(int[] groupOfNode) {
        if (groupOfNode.length != n) {
            throw new IllegalArgumentException("need a group for each of " + n + " nodes, got " + groupOfNode.length);
        }
        group = groupOfNode.clone();
    }

    public void heal() {
        group = null;
    }

    /** The partition groups in force, or null. */
    public int[] partition() {
        int[] g = group;
        return g == null ? null : g.clone();
    }

    /** Whether a message from {@code from} to {@code to} crosses a partition line. */
    public boolean blocked(int from, int to) {
        int[] g = group;
        return g != null && g[from] != g[to];
    }

    /** Node {@code node} adds {@code extraNanos} to every message it sends or receives; 0: normal again. */
    public synchronized void slow(int node, long extraNanos) {
        checkNode(node);
        if (extraNanos < 0) {
            throw new IllegalArgumentException("extra latency must be >= 0, got " + extraNanos);
        }
        long[] s = slowNanos == null ? new long[n] : slowNanos.clone();
        s[node] = extraNanos;
        slowNanos = s;
    }

    /** The extra latency of node {@code node}, 0 unless slowed. */
    public long slowNanos(int node) {
        long[] s = slowNanos;
        return s == null ? 0 : s[node];
    }

    /** Every message is also lost with {@code probability} until set back to 0. */
    public void lossBurst(double probability) {
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("loss burst probability must be in 0..1, got " + probability);
        }
        lossBurst = probability;
    }

    public double lossBurst() {
        return lossBurst;
    }

    /** The engine crashed ({@code true}) or restarted ({@code false}) node {@code node}. */
    public synchronized void down(int node, boolean isDown) {
        checkNode(node);
        boolean[] d = down == null ? new boolean[n] : down.clone();
        d[node] = isDown;
        down = d;
    }

    /** Whether the engine has crashed {@code node} and not restarted it. */
    public boolean isDown(int node) {
        boolean[] d = down;
        return d != null && d[node];
    }

    private void checkNode(int node) {
        if (node < 0 || node >= n) {
            throw new IllegalArgumentException("node " + node + " not in 0.." + (n - 1));
        }
    }

    @Override
    public String toString() {
        return "LinkFaults[partition=" + Arrays.toString(group) + " slow=" + Arrays.toString(slowNanos) + " lossBurst="
                + lossBurst + " down=" + Arrays.toString(down) + "]";
    }
}
