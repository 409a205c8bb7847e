package dev.ringlab.node.protocols;

import java.util.Locale;
import java.util.Objects;

/**
 * The knobs of {@link HealingRing}'s failure detection and repair: one immutable record, units in the names,
 * printable and parseable ({@link #spec()} / {@link #parse}), so a run's header replays it.
 *
 * @param heartbeatIntervalNanos a node heartbeats each successor in its list this often; failure detection,
 *                               the token-loss check and the membership re-announcement run on the same tick
 * @param suspicionTimeoutNanos  {@link Detector#TIMEOUT}: a successor silent (no heartbeat ack) for longer
 *                               is suspected; {@link Detector#PHI}: the fallback until the first intervals
 *                               are measured
 * @param tokenLossTimeoutNanos  a node that has not seen the token for this long presumes it lost; the
 *                               lowest live node in its view then regenerates it (any node after twice as
 *                               long). Must exceed one rotation of the ring, or fault-free runs regenerate
 * @param successors             length r of the successor list: a node skips up to r - 1 dead successors
 *                               in a row (the overlay needs an edge to each)
 * @param detector               which failure detector judges heartbeat silence
 * @param phiThreshold           {@link Detector#PHI}: suspect when phi exceeds this (8: about one false
 *                               suspicion in 10^8 heartbeat gaps under the fitted normal distribution)
 * @param graceTimeoutNanos      a successor on probation is suspected only after this much silence (at
 *                               least the suspicion timeout, which is the default). A successor is on
 *                               probation until this node first hears from it after starting, and for
 *                               {@code probationNanos} after this node starts and after the successor comes
 *                               back from a suspicion: on real engines a (re)started node's first heartbeats
 *                               wait for links still dialling and for peers still starting, and a JVM that
 *                               just started stalls while it loads and compiles code; silence then says
 *                               little about the peer (see {@link dev.ringlab.node.spec.Timing}). Spec key
 *                               {@code grace}, printed only when it differs from the suspicion timeout
 * @param probationNanos         see {@code graceTimeoutNanos}; 0 (the default): probation ends at first
 *                               contact. Spec key {@code probation}, printed only when not 0
 */
