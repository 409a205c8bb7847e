package dev.ringlab.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.Plumtree;
import dev.ringlab.node.spec.LinkModel;
import dev.ringlab.node.spec.LinkModels;
import dev.ringlab.topology.Overlay;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Plumtree on the simulator: the eager links become a spanning tree of the live nodes; every broadcast is
 * delivered at most once per node incarnation under random crashes, restarts and loss bursts, and, once the
 * faults are over, to every live node; a crashed inner node's subtree is reached again through grafts.
 * Each case draws its overlay, sizes, delays and options from a seed named in every assertion message.
 */
class PlumtreeSimTest {
    static final long MS = 1_000_000L;

    /** A protocol that hands out plumtree nodes and keeps them, so a test can look at their eager links. */
    private static final class Kept implements Protocol {
        final Protocol inner;
        final Plumtree[] nodes;

        Kept(Protocol inner, int n) {
            this.inner = inner;
            this.nodes = new Plumtree[n];
        }

        @Override
        public String spec() {
            return inner.spec();
        }

        @Override
        public Node create(int id, Overlay overlay) {
            Plumtree p = (Plumtree) inner.create(id, overlay);
            nodes[id] = p;
            return p;
        }
    }

    private static Plumtree.Config config(SplittableRandom r) {
        return new Plumtree.Config((r.nextInt(4)) * MS, r.nextInt(3) == 0 ? r.nextInt(1, 4) * MS : 0,
                (20 + r.nextInt(30)) * MS, r.nextInt(4), r.nextBoolean());
    }

    private static LinkModel link(SplittableRandom r) {
        return r.nextBoolean() ? LinkModel.constant(MS) : LinkModels.uniform(MS, 5 * MS);
    }

    @Test
    void eagerLinksBecomeASpanningTreeOfTheNodesOnceBroadcastsFromOneOriginStopChangingIt() {
        SplittableRandom master = new SplittableRandom(0x9107_0001L);
        for (int c = 0; c < 10; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 3 + r.nextInt(38);
            Overlay overlay = TestNodes.cycles(n, 2 + 2 * r.nextInt(3), seed);
            Plumtree.Config config = config(r);
            Kept protocol = new Kept(Plumtree.protocol(config), n);
            SimConfig sim = SimConfig.of(seed).withLink(link(r));
            String why = overlay.spec() + " n=" + n + " " + config.spec() + " " + sim + " (case seed " + seed + ")";
            long[] control = new long[1];
            try (SimCluster cluster = new SimCluster(overlay, protocol, sim)) {
                cluster.addObserver(o -> {
                    if (o instanceof Observation.ControlSent) {
                        control[0]++;
                    }
                });
                cluster.start();
                // A concurrent stream from random origins first, so the trees form under contention.
                long id = 0;
                for (int b = 0; b < 30; b++) {
                    int origin = r.nextInt(n);
                    long bid = id++;
                    cluster.at(r.nextLong(50 * MS), () -> cluster.inject(origin, new Message.Inject(bid, new byte[0])));
                }
                cluster.runToQuiescence();
                int origin = r.nextInt(n);
                // Then isolated broadcasts from one origin until one costs exactly n - 1 payload messages.
                long payload = -1;
                for (int k = 0; k < 60 && payload != n - 1; k++) {
                    long sentBefore = cluster.stats().messagesSent();
                    long controlBefore = control[0];
                    cluster.inject(origin, new Message.Inject(id++, new byte[0]));
                    cluster.runToQuiescence();
                    payload = cluster.stats().messagesSent() - sentBefore - (control[0] - controlBefore);
                }
                assertEquals(n - 1, payload, why + ": payload messages of the last broadcast from " + origin);
                assertSpanningTree(protocol.nodes, origin, n, why);
            }
        }
    }

