package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.DcLinkModel;
import dev.ringlab.node.spec.Durations;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.node.spec.LinkModels;
import dev.ringlab.node.spec.Placement;
import dev.ringlab.topology.DcOverlays;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import dev.ringlab.topology.TopologyMetrics;
import dev.ringlab.topology.TopologySpec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab datacenters}: rings and expanders across datacenters (issue 18). For D datacenters of P nodes
 * and a link model by datacenter pair ({@link DcLinkModel}), for each enumeration order (interleaved, grouped,
 * random: {@link Placement}) it measures
 * <ol>
 *   <li>token rotation: {@code ringlab token} on the ring;</li>
 *   <li>broadcast latency p50/p99 (flood, idle network, random origins: {@link BroadcastExperiment}) on the
 *       ring, on {@code dc-regular:D,K} ({@link DcOverlays}) and on the plain {@code random-regular:(D+K)} of the
 *       same degree;</li>
 *   <li>the loss of a whole datacenter and its return: {@code ringlab recover} (every node of the datacenter
 *       crashed, respawned after the outage: ring repair and rejoin), and {@code ringlab config} on the healing
 *       ring with the datacenter crashed or partitioned away during the outage: the time from its return to
 *       the config bus's convergence on every live node.</li>
 * </ol>
 * Every measurement is an existing command run in this JVM through the command tree (as {@link RecoverRuns}
 * does) or {@link BroadcastExperiment#run}, so each figure means exactly what that command reports; their
 * command lines are in run.json.
 */
@Command(
        name = "datacenters",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        header = "Rings across datacenters: enumeration order, WAN links, dc-aware expanders, losing a datacenter.",
        description = {
            "Places --dcs D x --per-dc P nodes in datacenters (--placement orders interleaved, grouped, random) with",
            "links by datacenter pair (--latency, a dc: spec) and measures, per order: token rotation on the ring",
            "(ringlab token); broadcast p50/p99 of flood on the ring, on dc-regular:DEG,K (random-regular:DEG inside",
            "each datacenter + K inter-datacenter edges per node) and on random-regular:(DEG+K); and the loss of",
            "datacenter --lost-dc for --outage: ring repair and rejoin with every node of it crashed and respawned",
            "(ringlab recover), and the config bus (ringlab config, healing ring) with it crashed or partitioned",
            "away: converge_after_return_ms, from its return to every live node holding the same config.",
            "",
            "Writes token.csv, broadcast.csv, dc-loss.csv, run.json (with every sub-run's command and JSON) and",
            "three plots into --out/datacenters-<timestamp>/, and prints a table (one JSON object with --json).",
            "Runs on sim (default) and netty; processes is refused (it would start D*P JVMs for each of ~15 runs:",
            "run the single commands with --engine processes --placement ... instead). A sub-run that exits 1 with its",
            "figures (config: an acknowledged delta lost, or no convergence; recover: no repair in time) is a result:",
            "it is kept, its exit is in the CSV and counted in failed_runs. Exit 1 only if a sub-run printed no figures."
        })
public final class DatacentersCommand implements Callable<Integer> {
    static final String DEFAULT_LATENCY = "dc:intra=lognormal:200us,0.3;inter=const:40ms";
    static final List<String> ORDERS = List.of("interleaved", "grouped", "random");

    @Spec
    CommandSpec spec;

    @Option(names = "--dcs", paramLabel = "D", description = "Datacenters (default: ${DEFAULT-VALUE}).")
    int dcs = 3;

    @Option(names = "--per-dc", paramLabel = "P", description = "Nodes per datacenter (default: ${DEFAULT-VALUE}).")
    int perDc = 8;

    @Option(names = "--latency", paramLabel = "L", description = "Links by datacenter pair: dc:intra=L;inter=L or "
            + "dc:intra=L;inter=matrix:FILE (default: ${DEFAULT-VALUE}). On netty it is added to the real loopback latency.")
    String latency = DEFAULT_LATENCY;

    @Option(names = "--engine", paramLabel = "ENGINE", description = "sim or netty (default: ${DEFAULT-VALUE}).")
    String engine = "sim";

    @Option(names = "--seed", paramLabel = "S", description = RunOptions.SEED_HELP)
    long seed = 1;

    @Option(names = "--rotations", paramLabel = "K", description = "Token rotations per order (default: ${DEFAULT-VALUE}).")
    int rotations = 20;

    @Option(names = "--broadcasts", paramLabel = "B", description = "Broadcasts per (order, overlay) (default: ${DEFAULT-VALUE}).")
    int broadcasts = 20;

    @Option(names = "--degree", paramLabel = "DEG", description = "Degree inside each datacenter of dc-regular (default: ${DEFAULT-VALUE}).")
    int degree = 3;

    @Option(names = "--inter-edges", paramLabel = "K", description = "Inter-datacenter edges per node of dc-regular (default: ${DEFAULT-VALUE}).")
    int interEdges = 1;

    @Option(names = "--lost-dc", paramLabel = "I", description = "The datacenter lost, 1..D (default: ${DEFAULT-VALUE}).")
    int lostDc = 1;

    @Option(names = "--outage", paramLabel = "D", description = "How long the datacenter is lost (default: ${DEFAULT-VALUE}).")
    String outage = "2s";

    @Option(names = "--dc-loss", paramLabel = "MODES", split = ",",
            description = "How the datacenter is lost, for the config bus: crash, partition or both (default: crash,partition).")
    List<String> dcLoss = new ArrayList<>(List.of("crash", "partition"));

    @Option(names = "--out", paramLabel = "DIR", description = "Results root (default: ${DEFAULT-VALUE}).")
    Path out = Path.of("results");

    @Option(names = "--json", description = "Print one JSON object: results_dir, token, broadcast, dc_loss.")
    boolean json;

    /** The loss starts this long after the config bus's first operation (its operations end before it returns). */
    static final long LOSS_AT_NANOS = 200_000_000L;
    static final int CONFIG_DELTAS = 60;
    static final int CONFIG_RATE = 100;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ResultsDir.requireWritableRoot(out);
        Setup s = validate();
        String placementBase = "dcs=" + dcs + ",per-dc=" + perDc + ",order=";
        List<String> common = List.of("--engine", s.engine.name(), "--seed", String.valueOf(seed), "--latency", latency);
        err.println("ringlab datacenters: engine=" + s.engine.name() + " seed=" + seed + " dcs=" + dcs + " per-dc=" + perDc
                + " latency=" + latency + " rotations=" + rotations + " broadcasts=" + broadcasts + " overlays=ring,"
                + s.dcOverlay + "," + s.plainOverlay + " lost-dc=dc" + lostDc + " outage=" + outage + " dc-loss=" + s.modes);
        java.util.List<String> given = Replay.args(spec); // the arguments after the command's name
        err.println("replay: ringlab datacenters" + given.stream().map(a -> " " + Replay.quote(a)).collect(java.util.stream.Collectors.joining())
                + (Replay.given(given, "--engine") ? "" : " --engine " + s.engine.name())
                + (Replay.given(given, "--seed") ? "" : " --seed " + seed));
        err.flush();
        Instant started = Instant.now();
        long wallStart = System.nanoTime();
        ObjectMapper mapper = new ObjectMapper();
        ArrayNode subRuns = mapper.createArrayNode();
        int failed = 0; // sub-runs that exited 1 (their figures are kept)
        int n = dcs * perDc;

        List<Map<String, Object>> tokenRows = new ArrayList<>();
        List<Map<String, Object>> broadcastRows = new ArrayList<>();
        List<Map<String, Object>> lossRows = new ArrayList<>();
        for (String order : ORDERS) {
            Placement placement = Placement.parse(placementBase + order).resolve(seed);
            String p = placementBase + order;
            // 1. Token rotation on the ring.
            List<String> args = new ArrayList<>(List.of("-n", String.valueOf(n), "--placement", p, "--rotations",
                    String.valueOf(rotations)));
            args.addAll(common);
            Outcome t = runCommand("token", args, subRuns, err);
            failed += t.exit == 0 ? 0 : 1;
            Map<String, Object> tr = new LinkedHashMap<>();
            tr.put("order", order);
            tr.put("wan_ring_hops", placement.wanRingHops());
            tr.put("rotation_ms_p50", num(t.json, "rotation_ms", "p50"));
            tr.put("rotation_ms_p99", num(t.json, "rotation_ms", "p99"));
            tr.put("hop_ms_mean", num(t.json, "hop_ms", "mean"));
            tr.put("exit", t.exit);
            tokenRows.add(tr);

            // 2. Broadcast on the ring, the dc-aware expander and the plain one.
            for (String topo : List.of("ring", s.dcOverlay, s.plainOverlay)) {
                Overlay overlay = Topologies.build(TopologySpec.parse(topo), n, seed, placement.dcOf());
                BroadcastExperiment.Params params = new BroadcastExperiment.Params(s.engine, "flood", latency, 0,
                        FaultPlan.none(), 0, broadcasts, 10_000_000_000L, 16);
                err.println("ringlab datacenters: broadcast " + topo + " placement=" + p);
                err.flush();
                BroadcastExperiment.SeedRun r = BroadcastExperiment.run(params, overlay, placement, seed);
                TopologyMetrics.Report m = new TopologyMetrics(overlay, TopologyMetrics.Options.defaults(seed)).compute();
                Map<String, Object> br = new LinkedHashMap<>();
                br.put("order", order);
                br.put("overlay", topo);
                br.put("degree", overlay.directed() ? 1 : overlay.degree(0));
                br.put("inter_dc_edges", DcOverlays.interEdges(overlay, placement.dcOf()));
                br.put("edges", overlay.edges());
                br.put("spectral_gap", !Double.isFinite(m.spectralGap()) ? null : m.spectralGap());
                br.put("latency_ms_p50", r.result().latencyMsP50());
                br.put("latency_ms_p99", r.result().latencyMsP99());
                br.put("latency_ms_max", r.result().latencyMsMax());
                br.put("msgs_per_op", r.result().msgsPerOp());
                br.put("reliability", r.result().reliability());
                br.put("trace_hash", r.traceHash());
                broadcastRows.add(br);
            }

            // 3. Losing a datacenter: the ring (recover) and the config bus (config), crash and partition.
            int[] lost = placement.members(lostDc - 1);
            String lostList = join(lost, ",");
            String successors = String.valueOf(perDc + 1); // the ring must link past a whole grouped datacenter
            Map<String, Object> ring = null;
            if (s.modes.contains("crash")) {
                List<String> ra = new ArrayList<>(List.of("-n", String.valueOf(n), "--placement", p, "--crash-nodes", lostList,
                        "--respawn-after", outage, "--successors", successors));
                ra.addAll(common);
                Outcome o = runCommand("recover", ra, subRuns, err);
                failed += o.exit == 0 ? 0 : 1;
                ring = new LinkedHashMap<>();
                ring.put("ring_repair_ms", num(o.json, "repair_ms"));
                ring.put("ring_rejoin_ms", num(o.json, "rejoin_ms"));
                ring.put("recover_exit", o.exit);
            }
            for (String mode : s.modes) {
                String fault = mode.equals("crash") ? crashes(lost, LOSS_AT_NANOS, LOSS_AT_NANOS + s.outageNanos)
                        : "partition:" + join(lost, "+") + "|" + join(others(lost, n), "+") + "@"
                                + Durations.format(LOSS_AT_NANOS) + ".." + Durations.format(LOSS_AT_NANOS + s.outageNanos);
                List<String> ca = new ArrayList<>(List.of("-n", String.valueOf(n), "--placement", p, "--topology", "ring",
                        "--successors", successors, "--deltas", String.valueOf(CONFIG_DELTAS), "--rate", String.valueOf(CONFIG_RATE),
                        "--faults", fault));
                ca.addAll(common);
                Outcome o = runCommand("config", ca, subRuns, err);
                failed += o.exit == 0 ? 0 : 1;
                Map<String, Object> lr = new LinkedHashMap<>();
                lr.put("order", order);
                lr.put("mode", mode);
                lr.put("lost_dc", "dc" + lostDc);
                lr.put("outage_ms", s.outageNanos / 1e6);
                lr.put("converge_after_return_ms", convergeAfterReturn(o.json, s.outageNanos));
                lr.put("converged", o.json == null ? null : o.json.path("converged").asBoolean());
                lr.put("lost_deltas", o.json == null ? null : o.json.path("lost_deltas").asLong());
                lr.put("tokens_max_after_repair", num(o.json, "tokens_max_after_repair"));
                lr.put("config_exit", o.exit);
                boolean crash = mode.equals("crash") && ring != null;
                lr.put("ring_repair_ms", crash ? ring.get("ring_repair_ms") : null);
                lr.put("ring_rejoin_ms", crash ? ring.get("ring_rejoin_ms") : null);
                lr.put("recover_exit", crash ? ring.get("recover_exit") : null);
                lossRows.add(lr);
            }
        }

        ResultsDir dir = ResultsDir.create(out, "datacenters");
        writeCsv(dir, "token.csv", tokenRows);
        writeCsv(dir, "broadcast.csv", broadcastRows);
        writeCsv(dir, "dc-loss.csv", lossRows);
        plots(dir, tokenRows, broadcastRows, lossRows, s.engine.name());
        ObjectNode run = mapper.createObjectNode();
        run.put("experiment", "datacenters");
        run.put("version", Main.version());
        run.put("command", "ringlab " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        run.put("started_at", started.toString());
        run.put("wall_s", (System.nanoTime() - wallStart) / 1e9);
        run.put("engine", s.engine.name());
        run.put("seed", seed);
        run.put("dcs", dcs);
        run.put("per_dc", perDc);
        run.put("nodes", n);
        run.put("latency", latency);
        run.put("rotations", rotations);
        run.put("broadcasts", broadcasts);
        run.put("dc_overlay", s.dcOverlay);
        run.put("plain_overlay", s.plainOverlay);
        run.put("lost_dc", "dc" + lostDc);
        run.put("outage_ms", s.outageNanos / 1e6);
        run.put("failed_runs", failed);
        run.set("token", mapper.valueToTree(tokenRows));
        run.set("broadcast", mapper.valueToTree(broadcastRows));
        run.set("dc_loss", mapper.valueToTree(lossRows));
        run.set("runs", subRuns);
        run.putArray("files").add("token.csv").add("broadcast.csv").add("dc-loss.csv").add("token-rotation.png")
                .add("broadcast-latency.png").add("dc-return.png");
        dir.writeRunJson(run);

        if (json) {
            ObjectNode j = mapper.createObjectNode();
            j.put("results_dir", dir.path().toString());
            j.put("engine", s.engine.name());
            j.put("seed", seed);
            j.put("nodes", n);
            j.put("latency", latency);
            j.put("failed_runs", failed);
            j.set("token", mapper.valueToTree(tokenRows));
            j.set("broadcast", mapper.valueToTree(broadcastRows));
            j.set("dc_loss", mapper.valueToTree(lossRows));
            stdout.println(mapper.writeValueAsString(j));
        } else {
            table(stdout, tokenRows, broadcastRows, lossRows, n);
            stdout.printf(Locale.ROOT, "%nresults in %s%s%n", dir.path(), failed == 0 ? "" : "; " + failed + " sub-runs exited 1 "
                    + "(their figures are above; why: the *_exit columns and run.json)");
        }
        stdout.flush();
        // A sub-run without figures (it failed before measuring) leaves the experiment incomplete.
        for (JsonNode r : subRuns) {
            if (r.path("result").isNull() || r.path("result").isMissingNode()) {
                err.println("ringlab datacenters: " + r.path("command").asText() + " printed no figures (exit "
                        + r.path("exit").asInt() + ")");
                return 1;
            }
        }
        return 0;
    }

    /** Checked flags. */
    private record Setup(ClusterEngine engine, long outageNanos, String dcOverlay, String plainOverlay, List<String> modes) {}

    private Setup validate() {
        if (dcs < 2) {
            throw new UsageException("--dcs", "needs at least 2 datacenters, got " + dcs);
        }
        if (perDc < 2) {
            throw new UsageException("--per-dc", "needs at least 2 nodes per datacenter, got " + perDc);
        }
        ClusterEngine e = Engines.byName(engine);
        if (!e.name().equals("sim") && !e.name().equals("netty")) {
            throw new UsageException("--engine", "datacenters runs on sim and netty; processes would start " + dcs * perDc
                    + " JVMs for each of its ~15 runs: run token, broadcast, recover or config with --engine processes "
                    + "--placement ... instead");
        }
        if (rotations < 1) {
            throw new UsageException("--rotations", "must be >= 1, got " + rotations);
        }
        if (broadcasts < 1) {
            throw new UsageException("--broadcasts", "must be >= 1, got " + broadcasts);
        }
        if (lostDc < 1 || lostDc > dcs) {
            throw new UsageException("--lost-dc", "must be in 1.." + dcs + ", got " + lostDc);
        }
        long outageNanos = UsageException.durationNanos("--outage", outage);
        if (outageNanos <= 0) {
            throw new UsageException("--outage", "must be > 0");
        }
        List<String> modes = new ArrayList<>();
        for (String m : dcLoss) {
            String x = m.trim().toLowerCase(Locale.ROOT);
            if (!x.equals("crash") && !x.equals("partition")) {
                throw new UsageException("--dc-loss", "use crash, partition or crash,partition, got '" + m + "'");
            }
            if (!modes.contains(x)) {
                modes.add(x);
            }
        }
        Placement placement = Placement.parse("dcs=" + dcs + ",per-dc=" + perDc + ",order=grouped").resolve(seed);
        try {
            if (!DcLinkModel.isDcSpec(latency)) {
                throw new IllegalArgumentException("'" + latency + "' is not by datacenter: give dc:intra=L;inter=L or "
                        + "dc:intra=L;inter=matrix:FILE");
            }
            LinkModels.parse(latency, placement);
        } catch (IllegalArgumentException ex) {
            throw new UsageException("--latency", ex.getMessage());
        }
        String dcOverlay = "dc-regular:" + degree + "," + interEdges;
        try {
            TopologySpec.parse(dcOverlay);
            DcOverlays.check(degree, interEdges, placement.dcOf());
        } catch (IllegalArgumentException ex) {
            throw new UsageException("--degree/--inter-edges", ex.getMessage());
        }
        String plainOverlay = "random-regular:" + (degree + interEdges);
        try {
            Topologies.check(TopologySpec.parse(plainOverlay), dcs * perDc);
        } catch (IllegalArgumentException ex) {
            throw new UsageException("--degree/--inter-edges", "the plain overlay of the same degree: " + ex.getMessage());
        }
        return new Setup(e, outageNanos, dcOverlay, plainOverlay, modes);
    }

    /**
     * From the config run's JSON: the time from the datacenter's return to convergence. The run's operations
     * are issued every 1/rate from its origin and end before the return; {@code settle_ms} is last operation to
     * convergence, so convergence is at {@code (deltas - 1) / rate + settle_ms} from the origin. Null if the run
     * did not converge or issued no operation.
     */
    static Double convergeAfterReturn(JsonNode config, long outageNanos) {
        if (config == null || !config.path("settle_ms").isNumber() || !config.path("converged").asBoolean()) {
            return null;
        }
        double lastOpMs = (CONFIG_DELTAS - 1) * 1000.0 / CONFIG_RATE;
        double returnMs = (LOSS_AT_NANOS + outageNanos) / 1e6;
        return Math.round((lastOpMs + config.get("settle_ms").asDouble() - returnMs) * 1000) / 1000.0;
    }

    private static String crashes(int[] nodes, long at, long until) {
        List<String> f = new ArrayList<>();
        for (int v : nodes) {
            f.add("crash:" + v + "@" + Durations.format(at) + ".." + Durations.format(until));
        }
        return String.join(",", f);
    }

    private static int[] others(int[] members, int n) {
        boolean[] in = new boolean[n];
        for (int v : members) {
            in[v] = true;
        }
        int[] o = new int[n - members.length];
        int k = 0;
        for (int v = 0; v < n; v++) {
            if (!in[v]) {
                o[k++] = v;
            }
        }
        return o;
    }

    private static String join(int[] xs, String sep) {
        StringBuilder sb = new StringBuilder();
        for (int x : xs) {
            sb.append(sb.isEmpty() ? "" : sep).append(x);
        }
        return sb.toString();
    }

    /** One sub-run: its JSON (null if it printed none) and exit code. */
    record Outcome(JsonNode json, int exit) {}

    /**
     * Runs {@code ringlab CMD ARGS --json} in this JVM and records it in {@code runs}.
     *
     * @throws UsageException with the sub-command's one line if it exits 2 (a flag this command passed on)
     */
    static Outcome runCommand(String cmd, List<String> args, ArrayNode runs, PrintWriter progress) {
        List<String> full = new ArrayList<>();
        full.add(cmd);
        full.addAll(args);
        full.add("--json");
        progress.println("ringlab datacenters: " + cmd + " " + String.join(" ", args.stream().map(Replay::quote).toList()));
        progress.flush();
        CommandLine cl = Main.commandLine();
        StringWriter o = new StringWriter();
        StringWriter e = new StringWriter();
        cl.setOut(new PrintWriter(o, true));
        cl.setErr(new PrintWriter(e, true));
        int exit = cl.execute(full.toArray(String[]::new));
        String[] lines = e.toString().trim().split("\n");
        String last = lines[lines.length - 1];
        if (last.startsWith("replay:") && lines.length > 1) {
            last = lines[lines.length - 2]; // the reason comes before the replay line
        }
        if (exit == 2) {
            throw new UsageException(last.replaceFirst("^ringlab [a-z-]+: ", "") + " (in: ringlab " + cmd + ")");
        }
        JsonNode j = null;
        String text = o.toString().trim();
        if (!text.isEmpty()) {
            try {
                j = new ObjectMapper().readTree(text.substring(text.lastIndexOf('\n') + 1));
            } catch (Exception ex) {
                throw new IllegalStateException(cmd + " printed no JSON object: " + text, ex);
            }
        }
        if (exit != 0) {
            progress.println("ringlab datacenters: " + cmd + " exited " + exit + ": " + last);
            progress.flush();
        }
        ObjectNode r = runs.addObject();
        r.put("command", "ringlab " + String.join(" ", full.stream().map(Replay::quote).toList()));
        r.put("exit", exit);
        r.put("why", exit == 0 ? null : last);
        r.set("result", j);
        return new Outcome(j, exit);
    }

    private static Double num(JsonNode j, String... path) {
        if (j == null) {
            return null;
        }
        JsonNode x = j;
        for (String p : path) {
            x = x.path(p);
        }
        return x.isNumber() ? x.asDouble() : null;
    }

    private static void writeCsv(ResultsDir dir, String file, List<Map<String, Object>> rows) {
        List<List<Object>> csv = new ArrayList<>();
        rows.forEach(r -> csv.add(new ArrayList<>(r.values())));
        dir.writeCsv(file, new ArrayList<>(rows.get(0).keySet()), csv);
    }

    private static double d(Object o) {
        return o instanceof Number x ? x.doubleValue() : Double.NaN;
    }

    private static void plots(ResultsDir dir, List<Map<String, Object>> token, List<Map<String, Object>> broadcast,
            List<Map<String, Object>> loss, String engine) {
        Plots.Builder t = new Plots.Builder();
        for (Map<String, Object> r : token) {
            t.add("rotation p50 (" + r.get("order") + ")", d(r.get("wan_ring_hops")), d(r.get("rotation_ms_p50")), Double.NaN);
        }
        Plots.save(Plots.chart(new Plots.Axes("Token rotation vs WAN hops per rotation, by enumeration order (" + engine + ")",
                "ring hops between two datacenters per rotation", "rotation ms (p50)", false, false), t.series()), dir.path(),
                "token-rotation");
        Plots.Builder b = new Plots.Builder();
        for (Map<String, Object> r : broadcast) {
            String o = (String) r.get("overlay");
            b.add(o + " p99", d(r.get("inter_dc_edges")), d(r.get("latency_ms_p99")), Double.NaN);
            b.add(o + " p50", d(r.get("inter_dc_edges")), d(r.get("latency_ms_p50")), Double.NaN);
        }
        Plots.save(Plots.chart(new Plots.Axes("Broadcast (flood) latency vs inter-datacenter edges; one point per order ("
                + engine + ")", "edges between two datacenters", "delivery latency ms", false, true), b.series()), dir.path(),
                "broadcast-latency");
        Plots.Builder l = new Plots.Builder();
        Map<String, Integer> hops = new LinkedHashMap<>();
        token.forEach(r -> hops.put((String) r.get("order"), (Integer) r.get("wan_ring_hops")));
        for (Map<String, Object> r : loss) {
            double x = hops.get((String) r.get("order"));
            l.add("config, " + r.get("mode"), x, d(r.get("converge_after_return_ms")), Double.NaN);
            if ("crash".equals(r.get("mode"))) {
                l.add("ring rejoin", x, d(r.get("ring_rejoin_ms")), Double.NaN);
            }
        }
        Plots.save(Plots.chart(new Plots.Axes("After a datacenter returns (" + engine + "): config converged, ring rejoined",
                "ring hops between two datacenters per rotation (the order)", "ms", false, false), l.series()), dir.path(),
                "dc-return");
    }

    private static String f(Object v) {
        return v instanceof Number x ? String.format(Locale.ROOT, "%.1f", x.doubleValue()) : "-";
    }

    private static void table(PrintWriter out, List<Map<String, Object>> token, List<Map<String, Object>> broadcast,
            List<Map<String, Object>> loss, int n) {
        out.printf(Locale.ROOT, "token rotation (ring of %d)%n", n);
        out.printf(Locale.ROOT, "  %-12s %9s %14s %14s%n", "order", "WAN hops", "rotation p50", "rotation p99");
        for (Map<String, Object> r : token) {
            out.printf(Locale.ROOT, "  %-12s %9s %14s %14s%n", r.get("order"), r.get("wan_ring_hops"), f(r.get("rotation_ms_p50")) + " ms",
                    f(r.get("rotation_ms_p99")) + " ms");
        }
        out.printf(Locale.ROOT, "%nbroadcast (flood, idle network)%n");
        out.printf(Locale.ROOT, "  %-12s %-18s %6s %9s %8s %12s %12s%n", "order", "overlay", "degree", "inter-dc", "gap", "p50", "p99");
        for (Map<String, Object> r : broadcast) {
            out.printf(Locale.ROOT, "  %-12s %-18s %6s %9s %8s %12s %12s%n", r.get("order"), r.get("overlay"), r.get("degree"),
                    r.get("inter_dc_edges"), r.get("spectral_gap") == null ? "-" : String.format(Locale.ROOT, "%.3f", d(r.get("spectral_gap"))),
                    f(r.get("latency_ms_p50")) + " ms", f(r.get("latency_ms_p99")) + " ms");
        }
        out.printf(Locale.ROOT, "%nlosing a datacenter, and its return%n");
        out.printf(Locale.ROOT, "  %-12s %-10s %11s %14s %16s %12s%n", "order", "mode", "outage", "ring rejoin", "config converge",
                "lost deltas");
        for (Map<String, Object> r : loss) {
            out.printf(Locale.ROOT, "  %-12s %-10s %11s %14s %16s %12s%n", r.get("order"), r.get("mode"), f(r.get("outage_ms")) + " ms",
                    r.get("ring_rejoin_ms") == null ? "-" : f(r.get("ring_rejoin_ms")) + " ms",
                    r.get("converge_after_return_ms") == null ? "-" : f(r.get("converge_after_return_ms")) + " ms",
                    r.get("lost_deltas") == null ? "-" : r.get("lost_deltas"));
        }
        out.printf(Locale.ROOT, "  (ring rejoin: respawn of the datacenter to the first full rotation of the whole ring, "
                + "ringlab recover; config converge: its return to every live node holding the same config, ringlab config)%n");
    }
}
