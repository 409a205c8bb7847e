package dev.ringlab.sim;

import dev.ringlab.node.check.RingWatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.HealingRing;
import dev.ringlab.node.protocols.RecoveryConfig;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Scripted failure scenarios of {@link HealingRing} on virtual time: the successor dies, two adjacent
 * nodes die, the token holder dies, a partition splits the ring and heals, a node is suspected but alive,
 * a dead node is respawned and rejoins. Every run checks "at most one token per epoch" after every event.
 */
class HealingRingSimTest {
    static final long MS = 1_000_000L;
    static final RecoveryConfig CONFIG = RecoveryConfig.defaults(); // 10 ms heartbeats, 50 ms suspicion, 200 ms loss

    /** A started healing ring on constant 1 ms links, every observation recorded, custody checked per event. */
    static final class Run {
        final int n;
        final SimCluster cluster;
        final RingWatch watch;
        final List<Observation> seen = new ArrayList<>();

        Run(int n, RecoveryConfig config, long seed) {
            this.n = n;
            cluster = new SimCluster(HealingRing.overlay(n, config.successors()), HealingRing.protocol(config),
                    SimConfig.of(seed));
            watch = new RingWatch(n);
            cluster.addObserver(watch);
            cluster.addObserver(seen::add);
            cluster.addInvariant(watch::check);
            cluster.start();
        }

        void crashAt(int node, long atNanos) {
            cluster.at(atNanos, () -> {
                cluster.crash(node);
                watch.crashed(node, cluster.now());
            });
        }

        void restartAt(int node, long atNanos) {
            cluster.at(atNanos, () -> {
                cluster.restart(node);
                watch.restarted(node, cluster.now());
            });
        }

        void runTo(long atNanos) {
            cluster.runFor(atNanos - cluster.now());
        }

        <T extends Observation> List<T> all(Class<T> type, Predicate<T> p) {
            List<T> out = new ArrayList<>();
            for (Observation o : seen) {
                if (type.isInstance(o) && p.test(type.cast(o))) {
                    out.add(type.cast(o));
                }
            }
            return out;
        }

        /** Epochs arriving anywhere in [from, to]. */
        List<Long> epochsArriving(long from, long to) {
            List<Long> e = new ArrayList<>();
            for (Observation.TokenArrived a : all(Observation.TokenArrived.class,
                    x -> x.arrivedAtNanos() >= from && x.arrivedAtNanos() <= to)) {
                if (!e.contains(a.epoch())) {
                    e.add(a.epoch());
                }
            }
            return e;
        }

        /** Asserts that the live ring is whole and carries exactly one token from {@code from} on. */
        void assertOneTokenOnTheLiveRing(long from, String why) {
            watch.markRotations(from);
            runTo(from + 300 * MS);
            assertTrue(watch.fullRotations() >= 3, why + ": only " + watch.fullRotations()
                    + " full rotations of the live ring in 300 ms");
            List<Long> epochs = epochsArriving(from, cluster.now());
            assertEquals(1, epochs.size(), why + ": epochs circulating " + epochs);
            assertEquals(1, watch.maxConcurrentEpochsAfter(from), why);
        }

        /** The last ViewChanged per node. */
        Map<Integer, Observation.ViewChanged> lastViews() {
            Map<Integer, Observation.ViewChanged> last = new HashMap<>();
            for (Observation.ViewChanged v : all(Observation.ViewChanged.class, x -> true)) {
                last.put(v.node(), v);
            }
            return last;
        }
    }