    /** The eager links of the tree of {@code origin}: symmetric, n - 1 of them, every node reachable. */
    private static void assertSpanningTree(Plumtree[] nodes, int origin, int n, String why) {
        Set<Long> edges = new HashSet<>();
        for (int v = 0; v < n; v++) {
            for (int u : nodes[v].eagerPeers(origin)) {
                assertTrue(contains(nodes[u].eagerPeers(origin), v), why + ": " + v + " pushes to " + u
                        + " but " + u + " not to " + v);
                edges.add((long) Math.min(u, v) << 32 | Math.max(u, v));
            }
        }
        assertEquals(n - 1, edges.size(), why + ": eager links " + edges.size());
        boolean[] reached = new boolean[n];
        ArrayDeque<Integer> queue = new ArrayDeque<>(List.of(origin));
        reached[origin] = true;
        int count = 1;
        while (!queue.isEmpty()) {
            int v = queue.poll();
            for (int u : nodes[v].eagerPeers(origin)) {
                if (!reached[u]) {
                    reached[u] = true;
                    count++;
                    queue.add(u);
                }
            }
        }
        assertEquals(n, count, why + ": nodes reached over eager links from " + origin);
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    @Test
    void everyBroadcastIsDeliveredAtMostOncePerIncarnationAndToEveryLiveNodeAfterTheFaults() {
        SplittableRandom master = new SplittableRandom(0x9107_0002L);
        for (int c = 0; c < 12; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 6 + r.nextInt(35);
            Overlay overlay = TestNodes.cycles(n, 4 + 2 * r.nextInt(2), seed);
            Plumtree.Config config = config(r);
            SimConfig sim = SimConfig.of(seed).withLink(link(r));
            String why = overlay.spec() + " n=" + n + " " + config.spec() + " " + sim + " (case seed " + seed + ")";
            int[] incarnation = new int[n];
            Set<String> delivered = new HashSet<>();
            List<String> twice = new ArrayList<>();
            List<Observation.Delivered> all = new ArrayList<>();
            try (SimCluster cluster = new SimCluster(overlay, Plumtree.protocol(config), sim)) {
                cluster.addObserver(o -> {
                    if (o instanceof Observation.Delivered d) {
                        all.add(d);
                        if (!delivered.add(d.node() + "/" + incarnation[d.node()] + "/" + d.id())) {
                            twice.add(d.toString());
                        }
                    }
                });
                cluster.start();
                // Chaos: a stream from random live origins; crashes, restarts and a loss burst at random times.
                long chaosEnd = 300 * MS;
                long id = 0;
                for (int b = 0; b < 60; b++) {
                    long bid = id++;
                    cluster.at(r.nextLong(chaosEnd), () -> {
                        int origin = liveNode(cluster, r.nextInt(n));
                        if (origin >= 0) {
                            cluster.inject(origin, new Message.Inject(bid, new byte[0]));
                        }
                    });
                }
                int crashes = 1 + r.nextInt(Math.max(1, n / 4));
                for (int k = 0; k < crashes; k++) {
                    int v = r.nextInt(n);
                    long at = r.nextLong(chaosEnd);
                    boolean back = r.nextBoolean();
                    long restartAt = at + r.nextLong(chaosEnd - at + 1);
                    cluster.at(at, () -> cluster.crash(v));
                    if (back) {
                        cluster.at(restartAt, () -> {
                            if (!cluster.alive(v)) {
                                incarnation[v]++;
                                cluster.restart(v);
                            }
                        });
                    }
                }
                if (r.nextBoolean()) {
                    double p = 0.01 + r.nextDouble() * 0.1;
                    long at = r.nextLong(chaosEnd / 2);
                    cluster.at(at, () -> cluster.lossBurst(p));
                    cluster.at(at + chaosEnd / 4, () -> cluster.lossBurst(0));
                }
                cluster.runFor(chaosEnd + MS);
                cluster.runToQuiescence();
                assertTrue(twice.isEmpty(), why + ": delivered twice by one incarnation: " + twice);

                // After the faults: every broadcast reaches every live node of its origin's live component.
                boolean[] live = new boolean[n];
                for (int v = 0; v < n; v++) {
                    live[v] = cluster.alive(v);
                }
                long firstCalm = id;
                int calm = 40;
                List<Integer> origins = new ArrayList<>();
                for (int b = 0; b < calm; b++) {
                    int origin = liveNode(cluster, r.nextInt(n));
                    origins.add(origin);
                    long bid = id++;
                    cluster.at(cluster.now() + r.nextLong(200 * MS),
                            () -> cluster.inject(origin, new Message.Inject(bid, new byte[0])));
                }
                cluster.runToQuiescence();
                assertTrue(twice.isEmpty(), why + ": delivered twice by one incarnation: " + twice);
                assertFalse(all.isEmpty(), why + ": no delivery observed");
                for (int b = 0; b < calm; b++) {
                    long bid = firstCalm + b;
                    boolean[] component = liveComponent(overlay, live, origins.get(b));
                    for (int v = 0; v < n; v++) {
                        if (component[v]) {
                            assertTrue(delivered.contains(v + "/" + incarnation[v] + "/" + bid),
                                    why + ": broadcast " + bid + " from " + origins.get(b) + " never reached live node " + v);
                        }
                    }
                }
            }
        }
    }

    /** {@code start} or the next live node after it, or -1 if none is alive. */
    private static int liveNode(SimCluster cluster, int start) {
        int n = cluster.size();
        for (int k = 0; k < n; k++) {
            int v = (start + k) % n;
            if (cluster.alive(v)) {
                return v;
            }
        }
        return -1;
    }

    /** The live nodes reachable from {@code origin} through live nodes. */
    private static boolean[] liveComponent(Overlay overlay, boolean[] live, int origin) {
        int n = overlay.size();
        boolean[] seen = new boolean[n];
        ArrayDeque<Integer> queue = new ArrayDeque<>(List.of(origin));
        seen[origin] = true;
        while (!queue.isEmpty()) {
            int v = queue.poll();
            for (int i = 0; i < overlay.degree(v); i++) {
                int u = overlay.neighbour(v, i);
                if (live[u] && !seen[u]) {
                    seen[u] = true;
                    queue.add(u);
                }
            }
        }
        return seen;
    }

    @Test
    void graftsRepairTheSubtreeOfACrashedInnerNode() {
        SplittableRandom master = new SplittableRandom(0x9107_0003L);
        for (int c = 0; c < 8; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 12 + r.nextInt(40);
            Overlay overlay = TestNodes.cycles(n, 4, seed);
            Plumtree.Config config = new Plumtree.Config(r.nextInt(3) * MS, 0, 10 * MS, 0, r.nextBoolean());
            Kept protocol = new Kept(Plumtree.protocol(config), n);
            String why = overlay.spec() + " n=" + n + " " + config.spec() + " (case seed " + seed + ")";
            List<Observation.Delivered> delivered = new ArrayList<>();
            long[] repairs = new long[1];
            try (SimCluster cluster = new SimCluster(overlay, protocol, SimConfig.of(seed))) {
                cluster.addObserver(o -> {
                    if (o instanceof Observation.Delivered d) {
                        delivered.add(d);
                    } else if (o instanceof Observation.ControlSent s && s.control() == Observation.ControlSent.GRAFT_REPAIR) {
                        repairs[0]++;
                    }
                });
                cluster.start();
                int origin = r.nextInt(n);
                for (long id = 0; id < 3; id++) {
                    cluster.inject(origin, new Message.Inject(id, new byte[0]));
                    cluster.runToQuiescence();
                }
                assertEquals(0, repairs[0], why + ": repairs before any fault");
                // The inner node with the largest subtree below it (its eager links but the one towards the origin).
                int inner = -1;
                int best = 0;
                for (int v = 0; v < n; v++) {
                    int children = protocol.nodes[v].eagerPeers(origin).length - 1;
                    if (v != origin && children > best) {
                        best = children;
                        inner = v;
                    }
                }
                assertTrue(inner >= 0, why + ": the tree has no inner node but the origin");
                cluster.crash(inner);
                boolean[] live = new boolean[n];
                for (int v = 0; v < n; v++) {
                    live[v] = cluster.alive(v);
                }
                boolean[] component = liveComponent(overlay, live, origin);
                for (long id = 3; id < 5; id++) {
                    delivered.clear();
                    long repairsBefore = repairs[0];
                    cluster.inject(origin, new Message.Inject(id, new byte[0]));
                    cluster.runToQuiescence();
                    Set<Integer> reached = new HashSet<>();
                    for (Observation.Delivered d : delivered) {
                        assertTrue(reached.add(d.node()), why + ": node " + d.node() + " delivered " + id + " twice");
                    }
                    for (int v = 0; v < n; v++) {
                        assertEquals(component[v], reached.contains(v), why + ": broadcast " + id + " at node " + v
                                + " after crashing " + inner);
                    }
                    if (id == 3) {
                        assertTrue(repairs[0] > repairsBefore, why + ": no graft repaired the subtree of " + inner);
                    } else {
                        assertEquals(repairsBefore, repairs[0], why + ": the repaired tree needed more repairs");
                    }
                }
            }
        }
    }
}
