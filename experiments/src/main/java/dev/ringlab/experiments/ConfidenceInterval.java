package dev.ringlab.experiments;

import org.apache.commons.math3.distribution.TDistribution;
import org.apache.commons.math3.stat.descriptive.SummaryStatistics;

/**
 * A two-sided Student-t confidence interval for the mean of independent samples (one per seed):
 * {@code mean ± t(1 - α/2, k-1) · s / sqrt(k)}, with {@code s} the sample standard deviation (k - 1 in the
 * denominator) and the quantile from Commons Math's {@link TDistribution}. The samples are per-seed
 * statistics (a seed's p50 latency, its messages per broadcast), so the interval says how much the figure
 * moves with the random graph, the random origins and the random link latencies, not how spread the
 * deliveries inside one run are.
 *
 * <p>Special cases: with one sample the interval is undefined ({@code halfWidth} NaN, {@code lo}/{@code hi}
 * NaN); with identical samples it has width 0. NaN samples (a seed with nothing delivered) are skipped and
 * not counted in {@code samples}.
 *
 * @param mean      sample mean
 * @param halfWidth half the width of the interval (NaN below two samples)
 * @param lo        {@code mean - halfWidth}
 * @param hi        {@code mean + halfWidth}
 * @param samples   number of finite samples used
 * @param level     confidence level, e.g. 0.95
 */
public record ConfidenceInterval(double mean, double halfWidth, double lo, double hi, int samples, double level) {

    /** The 95% interval of the finite values in {@code samples}. */
    public static ConfidenceInterval of95(double[] samples) {
        return of(samples, 0.95);
    }

    /**
     * The {@code level} interval of the finite values in {@code samples}.
     *
     * @throws IllegalArgumentException unless {@code 0 < level < 1}
     */
    public static ConfidenceInterval of(double[] samples, double level) {
        if (!(level > 0 && level < 1)) {
            throw new IllegalArgumentException("confidence level must be in (0, 1), got " + level);
        }
        SummaryStatistics s = new SummaryStatistics();
        for (double x : samples) {
            if (Double.isFinite(x)) {
                s.addValue(x);
            }
        }
        int k = (int) s.getN();
        if (k == 0) {
            return new ConfidenceInterval(Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0, level);
        }
        double mean = s.getMean();
        if (k == 1) {
            return new ConfidenceInterval(mean, Double.NaN, Double.NaN, Double.NaN, 1, level);
        }
        double t = new TDistribution(k - 1).inverseCumulativeProbability(1 - (1 - level) / 2);
        double half = t * s.getStandardDeviation() / Math.sqrt(k);
        return new ConfidenceInterval(mean, half, mean - half, mean + half, k, level);
    }
}
