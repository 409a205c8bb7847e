package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ringlab.node.Cluster;
import dev.ringlab.node.Message;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.check.ReplicaWatch;
import dev.ringlab.node.check.RingWatch;
import dev.ringlab.node.protocols.ConfigBus;
import dev.ringlab.node.protocols.DeltaReplicator;
import dev.ringlab.node.protocols.RecoveryConfig;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.Durations;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.topology.Overlay;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab soak}: the config bus on the healing ring under a steady client stream and one fault after
 * another for a while, checking after every fault what must hold, and watching the resources of the engine's
 * processes over time. Each round: a seeded fault (crash and respawn; a partition and its heal; a pause, which
 * on {@code processes} is a real SIGSTOP/SIGCONT of the child and elsewhere a slow node), client puts all the
 * while, then, once the fault is over: the live nodes converge, no acknowledged delta is lost, every node applied
 * each origin's deltas in order and once, no acknowledgement names a delta nobody created, and after the first
 * full rotation of the ring exactly one token circulates. A round that breaks one of these is an anomaly.
 */
@Command(
        name = "soak",
        mixinStandardHelpOptions = true,
        header = "A long run with a fault every few seconds: anomalies, faults survived, RSS, threads and descriptors over time.",
        description = {
            "Runs the config bus on the healing ring (-n nodes) with --rate client puts per second and, round after round,"
                    + " one seeded fault: crash and respawn, partition and heal, or pause (processes: a real SIGSTOP and"
                    + " SIGCONT of the node's JVM; sim and netty: a slow node), held for 0.5 to 2 s. After each fault the run"
                    + " checks convergence, lost acknowledged deltas (must be 0), order (every node applies each origin's"
                    + " deltas in order and once), phantom acknowledgements, and one token after the first full rotation;"
                    + " a failed check is an anomaly (printed at once with its round; the run goes on). It samples the RSS,"
                    + " threads and open file descriptors of this JVM and its children (Linux /proc) after every round.",
            "",
            "Stops after --duration of engine time (the last round finishes). Not part of mvn verify; CI runs a 2-minute"
                    + " soak on processes. Exit 1 if there was any anomaly.",
            "",
            "--json fields: engine, seed, nodes, rate_per_s, duration_s, rounds, faults {crash, partition, pause},"
                    + " operations, acked, anomalies (count), anomalies_by_kind {node_exit, not_converged, lost, order,"
                    + " phantom_ack, tokens_after_repair}, anomaly_samples, lost_deltas, suspicions_of_live_nodes (of a node"
                    + " that was not crashed: here the paused node and nodes across a partition, which the detectors"
                    + " should suspect, so not an anomaly), rss_mb {first, last, max} (this JVM: mostly the heap its collector"
                    + " sized, up to RINGLAB_JAVA_OPTS' -Xmx; its live data, the history included, was about 45 MB after"
                    + " 10 minutes), children_rss_mb {first, last, max} (the node JVMs of processes, each with a fixed,"
                    + " pre-touched 96 MB heap; null elsewhere), threads and fds {first, last, max} (this JVM and its children; null where /proc"
                    + " is not there), timeline [{t_s, rss_mb, children_rss_mb, threads, fds}],"
                    + " wall_ms."
        })
public final class SoakCommand implements Callable<Integer> {
    private static final long MS = 1_000_000L;
    private static final long S = 1_000 * MS;

    @Spec
    CommandSpec spec;

    @Mixin
    RunOptions run;

    @Option(names = {"-n", "--nodes"}, description = "Nodes (default: ${DEFAULT-VALUE}).")
    int n = 8;

    @Option(names = "--duration", paramLabel = "D", description = "How long to run, engine time (default: ${DEFAULT-VALUE}).")
    String duration = "2m";

    @Option(names = "--rate", paramLabel = "R", description = "Client puts per second, fleet-wide (default: ${DEFAULT-VALUE}).")
    double rate = 50;

