package dev.ringlab.node.protocols;

import dev.ringlab.node.BroadcastMessage;
import dev.ringlab.node.Env;
import dev.ringlab.node.LongSet;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;

/**
 * What every first-receipt broadcast protocol ({@link Flood}, {@link Ring}, {@link Gossip}, {@link Tree})
 * does the same way: a client's {@link Message.Inject} becomes a hop-0 {@link Message.Broadcast} at its
 * origin; a {@link Message.Batch} is its broadcasts one by one; the first copy of each broadcast is
 * delivered (one {@link Observation.Delivered}) and handed to {@link #relay}, later copies are dropped.
 * Subclasses decide only where a delivered broadcast goes next.
 *
 * <p>The seen-set keeps its latest two ids in fields of the node itself: in a simulated 10^6-node flood each
 * delivery lands on a random node, and a separate set object would be one more cache miss on the hottest
 * path; only a node that sees more than two broadcasts allocates a {@link LongSet}.
 */
abstract class BroadcastNode implements Node {
    protected Env env;
    private long seen0 = -1;
    private long seen1 = -1;
    private LongSet seenMore;

    @Override
    public void start(Env env) {
        this.env = env;
    }

    @Override
    public final void onMessage(int from, Message m) {
        // Tokens, heartbeats and application messages belong to other protocols: ignored (see Node#onMessage).
        if (m instanceof BroadcastMessage bm) {
            switch (bm) {
                case Message.Inject inject -> {
                    long now = env.now();
                    receive(Env.CLIENT, new Message.Broadcast(inject.id(), env.self(), now, 0, inject.payload()));
                }
                case Message.Broadcast b -> receive(from, b);
                case Message.Batch batch -> {
                    for (Message.Broadcast b : batch.items()) {
                        receive(from, b);
                    }
                }
            }
        }
    }

    /**
     * False for a broadcast this node has seen among its latest two (kept in the node's fields): a later copy is
     * dropped. True for anything else, also for an earlier id, kept in the set of a node that has seen more than
     * two (the set is another object, which the hint does not read).
     */
    @Override
    public final boolean mightAct(int from, Message m) {
        if (m instanceof Message.Broadcast b) {
            long id = b.id();
            return id != seen0 && id != seen1;
        }
        return true;
    }

    /** True: a broadcast's id stays in the seen-set for the node's life, and a copy of a seen one is dropped. */
    @Override
    public final boolean dropsSeenBroadcasts() {
        return true;
    }

    private void receive(int from, Message.Broadcast b) {
        if (!markSeen(b.id())) {
            return;
        }
        if (env.hasObservers()) {
            env.observe(new Observation.Delivered(env.self(), b.id(), b.origin(), b.hop(), b.sentAtNanos(), env.now()));
        }
        relay(from, b);
    }

    /**
     * Sends broadcast {@code b}, just delivered here for the first time, on to other nodes (as
     * {@code b.forwarded()}). {@code from} is the node it came from, or {@link Env#CLIENT} at the origin.
     */
    protected abstract void relay(int from, Message.Broadcast b);

    /**
     * Records broadcast {@code id} as seen; false if it was already (ids are non-negative). The fields hold the two
     * latest ids, the set every earlier one: a stream's copies arrive while their broadcast is among the latest,
     * so {@link #mightAct}, which reads only the fields, answers false for them.
     */
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
        } else if (seenMore.contains(id)) {
            return false;
        }
        seenMore.add(seen0);
        seen0 = seen1;
        seen1 = id;
        return true;
    }
}
