package dev.ringlab.testkit;

import dev.ringlab.node.SplitMix;
import dev.ringlab.node.spec.Durations;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.sim.PlanShrinker;
import java.lang.reflect.Method;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.AfterTestExecutionCallback;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.Extension;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestTemplateInvocationContext;
import org.junit.jupiter.api.extension.TestTemplateInvocationContextProvider;

/**
 * The JUnit 5 extension behind {@link SimulationTest}: one test-template invocation per run, on JUnit's own
 * extension points. {@link TestTemplateInvocationContextProvider} makes the runs (seeds from the master seed,
 * or the one replayed run); each run's context brings a {@link ParameterResolver} for its {@link SimulationRun},
 * a {@link TestExecutionExceptionHandler} that reports a failure, an {@link ExecutionCondition} that skips
 * the runs after a failure, an {@link AfterTestExecutionCallback} that closes the run's clusters, and an
 * {@link AfterEachCallback} that shrinks a failed run's plan once the run's own lifecycle is over.
 */
public final class SimulationExtension implements TestTemplateInvocationContextProvider {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SimulationExtension.class);
    private static final String FAILED = "failed";

    /** Creates the extension (JUnit does, through {@link SimulationTest}). */
    public SimulationExtension() {}

    @Override
    public boolean supportsTestTemplate(ExtensionContext context) {
        return context.getTestMethod().map(m -> m.isAnnotationPresent(SimulationTest.class)).orElse(false);
    }

    @Override
    public Stream<TestTemplateInvocationContext> provideTestTemplateInvocationContexts(ExtensionContext context) {
        Method method = context.getRequiredTestMethod();
        SimulationTest a = method.getAnnotation(SimulationTest.class);
        String engine = property(SimulationTest.ENGINE_PROPERTY, a.engine());
        TestCluster.engine(engine); // an unknown name fails here, once, naming the choices
        long horizon = Durations.parseNanos(a.horizon());
        Durations.parseNanos(a.shrinkTime()); // a malformed limit fails here, before any run, not at the first failure
        Set<FaultPlan.Kind> kinds = a.kinds().length == 0 ? EnumSet.noneOf(FaultPlan.Kind.class) : EnumSet.copyOf(List.of(a.kinds()));
        Settings settings = new Settings(a, engine);

        String replay = property(SimulationTest.REPLAY_PROPERTY, a.replay());
        if (!replay.isBlank()) {
            int slash = replay.indexOf('/');
            long seed = SimulationRun.parseSeed(slash < 0 ? replay : replay.substring(0, slash));
            FaultPlan plan = slash < 0 ? null : FaultPlan.parse(replay.substring(slash + 1));
            SimulationRun run = new SimulationRun(-1, seed, engine, a.faults(), kinds, horizon, plan);
            return Stream.of(new RunContext(run, settings, "replay seed " + run.seedText()
                    + (plan == null ? "" : " plan " + plan)));
        }

        String masterText = System.getProperty(SimulationTest.SEED_PROPERTY, "");
        long master;
        if (masterText.isBlank()) {
            master = a.seed() != 0 ? a.seed()
                    : SplitMix.mix64(context.getRequiredTestClass().getName().hashCode() * 31L + method.getName().hashCode());
        } else if (masterText.equals("random")) {
            master = SplitMix.mix64(System.nanoTime());
        } else {
            master = masterText.startsWith("0x") ? Long.parseUnsignedLong(masterText.substring(2), 16) : Long.parseLong(masterText);
        }
        int runs = Integer.parseInt(property(SimulationTest.RUNS_PROPERTY, Integer.toString(a.runs())));
        if (runs < 1) {
            throw new IllegalArgumentException("@SimulationTest runs must be >= 1, got " + runs);
        }
        SplittableRandom seeds = new SplittableRandom(master);
        long[] runSeeds = new long[runs];
        for (int i = 0; i < runs; i++) {
            runSeeds[i] = seeds.nextLong();
        }
        String masterName = SimulationRun.text(master);
        return IntStream.range(0, runs).mapToObj(i -> {
            SimulationRun run = new SimulationRun(i, runSeeds[i], engine, a.faults(), kinds, horizon, null);
            return new RunContext(run, settings, "run " + (i + 1) + "/" + runs + " seed " + run.seedText() + " (master "
                    + masterName + ")");
        });
    }

    private static String property(String name, String fallback) {
        String v = System.getProperty(name);
        return v == null || v.isBlank() ? fallback : v;
    }

    private record Settings(SimulationTest annotation, String engine) {}

    /** One run's state, shared by the extensions of its invocation. */
    private static final class RunState {
        final SimulationRun run;
        /** What the resolver hands out: the run, or a shrink rerun of it. */
        volatile SimulationRun current;
        /** The failure report, once the run failed; completed by the shrink after the run's @AfterEach methods. */
        SimulationFailure failure;

        RunState(SimulationRun run) {
            this.run = run;
            this.current = run;
        }
    }

    private static final class RunContext implements TestTemplateInvocationContext {
        private final SimulationRun run;
        private final Settings settings;
        private final String name;

        RunContext(SimulationRun run, Settings settings, String name) {
            this.run = run;
            this.settings = settings;
            this.name = name;
        }

        @Override
        public String getDisplayName(int invocationIndex) {
            return name;
        }

        @Override
        public List<Extension> getAdditionalExtensions() {
            RunState state = new RunState(run);
            return List.of(new RunResolver(state), new RunFailureHandler(state, settings), new SkipAfterFailure(settings),
                    (AfterTestExecutionCallback) ctx -> run.closeClusters(), new Shrink(state, settings));
        }
    }

    private record RunResolver(RunState state) implements ParameterResolver {
        @Override
        public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
            return p.getParameter().getType() == SimulationRun.class;
        }

        @Override
        public Object resolveParameter(ParameterContext p, ExtensionContext e) throws ParameterResolutionException {
            return state.current;
        }
    }

    private record SkipAfterFailure(Settings settings) implements ExecutionCondition {
        @Override
        public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
            if (!settings.annotation().stopAtFirstFailure()) {
                return ConditionEvaluationResult.enabled("stopAtFirstFailure = false");
            }
            String failed = template(context).getStore(NS).get(FAILED, String.class);
            return failed == null ? ConditionEvaluationResult.enabled("no run failed yet")
                    : ConditionEvaluationResult.disabled("skipped: " + failed + " failed (stopAtFirstFailure)");
        }
    }

    /** The test template's context: the parent of a run's context. */
    private static ExtensionContext template(ExtensionContext runContext) {
        return runContext.getParent().orElse(runContext);
    }

    private record RunFailureHandler(RunState state, Settings settings) implements TestExecutionExceptionHandler {
        @Override
        public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
            if (failure instanceof org.opentest4j.TestAbortedException) {
                throw failure;
            }
            SimulationRun run = state.run;
            template(context).getStore(NS).put(FAILED, "seed " + run.seedText());
            FaultPlan plan = run.lastPlan();
            StringBuilder m = new StringBuilder();
            m.append("simulation run failed: seed ").append(run.seedText()).append(", engine ").append(run.engine())
                    .append(run.index() >= 0 ? ", run " + (run.index() + 1) : ", replayed").append('\n');
            m.append("  failure:     ").append(firstLine(failure)).append('\n');
            m.append("  fault plan:  ").append(plan == null ? "(no cluster was started)" : planText(plan)).append('\n');
            String method = context.getRequiredTestClass().getName() + "#" + context.getRequiredTestMethod().getName();
            state.failure = new SimulationFailure(m.toString(), method, run, plan, failure);
            throw state.failure;
        }
    }

    /**
     * Shrinks a failed run's plan after the run's {@code @AfterEach} methods: each rerun is the test method's
     * whole lifecycle again ({@link LifecycleRerun}) on the same seed with a smaller plan, within the
     * annotation's {@link SimulationTest#shrinkBudget() rerun} and {@link SimulationTest#shrinkTime() time}
     * limits.
     */
    private record Shrink(RunState state, Settings settings) implements AfterEachCallback {
        @Override
        public void afterEach(ExtensionContext context) {
            SimulationFailure f = state.failure;
            if (f == null || f.plan() == null || f.plan().isEmpty()) {
                return;
            }
            String why = shrinkable();
            if (why != null) {
                f.complete("  shrunk plan: not shrunk: " + why + "\n", null);
                return;
            }
            SimulationTest a = settings.annotation();
            long budgetNanos = Durations.parseNanos(a.shrinkTime());
            long began = System.nanoTime();
            int[] reruns = {0};
            FaultPlan[] best = {f.plan()};
            String stopped = null;
            try {
                PlanShrinker.shrink(f.plan(), a.shrinkBudget(), p -> {
                    if (System.nanoTime() - began >= budgetNanos) {
                        throw new OutOfTime();
                    }
                    reruns[0]++;
                    boolean fails = failsWith(context, p);
                    if (fails) {
                        best[0] = p; // the shrinker keeps every plan that still fails: this is its best so far
                    }
                    return fails;
                });
                if (reruns[0] >= a.shrinkBudget()) {
                    stopped = "stopped at shrinkBudget = " + a.shrinkBudget() + " reruns, may not be minimal";
                }
            } catch (OutOfTime e) {
                stopped = "stopped at shrinkTime = " + a.shrinkTime() + ", may not be minimal";
            } catch (RuntimeException | Error e) {
                stopped = "shrinking stopped: " + firstLine(e);
            } finally {
                state.current = state.run;
            }
            double seconds = (System.nanoTime() - began) / 1e9;
            f.complete("  shrunk plan: " + planText(best[0]) + "   (" + reruns[0] + (reruns[0] == 1 ? " rerun" : " reruns")
                    + String.format(java.util.Locale.ROOT, " in %.1f s", seconds)
                    + (stopped == null ? "" : "; " + stopped) + ")\n", best[0]);
        }

        /** Null if the run can be rerun here to shrink it, else why not. */
        private String shrinkable() {
            if (settings.annotation().shrinkBudget() <= 0) {
                return "shrinkBudget = 0";
            }
            if (!TestCluster.engine(state.run.engine()).deterministic()) {
                return "engine " + state.run.engine() + " is not deterministic (replay the plan on sim to shrink it)";
            }
            return null;
        }

        /** Reruns the test's lifecycle with the same seed and {@code plan}: does it fail? */
        private boolean failsWith(ExtensionContext context, FaultPlan plan) {
            SimulationRun again = state.run.withPlan(plan);
            state.current = again;
            Throwable t = LifecycleRerun.run(context, again::closeClusters);
            return t != null && !(t instanceof org.opentest4j.TestAbortedException);
        }
    }

    /** Ends shrinking at its time limit, from inside the shrinker's predicate. */
    private static final class OutOfTime extends RuntimeException {
        private static final long serialVersionUID = 1L;

        OutOfTime() {
            super(null, null, false, false);
        }
    }

    private static String planText(FaultPlan plan) {
        return plan.isEmpty() ? "none" : plan.toString();
    }

    private static String firstLine(Throwable t) {
        String s = String.valueOf(t.getMessage());
        int nl = s.indexOf('\n');
        return t.getClass().getSimpleName() + ": " + (nl < 0 ? s : s.substring(0, nl));
    }
}
