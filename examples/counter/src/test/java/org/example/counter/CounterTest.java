package org.example.counter;

import dev.ringlab.node.spec.FaultPlan.Kind;
import dev.ringlab.testkit.Faults;
import dev.ringlab.testkit.SimulationRun;
import dev.ringlab.testkit.SimulationTest;

class CounterTest {
    /**
     * 500 seeded runs on the simulator, each with its own random plan of partitions, slow nodes and loss bursts.
     * The same test on real sockets: {@code engine = "netty"} here, or {@code -Dringlab.engine=netty} on the
     * command line (with fewer runs, {@code -Dringlab.runs=2}: a netty run takes real time).
     */
    @SimulationTest(runs = 500, faults = Faults.RANDOM, kinds = {Kind.PARTITION, Kind.SLOW, Kind.LOSS})
    void convergesUnderFaults(SimulationRun run) {
        CounterScenario.incrementsConverge(run, GCounter.CORRECT);
    }
}
