package dev.ringlab.experiments;

import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.HealingRing;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.util.function.UnaryOperator;

/**
 * One {@code ringlab check} run ({@link SwarmRun}) for code outside this package ({@code ringlab watch
 * --replay} records one): the setup its seed draws and the run with the protocol passed through a decorator.
 * {@link SwarmRun} itself stays package-private.
 */
public final class CheckRuns {
    private CheckRuns() {}

    /**
     * What seed {@code seed} draws for sizes {@code minN..maxN} ({@code plan} replaces the drawn plan if not null).
     *
     * @param overlay  the overlay the run uses, built as the run builds it
     * @param protocol the protocol's spec
     * @param healAtNanos when the run heals every fault (virtual time)
     */
    public record Drawn(long seed, int minN, int maxN, FaultPlan plan, String describe, Overlay overlay, String protocol,
            long healAtNanos) {}

    public static Drawn draw(long seed, int minN, int maxN, FaultPlan plan) {
        SwarmRun.Setup s = SwarmRun.draw(seed, minN, maxN, plan);
        Overlay overlay = s.ring() ? HealingRing.overlay(s.n(), s.config().successors())
                : Topologies.build(s.topology(), s.n(), s.seed());
        String protocol = s.ring() ? s.config().spec() : "flood";
        long healAt = Math.max(SwarmRun.FAULT_HORIZON_NANOS, s.plan().endNanos()) + SwarmRun.MS;
        return new Drawn(seed, minN, maxN, s.plan(), s.describe(), overlay, protocol, healAt);
    }

    /** Runs {@code d} with its protocol passed through {@code decorate}; the violation, or null if the run passed. */
    public static String run(Drawn d, UnaryOperator<Protocol> decorate) {
        SwarmRun.Result r = SwarmRun.run(SwarmRun.draw(d.seed(), d.minN(), d.maxN(), d.plan()), decorate);
        return r.violation();
    }
}
