package dev.ringlab.node;

/**
 * What nodes report for experiments to measure, as immutable records. Engines stream them to observers
 * unchanged, so a metric computed from observations means the same on every engine. Times are
 * {@link Env#now} nanoseconds.
 *
 * <p>The records below are ringlab's own. A protocol written outside ringlab reports its own observations as
 * records that implement {@link Custom}, the one open branch of this otherwise sealed interface.
 */
public sealed interface Observation {
    /** The node that reports. */
    int node();

    /**
     * Node {@code node} delivered broadcast {@code id} for the first time at {@code atNanos}, after
     * {@code hop} links ({@code hop == 0} at the origin, which delivers its own broadcast when injected).
     */
    record Delivered(int node, long id, int origin, int hop, long sentAtNanos, long atNanos) implements Observation {}

    /** Node {@code node} created the ring's token of {@code epoch} at {@code atNanos} (see {@link Message.Token}). */
    record TokenCreated(int node, long epoch, long atNanos) implements Observation {}

    /**
     * The token of {@code epoch}, in {@code rotation}, reached {@code node} from {@code from} after {@code hop}
     * links in all; it left {@code from} at {@code sentAtNanos} (the token's own timestamp).
     */
    record TokenArrived(int node, int from, long epoch, long rotation, long hop, long sentAtNanos, long arrivedAtNanos)
            implements Observation {
        /** The latency of the link just crossed, measured from the token's timestamp. */
        public long hopNanos() {
            return arrivedAtNanos - sentAtNanos;
        }
    }

    /**
     * {@code node} let the token go to {@code to} at {@code departedAtNanos}; it had it since
     * {@code arrivedAtNanos} (the station hold, 0 at full speed). {@code hop} is the count it arrived with.
     */
    record TokenPassed(int node, int to, long epoch, long rotation, long hop, long arrivedAtNanos, long departedAtNanos)
            implements Observation {
        public long heldNanos() {
            return departedAtNanos - arrivedAtNanos;
        }
    }

    /**
     * {@code node} ticked: the token is at it. {@code tick} is the token's rotation number, so every node
     * counts the same tick for one rotation.
     */
    record Tick(int node, long tick, long atNanos) implements Observation {}

    /** Node 0 saw the token back: {@code rotation} started at {@code startedAtNanos} and ended now. */
    record RotationCompleted(int node, long epoch, long rotation, long startedAtNanos, long completedAtNanos)
            implements Observation {
        public long periodNanos() {
            return completedAtNanos - startedAtNanos;
        }
    }

    /**
     * {@code node}'s estimate of the one-way hop latency from the rotation frequency alone: the token
     * returned {@code intervalNanos} after its previous visit, having crossed {@code hops} links and been held
     * {@code heldNanos} by stations in between, so {@code estimatedHopNanos = (intervalNanos - heldNanos) /
     * hops} (integer division).
     */
    record RotationEstimate(int node, long epoch, long intervalNanos, long heldNanos, long hops, long estimatedHopNanos)
            implements Observation {}

    /** {@code node}'s failure detector started to suspect {@code suspect} (one of its successors) at {@code atNanos}. */
    record Suspected(int node, int suspect, long atNanos) implements Observation {}

    /** {@code node} heard again from {@code suspect}, which it had suspected: the suspicion is withdrawn. */
    record Unsuspected(int node, int suspect, long atNanos) implements Observation {}

    /**
     * {@code node} now passes the token to {@code successor} (-1: no live successor in its list), because a
     * successor was suspected or came back: one ring repair (or rejoin) step.
     */
    record SuccessorChanged(int node, int successor, long atNanos) implements Observation {}

    /** {@code node} dropped a token of {@code epoch} because it had already seen {@code maxEpoch}, a higher one. */
    record TokenDropped(int node, long epoch, long maxEpoch, long atNanos) implements Observation {}

