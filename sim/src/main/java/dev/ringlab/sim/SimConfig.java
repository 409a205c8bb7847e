package dev.ringlab.sim;

import dev.ringlab.node.spec.LinkModel;
import dev.ringlab.node.spec.Durations;
import dev.ringlab.sim.model.EngineModel;

import java.util.Objects;

/**
 * Everything that shapes a simulated run besides the overlay and the protocol. Printable: a run's header
 * names every field, so it can be replayed.
 *
 * @param seed                   the root seed: every random stream of the run (nodes, links) is split
 *                               from it
 * @param link                   one-way link latency model
 * @param lossProbability        each node-to-node message is lost with this probability, 0..1
 * @param processingNanosPerMsg  time a node is busy handling one message; deliveries to a busy node
 *                               queue behind each other, as a burst does on a real host (0: infinitely
 *                               fast nodes)
 * @param model                  the calibrated model of a real engine's resources, or null (the plain
 *                               simulator: a run without a model keeps its draws and trace hash)
 */
public record SimConfig(long seed, LinkModel link, double lossProbability, long processingNanosPerMsg, EngineModel model) {
    /** Without an engine model. */
    public SimConfig(long seed, LinkModel link, double lossProbability, long processingNanosPerMsg) {
        this(seed, link, lossProbability, processingNanosPerMsg, null);
    }

    public SimConfig {
        Objects.requireNonNull(link, "link");
        if (!(lossProbability >= 0 && lossProbability <= 1)) {
            throw new IllegalArgumentException("loss probability must be in 0..1, got " + lossProbability);
        }
        if (processingNanosPerMsg < 0) {
            throw new IllegalArgumentException("processing time must be >= 0, got " + processingNanosPerMsg);
        }
    }

    /** Seed {@code seed}, constant 1 ms links, no loss, no processing time. */
    public static SimConfig of(long seed) {
        return new SimConfig(seed, LinkModel.constant(1_000_000L), 0, 0);
    }

    public SimConfig withLink(LinkModel l) {
        return new SimConfig(seed, l, lossProbability, processingNanosPerMsg, model);
    }

    public SimConfig withLoss(double p) {
        return new SimConfig(seed, link, p, processingNanosPerMsg, model);
    }

    public SimConfig withProcessingNanos(long nanos) {
        return new SimConfig(seed, link, lossProbability, nanos, model);
    }

    public SimConfig withModel(EngineModel m) {
        return new SimConfig(seed, link, lossProbability, processingNanosPerMsg, m);
    }

    @Override
    public String toString() {
        return "seed=" + seed + " latency=" + link.spec() + " loss=" + lossProbability + " processing="
                + Durations.format(processingNanosPerMsg) + (model == null ? "" : " model=" + model.describe());
    }
}
