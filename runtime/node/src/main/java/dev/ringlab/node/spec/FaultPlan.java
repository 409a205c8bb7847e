package dev.ringlab.node.spec;

import dev.ringlab.node.Cluster;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A fault plan is data: an immutable list of {@link Fault}s, each at an instant or over a time range,
 * printable and parseable ({@code parse(plan.toString())} equals {@code plan}), applied to any engine through
 * the {@link Cluster} contract ({@link #applyTo}), drawn from a seed for swarm testing ({@link #random}).
 *
 * <h2>Syntax</h2>
 * Faults separated by commas; times are durations from the start of the run ({@code 0}, {@code 250ms},
 * {@code 2s}); {@code T1..T2} is a range.
 * <pre>
 *   crash:3@100ms            crash node 3 at 100 ms
 *   crash:3@100ms..2s        crash node 3 at 100 ms, restart it at 2 s
 *   restart:3@2s             restart node 3 at 2 s
 *   partition:0-15|16-31@1s..3s   split into groups (a-b ranges and single ids joined by +) from 1 s, heal at 3 s
 *   partition:0-3|4-7@1s     split at 1 s, until a heal
 *   heal@4s                  end any partition
 *   slow:3=50ms@1s..2s       node 3's messages take 50 ms more, from 1 s to 2 s
 *   loss:0.05@0..5s          a loss burst: each message also lost with probability 0.05, from 0 to 5 s
 * </pre>
 * A range's end undoes its start (restart, heal, normal speed, no burst). Overlapping partitions: the later
 * one replaces the earlier, and any partition's end heals whatever partition is in force.
 *
 * <h2>Engines</h2>
 * crash, restart, partition and heal work on every engine (on netty a partition is emulated by dropping
 * frames between groups; on processes a crash is a SIGKILL); slow and loss need {@link Cluster#slow} and
 * {@link Cluster#lossBurst}, which only the simulator implements.
 */
public record FaultPlan(List<Fault> faults) {

    /** What a fault does. */
    public enum Kind {
        CRASH("crash"),
        RESTART("restart"),
        PARTITION("partition"),
        HEAL("heal"),
        SLOW("slow"),
        LOSS("loss");

        private final String word;

        Kind(String word) {
            this.word = word;
        }

        public String word() {
            return word;
        }
    }

    /**
     * One fault.
     *
     * @param kind        what it does
     * @param node        the node, for crash, restart and slow; -1 otherwise
     * @param groups      the partition's groups; empty otherwise
     * @param probability the loss burst's probability, 0..1; 0 otherwise
     * @param extraNanos  the slow node's extra latency per message; 0 otherwise
     * @param atNanos     when it starts, from the start of the run
     * @param untilNanos  when a range ends (> atNanos), or -1 for an instant
     */
    public record Fault(Kind kind, int node, int[][] groups, double probability, long extraNanos, long atNanos,
            long untilNanos) {
        public Fault {
            Objects.requireNonNull(kind, "kind");
            groups = groups == null ? new int[0][] : deepCopy(groups);
            if (atNanos < 0) {
                throw new IllegalArgumentException(kind.word + " at a negative time " + atNanos + " ns");
            }
            if (untilNanos != -1 && untilNanos <= atNanos) {
                throw new IllegalArgumentException(kind.word + ": range end " + untilNanos + " ns must be after its start "
                        + atNanos + " ns");
            }
            boolean needsNode = kind == Kind.CRASH || kind == Kind.RESTART || kind == Kind.SLOW;
            if (needsNode != (node >= 0)) {
                throw new IllegalArgumentException(kind.word + (needsNode ? " needs a node" : " takes no node"));
            }
            if ((kind == Kind.PARTITION) != (groups.length > 0)) {
                throw new IllegalArgumentException(kind.word + (kind == Kind.PARTITION ? " needs groups" : " takes no groups"));
            }
            if (kind == Kind.PARTITION && groups.length < 2) {
                throw new IllegalArgumentException("a partition needs at least two groups");
            }
            if (kind == Kind.LOSS ? !(probability > 0 && probability <= 1) : probability != 0) {
                throw new IllegalArgumentException("loss needs a probability in (0, 1], got " + probability);
            }
            if (kind == Kind.SLOW ? extraNanos <= 0 : extraNanos != 0) {
                throw new IllegalArgumentException("slow needs an extra latency > 0, got " + extraNanos + " ns");
            }
            if ((kind == Kind.RESTART || kind == Kind.HEAL) && untilNanos != -1) {
                throw new IllegalArgumentException(kind.word + " is an instant, not a range");
            }
        }

        public static Fault crash(int node, long atNanos, long untilNanos) {
            return new Fault(Kind.CRASH, node, null, 0, 0, atNanos, untilNanos);
        }

        public static Fault restart(int node, long atNanos) {
            return new Fault(Kind.RESTART, node, null, 0, 0, atNanos, -1);
        }

        public static Fault partition(int[][] groups, long atNanos, long untilNanos) {
            return new Fault(Kind.PARTITION, -1, groups, 0, 0, atNanos, untilNanos);
        }

        public static Fault heal(long atNanos) {
            return new Fault(Kind.HEAL, -1, null, 0, 0, atNanos, -1);
        }

        public static Fault slow(int node, long extraNanos, long atNanos, long untilNanos) {
            return new Fault(Kind.SLOW, node, null, 0, extraNanos, atNanos, untilNanos);
        }

        public static Fault loss(double probability, long atNanos, long untilNanos) {
            return new Fault(Kind.LOSS, -1, null, probability, 0, atNanos, untilNanos);
        }

        public boolean isRange() {
            return untilNanos >= 0;
        }

        /** The same fault with another time or range. */
        public Fault at(long at, long until) {
            return new Fault(kind, node, groups, probability, extraNanos, at, until);
        }

        /** The latest instant this fault does something. */
        public long endNanos() {
            return isRange() ? untilNanos : atNanos;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Fault f && f.kind == kind && f.node == node && Arrays.deepEquals(f.groups, groups)
                    && Double.compare(f.probability, probability) == 0 && f.extraNanos == extraNanos
                    && f.atNanos == atNanos && f.untilNanos == untilNanos;
        }

        @Override
        public int hashCode() {
            return Objects.hash(kind, node, Arrays.deepHashCode(groups), probability, extraNanos, atNanos, untilNanos);
        }

        @Override
        public String toString() {
            StringBuilder b = new StringBuilder(kind.word);
            switch (kind) {
                case CRASH, RESTART -> b.append(':').append(node);
                case SLOW -> b.append(':').append(node).append('=').append(Durations.format(extraNanos));
                case LOSS -> b.append(':').append(probability);
                case PARTITION -> {
                    b.append(':');
                    for (int g = 0; g < groups.length; g++) {
                        b.append(g == 0 ? "" : "|").append(groupText(groups[g]));
                    }
                }
                case HEAL -> {}
            }
            b.append('@').append(time(atNanos));
            if (isRange()) {
                b.append("..").append(time(untilNanos));
            }
            return b.toString();
        }

        private static int[][] deepCopy(int[][] g) {
            int[][] c = new int[g.length][];
            for (int i = 0; i < g.length; i++) {
                c[i] = g[i].clone();
            }
            return c;
        }
    }

    /**
     * Receives each fault as the plan applies it, on the control thread (for metrics and invariants):
     * {@code atNanos} is the engine clock when the action returned (a crash: the node is dead by then; on
     * {@code processes} the SIGKILLed JVM has been reaped), {@code callNanos} how long the action took (0 in
     * the simulator; a real engine's crash or respawn takes milliseconds to seconds).
     */
    public interface Listener {
        void applied(Kind kind, int node, long atNanos, long callNanos);
    }

    private static void timed(Cluster cluster, Listener listener, Kind kind, int node, Runnable action) {
        long before = cluster.now();
        action.run();
        long after = cluster.now();
        listener.applied(kind, node, after, after - before);
    }

    public FaultPlan {
        faults = List.copyOf(faults);
    }

    /** No faults. */
    public static FaultPlan none() {
        return new FaultPlan(List.of());
    }

    public boolean isEmpty() {
        return faults.isEmpty();
    }

    /** The latest instant any fault does something, 0 for an empty plan. */
    public long endNanos() {
        long end = 0;
        for (Fault f : faults) {
            end = Math.max(end, f.endNanos());
        }
        return end;
    }

    /** The plan without fault {@code i}. */
    public FaultPlan without(int i) {
        List<Fault> l = new ArrayList<>(faults);
        l.remove(i);
        return new FaultPlan(l);
    }

    /** The plan with fault {@code i} replaced. */
    public FaultPlan with(int i, Fault f) {
        List<Fault> l = new ArrayList<>(faults);
        l.set(i, f);
        return new FaultPlan(l);
    }

    /**
     * Checks that every node the plan names is in {@code 0..n-1}.
     *
     * @throws IllegalArgumentException naming the fault
     */
    public void check(int n) {
        for (Fault f : faults) {
            if (f.node >= n) {
                throw new IllegalArgumentException("'" + f + "' names node " + f.node + ", not in 0.." + (n - 1));
            }
            for (int[] g : f.groups) {
                for (int v : g) {
                    if (v >= n) {
                        throw new IllegalArgumentException("'" + f + "' names node " + v + ", not in 0.." + (n - 1));
                    }
                }
            }
        }
    }

    /**
     * Schedules every fault on {@code cluster} with {@link Cluster#at}, at times relative to
     * {@code originNanos} (the cluster's clock when the plan starts); {@code listener} hears each as it is
     * applied.
     */
    public void applyTo(Cluster cluster, long originNanos, Listener listener) {
        Objects.requireNonNull(listener, "listener");
        check(cluster.size());
        for (Fault f : faults) {
            long at = originNanos + f.atNanos;
            long until = f.isRange() ? originNanos + f.untilNanos : -1;
            switch (f.kind) {
                case CRASH -> {
                    cluster.at(at, () -> timed(cluster, listener, Kind.CRASH, f.node, () -> cluster.crash(f.node)));
                    if (until >= 0) {
                        cluster.at(until, () -> timed(cluster, listener, Kind.RESTART, f.node, () -> cluster.restart(f.node)));
                    }
                }
                case RESTART -> cluster.at(at, () -> timed(cluster, listener, Kind.RESTART, f.node, () -> cluster.restart(f.node)));
                case PARTITION -> {
                    cluster.at(at, () -> timed(cluster, listener, Kind.PARTITION, -1, () -> cluster.partition(f.groups)));
                    if (until >= 0) {
                        cluster.at(until, () -> timed(cluster, listener, Kind.HEAL, -1, () -> cluster.heal()));
                    }
                }
                case HEAL -> cluster.at(at, () -> timed(cluster, listener, Kind.HEAL, -1, () -> cluster.heal()));
                case SLOW -> {
                    cluster.at(at, () -> timed(cluster, listener, Kind.SLOW, f.node, () -> cluster.slow(f.node, f.extraNanos)));
                    if (until >= 0) {
                        cluster.at(until, () -> timed(cluster, listener, Kind.SLOW, f.node, () -> cluster.slow(f.node, 0)));
                    }
                }
                case LOSS -> {
                    cluster.at(at, () -> timed(cluster, listener, Kind.LOSS, -1, () -> cluster.lossBurst(f.probability)));
                    if (until >= 0) {
                        cluster.at(until, () -> timed(cluster, listener, Kind.LOSS, -1, () -> cluster.lossBurst(0)));
                    }
                }
            }
        }
    }

    /** True if some fault is a slow node or a loss burst ({@link Cluster#slow}, {@link Cluster#lossBurst}). */
    public boolean usesSlowOrLoss() {
        return faults.stream().anyMatch(f -> f.kind == Kind.SLOW || f.kind == Kind.LOSS);
    }

    /**
     * Swarm testing (Groce et al., ISSTA 2012): the seed picks which fault kinds this plan uses at all, then
     * 1 to 5 faults of those kinds at times in {@code [0, horizonNanos)}, so each seed explores its own mix.
     * Crashes are mostly ranges (a crash then a restart); a crash without restart stays down until the
     * caller's heal phase.
     */
    public static FaultPlan random(long seed, int n, long horizonNanos) {
        if (n < 2 || horizonNanos < 10) {
            throw new IllegalArgumentException("need n >= 2 and a horizon of at least 10 ns, got " + n + ", " + horizonNanos);
        }
        SplittableRandom r = new SplittableRandom(seed);
        Kind[] pool = {Kind.CRASH, Kind.PARTITION, Kind.SLOW, Kind.LOSS};
        List<Kind> enabled = new ArrayList<>();
        for (Kind k : pool) {
            if (r.nextInt(3) != 0) {
                enabled.add(k);
            }
        }
        if (enabled.isEmpty()) {
            enabled.add(pool[r.nextInt(pool.length)]);
        }
        int count = 1 + r.nextInt(5);
        List<Fault> faults = new ArrayList<>();
        long ms = 1_000_000L;
        for (int i = 0; i < count; i++) {
            Kind k = enabled.get(r.nextInt(enabled.size()));
            // Times on a 1 ms grid keep printed plans short and exact.
            long at = r.nextLong(Math.max(1, horizonNanos / ms)) * ms;
            long until = at + ms * (1 + r.nextLong(Math.max(1, (horizonNanos - at) / ms)));
            switch (k) {
                case CRASH -> faults.add(Fault.crash(r.nextInt(n), at, r.nextInt(4) == 0 ? -1 : until));
                case PARTITION -> faults.add(Fault.partition(randomGroups(r, n), at, until));
                case SLOW -> faults.add(Fault.slow(r.nextInt(n), ms * (5 + r.nextInt(200)), at, until));
                case LOSS -> faults.add(Fault.loss((1 + r.nextInt(50)) / 100.0, at, until));
                default -> throw new AssertionError(k);
            }
        }
        return new FaultPlan(faults);
    }

    private static int[][] randomGroups(SplittableRandom r, int n) {
        int k = 2 + (n > 3 ? r.nextInt(2) : 0);
        if (r.nextBoolean()) {
            // Contiguous arcs of the ring: cut points.
            int[] cuts = r.ints(0, n).distinct().limit(k).sorted().toArray();
            if (cuts.length < 2) {
                cuts = new int[] {0, n / 2};
            }
            int[][] g = new int[cuts.length][];
            for (int i = 0; i < cuts.length; i++) {
                int from = cuts[i];
                int to = i + 1 < cuts.length ? cuts[i + 1] : cuts[0] + n;
                g[i] = new int[to - from];
                for (int j = 0; j < g[i].length; j++) {
                    g[i][j] = (from + j) % n;
                }
                Arrays.sort(g[i]);
            }
            return g;
        }
        // Scattered: each node to a random group; empty groups are dropped.
        List<List<Integer>> groups = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            groups.add(new ArrayList<>());
        }
        for (int v = 0; v < n; v++) {
            groups.get(r.nextInt(k)).add(v);
        }
        groups.removeIf(List::isEmpty);
        if (groups.size() < 2) {
            return new int[][] {range(0, n / 2), range(n / 2, n)};
        }
        return groups.stream().map(l -> l.stream().mapToInt(Integer::intValue).toArray()).toArray(int[][]::new);
    }

    private static int[] range(int from, int to) {
        int[] a = new int[to - from];
        for (int i = 0; i < a.length; i++) {
            a[i] = from + i;
        }
        return a;
    }

    /** The canonical text: {@link #parse} of it gives this plan back. */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Fault f : faults) {
            b.append(b.isEmpty() ? "" : ",").append(f);
        }
        return b.toString();
    }

    /** What {@link #parse} accepts, for error messages. */
    public static final String FORMS = "comma-separated faults: crash:N@T[..T2], restart:N@T, partition:G|G[|G...]@T[..T2] "
            + "(G = ids and a-b ranges joined by +), heal@T, slow:N=D@T[..T2], loss:P@T[..T2]; T a duration such as 0, "
            + "100ms, 2s";

    /**
     * Parses the {@link #toString} syntax (blanks ignored; an empty text or {@code none} is the empty plan).
     *
     * @throws IllegalArgumentException naming the bad fault and {@link #FORMS}
     */
    public static FaultPlan parse(String text) {
        Objects.requireNonNull(text, "text");
        String s = text.replace(" ", "").toLowerCase(Locale.ROOT);
        if (s.isEmpty() || s.equals("none")) {
            return none();
        }
        List<Fault> faults = new ArrayList<>();
        for (String part : s.split(",", -1)) {
            try {
                faults.add(parseFault(part));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad fault '" + part + "': " + e.getMessage() + "; use " + FORMS, e);
            }
        }
        return new FaultPlan(faults);
    }

    private static Fault parseFault(String part) {
        int atSign = part.lastIndexOf('@');
        if (atSign < 0) {
            throw new IllegalArgumentException("missing @TIME");
        }
        String head = part.substring(0, atSign);
        String when = part.substring(atSign + 1);
        long at;
        long until = -1;
        int dots = when.indexOf("..");
        if (dots >= 0) {
            at = parseTime(when.substring(0, dots));
            until = parseTime(when.substring(dots + 2));
        } else {
            at = parseTime(when);
        }
        int colon = head.indexOf(':');
        String word = colon < 0 ? head : head.substring(0, colon);
        String arg = colon < 0 ? "" : head.substring(colon + 1);
        Kind kind = null;
        for (Kind k : Kind.values()) {
            if (k.word.equals(word)) {
                kind = k;
            }
        }
        if (kind == null) {
            throw new IllegalArgumentException("unknown fault kind '" + word + "'");
        }
        if (kind != Kind.HEAL && arg.isEmpty()) {
            throw new IllegalArgumentException(word + " needs an argument after ':'");
        }
        return switch (kind) {
            case CRASH -> Fault.crash(nodeId(arg), at, until);
            case RESTART -> new Fault(Kind.RESTART, nodeId(arg), null, 0, 0, at, until);
            case HEAL -> {
                if (!arg.isEmpty()) {
                    throw new IllegalArgumentException("heal takes no argument");
                }
                yield new Fault(Kind.HEAL, -1, null, 0, 0, at, until);
            }
            case SLOW -> {
                int eq = arg.indexOf('=');
                if (eq < 0) {
                    throw new IllegalArgumentException("slow needs NODE=EXTRA_LATENCY, e.g. slow:3=50ms");
                }
                yield Fault.slow(nodeId(arg.substring(0, eq)), Durations.parseNanos(arg.substring(eq + 1)), at, until);
            }
            case LOSS -> {
                double p;
                try {
                    p = Double.parseDouble(arg);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("loss needs a probability, got '" + arg + "'");
                }
                yield Fault.loss(p, at, until);
            }
            case PARTITION -> {
                String[] gs = arg.split("\\|", -1);
                int[][] groups = new int[gs.length][];
                for (int g = 0; g < gs.length; g++) {
                    groups[g] = parseGroup(gs[g]);
                }
                yield Fault.partition(groups, at, until);
            }
        };
    }

    private static int[] parseGroup(String g) {
        List<Integer> ids = new ArrayList<>();
        for (String item : g.split("\\+", -1)) {
            int dash = item.indexOf('-');
            if (dash > 0) {
                int a = nodeId(item.substring(0, dash));
                int b = nodeId(item.substring(dash + 1));
                if (b < a) {
                    throw new IllegalArgumentException("range " + item + " runs backwards");
                }
                for (int v = a; v <= b; v++) {
                    ids.add(v);
                }
            } else {
                ids.add(nodeId(item));
            }
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A group as ranges: 0-3+7 for {0,1,2,3,7}. */
    static String groupText(int[] g) {
        StringBuilder b = new StringBuilder();
        int i = 0;
        while (i < g.length) {
            int j = i;
            while (j + 1 < g.length && g[j + 1] == g[j] + 1) {
                j++;
            }
            b.append(b.isEmpty() ? "" : "+").append(g[i]);
            if (j > i) {
                b.append('-').append(g[j]);
            }
            i = j + 1;
        }
        return b.toString();
    }

    private static int nodeId(String s) {
        try {
            int v = Integer.parseInt(s);
            if (v < 0) {
                throw new IllegalArgumentException("node id " + v + " is negative");
            }
            return v;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not a node id");
        }
    }

    private static long parseTime(String t) {
        return t.equals("0") ? 0 : Durations.parseNanos(t);
    }

    private static String time(long nanos) {
        return nanos == 0 ? "0" : Durations.format(nanos);
    }
}
