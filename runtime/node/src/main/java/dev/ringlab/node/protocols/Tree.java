package dev.ringlab.node.protocols;

import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Protocol;
import dev.ringlab.topology.Overlay;

/**
 * Spanning-tree broadcast: every node computes the same BFS spanning tree of the overlay, rooted at a centre
 * (a node of minimum eccentricity, lowest id among ties; see {@link SpanningTree} and {@link Centres}), and a
 * broadcast from any node travels the tree's edges: each node forwards it to its tree neighbours (parent and
 * children) except the one it came from. Exactly n - 1 messages per broadcast on a connected overlay
 * (relative message redundancy 0), in at most 2·depth hops, where the depth is the overlay's radius: rooted
 * at node 0 it would be node 0's eccentricity, up to the diameter, so a broadcast from a leaf would travel
 * leaf → root → leaf over up to twice the diameter.
 *
 * <p>The price is fragility: a lost message or a crashed inner node cuts off its whole subtree (no
 * retransmission, no repair), where flooding would route around it. On a directed overlay the tree's
 * edges are used both ways, so some sends follow an arc backwards. A disconnected overlay yields one tree
 * per component and a broadcast reaches its origin's component only.
 */
public final class Tree extends BroadcastNode {
    private final SpanningTree tree;

    Tree(SpanningTree tree) {
        this.tree = tree;
    }

    /** The protocol spec {@code tree}; each instance computes the overlay's tree once for all its nodes. */
    public static Protocol protocol() {
        SpanningTree.Cache cache = new SpanningTree.Cache(true);
        return new Protocol() {
            @Override
            public String spec() {
                return "tree";
            }

            @Override
            public Node create(int id, Overlay overlay) {
                return new Tree(cache.of(overlay));
            }
        };
    }

    @Override
    protected void relay(int from, Message.Broadcast b) {
        int self = env.self();
        Message.Broadcast next = b.forwarded();
        for (int i = 0; i < tree.degree(self); i++) {
            int to = tree.neighbour(self, i);
            if (to != from) {
                env.send(to, next);
            }
        }
    }
}
