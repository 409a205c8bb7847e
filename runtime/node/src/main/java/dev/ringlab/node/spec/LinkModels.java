package dev.ringlab.node.spec;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Parses the latency specs of the command line into {@link LinkModel}s:
 *
 * <ul>
 *   <li>{@code const:D} — every message takes exactly {@code D}, e.g. {@code const:1ms}.
 *   <li>{@code uniform:LO,HI} — uniform on the integer nanoseconds {@code [LO, HI]}, both ends included,
 *       e.g. {@code uniform:1ms,5ms}.
 *   <li>{@code lognormal:MEDIAN,SIGMA} — {@code MEDIAN * exp(SIGMA * Z)} with {@code Z} a standard normal,
 *       <b>truncated at the {@value #LOGNORMAL_TRUNCATION_QUANTILE} quantile</b>: the event queue wants a
 *       bounded horizon, so the top 0.1% of the tail is cut off (not clamped: the draw is the inverse CDF of
 *       a uniform on {@code (0, 0.999)}, so no probability mass piles up at the bound). The bound is
 *       {@code MEDIAN * exp(SIGMA * 3.0902)} and is reported by {@link LinkModel#maxNanos()}. The median of
 *       the truncated law is the 0.4995 quantile of the untruncated one, {@code MEDIAN * exp(-0.00125 *
 *       SIGMA)}: within 0.13% of {@code MEDIAN} for {@code SIGMA <= 1}. SIGMA is the standard deviation
 *       of {@code ln(latency)}, {@code 0 < SIGMA <= 5}. Example: {@code lognormal:2ms,0.5}.
 *   <li>{@code empirical:FILE} — measured one-way latencies, sampled by inverse CDF over their sorted
 *       values (each measured value equally likely; no interpolation, so only measured values occur). File
 *       format: UTF-8 text, one value per line, either a duration with a unit ({@code 850us}, {@code 1.2ms},
 *       units ns, us, ms, s, m) or a bare non-negative integer meaning nanoseconds; blank lines and lines
 *       starting with {@code #} are ignored; at least one value. The bound is the largest value.
 *   <li>{@code dc:intra=L;inter=L} and {@code dc:intra=L;inter=matrix:FILE} — by datacenter pair, on a
 *       {@link Placement}: see {@link DcLinkModel} and {@link #parse(String, Placement)}.
 * </ul>
 *
 * <p>Durations follow {@link Durations#parseNanos}. Sampling uses only {@link RandomGenerator#nextLong}
 * and {@code nextDouble} of the generator handed in and {@link StrictMath} for the transcendental
 * functions, so a seed gives the same latencies on every JVM (trace hashes depend on it).
 */
public final class LinkModels {
    /** Quantile at which {@code lognormal} is truncated (see class doc). */
    public static final double LOGNORMAL_TRUNCATION_QUANTILE = 0.999;

    static final String FORMS = "const:D (e.g. const:1ms), uniform:LO,HI (e.g. uniform:1ms,5ms), "
            + "lognormal:MEDIAN,SIGMA (e.g. lognormal:2ms,0.5; sigma in (0, 5]), "
            + "empirical:FILE (one latency per line, with a unit or in ns), "
            + "dc:intra=L;inter=L|matrix:FILE (by datacenter, with --placement)";

    private LinkModels() {}

    /**
     * @throws IllegalArgumentException naming the allowed forms if {@code spec} is not one of them, or if
     *     an empirical file cannot be read or holds a bad line (the message names the line)
     */
    public static LinkModel parse(String spec) {
        Objects.requireNonNull(spec, "spec");
        String s = spec.trim();
        int colon = s.indexOf(':');
        if (colon < 0) {
            throw bad(spec, "no ':'");
        }
        String kind = s.substring(0, colon).toLowerCase(Locale.ROOT);
        String args = s.substring(colon + 1);
        if (kind.equals("dc")) {
            return DcLinkModel.parse(spec, null); // only the self-contained form (with at=) parses without a placement
        }
        try {
            return switch (kind) {
                case "const" -> LinkModel.constant(Durations.parseNanos(args));
                case "uniform" -> {
                    String[] p = twoArgs(spec, args);
                    yield uniform(Durations.parseNanos(p[0]), Durations.parseNanos(p[1]));
                }
                case "lognormal" -> {
                    String[] p = twoArgs(spec, args);
                    double sigma;
                    try {
                        sigma = Double.parseDouble(p[1].trim());
                    } catch (NumberFormatException e) {
                        throw bad(spec, "sigma '" + p[1] + "' is not a number");
                    }
                    yield lognormal(Durations.parseNanos(p[0]), sigma);
                }
                case "empirical" -> {
                    if (args.isBlank()) {
                        throw bad(spec, "no file named");
                    }
                    yield empirical(Path.of(args.trim()));
                }
                default -> throw bad(spec, "unknown kind '" + kind + "'");
            };
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().contains("allowed forms")) {
                throw e;
            }
            throw new IllegalArgumentException(
                    "bad latency spec '" + spec + "': " + e.getMessage() + "; allowed forms: " + FORMS, e);
        }
    }

    /**
     * As {@link #parse(String)}, and a {@code dc:} spec on {@code placement} (null: none; a dc spec then needs
     * its own {@code at=}). A plain spec ignores the placement: its links do not depend on where nodes are.
     *
     * @throws IllegalArgumentException as {@link #parse(String)}, or for a dc spec without a placement
     */
    public static LinkModel parse(String spec, Placement placement) {
        return DcLinkModel.isDcSpec(spec) ? DcLinkModel.parse(spec, placement) : parse(spec);
    }

    private static String[] twoArgs(String spec, String args) {
        String[] p = args.split(",", -1);
        if (p.length != 2) {
            throw bad(spec, "expected two comma-separated values");
        }
        return p;
    }

    private static IllegalArgumentException bad(String spec, String why) {
        return new IllegalArgumentException("bad latency spec '" + spec + "': " + why + "; allowed forms: " + FORMS);
    }

    /** Uniform on {@code [loNanos, hiNanos]}, both included. */
    public static LinkModel uniform(long loNanos, long hiNanos) {
        if (loNanos < 0 || hiNanos < loNanos) {
            throw new IllegalArgumentException(
                    "uniform needs 0 <= LO <= HI, got " + Durations.format(loNanos) + "," + Durations.format(hiNanos));
        }
        return new Uniform(loNanos, hiNanos);
    }

    /** Log-normal with the given median and log-space standard deviation, truncated as the class doc says. */
    public static LinkModel lognormal(long medianNanos, double sigma) {
        if (medianNanos <= 0) {
            throw new IllegalArgumentException("lognormal median must be > 0, got " + Durations.format(medianNanos));
        }
        if (!(sigma > 0 && sigma <= 5)) {
            throw new IllegalArgumentException("lognormal sigma must be in (0, 5], got " + sigma);
        }
        return new LogNormal(medianNanos, sigma);
    }

    /**
     * The empirical distribution of the latencies in {@code file} (format in the class doc).
     *
     * @throws IllegalArgumentException if the file cannot be read, holds a bad line or no value
     */
    public static LinkModel empirical(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException | UncheckedIOException e) {
            throw new IllegalArgumentException("cannot read latency file " + file + ": " + e.getMessage(), e);
        }
        long[] values = new long[lines.size()];
        int count = 0;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                values[count++] = line.chars().allMatch(Character::isDigit) ? Long.parseLong(line) : Durations.parseNanos(line);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        file + " line " + (i + 1) + ": '" + line + "' is neither a duration with a unit nor integer nanoseconds", e);
            }
        }
        if (count == 0) {
            throw new IllegalArgumentException("latency file " + file + " holds no value");
        }
        return empirical(file.toString(), Arrays.copyOf(values, count));
    }

    /** The empirical distribution of {@code samplesNanos} (copied and sorted); {@code name} goes into the spec. */
    public static LinkModel empirical(String name, long[] samplesNanos) {
        if (samplesNanos.length == 0) {
            throw new IllegalArgumentException("an empirical latency model needs at least one value");
        }
        long[] sorted = samplesNanos.clone();
        Arrays.sort(sorted);
        if (sorted[0] < 0) {
            throw new IllegalArgumentException("latencies must be >= 0, got " + sorted[0] + " ns");
        }
        return new Empirical(name, sorted);
    }

    private record Uniform(long lo, long hi) implements LinkModel {
        @Override
        public long sampleNanos(int from, int to, RandomGenerator random) {
            return lo == hi ? lo : lo + random.nextLong(hi - lo + 1);
        }

        @Override
        public long maxNanos() {
            return hi;
        }

        @Override
        public String spec() {
            return "uniform:" + Durations.format(lo) + "," + Durations.format(hi);
        }
    }

    private static final class LogNormal implements LinkModel {
        private final long median;
        private final double sigma;
        private final long max;

        LogNormal(long median, double sigma) {
            this.median = median;
            this.sigma = sigma;
            this.max = value(LOGNORMAL_TRUNCATION_QUANTILE);
            if (max < 0 || max > Long.MAX_VALUE / 8) {
                throw new IllegalArgumentException("lognormal:" + Durations.format(median) + "," + sigma
                        + " has a truncation bound beyond the simulator's horizon");
            }
        }

        private long value(double u) {
            return Math.round(median * StrictMath.exp(sigma * Normal.inverseCdf(u)));
        }

        @Override
        public long sampleNanos(int from, int to, RandomGenerator random) {
            // u in (0, q): inverse-CDF sampling of the law truncated at q; nextDouble() is in [0, 1), and u = 0
            // would map to -infinity, so it is nudged to the smallest positive double (latency 0 in practice).
            double u = random.nextDouble() * LOGNORMAL_TRUNCATION_QUANTILE;
            return value(u > 0 ? u : Double.MIN_VALUE);
        }

        @Override
        public long maxNanos() {
            return max;
        }

        @Override
        public String spec() {
            return "lognormal:" + Durations.format(median) + "," + sigma;
        }
    }

    private record Empirical(String name, long[] sorted) implements LinkModel {
        @Override
        public long sampleNanos(int from, int to, RandomGenerator random) {
            // Inverse of the empirical CDF F(x) = #{v <= x} / k at u in [0, 1): the smallest sorted value
            // whose rank reaches u, i.e. index floor(u * k).
            return sorted[(int) (random.nextDouble() * sorted.length)];
        }

        @Override
        public long maxNanos() {
            return sorted[sorted.length - 1];
        }

        @Override
        public String spec() {
            return "empirical:" + name;
        }
    }

    /**
     * Inverse of the standard normal CDF by Acklam's rational approximation (P. J. Acklam, "An algorithm
     * for computing the inverse normal cumulative distribution function", 2003; relative error below
     * 1.15e-9), with {@link StrictMath} so results are the same on every JVM.
     */
    static final class Normal {
        private static final double[] A = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
            1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
        private static final double[] B = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
            6.680131188771972e+01, -1.328068155288572e+01};
        private static final double[] C = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
            -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
        private static final double[] D = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
            3.754408661907416e+00};
        private static final double LOW = 0.02425;

        private Normal() {}

        static double inverseCdf(double p) {
            if (!(p > 0 && p < 1)) {
                throw new IllegalArgumentException("probability must be in (0, 1), got " + p);
            }
            if (p < LOW) {
                double q = StrictMath.sqrt(-2 * StrictMath.log(p));
                return (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
                        / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
            }
            if (p > 1 - LOW) {
                double q = StrictMath.sqrt(-2 * StrictMath.log(1 - p));
                return -(((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
                        / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
            }
            double q = p - 0.5;
            double r = q * q;
            return (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
                    / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
        }
    }
}
