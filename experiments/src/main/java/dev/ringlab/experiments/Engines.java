package dev.ringlab.experiments;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.Protocol;
import dev.ringlab.runtime.LinkEmulation;
import dev.ringlab.runtime.LocalCluster;
import dev.ringlab.runtime.ProcessCluster;
import dev.ringlab.runtime.RuntimeConfig;
import dev.ringlab.node.spec.LinkModel;
import dev.ringlab.node.spec.LinkModels;
import dev.ringlab.sim.SimCluster;
import dev.ringlab.sim.SimConfig;
import dev.ringlab.topology.Overlay;
import java.util.Locale;
import java.util.Objects;

/**
 * The {@code --engine} flag shared by every command: which engine runs a {@link Cluster}, and how to build
 * one from the same options on each. Adding an engine means one case in {@link #build} (and its
 * {@link #settle} if it differs) and removing it from {@link #checkAvailable}.
 */
public final class Engines {
    /** The values {@code --engine} accepts. */
    public enum Engine {
        SIM("sim"),
        NETTY("netty"),
        PROCESSES("processes");

        private final String flag;

        Engine(String flag) {
            this.flag = flag;
        }

        /** The name on the command line and in reports. */
        public String flag() {
            return flag;
        }
    }

    /** What {@code --engine} can run today. */
    public static final String AVAILABLE = "sim, netty, processes";

    /** The simulator's link latency when a command is not given {@code --latency}. */
    public static final String DEFAULT_SIM_LATENCY = "const:1ms";

    /**
     * Everything but the overlay and the protocol that shapes a run, the same on every engine.
     *
     * <p>Real engines (netty, processes) have the latency of loopback TCP; they add a seeded delay on each
     * node's send path only when {@code addedLatency} says so, and the loss on top
     * ({@link #emulation}). Build with {@link #given} from a command whose {@code --latency} is null when
     * not given: then the simulator uses {@link #DEFAULT_SIM_LATENCY} and real engines add no delay, and a
     * given spec applies to every engine. The 4-argument constructor keeps {@code latency} the
     * simulator's only (real engines add no delay), for commands that always pass a spec.
     *
     * @param seed                  root seed of the run
     * @param latency               the simulator's link latency spec ({@code const:1ms}, {@code uniform:1ms,5ms},
     *                              {@code lognormal:MEDIAN,SIGMA}, {@code empirical:FILE})
     * @param lossProbability       each node-to-node message is lost with this probability, 0..1 (the
     *                              simulator draws it; real engines emulate it on the send path)
     * @param processingNanosPerMsg time a node is busy per message (simulator only), 0 for none
     * @param addedLatency          the delay spec real engines add on top of loopback, or null for none
     */
    public record Options(long seed, String latency, double lossProbability, long processingNanosPerMsg,
            String addedLatency) {
        public Options {
            Objects.requireNonNull(latency, "latency");
            if (!(lossProbability >= 0 && lossProbability <= 1)) {
                throw new UsageException("--loss", "must be a probability in 0..1, got " + lossProbability);
            }
            if (processingNanosPerMsg < 0) {
                throw new UsageException("--processing", "must be >= 0, got " + processingNanosPerMsg + " ns");
            }
        }

        /** {@code latency} for the simulator only: real engines add no delay (loss still applies). */
        public Options(long seed, String latency, double lossProbability, long processingNanosPerMsg) {
            this(seed, latency, lossProbability, processingNanosPerMsg, null);
        }

        /**
         * Options of a command whose {@code --latency} is null when not given: the simulator then uses
         * {@link #DEFAULT_SIM_LATENCY} and real engines add no delay; a given spec applies to every engine
         * (on real engines as an added delay on top of loopback).
         */
        public static Options given(long seed, String latencyOrNull, double lossProbability, long processingNanosPerMsg) {
            return new Options(seed, latencyOrNull == null ? DEFAULT_SIM_LATENCY : latencyOrNull, lossProbability,
                    processingNanosPerMsg, latencyOrNull);
        }

        /** What the run's {@code latency} field reports on {@code engine}: the spec drawn from or added, or null. */
        public String latencyOn(Engine engine) {
            return engine == Engine.SIM ? latency : addedLatency;
        }
    }

    private Engines() {}

    /** @throws UsageException naming {@code --engine} and the allowed values */
    public static Engine parse(String name) {
        String s = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (Engine e : Engine.values()) {
            if (e.flag.equals(s)) {
                return e;
            }
        }
        throw new UsageException("--engine", "unknown engine '" + name + "': use sim, netty or processes");
    }

    /** Fails fast, before an expensive overlay is built, for an engine that cannot run yet. */
    public static void checkAvailable(Engine engine) {
        switch (engine) {
            case SIM, NETTY, PROCESSES -> {}
        }
    }

    /** The link model of a {@code --latency} spec. @throws UsageException naming {@code --latency} */
    public static LinkModel link(String spec) {
        try {
            return LinkModels.parse(spec);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--latency", e.getMessage());
        }
    }

    /** A cluster (not started) running {@code protocol} on {@code overlay} on {@code engine}. */
    public static Cluster build(Engine engine, Overlay overlay, Protocol protocol, Options options) {
        checkAvailable(engine);
        return switch (engine) {
            case SIM -> new SimCluster(overlay, protocol, new SimConfig(options.seed(), link(options.latency()),
                    options.lossProbability(), options.processingNanosPerMsg()));
            // Real engines: links have the latency of loopback TCP; the added delay and the loss are the
            // runtime's seeded emulation on each node's send path, on top of it.
            case NETTY -> {
                requireNoProcessing(engine, options);
                yield new LocalCluster(overlay, protocol, options.seed(), RuntimeConfig.defaults(), 0,
                        emulation(options.addedLatency(), options.lossProbability()));
            }
            case PROCESSES -> {
                requireNoProcessing(engine, options);
                yield new ProcessCluster(overlay, protocol, options.seed(), ProcessCluster.selfLauncher(),
                        emulation(options.addedLatency(), options.lossProbability()));
            }
        };
    }

    /**
     * A real engine's nodes are as busy per message as they really are: adding busy time would need the
     * node's loop to stall (a busy-wait), which would misreport the machine, so it is refused.
     */
    private static void requireNoProcessing(Engine engine, Options options) {
        if (options.processingNanosPerMsg() > 0) {
            throw new UsageException("--processing", "is simulator-only: engine " + engine.flag
                    + " spends the real per-message time and cannot add busy time honestly; use --processing 0ns");
        }
    }

    /**
     * The runtime's link emulation for an added-delay spec (null: none) and a loss probability
     * ({@link LinkEmulation#of}).
     *
     * @throws UsageException naming {@code --latency} or {@code --loss}
     */
    public static LinkEmulation emulation(String addedLatency, double lossProbability) {
        if (!(lossProbability >= 0 && lossProbability <= 1)) {
            throw new UsageException("--loss", "must be a probability in 0..1, got " + lossProbability);
        }
        if (addedLatency != null) {
            link(addedLatency);
        }
        return LinkEmulation.of(addedLatency, lossProbability);
    }

    /**
     * Lets in-flight work finish after the last injection ({@link Cluster#settle}).
     *
     * @return true if the run settled (the simulator's queue is empty; a real engine went quiet)
     */
    public static boolean settle(Cluster cluster, long drainNanos) {
        return cluster.settle(drainNanos).quiet();
    }
}