    /**
     * {@code node}'s membership view changed: it now believes {@code dead} nodes dead; {@code digest} is an
     * order-independent hash of the whole view, equal on nodes whose views agree.
     */
    record ViewChanged(int node, int dead, long digest, long atNanos) implements Observation {}

    /**
     * {@code node} applied delta {@code seq} of source ({@code origin}, {@code incarnation}) at {@code atNanos}
     * ({@code op}: {@link Message.Delta#OP_PUT}, ...). At the origin this is the instant the delta was created.
     */
    record DeltaApplied(int node, int origin, long incarnation, long seq, int op, long atNanos) implements Observation {}

    /**
     * Origin {@code node} acknowledged to its client delta {@code seq} of its incarnation {@code incarnation}
     * (and, before it, every earlier one): node {@code replica} holds a copy besides the origin.
     */
    record DeltaAcked(int node, long incarnation, long seq, int replica, long atNanos) implements Observation {}

    /**
     * {@code node}'s replicated state changed: {@code hash} is an order-independent hash of it, equal on
     * nodes that hold the same state; {@code deltas} is how many deltas it has applied.
     */
    record StateHash(int node, long hash, long deltas, long atNanos) implements Observation {}

    /**
     * Cumulative application traffic sent by incarnation {@code incarnation} of {@code node} since its start
     * (deltas, digests, acks; ring maintenance not included), reported periodically when it changed.
     */
    record AppTraffic(int node, long incarnation, long messages, long bytes, long atNanos) implements Observation {}

    /**
     * Origin {@code node} answered get {@code reqId} of {@code key}: {@code hit} with the entry's {@code version}
     * and {@code valueDigest} ({@code protocols.FailoverCache#digest}), or a miss (both 0). {@code servedBy}
     * is the node that served it.
     */
    record CacheReply(int node, long reqId, long key, boolean hit, long version, long valueDigest, int servedBy,
            long atNanos) implements Observation {}

    /**
     * Origin {@code node} acknowledged put {@code reqId} of {@code key}: stored as {@code version} by
     * {@code servedBy} and by that server's replica.
     */
    record CacheAck(int node, long reqId, long key, long version, int servedBy, long atNanos) implements Observation {}

    /** Origin {@code node} gave up request {@code reqId} of {@code key} at its deadline: no answer in time. */
    record CacheFailed(int node, long reqId, long key, boolean put, long atNanos) implements Observation {}

    /**
     * A (re)started cache {@code node} got back what it should hold from its neighbours ({@code entries} in its
     * store) and serves its own keys again from {@code atNanos}.
     */
    record CacheRecovered(int node, long entries, long atNanos) implements Observation {}

    /**
     * Delta cache origin {@code node} acknowledged increment {@code reqId} of counter {@code key} by {@code amount}:
     * it is on r nodes, as increment {@code seq} of origin {@code (node, incarnation)} (see
     * {@code protocols.DeltaCache}).
     */
    record DeltaAck(int node, long reqId, long key, long incarnation, long seq, long amount, long atNanos)
            implements Observation {}

    /**
     * Delta cache root {@code node} answered read {@code reqId} of counter {@code key}: the positive and negative
     * sums {@code plus} and {@code minus} (the value is their difference) aggregated from the {@code answered}
     * nodes that answered in time, over {@code origins} origins with {@code looseDeltas} unfolded increments;
     * {@code dots} lists the increments counted ({@code protocols.DeltaStore#dots}) if the read asked for them,
     * else it is empty.
     */
    record DeltaRead(int node, long reqId, long key, long plus, long minus, int answered, int origins,
            long looseDeltas, String dots, long atNanos) implements Observation {}

    /**
     * Delta cache {@code node} holds, for counter {@code key}, {@code looseDeltas} single increments and
     * {@code summaries} per-origin summaries, {@code bytes} in all ({@code protocols.DeltaStore#bytes}); the answer
     * to storage request {@code reqId}.
     */
    record DeltaStorage(int node, long reqId, long key, long looseDeltas, long summaries, long bytes, long atNanos)
            implements Observation {}

