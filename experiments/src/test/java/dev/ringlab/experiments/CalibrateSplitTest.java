package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.spec.LinkModel;
import dev.ringlab.node.spec.LinkModels;
import dev.ringlab.sim.SimCluster;
import dev.ringlab.sim.SimConfig;
import dev.ringlab.sim.model.EngineModel;
import dev.ringlab.topology.Overlay;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** How calibrate splits the per-message service time into receive and send with star floods. */
class CalibrateSplitTest {
    private static final long US = 1_000L;
    private static final long SERVICE = 20 * US;
    private static final int[] LEAVES = {8, 16, 32};
    private static final int REPS = 5;
    private static final LinkModel LINK = LinkModels.empirical("test", new long[] {8 * US, 10 * US, 12 * US});
    private static final EngineModel.Cold COLD = new EngineModel.Cold(new long[] {1_000_000L, 100_000_000L},
            new long[] {10 * US, 100 * US}, new long[] {20 * US, 120 * US});

    @Test
    void theStarIsKSendsAtTheCentreAndOneReceivePerLeaf() {
        Overlay s = CalibrateCommand.star(5);
        assertEquals(6, s.size());
        assertEquals(5, s.degree(0));
        for (int v = 1; v <= 5; v++) {
            assertEquals(1, s.degree(v), "leaf " + v);
            assertEquals(0, s.target(s.offset(v)), "leaf " + v);
        }
    }

    /** Star floods "measured" on the modelled simulator with a known split: the fit finds that split. */
    @Test
    void theFitRecoversTheSplitThatMadeTheCompletions() {
        EngineModel.Cpu cpu = new EngineModel.Cpu(4, 2, SERVICE / 2, SERVICE - SERVICE / 2, true);
        for (int pct : new int[] {0, 30, 75}) {
            long recv = SERVICE * pct / 100;
            EngineModel truth = new EngineModel("test", null,
                    new EngineModel.Cpu(4, 2, recv, SERVICE - recv, true), null, COLD, null, Map.of());
            long[] measured = new long[LEAVES.length];
            for (int i = 0; i < LEAVES.length; i++) {
                long[] t = CalibrateCommand.floodCompletions(new SimCluster(CalibrateCommand.star(LEAVES[i]), Flood.PROTOCOL,
                        new SimConfig(7, LINK, 0, 0, truth)), REPS);
                Arrays.sort(t);
                measured[i] = t[t.length / 2];
            }
            List<CalibrateCommand.SplitFit> fits = CalibrateCommand.fitSplit(SERVICE, measured, LEAVES, cpu, LINK, COLD, 7, REPS);
            assertEquals(21, fits.size(), "candidates 0, 5, ..., 100 %");
            CalibrateCommand.SplitFit best = fits.get(0);
            assertEquals(recv, best.recvNanos(), "split of " + pct + " %: " + best);
            assertEquals(SERVICE - recv, best.sendNanos());
            assertEquals(0.0, best.error(), 1e-12);
            assertTrue(fits.get(1).error() > 0, "the next candidate is worse");
            // The star tells the split apart: more send makes a bigger star slower.
            assertTrue(best.modelMedians()[LEAVES.length - 1] > best.modelMedians()[0], Arrays.toString(best.modelMedians()));
        }
    }
}
