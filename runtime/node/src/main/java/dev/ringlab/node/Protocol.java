package dev.ringlab.node;

import dev.ringlab.topology.Overlay;

/**
 * Makes the {@link Node} that runs at each position of an overlay. Engines call {@link #create} at start
 * and again on every restart, so a restarted node starts from a clean state.
 */
public interface Protocol {
    /** The spec that names this protocol on the command line, e.g. {@code "gossip:3"}. */
    String spec();

    /** A fresh node for position {@code id} of {@code overlay}. */
    Node create(int id, Overlay overlay);

    /**
     * Refuses an overlay this protocol cannot work on. Engines call it once when they are built, before
     * starting anything (before any socket, thread or process exists), so a mismatch fails up front
     * instead of as messages dropped along non-edges ({@link ClusterStats#NO_EDGE}). The default accepts
     * every overlay: a protocol that only sends to its overlay neighbours works on any of them.
     *
     * @throws IllegalArgumentException naming what the protocol needs (e.g. "the arc 3 -> 4"), if it cannot
     *     work on {@code overlay}
     */
    default void checkOverlay(Overlay overlay) {}
}