    @Option(names = "--timeline", paramLabel = "FILE", description = "Also write the resource timeline as CSV.")
    Path timelineFile;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    private enum Kind { CRASH, PARTITION, PAUSE }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (n < 4) {
            throw new UsageException("--nodes", "a soak needs at least 4 nodes (a fault takes one or splits the ring), got " + n);
        }
        if (!(rate > 0 && rate <= 10_000)) {
            throw new UsageException("--rate", "must be in (0, 10000], got " + rate);
        }
        if (spec.commandLine().getParseResult().hasMatchedOption("--faults")) {
            throw new UsageException("--faults", "soak draws its own faults from --seed, one per round");
        }
        long durationNanos = UsageException.durationNanos("--duration", duration);
        if (durationNanos < S) {
            throw new UsageException("--duration", "must be at least 1s, got " + duration);
        }
        run.validate();
        ClusterEngine engine = run.engine();
        Defaults.Timing t = Defaults.timing(engine, n, run.linkBound());
        int successors = 3;
        RecoveryConfig rc = t.applyTo(RecoveryConfig.defaults().withSuccessors(successors));
        DeltaReplicator.Settings settings = new DeltaReplicator.Settings(DeltaReplicator.Mode.RING, 50 * MS, 100 * MS, rc,
                DeltaReplicator.Via.TOKEN);
        Protocol proto = ConfigBus.protocol(settings);
        Overlay overlay = RecoverCommand.ringOverlay(n, successors, run.seed());
        SplittableRandom r = new SplittableRandom(run.seed() ^ 0x50A6L);
        long gapNanos = Math.round(1e9 / rate);
        long tailNanos = Math.max(300 * MS, 5 * rc.tokenLossTimeoutNanos() / 4);
        long convergeLimit = 30 * S;

