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
}
