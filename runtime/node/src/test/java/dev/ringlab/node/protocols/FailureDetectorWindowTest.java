package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The phi detector's running sums (of intervals and their squares) past its {@link FailureDetector#WINDOW}:
 * phi is compared, interval after interval, with phi computed afresh from the last WINDOW intervals. The
 * rhythm changes tenfold half-way, so an interval that is not subtracted when it leaves the window (or one
 * subtracted twice) moves the mean far from the recomputed one.
 */
class FailureDetectorWindowTest {
    static final long MS = 1_000_000L;
    static final RecoveryConfig PHI = RecoveryConfig.defaults().withPhi(8.0);

    @Test
    void phiPastTheWindowEqualsPhiRecomputedFromTheLastWindowIntervals() {
        SplittableRandom master = new SplittableRandom(0xF1_0001L);
        int compared = 0;
        for (int c = 0; c < 20; c++) {
            long seed = master.nextLong();
            SplittableRandom r = new SplittableRandom(seed);
            long now = 1_000 * MS;
            FailureDetector d = new FailureDetector(PHI, now);
            List<Long> intervals = new ArrayList<>();
            int beats = 2 * FailureDetector.WINDOW + 1 + r.nextInt(3 * FailureDetector.WINDOW);
            for (int i = 0; i < beats; i++) {
                // Slow beats first (about 100 ms), then fast ones (about 10 ms), with jitter.
                long base = i < beats / 2 ? 100 * MS : 10 * MS;
                long interval = base + r.nextLong(base / 2);
                now += interval;
                d.heard(now);
                intervals.add(interval);
                if (intervals.size() < 2) {
                    continue;
                }
                for (long silence : new long[] {0, base / 2, base, 2 * base}) {
                    double expected = phi(intervals, silence);
                    double actual = d.phi(now + silence);
                    String why = "seed " + seed + ", after " + intervals.size() + " intervals, silence " + silence;
                    if (Double.isInfinite(expected)) {
                        assertEquals(expected, actual, why);
                    } else {
                        assertEquals(expected, actual, 1e-6 * Math.max(1, Math.abs(expected)), why);
                    }
                    if (intervals.size() > FailureDetector.WINDOW) {
                        compared++;
                    }
                }
                // The verdict follows phi once two intervals are known (no probation with the defaults).
                long at = now + 2 * base;
                assertEquals(phi(intervals, 2 * base) > PHI.phiThreshold(), d.suspects(at),
                        "seed " + seed + ", verdict after " + intervals.size() + " intervals");
            }
        }
        assertTrue(compared > 0, "no comparison past the window");
    }

    @Test
    void afterTheRhythmSpeedsUpAndTheWindowFillsWithFastBeatsAShortSilenceIsSuspected() {
        // 40 slow beats (1 s), then 40 fast ones (10 ms): the window holds fast beats only, so 200 ms of
        // silence is far out. A window that kept the slow beats in its sum would call it normal.
        long now = 0;
        FailureDetector d = new FailureDetector(PHI, now);
        for (int i = 0; i < 40; i++) {
            now += 1_000 * MS;
            d.heard(now);
        }
        for (int i = 0; i < 40; i++) {
            now += 10 * MS;
            d.heard(now);
        }
        assertTrue(d.suspects(now + 200 * MS), "phi after 200 ms: " + d.phi(now + 200 * MS));
        assertTrue(d.phi(now + 10 * MS) < 1, "phi after one usual interval: " + d.phi(now + 10 * MS));
    }

    /** Phi as the class doc defines it, from the last WINDOW intervals (none of the detector's state). */
    static double phi(List<Long> all, long silence) {
        List<Long> w = all.subList(Math.max(0, all.size() - FailureDetector.WINDOW), all.size());
        double mean = 0;
        for (long x : w) {
            mean += x;
        }
        mean /= w.size();
        double var = 0;
        for (long x : w) {
            var += (x - mean) * (x - mean);
        }
        var /= w.size();
        double sd = Math.max(Math.sqrt(var), PHI.heartbeatIntervalNanos() / 4.0);
        double y = (silence - mean) / sd;
        double e = Math.exp(-y * (1.5976 + 0.070566 * y * y));
        double pLater = y > 0 ? e / (1 + e) : 1 - 1 / (1 + e);
        return pLater <= 0 ? Double.POSITIVE_INFINITY : -Math.log10(pLater);
    }
}
