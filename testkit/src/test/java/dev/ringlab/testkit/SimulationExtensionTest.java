package dev.ringlab.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.topology.Topologies;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/** Runs @SimulationTest fixtures through the JUnit Platform and reads what it reported. */
class SimulationExtensionTest {
    /** Not run by Surefire itself (a nested class): launched by the tests below. */
    static class Fixtures {
        @SimulationTest(runs = 20, faults = Faults.NONE)
        void passes(SimulationRun run) {
            try (TestCluster c = run.start(Topologies.build("ring", 4, run.seed()), Flood.PROTOCOL)) {
                c.runFor(Duration.ofMillis(10));
                if (!c.faults().isEmpty()) {
                    throw new AssertionError("faults = NONE gave a plan");
                }
            }
        }

        /** Fails exactly when the run's plan holds a partition: the shrunk plan must be that one partition. */
        @SimulationTest(runs = 200, kinds = {FaultPlan.Kind.PARTITION, FaultPlan.Kind.LOSS, FaultPlan.Kind.SLOW})
        void failsOnAPartition(SimulationRun run) {
            try (TestCluster c = run.start(Topologies.build("ring", 4, run.seed()), Flood.PROTOCOL)) {
                c.runFor(Duration.ofMillis(10));
                if (c.faults().faults().stream().anyMatch(f -> f.kind() == FaultPlan.Kind.PARTITION)) {
                    throw new AssertionError("a partition");
                }
            }
        }
    }

    private record Outcome(List<String> passed, List<String> failed, List<String> skipped, List<Throwable> failures) {}

    private static Outcome launch(String method) {
        Outcome o = new Outcome(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
                .selectors(selectMethod(Fixtures.class, method, SimulationRun.class.getName())).build(),
                new TestExecutionListener() {
                    @Override
                    public void executionFinished(TestIdentifier id, TestExecutionResult r) {
                        if (!id.isTest()) {
                            return;
                        }
                        if (r.getStatus() == TestExecutionResult.Status.SUCCESSFUL) {
                            o.passed.add(id.getDisplayName());
                        } else {
                            o.failed.add(id.getDisplayName());
                            r.getThrowable().ifPresent(o.failures::add);
                        }
                    }

                    @Override
                    public void executionSkipped(TestIdentifier id, String reason) {
                        o.skipped.add(reason);
                    }
                });
        return o;
    }

    @Test
    void eachRunIsAnInvocationNamedByItsSeed() {
        Outcome o = launch("passes");
        assertEquals(20, o.passed.size(), o.toString());
        assertTrue(o.failed.isEmpty(), o.toString());
        assertTrue(o.passed.get(0).matches("run 1/20 seed [0-9a-f]{16} \\(master [0-9a-f]{16}\\)"), o.passed.get(0));
        assertEquals(20, o.passed.stream().distinct().count(), "every run has its own seed");
    }

    @Test
    void aFailingRunReportsSeedPlanShrunkPlanAndAReplayThatReproducesIt() {
        Outcome o = launch("failsOnAPartition");
        assertEquals(1, o.failed.size(), o.toString());
        assertFalse(o.skipped.isEmpty(), "the runs after the failing one are skipped");
        assertTrue(o.skipped.get(0).startsWith("skipped: seed "), o.skipped.get(0));
        String report = o.failures.get(0).getMessage();
        assertTrue(report.startsWith("simulation run failed: seed "), report);
        Matcher plan = Pattern.compile("  fault plan:  (\\S+)").matcher(report);
        Matcher shrunk = Pattern.compile("  shrunk plan: (\\S+)").matcher(report);
        Matcher replay = Pattern.compile("-Dringlab\\.replay=([0-9a-f]{16})").matcher(report);
        assertTrue(plan.find() && shrunk.find() && replay.find(), report);
        assertTrue(plan.group(1).contains("partition:"), report);
        FaultPlan small = FaultPlan.parse(shrunk.group(1));
        assertEquals(1, small.faults().size(), report);
        assertEquals(FaultPlan.Kind.PARTITION, small.faults().get(0).kind(), report);

        System.setProperty(SimulationTest.REPLAY_PROPERTY, replay.group(1));
        Outcome again;
        try {
            again = launch("failsOnAPartition");
        } finally {
            System.clearProperty(SimulationTest.REPLAY_PROPERTY);
        }
        assertEquals(1, again.failed.size() + again.passed.size(), "a replay is one run: " + again);
        assertEquals(1, again.failed.size(), again.toString());
        assertEquals("replay seed " + replay.group(1), again.failed.get(0));
        String first = report.substring(report.indexOf("  failure:"), report.indexOf("\n", report.indexOf("  failure:")));
        String second = again.failures.get(0).getMessage();
        assertTrue(second.contains(first), first + " vs " + second);
        assertTrue(second.contains("  fault plan:  " + plan.group(1) + "\n"), second);

        // The shrunk plan's replay line replays the seed with that plan, and says so in its own replay line.
        String shrunkReplay = replay.group(1) + "/" + small;
        System.setProperty(SimulationTest.REPLAY_PROPERTY, shrunkReplay);
        Outcome third;
        try {
            third = launch("failsOnAPartition");
        } finally {
            System.clearProperty(SimulationTest.REPLAY_PROPERTY);
        }
        assertEquals(1, third.failed.size(), third.toString());
        String report3 = third.failures.get(0).getMessage();
        assertTrue(report3.contains("  fault plan:  " + small + "\n"), report3);
        assertTrue(report3.contains("-Dringlab.replay='" + shrunkReplay + "'"), report3);
    }
}
