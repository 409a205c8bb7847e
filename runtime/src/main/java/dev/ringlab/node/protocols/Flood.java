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
    private final LongSet seen = new LongSet();
    private Env env;

    public Flood(Overlay overlay) {
        this.overlay = overlay;
    }

    @Override
    public void start(Env env) {
        this.env = env;
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
        }
    }

    private void onInject(Message.Inject inject) {
        long now = env.now();
        Message.Broadcast b = new Message.Broadcast(inject.id(), env.self(), now, 0, inject.payload());
        if (!seen.add(b.id())) {
            return;
        }
        env.observe(new Observation.Delivered(env.self(), b.id(), b.origin(), 0, now, now));
        forward(Env.CLIENT, b.forwarded());
    }

    private void onBroadcast(int from, Message.Broadcast b) {
        if (!seen.add(b.id())) {
            return;
        }
        env.observe(new Observation.Delivered(env.self(), b.id(), b.origin(), b.hop(), b.sentAtNanos(), env.now()));
        forward(from, b.forwarded());
    }

    private void forward(int from, Message.Broadcast next) {
        int self = env.self();
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
