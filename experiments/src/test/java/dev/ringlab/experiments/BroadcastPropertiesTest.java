package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.Message;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.Protocols;
import dev.ringlab.node.spec.Durations;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.sim.SimEngine;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Seeded property tests of the broadcast protocols on the simulator: each test draws many cases
 * (topology, size, seed, origin, latency) from a master seed with {@link SplittableRandom}; a failing
 * assertion names the case so it replays alone.
 */
class BroadcastPropertiesTest {
    private static final long MASTER_SEED = 20261125L;
    private static final List<String> PROTOCOLS = List.of("ring", "flood", "gossip:2", "gossip:4", "tree",
            "batched:1ms", "batched:0ms");

    /** One simulated run: the metrics and the trace hash. */
    record Outcome(BroadcastMetrics.Result result, long traceHash) {}

    /** A topology spec and a size it accepts, drawn from {@code r}. */
    record Shape(String spec, int n) {
        Overlay build(long seed) {
            return Topologies.build(spec, n, seed);
        }

        @Override
        public String toString() {
            return spec + " n=" + n;
        }
    }

    static Shape shape(SplittableRandom r) {
        return switch (r.nextInt(8)) {
            case 0 -> new Shape("ring", 2 + r.nextInt(60));
            case 1 -> new Shape("biring", 3 + r.nextInt(60));
            case 2 -> new Shape("chordal:" + (1 + r.nextInt(4)), 8 + r.nextInt(120));
            case 3 -> {
                int d = 3 + r.nextInt(6);
                int n = d + 1 + r.nextInt(200);
                yield new Shape("random-regular:" + d, (n * d) % 2 == 0 ? n : n + 1);
            }
            case 4 -> {
                int m = 2 + r.nextInt(12);
                yield new Shape("margulis", m * m); // multi-edges and self-loops
            }
            case 5 -> new Shape("hypercube", 1 << (1 + r.nextInt(8)));
            case 6 -> new Shape("paley", new int[] {5, 13, 17, 29, 37, 41, 53, 61}[r.nextInt(8)]);
            default -> new Shape("complete", 2 + r.nextInt(40));
        };
    }

    /** Whether {@code protocol} accepts {@code overlay} ({@link Protocol#checkOverlay}). */
    static boolean fits(String protocol, Overlay overlay) {
        try {
            Protocols.parse(protocol).checkOverlay(overlay);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** One broadcast from {@code origin}, run until the simulator is quiescent. */
    static Outcome single(Overlay overlay, String protocol, long seed, int origin, String latency) {
        Protocol p = Protocols.parse(protocol);
        try (Cluster c = new SimEngine().build(RunSpec.of(overlay, p, seed).withLatency(latency))) {
            BroadcastMetrics metrics = new BroadcastMetrics(overlay.size());
            c.addObserver(metrics);
            c.start();
            metrics.injected(0, origin, c.now());
            c.inject(origin, new Message.Inject(0, new byte[8]));
            assertTrue(c.settle(60_000_000_000L).quiet(), "did not settle");
            return new Outcome(metrics.result(c.stats(), c::alive, 1), c.traceHash().orElseThrow());
        }
    }

    /** A Poisson stream at {@code ratePerS} for {@code durationNanos} from random origins, then drained. */
    static BroadcastMetrics.Result stream(Overlay overlay, String protocol, long seed, double ratePerS,
            long durationNanos) {
        Protocol p = Protocols.parse(protocol);
        try (Cluster c = new SimEngine().build(RunSpec.of(overlay, p, seed).withLatency("const:1ms"))) {
            BroadcastMetrics metrics = new BroadcastMetrics(overlay.size());
            c.addObserver(metrics);
            c.start();
            SplittableRandom load = new SplittableRandom(seed);
            long t = 0;
            int id = 0;
            while (true) {
                t += Math.round(-Math.log(1 - load.nextDouble()) * 1e9 / ratePerS);
                if (t >= durationNanos) {
                    break;
                }
                int origin = load.nextInt(overlay.size());
                long bid = id++;
                c.at(t, () -> {
                    metrics.injected(bid, origin, c.now());
                    c.inject(origin, new Message.Inject(bid, new byte[8]));
                });
            }
            c.runFor(durationNanos);
            assertTrue(c.settle(60_000_000_000L).quiet(), "did not settle");
            return metrics.result(c.stats(), c::alive, 1);
        }
    }

    /** Nodes reachable from {@code origin} along the overlay's arcs (an independent BFS). */
    static int reachable(Overlay o, int origin) {
        boolean[] seen = new boolean[o.size()];
        int[] queue = new int[o.size()];
        int head = 0;
        int tail = 0;
        seen[origin] = true;
        queue[tail++] = origin;
        while (head < tail) {
            int v = queue[head++];
            for (int u : o.neighbours(v)) {
                if (!seen[u]) {
                    seen[u] = true;
                    queue[tail++] = u;
                }
            }
        }
        return tail;
    }

    /** Eccentricity of node 0 on a connected undirected overlay: the depth of the BFS tree from 0. */
    static int eccentricityOfNode0(Overlay o) {
        int[] dist = new int[o.size()];
        Arrays.fill(dist, -1);
        int[] queue = new int[o.size()];
        int head = 0;
        int tail = 0;
        dist[0] = 0;
        queue[tail++] = 0;
        int max = 0;
        while (head < tail) {
            int v = queue[head++];
            max = Math.max(max, dist[v]);
            for (int u : o.neighbours(v)) {
                if (dist[u] < 0) {
                    dist[u] = dist[v] + 1;
                    queue[tail++] = u;
                }
            }
        }
        return max;
    }

    @Test
    void sameSeedGivesTheSameTraceHashAndMetrics() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED);
        for (int i = 0; i < 60; i++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            Shape shape = shape(r);
            String protocol = PROTOCOLS.get(r.nextInt(PROTOCOLS.size()));
            String latency = r.nextBoolean() ? "const:1ms" : "uniform:100us,3ms";
            int origin = r.nextInt(shape.n());
            String why = "case seed " + seed + ": " + shape + " " + protocol + " " + latency + " origin " + origin;
            if (!fits(protocol, shape.build(seed))) {
                continue; // the ring pass refuses overlays without the arcs v -> v+1 (Protocol.checkOverlay)
            }
            Outcome a = single(shape.build(seed), protocol, seed, origin, latency);
            Outcome b = single(shape.build(seed), protocol, seed, origin, latency);
            assertEquals(a.traceHash(), b.traceHash(), why);
            assertEquals(a.result(), b.result(), why);
        }
    }

