package dev.ringlab.node.protocols;

import dev.ringlab.node.Env;
import dev.ringlab.node.LongSet;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.topology.Overlay;

/**
 * Flooding: on first receipt of a broadcast, deliver it and forward it to every (out-)neighbour but the
 * one it came from. Reaches every node reachable from the origin in the fewest hops, at the price of about
 * one message per edge direction per broadcast (relative message redundancy ≈ d - 2 on a d-regular graph).
 * A multi-edge or self-loop of the overlay (Margulis–Gabber–Galil has both) never causes a second copy to
 * one neighbour or a send to self.
 */
public final class Flood implements Node {
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
    // The seen-set, with its first two ids inline: on a simulated 10^6-node flood each delivery lands on a
    // random node, and a separate set object would be one more cache miss on the hottest path.
    private long seen0 = -1;
    private long seen1 = -1;
    private LongSet seenMore;
    private Env env;

    public Flood(Overlay overlay) {
        this.overlay = overlay;
    }

    @Override
    public void start(Env env) {
        this.env = env;
        this.peers = Peers.distinctOrNull(overlay, env.self());
    }

    @Override
    public void onMessage(int from, Message m) {
        switch (m) {
            case Message.Inject inject -> onInject(inject);
            case Message.Broadcast b -> onBroadcast(from, b);
            case Message.Batch batch -> {
                for (Message.Broadcast b : batch.items()) {
                    onBroadcast(from, b);
                }
            }
            case Message.Token t -> {
                // Not a broadcast protocol's concern: the ring's token belongs to TokenRing.
            }
            default -> {
                // Ring health messages (HealingRing's heartbeats and membership) are not a broadcast's concern.
            }
        }
    }

    private void onInject(Message.Inject inject) {
        long now = env.now();
        Message.Broadcast b = new Message.Broadcast(inject.id(), env.self(), now, 0, inject.payload());
        if (!markSeen(b.id())) {
            return;
        }
        env.observe(new Observation.Delivered(env.self(), b.id(), b.origin(), 0, now, now));
        forward(Env.CLIENT, b.forwarded());
    }

    private void onBroadcast(int from, Message.Broadcast b) {
        if (!markSeen(b.id())) {
            return;
        }
        env.observe(new Observation.Delivered(env.self(), b.id(), b.origin(), b.hop(), b.sentAtNanos(), env.now()));
        forward(from, b.forwarded());
    }

    /** Records broadcast {@code id} as seen; false if it was already (ids are non-negative). */
    private boolean markSeen(long id) {
        if (id == seen0 || id == seen1) {
            return false;
        }
        if (seen0 < 0) {
            seen0 = id;
            return true;
        }
        if (seen1 < 0) {
            seen1 = id;
            return true;
        }
        if (seenMore == null) {
            seenMore = new LongSet();
        }
        return seenMore.add(id);
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
