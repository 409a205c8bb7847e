package org.example.counter;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * How often the 500-run test catches the planted bug, over master seeds 1..N (system property
 * {@code catch.seeds}, default 30): BrokenCounterTest is launched once per master seed, in this JVM, and a
 * master seed counts as caught when one of its runs fails. Excluded from `mvn test` (examples/check.sh runs it).
 */
class BrokenCatchRateTest {
    @Test
    void catchesThePlantedBugForAlmostEveryMasterSeed() {
        int seeds = Integer.getInteger("catch.seeds", 30);
        Launcher launcher = LauncherFactory.create();
        int caught = 0;
        long began = System.nanoTime();
        try {
            for (int master = 1; master <= seeds; master++) {
                System.setProperty("ringlab.seed", Integer.toString(master));
                SummaryGeneratingListener listener = new SummaryGeneratingListener();
                launcher.execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(BrokenCounterTest.class))
                        .build(), listener);
                TestExecutionSummary s = listener.getSummary();
                caught += s.getTotalFailureCount() > 0 ? 1 : 0;
            }
        } finally {
            System.clearProperty("ringlab.seed");
        }
        double rate = 100.0 * caught / seeds;
        System.out.printf("catch rate: %d of %d master seeds (%.1f %%), %.1f s%n", caught, seeds, rate,
                (System.nanoTime() - began) / 1e9);
        assertTrue(rate >= 95, "the planted bug was caught for " + caught + " of " + seeds + " master seeds, < 95 %");
    }
}
