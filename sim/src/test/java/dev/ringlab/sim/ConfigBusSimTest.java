package dev.ringlab.sim;

import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.node.check.ReplicaWatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.ConfigBus;
import dev.ringlab.node.protocols.DeltaReplicator;
import dev.ringlab.node.protocols.HealingRing;
import dev.ringlab.node.protocols.RecoveryConfig;
import dev.ringlab.node.protocols.TokenCatalog;
import dev.ringlab.node.Timer;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

/**
 * The config bus ({@link ConfigBus}) on virtual time: a scripted run with a crash in the middle on the
 * healing ring and on an expander, the acknowledged-write guarantee (an acknowledged delta survives its
 * origin's crash; an unacknowledged one may not, and is then not counted as acknowledged), gap pulls under
 * message loss, and a seeded property: for random operation orders and random fault plans (swarm: crashes,
 * restarts, partitions, slow nodes, loss bursts), once the faults stop every live node converges to one state,
 * and an acknowledged delta is lost only if both its origin and the replica that acknowledged it crashed.
 */
class ConfigBusSimTest {
    static final long MS = 1_000_000L;
    static final long MASTER_SEED = 0xC0F1_6BL;

    static DeltaReplicator.Settings ring() {
        return ring(DeltaReplicator.Via.TOKEN);
    }

    static DeltaReplicator.Settings ring(DeltaReplicator.Via via) {
        return new DeltaReplicator.Settings(DeltaReplicator.Mode.RING, 50 * MS, 100 * MS, RecoveryConfig.defaults(), via);
    }

    /**
     * Wraps every node's {@link Env} to count, on the sending side, the node-to-node messages that carry deltas:
     * {@link Message.Deltas} and tokens with a non-empty payload (independently of the application's own count).
     */
    static final class CarrierCount {
        final AtomicLong messages = new AtomicLong();
        final AtomicLong loadedTokens = new AtomicLong();
        /** The node the last token with a non-empty payload was sent to, -1 if none yet. */
        volatile int lastLoadedTokenTo = -1;

        Protocol wrap(Protocol inner) {
            return new Protocol() {
                @Override
                public String spec() {
                    return inner.spec();
                }

                @Override
                public Node create(int id, Overlay overlay) {
                    Node node = inner.create(id, overlay);
                    return new Node() {
                        @Override
                        public void start(Env env) {
                            node.start(new Env() {
                                @Override
                                public int self() {
                                    return env.self();
                                }

                                @Override
                                public long now() {
                                    return env.now();
                                }

                                @Override
                                public void send(int to, Message m) {
                                    if (m instanceof Message.Token t && t.payload().length > 0) {
                                        loadedTokens.incrementAndGet();
                                        lastLoadedTokenTo = to;
                                    }
                                    if (m instanceof Message.Deltas || m instanceof Message.Token t && t.payload().length > 0) {
                                        messages.incrementAndGet();
                                    }
                                    env.send(to, m);
                                }

                                @Override
                                public Timer schedule(long delayNanos, Runnable task) {
                                    return env.schedule(delayNanos, task);
                                }

                                @Override
                                public RandomGenerator random() {
                                    return env.random();
                                }

                                @Override
                                public void observe(Observation o) {
                                    env.observe(o);
                                }
                            });
                        }

                        @Override
                        public void onMessage(int from, Message m) {
                            node.onMessage(from, m);
                        }

                        @Override
                        public void stop() {
                            node.stop();
                        }
                    };
                }
            };
        }
    }

    static DeltaReplicator.Settings flood() {
        return new DeltaReplicator.Settings(DeltaReplicator.Mode.FLOOD, 50 * MS, 100 * MS, null);
    }

    /** A started cluster of a replicated application, watched; the control side reports crashes to the watch. */
    static final class Run {
        final int n;
        final SimCluster cluster;
        final ReplicaWatch watch;
        final List<Observation> seen = new ArrayList<>();
        final CarrierCount carriers = new CarrierCount();

        Run(int n, boolean catalog, boolean onRing, SimConfig config) {
            this(n, catalog, onRing, DeltaReplicator.Via.TOKEN, config);
        }

        Run(int n, boolean catalog, boolean onRing, DeltaReplicator.Via via, SimConfig config) {
            this.n = n;
            DeltaReplicator.Settings s = onRing ? ring(via) : flood();
            Overlay overlay = onRing ? HealingRing.overlay(n, s.ring().successors())
                    : Topologies.build("random-regular:4", n, config.seed());
            Protocol p = catalog ? TokenCatalog.protocol(s) : ConfigBus.protocol(s);
            cluster = new SimCluster(overlay, carriers.wrap(p), config);
            watch = new ReplicaWatch(n);
            cluster.addObserver(watch);
            cluster.addObserver(seen::add);
            cluster.start();
        }

