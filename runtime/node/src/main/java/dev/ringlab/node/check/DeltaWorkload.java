package dev.ringlab.node.check;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.DeltaMessage;
import dev.ringlab.node.protocols.DeltaStore;
import dev.ringlab.node.spec.FaultPlan;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * The clients of a {@link dev.ringlab.node.protocols.DeltaCache} cluster, written once against {@link Cluster} so
 * every engine runs the same workload and reports the same figures from observations alone; the counter
 * counterpart of {@link CacheWorkload} (same phases, same closed loop, same crash and restart), whose register
 * history and its checker do not apply to counters.
 *
 * <h2>Run</h2>
 * <ol>
 *   <li>Ready: reads of a probe key from node 0 until one is answered by every node (real engines connect for a
 *       while after start).
 *   <li>Operations: {@code ops} reads (probability {@code readRatio}) and increments of uniformly drawn keys by a
 *       uniformly drawn amount in {@code ±1..9}, {@code clients} outstanding at a time, each to a uniformly drawn
 *       live node. Every read asks for the increments it counts, so its <em>value completeness</em> is known: the
 *       share of the increments acknowledged before it was issued that it counts. If {@code crashNode >= 0}, that
 *       node is crashed once {@code crashAtFraction} of the operations are issued and restarted
 *       {@code restartAfterNanos} later (or when the operations end, if sooner).
 *   <li>Storage at the end of the operations: every live node reports what it holds of every key.
 *   <li>Convergence: {@code settleNanos} of engine time for background work (compaction, re-replication).
 *   <li>Storage again, then one read per key that had an increment, repeated (up to five times) until it is
 *       answered by every live node; its counted increments and sums are checked by {@link CounterExactness}.
 * </ol>
 */
public final class DeltaWorkload implements Consumer<Observation> {
    /**
     * @param keys              distinct keys, {@code 0..keys-1}
     * @param ops               operations
     * @param readRatio         share of reads, 0..1
     * @param clients           requests outstanding at once, >= 1
     * @param seed              seeds the operation mix, keys, amounts and nodes asked
     * @param crashNode         node to crash during the operations, -1 for none
     * @param crashAtFraction   share of the operations issued before the crash
     * @param restartAfterNanos how long the crashed node stays down
     * @param clientTimeoutNanos a client gives up a request unanswered this long
     * @param settleNanos       engine time for background work before the final storage and reads
     * @param phaseTimeoutNanos engine-time limit of each phase
     */
    public record Options(int keys, long ops, double readRatio, int clients, long seed, int crashNode,
            double crashAtFraction, long restartAfterNanos, long clientTimeoutNanos, long settleNanos,
            long phaseTimeoutNanos) {
        public Options {
            if (keys < 1 || ops < 0 || clients < 1) {
                throw new IllegalArgumentException("need keys >= 1, ops >= 0, clients >= 1; got keys=" + keys + " ops="
                        + ops + " clients=" + clients);
            }
            if (!(readRatio >= 0 && readRatio <= 1) || !(crashAtFraction >= 0 && crashAtFraction <= 1)) {
                throw new IllegalArgumentException("readRatio and crashAtFraction must be in 0..1, got " + readRatio + ", "
                        + crashAtFraction);
            }
            if (restartAfterNanos < 0 || clientTimeoutNanos <= 0 || settleNanos < 0 || phaseTimeoutNanos <= 0) {
                throw new IllegalArgumentException("durations must be positive");
            }
        }
    }

    /**
     * One run's figures; times in milliseconds, NaN where nothing was measured; storage in bytes per key (mean
     * over the keys that had an increment) as {@link DeltaStore#bytes} counts it, summed over the fleet.
     *
     * @param readNodesAnswered            mean over the operation phase's answered reads of answered / nodes
     *                                     alive when it was issued
     * @param readValueCompleteness        mean share of the increments acknowledged before a read was issued that
     *                                     it counts
     * @param readValueCompletenessDuringFailure the same over reads issued while the crashed node was down
     * @param lostAcknowledgedIncrements   acknowledged increments missing from the final complete reads; -1 if
     *                                     the run did not get that far
     * @param storageEndOfOps              fleet bytes per key when the operations ended
     * @param storageConverged             fleet bytes per key after convergence
     * @param deltaBytes                   bytes of a key's increments, each once ({@link DeltaStore#DELTA_BYTES}
     *                                     each): what r copies before compaction are bounded by
     * @param mergedBytes                  bytes of a key's merged state (the final read's): what r copies after
     *                                     compaction are bounded by
     * @param keysOverDeltaBound           keys whose end-of-operations or converged storage exceeds r x deltaBytes
     * @param keysOverMergedBound          keys whose converged storage exceeds r x mergedBytes
     * @param anomalies                    the checker's findings, per key, with the key's operations
     */
    public record Report(long increments, long acked, long failed, long reads, long readsAnswered,
            double readLatencyMsP50, double readLatencyMsP99, double writeLatencyMsP50, double writeLatencyMsP99,
            double readNodesAnswered, double readValueCompleteness, long readsDuringFailure,
            double readValueCompletenessDuringFailure, double readNodesAnsweredDuringFailure,
            long lostAcknowledgedIncrements, long verifiedKeys, long incompleteFinalReads, double storageEndOfOps,
            double storageConverged, double deltaBytes, double mergedBytes, long keysOverDeltaBound,
            long keysOverMergedBound, double opsPhaseMs, boolean completed, String problem, List<String> anomalies) {}

