package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What silence cannot tell on real engines, by hand: the grace timeout and probation of a successor, a
 * judging node's own pause, and the slack its recent stalls add; and that none of it changes the
 * simulator's defaults.
 */
class DetectorPausesTest {
    static final long MS = 1_000_000L;

    /** 10 ms heartbeats, 50 ms suspicion, grace 300 ms, probation 1 s. */
    static final RecoveryConfig REAL = RecoveryConfig.defaults().withGraceTimeoutNanos(300 * MS).withProbationNanos(1_000 * MS);

    @Test
    void graceAndProbationRoundTripAndTheDefaultsSpecIsUnchanged() {
        RecoveryConfig d = RecoveryConfig.defaults();
        assertEquals("healing:hb=10ms,suspect=50ms,loss=200ms,r=3", d.spec());
        assertEquals(d.suspicionTimeoutNanos(), d.graceTimeoutNanos());
        assertEquals(0, d.probationNanos());
        assertEquals("healing:hb=10ms,suspect=50ms,grace=300ms,probation=1s,loss=200ms,r=3", REAL.spec());
        assertEquals(REAL, RecoveryConfig.parse(REAL.spec()));
        assertEquals(REAL.withPhi(6), RecoveryConfig.parse(REAL.withPhi(6).spec()));
        // A grace not given follows the suspicion timeout, in the spec and in the wither.
        assertEquals(300 * MS, RecoveryConfig.parse("healing:suspect=300ms,loss=1s").graceTimeoutNanos());
        assertEquals(80 * MS, d.withSuspicionTimeoutNanos(80 * MS).graceTimeoutNanos());
        assertEquals(300 * MS, REAL.withSuspicionTimeoutNanos(80 * MS).graceTimeoutNanos());
        assertThrows(IllegalArgumentException.class, () -> RecoveryConfig.parse("healing:grace=20ms"));
        assertThrows(IllegalArgumentException.class, () -> d.withProbationNanos(-1));
    }

    @Test
    void aSuccessorNeverHeardFromGetsTheGraceTimeout() {
        RecoveryConfig c = RecoveryConfig.defaults().withGraceTimeoutNanos(300 * MS); // probation 0: until first contact
        FailureDetector d = new FailureDetector(c, 0);
        assertTrue(d.onProbation(0));
        assertFalse(d.suspects(300 * MS));
        assertTrue(d.suspects(300 * MS + 1));
        FailureDetector heard = new FailureDetector(c, 0);
        heard.heard(5 * MS);
        assertFalse(heard.onProbation(5 * MS));
        assertTrue(heard.suspects(55 * MS + 1), "once heard, the suspicion timeout applies");
    }

    @Test
    void probationLastsAfterStartAndAfterAReturn() {
        FailureDetector d = new FailureDetector(REAL, 0);
        d.heard(10 * MS);
        assertTrue(d.onProbation(999 * MS));
        assertFalse(d.suspects(310 * MS), "on probation: grace");
        assertTrue(d.suspects(310 * MS + 1));
        d.heard(1_000 * MS);
        assertFalse(d.onProbation(1_000 * MS));
        assertTrue(d.suspects(1_050 * MS + 1), "probation over: the suspicion timeout");
        d.reset(2_000 * MS); // the peer came back from a suspicion
        assertTrue(d.onProbation(2_500 * MS));
        assertFalse(d.suspects(2_300 * MS));
        assertTrue(d.suspects(3_000 * MS + 51 * MS));
    }

