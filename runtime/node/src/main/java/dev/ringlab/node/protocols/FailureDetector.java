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
 *
 * <p>Two corrections for what silence cannot tell, both no-ops in the simulator:
 * <ul>
 *   <li><b>Probation.</b> Until the peer has been heard from once, and for
 *       {@link RecoveryConfig#probationNanos} after the detector starts or is {@link #reset} (the peer came
 *       back), its silence is judged against {@link RecoveryConfig#graceTimeoutNanos} instead: a node that
 *       just (re)started cannot tell a dead successor from one whose link is still being dialled or whose
 *       process is still starting, and a JVM that just started stalls while it loads and compiles code.</li>
 *   <li><b>Local pauses.</b> {@link #suspects(long, long, long)} takes how long the judging node itself was
 *       paused (its heartbeat tick came that late: a stalled event loop, a GC pause, a process the OS did
 *       not schedule) and does not count that time as the peer's silence: acks that arrived meanwhile may
 *       still be unread in the socket. The judgement is delayed by at most the pause. It also takes a
 *       slack added to the limit, which the caller derives from its own recent stalls: on a host that
 *       stalls the judge, the peers (sharing the host) stall as well.</li>
 * </ul>
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
    private boolean contacted;
    private long probationEndsNanos;

    /** A detector that last heard from its peer at {@code nowNanos} (a node presumes its peers alive when it starts). */
    public FailureDetector(RecoveryConfig config, long nowNanos) {
        this.config = config;
        this.lastHeardNanos = nowNanos;
        this.probationEndsNanos = nowNanos + config.probationNanos();
    }

    /** An ack (or any message) from the peer arrived at {@code nowNanos}. */
    public void heard(long nowNanos) {
        contacted = true;
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

    /**
     * Clears the interval history, e.g. when a suspected peer comes back (its old rhythm says nothing now).
     * The peer stays contacted (it is reset because it was just heard) and is on probation again for
     * {@link RecoveryConfig#probationNanos}.
     */
    public void reset(long nowNanos) {
        probationEndsNanos = nowNanos + config.probationNanos();
        count = 0;
        next = 0;
        sum = 0;
        sumSquares = 0;
        lastHeardNanos = nowNanos;
    }

    public long lastHeardNanos() {
        return lastHeardNanos;
    }

    /** True once the peer has been heard from. */
    public boolean contacted() {
        return contacted;
    }

    /** True if the peer is judged by the grace timeout at {@code nowNanos} (see the class doc). */
    public boolean onProbation(long nowNanos) {
        return !contacted || nowNanos - probationEndsNanos < 0;
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

    /** True if the peer should be suspected at {@code nowNanos}, the judging node not having been paused. */
    public boolean suspects(long nowNanos) {
        return suspects(nowNanos, 0, 0);
    }

    /**
     * True if the peer should be suspected at {@code nowNanos} when the judging node itself was paused for
     * {@code pausedNanos} just before (that much of the silence is not counted) and the limit is extended by
     * {@code slackNanos} (the timeout rule: silence must exceed the timeout plus the slack; phi: phi is taken
     * that much earlier). Negative values count as 0.
     */
    public boolean suspects(long nowNanos, long pausedNanos, long slackNanos) {
        long at = nowNanos - Math.max(0, pausedNanos) - Math.max(0, slackNanos);
        long silence = at - lastHeardNanos;
        if (onProbation(nowNanos)) {
            return silence > config.graceTimeoutNanos();
        }
        if (config.detector() == RecoveryConfig.Detector.PHI && count >= 2) {
            return phi(at) > config.phiThreshold();
        }
        return silence > config.suspicionTimeoutNanos();
    }
}
