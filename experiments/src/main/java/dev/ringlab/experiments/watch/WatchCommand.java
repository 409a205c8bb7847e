package dev.ringlab.experiments.watch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringlab.experiments.RunOptions;
import dev.ringlab.experiments.StudyCell;
import dev.ringlab.experiments.UsageException;
import dev.ringlab.node.Cluster;
import dev.ringlab.node.Message;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.ProtocolRegistry;
import dev.ringlab.node.spec.Durations;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.sim.SimCluster;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab watch}: a live web view of a running cluster on any engine, or ({@code --replay}) a
 * step-through view of a re-run seeded simulation. See {@link LiveState} for what the live page shows and
 * how it stays bounded, {@link WatchServer} for the push channel, {@link Recording} for replay.
 *
 * <h2>The run</h2>
 * The same run options as the experiment commands ({@link RunOptions}: engine, latency, loss, faults,
 * processing, seed), built into a cluster through the run spec. The control loop owns the cluster: it runs it
 * in slices (50 ms of engine time on real engines; on the simulator, virtual time at the page's speed, or one
 * event at a time) and between slices applies the page's actions, polls liveness and counters. Actions from
 * the page go through the {@link Cluster} contract and are recorded, with their engine time, into the run's
 * fault plan ({@code --faults}) and broadcast list ({@code --inject}): the page and stderr show the
 * {@code ringlab watch} line that replays the session (exactly on the simulator, where an action taken between
 * slices replays at the same virtual instant).
 */
@Command(
        name = "watch",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Serve a live web view of a running cluster on 127.0.0.1 (any engine, topology, protocol, fault plan): "
                    + "the overlay, node states (alive, suspected and by whom, dead, respawning) and successors, the "
                    + "token and its epoch, broadcast waves in delivery order, message and drop counters; buttons "
                    + "to broadcast, crash, restart, partition and heal (recorded into a replay line). On sim the "
                    + "page plays virtual time at a chosen speed (pause, one event, 1x, 10x, 100x, max).",
            "--replay RUN_JSON re-runs one recorded simulator run (a compare run.json; --run-index picks the run), "
                    + "--replay 'ringlab check --run-seed S --nodes A..B [--faults P]' a check run, and serves a "
                    + "step-through view: every message, delivery, token move and fault as an event, forward and back, "
                    + "with a space-time diagram; a check violation is marked at its event.",
            "The URL is printed on stderr at start; the run goes on until --duration passes, the page's stop "
                    + "button or Ctrl-C."
        })
public final class WatchCommand implements Callable<Integer> {
    private static final long LOAD_STREAM = 0x77617463684CL; // "watchL"
    private static final Pattern INJECT = Pattern.compile("(\\d{1,7})@(\\S+)");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Spec
    CommandSpec spec;

    @Option(names = "--topology", defaultValue = "successor-ring:3", paramLabel = "SPEC",
            description = "Overlay: " + Topologies.VALID_SPECS + " (default: ${DEFAULT-VALUE}).")
    String topology;

    @Option(names = {"-n", "--nodes"}, defaultValue = "16", paramLabel = "N", description = "Number of nodes, >= 2 (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--protocol", defaultValue = "healing", paramLabel = "P",
            description = "Any protocol the registry knows: a broadcast protocol (flood, gossip:F, tree, ...), token, "
                    + "healing[:...] (the healing ring: token, failure detector, repair) (default: ${DEFAULT-VALUE}).")
    String protocol;

    @Mixin
    RunOptions run;

    @Option(names = "--rate", paramLabel = "OPS_PER_S",
            description = "Also inject broadcasts at this rate (Poisson, origins drawn from --seed) while the run lasts.")
    Double rate;

    @Option(names = "--inject", paramLabel = "NODE@T,...",
            description = "Broadcasts at given engine times from the start, e.g. 0@100ms,5@2s (what the page's "
                    + "broadcast button records).")
    String inject;

