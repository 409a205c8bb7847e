package dev.ringlab.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.Batched;
import dev.ringlab.node.spec.LinkModel;
import dev.ringlab.topology.Overlay;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@code batched:W} on the simulator against figures computed here from BFS distances to node 0: an isolated
 * broadcast from origin o costs dist(o) messages up plus n - 1 down; the origin delivers it at once at hop 0,
 * the nodes on its way up as it climbs, every other node v at hop dist(o) + dist(v) exactly W after the
 * root got it; a burst injected at the root goes down as one batch per tree edge; every node delivers every
 * broadcast exactly once.
 */
class BatchedSimTest {
    static final long MS = 1_000_000L;
    static final long US = 1_000L;

    @Test
    void isolatedBroadcastsCostTheClimbPlusOneMessagePerTreeEdgeAndArriveWindowAfterTheRoot() {
        SplittableRandom master = new SplittableRandom(0xBA7C_0001L);
        int checked = 0;
        for (int c = 0; c < 10; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 2 + r.nextInt(50);
            Overlay overlay = c % 3 == 0 ? TreeSimTest.directedRing(n) : TestNodes.cycles(n, 2 + 2 * r.nextInt(3), seed);
            long window = r.nextInt(4) * 500 * US;
            long link = (1 + r.nextInt(3)) * MS;
            int[] dist = distFromZero(overlay);
            int depth = Arrays.stream(dist).max().orElseThrow();
            String why = overlay.spec() + " n=" + n + " W=" + window + "ns L=" + link + "ns (case seed " + seed + ")";
            List<Observation.Delivered> delivered = new ArrayList<>();
            try (SimCluster sim = new SimCluster(overlay, Batched.protocol(window),
                    SimConfig.of(seed).withLink(LinkModel.constant(link)))) {
                sim.addObserver(o -> {
                    if (o instanceof Observation.Delivered d) {
                        delivered.add(d);
                    }
                });
                sim.start();
                for (int b = 0; b < 4; b++) {
                    int origin = r.nextInt(n);
                    delivered.clear();
                    long sentBefore = sim.stats().messagesSent();
                    long t0 = sim.now();
                    sim.inject(origin, new Message.Inject(b, new byte[0]));
                    sim.runToQuiescence();
                    String what = why + " broadcast " + b + " from " + origin;
                    assertEquals(dist[origin] + n - 1, sim.stats().messagesSent() - sentBefore, what + ": messages");
                    assertEquals(n, delivered.size(), what + ": deliveries");
                    boolean[] reached = new boolean[n];
                    for (Observation.Delivered d : delivered) {
                        int v = d.node();
                        assertTrue(!reached[v], what + ": node " + v + " delivered twice");
                        reached[v] = true;
                        assertEquals(origin, d.origin(), what);
                        long after = d.atNanos() - t0;
                        if (v == origin) {
                            assertEquals(0, d.hop(), what + ": the origin delivers at hop 0");
                            assertEquals(0, after, what + ": the origin delivers at once");
                        } else if (dist[v] > 0 && d.hop() == dist[origin] + dist[v]) {
                            assertEquals(d.hop() * link + window, after, what + ": node " + v + " reached down the tree");
                        } else {
                            // On the way up: the root and the origin's other ancestors.
                            assertEquals(dist[origin] - dist[v], d.hop(), what + ": ancestor " + v + " hop");
                            assertEquals(d.hop() * link, after, what + ": ancestor " + v + " delivers as it climbs");
                        }
                        checked++;
                    }
                    for (int v = 0; v < n; v++) {
                        assertTrue(reached[v], what + ": never reached node " + v);
                    }
                    assertTrue(delivered.stream().allMatch(d -> d.atNanos() - t0 <= window + 2L * depth * link),
                            what + ": a delivery later than W + 2 x depth x L");
                }
            }
        }
        assertTrue(checked > 100, "deliveries checked: " + checked);
    }

    @Test
    void aBurstAtTheRootGoesDownAsOneBatchPerTreeEdgeAndAStreamReachesEveryoneOnce() {
        SplittableRandom master = new SplittableRandom(0xBA7C_0002L);
        for (int c = 0; c < 8; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 3 + r.nextInt(40);
            Overlay overlay = TestNodes.cycles(n, 2 + 2 * r.nextInt(3), seed);
            long window = (1 + r.nextInt(3)) * MS;
            int[] dist = distFromZero(overlay);
            String why = overlay.spec() + " n=" + n + " W=" + window + "ns (case seed " + seed + ")";
            List<Observation.Delivered> delivered = new ArrayList<>();
            try (SimCluster sim = new SimCluster(overlay, Batched.protocol(window),
                    SimConfig.of(seed).withLink(LinkModel.constant(MS)))) {
                sim.addObserver(o -> {
                    if (o instanceof Observation.Delivered d) {
                        delivered.add(d);
                    }
                });
                sim.start();
                int burst = 2 + r.nextInt(6);
                long t0 = sim.now();
                for (int b = 0; b < burst; b++) {
                    sim.inject(0, new Message.Inject(b, new byte[0]));
                }
                sim.runToQuiescence();
                assertEquals(n - 1, sim.stats().messagesSent(), why + ": a burst of " + burst + " at the root");
                assertEquals((long) burst * n, delivered.size(), why);
                for (Observation.Delivered d : delivered) {
                    long expected = t0 + (d.node() == 0 ? 0 : window + dist[d.node()] * MS);
                    assertEquals(expected, d.atNanos(), why + ": node " + d.node() + " broadcast " + d.id());
                    assertEquals(dist[d.node()], d.hop(), why);
                }
                // Then a stream from random origins over several windows: everyone gets everything once.
                delivered.clear();
                int stream = 20 + r.nextInt(20);
                long start = sim.now();
                for (int b = 0; b < stream; b++) {
                    long id = 100 + b;
                    int origin = r.nextInt(n);
                    sim.at(start + r.nextLong(10 * window), () -> sim.inject(origin, new Message.Inject(id, new byte[0])));
                }
                sim.runToQuiescence();
                assertEquals((long) stream * n, delivered.size(), why + ": stream deliveries");
                assertEquals((long) stream * n,
                        delivered.stream().map(d -> d.node() + ":" + d.id()).distinct().count(), why + ": duplicates");
            }
        }
    }

    /** BFS distance from node 0 with arcs taken both ways. */
    static int[] distFromZero(Overlay o) {
        int n = o.size();
        List<List<Integer>> und = new ArrayList<>();
        for (int v = 0; v < n; v++) {
            und.add(new ArrayList<>());
        }
        for (int v = 0; v < n; v++) {
            for (int i = 0; i < o.degree(v); i++) {
                und.get(v).add(o.neighbour(v, i));
                und.get(o.neighbour(v, i)).add(v);
            }
        }
        int[] dist = new int[n];
        Arrays.fill(dist, -1);
        dist[0] = 0;
        ArrayDeque<Integer> q = new ArrayDeque<>(List.of(0));
        while (!q.isEmpty()) {
            int v = q.poll();
            for (int u : und.get(v)) {
                if (dist[u] < 0) {
                    dist[u] = dist[v] + 1;
                    q.add(u);
                }
            }
        }
        return dist;
    }
}
