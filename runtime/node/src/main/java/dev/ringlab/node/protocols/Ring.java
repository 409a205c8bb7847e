package dev.ringlab.node.protocols;

import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Protocol;
import dev.ringlab.topology.Overlay;

/**
 * Ring pass: a broadcast goes around the fixed enumeration, each node handing it to its successor
 * {@code (i + 1) mod n}, until the node before the origin. One message per node reached, n - 1 in all (the
 * least any protocol can send), but n - 1 sequential hops: the last delivery comes (n - 1)·L after the
 * send on links of constant latency L.
 *
 * <p>Overlay: the successor is taken from the enumeration, not from the overlay's edges, so on any
 * overlay the broadcast travels i → i+1. On {@code ring}, {@code biring} and {@code chordal:K} those are
 * overlay edges; on other overlays the protocol sends over links that are not edges, which the simulator
 * allows (it delivers between any two nodes) but a transport that only connects overlay edges does not.
 * Use it on a ring-shaped overlay when the engine matters.
 *
 * <p>No repair: a crashed or partitioned successor stops the pass (the health layer rebuilds the ring).
 */
public final class Ring extends BroadcastNode {
    /** The protocol spec {@code ring}. */
    public static final Protocol PROTOCOL = new Protocol() {
        @Override
        public String spec() {
            return "ring";
        }

        @Override
        public Node create(int id, Overlay overlay) {
            return new Ring(overlay.size());
        }
    };

    private final int n;

    public Ring(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("a ring needs at least 1 node, got " + n);
        }
        this.n = n;
    }

    @Override
    protected void relay(int from, Message.Broadcast b) {
        int next = (env.self() + 1) % n;
        if (next != b.origin()) {
            env.send(next, b.forwarded());
        }
    }
}