    @Option(names = "--duration", paramLabel = "D",
            description = "Stop after this much engine time (default: run until the page's stop or Ctrl-C).")
    String duration;

    @Option(names = "--speed", defaultValue = "1", paramLabel = "X",
            description = "sim only: virtual time per wall time at start: pause, 1, 10, 100, max (the page changes it) "
                    + "(default: ${DEFAULT-VALUE}).")
    String speed;

    @Option(names = "--port", defaultValue = "0", paramLabel = "PORT",
            description = "Port on 127.0.0.1; 0 picks a free one (printed) (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--refresh", paramLabel = "D",
            description = "How often the server pushes the live state to each connected page, 10ms..10s (default: 250ms "
                    + "on sim, where the page's CPU changes nothing in the run; 1s on netty and processes, where a browser "
                    + "on the same machine takes CPU from the nodes: 250ms slowed a 64-node flood's p50 by about 13%% on "
                    + "2 cores, 1s by about 3%%).")
    String refresh; // null: the engine's default

    @Option(names = "--open", description = "Open the page in a browser (xdg-open, chromium) if there is one.")
    boolean open;

    @Option(names = "--study", paramLabel = "FILE",
            description = "Watch one cell of an experiment file (ringlab run FILE): the cluster its command would run, built "
                    + "by that command's own code (overlay, protocol, links, placement, seed, fault plan); the command's "
                    + "measurement does not run. Cells of " + "broadcast, token, recover, config, catalog, cache, replica. "
                    + "--topology, -n, --protocol and the run options come from the cell (refused here); --faults adds faults.")
    Path study;

    @Option(names = "--cell", defaultValue = "1", paramLabel = "K",
            description = "With --study: which cell, from 1 in the order ringlab run numbers them (default: ${DEFAULT-VALUE}).")
    int cell;

    @Option(names = "--replay", paramLabel = "RUN",
            description = "Step through a re-run instead: a compare run.json (or its directory), or a check replay "
                    + "command in quotes.")
    String replay;

    @Option(names = "--run-index", defaultValue = "0", paramLabel = "K",
            description = "With --replay RUN_JSON: which of its runs (default: ${DEFAULT-VALUE}).")
    int runIndex;

