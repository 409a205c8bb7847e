package dev.ringlab.sim;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.node.spec.UnsupportedRunException;

/**
 * The {@code sim} engine: the deterministic simulator ({@link SimCluster}) on a virtual clock, its links
 * drawn from the spec's link model ({@link RunSpec#simLink()}), seeded from the spec's seed. A protocol that
 * refuses the overlay ({@link dev.ringlab.node.Protocol#checkOverlay}) is refused as
 * {@link UnsupportedRunException} on field {@code overlay}, as on every engine.
 */
public final class SimEngine implements ClusterEngine {
    @Override
    public String name() {
        return "sim";
    }

    @Override
    public boolean deterministic() {
        return true;
    }

    @Override
    public Cluster build(RunSpec spec) {
        try {
            spec.protocol().checkOverlay(spec.overlay());
        } catch (IllegalArgumentException e) {
            throw new UnsupportedRunException("overlay", "protocol " + spec.protocol().spec() + ": " + e.getMessage());
        }
        return new SimCluster(spec.overlay(), spec.protocol(), new SimConfig(spec.seed(), spec.simLink(),
                spec.lossProbability(), spec.processingNanosPerMsg()));
    }
}
