package dev.ringlab.sim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.HyParView;
import dev.ringlab.node.protocols.Plumtree;
import dev.ringlab.node.spec.LinkModel;
import dev.ringlab.node.spec.LinkModels;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@code hyparview+plumtree} on the simulator: the active views stay within their bounds at every event and
 * become symmetric and connected; after half the nodes crash the survivors' active views are connected again
 * within a bound; under random crashes, restarts and loss every broadcast is delivered at most once per node
 * incarnation and, once the faults are over and the views healed, exactly once to every live node; a run
 * replays exactly from its seed. Each case draws its sizes, links and options from a seed named in every
 * assertion message.
 */
class HyParViewSimTest {
    static final long MS = 1_000_000L;

    /** Hands out the nodes and keeps the current incarnation of each, so a test can look at its views. */
    static final class Kept implements Protocol {
        final Protocol inner;
        final HyParView[] nodes;

        Kept(Protocol inner, int n) {
            this.inner = inner;
            this.nodes = new HyParView[n];
        }

        @Override
        public String spec() {
            return inner.spec();
        }

        @Override
        public Node create(int id, Overlay overlay) {
            HyParView p = (HyParView) inner.create(id, overlay);
            nodes[id] = p;
            return p;
        }
    }

    static HyParView.Config config(SplittableRandom r) {
        long hb = (5 + r.nextInt(30)) * MS;
        long suspect = hb * (3 + r.nextInt(3));
        Plumtree.Config p = new Plumtree.Config(r.nextInt(4) * MS, r.nextInt(3) == 0 ? r.nextInt(1, 4) * MS : 0,
                (20 + r.nextInt(30)) * MS, r.nextInt(4), r.nextBoolean());
        int arwl = 2 + r.nextInt(5);
        return new HyParView.Config(3 + r.nextInt(4), 8 + r.nextInt(25), arwl, r.nextInt(arwl + 1), 1 + r.nextInt(3),
                1 + r.nextInt(4), (100 + r.nextInt(400)) * MS, hb, suspect, Math.max(suspect, 300 * MS), p);
    }

    static LinkModel link(SplittableRandom r) {
        return r.nextBoolean() ? LinkModel.constant(MS) : LinkModels.uniform(MS, 5 * MS);
    }

    /**
     * The bounds that hold at every event: view sizes, no self, active and passive disjoint. Checks one node per
     * call, round robin ({@code next}): after every event, every node is still checked thousands of times a run.
     */
    static void checkBounds(SimCluster cluster, HyParView[] nodes, HyParView.Config c, int[] next, String why) {
        int v = next[0];
        next[0] = (v + 1) % nodes.length;
        next[1]++;
        if (cluster.alive(v)) {
            int[] a = nodes[v].activeView();
            int[] p = nodes[v].passiveView();
            if (a.length > c.active() || p.length > c.passive()) {
                throw new AssertionError(why + ": node " + v + " views " + Arrays.toString(a) + " / " + Arrays.toString(p));
            }
            for (int u : a) {
                if (u == v || Arrays.binarySearch(p, u) >= 0) {
                    throw new AssertionError(why + ": node " + v + " has " + u + " in its active view and itself or passive");
                }
            }
            if (Arrays.binarySearch(p, v) >= 0) {
                throw new AssertionError(why + ": node " + v + " in its own passive view");
            }
        }
    }

    /** True if every live node's live active neighbours list it back and the live nodes' active views are connected. */
    static boolean symmetricAndConnected(SimCluster cluster, HyParView[] nodes) {
        int n = nodes.length;
        int live = 0;
        int start = -1;
        for (int v = 0; v < n; v++) {
            if (!cluster.alive(v)) {
                continue;
            }
            live++;
            start = start < 0 ? v : start;
            for (int u : nodes[v].activeView()) {
                if (!cluster.alive(u) || Arrays.binarySearch(nodes[u].activeView(), v) < 0) {
                    return false;
                }
            }
        }
        return live > 0 && reached(cluster, nodes, start) == live;
    }

    /** True if the live nodes' active views, taken both ways, form one connected graph. */
    static boolean connected(SimCluster cluster, HyParView[] nodes) {
        int live = 0;
        int start = -1;
        for (int v = 0; v < nodes.length; v++) {
            if (cluster.alive(v)) {
                live++;
                start = start < 0 ? v : start;
            }
        }
        return live > 0 && reached(cluster, nodes, start) == live;
    }

