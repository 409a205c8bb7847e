package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Env;
import dev.ringlab.node.protocols.Flood;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The cap on accepted connections that have not authenticated yet, on a real node. */
@Timeout(60)
class PendingHandshakesTest {
    @Test
    void connectionsBeyondThePendingCapAreClosedAndCountedAndTheSlotsComeBack() throws Exception {
        int cap = 4;
        RuntimeConfig config = RuntimeConfig.defaults().withMaxPendingHandshakes(cap)
                .withHandshakeTimeoutNanos(TimeUnit.SECONDS.toNanos(20));
        try (LocalCluster c = new LocalCluster(TestOverlays.biring(2), Flood.PROTOCOL, 3, config, 1)) {
            c.start();
            NodeHost target = c.host(1);
            List<RawPeer> idle = new ArrayList<>();
            try {
                for (int k = 0; k < cap; k++) {
                    idle.add(new RawPeer(target.port()));
                }
                // a connection over the cap is closed at once, long before the 20 s handshake timeout
                try (RawPeer extra = new RawPeer(target.port())) {
                    assertTrue(extra.closedByPeer(), "a connection over the pending cap was kept");
                }
                assertEquals(1, target.metrics().rejected("too_many_pending"));
                for (RawPeer p : idle) {
                    p.socket.setSoTimeout(100);
                    assertFalse(p.closedByPeer(), "a pending connection under the cap was closed");
                }
                assertEquals(target.degree(), target.linksUp(), "the peer link survives the flood");
            } finally {
                for (RawPeer p : idle) {
                    p.close();
                }
            }
            // the idle connections' slots come back once they close: an authenticated client gets in
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            boolean in = false;
            while (!in && System.nanoTime() < deadline) {
                try (RawPeer p = new RawPeer(target.port())) {
                    in = p.handshake(c.secret(), Env.CLIENT) == 1;
                } catch (IOException e) {
                    TimeUnit.MILLISECONDS.sleep(10); // refused while the closes are still being processed
                }
            }
            assertTrue(in, "no connection got in after the pending ones closed");
            assertEquals(0, target.metrics().rejected("handshake_timeout"));
        }
    }
}
