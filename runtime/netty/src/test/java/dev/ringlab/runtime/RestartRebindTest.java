package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A crashed node restarts on its old port at once. The crash closes the listening socket on the node's loop,
 * but the JDK releases a selector-registered socket only at the selector's next select, so an immediate
 * rebind could meet "Address already in use" (seen once in CI); the bind retries until the port is free.
 */
class RestartRebindTest {
    @Test
    void aNodeCrashedAndRestartedAtOnceGetsItsPortBackEveryTime() {
        try (LocalCluster c = new LocalCluster(TestOverlays.biring(3), dev.ringlab.node.protocols.Flood.PROTOCOL, 7)) {
            c.start();
            for (int round = 0; round < 50; round++) {
                c.crash(round % 3);
                c.restart(round % 3); // no wait in between: the old socket may not be released yet
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!(c.host(0).linksUp() == 2 && c.host(1).linksUp() == 2 && c.host(2).linksUp() == 2)
                    && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertTrue(c.host(0).linksUp() == 2 && c.host(1).linksUp() == 2 && c.host(2).linksUp() == 2,
                    "links after 50 immediate restarts");
        }
    }
}
