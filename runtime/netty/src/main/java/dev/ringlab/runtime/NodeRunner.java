package dev.ringlab.runtime;

import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.Timer;
import dev.ringlab.node.TimerLateness;
import dev.ringlab.topology.Overlay;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * The node itself on a real engine: its {@link Node} instance, the {@link Env} it sees and its timers, and
 * its lifecycle across incarnations. Confined to the node's executor (its event loop): every method but
 * the getters runs there.
 *
 * <p>Each {@link #boot} creates a fresh node from the {@link Protocol} with a new {@link Env} bound to the
 * incarnation: after {@link #crash} or {@link #stop}, the old incarnation's sends, timers and observations
 * are ignored, so nothing of a dead node leaks into its successor. Messages that arrive before the first
 * boot are held, up to {@code maxPending} ({@link ClusterStats#NOT_STARTED} beyond), and handed to the node
 * right after it starts. A node's exception is a bug: the first one is kept ({@link #failure}) for the
 * engine to report as a failed run, and the node keeps running.
 */
final class NodeRunner {
    /** Where the node's sends go: its {@link SendPath}. */
    @FunctionalInterface
    interface Outbound {
        void send(int to, Message m);
    }

    private final int self;
    private final Overlay overlay;
    private final Protocol protocol;
    private final ScheduledExecutorService executor;
    private final LongSupplier clock;
    private final long seed;
    private final Outbound outbound;
    private final Consumer<Observation> sink;
    private final NodeMetrics metrics;
    private final int maxPending;
    private final ArrayDeque<Object[]> pending = new ArrayDeque<>();

    private Node node;
    private boolean started;
    private int incarnation;
    private volatile Throwable failure;
    private volatile Observation lastObservation;

    /**
     * @param seed the run seed; incarnation {@code i}'s {@link Env#random()} is seeded from (seed, self, i)
     * @param sink observations of the current incarnation, on the executor
     */
    NodeRunner(int self, Overlay overlay, Protocol protocol, ScheduledExecutorService executor, LongSupplier clock, long seed,
            Outbound outbound, Consumer<Observation> sink, NodeMetrics metrics, int maxPending) {
        this.self = self;
        this.overlay = Objects.requireNonNull(overlay, "overlay");
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        this.executor = Objects.requireNonNull(executor, "executor");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.seed = seed;
        this.outbound = Objects.requireNonNull(outbound, "outbound");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
        this.maxPending = maxPending;
    }

    /** Creates a fresh node from the protocol, starts it, then hands it the messages held before. */
    void boot() {
        node = protocol.create(self, overlay);
        started = true;
        Node current = node;
        try {
            current.start(new RunnerEnv(incarnation));
        } catch (RuntimeException e) {
            fail("start", e);
        }
        while (!pending.isEmpty() && node == current) {
            Object[] p = pending.poll();
            deliver((Integer) p[0], (Message) p[1]);
        }
    }

    /** The node dies without warning: its state, timers and held messages go. */
    void crash() {
        incarnation++;
        node = null;
        started = false;
        pending.clear();
    }

    /** Graceful end: {@link Node#stop}, then as {@link #crash}. */
    void stop() {
        if (node != null && started) {
            try {
                node.stop();
            } catch (RuntimeException e) {
                fail("stop", e);
            }
        }
        crash();
    }

    /** A message for the node: delivered if it runs, held if it has not started yet. */
    void receive(int from, Message m) {
        if (!started) {
            if (pending.size() < maxPending) {
                pending.add(new Object[] {from, m});
            } else {
                metrics.drop(ClusterStats.NOT_STARTED);
            }
            return;
        }
        deliver(from, m);
    }

    boolean started() {
        return started;
    }

    int incarnation() {
        return incarnation;
    }

    /** The first exception the node logic threw, if any. Any thread. */
    Throwable failure() {
        return failure;
    }

    /** The latest observation of the node. Any thread. */
    Observation lastObservation() {
        return lastObservation;
    }

    private void deliver(int from, Message m) {
        if (from != Env.CLIENT) {
            metrics.deliveredOne();
        }
        if (HopProbe.ON) {
            HopProbe.markDelivered();
        }
        try {
            node.onMessage(from, m);
        } catch (RuntimeException e) {
            fail("a " + MessageCodec.typeName(MessageCodec.type(m)) + " message from " + from, e);
        }
    }

    private void fail(String where, RuntimeException e) {
        if (failure == null) {
            failure = new IllegalStateException("node " + self + " threw in " + where + ": " + e, e);
        }
    }

    /** The Env of one incarnation: everything it does is ignored once that incarnation is over. */
    private final class RunnerEnv implements Env {
        private final int inc;
        private final SplittableRandom random;

        /** When this incarnation began ({@link #clock}): a timer's age class is counted from here. */
        private final long bornNanos;

        RunnerEnv(int inc) {
            this.inc = inc;
            this.bornNanos = clock.getAsLong();
            this.random = new SplittableRandom(NodeHost.mix(seed ^ NodeHost.mix(((long) self << 20) ^ inc)));
        }

        @Override
        public int self() {
            return self;
        }

        @Override
        public long now() {
            return clock.getAsLong();
        }

        @Override
        public void send(int to, Message m) {
            if (inc == incarnation) {
                outbound.send(to, m);
            }
        }

        @Override
        public Timer schedule(long delayNanos, Runnable task) {
            if (delayNanos < 0) {
                throw new IllegalArgumentException("timer delay must be >= 0, got " + delayNanos);
            }
            Objects.requireNonNull(task, "task");
            // How late it runs, for timers long enough to be the node's own (see TimerLateness).
            long due = delayNanos >= TimerLateness.MIN_DELAY_NANOS ? clock.getAsLong() + delayNanos : Long.MIN_VALUE;
            ScheduledFuture<?> f = executor.schedule(() -> {
                if (inc == incarnation) {
                    if (due != Long.MIN_VALUE) {
                        metrics.timerFired(due - bornNanos, clock.getAsLong() - due);
                    }
                    try {
                        task.run();
                    } catch (RuntimeException e) {
                        fail("a timer", e);
                    }
                }
            }, delayNanos, TimeUnit.NANOSECONDS);
            return () -> f.cancel(false);
        }

        @Override
        public RandomGenerator random() {
            return random;
        }

        @Override
        public void observe(Observation o) {
            if (inc != incarnation) {
                return;
            }
            lastObservation = o;
            metrics.observed(o);
            sink.accept(o);
        }
    }
}
