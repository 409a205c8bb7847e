package dev.ringlab.node.protocols;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The knobs of {@link FailoverCache}: the healing ring it runs on plus its own timers. One immutable record,
 * units in the names, printable and parseable ({@link #spec()} / {@link #parse}), so a run's header replays it.
 *
 * @param ring                 failure detection and repair of the ring underneath ({@link HealingRing})
 * @param retryNanos           an origin re-routes a request it has no answer to this often (the view may have
 *                             changed: a dead owner's keys go to its successor), and a restarting node asks
 *                             again the successors that have not handed its keys back
 * @param replicaRetryNanos    a server resends a write to its (current) replica this often until acknowledged
 * @param writeTimeoutNanos    a server gives up a write no replica acknowledged within this, and answers
 *                             {@code FAILED} (the origin retries); must cover a suspicion timeout, the time a
 *                             dead replica takes to be replaced
 * @param deadlineNanos        an origin gives up a request after this and reports {@code CacheFailed}
 */
public record CacheConfig(RecoveryConfig ring, long retryNanos, long replicaRetryNanos, long writeTimeoutNanos,
        long deadlineNanos) {

    public static final String SPEC_PREFIX = "cache";
    public static final String FORMS = "cache[:hb=D,suspect=D,loss=D,r=R,retry=D,replica_retry=D,write=D,deadline=D] "
            + "(D a duration such as 20ms; hb, suspect, loss and r are the healing ring's: " + RecoveryConfig.FORMS + ")";

    public CacheConfig {
        Objects.requireNonNull(ring, "ring");
        if (retryNanos <= 0 || replicaRetryNanos <= 0) {
            throw new IllegalArgumentException("retry intervals must be > 0, got retry=" + retryNanos
                    + " ns, replica_retry=" + replicaRetryNanos + " ns");
        }
        if (writeTimeoutNanos < ring.suspicionTimeoutNanos()) {
            throw new IllegalArgumentException("write timeout (" + writeTimeoutNanos
                    + " ns) must be at least the suspicion timeout (" + ring.suspicionTimeoutNanos()
                    + " ns): a write to a dead replica waits that long for the ring to replace it");
        }
        if (deadlineNanos < retryNanos) {
            throw new IllegalArgumentException("deadline (" + deadlineNanos + " ns) must be at least one retry interval ("
                    + retryNanos + " ns)");
        }
    }

    /**
     * The healing ring's defaults (10 ms heartbeats, 50 ms suspicion, r = 3), origin retry every 20 ms,
     * replica resend every 10 ms, write timeout 150 ms (three suspicion timeouts), deadline 2 s.
     */
    public static CacheConfig defaults() {
        return new CacheConfig(RecoveryConfig.defaults(), 20_000_000L, 10_000_000L, 150_000_000L, 2_000_000_000L);
    }

    public CacheConfig withRing(RecoveryConfig r) {
        return new CacheConfig(r, retryNanos, replicaRetryNanos, writeTimeoutNanos, deadlineNanos);
    }

    /** e.g. {@code cache:hb=10ms,suspect=50ms,loss=200ms,r=3,retry=20ms,replica_retry=10ms,write=150ms,deadline=2s}. */
    public String spec() {
        return SPEC_PREFIX + ":" + ring.spec().substring(RecoveryConfig.SPEC_PREFIX.length() + 1) + ",retry="
                + RecoveryConfig.format(retryNanos) + ",replica_retry=" + RecoveryConfig.format(replicaRetryNanos)
                + ",write=" + RecoveryConfig.format(writeTimeoutNanos) + ",deadline="
                + RecoveryConfig.format(deadlineNanos);
    }

    /** True if {@code spec} names the cache ({@code cache} or {@code cache:...}). */
    public static boolean isSpec(String spec) {
        return spec.equals(SPEC_PREFIX) || spec.startsWith(SPEC_PREFIX + ":");
    }

    /**
     * Parses {@code cache} (the defaults) or {@code cache:KEY=VALUE,...}; missing keys keep their defaults.
     *
     * @throws IllegalArgumentException naming the bad part and {@link #FORMS}
     */
    public static CacheConfig parse(String spec) {
        Objects.requireNonNull(spec, "spec");
        String s = spec.trim().toLowerCase(Locale.ROOT);
        CacheConfig d = defaults();
        if (s.equals(SPEC_PREFIX)) {
            return d;
        }
        if (!s.startsWith(SPEC_PREFIX + ":")) {
            throw new IllegalArgumentException("'" + spec + "' is not a cache spec: use " + FORMS);
        }
        long retry = d.retryNanos;
        long replicaRetry = d.replicaRetryNanos;
        long write = d.writeTimeoutNanos;
        long deadline = d.deadlineNanos;
        List<String> ringParts = new ArrayList<>();
        for (String part : s.substring(SPEC_PREFIX.length() + 1).split(",")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("'" + part + "' in '" + spec + "' is not KEY=VALUE: use " + FORMS);
            }
            String key = part.substring(0, eq);
            String value = part.substring(eq + 1);
            switch (key) {
                case "retry" -> retry = nanos(value, spec);
                case "replica_retry" -> replicaRetry = nanos(value, spec);
                case "write" -> write = nanos(value, spec);
                case "deadline" -> deadline = nanos(value, spec);
                default -> ringParts.add(part); // the ring's keys; RecoveryConfig.parse names a bad one
            }
        }
        RecoveryConfig ring = ringParts.isEmpty() ? RecoveryConfig.defaults()
                : RecoveryConfig.parse(RecoveryConfig.SPEC_PREFIX + ":" + String.join(",", ringParts));
        return new CacheConfig(ring, retry, replicaRetry, write, deadline);
    }

    private static long nanos(String text, String spec) {
        DelaySpec delay;
        try {
            delay = DelaySpec.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad duration '" + text + "' in '" + spec + "': " + e.getMessage());
        }
        if (delay.loNanos() != delay.hiNanos()) {
            throw new IllegalArgumentException("'" + text + "' in '" + spec + "' must be one duration, not a range");
        }
        return delay.loNanos();
    }
}
