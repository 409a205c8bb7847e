package dev.ringlab.node.spec;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and prints durations such as {@code 250us}, {@code 1ms}, {@code 1.5s}, {@code 2m}. */
public final class Durations {
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|ms|s|m)");

    private Durations() {}

    /**
     * @throws IllegalArgumentException naming the allowed units if {@code text} is not a duration
     */
    public static long parseNanos(String text) {
        Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "'" + text + "' is not a duration: use a number with a unit ns, us, ms, s or m (e.g. 1ms, 2.5s)");
        }
        double value = Double.parseDouble(m.group(1));
        double scale = switch (m.group(2)) {
            case "ns" -> 1;
            case "us" -> 1e3;
            case "ms" -> 1e6;
            case "s" -> 1e9;
            case "m" -> 60e9;
            default -> throw new AssertionError(m.group(2));
        };
        double nanos = value * scale;
        if (nanos > Long.MAX_VALUE / 4) {
            throw new IllegalArgumentException("'" + text + "' is too long a duration");
        }
        return Math.round(nanos);
    }

    /** The shortest exact text for {@code nanos} in ns, us, ms or s. */
    public static String format(long nanos) {
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
