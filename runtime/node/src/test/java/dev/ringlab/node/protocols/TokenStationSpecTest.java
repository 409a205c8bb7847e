package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The {@code --station} syntax and the delay distributions behind it. */
class TokenStationSpecTest {
    @Test
    void parsesAFixedDelayAtOneNode() {
        StationSpec s = StationSpec.parse("delay:5ms@3");
        assertEquals(3, s.node());
        assertEquals(DelaySpec.fixed(5_000_000L), s.delay());
        assertTrue(s.appliesTo(3));
        assertTrue(!s.appliesTo(2));
        assertEquals("delay:5ms@3", s.spec());
        assertEquals(s, StationSpec.parse("delay:const:5ms@3"));
    }

    @Test
    void parsesAUniformDelayOnEveryNode() {
        StationSpec s = StationSpec.parse("delay:uniform:1ms,3ms@*");
        assertEquals(StationSpec.EVERY_NODE, s.node());
        assertEquals(DelaySpec.uniform(1_000_000L, 3_000_000L), s.delay());
        assertTrue(s.appliesTo(0) && s.appliesTo(12345));
        assertEquals("delay:uniform:1ms,3ms@*", s.spec());
        assertEquals(s, StationSpec.parse(s.spec()));
    }

    @Test
    void badStationsNameTheSyntax() {
        for (String bad : new String[] {"delay:5ms", "delay:5ms@x", "delay:5ms@-1", "hold:5ms@1", "delay:5@1",
                "delay:uniform:3ms@1", "delay:uniform:3ms,1ms@1", "@1", "delay:@*"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StationSpec.parse(bad), bad);
            assertTrue(e.getMessage().contains("syntax: delay:DELAY@NODE"), bad + ": " + e.getMessage());
        }
    }

    @Test
    void uniformDelaysStayInTheirBoundsAndReachBothEnds() {
        DelaySpec d = DelaySpec.uniform(10, 13);
        SplittableRandom r = new SplittableRandom(99);
        boolean[] seen = new boolean[4];
        for (int i = 0; i < 1000; i++) {
            long x = d.sampleNanos(r);
            assertTrue(x >= 10 && x <= 13, "draw " + x);
            seen[(int) (x - 10)] = true;
        }
        for (boolean b : seen) {
            assertTrue(b);
        }
        assertEquals(13, d.maxNanos());
        assertEquals(7, DelaySpec.fixed(7).sampleNanos(r));
    }
}
