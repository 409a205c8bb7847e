package dev.ringlab.sim;

import dev.ringlab.node.spec.LinkModel;
import dev.ringlab.node.spec.LinkModels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Env;
import dev.ringlab.node.ForwardingEnv;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.DelaySpec;
import dev.ringlab.node.protocols.Station;
import dev.ringlab.node.protocols.StationSpec;
import dev.ringlab.node.protocols.TokenCensus;
import dev.ringlab.node.protocols.TokenRing;
import dev.ringlab.topology.Overlay;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The particle on the simulator: exact periods, station holds, ticks, one token, latency estimates. */
class TokenRingSimTest {
    private static final long MASTER_SEED = 0x70C3_2024L;
    private static final long MS = 1_000_000L;

    static Overlay ring(int n) {
        int[][] adj = new int[n][];
        for (int v = 0; v < n; v++) {
            adj[v] = new int[] {(v + 1) % n};
        }
        return Overlay.fromAdjacency("ring", true, adj);
    }

    static Overlay biring(int n) {
        int[][] adj = new int[n][];
        for (int v = 0; v < n; v++) {
            adj[v] = new int[] {(v + n - 1) % n, (v + 1) % n};
        }
        return Overlay.fromAdjacency("biring", false, adj);
    }

    /** A started run with a census checked after every event and every observation recorded. */
    static final class Run {
        final SimCluster cluster;
        final TokenCensus census;
        final List<Observation> seen = new ArrayList<>();
        long rotationsCompleted;

        Run(Overlay overlay, Protocol protocol, SimConfig config) {
            census = new TokenCensus(protocol);
            cluster = new SimCluster(overlay, census, config);
            cluster.addInvariant(census::check);
            cluster.addObserver(o -> {
                seen.add(o);
                if (o instanceof Observation.RotationCompleted) {
                    rotationsCompleted++;
                }
            });
            cluster.start();
        }

        Run rotations(long k) {
            boolean done = cluster.runUntil(() -> rotationsCompleted >= k, 3_600_000 * MS);
            assertTrue(done, "only " + rotationsCompleted + " of " + k + " rotations (seed " + cluster.config().seed() + ")");
            return this;
        }

        <T extends Observation> List<T> all(Class<T> type) {
            List<T> out = new ArrayList<>();
            for (Observation o : seen) {
                if (type.isInstance(o)) {
                    out.add(type.cast(o));
                }
            }
            return out;
        }
    }

