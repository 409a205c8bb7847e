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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
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

    /**
     * A test class with state set up by @BeforeEach and torn down by @AfterEach: every shrink rerun must get a
     * fresh instance and the whole lifecycle, with the rerun's SimulationRun (in @BeforeEach too) and a second
     * parameter resolved by JUnit. Every step is logged to {@link #LOG} as "step instance plan".
     */
    static class LifecycleFixtures {
        static final List<String> LOG = java.util.Collections.synchronizedList(new ArrayList<>());
        private static final java.util.concurrent.atomic.AtomicInteger MADE = new java.util.concurrent.atomic.AtomicInteger();
        private final int id = MADE.incrementAndGet();
        private List<String> state;

        LifecycleFixtures() {
            LOG.add("new " + id);
        }

        @BeforeEach
        void setUp(SimulationRun run) {
            if (state != null) {
                LOG.add("leaked " + id);
            }
            state = new ArrayList<>();
            LOG.add("before " + id + " " + run.plan(4));
        }

        @AfterEach
        void tearDown() {
            LOG.add("after " + id);
            state = null;
        }

        @SimulationTest(runs = 200, kinds = {FaultPlan.Kind.PARTITION, FaultPlan.Kind.LOSS, FaultPlan.Kind.SLOW})
        void failsOnAPartition(SimulationRun run, TestInfo info) {
            state.add(info.getDisplayName());
            try (TestCluster c = run.start(Topologies.build("ring", 4, run.seed()), Flood.PROTOCOL)) {
                LOG.add("test " + id + " " + c.faults());
                c.runFor(Duration.ofMillis(10));
                if (c.faults().faults().stream().anyMatch(f -> f.kind() == FaultPlan.Kind.PARTITION)) {
                    throw new AssertionError("a partition");
                }
            }
        }
    }

    /** The same under PER_CLASS: one instance for every run and rerun, as JUnit keeps it, each rerun still set up and torn down. */
    @TestInstance(TestInstance.Lifecycle.PER_CLASS)
    static class PerClassFixtures {
        static final List<String> LOG = java.util.Collections.synchronizedList(new ArrayList<>());
        private final int id = System.identityHashCode(this);
        private boolean setUp;

        @BeforeEach
        void setUp() {
            LOG.add(setUp ? "leaked" : "before " + id);
            setUp = true;
        }

        @AfterEach
        void tearDown() {
            LOG.add("after " + id);
            setUp = false;
        }

        @SimulationTest(runs = 200, kinds = {FaultPlan.Kind.PARTITION, FaultPlan.Kind.LOSS, FaultPlan.Kind.SLOW})
        void failsOnAPartition(SimulationRun run) {
            LOG.add("test " + id);
            if (run.plan(4).faults().stream().anyMatch(f -> f.kind() == FaultPlan.Kind.PARTITION)) {
                try (TestCluster c = run.start(Topologies.build("ring", 4, run.seed()), Flood.PROTOCOL)) {
                    throw new AssertionError("a partition");
                }
            }
        }
    }

    /** A @Nested test class: a rerun makes the enclosing instance anew too, and runs the enclosing @BeforeEach first. */
    static class OuterFixtures {
        static final List<String> LOG = java.util.Collections.synchronizedList(new ArrayList<>());
        final int outer = System.identityHashCode(this);

        @BeforeEach
        void outerSetUp() {
            LOG.add("outer " + outer);
        }

        @Nested
        class Inner {
            @BeforeEach
            void innerSetUp() {
                LOG.add("inner " + outer + " " + System.identityHashCode(this));
            }

            @SimulationTest(runs = 200, kinds = {FaultPlan.Kind.PARTITION, FaultPlan.Kind.LOSS, FaultPlan.Kind.SLOW})
            void failsOnAPartition(SimulationRun run) {
                if (run.plan(4).faults().stream().anyMatch(f -> f.kind() == FaultPlan.Kind.PARTITION)) {
                    try (TestCluster c = run.start(Topologies.build("ring", 4, run.seed()), Flood.PROTOCOL)) {
                        throw new AssertionError("a partition");
                    }
                }
            }
        }
    }

    /** Shrinking limits: a rerun budget of 2, and a time limit shorter than one rerun. */
    static class LimitFixtures {
        @SimulationTest(runs = 200, shrinkBudget = 2, kinds = {FaultPlan.Kind.PARTITION, FaultPlan.Kind.LOSS, FaultPlan.Kind.SLOW})
        void twoReruns(SimulationRun run) {
            failOnAnyFault(run, 0);
        }

        @SimulationTest(runs = 200, shrinkTime = "20ms", kinds = {FaultPlan.Kind.PARTITION, FaultPlan.Kind.LOSS, FaultPlan.Kind.SLOW})
        void twentyMilliseconds(SimulationRun run) {
            failOnAnyFault(run, 50);
        }

        /** Fails on any plan with two faults or more; every run (and rerun) takes {@code wallMillis} of wall-clock time. */
        private static void failOnAnyFault(SimulationRun run, long wallMillis) {
            // The time limit is what is tested: each rerun must outlast it, whatever the machine's speed.
            java.util.concurrent.locks.LockSupport.parkNanos(wallMillis * 1_000_000L);
            try (TestCluster c = run.start(Topologies.build("ring", 4, run.seed()), Flood.PROTOCOL)) {
                if (c.faults().faults().size() >= 2) {
                    throw new AssertionError("two faults");
                }
            }
        }
    }

    private record Outcome(List<String> passed, List<String> failed, List<String> skipped, List<Throwable> failures) {}

    private static Outcome launch(String method) {
        return launch(Fixtures.class, method, SimulationRun.class.getName());
    }

    private static Outcome launch(Class<?> fixtures, String method, String parameterTypes) {
        Outcome o = new Outcome(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
                .selectors(selectMethod(fixtures, method, parameterTypes)).build(),
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

    @Test
    void eachShrinkRerunIsAWholeLifecycleOnAFreshInstance() {
        LifecycleFixtures.LOG.clear();
        Outcome o = launch(LifecycleFixtures.class, "failsOnAPartition",
                SimulationRun.class.getName() + "," + TestInfo.class.getName());
        assertEquals(1, o.failed.size(), o.toString());
        String report = o.failures.get(0).getMessage();
        Matcher shrunk = Pattern.compile("  shrunk plan: (\\S+)   \\((\\d+) reruns? in [0-9.]+ s\\)\n").matcher(report);
        assertTrue(shrunk.find(), report);
        FaultPlan small = FaultPlan.parse(shrunk.group(1));
        assertEquals(1, small.faults().size(), report);
        assertEquals(FaultPlan.Kind.PARTITION, small.faults().get(0).kind(), report);
        int reruns = Integer.parseInt(shrunk.group(2));
        assertTrue(reruns >= 1, report);

        // Every invocation (the passing runs, the failing one, each rerun) is: new, before, test, after, on one
        // instance of its own, never interleaved with another; before and test saw the same plan.
        // JUnit makes an instance for a skipped run too (the runs after the failing one): those lifecycles end there.
        List<String> all = List.copyOf(LifecycleFixtures.LOG);
        List<String> log = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            boolean skipped = all.get(i).startsWith("new ") && (i + 1 == all.size() || all.get(i + 1).startsWith("new "));
            if (!skipped) {
                log.add(all.get(i));
            }
        }
        assertFalse(log.isEmpty());
        assertTrue(log.stream().noneMatch(l -> l.startsWith("leaked")), log.toString());
        assertEquals(0, log.size() % 4, log.toString());
        java.util.Set<String> instances = new java.util.HashSet<>();
        for (int i = 0; i < log.size(); i += 4) {
            String id = log.get(i).substring("new ".length());
            assertTrue(instances.add(id), "instance " + id + " used twice: " + log);
            assertEquals("new " + id, log.get(i), log.toString());
            assertTrue(log.get(i + 1).startsWith("before " + id + " "), log.toString());
            assertEquals(log.get(i + 1).substring(("before " + id).length()),
                    log.get(i + 2).substring(("test " + id).length()), "the rerun's SimulationRun in @BeforeEach: " + log);
            assertEquals("after " + id, log.get(i + 3), log.toString());
        }
        int runsDone = o.passed.size() + o.failed.size();
        assertEquals(runsDone + reruns, log.size() / 4, "one lifecycle per run and per rerun: " + report);
        // The last lifecycles are the reruns, after the failed run's own @AfterEach; the very last shrink step
        // that still failed ran the shrunk plan.
        assertTrue(log.stream().anyMatch(l -> l.startsWith("test ") && l.endsWith(" " + small)), log.toString());
    }

    @Test
    void underPerClassTheRerunsShareTheInstanceAndAreStillSetUpAndTornDown() {
        PerClassFixtures.LOG.clear();
        Outcome o = launch(PerClassFixtures.class, "failsOnAPartition", SimulationRun.class.getName());
        assertEquals(1, o.failed.size(), o.toString());
        String report = o.failures.get(0).getMessage();
        Matcher shrunk = Pattern.compile("  shrunk plan: (\\S+)   \\((\\d+) reruns? in").matcher(report);
        assertTrue(shrunk.find(), report);
        List<String> log = List.copyOf(PerClassFixtures.LOG);
        assertFalse(log.isEmpty());
        assertEquals(1, log.stream().map(l -> l.substring(l.indexOf(' ') + 1)).distinct().count(), "one instance: " + log);
        assertEquals(3 * (o.passed.size() + o.failed.size() + Integer.parseInt(shrunk.group(2))), log.size(), log.toString());
        for (int i = 0; i < log.size(); i += 3) {
            assertTrue(log.get(i).startsWith("before ") && log.get(i + 1).startsWith("test ")
                    && log.get(i + 2).startsWith("after "), log.toString());
        }
    }

    @Test
    void shrinkingStopsAtItsRerunLimitAndSaysSo() {
        Outcome o = launch(LimitFixtures.class, "twoReruns", SimulationRun.class.getName());
        assertEquals(1, o.failed.size(), o.toString());
        String report = o.failures.get(0).getMessage();
        assertTrue(Pattern.compile("  shrunk plan: \\S+   \\(2 reruns in [0-9.]+ s; stopped at shrinkBudget = 2 reruns,"
                + " may not be minimal\\)\n").matcher(report).find(), report);
    }

    @Test
    void shrinkingStopsAtItsTimeLimitAndSaysSo() {
        Outcome o = launch(LimitFixtures.class, "twentyMilliseconds", SimulationRun.class.getName());
        assertEquals(1, o.failed.size(), o.toString());
        String report = o.failures.get(0).getMessage();
        // Each rerun takes 50 ms > 20 ms: the first rerun starts (unless the machine stalled 20 ms before it), no
        // second one does.
        Matcher m = Pattern.compile("  shrunk plan: \\S+   \\(([01]) reruns? in [0-9.]+ s; stopped at shrinkTime = 20ms,"
                + " may not be minimal\\)\n").matcher(report);
        assertTrue(m.find(), report);
    }

    @Test
    void aNestedClassGetsFreshEnclosingAndInnerInstancesPerRerun() {
        OuterFixtures.LOG.clear();
        Outcome o = new Outcome(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request()
                .selectors(org.junit.platform.engine.discovery.DiscoverySelectors.selectNestedMethod(
                        List.of(OuterFixtures.class), OuterFixtures.Inner.class, "failsOnAPartition",
                        SimulationRun.class.getName())).build(),
                new TestExecutionListener() {
                    @Override
                    public void executionFinished(TestIdentifier id, TestExecutionResult r) {
                        if (id.isTest() && r.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                            o.failed.add(id.getDisplayName());
                            r.getThrowable().ifPresent(o.failures::add);
                        } else if (id.isTest()) {
                            o.passed.add(id.getDisplayName());
                        }
                    }
                });
        assertEquals(1, o.failed.size(), o.toString());
        Matcher shrunk = Pattern.compile("  shrunk plan: \\S+   \\((\\d+) reruns? in").matcher(o.failures.get(0).getMessage());
        assertTrue(shrunk.find(), o.failures.get(0).getMessage());
        List<String> log = List.copyOf(OuterFixtures.LOG);
        int lifecycles = o.passed.size() + 1 + Integer.parseInt(shrunk.group(1));
        assertEquals(2 * lifecycles, log.size(), log.toString());
        java.util.Set<String> outers = new java.util.HashSet<>();
        for (int i = 0; i < log.size(); i += 2) {
            String outer = log.get(i).substring("outer ".length());
            assertTrue(log.get(i).startsWith("outer ") && log.get(i + 1).startsWith("inner " + outer + " "), log.toString());
            assertTrue(outers.add(outer), "enclosing instance reused: " + log);
        }
    }
}