    @Test
    void theJudgesOwnPauseAndSlackAreNotCountedAsSilence() {
        FailureDetector d = new FailureDetector(RecoveryConfig.defaults(), 0);
        d.heard(0);
        long now = 300 * MS;
        assertTrue(d.suspects(now));
        assertFalse(d.suspects(now, 260 * MS, 0), "40 ms of silence outside the pause");
        assertTrue(d.suspects(now, 240 * MS, 0));
        assertFalse(d.suspects(now, 0, 250 * MS), "a 250 ms slack on a 50 ms timeout");
        assertTrue(d.suspects(now, -5, -5), "negative pause and slack count as 0");
        RecoveryConfig phi = RecoveryConfig.defaults().withPhi(8);
        FailureDetector p = new FailureDetector(phi, 0);
        for (int i = 1; i <= 40; i++) {
            p.heard(i * 10 * MS);
        }
        assertTrue(p.suspects(440 * MS));
        assertFalse(p.suspects(440 * MS, 30 * MS, 0), "phi is taken before the pause");
    }

    /** Node 0 of a 4-node ring (successors 1, 2, 3) on a hand-driven clock. */
    private static HealingRing startedRing(RecordingEnv env, RecoveryConfig c) {
        HealingRing node = new HealingRing(0, HealingRing.overlay(4, 3), c);
        node.start(env);
        return node;
    }

    private static void ackAll(HealingRing node, RecordingEnv env) {
        for (int s = 1; s <= 3; s++) {
            node.onMessage(s, new Message.HeartbeatAck(1, env.now(), -1, 0, Long.MIN_VALUE / 2));
        }
    }

    private static List<Observation.Suspected> suspicions(RecordingEnv env) {
        return env.observed.stream().filter(o -> o instanceof Observation.Suspected)
                .map(o -> (Observation.Suspected) o).toList();
    }

    @Test
    void aLateTickDoesNotSuspectSuccessorsThatWereHeardBeforeThePause() {
        RecordingEnv env = new RecordingEnv(0, 4, 1);
        HealingRing node = startedRing(env, RecoveryConfig.defaults());
        for (long t = 10 * MS; t <= 100 * MS; t += 10 * MS) {
            env.advanceTo(t);
            ackAll(node, env);
        }
        assertTrue(suspicions(env).isEmpty());
        // The node's own loop stalls 300 ms: its next tick runs 290 ms late, before it reads the acks.
        env.advanceTo(400 * MS);
        assertTrue(suspicions(env).isEmpty(), "a local pause is not the successors' silence: " + suspicions(env));
        ackAll(node, env);
        // Successors that then really fall silent are still suspected, later by the slack of twice the
        // stall (fading): 50 ms + 2 x 290 ms.
        long t = 400 * MS;
        while (suspicions(env).isEmpty() && t < 2_000 * MS) {
            t += 10 * MS;
            env.advanceTo(t);
        }
        assertEquals(3, suspicions(env).size(), "all three silent successors suspected");
        long detect = suspicions(env).get(0).atNanos() - 400 * MS;
        assertTrue(detect > 50 * MS + 2 * 250 * MS && detect < 50 * MS + 2 * 290 * MS + 20 * MS, "detected after " + detect / 1e6 + " ms");
    }

    @Test
    void onTimeTicksKeepTheSimulatorsTiming() {
        // No pause, no probation (the defaults): a successor silent from the start is suspected at the
        // first tick past 50 ms, as before grace, probation and slack existed.
        RecordingEnv env = new RecordingEnv(0, 4, 1);
        startedRing(env, RecoveryConfig.defaults());
        for (long t = 10 * MS; t <= 60 * MS; t += 10 * MS) {
            env.advanceTo(t);
        }
        assertEquals(3, suspicions(env).size());
        assertEquals(60 * MS, suspicions(env).get(0).atNanos());
    }

    @Test
    void aRestartedNodeWaitsOutTheGraceForSuccessorsItCannotReachYet() {
        RecordingEnv env = new RecordingEnv(0, 4, 1);
        startedRing(env, REAL);
        for (long t = 10 * MS; t <= 300 * MS; t += 10 * MS) {
            env.advanceTo(t);
        }
        assertTrue(suspicions(env).isEmpty(), "links still dialling for 300 ms: " + suspicions(env));
        env.advanceTo(310 * MS);
        assertEquals(3, suspicions(env).size(), "past the grace");
    }
}