    private static final long NONE = Long.MIN_VALUE;
    /** The key the ready phase reads (a real key: reading it changes nothing). */
    private static final long PROBE_KEY = 0;

    private final Cluster cluster;
    private final Options options;
    private final int replicas;
    private final int n;
    private final SplittableRandom random;
    private final ConcurrentLinkedQueue<Observation> inbox = new ConcurrentLinkedQueue<>();

    private long nextReqId = 1;
    private final Map<Long, Op> open = new HashMap<>();
    /** Every increment not yet acknowledged, by request id (an answer after the client gave up still counts). */
    private final Map<Long, Op> unacked = new HashMap<>();
    private long crashedNanos = NONE;
    private long restartedNanos = NONE;

    private enum Phase { READY, OPS, VERIFY }

    private static final class Op {
        final Phase phase;
        final long reqId;
        final long key;
        final long amount; // 0 for a read
        final long issuedNanos;
        final boolean duringFailure;
        final int alive;
        /** For a read: the acknowledged increments of the key when it was issued. */
        final List<CounterExactness.Acked> ackedBefore;

        Op(Phase phase, long reqId, long key, long amount, long issuedNanos, boolean duringFailure, int alive,
                List<CounterExactness.Acked> ackedBefore) {
            this.phase = phase;
            this.reqId = reqId;
            this.key = key;
            this.amount = amount;
            this.issuedNanos = issuedNanos;
            this.duringFailure = duringFailure;
            this.alive = alive;
            this.ackedBefore = ackedBefore;
        }
    }

    private final TreeMap<Long, List<CounterExactness.Acked>> ackedByKey = new TreeMap<>();
    /** Per key, every increment issued (acknowledged or not), for the deltas' size and the anomaly report. */
    private final TreeMap<Long, List<String>> opsByKey = new TreeMap<>();
    private final TreeMap<Long, Long> incrementsByKey = new TreeMap<>();
    private final List<Long> readLatencies = new ArrayList<>();
    private final List<Long> writeLatencies = new ArrayList<>();
    private long increments;
    private long acked;
    private long failed;
    private long reads;
    private long readsAnswered;
    private double nodesAnsweredSum;
    private double valueCompletenessSum;
    private long readsDuringFailure;
    private long readsAnsweredDuringFailure;
    private double valueCompletenessDuringFailureSum;
    private double nodesAnsweredDuringFailureSum;
    private boolean readyProbeComplete;
    /** Storage answers: key -> bytes summed over the nodes that answered. */
    private final TreeMap<Long, Long> storage = new TreeMap<>();
    private long storageAnswers;
    private final TreeMap<Long, Observation.DeltaRead> finalReads = new TreeMap<>();
    private FaultPlan.Listener faultListener = (kind, node, at, call) -> {};
    private long startNanos;

    /**
     * A workload on {@code cluster} whose cache keeps {@code replicas} copies: add it as an observer before the
     * cluster starts, then {@link #run}.
     */
    public DeltaWorkload(Cluster cluster, int replicas, Options options) {
        this.cluster = Objects.requireNonNull(cluster, "cluster");
        this.options = Objects.requireNonNull(options, "options");
        this.replicas = replicas;
        this.n = cluster.size();
        if (options.crashNode() >= n) {
            throw new IllegalArgumentException("crash node " + options.crashNode() + " not in 0.." + (n - 1));
        }
        this.random = new SplittableRandom(options.seed() ^ 0xDE17AL);
    }

    /** Hears the workload's own crash and restart as they are applied, as {@link CacheWorkload#onFault} does. */
    public void onFault(FaultPlan.Listener listener) {
        this.faultListener = Objects.requireNonNull(listener, "listener");
    }

