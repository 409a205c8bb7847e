package dev.ringlab.experiments;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.check.RingWatch;
import dev.ringlab.node.spec.FaultPlan;
import java.util.Map;

/**
 * The health of the healing ring under an application that runs on it ({@code config} and {@code catalog} on
 * {@code --topology ring}, {@code cache}), measured as {@code recover} measures it, from the observation
 * stream ({@link RingWatch}), so it means the same on every engine:
 * <ul>
 *   <li>{@code false_suspicions}: suspicions of a node that was not down at that instant;</li>
 *   <li>{@code tokens_max_after_repair}: the most token epochs circulating at one instant from the first full
 *       rotation of the live ring after the last fault (after the start, if there is none) to the end of a
 *       tail of 5/4 token-loss timeouts, long enough for a second token, if any, to show; null if the ring
 *       never completed that rotation;</li>
 *   <li>{@code tokens_created}: token epochs created in the whole run (one at the start, one per regeneration);</li>
 *   <li>{@code token_creations}: each creation as {@code "node V@T ms"}, T from the origin ({@link #mark}).</li>
 * </ul>
 * Feed it every fault as it is applied ({@link #applied}, a {@link FaultPlan.Listener}).
 */
final class RingHealth implements FaultPlan.Listener {
    private final Cluster cluster;
    private final RingWatch watch;
    private long repairedAt = -1;
    private long originNanos;

    /** Watches {@code cluster}'s ring; call before {@link Cluster#start}. */
    RingHealth(Cluster cluster) {
        this.cluster = cluster;
        // No custody check: a processes cluster reads each child on its own thread (see RingWatch).
        this.watch = new RingWatch(cluster.size(), false);
        cluster.addObserver(watch);
    }

    /** Full rotations count from here (call once the run's origin is set). */
    void mark() {
        originNanos = cluster.now();
        watch.markRotations(originNanos);
    }

    @Override
    public void applied(FaultPlan.Kind kind, int node, long atNanos, long callNanos) {
        switch (kind) {
            case CRASH -> watch.crashed(node, atNanos, callNanos);
            // Back from the call's start: on a real engine the new incarnation runs before the call returns.
            case RESTART -> watch.restarted(node, atNanos - callNanos, atNanos);
            default -> {}
        }
        watch.markRotations(atNanos);
    }

    /**
     * Runs the tail: until the live ring completes a full rotation after the last fault (at most
     * {@code limitNanos}), then until 5/4 token-loss timeouts after it.
     */
    void tail(long tokenLossTimeoutNanos, long limitNanos) {
        if (cluster.runUntil(() -> watch.fullRotationAt() >= 0, limitNanos)) {
            repairedAt = watch.fullRotationAt();
            long end = repairedAt + Math.max(300_000_000L, 5 * tokenLossTimeoutNanos / 4);
            if (end > cluster.now()) {
                cluster.runFor(end - cluster.now());
            }
        }
    }

    /** Adds the fields (see the class doc). */
    void report(Map<String, Object> o) {
        o.put("false_suspicions", watch.falseSuspicions());
        o.put("tokens_max_after_repair", repairedAt < 0 ? null : watch.maxConcurrentEpochsAfter(repairedAt));
        o.put("tokens_created", watch.epochsCreated());
        o.put("token_creations", watch.creations().stream()
                .map(c -> "node " + c[0] + "@" + String.format(java.util.Locale.ROOT, "%.1f", (c[2] - originNanos) / 1e6) + "ms")
                .toList());
    }

    /** Suspicions of a node that was not down at that instant, so far. */
    long falseSuspicions() {
        return watch.falseSuspicions();
    }
}
