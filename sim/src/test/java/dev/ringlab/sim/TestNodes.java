package dev.ringlab.sim;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.topology.Overlay;
import java.util.List;
import java.util.SplittableRandom;

/** Small graphs and protocols for simulator tests, independent of the protocols under development. */
final class TestNodes {
    private TestNodes() {}

    /** Union of d/2 seeded random Hamiltonian cycles: connected, d-regular (parallel edges possible). */
    static Overlay cycles(int n, int d, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int[][] adj = new int[n][d];
        int[] fill = new int[n];
        int[] order = new int[n];
        for (int c = 0; c < d / 2; c++) {
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            for (int i = n - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            for (int i = 0; i < n; i++) {
                int u = order[i];
                int v = order[(i + 1) % n];
                adj[u][fill[u]++] = v;
                adj[v][fill[v]++] = u;
            }
        }
        return Overlay.fromAdjacency("cycles:" + d, false, adj);
    }

    static Overlay complete(int n) {
        int[][] adj = new int[n][];
        for (int v = 0; v < n; v++) {
            adj[v] = new int[n - 1];
            for (int u = 0, k = 0; u < n; u++) {
                if (u != v) {
                    adj[v][k++] = u;
                }
            }
        }
        return Overlay.fromAdjacency("complete", false, adj);
    }

    /**
     * Flooding with a jitter: on the first copy of a broadcast a node observes it, then waits a delay drawn
     * from its own {@link Env#random()} (0..99 us) on a timer before forwarding to every neighbour but the
     * sender. Exercises node streams, timers and the network together.
     */
    static final Protocol JITTER_FLOOD = new Protocol() {
        @Override
        public String spec() {
            return "jitter-flood";
        }

        @Override
        public Node create(int id, Overlay overlay) {
            return new Node() {
                private Env env;
                private final dev.ringlab.node.LongSet seen = new dev.ringlab.node.LongSet();

                @Override
                public void start(Env e) {
                    env = e;
                }

                @Override
                public void onMessage(int from, Message m) {
                    long bid;
                    int hop;
                    if (m instanceof Message.Inject i) {
                        bid = i.id();
                        hop = 0;
                    } else if (m instanceof Message.Broadcast b) {
                        bid = b.id();
                        hop = b.hop();
                    } else {
                        return;
                    }
                    if (!seen.add(bid)) {
                        return;
                    }
                    env.observe(new Observation.Delivered(env.self(), bid, 0, hop, 0, env.now()));
                    Message.Broadcast next = new Message.Broadcast(bid, 0, 0, hop + 1, new byte[0]);
                    env.schedule(env.random().nextInt(100) * 1_000L, () -> {
                        for (int i = 0; i < overlay.degree(env.self()); i++) {
                            int to = overlay.neighbour(env.self(), i);
                            if (to != from && to != env.self()) {
                                env.send(to, next);
                            }
                        }
                    });
                }
            };
        }
    };

    /**
     * A node that, on a client {@code Inject(id, payload)}, sends {@code payload.length} copies of a
     * broadcast to node {@code id}, and logs every node-to-node message it receives as
     * {@code {now, from, self}} into {@code log}.
     */
    static Protocol sender(List<long[]> log) {
        return new Protocol() {
            @Override
            public String spec() {
                return "sender";
            }

            @Override
            public Node create(int id, Overlay overlay) {
                return new Node() {
                    private Env env;

                    @Override
                    public void start(Env e) {
                        env = e;
                    }

                    @Override
                    public void onMessage(int from, Message m) {
                        if (m instanceof Message.Inject i) {
                            Message.Broadcast b = new Message.Broadcast(i.id(), env.self(), env.now(), 0, new byte[0]);
                            for (int k = 0; k < i.payload().length; k++) {
                                env.send((int) i.id(), b);
                            }
                        } else {
                            log.add(new long[] {env.now(), from, env.self()});
                        }
                    }
                };
            }
        };
    }

    /** Asks {@code node} to send {@code copies} messages to {@code to}. */
    static Message.Inject send(int to, int copies) {
        return new Message.Inject(to, new byte[copies]);
    }
}
