package dev.ringlab.node;

import dev.ringlab.topology.Overlay;
import java.util.OptionalLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The one contract both engines implement: N nodes running one {@link Protocol} on one {@link Overlay},
 * driven and observed from outside. An experiment is written once against this interface and runs on the
 * simulator ({@code sim}) or on real sockets ({@code netty}, {@code processes}); its metrics come from the
 * same {@link Observation} stream, so the numbers compare directly.
 *
 * <h2>Threading and time</h2>
 * Methods are called from one controlling thread. Times are {@link #now()} nanoseconds: virtual time in
 * the simulator (which advances only inside {@link #runFor} and {@link #runUntil}), monotonic time on
 * real engines (which run on their own threads; {@code runFor} then just waits). Control actions
 * ({@link #inject}, {@link #crash}, ...) take effect at the current {@link #now()}; to act at a later
 * instant, {@link #at} schedules a control action on the engine's clock (exact in the simulator).
 *
 * <h2>Observers</h2>
 * Observers see observations one at a time (engines serialise calls), in the order each engine learns
 * of them; on real engines a sink must not block.
 */
public interface Cluster extends AutoCloseable {
    /** {@code "sim"}, {@code "netty"} or {@code "processes"}. */
    String engine();

    Overlay overlay();

    Protocol protocol();

    default int size() {
        return overlay().size();
    }

    /** Adds an observer; call before {@link #start} to see everything. */
    void addObserver(Consumer<Observation> sink);

    /** Starts every node. Called once. */
    void start();

    /** The engine clock, nanoseconds (see class doc). */
    long now();

    /** Delivers client request {@code m} to {@code node} as if from {@link Env#CLIENT}. Dropped if it is down. */
    void inject(int node, Message m);

    /** Kills {@code node} without warning: its state and its in-flight messages are lost. */
    void crash(int node);

    /** Brings a crashed {@code node} back as a fresh instance from the {@link Protocol}. */
    void restart(int node);

    /** True unless {@code node} is crashed. */
    boolean alive(int node);

    /**
     * Splits the nodes into groups: messages between different groups are dropped until {@link #heal}.
     * Nodes in no group form one more group.
     */
    void partition(int[][] groups);

    /** Ends any partition. */
    void heal();

    /**
     * Fault: makes {@code node} a slow host, adding {@code extraNanos} to the latency of every message it
     * sends or receives from now on; 0 makes it normal again. Only the simulator implements it; other
     * engines throw {@link UnsupportedOperationException}.
     */
    default void slow(int node, long extraNanos) {
        throw new UnsupportedOperationException("engine " + engine() + " cannot slow a node (a fault the simulator only"
                + " models)");
    }

    /**
     * Fault: a loss burst: from now on every node-to-node message is also lost with probability
     * {@code probability} (on top of any configured loss), until called again with 0. Only the simulator
     * implements it; other engines throw {@link UnsupportedOperationException}.
     */
    default void lossBurst(double probability) {
        throw new UnsupportedOperationException("engine " + engine() + " cannot inject a loss burst (a fault the"
                + " simulator only models)");
    }

    /** Runs {@code action} on the control side at engine time {@code atNanos} (or now, if that is past). */
    void at(long atNanos, Runnable action);

    /** Runs the cluster for {@code nanos} of engine time. */
    void runFor(long nanos);

    /**
     * Runs until {@code condition} holds (checked after every event in the simulator, every few
     * milliseconds on real engines) or {@code timeoutNanos} of engine time pass.
     *
     * @return whether the condition holds
     */
    boolean runUntil(BooleanSupplier condition, long timeoutNanos);

    /**
     * How a {@link #settle} ended.
     *
     * @param quiet             true if the cluster went quiet (the simulator: no event pending; a real engine:
     *                          no node sent a message for the engine's quiet period)
     * @param lastActivityNanos engine time ({@link #now()}) of the last message sent before the cluster went quiet,
     *                          or the time settle gave up: the end of the measured work, without the quiet wait
     */
    record Settled(boolean quiet, long lastActivityNanos) {}

    /** How long a real engine must send nothing before the default {@link #settle} calls it quiet. */
    long QUIET_NANOS = 250_000_000L;

    /**
     * Lets in-flight work finish: runs until the cluster goes quiet or {@code drainNanos} of engine time pass
     * (so a protocol with periodic timers still ends). The default, for engines with their own clocks, polls
     * {@link #stats()} and calls the cluster quiet once no message was sent for {@link #QUIET_NANOS}; the
     * simulator overrides it with "no event pending".
     */
    default Settled settle(long drainNanos) {
        long[] last = {stats().messagesSent(), now()};
        boolean quiet = runUntil(() -> {
            long sent = stats().messagesSent();
            long t = now();
            if (sent != last[0]) {
                last[0] = sent;
                last[1] = t;
                return false;
            }
            return t - last[1] >= QUIET_NANOS;
        }, drainNanos);
        return new Settled(quiet, quiet ? last[1] : now());
    }

    /** Counters since start: messages, bytes, drops, deliveries. */
    ClusterStats stats();

    /**
     * A hash over every delivery so far (time, from, to, message type), if this engine is deterministic
     * (the simulator); empty on real engines.
     */
    OptionalLong traceHash();

    /** Stops every node and releases sockets, threads and processes. Idempotent. */
    @Override
    void close();
}
