package dev.ringlab.topology;

import java.util.Locale;
import java.util.Objects;

/**
 * A parsed topology SPEC such as {@code ring}, {@code chordal:3} or {@code random-regular:8}: a kind and,
 * for the kinds that take one, an integer parameter. Parsing checks only the SPEC itself; whether it
 * fits a node count is checked by {@link Topologies#build(TopologySpec, int, long)}, so that a command
 * line can blame the right flag (the SPEC or {@code -n}).
 *
 * @param kind  which construction
 * @param param the construction's parameter ({@code K} for chordal, {@code D} for random-regular and
 *              dc-regular, {@code R} for successor-ring), or 0
 *              for kinds without one
 * @param param2 the second parameter ({@code K} of dc-regular:D,K), or 0 for kinds without one
 */
public record TopologySpec(Kind kind, int param, int param2) {

    /** Largest chordal K: the longest chord is 2^(K-1), which must fit in an int. */
    public static final int CHORDAL_K_MAX = 31;

    /** The constructions, with the SPEC syntax each accepts. */
    public enum Kind {
        /** Unidirectional ring i -> i+1 (directed). */
        RING("ring", false, true),
        /** Bidirectional ring, the cycle C_n. */
        BIRING("biring", false, true),
        /** Ring plus chords to i + 2^j, j < K (a circulant graph). */
        CHORDAL("chordal", true, true),
        /** Each node linked (undirected) to its R successors i+1..i+R (the healing ring's overlay). */
        SUCCESSOR_RING("successor-ring", true, true),
        /** Uniformly random simple D-regular graph. */
        RANDOM_REGULAR("random-regular", true, false),
        /** Margulis–Gabber–Galil 8-regular multigraph on Z_m x Z_m. */
        MARGULIS("margulis", false, false),
        /** Hypercube Q_k on n = 2^k nodes. */
        HYPERCUBE("hypercube", false, true),
        /** Paley graph on a prime n = 1 (mod 4). */
        PALEY("paley", false, true),
        /** Complete graph K_n. */
        COMPLETE("complete", false, true),
        /**
         * random-regular:D inside each datacenter plus K inter-datacenter edges per node; needs the nodes'
         * datacenters ({@link DcOverlays#regular}).
         */
        DC_REGULAR("dc-regular", true, false);

        private final String token;
        private final boolean parameterised;
        private final boolean vertexTransitive;

        Kind(String token, boolean parameterised, boolean vertexTransitive) {
            this.token = token;
            this.parameterised = parameterised;
            this.vertexTransitive = vertexTransitive;
        }

        /** The SPEC word, e.g. {@code "random-regular"}. */
        public String token() {
            return token;
        }

        /** True if the SPEC needs {@code :PARAM}. */
        public boolean parameterised() {
            return parameterised;
        }
    }

    /** A spec with one parameter (every kind but dc-regular). */
    public TopologySpec(Kind kind, int param) {
        this(kind, param, 0);
    }

    public TopologySpec {
        Objects.requireNonNull(kind, "kind");
        if (kind == Kind.DC_REGULAR) {
            if (param < 0 || param2 < 0 || param + param2 < 1) {
                throw new IllegalArgumentException("dc-regular:D,K needs D >= 0, K >= 0 and D + K >= 1, got D=" + param
                        + ", K=" + param2);
            }
        } else if (param2 != 0) {
            throw new IllegalArgumentException(kind.token + " takes no second parameter, got " + param2);
        } else if (kind.parameterised) {
            if (kind == Kind.CHORDAL && (param < 1 || param > CHORDAL_K_MAX)) {
                throw new IllegalArgumentException(
                        "chordal:K needs 1 <= K <= " + CHORDAL_K_MAX + " (chords to i+2^j for j < K), got K=" + param);
            }
            if (kind == Kind.RANDOM_REGULAR && param < 1) {
                throw new IllegalArgumentException("random-regular:D needs a degree D >= 1, got D=" + param);
            }
            if (kind == Kind.SUCCESSOR_RING && param < 1) {
                throw new IllegalArgumentException("successor-ring:R needs R >= 1 successors per node, got R=" + param);
            }
        } else if (param != 0) {
            throw new IllegalArgumentException(kind.token + " takes no parameter, got " + param);
        }
    }

    /**
     * Parses a SPEC (case-insensitive, surrounding blanks ignored).
     *
     * @throws IllegalArgumentException naming the valid SPECs if the word is unknown, or saying what the
     *                                  parameter must be if it is missing, extra or out of range
     */
    public static TopologySpec parse(String spec) {
        Objects.requireNonNull(spec, "spec");
        String s = spec.trim().toLowerCase(Locale.ROOT);
        int colon = s.indexOf(':');
        String word = colon < 0 ? s : s.substring(0, colon);
        Kind kind = null;
        for (Kind k : Kind.values()) {
            if (k.token.equals(word)) {
                kind = k;
            }
        }
        if (kind == null) {
            throw new IllegalArgumentException("unknown topology '" + spec + "'; valid: " + Topologies.VALID_SPECS);
        }
        if (!kind.parameterised) {
            if (colon >= 0) {
                throw new IllegalArgumentException(kind.token + " takes no parameter, got '" + spec + "'");
            }
            return new TopologySpec(kind, 0);
        }
        if (kind == Kind.DC_REGULAR) {
            String[] p = colon < 0 ? new String[0] : s.substring(colon + 1).split(",", -1);
            try {
                if (p.length != 2) {
                    throw new NumberFormatException();
                }
                return new TopologySpec(kind, Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("dc-regular needs dc-regular:D,K with integers D (degree inside each "
                        + "datacenter) and K (inter-datacenter edges per node), e.g. dc-regular:3,1, got '" + spec + "'");
            }
        }
        String name = switch (kind) {
            case CHORDAL -> "K";
            case SUCCESSOR_RING -> "R";
            case RANDOM_REGULAR -> "D";
            default -> throw new AssertionError(kind + " takes no parameter");
        };
        if (colon < 0 || colon == s.length() - 1) {
            throw new IllegalArgumentException(kind.token + " needs " + kind.token + ":" + name + " with an integer "
                    + name + ", e.g. " + kind.token + (kind == Kind.RANDOM_REGULAR ? ":8" : ":3") + ", got '" + spec + "'");
        }
        int param;
        try {
            param = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(kind.token + ":" + name + " needs an integer " + name + ", got '" + spec + "'");
        }
        return new TopologySpec(kind, param);
    }

    /**
     * True if the construction is vertex-transitive (a Cayley graph: every node sees the same graph), so
     * one BFS gives the exact diameter and average path length. Random-regular and Margulis are not.
     */
    public boolean vertexTransitive() {
        return kind.vertexTransitive;
    }

    /** True if building it needs the nodes' datacenters ({@link Topologies#build(TopologySpec, int, long, int[])}). */
    public boolean needsDatacenters() {
        return kind == Kind.DC_REGULAR;
    }

    /** True for the unidirectional ring, the only directed construction. */
    public boolean directed() {
        return kind == Kind.RING;
    }

    /** The canonical SPEC, e.g. {@code "chordal:3"}; {@link #parse} of it gives this record back. */
    @Override
    public String toString() {
        if (kind == Kind.DC_REGULAR) {
            return kind.token + ":" + param + "," + param2;
        }
        return kind.parameterised ? kind.token + ":" + param : kind.token;
    }
}
