package dev.ringlab.node.protocols;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Protocol;
import dev.ringlab.topology.Overlay;
import java.util.random.RandomGenerator;

/**
 * Push gossip with fanout F, the infect-and-die variant (Demers et al., "Epidemic algorithms for
 * replicated database maintenance", PODC 1987; Eugster et al., "Epidemic information dissemination in
 * distributed systems", IEEE Computer 2004): on the <em>first</em> receipt of a broadcast a node delivers
 * it and pushes it once to F distinct peers drawn uniformly from its overlay neighbours other than the one
 * it came from (the origin draws from all its neighbours); later copies are dropped. A node with fewer
 * than F eligible peers pushes to all of them.
 *
 * <p>About F messages per node reached, so gossip trades reliability for messages: on n nodes a full
 * reach needs F ≈ ln n on a complete graph, and a sparse overlay caps the useful F at its degree (there
 * F = d - 1 is flooding). Reliability below 1 is expected and is what experiments measure. Draws come only
 * from {@link Env#random()}, so a run replays from its seed.
 */
public final class Gossip extends BroadcastNode {
    private final int fanout;
    private final int[] peers;
    private final int[] scratch;

    /** @throws IllegalArgumentException if {@code fanout < 1} */
    public Gossip(Overlay overlay, int id, int fanout) {
        if (fanout < 1) {
            throw new IllegalArgumentException("gossip fanout must be >= 1, got " + fanout);
        }
        this.fanout = fanout;
        this.peers = Peers.distinct(overlay, id);
        this.scratch = new int[peers.length];
    }

    /** The protocol spec {@code gossip:F}. */
    public static Protocol protocol(int fanout) {
        if (fanout < 1) {
            throw new IllegalArgumentException("gossip fanout must be >= 1, got " + fanout);
        }
        return new Protocol() {
            @Override
            public String spec() {
                return "gossip:" + fanout;
            }

            @Override
            public Node create(int id, Overlay overlay) {
                return new Gossip(overlay, id, fanout);
            }
        };
    }

    @Override
    protected void relay(int from, Message.Broadcast b) {
        int k = 0;
        for (int p : peers) {
            if (p != from) {
                scratch[k++] = p;
            }
        }
        // Partial Fisher–Yates: the first min(F, k) slots become a uniform sample without replacement.
        int pushes = Math.min(fanout, k);
        RandomGenerator random = env.random();
        Message.Broadcast next = b.forwarded();
        for (int i = 0; i < pushes; i++) {
            int j = i + random.nextInt(k - i);
            int chosen = scratch[j];
            scratch[j] = scratch[i];
            scratch[i] = chosen;
            env.send(chosen, next);
        }
    }
}