public record RecoveryConfig(long heartbeatIntervalNanos, long suspicionTimeoutNanos, long tokenLossTimeoutNanos,
        int successors, Detector detector, double phiThreshold, long graceTimeoutNanos, long probationNanos) {

    /** The failure detectors a node can run on heartbeat acks. */
    public enum Detector {
        /** Suspect after a fixed silence ({@code suspicionTimeoutNanos}). */
        TIMEOUT,
        /**
         * The phi-accrual detector (Hayashibara, Défago, Yared, Katayama, SRDS 2004): suspicion level phi =
         * -log10 P(an ack comes later than now), from a normal fit of recent inter-ack intervals.
         */
        PHI
    }

    public static final String SPEC_PREFIX = "healing";
    public static final String FORMS = "healing[:hb=D,suspect=D,grace=D,probation=D,loss=D,r=R,phi=T] (D a duration "
            + "such as 10ms; grace=D: the suspicion timeout of a successor on probation (until first contact, and "
            + "probation=D after a start or a return), default the suspicion timeout; "
            + "phi=T selects the phi-accrual detector with threshold T)";

    public RecoveryConfig {
        Objects.requireNonNull(detector, "detector");
        if (heartbeatIntervalNanos <= 0) {
            throw new IllegalArgumentException("heartbeat interval must be > 0, got " + heartbeatIntervalNanos + " ns");
        }
        if (suspicionTimeoutNanos < heartbeatIntervalNanos) {
            throw new IllegalArgumentException("suspicion timeout (" + suspicionTimeoutNanos
                    + " ns) must be at least the heartbeat interval (" + heartbeatIntervalNanos + " ns)");
        }
        if (graceTimeoutNanos < suspicionTimeoutNanos) {
            throw new IllegalArgumentException("grace timeout (" + graceTimeoutNanos
                    + " ns) must be at least the suspicion timeout (" + suspicionTimeoutNanos + " ns)");
        }
        if (graceTimeoutNanos > Long.MAX_VALUE / 4) {
            throw new IllegalArgumentException("grace timeout too long: " + graceTimeoutNanos + " ns");
        }
        if (probationNanos < 0 || probationNanos > Long.MAX_VALUE / 4) {
            throw new IllegalArgumentException("probation must be in 0.." + Long.MAX_VALUE / 4 + " ns, got "
                    + probationNanos + " ns");
        }
        if (tokenLossTimeoutNanos < suspicionTimeoutNanos) {
            throw new IllegalArgumentException("token-loss timeout (" + tokenLossTimeoutNanos
                    + " ns) must be at least the suspicion timeout (" + suspicionTimeoutNanos + " ns)");
        }
        if (tokenLossTimeoutNanos > Long.MAX_VALUE / 4) {
            throw new IllegalArgumentException("token-loss timeout too long: " + tokenLossTimeoutNanos + " ns");
        }
        if (successors < 1 || successors > 64) {
            throw new IllegalArgumentException("successor list length r must be in 1..64, got " + successors);
        }
        if (!(phiThreshold > 0 && phiThreshold <= 300)) {
            throw new IllegalArgumentException("phi threshold must be in (0, 300], got " + phiThreshold);
        }
    }

    /** Without a grace: a successor on probation is judged by the suspicion timeout too, and probation ends at first contact. */
    public RecoveryConfig(long heartbeatIntervalNanos, long suspicionTimeoutNanos, long tokenLossTimeoutNanos,
            int successors, Detector detector, double phiThreshold) {
        this(heartbeatIntervalNanos, suspicionTimeoutNanos, tokenLossTimeoutNanos, successors, detector, phiThreshold,
                suspicionTimeoutNanos, 0);
    }

    /**
     * 10 ms heartbeats, 50 ms suspicion timeout (and first contact), 200 ms token-loss timeout, r = 3, timeout
     * detector: the simulator's timing ({@link dev.ringlab.node.spec.Timing#forEngine} gives each engine's).
     */
    public static RecoveryConfig defaults() {
        return new RecoveryConfig(10_000_000L, 50_000_000L, 200_000_000L, 3, Detector.TIMEOUT, 8.0);
    }

    public RecoveryConfig withHeartbeatIntervalNanos(long v) {
        return new RecoveryConfig(v, suspicionTimeoutNanos, tokenLossTimeoutNanos, successors, detector, phiThreshold,
                graceTimeoutNanos, probationNanos);
    }

    /** A new suspicion timeout; a grace timeout that was the old suspicion timeout follows it. */
    public RecoveryConfig withSuspicionTimeoutNanos(long v) {
        long first = graceTimeoutNanos == suspicionTimeoutNanos ? v : Math.max(v, graceTimeoutNanos);
        return new RecoveryConfig(heartbeatIntervalNanos, v, tokenLossTimeoutNanos, successors, detector, phiThreshold,
                first, probationNanos);
    }

    public RecoveryConfig withGraceTimeoutNanos(long v) {
        return new RecoveryConfig(heartbeatIntervalNanos, suspicionTimeoutNanos, tokenLossTimeoutNanos, successors,
                detector, phiThreshold, v, probationNanos);
    }

    public RecoveryConfig withProbationNanos(long v) {
        return new RecoveryConfig(heartbeatIntervalNanos, suspicionTimeoutNanos, tokenLossTimeoutNanos, successors,
                detector, phiThreshold, graceTimeoutNanos, v);
    }

    public RecoveryConfig withTokenLossTimeoutNanos(long v) {
        return new RecoveryConfig(heartbeatIntervalNanos, suspicionTimeoutNanos, v, successors, detector, phiThreshold,
                graceTimeoutNanos, probationNanos);
    }

    public RecoveryConfig withSuccessors(int r) {
        return new RecoveryConfig(heartbeatIntervalNanos, suspicionTimeoutNanos, tokenLossTimeoutNanos, r, detector,
                phiThreshold, graceTimeoutNanos, probationNanos);
    }

    /** The phi-accrual detector with {@code threshold}. */
    public RecoveryConfig withPhi(double threshold) {
        return new RecoveryConfig(heartbeatIntervalNanos, suspicionTimeoutNanos, tokenLossTimeoutNanos, successors,
                Detector.PHI, threshold, graceTimeoutNanos, probationNanos);
    }

    /**
     * The protocol spec, e.g. {@code healing:hb=10ms,suspect=50ms,loss=200ms,r=3} ({@code grace=D} and
     * {@code probation=D} after {@code suspect} only when they are not the defaults, so specs written before
     * they existed are unchanged); {@link #parse} gives this record back.
     */
    public String spec() {
        String s = SPEC_PREFIX + ":hb=" + format(heartbeatIntervalNanos) + ",suspect=" + format(suspicionTimeoutNanos)
                + (graceTimeoutNanos != suspicionTimeoutNanos ? ",grace=" + format(graceTimeoutNanos) : "")
                + (probationNanos != 0 ? ",probation=" + format(probationNanos) : "")
                + ",loss=" + format(tokenLossTimeoutNanos) + ",r=" + successors;
        return detector == Detector.PHI ? s + ",phi=" + phiThreshold : s;
    }

    /**
     * Parses {@code healing} (the defaults) or {@code healing:KEY=VALUE,...} with keys hb, suspect, grace,
     * probation, loss, r, phi; missing keys keep their defaults (a missing grace is the suspicion timeout).
     *
     * @throws IllegalArgumentException naming the bad part and {@link #FORMS}
     */
    public static RecoveryConfig parse(String spec) {
        Objects.requireNonNull(spec, "spec");
        String s = spec.trim().toLowerCase(Locale.ROOT);
        RecoveryConfig c = defaults();
        if (s.equals(SPEC_PREFIX)) {
            return c;
        }
        if (!s.startsWith(SPEC_PREFIX + ":")) {
            throw new IllegalArgumentException("'" + spec + "' is not a healing ring spec: use " + FORMS);
        }
        long hb = c.heartbeatIntervalNanos;
        long suspect = c.suspicionTimeoutNanos;
        long loss = c.tokenLossTimeoutNanos;
        long grace = -1;
        long probation = c.probationNanos;
        int r = c.successors;
        Detector detector = c.detector;
        double phi = c.phiThreshold;
        for (String part : s.substring(SPEC_PREFIX.length() + 1).split(",")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("'" + part + "' in '" + spec + "' is not KEY=VALUE: use " + FORMS);
            }
            String key = part.substring(0, eq);
            String value = part.substring(eq + 1);
            try {
                switch (key) {
                    case "hb" -> hb = nanos(value);
                    case "suspect" -> suspect = nanos(value);
                    case "grace" -> grace = nanos(value);
                    case "probation" -> probation = nanos(value);
                    case "loss" -> loss = nanos(value);
                    case "r" -> r = Integer.parseInt(value);
                    case "phi" -> {
                        detector = Detector.PHI;
                        phi = Double.parseDouble(value);
                    }
                    default -> throw new IllegalArgumentException("unknown key '" + key + "' in '" + spec + "': use " + FORMS);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad value '" + value + "' for " + key + " in '" + spec + "'");
            }
        }
        return new RecoveryConfig(hb, suspect, loss, r, detector, phi, grace < 0 ? suspect : grace, probation);
    }

    private static long nanos(String text) {
        DelaySpec d = DelaySpec.parse(text);
        if (d.loNanos() != d.hiNanos()) {
            throw new IllegalArgumentException("'" + text + "' must be one duration, not a range");
        }
        return d.loNanos();
    }

    /** The shortest exact text for a duration: 10ms, 250us, 1s, 17ns. */
    static String format(long nanos) {
        if (nanos != 0 && nanos % 1_000_000_000L == 0) {
            return nanos / 1_000_000_000L + "s";
        }
        if (nanos != 0 && nanos % 1_000_000L == 0) {
            return nanos / 1_000_000L + "ms";
        }
        if (nanos != 0 && nanos % 1_000L == 0) {
            return nanos / 1_000L + "us";
        }
        return nanos + "ns";
    }
}
