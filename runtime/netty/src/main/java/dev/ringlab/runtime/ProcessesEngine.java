package dev.ringlab.runtime;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.RunSpec;

/**
 * The {@code processes} engine: one JVM per node ({@link ProcessCluster}), killed with SIGKILL on a crash
 * and respawned on a restart. Latency and loss are emulated in each child as on {@link NettyEngine}.
 */
public final class ProcessesEngine implements ClusterEngine {
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
        return new ProcessCluster(spec.overlay(), spec.protocol(), spec.seed(), ProcessCluster.selfLauncher(),
                LinkEmulation.of(spec.latency(), spec.lossProbability()));
    }
}
