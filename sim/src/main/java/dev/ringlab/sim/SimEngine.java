package dev.ringlab.sim;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.spec.ClusterEngine;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.node.spec.LinkModel;
import dev.ringlab.node.spec.UnsupportedRunException;
import dev.ringlab.sim.model.EngineModel;

/**
 * The {@code sim} engine: the deterministic simulator ({@link SimCluster}) on a virtual clock, its links
 * drawn from the spec's link model ({@link RunSpec#simLink()}), seeded from the spec's seed. A protocol that
 * refuses the overlay ({@link dev.ringlab.node.Protocol#checkOverlay}) is refused as
 * {@link UnsupportedRunException} on field {@code overlay}, as on every engine.
 */
public final class SimEngine implements ClusterEngine {
    private final EngineModel model;

    /** The plain simulator. */
    public SimEngine() {
        this(null);
    }

    /**
     * The simulator with a calibrated model of a real engine's resources ({@link EngineModel}), or the plain
     * one for null. With a model, a spec without a latency runs on the model's hot links, and a processing
     * time is refused when the model has a CPU part (the model's service times replace it).
     */
    public SimEngine(EngineModel model) {
        this.model = model;
    }

    /** The engine model, or null. */
    public EngineModel model() {
        return model;
    }

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
        if (model == null) {
            return new SimCluster(spec.overlay(), spec.protocol(), new SimConfig(spec.seed(), spec.simLink(),
                    spec.lossProbability(), spec.processingNanosPerMsg()));
        }
        if (model.cpu() != null && spec.processingNanosPerMsg() > 0) {
            throw new UnsupportedRunException("processing", "the engine model's CPU part sets the per-message service "
                    + "times; drop --processing or --model");
        }
        LinkModel link = spec.latency() == null && model.hotLink() != null ? model.hotLink() : spec.simLink();
        return new SimCluster(spec.overlay(), spec.protocol(), new SimConfig(spec.seed(), link, spec.lossProbability(),
                spec.processingNanosPerMsg(), model));
    }
}
