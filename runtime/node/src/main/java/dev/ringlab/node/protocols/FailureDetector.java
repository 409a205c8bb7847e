package dev.ringlab.node.protocols;

/**
 * One node's judgement of one monitored peer, from the arrival times of that peer's heartbeat acks: a
 * small state class, fed by {@link #heard} and asked by {@link #suspects}, with time as a parameter (no
 * clock of its own), so it is tested by hand.
 *
 * <p>{@link RecoveryConfig.Detector#TIMEOUT}: suspect after {@code suspicionTimeoutNanos} of silence.
 * {@link RecoveryConfig.Detector#PHI}: the phi-accrual detector (Hayashibara, Défago, Yared, Katayama, "The
 * phi accrual failure detector", SRDS 2004): the last {@link #WINDOW} inter-arrival intervals are fitted
 * with a normal distribution (standard deviation at least a quarter of the heartbeat interval, so a
 * perfectly regular simulator does not make phi explode at the first late ack), and
 * {@code phi(t) = -log10(1 - F(t))} for the silence {@code t}; the node suspects when phi exceeds the
 * threshold. {@code 1 - F} uses the logistic approximation of the normal tail that Akka uses
 * ({@code 1 / (1 + e^{y(1.5976 + 0.070566 y^2)})}). Until two intervals are known it falls back to the
 * timeout rule.
 */
public final class FailureDetector {
    /** Inter-arrival intervals kept for the phi fit. */
    public static final int WINDOW = 32;

    private final RecoveryConfig config;
    private final long[] intervals = new long[WINDOW];
    private int count;
    private int next;
    private long sum;
    private double sumSquares;
    private long lastHeardNanos;

    /** A detector that last heard from its peer at {@code nowNanos} (a node presumes its peers alive when it starts). */
    public FailureDetector(RecoveryConfig config, long nowNanos) {
        this.config = config;
        this.lastHeardNanos = nowNanos;
    }

    /** An ack (or any message) from the peer arrived at {@code nowNanos}. */
    public void heard(long nowNanos) {
        long interval = nowNanos - lastHeardNanos;
        lastHeardNanos = nowNanos;
        if (interval <= 0) {
            return;
        }
        if (count == WINDOW) {
            long old = intervals[next];
            sum -= old;
            sumSquares -= (double) old * old;
        } else {
            count++;
        }
        intervals[next] = interval;
        next = (next + 1) % WINDOW;
        sum += interval;
        sumSquares += (double) interval * interval;
    }

    /** Clears the interval history, e.g. when a suspected peer comes back (its old rhythm says nothing now). */
    public void reset(long nowNanos) {
        count = 0;
        next = 0;
        sum = 0;
        sumSquares = 0;
        lastHeardNanos = nowNanos;
    }

    public long lastHeardNanos() {
        return lastHeardNanos;
    }

    /** The suspicion level at {@code nowNanos}; 0 before two intervals are known. */
    public double phi(long nowNanos) {
        if (count < 2) {
            return 0;
        }
        double mean = (double) sum / count;
        double variance = Math.max(0, sumSquares / count - mean * mean);
        double minSd = config.heartbeatIntervalNanos() / 4.0;
        double sd = Math.max(Math.sqrt(variance), minSd);
        double y = ((nowNanos - lastHeardNanos) - mean) / sd;
        double e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
        double pLater = y > 0 ? e / (1 + e) : 1 - 1 / (1 + e);
        return pLater <= 0 ? Double.POSITIVE_INFINITY : -Math.log10(pLater);
    }

    /** True if the peer should be suspected at {@code nowNanos}. */
    public boolean suspects(long nowNanos) {
        long silence = nowNanos - lastHeardNanos;
        if (config.detector() == RecoveryConfig.Detector.PHI && count >= 2) {
            return phi(nowNanos) > config.phiThreshold();
        }
        return silence > config.suspicionTimeoutNanos();
    }
}
