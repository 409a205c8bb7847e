package dev.ringlab.node.spec;

import dev.ringlab.node.SplitMix;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Where every node of the fixed enumeration lives: node (ring position) {@code i} is {@code dc/role/index},
 * e.g. {@code dc2/prod/0}, the naming of the original ring-of-servers README ({@code dc1/prod/0, dc2/prod/0,
 * dc3/prod/0, dc1/prod/1, ...}). A placement is data: {@link #dcOf()} says which datacenter each position
 * sits in, the same on every engine, and a datacenter-aware link model ({@link DcLinkModel}) or overlay is
 * built from it.
 *
 * <h2>Spec</h2>
 * {@code dcs=D,per-dc=P,order=interleaved|grouped|random[,role=R]}: D datacenters of P nodes each, so a run
 * has exactly {@code D*P} nodes.
 * <ul>
 *   <li>{@code interleaved}: position {@code i} is in datacenter {@code i mod D} (index {@code i div D}): the
 *       README's enumeration; consecutive positions sit in different datacenters, so every ring hop crosses a
 *       WAN link (for D &gt;= 2).</li>
 *   <li>{@code grouped}: position {@code i} is in datacenter {@code i div P} (index {@code i mod P}): a ring
 *       crosses the WAN exactly D times per rotation.</li>
 *   <li>{@code random}: the grouped assignment shuffled (Fisher–Yates) by a generator seeded from the run
 *       seed; every datacenter still gets P nodes. Indexes count a datacenter's nodes in position order.</li>
 * </ul>
 * Datacenters are numbered 0..D-1 in the arrays and named {@code dc1..dcD} (one-based, as in the README).
 *
 * @param dcs   number of datacenters, &gt;= 1
 * @param perDc nodes per datacenter, &gt;= 1
 * @param order how positions map to datacenters
 * @param role  the middle part of a node's name ({@code prod} by default)
 * @param dcOf  {@code dcOf[i]} = datacenter (0-based) of position {@code i}; length {@code dcs * perDc}
 */
public record Placement(int dcs, int perDc, Order order, String role, int[] dcOf) {

    /** The spec's syntax, for error messages. */
    public static final String FORM = "dcs=D,per-dc=P,order=interleaved|grouped|random (e.g. dcs=3,per-dc=8,order=interleaved)";

    /** Stream constant for the random order, so that it does not correlate with the run's other streams. */
    private static final long ORDER_STREAM = 0x706C6163656DL; // "placem"

    /** How ring positions are assigned to datacenters (see the class doc). */
    public enum Order {
        INTERLEAVED, GROUPED, RANDOM;

        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public Placement {
        Objects.requireNonNull(order, "order");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(dcOf, "dcOf");
        if (dcs < 1 || perDc < 1) {
            throw new IllegalArgumentException("a placement needs dcs >= 1 and per-dc >= 1, got dcs=" + dcs + ", per-dc=" + perDc);
        }
        if ((long) dcs * perDc != dcOf.length) {
            throw new IllegalArgumentException("placement of " + dcOf.length + " positions for dcs*per-dc = " + ((long) dcs * perDc));
        }
        int[] count = new int[dcs];
        for (int d : dcOf) {
            if (d < 0 || d >= dcs) {
                throw new IllegalArgumentException("datacenter " + d + " is not in 0.." + (dcs - 1));
            }
            count[d]++;
        }
        for (int d = 0; d < dcs; d++) {
            if (count[d] != perDc) {
                throw new IllegalArgumentException("datacenter dc" + (d + 1) + " has " + count[d] + " nodes, not per-dc=" + perDc);
            }
        }
        if (role.isBlank() || role.contains("/")) {
            throw new IllegalArgumentException("role must be a non-empty word without '/', got '" + role + "'");
        }
        dcOf = dcOf.clone();
    }

    /** The parsed spec before a seed fixes a random order: {@link #resolve} gives the placement. */
    public record Spec(int dcs, int perDc, Order order, String role) {
        /** Nodes the spec places: {@code dcs * perDc}. */
        public int nodes() {
            return Math.multiplyExact(dcs, perDc);
        }

        /** The placement for run seed {@code seed} (only {@code random} depends on it). */
        public Placement resolve(long seed) {
            int n = nodes();
            int[] dc = new int[n];
            for (int i = 0; i < n; i++) {
                dc[i] = order == Order.INTERLEAVED ? i % dcs : i / perDc;
            }
            if (order == Order.RANDOM) {
                SplittableRandom r = new SplittableRandom(SplitMix.mix64(seed ^ ORDER_STREAM));
                for (int i = n - 1; i > 0; i--) {
                    int j = r.nextInt(i + 1);
                    int t = dc[i];
                    dc[i] = dc[j];
                    dc[j] = t;
                }
            }
            return new Placement(dcs, perDc, order, role, dc);
        }

        @Override
        public String toString() {
            return "dcs=" + dcs + ",per-dc=" + perDc + ",order=" + order.word() + (role.equals("prod") ? "" : ",role=" + role);
        }
    }

    /**
     * Parses a placement spec (see the class doc); keys in any order, case-insensitive.
     *
     * @throws IllegalArgumentException naming the bad part and the form
     */
    public static Spec parse(String spec) {
        Objects.requireNonNull(spec, "spec");
        Integer dcs = null;
        Integer perDc = null;
        Order order = null;
        String role = "prod";
        for (String part : spec.trim().split(",", -1)) {
            int eq = part.indexOf('=');
            if (eq < 0) {
                throw bad(spec, "'" + part + "' is not KEY=VALUE");
            }
            String key = part.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            String value = part.substring(eq + 1).trim();
            switch (key) {
                case "dcs" -> dcs = positive(spec, key, value);
                case "per-dc" -> perDc = positive(spec, key, value);
                case "order" -> {
                    try {
                        order = Order.valueOf(value.toUpperCase(Locale.ROOT));
                    } catch (IllegalArgumentException e) {
                        throw bad(spec, "order '" + value + "' is not interleaved, grouped or random");
                    }
                }
                case "role" -> role = value;
                default -> throw bad(spec, "unknown key '" + key + "'");
            }
        }
        if (dcs == null || perDc == null) {
            throw bad(spec, "needs both dcs= and per-dc=");
        }
        if ((long) dcs * perDc > Integer.MAX_VALUE) {
            throw bad(spec, "dcs*per-dc is too large");
        }
        if (role.isBlank() || role.contains("/")) {
            throw bad(spec, "role must be a non-empty word without '/'");
        }
        return new Spec(dcs, perDc, order == null ? Order.INTERLEAVED : order, role);
    }

    private static int positive(String spec, String key, String value) {
        try {
            int v = Integer.parseInt(value);
            if (v >= 1) {
                return v;
            }
        } catch (NumberFormatException e) {
            // falls through to the message
        }
        throw bad(spec, key + " must be an integer >= 1, got '" + value + "'");
    }

    private static IllegalArgumentException bad(String spec, String why) {
        return new IllegalArgumentException("bad placement '" + spec + "': " + why + "; form: " + FORM);
    }

    /** Nodes placed, {@code dcs * perDc}. */
    public int nodes() {
        return dcOf.length;
    }

    /** Datacenter (0-based) of position {@code i}. */
    public int dc(int i) {
        return dcOf[i];
    }

    @Override
    public int[] dcOf() {
        return dcOf.clone();
    }

    /** Index of position {@code i} within its datacenter: how many earlier positions share its datacenter. */
    public int index(int i) {
        int k = 0;
        for (int j = 0; j < i; j++) {
            if (dcOf[j] == dcOf[i]) {
                k++;
            }
        }
        return k;
    }

    /** The name of position {@code i}, {@code dcD/role/index}, e.g. {@code dc1/prod/0}. */
    public String name(int i) {
        return "dc" + (dcOf[i] + 1) + "/" + role + "/" + index(i);
    }

    /** Ring hops {@code i -> i+1 (mod n)} whose ends sit in different datacenters. */
    public int wanRingHops() {
        int n = dcOf.length;
        int hops = 0;
        for (int i = 0; i < n; i++) {
            if (dcOf[i] != dcOf[(i + 1) % n]) {
                hops++;
            }
        }
        return hops;
    }

    /** The positions in datacenter {@code d} (0-based), ascending. */
    public int[] members(int d) {
        int[] m = new int[perDc];
        int k = 0;
        for (int i = 0; i < dcOf.length; i++) {
            if (dcOf[i] == d) {
                m[k++] = i;
            }
        }
        return m;
    }

    /** The spec this placement was resolved from. */
    public Spec spec() {
        return new Spec(dcs, perDc, order, role);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Placement p && p.dcs == dcs && p.perDc == perDc && p.order == order && p.role.equals(role)
                && Arrays.equals(p.dcOf, dcOf);
    }

    @Override
    public int hashCode() {
        return Objects.hash(dcs, perDc, order, role, Arrays.hashCode(dcOf));
    }

    @Override
    public String toString() {
        return spec().toString();
    }
}
