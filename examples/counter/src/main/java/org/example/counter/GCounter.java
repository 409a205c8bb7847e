package org.example.counter;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Protocol;
import dev.ringlab.topology.Overlay;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A state-based grow-only counter (a G-counter CRDT): each node counts its own increments in its entry of a
 * vector, gossips the whole vector to its overlay neighbours, and merges what it receives by taking the
 * maximum of each entry; the counter's value is the sum. Merging is idempotent and commutative, so duplicates
 * and reordering do no harm, and resending the state is what repairs lost messages.
 *
 * <p>Each node reports its value as a {@link CounterValue}, the protocol's own observation, whenever its
 * state grows.
 *
 * <p>{@link #BROKEN} plants a bug: to save traffic it gossips only when its state changed since its last
 * gossip. A state whose gossip was lost (a partition, a loss burst) is then never resent, and a node that
 * missed the last increments never catches up.
 *
 * <p>No durable state: a crashed node forgets its increments, so the tests use no crash faults.
 */
public final class GCounter implements Protocol {
    /** The correct counter: gossips its state every {@link #GOSSIP_NANOS}. */
    public static final GCounter CORRECT = new GCounter(false);
    /** The planted bug: gossips only after a change. */
    public static final GCounter BROKEN = new GCounter(true);

    static final long GOSSIP_NANOS = 20_000_000L;

    private final boolean onlyOnChange;

    private GCounter(boolean onlyOnChange) {
        this.onlyOnChange = onlyOnChange;
    }

    @Override
    public String spec() {
        return onlyOnChange ? "g-counter-broken" : "g-counter";
    }

    @Override
    public Node create(int id, Overlay overlay) {
        return new CounterNode(id, overlay.size(), peers(id, overlay), onlyOnChange);
    }

    /** Both directions of every edge: an overlay edge carries messages either way. */
    static int[] peers(int v, Overlay overlay) {
        List<Integer> out = new ArrayList<>();
        for (int u = 0; u < overlay.size(); u++) {
            if (u == v) {
                continue;
            }
            int other = u;
            boolean edge = Arrays.stream(overlay.neighbours(v)).anyMatch(w -> w == other)
                    || Arrays.stream(overlay.neighbours(u)).anyMatch(w -> w == v);
            if (edge) {
                out.add(u);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The counter's value in a vector: the sum of its entries. */
    public static long value(long[] counts) {
        long sum = 0;
        for (long c : counts) {
            sum += c;
        }
        return sum;
    }

    private static final class CounterNode implements Node {
        private final int self;
        private final int[] peers;
        private final long[] counts;
        private final boolean onlyOnChange;
        private Env env;
        private boolean changedSinceGossip;

        CounterNode(int self, int n, int[] peers, boolean onlyOnChange) {
            this.self = self;
            this.peers = peers;
            this.counts = new long[n];
            this.onlyOnChange = onlyOnChange;
        }

        @Override
        public void start(Env e) {
            env = e;
            // Nodes start their gossip rounds at different phases, as real nodes would.
            env.schedule(env.random().nextLong(GOSSIP_NANOS), this::gossip);
        }

        @Override
        public void onMessage(int from, Message m) {
            if (!(m instanceof CounterMessage cm)) {
                return;
            }
            switch (cm) {
                case CounterMessage.Increment inc -> {
                    if (from == Env.CLIENT) {
                        counts[self] += inc.amount();
                        changed();
                        if (onlyOnChange) {
                            gossipNow();
                        }
                    }
                }
                case CounterMessage.State s -> {
                    long[] theirs = s.counts();
                    boolean grew = false;
                    for (int i = 0; i < counts.length && i < theirs.length; i++) {
                        if (theirs[i] > counts[i]) {
                            counts[i] = theirs[i];
                            grew = true;
                        }
                    }
                    if (grew) {
                        changed();
                        if (onlyOnChange) {
                            gossipNow();
                        }
                    }
                }
            }
        }

        private void changed() {
            changedSinceGossip = true;
            env.observe(new CounterValue(self, value(counts), env.now()));
        }

        private void gossip() {
            if (!onlyOnChange || changedSinceGossip) {
                gossipNow();
            }
            env.schedule(GOSSIP_NANOS, this::gossip);
        }

        private void gossipNow() {
            changedSinceGossip = false;
            CounterMessage.State s = new CounterMessage.State(counts);
            for (int p : peers) {
                env.send(p, s);
            }
        }
    }
}
