package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.HealingRing;
import dev.ringlab.node.protocols.RecoveryConfig;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.node.spec.Timing;
import dev.ringlab.topology.Overlay;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A paused node is not a crashed one: a real {@code processes} child stopped with SIGSTOP for 3 s (longer
 * than the suspicion timeout and than the token-loss timeout) and continued with SIGCONT never creates a
 * token on its own when it resumes: its own pause does not count as the token's absence (see
 * {@code HealingRing}'s token-loss rule). Its predecessor may (the token it passed to the paused node did not
 * come back: that one was stuck), and the ring ends with one token again.
 */
class PauseIsNotACrashTest {
    private static final int N = 6;
    private static final int PAUSED = 3;
    private static final long S = TimeUnit.SECONDS.toNanos(1);
    /** Longer than the suspicion timeout (about 0.6 s) and than the token-loss timeout (about 2.4 s). */
    private static final long PAUSE_NANOS = 3 * S;

    @Test
    @Timeout(180)
    void aNodeResumingFromSigstopCreatesNoToken() throws Exception {
        Timing timing = Timing.forEngine("processes", N, 0);
        RecoveryConfig config = timing.ring(3);
        Overlay overlay = HealingRing.overlay(N, config.successors());
        List<Observation.TokenCreated> created = new ArrayList<>();
        long[] lastArrival = new long[N];
        try (Cluster cluster = Engines.byName("processes").build(RunSpec.of(overlay, HealingRing.protocol(config), 5))) {
            cluster.addObserver(o -> {
                synchronized (created) {
                    if (o instanceof Observation.TokenCreated c) {
                        created.add(c);
                    } else if (o instanceof Observation.TokenArrived a) {
                        lastArrival[a.node()] = a.arrivedAtNanos();
                    }
                }
            });
            cluster.start();
            cluster.runFor(timing.warmupNanos() + S);
            synchronized (created) {
                assertEquals(1, created.size(), "one token after the warm-up: " + created);
            }
            ProcessHandle child = child(PAUSED);
            ProcessBuilder stop = new ProcessBuilder("kill", "-STOP", Long.toString(child.pid()));
            assertEquals(0, stop.inheritIO().start().waitFor(), "SIGSTOP");
            long pausedAt = cluster.now();
            cluster.runFor(PAUSE_NANOS);
            assertEquals(0, new ProcessBuilder("kill", "-CONT", Long.toString(child.pid())).inheritIO().start().waitFor(),
                    "SIGCONT");
            long resumedAt = cluster.now();
            // Long enough for the resumed node's own token-loss check to fire, were it to count the pause.
            cluster.runFor(config.tokenLossTimeoutNanos() + 2 * S);
            long end = cluster.now();
            synchronized (created) {
                assertFalse(created.stream().anyMatch(c -> c.node() == PAUSED),
                        "the paused node created a token after SIGCONT: " + created + " (paused at " + pausedAt
                                + ", resumed at " + resumedAt + ")");
                // The ring turns again through the resumed node.
                assertTrue(lastArrival[PAUSED] > resumedAt, "the token reached the resumed node again");
                for (int v = 0; v < N; v++) {
                    assertTrue(end - lastArrival[v] < 2 * S, "node " + v + " saw the token in the last 2 s: "
                            + Arrays.toString(lastArrival));
                }
            }
        }
    }

    /** The processes child running node {@code id} among this JVM's descendants. */
    private static ProcessHandle child(int id) {
        Optional<ProcessHandle> found = SoakCommand.nodeProcess(id);
        assertNotNull(found.orElse(null), "no child process for node " + id);
        return found.get();
    }
}
