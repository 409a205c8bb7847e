package org.example.counter;

import dev.ringlab.testkit.SimulationRun;
import dev.ringlab.testkit.TestCluster;
import dev.ringlab.topology.Topologies;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/** The one scenario both variants run: increments during the fault phase, then every node must agree. */
final class CounterScenario {
    private CounterScenario() {}

    static void incrementsConverge(SimulationRun run, GCounter protocol) {
        int n = 5;
        AtomicLong injected = new AtomicLong();
        AtomicLongArray value = new AtomicLongArray(n);
        try (TestCluster c = run.builder(Topologies.build("ring", n, run.seed()), protocol)
                .link("uniform:1ms,5ms")
                .observer(o -> {
                    if (o instanceof CounterValue v) {
                        // Safety, per node: the value never goes down.
                        long before = value.getAndSet(v.node(), v.value());
                        if (v.value() < before) {
                            throw new AssertionError("node " + v.node() + " went from " + before + " to " + v.value());
                        }
                    }
                })
                // Safety, after every event: no node counts more than was ever added.
                .invariant(() -> {
                    for (int v = 0; v < n; v++) {
                        if (value.get(v) > injected.get()) {
                            throw new AssertionError("node " + v + " counts " + value.get(v) + " > " + injected.get() + " added");
                        }
                    }
                })
                .start()) {
            SplittableRandom r = new SplittableRandom(run.seed());
            // An increment every 50 ms, at a random node, throughout the fault phase.
            for (long t = 10; t < run.horizon().toMillis(); t += 50) {
                int node = r.nextInt(n);
                c.at(Duration.ofMillis(t), () -> {
                    injected.incrementAndGet();
                    c.inject(node, new CounterMessage.Increment(1));
                });
            }
            c.runFaultPhase();
            // Liveness: once healed, every node reaches the total.
            c.awaitUntil("every node counts all " + injected.get() + " increments", () -> {
                for (int v = 0; v < n; v++) {
                    if (value.get(v) != injected.get()) {
                        return false;
                    }
                }
                return true;
            }, Duration.ofSeconds(2));
        }
    }
}
