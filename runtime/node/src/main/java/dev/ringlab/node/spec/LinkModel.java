package dev.ringlab.node.spec;

import java.util.random.RandomGenerator;

/**
 * One-way latency of a link, in nanoseconds, drawn per message. Implementations are immutable and draw
 * only from the generator they are handed, so a run replays from its seed.
 */
public interface LinkModel {
    /** Latency for one message from {@code from} to {@code to}; always >= 0. */
    long sampleNanos(int from, int to, RandomGenerator random);

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
