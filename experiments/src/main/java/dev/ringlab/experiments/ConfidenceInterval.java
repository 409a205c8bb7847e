package dev.ringlab.experiments;

import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import org.apache.commons.math3.distribution.TDistribution;
import org.apache.commons.math3.stat.descriptive.SummaryStatistics;

/**
 * A 95% (or {@code level}) confidence interval for the mean of independent samples, one per seed. The samples
 * are per-seed statistics (a seed's p50 latency, its messages per broadcast), so the interval says how much
 * the figure moves with the random graph, the random origins and the random link latencies, not how spread
 * the deliveries inside one run are.
 *
 * <p>Two methods:
 * <ul>
 *   <li>{@link #of95}: Student-t, {@code mean ± t(1 - α/2, k-1) · s / sqrt(k)} (Commons Math's
 *       {@link TDistribution}), symmetric; for quantities that can be negative (rmr).</li>
 *   <li>{@link #nonNegative95}: the bootstrap percentile interval of the mean ({@value #RESAMPLES} resamples
 *       with replacement, seeded from the samples themselves so a run reproduces its intervals), for
 *       quantities that cannot be negative (latencies, hops, message counts, repair times): it never leaves
 *       the range of the samples, so it never runs below zero, and it is asymmetric where the data are
 *       skewed (one slow seed). Percentile intervals are somewhat narrow for a handful of seeds; more seeds
 *       narrow that gap.</li>
 * </ul>
 *
 * <p>Below {@value #MIN_SAMPLES} finite samples there is no interval ({@code halfWidth}, {@code lo},
 * {@code hi} NaN): two seeds give a t quantile of 12.7 and intervals such as 9.03 ±34.40 that say nothing;
 * callers warn and print the mean alone. NaN samples (a seed with nothing delivered) are skipped and not
 * counted in {@code samples}; identical samples give width 0.
 *
 * @param mean      sample mean
 * @param halfWidth half the width of the interval, {@code (hi - lo) / 2} (NaN without an interval)
 * @param lo        lower bound (NaN without an interval)
 * @param hi        upper bound (NaN without an interval)
 * @param samples   number of finite samples used
 * @param level     confidence level, e.g. 0.95
 * @param method    {@code "student-t"} or {@code "bootstrap-percentile"}
 */
public record ConfidenceInterval(double mean, double halfWidth, double lo, double hi, int samples, double level, String method) {

    /** Fewest samples (seeds) an interval is computed from. */
    public static final int MIN_SAMPLES = 3;
    /** Bootstrap resamples. */
    public static final int RESAMPLES = 10_000;

    /** The 95% Student-t interval of the finite values in {@code samples}. */
    public static ConfidenceInterval of95(double[] samples) {
        return of(samples, 0.95);
    }

    /** The 95% bootstrap percentile interval of the finite values in {@code samples}, which must be >= 0. */
    public static ConfidenceInterval nonNegative95(double[] samples) {
        return bootstrap(samples, 0.95);
    }

    /**
     * The {@code level} Student-t interval of the finite values in {@code samples}.
     *
     * @throws IllegalArgumentException unless {@code 0 < level < 1}
     */
    public static ConfidenceInterval of(double[] samples, double level) {
        checkLevel(level);
        SummaryStatistics s = stats(samples);
        int k = (int) s.getN();
        if (k < MIN_SAMPLES) {
            return none(k == 0 ? Double.NaN : s.getMean(), k, level, "student-t");
        }
        double mean = s.getMean();
        double t = new TDistribution(k - 1).inverseCumulativeProbability(1 - (1 - level) / 2);
        double half = t * s.getStandardDeviation() / Math.sqrt(k);
        return new ConfidenceInterval(mean, half, mean - half, mean + half, k, level, "student-t");
    }

    /**
     * The {@code level} bootstrap percentile interval of the mean of the finite values in {@code samples}.
     *
     * @throws IllegalArgumentException unless {@code 0 < level < 1}, or if a sample is negative
     */
    public static ConfidenceInterval bootstrap(double[] samples, double level) {
        checkLevel(level);
        double[] x = Arrays.stream(samples).filter(Double::isFinite).toArray();
        for (double v : x) {
            if (v < 0) {
                throw new IllegalArgumentException("a quantity that cannot be negative has the sample " + v);
            }
        }
        int k = x.length;
        double mean = k == 0 ? Double.NaN : Arrays.stream(x).average().orElse(Double.NaN);
        if (k < MIN_SAMPLES) {
            return none(mean, k, level, "bootstrap-percentile");
        }
        // Seeded from the samples: the same figures give the same interval, run after run.
        SplittableRandom r = new SplittableRandom(Arrays.hashCode(x) * 0x9E37_79B9_7F4A_7C15L);
        double[] means = new double[RESAMPLES];
        for (int b = 0; b < RESAMPLES; b++) {
            double sum = 0;
            for (int i = 0; i < k; i++) {
                sum += x[r.nextInt(k)];
            }
            means[b] = sum / k;
        }
        Arrays.sort(means);
        double alpha = (1 - level) / 2;
        double lo = means[(int) Math.floor(alpha * (RESAMPLES - 1))];
        double hi = means[(int) Math.ceil((1 - alpha) * (RESAMPLES - 1))];
        return new ConfidenceInterval(mean, (hi - lo) / 2, lo, hi, k, level, "bootstrap-percentile");
    }

    /** Whether there is an interval (at least {@value #MIN_SAMPLES} samples). */
    public boolean hasInterval() {
        return Double.isFinite(lo) && Double.isFinite(hi);
    }

    /**
     * For tables: {@code mean ±half} for a symmetric interval, {@code mean [lo, hi]} for an asymmetric one,
     * the mean alone without an interval, {@code -} without a mean; {@code digits} formats each number.
     */
    public String text(java.util.function.DoubleFunction<String> digits) {
        if (!Double.isFinite(mean)) {
            return "-";
        }
        String m = digits.apply(mean);
        if (!hasInterval()) {
            return m;
        }
        if (method.equals("student-t") || hi - lo == 0) {
            return m + " ±" + digits.apply(halfWidth);
        }
        return m + " [" + digits.apply(lo) + ", " + digits.apply(hi) + "]";
    }

    /** A one-line warning when {@code seeds} is too few for an interval, else null. */
    public static String fewSeedsWarning(int seeds) {
        return seeds >= MIN_SAMPLES ? null : String.format(Locale.ROOT,
                "warning: %d seed%s: no confidence interval is printed below %d seeds (use --seeds %d or more)",
                seeds, seeds == 1 ? "" : "s", MIN_SAMPLES, MIN_SAMPLES);
    }

    private static ConfidenceInterval none(double mean, int k, double level, String method) {
        return new ConfidenceInterval(mean, Double.NaN, Double.NaN, Double.NaN, k, level, method);
    }

    private static SummaryStatistics stats(double[] samples) {
        SummaryStatistics s = new SummaryStatistics();
        for (double x : samples) {
            if (Double.isFinite(x)) {
                s.addValue(x);
            }
        }
        return s;
    }

    private static void checkLevel(double level) {
        if (!(level > 0 && level < 1)) {
            throw new IllegalArgumentException("confidence level must be in (0, 1), got " + level);
        }
    }
}
