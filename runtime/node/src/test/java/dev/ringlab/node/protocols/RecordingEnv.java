package dev.ringlab.node.protocols;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/** An {@link Env} for one node under test: records sends, observations and timers; time moves by hand. */
final class RecordingEnv implements Env {
    record Sent(int to, Message message) {}

    record Scheduled(long atNanos, Runnable task, boolean[] cancelled) {}

    private final int self;
    private final int n;
    private final RandomGenerator random;
    final List<Sent> sent = new ArrayList<>();
    final List<Observation> observed = new ArrayList<>();
    final List<Scheduled> timers = new ArrayList<>();
    long nowNanos;

    RecordingEnv(int self, int n, long seed) {
        this.self = self;
        this.n = n;
        this.random = new SplittableRandom(seed);
    }

    @Override
    public int self() {
        return self;
    }

    @Override
    public long now() {
        return nowNanos;
    }

    @Override
    public void send(int to, Message m) {
        if (to < 0 || to >= n || to == self) {
            throw new IllegalArgumentException("node " + self + " sent to " + to);
        }
        sent.add(new Sent(to, m));
    }

    @Override
    public Timer schedule(long delayNanos, Runnable task) {
        boolean[] cancelled = new boolean[1];
        timers.add(new Scheduled(nowNanos + delayNanos, task, cancelled));
        return () -> {
            boolean was = !cancelled[0];
            cancelled[0] = true;
            return was;
        };
    }

    @Override
    public RandomGenerator random() {
        return random;
    }

    @Override
    public void observe(Observation o) {
        observed.add(o);
    }

    /** Runs every due timer that was not cancelled, in schedule order, after moving time to {@code atNanos}. */
    void advanceTo(long atNanos) {
        nowNanos = atNanos;
        for (int i = 0; i < timers.size(); i++) {
            Scheduled s = timers.get(i);
            if (s.atNanos <= atNanos && !s.cancelled[0]) {
                s.cancelled[0] = true;
                s.task.run();
            }
        }
    }
}
