package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.sim.model.EngineModel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How calibrate turns ring floods after quiet gaps into the cold-start table (the arithmetic, on made-up times). */
class CalibrateColdTest {
    private static final long US = 1_000L;
    private static final long MS = 1_000_000L;

    /**
     * Three floods on an 8-node ring, each hop 40 us (the hot hop) except the hops into node 1 and node 4,
     * which take 40 + 100·(b+1) us and 40 + 10·(b+1) us in flood b; the origin delivers 30·(b+1) us after
     * its injection; quiet before each 5, 6, 7 ms.
     */
    private static CalibrateCommand.FloodRun run() {
        int n = 8;
        long[][] at = new long[3][n];
        long[] injected = new long[3];
        long[] quiet = {5 * MS, 6 * MS, 7 * MS};
        for (int b = 0; b < 3; b++) {
            injected[b] = b * 100 * MS;
            at[b][0] = injected[b] + 30 * US * (b + 1);
            for (int v = 1; v < n; v++) {
                long extra = v == 1 ? 100 * US * (b + 1) : v == 4 ? 10 * US * (b + 1) : 0;
                at[b][v] = at[b][v - 1] + 40 * US + extra;
            }
        }
        return new CalibrateCommand.FloodRun(at, injected.clone(), injected, quiet);
    }

    @Test
    void tokenHopsIntoAnotherExecutorGiveTheWakeSendOverHopsWithinOne() {
        // Two rotations of an 8-node ring on 2 executors in blocks: the hops 3 -> 4 and 7 -> 0 enter the other
        // executor and take 40 + i us, the others 10 + i us (hop i).
        int k = 16;
        long[] hops = new long[k];
        int[] from = new int[k];
        int[] to = new int[k];
        for (int i = 0; i < k; i++) {
            from[i] = i % 8;
            to[i] = (i + 1) % 8;
            hops[i] = (from[i] == 3 || from[i] == 7 ? 40 : 10) * US + i * US;
        }
        CalibrateCommand.TokenHops t = CalibrateCommand.TokenHops.of(hops, from, to, new EngineModel.Cpu(2, 2, 0, 0, true), 8);
        assertArrayEquals(new long[] {43 * US, 47 * US, 51 * US, 55 * US}, t.cross());
        assertEquals(12, t.same().length);
        assertTrue(java.util.Arrays.stream(t.same()).allMatch(h -> h < 40 * US), java.util.Arrays.toString(t.same()));
        assertEquals(k, t.all().length);
        assertEquals(CalibrateCommand.quantile(t.cross(), 0.5) - CalibrateCommand.quantile(t.same(), 0.5), t.wakeSendNanos());
        assertTrue(t.wakeSendNanos() > 25 * US, "about 30 us: " + t.wakeSendNanos());
        // One executor per node (processes): every hop enters another one, nothing to compare with, no wake send.
        CalibrateCommand.TokenHops own = CalibrateCommand.TokenHops.of(hops, from, to, new EngineModel.Cpu(0, 2, 0, 0, true), 8);
        assertEquals(0, own.same().length);
        assertEquals(0, own.wakeSendNanos());
    }

    @Test
    void theFirstDeliveryOnEachExecutorIsWhatTheModelsPlacementSays() {
        // Two executors in blocks: nodes 0-3 on one, 4-7 on the other; the first deliveries are nodes 1 and 4.
        CalibrateCommand.ColdPoint p = CalibrateCommand.coldPoint(run(), 0, new EngineModel.Cpu(2, 2, 0, 0, true), 40 * US);
        assertEquals(6 * MS, p.quietNanos());
        assertEquals(60 * US, p.injectNanos(), "median of 30, 60, 90 us");
        // Excess samples: node 1 100, 200, 300; node 4 10, 20, 30 -> sorted 10 20 30 100 200 300, nearest-rank median 30.
        assertEquals(30 * US, p.deliveryNanos());
        assertEquals(3, p.injectSamples());
        assertEquals(6, p.deliverySamples());
        assertArrayEquals(new long[] {10 * US, 20 * US, 30 * US, 100 * US, 200 * US, 300 * US}, p.delivery(), "all samples, sorted");
        assertArrayEquals(new long[] {30 * US, 60 * US, 90 * US}, p.inject());
        // Round robin on 2 executors: nodes 1 (executor 1) and 2 (executor 0) come first: excesses 100, 200, 300, 0, 0, 0.
        CalibrateCommand.ColdPoint rr = CalibrateCommand.coldPoint(run(), 0, new EngineModel.Cpu(2, 2, 0, 0, false), 40 * US);
        assertEquals(0, rr.deliveryNanos());
        // The warm-up broadcasts are left out.
        CalibrateCommand.ColdPoint warm = CalibrateCommand.coldPoint(run(), 2, new EngineModel.Cpu(2, 2, 0, 0, true), 40 * US);
        assertEquals(7 * MS, warm.quietNanos());
        assertEquals(90 * US, warm.injectNanos());
    }

