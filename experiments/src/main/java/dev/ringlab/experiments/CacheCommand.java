package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ringlab.node.Cluster;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.CacheMessage;
import dev.ringlab.node.check.DeltaWorkload;
import dev.ringlab.node.protocols.CacheConfig;
import dev.ringlab.node.protocols.DeltaCache;
import dev.ringlab.node.protocols.DeltaCacheConfig;
import dev.ringlab.topology.Distances;
import dev.ringlab.node.protocols.FailoverCache;
import dev.ringlab.node.check.CacheWorkload;
import dev.ringlab.node.check.RegisterLinearizability;
import dev.ringlab.node.protocols.RecoveryConfig;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.Durations;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab cache}: the failover cache ({@link FailoverCache}) under a client workload
 * ({@link CacheWorkload}), optionally with one node crashed in the middle and restarted later. Every figure
 * comes from the observation stream, so every engine reports the same fields. Exit 1 if an acknowledged
 * write is lost or a phase does not finish in time.
 */
@Command(
        name = "cache",
        mixinStandardHelpOptions = true,
        header = "The failover cache (the next node on the ring takes over a dead node's keys), or the delta cache.",
        description = {
            "--mode owner (the default): the failover cache, below. --mode deltas: the delta cache, after it.",
            "",
            "Keys hash onto the ring of the fixed enumeration (consistent hashing); the owner writes every put",
            "through to its ring successor before acknowledging it, so the successor can serve the owner's keys",
            "when it dies, and hands them back when it returns. Clients send gets and puts to any node, which",
            "routes them to the node serving the key. Runs on the healing ring (failure detection, repair),",
            "over the complete graph (any node routes to any other).",
            "",
            "Run: every key is put once (load), then --ops gets/puts of random keys with --clients requests",
            "outstanding (closed loop), each to a random live node. --crash 1 kills one node drawn from the seed",
            "(--crash-nodes V: node V) once --crash-at of the operations are issued and restarts it --down later",
            "(the cache measures one failure: --crash is a count, 0 or 1, as in recover, config and catalog).",
            "Then every key with an acknowledged put",
            "is read back.",
            "",
            "--faults adds a fault plan, times from the cluster's start (before the load phase).",
            "",
            "--json fields: engine, seed, topology, protocol, nodes, latency, loss, processing, faults, keys, ops,",
            "get_ratio, clients,",
            "crashed, crash_at, down_ms, gets, hits, puts, acked_writes, failed_ops, hit_rate,",
            "hit_rate_during_failure (gets issued while the node was down), gets_during_failure,",
            "hit_rate_dead_owner_keys_during_failure, lost_acknowledged_writes (must be 0 with one failure),",
            "verified_keys, takeover_ms (crash to the first answer for a dead owner's key served by another node),",
            "handback_ms (restart to the owner serving its keys again: its CacheRecovered), handback_serve_ms",
            "(restart to the first answer it served for one of its keys), ops_per_s (answered operations per",
            "second of engine time), latency_ms {p50,p99}, ops_phase_ms, dropped, the ring's health as 'ringlab",
            "recover' measures it: false_suspicions (of a node that was not down), tokens_max_after_repair (most",
            "token epochs at once from the first full rotation after the last fault through a tail of 5/4 token-loss",
            "timeouts), tokens_created, token_creations (node@ms from the start); trace_hash, wall_ms; null where",
            "nothing was measured. On real engines the driver polls about every millisecond, which bounds",
            "ops_per_s to about --clients per millisecond.",
            "",
            "--mode deltas: every key is a PN-counter with no owner. The node a client asks takes an increment and",
            "stores it with r - 1 copies on its first live overlay neighbours in ring order; a read floods the",
            "overlay (--topology, default complete) and aggregates the increments on the way back, answering with",
            "the value and how many nodes answered; background work folds each origin's increments into one",
            "summary, re-replicates after a crash and releases extra copies (--config " + DeltaCacheConfig.FORMS + ";",
            "hb and suspect not given follow the engine's timing, and on netty and processes hop defaults to the",
            "heartbeat interval, so a read gives up a child only after a stall that long).",
            "Run: --ops increments by +-1..9 and reads (--get-ratio is the share of reads), then storage is",
            "reported by every node, then after convergence (--settle) storage again and one complete read per",
            "key, checked: every acknowledged increment is counted exactly once (with --check, the sums too).",
            "--json fields (deltas): engine, seed, topology, overlay_diameter, protocol, mode, replicas, nodes,",
            "latency, loss, processing, faults, keys, ops, get_ratio, clients, crashed, crash_at, down_ms,",
            "increments, acked_increments, failed_increments (outcome unknown), reads, reads_answered,",
            "read_latency_ms {p50,p99}, write_latency_ms {p50,p99}, read_nodes_answered (answered / alive nodes,",
            "mean), read_value_completeness (share of the increments acked before a read that it counts, mean),",
            "reads_during_failure, read_nodes_answered_during_failure, read_value_completeness_during_failure,",
            "lost_acknowledged_increments, verified_keys, incomplete_final_reads, storage_bytes_per_key",
            "{end_of_ops, converged, deltas (each increment once, 28 B), merged_state (the final read's: 36 B per",
            "origin summary), owner_mode (48 B: the owner mode's entry of an 8-byte counter at owner and successor,",
            "computed, not run)}, keys_over_r_x_deltas, keys_over_r_x_merged, exact (null without --check),",
            "anomalies, ops_phase_ms, dropped, trace_hash, wall_ms."
        })
