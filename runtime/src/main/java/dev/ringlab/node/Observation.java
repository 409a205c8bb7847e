package dev.ringlab.node;

/**
 * What nodes report for experiments to measure, as immutable records. Engines stream them to observers
 * unchanged, so a metric computed from observations means the same on every engine. Times are
 * {@link Env#now} nanoseconds.
 */
public sealed interface Observation {
    /** The node that reports. */
    int node();

    /**
     * Node {@code node} delivered broadcast {@code id} for the first time at {@code atNanos}, after
     * {@code hop} links ({@code hop == 0} at the origin, which delivers its own broadcast when injected).
     */
    record Delivered(int node, long id, int origin, int hop, long sentAtNanos, long atNanos) implements Observation {}
}
