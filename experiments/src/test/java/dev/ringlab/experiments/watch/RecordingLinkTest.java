package dev.ringlab.experiments.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.spec.LinkModels;
import dev.ringlab.sim.SimCluster;
import dev.ringlab.sim.SimConfig;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import org.junit.jupiter.api.Test;

/**
 * A recording pairs every receipt with its send, also when one message instance is in flight on many links
 * at once: a node sends one instance to all its peers, and every forwarder of one hop sends the same instance
 * ({@link Message.Broadcast#forwarded()}). Spread-out latencies reorder the copies.
 */
class RecordingLinkTest {
    @Test
    void everyReceiptLinksToItsOwnSend() {
        Overlay overlay = Topologies.build("random-regular:4", 64, 3);
        Recording rec = new Recording(64);
        try (SimCluster sim = new SimCluster(overlay, rec.wrap(Flood.PROTOCOL),
                new SimConfig(3, LinkModels.parse("uniform:1ms,10ms"), 0, 0))) {
            sim.start();
            for (int b = 0; b < 3; b++) {
                sim.inject(b * 7, new Message.Inject(b, new byte[0]));
            }
            sim.runToQuiescence();
        }
        rec.finish(null);
        int receipts = 0;
        for (int i = 0; i < rec.size(); i++) {
            if (!rec.kindOf(i).equals("recv")) {
                continue;
            }
            receipts++;
            int s = rec.linkOf(i);
            assertTrue(s >= 0 && s < i, "receipt " + i + " links to " + s);
            assertEquals("send", rec.kindOf(s), "receipt " + i);
            assertEquals(rec.peerOf(i), rec.nodeOf(s), "receipt " + i + ": the sender");
            assertEquals(rec.nodeOf(i), rec.peerOf(s), "receipt " + i + ": the receiver");
            assertEquals(i, rec.linkOf(s), "send " + s + " links back");
        }
        // 3 floods over 64 nodes of degree 4: the origin sends to 4 peers, every other node to 3.
        assertEquals(3 * (4 + 63 * 3), receipts);
    }
}
