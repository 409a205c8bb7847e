package dev.ringlab.node.protocols;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.CodecException;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The healing ring's knobs, its failure detector on hand-fed times, and its messages' hardened decoding. */
class HealingConfigTest {
    static final long MS = 1_000_000L;

    @Test
    void recoveryConfigSpecsRoundTrip() {
        RecoveryConfig d = RecoveryConfig.defaults();
        assertEquals("healing:hb=10ms,suspect=50ms,loss=200ms,r=3", d.spec());
        assertEquals(d, RecoveryConfig.parse(d.spec()));
        assertEquals(d, RecoveryConfig.parse("healing"));
        RecoveryConfig phi = d.withPhi(6.5).withSuccessors(2).withTokenLossTimeoutNanos(1_500 * MS);
        assertEquals(phi, RecoveryConfig.parse(phi.spec()));
        assertEquals(RecoveryConfig.Detector.PHI, RecoveryConfig.parse("healing:phi=8").detector());
        assertTrue(HealingRing.isSpec(phi.spec()));
        assertFalse(HealingRing.isSpec("healingx"));
    }

    @Test
    void badConfigsSayWhatIsAllowed() {
        assertThrows(IllegalArgumentException.class, () -> RecoveryConfig.parse("healing:hb=10ms,suspect=5ms"));
        assertThrows(IllegalArgumentException.class, () -> RecoveryConfig.parse("healing:r=0"));
        assertThrows(IllegalArgumentException.class, () -> RecoveryConfig.parse("healing:color=red"));
        assertThrows(IllegalArgumentException.class, () -> RecoveryConfig.parse("healing:loss=10ms"));
        assertThrows(IllegalArgumentException.class, () -> RecoveryConfig.parse("token"));
    }

    @Test
    void theTimeoutDetectorSuspectsAfterExactlyTheTimeoutOfSilence() {
        RecoveryConfig c = RecoveryConfig.defaults();
        FailureDetector d = new FailureDetector(c, 0);
        d.heard(10 * MS);
        assertFalse(d.suspects(60 * MS));
        assertTrue(d.suspects(60 * MS + 1));
        d.heard(61 * MS);
        assertFalse(d.suspects(100 * MS));
    }

    @Test
    void phiGrowsWithSilenceAndCrossesTheThresholdSoonerForARegularPeer() {
        RecoveryConfig c = RecoveryConfig.defaults().withPhi(8.0);
        FailureDetector d = new FailureDetector(c, 0);
        for (int i = 1; i <= 40; i++) {
            d.heard(i * 10 * MS); // a perfectly regular 10 ms rhythm
        }
        long last = 400 * MS;
        assertTrue(d.phi(last + 10 * MS) < 1, "on time: phi " + d.phi(last + 10 * MS));
        assertTrue(d.phi(last + 20 * MS) < d.phi(last + 30 * MS));
        assertFalse(d.suspects(last + 15 * MS));
        // sd floor = 2.5 ms: phi 8 is about 5.6 sd past the mean, ~24 ms of silence, sooner than the 50 ms timeout.
        assertTrue(d.suspects(last + 30 * MS), "phi " + d.phi(last + 30 * MS));
    }

    @Test
    void healingMessagesRejectBadBooleansAndImpossibleCounts() {
        ByteBuffer ok = MessageCodec.encode(new Message.Membership(true, List.of(new Message.Member(3, true, 17, 2))));
        byte[] b = new byte[ok.remaining()];
        ok.get(b);
        byte[] badBool = b.clone();
        badBool[2] = 7; // the relay flag
        assertThrows(CodecException.class, () -> MessageCodec.decode(ByteBuffer.wrap(badBool)));
        byte[] badCount = b.clone();
        badCount[6] = 100; // count 100 with one entry's bytes
        CodecException e = assertThrows(CodecException.class, () -> MessageCodec.decode(ByteBuffer.wrap(badCount)));
        assertTrue(e.getMessage().contains("bad membership count"), e.getMessage());
        for (int cut = 0; cut < b.length; cut++) {
            int len = cut;
            assertThrows(CodecException.class, () -> MessageCodec.decode(ByteBuffer.wrap(b, 0, len)), "prefix " + cut);
        }
        ByteBuffer hb = MessageCodec.encode(new Message.Heartbeat(1, 2, -1, 4, 5));
        assertEquals(2 + 4 * 8 + 4, hb.remaining());
        byte[] h = new byte[hb.remaining()];
        hb.get(h);
        h[2 + 16] = (byte) 0x80; // maxEpoch becomes hugely negative
        assertThrows(CodecException.class, () -> MessageCodec.decode(ByteBuffer.wrap(h)));
        assertEquals(2 + 5 * 8, MessageCodec.encode(new Message.HeartbeatAck(1, 2, 3, 4, 5)).remaining());
    }

    @Test
    void theSuccessorRingHasAnEdgeToEachOfTheRSuccessors() {
        var o = HealingRing.overlay(10, 3);
        for (int v = 0; v < 10; v++) {
            assertEquals(6, o.degree(v));
        }
        assertEquals(4, HealingRing.overlay(5, 3).degree(0)); // wraps: 1, 2, 3 and 4 (= 0 - 1)
        assertThrows(IllegalArgumentException.class, () -> new HealingRing(0, HealingRing.overlay(10, 2),
                RecoveryConfig.defaults()));
    }
}
