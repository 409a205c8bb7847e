package dev.ringlab.node.protocols;

import java.util.Locale;
import java.util.Objects;

/**
 * The knobs of {@link DeltaCache}: one immutable record, units in the names, printable and parseable
 * ({@link #spec()} / {@link #parse}), so a run's header replays it.
 *
 * @param replicas            r: an increment is acknowledged once it is on r nodes (the receiver and r - 1
 *                            others), >= 1
 * @param heartbeatNanos      a node pings its overlay neighbours this often
 * @param suspicionNanos      a neighbour silent this long is taken for dead (its increments are adopted, it
 *                            gets no new replicas, reads do not wait for it)
 * @param replicaRetryNanos   an origin resends an unacknowledged increment (to its current replicas) this often
 * @param writeDeadlineNanos  an origin gives up acknowledging an increment after this ({@code CacheFailed}); the
 *                            increment stays where it is, so its outcome is unknown to the client
 * @param readBudgetNanos     the read's deadline at its root: the root answers the client by then, with whatever
 *                            part of the fleet has answered
 * @param hopSlackNanos       each hop of the read's tree gets an eighth less budget than its parent, and at
 *                            least this much less: the time an answer has to cross its link before the parent's
 *                            own deadline; also the least margin over a link's smoothed round trip before a
 *                            parent gives up a child that has not taken the query
 * @param compactNanos        background work runs this often: folding increments into summaries, origins
 *                            pushing their summaries to their replicas and releasing extra holders, holders of a
 *                            dead origin's increments copying them to another node
 */
public record DeltaCacheConfig(int replicas, long heartbeatNanos, long suspicionNanos, long replicaRetryNanos,
        long writeDeadlineNanos, long readBudgetNanos, long hopSlackNanos, long compactNanos) {

    public static final String SPEC_PREFIX = "dcache";
    public static final String FORMS = "dcache[:r=R,hb=D,suspect=D,replica_retry=D,write=D,read=D,hop=D,compact=D] "
            + "(R >= 1; D a duration such as 20ms)";

    public DeltaCacheConfig {
        if (replicas < 1) {
            throw new IllegalArgumentException("r must be >= 1, got " + replicas);
        }
        if (heartbeatNanos <= 0 || replicaRetryNanos <= 0 || compactNanos <= 0 || hopSlackNanos <= 0) {
            throw new IllegalArgumentException("hb, replica_retry, hop and compact must be > 0, got hb=" + heartbeatNanos
                    + " ns, replica_retry=" + replicaRetryNanos + " ns, hop=" + hopSlackNanos + " ns, compact="
                    + compactNanos + " ns");
        }
        if (suspicionNanos < 2 * heartbeatNanos) {
            throw new IllegalArgumentException("suspect (" + suspicionNanos + " ns) must be at least two heartbeats ("
                    + 2 * heartbeatNanos + " ns)");
        }
        if (writeDeadlineNanos < suspicionNanos + replicaRetryNanos) {
            throw new IllegalArgumentException("write deadline (" + writeDeadlineNanos + " ns) must cover a suspicion"
                    + " timeout and a resend (" + (suspicionNanos + replicaRetryNanos) + " ns): a write to a dead replica"
                    + " waits that long to pick another");
        }
        if (readBudgetNanos < hopSlackNanos) {
            throw new IllegalArgumentException("read budget (" + readBudgetNanos + " ns) must be at least one hop slack ("
                    + hopSlackNanos + " ns)");
        }
    }

    /**
     * r = 2, 10 ms heartbeats, 50 ms suspicion, resend every 10 ms, write deadline 500 ms, read budget 400 ms
     * with an eighth (at least 500 us) less per hop, background work every 50 ms.
     */
    public static DeltaCacheConfig defaults() {
        return new DeltaCacheConfig(2, 10_000_000L, 50_000_000L, 10_000_000L, 500_000_000L, 400_000_000L, 500_000L,
                50_000_000L);
    }

    public DeltaCacheConfig withTiming(long heartbeat, long suspicion) {
        return new DeltaCacheConfig(replicas, heartbeat, suspicion, replicaRetryNanos,
                Math.max(writeDeadlineNanos, suspicion + replicaRetryNanos), readBudgetNanos, hopSlackNanos, compactNanos);
    }

    public DeltaCacheConfig withHopSlack(long hop) {
        return new DeltaCacheConfig(replicas, heartbeatNanos, suspicionNanos, replicaRetryNanos, writeDeadlineNanos,
                Math.max(readBudgetNanos, hop), hop, compactNanos);
    }

    /** e.g. {@code dcache:r=2,hb=10ms,suspect=50ms,replica_retry=10ms,write=500ms,read=400ms,hop=40ms,compact=50ms}. */
    public String spec() {
        return SPEC_PREFIX + ":r=" + replicas + ",hb=" + RecoveryConfig.format(heartbeatNanos) + ",suspect="
                + RecoveryConfig.format(suspicionNanos) + ",replica_retry=" + RecoveryConfig.format(replicaRetryNanos)
                + ",write=" + RecoveryConfig.format(writeDeadlineNanos) + ",read=" + RecoveryConfig.format(readBudgetNanos)
                + ",hop=" + RecoveryConfig.format(hopSlackNanos) + ",compact=" + RecoveryConfig.format(compactNanos);
    }

    /** True if {@code spec} names the delta cache ({@code dcache} or {@code dcache:...}). */
    public static boolean isSpec(String spec) {
        return spec.equals(SPEC_PREFIX) || spec.startsWith(SPEC_PREFIX + ":");
    }

    /**
     * Parses {@code dcache} (the defaults) or {@code dcache:KEY=VALUE,...}; missing keys keep their defaults.
     *
     * @throws IllegalArgumentException naming the bad part and {@link #FORMS}
     */
    public static DeltaCacheConfig parse(String spec) {
        Objects.requireNonNull(spec, "spec");
        String s = spec.trim().toLowerCase(Locale.ROOT);
        DeltaCacheConfig d = defaults();
        if (s.equals(SPEC_PREFIX)) {
            return d;
        }
        if (!s.startsWith(SPEC_PREFIX + ":")) {
            throw new IllegalArgumentException("'" + spec + "' is not a delta cache spec: use " + FORMS);
        }
        int r = d.replicas;
        long hb = d.heartbeatNanos;
        long suspect = d.suspicionNanos;
        long retry = d.replicaRetryNanos;
        long write = d.writeDeadlineNanos;
        long read = d.readBudgetNanos;
        long hop = d.hopSlackNanos;
        long compact = d.compactNanos;
        for (String part : s.substring(SPEC_PREFIX.length() + 1).split(",")) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("'" + part + "' in '" + spec + "' is not KEY=VALUE: use " + FORMS);
            }
            String key = part.substring(0, eq);
            String value = part.substring(eq + 1);
            switch (key) {
                case "r" -> {
                    try {
                        r = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("bad r '" + value + "' in '" + spec + "': use " + FORMS);
                    }
                }
                case "hb" -> hb = nanos(value, spec);
                case "suspect" -> suspect = nanos(value, spec);
                case "replica_retry" -> retry = nanos(value, spec);
                case "write" -> write = nanos(value, spec);
                case "read" -> read = nanos(value, spec);
                case "hop" -> hop = nanos(value, spec);
                case "compact" -> compact = nanos(value, spec);
                default -> throw new IllegalArgumentException("unknown key '" + key + "' in '" + spec + "': use " + FORMS);
            }
        }
        return new DeltaCacheConfig(r, hb, suspect, retry, write, read, hop, compact);
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
