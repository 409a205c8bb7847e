package dev.ringlab.testkit;

/**
 * A property of the whole cluster that must hold at every instant, checked by {@link TestCluster} after every
 * event on the simulator (every delivery, timer and control action) and after every observation on the real
 * engines. It reads what the test collected (observations, counters): it must be quick and must not drive the
 * cluster.
 */
@FunctionalInterface
public interface Invariant {
    /**
     * Checks the property.
     *
     * @throws AssertionError (or any runtime exception) describing the violation; the run then fails at the
     *     event that broke it
     */
    void check();
}