    @Test
    void floodReachesExactlyTheNodesReachableFromTheOrigin() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED + 1);
        for (int i = 0; i < 80; i++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            Shape shape = shape(r);
            Overlay overlay = shape.build(seed);
            int origin = r.nextInt(shape.n());
            String why = "case seed " + seed + ": " + shape + " origin " + origin;
            BroadcastMetrics.Result res = single(overlay, "flood", seed, origin, "uniform:100us,2ms").result();
            assertEquals((double) reachable(overlay, origin) / shape.n(), res.reliability(), 1e-12, why);
            // Each node sends at most once to each distinct peer, so never more messages than arcs.
            assertTrue(res.messages() <= overlay.arcs(), why + ": " + res.messages() + " messages > " + overlay.arcs() + " arcs");
        }
    }

    @Test
    void floodReportsReliabilityBelowOneOnADisconnectedGraph() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED + 2);
        for (int i = 0; i < 40; i++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            // Two disjoint random 4-regular graphs side by side: ids 0..a-1 and a..a+b-1.
            int a = 2 * (3 + r.nextInt(40));
            int b = 2 * (3 + r.nextInt(40));
            Overlay left = Topologies.build("random-regular:4", a, seed);
            Overlay right = Topologies.build("random-regular:4", b, seed + 1);
            int[][] adj = new int[a + b][];
            for (int v = 0; v < a; v++) {
                adj[v] = left.neighbours(v);
            }
            for (int v = 0; v < b; v++) {
                adj[a + v] = Arrays.stream(right.neighbours(v)).map(u -> u + a).toArray();
            }
            Overlay two = Overlay.fromAdjacency("two-components", false, adj);
            int origin = r.nextInt(a + b);
            int component = origin < a ? a : b;
            for (String protocol : List.of("flood", "tree", "batched:1ms")) {
                BroadcastMetrics.Result res = single(two, protocol, seed, origin, "const:1ms").result();
                String why = "case seed " + seed + ": " + protocol + " components " + a + "+" + b + " origin " + origin;
                assertEquals((double) component / (a + b), res.reliability(), 1e-12, why);
                assertTrue(res.reliability() < 1, why);
            }
        }
    }

    @Test
    void ringPassDeliversLastExactlyNMinusOneLinkLatenciesAfterTheSend() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED + 3);
        for (int i = 0; i < 60; i++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 2 + r.nextInt(400);
            long latencyNanos = 1_000L * (1 + r.nextInt(5_000));
            String latency = "const:" + Durations.format(latencyNanos);
            int origin = r.nextInt(n);
            String why = "case seed " + seed + ": ring n=" + n + " latency " + latency + " origin " + origin;
            BroadcastMetrics.Result res = single(Topologies.build("ring", n, seed), "ring", seed, origin, latency).result();
            assertEquals((n - 1) * latencyNanos / 1e6, res.latencyMsMax(), 1e-9, why);
            assertEquals(n - 1, res.lastDeliveryHop(), why);
            assertEquals(n - 1, res.messages(), why);
            assertEquals(1.0, res.reliability(), why);
        }
    }

    @Test
    void gossipReachesMoreNodesAsFanoutGrows() {
        int[] fanouts = {1, 2, 3, 5};
        double[] mean = new double[fanouts.length];
        SplittableRandom master = new SplittableRandom(MASTER_SEED + 4);
        int runs = 25;
        long[] seeds = new long[runs];
        for (int k = 0; k < runs; k++) {
            seeds[k] = master.nextLong();
        }
        for (int f = 0; f < fanouts.length; f++) {
            for (long seed : seeds) {
                Overlay overlay = Topologies.build("random-regular:8", 256, seed);
                mean[f] += single(overlay, "gossip:" + fanouts[f], seed, (int) Math.floorMod(seed, 256L), "const:1ms")
                        .result().reliability() / runs;
            }
        }
        for (int f = 1; f < fanouts.length; f++) {
            assertTrue(mean[f] > mean[f - 1], "mean reliability over " + runs + " seeds (master " + MASTER_SEED + 4
                    + ") did not grow from fanout " + fanouts[f - 1] + " to " + fanouts[f] + ": " + Arrays.toString(mean));
        }
    }

    @Test
    void treeAndBatchedReachEveryNodeWithFewerMessagesThanFlood() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED + 5);
        int checked = 0;
        int strict = 0;
        while (checked < 50) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            Shape shape = shape(r);
            Overlay overlay = shape.build(seed);
            int origin = r.nextInt(shape.n());
            if (reachable(overlay, origin) != shape.n() || shape.spec().equals("ring") || shape.n() < 4) {
                continue; // the claim is about connected overlays with a choice of paths
            }
            checked++;
            String why = "case seed " + seed + ": " + shape + " origin " + origin;
            BroadcastMetrics.Result flood = single(overlay, "flood", seed, origin, "uniform:100us,2ms").result();
            BroadcastMetrics.Result tree = single(overlay, "tree", seed, origin, "uniform:100us,2ms").result();
            BroadcastMetrics.Result batched = single(overlay, "batched:1ms", seed, origin, "uniform:100us,2ms").result();
            assertEquals(1.0, tree.reliability(), why);
            assertEquals(1.0, batched.reliability(), why);
            assertEquals(shape.n() - 1, tree.messages(), "tree sends one message per tree edge: " + why);
            assertTrue(batched.messages() <= shape.n() - 1 + eccentricityOfNode0(overlay),
                    "batched sends at most depth up plus n - 1 down: " + why);
            assertTrue(tree.messages() <= flood.messages(), why + ": tree " + tree.messages() + " vs flood " + flood.messages());
            // With every node of degree >= 3, flood sends >= 2n messages while batched sends at most
            // n - 1 + depth: strictly fewer. On a cycle a single batched broadcast pays its climb to the
            // root on top of n - 1 and may exceed flood's n + 1, so the strict claim needs the degree.
            if (minDistinctDegree(overlay) >= 3) {
                assertTrue(tree.messages() < flood.messages(), why + ": tree " + tree.messages() + " vs flood " + flood.messages());
                assertTrue(batched.messages() < flood.messages(),
                        why + ": batched " + batched.messages() + " vs flood " + flood.messages());
                strict++;
            }
        }
        assertTrue(strict >= 20, "too few cases with degree >= 3 to mean anything: " + strict);
    }

    static int minDistinctDegree(Overlay o) {
        int min = Integer.MAX_VALUE;
        for (int v = 0; v < o.size(); v++) {
            final int self = v;
            min = Math.min(min, (int) Arrays.stream(o.neighbours(v)).filter(u -> u != self).distinct().count());
        }
        return min;
    }

    @Test
    void batchedSendsFewerMessagesPerBroadcastAsTheRateRisesWithBoundedLatency() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED + 6);
        for (int i = 0; i < 3; i++) {
            long seed = master.nextLong();
            Overlay overlay = Topologies.build("random-regular:8", 256, seed);
            int depth = eccentricityOfNode0(overlay);
            long windowNanos = 2_000_000L;
            // Bound: W at the root plus at most depth links up and depth links down, 1 ms each.
            double boundMs = (windowNanos + 2L * depth * 1_000_000L) / 1e6;
            double previous = Double.POSITIVE_INFINITY;
            List<String> seen = new ArrayList<>();
            for (double rate : new double[] {100, 1_000, 10_000}) {
                BroadcastMetrics.Result res = stream(overlay, "batched:2ms", seed, rate, 400_000_000L);
                String why = "case seed " + seed + " rate " + rate + ": " + seen;
                seen.add(rate + "/s: " + res.msgsPerOp() + " msgs/op, p99 " + res.latencyMsP99() + " ms");
                assertEquals(1.0, res.reliability(), why);
                assertTrue(res.msgsPerOp() < previous, "msgs/op did not fall: " + seen + " (" + why + ")");
                assertTrue(res.latencyMsP99() <= boundMs && res.latencyMsMax() <= boundMs,
                        "latency above W + 2·depth·L = " + boundMs + " ms: " + seen + " (" + why + ")");
                previous = res.msgsPerOp();
            }
        }
    }
}
