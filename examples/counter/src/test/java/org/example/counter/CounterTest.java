package org.example.counter;

import dev.ringlab.node.spec.FaultPlan.Kind;
import dev.ringlab.testkit.Faults;
import dev.ringlab.testkit.SimulationRun;
import dev.ringlab.testkit.SimulationTest;

class CounterTest {
    /** 500 seeded runs on the simulator, each with its own random plan of partitions, slow nodes and loss bursts. */
    @SimulationTest(runs = 500, faults = Faults.RANDOM, kinds = {Kind.PARTITION, Kind.SLOW, Kind.LOSS})
    void convergesUnderFaults(SimulationRun run) {
        CounterScenario.incrementsConverge(run, GCounter.CORRECT);
    }

    /** The same test on real sockets (all nodes in this JVM): one argument changed, and fewer runs (real time). */
    @SimulationTest(runs = 2, engine = "netty", faults = Faults.RANDOM, kinds = {Kind.PARTITION, Kind.SLOW, Kind.LOSS})
    void convergesUnderFaultsOnNetty(SimulationRun run) {
        CounterScenario.incrementsConverge(run, GCounter.CORRECT);
    }
}
