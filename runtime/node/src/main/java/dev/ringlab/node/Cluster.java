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
 * <h2>Overlay</h2>
 * Every engine honours the overlay the same way. An overlay edge carries messages both ways: a send from
 * {@code u} to {@code v} travels if the overlay has the arc {@code u -> v} or {@code v -> u} (real engines
 * open one TCP connection per edge and use it in both directions; the simulator follows the same rule).
 * A send between two nodes that no edge joins is dropped at the sender and counted as
 * {@link ClusterStats#NO_EDGE}; it still counts as sent. A protocol that cannot work on an overlay says so
 * up front: every engine calls {@link Protocol#checkOverlay} when it is built, before anything starts.
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

    /**
     * Kills {@code node} without warning: its state and its in-flight messages are lost. When this returns,
     * every observation the dead incarnation made has reached the observers, and it makes no more: an
     * observation of {@code node} that an observer sees after this call is its next incarnation's.
     */
    void crash(int node);

    /**
     * Brings a crashed {@code node} back as a fresh instance from the {@link Protocol}. On a real engine the
     * new incarnation may run, and its observations reach the observers, before this call returns.
     */
    void restart(int node);

    /**
     * True unless {@code node} is crashed, by {@link #crash} or on its own: a node that dies without
     * {@link #crash} (on {@code processes}, a child process that exits; the other engines run no code that
     * can) is reported once as {@link Observation.NodeExited} and from then on treated as crashed (its peers
     * count sends to it as receiver_down) until {@link #restart}. The engine never respawns it by itself: a
     * driver whose protocol heals carries on, one whose protocol cannot fails at once on that observation.
     */
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
     * sends or receives from now on (a message between two slow nodes gets both); 0 makes it normal again.
     * Messages already on their way keep their latency. The simulator adds it to the drawn latency; real
     * engines add it to the emulated delay on the node's own send path and on its neighbours' send paths
     * towards it (on {@code processes} from the moment each child reads the notice on its stdin).
     *
     * @throws IllegalArgumentException if {@code node} is not a node id or {@code extraNanos < 0}
     */
    void slow(int node, long extraNanos);

    /**
     * Fault: a loss burst: from now on every node-to-node message is also lost with probability
     * {@code probability}, independently of (on top of) the configured loss, until called again with 0.
     * Counted as {@link ClusterStats#LOSS}. Drawn at the sender, like the configured loss (real engines: on
     * every node's send path, on {@code processes} from the moment each child reads the notice).
     *
     * @throws IllegalArgumentException if {@code probability} is not in 0..1
     */
    void lossBurst(double probability);

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
     * {@link #stats()} (which must therefore be cheap: it reads counters the engine already holds and does not
     * ask the nodes) and calls the cluster quiet once no message was sent for {@link #QUIET_NANOS}: both by the
     * latest send's own time ({@link ClusterStats#lastSendNanos}) and by when this loop last saw the send count
     * change, so counters that reach the engine late (streamed from child processes) cannot end the wait
     * early. {@link Settled#lastActivityNanos} is the time of the latest send (or, if nothing was ever sent,
     * when settle began; if it gave up, the time it gave up). The simulator overrides it with "no event
     * pending".
     */
    default Settled settle(long drainNanos) {
        long began = now();
        long[] seen = {stats().messagesSent(), began};
        boolean quiet = runUntil(() -> {
            ClusterStats s = stats();
            long t = now();
            if (s.messagesSent() != seen[0]) {
                seen[0] = s.messagesSent();
                seen[1] = t;
                return false;
            }
            long lastSend = s.lastSendNanos().orElse(began);
            return t - seen[1] >= QUIET_NANOS && t - lastSend >= QUIET_NANOS;
        }, drainNanos);
        if (!quiet) {
            return new Settled(false, now());
        }
        return new Settled(true, stats().lastSendNanos().orElse(began));
    }

    /**
     * Counters since start, summed over every node and every incarnation: messages, bytes, drops by reason,
     * deliveries. Cheap and side-effect free: engines keep their own copy (real engines: counters streamed
     * by the nodes), so polling it does not load the nodes being measured.
     */
    ClusterStats stats();

    /**
     * Each node's open peer connections now, by node id (0 for a node that is down), on an engine with
     * connections; null on one without (the simulator), where nothing was measured.
     */
    default int[] openConnections() {
        return null;
    }

    /**
     * CPU time the engine has spent running the nodes so far, in nanoseconds: on the in-process netty engine, the
     * measured CPU time (user and system) of its event-loop threads, which run the nodes' handlers, their sends and
     * reads, and the observers; on the simulator with an engine model ({@code --model}), the core time the model
     * charged (handlers, sends, cold-start penalties paid on a core); on the processes engine, the measured CPU time
     * of the node JVMs (every thread, the JIT compiler and collector too), empty once any of them has ended. Empty
     * where nothing measures it: the simulator without a model. Take differences: the value counts from the
     * engine's start.
     */
    default OptionalLong cpuNanos() {
        return OptionalLong.empty();
    }

    /**
     * How long before node {@code node}'s last {@link #restart} call returned its new incarnation was already bound
     * (its port accepts a neighbour's redial; the handshake may finish later: in a cold JVM among 15 others, up to
     * tens of ms after the call returned), where the engine sees both instants: on processes, from the child's
     * {@code ready} line to the call's return. Empty where it is not
     * measured (netty opens the node's link table as the call ends; the simulator has no call), and before the
     * node's first restart.
     */
    default OptionalLong restartAcceptNanos(int node) {
        return OptionalLong.empty();
    }

    /**
     * How late the nodes' timers have fired so far ({@link TimerLateness}: every incarnation of every node, by the
     * incarnation's age), on the real engines, where it is measured; on the simulator with an engine model that has a
     * timer part ({@code --model}), the lateness the model drew; null where nothing measures or draws it (the
     * simulator without a timer model).
     */
    default TimerLateness timerLateness() {
        return null;
    }

    /**
     * A hash over every delivery so far (time, from, to, message type), if this engine is deterministic
     * (the simulator); empty on real engines.
     */
    OptionalLong traceHash();

    /** Stops every node and releases sockets, threads and processes. Idempotent. */
    @Override
    void close();
}
