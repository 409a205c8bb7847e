package dev.ringlab.sim;

import dev.ringlab.node.spec.FaultPlan;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Shrinks a failing fault plan by delta debugging (Zeller and Hildebrandt, "Simplifying and isolating
 * failure-inducing input", TSE 2002), the one-at-a-time variant: drops faults while the run still fails, then
 * halves ranges while it still fails, until neither helps or the budget of reruns is spent. Shared by
 * {@code ringlab check --shrink} and the testkit's {@code @SimulationTest}, which differ only in what a run is.
 */
public final class PlanShrinker {
    private static final long MS = 1_000_000L;

    private PlanShrinker() {}

    /**
     * The smallest plan found on which {@code fails} still holds ({@code plan} itself if nothing smaller fails).
     *
     * @param plan   a plan on which the run fails
     * @param budget the most reruns ({@code fails} calls) to spend
     * @param fails  reruns the run with a candidate plan; true if it still fails (the same seed throughout, so
     *               the answer is a function of the plan)
     * @return the smallest failing plan found
     */
    public static FaultPlan shrink(FaultPlan plan, int budget, Predicate<FaultPlan> fails) {
        Objects.requireNonNull(fails, "fails");
        FaultPlan best = Objects.requireNonNull(plan, "plan");
        int tries = 0;
        boolean progress = true;
        while (progress && tries < budget) {
            progress = false;
            for (int i = 0; i < best.faults().size() && tries < budget; i++) {
                FaultPlan smaller = best.without(i);
                tries++;
                if (fails.test(smaller)) {
                    best = smaller;
                    progress = true;
                    i--;
                }
            }
            for (int i = 0; i < best.faults().size() && tries < budget; i++) {
                FaultPlan.Fault f = best.faults().get(i);
                if (!f.isRange() || f.untilNanos() - f.atNanos() < 2 * MS) {
                    continue;
                }
                long half = (f.untilNanos() - f.atNanos()) / 2 / MS * MS;
                FaultPlan narrower = best.with(i, f.at(f.atNanos(), f.atNanos() + Math.max(MS, half)));
                tries++;
                if (fails.test(narrower)) {
                    best = narrower;
                    progress = true;
                }
            }
        }
        return best;
    }
}
