package dev.ringlab.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Env;
import dev.ringlab.node.ForwardingEnv;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.SplitMix;
import dev.ringlab.node.check.RingWatch;
import dev.ringlab.node.protocols.HealingRing;
import dev.ringlab.node.protocols.RecoveryConfig;
import dev.ringlab.topology.Overlay;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Liveness bounds and independent cross-checks of {@link HealingRing} that the scenario tests of
 * {@link HealingRingSimTest} leave open, each written against a mutant that survived PIT there: the token
 * lost in the network with no crash (only the token-loss timeout can recover it, where every crash
 * scenario is also recovered by the "died at the successor" path), the time to the first token on a
 * cold start, non-empty tick streams, and view digests recomputed from the membership entries each node
 * actually sent and received.
 */
class HealingRingLivenessSimTest {
    static final long MS = 1_000_000L;
    static final RecoveryConfig CONFIG = HealingRingSimTest.CONFIG; // 10 ms heartbeats, 50 ms suspicion, 200 ms loss

    @Test
    void onAColdStartNodeZeroCreatesTheFirstTokenWithinOneHeartbeatInterval() {
        SplittableRandom master = new SplittableRandom(0x1EE7_0001L);
        for (int c = 0; c < 8; c++) {
            long seed = master.nextLong();
            int n = 2 + new SplittableRandom(seed).nextInt(14);
            HealingRingSimTest.Run run = new HealingRingSimTest.Run(n, CONFIG, seed);
            run.runTo(300 * MS);
            String why = "n=" + n + " seed " + seed;
            List<Observation.TokenCreated> created = run.all(Observation.TokenCreated.class, x -> true);
            assertFalse(created.isEmpty(), why + ": no token in 300 ms");
            assertEquals(HealingRing.ORIGIN, created.get(0).node(), why + ": first token " + created.get(0));
            // One round trip of 1 ms links: the first heartbeat ack says nobody has a token. The loss timeout
            // (200 ms) must not be what creates it.
            assertTrue(created.get(0).atNanos() <= CONFIG.heartbeatIntervalNanos(),
                    why + ": first token at " + created.get(0).atNanos() / 1e6 + " ms");
            assertEquals(1, created.size(), why + ": tokens created on a fault-free start " + created);
        }
    }

    @Test
    void everyNodeTicksOneTwoThreeWithoutAGapAndTheTickStreamIsNotEmpty() {
        SplittableRandom master = new SplittableRandom(0x1EE7_0002L);
        for (int c = 0; c < 4; c++) {
            long seed = master.nextLong();
            int n = 3 + new SplittableRandom(seed).nextInt(10);
            HealingRingSimTest.Run run = new HealingRingSimTest.Run(n, CONFIG, seed);
            run.runTo(500 * MS);
            long rotations = run.all(Observation.RotationCompleted.class, x -> true).size();
            assertTrue(rotations > 10, "n=" + n + " seed " + seed + ": rotations " + rotations);
            for (int v = 0; v < n; v++) {
                int node = v;
                List<Observation.Tick> ticks = run.all(Observation.Tick.class, t -> t.node() == node);
                String why = "node " + v + " n=" + n + " seed " + seed;
                // A node ticks once per rotation: an empty stream would make the loop below vacuous.
                assertTrue(ticks.size() >= rotations, why + ": " + ticks.size() + " ticks in " + rotations + " rotations");
                for (int i = 0; i < ticks.size(); i++) {
                    assertEquals(i + 1, ticks.get(i).tick(), why + " tick #" + i);
                }
            }
        }
    }

    /**
     * Every message lost for a spell shorter than the suspicion timeout: the token dies in the network, nobody
     * is suspected, nobody crashed. Only the anchor's token-loss timeout can bring a token back.
     */
    @Test
    void aTokenLostInALossBurstWithoutACrashIsRegeneratedByTheAnchorWithinTheLossTimeout() {
        SplittableRandom master = new SplittableRandom(0x1EE7_0003L);
        for (int c = 0; c < 6; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 3 + r.nextInt(10);
            long burstAt = 200 * MS + r.nextLong(100 * MS);
            long burstNanos = 15 * MS + r.nextLong(10 * MS); // silence <= burst + a tick + a round trip < 50 ms
            HealingRingSimTest.Run run = new HealingRingSimTest.Run(n, CONFIG, seed);
            run.cluster.at(burstAt, () -> run.cluster.lossBurst(1.0));
            run.cluster.at(burstAt + burstNanos, () -> run.cluster.lossBurst(0));
            run.runTo(burstAt + 2 * CONFIG.tokenLossTimeoutNanos());
            assertTokenLostAndRegeneratedOnce(run, n, burstAt, "loss burst, n=" + n + " seed " + seed);
        }
    }

