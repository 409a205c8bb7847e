package dev.ringlab.experiments;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.runtime.LinkEmulation;
import dev.ringlab.runtime.NettyEngine;
import dev.ringlab.runtime.ProcessesEngine;
import dev.ringlab.sim.SimCluster;
import dev.ringlab.sim.SimEngine;
import java.util.List;
import java.util.Locale;

/**
 * The engines {@code --engine} names: the one list of {@link ClusterEngine}s the CLI knows. Everything else
 * about an engine is reached through {@link ClusterEngine} and {@link Cluster}, so the experiments hold no
 * per-engine branch; adding an engine means adding it here.
 */
public final class Engines {
    /** What {@code --engine} accepts, for help texts. */
    public static final String NAMES = "sim, netty, processes";

    private static final List<ClusterEngine> ALL = List.of(new SimEngine(), new NettyEngine(), new ProcessesEngine());

    private Engines() {}

    /** Every engine, in the order {@link #NAMES} lists them. */
    public static List<ClusterEngine> all() {
        return ALL;
    }

    /** @throws UsageException naming {@code --engine} and the allowed values */
    public static ClusterEngine byName(String name) {
        String s = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        for (ClusterEngine e : ALL) {
            if (e.name().equals(s)) {
                return e;
            }
        }
        throw new UsageException("--engine", "unknown engine '" + name + "': use sim, netty or processes");
    }

    /**
     * Adds {@code check} as a cluster-wide invariant run after every event, where the engine can run one
     * (the simulator, whose events happen one at a time); returns whether it will run. Real engines handle
     * events on several threads at once, so there is no instant "after an event" to check at.
     *
     * <p>The one place the CLI names an engine class outside simulator-only commands: {@link Cluster} has
     * no invariant hook yet (a {@code boolean addInvariant(Runnable)} defaulting to false would remove it).
     */
    public static boolean checkAfterEveryEvent(Cluster cluster, Runnable check) {
        if (cluster instanceof SimCluster sim) {
            sim.addInvariant(check);
            return true;
        }
        return false;
    }

    /**
     * The runtime's link emulation for an added-delay spec (null: none) and a loss probability, for
     * {@code ringlab node}, which reads them from the cluster file ({@link LinkEmulation#of}).
     *
     * @throws UsageException naming {@code --latency} or {@code --loss}
     */
    public static LinkEmulation emulation(String addedLatency, double lossProbability) {
        if (!(lossProbability >= 0 && lossProbability <= 1)) {
            throw new UsageException("--loss", RunOptions.LOSS_RANGE + lossProbability);
        }
        try {
            return LinkEmulation.of(addedLatency, lossProbability);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--latency", e.getMessage());
        }
    }
}
