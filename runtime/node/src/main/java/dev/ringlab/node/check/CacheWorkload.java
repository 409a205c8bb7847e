package dev.ringlab.node.check;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.FailoverCache;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * The clients of a {@link FailoverCache} cluster, written once against {@link Cluster} so that every engine
 * runs the same workload and reports the same figures, computed from observations alone. (It lives here, not
 * in {@code dev.ringlab.node}, because it is a client with a random stream of its own, not node logic; it
 * uses nothing of the simulator.)
 *
 * <h2>Run</h2>
 * <ol>
 *   <li>Waits until every node has reported {@link Observation.CacheRecovered} (a cold start) and its latest
 *       {@link Observation.ViewChanged} calls no node dead (real engines connect for a while after start, and
 *       heartbeats lost meanwhile raise suspicions that the views then withdraw).
 *   <li>Load: puts every key {@code 0..keys-1} once.
 *   <li>Operations: {@code ops} gets (probability {@code getRatio}) and puts of uniformly drawn keys, with
 *       {@code clients} requests outstanding at a time (a closed loop: a client sends its next request when
 *       its last one is answered), each to a uniformly drawn live node. If {@code crashNode >= 0}, that node
 *       is crashed once {@code crashAtFraction} of the operations are issued, and restarted
 *       {@code restartAfterNanos} later (or when the operations end, if sooner).
 *   <li>Waits for the restarted node to recover, then reads back every key that had an acknowledged put and
 *       counts the acknowledged writes that are lost ({@link Report#lostAcknowledgedWrites}).
 * </ol>
 * The driving happens in the {@code runUntil} condition, on the controlling thread: on the simulator after
 * every event, on real engines every millisecond or so (which bounds real-engine throughput to about
 * {@code clients} requests per millisecond). Observers may be called on engine threads: they only queue.
 *
 * <h2>Lost writes</h2>
 * Every put writes a unique value (its request id), so its digest names it. Once all is quiet, key {@code k}
 * reads back as version {@code V} with digest {@code D}. An acknowledged put of {@code k} (version {@code v},
 * digest {@code d}) is lost if the read misses, if {@code v > V}, if {@code v == V} and {@code d != D}, or if a
 * later-acknowledged put of {@code k} got the same version {@code v} with another value (the version was
 * handed out twice: the first write was gone when the second was made).
 */
public final class CacheWorkload implements Consumer<Observation> {
    /**
     * @param keys              distinct keys, {@code 0..keys-1}
     * @param ops               operations after the load phase
     * @param getRatio          share of gets among them, 0..1
     * @param clients           requests outstanding at once, >= 1
     * @param valueBytes        size of a put's value, >= 8
     * @param seed              seeds the operation mix, the keys and the nodes asked
     * @param crashNode         node to crash during the operations, -1 for none
     * @param crashAtFraction   share of the operations issued before the crash, 0..1
     * @param restartAfterNanos how long the crashed node stays down
     * @param clientTimeoutNanos a client gives up a request unanswered for this long (its origin may have
     *                           crashed with it); should exceed the cache's deadline
     * @param phaseTimeoutNanos engine-time limit of each phase
     */
    public record Options(int keys, long ops, double getRatio, int clients, int valueBytes, long seed, int crashNode,
            double crashAtFraction, long restartAfterNanos, long clientTimeoutNanos, long phaseTimeoutNanos) {
        public Options {
            if (keys < 1 || ops < 0 || clients < 1 || valueBytes < 8) {
                throw new IllegalArgumentException("need keys >= 1, ops >= 0, clients >= 1, valueBytes >= 8; got keys="
                        + keys + " ops=" + ops + " clients=" + clients + " valueBytes=" + valueBytes);
            }
            if (!(getRatio >= 0 && getRatio <= 1) || !(crashAtFraction >= 0 && crashAtFraction <= 1)) {
                throw new IllegalArgumentException("getRatio and crashAtFraction must be in 0..1, got " + getRatio + ", "
                        + crashAtFraction);
            }
            if (restartAfterNanos < 0 || clientTimeoutNanos <= 0 || phaseTimeoutNanos <= 0) {
                throw new IllegalArgumentException("durations must be positive");
            }
        }
    }

    /**
     * One run's figures (times in milliseconds; NaN where nothing was measured).
     *
     * @param hitRate                      hits / gets of the operation phase (a failed get is not a hit)
     * @param hitRateDuringFailure         the same over gets issued while the crashed node was down
     * @param hitRateDeadOwnerKeys         the same, only keys the crashed node owns
     * @param lostAcknowledgedWrites       see the class doc
     * @param takeoverMs                   crash to the first answer for a key of the crashed node served by
     *                                     another node
     * @param handbackMs                   restart to the crashed node's {@link Observation.CacheRecovered}: it
     *                                     serves its keys again
     * @param handbackServeMs              restart to the first answer for one of its keys served by it, NaN if
     *                                     no request came after it recovered
     * @param opsPerS                      answered operations / operation-phase engine time
     * @param lostExamples                 up to five lost writes, described
     */
    public record Report(long gets, long hits, long puts, long acked, long failed, double hitRate,
            double hitRateDuringFailure, long getsDuringFailure, double hitRateDeadOwnerKeys, long lostAcknowledgedWrites,
            long verifiedKeys, double takeoverMs, double handbackMs, double handbackServeMs, double opsPerS,
            double latencyMsP50, double latencyMsP99, double opsPhaseMs, boolean completed, String problem,
            List<String> lostExamples) {}

    private static final long NONE = Long.MIN_VALUE;

    private final Cluster cluster;
    private final Options options;
    private final int n;
    private final SplittableRandom random;
    private final ConcurrentLinkedQueue<Observation> inbox = new ConcurrentLinkedQueue<>();

    private final Map<Long, Op> open = new HashMap<>();
    private long nextReqId = 1;
    private final boolean[] recovered;
    /** Per node, how many nodes its latest view calls dead. */
    private final int[] deadInView;
    private long crashedNanos = NONE;
    private long restartedNanos = NONE;
    private long recoveredAfterRestartNanos = NONE;
    private long takeoverAtNanos = NONE;
    private long handbackServeAtNanos = NONE;

    // Per key: acknowledged puts in ack order.
    private final TreeMap<Long, List<long[]>> ackedPuts = new TreeMap<>(); // {version, digest}
    private final List<Long> latencies = new ArrayList<>();
    private final Map<Long, List<long[]>> ackInfo = new HashMap<>(); // {servedBy, atNanos}, parallel to ackedPuts
    private final List<String> lostExamples = new ArrayList<>();

    private enum Phase { LOAD, OPS, VERIFY }

    private static final class Op {
        final Phase phase;
        final long key;
        final boolean put;
        final long digest;
        final long issuedNanos;
        final boolean duringFailure;

        Op(Phase phase, long key, boolean put, long digest, long issuedNanos, boolean duringFailure) {
            this.phase = phase;
            this.key = key;
            this.put = put;
            this.digest = digest;
            this.issuedNanos = issuedNanos;
            this.duringFailure = duringFailure;
        }
    }

    // Counters of the operation phase.
    private long gets;
    private long hits;
    private long puts;
    private long acked;
    private long failed;
    private long getsDuringFailure;
    private long hitsDuringFailure;
    private long getsDeadOwner;
    private long hitsDeadOwner;
    private long answeredOps;
    private final Map<Long, long[]> reads = new HashMap<>(); // verify phase: key -> {hit, version, digest}
    /** Every request ever issued, by id, until its outcome is in {@link #history}. */
    private final Map<Long, Op> invoked = new HashMap<>();
    /** The client's history, per key: every operation with a known outcome, and writes of unknown outcome. */
    private final TreeMap<Long, List<RegisterLinearizability.Op>> history = new TreeMap<>();
    private dev.ringlab.node.spec.FaultPlan.Listener faultListener = (kind, node, at, call) -> {};

    /** A workload on {@code cluster}: add it as an observer before the cluster starts, then {@link #run}. */
    public CacheWorkload(Cluster cluster, Options options) {
        this.cluster = Objects.requireNonNull(cluster, "cluster");
        this.options = Objects.requireNonNull(options, "options");
        this.n = cluster.size();
        if (options.crashNode() >= n) {
            throw new IllegalArgumentException("crash node " + options.crashNode() + " not in 0.." + (n - 1));
        }
        this.random = new SplittableRandom(options.seed() ^ 0x5EEDCACEL);
        this.recovered = new boolean[n];
        this.deadInView = new int[n];
    }

    /**
     * Hears the workload's own crash and restart as they are applied (after each call returns, with the call's
     * duration), as a {@link dev.ringlab.node.spec.FaultPlan} listener hears a plan's; call before {@link #run}.
     */
    public void onFault(dev.ringlab.node.spec.FaultPlan.Listener listener) {
        this.faultListener = Objects.requireNonNull(listener, "listener");
    }

    @Override
    public void accept(Observation o) {
        switch (o) {
            case Observation.CacheReply r -> inbox.add(r);
            case Observation.CacheAck a -> inbox.add(a);
            case Observation.CacheFailed f -> inbox.add(f);
            case Observation.CacheRecovered r -> inbox.add(r);
            case Observation.ViewChanged v -> inbox.add(v);
            default -> {}
        }
    }

    /** Runs the whole workload on the started cluster. */
    public Report run() {
        long t = options.phaseTimeoutNanos();
        if (!cluster.runUntil(() -> {
            drain();
            for (int v = 0; v < n; v++) {
                if (!recovered[v] || deadInView[v] != 0) {
                    return false;
                }
            }
            return true;
        }, t)) {
            return report(false, "the nodes did not all recover from the cold start with views that call no node dead",
                    0);
        }
        // Load.
        long[] next = {0};
        if (!cluster.runUntil(() -> {
            drain();
            expire();
            while (open.size() < options.clients() && next[0] < options.keys()) {
                issue(Phase.LOAD, next[0]++, true);
            }
            return next[0] >= options.keys() && open.isEmpty();
        }, t)) {
            return report(false, "the load phase did not finish", 0);
        }
        // Operations, with the crash and the restart.
        long opsStart = cluster.now();
        long[] issued = {0};
        long crashAfter = Math.round(options.ops() * options.crashAtFraction());
        boolean done = cluster.runUntil(() -> {
            drain();
            expire();
            faults(issued[0] >= crashAfter);
            while (open.size() < options.clients() && issued[0] < options.ops()) {
                boolean put = random.nextDouble() >= options.getRatio();
                issue(Phase.OPS, random.nextLong(options.keys()), put);
                issued[0]++;
                faults(issued[0] >= crashAfter);
            }
            return issued[0] >= options.ops() && open.isEmpty();
        }, t);
        long opsNanos = cluster.now() - opsStart;
        if (!done) {
            return report(false, "the operation phase did not finish", opsNanos);
        }
        if (options.crashNode() >= 0) {
            if (crashedNanos == NONE) {
                crash();
            }
            if (restartedNanos == NONE) {
                restart();
            }
            if (!cluster.runUntil(() -> {
                drain();
                return recoveredAfterRestartNanos != NONE;
            }, t)) {
                return report(false, "the restarted node did not recover", opsNanos);
            }
        }
        // Read back every key with an acknowledged put.
        List<Long> keys = new ArrayList<>(ackedPuts.keySet());
        int[] k = {0};
        if (!cluster.runUntil(() -> {
            drain();
            expire();
            while (open.size() < options.clients() && k[0] < keys.size()) {
                issue(Phase.VERIFY, keys.get(k[0]++), false);
            }
            return k[0] >= keys.size() && open.isEmpty();
        }, t)) {
            return report(false, "the read-back did not finish", opsNanos);
        }
        return report(true, null, opsNanos);
    }

    private void faults(boolean crashDue) {
        int v = options.crashNode();
        if (v < 0) {
            return;
        }
        if (crashDue && crashedNanos == NONE) {
            crash();
        }
        if (crashedNanos != NONE && restartedNanos == NONE && cluster.now() - crashedNanos >= options.restartAfterNanos()) {
            restart();
        }
    }

    private void crash() {
        crashedNanos = cluster.now();
        cluster.crash(options.crashNode());
        long now = cluster.now();
        faultListener.applied(dev.ringlab.node.spec.FaultPlan.Kind.CRASH, options.crashNode(), now, now - crashedNanos);
    }

    private void restart() {
        restartedNanos = cluster.now();
        recovered[options.crashNode()] = false;
        cluster.restart(options.crashNode());
        long now = cluster.now();
        faultListener.applied(dev.ringlab.node.spec.FaultPlan.Kind.RESTART, options.crashNode(), now, now - restartedNanos);
    }

    private boolean down(long atNanos) {
        return crashedNanos != NONE && atNanos >= crashedNanos && (restartedNanos == NONE || atNanos < restartedNanos);
    }

    private void issue(Phase phase, long key, boolean put) {
        int[] live = new int[n];
        int count = 0;
        for (int v = 0; v < n; v++) {
            if (cluster.alive(v)) {
                live[count++] = v;
            }
        }
        int origin = live[random.nextInt(count)];
        long reqId = nextReqId++;
        long now = cluster.now();
        Message.CacheRequest m;
        long digest = 0;
        if (put) {
            byte[] value = new byte[options.valueBytes()];
            ByteBuffer.wrap(value).putLong(reqId);
            Arrays.fill(value, 8, value.length, (byte) (reqId * 31));
            digest = FailoverCache.digest(value);
            m = Message.CacheRequest.put(reqId, key, value);
        } else {
            m = Message.CacheRequest.get(reqId, key);
        }
        Op op = new Op(phase, key, put, digest, now, down(now));
        open.put(reqId, op);
        invoked.put(reqId, op);
        if (phase == Phase.OPS) {
            if (put) {
                puts++;
            } else {
                gets++;
                if (op.duringFailure) {
                    getsDuringFailure++;
                    if (FailoverCache.owner(key, n) == options.crashNode()) {
                        getsDeadOwner++;
                    }
                }
            }
        }
        cluster.inject(origin, m);
    }

    /** Gives up requests unanswered for the client timeout (their origin may have crashed with them). */
    private void expire() {
        long now = cluster.now();
        open.values().removeIf(op -> {
            if (now - op.issuedNanos < options.clientTimeoutNanos()) {
                return false;
            }
            if (op.phase == Phase.OPS) {
                failed++;
            }
            return true;
        });
        // What expired above has an unknown outcome; a request still open is not in the history yet.
    }

    private void drain() {
        Observation o;
        while ((o = inbox.poll()) != null) {
            switch (o) {
                case Observation.ViewChanged v -> deadInView[v.node()] = v.dead();
                case Observation.CacheRecovered r -> {
                    recovered[r.node()] = true;
                    if (r.node() == options.crashNode() && restartedNanos != NONE && recoveredAfterRestartNanos == NONE) {
                        recoveredAfterRestartNanos = r.atNanos();
                    }
                }
                case Observation.CacheReply r -> {
                    Op op = open.remove(r.reqId());
                    record(r.reqId(), false, r.hit() ? r.valueDigest() : RegisterLinearizability.ABSENT, r.atNanos());
                    if (op != null) {
                        answered(op, r.servedBy(), r.atNanos());
                        if (op.phase == Phase.OPS && r.hit()) {
                            hits++;
                            if (op.duringFailure) {
                                hitsDuringFailure++;
                                if (FailoverCache.owner(op.key, n) == options.crashNode()) {
                                    hitsDeadOwner++;
                                }
                            }
                        } else if (op.phase == Phase.VERIFY) {
                            reads.put(op.key, new long[] {r.hit() ? 1 : 0, r.version(), r.valueDigest()});
                        }
                    }
                }
                case Observation.CacheAck a -> {
                    Op op = open.remove(a.reqId());
                    record(a.reqId(), true, 0, a.atNanos());
                    if (op != null) {
                        answered(op, a.servedBy(), a.atNanos());
                        ackedPuts.computeIfAbsent(op.key, x -> new ArrayList<>()).add(new long[] {a.version(), op.digest});
                        ackInfo.computeIfAbsent(op.key, x -> new ArrayList<>()).add(new long[] {a.servedBy(), a.atNanos()});
                        if (op.phase == Phase.OPS) {
                            acked++;
                        }
                    }
                }
                case Observation.CacheFailed f -> {
                    Op op = open.remove(f.reqId());
                    if (op != null && op.phase == Phase.OPS) {
                        failed++;
                    }
                }
                default -> {}
            }
        }
    }

    /**
     * Records request {@code reqId}'s outcome, known at {@code atNanos} (its origin's clock: every engine's
     * clock is one host's monotonic clock). A reply after the client gave up still tells what happened.
     */
    private void record(long reqId, boolean write, long readValue, long atNanos) {
        Op op = invoked.remove(reqId);
        if (op == null) {
            return; // a second answer to one request (a retried request answered twice)
        }
        history.computeIfAbsent(op.key, k -> new ArrayList<>()).add(new RegisterLinearizability.Op(reqId, op.put,
                op.put ? op.digest : readValue, op.issuedNanos, Math.max(atNanos, op.issuedNanos)));
    }

    /**
     * The client's history so far, per key: reads and writes with their outcome, and the writes whose outcome
     * the client never learned (failed, timed out or unanswered) as {@link RegisterLinearizability#UNKNOWN};
     * reads that got no answer tell nothing and are left out.
     */
    public java.util.SortedMap<Long, List<RegisterLinearizability.Op>> history() {
        TreeMap<Long, List<RegisterLinearizability.Op>> out = new TreeMap<>();
        history.forEach((k, v) -> out.put(k, new ArrayList<>(v)));
        invoked.forEach((id, op) -> {
            if (op.put) {
                out.computeIfAbsent(op.key, k -> new ArrayList<>()).add(new RegisterLinearizability.Op(id, true, op.digest,
                        op.issuedNanos, RegisterLinearizability.UNKNOWN));
            }
        });
        return out;
    }

    private void answered(Op op, int servedBy, long atNanos) {
        if (op.phase == Phase.OPS) {
            answeredOps++;
            latencies.add(atNanos - op.issuedNanos);
        }
        int crashed = options.crashNode();
        if (crashed < 0 || crashedNanos == NONE || FailoverCache.owner(op.key, n) != crashed) {
            return;
        }
        if (takeoverAtNanos == NONE && servedBy != crashed && atNanos > crashedNanos) {
            takeoverAtNanos = atNanos;
        }
        if (handbackServeAtNanos == NONE && servedBy == crashed && restartedNanos != NONE && atNanos > restartedNanos) {
            handbackServeAtNanos = atNanos;
        }
    }

    private long lost() {
        long lost = 0;
        for (Map.Entry<Long, List<long[]>> e : ackedPuts.entrySet()) {
            long[] read = reads.get(e.getKey());
            List<long[]> ps = e.getValue();
            for (int i = 0; i < ps.size(); i++) {
                long v = ps.get(i)[0];
                long d = ps.get(i)[1];
                boolean isLost = read == null || read[0] == 0 || v > read[1] || (v == read[1] && d != read[2]);
                for (int j = i + 1; j < ps.size() && !isLost; j++) {
                    isLost = ps.get(j)[0] == v && ps.get(j)[1] != d;
                }
                if (isLost) {
                    lost++;
                    if (lostExamples.size() < 5) {
                        long[] info = ackInfo.get(e.getKey()).get(i);
                        lostExamples.add("key " + e.getKey() + " (owner " + FailoverCache.owner(e.getKey(), n)
                                + ") acked version " + v + " by node " + info[0] + " at " + (crashedNanos == NONE ? info[1] + " ns"
                                : String.format(java.util.Locale.ROOT, "%+.3f ms from the crash (restart at %+.3f ms)",
                                (info[1] - crashedNanos) / 1e6, restartedNanos == NONE ? Double.NaN
                                : (restartedNanos - crashedNanos) / 1e6)) + "; read back "
                                + (read == null ? "nothing" : read[0] == 0 ? "a miss" : "version " + read[1]
                                + (read[1] == v ? " with another value" : "")));
                    }
                }
            }
        }
        return lost;
    }

    private Report report(boolean completed, String problem, long opsNanos) {
        long[] lat = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        double takeover = crashedNanos == NONE || takeoverAtNanos == NONE ? Double.NaN
                : (takeoverAtNanos - crashedNanos) / 1e6;
        double handback = restartedNanos == NONE || recoveredAfterRestartNanos == NONE ? Double.NaN
                : (recoveredAfterRestartNanos - restartedNanos) / 1e6;
        double handbackServe = restartedNanos == NONE || handbackServeAtNanos == NONE ? Double.NaN
                : (handbackServeAtNanos - restartedNanos) / 1e6;
        long lost = completed ? lost() : -1;
        return new Report(gets, hits, puts, acked, failed, ratio(hits, gets), ratio(hitsDuringFailure, getsDuringFailure),
                getsDuringFailure, ratio(hitsDeadOwner, getsDeadOwner), lost, reads.size(), takeover,
                handback, handbackServe, opsNanos <= 0 ? Double.NaN : answeredOps / (opsNanos / 1e9),
                pct(lat, 0.50), pct(lat, 0.99), opsNanos / 1e6, completed, problem, List.copyOf(lostExamples));
    }

    private static double ratio(long a, long b) {
        return b == 0 ? Double.NaN : (double) a / b;
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(p * sorted.length);
        return sorted[Math.max(0, rank - 1)] / 1e6;
    }

}
