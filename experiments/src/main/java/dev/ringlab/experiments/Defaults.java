package dev.ringlab.experiments;

import dev.ringlab.node.protocols.RecoveryConfig;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.Durations;
import dev.ringlab.node.spec.LinkModel;

/**
 * Every default that may depend on the engine, in one place, so the commands hold no per-engine branch and
 * a per-engine rule is changed here only. Each method documents its rule.
 */
public final class Defaults {
    private Defaults() {}

    /**
     * The failure detector's timing of the healing ring (recover, config, catalog on a ring, cache).
     *
     * @param heartbeatNanos interval between heartbeats
     * @param suspicionNanos silence after which a neighbour is suspected
     * @param tokenLossNanos silence of the token after which it is regenerated; must exceed a rotation
     * @param graceNanos     silence tolerated from a successor not yet heard, or just back (>= suspicion)
     * @param probationNanos how long after a start or a return the grace applies
     */
    public record Timing(long heartbeatNanos, long suspicionNanos, long tokenLossNanos, long graceNanos,
            long probationNanos) {
        /** Sim-style timing: the grace is the suspicion timeout and there is no probation. */
        public Timing(long heartbeatNanos, long suspicionNanos, long tokenLossNanos) {
            this(heartbeatNanos, suspicionNanos, tokenLossNanos, suspicionNanos, 0);
        }

        /** {@code base} with this timing (its successor count and detector kept). */
        public RecoveryConfig applyTo(RecoveryConfig base) {
            return new RecoveryConfig(heartbeatNanos, suspicionNanos, tokenLossNanos, base.successors(), base.detector(),
                    base.phiThreshold(), Math.max(graceNanos, suspicionNanos), probationNanos);
        }

        /** {@code hb=10ms,suspect=50ms,loss=200ms[,grace=..,probation=..]}: the keys of {@link RecoveryConfig#spec()}. */
        @Override
        public String toString() {
            String s = "hb=" + Durations.format(heartbeatNanos) + ",suspect=" + Durations.format(suspicionNanos) + ",loss="
                    + Durations.format(tokenLossNanos);
            return graceNanos == suspicionNanos && probationNanos == 0 ? s
                    : s + ",grace=" + Durations.format(graceNanos) + ",probation=" + Durations.format(probationNanos);
        }
    }

    /**
     * The default timing on {@code engine} for a ring of {@code n} nodes whose links are bounded by
     * {@code link} ({@link RunOptions#linkBound}): the rule of {@link dev.ringlab.node.spec.Timing} (its
     * javadoc gives it with the measured figure behind each constant). On sim: 10 ms heartbeats, 50 ms
     * suspicion, token loss after max(200 ms, 4 x n x the link's largest latency). On netty and processes the
     * timeouts grow with the engine's pause bound (JIT warm-up, scheduling on a loaded host) and a respawned
     * node's reconnection, and a successor not yet heard gets a grace period during a probation after start.
     * Every command's default timing comes from here.
     */
    public static Timing timing(ClusterEngine engine, int n, LinkModel link) {
        dev.ringlab.node.spec.Timing t = dev.ringlab.node.spec.Timing.forEngine(engine.name(), n, link.maxNanos());
        return new Timing(t.heartbeatNanos(), t.suspicionNanos(), t.tokenLossNanos(), t.graceNanos(), t.probationNanos());
    }

    /**
     * The fewest warm-up broadcasts: injected before the measured ones, and left out of every figure. The JIT,
     * the first frames on each connection and an idle event loop's wake-up make the first broadcasts of a real
     * engine slower than the rest. A deterministic engine runs on virtual time, where nothing warms up, so
     * it gets none and its trace hash covers exactly the measured broadcasts. A real engine goes on with
     * more rounds of this many until {@link #warmupDeliveries} messages were delivered (see
     * {@link BroadcastExperiment#warmUp}).
     */
    public static int warmupBroadcasts(ClusterEngine engine) {
        return engine.deterministic() ? 0 : REAL_WARMUP_BROADCASTS;
    }

    /** Warm-up broadcasts per round on a real engine, and the fewest ({@link #warmupBroadcasts}). */
    public static final int REAL_WARMUP_BROADCASTS = 4;

    /**
     * Messages a real engine's warm-up delivers before the measured broadcasts (0 on a deterministic engine).
     * Four broadcasts were not enough: on netty, a 16-node ring flood after 250 ms of quiet took 4.8 ms from
     * injection to the last node (hops of 110-260 us) in a JVM that had run only such floods, and 1.4 ms
     * (hops of 20-40 us) after 300 back-to-back floods (4,800 deliveries) had compiled the delivery path.
     * Measured with a probe outside the repository, 30 floods each, median per hop.
     */
    public static long warmupDeliveries(ClusterEngine engine) {
        return engine.deterministic() ? 0 : REAL_WARMUP_DELIVERIES;
    }

    /** The warm-up rule in words, for options lines: "none" on a deterministic engine. */
    public static String warmupRule(ClusterEngine engine) {
        int jvm = jvmWarmupClusters(engine);
        return engine.deterministic() ? "none" : "rounds-of-" + REAL_WARMUP_BROADCASTS + "-broadcasts-to-"
                + REAL_WARMUP_DELIVERIES + "-deliveries-or-" + (REAL_WARMUP_MAX_NANOS / 1_000_000_000L) + "s-then-"
                + REAL_WARMUP_PACED + "-paced-or-" + (REAL_WARMUP_PACED_MAX_NANOS / 1_000_000_000L) + "s"
                + (jvm == 0 ? "" : "-after-" + jvm + "-jvm-warmup-clusters");
    }