        void crash(int node) {
            cluster.crash(node);
            watch.crashed(node);
        }

        void restart(int node) {
            cluster.restart(node);
        }

        boolean converge(long timeoutNanos) {
            return cluster.runUntil(() -> watch.converged(cluster::alive), timeoutNanos);
        }

        List<Observation.DeltaAcked> acks(int node) {
            List<Observation.DeltaAcked> out = new ArrayList<>();
            for (Observation o : seen) {
                if (o instanceof Observation.DeltaAcked a && a.node() == node) {
                    out.add(a);
                }
            }
            return out;
        }
    }

    private static void scriptedCrashInTheMiddle(boolean onRing, DeltaReplicator.Via via) {
        Run run = new Run(12, false, onRing, via, SimConfig.of(7));
        run.cluster.runFor(300 * MS); // the ring forms
        for (int i = 0; i < 40; i++) {
            int node = i % 12;
            if (i == 20) {
                run.crash(5);
            }
            if (run.cluster.alive(node)) {
                run.cluster.inject(node, new Message.ConfigPut("k" + (i % 7), "v" + i));
            }
            run.cluster.runFor(5 * MS);
        }
        assertTrue(run.converge(5_000 * MS), "live nodes did not converge");
        assertEquals(List.of(), run.watch.lostAcked(run.cluster::alive), "acknowledged deltas lost");
        assertEquals(List.of(), run.watch.missing(run.cluster::alive), "with a crash of a non-origin, nothing is lost");
        assertEquals(39, run.watch.deltasCreated(), "40 puts, one of them (i = 29) aimed at the crashed node 5");
        assertTrue(run.watch.deltasAcked() >= 30, "most puts acknowledged: " + run.watch.deltasAcked());
        // A respawned node fetches the whole state from its neighbours.
        run.restart(5);
        assertTrue(run.converge(5_000 * MS), "the respawned node did not catch up");
        assertEquals(39, run.watch.deltasApplied(5));
    }

    @Test
    void liveNodesConvergeAfterACrashInTheMiddleOnTheHealingRing() {
        scriptedCrashInTheMiddle(true, DeltaReplicator.Via.TOKEN);
        scriptedCrashInTheMiddle(true, DeltaReplicator.Via.HOP);
    }

    @Test
    void liveNodesConvergeAfterACrashInTheMiddleOnAnExpander() {
        scriptedCrashInTheMiddle(false, null);
    }

    @Test
    void anAcknowledgedDeltaSurvivesTheCrashOfItsOrigin() {
        for (DeltaReplicator.Via via : new DeltaReplicator.Via[] {DeltaReplicator.Via.TOKEN, DeltaReplicator.Via.HOP, null}) {
            boolean onRing = via != null;
            Run run = new Run(10, false, onRing, via, SimConfig.of(3));
            run.cluster.runFor(300 * MS);
            run.cluster.inject(4, new Message.ConfigPut("feature", "on"));
            // Crash the origin the instant it acknowledges: only what it already handed on can survive.
            assertTrue(run.cluster.runUntil(() -> !run.acks(4).isEmpty(), 1_000 * MS), "no ack");
            run.crash(4);
            assertTrue(run.converge(5_000 * MS));
            assertEquals(List.of(), run.watch.lostAcked(run.cluster::alive), "via=" + via);
            assertEquals(1, run.watch.convergenceNanos(-1, v -> run.cluster.alive(v)).length, "via=" + via);
        }
    }

