package dev.ringlab.runtime;

import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * One node's send path, from {@code Env.send} to its connection: the overlay rule, then the link emulation
 * and the engine's link faults, then the write. Confined to the node's event loop (its {@code executor}):
 * no locks.
 *
 * <p>Per message to {@code to}, in order, each drop counted in {@link NodeMetrics} under its
 * {@link ClusterStats} reason:
 * <ol>
 *   <li>counted as sent (messages and encoded bytes, and the time: {@link NodeMetrics.Counters#lastSendNanos});
 *   <li>{@code to} not an overlay neighbour (no arc either way): {@link ClusterStats#NO_EDGE};
 *   <li>the loss draw, only if the emulation's loss or the {@link LinkFaults#lossBurst} is above 0, with
 *       the two combined as independent events as in the simulator: {@link ClusterStats#LOSS};
 *   <li>the delay: the emulation's draw ({@link LinkEmulation#delayNanos}, only if the emulation is active)
 *       plus {@link LinkFaults#slowNanos} of this node and of {@code to}. A delayed message waits for a
 *       timer on the executor; per link at most {@code backlogBytes} encoded bytes may wait
 *       ({@link ClusterStats#EMULATION_BACKLOG} beyond), and a message still waiting when the node
 *       crashes ({@link #discardDelayed}) is counted when its timer fires ({@link ClusterStats#SENDER_CRASHED});
 *   <li>the write ({@link Wire}): {@link ClusterStats#NO_CONNECTION} or {@link ClusterStats#NOT_WRITABLE}
 *       as the wire says, except that a connection missing because the engine crashed {@code to}
 *       ({@link LinkFaults#isDown}) is {@link ClusterStats#RECEIVER_DOWN}.
 * </ol>
 * Every draw comes from one {@link SplittableRandom} seeded from (run seed, node id)
 * ({@link NodeHost#linkSeed}): the sequence of draws replays from the seed, and no draw is made while
 * neither loss nor an emulated delay applies.
 */
final class SendPath {
    /** Where a message that passed the path is written: the node's connections. */
    @FunctionalInterface
    interface Wire {
        /**
         * Writes {@code m} ({@code size} encoded bytes) to neighbour {@code to}.
         *
         * @return null if written, else the drop reason ({@link ClusterStats#NO_CONNECTION} or
         *     {@link ClusterStats#NOT_WRITABLE})
         */
        String write(int to, Message m, int size);
    }

    private final int self;
    private final boolean[] isPeer;
    private final LinkEmulation emulation;
    private final LinkFaults faults;
    private final NodeMetrics metrics;
    private final ScheduledExecutorService executor;
    private final LongSupplier clock;
    private final int backlogBytes;
    private final Wire wire;
    private final SplittableRandom random;
    private final long[] delayedBytes;
    /** Bumped by {@link #discardDelayed}: a delayed message of an earlier generation is discarded. */
    private int generation;

    /**
     * @param isPeer       per node id, whether it is an overlay neighbour of {@code self} (either direction)
     * @param seed         the run seed (draws come from {@link NodeHost#linkSeed}{@code (seed, self)})
     * @param backlogBytes most encoded bytes that may wait out their delay on one link
     */
    SendPath(int self, boolean[] isPeer, LinkEmulation emulation, LinkFaults faults, NodeMetrics metrics,
            ScheduledExecutorService executor, LongSupplier clock, long seed, int backlogBytes, Wire wire) {
        this.self = self;
        this.isPeer = isPeer.clone();
        this.emulation = Objects.requireNonNull(emulation, "emulation");
        this.faults = Objects.requireNonNull(faults, "faults");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.backlogBytes = backlogBytes;
        this.wire = Objects.requireNonNull(wire, "wire");
        this.random = new SplittableRandom(NodeHost.linkSeed(seed, self));
        this.delayedBytes = new long[isPeer.length];
        if (faults.size() != isPeer.length) {
            throw new IllegalArgumentException("faults for " + faults.size() + " nodes on an overlay of " + isPeer.length);
        }
    }

    /**
     * Sends {@code m} to {@code to} (see the class doc).
     *
     * @throws IllegalArgumentException if {@code to} is not another node's id
     */
    void send(int to, Message m) {
        int n = isPeer.length;
        if (to < 0 || to >= n || to == self) {
            throw new IllegalArgumentException("node " + self + " sent to " + to + ", not another node id in 0.." + (n - 1));
        }
        Objects.requireNonNull(m, "message");
        int size = MessageCodec.encodedSize(m);
        metrics.sent(size, clock.getAsLong());
        if (!isPeer[to]) {
            metrics.drop(ClusterStats.NO_EDGE);
            return;
        }
        double burst = faults.lossBurst();
        double p = emulation.active() ? emulation.lossProbability(self, to) : 0;
        if (burst > 0) {
            p = 1 - (1 - p) * (1 - burst);
        }
        if (p > 0 && random.nextDouble() < p) {
            metrics.drop(ClusterStats.LOSS);
            return;
        }
        long delay = emulation.active() ? emulation.delayNanos(self, to, random) : 0;
        delay += faults.slowNanos(self) + faults.slowNanos(to);
        if (delay <= 0) {
            write(to, m, size);
            return;
        }
        if (delayedBytes[to] + size > backlogBytes) {
            metrics.drop(ClusterStats.EMULATION_BACKLOG);
            return;
        }
        delayedBytes[to] += size;
        int gen = generation;
        executor.schedule(() -> {
            delayedBytes[to] -= size;
            if (gen != generation) {
                metrics.drop(ClusterStats.SENDER_CRASHED);
                return;
            }
            write(to, m, size);
        }, delay, TimeUnit.NANOSECONDS);
    }

    private void write(int to, Message m, int size) {
        String dropped = wire.write(to, m, size);
        if (dropped != null) {
            metrics.drop(dropped.equals(ClusterStats.NO_CONNECTION) && faults.isDown(to) ? ClusterStats.RECEIVER_DOWN : dropped);
        }
    }

    /** The node crashed or stopped: every message still waiting out its delay is discarded when its timer fires. */
    void discardDelayed() {
        generation++;
    }

    /** Encoded bytes waiting out their delay towards {@code to}. */
    long delayedBytes(int to) {
        return delayedBytes[to];
    }
}
