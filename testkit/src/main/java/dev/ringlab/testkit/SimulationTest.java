package dev.ringlab.testkit;

import dev.ringlab.node.spec.FaultPlan;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A seeded simulation test: the method runs {@link #runs()} times, each run an invocation of its own (named by
 * its seed in IDEs and Surefire reports), each with a seed drawn from a master seed and, with
 * {@link Faults#RANDOM}, a fault plan drawn from that seed. The method takes a {@link SimulationRun} and
 * builds its cluster from it:
 *
 * <pre>{@code
 * @SimulationTest(runs = 500, faults = Faults.RANDOM)
 * void converges(SimulationRun run) {
 *     try (TestCluster c = run.start(Topologies.build("ring", 5, run.seed()), new MyProtocol())) {
 *         ...
 *     }
 * }
 * }</pre>
 *
 * <h2>A failing run</h2>
 * On the simulator (deterministic) the failure is shrunk: after the failed run's {@code @AfterEach} methods, the
 * test is run again on the same seed with smaller fault plans ({@code dev.ringlab.sim.PlanShrinker}), each rerun
 * a whole lifecycle of its own as JUnit runs one: a fresh test instance (the same one under
 * {@code @TestInstance(PER_CLASS)}), its {@code @BeforeEach} methods, the test method, its {@code @AfterEach}
 * methods, every parameter resolved by the registered resolvers (a {@link SimulationRun} parameter, of a
 * {@code @BeforeEach} method too, is the rerun's). Other extensions' callbacks, instance factories and
 * interceptors (e.g. {@code @Timeout}) do not wrap the reruns: JUnit gives an extension no way to apply them.
 * Shrinking stops at {@link #shrinkBudget()} reruns or after {@link #shrinkTime()}, and the report says which
 * limit stopped it. The failure then reads: the run's seed, its fault plan, the shrunk plan, and the replay
 * line, e.g.
 * {@code -Dringlab.replay=2f1c0e6a9d4b8c17} (that run exactly) and
 * {@code -Dringlab.replay='2f1c0e6a9d4b8c17/loss:0.3@1s..1.1s'} (that seed with the shrunk plan). The same
 * text in {@link #replay()} does the same from the source. By default the runs after a failing one are
 * skipped ({@link #stopAtFirstFailure()}).
 *
 * <h2>System properties</h2>
 * {@value #REPLAY_PROPERTY} replays one run (as above); {@value #SEED_PROPERTY} sets the master seed (a number,
 * or {@code random} for a fresh one, printed in each run's name); {@value #RUNS_PROPERTY} overrides
 * {@link #runs()}; {@value #ENGINE_PROPERTY} overrides {@link #engine()}. They apply to every
 * {@code @SimulationTest} of the JVM: pick one test with Surefire's {@code -Dtest=Class#method}.
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@TestTemplate
@ExtendWith(SimulationExtension.class)
public @interface SimulationTest {
    /** System property: replay one run, {@code SEED} or {@code SEED/PLAN} (the text a failure prints). */
    String REPLAY_PROPERTY = "ringlab.replay";
    /** System property: the master seed, a number (decimal, or hex with 0x) or {@code random}. */
    String SEED_PROPERTY = "ringlab.seed";
    /** System property: the number of runs, overriding {@link #runs()}. */
    String RUNS_PROPERTY = "ringlab.runs";
    /** System property: the engine, overriding {@link #engine()}. */
    String ENGINE_PROPERTY = "ringlab.engine";

    /**
     * How many runs (seeds).
     *
     * @return the number of runs
     */
    int runs() default 100;

    /**
     * Which fault plan each run gets.
     *
     * @return {@link Faults#RANDOM} or {@link Faults#NONE}
     */
    Faults faults() default Faults.RANDOM;

    /**
     * The fault kinds a random plan may use; faults of other kinds are dropped from the drawn plan. A protocol
     * without durable state, for instance, may leave out {@link FaultPlan.Kind#CRASH}.
     *
     * @return the kinds
     */
    FaultPlan.Kind[] kinds() default {FaultPlan.Kind.CRASH, FaultPlan.Kind.PARTITION, FaultPlan.Kind.SLOW,
            FaultPlan.Kind.LOSS};

    /**
     * The fault phase: random plans' faults start within it ({@link TestCluster#runFaultPhase} runs to its end).
     *
     * @return a duration such as {@code 2s} or {@code 500ms}
     */
    String horizon() default "2s";

    /**
     * The master seed; 0 (the default) for one derived from the test's class and method names, so a build
     * without {@value #SEED_PROPERTY} runs the same seeds every time.
     *
     * @return the master seed
     */
    long seed() default 0;

    /**
     * The engine the runs' clusters use: {@code sim}, {@code netty} or {@code processes}.
     *
     * @return the engine's name
     */
    String engine() default "sim";

    /**
     * Replays one run instead of {@link #runs()}: {@code SEED} or {@code SEED/PLAN}, as a failure prints it.
     *
     * @return the run to replay, or empty
     */
    String replay() default "";

    /**
     * The most reruns to spend shrinking a failing run's plan; 0 to skip shrinking. A report whose shrinking
     * stopped here says so ({@code stopped at shrinkBudget = N reruns}): the shrunk plan may not be minimal.
     *
     * @return the budget
     */
    int shrinkBudget() default 100;

    /**
     * The most wall-clock time to spend shrinking a failing run's plan, e.g. {@code 30s} or {@code 500ms}: no
     * rerun starts after it (one that started runs to its end). A report whose shrinking stopped here says so
     * ({@code stopped at shrinkTime = 30s}): the shrunk plan may not be minimal.
     *
     * @return a duration such as {@code 30s}
     */
    String shrinkTime() default "30s";

    /**
     * Whether the runs after a failing one are skipped (reported as skipped, naming the failed seed).
     *
     * @return true to stop at the first failure
     */
    boolean stopAtFirstFailure() default true;
}
