package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ringlab.node.Cluster;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.HyParView;
import dev.ringlab.node.protocols.Protocols;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.Durations;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab resilience}: the headline figure of the Plumtree paper. A fraction f of the nodes crashes at
 * once; broadcasts from random survivors right after the crash, and again after the protocols had time to
 * repair, reach what share of the survivors? Next to each figure, the most any protocol can reach on the
 * static overlay: the share of survivors in the origin's connected part of what is left of it. A membership
 * protocol (HyParView) builds its own overlay within the allowed links of {@code --membership-topology} and
 * rebuilds it after the crash: its bound is that overlay's, and the run reports how long the rebuild took.
 */
@Command(
        name = "resilience",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Crash a fraction f of the nodes at once and measure, per protocol, the reliability of broadcast among the "
                    + "survivors: for --broadcasts sent from random survivors right after the crash (one every --gap), and "
                    + "for as many sent --heal later, after the protocols' own repair (plumtree grafts; flood, gossip and "
                    + "tree have none). Before the crash, --broadcasts from the same origins (survivors drawn from --seed) "
                    + "let tree-building protocols form their trees. Every protocol sees the same overlay, the same crashed "
                    + "nodes and the same origins.",
            "For flood, gossip, tree and plumtree the overlay is static: nothing rebuilds it after the crash, so "
                    + "reachable_bound, the mean share of survivors in the origin's connected part of the surviving "
                    + "overlay, bounds what they can reach. hyparview+plumtree builds its active views at run time within "
                    + "the links of --membership-topology (default complete, the paper's setting: the bound is then 1) and "
                    + "heals them after the crash; it gets --join to form first, and its rows report heal_ms_measured: "
                    + "the time from the crash until the survivors' active views form one connected graph (sampled every "
                    + "--heal-step; null if not within --heal), active_view_mean and active_view_connected when the "
                    + "after-heal phase starts.",
            "Prints a table (protocol x f); --json prints one JSON object per cell instead: engine, seed, topology, nodes, "
                    + "protocol, latency, loss, fraction, crashed, survivors, broadcasts_per_phase, gap_ms, heal_ms, "
                    + "reachable_bound, reliability_right_after, reliability_after_heal (delivered / (broadcast, survivor) "
                    + "pairs), membership_topology, heal_connected_ms, active_view_mean, active_view_connected (these four "
                    + "null for protocols without membership), trace_hash (null on real engines), connections (the "
                    + "--connections policy the cell ran, null on sim), open_connections_per_node (mean and max of the "
                    + "survivors' open peer connections at the end of the cell; both null on sim), wall_ms. Progress goes to stderr.",
            "The run makes its own fault plan (the crash of f*n nodes drawn from --seed), so --faults is refused."
        })
public final class ResilienceCommand implements Callable<Integer> {
    static final long MS = 1_000_000L;
    static final long FIRST_ID = 1;

    @Spec
    CommandSpec spec;

    @Mixin
    RunOptions run;

    @Option(names = "--protocols", defaultValue = "flood,gossip:3,tree,plumtree", paramLabel = "P,P,...",
            description = "Protocols, comma-separated (a comma followed by KEY=VALUE continues the previous spec, as in "
                    + "plumtree:lazy=300ms,eager=0ms) (default: ${DEFAULT-VALUE}).")
    String protocols;

    @Option(names = "--fractions", defaultValue = "0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9", split = ",", paramLabel = "F",
            description = "Shares of the nodes to crash at once, each in (0, 1) (default: ${DEFAULT-VALUE}).")
    List<Double> fractions;

    @Option(names = "-n", paramLabel = "N", description = "Nodes (default: 1000 on sim, 32 on netty and processes).")
    Integer n;

    @Option(names = "--topology", defaultValue = "random-regular:8", paramLabel = "SPEC",
            description = "The overlay (default: ${DEFAULT-VALUE}).")
    String topology;

    @Option(names = "--broadcasts", defaultValue = "20", paramLabel = "K",
            description = "Broadcasts per phase: before the crash, right after it, and after --heal (default: ${DEFAULT-VALUE}).")
    int broadcasts;

    @Option(names = "--gap", defaultValue = "10ms", paramLabel = "D",
            description = "Engine time between two broadcasts of a phase (default: ${DEFAULT-VALUE}).")
    String gap;

