package dev.ringlab.sim;

import dev.ringlab.node.spec.LinkModel;
import dev.ringlab.node.spec.LinkModels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.DelaySpec;
import dev.ringlab.node.protocols.StationSpec;
import dev.ringlab.node.protocols.TokenRing;
import dev.ringlab.topology.Topologies;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link TokenRing}'s plain and compensated ticks on virtual time: a plain tick sweeps the ring with the token,
 * a compensated tick fires on every node at about the instant the rotation ends.
 */
class TickSimTest {
    static final long MS = 1_000_000L;

    /** Per tick number, per node: when the node fired it plus 1 ns (0: never), for plain and compensated ticks. */
    record Ticks(long[][] plain, long[][] compensated) {
        /** Spread (max - min) of each tick that every node fired, in tick order. */
        static long[] spreads(long[][] at) {
            List<Long> out = new ArrayList<>();
            for (long[] t : at) {
                if (t != null && Arrays.stream(t).allMatch(x -> x != 0)) {
                    out.add(Arrays.stream(t).max().getAsLong() - Arrays.stream(t).min().getAsLong());
                }
            }
            return out.stream().mapToLong(Long::longValue).toArray();
        }

        static long median(long[] xs) {
            long[] s = xs.clone();
            Arrays.sort(s);
            return s[(s.length - 1) / 2];
        }
    }

    static Ticks run(int n, LinkModel link, List<StationSpec> stations, long seed, int rotations) {
        long[][] plain = new long[rotations + 1][];
        long[][] compensated = new long[rotations + 1][];
        SimCluster c = new SimCluster(Topologies.build("ring", n, seed), TokenRing.protocol(stations),
                SimConfig.of(seed).withLink(link));
        c.addObserver(o -> {
            switch (o) {
                case Observation.Tick t -> record(plain, n, t.node(), t.tick(), t.atNanos());
                case Observation.CompensatedTick t -> record(compensated, n, t.node(), t.tick(), t.atNanos());
                default -> {}
            }
        });
        c.start();
        // Compensated tick K fires about when rotation K ends: run one rotation more.
        int[] done = {0};
        c.addObserver(o -> {
            if (o instanceof Observation.RotationCompleted r) {
                done[0] = (int) r.rotation();
            }
        });
        assertTrue(c.runUntil(() -> done[0] >= rotations + 1, 3_600_000 * MS));
        return new Ticks(plain, compensated);
    }

    private static void record(long[][] at, int n, int node, long tick, long atNanos) {
        if (tick >= at.length) {
            return;
        }
        if (at[(int) tick] == null) {
            at[(int) tick] = new long[n];
        }
        if (at[(int) tick][node] != 0) {
            throw new IllegalStateException("node " + node + " fired tick " + tick + " twice");
        }
        at[(int) tick][node] = atNanos + 1; // + 1: 0 marks "not fired", and the first tick is at time 0
    }

    @Test
    void onConstantLinksCompensatedTicksFireAtOneInstantWhilePlainTicksSweepTheRing() {
        int n = 8;
        Ticks t = run(n, LinkModel.constant(MS), List.of(), 5, 40);
        // Plain tick k: node v at v hops after node 0.
        for (int k = 1; k <= 40; k++) {
            for (int v = 0; v < n; v++) {
                assertEquals(t.plain()[k][0] + v * MS, t.plain()[k][v], "plain tick " + k + " at node " + v);
            }
        }
        // Compensated: none for tick 1 (no estimate yet), then every node at the end of rotation k exactly.
        assertEquals(null, t.compensated()[1]);
        for (int k = 2; k <= 40; k++) {
            for (int v = 0; v < n; v++) {
                assertEquals(t.plain()[k][0] + n * MS, t.compensated()[k][v], "compensated tick " + k + " at node " + v);
            }
        }
    }

    @Test
    void aHoldConcentratedOnOneNodeIsSpreadOverTheLinksSoItLimitsTheCompensation() {
        // Node 0 holds 3 ms on 1 ms links, n = 4: a rotation is 7 ms, step 1.75 ms. Node 1 arrives 4 ms after
        // node 0 and fires 3 * 1.75 = 5.25 ms later, at 9.25 ms, while node 0 fires at 4 * 1.75 = 7 ms (the true
        // end of the rotation): the spread is the hold's share that the estimate puts after node 1.
        Ticks t = run(4, LinkModel.constant(MS), List.of(StationSpec.parse("delay:3ms@0")), 9, 30);
        long[] comp = Ticks.spreads(t.compensated());
        long[] plain = Ticks.spreads(t.plain());
        assertEquals(6 * MS, Ticks.median(plain));
        assertEquals(2_250_000L, Ticks.median(comp));
    }

    @Test
    void compensationShrinksTheTickSkewOnJitteryLinksAndWithStations() {
        SplittableRandom master = new SplittableRandom(0x71C4L);
        for (int i = 0; i < 12; i++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            int n = 3 + r.nextInt(14);
            long lo = (100 + r.nextInt(1_000)) * 1_000L;
            long hi = lo + (1 + r.nextInt(1_000)) * 1_000L;
            LinkModel link = LinkModels.uniform(lo, hi);
            // Holds on every node: the estimate spreads holds evenly over the links (see TokenRing).
            List<StationSpec> stations = r.nextBoolean() ? List.of()
                    : List.of(new StationSpec(StationSpec.EVERY_NODE, DelaySpec.parse("uniform:" + (100 + r.nextInt(500))
                            + "us," + (600 + r.nextInt(1_000)) + "us")));
            String why = "case " + i + " seed " + seed + " (n=" + n + ", " + link.spec() + ", stations " + stations + ")";
            Ticks t = run(n, link, stations, seed, 150);
            long[] plain = Ticks.spreads(t.plain());
            long[] comp = Ticks.spreads(t.compensated());
            assertEquals(150, plain.length, why);
            assertEquals(149, comp.length, "every node fires compensated ticks 2..150 once: " + why);
            long plainP50 = Ticks.median(plain);
            long compP50 = Ticks.median(comp);
            assertTrue(compP50 * 2 < plainP50, "compensated skew p50 " + compP50 + " ns not under half of plain "
                    + plainP50 + " ns: " + why);
        }
    }
}
