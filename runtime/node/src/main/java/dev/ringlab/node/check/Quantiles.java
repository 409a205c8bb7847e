package dev.ringlab.node.check;

/**
 * Nearest-rank quantiles (Hyndman and Fan's definition 1): the p-quantile of N sorted samples is
 * {@code sorted[ceil(p·N) - 1]}, an observed value, so p50 of 1, 2, 3, 4 is 2 and p100 is the maximum. Every
 * report of ringlab quotes its percentiles this way, on every engine.
 */
public final class Quantiles {
    private Quantiles() {}

    /**
     * The nearest-rank {@code p}-quantile of {@code sorted} (ascending).
     *
     * @throws IllegalArgumentException if {@code sorted} is empty or {@code p} is not in (0, 1]
     */
    public static long nearestRank(long[] sorted, double p) {
        if (sorted.length == 0) {
            throw new IllegalArgumentException("no samples: a quantile of nothing is not measured (report null)");
        }
        if (!(p > 0 && p <= 1)) {
            throw new IllegalArgumentException("quantile must be in (0, 1], got " + p);
        }
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(1, Math.min(rank, sorted.length)) - 1];
    }
}
