package dev.ringlab.node.protocols;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Protocol;
import dev.ringlab.topology.Overlay;

/**
 * Flooding: on first receipt of a broadcast, deliver it and forward it to every (out-)neighbour but the
 * one it came from. Reaches every node reachable from the origin in the fewest hops, at the price of about
 * one message per edge direction per broadcast (relative message redundancy ≈ d - 2 on a d-regular graph).
 * A multi-edge or self-loop of the overlay (Margulis–Gabber–Galil has both) never causes a second copy to
 * one neighbour or a send to self.
 */
public final class Flood extends BroadcastNode {
    /** The protocol spec {@code flood}. */
    public static final Protocol PROTOCOL = new Protocol() {
        @Override
        public String spec() {
            return "flood";
        }

        @Override
        public Node create(int id, Overlay overlay) {
            return new Flood(overlay);
        }
    };

    private final Overlay overlay;
    /** Distinct peers if this node's overlay row has multi-edges or self-loops; null: use the row itself. */
    private int[] peers;

    public Flood(Overlay overlay) {
        this.overlay = overlay;
    }

    @Override
    public void start(Env env) {
        super.start(env);
        this.peers = Peers.distinctOrNull(overlay, env.self());
    }

    @Override
    protected void relay(int from, Message.Broadcast b) {
        forward(from, b.forwarded());
    }

    private void forward(int from, Message.Broadcast next) {
        int self = env.self();
        if (peers != null) {
            for (int to : peers) {
                if (to != from) {
                    env.send(to, next);
                }
            }
            return;
        }
        int start = overlay.offset(self);
        int end = start + overlay.degree(self);
        for (int i = start; i < end; i++) {
            int to = overlay.target(i);
            if (to != from && to != self) {
                env.send(to, next);
            }
        }
    }
}