    @Test
    void withAHopWithinALoopAnExecutorsSecondWorkIsSampledAndTheOriginsFirstWorkIsTheRequest() {
        // Blocks of 4 on 2 executors, the hop within a loop 40 us: executor 0's first work is the injection, its second
        // node 1 (excess 100, 200, 300 us); executor 1's first delivery is node 4 (10, 20, 30 us), its second node 5 (0).
        CalibrateCommand.ColdPoint p = CalibrateCommand.coldPoint(run(), 0, new EngineModel.Cpu(2, 2, 0, 0, true), 40 * US, 40 * US);
        assertArrayEquals(new long[] {10 * US, 20 * US, 30 * US}, p.delivery(), "node 4 only");
        // The origin's executor's second work came after the request: its samples (node 1) are kept apart from node 5's.
        assertArrayEquals(new long[] {0, 0, 0}, p.second(), "node 5");
        assertArrayEquals(new long[] {100 * US, 200 * US, 300 * US}, p.secondAfterRequest(), "node 1");
        assertEquals(0, p.secondNanos());
        // Without the hop within a loop: no second samples, node 1 counts as executor 0's first delivery, as before.
        CalibrateCommand.ColdPoint old = CalibrateCommand.coldPoint(run(), 0, new EngineModel.Cpu(2, 2, 0, 0, true), 40 * US);
        assertEquals(0, old.second().length);
        assertEquals(-1, old.secondNanos());
        assertEquals(6, old.deliverySamples());
        // One executor per node: no executor has a second node on the ring, so no second samples and no table.
        CalibrateCommand.ColdPoint own = CalibrateCommand.coldPoint(run(), 0, new EngineModel.Cpu(0, 2, 0, 0, true), 40 * US, 40 * US);
        assertEquals(0, own.second().length);
        assertEquals(0, own.secondAfterRequest().length);
        assertEquals(7 * 3, own.deliverySamples(), "nodes 1-7, each its executor's first delivery");
        assertFalse(own.hasCoreWake(), "no hop within an executor, no loop entered twice: no core wake");
        assertFalse(CalibrateCommand.coldTable(List.of(own)).hasSecond());
        assertFalse(CalibrateCommand.coldTable(List.of(own)).hasSecondAfterRequest());
        EngineModel.Cold table = CalibrateCommand.coldTable(List.of(p));
        assertTrue(table.hasSecond());
        assertArrayEquals(p.second(), table.secondSamples()[0]);
        assertTrue(table.hasSecondAfterRequest());
        assertArrayEquals(p.secondAfterRequest(), table.secondRequestSamples()[0]);
        assertEquals(200 * US, table.secondRequestNanos()[0], "nearest-rank median of node 1's three");
        // Round robin on 2 executors puts node 1 on the other executor: the origin's has no second work after the request.
        CalibrateCommand.ColdPoint rr = CalibrateCommand.coldPoint(run(), 0, new EngineModel.Cpu(2, 2, 0, 0, false), 40 * US, 40 * US);
        assertEquals(0, rr.secondAfterRequest().length);
        assertFalse(CalibrateCommand.coldTable(List.of(rr)).hasSecondAfterRequest());
    }

