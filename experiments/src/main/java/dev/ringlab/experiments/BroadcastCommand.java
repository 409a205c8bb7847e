package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringlab.node.Cluster;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.Protocols;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab broadcast}: one broadcast, or a steady stream of them, over an overlay, with the
 * metrics of {@link BroadcastMetrics}.
 *
 * <p>The stream ({@code --rate R --duration D}) is a Poisson process: inter-arrival gaps are exponential
 * with mean 1/R, so bursts happen as they do with independent clients; each broadcast starts at a node
 * drawn uniformly. Gaps and origins come from their own stream split from {@code --seed}, so the load
 * replays with the run. After the last injection the run drains: until no event is pending (simulator)
 * or for {@code --drain} of engine time.
 */
@Command(
        name = "broadcast",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = "Broadcast over an overlay and measure reliability, latency (p50/p99/max over every "
                + "(broadcast, non-origin node) delivery), last delivery hop, messages per broadcast and relative "
                + "message redundancy. One broadcast from --origin by default; --rate R --duration D injects a "
                + "Poisson stream of broadcasts from random nodes, then drains. Prints a table, or one JSON object "
                + "with --json; the run's options and progress go to stderr.")
public final class BroadcastCommand implements Callable<Integer> {
    private static final long LOAD_STREAM = 0x6C6F6164L; // "load"

    @Spec
    CommandSpec spec;

    @Option(names = "--topology", required = true, paramLabel = "SPEC",
            description = "Overlay: " + Topologies.VALID_SPECS + ".")
    String topology;

    @Option(names = {"-n", "--nodes"}, required = true, paramLabel = "N", description = "Number of nodes, >= 2.")
    int nodes;

    @Option(names = "--engine", defaultValue = "sim", paramLabel = "ENGINE",
            description = "sim, netty or processes (default: ${DEFAULT-VALUE}; available now: " + Engines.AVAILABLE + ").")
    String engine;

    @Option(names = "--protocol", defaultValue = "flood", paramLabel = "P",
            description = "One of " + Protocols.VALID + " (default: ${DEFAULT-VALUE}).")
    String protocol;

    @Option(names = "--latency", paramLabel = "L",
            description = "Link latency: const:1ms, uniform:1ms,5ms, lognormal:MEDIAN,SIGMA, empirical:FILE. Default: "
                    + Engines.DEFAULT_SIM_LATENCY + " on sim; on netty/processes no added delay (real loopback latency "
                    + "only). Given on netty/processes, it is added per message on top of loopback by the runtime's "
                    + "seeded emulation (an event-loop timer; reorders a link when delays vary, as on sim).")
    String latency;

    @Option(names = "--loss", defaultValue = "0", paramLabel = "P",
            description = "Probability that a message is lost, 0..1; on netty/processes the runtime's seeded emulation "
                    + "drops it on the send path (default: ${DEFAULT-VALUE}).")
    double loss;

    @Option(names = "--processing", defaultValue = "0ns", paramLabel = "D",
            description = "Time a node is busy per message, e.g. 10us (default: ${DEFAULT-VALUE}).")
    String processing;

    @Option(names = "--rate", paramLabel = "OPS_PER_S",
            description = "Broadcasts per second over the whole cluster (Poisson); needs --duration.")
    Double rate;

    @Option(names = "--duration", paramLabel = "D", description = "How long to inject at --rate, e.g. 2s.")
    String duration;

    @Option(names = "--drain", defaultValue = "10s", paramLabel = "D",
            description = "Most engine time to wait after the last injection for the run to settle "
                    + "(default: ${DEFAULT-VALUE}).")
    String drain;

    @Option(names = "--origin", defaultValue = "0", paramLabel = "NODE",
            description = "Origin of the single broadcast (ignored with --rate) (default: ${DEFAULT-VALUE}).")
    int origin;

