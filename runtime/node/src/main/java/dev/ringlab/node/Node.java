package dev.ringlab.node;

/**
 * One node's protocol logic: a deterministic, single-threaded state machine.
 *
 * <h2>Lifecycle</h2>
 * An engine creates a node with its {@link Protocol}, calls {@link #start} once, then
 * {@link #onMessage} for each message delivered to it, in delivery order, and runs its timers (see
 * {@link Env#schedule}). All calls come from one thread at a time (see {@link Env}). A crash is silent:
 * the engine stops calling the node and discards it; a restart creates a fresh instance through the
 * protocol, so nothing survives a crash but what the protocol fetches from its peers. {@link #stop} is
 * called only on a graceful shutdown.
 *
 * <h2>Rules</h2>
 * A node sees the world only through its {@link Env}: no sockets, threads, wall clock or unseeded
 * randomness (an ArchUnit test enforces this for {@code dev.ringlab.node}). Callbacks must not block and
 * should not throw: an exception is a bug, and engines surface it as a failed run.
 */
public interface Node {
    /** Called once, before any message or timer. The node keeps {@code env} for later callbacks. */
    void start(Env env);

    /**
     * A message from node {@code from} (or from {@link Env#CLIENT} for a client request such as
     * {@link Message.Inject}). A message type the protocol does not handle is ignored.
     */
    void onMessage(int from, Message m);

    /**
     * A hint for engines that fetch a node's memory ahead of its messages (the simulator, where at 10^6 nodes a
     * delivery's node state is rarely in the cache): false only if {@link #onMessage onMessage(from, m)}, called
     * now, would certainly send nothing and schedule nothing, as for a copy of a broadcast the node has already
     * seen. It must not change the node's state. Engines may call it any number of times or never; a true where
     * false was possible costs only speed. The simulator's invariant checks ({@code ringlab check}) fail a run in
     * which a node acted on a message after its hint said false. The default says true.
     */
    default boolean mightAct(int from, Message m) {
        return true;
    }

    /**
     * A hint for the simulator: true if, once {@link #mightAct} has said false for a {@link Message.Broadcast}, every
     * later copy of that broadcast (the same id, from any sender) is dropped for as long as this instance lives:
     * {@link #onMessage} would change no state, send nothing, schedule nothing and observe nothing. The simulator
     * then stops handing this node copies of that broadcast (it still counts them as delivered and folds them into
     * its trace): in a flood six of seven deliveries are such copies, and at 10^6 nodes each would otherwise load
     * the receiver's state from memory. A node that is crashed and restarted is a new instance and starts with
     * nothing seen. The simulator's invariant checks ({@code ringlab check}) keep handing the copies over and fail
     * a run in which such a copy made the node act. The default says false.
     */
    default boolean dropsSeenBroadcasts() {
        return false;
    }

    /** Graceful shutdown: cancel timers, say goodbye if the protocol wants. Not called on a crash. */
    default void stop() {}
}
