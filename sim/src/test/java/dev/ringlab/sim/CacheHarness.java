package dev.ringlab.sim;

import dev.ringlab.node.CacheMessage;
import dev.ringlab.node.Env;
import dev.ringlab.node.ForwardingEnv;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.CacheConfig;
import dev.ringlab.node.protocols.FailoverCache;
import dev.ringlab.node.spec.LinkModel;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A simulated {@link FailoverCache} cluster for scenario tests of its failure paths: the live node instances,
 * every cache message sent (with a predicate that may drop chosen ones, as a lossy link would), every
 * observation, and client requests with unique ids.
 */
final class CacheHarness {
    static final long MS = 1_000_000L;

    /** One cache message as a node sent it. */
    record Sent(long atNanos, int from, int to, Message message) {}

    final int n;
    final long seed;
    final CacheConfig config;
    final FailoverCache[] nodes;
    final SimCluster cluster;
    final List<Observation> observed = new ArrayList<>();
    /** When each of {@link #observed} was made (virtual time). */
    final List<Long> observedAt = new ArrayList<>();
    final List<Sent> sent = new ArrayList<>();
    /** Cache messages for which this is true are sent but never delivered. */
    Predicate<Sent> drop = s -> false;

    /**
     * Drops only the first cache message that {@code match} accepts (replacing {@link #drop}); the returned flag
     * turns true once it was dropped.
     */
    boolean[] dropFirst(Predicate<Sent> match) {
        boolean[] dropped = {false};
        drop = s -> {
            if (!dropped[0] && match.test(s)) {
                dropped[0] = true;
                return true;
            }
            return false;
        };
        return dropped;
    }
    private long nextReqId = 1;
    /** The first reply, ack or failure of each request, by request id (ids are unique here). */
    private final java.util.Map<Long, Observation> outcomes = new java.util.HashMap<>();

    CacheHarness(int n, long seed) {
        this(n, seed, CacheConfig.defaults());
    }

    CacheHarness(int n, long seed, CacheConfig config) {
        this(Topologies.build("complete", n, seed), seed, config);
    }

    CacheHarness(Overlay overlay, long seed, CacheConfig config) {
        this.n = overlay.size();
        this.seed = seed;
        this.config = config;
        this.nodes = new FailoverCache[n];
        Protocol p = new Protocol() {
            @Override
            public String spec() {
                return config.spec();
            }

            @Override
            public Node create(int id, Overlay o) {
                FailoverCache c = new FailoverCache(id, o, config);
                nodes[id] = c;
                return new Node() {
                    @Override
                    public void start(Env env) {
                        c.start(new ForwardingEnv(env) {
                            @Override
                            public void send(int to, Message m) {
                                if (m instanceof CacheMessage) {
                                    Sent s = new Sent(env.now(), id, to, m);
                                    sent.add(s);
                                    if (drop.test(s)) {
                                        return;
                                    }
                                }
                                super.send(to, m);
                            }
                        });
                    }

                    @Override
                    public void onMessage(int from, Message m) {
                        c.onMessage(from, m);
                    }

                    @Override
                    public void stop() {
                        c.stop();
                    }
                };
            }
        };
        cluster = new SimCluster(overlay, p, SimConfig.of(seed).withLink(LinkModel.constant(MS)));
        cluster.addObserver(o -> {
            observed.add(o);
            observedAt.add(cluster.now());
            switch (o) {
                case Observation.CacheReply r -> outcomes.putIfAbsent(r.reqId(), r);
                case Observation.CacheAck a -> outcomes.putIfAbsent(a.reqId(), a);
                case Observation.CacheFailed f -> outcomes.putIfAbsent(f.reqId(), f);
                default -> {}
            }
        });
        cluster.start();
    }

    /** Runs until every live node has recovered and no live node's view calls a live node dead. */
    CacheHarness settle() {
        boolean ok = cluster.runUntil(this::calm, 2_000 * MS);
        if (!ok) {
            throw new AssertionError("seed " + seed + ": the cache did not settle by " + cluster.now() + " ns");
        }
        return this;
    }

    boolean calm() {
        for (int v = 0; v < n; v++) {
            if (cluster.alive(v)) {
                if (nodes[v].recovering()) {
                    return false;
                }
                for (int d : nodes[v].ring().deadInView()) {
                    if (cluster.alive(d)) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** Runs until every live node's view calls {@code node} dead. */
    void awaitDeadInViews(int node) {
        boolean ok = cluster.runUntil(() -> {
            for (int v = 0; v < n; v++) {
                if (cluster.alive(v) && v != node && !nodes[v].ring().deadInView().contains(node)) {
                    return false;
                }
            }
            return true;
        }, 2_000 * MS);
        if (!ok) {
            throw new AssertionError("seed " + seed + ": node " + node + " was not dead in every view by " + cluster.now());
        }
    }

    /** The {@code i}-th smallest non-negative key owned by {@code owner}. */
    long keyOf(int owner, int i) {
        int found = 0;
        for (long k = 0; ; k++) {
            if (FailoverCache.owner(k, n) == owner && found++ == i) {
                return k;
            }
        }
    }

    static byte[] value(long tag) {
        byte[] v = new byte[12];
        java.nio.ByteBuffer.wrap(v).putLong(tag).putInt((int) (tag * 31));
        return v;
    }

    long get(int origin, long key) {
        long id = nextReqId++;
        cluster.inject(origin, Message.CacheRequest.get(id, key));
        return id;
    }

    long put(int origin, long key, byte[] value) {
        long id = nextReqId++;
        cluster.inject(origin, Message.CacheRequest.put(id, key, value));
        return id;
    }

    /** The reply, ack or failure of request {@code reqId}, or null. */
    Observation outcome(long reqId) {
        return outcomes.get(reqId);
    }

    /** Runs until request {@code reqId} has an outcome (at most {@code timeoutNanos}); the outcome or null. */
    Observation await(long reqId, long timeoutNanos) {
        cluster.runUntil(() -> outcome(reqId) != null, timeoutNanos);
        return outcome(reqId);
    }

    /** Puts and waits for the acknowledgement; fails the test otherwise. */
    Observation.CacheAck putAcked(int origin, long key, byte[] value) {
        long id = put(origin, key, value);
        Observation o = await(id, 3_000 * MS);
        if (!(o instanceof Observation.CacheAck a)) {
            throw new AssertionError("seed " + seed + ": put of key " + key + " at node " + origin + " got " + o);
        }
        return a;
    }

    /** Cache messages of {@code type} sent since {@code fromNanos} that match {@code filter}. */
    <T extends Message> List<Sent> sentSince(long fromNanos, Class<T> type, Predicate<T> filter) {
        List<Sent> out = new ArrayList<>();
        for (Sent s : sent) {
            if (s.atNanos() >= fromNanos && type.isInstance(s.message()) && filter.test(type.cast(s.message()))) {
                out.add(s);
            }
        }
        return out;
    }

    /** The observations of {@code type} since {@code fromNanos}. */
    <T extends Observation> List<T> observedSince(long fromNanos, Class<T> type) {
        List<T> out = new ArrayList<>();
        for (int i = 0; i < observed.size(); i++) {
            Observation o = observed.get(i);
            if (type.isInstance(o) && observedAt.get(i) >= fromNanos) {
                out.add(type.cast(o));
            }
        }
        return out;
    }

    static boolean isSync(Message m, Message.CacheSyncKind kind) {
        return m instanceof Message.CacheSync c && c.kind() == kind;
    }

    static boolean isSignal(Message m, Message.CacheSignalKind kind) {
        return m instanceof Message.CacheSignal c && c.kind() == kind;
    }
}