    /**
     * Throwaway clusters whose warm-up ({@link BroadcastExperiment#warmUp}, on a 16-node ring flood) a JVM runs
     * once, before the first cluster it measures on {@code engine} ({@link BroadcastExperiment#warmUpJvm}): 3 on
     * netty, whose nodes run in this JVM; none on the simulator (nothing warms up) and on processes (each cluster
     * starts JVMs of its own, which its own warm-up warms). Each cluster's own warm-up did not make the JVM's
     * first cluster as fast as the later ones: measured on netty, ring n = 16, 16 broadcasts with random origins,
     * p50 per cluster, each cluster after its own warm-up (a probe outside the repository, 2026-12-06, load
     * 0.2-0.6), the first cluster of a fresh JVM measured 0.79, 0.79 and 0.88 ms where the five after it
     * measured 0.43-0.65; with one throwaway cluster first, 0.92, 0.63, 0.73, 0.68, 0.52 and 0.52 ms; with three,
     * 0.56, 0.52 and 0.62 ms. In 15 of the 19 kept {@code fidelity} runs of 2026-12-05/06, seed 1 of the first
     * netty cell (ring, n = 16) was the slowest of its three seeds. Three clusters take about 5 s.
     */
    public static int jvmWarmupClusters(ClusterEngine engine) {
        return engine.name().equals("netty") ? JVM_WARMUP_CLUSTERS : 0;
    }

    /** Throwaway warm-up clusters a JVM runs once before it first measures on netty ({@link #jvmWarmupClusters}). */
    public static final int JVM_WARMUP_CLUSTERS = 3;

    /**
     * Single broadcasts a real engine's warm-up injects after its rounds, one at a time with
     * {@link #REAL_WARMUP_PACED_GAP_NANOS} of quiet between them (at most {@link #REAL_WARMUP_PACED_MAX_NANOS}; see
     * {@link BroadcastExperiment#warmUp}). Measured on netty, ring n = 32, 48 broadcasts with random origins after
     * the warm-up, p50 from the origin's delivery, the first cluster of a fresh JVM (three alternating runs each,
     * probe outside the repository): 1.03-1.20 ms after the rounds alone, 0.81-0.89 ms with 500 paced floods
     * after them. Without them the p50 fell over some 40 s of measured broadcasts, and the JIT compiled the event
     * loop's wake-up path ({@code EpollIoHandler.run}, {@code processReady}) only after 20-45 s. 1,500 paced floods
     * or 5 ms gaps measured alike (0.80-0.92 ms). With the phase capped at 1 s (2 s at first), three alternating
     * pairs: 0.84, 0.88 and 0.98 ms against 0.81, 0.95 and 1.00 ms with the 2 s cap. 250 paced floods (500 at
     * first), three alternating pairs at a load of 2-10 (a CI run was ending): 0.78, 0.91 and 0.87 ms against 0.81,
     * 1.15 and 0.94 ms with 500. 250 take half the time, which every real-engine test pays.
     */
    public static final int REAL_WARMUP_PACED = 250;

    /** Longest the paced part of a real engine's warm-up goes on ({@link #REAL_WARMUP_PACED}), in engine time. */
    public static final long REAL_WARMUP_PACED_MAX_NANOS = 1_000_000_000L;

    /** Quiet after each paced warm-up broadcast ({@link #REAL_WARMUP_PACED}): the engine's threads go idle. */
    public static final long REAL_WARMUP_PACED_GAP_NANOS = 1_000_000L;

    /** Warm-up deliveries on a real engine ({@link #warmupDeliveries}). */
    public static final long REAL_WARMUP_DELIVERIES = 8_000;

    /** Longest a real engine's warm-up goes on injecting before it settles, in engine time. */
    public static final long REAL_WARMUP_MAX_NANOS = 2_000_000_000L;

    /**
     * The token's warm-up on {@code engine}, for the options line: on a real engine it circles until
     * {@link #REAL_WARMUP_DELIVERIES} hops or {@link #REAL_WARMUP_MAX_NANOS} since its first rotation began, and
     * then one rotation more ({@link TokenMetrics#untilWarm}); none on a deterministic engine.
     * It used to be 10 rotations: 160 hops on a 16-node netty ring, a JIT that had compiled little of the path.
     */
    public static String tokenWarmupRule(ClusterEngine engine) {
        return engine.deterministic() ? "none" : "rotations-to-" + REAL_WARMUP_DELIVERIES + "-hops-or-"
                + (REAL_WARMUP_MAX_NANOS / 1_000_000_000L) + "s";
    }

    /**
     * What a broadcast sweep ({@code compare}) runs when not told: seeds per (topology, n), broadcasts per
     * seed, and the largest n. A real engine waits {@link dev.ringlab.node.Cluster#QUIET_NANOS} of quiet to
     * settle each broadcast, so it runs fewer; netty holds 256 nodes in one JVM in minutes on 2 cores,
     * processes 32 JVMs.
     */
    public record Sweep(int seeds, int broadcasts, int maxNodes) {}

    public static Sweep sweep(ClusterEngine engine) {
        if (engine.deterministic()) {
            return new Sweep(10, 32, Integer.MAX_VALUE);
        }
        return new Sweep(3, 8, engine.name().equals("processes") ? 32 : 256);
    }
}