    @Test
    void theSlowerOfTheFirstTwoLoopsEnteredIsACoreWakeAndTheExecutorsTablesKeepTheFasterEntry() {
        // Three floods on a 12-node ring, 3 executors in blocks of 4 (0-3, 4-7, 8-11) on 2 cores, every hop 40 us (the
        // hot hop, and the hop within a loop) plus, per flood, these excesses on the hops into nodes 4, 5, 8 and 9:
        // flood 0 enters loop 1 slowly (200, then 100), flood 1 loop 2 (230, then 120), flood 2 loop 1 (260, then 90).
        long[][] extra = {{200, 100, 20, 0}, {30, 10, 230, 120}, {260, 90, 10, 0}};
        int[] nodes = {4, 5, 8, 9};
        int n = 12;
        long[][] at = new long[3][n];
        long[] injected = new long[3];
        for (int b = 0; b < 3; b++) {
            injected[b] = b * 100 * MS;
            at[b][0] = injected[b] + 50 * US;
            for (int v = 1; v < n; v++) {
                long x = 0;
                for (int i = 0; i < nodes.length; i++) {
                    x += nodes[i] == v ? extra[b][i] * US : 0;
                }
                at[b][v] = at[b][v - 1] + 40 * US + x;
            }
        }
        CalibrateCommand.FloodRun run = new CalibrateCommand.FloodRun(at, injected.clone(), injected, new long[] {250 * MS, 250 * MS, 250 * MS});
        CalibrateCommand.ColdPoint p = CalibrateCommand.coldPoint(run, 0, new EngineModel.Cpu(3, 2, 0, 0, true), 40 * US, 40 * US);
        assertTrue(p.hasCoreWake());
        assertArrayEquals(new long[] {180 * US, 200 * US, 250 * US}, p.coreWake(), "slower entry less the faster, per flood");
        assertArrayEquals(new long[] {90 * US, 100 * US, 110 * US}, p.coreSecond(), "and the second hops after them");
        assertEquals(200 * US, p.coreWakeNanos());
        assertEquals(100 * US, p.coreSecondNanos());
        // The executors' own tables: the slower entry counted as the faster, so the wake is not in both.
        assertArrayEquals(new long[] {10 * US, 10 * US, 20 * US, 20 * US, 30 * US, 30 * US}, p.delivery());
        assertArrayEquals(new long[] {0, 0, 0, 0, 10 * US, 10 * US}, p.second());
        EngineModel.Cold table = CalibrateCommand.coldTable(List.of(p));
        assertTrue(table.hasCoreWake());
        assertEquals(200 * US, table.coreWake(250 * MS));
        assertEquals(100 * US, table.coreSecond(250 * MS));
        // One core: nothing else to wake; every entry is the executor's own, as before.
        CalibrateCommand.ColdPoint one = CalibrateCommand.coldPoint(run, 0, new EngineModel.Cpu(3, 1, 0, 0, true), 40 * US, 40 * US);
        assertFalse(one.hasCoreWake());
        assertArrayEquals(new long[] {10 * US, 20 * US, 30 * US, 200 * US, 230 * US, 260 * US}, one.delivery());
        assertFalse(CalibrateCommand.coldTable(List.of(one)).hasCoreWake());
        // A table has the core wake only if every point has it.
        assertFalse(CalibrateCommand.coldTable(List.of(p, point(2 * MS, 20 * US, 0))).hasCoreWake());
    }

    @Test
    void theTableIsOrderedByQuietTimeAndDropsPointsNotQuieterThanTheOneBefore() {
        EngineModel.Cold c = CalibrateCommand.coldTable(List.of(
                point(100 * MS, 100 * US, 60 * US),
                point(2 * MS, 20 * US, 0),
                point(2 * MS, 25 * US, 5 * US),
                point(250 * MS, 130 * US, 90 * US)));
        assertArrayEquals(new long[] {2 * MS, 100 * MS, 250 * MS}, c.idleNanos());
        assertArrayEquals(new long[] {0, 60 * US, 90 * US}, c.deliveryNanos());
        assertArrayEquals(new long[] {20 * US, 100 * US, 130 * US}, c.injectNanos());
    }

    @Test
    void theTableKeepsEachPointsSamplesAsItsSpread() {
        EngineModel.Cold c = CalibrateCommand.coldTable(List.of(
                new CalibrateCommand.ColdPoint(100 * MS, new long[] {300 * US, 100 * US, 200 * US}, new long[] {2 * MS, 0, 10 * US}),
                new CalibrateCommand.ColdPoint(1 * MS, new long[] {20 * US}, new long[] {5 * US, 1 * US})));
        assertTrue(c.spread());
        assertArrayEquals(new long[] {1 * US, 5 * US}, c.deliverySamples()[0]);
        assertArrayEquals(new long[] {0, 10 * US, 2 * MS}, c.deliverySamples()[1], "sorted");
        assertArrayEquals(new long[] {100 * US, 200 * US, 300 * US}, c.injectSamples()[1]);
        assertArrayEquals(new long[] {1 * US, 10 * US}, c.deliveryNanos(), "nearest-rank medians (the lower of two)");
        assertEquals(2 * MS, c.delivery(100 * MS, 0.99), "the top sample: a millisecond stall");
        assertEquals(0, c.delivery(100 * MS, 0.0));
    }

    @Test
    void aSelfCheckFarOnTheSlowSideWarnsOfANoisySpell() {
        // Run 2 of the README's spread runs (its self-check), with a made-up cold start: 2 of 4 first deliveries over 1 ms.
        EngineModel.Cold cold = CalibrateCommand.coldTable(List.of(new CalibrateCommand.ColdPoint(250 * MS, new long[] {100 * US},
                new long[] {70 * US, 80 * US, 1200 * US, 4800 * US})));
        String w = CalibrateCommand.selfCheckWarning(new double[] {3.04, 2.40, -0.56, 0.17, 2.64, 1.73, 2.81, -0.31}, cold);
        assertTrue(w != null && w.contains("slower than measured on 5 of its 8 own floods (up to +304 %)")
                && w.contains("2 of the 4 first deliveries after 250 ms of quiet took over 1 ms") && w.contains("Calibrate again"), w);
        // The usual calibration: the model faster than measured on all of them; and slow on fewer than half.
        assertEquals(null, CalibrateCommand.selfCheckWarning(new double[] {-0.44, -0.25, -0.37, -0.32, -0.27, -0.51, -0.46, -0.57}, cold));
        assertEquals(null, CalibrateCommand.selfCheckWarning(new double[] {0.9, 0.8, 0.7, -0.1, -0.2, -0.3, -0.4, -0.5}, cold));
        assertTrue(CalibrateCommand.selfCheckWarning(new double[] {0.9, 0.8, 0.7, 0.6}, null).contains("4 of its 4"));
    }