    private static int reached(SimCluster cluster, HyParView[] nodes, int start) {
        int n = nodes.length;
        List<List<Integer>> adj = new ArrayList<>();
        for (int v = 0; v < n; v++) {
            adj.add(new ArrayList<>());
        }
        for (int v = 0; v < n; v++) {
            if (cluster.alive(v)) {
                for (int u : nodes[v].activeView()) {
                    if (cluster.alive(u)) {
                        adj.get(v).add(u);
                        adj.get(u).add(v);
                    }
                }
            }
        }
        boolean[] seen = new boolean[n];
        int[] queue = new int[n];
        int head = 0;
        int tail = 0;
        queue[tail++] = start;
        seen[start] = true;
        while (head < tail) {
            for (int u : adj.get(queue[head++])) {
                if (!seen[u]) {
                    seen[u] = true;
                    queue[tail++] = u;
                }
            }
        }
        return tail;
    }

    @Test
    void activeViewsStayBoundedAndBecomeSymmetricAndConnected() {
        SplittableRandom master = new SplittableRandom(0x4B9_1001L);
        for (int c = 0; c < 6; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 4 + r.nextInt(45);
            Overlay overlay = Topologies.build("complete", n, seed);
            HyParView.Config config = config(r);
            Kept protocol = new Kept(HyParView.protocol(config), n);
            SimConfig sim = SimConfig.of(seed).withLink(link(r));
            String why = "n=" + n + " " + config.spec() + " " + sim + " (case seed " + seed + ")";
            try (SimCluster cluster = new SimCluster(overlay, protocol, sim)) {
                int[] next = {0, 0};
                cluster.addInvariant(() -> checkBounds(cluster, protocol.nodes, config, next, why));
                cluster.start();
                assertTrue(await(cluster, () -> symmetricAndConnected(cluster, protocol.nodes), 10_000 * MS),
                        why + ": active views not symmetric and connected within 10 s");
                // And they stay connected: sampled over a few shuffle periods.
                for (int k = 0; k < 10; k++) {
                    cluster.runFor(config.shuffleNanos() / 2);
                    assertTrue(connected(cluster, protocol.nodes), why + ": disconnected at " + cluster.now());
                }
                assertTrue(next[1] > 0, why + ": the bounds were never checked");
                int edges = 0;
                for (int v = 0; v < n; v++) {
                    assertArrayEquals(protocol.nodes[v].activeView(), protocol.nodes[v].broadcastPeers(),
                            why + ": plumtree's peers at " + v);
                    edges += protocol.nodes[v].activeView().length;
                }
                assertTrue(edges >= 2 * (n - 1), why + ": " + edges / 2 + " active links for " + n + " nodes");
            }
        }
    }

    @Test
    void afterHalfTheNodesCrashTheSurvivorsActiveViewsReconnectWithinABound() {
        SplittableRandom master = new SplittableRandom(0x4B9_1002L);
        for (int c = 0; c < 5; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 40 + r.nextInt(80);
            Overlay overlay = Topologies.build("complete", n, seed);
            HyParView.Config config = config(r);
            Kept protocol = new Kept(HyParView.protocol(config), n);
            SimConfig sim = SimConfig.of(seed).withLink(link(r));
            String why = "n=" + n + " " + config.spec() + " " + sim + " (case seed " + seed + ")";
            try (SimCluster cluster = new SimCluster(overlay, protocol, sim)) {
                cluster.start();
                assertTrue(await(cluster, () -> symmetricAndConnected(cluster, protocol.nodes), 10_000 * MS), why);
                cluster.runFor(2 * config.shuffleNanos()); // passive views fill
                int k = n / 2;
                for (int crashed = 0; crashed < k; ) {
                    int v = r.nextInt(n);
                    if (cluster.alive(v)) {
                        cluster.crash(v);
                        crashed++;
                    }
                }
                long crashAt = cluster.now();
                // The bound: a few suspicion timeouts and shuffle periods, far above what the runs take.
                long bound = 10 * config.suspectNanos() + 4 * config.shuffleNanos();
                assertTrue(await(cluster, () -> symmetricAndConnected(cluster, protocol.nodes), bound),
                        why + ": survivors not reconnected within " + bound / MS + " ms");
                assertTrue(cluster.now() > crashAt, why);
            }
        }
    }

