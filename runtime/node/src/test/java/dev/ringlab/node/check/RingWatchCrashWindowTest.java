package dev.ringlab.node.check;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ringlab.node.Observation;
import org.junit.jupiter.api.Test;

/**
 * On a real engine a crash call takes time (processes: counters, then SIGKILL, then the rest of the dead
 * child's stream), and a neighbour's suspicion of the victim can reach the watch during the call, before the
 * control side calls {@link RingWatch#crashed}. Such a suspicion is not false; one made before the call is.
 */
class RingWatchCrashWindowTest {
    @Test
    void aSuspicionInsideTheCrashCallIsTrueAndOneBeforeItIsFalse() {
        RingWatch w = new RingWatch(4, false);
        w.accept(new Observation.Suspected(1, 2, 95)); // before the call started at 100: the node was alive
        w.accept(new Observation.Suspected(1, 2, 105)); // during the call [100, 110]
        w.crashed(2, 110, 10);
        assertEquals(2, w.suspicions());
        assertEquals(1, w.falseSuspicions(), w.falseSuspicionSamples().toString());
        assertEquals(95, w.falseSuspicionSamples().get(0).atNanos());
        assertEquals(5, w.detectNanos(2), "detect from the window's start to the suspicion inside it");
    }

    @Test
    void aSuspicionAfterTheRestartIsFalseAgain() {
        RingWatch w = new RingWatch(4, false);
        w.crashed(3, 200, 0);
        w.accept(new Observation.Suspected(2, 3, 250));
        w.restarted(3, 300);
        w.accept(new Observation.Suspected(2, 3, 400));
        assertEquals(1, w.falseSuspicions());
        assertEquals(50, w.detectNanos(3));
    }
}
