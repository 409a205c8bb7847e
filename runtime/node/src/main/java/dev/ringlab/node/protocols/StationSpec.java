package dev.ringlab.node.protocols;

import java.util.Objects;

/**
 * A station placed on the ring, as the command line writes it: {@code delay:DELAY@NODE} or
 * {@code delay:DELAY@*} (every node), with {@code DELAY} one of {@link DelaySpec#FORMS}. Examples:
 * {@code delay:5ms@3} (node 3 holds the token 5 ms), {@code delay:uniform:1ms,3ms@*}.
 *
 * @param node  the node the station sits on, or {@link #EVERY_NODE}
 * @param delay how long it holds the token
 */
public record StationSpec(int node, DelaySpec delay) {
    /** {@link #node} value of a station on every node ({@code @*}). */
    public static final int EVERY_NODE = -1;

    /** The syntax, for error messages and {@code --help}. */
    public static final String SYNTAX = "delay:DELAY@NODE or delay:DELAY@* with DELAY = " + DelaySpec.FORMS;

    public StationSpec {
        Objects.requireNonNull(delay, "delay");
        if (node < EVERY_NODE) {
            throw new IllegalArgumentException("station node must be a node id >= 0 or * , got " + node);
        }
    }

    /**
     * @throws IllegalArgumentException naming {@link #SYNTAX} if {@code text} does not follow it
     */
    public static StationSpec parse(String text) {
        Objects.requireNonNull(text, "text");
        String s = text.trim();
        int at = s.lastIndexOf('@');
        if (at < 0) {
            throw bad(text, "no '@NODE' or '@*'");
        }
        String what = s.substring(0, at);
        String where = s.substring(at + 1).trim();
        int node;
        if (where.equals("*")) {
            node = EVERY_NODE;
        } else {
            try {
                node = Integer.parseInt(where);
            } catch (NumberFormatException e) {
                throw bad(text, "'" + where + "' is neither a node id nor *");
            }
            if (node < 0) {
                throw bad(text, "node id " + node + " is negative");
            }
        }
        if (!what.startsWith("delay:")) {
            throw bad(text, "unknown station kind '" + (what.contains(":") ? what.substring(0, what.indexOf(':')) : what)
                    + "'");
        }
        try {
            return new StationSpec(node, DelaySpec.parse(what.substring("delay:".length())));
        } catch (IllegalArgumentException e) {
            throw bad(text, e.getMessage());
        }
    }

    private static IllegalArgumentException bad(String text, String why) {
        return new IllegalArgumentException("bad station '" + text + "': " + why + "; syntax: " + SYNTAX);
    }

    /** True if this station sits on node {@code v}. */
    public boolean appliesTo(int v) {
        return node == EVERY_NODE || node == v;
    }

    /** A fresh station (one per node incarnation). */
    public Station create() {
        return Station.delay(delay);
    }

    /** The text that parses back to this spec. */
    public String spec() {
        return "delay:" + delay.spec() + "@" + (node == EVERY_NODE ? "*" : Integer.toString(node));
    }

    @Override
    public String toString() {
        return spec();
    }
}