    /** The same with a short partition: the token dies crossing the cut, again with no crash and no suspicion. */
    @Test
    void aTokenDroppedByAShortPartitionIsRegeneratedAndOneTokenCirclesAfterTheHeal() {
        SplittableRandom master = new SplittableRandom(0x1EE7_0004L);
        for (int c = 0; c < 6; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 4 + r.nextInt(9);
            int cut = 1 + r.nextInt(n - 1);
            int[] left = new int[cut];
            int[] right = new int[n - cut];
            for (int v = 0; v < n; v++) {
                if (v < cut) {
                    left[v] = v;
                } else {
                    right[v - cut] = v;
                }
            }
            long at = 200 * MS + r.nextLong(100 * MS);
            // Longer than a rotation (n ms), so the token meets the cut; shorter than a suspicion timeout.
            long spell = Math.max(n * MS + 2 * MS, 15 * MS) + r.nextLong(8 * MS);
            HealingRingSimTest.Run run = new HealingRingSimTest.Run(n, CONFIG, seed);
            run.cluster.at(at, () -> run.cluster.partition(new int[][] {left, right}));
            run.cluster.at(at + spell, run.cluster::heal);
            run.runTo(at + 2 * CONFIG.tokenLossTimeoutNanos());
            assertTokenLostAndRegeneratedOnce(run, n, at, "partition at " + cut + ", n=" + n + " seed " + seed);
        }
    }

    private static void assertTokenLostAndRegeneratedOnce(HealingRingSimTest.Run run, int n, long faultAt, String why) {
        assertTrue(run.all(Observation.Suspected.class, x -> true).isEmpty(),
                why + ": the spell is shorter than the suspicion timeout, yet " + run.all(Observation.Suspected.class, x -> true));
        List<Observation.TokenCreated> created = run.all(Observation.TokenCreated.class, x -> x.atNanos() >= faultAt);
        assertEquals(1, created.size(), why + ": tokens created after the fault " + created);
        Observation.TokenCreated regen = created.get(0);
        assertEquals(0, regen.node(), why + ": the anchor regenerates");
        // The anchor last saw the token at most a rotation before the fault; it checks every heartbeat interval.
        long rotation = n * MS;
        long latest = faultAt + CONFIG.tokenLossTimeoutNanos() + CONFIG.heartbeatIntervalNanos() + rotation;
        assertTrue(regen.atNanos() >= faultAt + CONFIG.tokenLossTimeoutNanos() - rotation && regen.atNanos() <= latest,
                why + ": regenerated at " + (regen.atNanos() - faultAt) / 1e6 + " ms after the fault");
        assertTrue(run.watch.tokenGapNanos() <= CONFIG.tokenLossTimeoutNanos() + CONFIG.heartbeatIntervalNanos() + rotation,
                why + ": token gap " + run.watch.tokenGapNanos() / 1e6 + " ms");
        run.assertOneTokenOnTheLiveRing(run.cluster.now(), why);
    }

    // ---- view digests, recomputed ---------------------------------------------------------------------

