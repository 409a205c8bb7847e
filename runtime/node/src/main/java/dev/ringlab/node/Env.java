package dev.ringlab.node;

import java.util.random.RandomGenerator;

/**
 * A node's whole view of the world. Node logic gets time, randomness, I/O and measurement only from
 * here, which is what lets the same {@link Node} run on the simulator's virtual clock and on real
 * sockets.
 *
 * <h2>Threading</h2>
 * An engine calls a node (its {@link Node} callbacks and its timer tasks) from one thread at a time and
 * never concurrently; every method of {@code Env} may only be called from inside such a callback. In the
 * simulator that is the simulation thread; in the Netty runtime it is the event-loop thread that owns the
 * node. So node logic needs no locks and must not block.
 *
 * <h2>What may go wrong</h2>
 * {@link #send} is fire-and-forget: a message may be delayed, reordered with other messages (link
 * models in the simulator; reconnections on real sockets), lost (loss models, partitions, crashes, full
 * outbound buffers, sends along non-edges), but it is never duplicated or corrupted. A node learns of loss only through its own
 * timers.
 */
public interface Env {
    /** The pseudo-sender of client requests ({@link Message.Inject}) handed to a node by its engine. */
    int CLIENT = -1;

    /** This node's position in the fixed enumeration, 0..n-1. Stable across crash and restart. */
    int self();

    /**
     * Nanoseconds on a clock shared by every node of the cluster: virtual time in the simulator,
     * the JVM's monotonic nanosecond clock (shared by all processes of one host on Linux) in the runtime.
     * Non-decreasing between calls.
     */
    long now();

    /**
     * Sends {@code m} to node {@code to}. Never blocks, never throws for a dead or unreachable peer (the
     * message is then dropped and counted by the engine, by reason: see {@link ClusterStats}). Only overlay
     * edges carry messages, in either direction: a send to a node no edge joins to this one is dropped
     * ({@link ClusterStats#NO_EDGE}) on every engine. Messages are immutable, so one instance may be sent to
     * several peers.
     *
     * @throws IllegalArgumentException if {@code to} is not a node id or is this node itself
     */
    void send(int to, Message m);

    /**
     * Runs {@code task} on this node's thread after {@code delayNanos} (>= 0), unless cancelled first or
     * the node crashes. Timers with equal deadlines run in the order they were scheduled.
     */
    Timer schedule(long delayNanos, Runnable task);

    /**
     * This node's random stream: seeded from the run seed in the simulator (a restarted node gets a fresh
     * stream split from the same seed), so protocol choices replay exactly.
     */
    RandomGenerator random();

    /** Reports what experiments measure. Cheap, never blocks; engines stamp nothing, the record says it all. */
    void observe(Observation o);

    /**
     * Whether anything receives {@link #observe}'s records: false lets a protocol skip building them (a
     * simulated run without observers allocates none). True unless the engine knows no one listens; an
     * {@code Env} that wraps another and intercepts {@link #observe} keeps the default.
     */
    default boolean hasObservers() {
        return true;
    }
}
