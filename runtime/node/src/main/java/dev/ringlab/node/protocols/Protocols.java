package dev.ringlab.node.protocols;

import dev.ringlab.node.Protocol;
import dev.ringlab.node.ProtocolProvider;
import dev.ringlab.node.ProtocolRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the broadcast protocol specs of the command line ({@code --protocol}) into {@link Protocol}s: ringlab's
 * own ({@link #VALID}), then those of any other {@link ProtocolProvider} on the class path (a researcher's jar),
 * so a protocol of one's own runs wherever a broadcast protocol does.
 */
public final class Protocols {
    /** What {@link #parse} accepts, for error messages and help texts. */
    public static final String VALID = "ring, flood, gossip:F (fanout F >= 1, e.g. gossip:3), tree, "
            + "batched:W (root batch window W with unit ns|us|ms|s, e.g. batched:2ms; batched = batched:2ms), "
            + Plumtree.FORM + ", " + HyParView.FORM;

    private static final Pattern GOSSIP = Pattern.compile("gossip:(\\d{1,10})");
    private static final Pattern BATCHED = Pattern.compile("batched(?::(\\d+(?:\\.\\d+)?)(ns|us|ms|s))?");

    private Protocols() {}

    /**
     * The protocol named by {@code spec}: one of {@link #VALID}, or one of another provider's forms (not
     * ringlab's token ring or applications, which have their own commands). Each call returns a fresh
     * instance, so per-overlay caches (the spanning tree) are never shared between clusters.
     *
     * @throws IllegalArgumentException naming the bad spec and listing the valid ones
     */
    public static Protocol parse(String spec) {
        if (spec == null) {
            throw new IllegalArgumentException("missing protocol: use one of " + VALID);
        }
        Protocol p = parseBroadcast(spec);
        if (p != null) {
            return p;
        }
        List<String> others = new ArrayList<>();
        for (ProtocolProvider provider : ProtocolRegistry.standard().providers()) {
            if (provider instanceof BuiltInProtocols) {
                continue;
            }
            Protocol q = provider.parse(spec.trim());
            if (q != null) {
                return q;
            }
            others.addAll(provider.forms());
        }
        throw new IllegalArgumentException("unknown protocol '" + spec + "': use one of " + VALID
                + (others.isEmpty() ? "" : "; or, from other providers on the class path: " + String.join("; ", others)));
    }

    /**
     * One of ringlab's broadcast protocols ({@link #VALID}), or null if {@code spec} names none of them.
     *
     * @throws IllegalArgumentException if it names one but badly (a fanout out of range)
     */
    static Protocol parseBroadcast(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        switch (s) {
            case "ring" -> {
                return Ring.PROTOCOL;
            }
            case "flood" -> {
                return Flood.PROTOCOL;
            }
            case "tree" -> {
                return Tree.protocol();
            }
            default -> {}
        }
        Matcher g = GOSSIP.matcher(s);
        if (g.matches()) {
            long fanout = Long.parseLong(g.group(1));
            if (fanout < 1 || fanout > Integer.MAX_VALUE) {
                throw new IllegalArgumentException("gossip fanout must be in 1.." + Integer.MAX_VALUE + ", got '" + spec + "'");
            }
            return Gossip.protocol((int) fanout);
        }
        HyParView.Config hyparview = HyParView.Config.parse(s);
        if (hyparview != null) {
            return HyParView.protocol(hyparview);
        }
        Plumtree.Config plumtree = Plumtree.Config.parse(s);
        if (plumtree != null) {
            return Plumtree.protocol(plumtree);
        }
        Matcher b = BATCHED.matcher(s);
        if (b.matches()) {
            long windowNanos = b.group(1) == null ? Batched.DEFAULT_WINDOW_NANOS : nanos(b.group(1), b.group(2));
            return Batched.protocol(windowNanos);
        }
        return null;
    }

    private static long nanos(String number, String unit) {
        double scale = switch (unit) {
            case "ns" -> 1;
            case "us" -> 1e3;
            case "ms" -> 1e6;
            case "s" -> 1e9;
            default -> throw new IllegalStateException("unit " + unit + " passed the pattern");
        };
        double nanos = Double.parseDouble(number) * scale;
        if (nanos > 3.6e12) {
            throw new IllegalArgumentException("batch window " + number + unit + " is longer than an hour");
        }
        return Math.round(nanos);
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|ms|s)");

    /**
     * A protocol option's duration, e.g. {@code 100ms}, in nanoseconds.
     *
     * @throws IllegalArgumentException naming {@code what} if {@code value} is not a number with a unit
     */
    static long duration(String what, String value) {
        Matcher m = DURATION.matcher(value.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(what + " must be a duration with unit ns|us|ms|s (e.g. 100ms), got '"
                    + value + "'");
        }
        return nanos(m.group(1), m.group(2));
    }

    /** The shortest exact text of a batch window: 2ms, 250us, 17ns (and 0ms). */
    static String format(long nanos) {
        if (nanos % 1_000_000L == 0) {
            return nanos / 1_000_000L + "ms";
        }
        if (nanos != 0 && nanos % 1_000L == 0) {
            return nanos / 1_000L + "us";
        }
        return nanos + "ns";
    }
}
