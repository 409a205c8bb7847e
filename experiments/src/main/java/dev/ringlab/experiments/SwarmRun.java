package dev.ringlab.experiments;

import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.protocols.HealingRing;
import dev.ringlab.node.protocols.RecoveryConfig;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.node.spec.LinkModel;
import dev.ringlab.node.spec.LinkModels;
import dev.ringlab.node.check.RingWatch;
import dev.ringlab.sim.PlanShrinker;
import dev.ringlab.sim.SimCluster;
import dev.ringlab.sim.SimConfig;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * One seeded simulation of {@code ringlab check} (TigerBeetle's VOPR style): the seed draws the cluster
 * size, the topology and protocol, the link model and a fault plan ({@link FaultPlan#random}, swarm
 * testing); the run is a fault phase, a heal (partition healed, loss burst and slow nodes ended, every
 * crashed node restarted), then a liveness phase. Safety invariants are checked after every event;
 * liveness within a virtual-time limit after the heal.
 *
 * <h2>Two kinds of run</h2>
 * <ul>
 *   <li><b>ring</b>: {@link HealingRing} on its successor ring (r = 2 or 3, timeout or phi-accrual
 *       detector). After every event: at most one token per epoch ({@link RingWatch} custody) and ticks
 *       strictly increase on every node incarnation. After the heal, within the limit: a full rotation of
 *       the whole ring with all views converged; then, over a window of at least three rotations, exactly
 *       one epoch circulates, the ring keeps completing full rotations, and nobody suspects anybody.
 *   <li><b>broadcast</b>: {@link Flood} on an expander-ish overlay (random-regular:4, chordal:2, hypercube,
 *       complete), broadcasts injected throughout the fault phase. After every event: no node incarnation
 *       delivers a broadcast twice. After the heal and 100 ms of stabilisation: every broadcast injected
 *       then reaches every live node within the limit.
 * </ul>
 * The run is a pure function of (seed, node range, plan): the same arguments replay it exactly.
 */
final class SwarmRun {
    static final long MS = 1_000_000L;
    /** Length of the fault phase: the plan's faults start in [0, HORIZON). */
    static final long FAULT_HORIZON_NANOS = 2_000 * MS;

    /** What the seed drew. */
    record Setup(long seed, int n, boolean ring, String topology, RecoveryConfig config, String latency, FaultPlan plan) {
        String describe() {
            return (ring ? "ring " + config.spec() : "broadcast flood") + " on " + topology + ", n=" + n + ", latency "
                    + latency + ", faults " + (plan.isEmpty() ? "none" : plan);
        }
    }

    /** What a run found: the first violation (null if none), invariant evaluations, events, virtual time. */
    record Result(Setup setup, String violation, long invariantsChecked, long virtualNanos) {
        boolean failed() {
            return violation != null;
        }
    }

    private SwarmRun() {}

    /** Draws the run of {@code seed}; {@code plan} overrides the drawn fault plan when not null. */
    static Setup draw(long seed, int minN, int maxN, FaultPlan plan) {
        SplittableRandom r = new SplittableRandom(seed);
        int n = minN + r.nextInt(maxN - minN + 1);
        boolean ring = r.nextInt(100) < 65;
        String latency = r.nextBoolean() ? "const:1ms" : "uniform:500us,2ms";
        RecoveryConfig config = RecoveryConfig.defaults().withSuccessors(2 + r.nextInt(2));
        if (r.nextInt(4) == 0) {
            config = config.withPhi(8.0);
        }
        String topology;
        if (ring) {
            topology = "successor-ring:" + config.successors();
        } else {
            List<String> options = new ArrayList<>(List.of("random-regular:4", "chordal:2", "complete"));
            if (Integer.bitCount(n) == 1) {
                options.add("hypercube");
            }
            if (n * 4 % 2 != 0 || n < 5) {
                options.remove("random-regular:4");
            }
            topology = options.get(r.nextInt(options.size()));
        }
        FaultPlan drawn = FaultPlan.random(r.nextLong(), n, FAULT_HORIZON_NANOS);
        return new Setup(seed, n, ring, topology, config, latency, plan != null ? plan : drawn);
    }

    static Result run(Setup s) {
        return run(s, p -> p);
    }

    /**
     * The run with the protocol passed through {@code decorate} first: tests break the protocol on purpose
     * to show that the checks catch it.
     */
    static Result run(Setup s, UnaryOperator<Protocol> decorate) {
        try {
            return s.ring ? runRing(s, decorate) : runBroadcast(s, decorate);
        } catch (IllegalStateException e) {
            // SimCluster wraps an invariant's exception with the virtual time and the seed.
            return new Result(s, e.getMessage(), -1, -1);
        }
    }

    private static SimCluster cluster(Setup s, Overlay overlay, Protocol protocol) {
        LinkModel link = LinkModels.parse(s.latency);
        return new SimCluster(overlay, protocol, new SimConfig(s.seed, link, 0, 0));
    }

    /** Ends every fault at the cluster's now: heal, no burst, no slow node, every crashed node restarted. */
    private static void healAll(SimCluster c, Setup s, RingWatch watch, java.util.function.IntConsumer onRestart) {
        c.heal();
        if (s.plan.usesSlowOrLoss()) {
            c.lossBurst(0);
            for (int v = 0; v < s.n; v++) {
                c.slow(v, 0);
            }
        }
        for (int v = 0; v < s.n; v++) {
            if (!c.alive(v)) {
                c.restart(v);
                if (watch != null) {
                    watch.restarted(v, c.now());
                }
                onRestart.accept(v);
            }
        }
    }

    private static Result runRing(Setup s, UnaryOperator<Protocol> decorate) {
        Overlay overlay = HealingRing.overlay(s.n, s.config.successors());
        SimCluster c = cluster(s, overlay, decorate.apply(HealingRing.protocol(s.config)));
        RingWatch watch = new RingWatch(s.n);
        long[] lastTick = new long[s.n];
        String[] tickViolation = {null};
        long[] checks = {0};
        c.addObserver(watch);
        c.addObserver(o -> {
            if (o instanceof Observation.Tick t) {
                if (t.tick() <= lastTick[t.node()] && tickViolation[0] == null) {
                    tickViolation[0] = "node " + t.node() + " ticked " + t.tick() + " after " + lastTick[t.node()];
                }
                lastTick[t.node()] = t.tick();
            }
        });
        c.addInvariant(watch::check);
        c.addInvariant(() -> {
            checks[0]++;
            if (tickViolation[0] != null) {
                throw new IllegalStateException("ticks strictly increase: " + tickViolation[0]);
            }
        });
        c.start();
        s.plan.applyTo(c, 0, (kind, node, at, call) -> {
            if (kind == FaultPlan.Kind.CRASH) {
                watch.crashed(node, at);
            } else if (kind == FaultPlan.Kind.RESTART) {
                watch.restarted(node, at);
                lastTick[node] = 0; // a fresh incarnation counts from its first tick
            }
        });
        long healAt = Math.max(FAULT_HORIZON_NANOS, s.plan.endNanos()) + MS;
        c.runFor(healAt);
        healAll(c, s, watch, v -> lastTick[v] = 0);
        long rotationBound = s.n * LinkModels.parse(s.latency).maxNanos();
        long limit = 2 * s.config.tokenLossTimeoutNanos() + 4 * s.config.suspicionTimeoutNanos() + 10 * rotationBound
                + 200 * MS;
        // Messages sent during the fault phase may still be on a slow link: the ring is stable only once
        // they are delivered (or dropped), so count from when the last of them can arrive.
        long drain = drainNanos(s);
        c.runFor(drain);
        watch.markRotations(c.now());
        boolean stable = c.runUntil(() -> watch.fullRotations() >= 1 && watch.viewsConverged(), limit);
        long virtual = c.now();
        long invariants = watch.checks() + checks[0];
        if (!stable) {
            return new Result(s, "liveness: " + (watch.fullRotations() == 0 ? "no full rotation of the ring"
                    : "views did not converge") + " within " + limit / MS + " ms after the heal at " + healAt / MS + " ms", invariants, virtual);
        }
        long windowFrom = c.now();
        long suspicionsBefore = watch.suspicions();
        watch.markRotations(windowFrom);
        c.runFor(Math.max(3 * rotationBound + 3 * s.config.heartbeatIntervalNanos(), 50 * MS));
        invariants = watch.checks() + checks[0];
        List<Long> epochs = watch.epochsSeenBetween(windowFrom, c.now());
        int concurrent = watch.maxConcurrentEpochsAfter(windowFrom);
        if (epochs.size() != 1 || concurrent != 1) {
            return new Result(s, "after stabilisation: " + epochs.size() + " epochs circulate (at most " + concurrent
                    + " at once), expected exactly one token", invariants, c.now());
        }
        if (watch.fullRotations() < 2) {
            return new Result(s, "after stabilisation: only " + watch.fullRotations() + " full rotations in the window",
                    invariants, c.now());
        }
        if (watch.suspicions() != suspicionsBefore) {
            return new Result(s, "after stabilisation: " + (watch.suspicions() - suspicionsBefore) + " new suspicions",
                    invariants, c.now());
        }
        return new Result(s, null, invariants, c.now());
    }

    /** The longest a message sent before the heal can still be in flight after it. */
    static long drainNanos(Setup s) {
        long slow = 0;
        for (FaultPlan.Fault f : s.plan.faults()) {
            if (f.kind() == FaultPlan.Kind.SLOW) {
                slow = Math.max(slow, f.extraNanos());
            }
        }
        return 2 * slow + LinkModels.parse(s.latency).maxNanos();
    }

    private static Result runBroadcast(Setup s, UnaryOperator<Protocol> decorate) {
        Overlay overlay = Topologies.build(s.topology, s.n, s.seed);
        SimCluster c = cluster(s, overlay, decorate.apply(Flood.PROTOCOL));
        List<Set<Long>> delivered = new ArrayList<>();
        for (int v = 0; v < s.n; v++) {
            delivered.add(new HashSet<>());
        }
        String[] violation = {null};
        long[] checks = {0};
        c.addObserver(o -> {
            if (o instanceof Observation.Delivered d && !delivered.get(d.node()).add(d.id()) && violation[0] == null) {
                violation[0] = "node " + d.node() + " delivered broadcast " + d.id() + " twice";
            }
        });
        c.addInvariant(() -> {
            checks[0]++;
            if (violation[0] != null) {
                throw new IllegalStateException("deliver once: " + violation[0]);
            }
        });
        c.start();
        s.plan.applyTo(c, 0, (kind, node, at, call) -> {
            if (kind == FaultPlan.Kind.RESTART) {
                delivered.get(node).clear(); // a fresh incarnation has delivered nothing
            }
        });
        SplittableRandom r = new SplittableRandom(s.seed ^ 0xB0AD_CA57L);
        long id = 0;
        long healAt = Math.max(FAULT_HORIZON_NANOS, s.plan.endNanos()) + MS;
        for (long t = 50 * MS; t < healAt; t += 50 * MS) {
            long bid = id++;
            int origin = r.nextInt(s.n);
            c.at(t, () -> c.inject(origin, new Message.Inject(bid, new byte[8])));
        }
        c.runFor(healAt);
        healAll(c, s, null, v -> {});
        for (int v = 0; v < s.n; v++) {
            delivered.get(v).clear();
        }
        c.runFor(100 * MS);
        long first = id;
        for (int k = 0; k < 5; k++) {
            c.inject(r.nextInt(s.n), new Message.Inject(id++, new byte[8]));
        }
        long last = id;
        long limit = 2_000 * MS;
        boolean all = c.runUntil(() -> {
            for (Set<Long> d : delivered) {
                for (long b = first; b < last; b++) {
                    if (!d.contains(b)) {
                        return false;
                    }
                }
            }
            return true;
        }, limit);
        if (!all) {
            int missing = 0;
            for (Set<Long> d : delivered) {
                for (long b = first; b < last; b++) {
                    missing += d.contains(b) ? 0 : 1;
                }
            }
            return new Result(s, "liveness: " + missing + " of " + (last - first) * s.n
                    + " deliveries of the post-heal broadcasts missing after " + limit / MS + " ms", checks[0], c.now());
        }
        return new Result(s, null, checks[0], c.now());
    }

    /**
     * Delta debugging (Zeller and Hildebrandt, "Simplifying and isolating failure-inducing input", TSE 2002),
     * the one-at-a-time variant: drops faults while the run still fails, then halves ranges while it still
     * fails, until neither helps. Returns the smallest failing plan found (the original if nothing smaller
     * fails).
     */
    static FaultPlan shrink(long seed, int minN, int maxN, FaultPlan plan, int budget) {
        return shrink(seed, minN, maxN, plan, budget, p -> p);
    }

    /** {@link #shrink} of runs whose protocol passes through {@code decorate} (see {@link #run(Setup, UnaryOperator)}). */
    static FaultPlan shrink(long seed, int minN, int maxN, FaultPlan plan, int budget, UnaryOperator<Protocol> decorate) {
        return PlanShrinker.shrink(plan, budget, p -> run(draw(seed, minN, maxN, p), decorate).failed());
    }
}
