package dev.ringlab.node.spec;

import java.util.random.RandomGenerator;

/**
 * One-way latency of a link, in nanoseconds, drawn per message. Implementations are immutable and draw
 * only from the generator they are handed, so a run replays from its seed.
 */
public interface LinkModel {
    /** Latency for one message from {@code from} to {@code to}; always >= 0. */
    long sampleNanos(int from, int to, RandomGenerator random);

    /**
     * Probability, 0..1, that one message from {@code from} to {@code to} is lost because of the link model
     * itself (a per-pair loss, e.g. a WAN link of {@link DcLinkModel}), drawn independently of the run's own
     * loss probability. Engines draw it only when it is above 0, so a model without per-pair loss (the
     * default, 0) keeps every run's draws and trace hash.
     */
    default double lossProbability(int from, int to) {
        return 0;
    }

    /** Largest value {@link #sampleNanos} can return (bounds the event queue's horizon). */
    long maxNanos();

    /** The spec that parses back to this model, e.g. {@code const:1ms}. */
    String spec();

    /** Constant latency. */
    static LinkModel constant(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("latency must be >= 0, got " + nanos + " ns");
        }
        return new LinkModel() {
            @Override
            public long sampleNanos(int from, int to, RandomGenerator random) {
                return nanos;
            }

            @Override
            public long maxNanos() {
                return nanos;
            }

            @Override
            public String spec() {
                return "const:" + Durations.format(nanos);
            }
        };
    }
}
