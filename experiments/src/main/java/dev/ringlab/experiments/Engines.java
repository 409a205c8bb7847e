package dev.ringlab.experiments;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.Protocol;
import dev.ringlab.runtime.LocalCluster;
import dev.ringlab.runtime.ProcessCluster;
import dev.ringlab.sim.LinkModel;
import dev.ringlab.sim.LinkModels;
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

    /**
     * Everything but the overlay and the protocol that shapes a run, the same on every engine.
     *
     * @param seed                  root seed of the run
     * @param latency               link latency spec ({@code const:1ms}, {@code uniform:1ms,5ms},
     *                              {@code lognormal:MEDIAN,SIGMA}, {@code empirical:FILE}); the simulator
     *                              draws from it, real engines may add it as an artificial delay
     * @param lossProbability       each node-to-node message is lost with this probability, 0..1
     * @param processingNanosPerMsg time a node is busy per message (simulator), 0 for none
     */
    public record Options(long seed, String latency, double lossProbability, long processingNanosPerMsg) {
        public Options {
            Objects.requireNonNull(latency, "latency");
            if (!(lossProbability >= 0 && lossProbability <= 1)) {
                throw new UsageException("--loss", "must be a probability in 0..1, got " + lossProbability);
            }
            if (processingNanosPerMsg < 0) {
                throw new UsageException("--processing", "must be >= 0, got " + processingNanosPerMsg + " ns");
            }
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
            // Real engines: links have the latency of loopback TCP (--latency is for the simulator), and
            // they lose nothing on purpose, so --loss and --processing must be 0 there.
            case NETTY -> {
                requireNoEmulation(engine, options);
                yield new LocalCluster(overlay, protocol, options.seed());
            }
            case PROCESSES -> {
                requireNoEmulation(engine, options);
                yield new ProcessCluster(overlay, protocol, options.seed(), ProcessCluster.selfLauncher());
            }
        };
    }

    private static void requireNoEmulation(Engine engine, Options options) {
        if (options.lossProbability() > 0) {
            throw new UsageException("--loss", "is simulator-only; engine " + engine.flag + " needs --loss 0");
        }
        if (options.processingNanosPerMsg() > 0) {
            throw new UsageException("--processing", "is simulator-only; engine " + engine.flag + " needs 0");
        }
    }

    /** How long a real engine must send nothing before {@link #settle} calls the run settled. */
    public static final long QUIET_NANOS = 250_000_000L;

    /**
     * Lets in-flight work finish after the last injection: on the simulator, runs until no event is
     * pending or {@code drainNanos} of virtual time pass (so a protocol with periodic timers still ends);
     * on a real engine, until no node has sent a message for {@link #QUIET_NANOS} or {@code drainNanos}
     * pass.
     *
     * @return true if the run settled (the simulator's queue is empty; a real engine went quiet)
     */
    public static boolean settle(Cluster cluster, long drainNanos) {
        if (cluster instanceof SimCluster sim) {
            // runUntil checks after every event and stops as soon as the queue is empty.
            sim.runUntil(() -> sim.pendingEvents() == 0, drainNanos);
            return sim.pendingEvents() == 0;
        }
        long[] last = {cluster.stats().messagesSent(), cluster.now()};
        return cluster.runUntil(() -> {
            long sent = cluster.stats().messagesSent();
            long now = cluster.now();
            if (sent != last[0]) {
                last[0] = sent;
                last[1] = now;
                return false;
            }
            return now - last[1] >= QUIET_NANOS;
        }, drainNanos);
    }
}