    @Test
    void everyBroadcastReachesEveryLiveNodeExactlyOnceOnceTheFaultsAreOver() {
        SplittableRandom master = new SplittableRandom(0x4B9_1003L);
        for (int c = 0; c < 8; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 6 + r.nextInt(35);
            Overlay overlay = Topologies.build("complete", n, seed);
            HyParView.Config config = config(r);
            Kept protocol = new Kept(HyParView.protocol(config), n);
            SimConfig sim = SimConfig.of(seed).withLink(link(r));
            String why = "n=" + n + " " + config.spec() + " " + sim + " (case seed " + seed + ")";
            int[] incarnation = new int[n];
            Set<String> delivered = new HashSet<>();
            List<String> twice = new ArrayList<>();
            try (SimCluster cluster = new SimCluster(overlay, protocol, sim)) {
                cluster.addObserver(o -> {
                    if (o instanceof Observation.Delivered d
                            && !delivered.add(d.node() + "/" + incarnation[d.node()] + "/" + d.id())) {
                        twice.add(d.toString());
                    }
                });
                cluster.start();
                cluster.runFor(1_000 * MS);
                // Chaos: a stream from random live origins; crashes, restarts and a loss burst at random times.
                long t0 = cluster.now();
                long chaosEnd = 500 * MS;
                long id = 0;
                for (int b = 0; b < 60; b++) {
                    long bid = id++;
                    cluster.at(t0 + r.nextLong(chaosEnd), () -> {
                        int origin = liveNode(cluster, r.nextInt(n));
                        if (origin >= 0) {
                            cluster.inject(origin, new Message.Inject(bid, new byte[0]));
                        }
                    });
                }
                int crashes = 1 + r.nextInt(Math.max(1, n / 3));
                for (int k = 0; k < crashes; k++) {
                    int v = r.nextInt(n);
                    long at = t0 + r.nextLong(chaosEnd);
                    long restartAt = at + r.nextLong(t0 + chaosEnd - at + 1);
                    cluster.at(at, () -> cluster.crash(v));
                    if (r.nextBoolean()) {
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
                    long at = t0 + r.nextLong(chaosEnd / 2);
                    cluster.at(at, () -> cluster.lossBurst(p));
                    cluster.at(at + chaosEnd / 4, () -> cluster.lossBurst(0));
                }
                cluster.runFor(chaosEnd + MS);
                assertTrue(liveNode(cluster, 0) >= 0, why + ": no live node left");
                assertTrue(await(cluster, () -> symmetricAndConnected(cluster, protocol.nodes), 20_000 * MS),
                        why + ": views not healed after the faults");
                assertTrue(twice.isEmpty(), why + ": delivered twice by one incarnation: " + twice);

                long firstCalm = id;
                int calm = 30;
                for (int b = 0; b < calm; b++) {
                    int origin = liveNode(cluster, r.nextInt(n));
                    long bid = id++;
                    cluster.at(cluster.now() + r.nextLong(200 * MS),
                            () -> cluster.inject(origin, new Message.Inject(bid, new byte[0])));
                }
                cluster.runFor(200 * MS + 20 * config.plumtree().graftTimeoutNanos());
                assertTrue(twice.isEmpty(), why + ": delivered twice by one incarnation: " + twice);
                int checked = 0;
                for (long bid = firstCalm; bid < id; bid++) {
                    for (int v = 0; v < n; v++) {
                        if (cluster.alive(v)) {
                            assertTrue(delivered.contains(v + "/" + incarnation[v] + "/" + bid),
                                    why + ": broadcast " + bid + " never reached live node " + v);
                            checked++;
                        }
                    }
                }
                assertTrue(checked >= calm, why + ": checked " + checked);
            }
        }
    }

    @Test
    void aRunReplaysExactlyFromItsSeed() {
        long[] hashes = new long[2];
        for (int i = 0; i < 2; i++) {
            Overlay overlay = Topologies.build("complete", 60, 5);
            try (SimCluster cluster = new SimCluster(overlay, HyParView.protocol(HyParView.Config.defaults()),
                    SimConfig.of(5).withLink(LinkModels.uniform(MS, 5 * MS)))) {
                cluster.start();
                cluster.runFor(1_500 * MS);
                for (int v = 0; v < 20; v++) {
                    cluster.crash(v * 3);
                }
                cluster.inject(1, new Message.Inject(1, new byte[0]));
                cluster.runFor(1_500 * MS);
                hashes[i] = cluster.traceHash().orElseThrow();
            }
        }
        assertEquals(hashes[0], hashes[1]);
        assertFalse(hashes[0] == 0);
    }

    /**
     * Runs until {@code condition} holds, checked every 10 ms of virtual time (the check walks every view, too
     * costly after each event), for at most {@code timeoutNanos}; true if it held.
     */
    static boolean await(SimCluster cluster, java.util.function.BooleanSupplier condition, long timeoutNanos) {
        long end = cluster.now() + timeoutNanos;
        while (!condition.getAsBoolean()) {
            if (cluster.now() >= end) {
                return false;
            }
            cluster.runFor(Math.min(10 * MS, end - cluster.now()));
        }
        return true;
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
}
