package org.example.counter;

import dev.ringlab.node.spec.FaultPlan.Kind;
import dev.ringlab.testkit.Faults;
import dev.ringlab.testkit.SimulationRun;
import dev.ringlab.testkit.SimulationTest;

/** The planted bug (gossip only after a change): this test must fail, with a seed. Excluded from `mvn test`. */
class BrokenCounterTest {
    @SimulationTest(runs = 500, faults = Faults.RANDOM, kinds = {Kind.PARTITION, Kind.SLOW, Kind.LOSS})
    void convergesUnderFaults(SimulationRun run) {
        CounterScenario.incrementsConverge(run, GCounter.BROKEN);
    }
}
