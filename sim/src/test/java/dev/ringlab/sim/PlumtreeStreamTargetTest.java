package dev.ringlab.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.Protocols;
import dev.ringlab.node.spec.LinkModel;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Issue 13's steady-stream targets for Plumtree on the simulator: random-regular:4, n = 25, const 100 ms
 * links, a Poisson stream of 100 broadcasts/s from random origins for 20 s, then drained. With batching traded
 * for latency ({@value #BATCHED}, the spec the README documents): reliability 1.0, at most 8 messages per
 * broadcast (announcements, grafts and prunes included), p50 below 1 s and max below 2 s. Unbatched
 * ({@value #UNBATCHED}): at most 30 messages per broadcast, p50 below 300 ms (or, on an overlay whose median
 * node is 3 hops from the origin, no more than the shortest paths give) and max below 500 ms. Each run's
 * seed (overlay, engine and stream) is drawn from a master seed and named in every assertion message.
 */
class PlumtreeStreamTargetTest {
    static final String BATCHED = "plumtree:lazy=500ms,eager=200ms,graft=600ms";
    static final String UNBATCHED = "plumtree:lazy=300ms";
    static final long MS = 1_000_000L;

    /**
     * One run's figures; {@code boundP50Ms} is the p50 that delivery along shortest paths gives (100 ms per hop
     * of the overlay's distances from each broadcast's origin): no protocol delivers sooner.
     */
    record Figures(long broadcasts, double msgsPerOp, double p50Ms, double maxMs, double reliability, double boundP50Ms) {}

    static Figures run(String spec, long seed) {
        int n = 25;
        Overlay overlay = Topologies.build("random-regular:4", n, seed);
        SimConfig config = SimConfig.of(seed).withLink(LinkModel.constant(100 * MS));
        Map<Long, Integer> reached = new HashMap<>();
        long[] latencies = new long[64 * 1024];
        long[] bound = new long[64 * 1024];
        int[] count = new int[1];
        int[] boundCount = new int[1];
        int[][] distance = new int[n][];
        for (int v = 0; v < n; v++) {
            distance[v] = distances(overlay, v);
        }
        try (SimCluster cluster = new SimCluster(overlay, Protocols.parse(spec), config)) {
            cluster.addObserver(o -> {
                if (o instanceof Observation.Delivered d) {
                    reached.merge(d.id(), 1, Integer::sum);
                    if (d.node() != d.origin()) {
                        if (count[0] == latencies.length) {
                            throw new IllegalStateException("more deliveries than the test expects");
                        }
                        latencies[count[0]++] = d.atNanos() - d.sentAtNanos();
                    }
                }
            });
            cluster.start();
            SplittableRandom stream = new SplittableRandom(seed ^ 0x5354_5245_414DL);
            long t = 0;
            long broadcasts = 0;
            while (true) {
                t += Math.round(-Math.log(1 - stream.nextDouble()) * 10 * MS); // mean gap 10 ms: 100/s
                if (t >= 20_000 * MS) {
                    break;
                }
                int origin = stream.nextInt(n);
                long id = broadcasts++;
                for (int v = 0; v < n; v++) {
                    if (v != origin) {
                        bound[boundCount[0]++] = distance[origin][v] * 100 * MS;
                    }
                }
                cluster.at(t, () -> cluster.inject(origin, new Message.Inject(id, new byte[0])));
            }
            cluster.runToQuiescence();
            long[] sorted = Arrays.copyOf(latencies, count[0]);
            Arrays.sort(sorted);
            long[] shortest = Arrays.copyOf(bound, boundCount[0]);
            Arrays.sort(shortest);
            double reliability = 0;
            for (long id = 0; id < broadcasts; id++) {
                reliability += reached.getOrDefault(id, 0) / (double) n;
            }
            return new Figures(broadcasts, cluster.stats().messagesSent() / (double) broadcasts,
                    sorted.length == 0 ? Double.NaN : sorted[(sorted.length + 1) / 2 - 1] / 1e6,
                    sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6, reliability / broadcasts,
                    shortest[(shortest.length + 1) / 2 - 1] / 1e6);
        }
    }

    /** Hops from {@code from} to every node (breadth-first). */
    static int[] distances(Overlay overlay, int from) {
        int[] d = new int[overlay.size()];
        Arrays.fill(d, -1);
        d[from] = 0;
        ArrayDeque<Integer> queue = new ArrayDeque<>(List.of(from));
        while (!queue.isEmpty()) {
            int v = queue.poll();
            for (int i = 0; i < overlay.degree(v); i++) {
                int u = overlay.neighbour(v, i);
                if (d[u] < 0) {
                    d[u] = d[v] + 1;
                    queue.add(u);
                }
            }
        }
        return d;
    }

    private static void check(String spec, long masterSeed, int seeds, double maxMsgs, double p50BelowMs,
            double maxBelowMs) {
        SplittableRandom master = new SplittableRandom(masterSeed);
        for (int k = 0; k < seeds; k++) {
            long seed = master.nextLong();
            Figures f = run(spec, seed);
            String why = spec + " on random-regular:4, n=25, const:100ms, 100/s for 20s, seed " + seed + " (master seed "
                    + masterSeed + "): " + f;
            System.out.println(why);
            assertTrue(f.broadcasts() > 1_800 && f.broadcasts() < 2_200, why + ": broadcasts of a 100/s stream");
            assertEquals(1.0, f.reliability(), 0.0, why + ": reliability");
            assertTrue(f.msgsPerOp() <= maxMsgs, why + ": messages per broadcast above " + maxMsgs);
            // Some overlays of this size put the median node 3 hops from the origin: there no protocol reaches
            // p50 < 300 ms with 100 ms links, and the target is to match the shortest paths.
            assertTrue(f.p50Ms() < p50BelowMs || f.p50Ms() <= f.boundP50Ms(), why + ": p50 neither below " + p50BelowMs
                    + " ms nor the shortest paths' " + f.boundP50Ms() + " ms");
            assertTrue(f.maxMs() < maxBelowMs, why + ": max not below " + maxBelowMs + " ms");
        }
    }

    @Test
    void batchedPlumtreeKeepsToEightMessagesPerBroadcastWithP50UnderOneSecondAndMaxUnderTwo() {
        check(BATCHED, 0x13_BA7C_4EDL, 20, 8, 1_000, 2_000);
    }

    @Test
    void unbatchedPlumtreeKeepsToThirtyMessagesPerBroadcastWithP50Under300MsAndMaxUnder500() {
        check(UNBATCHED, 0x13_0B47_C4EDL, 3, 30, 300, 500);
    }
}
