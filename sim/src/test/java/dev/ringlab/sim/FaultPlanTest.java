package dev.ringlab.sim;

import dev.ringlab.node.spec.FaultPlan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.HealingRing;
import dev.ringlab.node.protocols.RecoveryConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Fault plans are data: parse and print round-trip, seeded random plans are valid, bad plans name their fault. */
class FaultPlanTest {
    static final long MS = 1_000_000L;

    @Test
    void theIssueExampleParsesAndPrintsBack() {
        String text = "crash:3@100ms,restart:3@2s,partition:0-15|16-31@1s..3s,loss:0.05@0..5s";
        FaultPlan p = FaultPlan.parse(text);
        assertEquals(4, p.faults().size());
        assertEquals(FaultPlan.Fault.crash(3, 100 * MS, -1), p.faults().get(0));
        assertEquals(FaultPlan.Fault.restart(3, 2_000 * MS), p.faults().get(1));
        FaultPlan.Fault part = p.faults().get(2);
        assertEquals(FaultPlan.Kind.PARTITION, part.kind());
        assertEquals(16, part.groups()[0].length);
        assertEquals(31, part.groups()[1][15]);
        assertEquals(3_000 * MS, part.untilNanos());
        assertEquals(0.05, p.faults().get(3).probability());
        assertEquals(text, p.toString());
        assertEquals(p, FaultPlan.parse(p.toString()));
    }

    @Test
    void everyRandomPlanRoundTripsThroughItsText() {
        SplittableRandom master = new SplittableRandom(0xFA17L);
        for (int c = 0; c < 2_000; c++) {
            long seed = master.nextLong();
            int n = 2 + new SplittableRandom(seed).nextInt(60);
            FaultPlan p = FaultPlan.random(seed, n, 2_000 * MS);
            assertFalse(p.isEmpty(), "seed " + seed);
            p.check(n);
            assertEquals(p, FaultPlan.parse(p.toString()), "seed " + seed + ": " + p);
            assertEquals(p, FaultPlan.random(seed, n, 2_000 * MS), "same seed, same plan: seed " + seed);
            for (FaultPlan.Fault f : p.faults()) {
                assertTrue(f.atNanos() < 2_000 * MS, "seed " + seed + ": " + f);
            }
        }
    }

    @Test
    void swarmPlansDifferInTheirMixOfFaultKinds() {
        SplittableRandom master = new SplittableRandom(0x5A4A7L);
        java.util.Set<java.util.Set<FaultPlan.Kind>> mixes = new java.util.HashSet<>();
        for (int c = 0; c < 300; c++) {
            java.util.Set<FaultPlan.Kind> kinds = java.util.EnumSet.noneOf(FaultPlan.Kind.class);
            FaultPlan.random(master.nextLong(), 8, 2_000 * MS).faults().forEach(f -> kinds.add(f.kind()));
            mixes.add(kinds);
        }
        assertTrue(mixes.size() >= 10, "only " + mixes.size() + " different fault mixes in 300 plans");
    }

    @Test
    void badPlansAreRejectedNamingTheFault() {
        for (String bad : List.of("crash:3", "crash:x@1s", "explode:3@1s", "partition:0-3@1s", "loss:2@0..1s",
                "slow:3@1s", "crash:3@2s..1s", "restart:3@1s..2s", "partition:5-2|6@1s", "heal:3@1s")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FaultPlan.parse(bad), bad);
            assertTrue(e.getMessage().contains(bad.split(",")[0]), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> FaultPlan.parse("crash:9@1s").check(8));
        assertEquals(FaultPlan.none(), FaultPlan.parse("none"));
        assertEquals(FaultPlan.parse("slow:3=50ms@1s..2s,heal@4s"), FaultPlan.parse(" slow:3=50ms@1s..2s , heal@4s "));
    }

    @Test
    void aPlanAppliesItsFaultsAtTheirVirtualTimesAndUndoesRanges() {
        SimCluster c = new SimCluster(HealingRing.overlay(8, 3), HealingRing.protocol(RecoveryConfig.defaults()),
                SimConfig.of(1));
        List<String> applied = new ArrayList<>();
        c.start();
        FaultPlan.parse("crash:3@100ms..300ms,partition:0-3|4-7@400ms..500ms,slow:1=5ms@10ms..20ms,loss:0.5@50ms..60ms")
                .applyTo(c, 0, (kind, node, at, call) -> applied.add(kind.word() + ":" + node + "@" + at / MS));
        c.runFor(150 * MS);
        assertFalse(c.alive(3));
        c.runFor(200 * MS);
        assertTrue(c.alive(3));
        c.runFor(200 * MS);
        assertEquals(List.of("slow:1@10", "slow:1@20", "loss:-1@50", "loss:-1@60", "crash:3@100", "restart:3@300",
                "partition:-1@400", "heal:-1@500"), applied);
    }

    @Test
    void aLossBurstDropsMessagesOnlyWhileItLasts() {
        SimCluster c = new SimCluster(HealingRing.overlay(6, 2), HealingRing.protocol(RecoveryConfig.defaults().withSuccessors(2)),
                SimConfig.of(2));
        List<Observation.Suspected> s = new ArrayList<>();
        c.addObserver(o -> {
            if (o instanceof Observation.Suspected x) {
                s.add(x);
            }
        });
        c.start();
        c.runFor(300 * MS);
        long before = c.stats().messagesDropped();
        c.lossBurst(1.0);
        c.runFor(100 * MS);
        long during = c.stats().messagesDropped() - before;
        c.lossBurst(0);
        c.runFor(100 * MS);
        long after = c.stats().messagesDropped() - before - during;
        assertTrue(during > 50, "dropped during the burst: " + during);
        assertEquals(0, after);
        assertFalse(s.isEmpty(), "total loss for 100 ms must raise suspicions");
    }
}
