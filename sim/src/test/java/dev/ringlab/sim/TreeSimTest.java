package dev.ringlab.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.Tree;
import dev.ringlab.topology.Overlay;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The {@code tree} broadcast on the simulator: every broadcast reaches every node once, with exactly n - 1
 * messages, in at most twice the BFS depth from node 0 (computed here independently); on a directed ring
 * (the tree is a path, its arcs used both ways) as well as on random regular overlays.
 */
class TreeSimTest {
    static final long MS = 1_000_000L;

    @Test
    void everyBroadcastReachesEveryNodeOnceWithNMinusOneMessagesWithinTwiceTheDepth() {
        SplittableRandom master = new SplittableRandom(0x7EE_0001L);
        for (int c = 0; c < 12; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 2 + r.nextInt(60);
            Overlay overlay = c % 4 == 0 ? directedRing(n) : TestNodes.cycles(n, 2 + 2 * r.nextInt(3), seed);
            int broadcasts = 1 + r.nextInt(5);
            String why = overlay.spec() + " n=" + n + " seed " + seed;
            List<Observation.Delivered> delivered = new ArrayList<>();
            try (SimCluster sim = new SimCluster(overlay, Tree.protocol(), SimConfig.of(seed))) {
                sim.addObserver(o -> {
                    if (o instanceof Observation.Delivered d) {
                        delivered.add(d);
                    }
                });
                sim.start();
                int[] origins = new int[broadcasts];
                for (int b = 0; b < broadcasts; b++) {
                    int origin = r.nextInt(n);
                    origins[b] = origin;
                    long id = b;
                    sim.at(b * 100 * MS, () -> sim.inject(origin, new Message.Inject(id, new byte[0])));
                }
                sim.runToQuiescence();
                assertEquals((long) broadcasts * (n - 1), sim.stats().messagesSent(), why + ": messages sent");
                assertEquals((long) broadcasts * n, delivered.size(), why + ": deliveries");
                int bound = 2 * depthFromZero(overlay);
                for (int b = 0; b < broadcasts; b++) {
                    long id = b;
                    boolean[] reached = new boolean[n];
                    for (Observation.Delivered d : delivered) {
                        if (d.id() == id) {
                            assertTrue(!reached[d.node()], why + ": node " + d.node() + " delivered " + id + " twice");
                            reached[d.node()] = true;
                            assertEquals(origins[b], d.origin(), why);
                            assertTrue(d.hop() <= bound, why + ": hop " + d.hop() + " > 2 x depth " + bound / 2);
                        }
                    }
                    for (int v = 0; v < n; v++) {
                        assertTrue(reached[v], why + ": broadcast " + id + " never reached node " + v);
                    }
                }
            }
        }
    }

    /** Node v's only arc goes to v + 1. */
    static Overlay directedRing(int n) {
        int[][] adj = new int[n][];
        for (int v = 0; v < n; v++) {
            adj[v] = n == 1 ? new int[0] : new int[] {(v + 1) % n};
        }
        return Overlay.fromAdjacency("directed-ring", true, adj);
    }

    /** BFS eccentricity of node 0 with arcs taken both ways. */
    static int depthFromZero(Overlay o) {
        int n = o.size();
        List<List<Integer>> und = new ArrayList<>();
        for (int v = 0; v < n; v++) {
            und.add(new ArrayList<>());
        }
        for (int v = 0; v < n; v++) {
            for (int i = 0; i < o.degree(v); i++) {
                int u = o.neighbour(v, i);
                und.get(v).add(u);
                und.get(u).add(v);
            }
        }
        int[] dist = new int[n];
        Arrays.fill(dist, -1);
        dist[0] = 0;
        ArrayDeque<Integer> q = new ArrayDeque<>(List.of(0));
        int max = 0;
        while (!q.isEmpty()) {
            int v = q.poll();
            max = Math.max(max, dist[v]);
            for (int u : und.get(v)) {
                if (dist[u] < 0) {
                    dist[u] = dist[v] + 1;
                    q.add(u);
                }
            }
        }
        return max;
    }
}