    @Test
    void aFaultFreeRingCirclesOneTokenWithExactPeriodsAndNoSuspicion() {
        Run run = new Run(8, CONFIG, 1);
        run.runTo(2_000 * MS);
        assertEquals(1, run.all(Observation.TokenCreated.class, c -> true).size());
        assertEquals(0, run.all(Observation.Suspected.class, s -> true).size());
        List<Observation.RotationCompleted> rotations = run.all(Observation.RotationCompleted.class, r -> true);
        assertTrue(rotations.size() > 200, "rotations " + rotations.size());
        for (Observation.RotationCompleted rc : rotations.subList(1, rotations.size())) {
            assertEquals(8 * MS, rc.periodNanos(), "rotation " + rc.rotation());
        }
        for (Observation.RotationEstimate e : run.all(Observation.RotationEstimate.class, x -> true)) {
            assertEquals(MS, e.estimatedHopNanos());
        }
        // Every node ticks 1, 2, 3, ... with no gap and no repeat.
        for (int v = 0; v < 8; v++) {
            int node = v;
            List<Observation.Tick> ticks = run.all(Observation.Tick.class, t -> t.node() == node);
            for (int i = 0; i < ticks.size(); i++) {
                assertEquals(i + 1, ticks.get(i).tick(), "node " + v);
            }
        }
    }

    @Test
    void whenTheSuccessorDiesItsPredecessorSuspectsItLinksPastItAndOneTokenCirclesTheLiveRing() {
        Run run = new Run(8, CONFIG, 2);
        run.crashAt(3, 500 * MS);
        run.runTo(1_000 * MS);
        List<Observation.Suspected> s = run.all(Observation.Suspected.class, x -> true);
        assertFalse(s.isEmpty());
        assertEquals(3, s.get(0).suspect());
        // Its r = 3 predecessors all monitor it; the nearest one links past it.
        assertFalse(run.all(Observation.Suspected.class, x -> x.node() == 2 && x.suspect() == 3).isEmpty());
        long detectNanos = s.get(0).atNanos() - 500 * MS;
        assertTrue(detectNanos > CONFIG.suspicionTimeoutNanos() - 2 * MS
                && detectNanos <= CONFIG.suspicionTimeoutNanos() + CONFIG.heartbeatIntervalNanos(), "detect " + detectNanos);
        assertTrue(s.stream().allMatch(x -> x.suspect() == 3), "false suspicion: " + s);
        assertFalse(run.all(Observation.SuccessorChanged.class, c -> c.node() == 2 && c.successor() == 4).isEmpty());
        run.assertOneTokenOnTheLiveRing(run.cluster.now(), "successor dies");
        // Every live node's view says exactly node 3 is dead, and the views agree.
        Map<Integer, Observation.ViewChanged> views = run.lastViews();
        long digest = views.get(0).digest();
        for (int v = 0; v < 8; v++) {
            if (v != 3) {
                assertEquals(1, views.get(v).dead(), "node " + v + " view");
                assertEquals(digest, views.get(v).digest(), "node " + v + " view digest");
            }
        }
    }

    @Test
    void twoAdjacentDeadNodesAreSkippedTogether() {
        Run run = new Run(10, CONFIG, 3);
        run.crashAt(4, 400 * MS);
        run.crashAt(5, 400 * MS);
        run.runTo(1_000 * MS);
        assertFalse(run.all(Observation.SuccessorChanged.class, c -> c.node() == 3 && c.successor() == 6).isEmpty(),
                "node 3 must link to node 6");
        run.assertOneTokenOnTheLiveRing(run.cluster.now(), "two adjacent nodes die");
        assertTrue(run.all(Observation.Suspected.class, x -> x.suspect() != 4 && x.suspect() != 5).isEmpty());
    }