public final class CacheCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    /** The values of {@code --mode}. */
    static final String MODES = "owner, deltas";

    @Option(names = "--mode", paramLabel = "MODE", description = "owner (the failover cache: one owner per key and"
            + " its successor's replica) or deltas (the delta cache: counters whose increments stay where they were"
            + " made, r copies, aggregated by a flooded read) (default: ${DEFAULT-VALUE}).")
    String mode = "owner";

    @Option(names = "--topology", paramLabel = "SPEC", description = "The overlay (default: complete). --mode owner"
            + " routes from any node to any other and needs complete; --mode deltas runs on any connected overlay,"
            + " e.g. random-regular:8.")
    String topology;

    @Option(names = "--settle", paramLabel = "D", description = "--mode deltas: engine time for background work"
            + " (compaction, re-replication) before the final storage report and reads (default: 1s).")
    String settle;

    @Option(names = {"-n", "--nodes"}, description = "Nodes, >= 2 (default: ${DEFAULT-VALUE}).")
    int n = 8;

    @Option(names = "--keys", paramLabel = "K", description = "Distinct keys (default: ${DEFAULT-VALUE}).")
    int keys = 1000;

    @Option(names = "--ops", paramLabel = "R", description = "Operations after the load (default: ${DEFAULT-VALUE}).")
    long ops = 20_000;

    @Option(names = "--get-ratio", paramLabel = "P", description = "Share of gets, 0..1 (default: ${DEFAULT-VALUE}).")
    double getRatio = 0.8;

    @Option(names = "--clients", paramLabel = "C", description = "Requests outstanding at once (default: ${DEFAULT-VALUE}).")
    int clients = 16;

    @Option(names = "--value-bytes", paramLabel = "B", description = "Size of a value, >= 8 (default: ${DEFAULT-VALUE}).")
    int valueBytes = 64;

    @Option(names = "--crash", paramLabel = "K",
            description = "Nodes to crash during the operations, chosen by the seed: 0 or 1 (default: 0, or 1 with --crash-nodes).")
    Integer crashCount;

    @Option(names = "--crash-nodes", paramLabel = "V", split = ",", description = "The node to crash, e.g. 3 (one node).")
    List<Integer> crashNodes;

    /** The node crashed, from --crash-nodes or drawn from the seed by --crash 1; null for none. */
    Integer crash;

    @Option(names = "--crash-at", paramLabel = "F",
            description = "Share of the operations issued before the crash, 0..1 (default: ${DEFAULT-VALUE}).")
    double crashAt = 0.3;

    @Option(names = "--down", paramLabel = "D", description = "How long the crashed node stays down (default: ${DEFAULT-VALUE}).")
    String down = "1s";

    @Mixin
    RunOptions run;

    @Option(names = "--config", paramLabel = "SPEC", description = "The cache's knobs: " + CacheConfig.FORMS
            + " (default: the defaults; hb, suspect and loss not given take the engine's timing, printed with the "
            + "run's options).")
    String config;

    @Option(names = "--timeout", paramLabel = "D",
            description = "Engine-time limit of each phase (default: ${DEFAULT-VALUE}).")
    String timeout = "120s";

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Option(names = "--check", description = "Check the client history for linearizability, key by key (Wing-Gong"
            + " search; a write whose outcome the client never learned may or may not have taken effect): print each key"
            + " that no order explains, with its operations, and exit 1.")
    boolean check;

    @Option(names = "--history", paramLabel = "FILE", description = "Write the client history as JSON lines: key, id,"
            + " type (write or read), value (hex digest; null: a miss), invoke_ms and complete_ms (from the cluster's"
            + " start; null: outcome unknown).")
    java.nio.file.Path historyFile;

    /** Resolves --crash K and --crash-nodes V into the one crashed node, or null. */
    private Integer crashed() {
        if (crashNodes != null) {
            if (crashNodes.size() != 1) {
                throw new UsageException("--crash-nodes", "the cache measures one failure: give one node, got " + crashNodes);
            }
            int v = crashNodes.get(0);
            if (v < 0 || v >= n) {
                throw new UsageException("--crash-nodes", "node " + v + " is not in 0.." + (n - 1));
            }
            if (crashCount != null && crashCount != 1) {
                throw new UsageException("--crash", crashCount + " disagrees with --crash-nodes " + crashNodes);
            }
            return v;
        }
        if (crashCount == null || crashCount == 0) {
            return null;
        }
        if (crashCount != 1) {
            throw new UsageException("--crash", "the cache measures one failure: 0 or 1, got " + crashCount);
        }
        return new SplittableRandom(run.seed() ^ 0xCAC4_E11DL).nextInt(n);
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (n < 2) {
            throw new UsageException("--nodes", "the cache needs at least 2 nodes, got " + n);
        }
        if (keys < 1) {
            throw new UsageException("--keys", "need at least 1 key, got " + keys);
        }
        if (ops < 0) {
            throw new UsageException("--ops", "must be >= 0, got " + ops);
        }
        if (!(getRatio >= 0 && getRatio <= 1)) {
            throw new UsageException("--get-ratio", "must be in 0..1, got " + getRatio);
        }
        if (clients < 1) {
            throw new UsageException("--clients", "must be >= 1, got " + clients);
        }
        if (valueBytes < 8 || valueBytes > 64 * 1024) {
            throw new UsageException("--value-bytes", "must be in 8..65536, got " + valueBytes);
        }
        crash = crashed();
        boolean deltas = deltasMode();
        if (!(crashAt >= 0 && crashAt <= 1)) {
            throw new UsageException("--crash-at", "must be in 0..1, got " + crashAt);
        }
        long downNanos = UsageException.durationNanos("--down", down);
        long timeoutNanos = UsageException.durationNanos("--timeout", timeout);
        if (crash == null) {
            for (String f : new String[] {"--crash-at", "--down"}) {
                if (spec.commandLine().getParseResult().hasMatchedOption(f)) {
                    throw new UsageException(f, "applies to the crashed node, and none is crashed (--crash 1 or --crash-nodes V)");
                }
            }
        }
        run.validate();
        if (deltas) {
            return callDeltas(out, err, downNanos, timeoutNanos);
        }
        for (String f : new String[] {"--settle"}) {
            if (spec.commandLine().getParseResult().hasMatchedOption(f)) {
                throw new UsageException(f, "applies to --mode deltas only");
            }
        }
        if (topology != null && !topology.trim().equalsIgnoreCase("complete")) {
            throw new UsageException("--topology", "--mode owner routes from any node to any other and needs complete,"
                    + " got '" + topology + "' (--mode deltas runs on any overlay)");
        }
        if (config == null) {
            config = "cache";
        }
        ClusterEngine engine = run.engine();
        Defaults.Timing timing = Defaults.timing(engine, n, run.linkBound());
        CacheConfig cacheConfig = cacheConfig(timing);
        Defaults.Timing effective = new Defaults.Timing(cacheConfig.ring().heartbeatIntervalNanos(),
                cacheConfig.ring().suspicionTimeoutNanos(), cacheConfig.ring().tokenLossTimeoutNanos());
        Overlay overlay = Topologies.build("complete", n, run.seed());
        Protocol protocol = FailoverCache.protocol(cacheConfig);
        FaultPlan plan = run.faults(n);
        // A client waits a little longer than the cache's own deadline: past it, the request died with its origin.
        long clientTimeoutNanos = cacheConfig.deadlineNanos() + 1_000_000_000L;
        CacheWorkload.Options options = new CacheWorkload.Options(keys, ops, getRatio, clients, valueBytes, run.seed(),
                crash == null ? -1 : crash, crashAt, downNanos, clientTimeoutNanos, timeoutNanos);

        long wallStart = System.nanoTime();
        CacheWorkload.Report r;
        Long traceHash;
        long dropped;
        Map<String, Object> ringHealth = new LinkedHashMap<>();
        java.util.SortedMap<Long, java.util.List<RegisterLinearizability.Op>> history;
        long startNanos;
        try (Cluster cluster = run.build(run.spec(overlay, protocol, plan))) {
            err.println("ringlab cache: " + run.effective(plan, effective) + " nodes=" + n + " keys=" + keys + " ops=" + ops
                    + " get_ratio=" + getRatio + " clients=" + clients + " value_bytes=" + valueBytes + " crash="
                    + (crash == null ? "none" : crash + " at " + crashAt + " for " + Durations.format(downNanos))
                    + " protocol=" + protocol.spec() + " timeout=" + Durations.format(timeoutNanos));
            err.println("replay: " + Replay.line(spec, run));
            err.flush();
            CacheWorkload workload = new CacheWorkload(cluster, options);
            cluster.addObserver(workload);
            RingHealth health = new RingHealth(cluster);
            workload.onFault(health);
            cluster.start();
            startNanos = cluster.now();
            health.mark();
            plan.applyTo(cluster, cluster.now(), health);
            try {
                r = workload.run();
            } catch (IllegalStateException e) {
                err.println("ringlab cache: FAILED: " + e.getMessage());
                err.println("replay: " + Replay.line(spec, run));
                return 1;
            }
            history = workload.history();
            health.tail(cacheConfig.ring().tokenLossTimeoutNanos(), timeoutNanos);
            health.report(ringHealth);
            traceHash = cluster.traceHash().isPresent() ? cluster.traceHash().getAsLong() : null;
            dropped = cluster.stats().messagesDropped();
        }
        double wallMs = (System.nanoTime() - wallStart) / 1e6;
        if (historyFile != null) {
            writeHistory(history, startNanos);
        }
        RegisterLinearizability.StoreResult verdict = check
                ? RegisterLinearizability.checkStore(history, CHECK_BUDGET_PER_KEY) : null;

        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("engine", engine.name());
            o.put("seed", run.seed());
            o.put("topology", "complete");
            o.put("protocol", protocol.spec());
            o.put("nodes", n);
            o.put("latency", run.reportedLatency());
            o.put("loss", run.loss());
            o.put("processing", Durations.format(run.processingNanos()));
            o.put("faults", plan.isEmpty() ? null : plan.toString());
            o.put("keys", keys);
            o.put("ops", ops);
            o.put("get_ratio", getRatio);
            o.put("clients", clients);
            o.put("crashed", crash == null ? List.of() : List.of(crash));
            o.put("crash_at", crash == null ? null : crashAt);
            o.put("down_ms", crash == null ? null : downNanos / 1e6);
            o.put("gets", r.gets());
            o.put("hits", r.hits());
            o.put("puts", r.puts());
            o.put("acked_writes", r.acked());
            o.put("failed_ops", r.failed());
            o.put("hit_rate", num(r.hitRate()));
            o.put("hit_rate_during_failure", num(r.hitRateDuringFailure()));
            o.put("gets_during_failure", r.getsDuringFailure());
            o.put("hit_rate_dead_owner_keys_during_failure", num(r.hitRateDeadOwnerKeys()));
            o.put("lost_acknowledged_writes", r.completed() ? r.lostAcknowledgedWrites() : null);
            o.put("verified_keys", r.verifiedKeys());
            o.put("takeover_ms", num(r.takeoverMs()));
            o.put("handback_ms", num(r.handbackMs()));
            o.put("handback_serve_ms", num(r.handbackServeMs()));
            o.put("ops_per_s", num(r.opsPerS()));
            Map<String, Object> lat = new LinkedHashMap<>();
            lat.put("p50", num(r.latencyMsP50()));
            lat.put("p99", num(r.latencyMsP99()));
            o.put("latency_ms", lat);
            o.put("ops_phase_ms", num(r.opsPhaseMs()));
            o.put("dropped", dropped);
            o.putAll(ringHealth);
            o.put("history_ops", history.values().stream().mapToLong(java.util.List::size).sum());
            o.put("linearizable", verdict == null ? null : verdict.linearizable());
            o.put("nonlinearizable_keys", verdict == null ? null : verdict.violations().size());
            o.put("undecided_keys", verdict == null ? null : verdict.undecided().size());
            o.put("trace_hash", traceHash == null ? null : String.format("%016x", traceHash));
            o.put("wall_ms", wallMs);
            out.println(new ObjectMapper().writeValueAsString(o));
        } else {
            out.printf(Locale.ROOT, "failover cache: %d nodes, %d keys, %d ops (%.0f%% gets, %d clients), %s, %s, seed %d%n",
                    n, keys, ops, getRatio * 100, clients, engine.name(),
                    run.reportedLatency() == null ? "real links" : run.reportedLatency(), run.seed());
            out.printf(Locale.ROOT, "  crash                     %s%n",
                    crash == null ? "none" : "node " + crash + " at " + crashAt + " of the ops, down " + Durations.format(downNanos));
            out.printf(Locale.ROOT, "  gets / hits               %d / %d%n", r.gets(), r.hits());
            out.printf(Locale.ROOT, "  puts / acked              %d / %d   failed ops %d%n", r.puts(), r.acked(), r.failed());
            out.printf(Locale.ROOT, "  hit_rate                  %.4f%n", r.hitRate());
            out.printf(Locale.ROOT, "  hit_rate_during_failure   %.4f  (%d gets; dead owner's keys %.4f)%n",
                    r.hitRateDuringFailure(), r.getsDuringFailure(), r.hitRateDeadOwnerKeys());
            out.printf(Locale.ROOT, "  lost_acknowledged_writes  %s  (%d keys read back)%n",
                    r.completed() ? Long.toString(r.lostAcknowledgedWrites()) : "-", r.verifiedKeys());
            out.printf(Locale.ROOT, "  takeover_ms               %.3f%n", r.takeoverMs());
            out.printf(Locale.ROOT, "  handback_ms               %.3f  (first serve by the owner %.3f)%n", r.handbackMs(),
                    r.handbackServeMs());
            out.printf(Locale.ROOT, "  ops_per_s                 %.1f  (latency_ms p50 %.3f p99 %.3f)%n", r.opsPerS(),
                    r.latencyMsP50(), r.latencyMsP99());
            out.printf(Locale.ROOT, "  history                   %d ops%s%n",
                    history.values().stream().mapToLong(java.util.List::size).sum(), verdict == null ? ""
                    : verdict.linearizable() ? ", linearizable (every key)" : ", NOT linearizable: "
                            + verdict.violations().size() + " keys, " + verdict.undecided().size() + " undecided");
            out.printf(Locale.ROOT, "  ring health               false_suspicions %s  tokens_max_after_repair %s  tokens_created %s%n",
                    ringHealth.get("false_suspicions"), orDash(ringHealth.get("tokens_max_after_repair")),
                    ringHealth.get("tokens_created"));
            out.printf(Locale.ROOT, "  trace_hash                %s   wall_ms %.1f%n",
                    traceHash == null ? "-" : String.format("%016x", traceHash), wallMs);
        }
        out.flush();
        if (!r.completed()) {
            err.println("ringlab cache: " + r.problem() + " within " + Durations.format(timeoutNanos) + " of engine time");
            err.println("replay: " + Replay.line(spec, run));
            return 1;
        }
        if (verdict != null && !verdict.linearizable()) {
            err.println("ringlab cache: the history is not linearizable: " + verdict.violations().size()
                    + " keys no order explains, " + verdict.undecided().size() + " undecided (search budget "
                    + CHECK_BUDGET_PER_KEY + " configurations per key)" + (verdict.violations().isEmpty() ? "" : "; e.g.:"));
            verdict.violations().entrySet().stream().limit(3).forEach(e -> {
                // The operations up to the first one no order explains: the last of these is the anomaly.
                java.util.List<RegisterLinearizability.Op> prefix = RegisterLinearizability.shortestFailingPrefix(e.getValue(),
                        CHECK_BUDGET_PER_KEY);
                err.println("  key " + e.getKey() + " (owner " + FailoverCache.owner(e.getKey(), n) + "), " + prefix.size()
                        + " operations up to the first that no order explains (ms from the start):");
                int from = Math.max(0, prefix.size() - 12);
                if (from > 0) {
                    err.println("    ... " + from + " earlier");
                }
                prefix.subList(from, prefix.size()).forEach(op -> err.println("    " + describe(op, startNanos)));
            });
            err.println("replay: " + Replay.line(spec, run));
            return 1;
        }
        if (r.lostAcknowledgedWrites() > 0) {
            err.println("ringlab cache: " + r.lostAcknowledgedWrites() + " acknowledged writes lost, e.g.:");
            for (String x : r.lostExamples()) {
                err.println("  " + x);
            }
            err.println("replay: " + Replay.line(spec, run));
            return 1;
        }
        return 0;
    }

    /** Whether {@code --mode} says deltas. @throws UsageException naming it and the allowed values */
    private boolean deltasMode() {
        String m = mode == null ? "" : mode.trim().toLowerCase(Locale.ROOT);
        return switch (m) {
            case "owner" -> false;
            case "deltas" -> true;
            default -> throw new UsageException("--mode", "must be one of " + MODES + ", got '" + mode + "'");
        };
    }

    /** The owner mode's bytes per key for a counter: an entry of an 8-byte value (key left out) at owner and successor. */
    static final int OWNER_MODE_COUNTER_BYTES = 2 * (CacheMessage.ENTRY_FIXED - 8 + 8);

    /** {@code ringlab cache --mode deltas}: the delta cache under {@link DeltaWorkload}. */
    private int callDeltas(PrintWriter out, PrintWriter err, long downNanos, long timeoutNanos) throws Exception {
        for (String f : new String[] {"--value-bytes", "--history"}) {
            if (spec.commandLine().getParseResult().hasMatchedOption(f)) {
                throw new UsageException(f, "applies to --mode owner only (the delta cache's values are counters, and"
                        + " its history is checked by --check)");
            }
        }
        long settleNanos = settle == null ? 1_000_000_000L : UsageException.durationNanos("--settle", settle);
        if (settleNanos < 0) {
            throw new UsageException("--settle", "must be >= 0, got " + settle);
        }
        ClusterEngine engine = run.engine();
        Defaults.Timing timing = Defaults.timing(engine, n, run.linkBound());
        DeltaCacheConfig dc;
        try {
            String text = config == null ? DeltaCacheConfig.SPEC_PREFIX : config;
            dc = DeltaCacheConfig.parse(text);
            String s = text.trim().toLowerCase(Locale.ROOT);
            boolean hb = s.contains(":hb=") || s.contains(",hb=");
            boolean suspect = s.contains(":suspect=") || s.contains(",suspect=");
            if (!hb || !suspect) {
                // The ring's timing rule for this engine (Defaults.timing) for what --config leaves out.
                dc = dc.withTiming(hb ? dc.heartbeatNanos() : timing.heartbeatNanos(),
                        suspect ? dc.suspicionNanos() : Math.max(timing.suspicionNanos(), 2 * dc.heartbeatNanos()));
            }
            if (!engine.deterministic() && !(s.contains(":hop=") || s.contains(",hop="))) {
                // A real engine's live nodes stall for tens of milliseconds (Timing's pause bounds): a read that
                // gave up children after a sub-millisecond round-trip timeout would skip live subtrees.
                dc = dc.withHopSlack(Math.max(dc.hopSlackNanos(), timing.heartbeatNanos()));
            }
        } catch (IllegalArgumentException e) {
            throw new UsageException("--config", e.getMessage() + " (--mode deltas takes " + DeltaCacheConfig.FORMS + ")");
        }
        String topo = topology == null ? "complete" : topology.trim();
        Overlay overlay;
        try {
            overlay = run.overlay(topo, n); // on the --placement's datacenters, if any (dc-regular needs them)
        } catch (IllegalArgumentException e) {
            throw new UsageException("--topology", e.getMessage());
        }
        Protocol protocol = DeltaCache.protocol(dc);
        for (int v = 0; v < n; v++) {
            try {
                protocol.create(v, overlay);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--config", e.getMessage() + "; lower r or use a denser --topology");
            }
        }
        Integer diameter = null;
        if (n <= 2048) {
            Distances d = new Distances(overlay);
            int max = 0;
            for (int v = 0; v < n && max >= 0; v++) {
                int e = d.eccentricity(v);
                max = e < 0 ? -1 : Math.max(max, e);
            }
            diameter = max < 0 ? null : max;
        }
        FaultPlan plan = run.faults(n);
        long clientTimeoutNanos = Math.max(dc.writeDeadlineNanos(), dc.readBudgetNanos()) + 1_000_000_000L;
        DeltaWorkload.Options options = new DeltaWorkload.Options(keys, ops, getRatio, clients, run.seed(),
                crash == null ? -1 : crash, crashAt, downNanos, clientTimeoutNanos, settleNanos, timeoutNanos);
        long wallStart = System.nanoTime();
        DeltaWorkload.Report r;
        Long traceHash;
        long dropped;
        try (Cluster cluster = run.build(run.spec(overlay, protocol, plan))) {
            err.println("ringlab cache: " + run.effective(plan, new Defaults.Timing(dc.heartbeatNanos(), dc.suspicionNanos(),
                    timing.tokenLossNanos())) + " mode=deltas nodes=" + n + " topology=" + topo + " keys=" + keys + " ops="
                    + ops + " get_ratio=" + getRatio + " clients=" + clients + " crash="
                    + (crash == null ? "none" : crash + " at " + crashAt + " for " + Durations.format(downNanos))
                    + " protocol=" + protocol.spec() + " settle=" + Durations.format(settleNanos) + " timeout="
                    + Durations.format(timeoutNanos));
            err.println("replay: " + Replay.line(spec, run));
            err.flush();
            DeltaWorkload workload = new DeltaWorkload(cluster, dc.replicas(), options);
            cluster.addObserver(workload);
            cluster.start();
            plan.applyTo(cluster, cluster.now(), (kind, node, at, call) -> {});
            try {
                r = workload.run();
            } catch (IllegalStateException e) {
                err.println("ringlab cache: FAILED: " + e.getMessage());
                err.println("replay: " + Replay.line(spec, run));
                return 1;
            }
            traceHash = cluster.traceHash().isPresent() ? cluster.traceHash().getAsLong() : null;
            dropped = cluster.stats().messagesDropped();
        }
        double wallMs = (System.nanoTime() - wallStart) / 1e6;
        Boolean exact = check && r.completed() ? r.anomalies().isEmpty() && r.incompleteFinalReads() == 0 : null;
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("engine", engine.name());
            o.put("seed", run.seed());
            o.put("topology", topo);
            o.put("overlay_diameter", diameter);
            o.put("protocol", protocol.spec());
            o.put("mode", "deltas");
            o.put("replicas", dc.replicas());
            o.put("nodes", n);
            o.put("latency", run.reportedLatency());
            o.put("loss", run.loss());
            o.put("processing", Durations.format(run.processingNanos()));
            o.put("faults", plan.isEmpty() ? null : plan.toString());
            o.put("keys", keys);
            o.put("ops", ops);
            o.put("get_ratio", getRatio);
            o.put("clients", clients);
            o.put("crashed", crash == null ? List.of() : List.of(crash));
            o.put("crash_at", crash == null ? null : crashAt);
            o.put("down_ms", crash == null ? null : downNanos / 1e6);
            o.put("increments", r.increments());
            o.put("acked_increments", r.acked());
            o.put("failed_increments", r.failed());
            o.put("reads", r.reads());
            o.put("reads_answered", r.readsAnswered());
            o.put("read_latency_ms", pair(r.readLatencyMsP50(), r.readLatencyMsP99()));
            o.put("write_latency_ms", pair(r.writeLatencyMsP50(), r.writeLatencyMsP99()));
            o.put("read_nodes_answered", num(r.readNodesAnswered()));
            o.put("read_value_completeness", num(r.readValueCompleteness()));
            o.put("reads_during_failure", crash == null ? null : r.readsDuringFailure());
            o.put("read_nodes_answered_during_failure", num(r.readNodesAnsweredDuringFailure()));
            o.put("read_value_completeness_during_failure", num(r.readValueCompletenessDuringFailure()));
            o.put("lost_acknowledged_increments", r.completed() ? r.lostAcknowledgedIncrements() : null);
            o.put("verified_keys", r.completed() ? r.verifiedKeys() : null);
            o.put("incomplete_final_reads", r.completed() ? r.incompleteFinalReads() : null);
            Map<String, Object> st = new LinkedHashMap<>();
            st.put("end_of_ops", num(r.storageEndOfOps()));
            st.put("converged", num(r.storageConverged()));
            st.put("deltas", num(r.deltaBytes()));
            st.put("merged_state", num(r.mergedBytes()));
            st.put("owner_mode", OWNER_MODE_COUNTER_BYTES);
            o.put("storage_bytes_per_key", st);
            o.put("keys_over_r_x_deltas", r.completed() ? r.keysOverDeltaBound() : null);
            o.put("keys_over_r_x_merged", r.completed() ? r.keysOverMergedBound() : null);
            o.put("exact", exact);
            o.put("anomalies", r.completed() ? r.anomalies().size() : null);
            o.put("ops_phase_ms", num(r.opsPhaseMs()));
            o.put("dropped", dropped);
            o.put("trace_hash", traceHash == null ? null : String.format("%016x", traceHash));
            o.put("wall_ms", wallMs);
            out.println(new ObjectMapper().writeValueAsString(o));
        } else {
            out.printf(Locale.ROOT, "delta cache: %d nodes on %s (diameter %s), r = %d, %d keys, %d ops (%.0f%% reads, %d"
                    + " clients), %s, %s, seed %d%n", n, topo, diameter == null ? "-" : diameter, dc.replicas(), keys, ops,
                    getRatio * 100, clients, engine.name(), run.reportedLatency() == null ? "real links"
                    : run.reportedLatency(), run.seed());
            out.printf(Locale.ROOT, "  crash                          %s%n",
                    crash == null ? "none" : "node " + crash + " at " + crashAt + " of the ops, down " + Durations.format(downNanos));
            out.printf(Locale.ROOT, "  increments / acked / failed    %d / %d / %d%n", r.increments(), r.acked(), r.failed());
            out.printf(Locale.ROOT, "  reads / answered               %d / %d%n", r.reads(), r.readsAnswered());
            out.printf(Locale.ROOT, "  read latency ms p50 / p99      %.3f / %.3f   (writes %.3f / %.3f)%n", r.readLatencyMsP50(),
                    r.readLatencyMsP99(), r.writeLatencyMsP50(), r.writeLatencyMsP99());
            out.printf(Locale.ROOT, "  read completeness              nodes %.4f  value %.4f%n", r.readNodesAnswered(),
                    r.readValueCompleteness());
            out.printf(Locale.ROOT, "  ... during the failure         nodes %.4f  value %.4f  (%d reads)%n",
                    r.readNodesAnsweredDuringFailure(), r.readValueCompletenessDuringFailure(), r.readsDuringFailure());
            out.printf(Locale.ROOT, "  lost acknowledged increments   %s  (%d keys read back, %d incomplete)%n",
                    r.completed() ? Long.toString(r.lostAcknowledgedIncrements()) : "-", r.verifiedKeys(),
                    r.incompleteFinalReads());
            out.printf(Locale.ROOT, "  storage bytes per key          end of ops %.1f  converged %.1f%n", r.storageEndOfOps(),
                    r.storageConverged());
            out.printf(Locale.ROOT, "  ... bounds (r x)               deltas %.1f (x%d = %.1f, %d keys over)  merged %.1f"
                    + " (x%d = %.1f, %d keys over)%n", r.deltaBytes(), dc.replicas(), dc.replicas() * r.deltaBytes(),
                    r.keysOverDeltaBound(), r.mergedBytes(), dc.replicas(), dc.replicas() * r.mergedBytes(),
                    r.keysOverMergedBound());
            out.printf(Locale.ROOT, "  ... owner mode (computed)      %d%n", OWNER_MODE_COUNTER_BYTES);
            out.printf(Locale.ROOT, "  check                          %s%n", exact == null ? "-" : exact
                    ? "every acknowledged increment counted exactly once" : r.anomalies().size() + " keys with anomalies");
            out.printf(Locale.ROOT, "  trace_hash                     %s   wall_ms %.1f%n",
                    traceHash == null ? "-" : String.format("%016x", traceHash), wallMs);
        }
        out.flush();
        if (!r.completed()) {
            err.println("ringlab cache: " + r.problem() + " within " + Durations.format(timeoutNanos) + " of engine time");
            err.println("replay: " + Replay.line(spec, run));
            return 1;
        }
        boolean failed = r.lostAcknowledgedIncrements() > 0 || (check && !exact);
        if (failed) {
            if (r.lostAcknowledgedIncrements() > 0) {
                err.println("ringlab cache: " + r.lostAcknowledgedIncrements() + " acknowledged increments lost");
            }
            if (check && r.incompleteFinalReads() > 0) {
                err.println("ringlab cache: " + r.incompleteFinalReads() + " keys' final reads were not answered by every"
                        + " live node: not verified");
            }
            if (!r.anomalies().isEmpty()) {
                err.println("ringlab cache: " + r.anomalies().size() + " keys not counted exactly once, e.g.:");
                r.anomalies().stream().limit(3).forEach(a -> err.println("  " + a));
            }
            err.println("replay: " + Replay.line(spec, run));
            return 1;
        }
        return 0;
    }

    private static Map<String, Object> pair(double p50, double p99) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("p50", num(p50));
        m.put("p99", num(p99));
        return m;
    }

    /** The linearizability search's budget per key: far above what a key of a real run needs (tens to thousands). */
    static final long CHECK_BUDGET_PER_KEY = 2_000_000;

    private static String describe(RegisterLinearizability.Op op, long startNanos) {
        return String.format(Locale.ROOT, "%s #%d %s  [%.3f, %s]", op.write() ? "put" : "get", op.id(),
                op.value() == RegisterLinearizability.ABSENT ? "miss" : String.format("%016x", op.value()),
                (op.invokeNanos() - startNanos) / 1e6, op.completeNanos() == RegisterLinearizability.UNKNOWN ? "outcome unknown"
                        : String.format(Locale.ROOT, "%.3f", (op.completeNanos() - startNanos) / 1e6));
    }

    private void writeHistory(java.util.SortedMap<Long, java.util.List<RegisterLinearizability.Op>> history, long startNanos)
            throws java.io.IOException {
        ObjectMapper mapper = new ObjectMapper();
        try (java.io.BufferedWriter w = java.nio.file.Files.newBufferedWriter(historyFile)) {
            for (Map.Entry<Long, java.util.List<RegisterLinearizability.Op>> e : history.entrySet()) {
                for (RegisterLinearizability.Op op : e.getValue()) {
                    Map<String, Object> line = new LinkedHashMap<>();
                    line.put("key", e.getKey());
                    line.put("id", op.id());
                    line.put("type", op.write() ? "write" : "read");
                    line.put("value", op.value() == RegisterLinearizability.ABSENT ? null : String.format("%016x", op.value()));
                    line.put("invoke_ms", (op.invokeNanos() - startNanos) / 1e6);
                    line.put("complete_ms", op.completeNanos() == RegisterLinearizability.UNKNOWN ? null
                            : (op.completeNanos() - startNanos) / 1e6);
                    w.write(mapper.writeValueAsString(line));
                    w.newLine();
                }
            }
        } catch (java.io.IOException e) {
            throw new UsageException("--history", "cannot write " + historyFile + ": " + e.getMessage());
        }
    }

    private static Object num(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? null : v;
    }

    /**
     * The {@code --config} knobs, with the ring's timing keys it does not give (hb, suspect, loss) taken from
     * {@code timing}, the engine's defaults.
     */
    private CacheConfig cacheConfig(Defaults.Timing timing) {
        try {
            CacheConfig c = CacheConfig.parse(config);
            java.util.Set<String> keys = new java.util.HashSet<>();
            String s = config.trim().toLowerCase(Locale.ROOT);
            if (s.startsWith(CacheConfig.SPEC_PREFIX + ":")) {
                for (String kv : s.substring(CacheConfig.SPEC_PREFIX.length() + 1).split(",")) {
                    keys.add(kv.split("=", 2)[0].trim());
                }
            }
            RecoveryConfig ring = c.ring();
            ring = new RecoveryConfig(keys.contains("hb") ? ring.heartbeatIntervalNanos() : timing.heartbeatNanos(),
                    keys.contains("suspect") ? ring.suspicionTimeoutNanos() : timing.suspicionNanos(),
                    keys.contains("loss") ? ring.tokenLossTimeoutNanos() : timing.tokenLossNanos(), ring.successors(),
                    ring.detector(), ring.phiThreshold(), keys.contains("grace") ? ring.graceTimeoutNanos()
                            : Math.max(timing.graceNanos(), keys.contains("suspect") ? ring.suspicionTimeoutNanos() : 0),
                    keys.contains("probation") ? ring.probationNanos() : timing.probationNanos());
            // The cache's own rule (Timing.cache): a write to a dead replica waits for the ring to replace it,
            // so the write timeout is at least three suspicion timeouts and the deadline two write timeouts.
            long write = keys.contains("write") ? c.writeTimeoutNanos()
                    : Math.max(c.writeTimeoutNanos(), 3 * ring.suspicionTimeoutNanos());
            long deadline = keys.contains("deadline") ? c.deadlineNanos() : Math.max(c.deadlineNanos(), 2 * write);
            return new CacheConfig(ring, c.retryNanos(), c.replicaRetryNanos(), write, deadline);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--config", e.getMessage());
        }
    }

    private static Object orDash(Object x) {
        return x == null ? "-" : x;
    }
}