        ReplicaWatch watch = new ReplicaWatch(n);
        RingWatch ring = new RingWatch(n, false);
        List<String> anomalies = java.util.Collections.synchronizedList(new ArrayList<>());
        Map<String, Integer> kinds = new LinkedHashMap<>();
        for (String k : ANOMALY_KINDS) {
            kinds.put(k, 0);
        }
        List<Map<String, Object>> timeline = new ArrayList<>();
        Map<String, Integer> faults = new LinkedHashMap<>();
        for (Kind k : Kind.values()) {
            faults.put(k.name().toLowerCase(Locale.ROOT), 0);
        }
        long wallStart = System.nanoTime();
        int rounds = 0;
        int printed = 0;
        long issued = 0;
        long lostTotal = 0;
        long orderSeen = 0;
        long phantomSeen = 0;
        try (Cluster cluster = run.build(run.spec(overlay, proto, FaultPlan.none()))) {
            err.println("ringlab soak: " + run.effective(FaultPlan.none(), t) + " nodes=" + n + " rate=" + rate
                    + "/s duration=" + Durations.format(durationNanos) + " protocol=" + proto.spec());
            err.println("replay: " + Replay.line(spec, run));
            err.flush();
            cluster.addObserver(watch);
            cluster.addObserver(ring);
            // A node process that dies on its own (not a planned crash) is an anomaly of the engine.
            cluster.addObserver(ob -> {
                if (ob instanceof dev.ringlab.node.Observation.NodeExited x) {
                    synchronized (anomalies) {
                        anomaly(anomalies, kinds, "node_exit", "node " + x.node() + " exited on its own with status " + x.exitStatus());
                    }
                }
            });
            cluster.start();
            cluster.runFor(Math.max(300 * MS, t.probationNanos()));
            long origin = cluster.now();
            ring.markRotations(origin);
            timeline.add(sample(0));
            long[] nextOp = {origin};
            int[] opIndex = {0};
            while (cluster.now() - origin < durationNanos) {
                rounds++;
                Kind kind = Kind.values()[r.nextInt(Kind.values().length)];
                int victim = r.nextInt(n);
                long hold = (500 + r.nextInt(1_500)) * MS;
                long faultAt = cluster.now() + 300 * MS;
                long healAt = faultAt + hold;
                long opsUntil = healAt + 300 * MS;
                int[][] groups = kind == Kind.PARTITION ? split(r, n) : null;
                long[] issuedNow = {0};
                // The stream pauses while a round's checks run; it resumes at the rate, not with a burst.
                nextOp[0] = Math.max(nextOp[0], cluster.now());
                // Client puts at the rate, from wherever the last round left off, to just after the heal.
                boolean[] applied = {false, false};
                ProcessHandle[] paused = {null};
                cluster.runUntil(() -> {
                    long now = cluster.now();
                    while (nextOp[0] <= now && nextOp[0] <= opsUntil) {
                        int pick = r.nextInt(n);
                        for (int j = 0; j < n; j++) {
                            int v = (pick + j) % n;
                            if (cluster.alive(v)) {
                                Message m = new Message.ConfigPut("key-" + (opIndex[0] % 64),
                                        String.format(Locale.ROOT, "v%08d", opIndex[0]));
                                opIndex[0]++;
                                watch.invoked(v, now, m.toString());
                                cluster.inject(v, m);
                                issuedNow[0]++;
                                break;
                            }
                        }
                        nextOp[0] += gapNanos;
                    }
                    if (!applied[0] && now >= faultAt) {
                        applied[0] = true;
                        long before = cluster.now();
                        switch (kind) {
                            case CRASH -> {
                                cluster.crash(victim);
                                watch.crashed(victim);
                                ring.crashed(victim, cluster.now(), cluster.now() - before);
                            }
                            case PARTITION -> cluster.partition(groups);
                            case PAUSE -> paused[0] = pause(cluster, engine, victim, true, null);
                        }
                    }
                    if (applied[0] && !applied[1] && now >= healAt) {
                        applied[1] = true;
                        long before = cluster.now();
                        switch (kind) {
                            case CRASH -> {
                                cluster.restart(victim);
                                ring.restarted(victim, before, cluster.now());
                            }
                            case PARTITION -> cluster.heal();
                            case PAUSE -> pause(cluster, engine, victim, false, paused[0]);
                        }
                        ring.markRotations(cluster.now());
                    }
                    return applied[1] && now >= opsUntil;
                }, opsUntil - cluster.now() + 60 * S);
                if (kind == Kind.PAUSE && !engine.name().equals("processes")) {
                    // A slow node's messages sent before the end of the fault still arrive up to its extra delay
                    // later (an old token among them): the repair is judged from when they are all in.
                    cluster.runFor(S);
                    ring.markRotations(cluster.now());
                }
                issued += issuedNow[0];
                faults.merge(kind.name().toLowerCase(Locale.ROOT), 1, Integer::sum);
                String where = "round " + rounds + " (" + kind.name().toLowerCase(Locale.ROOT) + " "
                        + (kind == Kind.PARTITION ? java.util.Arrays.deepToString(groups) : "node " + victim) + " for "
                        + Durations.format(hold) + ")";
                boolean converged = cluster.runUntil(() -> watch.converged(cluster::alive) && ring.fullRotationAt() >= 0,
                        convergeLimit);
                if (!converged) {
                    anomaly(anomalies, kinds, "not_converged", where + ": the live nodes did not converge (or the ring did not rotate) within "
                            + Durations.format(convergeLimit));
                }
                long lost = watch.lostAcked(cluster::alive).size();
                if (lost > lostTotal) {
                    anomaly(anomalies, kinds, "lost", where + ": " + (lost - lostTotal) + " acknowledged deltas lost");
                    lostTotal = lost;
                }
                if (watch.orderViolations() > orderSeen) {
                    anomaly(anomalies, kinds, "order", where + ": " + (watch.orderViolations() - orderSeen) + " deltas applied out of order or twice: "
                            + watch.orderViolationSamples());
                    orderSeen = watch.orderViolations();
                }
                if (watch.phantomAcks() > phantomSeen) {
                    anomaly(anomalies, kinds, "phantom_ack", where + ": " + (watch.phantomAcks() - phantomSeen) + " acknowledgements of deltas nobody created");
                    phantomSeen = watch.phantomAcks();
                }
                if (ring.fullRotationAt() >= 0) {
                    long from = ring.fullRotationAt();
                    cluster.runFor(Math.max(0, from + tailNanos - cluster.now()));
                    int tokens = ring.maxConcurrentEpochsAfter(from);
                    if (tokens != 1) {
                        // The round's token creations (node@ms from the fault) and the repair instant, to start from.
                        String made = ring.creations().stream().filter(c -> c[2] >= faultAt - 300 * MS)
                                .map(c -> "node " + c[0] + "@" + (c[2] - faultAt) / MS + "ms").toList().toString();
                        anomaly(anomalies, kinds, "tokens_after_repair", where + ": " + tokens
                                + " tokens circulating after the repair (full rotation at " + (from - faultAt) / MS
                                + " ms from the fault; tokens created " + made + "; suspicions since the fault "
                                + ring.suspicionsSince(faultAt - 300 * MS, faultAt) + ")");
                    }
                }
                synchronized (anomalies) {
                    for (int i = printed; i < anomalies.size(); i++) {
                        err.println("ringlab soak: ANOMALY " + anomalies.get(i));
                    }
                    printed = anomalies.size();
                }
                Map<String, Object> s = sample((cluster.now() - origin) / 1e9);
                timeline.add(s);
                int newAnomalies = anomalies.size();
                err.printf(Locale.ROOT, "ringlab soak: %s  t=%.0fs ops=%d anomalies=%d rss_mb=%s children_rss_mb=%s threads=%s fds=%s%n",
                        where, (cluster.now() - origin) / 1e9, issued, newAnomalies, s.get("rss_mb"), s.get("children_rss_mb"),
                        s.get("threads"), s.get("fds"));
                err.flush();
            }
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("engine", engine.name());
            o.put("seed", run.seed());
            o.put("nodes", n);
            o.put("rate_per_s", rate);
            o.put("duration_s", (cluster.now() - origin) / 1e9);
            o.put("rounds", rounds);
            o.put("faults", faults);
            o.put("operations", issued);
            o.put("acked", watch.deltasAcked());
            List<String> found;
            synchronized (anomalies) {
                found = List.copyOf(anomalies);
            }
            o.put("anomalies", found.size());
            synchronized (anomalies) {
                o.put("anomalies_by_kind", new LinkedHashMap<>(kinds));
            }
            o.put("anomaly_samples", found.stream().limit(10).toList());
            o.put("lost_deltas", lostTotal);
            o.put("suspicions_of_live_nodes", ring.falseSuspicions());
            for (String f : List.of("rss_mb", "children_rss_mb", "threads", "fds")) {
                o.put(f, summary(timeline, f));
            }
            o.put("timeline", timeline);
            o.put("wall_ms", (System.nanoTime() - wallStart) / 1e6);
            if (timelineFile != null) {
                writeCsv(timeline);
            }
            if (json) {
                out.println(new ObjectMapper().writeValueAsString(o));
            } else {
                for (Map.Entry<String, Object> e : o.entrySet()) {
                    if (!e.getKey().equals("timeline")) {
                        out.printf(Locale.ROOT, "  %-18s %s%n", e.getKey(), e.getValue() == null ? "-" : e.getValue());
                    }
                }
            }
            out.flush();
            if (!found.isEmpty()) {
                err.println("ringlab soak: " + found.size() + " anomalies in " + rounds + " rounds, first: " + found.get(0));
                err.println("replay: " + Replay.line(spec, run));
                return 1;
            }
            return 0;
        }
    }

    /**
     * The kinds of anomaly: a node process that exited on its own, live nodes that did not converge, lost
     * acknowledged deltas, deltas applied out of order or twice, acknowledgements of deltas nobody created,
     * and more than one token circulating after the repair.
     */
    static final List<String> ANOMALY_KINDS = List.of("node_exit", "not_converged", "lost", "order", "phantom_ack",
            "tokens_after_repair");

    private static void anomaly(List<String> anomalies, Map<String, Integer> kinds, String kind, String text) {
        synchronized (anomalies) {
            anomalies.add(text);
            kinds.merge(kind, 1, Integer::sum);
        }
    }

    /** Two groups: a seeded cut of the ring into a run of 1..n/2 nodes and the rest. */
    private static int[][] split(SplittableRandom r, int n) {
        int size = 1 + r.nextInt(n / 2);
        int start = r.nextInt(n);
        int[] a = new int[size];
        int[] b = new int[n - size];
        for (int i = 0; i < n; i++) {
            int v = (start + i) % n;
            if (i < size) {
                a[i] = v;
            } else {
                b[i - size] = v;
            }
        }
        return new int[][] {a, b};
    }

    /**
     * Pauses (or resumes) {@code node}: on processes a real SIGSTOP (SIGCONT) of its JVM, found among this
     * JVM's children by its {@code --id}; elsewhere a slow node (every message it sends 1 s late).
     */
    private static ProcessHandle pause(Cluster cluster, ClusterEngine engine, int node, boolean stop, ProcessHandle known) {
        if (!engine.name().equals("processes")) {
            cluster.slow(node, stop ? S : 0);
            return null;
        }
        ProcessHandle h = known != null ? known : nodeProcess(node)
                .orElseThrow(() -> new IllegalStateException("soak: no child process for node " + node));
        try {
            Process p = new ProcessBuilder("kill", stop ? "-STOP" : "-CONT", Long.toString(h.pid())).start();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("soak: kill " + (stop ? "-STOP " : "-CONT ") + h.pid() + " exited " + p.exitValue());
            }
        } catch (IOException e) {
            throw new IllegalStateException("soak: cannot run kill: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("soak: interrupted", e);
        }
        return h;
    }

    /** The processes engine's child JVM running {@code node}, among this JVM's descendants (by its {@code --id}). */
    static java.util.Optional<ProcessHandle> nodeProcess(int node) {
        return ProcessHandle.current().descendants().filter(p -> {
            String[] args = p.info().arguments().orElse(new String[0]);
            for (int i = 0; i + 1 < args.length; i++) {
                if (args[i].equals("--id") && args[i + 1].equals(Integer.toString(node))) {
                    return true;
                }
            }
            return false;
        }).findFirst();
    }

    /** RSS (MB), threads and open descriptors of this JVM and its descendants, from /proc (nulls elsewhere). */
    static Map<String, Object> sample(double tSeconds) {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("t_s", Math.round(tSeconds * 10) / 10.0);
        long rssKb = 0;
        long childrenRssKb = 0;
        int children = 0;
        long threads = 0;
        long fds = 0;
        boolean any = false;
        List<ProcessHandle> procs = new ArrayList<>();
        procs.add(ProcessHandle.current());
        ProcessHandle.current().descendants().forEach(procs::add);
        for (ProcessHandle p : procs) {
            Path proc = Path.of("/proc", Long.toString(p.pid()));
            try {
                for (String line : Files.readAllLines(proc.resolve("status"))) {
                    if (line.startsWith("VmRSS:")) {
                        long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                        if (p.equals(ProcessHandle.current())) {
                            rssKb += kb;
                        } else {
                            childrenRssKb += kb;
                            children++;
                        }
                    } else if (line.startsWith("Threads:")) {
                        threads += Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                }
                try (Stream<Path> fd = Files.list(proc.resolve("fd"))) {
                    fds += fd.count();
                }
                any = true;
            } catch (IOException | RuntimeException e) {
                // The process ended between the listing and the read, or there is no /proc: count what there is.
            }
        }
        s.put("rss_mb", any ? Math.round(rssKb / 102.4) / 10.0 : null);
        s.put("children_rss_mb", children == 0 ? null : Math.round(childrenRssKb / 102.4) / 10.0);
        s.put("threads", any ? threads : null);
        s.put("fds", any ? fds : null);
        return s;
    }

    private static Map<String, Object> summary(List<Map<String, Object>> timeline, String field) {
        Map<String, Object> m = new LinkedHashMap<>();
        List<Double> xs = timeline.stream().map(s -> s.get(field)).filter(x -> x != null)
                .map(x -> ((Number) x).doubleValue()).toList();
        m.put("first", xs.isEmpty() ? null : xs.get(0));
        m.put("last", xs.isEmpty() ? null : xs.get(xs.size() - 1));
        m.put("max", xs.isEmpty() ? null : xs.stream().mapToDouble(Double::doubleValue).max().getAsDouble());
        return m;
    }

    private void writeCsv(List<Map<String, Object>> timeline) {
        StringBuilder b = new StringBuilder("t_s,rss_mb,children_rss_mb,threads,fds\n");
        for (Map<String, Object> s : timeline) {
            b.append(s.get("t_s")).append(',').append(orEmpty(s.get("rss_mb"))).append(',')
                    .append(orEmpty(s.get("children_rss_mb"))).append(',').append(orEmpty(s.get("threads")))
                    .append(',').append(orEmpty(s.get("fds"))).append('\n');
        }
        try {
            Files.writeString(timelineFile, b);
        } catch (IOException e) {
            throw new UsageException("--timeline", "cannot write " + timelineFile + ": " + e.getMessage());
        }
    }

    private static String orEmpty(Object x) {
        return x == null ? "" : x.toString();
    }
}