    @Option(names = "--heal", defaultValue = "2s", paramLabel = "D",
            description = "Engine time from the crash to the first broadcast of the after-heal phase (default: ${DEFAULT-VALUE}).")
    String heal;

    @Option(names = "--membership-topology", defaultValue = "complete", paramLabel = "SPEC",
            description = "The allowed links of membership protocols (hyparview+plumtree), whose active views are built "
                    + "within them at run time; 'same' for --topology (default: ${DEFAULT-VALUE}).")
    String membershipTopology;

    @Option(names = "--join", defaultValue = "3s", paramLabel = "D",
            description = "Engine time a membership protocol gets to join and stabilise before the first broadcast "
                    + "(default: ${DEFAULT-VALUE}).")
    String join;

    @Option(names = "--heal-step", defaultValue = "50ms", paramLabel = "D",
            description = "How often the survivors' active-view graph is checked after the crash (default: ${DEFAULT-VALUE}).")
    String healStep;

    @Option(names = "--json", description = "One JSON object per (protocol, fraction) instead of the table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        run.validate();
        if (run.faultsText() != null) {
            throw new UsageException("--faults", "resilience makes its own fault plan (the crash of --fractions of the nodes, "
                    + "drawn from --seed); drop --faults");
        }
        ClusterEngine engine = run.engine();
        int nodes = n != null ? n : engine.deterministic() ? 1000 : 32;
        if (nodes < 2) {
            throw new UsageException("-n", "needs at least 2 nodes, got " + nodes);
        }
        if (broadcasts < 1) {
            throw new UsageException("--broadcasts", "must be at least 1, got " + broadcasts);
        }
        long gapNanos = duration("--gap", gap);
        long healNanos = duration("--heal", heal);
        long joinNanos = duration("--join", join);
        long stepNanos = duration("--heal-step", healStep);
        if (healNanos < (long) broadcasts * gapNanos) {
            throw new UsageException("--heal", "must leave room for the right-after phase: at least --broadcasts x --gap = "
                    + Durations.format((long) broadcasts * gapNanos) + ", got " + heal);
        }
        for (double f : fractions) {
            if (!(f > 0 && f < 1)) {
                throw new UsageException("--fractions", "each share must be in (0, 1), got " + f);
            }
            if (Math.round(f * nodes) >= nodes) {
                throw new UsageException("--fractions", f + " of " + nodes + " nodes leaves no survivor");
            }
        }
        List<String> specs = CompareCommand.splitProtocols(protocols);
        List<Protocol> protos = new ArrayList<>();
        for (String p : specs) {
            try {
                protos.add(Protocols.parse(p));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--protocols", e.getMessage());
            }
        }
        Overlay overlay;
        try {
            overlay = Topologies.build(topology, nodes, run.seed());
        } catch (IllegalArgumentException e) {
            throw new UsageException("--topology", e.getMessage());
        }
        Overlay membershipOverlay = overlay;
        if (protos.stream().anyMatch(HyParView::is) && !membershipTopology.equals("same")) {
            try {
                membershipOverlay = Topologies.build(membershipTopology, nodes, run.seed());
            } catch (IllegalArgumentException e) {
                throw new UsageException("--membership-topology", e.getMessage());
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        err.println("ringlab resilience: " + run.effective(FaultPlan.none(), null) + " topology=" + topology + " nodes=" + nodes
                + " protocols=" + specs + " fractions=" + fractions + " broadcasts=" + broadcasts + " per phase, gap="
                + Durations.format(gapNanos) + " heal=" + Durations.format(healNanos));
        err.println("replay: " + Replay.line(spec, run));
        err.flush();
        ObjectMapper mapper = new ObjectMapper();
        List<Map<String, Object>> rows = new ArrayList<>();
        // The table names each protocol as the user wrote it (a full spec can be 170 characters); JSON has the full one.
        List<String> labels = new ArrayList<>();
        int cells = protos.size() * fractions.size();
        int done = 0;
        for (double f : fractions) {
            Cell cell = cell(overlay, f);
            Cell membershipCell = membershipOverlay == overlay ? cell : cell.on(membershipOverlay);
            for (int p = 0; p < protos.size(); p++) {
                Protocol proto = protos.get(p);
                labels.add(specs.get(p).trim());
                long wall = System.nanoTime();
                boolean membership = HyParView.is(proto);
                Map<String, Object> o = measure(engine, membership ? membershipOverlay : overlay, proto,
                        membership ? membershipCell : cell, gapNanos, healNanos, membership ? joinNanos : 0, stepNanos);
                o.put("wall_ms", (System.nanoTime() - wall) / 1e6);
                rows.add(o);
                done++;
                err.printf(Locale.ROOT, "ringlab resilience: %d/%d %s f=%.2f right_after=%.4f after_heal=%.4f bound=%.4f%n", done,
                        cells, proto.spec(), f, (Double) o.get("reliability_right_after"), (Double) o.get("reliability_after_heal"),
                        (Double) o.get("reachable_bound"));
                err.flush();
                if (json) {
                    out.println(mapper.writeValueAsString(o));
                    out.flush();
                }
            }
        }
        if (!json) {
            int w = 8;
            for (String label : labels) {
                w = Math.max(w, label.length());
            }
            String name = "%-" + w + "s";
            out.printf(Locale.ROOT, name + " %5s %8s %9s %11s %11s %10s %10s%n", "protocol", "f", "crashed", "survivors",
                    "right after", "after heal", "bound", "healed ms");
            for (int i = 0; i < rows.size(); i++) {
                Map<String, Object> o = rows.get(i);
                Object healed = o.get("heal_connected_ms");
                String healedText = o.get("membership_topology") == null ? "-"
                        : healed == null ? "not yet" : String.format(Locale.ROOT, "%.0f", (Double) healed);
                out.printf(Locale.ROOT, name + " %5.2f %8d %9d %11.4f %11.4f %10.4f %10s%n", labels.get(i),
                        (Double) o.get("fraction"), (Integer) o.get("crashed"), (Integer) o.get("survivors"),
                        (Double) o.get("reliability_right_after"), (Double) o.get("reliability_after_heal"),
                        (Double) o.get("reachable_bound"), healedText);
            }
            out.println();
            out.println("reliability = delivered / (broadcast, survivor) pairs; bound = mean share of survivors in the origin's "
                    + "connected part of the surviving overlay (static: nothing rebuilds it; for a membership protocol, the "
                    + "allowed links of --membership-topology); healed ms = time from the crash until the survivors' active "
                    + "views were connected (membership protocols only; 'not yet' if not within --heal)");
            out.flush();
        }
        return 0;
    }

    private long duration(String flag, String text) {
        try {
            long d = Durations.parseNanos(text);
            if (d <= 0) {
                throw new IllegalArgumentException("must be > 0, got " + text);
            }
            return d;
        } catch (IllegalArgumentException e) {
            throw new UsageException(flag, e.getMessage());
        }
    }

    /** The nodes that crash, and the origins of the broadcasts (the same in each phase): the same for every protocol. */
    record Cell(double fraction, boolean[] crashed, int survivors, int[] origins, double bound) {
        /** The same crash and origins on {@code other}, with that overlay's bound. */
        Cell on(Overlay other) {
            double sum = 0;
            for (int origin : origins) {
                sum += (double) reachable(other, crashed, origin) / survivors;
            }
            return new Cell(fraction, crashed, survivors, origins, sum / origins.length);
        }
    }

    Cell cell(Overlay overlay, double f) {
        int size = overlay.size();
        SplittableRandom r = new SplittableRandom(run.seed() ^ Double.doubleToLongBits(f) * 0x9E3779B97F4A7C15L);
        int k = (int) Math.round(f * size);
        int[] order = new int[size];
        for (int v = 0; v < size; v++) {
            order[v] = v;
        }
        for (int i = 0; i < k; i++) { // a partial Fisher-Yates shuffle: the first k are the crashed nodes
            int j = i + r.nextInt(size - i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        boolean[] crashed = new boolean[size];
        for (int i = 0; i < k; i++) {
            crashed[order[i]] = true;
        }
        int[] live = Arrays.copyOfRange(order, k, size);
        // The same origins in every phase, all survivors: a protocol that builds a tree per origin (plumtree's
        // default) has built theirs before the crash, as a long-running system would have.
        int[] origins = new int[broadcasts];
        double sum = 0;
        for (int b = 0; b < broadcasts; b++) {
            origins[b] = live[r.nextInt(live.length)];
            sum += (double) reachable(overlay, crashed, origins[b]) / live.length;
        }
        return new Cell(f, crashed, live.length, origins, sum / broadcasts);
    }

    /** Survivors reachable from {@code origin} along the overlay's arcs between survivors, origin included. */
    static int reachable(Overlay overlay, boolean[] crashed, int origin) {
        if (!overlay.directed() && overlay.degree(origin) == overlay.size() - 1) {
            // Complete (no multi-edges in it): every survivor, without walking n^2 arcs.
            int live = 0;
            for (boolean c : crashed) {
                live += c ? 0 : 1;
            }
            return live;
        }
        boolean[] seen = new boolean[overlay.size()];
        int[] queue = new int[overlay.size()];
        int head = 0;
        int tail = 0;
        queue[tail++] = origin;
        seen[origin] = true;
        while (head < tail) {
            int v = queue[head++];
            for (int i = 0; i < overlay.degree(v); i++) {
                int w = overlay.neighbour(v, i);
                if (!seen[w] && !crashed[w]) {
                    seen[w] = true;
                    queue[tail++] = w;
                }
            }
        }
        return tail;
    }

    private Map<String, Object> measure(ClusterEngine engine, Overlay overlay, Protocol proto, Cell cell, long gapNanos,
            long healNanos, long joinNanos, long stepNanos) {
        int size = overlay.size();
        int k = broadcasts;
        boolean membership = HyParView.is(proto);
        // Ids: phase p (0 before, 1 right after, 2 after heal), broadcast b -> FIRST_ID + p * k + b.
        boolean[][] got = new boolean[3 * k][];
        Views views = membership ? new Views(size) : null;
        try (Cluster cluster = run.build(run.spec(overlay, proto, FaultPlan.none()))) {
            if (views != null) {
                cluster.addObserver(ob -> {
                    if (ob instanceof HyParView.ActiveViewChange c) {
                        views.change(c);
                    }
                });
            }
            cluster.addObserver(BroadcastExperiment.measured(ob -> {
                if (ob instanceof Observation.Delivered d && d.id() >= FIRST_ID && d.id() < FIRST_ID + 3L * k) {
                    int i = (int) (d.id() - FIRST_ID);
                    synchronized (got) {
                        if (got[i] == null) {
                            got[i] = new boolean[size];
                        }
                        got[i][d.node()] = true;
                    }
                }
            }));
            BroadcastExperiment.warmUpJvm(engine, null);
            cluster.start();
            byte[] payload = new byte[8];
            BroadcastExperiment.warmUp(cluster, engine, payload, 2_000 * MS);
            if (joinNanos > 0) {
                cluster.runFor(joinNanos);
            }
            long t0 = cluster.now() + 10 * MS;
            long crashAt = t0 + (long) k * gapNanos + 200 * MS; // the formation phase has settled
            int[] injected = {0};
            for (int b = 0; b < k; b++) {
                int origin = cell.origins()[b];
                schedule(cluster, t0 + b * gapNanos, origin, FIRST_ID + b, payload, injected);
                schedule(cluster, crashAt + (b + 1) * gapNanos, origin, FIRST_ID + k + b, payload, injected);
                schedule(cluster, crashAt + healNanos + b * gapNanos, origin, FIRST_ID + 2L * k + b, payload, injected);
            }
            cluster.at(crashAt, () -> {
                for (int v = 0; v < size; v++) {
                    if (cell.crashed()[v]) {
                        cluster.crash(v);
                    }
                }
            });
            long[] healedAt = {-1};
            double[] atHeal = {Double.NaN, 0};
            if (views != null) {
                for (long t = crashAt + stepNanos; t <= crashAt + healNanos; t += stepNanos) {
                    long at = t;
                    cluster.at(at, () -> {
                        if (healedAt[0] < 0 && views.connected(cell.crashed())) {
                            healedAt[0] = at - crashAt;
                        }
                    });
                }
                cluster.at(crashAt + healNanos, () -> {
                    atHeal[0] = views.meanSize(cell.crashed());
                    atHeal[1] = views.connected(cell.crashed()) ? 1 : 0;
                });
            }
            long end = crashAt + healNanos + (long) k * gapNanos;
            cluster.runUntil(() -> {
                synchronized (injected) {
                    return injected[0] == 3 * k;
                }
            }, end - cluster.now() + 60_000 * MS);
            cluster.settle(2_000 * MS);
            OpenConnections open = OpenConnections.sample(cluster); // the survivors', at the end of the cell
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("engine", engine.name());
            o.put("seed", run.seed());
            o.put("topology", topology);
            o.put("nodes", size);
            o.put("protocol", proto.spec());
            o.put("latency", run.reportedLatency());
            o.put("loss", run.loss());
            o.put("fraction", cell.fraction());
            o.put("crashed", size - cell.survivors());
            o.put("survivors", cell.survivors());
            o.put("broadcasts_per_phase", k);
            o.put("gap_ms", gapNanos / 1e6);
            o.put("heal_ms", healNanos / 1e6);
            o.put("reachable_bound", cell.bound());
            synchronized (got) {
                o.put("reliability_right_after", reliability(got, k, cell));
                o.put("reliability_after_heal", reliability(got, 2 * k, cell));
            }
            o.put("membership_topology", views == null ? null : overlay.spec());
            o.put("heal_connected_ms", views == null || healedAt[0] < 0 ? null : healedAt[0] / 1e6);
            o.put("active_view_mean", views == null || Double.isNaN(atHeal[0]) ? null : atHeal[0]);
            o.put("active_view_connected", views == null || Double.isNaN(atHeal[0]) ? null : atHeal[1] == 1);
            o.put("trace_hash", cluster.traceHash().isPresent() ? String.format("%016x", cluster.traceHash().getAsLong()) : null);
            var policy = run.connectionPolicy(engine, proto);
            o.put("connections", policy == null ? null : policy.spec());
            o.put("open_connections_per_node", OpenConnections.map(open));
            return o;
        }
    }

    /**
     * The active views as the {@link HyParView.ActiveViewChange} observations replay them (thread-safe: real
     * engines report from their node threads).
     */
    static final class Views {
        private final List<Set<Integer>> active = new ArrayList<>();

        Views(int n) {
            for (int v = 0; v < n; v++) {
                active.add(new HashSet<>());
            }
        }

        synchronized void change(HyParView.ActiveViewChange c) {
            if (c.up()) {
                active.get(c.node()).add(c.peer());
            } else {
                active.get(c.node()).remove(c.peer());
            }
        }

        /** Mean active-view size of the survivors, counting only live neighbours. */
        synchronized double meanSize(boolean[] crashed) {
            long sum = 0;
            int live = 0;
            for (int v = 0; v < crashed.length; v++) {
                if (!crashed[v]) {
                    live++;
                    for (int u : active.get(v)) {
                        sum += crashed[u] ? 0 : 1;
                    }
                }
            }
            return live == 0 ? 0 : (double) sum / live;
        }

        /** True if the survivors' active views (links taken both ways, crashed ends left out) form one connected graph. */
        synchronized boolean connected(boolean[] crashed) {
            int n = crashed.length;
            List<List<Integer>> adj = new ArrayList<>();
            for (int v = 0; v < n; v++) {
                adj.add(new ArrayList<>());
            }
            int start = -1;
            int live = 0;
            for (int v = 0; v < n; v++) {
                if (crashed[v]) {
                    continue;
                }
                live++;
                start = start < 0 ? v : start;
                for (int u : active.get(v)) {
                    if (!crashed[u]) {
                        adj.get(v).add(u);
                        adj.get(u).add(v);
                    }
                }
            }
            if (live == 0) {
                return true;
            }
            boolean[] seen = new boolean[n];
            int[] queue = new int[n];
            int head = 0;
            int tail = 0;
            queue[tail++] = start;
            seen[start] = true;
            while (head < tail) {
                for (int u : adj.get(queue[head++])) {
                    if (!seen[u]) {
                        seen[u] = true;
                        queue[tail++] = u;
                    }
                }
            }
            return tail == live;
        }
    }

    private static void schedule(Cluster cluster, long at, int origin, long id, byte[] payload, int[] injected) {
        cluster.at(at, () -> {
            if (cluster.alive(origin)) {
                cluster.inject(origin, new Message.Inject(id, payload));
            }
            synchronized (injected) {
                injected[0]++;
            }
        });
    }

    /** Delivered (broadcast, survivor) pairs over all pairs, for the {@code broadcasts} ids from index {@code from}. */
    private double reliability(boolean[][] got, int from, Cell cell) {
        long delivered = 0;
        for (int b = from; b < from + broadcasts; b++) {
            if (got[b] == null) {
                continue;
            }
            for (int v = 0; v < got[b].length; v++) {
                if (got[b][v] && !cell.crashed()[v]) {
                    delivered++;
                }
            }
        }
        return (double) delivered / ((long) broadcasts * cell.survivors());
    }
}
