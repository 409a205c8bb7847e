package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.protocols.RecoveryConfig.Detector;
import org.junit.jupiter.api.Test;

/**
 * The healing ring's knobs at the edges of what they allow: each limit itself is accepted and one step past
 * it refused, the withers change one knob, and specs print durations in their largest exact unit.
 */
class RecoveryConfigBoundsTest {
    static final long MS = 1_000_000L;
    static final long MAX = Long.MAX_VALUE / 4;

    private static RecoveryConfig of(long hb, long suspect, long loss, double phi, long grace, long probation) {
        return new RecoveryConfig(hb, suspect, loss, 3, Detector.PHI, phi, grace, probation);
    }

    @Test
    void eachLimitIsAcceptedAndOneStepPastItIsRefused() {
        assertDoesNotThrow(() -> of(1, 1, 1, 8, 1, 0), "1 ns everywhere, probation 0");
        assertThrows(IllegalArgumentException.class, () -> of(0, 1, 1, 8, 1, 0), "heartbeat 0");
        assertDoesNotThrow(() -> of(10, 10, 10, 8, 10, 0), "suspicion = heartbeat, loss = suspicion");
        assertThrows(IllegalArgumentException.class, () -> of(10, 9, 10, 8, 10, 0), "suspicion < heartbeat");
        assertThrows(IllegalArgumentException.class, () -> of(10, 10, 9, 8, 10, 0), "loss < suspicion");
        assertDoesNotThrow(() -> of(10, 10, MAX, 8, MAX, MAX), "grace, loss and probation at the maximum");
        assertThrows(IllegalArgumentException.class, () -> of(10, 10, 10, 8, MAX + 1, 0), "grace past the maximum");
        assertThrows(IllegalArgumentException.class, () -> of(10, 10, MAX + 1, 8, 10, 0), "loss past the maximum");
        assertThrows(IllegalArgumentException.class, () -> of(10, 10, 10, 8, 10, MAX + 1), "probation past the maximum");
        assertThrows(IllegalArgumentException.class, () -> of(10, 10, 10, 8, 10, -1), "negative probation");
        assertDoesNotThrow(() -> of(10, 10, 10, 300, 10, 0), "phi 300");
        assertDoesNotThrow(() -> of(10, 10, 10, Double.MIN_VALUE, 10, 0), "the smallest positive phi");
        assertThrows(IllegalArgumentException.class, () -> of(10, 10, 10, 300.0001, 10, 0), "phi past 300");
        assertThrows(IllegalArgumentException.class, () -> of(10, 10, 10, 0, 10, 0), "phi 0");
        assertThrows(IllegalArgumentException.class, () -> of(10, 10, 10, Double.NaN, 10, 0), "phi NaN");
    }

    @Test
    void withersChangeOneKnob() {
        RecoveryConfig d = RecoveryConfig.defaults();
        RecoveryConfig hb = d.withHeartbeatIntervalNanos(5 * MS);
        assertEquals(new RecoveryConfig(5 * MS, 50 * MS, 200 * MS, 3, Detector.TIMEOUT, 8.0), hb);
        assertEquals("healing:hb=5ms,suspect=50ms,loss=200ms,r=3", hb.spec());
        RecoveryConfig p = d.withProbationNanos(2_000 * MS);
        assertEquals(2_000 * MS, p.probationNanos());
        assertEquals(d.graceTimeoutNanos(), p.graceTimeoutNanos());
        assertEquals("healing:hb=10ms,suspect=50ms,probation=2s,loss=200ms,r=3", p.spec());
        assertEquals(p, RecoveryConfig.parse(p.spec()));
    }

    @Test
    void parsingExplainsWhatIsWrong() {
        IllegalArgumentException noKey = assertThrows(IllegalArgumentException.class,
                () -> RecoveryConfig.parse("healing:=10ms"));
        assertTrue(noKey.getMessage().contains("unknown key ''"), noKey.getMessage());
        IllegalArgumentException noEq = assertThrows(IllegalArgumentException.class,
                () -> RecoveryConfig.parse("healing:hb"));
        assertTrue(noEq.getMessage().contains("not KEY=VALUE"), noEq.getMessage());
        // A grace written as 0 is a grace of 0 (below the suspicion timeout: refused), not "no grace".
        assertThrows(IllegalArgumentException.class, () -> RecoveryConfig.parse("healing:grace=0ns"));
        assertEquals(50 * MS, RecoveryConfig.parse("healing:hb=10ms").graceTimeoutNanos());
    }

    @Test
    void durationsPrintInTheirLargestExactUnit() {
        assertEquals("2s", RecoveryConfig.format(2_000 * MS));
        assertEquals("1500ms", RecoveryConfig.format(1_500 * MS));
        assertEquals("250us", RecoveryConfig.format(250_000));
        assertEquals("1001us", RecoveryConfig.format(1_001_000));
        assertEquals("17ns", RecoveryConfig.format(17));
        assertEquals("0ns", RecoveryConfig.format(0));
        assertEquals("healing:hb=10ms,suspect=1s,loss=3s,r=3",
                RecoveryConfig.parse("healing:suspect=1000ms,loss=3000ms").spec());
    }
}
