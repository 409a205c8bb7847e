package dev.ringlab.node.protocols;

import java.util.Locale;
import java.util.Objects;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long a {@link Station} holds the token: a fixed duration or one drawn per visit from a distribution.
 * Forms: {@code D} or {@code const:D} (always {@code D}, e.g. {@code 5ms}), {@code uniform:LO,HI} (uniform on
 * the integer nanoseconds {@code [LO, HI]}, both included, e.g. {@code uniform:1ms,3ms}). Durations are a
 * number and a unit {@code ns, us, ms, s}, as the simulator's latency specs write them.
 *
 * <p>Why its own parser: the node package must not depend on the simulator (the same node runs on Netty),
 * so it cannot borrow {@code dev.ringlab.node.spec.LinkModels}; the two forms it needs fit in this class.
 * Draws use only {@link RandomGenerator#nextLong(long)} of the node's {@code Env.random()}, so a seed
 * replays the same holds.
 *
 * @param kind     {@code const} or {@code uniform}
 * @param loNanos  smallest hold
 * @param hiNanos  largest hold ({@code == loNanos} for {@code const})
 */
public record DelaySpec(String kind, long loNanos, long hiNanos) {
    /** The forms {@link #parse} accepts, for error messages and {@code --help}. */
    public static final String FORMS = "D or const:D (e.g. 5ms), uniform:LO,HI (e.g. uniform:1ms,3ms); "
            + "units ns, us, ms, s";

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|ms|s)");

    public DelaySpec {
        Objects.requireNonNull(kind, "kind");
        if (!kind.equals("const") && !kind.equals("uniform")) {
            throw new IllegalArgumentException("delay kind must be const or uniform, got '" + kind + "'");
        }
        if (loNanos < 0 || hiNanos < loNanos || (kind.equals("const") && hiNanos != loNanos)) {
            throw new IllegalArgumentException("delay needs 0 <= LO <= HI (LO == HI for const), got " + loNanos
                    + "ns, " + hiNanos + "ns");
        }
    }

    /** A fixed hold. */
    public static DelaySpec fixed(long nanos) {
        return new DelaySpec("const", nanos, nanos);
    }

    /** Uniform on {@code [loNanos, hiNanos]}. */
    public static DelaySpec uniform(long loNanos, long hiNanos) {
        return new DelaySpec("uniform", loNanos, hiNanos);
    }

    /**
     * @throws IllegalArgumentException naming {@link #FORMS} if {@code text} is none of them
     */
    public static DelaySpec parse(String text) {
        Objects.requireNonNull(text, "text");
        String s = text.trim().toLowerCase(Locale.ROOT);
        try {
            if (s.startsWith("const:")) {
                return fixed(parseNanos(s.substring("const:".length())));
            }
            if (s.startsWith("uniform:")) {
                String[] p = s.substring("uniform:".length()).split(",", -1);
                if (p.length != 2) {
                    throw new IllegalArgumentException("uniform takes two comma-separated durations");
                }
                return uniform(parseNanos(p[0]), parseNanos(p[1]));
            }
            return fixed(parseNanos(s));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bad delay '" + text + "': " + e.getMessage() + "; forms: " + FORMS, e);
        }
    }

    private static long parseNanos(String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration with a unit");
        }
        long scale = switch (m.group(2)) {
            case "ns" -> 1L;
            case "us" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            default -> throw new AssertionError(m.group(2));
        };
        if (m.group(1).indexOf('.') < 0) {
            // Whole numbers exactly: a double loses nanoseconds above 2^53, and spec() must parse back.
            try {
                long nanos = Math.multiplyExact(Long.parseLong(m.group(1)), scale);
                if (nanos <= Long.MAX_VALUE / 4) {
                    return nanos;
                }
            } catch (ArithmeticException | NumberFormatException e) {
                // too long: reported below
            }
            throw new IllegalArgumentException("'" + text + "' is too long a duration");
        }
        double nanos = Double.parseDouble(m.group(1)) * scale;
        if (nanos > Long.MAX_VALUE / 4) {
            throw new IllegalArgumentException("'" + text + "' is too long a duration");
        }
        return Math.round(nanos);
    }

    /** One hold, drawn from {@code random} (no draw at all for {@code const}, so it costs the stream nothing). */
    public long sampleNanos(RandomGenerator random) {
        return loNanos == hiNanos ? loNanos : loNanos + random.nextLong(hiNanos - loNanos + 1);
    }

    /** The largest hold this spec can give (bounds a run's timeout). */
    public long maxNanos() {
        return hiNanos;
    }

    /** The text that parses back to this spec. */
    public String spec() {
        return kind.equals("const") ? format(loNanos) : "uniform:" + format(loNanos) + "," + format(hiNanos);
    }

    private static String format(long nanos) {
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

    @Override
    public String toString() {
        return spec();
    }
}
