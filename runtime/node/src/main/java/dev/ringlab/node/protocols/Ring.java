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
 * <p>Overlay: the successor is taken from the enumeration, not from the overlay's edges, so the broadcast
 * travels i → i+1, which must be overlay arcs: {@link #checkOverlay} refuses an overlay without the arc
 * {@code v -> (v + 1) mod n} for every {@code v} ({@code ring}, {@code biring} and {@code chordal:K} have
 * them), since every engine drops a send along a non-edge.
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

        @Override
        public void checkOverlay(Overlay overlay) {
            requireSuccessorArcs(overlay, "the ring broadcast");
        }
    };

    /**
     * Checks that {@code overlay} has the arc {@code v -> (v + 1) mod n} for every node {@code v} (none
     * needed for a single node).
     *
     * @throws IllegalArgumentException naming the first missing arc and what {@code who} needs
     */
    static void requireSuccessorArcs(Overlay overlay, String who) {
        int n = overlay.size();
        if (n < 2) {
            return;
        }
        for (int v = 0; v < n; v++) {
            int next = (v + 1) % n;
            boolean found = false;
            for (int i = 0; i < overlay.degree(v) && !found; i++) {
                found = overlay.neighbour(v, i) == next;
            }
            if (!found) {
                throw new IllegalArgumentException(who + " needs the arc v -> v+1 mod n for every node v, and overlay '"
                        + overlay.spec() + "' has no arc " + v + " -> " + next + ": use ring, biring or chordal:K");
            }
        }
    }

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