    /** Puts at a steady rate on a 16-node ring; returns node-to-node messages carrying deltas, per delta. */
    private static double carriersPerDelta(DeltaReplicator.Via via, int deltas, long[] tokensOut) {
        Run run = new Run(16, false, true, via, SimConfig.of(17));
        run.cluster.runFor(300 * MS);
        long before = run.carriers.messages.get();
        long tokensBefore = run.carriers.loadedTokens.get();
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < deltas; i++) {
            run.cluster.inject(r.nextInt(16), new Message.ConfigPut("k" + r.nextInt(20), "v" + i));
            run.cluster.runFor(2 * MS);
        }
        assertTrue(run.converge(5_000 * MS), "via=" + via + ": no convergence");
        assertEquals(deltas, run.watch.deltasCreated());
        assertEquals(deltas, run.watch.convergenceNanos(-1, v -> true).length, "via=" + via + ": every delta at every node");
        assertEquals(List.of(), run.watch.missing(run.cluster::alive));
        assertEquals(deltas, run.watch.deltasAcked(), "via=" + via + ": every delta acknowledged");
        // First-hand propagation, not anti-entropy (a 50 ms round per ring edge), brings them: the median delta
        // reaches every node within two token rotations (16 hops of 1 ms each).
        long[] conv = run.watch.convergenceNanos(-1, v -> true).clone();
        java.util.Arrays.sort(conv);
        assertTrue(conv[conv.length / 2] <= 32 * MS, "via=" + via + ": median convergence " + conv[conv.length / 2] / 1e6 + " ms");
        tokensOut[0] = run.carriers.loadedTokens.get() - tokensBefore;
        return (double) (run.carriers.messages.get() - before) / deltas;
    }

    @Test
    void onTheRingTheTokenCarriesDeltasWithFarFewerMessagesThanHopByHop() {
        long[] tokens = new long[1];
        double token = carriersPerDelta(DeltaReplicator.Via.TOKEN, 400, tokens);
        assertTrue(tokens[0] > 0, "deltas rode the token");
        long[] hopTokens = new long[1];
        double hop = carriersPerDelta(DeltaReplicator.Via.HOP, 400, hopTokens);
        assertEquals(0, hopTokens[0], "hop by hop: the token stays empty");
        // Hop by hop each delta costs about one message per node (15 hops); on the token a pass carries every
        // delta on board, and at 500 deltas/s on a 16 ms rotation each pass carries several.
        assertTrue(hop >= 10, "hop by hop: " + hop + " messages per delta");
        assertTrue(token * 4 < hop, "token " + token + " vs hop " + hop + " messages carrying deltas per delta");
    }

    @Test
    void theTokenDyingWithItsHolderLosesNoDeltaOfALiveOrigin() {
        for (long seed = 1; seed <= 4; seed++) {
            Run run = new Run(12, false, true, DeltaReplicator.Via.TOKEN, SimConfig.of(seed));
            run.cluster.runFor(300 * MS);
            int victim = 9;
            for (int i = 0; i < 30; i++) {
                run.cluster.inject(i % 4, new Message.ConfigPut("k" + (i % 5), "v" + i));
                run.cluster.runFor(MS);
            }
            // The next token with deltas on board is sent to the victim: it dies there in flight, payload and all.
            assertTrue(run.cluster.runUntil(() -> run.carriers.lastLoadedTokenTo == victim, 1_000 * MS),
                    "no loaded token to the victim");
            run.carriers.lastLoadedTokenTo = -1;
            run.crash(victim);
            long crashedAt = run.cluster.now();
            for (int i = 30; i < 40; i++) {
                run.cluster.inject(i % 4, new Message.ConfigPut("k" + (i % 5), "v" + i));
                run.cluster.runFor(MS);
            }
            assertTrue(run.converge(5_000 * MS), "seed " + seed + ": no convergence");
            boolean regenerated = run.seen.stream().anyMatch(o -> o instanceof Observation.TokenCreated c
                    && c.atNanos() > crashedAt);
            assertTrue(regenerated, "seed " + seed + ": the token died with its holder and was regenerated");
            assertEquals(40, run.watch.deltasCreated());
            assertEquals(List.of(), run.watch.missing(run.cluster::alive), "seed " + seed + ": origins never crashed");
            assertEquals(List.of(), run.watch.lostAcked(run.cluster::alive));
            assertEquals(40, run.watch.deltasAcked(), "seed " + seed);
        }
    }

    @Test
    void anUnacknowledgedDeltaMayDieWithItsOriginAndIsNotCountedAsAcknowledged() {
        for (DeltaReplicator.Via via : DeltaReplicator.Via.values()) {
            unacknowledgedDeltaDiesWithItsOrigin(via);
        }
    }

    private static void unacknowledgedDeltaDiesWithItsOrigin(DeltaReplicator.Via via) {
        Run run = new Run(10, false, true, via, SimConfig.of(3));
        run.cluster.runFor(300 * MS);
        run.cluster.inject(4, new Message.ConfigPut("feature", "on"));
        run.crash(4); // at the same instant: the delta never left node 4
        assertTrue(run.converge(5_000 * MS));
        assertEquals(1, run.watch.deltasCreated());
        assertEquals(0, run.watch.deltasAcked());
        assertEquals(1, run.watch.missing(run.cluster::alive).size(), "the delta died with its origin");
        assertEquals(List.of(), run.watch.lostAcked(run.cluster::alive));
    }

    @Test
    void gapsLeftByMessageLossArePulledFromNeighbours() {
        Run run = new Run(12, false, false, SimConfig.of(11).withLoss(0.2));
        run.cluster.runFor(100 * MS);
        for (int i = 0; i < 60; i++) {
            run.cluster.inject(i % 3, new Message.ConfigPut("k" + i, "v"));
            run.cluster.runFor(MS);
        }
        assertTrue(run.converge(10_000 * MS), "did not converge under 20% loss");
        assertEquals(List.of(), run.watch.missing(run.cluster::alive));
        assertEquals(60, run.watch.convergenceNanos(-1, v -> true).length, "every delta reached every node");
        assertTrue(run.cluster.stats().messagesDropped() > 0, "the loss model dropped messages");
    }

    /**
     * Swarm property: random operations (puts, or catalog adds and revokes) at random live nodes during a random
     * fault plan; then heal, restart all but at most one crashed node, and require convergence and no lost
     * acknowledged delta. Shared with {@link CatalogSimTest}.
     */
    static void randomRunsConverge(boolean catalog, long masterSeed, int cases) {
        for (DeltaReplicator.Via via : DeltaReplicator.Via.values()) {
            randomRunsConverge(catalog, masterSeed, cases, via);
        }
    }

    /** {@link #randomRunsConverge} with deltas {@code via} the token or hop by hop on the ring cases. */
    static void randomRunsConverge(boolean catalog, long masterSeed, int cases, DeltaReplicator.Via via) {
        SplittableRandom master = new SplittableRandom(masterSeed);
        for (int c = 0; c < cases; c++) {
            randomCase(catalog, master.nextLong(), true, via);
        }
    }

    /** One case of {@link #randomRunsConverge}, deltas on the token on the ring: everything follows from {@code seed}. */
    static Run randomCase(boolean catalog, long seed, boolean check) {
        return randomCase(catalog, seed, check, DeltaReplicator.Via.TOKEN);
    }

    /** One case of {@link #randomRunsConverge}: everything follows from {@code seed} and {@code via}. */
    static Run randomCase(boolean catalog, long seed, boolean check, DeltaReplicator.Via via) {
        SplittableRandom r = new SplittableRandom(seed);
        boolean onRing = r.nextBoolean();
        int n = 6 + r.nextInt(7);
        long horizon = 1_000 * MS;
        FaultPlan plan = FaultPlan.random(seed, n, horizon);
        String why = "case seed " + seed + " (catalog=" + catalog + ", ring=" + onRing + ", via=" + via + ", n=" + n + ", faults=" + plan + ")";
        Run run = new Run(n, catalog, onRing, onRing ? via : null, SimConfig.of(seed));
        run.cluster.runFor(200 * MS);
        long origin = run.cluster.now();
        plan.applyTo(run.cluster, origin, (kind, node, at, call) -> {
            if (kind == FaultPlan.Kind.CRASH) {
                run.watch.crashed(node);
            }
        });
        int ops = 10 + r.nextInt(40);
        for (int i = 0; i < ops; i++) {
            long at = origin + r.nextLong(horizon);
            int pick = r.nextInt(n);
            String key = "t" + r.nextInt(6);
            Message req = !catalog ? new Message.ConfigPut(key, "v" + i)
                    : r.nextInt(3) == 0 ? new Message.CatalogRevoke(key) : new Message.CatalogAdd(key);
            run.cluster.at(at, () -> {
                for (int k = 0; k < n; k++) {
                    int v = (pick + k) % n;
                    if (run.cluster.alive(v)) {
                        run.cluster.inject(v, req);
                        return;
                    }
                }
            });
        }
        run.cluster.runFor(origin + Math.max(horizon, plan.endNanos()) + MS - run.cluster.now());
        // Heal: faults stop; every crashed node but at most one comes back.
        run.cluster.heal();
        run.cluster.lossBurst(0);
        int keepDown = r.nextBoolean() ? -1 : r.nextInt(n);
        for (int v = 0; v < n; v++) {
            run.cluster.slow(v, 0);
            if (!run.cluster.alive(v) && v != keepDown) {
                run.restart(v);
            }
        }
        boolean converged = run.converge(20_000 * MS);
        if (!check) {
            return run;
        }
        assertTrue(converged, "no convergence after heal: " + why);
        // One replica tolerates one crash: an acknowledged delta may be lost only if its origin and the replica
        // that acknowledged it both crashed.
        for (Message.Dot d : run.watch.lostAcked(run.cluster::alive)) {
            int replica = run.watch.replicaOf(d);
            assertTrue(run.watch.everCrashed(d.node()) && replica >= 0 && run.watch.everCrashed(replica),
                    "acknowledged delta " + d + " (replica " + replica + ") lost without a double crash: " + why);
        }
        // Deltas are lost only with an origin that crashed before any replica held them.
        for (Message.Dot d : run.watch.missing(run.cluster::alive)) {
            assertTrue(run.watch.everCrashed(d.node()), "delta " + d + " of a never-crashed origin is missing: " + why);
        }
        return run;
    }

    @Test
    void randomOperationOrdersAndFaultPlansConverge() {
        randomRunsConverge(false, MASTER_SEED, 24);
    }
}
