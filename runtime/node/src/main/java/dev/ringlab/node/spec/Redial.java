package dev.ringlab.node.spec;

import dev.ringlab.node.SplitMix;

/**
 * The reconnection schedule of a dropped edge, one definition for the real engines' link tables and the
 * simulator's restart model: attempt {@code k} (0 for the first redial after the edge dropped, reset when a
 * connection is up again) waits {@code d = min(max, base * 2^k)} with full jitter in {@code [d/2, d]}.
 *
 * <p>The jitter is not drawn from a free-running generator but from (run seed, dialer, peer, attempt): a
 * real run and its simulated prediction with the same seed wait the same delays, so the time a respawned
 * node waits for its neighbour's redial (most of its rejoin time on loopback) is replayed, not only its
 * distribution. Different dialers and peers get independent delays, so neighbours of a crashed node do not
 * redial in step. The price: every outage of the same edge in one run repeats the same delays.
 */
public final class Redial {
    private static final long STREAM = 0x72656469616cL; // "redial"

    /**
     * Attempts past this one wait its delay again (the link table counts no further), so an outage longer than
     * about 30 attempts redials at one fixed interval.
     */
    public static final int MAX_ATTEMPT = 30;

    private Redial() {}

    /**
     * The delay before attempt {@code attempt} of {@code dialer}'s redial of {@code peer}, in
     * {@code [d/2, d]} with {@code d = min(maxNanos, baseNanos << min(attempt, 20))}; attempts past
     * {@link #MAX_ATTEMPT} are that attempt.
     */
    public static long delayNanos(long seed, int dialer, int peer, int attempt, long baseNanos, long maxNanos) {
        int a = Math.min(Math.max(attempt, 0), MAX_ATTEMPT);
        long d = Math.min(maxNanos, baseNanos << Math.min(a, 20));
        long half = d / 2;
        long h = SplitMix.mix64(seed ^ STREAM ^ SplitMix.mix64(((long) dialer << 32 | (peer & 0xffffffffL))
                ^ SplitMix.mix64(a + 1L)));
        double unit = (h >>> 11) * 0x1.0p-53;
        return half + (long) (unit * (half + 1));
    }
}