    @Override
    public void accept(Observation o) {
        switch (o) {
            case Observation.DeltaAck a -> inbox.add(a);
            case Observation.DeltaRead r -> inbox.add(r);
            case Observation.DeltaStorage s -> inbox.add(s);
            case Observation.CacheFailed f -> inbox.add(f);
            default -> {}
        }
    }

    /** Runs the whole workload on the started cluster. */
    public Report run() {
        long t = options.phaseTimeoutNanos();
        startNanos = cluster.now();
        long[] lastProbe = {NONE};
        if (!cluster.runUntil(() -> {
            drain();
            expire();
            if (readyProbeComplete) {
                return true;
            }
            if (open.isEmpty() && (lastProbe[0] == NONE || cluster.now() - lastProbe[0] > 20_000_000L)) {
                lastProbe[0] = cluster.now();
                issue(Phase.READY, PROBE_KEY, 0, 0);
            }
            return false;
        }, t)) {
            return report(false, "no read was answered by every node (the cluster did not come up)", 0);
        }
        open.clear();
        long opsStart = cluster.now();
        long[] issued = {0};
        long crashAfter = Math.round(options.ops() * options.crashAtFraction());
        boolean done = cluster.runUntil(() -> {
            drain();
            expire();
            faults(issued[0] >= crashAfter);
            while (open.size() < options.clients() && issued[0] < options.ops()) {
                boolean read = random.nextDouble() < options.readRatio();
                long key = random.nextLong(options.keys());
                long amount = 0;
                if (!read) {
                    amount = 1 + random.nextInt(9);
                    amount = random.nextBoolean() ? amount : -amount;
                }
                issue(Phase.OPS, key, amount, liveNode());
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
        }
        TreeMap<Long, Long> endOfOps = storageRound(t);
        if (endOfOps == null) {
            return report(false, "the storage reports at the end of the operations did not all arrive", opsNanos);
        }
        cluster.runFor(options.settleNanos());
        TreeMap<Long, Long> converged = storageRound(t);
        if (converged == null) {
            return report(false, "the storage reports after convergence did not all arrive", opsNanos);
        }
        List<Long> keys = new ArrayList<>(incrementsByKey.keySet());
        for (int attempt = 0; attempt < 5; attempt++) {
            List<Long> todo = new ArrayList<>();
            for (long k : keys) {
                Observation.DeltaRead r = finalReads.get(k);
                if (r == null || r.answered() < aliveCount()) {
                    todo.add(k);
                }
            }
            if (todo.isEmpty()) {
                break;
            }
            int[] next = {0};
            if (!cluster.runUntil(() -> {
                drain();
                expire();
                while (open.size() < options.clients() && next[0] < todo.size()) {
                    issue(Phase.VERIFY, todo.get(next[0]++), 0, liveNode());
                }
                return next[0] >= todo.size() && open.isEmpty();
            }, t)) {
                return report(false, "the final reads did not finish", opsNanos);
            }
        }
        return finish(opsNanos, endOfOps, converged);
    }

    /** Asks every live node what it holds of every key that had an increment; null if answers are missing. */
    private TreeMap<Long, Long> storageRound(long timeoutNanos) {
        storage.clear();
        storageAnswers = 0;
        long expected = 0;
        for (long key : incrementsByKey.keySet()) {
            for (int v = 0; v < n; v++) {
                if (cluster.alive(v)) {
                    cluster.inject(v, new DeltaMessage.Request(DeltaMessage.RequestKind.STORAGE, nextReqId++, key, 0));
                    expected++;
                }
            }
        }
        long want = expected;
        if (!cluster.runUntil(() -> {
            drain();
            return storageAnswers >= want;
        }, timeoutNanos)) {
            return null;
        }
        return new TreeMap<>(storage);
    }

    private int aliveCount() {
        int c = 0;
        for (int v = 0; v < n; v++) {
            c += cluster.alive(v) ? 1 : 0;
        }
        return c;
    }

    private int liveNode() {
        int[] live = new int[n];
        int count = 0;
        for (int v = 0; v < n; v++) {
            if (cluster.alive(v)) {
                live[count++] = v;
            }
        }
        return live[random.nextInt(count)];
    }

    private void faults(boolean crashDue) {
        if (options.crashNode() < 0) {
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
        faultListener.applied(FaultPlan.Kind.CRASH, options.crashNode(), now, now - crashedNanos);
    }

    private void restart() {
        restartedNanos = cluster.now();
        cluster.restart(options.crashNode());
        long now = cluster.now();
        faultListener.applied(FaultPlan.Kind.RESTART, options.crashNode(), now, now - restartedNanos);
    }

    private boolean down(long atNanos) {
        return crashedNanos != NONE && atNanos >= crashedNanos && (restartedNanos == NONE || atNanos < restartedNanos);
    }

    private void issue(Phase phase, long key, long amount, int node) {
        long reqId = nextReqId++;
        long now = cluster.now();
        List<CounterExactness.Acked> before = amount == 0
                ? List.copyOf(ackedByKey.getOrDefault(key, List.of())) : List.of();
        Op op = new Op(phase, reqId, key, amount, now, down(now), aliveCount(), before);
        open.put(reqId, op);
        if (amount != 0) {
            unacked.put(reqId, op);
            increments++;
            incrementsByKey.merge(key, 1L, Long::sum);
            note(key, String.format(Locale.ROOT, "inc #%d %+d at node %d, issued at %.3f", reqId, amount, node, ms(now)));
            cluster.inject(node, new DeltaMessage.Request(DeltaMessage.RequestKind.INCREMENT, reqId, key, amount));
        } else {
            if (phase == Phase.OPS) {
                reads++;
                readsDuringFailure += op.duringFailure ? 1 : 0;
            }
            // The final reads wait for every live node (a patient read); the others are the reads clients make.
            DeltaMessage.RequestKind kind = phase == Phase.VERIFY ? DeltaMessage.RequestKind.READ_PATIENT
                    : DeltaMessage.RequestKind.READ_DETAIL;
            cluster.inject(node, new DeltaMessage.Request(kind, reqId, key, 0));
        }
    }

    private double ms(long nanos) {
        return (nanos - startNanos) / 1e6;
    }

    private void note(long key, String line) {
        opsByKey.computeIfAbsent(key, k -> new ArrayList<>()).add(line);
    }

    private void expire() {
        long now = cluster.now();
        open.values().removeIf(op -> {
            if (now - op.issuedNanos < options.clientTimeoutNanos()) {
                return false;
            }
            if (op.phase == Phase.OPS && op.amount != 0) {
                failed++;
            }
            return true;
        });
    }

    private void drain() {
        Observation o;
        while ((o = inbox.poll()) != null) {
            switch (o) {
                case Observation.DeltaAck a -> {
                    Op op = unacked.remove(a.reqId());
                    if (op == null) {
                        break;
                    }
                    open.remove(a.reqId());
                    acked++;
                    writeLatencies.add(a.atNanos() - op.issuedNanos);
                    ackedByKey.computeIfAbsent(op.key, k -> new ArrayList<>()).add(
                            new CounterExactness.Acked(a.reqId(), a.node(), a.incarnation(), a.seq(), a.amount()));
                    note(op.key, String.format(Locale.ROOT, "  ack #%d as %d/%d seq %d at %.3f", a.reqId(), a.node(),
                            a.incarnation(), a.seq(), ms(a.atNanos())));
                }
                case Observation.DeltaRead r -> {
                    Op op = open.remove(r.reqId());
                    if (op == null) {
                        break;
                    }
                    switch (op.phase) {
                        case READY -> readyProbeComplete |= r.answered() >= n;
                        case OPS -> {
                            readsAnswered++;
                            readLatencies.add(r.atNanos() - op.issuedNanos);
                            double nodes = (double) r.answered() / op.alive;
                            double value = valueCompleteness(op.ackedBefore, r.dots());
                            nodesAnsweredSum += nodes;
                            valueCompletenessSum += value;
                            if (op.duringFailure) {
                                readsAnsweredDuringFailure++;
                                nodesAnsweredDuringFailureSum += nodes;
                                valueCompletenessDuringFailureSum += value;
                            }
                        }
                        case VERIFY -> finalReads.put(op.key, r);
                    }
                }
                case Observation.DeltaStorage s -> {
                    storage.merge(s.key(), s.bytes(), Long::sum);
                    storageAnswers++;
                }
                case Observation.CacheFailed f -> {
                    Op op = open.remove(f.reqId());
                    if (op != null && op.phase == Phase.OPS && op.amount != 0) {
                        failed++;
                        note(op.key, String.format(Locale.ROOT, "  failed #%d at %.3f (outcome unknown)", f.reqId(),
                                ms(f.atNanos())));
                    }
                }
                default -> {}
            }
        }
    }

    private static double valueCompleteness(List<CounterExactness.Acked> before, String dots) {
        if (before.isEmpty()) {
            return 1;
        }
        DeltaStore counted = DeltaStore.parseDots(dots);
        long in = 0;
        for (CounterExactness.Acked a : before) {
            in += counted.contains(new DeltaStore.Origin(a.node(), a.incarnation()), a.seq()) ? 1 : 0;
        }
        return (double) in / before.size();
    }

    private Report finish(long opsNanos, TreeMap<Long, Long> endOfOps, TreeMap<Long, Long> converged) {
        long lost = 0;
        long verified = 0;
        long incomplete = 0;
        long overDelta = 0;
        long overMerged = 0;
        double mergedSum = 0;
        double deltaSum = 0;
        List<String> anomalies = new ArrayList<>();
        int alive = aliveCount();
        for (Map.Entry<Long, Long> e : incrementsByKey.entrySet()) {
            long key = e.getKey();
            long deltaBytes = (long) DeltaStore.DELTA_BYTES * e.getValue();
            deltaSum += deltaBytes;
            if (endOfOps.getOrDefault(key, 0L) > replicas * deltaBytes || converged.getOrDefault(key, 0L) > replicas * deltaBytes) {
                overDelta++;
            }
            Observation.DeltaRead r = finalReads.get(key);
            if (r == null || r.answered() < alive) {
                incomplete++;
                continue;
            }
            verified++;
            long merged = (long) DeltaStore.SUMMARY_BYTES * r.origins() + (long) DeltaStore.DELTA_BYTES * r.looseDeltas();
            mergedSum += merged;
            if (converged.getOrDefault(key, 0L) > replicas * merged) {
                overMerged++;
            }
            List<CounterExactness.Acked> ackedHere = ackedByKey.getOrDefault(key, List.of());
            long[] unknown = unacked.values().stream().filter(op -> op.key == key).mapToLong(op -> op.amount).toArray();
            CounterExactness.Verdict v = CounterExactness.check(ackedHere, unknown, r.plus(), r.minus(), r.dots());
            lost += v.lost().size();
            if (!v.exact()) {
                StringBuilder b = new StringBuilder("key " + key + ": " + String.join("; ", v.problems()));
                List<String> ops = opsByKey.getOrDefault(key, List.of());
                int from = Math.max(0, ops.size() - 12);
                b.append("\n    ").append(ops.size()).append(" operations (ms from the start)");
                if (from > 0) {
                    b.append("\n    ... ").append(from).append(" earlier");
                }
                for (String line : ops.subList(from, ops.size())) {
                    b.append("\n    ").append(line);
                }
                b.append(String.format(Locale.ROOT, "\n    final read #%d at node %d: +%d -%d from %d nodes, counted %s",
                        r.reqId(), r.node(), r.plus(), r.minus(), r.answered(), r.dots()));
                anomalies.add(b.toString());
            }
        }
        int keys = incrementsByKey.size();
        Report base = report(true, null, opsNanos);
        return new Report(base.increments(), base.acked(), base.failed(), base.reads(), base.readsAnswered(),
                base.readLatencyMsP50(), base.readLatencyMsP99(), base.writeLatencyMsP50(), base.writeLatencyMsP99(),
                base.readNodesAnswered(), base.readValueCompleteness(), base.readsDuringFailure(),
                base.readValueCompletenessDuringFailure(), base.readNodesAnsweredDuringFailure(), lost, verified, incomplete,
                mean(endOfOps, keys), mean(converged, keys), keys == 0 ? Double.NaN : deltaSum / keys,
                verified == 0 ? Double.NaN : mergedSum / verified, overDelta, overMerged, opsNanos / 1e6, true, null,
                List.copyOf(anomalies));
    }

    private static double mean(TreeMap<Long, Long> perKey, int keys) {
        return keys == 0 ? Double.NaN : perKey.values().stream().mapToLong(Long::longValue).sum() / (double) keys;
    }

    private Report report(boolean completed, String problem, long opsNanos) {
        return new Report(increments, acked, failed, reads, readsAnswered, pct(readLatencies, 0.50), pct(readLatencies, 0.99),
                pct(writeLatencies, 0.50), pct(writeLatencies, 0.99), ratio(nodesAnsweredSum, readsAnswered),
                ratio(valueCompletenessSum, readsAnswered), readsDuringFailure,
                ratio(valueCompletenessDuringFailureSum, readsAnsweredDuringFailure),
                ratio(nodesAnsweredDuringFailureSum, readsAnsweredDuringFailure), completed ? 0 : -1, 0, 0, Double.NaN,
                Double.NaN, Double.NaN, Double.NaN, 0, 0, opsNanos / 1e6, completed, problem, List.of());
    }

    private static double ratio(double a, long b) {
        return b == 0 ? Double.NaN : a / b;
    }

    private static double pct(List<Long> values, double p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        long[] sorted = values.stream().mapToLong(Long::longValue).sorted().toArray();
        return Quantiles.nearestRank(sorted, p) / 1e6;
    }
}
