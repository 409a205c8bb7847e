package dev.ringlab.testkit;

import dev.ringlab.node.SplitMix;
import dev.ringlab.node.spec.Durations;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.sim.PlanShrinker;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
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
 * a {@link TestExecutionExceptionHandler} that shrinks and reports a failure, an {@link ExecutionCondition}
 * that skips the runs after a failure, and an {@link AfterTestExecutionCallback} that closes the run's
 * clusters.
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
            return List.of(new RunResolver(run), new RunFailureHandler(run, settings), new SkipAfterFailure(settings),
                    (AfterTestExecutionCallback) ctx -> run.closeClusters());
        }
    }

    private record RunResolver(SimulationRun run) implements ParameterResolver {
        @Override
        public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
            return p.getParameter().getType() == SimulationRun.class;
        }

        @Override
        public Object resolveParameter(ParameterContext p, ExtensionContext e) throws ParameterResolutionException {
            return run;
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

    private record RunFailureHandler(SimulationRun run, Settings settings) implements TestExecutionExceptionHandler {
        @Override
        public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
            if (failure instanceof org.opentest4j.TestAbortedException) {
                throw failure;
            }
            template(context).getStore(NS).put(FAILED, "seed " + run.seedText());
            FaultPlan plan = run.lastPlan();
            StringBuilder m = new StringBuilder();
            m.append("simulation run failed: seed ").append(run.seedText()).append(", engine ").append(run.engine())
                    .append(run.index() >= 0 ? ", run " + (run.index() + 1) : ", replayed").append('\n');
            m.append("  failure:     ").append(firstLine(failure)).append('\n');
            m.append("  fault plan:  ").append(plan == null ? "(no cluster was started)" : planText(plan)).append('\n');
            String method = context.getRequiredTestClass().getName() + "#" + context.getRequiredTestMethod().getName();
            FaultPlan shrunk = null;
            if (plan != null && !plan.isEmpty()) {
                String why = shrinkable(context);
                if (why == null) {
                    int[] reruns = {0};
                    shrunk = PlanShrinker.shrink(plan, settings.annotation().shrinkBudget(), p -> {
                        reruns[0]++;
                        return failsWith(context, p);
                    });
                    m.append("  shrunk plan: ").append(planText(shrunk)).append("   (").append(reruns[0])
                            .append(" reruns)\n");
                } else {
                    m.append("  shrunk plan: not shrunk: ").append(why).append('\n');
                }
            }
            String replay = run.replayText();
            String quoted = replay.equals(run.seedText()) ? replay : "'" + replay + "'";
            m.append("  replay:      -D").append(SimulationTest.REPLAY_PROPERTY).append('=').append(quoted)
                    .append("   (or @SimulationTest(replay = \"").append(replay).append("\"))\n");
            if (shrunk != null && !shrunk.equals(plan)) {
                m.append("  replay shrunk: -D").append(SimulationTest.REPLAY_PROPERTY).append("='").append(run.seedText())
                        .append('/').append(shrunk.isEmpty() ? "none" : shrunk).append("'\n");
            }
            m.append("  e.g.         mvn test -Dtest='").append(method).append("' -D").append(SimulationTest.REPLAY_PROPERTY)
                    .append('=').append(quoted);
            AssertionError report = new AssertionError(m.toString(), failure);
            throw report;
        }

        /** Null if the run can be rerun here to shrink it, else why not. */
        private String shrinkable(ExtensionContext context) {
            if (settings.annotation().shrinkBudget() <= 0) {
                return "shrinkBudget = 0";
            }
            if (!TestCluster.engine(run.engine()).deterministic()) {
                return "engine " + run.engine() + " is not deterministic (replay the plan on sim to shrink it)";
            }
            for (Class<?> t : context.getRequiredTestMethod().getParameterTypes()) {
                if (t != SimulationRun.class) {
                    return "the method takes a " + t.getSimpleName() + ", and reruns can only pass a SimulationRun";
                }
            }
            return null;
        }

        /** Reruns the test method on the same instance with the same seed and {@code plan}: does it fail? */
        private boolean failsWith(ExtensionContext context, FaultPlan plan) {
            Method method = context.getRequiredTestMethod();
            SimulationRun again = run.withPlan(plan);
            Object[] args = new Object[method.getParameterCount()];
            java.util.Arrays.fill(args, again);
            try {
                method.setAccessible(true);
                method.invoke(context.getTestInstance().orElse(null), args);
                return false;
            } catch (InvocationTargetException e) {
                return !(e.getCause() instanceof org.opentest4j.TestAbortedException);
            } catch (IllegalAccessException e) {
                return false;
            } finally {
                again.closeClusters();
            }
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