    /**
     * {@code node} fired compensated tick {@code tick}: not when the token passed, but that plus the node's
     * estimate of the time the token still needs to get back to node 0, so all nodes fire tick {@code tick}
     * at about the same instant (see {@code protocols.TokenRing}).
     */
    record CompensatedTick(int node, long tick, long atNanos) implements Observation {}

    /**
     * {@code node} sent {@code to} a control message of a repairing broadcast protocol ({@code protocols.Plumtree}):
     * one per message sent, so experiments count announcements, repairs and prunes the same way on every
     * engine. Payload messages are not reported (the engine counts every message sent).
     *
     * @param control {@link #IHAVE}, {@link #GRAFT_REPAIR}, {@link #GRAFT_OPTIMISE} or {@link #PRUNE}
     */
    record ControlSent(int node, int to, int control, long atNanos) implements Observation {
        /** A lazy-push announcement (one message, however many broadcasts it announces). */
        public static final int IHAVE = 1;
        /** A graft that asks for a missing broadcast after a timeout: one repair of the tree. */
        public static final int GRAFT_REPAIR = 2;
        /** A graft of the tree optimisation: a shorter path was announced; asks for nothing. */
        public static final int GRAFT_OPTIMISE = 3;
        /** A prune: a duplicate arrived over an eager link, or the optimisation replaced it. */
        public static final int PRUNE = 4;

        public ControlSent {
            // Not "kind": that key names the record in the JSON lines of a processes child (ObservationJson).
            if (control < IHAVE || control > PRUNE) {
                throw new IllegalArgumentException("control must be in " + IHAVE + ".." + PRUNE + ", got " + control);
            }
        }
    }

    /**
     * Reported by the engine, not by a node: {@code node} died without the control side crashing it (on
     * {@code processes}: its process exited on its own, e.g. a {@code kill -9} from outside or a JVM error),
     * with {@code exitStatus} (128 + signal for a signal), noticed at {@code atNanos}. The engine then treats
     * the node as crashed ({@link Cluster#alive} is false, the other nodes count sends to it as
     * {@link ClusterStats#RECEIVER_DOWN}) until {@link Cluster#restart}. {@code lastLog} is the engine's
     * account of why, one line (on {@code processes} the last lines of the child's log), possibly empty.
     */
    record NodeExited(int node, int exitStatus, String lastLog, long atNanos) implements Observation {}

    /**
     * An observation of a protocol written outside ringlab: implement it with a record of your own, e.g.
     * {@code record CounterValue(int node, long value, long atNanos) implements Observation.Custom {}}, and
     * report it with {@link Env#observe} like any other. Every engine delivers it to observers as the same
     * record: the simulator and {@code netty} hand the object over, {@code processes} streams it from the node
     * process to the driver as a JSON line and rebuilds it there, so the record must have that form:
     * <ul>
     *   <li>a record class, public or not, whose binary name the driver can load (a node process runs with the
     *       driver's class path, so the class your protocol uses is there);</li>
     *   <li>components of type {@code int}, {@code long}, {@code double}, {@code boolean} or {@code String}
     *       only, none named {@code kind} or {@code event} (the JSON line's own keys);</li>
     *   <li>a canonical constructor that accepts what the accessors returned (equal records on both sides).</li>
     * </ul>
     * The testkit's {@code TestCluster} checks that form for each class on every engine, so a record that
     * could not cross to {@code processes} fails on the simulator already.
     *
     * <p>It is an interface, not a final record with a map of fields, so a protocol's tests read typed
     * components ({@code if (o instanceof CounterValue v) ... v.value()}); and it keeps {@code Observation}
     * sealed, so an exhaustive {@code switch} over observations still names every ringlab record and has one
     * case for all custom ones ({@code case Observation.Custom c -> ...}), without a {@code default}. ringlab's
     * own consumers (the CLI's metrics, the checkers) know no custom observation and ignore them.
     */
    non-sealed interface Custom extends Observation {}
}