    /**
     * Each node's view digest as it reports it (ViewChanged), against the digest recomputed from the
     * membership entries the node sent and received: a node's view is the last-writer-wins merge of every
     * entry it announced or learnt, and each entry it sends is from its view, so merging all of them gives
     * its view back. Digests that merely agree would also agree if they were all 0.
     */
    @Test
    void viewDigestsEqualTheSumOfEntryHashesOfTheViewsRebuiltFromTheMessages() {
        SplittableRandom master = new SplittableRandom(0x1EE7_0005L);
        int checkedNonEmpty = 0;
        for (int c = 0; c < 6; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 5 + r.nextInt(8);
            Tapped tapped = new Tapped(n, HealingRing.protocol(CONFIG));
            SimCluster cluster = new SimCluster(HealingRing.overlay(n, CONFIG.successors()), tapped, SimConfig.of(seed));
            RingWatch watch = new RingWatch(n);
            Map<Integer, Observation.ViewChanged> lastView = new HashMap<>();
            cluster.addObserver(watch);
            cluster.addObserver(o -> {
                if (o instanceof Observation.ViewChanged v) {
                    lastView.put(v.node(), v);
                }
            });
            cluster.addInvariant(watch::check);
            cluster.start();
            int victim = 1 + r.nextInt(n - 1);
            int other = (victim + 2 + r.nextInt(n - 3)) % n;
            // A crash (an entry "dead"), a respawn (a newer entry "alive") and a partition that heals (entries
            // for both sides): views with several entries, some replaced.
            cluster.at(300 * MS, () -> {
                cluster.crash(victim);
                watch.crashed(victim, cluster.now());
            });
            cluster.at(700 * MS, () -> cluster.partition(new int[][] {{victim, other}}));
            cluster.at(1_000 * MS, cluster::heal);
            cluster.at(1_200 * MS, () -> {
                cluster.restart(victim);
                watch.restarted(victim, cluster.now());
            });
            // Not during the partition: a node whose successors are all suspected applies its own announcements
            // without sending them (no one to relay to), so its messages do not show its whole view until the heal.
            for (long t : new long[] {600 * MS, 1_800 * MS}) {
                cluster.runFor(t - cluster.now());
                String why = "n=" + n + " victim " + victim + " other " + other + " seed " + seed + " at " + t / MS + " ms";
                assertEquals(n, lastView.size(), why + ": every node reports its view");
                for (int v = 0; v < n; v++) {
                    if (!cluster.alive(v)) {
                        continue;
                    }
                    Map<Integer, Message.Member> view = tapped.view(v);
                    Observation.ViewChanged reported = lastView.get(v);
                    long dead = view.values().stream().filter(Message.Member::dead).count();
                    assertEquals(dead, reported.dead(), why + ": node " + v + " dead count, view " + view.values());
                    assertEquals(digest(view), reported.digest(), why + ": node " + v + " digest, view " + view.values());
                    if (!view.isEmpty()) {
                        checkedNonEmpty++;
                    }
                }
            }
            assertEquals(n, watch.live(), "seed " + seed);
            // At the end nobody is dead, and the views agree; a sum of 0 for a non-empty view would be a 2^-64 fluke.
            for (int v = 0; v < n; v++) {
                assertEquals(0, lastView.get(v).dead(), "node " + v + " seed " + seed);
                assertEquals(lastView.get(0).digest(), lastView.get(v).digest(), "node " + v + " digest, seed " + seed);
                assertTrue(tapped.view(v).isEmpty() || lastView.get(v).digest() != 0, "node " + v + " seed " + seed);
            }
        }
        assertTrue(checkedNonEmpty > 0, "no non-empty view was checked");
    }

    /** The digest as HealingRing defines it: the wrapping sum of one mixed hash per entry, order-free. */
    static long digest(Map<Integer, Message.Member> view) {
        long sum = 0;
        for (Message.Member m : view.values()) {
            long h = SplitMix.mix64(m.node() * 0x9E3779B97F4A7C15L + (m.dead() ? 1 : 2));
            h = SplitMix.mix64(h ^ m.stampNanos());
            sum += SplitMix.mix64(h ^ m.announcer());
        }
        return sum;
    }

    /** Wraps a protocol's nodes to record the membership entries each node receives and sends. */
    static final class Tapped implements Protocol {
        private final Protocol inner;
        private final List<TreeMap<Integer, Message.Member>> views = new ArrayList<>();

        Tapped(int n, Protocol inner) {
            this.inner = inner;
            for (int v = 0; v < n; v++) {
                views.add(new TreeMap<>());
            }
        }

        Map<Integer, Message.Member> view(int node) {
            return views.get(node);
        }

        private void merge(int node, Message m, int n) {
            if (m instanceof Message.Membership ms) {
                for (Message.Member e : ms.members()) {
                    if (e.node() < n) {
                        views.get(node).merge(e.node(), e, (a, b) -> b.newerThan(a) ? b : a);
                    }
                }
            }
        }

        @Override
        public String spec() {
            return inner.spec();
        }

        @Override
        public Node create(int id, Overlay overlay) {
            Node node = inner.create(id, overlay);
            views.get(id).clear(); // a respawned node starts with an empty view
            int n = overlay.size();
            return new Node() {
                @Override
                public void start(Env env) {
                    node.start(new ForwardingEnv(env) {
                        @Override
                        public void send(int to, Message m) {
                            merge(id, m, n);
                            super.send(to, m);
                        }
                    });
                }

                @Override
                public void onMessage(int from, Message m) {
                    merge(id, m, n);
                    node.onMessage(from, m);
                }

                @Override
                public void stop() {
                    node.stop();
                }
            };
        }
    }
}
