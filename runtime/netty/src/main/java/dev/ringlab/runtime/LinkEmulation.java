package dev.ringlab.runtime;

import dev.ringlab.node.spec.LinkModel;
import dev.ringlab.node.spec.LinkModels;
import java.util.random.RandomGenerator;

/**
 * Link delay and loss that a real engine adds on each node's send path, on top of the real loopback
 * latency (this machine's kernel has no netem, so the runtime emulates them itself). A seeded plug-in:
 * every draw comes from the generator the node's {@link SendPath} hands in, one
 * {@link java.util.SplittableRandom} per node seeded from (run seed, node id), so the sequence of draws of a
 * node replays from the seed even though which message meets which draw depends on real scheduling.
 *
 * <p>Per message that a node sends to a neighbour: first the loss draw (only if the loss probability, with
 * any loss burst of the engine's {@link LinkFaults}, is above 0): a lost message is counted as a drop with
 * reason {@code loss}; then the delay draw. A delayed message is written to its connection when the
 * delay has passed, by a timer on the node's event loop; the connection and backpressure checks happen at
 * that moment. Delays are drawn independently per message, so a model that can draw different delays
 * (uniform, lognormal, empirical) reorders messages on a link, as the simulator does.
 */
public interface LinkEmulation {
    /** Added one-way delay of one message from {@code from} to {@code to}, >= 0, in nanoseconds. */
    long delayNanos(int from, int to, RandomGenerator random);

    /** Probability, 0..1, that one node-to-node message is lost. */
    double lossProbability();

    /**
     * Probability, 0..1, that one message from {@code from} to {@code to} is lost: {@link #lossProbability()}
     * and the link model's per-pair loss ({@link LinkModel#lossProbability(int, int)}), independently.
     */
    default double lossProbability(int from, int to) {
        return lossProbability();
    }

    /** The added-delay spec as the engine flag gives it ({@code const:1ms}, ...), or null when none is added. */
    String spec();

    /** Whether this adds anything: false for {@link #NONE}, which costs nothing on the send path. */
    default boolean active() {
        return true;
    }

    /** No added delay and no loss: the real links as they are. */
    LinkEmulation NONE = new LinkEmulation() {
        @Override
        public long delayNanos(int from, int to, RandomGenerator random) {
            return 0;
        }

        @Override
        public double lossProbability() {
            return 0;
        }

        @Override
        public String spec() {
            return null;
        }

        @Override
        public boolean active() {
            return false;
        }

        @Override
        public String toString() {
            return "LinkEmulation.NONE";
        }
    };

    /**
     * The emulation of an added-delay spec (null: none; parsed with {@link LinkModels#parse}) and a loss
     * probability: {@link #NONE} when both add nothing, otherwise the spec's {@link LinkModel} drawn per
     * message with the node's generator.
     *
     * @throws IllegalArgumentException for a bad spec or a probability outside 0..1
     */
    static LinkEmulation of(String addedLatency, double lossProbability) {
        if (!(lossProbability >= 0 && lossProbability <= 1)) {
            throw new IllegalArgumentException("loss probability must be in 0..1, got " + lossProbability);
        }
        if (addedLatency == null && lossProbability == 0) {
            return NONE;
        }
        LinkModel model = addedLatency == null ? null : LinkModels.parse(addedLatency);
        return new ModelEmulation(model, addedLatency, lossProbability);
    }

    /** A {@link LinkModel} as a {@link LinkEmulation}; {@code model} null adds no delay. */
    record ModelEmulation(LinkModel model, String spec, double lossProbability) implements LinkEmulation {
        @Override
        public long delayNanos(int from, int to, RandomGenerator random) {
            return model == null ? 0 : model.sampleNanos(from, to, random);
        }

        @Override
        public double lossProbability(int from, int to) {
            double pair = model == null ? 0 : model.lossProbability(from, to);
            return pair > 0 ? 1 - (1 - lossProbability) * (1 - pair) : lossProbability;
        }

        @Override
        public String toString() {
            return "emulation[latency=" + spec + " loss=" + lossProbability + "]";
        }
    }
}
