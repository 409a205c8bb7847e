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

    @Test
    void aSuspicionInsideTheRestartCallIsNotFalseButOneAfterItIs() {
        // Two nodes respawned one after the other (processes: each call spawns a JVM and waits for it to
        // start): the first one back suspects the second while the second's call still runs.
        RingWatch w = new RingWatch(4, false);
        w.crashed(2, 100, 0);
        w.restarted(2, 300, 500); // the call ran from 300 to 500
        w.accept(new Observation.Suspected(1, 2, 299)); // down then: true
        w.accept(new Observation.Suspected(1, 2, 400)); // inside the call: not yet serving, not false
        w.accept(new Observation.Suspected(1, 2, 500)); // the call's last instant: not false
        w.accept(new Observation.Suspected(1, 2, 501)); // after the call returned: false
        assertEquals(4, w.suspicions());
        assertEquals(1, w.falseSuspicions(), w.falseSuspicionSamples().toString());
        assertEquals(501, w.falseSuspicionSamples().get(0).atNanos());
        assertEquals(false, w.down(2), "up from the call's start");
    }
}
