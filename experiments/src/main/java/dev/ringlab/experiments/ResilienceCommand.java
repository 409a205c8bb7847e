package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ringlab.node.Cluster;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.Protocols;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.Durations;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
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
 * static overlay: the share of survivors in the origin's connected part of what is left of it.
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
            "The overlay is static: nothing rebuilds it after the crash (there is no membership protocol such as "
                    + "HyParView in ringlab yet), so reachable_bound, the mean share of survivors in the origin's "
                    + "connected part of the surviving overlay, bounds what any protocol can reach.",
            "Prints a table (protocol x f); --json prints one JSON object per cell instead: engine, seed, topology, nodes, "
                    + "protocol, latency, loss, fraction, crashed, survivors, broadcasts_per_phase, gap_ms, heal_ms, "
                    + "reachable_bound, reliability_right_after, reliability_after_heal (delivered / (broadcast, survivor) "
                    + "pairs), trace_hash (null on real engines), wall_ms. Progress goes to stderr.",
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
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        err.println("ringlab resilience: " + run.effective(FaultPlan.none(), null) + " topology=" + topology + " nodes=" + nodes
                + " protocols=" + specs + " fractions=" + fractions + " broadcasts=" + broadcasts + " per phase, gap="
                + Durations.format(gapNanos) + " heal=" + Durations.format(healNanos));
        err.println("replay: " + Replay.line(spec, run));
        err.flush();
        ObjectMapper mapper = new ObjectMapper();
        List<Map<String, Object>> rows = new ArrayList<>();
        int cells = protos.size() * fractions.size();
        int done = 0;
        for (double f : fractions) {
            Cell cell = cell(overlay, f);
            for (Protocol proto : protos) {
                long wall = System.nanoTime();
                Map<String, Object> o = measure(engine, overlay, proto, cell, gapNanos, healNanos);
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
            for (Map<String, Object> o : rows) {
                w = Math.max(w, o.get("protocol").toString().length());
            }
            String name = "%-" + w + "s";
            out.printf(Locale.ROOT, name + " %5s %8s %9s %11s %11s %10s%n", "protocol", "f", "crashed", "survivors", "right after",
                    "after heal", "bound");
            for (Map<String, Object> o : rows) {
                out.printf(Locale.ROOT, name + " %5.2f %8d %9d %11.4f %11.4f %10.4f%n", o.get("protocol"), (Double) o.get("fraction"),
                        (Integer) o.get("crashed"), (Integer) o.get("survivors"), (Double) o.get("reliability_right_after"),
                        (Double) o.get("reliability_after_heal"), (Double) o.get("reachable_bound"));
            }
            out.println();
            out.println("reliability = delivered / (broadcast, survivor) pairs; bound = mean share of survivors in the origin's "
                    + "connected part of the surviving overlay (static: nothing rebuilds it)");
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
    record Cell(double fraction, boolean[] crashed, int survivors, int[] origins, double bound) {}

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
            long healNanos) {
        int size = overlay.size();
        int k = broadcasts;
        // Ids: phase p (0 before, 1 right after, 2 after heal), broadcast b -> FIRST_ID + p * k + b.
        boolean[][] got = new boolean[3 * k][];
        try (Cluster cluster = run.build(run.spec(overlay, proto, FaultPlan.none()))) {
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
            cluster.start();
            byte[] payload = new byte[8];
            BroadcastExperiment.warmUp(cluster, engine, payload, 2_000 * MS);
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
            long end = crashAt + healNanos + (long) k * gapNanos;
            cluster.runUntil(() -> {
                synchronized (injected) {
                    return injected[0] == 3 * k;
                }
            }, end - cluster.now() + 60_000 * MS);
            cluster.settle(2_000 * MS);
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
            o.put("trace_hash", cluster.traceHash().isPresent() ? String.format("%016x", cluster.traceHash().getAsLong()) : null);
            return o;
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