    @Test
    void whenTheTokenHolderDiesTheTokenIsRegeneratedOnceWithAHigherEpochWithinTheLossBound() {
        SplittableRandom master = new SplittableRandom(0x7E6E_0001L);
        for (int c = 0; c < 10; c++) {
            long seed = master.nextLong();
            int n = 4 + new SplittableRandom(seed).nextInt(12);
            int victim = 1 + new SplittableRandom(seed + 1).nextInt(n - 1);
            Run run = new Run(n, CONFIG, seed);
            long[] crashedAt = {-1};
            // Crash the victim the instant the token is sent to it, in the 20th rotation: it dies holding it.
            run.cluster.addObserver(o -> {
                if (o instanceof Observation.TokenPassed p && p.to() == victim && p.rotation() == 20 && crashedAt[0] < 0) {
                    crashedAt[0] = p.departedAtNanos();
                    run.crashAt(victim, p.departedAtNanos());
                }
            });
            run.runTo(1_000 * MS);
            String why = "n=" + n + " victim=" + victim + " seed " + seed;
            assertTrue(crashedAt[0] > 0, why);
            List<Observation.TokenCreated> created = run.all(Observation.TokenCreated.class, x -> true);
            assertEquals(2, created.size(), why + ": tokens created " + created);
            assertTrue(created.get(1).epoch() > created.get(0).epoch(), why);
            assertEquals(Math.floorMod(victim - 1, n), created.get(1).node(), why + ": the predecessor regenerates");
            long rotationNanos = n * MS;
            assertTrue(run.watch.tokenGapNanos() <= CONFIG.tokenLossTimeoutNanos() + rotationNanos,
                    why + ": token gap " + run.watch.tokenGapNanos());
            run.assertOneTokenOnTheLiveRing(run.cluster.now(), why);
        }
    }

    @Test
    void aPartitionSplitsTheRingAndAfterTheHealOneTokenCirclesTheWholeRingAndViewsAgree() {
        Run run = new Run(8, CONFIG, 4);
        run.cluster.at(300 * MS, () -> run.cluster.partition(new int[][] {{0, 1, 2, 3}, {4, 5, 6, 7}}));
        run.cluster.at(1_300 * MS, run.cluster::heal);
        run.runTo(1_300 * MS);
        assertFalse(run.all(Observation.Suspected.class, x -> x.node() == 3 && x.suspect() == 4).isEmpty());
        assertTrue(run.all(Observation.TokenCreated.class, x -> true).size() >= 2, "each side regenerates");
        run.runTo(2_000 * MS);
        run.assertOneTokenOnTheLiveRing(run.cluster.now(), "after the heal");
        assertEquals(8, run.watch.live());
        Map<Integer, Observation.ViewChanged> views = run.lastViews();
        for (int v = 0; v < 8; v++) {
            assertEquals(0, views.get(v).dead(), "node " + v + " still believes nodes dead");
            assertEquals(views.get(0).digest(), views.get(v).digest(), "node " + v + " view digest");
        }
    }

    @Test
    void aSlowNodeIsSuspectedButAliveAndRejoinsCleanly() {
        Run run = new Run(8, CONFIG, 5);
        run.cluster.at(300 * MS, () -> run.cluster.slow(5, 80 * MS));
        run.cluster.at(800 * MS, () -> run.cluster.slow(5, 0));
        run.runTo(800 * MS);
        assertFalse(run.all(Observation.Suspected.class, x -> x.node() == 4 && x.suspect() == 5).isEmpty(),
                "node 4 should suspect the slow node 5");
        run.runTo(1_100 * MS);
        assertFalse(run.all(Observation.Unsuspected.class, x -> x.node() == 4 && x.suspect() == 5).isEmpty(),
                "node 4 should withdraw its suspicion");
        run.assertOneTokenOnTheLiveRing(run.cluster.now(), "after the slow spell");
        assertEquals(8, run.watch.live());
    }

    @Test
    void aRespawnedNodeRejoinsAtItsPlaceAndTheFullRingIsRestored() {
        for (int victim : new int[] {0, 3}) {
            Run run = new Run(8, CONFIG, 6 + victim);
            run.crashAt(victim, 400 * MS);
            run.restartAt(victim, 1_000 * MS);
            run.runTo(1_000 * MS);
            run.watch.markRotations(1_000 * MS);
            run.runTo(1_200 * MS);
            long rejoin = run.watch.fullRotationAt() - 1_000 * MS;
            assertTrue(run.watch.fullRotationAt() > 0 && rejoin < 60 * MS, "victim " + victim + ": rejoin " + rejoin);
            run.assertOneTokenOnTheLiveRing(run.cluster.now(), "after the rejoin of " + victim);
            // The respawned node 0 learns the epoch from its neighbours and creates no token of its own.
            assertTrue(run.all(Observation.TokenCreated.class, c -> c.atNanos() >= 1_000 * MS).isEmpty(),
                    "victim " + victim);
        }
    }