    /** {@code n} samples of 10, 20, 30, ... us, the last {@code extra} of them replaced by {@code extra}'s values. */
    private static long[] tens(int n, long... extra) {
        long[] s = new long[n];
        for (int i = 0; i < n; i++) {
            s[i] = (i + 1) * 10 * US;
        }
        System.arraycopy(extra, 0, s, n - extra.length, extra.length);
        return s;
    }

    @Test
    void aStallCandidateIsAboveTheFarOutFenceAndOneMillisecond() {
        // Q1 = 120 us, Q3 = 360 us of 48 samples of 10..480 us: the fence 360 + 3 x 240 = 1,080 us
        assertEquals(0, CalibrateCommand.stallCandidates(sorted(tens(48))));
        assertEquals(1, CalibrateCommand.stallCandidates(sorted(tens(48, 1_100 * US))));
        assertEquals(0, CalibrateCommand.stallCandidates(sorted(tens(48, 1_070 * US))), "under the fence");
        assertEquals(2, CalibrateCommand.stallCandidates(sorted(tens(48, 3_900 * US, 2_000 * US))));
        // Mostly zeros (a short quiet's first deliveries): the fence is 0, so the 1 ms floor decides.
        long[] zeros = new long[48];
        zeros[47] = 900 * US;
        assertEquals(0, CalibrateCommand.stallCandidates(sorted(zeros)));
        zeros[47] = 3_850 * US;
        assertEquals(1, CalibrateCommand.stallCandidates(sorted(zeros)));
        assertEquals(0, CalibrateCommand.stallCandidates(new long[] {0, 0, 5 * MS}), "too few samples to tell");
    }

    @Test
    void anIsolatedStallInASmallSetIsLeftOutAndAModeOrALargeSetKeepsIt() {
        long[] zeros = new long[48];
        zeros[47] = 3_850 * US;
        List<CalibrateCommand.ColdPoint> out = CalibrateCommand.leaveOutStalls(List.of(
                new CalibrateCommand.ColdPoint(2 * MS, tens(16), zeros, tens(48), tens(16), tens(16), tens(16)),
                new CalibrateCommand.ColdPoint(250 * MS, tens(32, 5 * MS, 4 * MS), tens(96), tens(96), tens(32), tens(32), tens(32))));
        // 480 samples, 3 candidates: r = 1/160; the 48-sample set's one (1/48 > 2r) goes, the pair at 250 ms stays
        assertEquals(List.of(new CalibrateCommand.Stall("first delivery", 3_850 * US)), out.get(0).stalls());
        assertEquals(47, out.get(0).delivery().length);
        assertEquals(0, out.get(0).delivery()[46]);
        assertArrayEquals(tens(16), out.get(0).inject(), "the other sets as they were");
        assertEquals(List.of(), out.get(1).stalls());
        assertArrayEquals(sorted(tens(32, 5 * MS, 4 * MS)), out.get(1).inject(), "two in one set: a slow mode, kept");
        EngineModel.Cold c = CalibrateCommand.coldTable(out);
        assertEquals(0, c.delivery(2 * MS, 0.999), "the model never draws the stall");

        // The same stall where stalls are common over the calibration (r = 4/320, 1/48 < 2r): kept.
        List<CalibrateCommand.ColdPoint> common = CalibrateCommand.leaveOutStalls(List.of(
                new CalibrateCommand.ColdPoint(2 * MS, tens(16), zeros, tens(48), tens(16), tens(16), tens(16)),
                new CalibrateCommand.ColdPoint(250 * MS, tens(16, 5 * MS, 4 * MS, 6 * MS), tens(48), tens(48), tens(16), tens(16), tens(16))));
        assertEquals(List.of(), common.get(0).stalls());
        assertEquals(48, common.get(0).delivery().length);
        assertEquals(3_850 * US, CalibrateCommand.coldTable(common).delivery(2 * MS, 0.999));
    }

    private static long[] sorted(long[] s) {
        long[] c = s.clone();
        java.util.Arrays.sort(c);
        return c;
    }

    private static CalibrateCommand.ColdPoint point(long quiet, long inject, long delivery) {
        return new CalibrateCommand.ColdPoint(quiet, new long[] {inject}, new long[] {delivery});
    }
}