    @Option(names = "--payload-bytes", defaultValue = "16", paramLabel = "B",
            description = "Payload size of each broadcast (default: ${DEFAULT-VALUE}).")
    int payloadBytes;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Root seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", description = "Print one JSON object instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Run run = validate();
        err.println("broadcast: engine=" + run.engine.flag() + " topology=" + topology + " n=" + nodes + " protocol="
                + run.protocol.spec() + " latency=" + latencyLabel(run) + " loss=" + loss + " processing=" + processing
                + (rate != null ? " rate=" + rate + " duration=" + duration : " origin=" + origin) + " seed=" + seed);
        err.flush();

        Overlay overlay;
        try {
            overlay = Topologies.build(topology, nodes, seed);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--topology", e.getMessage());
        }
        Engines.Options options = Engines.Options.given(seed, latency, loss, run.processingNanos);
        try (Cluster cluster = Engines.build(run.engine, overlay, run.protocol, options)) {
            BroadcastMetrics metrics = new BroadcastMetrics(nodes);
            cluster.addObserver(metrics);
            cluster.addObserver(new Progress(err));
            cluster.start();
            byte[] payload = new byte[payloadBytes];

            long engineStart = cluster.now();
            long wallStart = System.nanoTime();
            boolean settled;
            if (rate == null) {
                metrics.injected(0, origin, cluster.now());
                cluster.inject(origin, new Message.Inject(0, payload));
                settled = Engines.settle(cluster, run.drainNanos);
            } else {
                Load load = new Load(cluster, metrics, payload, rate, cluster.now() + run.durationNanos,
                        new SplittableRandom(seed ^ LOAD_STREAM), err);
                load.scheduleNext();
                cluster.runFor(run.durationNanos);
                settled = Engines.settle(cluster, run.drainNanos);
            }
            long wallNanos = System.nanoTime() - wallStart;
            BroadcastMetrics.Result r = metrics.result(cluster.stats(), cluster::alive, wallNanos);
            OptionalLong hash = cluster.traceHash();
            if (json) {
                out.println(json(run, overlay, r, hash, settled, cluster.now() - engineStart));
            } else {
                table(out, run, overlay, r, hash, settled, cluster.now() - engineStart);
            }
            out.flush();
        }
        return 0;
    }

    /** The latency a run has: the simulator's spec, or the real links with the added delay if any. */
    private String latencyLabel(Run run) {
        String l = Engines.Options.given(seed, latency, loss, 0).latencyOn(run.engine);
        return run.engine == Engines.Engine.SIM ? l : l == null ? "real links" : "real links + " + l;
    }

    /** Parsed and checked flags: everything that can be wrong is found before any overlay is built. */
    private record Run(Engines.Engine engine, Protocol protocol, long processingNanos, long durationNanos, long drainNanos) {}

    private Run validate() {
        if (nodes < 2) {
            throw new UsageException("-n", "need at least 2 nodes to broadcast, got " + nodes);
        }
        Engines.Engine e = Engines.parse(engine);
        Engines.checkAvailable(e);
        Protocol p;
        try {
            p = Protocols.parse(protocol);
        } catch (IllegalArgumentException ex) {
            throw new UsageException("--protocol", ex.getMessage());
        }
        if (!(loss >= 0 && loss <= 1)) {
            throw new UsageException("--loss", "must be a probability in 0..1, got " + loss);
        }
        if (latency != null) {
            Engines.link(latency);
        }
        long processingNanos = UsageException.durationNanos("--processing", processing);
        long drainNanos = UsageException.durationNanos("--drain", drain);
        long durationNanos = 0;
        if (rate != null || duration != null) {
            if (rate == null) {
                throw new UsageException("--duration", "needs --rate OPS_PER_S (broadcasts per second)");
            }
            if (duration == null) {
                throw new UsageException("--rate", "needs --duration D (how long to inject, e.g. 2s)");
            }
            if (!(rate > 0) || rate.isInfinite()) {
                throw new UsageException("--rate", "must be a positive number of broadcasts per second, got " + rate);
            }
            durationNanos = UsageException.durationNanos("--duration", duration);
            if (durationNanos <= 0) {
                throw new UsageException("--duration", "must be positive, got " + duration);
            }
        }
        if (origin < 0 || origin >= nodes) {
            throw new UsageException("--origin", "must be a node in 0.." + (nodes - 1) + ", got " + origin);
        }
        if (payloadBytes < 0 || payloadBytes > 64 * 1024) {
            throw new UsageException("--payload-bytes", "must be in 0..65536, got " + payloadBytes);
        }
        return new Run(e, p, processingNanos, durationNanos, drainNanos);
    }

    /** The Poisson stream of broadcasts: each injection schedules the next, so no queue of future events. */
    private static final class Load implements Runnable {
        private final Cluster cluster;
        private final BroadcastMetrics metrics;
        private final byte[] payload;
        private final double meanGapNanos;
        private final long startNanos;
        private final long endNanos;
        private final SplittableRandom random;
        private final PrintWriter err;
        private long nextId;
        private long lastProgressWall = System.nanoTime();

        Load(Cluster cluster, BroadcastMetrics metrics, byte[] payload, double ratePerS, long endNanos,
                SplittableRandom random, PrintWriter err) {
            this.cluster = cluster;
            this.metrics = metrics;
            this.payload = payload;
            this.meanGapNanos = 1e9 / ratePerS;
            this.startNanos = cluster.now();
            this.endNanos = endNanos;
            this.random = random;
            this.err = err;
        }

        void scheduleNext() {
            // Exponential gap by inversion; 1 - u is in (0, 1], so the log is finite.
            long gap = Math.round(-Math.log(1 - random.nextDouble()) * meanGapNanos);
            long at = cluster.now() + gap;
            if (at < endNanos) {
                cluster.at(at, this);
            }
        }

        @Override
        public void run() {
            int node = random.nextInt(cluster.size());
            long id = nextId++;
            metrics.injected(id, node, cluster.now());
            cluster.inject(node, new Message.Inject(id, payload));
            long wall = System.nanoTime();
            if (wall - lastProgressWall > 2_000_000_000L) {
                lastProgressWall = wall;
                err.printf(Locale.ROOT, "broadcast: %d injected, %.0f of %.0f ms of engine time%n", nextId,
                        (cluster.now() - startNanos) / 1e6, (endNanos - startNanos) / 1e6);
                err.flush();
            }
            scheduleNext();
        }
    }

    /** Progress for long runs on stderr: a line every few seconds of wall time, checked every 64 Ki deliveries. */
    private static final class Progress implements Consumer<Observation> {
        private final PrintWriter err;
        private long deliveries;
        private long lastWall = System.nanoTime();

        Progress(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void accept(Observation o) {
            if (++deliveries % 65_536 == 0) {
                long wall = System.nanoTime();
                if (wall - lastWall > 2_000_000_000L) {
                    lastWall = wall;
                    err.printf(Locale.ROOT, "broadcast: %d deliveries so far%n", deliveries);
                    err.flush();
                }
            }
        }
    }

    private String json(Run run, Overlay overlay, BroadcastMetrics.Result r, OptionalLong hash, boolean settled,
            long engineNanos) throws Exception {
        ObjectMapper mapper = new ObjectMapper().disable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode o = mapper.createObjectNode();
        o.put("engine", run.engine.flag());
        o.put("seed", seed);
        o.put("topology", overlay.spec());
        o.put("nodes", nodes);
        o.put("protocol", run.protocol.spec());
        // The simulator draws link latencies from the spec; real engines have their real links, plus the
        // spec as an added delay when --latency is given (null: nothing added).
        o.put("latency", Engines.Options.given(seed, latency, loss, 0).latencyOn(run.engine));
        o.put("loss", loss);
        o.put("processing", processing);
        if (rate != null) {
            o.put("rate", rate);
            o.put("duration", duration);
        } else {
            o.putNull("rate");
            o.putNull("duration");
        }
        if (hash.isPresent()) {
            o.put("trace_hash", String.format("%016x", hash.getAsLong()));
        } else {
            o.putNull("trace_hash");
        }
        o.put("broadcasts", r.broadcasts());
        o.put("live_nodes", r.liveNodes());
        o.put("deliveries", r.deliveries());
        o.put("messages", r.messages());
        o.put("bytes", r.bytes());
        o.put("dropped", r.messagesDropped());
        number(o, "msgs_per_op", r.msgsPerOp());
        number(o, "reliability", r.reliability());
        number(o, "reliability_min", r.reliabilityMin());
        ObjectNode lat = o.putObject("latency_ms");
        number(lat, "p50", r.latencyMsP50());
        number(lat, "p99", r.latencyMsP99());
        number(lat, "max", r.latencyMsMax());
        number(lat, "mean", r.latencyMsMean());
        o.put("last_delivery_hop", r.lastDeliveryHop());
        number(o, "rmr", r.rmr());
        o.put("events", r.events());
        number(o, "wall_ms", r.wallNanos() / 1e6);
        number(o, "events_per_s", r.eventsPerS());
        number(o, "engine_time_ms", engineNanos / 1e6);
        o.put("settled", settled);
        return mapper.writeValueAsString(o);
    }

    private static void number(ObjectNode o, String field, double v) {
        if (Double.isFinite(v)) {
            o.put(field, v);
        } else {
            o.putNull(field);
        }
    }

    private void table(PrintWriter out, Run run, Overlay overlay, BroadcastMetrics.Result r, OptionalLong hash,
            boolean settled, long engineNanos) {
        String f = "%-18s %s%n";
        out.printf(Locale.ROOT, f, "engine", run.engine.flag());
        out.printf(Locale.ROOT, f, "topology", overlay.spec() + " (n=" + nodes + ", " + overlay.edges()
                + (overlay.directed() ? " arcs)" : " edges)"));
        out.printf(Locale.ROOT, f, "protocol", run.protocol.spec());
        out.printf(Locale.ROOT, f, "latency / loss", latencyLabel(run) + " / " + loss);
        out.printf(Locale.ROOT, f, "seed", seed);
        out.printf(Locale.ROOT, f, "trace hash", hash.isPresent() ? String.format("%016x", hash.getAsLong()) : "-");
        out.printf(Locale.ROOT, f, "broadcasts", r.broadcasts() + (rate != null ? " (rate " + rate + "/s for " + duration + ")" : ""));
        out.printf(Locale.ROOT, f, "reliability", fmt(r.reliability()) + " (min " + fmt(r.reliabilityMin()) + ")");
        out.printf(Locale.ROOT, f, "latency ms", "p50 " + fmt(r.latencyMsP50()) + "  p99 " + fmt(r.latencyMsP99())
                + "  max " + fmt(r.latencyMsMax()));
        out.printf(Locale.ROOT, f, "last delivery hop", r.lastDeliveryHop());
        out.printf(Locale.ROOT, f, "messages", r.messages() + " (" + r.bytes() + " bytes, " + r.messagesDropped() + " dropped)");
        out.printf(Locale.ROOT, f, "msgs per op", fmt(r.msgsPerOp()));
        out.printf(Locale.ROOT, f, "rmr", fmt(r.rmr()));
        out.printf(Locale.ROOT, f, "events", r.events() + " in " + fmt(r.wallNanos() / 1e6) + " ms wall ("
                + fmt(r.eventsPerS()) + "/s)");
        out.printf(Locale.ROOT, f, "settled", settled + " after " + fmt(engineNanos / 1e6) + " ms of engine time");
    }

    private static String fmt(double v) {
        if (!Double.isFinite(v)) {
            return "-";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return String.valueOf((long) v);
        }
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.1f" : "%.4g", v);
    }
}
