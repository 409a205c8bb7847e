package dev.ringlab.node;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How late a node's timers fired ({@link Env#schedule}): for every timer of at least {@link #MIN_DELAY_NANOS} that
 * ran, the time from when it was due to when its task started, counted by the age of the node's incarnation when it
 * was due. A real engine's timers come late by as long as the node's thread is busy or descheduled when one is due,
 * and most in a JVM's first seconds (class loading and compilation); {@link Cluster#timerLateness()} reports them, and
 * {@code ringlab calibrate} turns them into the engine model's timer part, with which the simulator fires its timers
 * as late. Shorter timers (a task deferred to the loop's next turn) are not counted: their lateness is the loop's
 * queue, which the model's executors account for.
 *
 * <p>Counts are kept per age class ({@link #AGE_BOUNDS_NANOS}: before 0.5 s, 0.5-1 s, 1-2 s, 2-4 s, from 4 s) in
 * log-linear buckets: below 1 us one bucket, above 16 per power of two (a bucket spans at most 1/16 of its lower
 * bound), up to 2^36 ns (about 69 s; later ones are counted in the last bucket). The bucketing is a few lines, so the
 * node module keeps its only dependency (topology; HdrHistogram does the same with more to carry). Recording and
 * reading are thread-safe: a host records on its node's thread, and the cluster reads from another.
 */
public final class TimerLateness {
    /** Timers shorter than this are not counted (see the class doc). */
    public static final long MIN_DELAY_NANOS = 1_000_000L;
    /** Upper bounds of the age classes but the last: an incarnation younger than 0.5 s, 1 s, 2 s, 4 s, and older. */
    public static final long[] AGE_BOUNDS_NANOS = {500_000_000L, 1_000_000_000L, 2_000_000_000L, 4_000_000_000L};
    /** Number of age classes. */
    public static final int AGES = AGE_BOUNDS_NANOS.length + 1;

    private static final int SUB_BITS = 4;
    private static final int SUB = 1 << SUB_BITS;
    private static final int LOW_BITS = 10; // below 2^10 ns = 1 us: bucket 0
    private static final int OCTAVES = 36 - LOW_BITS;
    /** Buckets per age class. */
    static final int BUCKETS = 1 + OCTAVES * SUB;

    private final AtomicLongArray counts = new AtomicLongArray(AGES * BUCKETS);

    /** The age class of an incarnation {@code ageNanos} old. */
    public static int ageClass(long ageNanos) {
        int a = 0;
        while (a < AGE_BOUNDS_NANOS.length && ageNanos >= AGE_BOUNDS_NANOS[a]) {
            a++;
        }
        return a;
    }

    /** The bucket of a lateness. */
    static int bucket(long lateNanos) {
        if (lateNanos < (1L << LOW_BITS)) {
            return 0;
        }
        int octave = 63 - Long.numberOfLeadingZeros(lateNanos) - LOW_BITS;
        if (octave >= OCTAVES) {
            return BUCKETS - 1;
        }
        int sub = (int) (lateNanos >>> (octave + LOW_BITS - SUB_BITS)) & (SUB - 1);
        return 1 + octave * SUB + sub;
    }

    /** The smallest lateness of bucket {@code b}. */
    static long lowest(int b) {
        if (b == 0) {
            return 0;
        }
        int octave = (b - 1) / SUB;
        int sub = (b - 1) % SUB;
        return (1L << (octave + LOW_BITS)) + ((long) sub << (octave + LOW_BITS - SUB_BITS));
    }

    /** The value a bucket stands for: the middle of its span. */
    static long middle(int b) {
        return b == BUCKETS - 1 ? lowest(b) : (lowest(b) + lowest(b + 1)) / 2;
    }

    /** Counts one timer, due when its incarnation was {@code ageNanos} old, that ran {@code lateNanos} late. */
    public void record(long ageNanos, long lateNanos) {
        counts.incrementAndGet(ageClass(ageNanos) * BUCKETS + bucket(Math.max(0, lateNanos)));
    }

    /** Adds {@code other}'s counts to this one's. */
    public void add(TimerLateness other) {
        for (int i = 0; i < counts.length(); i++) {
            long c = other.counts.get(i);
            if (c != 0) {
                counts.addAndGet(i, c);
            }
        }
    }

    /** Timers counted in age class {@code age}. */
    public long count(int age) {
        long s = 0;
        for (int b = 0; b < BUCKETS; b++) {
            s += counts.get(age * BUCKETS + b);
        }
        return s;
    }

    /** Timers counted in every age class. */
    public long count() {
        long s = 0;
        for (int a = 0; a < AGES; a++) {
            s += count(a);
        }
        return s;
    }

    /**
     * The {@code q}-quantile ({@code 0 <= q <= 1}) of age class {@code age}'s lateness, to the middle of its bucket
     * (0 for lateness under 1 us); -1 if the class counted nothing.
     */
    public long quantile(int age, double q) {
        if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("quantile must be in [0, 1], got " + q);
        }
        long n = count(age);
        if (n == 0) {
            return -1;
        }
        long rank = Math.max(1, (long) Math.ceil(q * n)); // the rank-th smallest, 1-based
        long seen = 0;
        for (int b = 0; b < BUCKETS; b++) {
            seen += counts.get(age * BUCKETS + b);
            if (seen >= rank) {
                return middle(b);
            }
        }
        return middle(BUCKETS - 1);
    }

    /** The largest lateness counted in any class, to its bucket's middle; -1 if none. */
    public long max() {
        for (int b = BUCKETS - 1; b >= 0; b--) {
            for (int a = 0; a < AGES; a++) {
                if (counts.get(a * BUCKETS + b) != 0) {
                    return middle(b);
                }
            }
        }
        return -1;
    }

    /** The counts as text ({@code index:count} pairs of the non-empty cells, comma-separated; empty if none). */
    public String encode() {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < counts.length(); i++) {
            long c = counts.get(i);
            if (c != 0) {
                b.append(b.isEmpty() ? "" : ",").append(i).append(':').append(c);
            }
        }
        return b.toString();
    }

    /** The counts {@link #encode} wrote. */
    public static TimerLateness decode(String text) {
        TimerLateness t = new TimerLateness();
        if (text == null || text.isBlank()) {
            return t;
        }
        for (String pair : text.split(",")) {
            int colon = pair.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("timer lateness: not index:count: " + pair);
            }
            int i = Integer.parseInt(pair.substring(0, colon).trim());
            long c = Long.parseLong(pair.substring(colon + 1).trim());
            if (i < 0 || i >= t.counts.length() || c < 0) {
                throw new IllegalArgumentException("timer lateness: cell " + i + " count " + c + " out of range");
            }
            t.counts.addAndGet(i, c);
        }
        return t;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof TimerLateness t)) {
            return false;
        }
        for (int i = 0; i < counts.length(); i++) {
            if (counts.get(i) != t.counts.get(i)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return encode().hashCode();
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("TimerLateness[");
        for (int a = 0; a < AGES; a++) {
            long n = count(a);
            b.append(a == 0 ? "" : ", ").append(ageLabel(a)).append(": ").append(n);
            if (n > 0) {
                b.append(" p50=").append(quantile(a, 0.5)).append("ns p99=").append(quantile(a, 0.99)).append("ns");
            }
        }
        return b.append(']').toString();
    }

    /** A class's span, e.g. {@code 0.5-1s}. */
    public static String ageLabel(int age) {
        String lo = age == 0 ? "0" : seconds(AGE_BOUNDS_NANOS[age - 1]);
        return age == AGES - 1 ? lo + "s+" : lo + "-" + seconds(AGE_BOUNDS_NANOS[age]) + "s";
    }

    private static String seconds(long nanos) {
        return nanos % 1_000_000_000L == 0 ? String.valueOf(nanos / 1_000_000_000L) : String.valueOf(nanos / 1e9);
    }

    /** For tests: the raw cells. */
    long[] cells() {
        long[] out = new long[counts.length()];
        for (int i = 0; i < out.length; i++) {
            out[i] = counts.get(i);
        }
        return out;
    }
}