    /** The real engines' extra knobs (see Timing): grace 300 ms, probation 1 s; the simulator's defaults have neither. */
    static final RecoveryConfig PROBATION = CONFIG.withGraceTimeoutNanos(300 * MS).withProbationNanos(1_000 * MS);

    @Test
    void aSlowSpellDuringProbationIsNotSuspectedButOneAfterItIs() {
        // Messages to and from node 5 take 80 ms longer for a while: its acks fall silent for about 160 ms.
        for (long at : new long[] {300 * MS, 1_500 * MS}) {
            Run run = new Run(8, PROBATION, 5);
            run.cluster.at(at, () -> run.cluster.slow(5, 80 * MS));
            run.cluster.at(at + 500 * MS, () -> run.cluster.slow(5, 0));
            run.runTo(at + 800 * MS);
            List<Observation.Suspected> s = run.all(Observation.Suspected.class, x -> true);
            if (at < PROBATION.probationNanos()) {
                assertTrue(s.isEmpty(), "a slow spell within the first second: " + s);
            } else {
                assertFalse(s.isEmpty(), "after probation the suspicion timeout applies again");
                // The slow node is suspected, and (its own heartbeats slow too) suspects its successors.
                assertTrue(s.stream().allMatch(x -> x.suspect() == 5 || x.node() == 5), "only the slow node: " + s);
                assertFalse(run.all(Observation.Suspected.class, x -> x.node() == 4 && x.suspect() == 5).isEmpty());
            }
            run.assertOneTokenOnTheLiveRing(run.cluster.now(), "slow spell at " + at / MS + " ms");
        }
    }

    @Test
    void aRespawnedNodeFindsItsStillDeadSuccessorAfterTheGraceAndTheRingHeals() {
        Run run = new Run(8, PROBATION, 8);
        run.crashAt(3, 1_200 * MS);
        run.crashAt(4, 1_200 * MS);
        run.restartAt(3, 2_000 * MS);
        run.runTo(2_600 * MS);
        // Node 3 starts afresh: its successor 4 is on probation, never heard, so 300 ms of silence, not 50.
        List<Observation.Suspected> by3 = run.all(Observation.Suspected.class, x -> x.node() == 3 && x.atNanos() >= 2_000 * MS);
        assertEquals(List.of(4), by3.stream().map(Observation.Suspected::suspect).toList());
        long detect = by3.get(0).atNanos() - 2_000 * MS;
        assertTrue(detect > 300 * MS && detect <= 300 * MS + CONFIG.heartbeatIntervalNanos(), "detect " + detect / 1e6 + " ms");
        assertTrue(run.all(Observation.Suspected.class, x -> x.suspect() != 3 && x.suspect() != 4).isEmpty(),
                "false suspicion");
        run.assertOneTokenOnTheLiveRing(run.cluster.now(), "node 3 back, node 4 dead");
    }

    @Test
    void thePhiAccrualDetectorAlsoFindsADeadSuccessor() {
        Run run = new Run(8, CONFIG.withPhi(8.0), 7);
        run.crashAt(6, 500 * MS);
        run.runTo(1_000 * MS);
        List<Observation.Suspected> s = run.all(Observation.Suspected.class, x -> true);
        assertFalse(s.isEmpty());
        assertTrue(s.stream().allMatch(x -> x.suspect() == 6), "false suspicion: " + s);
        run.assertOneTokenOnTheLiveRing(run.cluster.now(), "phi");
    }
}
