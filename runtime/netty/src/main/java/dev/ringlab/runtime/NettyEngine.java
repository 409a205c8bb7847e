package dev.ringlab.runtime;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.node.spec.UnsupportedRunException;

/**
 * The {@code netty} engine: every node in this JVM on its own loopback port ({@link LocalCluster}). The
 * spec's latency and loss are the runtime's seeded emulation on each node's send path, on top of the real
 * loopback latency ({@link LinkEmulation}); the fault plan's slow nodes and loss bursts act on the same send
 * paths ({@link LinkFaults}). The {@link ConnectionPolicy} is {@link RuntimeConfig#defaults()}'s: the property
 * {@value ConnectionPolicy#PROPERTY} ({@code --connections}) if set, else the protocol's default. Refuses
 * {@code processing > 0} and an overlay the protocol refuses.
 */
public final class NettyEngine implements ClusterEngine {
    @Override
    public String name() {
        return "netty";
    }

    @Override
    public boolean deterministic() {
        return false;
    }

    @Override
    public Cluster build(RunSpec spec) {
        requireNoProcessing(name(), spec);
        requireOverlayFits(spec);
        return new LocalCluster(spec.overlay(), spec.protocol(), spec.seed(), RuntimeConfig.defaults(), 0,
                LinkEmulation.of(spec.linkSpec(), spec.lossProbability()));
    }

    /**
     * The protocol's own check of the overlay ({@link dev.ringlab.node.Protocol#checkOverlay}), refused on
     * field {@code overlay} as on every engine.
     */
    static void requireOverlayFits(RunSpec spec) {
        try {
            spec.protocol().checkOverlay(spec.overlay());
        } catch (IllegalArgumentException e) {
            throw new UnsupportedRunException("overlay", "protocol " + spec.protocol().spec() + ": " + e.getMessage());
        }
    }

    /**
     * A real engine's nodes are as busy per message as they really are: adding busy time would need the
     * node's loop to stall (a busy-wait), which would misreport the machine, so it is refused.
     */
    static void requireNoProcessing(String engine, RunSpec spec) {
        if (spec.processingNanosPerMsg() > 0) {
            throw new UnsupportedRunException("processing", "is simulator-only: engine " + engine
                    + " spends the real per-message time and cannot add busy time honestly; use --processing 0ns");
        }
    }
}
