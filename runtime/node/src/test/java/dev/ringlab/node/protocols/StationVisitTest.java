package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ringlab.node.Message;
import org.junit.jupiter.api.Test;

/** The built-in {@link Station}s: what they do with a token and how they print. */
class StationVisitTest {
    private static final long SEED = 0x57A7L;

    @Test
    void stationsPassOrHoldTheTokenWithItsPayload() {
        byte[] payload = {4, 5, 6};
        Message.Token t = new Message.Token(1, 1, 0, 0, 0, 0, payload);
        RecordingEnv env = new RecordingEnv(0, 2, SEED);
        Station pass = Station.passThrough();
        assertEquals("pass", pass.spec());
        Station.Visit v = pass.onToken(t, env);
        assertEquals(0, v.holdNanos());
        assertArrayEquals(payload, v.payload());
        Station hold = Station.delay(DelaySpec.fixed(5_000_000));
        assertEquals("delay:" + DelaySpec.fixed(5_000_000).spec(), hold.spec());
        Station.Visit h = hold.onToken(t, env);
        assertEquals(5_000_000, h.holdNanos());
        assertArrayEquals(payload, h.payload());
        assertThrows(IllegalArgumentException.class, () -> new Station.Visit(-1, payload));
        assertEquals(0, new Station.Visit(0, payload).holdNanos());
    }
}