    /** Set by the page's stop, the shutdown hook or a test. */
    private volatile boolean stopped;
    private final LinkedBlockingQueue<Map<String, String>> actions = new LinkedBlockingQueue<>();
    /** The faults the replay line names: --faults as given (with --study: only those added to the cell's). */
    private FaultPlan replayFaults = FaultPlan.none();
    /** The server, once started (tests read its port). */
    volatile WatchServer server;
    volatile LiveState state;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new UsageException("--port", "must be 0..65535, got " + port);
        }
        if (replay != null && study != null) {
            throw new UsageException("--study", "watches a cell's cluster live, --replay steps through a recorded run: give one of them");
        }
        refreshMillis(); // checked before any cluster starts
        CommandLine.ParseResult given = spec.commandLine().getParseResult();
        if (replay == null && given.hasMatchedOption("--run-index")) {
            throw new UsageException("--run-index", "picks a run of a --replay file; give --replay RUN_JSON or drop it");
        }
        if (study == null && given.hasMatchedOption("--cell")) {
            throw new UsageException("--cell", "picks a cell of a --study file; give --study FILE or drop it");
        }
        if (replay != null) {
            return replay();
        }
        return live();
    }

    /** The push interval: --refresh, or 250 ms on a deterministic engine (and replays), 1 s on a real one. */
    private int refreshMillis() {
        if (refresh == null) {
            boolean realEngine = replay == null && run != null && run.engine() != null && !run.engine().deterministic();
            return realEngine ? 1000 : WatchServer.PUSH_MILLIS;
        }
        long ns = UsageException.durationNanos("--refresh", refresh);
        if (ns < 10_000_000L || ns > 10_000_000_000L) {
            throw new UsageException("--refresh", "must be 10ms..10s, got " + refresh);
        }
        return (int) (ns / 1_000_000L);
    }

    /** Asks the run to end (the page's stop does the same). */
    public void stop() {
        stopped = true;
        actions.offer(Map.of("op", "wake"));
    }

    // ---------------------------------------------------------------- live

    private int live() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        StudyCell.Cell studied = null;
        FaultPlan extra = null;
        Protocol proto;
        Overlay overlay;
        RunSpec cellSpec = null;
        if (study != null) {
            // The cluster comes from the cell; only watch's own flags and added faults may be given here.
            CommandLine.ParseResult given = spec.commandLine().getParseResult();
            for (CommandLine.Model.OptionSpec o : given.matchedOptions()) {
                String name = o.longestName();
                boolean own = List.of("--study", "--cell", "--faults", "--rate", "--inject", "--duration", "--speed", "--port",
                        "--refresh",
                        "--open").contains(name);
                if (!own) {
                    throw new UsageException(name, "comes from the study's cell with --study; change it in " + study
                            + " (or watch without --study)");
                }
            }
            studied = StudyCell.capture(study, cell);
            cellSpec = studied.captured().spec();
            nodes = cellSpec.overlay().size();
            extra = run.faults(nodes); // watch's own --faults, added to the cell's plan
            run = studied.captured().run();
            overlay = cellSpec.overlay();
            proto = cellSpec.protocol();
        } else {
            if (nodes < 2) {
                throw new UsageException("-n", "need at least 2 nodes, got " + nodes);
            }
            run.validate();
            try {
                proto = ProtocolRegistry.standard().protocol(protocol);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--protocol", e.getMessage());
            }
            try {
                overlay = Topologies.build(topology, nodes, run.seed());
            } catch (IllegalArgumentException e) {
                throw new UsageException("--topology", e.getMessage());
            }
        }
        long durationNanos = duration == null ? Long.MAX_VALUE : UsageException.durationNanos("--duration", duration);
        List<long[]> injects = parseInjects(inject, nodes);
        if (rate != null && !(rate > 0 && rate < 1e6)) {
            throw new UsageException("--rate", "must be a positive number of broadcasts per second, got " + rate);
        }
        double initialSpeed = parseSpeed("--speed", speed);
        FaultPlan plan;
        if (cellSpec != null) {
            List<FaultPlan.Fault> all = new ArrayList<>(cellSpec.faults().faults());
            all.addAll(extra.faults());
            plan = new FaultPlan(all);
        } else {
            plan = run.faults(nodes);
        }
        replayFaults = cellSpec != null ? extra : plan;
        boolean sim = run.engine().deterministic();
        if (!sim && !speed.equals("1")) {
            throw new UsageException("--speed", "engine " + run.engine().name() + " runs in real time; --speed applies to --engine sim");
        }
        if (studied != null) {
            err.println("ringlab watch: " + study + " cell " + studied.index() + " of " + studied.cells() + ": " + studied.commandLine());
            err.println("ringlab watch: its cluster, protocol, links and faults; not its measurement (watch injects broadcasts "
                    + "with --rate, --inject or the page)" + (cellSpec.faults().faults().isEmpty() ? ""
                            : "; fault times count from the start here, where " + studied.command()
                                    + " may count them from the end of its warm-up"));
        }
        try (Cluster cluster = run.build(cellSpec != null ? cellSpec.withFaults(plan) : run.spec(overlay, proto, plan))) {
            LiveState st = new LiveState(nodes);
            cluster.addObserver(st);
            Session session = new Session(cluster, st, plan, injects, sim, initialSpeed);
            WatchServer srv;
            try {
                srv = new WatchServer(session, port, refreshMillis());
            } catch (UncheckedIOException e) {
                throw new UsageException("--port", e.getMessage() + "; choose another port or 0");
            }
            try (srv) {
                server = srv;
                state = st;
                String url = "http://127.0.0.1:" + srv.port() + "/";
                err.println("ringlab watch: " + run.effective(plan, null) + " topology=" + overlay.spec() + " n=" + nodes
                        + " protocol=" + proto.spec() + (rate != null ? " rate=" + rate : ""));
                err.println("ringlab watch: serving " + url + " (Ctrl-C or the page's stop button ends the run)");
                err.flush();
                if (open) {
                    err.println("ringlab watch: " + Browser.open(url));
                    err.flush();
                }
                Thread hook = new Thread(this::stop, "watch-stop");
                Runtime.getRuntime().addShutdownHook(hook);
                try {
                    session.run(durationNanos);
                } finally {
                    try {
                        Runtime.getRuntime().removeShutdownHook(hook);
                    } catch (IllegalStateException e) {
                        // the JVM is shutting down: the hook is running
                    }
                }
                err.println("ringlab watch: stopped at " + Durations.format(cluster.now() - session.origin) + " of engine time");
                err.println("replay: " + session.replayLine());
                err.flush();
            }
        }
        return 0;
    }

    /** The live run: owns the cluster on the control thread. */
    private final class Session implements WatchServer.Source {
        final Cluster cluster;
        final LiveState st;
        final FaultPlan plan;
        final List<FaultPlan.Fault> recorded = new ArrayList<>();
        final List<long[]> injected = new ArrayList<>(); // {node, at} from the start
        final boolean sim;
        final SplittableRandom load = new SplittableRandom(run.seed() ^ LOAD_STREAM);
        final String hello;
        double speedX;
        long origin;
        long nextId = 1;
        final List<long[]> planned;

        Session(Cluster cluster, LiveState st, FaultPlan plan, List<long[]> injects, boolean sim, double speedX) {
            this.cluster = cluster;
            this.st = st;
            this.plan = plan;
            this.planned = injects;
            this.sim = sim;
            this.speedX = speedX;
            this.hello = WatchCommand.hello(cluster.overlay(), "live", cluster.engine(), sim, cluster.protocol().spec(), run.seed());
        }

        void run(long durationNanos) throws InterruptedException {
            cluster.start();
            origin = cluster.now();
            plan.applyTo(cluster, origin, (kind, node, at, call) -> {
                if (kind == FaultPlan.Kind.RESTART) {
                    st.respawning(node);
                }
                st.logged(secs(at - origin) + " " + kind.word() + (node >= 0 ? " " + node : "") + " (--faults)", null);
            });
            for (long[] in : planned) {
                cluster.at(origin + in[1], () -> broadcast((int) in[0], false));
            }
            if (rate != null) {
                scheduleLoad();
            }
            st.logged("start", replayLine());
            st.play(sim ? speedLabel() : "");
            poll();
            long wallLast = System.nanoTime();
            boolean step = false;
            while (!stopped && cluster.now() - origin < durationNanos) {
                long left = durationNanos - (cluster.now() - origin);
                if (!sim) {
                    cluster.runFor(Math.min(left, 50_000_000L));
                } else if (step) {
                    step = false;
                    stepOne();
                } else if (speedX > 0) {
                    long wallNow = System.nanoTime();
                    long dv = Double.isInfinite(speedX) ? 100_000_000L
                            : (long) Math.min(1e9, (wallNow - wallLast) * speedX);
                    wallLast = wallNow;
                    cluster.runFor(Math.min(left, Math.max(dv, 1)));
                }
                poll();
                // Real engines and "max" go on at once; a paced or paused simulator waits for the page or the clock.
                long waitMs = !sim || Double.isInfinite(speedX) ? 0 : 40;
                Map<String, String> a = waitMs == 0 ? actions.poll() : actions.poll(waitMs, TimeUnit.MILLISECONDS);
                while (a != null) {
                    if ("step".equals(a.get("op"))) {
                        step = true;
                    } else {
                        apply(a);
                    }
                    a = actions.poll();
                }
                if (sim && speedX == 0) {
                    wallLast = System.nanoTime();
                }
                poll();
            }
        }

        private void stepOne() {
            if (cluster instanceof SimCluster s && s.pendingEvents() > 0) {
                int[] calls = {0};
                // runUntil checks once before the first event and after every event: true on the second check.
                s.runUntil(() -> calls[0]++ >= 1, 3_600_000_000_000L);
            }
        }

        private void scheduleLoad() {
            long gap = (long) (-Math.log(1 - load.nextDouble()) / rate * 1e9);
            cluster.at(cluster.now() + Math.max(1, gap), () -> {
                broadcast(load.nextInt(nodes), false);
                scheduleLoad();
            });
        }

        private void poll() {
            boolean[] a = new boolean[nodes];
            for (int v = 0; v < nodes; v++) {
                a[v] = cluster.alive(v);
            }
            st.counters(cluster.now(), a, cluster.stats());
        }

        private void broadcast(int node, boolean fromPage) {
            long id = nextId++;
            cluster.inject(node, new Message.Inject(id, new byte[16]));
            if (fromPage) {
                injected.add(new long[] {node, cluster.now() - origin});
                st.logged(secs(cluster.now() - origin) + " broadcast from " + node, replayLine());
            }
        }

        private void apply(Map<String, String> a) {
            String op = a.getOrDefault("op", "");
            long t = cluster.now() - origin;
            String at = secs(t);
            switch (op) {
                case "wake" -> { }
                case "stop" -> stopped = true;
                case "broadcast" -> broadcast(a.containsKey("node") ? node(a) : load.nextInt(nodes), true);
                case "crash" -> {
                    int v = node(a);
                    if (cluster.alive(v)) {
                        cluster.crash(v);
                        recorded.add(FaultPlan.Fault.crash(v, t, -1));
                        st.logged(at + " crash " + v, replayLine());
                    }
                }
                case "restart" -> {
                    int v = node(a);
                    if (!cluster.alive(v)) {
                        st.respawning(v);
                        cluster.restart(v);
                        recorded.add(FaultPlan.Fault.restart(v, t));
                        st.logged(at + " restart " + v, replayLine());
                    }
                }
                case "partition" -> {
                    int[][] groups = FaultPlan.parse("partition:" + a.get("groups") + "@0").faults().get(0).groups();
                    cluster.partition(groups);
                    recorded.add(FaultPlan.Fault.partition(groups, t, -1));
                    st.logged(at + " partition " + a.get("groups"), replayLine());
                }
                case "heal" -> {
                    cluster.heal();
                    recorded.add(FaultPlan.Fault.heal(t));
                    st.logged(at + " heal", replayLine());
                }
                case "speed" -> {
                    speedX = parseSpeed("speed", a.get("value"));
                    st.play(speedLabel());
                }
                default -> st.logged("unknown action " + op, null);
            }
        }

        private int node(Map<String, String> a) {
            return Integer.parseInt(a.get("node"));
        }

        private String speedLabel() {
            return speedX == 0 ? "paused" : Double.isInfinite(speedX) ? "max" : String.format(Locale.ROOT, "%gx", speedX)
                    .replaceAll("\\.?0+x$", "x");
        }

        /** {@code ringlab watch} with the arguments given, the page's faults added to the plan and its broadcasts to --inject. */
        String replayLine() {
            List<String> args = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
            int at = args.indexOf("watch");
            args = new ArrayList<>(at < 0 ? args : args.subList(at + 1, args.size()));
            List<String> kept = new ArrayList<>();
            for (int i = 0; i < args.size(); i++) {
                String x = args.get(i);
                String name = x.contains("=") ? x.substring(0, x.indexOf('=')) : x;
                if (List.of("--faults", "--inject", "--port", "--open", "--refresh").contains(name)) {
                    if (!x.contains("=") && !name.equals("--open")) {
                        i++;
                    }
                    continue;
                }
                kept.add(x);
            }
            StringBuilder b = new StringBuilder("ringlab watch");
            for (String x : kept) {
                b.append(' ').append(quote(x));
            }
            if (study == null && kept.stream().noneMatch(x -> x.startsWith("--engine"))) {
                b.append(" --engine ").append(cluster.engine());
            }
            if (study == null && kept.stream().noneMatch(x -> x.startsWith("--seed"))) {
                b.append(" --seed ").append(run.seed());
            }
            List<FaultPlan.Fault> all = new ArrayList<>(replayFaults.faults());
            all.addAll(recorded);
            if (!all.isEmpty()) {
                b.append(" --faults ").append(quote(new FaultPlan(all).toString()));
            }
            List<String> ins = new ArrayList<>();
            for (long[] in : planned) {
                ins.add(in[0] + "@" + Durations.format(in[1]));
            }
            for (long[] in : injected) {
                ins.add(in[0] + "@" + Durations.format(in[1]));
            }
            if (!ins.isEmpty()) {
                b.append(" --inject ").append(String.join(",", ins));
            }
            return b.toString();
        }

        @Override
        public String hello() {
            return hello;
        }

        @Override
        public String snapshot() {
            return st.snapshot();
        }

        @Override
        public String control(Map<String, String> params) {
            String op = params.getOrDefault("op", "");
            switch (op) {
                case "broadcast", "heal", "stop", "step" -> { }
                case "crash", "restart" -> checkNode(params.get("node"));
                case "partition" -> {
                    try {
                        FaultPlan.parse("partition:" + params.get("groups") + "@0").check(nodes);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException("groups: " + e.getMessage());
                    }
                }
                case "speed" -> {
                    if (!sim) {
                        throw new IllegalArgumentException("engine " + cluster.engine() + " runs in real time");
                    }
                    try {
                        parseSpeed("speed", params.get("value"));
                    } catch (UsageException e) {
                        throw new IllegalArgumentException(e.getMessage());
                    }
                }
                default -> throw new IllegalArgumentException("unknown op '" + op + "': broadcast, crash, restart, "
                        + "partition, heal, speed, step, stop");
            }
            if (params.containsKey("node") && op.equals("broadcast")) {
                checkNode(params.get("node"));
            }
            actions.offer(Map.copyOf(params));
            return "queued " + op;
        }

        private void checkNode(String text) {
            try {
                int v = Integer.parseInt(text);
                if (v < 0 || v >= nodes) {
                    throw new IllegalArgumentException("node must be 0.." + (nodes - 1) + ", got " + v);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("node must be a node id, got '" + text + "'");
            }
        }

        @Override
        public String frame(int i) {
            throw new IllegalArgumentException("a live run has no frames: use ringlab watch --replay");
        }
    }

    /** Engine time for the page's log, in seconds. */
    static String secs(long nanos) {
        return String.format(Locale.ROOT, "%.3f s", nanos / 1e9);
    }

    static double parseSpeed(String flag, String text) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        if (t.equals("pause") || t.equals("paused") || t.equals("0")) {
            return 0;
        }
        if (t.equals("max")) {
            return Double.POSITIVE_INFINITY;
        }
        try {
            double x = Double.parseDouble(t.endsWith("x") ? t.substring(0, t.length() - 1) : t);
            if (x > 0 && x <= 1e6) {
                return x;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new UsageException(flag, "expected pause, max or a factor in (0, 1e6] such as 1 or 10x, got '" + text + "'");
    }

    static List<long[]> parseInjects(String text, int n) {
        List<long[]> out = new ArrayList<>();
        if (text == null || text.isBlank()) {
            return out;
        }
        for (String part : text.split(",")) {
            var m = INJECT.matcher(part.trim());
            if (!m.matches()) {
                throw new UsageException("--inject", "expected NODE@TIME, e.g. 3@250ms, got '" + part + "'");
            }
            int v = Integer.parseInt(m.group(1));
            if (v >= n) {
                throw new UsageException("--inject", "node " + v + " is not in 0.." + (n - 1));
            }
            out.add(new long[] {v, UsageException.durationNanos("--inject", m.group(2))});
        }
        return out;
    }

    /** The page's fixed facts of a run: mode, engine, n, layout, edges. */
    static String hello(Overlay overlay, String mode, String engine, boolean deterministic, String protocol, long seed) {
        ObjectNode o = JSON.createObjectNode();
        o.put("mode", mode);
        o.put("engine", engine);
        o.put("deterministic", deterministic);
        o.put("n", overlay.size());
        o.put("topology", overlay.spec());
        o.put("protocol", protocol);
        o.put("seed", seed);
        ArrayNode pos = o.putArray("layout");
        for (double d : Layout.of(overlay, seed)) {
            pos.add(Math.round(d * 10000) / 10000.0);
        }
        ArrayNode edges = o.putArray("edges");
        int count = 0;
        for (int u = 0; u < overlay.size() && count < 20_000; u++) {
            for (int v : overlay.neighbours(u)) {
                if (u < v || (overlay.directed() && !has(overlay, v, u))) {
                    edges.add(u).add(v);
                    count++;
                }
            }
        }
        return o.toString();
    }

    private static boolean has(Overlay o, int u, int v) {
        for (int w : o.neighbours(u)) {
            if (w == v) {
                return true;
            }
        }
        return false;
    }

    static String quote(String a) {
        return a.matches("[A-Za-z0-9_.,:@=+/%-]+") ? a : "'" + a.replace("'", "'\\''") + "'";
    }

    // ---------------------------------------------------------------- replay

    private int replay() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        String r = replay.trim();
        long began = System.nanoTime();
        Replayed rp = r.startsWith("ringlab check") || r.startsWith("check ") ? Replays.check(r) : Replays.runJson(Path.of(r), runIndex);
        err.println("ringlab watch: replay of " + rp.source() + ": " + rp.recording().size() + " events recorded in "
                + (System.nanoTime() - began) / 1_000_000 + " ms" + (rp.note() == null ? "" : "; " + rp.note()));
        return serve(rp, err);
    }

    /** Serves a recorded replay until stopped. */
    int serve(Replayed rp, PrintWriter err) throws InterruptedException {
        String hello = rp.recording().hello(rp.overlay(), "sim", rp.protocol(), rp.seed(), rp.source());
        WatchServer.Source src = new WatchServer.Source() {
            @Override
            public String hello() {
                return hello;
            }

            @Override
            public String snapshot() {
                return null;
            }

            @Override
            public String control(Map<String, String> params) {
                throw new IllegalArgumentException("a replay takes no control actions");
            }

            @Override
            public String frame(int i) {
                return rp.recording().frame(i);
            }
        };
        WatchServer srv;
        try {
            srv = new WatchServer(src, port, refreshMillis());
        } catch (UncheckedIOException e) {
            throw new UsageException("--port", e.getMessage() + "; choose another port or 0");
        }
        try (srv) {
            server = srv;
            String url = "http://127.0.0.1:" + srv.port() + "/";
            err.println("ringlab watch: serving " + url + " (Ctrl-C ends it)");
            err.flush();
            if (open) {
                err.println("ringlab watch: " + Browser.open(url));
                err.flush();
            }
            Thread hook = new Thread(this::stop, "watch-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            long end = duration == null ? Long.MAX_VALUE : System.nanoTime() + UsageException.durationNanos("--duration", duration);
            while (!stopped && System.nanoTime() - end < 0) {
                actions.poll(200, TimeUnit.MILLISECONDS);
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // shutting down
            }
        }
        return 0;
    }

    /** For tests: whether a file exists (kept small to avoid a dependency on the results classes). */
    static boolean isFile(String p) {
        return Files.isRegularFile(Path.of(p)) || Files.isDirectory(Path.of(p));
    }
}
