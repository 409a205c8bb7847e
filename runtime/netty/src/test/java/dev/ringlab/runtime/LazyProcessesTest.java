package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.topology.Overlay;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lazy {@link ConnectionPolicy} on the processes engine (three child JVMs): the policy reaches the children
 * through the cluster file, nothing is connected before the first flood, which is delivered over connections
 * dialled for it; the children report their open connections, which idle out and come back with the next flood.
 */
class LazyProcessesTest {
    private static final long SECONDS_20 = TimeUnit.SECONDS.toNanos(20);

    @Test
    @Timeout(120)
    void childrenDialOnTheFirstSendReportTheirConnectionsAndCloseIdleOnes() throws Exception {
        Overlay triangle = Overlay.fromAdjacency("test-triangle", false, new int[][] {{1, 2}, {0, 2}, {0, 1}});
        Set<String> got = ConcurrentHashMap.newKeySet();
        ConnectionPolicy lazy = ConnectionPolicy.parse("lazy:400ms");
        try (ProcessCluster c = new ProcessCluster(triangle, Flood.PROTOCOL, 5, ProcessCluster.selfLauncher(),
                LinkEmulation.NONE, null, lazy)) {
            c.keepRunDirectory(false);
            c.addObserver(o -> {
                if (o instanceof Observation.Delivered d) {
                    got.add(d.id() + ":" + d.node());
                }
            });
            c.start();
            assertEquals(lazy, c.connections());
            assertTrue(Files.readString(c.directory().resolve("cluster.json")).contains("\"connections\" : \"lazy:400ms\""),
                    "the policy travels in the cluster file");
            assertArrayEquals(new int[] {0, 0, 0}, c.openConnections(), "nothing dialled before a send");

            c.inject(0, new Message.Inject(1, new byte[0]));
            assertTrue(c.runUntil(() -> got.containsAll(Set.of("1:0", "1:1", "1:2")), SECONDS_20), got::toString);
            // every edge carried the flood: one connection per edge, two per node
            assertTrue(c.runUntil(() -> Arrays.equals(c.openConnections(), new int[] {2, 2, 2}), SECONDS_20),
                    () -> Arrays.toString(c.openConnections()));
            assertTrue(c.runUntil(() -> Arrays.equals(c.openConnections(), new int[] {0, 0, 0}), SECONDS_20),
                    () -> "idle connections did not close: " + Arrays.toString(c.openConnections()));

            c.inject(2, new Message.Inject(2, new byte[0]));
            assertTrue(c.runUntil(() -> got.containsAll(Set.of("2:0", "2:1", "2:2")), SECONDS_20), got::toString);
            assertTrue(c.settle(TimeUnit.SECONDS.toNanos(10)).quiet());
            assertEquals(0, c.stats().messagesDropped(), "held while dialling, nothing dropped: " + c.stats().drops());
        }
    }
}
