package dev.ringlab.runtime;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.node.spec.UnsupportedRunException;

/**
 * The {@code processes} engine: one JVM per node ({@link ProcessCluster}), killed with SIGKILL on a crash
 * and respawned on a restart. Latency and loss are emulated in each child as on {@link NettyEngine}.
 * Refuses {@code processing > 0}, an overlay the protocol refuses, and a protocol whose spec the protocol
 * registry cannot rebuild (a child builds its protocol from the spec alone, {@link NodeMain}).
 */
public final class ProcessesEngine implements ClusterEngine {
    private final NodeHosts hosts;

    /** Every node on loopback. */
    public ProcessesEngine() {
        this(null);
    }

    /** Nodes where {@code hosts} says (null: every node on loopback); see {@link NodeHosts}. */
    public ProcessesEngine(NodeHosts hosts) {
        this.hosts = hosts;
    }

    @Override
    public String name() {
        return "processes";
    }

    @Override
    public boolean deterministic() {
        return false;
    }

    @Override
    public Cluster build(RunSpec spec) {
        NettyEngine.requireNoProcessing(name(), spec);
        NettyEngine.requireOverlayFits(spec);
        try {
            ProcessCluster.requireRebuildable(spec.protocol());
        } catch (IllegalArgumentException e) {
            throw new UnsupportedRunException("protocol", e.getMessage());
        }
        if (hosts != null && hosts.size() != spec.overlay().size()) {
            throw new UnsupportedRunException("hosts", "the hosts file lists " + hosts.size() + " nodes and the run has "
                    + spec.overlay().size() + ": give one entry per node, or -n " + hosts.size());
        }
        return new ProcessCluster(spec.overlay(), spec.protocol(), spec.seed(), ProcessCluster.selfLauncher(),
                LinkEmulation.of(spec.linkSpec(), spec.lossProbability()), hosts);
    }
}
