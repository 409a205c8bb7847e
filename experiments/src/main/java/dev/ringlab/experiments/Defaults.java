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
    private static final long MS = 1_000_000L;

    private Defaults() {}

    /**
     * The failure detector's timing of the healing ring (recover, config, catalog on a ring, cache).
     *
     * @param heartbeatNanos interval between heartbeats
     * @param suspicionNanos silence after which a neighbour is suspected
     * @param tokenLossNanos silence of the token after which it is regenerated; must exceed a rotation
     */
    public record Timing(long heartbeatNanos, long suspicionNanos, long tokenLossNanos) {
        /** {@code base} with this timing (its successor count and detector kept). */
        public RecoveryConfig applyTo(RecoveryConfig base) {
            return new RecoveryConfig(heartbeatNanos, suspicionNanos, tokenLossNanos, base.successors(), base.detector(),
                    base.phiThreshold());
        }

        /** {@code hb=10ms,suspect=50ms,loss=200ms}: the keys of {@link RecoveryConfig#spec()}. */
        @Override
        public String toString() {
            return "hb=" + Durations.format(heartbeatNanos) + ",suspect=" + Durations.format(suspicionNanos) + ",loss="
                    + Durations.format(tokenLossNanos);
        }
    }

    /**
     * The default timing on {@code engine} for a ring of {@code n} nodes whose links are bounded by
     * {@code link} ({@link RunOptions#linkBound}). Today the same rule on every engine: 10 ms heartbeats,
     * 50 ms suspicion, token loss after max(200 ms, 4 x n x the link's largest latency) so that it exceeds a
     * rotation. Every command's default timing comes from here, so a per-engine rule (for example from the
     * calibrated hop latency and the JVM's start-up and GC pauses) is wired in this one method.
     */
    public static Timing timing(ClusterEngine engine, int n, LinkModel link) {
        long loss = Math.max(200 * MS, Math.multiplyExact(4L * n, link.maxNanos()));
        return new Timing(10 * MS, 50 * MS, loss);
    }

    /**
     * Broadcasts injected and settled before the measured ones, and left out of every figure: the JIT, the
     * first frames on each connection and an idle event loop's wake-up make the first broadcasts of a real
     * engine slower than the rest. A deterministic engine runs on virtual time, where nothing warms up, so
     * it gets none and its trace hash covers exactly the measured broadcasts.
     */
    public static int warmupBroadcasts(ClusterEngine engine) {
        return engine.deterministic() ? 0 : REAL_WARMUP_BROADCASTS;
    }

    /** Warm-up broadcasts on a real engine ({@link #warmupBroadcasts}). */
    public static final int REAL_WARMUP_BROADCASTS = 4;

    /** Warm-up rotations of the token on a real engine ({@link #warmupRotations}). */
    public static final int REAL_WARMUP_ROTATIONS = 10;

    /**
     * Rotations the token makes before the measured ones, left out of every figure, for the reason of
     * {@link #warmupBroadcasts}; none on a deterministic engine.
     */
    public static long warmupRotations(ClusterEngine engine) {
        return engine.deterministic() ? 0 : REAL_WARMUP_ROTATIONS;
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
