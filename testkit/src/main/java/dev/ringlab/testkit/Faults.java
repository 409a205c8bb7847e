package dev.ringlab.testkit;

/** Which fault plan each run of a {@link SimulationTest} gets. */
public enum Faults {
    /** No faults: every run gets the empty plan; runs differ in their seed only. */
    NONE,
    /**
     * A fault plan drawn from the run's seed ({@link dev.ringlab.node.spec.FaultPlan#random}, swarm testing:
     * each seed picks its own mix of fault kinds), restricted to {@link SimulationTest#kinds()}.
     */
    RANDOM
}
