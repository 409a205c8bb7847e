package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.topology.Topologies;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The real engines' warm-up ({@link BroadcastExperiment#warmUp}) on a real netty cluster, and none on sim. */
class WarmUpTest {
    private static final int N = 16;

    @Test
    @Timeout(60)
    void nettyWarmsUpToTheDeliveryTargetOrTheTimeCapAndCountsWhatItRan() {
        ClusterEngine netty = Engines.byName("netty");
        try (Cluster c = netty.build(RunSpec.of(Topologies.build("ring", N, 1), Flood.PROTOCOL, 1))) {
            c.start();
            long t0 = c.now();
            BroadcastExperiment.WarmUp w = BroadcastExperiment.warmUp(c, netty, new byte[8], 5_000_000_000L);
            long took = c.now() - t0;
            int rounds = w.broadcasts() - w.paced();
            assertTrue(rounds >= Defaults.REAL_WARMUP_BROADCASTS, "round broadcasts " + rounds);
            assertEquals(0, rounds % Defaults.REAL_WARMUP_BROADCASTS, "whole rounds: " + rounds);
            // A flood on the directed ring sends one message per node, the origin's included; all settled.
            assertEquals((long) w.broadcasts() * N, w.deliveries(), "deliveries of " + w.broadcasts() + " broadcasts");
            assertEquals(w.deliveries(), w.stats().messagesDelivered(), "the baseline the measured run starts from");
            // The rounds stop at the target, or at the time cap on a slow host (then a round's wait and the settle).
            assertTrue((long) rounds * N >= Defaults.REAL_WARMUP_DELIVERIES || took >= Defaults.REAL_WARMUP_MAX_NANOS,
                    rounds * N + " round deliveries in " + took / 1e6 + " ms");
            // No round once the target was reached. A round waits for n - 1 deliveries per broadcast where a
            // ring flood makes n, so rounds can overlap a little: well under twice the target's broadcasts.
            assertTrue(rounds <= 2 * Defaults.REAL_WARMUP_DELIVERIES / N, "round broadcasts " + rounds);
            // Then the paced broadcasts: all of them, or as many as the second time cap let through.
            assertTrue(w.paced() >= 1 && w.paced() <= Defaults.REAL_WARMUP_PACED, "paced " + w.paced());
            assertTrue(w.paced() == Defaults.REAL_WARMUP_PACED || took >= Defaults.REAL_WARMUP_PACED_MAX_NANOS,
                    w.paced() + " paced broadcasts in " + took / 1e6 + " ms");
            // Each paced broadcast waits at least its gap.
            assertTrue(took >= w.paced() * Defaults.REAL_WARMUP_PACED_GAP_NANOS, "took " + took / 1e6 + " ms");
            assertTrue(took < Defaults.REAL_WARMUP_MAX_NANOS + Defaults.REAL_WARMUP_PACED_MAX_NANOS
                    + 2 * BroadcastExperiment.WARMUP_ROUND_WAIT_NANOS + 5_000_000_000L,
                    "took " + took / 1e6 + " ms");
        }
    }

    @Test
    @Timeout(120)
    void nettyWarmsTheJvmUpOnceOnThrowawayClustersAndSimAndProcessesNever() {
        BroadcastExperiment.forgetJvmWarmUp();
        java.io.StringWriter log = new java.io.StringWriter();
        java.io.PrintWriter err = new java.io.PrintWriter(log);
        assertEquals(0, BroadcastExperiment.warmUpJvm(Engines.byName("sim"), err).clusters());
        assertEquals(0, BroadcastExperiment.warmUpJvm(Engines.byName("processes"), err).clusters());
        assertEquals("", log.toString(), "no line where nothing runs");
        ClusterEngine netty = Engines.byName("netty");
        assertEquals(Defaults.JVM_WARMUP_CLUSTERS, Defaults.jvmWarmupClusters(netty));
        // One throwaway cluster here, not the CLI's three: the same path at a third of the time (this test's JVM pays the
        // three once anyway, for whichever netty test comes first).
        BroadcastExperiment.JvmWarmUp first = BroadcastExperiment.warmUpJvm(netty, err, 1);
        assertEquals(1, first.clusters());
        // The throwaway cluster runs a whole warm-up: its paced part alone waits 1 ms per broadcast.
        assertTrue(first.wallNanos() >= Defaults.REAL_WARMUP_PACED_GAP_NANOS, "took " + first.wallNanos() / 1e6 + " ms");
        assertTrue(log.toString().contains("warming up this JVM's netty engine once: 1 throwaway"), log.toString());
        BroadcastExperiment.JvmWarmUp again = BroadcastExperiment.warmUpJvm(netty, err);
        assertEquals(0, again.clusters(), "once per JVM");
        assertEquals(0, again.wallNanos());
        assertEquals(1, log.toString().lines().count(), log.toString());
        assertTrue(Defaults.warmupRule(netty).endsWith("-after-" + Defaults.JVM_WARMUP_CLUSTERS + "-jvm-warmup-clusters"),
                Defaults.warmupRule(netty));
        assertEquals("none", Defaults.warmupRule(Engines.byName("sim")));
    }

    @Test
    void simHasNoWarmUpAndItsClockDoesNotMove() {
        ClusterEngine sim = Engines.byName("sim");
        try (Cluster c = sim.build(RunSpec.of(Topologies.build("ring", N, 1), Flood.PROTOCOL, 1))) {
            c.start();
            long t0 = c.now();
            BroadcastExperiment.WarmUp w = BroadcastExperiment.warmUp(c, sim, new byte[8], 5_000_000_000L);
            assertEquals(0, w.broadcasts());
            assertEquals(0, w.deliveries());
            assertEquals(0, w.stats().messagesDelivered());
            assertEquals(t0, c.now());
        }
    }
}
