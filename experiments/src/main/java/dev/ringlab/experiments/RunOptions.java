package dev.ringlab.experiments;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.DcLinkModel;
import dev.ringlab.node.spec.Placement;
import dev.ringlab.node.spec.Durations;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.node.spec.LinkModel;
import dev.ringlab.node.spec.LinkModels;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.node.spec.UnsupportedRunException;
import dev.ringlab.runtime.ConnectionPolicy;
import dev.ringlab.runtime.NodeHosts;
import dev.ringlab.runtime.ProcessCluster;
import dev.ringlab.runtime.ProcessesEngine;
import dev.ringlab.runtime.Transport;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import dev.ringlab.topology.TopologySpec;
import dev.ringlab.sim.SimEngine;
import dev.ringlab.sim.model.EngineModel;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The options that shape a run on any engine, shared by every measuring command as a picocli mixin: one
 * set of names, help texts, parsing and error messages. They become a {@link RunSpec}, built into a
 * {@link Cluster} by the chosen {@link ClusterEngine} ({@link #build}); a field the engine cannot apply is a
 * usage error naming its flag and the engine (exit 2), never silently dropped.
 *
 * <p>Validation is lazy and idempotent: every getter parses its flag and throws {@link UsageException}
 * naming it, so a command calls {@link #validate} before anything expensive and the getters afterwards.
 */
public final class RunOptions {
    /** The start of the {@code --loss} range error, shared with the node launcher. */
    static final String LOSS_RANGE = "must be a probability in 0..1, got ";

    /** Run-spec field (see {@link UnsupportedRunException#field}) to the flag that sets it. */
    private static final Map<String, String> FLAGS = Map.of("latency", "--latency", "loss", "--loss", "faults", "--faults",
            "processing", "--processing", "protocol", "--protocol", "overlay", "--topology", "seed", "--seed",
            "placement", "--placement");

    @Option(names = "--engine", defaultValue = "sim", paramLabel = "ENGINE",
            description = "sim (the deterministic simulator, virtual time), netty (every node in this JVM on its own "
                    + "loopback port) or processes (one JVM per node; a crash is a SIGKILL) (default: ${DEFAULT-VALUE}).")
    String engine;

    @Option(names = "--latency", paramLabel = "L",
            description = "Link latency: const:D, uniform:LO,HI, lognormal:MEDIAN,SIGMA or empirical:FILE; by datacenter "
                    + "pair (needs --placement): dc:intra=L;inter=L or dc:intra=L;inter=matrix:FILE. On sim it is "
                    + "the whole link latency; not given, sim uses " + RunSpec.DEFAULT_SIM_LATENCY + ". On netty and "
                    + "processes it is a seeded delay each node adds per message on top of the real loopback latency; "
                    + "not given, nothing is added (json latency: null).")
    String latency;

    @Option(names = "--loss", defaultValue = "0", paramLabel = "P",
            description = "Probability, 0..1, that a node-to-node message is lost: drawn by sim, dropped on the send path "
                    + "by the runtime's seeded emulation on netty and processes (default: ${DEFAULT-VALUE}).")
    double loss;

    @Option(names = "--placement", paramLabel = "P",
            description = "Place the nodes in datacenters: dcs=D,per-dc=P,order=interleaved|grouped|random (random: "
                    + "seeded from --seed); node i is dcX/prod/J. -n must be D*P. The same on every engine; a dc: "
                    + "--latency draws by datacenter pair from it. Not given: no datacenters.")
    String placement;

    @Option(names = "--faults", paramLabel = "PLAN",
            description = "Fault plan, times from the start of the measured work, applied on every engine through the "
                    + "cluster contract: " + FaultPlan.FORMS + "; or 'random' (drawn from --seed).")
    String faults;

    @Option(names = "--processing", defaultValue = "0ns", paramLabel = "D",
            description = "Time a node is busy per message, e.g. 10us (default: ${DEFAULT-VALUE}). sim only: netty and "
                    + "processes spend the real time and refuse a non-zero value (exit 2).")
    String processing;

    @Option(names = "--model", paramLabel = "M",
            description = "sim only: model the real engine's resources, calibrated:DIR (a calibrate-<ts> directory with "
                    + "model.properties): executors shared by nodes on the machine's cores, per-message service times, "
                    + "wake-up of idle event loops, the reconnection delay after a restart. Without --latency the links "
                    + "are the calibration's hot links. Not given: the plain simulator (same runs, same trace hashes).")
    String model;

    private EngineModel parsedModel;

    /** The help text of {@code --seed}, also used by the commands that take no other run option. */
    static final String SEED_HELP = "Root seed of the run; a sweep runs seeds S, S+1, ... (default: ${DEFAULT-VALUE}).";

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = SEED_HELP)
    long seed;

    @Option(names = "--keep-run-dir",
            description = "processes only: keep the run directory (/tmp/ringlab-processes-*: the cluster file, the "
                    + "cluster secret and each node's log, node-I.log) after the run instead of deleting it; its path "
                    + "is printed on stderr at the end. sim and netty have none and refuse it (exit 2).")
    boolean keepRunDir;

    @Option(names = "--hosts", paramLabel = "FILE",
            description = "processes only: where each node runs instead of loopback, a JSON file {\"nodes\":[{\"host\":"
                    + "\"10.77.0.1\",\"port\":7000,\"admin_port\":7001,\"exec\":[\"ip\",\"netns\",\"exec\",\"rl0\"]}, ...]}"
                    + " with one entry per node (entry i is node i); exec is a prefix put in front of the node's command"
                    + " and must exec it in place (README, \"The runtime across hosts\"). sim and netty refuse it (exit 2).")
    Path hosts;

    @Option(names = "--transport", paramLabel = "T",
            description = "netty and processes: the nodes' socket transport, nio, epoll or auto (epoll where Netty's "
                    + "native library loads, else nio; the default). Every node of a processes run gets it. sim has no "
                    + "sockets and refuses it (exit 2).")
    String transport;

    @Option(names = "--connections", paramLabel = "POLICY",
            description = "netty and processes: when the nodes' TCP connections open and close. eager: one per overlay "
                    + "edge, dialled at start and redialled while the run lasts; lazy or lazy:IDLE (e.g. lazy:500ms): an edge "
                    + "is dialled on its first send (either side) and closed by either side after IDLE without traffic "
                    + "(lazy: " + ConnectionPolicy.DEFAULT_IDLE_TEXT + "). Default: lazy:" + ConnectionPolicy.DEFAULT_IDLE_TEXT
                    + " for hyparview+plumtree, whose active views use few of the allowed edges, eager for every "
                    + "other protocol. Every node of a processes run gets it. sim has no connections and refuses it (exit 2).")
    String connections;

    private NodeHosts parsedHosts;

    /** Parses every flag that needs no node count. @throws UsageException naming the first bad flag */
    public void validate() {
        engine();
        model();
        keepRunDir();
        placementSpec();
        latency();
        loss();
        processingNanos();
        if (faults != null && !isRandomFaults()) {
            parseFaults();
        }
    }

    public ClusterEngine engine() {
        ClusterEngine e = Engines.byName(engine);
        if (transport != null) {
            applyTransport(e);
        }
        if (connections != null) {
            applyConnections(e);
        }
        if (hosts != null) {
            if (!(e instanceof ProcessesEngine)) {
                throw new UsageException("--hosts", "engine " + e.name() + " runs every node here; --hosts applies to "
                        + "--engine processes only");
            }
            if (parsedHosts == null) {
                try {
                    parsedHosts = NodeHosts.read(hosts);
                } catch (IllegalArgumentException bad) {
                    throw new UsageException("--hosts", bad.getMessage());
                }
            }
            return new ProcessesEngine(parsedHosts);
        }
        if (model == null) {
            return e;
        }
        if (!e.deterministic()) {
            throw new UsageException("--model", "engine " + e.name() + " runs the real thing; --model applies to --engine sim "
                    + "only (use --predict DIR on real engines)");
        }
        return new SimEngine(model());
    }

    /**
     * {@code --transport}: the runtime reads it from the system property {@link Transport#PROPERTY} (this JVM's
     * clusters, and the command line of every processes child), so it is set here, before any cluster is built.
     */
    private void applyTransport(ClusterEngine e) {
        if (e.deterministic()) {
            throw new UsageException("--transport", "engine " + e.name() + " has no sockets; --transport applies to "
                    + "--engine netty and processes");
        }
        Transport t;
        try {
            t = Transport.select(transport);
        } catch (IllegalArgumentException bad) {
            throw new UsageException("--transport", bad.getMessage());
        }
        System.setProperty(Transport.PROPERTY, t.cliName());
    }

    /**
     * {@code --connections}: like {@code --transport}, the runtime reads it from a system property
     * ({@link ConnectionPolicy#PROPERTY}) when it builds a cluster, so it reaches every cluster of the command,
     * and the processes engine writes it into every child's cluster file. Not given: the property is left alone,
     * and each cluster takes its protocol's default.
     */
    private void applyConnections(ClusterEngine e) {
        if (e.deterministic()) {
            throw new UsageException("--connections", "engine " + e.name() + " has no connections; --connections applies "
                    + "to --engine netty and processes");
        }
        ConnectionPolicy p;
        try {
            p = ConnectionPolicy.parse(connections);
        } catch (IllegalArgumentException bad) {
            throw new UsageException("--connections", bad.getMessage());
        }
        System.setProperty(ConnectionPolicy.PROPERTY, p.spec());
    }

    /**
     * The connection policy a cluster of {@code protocol} on {@code engine} runs: the given {@code --connections}
     * or the protocol's default; null on an engine without connections (the simulator).
     */
    public ConnectionPolicy connectionPolicy(ClusterEngine engine, Protocol protocol) {
        if (engine.deterministic()) {
            return null;
        }
        return ConnectionPolicy.resolve(connections == null ? ConnectionPolicy.fromProperty() : ConnectionPolicy.parse(connections),
                protocol);
    }

    /** The {@code --model} engine model, or null when not given. @throws UsageException naming it */
    public EngineModel model() {
        if (model == null) {
            return null;
        }
        if (parsedModel == null) {
            parsedModel = parseModel(model);
        }
        return parsedModel;
    }

    /** Parses {@code calibrated:DIR}. @throws UsageException naming {@code --model} */
    static EngineModel parseModel(String text) {
        String t = text.trim();
        if (!t.startsWith("calibrated:") || t.length() == "calibrated:".length()) {
            throw new UsageException("--model", "expected calibrated:DIR (a directory written by ringlab calibrate), got '"
                    + text + "'");
        }
        try {
            return EngineModel.load(Path.of(t.substring("calibrated:".length())));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--model", e.getMessage());
        }
    }

    /**
     * Whether {@code --keep-run-dir} was given.
     *
     * @throws UsageException naming it on an engine without a run directory
     */
    public boolean keepRunDir() {
        if (keepRunDir && !(engine() instanceof ProcessesEngine)) {
            throw new UsageException("--keep-run-dir", "engine " + engine().name() + " has no run directory; the flag "
                    + "applies to --engine processes only");
        }
        return keepRunDir;
    }

    public long seed() {
        return seed;
    }

    /** The {@code --latency} spec as given, checked, or null when not given. */
    public String latency() {
        if (latency != null) {
            try {
                if (DcLinkModel.isDcSpec(latency)) {
                    DcLinkModel.check(latency);
                    if (placementSpec() == null && !DcLinkModel.carriesAssignment(latency)) {
                        throw new UsageException("--latency", "'" + latency + "' is by datacenter and needs --placement "
                                + Placement.FORM);
                    }
                } else {
                    LinkModels.parse(latency);
                }
            } catch (IllegalArgumentException e) {
                throw new UsageException("--latency", e.getMessage());
            }
        }
        return latency;
    }

    /** The parsed {@code --placement}, or null when not given. @throws UsageException naming it */
    public Placement.Spec placementSpec() {
        if (placement == null) {
            return null;
        }
        try {
            return Placement.parse(placement);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--placement", e.getMessage());
        }
    }

    /**
     * The {@code --placement} of a run of {@code n} nodes and root seed {@code runSeed} (a random order is drawn
     * from it), or null when not given.
     *
     * @throws UsageException naming {@code --placement} unless {@code n} equals dcs*per-dc
     */
    public Placement placement(int n, long runSeed) {
        Placement.Spec p = placementSpec();
        if (p == null) {
            return null;
        }
        requirePlacementFits(p, n);
        return p.resolve(runSeed);
    }

    /** @throws UsageException naming {@code --placement} unless {@code n} equals its dcs*per-dc */
    static void requirePlacementFits(Placement.Spec p, int n) {
        if ((long) p.dcs() * p.perDc() != n) {
            throw new UsageException("--placement", "places dcs*per-dc = " + p.dcs() + "*" + p.perDc() + " = "
                    + ((long) p.dcs() * p.perDc()) + " nodes, but the run has " + n + "; make -n equal dcs*per-dc");
        }
    }

    /**
     * The overlay {@code topology} on {@code n} nodes, seeded from {@code --seed}, on the {@code --placement}'s
     * datacenters when given (a {@code dc-regular} spec needs them).
     *
     * @throws IllegalArgumentException if the spec is bad or does not fit (the caller names {@code --topology})
     * @throws UsageException naming {@code --placement} if it does not place n nodes
     */
    public Overlay overlay(String topology, int n) {
        Placement p = placement(n, seed);
        TopologySpec t = TopologySpec.parse(topology);
        if (p == null && t.needsDatacenters()) {
            throw new UsageException("--placement", t + " builds on the nodes' datacenters: give --placement " + Placement.FORM);
        }
        return Topologies.build(t, n, seed, p == null ? null : p.dcOf());
    }

    /** The {@code --placement} text as given, or null. */
    public String placementText() {
        return placement;
    }

    public double loss() {
        if (!(loss >= 0 && loss <= 1)) {
            throw new UsageException("--loss", LOSS_RANGE + loss);
        }
        return loss;
    }

    public long processingNanos() {
        long p = UsageException.durationNanos("--processing", processing);
        if (p < 0) {
            throw new UsageException("--processing", "must be >= 0, got " + processing);
        }
        return p;
    }

    /** The {@code --processing} value as given, for reports. */
    public String processingText() {
        return processing;
    }

    /** The {@code --connections} text as given, or null. */
    public String connectionsText() {
        return connections;
    }

    /** The {@code --model} text as given, or null. */
    public String modelText() {
        return model;
    }

    /** The {@code --faults} text as given, or null. */
    public String faultsText() {
        return faults;
    }

    /**
     * The {@code --faults} plan for a cluster of {@code n} nodes ({@code random}: drawn from the seed over
     * 2 s); the empty plan when not given.
     *
     * @throws UsageException naming {@code --faults} for a bad plan or a node outside {@code 0..n-1}
     */
    public FaultPlan faults(int n) {
        if (faults == null) {
            return FaultPlan.none();
        }
        try {
            FaultPlan plan = isRandomFaults() ? FaultPlan.random(seed, n, 2_000_000_000L) : parseFaults();
            plan.check(n);
            return plan;
        } catch (IllegalArgumentException e) {
            throw new UsageException("--faults", e.getMessage());
        }
    }

    private boolean isRandomFaults() {
        return faults.trim().equalsIgnoreCase("random");
    }

    private FaultPlan parseFaults() {
        try {
            return FaultPlan.parse(faults);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--faults", e.getMessage());
        }
    }

    /** The run spec of {@code protocol} on {@code overlay} with these options and {@code plan}. */
    public RunSpec spec(Overlay overlay, Protocol protocol, FaultPlan plan) {
        return spec(overlay, protocol, plan, seed);
    }

    /** As {@link #spec(Overlay, Protocol, FaultPlan)} with another seed (a sweep's seeds). */
    public RunSpec spec(Overlay overlay, Protocol protocol, FaultPlan plan, long runSeed) {
        return new RunSpec(overlay, protocol, latency(), loss(), plan, processingNanos(), runSeed,
                placement(overlay.size(), runSeed));
    }

    /**
     * The cluster (not started) of {@code spec} on the chosen engine.
     *
     * @throws UsageException naming the flag of a field the engine cannot apply, and the engine
     */
    public Cluster build(RunSpec spec) {
        if (CAPTURING.get()) {
            throw new CapturedSignal(new Captured(spec, this));
        }
        Cluster c = build(engine(), spec);
        if (keepRunDir() && c instanceof ProcessCluster p) {
            p.keepRunDirectory(true);
        }
        return c;
    }

    /** Set while {@link #capture} runs a command: {@link #build(RunSpec)} hands the spec back instead. */
    private static final ThreadLocal<Boolean> CAPTURING = ThreadLocal.withInitial(() -> false);

    /** The cluster a command was about to build: its spec, and the run options (engine, ...) it would build it with. */
    public record Captured(RunSpec spec, RunOptions run) {}

    /** Unwinds a command from {@link #build(RunSpec)} to {@link #capture}; no stack trace (not an error). */
    private static final class CapturedSignal extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Captured captured;

        CapturedSignal(Captured captured) {
            super(null, null, false, false);
            this.captured = captured;
        }
    }

    /**
     * Runs {@code command} (a parsed experiment command) on this thread up to the first cluster it builds through
     * {@link #build(RunSpec)}, and returns that cluster's spec instead of building it: what {@code watch --study}
     * shows is exactly the cluster the command would run, built by the command's own code. Null if the command
     * ended without building one.
     */
    public static Captured capture(java.util.concurrent.Callable<?> command) throws Exception {
        CAPTURING.set(true);
        try {
            command.call();
            return null;
        } catch (CapturedSignal s) {
            return s.captured;
        } finally {
            CAPTURING.set(false);
        }
    }

    /** As {@link #build(RunSpec)} on {@code engine}. */
    public static Cluster build(ClusterEngine engine, RunSpec spec) {
        try {
            return engine.build(spec);
        } catch (UnsupportedRunException e) {
            String flag = FLAGS.getOrDefault(e.field(), "--" + e.field());
            String why = e.getMessage();
            throw new UsageException(flag, why.contains(engine.name()) ? why : "engine " + engine.name() + ": " + why);
        }
    }

    /**
     * The {@code latency} a report gives: the spec of the links the engine drew from or added. The spec
     * given; when none was, the simulator's default (its links must have a latency) and null on the real
     * engines (their own links, nothing added).
     */
    public static String reportedLatency(ClusterEngine engine, String given) {
        if (given == null && engine instanceof SimEngine s && s.model() != null && s.model().hotLink() != null) {
            return s.model().hotLink().spec(); // the calibration's hot links (--model without --latency)
        }
        return given != null ? given : engine.deterministic() ? RunSpec.DEFAULT_SIM_LATENCY : null;
    }

    /** {@link #reportedLatency(ClusterEngine, String)} of these options. */
    public String reportedLatency() {
        return reportedLatency(engine(), latency());
    }

    /**
     * The link model that timeouts and time limits are sized on: the given one, or the simulator's default
     * ({@link RunSpec#DEFAULT_SIM_LATENCY}), which also bounds loopback TCP (tens of microseconds per hop).
     */
    public LinkModel linkBound() {
        Placement.Spec p = placementSpec();
        return LinkModels.parse(latency() == null ? RunSpec.DEFAULT_SIM_LATENCY : latency(), p == null ? null : p.resolve(seed));
    }

    /**
     * The run's effective options, for the line every command prints to stderr at start:
     * {@code engine=.. seed=.. latency=.. loss=.. faults=.. processing=.. timing=..}.
     *
     * @param plan   the whole fault plan the run applies (a command may add its own faults to {@code --faults})
     * @param timing the failure detector's timing, or null for a protocol without one
     */
    public String effective(FaultPlan plan, Defaults.Timing timing) {
        String l = reportedLatency();
        String shown = l == null ? "none (real links)" : latency() != null ? l
                : model() != null && model().hotLink() != null ? l + " (the model's hot links)" : l + " (sim default)";
        return "engine=" + engine().name() + (model() == null ? "" : " model=" + model().describe()) + " seed=" + seed + " latency=" + shown + " loss=" + loss()
                + (placement == null ? "" : " placement=" + placementSpec()) + " faults="
                + (plan.isEmpty() ? "none" : plan.toString()) + " processing=" + Durations.format(processingNanos())
                + " timing=" + (timing == null ? "none" : timing.toString());
    }
}