    @Test
    void rotationPeriodIsExactlyNTimesTheConstantLinkLatency() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED);
        for (int c = 0; c < 40; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 2 + r.nextInt(40);
            long latencyNanos = 1 + r.nextLong(5 * MS);
            Overlay overlay = r.nextBoolean() ? ring(n) : biring(n);
            Run run = new Run(overlay, TokenRing.protocol(),
                    SimConfig.of(seed).withLink(LinkModel.constant(latencyNanos))).rotations(10);
            List<Observation.RotationCompleted> rotations = run.all(Observation.RotationCompleted.class);
            assertEquals(10, rotations.size(), "seed " + seed);
            for (Observation.RotationCompleted rc : rotations) {
                assertEquals(n * latencyNanos, rc.periodNanos(),
                        "rotation " + rc.rotation() + " on " + overlay.spec() + " n=" + n + " L=" + latencyNanos + "ns, seed "
                                + seed);
            }
            for (Observation.TokenArrived a : run.all(Observation.TokenArrived.class)) {
                assertEquals(latencyNanos, a.hopNanos(), "seed " + seed);
            }
        }
    }

    @Test
    void aDelayStationAtOneNodeAddsExactlyItsDelayToEveryRotation() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED + 1);
        for (int c = 0; c < 40; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 2 + r.nextInt(30);
            int at = r.nextInt(n); // the origin included: its hold is inside the rotation too
            long latencyNanos = 1 + r.nextLong(3 * MS);
            long delayNanos = 1 + r.nextLong(10 * MS);
            Run run = new Run(ring(n), TokenRing.protocol(List.of(new StationSpec(at, DelaySpec.fixed(delayNanos)))),
                    SimConfig.of(seed).withLink(LinkModel.constant(latencyNanos))).rotations(8);
            for (Observation.RotationCompleted rc : run.all(Observation.RotationCompleted.class)) {
                assertEquals(n * latencyNanos + delayNanos, rc.periodNanos(),
                        "station at " + at + ", n=" + n + ", seed " + seed);
            }
            for (Observation.TokenPassed p : run.all(Observation.TokenPassed.class)) {
                assertEquals(p.node() == at ? delayNanos : 0, p.heldNanos(), "node " + p.node() + ", seed " + seed);
            }
        }
    }

    @Test
    void stationsOnEveryNodeAddTheirDelaysOnce() {
        int n = 5;
        Run run = new Run(ring(n),
                TokenRing.protocol(List.of(StationSpec.parse("delay:2ms@*"), StationSpec.parse("delay:3ms@4"))),
                SimConfig.of(7).withLink(LinkModel.constant(MS))).rotations(4);
        for (Observation.RotationCompleted rc : run.all(Observation.RotationCompleted.class)) {
            assertEquals(n * MS + n * 2 * MS + 3 * MS, rc.periodNanos());
        }
    }

    @Test
    void everyNodeTicksOncePerRotationAndAllNodesAgreeOnTheCount() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED + 2);
        for (int c = 0; c < 30; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 2 + r.nextInt(25);
            int k = 1 + r.nextInt(20);
            Run run = new Run(ring(n),
                    TokenRing.protocol(List.of(StationSpec.parse("delay:uniform:0ms,2ms@" + r.nextInt(n)))),
                    SimConfig.of(seed).withLink(LinkModels.uniform(100_000, 4 * MS))).rotations(k);
            Map<Integer, List<Observation.Tick>> byNode = new HashMap<>();
            for (Observation.Tick t : run.all(Observation.Tick.class)) {
                byNode.computeIfAbsent(t.node(), v -> new ArrayList<>()).add(t);
            }
            for (int v = 0; v < n; v++) {
                List<Observation.Tick> ticks = byNode.get(v);
                // The origin has already started rotation k + 1 when rotation k completes.
                int expected = v == TokenRing.ORIGIN ? k + 1 : k;
                assertEquals(expected, ticks.size(), "node " + v + ", seed " + seed);
                for (int i = 0; i < ticks.size(); i++) {
                    assertEquals(i + 1, ticks.get(i).tick(), "node " + v + " tick #" + i + ", seed " + seed);
                }
                if (v > 0) {
                    for (int i = 0; i < k; i++) {
                        assertTrue(byNode.get(v - 1).get(i).atNanos() <= ticks.get(i).atNanos(),
                                "tick " + (i + 1) + " reached node " + v + " before node " + (v - 1) + ", seed " + seed);
                    }
                }
            }
        }
    }

    @Test
    void exactlyOneTokenExistsAfterEveryEvent() {
        SplittableRandom master = new SplittableRandom(MASTER_SEED + 3);
        for (int c = 0; c < 30; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 2 + r.nextInt(30);
            Run run = new Run(ring(n),
                    TokenRing.protocol(List.of(StationSpec.parse("delay:uniform:0ms,1ms@*"))),
                    SimConfig.of(seed).withLink(LinkModels.lognormal(MS, 0.8))).rotations(5);
            // One delivery per hop plus one hold timer per visit: the census ran after each of them.
            long hops = run.all(Observation.TokenArrived.class).size();
            assertTrue(run.census.checks() >= hops && hops >= 5L * n, "checks " + run.census.checks() + " for " + hops
                    + " hops, seed " + seed);
            assertEquals(1, run.census.tokens(), "seed " + seed);
        }
    }

    @Test
    void theCensusCatchesANodeThatDuplicatesTheToken() {
        // Node 2 sends every token twice: the invariant must fail at that very event, not at the end.
        Protocol ring = TokenRing.protocol();
        Protocol duplicating = new Protocol() {
            @Override
            public String spec() {
                return "token-duplicating-at-2";
            }

            @Override
            public Node create(int id, Overlay overlay) {
                Node inner = ring.create(id, overlay);
                return new Node() {
                    @Override
                    public void start(Env env) {
                        inner.start(id != 2 ? env : new ForwardingEnv(env) {
                            @Override
                            public void send(int to, Message m) {
                                super.send(to, m);
                                super.send(to, m);
                            }
                        });
                    }

                    @Override
                    public void onMessage(int from, Message m) {
                        inner.onMessage(from, m);
                    }
                };
            }
        };
        TokenCensus census = new TokenCensus(duplicating);
        SimCluster cluster = new SimCluster(ring(6), census, SimConfig.of(3));
        cluster.addInvariant(census::check);
        cluster.start();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> cluster.runFor(100 * MS));
        assertTrue(e.getMessage().contains("invariant violated at t=2000000ns"), e.getMessage());
        assertTrue(e.getMessage().contains("node 2 sent a token it did not hold"), e.getMessage());
    }

    @Test
    void rotationEstimateMatchesMeasuredHopLatencyUnderRandomLatencies() {
        // Stated tolerance: each node's rotation-frequency estimate is exactly the mean of the hops the
        // token measured inside that cycle (integer nanoseconds, floor), and the run-wide mean estimate is
        // within 1% of the run-wide mean measured hop (the windows weigh hops near the ends of the run a
        // little less). Uniform and log-normal links, random station holds that the estimate subtracts.
        SplittableRandom master = new SplittableRandom(MASTER_SEED + 4);
        for (int c = 0; c < 24; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 3 + r.nextInt(30);
            LinkModel link = c % 2 == 0 ? LinkModels.uniform(MS / 2, 5 * MS) : LinkModels.lognormal(2 * MS, 0.6);
            Run run = new Run(ring(n), TokenRing.protocol(List.of(StationSpec.parse("delay:uniform:0ms,3ms@*"))),
                    SimConfig.of(seed).withLink(link)).rotations(60);
            Map<Long, Long> hopNanosByHop = new HashMap<>();
            double hopSum = 0;
            for (Observation.TokenArrived a : run.all(Observation.TokenArrived.class)) {
                hopNanosByHop.put(a.hop(), a.hopNanos());
                hopSum += a.hopNanos();
            }
            double measuredMean = hopSum / hopNanosByHop.size();
            Map<Integer, Long> lastHop = new HashMap<>();
            for (int v = 1; v < n; v++) {
                lastHop.put(v, 0L); // first visit: no estimate yet, start counting there
            }
            lastHop.put(TokenRing.ORIGIN, 0L);
            double estimateSum = 0;
            int estimates = 0;
            for (Observation o : run.seen) {
                if (o instanceof Observation.TokenArrived a && a.node() != TokenRing.ORIGIN && a.rotation() == 1) {
                    lastHop.put(a.node(), a.hop()); // non-origin nodes' first visit sets their baseline
                }
                if (o instanceof Observation.RotationEstimate e) {
                    assertEquals(n, e.hops(), "seed " + seed);
                    long from = lastHop.get(e.node());
                    long sum = 0;
                    for (long h = from + 1; h <= from + e.hops(); h++) {
                        sum += hopNanosByHop.get(h);
                    }
                    assertEquals(sum / e.hops(), e.estimatedHopNanos(),
                            "node " + e.node() + " window after hop " + from + ", " + link.spec() + ", seed " + seed);
                    lastHop.put(e.node(), from + e.hops());
                    estimateSum += e.estimatedHopNanos();
                    estimates++;
                }
            }
            double estimatedMean = estimateSum / estimates;
            double relError = Math.abs(estimatedMean - measuredMean) / measuredMean;
            assertTrue(relError < 0.01, "estimate " + estimatedMean + " vs measured " + measuredMean + " ns ("
                    + relError + "), " + link.spec() + ", n=" + n + ", seed " + seed);
        }
    }

    @Test
    void stationsMayRewriteThePayloadAndItTravelsWithTheToken() {
        int n = 6;
        List<byte[]> seenAtOrigin = new ArrayList<>();
        // Each node appends its id; the origin also records what it sees before appending.
        Protocol p = TokenRing.protocol("token;append-id", v -> List.of(new Station() {
            @Override
            public Visit onToken(Message.Token token, Env env) {
                byte[] in = token.payload();
                if (env.self() == TokenRing.ORIGIN) {
                    seenAtOrigin.add(in);
                }
                byte[] out = java.util.Arrays.copyOf(in, in.length + 1);
                out[in.length] = (byte) env.self();
                return new Visit(0, out);
            }

            @Override
            public String spec() {
                return "append-id";
            }
        }));
        Run run = new Run(ring(n), p, SimConfig.of(11)).rotations(1);
        assertEquals(2, seenAtOrigin.size());
        assertArrayEquals(new byte[0], seenAtOrigin.get(0));
        assertArrayEquals(new byte[] {0, 1, 2, 3, 4, 5}, seenAtOrigin.get(1));
        // The simulator counts the payload's bytes on every link: frames of 1, 2, ... n + 1 payload bytes
        // (the origin sends the token on within the event that completes rotation 1).
        long tokenFrameBytes = 2 + 6 * 8 + 4;
        long expectedBytes = 0;
        for (int k = 1; k <= n + 1; k++) {
            expectedBytes += tokenFrameBytes + k;
        }
        assertEquals(expectedBytes, run.cluster.stats().bytesSent());
    }

    @Test
    void sameSeedSameTraceHash() {
        Protocol p = TokenRing.protocol(List.of(StationSpec.parse("delay:uniform:1ms,3ms@*")));
        long[] hashes = new long[2];
        for (int i = 0; i < 2; i++) {
            Run run = new Run(ring(9), p, SimConfig.of(42).withLink(LinkModels.lognormal(MS, 0.5))).rotations(20);
            hashes[i] = run.cluster.traceHash().getAsLong();
        }
        assertEquals(hashes[0], hashes[1]);
        Run other = new Run(ring(9), p, SimConfig.of(43).withLink(LinkModels.lognormal(MS, 0.5))).rotations(20);
        assertTrue(other.cluster.traceHash().getAsLong() != hashes[0]);
    }

    @Test
    void overlaysWithoutARingArcAreRejected() {
        int[][] adj = {{2}, {0}, {1}};
        Overlay backwards = Overlay.fromAdjacency("backwards", true, adj);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TokenRing.protocol().create(0, backwards));
        assertTrue(e.getMessage().contains("no arc 0 -> 1"), e.getMessage());
        assertArrayEquals(new int[] {1}, ring(3).neighbours(0));
    }
}
