package dev.ringlab.testkit;

import dev.ringlab.node.Protocol;
import dev.ringlab.node.SplitMix;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.topology.Overlay;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One run of a {@link SimulationTest}, handed to the test method: its seed, engine and fault plan, and the
 * clusters it builds. Clusters built through it are closed when the run ends.
 */
public final class SimulationRun {
    private static final long PLAN_SALT = 0x5EED_FA17_0F0A_11A5L;

    private final int index;
    private final long seed;
    private final String engine;
    private final Faults faults;
    private final Set<FaultPlan.Kind> kinds;
    private final long horizonNanos;
    private final FaultPlan planOverride;
    private final List<TestCluster> clusters = new ArrayList<>();
    private FaultPlan lastPlan;

    SimulationRun(int index, long seed, String engine, Faults faults, Set<FaultPlan.Kind> kinds, long horizonNanos,
            FaultPlan planOverride) {
        this.index = index;
        this.seed = seed;
        this.engine = engine;
        this.faults = faults;
        this.kinds = kinds.isEmpty() ? EnumSet.noneOf(FaultPlan.Kind.class) : EnumSet.copyOf(kinds);
        this.horizonNanos = horizonNanos;
        this.planOverride = planOverride;
    }

    /** The same run with another fault plan (shrinking, replay of a shrunk plan). */
    SimulationRun withPlan(FaultPlan plan) {
        return new SimulationRun(index, seed, engine, faults, kinds, horizonNanos, plan);
    }

    /**
     * This run's seed: the root seed of its clusters, and of its random fault plan.
     *
     * @return the seed
     */
    public long seed() {
        return seed;
    }

    /**
     * The seed as the replay line writes it: 16 hex digits.
     *
     * @return the seed's text
     */
    public String seedText() {
        return text(seed);
    }

    /**
     * The run's number, from 0; -1 for a replayed run.
     *
     * @return the index
     */
    public int index() {
        return index;
    }

    /**
     * The engine this run's clusters use.
     *
     * @return {@code sim}, {@code netty} or {@code processes}
     */
    public String engine() {
        return engine;
    }

    /**
     * The fault phase's length.
     *
     * @return the horizon
     */
    public Duration horizon() {
        return Duration.ofNanos(horizonNanos);
    }

    /**
     * This run's fault plan for a cluster of {@code n} nodes: the replayed or shrunk plan if there is one, else
     * drawn from the seed ({@link FaultPlan#random}) and restricted to the test's fault kinds, or the empty plan
     * with {@link Faults#NONE}.
     *
     * @param n the number of nodes, &gt;= 2
     * @return the plan
     */
    public FaultPlan plan(int n) {
        if (planOverride != null) {
            return planOverride;
        }
        if (faults == Faults.NONE || kinds.isEmpty()) {
            return FaultPlan.none();
        }
        FaultPlan drawn = FaultPlan.random(SplitMix.mix64(seed ^ PLAN_SALT), n, horizonNanos);
        List<FaultPlan.Fault> kept = new ArrayList<>();
        for (FaultPlan.Fault f : drawn.faults()) {
            if (kinds.contains(f.kind())) {
                kept.add(f);
            }
        }
        return new FaultPlan(kept);
    }

    /**
     * A builder of this run's cluster: its engine, seed, fault plan and horizon already set; set the link model,
     * loss, observers and invariants, then {@link TestCluster.Builder#start}.
     *
     * @param overlay  the overlay
     * @param protocol your protocol
     * @return the builder
     */
    public TestCluster.Builder builder(Overlay overlay, Protocol protocol) {
        FaultPlan plan = plan(overlay.size());
        TestCluster.Builder b = TestCluster.builder(overlay, protocol).engine(engine).seed(seed).faults(plan)
                .horizon(horizon());
        b.onStart = c -> {
            clusters.add(c);
            lastPlan = c.faults();
        };
        return b;
    }

    /**
     * This run's cluster, started: {@code builder(overlay, protocol).start()}.
     *
     * @param overlay  the overlay
     * @param protocol your protocol
     * @return the started cluster
     */
    public TestCluster start(Overlay overlay, Protocol protocol) {
        return builder(overlay, protocol).start();
    }

    /** The text that replays this run: the seed, and the plan when it is not the one the seed draws. */
    String replayText() {
        return planOverride == null ? seedText() : seedText() + "/" + (planOverride.isEmpty() ? "none" : planOverride);
    }

    /** The plan of the last cluster started, or null if none was. */
    FaultPlan lastPlan() {
        return lastPlan;
    }

    void closeClusters() {
        for (TestCluster c : clusters) {
            try {
                c.close();
            } catch (RuntimeException e) {
                // A close that fails must not hide the run's own result; the engine already reported it.
            }
        }
        clusters.clear();
    }

    static String text(long seed) {
        return String.format(Locale.ROOT, "%016x", seed);
    }

    static long parseSeed(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        if (t.startsWith("0x")) {
            t = t.substring(2);
        }
        try {
            return Long.parseUnsignedLong(t, 16);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + s + "' is not a seed: use the 16 hex digits a failure prints", e);
        }
    }
}
