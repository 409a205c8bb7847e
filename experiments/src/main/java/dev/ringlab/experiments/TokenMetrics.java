package dev.ringlab.experiments;

import dev.ringlab.node.check.Quantiles;
import dev.ringlab.node.Observation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * The token experiment's metrics, computed from the {@link Observation} stream alone (never from engine
 * internals), so every engine reports the same fields with the same meaning. Feed it as a cluster observer,
 * then call {@link #report}.
 *
 * <p>Only rotations {@code W+1..W+K} count ({@code W} the warm-up rotations, {@code K} the rotations asked
 * for), and are reported as rotations (and ticks) {@code 1..K}. {@code W} is fixed up front, or ({@link #untilWarm})
 * decided by the stream itself: once a rotation completes after enough hops were seen or enough time passed
 * since the first rotation began, the warm-up runs to the end of the rotation after the latest one any
 * observation has named (one rotation of slack: on processes the nodes' observations reach the driver over
 * separate connections, so a successor's tick of the next rotation can come in before the origin's
 * completion). Until then nothing counts; hops, ticks and estimates of the warm-up are
 * ignored, so are those of later rotations and estimates reported after the origin saw rotation {@code W+K}
 * complete — the origin starts the next rotation in the very event that completes it, and a real engine
 * stops a little later still. Percentiles are nearest-rank (p50 of 1, 2, 3, 4 is 2). Not thread-safe: engines
 * serialise observer calls (see {@code Cluster}).
 */
public final class TokenMetrics implements Consumer<Observation> {
    private final int n;
    private final long rotations;
    /** The last warm-up rotation's number W; {@code Long.MAX_VALUE} while an {@link #untilWarm} warm-up goes on. */
    private long warmup;
    /** Warm-up rule of {@link #untilWarm}: hops to see, or time since the first rotation began; 0 and 0: fixed W. */
    private final long warmupHops;
    private final long warmupMaxNanos;
    private long warmupHopsSeen;
    private long warmupStartNanos = -1;
    /** The highest rotation (or tick) number any observation named during the warm-up. */
    private long warmupLatestRotation;
    /** Completed rotations the origin reported, warm-up included. */
    private long rotationsSeen;
    private long lastRotationAtNanos = -1;
    private final LongList rotationNanos = new LongList();
    private final LongList hopNanos = new LongList();
    private final LongList estimateNanos = new LongList();
    private final List<LongList> tickNumbers = new ArrayList<>();
    private final List<LongList> tickAtNanos = new ArrayList<>();
    /** Compensated ticks: per tick number 1..rotations, per node, when it fired (0: not yet). */
    private final long[][] compensatedAtNanos;

    /** Metrics for a ring of {@code n} nodes asked to run {@code rotations} rotations, with no warm-up. */
    public TokenMetrics(int n, long rotations) {
        this(n, rotations, 0);
    }

    /** Most rotations one run measures: each keeps a row of tick times, so the bound keeps the heap small. */
    public static final long MAX_ROTATIONS = 1_000_000;

    /** Metrics of {@code rotations} rotations after {@code warmup} rotations that no figure counts. */
    public TokenMetrics(int n, long rotations, long warmup) {
        this(n, rotations, warmup, 0, 0);
        if (warmup < 0) {
            throw new IllegalArgumentException("need warmup >= 0, got " + warmup);
        }
    }

    /**
     * Metrics of {@code rotations} rotations after a warm-up that lasts until a rotation completes once
     * {@code hops} token hops were seen or {@code maxNanos} passed since the first rotation began (engine time),
     * whichever comes first, and then one rotation more (see the class doc); at least two rotations.
     * {@link #warmupRotations} says how many it took.
     */
    public static TokenMetrics untilWarm(int n, long rotations, long hops, long maxNanos) {
        if (hops < 1 || maxNanos < 1) {
            throw new IllegalArgumentException("need hops >= 1 and maxNanos >= 1, got " + hops + ", " + maxNanos);
        }
        return new TokenMetrics(n, rotations, Long.MAX_VALUE, hops, maxNanos);
    }

    private TokenMetrics(int n, long rotations, long warmup, long warmupHops, long warmupMaxNanos) {
        if (n < 1 || rotations < 1) {
            throw new IllegalArgumentException("need n >= 1 and rotations >= 1, got " + n + ", " + rotations);
        }
        this.n = n;
        this.rotations = rotations;
        this.warmup = warmup;
        this.warmupHops = warmupHops;
        this.warmupMaxNanos = warmupMaxNanos;
        for (int v = 0; v < n; v++) {
            tickNumbers.add(new LongList());
            tickAtNanos.add(new LongList());
        }
        if (rotations > MAX_ROTATIONS) {
            throw new IllegalArgumentException("at most " + MAX_ROTATIONS + " rotations, got " + rotations);
        }
        this.compensatedAtNanos = new long[(int) rotations + 1][];
    }

    @Override
    public void accept(Observation o) {
        if (warmup == Long.MAX_VALUE) {
            warmingUp(o);
            return;
        }
        switch (o) {
            case Observation.RotationCompleted rc -> {
                rotationsSeen++;
                if (measured(rc.rotation())) {
                    rotationNanos.add(rc.periodNanos());
                    lastRotationAtNanos = rc.completedAtNanos();
                }
            }
            case Observation.TokenArrived a -> {
                if (measured(a.rotation())) {
                    hopNanos.add(a.hopNanos());
                }
            }
            case Observation.RotationEstimate e -> {
                if (rotationsSeen >= warmup && rotationNanos.size < rotations) {
                    estimateNanos.add(e.estimatedHopNanos());
                }
            }
            case Observation.Tick t -> {
                if (measured(t.tick())) {
                    tickNumbers.get(t.node()).add(t.tick() - warmup);
                    tickAtNanos.get(t.node()).add(t.atNanos());
                }
            }
            case Observation.CompensatedTick c -> {
                if (measured(c.tick())) {
                    long[] at = compensatedAtNanos[(int) (c.tick() - warmup)];
                    if (at == null) {
                        at = new long[n];
                        compensatedAtNanos[(int) (c.tick() - warmup)] = at;
                    }
                    if (at[c.node()] != 0) {
                        throw new IllegalStateException("node " + c.node() + " fired compensated tick " + c.tick() + " twice");
                    }
                    // 0 marks "not fired": a real clock reading of exactly 0 ns is taken as 1 ns.
                    at[c.node()] = c.atNanos() == 0 ? 1 : c.atNanos();
                }
            }
            default -> {
                // TokenCreated, TokenPassed and other protocols' observations carry no metric here.
            }
        }
    }

    /** An observation while an {@link #untilWarm} warm-up goes on: counted towards its rule, nothing else. */
    private void warmingUp(Observation o) {
        long r = switch (o) {
            case Observation.TokenArrived a -> {
                warmupHopsSeen++;
                yield a.rotation();
            }
            case Observation.RotationCompleted rc -> rc.rotation();
            case Observation.Tick t -> t.tick();
            case Observation.CompensatedTick c -> c.tick();
            default -> 0;
        };
        warmupLatestRotation = Math.max(warmupLatestRotation, r);
        if (o instanceof Observation.RotationCompleted rc) {
            rotationsSeen++;
            if (warmupStartNanos < 0) {
                warmupStartNanos = rc.startedAtNanos();
            }
            if (warmupHopsSeen >= warmupHops || rc.completedAtNanos() - warmupStartNanos >= warmupMaxNanos) {
                warmup = warmupLatestRotation + 1; // the last warm-up rotation: the one after it is measured rotation 1
            }
        }
    }

    /** Rotation (or tick) number {@code r} of the token is one of the measured ones, {@code W+1..W+K}. */
    private boolean measured(long r) {
        return r > warmup && r - warmup <= rotations;
    }

    /**
     * True once every node fired measured compensated tick {@code tick} (1..K; they fire about when that
     * rotation ends).
     */
    public boolean compensatedTickComplete(long tick) {
        if (tick < 1 || tick > rotations) {
            return false;
        }
        long[] at = compensatedAtNanos[(int) tick];
        if (at == null) {
            return false;
        }
        for (long x : at) {
            if (x == 0) {
                return false;
            }
        }
        return true;
    }

    /** Measured rotations completed so far (observed at the origin). */
    public long rotationsCompleted() {
        return rotationNanos.size;
    }

    /** Rotations completed so far, warm-up included. */
    public long rotationsSeen() {
        return rotationsSeen;
    }

    /** True once the warm-up is over: a fixed one, or an {@link #untilWarm} one whose rule was met. */
    public boolean warmedUp() {
        return warmup != Long.MAX_VALUE && rotationsSeen >= warmup;
    }

    /** Warm-up rotations: W once known, else those seen so far. */
    public long warmupRotations() {
        return warmup != Long.MAX_VALUE ? warmup : rotationsSeen;
    }

    /** When the last measured rotation completed (the origin's clock), or -1 before the first. */
    public long lastRotationAtNanos() {
        return lastRotationAtNanos;
    }

    /**
     * The report so far.
     *
     * @param wallNanos wall-clock duration of the run, measured by the caller
     */
    public TokenReport report(long wallNanos) {
        long[] rot = rotationNanos.sorted();
        long[] hop = hopNanos.sorted();
        // ticks: the largest T such that every node ticked 1..T, each exactly once and in order; they agree
        // if no node has a tick out of that order (a gap, a repeat, a skipped number).
        long ticks = rotations;
        boolean agree = true;
        for (int v = 0; v < n; v++) {
            LongList t = tickNumbers.get(v);
            int inOrder = 0;
            while (inOrder < t.size && t.get(inOrder) == inOrder + 1) {
                inOrder++;
            }
            agree &= inOrder == t.size;
            ticks = Math.min(ticks, inOrder);
        }
        double jitterMaxNanos = 0;
        for (int v = 0; v < n; v++) {
            LongList at = tickAtNanos.get(v);
            int count = (int) Math.min(ticks, at.size);
            if (count >= 3) {
                double mean = (double) (at.get(count - 1) - at.get(0)) / (count - 1);
                double sq = 0;
                for (int i = 1; i < count; i++) {
                    double d = (at.get(i) - at.get(i - 1)) - mean;
                    sq += d * d;
                }
                jitterMaxNanos = Math.max(jitterMaxNanos, Math.sqrt(sq / (count - 1)));
            }
        }
        long[] skew = new long[(int) ticks];
        for (int t = 0; t < ticks; t++) {
            long lo = Long.MAX_VALUE;
            long hi = Long.MIN_VALUE;
            for (int v = 0; v < n; v++) {
                long at = tickAtNanos.get(v).get(t);
                lo = Math.min(lo, at);
                hi = Math.max(hi, at);
            }
            skew[t] = hi - lo;
        }
        Arrays.sort(skew);
        LongList compensated = new LongList();
        for (int t = 1; t <= rotations; t++) {
            if (compensatedTickComplete(t)) {
                long lo = Long.MAX_VALUE;
                long hi = Long.MIN_VALUE;
                for (long at : compensatedAtNanos[t]) {
                    lo = Math.min(lo, at);
                    hi = Math.max(hi, at);
                }
                compensated.add(hi - lo);
            }
        }
        long[] cskew = compensated.sorted();
        double estimateMeanNanos = estimateNanos.size == 0 ? Double.NaN : estimateNanos.sum() / (double) estimateNanos.size;
        return new TokenReport(rot.length, ticks, agree,
                ms(pct(rot, 0.50)), ms(pct(rot, 0.99)), ms(max(rot)),
                ms(pct(hop, 0.50)), ms(pct(hop, 0.99)), ms(max(hop)),
                hop.length == 0 ? Double.NaN : hopNanos.sum() / (double) hop.length / 1e6,
                hop.length, estimateMeanNanos / 1e6, estimateNanos.size, jitterMaxNanos / 1e6,
                ms(pct(skew, 0.50)), ms(pct(skew, 0.99)), ms(max(skew)), cskew.length, ms(pct(cskew, 0.50)),
                ms(pct(cskew, 0.99)), ms(max(cskew)), wallNanos / 1e6);
    }

    /**
     * One run's figures; times in milliseconds.
     *
     * @param rotations            rotations completed (at most the number asked)
     * @param ticks                the tick count every node reached (each node ticked 1..ticks once, in order)
     * @param ticksAgree           no node ticked out of order, twice or beyond the run
     * @param hopMsMean            mean measured hop latency (what the rotation estimate estimates)
     * @param hopSamples           measured hops
     * @param estimatedHopMs       mean of the nodes' rotation-frequency estimates
     * @param estimates            how many estimates (one per node visit after the first)
     * @param tickJitterMs         largest, over nodes, standard deviation of a node's tick interval
     * @param tickSkewMsP50        median over ticks of (last node's tick time - first node's), the spread of
     *                             one tick across the ring
     * @param compensatedTicks     ticks every node fired a compensated tick for (from tick 2: a node needs
     *                             one rotation to estimate)
     * @param compensatedTickSkewMsP50 the same spread for compensated ticks
     */
    public record TokenReport(long rotations, long ticks, boolean ticksAgree, double rotationMsP50,
            double rotationMsP99, double rotationMsMax, double hopMsP50, double hopMsP99, double hopMsMax,
            double hopMsMean, long hopSamples, double estimatedHopMs, long estimates, double tickJitterMs,
            double tickSkewMsP50, double tickSkewMsP99, double tickSkewMsMax, long compensatedTicks,
            double compensatedTickSkewMsP50, double compensatedTickSkewMsP99, double compensatedTickSkewMsMax,
            double wallMs) {}

    private static double ms(long nanos) {
        return nanos < 0 ? Double.NaN : nanos / 1e6;
    }

    /** Nearest-rank percentile of a sorted array, -1 if empty. */
    static long pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        return Quantiles.nearestRank(sorted, p);
    }

    private static long max(long[] sorted) {
        return sorted.length == 0 ? -1 : sorted[sorted.length - 1];
    }

    /** A growable long array: metrics hold one sample per hop, so no boxing. */
    private static final class LongList {
        private long[] a = new long[16];
        private int size;

        void add(long x) {
            if (size == a.length) {
                a = Arrays.copyOf(a, size * 2);
            }
            a[size++] = x;
        }

        long get(int i) {
            return a[i];
        }

        long sum() {
            long s = 0;
            for (int i = 0; i < size; i++) {
                s += a[i];
            }
            return s;
        }

        long[] sorted() {
            return firstSorted(size);
        }

        long[] firstSorted(int count) {
            long[] c = Arrays.copyOf(a, count);
            Arrays.sort(c);
            return c;
        }
    }
}
