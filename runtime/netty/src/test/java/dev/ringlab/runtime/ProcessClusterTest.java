package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.node.spec.UnsupportedRunException;
import dev.ringlab.topology.Overlay;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The processes engine on real child JVMs ({@link NodeMain} launched by {@link ProcessCluster#selfLauncher}):
 * faults over the stdin channel, counters streamed on stdout and summed over incarnations, the JVMs' CPU.
 */
class ProcessClusterTest {
    private static final long MS = 1_000_000L;
    private static final long SECONDS_20 = TimeUnit.SECONDS.toNanos(20);

    /** The triangle, under a spec Topologies does not know: the children must read its adjacency from the file. */
    private static Overlay triangle() {
        return Overlay.fromAdjacency("test-triangle", false, new int[][] {{1, 2}, {0, 2}, {0, 1}});
    }

    /**
     * Six floods on the triangle (each 4 sends and 4 deliveries when all are up): plain; under a loss burst
     * of 1 (the origin's 2 sends lost); after the burst; with node 1 slowed by 30 ms; with node 1 killed (3
     * sends, the 2 towards it receiver_down); after node 1 was respawned and linked up again. The parent's
     * sums match exactly.
     */
    @Test
    @Timeout(120)
    @SuppressWarnings("try") // closes the cluster inside its try on purpose: the counters after stop are checked
    void faultsTravelOnStdinAndCountersStreamAndAddUpAcrossARespawn() throws Exception {
        Map<String, Observation.Delivered> got = new ConcurrentHashMap<>();
        try (ProcessCluster c = new ProcessCluster(triangle(), Flood.PROTOCOL, 5, ProcessCluster.selfLauncher())) {
            c.addObserver(o -> {
                if (o instanceof Observation.Delivered d) {
                    got.put(d.id() + ":" + d.node(), d);
                }
            });
            assertTrue(c.cpuNanos().isEmpty(), "no CPU figure before the JVMs exist");
            c.start();
            String opts = String.valueOf(System.getenv(ProcessCluster.NODE_JAVA_OPTS_ENV));
            if (!opts.contains("-D" + NettyJfr.PROPERTY)) {
                for (int v = 0; v < 3; v++) {
                    assertFalse(c.nettyJfr(v), "node " + v + "'s JVM uses Netty's JFR events; NodeMain turns them off");
                }
            }
            flood(c, 1, got);
            assertTrue(c.runUntil(() -> c.stats().messagesDelivered() == 4, SECONDS_20), c.stats()::toString);
            // The three JVMs' CPU as the kernel counts it: their start alone takes well over a millisecond each.
            long cpuAfterStart = c.cpuNanos().orElseThrow();
            assertTrue(cpuAfterStart > 3 * MS, "CPU of three node JVMs after their start: " + cpuAfterStart + " ns");

            c.lossBurst(1.0);
            c.inject(0, new Message.Inject(2, new byte[0]));
            assertTrue(c.runUntil(() -> c.stats().dropped(ClusterStats.LOSS) == 2, SECONDS_20), c.stats()::toString);
            assertFalse(got.containsKey("2:1") || got.containsKey("2:2"), "a loss burst of 1 let a message through");
            c.lossBurst(0);
            flood(c, 3, got);

            c.slow(1, 30 * MS);
            flood(c, 4, got);
            Observation.Delivered slowed = got.get("4:1");
            assertTrue(slowed.atNanos() - slowed.sentAtNanos() >= 30 * MS,
                    "node 1 got the broadcast after " + (slowed.atNanos() - slowed.sentAtNanos()) / 1e6 + " ms < 30 ms");
            c.slow(1, 0);
            // The streamed counters catch up within a period or so.
            assertTrue(c.runUntil(() -> c.stats().messagesDelivered() == 12 && c.stats().messagesSent() == 14, SECONDS_20),
                    c.stats()::toString);

            long cpuBeforeCrash = c.cpuNanos().orElseThrow();
            assertTrue(cpuBeforeCrash >= cpuAfterStart, cpuBeforeCrash + " ns after " + cpuAfterStart + " ns");
            c.crash(1);
            assertTrue(c.cpuNanos().isEmpty(), "a killed JVM's CPU cannot be read: no figure rather than a partial one");
            assertEquals(137, c.exitCode(1).getAsLong(), "SIGKILL is exit 128 + 9");
            assertEquals(14, c.stats().messagesSent(), "the killed incarnation keeps its counts");
            HttpClient http = HttpClient.newHttpClient();
            assertTrue(c.runUntil(() -> linksUp(http, c, 0) == 1 && linksUp(http, c, 2) == 1, SECONDS_20),
                    "the others saw the connection to node 1 go");
            c.inject(0, new Message.Inject(5, new byte[0]));
            assertTrue(c.runUntil(() -> c.stats().dropped(ClusterStats.RECEIVER_DOWN) == 2 && got.containsKey("5:2"),
                    SECONDS_20), c.stats()::toString);

            assertTrue(c.restartAcceptNanos(1).isEmpty(), "no accepting window before a restart");
            long beforeRestart = System.nanoTime();
            c.restart(1);
            long restartCall = System.nanoTime() - beforeRestart;
            assertEquals(2, c.incarnations(1));
            // The new JVM reported itself bound within the call, before the call's own wait for "started" ended.
            long accept = c.restartAcceptNanos(1).orElseThrow();
            assertTrue(accept > 0 && accept < restartCall, "bound " + accept + " ns before a " + restartCall + " ns call returned");
            assertTrue(c.restartAcceptNanos(0).isEmpty(), "node 0 was never restarted");
            assertTrue(c.cpuNanos().isEmpty(), "after a restart the cluster's CPU is still not readable whole");
            // restart returns once the new incarnation started, not once every neighbour redialled it (the
            // redial runs on the neighbours' backoff); a flood before that loses a send as no_connection.
            assertTrue(c.runUntil(() -> linksUp(http, c, 0) == 2 && linksUp(http, c, 1) == 2 && linksUp(http, c, 2) == 2,
                    SECONDS_20), "the respawned node 1 linked up with both neighbours");
            flood(c, 6, got);
            assertTrue(c.settle(SECONDS_20).quiet());
            ClusterStats s = c.stats();
            assertEquals(21, s.messagesSent(), s.toString());
            assertEquals(17, s.messagesDelivered(), s.toString());
            assertEquals(Map.of(ClusterStats.LOSS, 2L, ClusterStats.RECEIVER_DOWN, 2L), s.drops());
            c.close();
            assertEquals(s.messagesSent(), c.stats().messagesSent(), "the final counters after stop agree");
        }
    }

    /** Injects broadcast {@code id} at node 0 and waits until all three nodes delivered it. */
    private static void flood(ProcessCluster c, long id, Map<String, Observation.Delivered> got) {
        c.inject(0, new Message.Inject(id, new byte[0]));
        assertTrue(c.runUntil(() -> got.containsKey(id + ":0") && got.containsKey(id + ":1") && got.containsKey(id + ":2"),
                SECONDS_20), "broadcast " + id + ": " + got.keySet());
    }

    /** Node v's links up from its /status (a test's look; the engine itself never asks). */
    private static int linksUp(HttpClient http, ProcessCluster c, int v) {
        try {
            String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.adminPort(v) + "/status"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            return ObservationJson.MAPPER.readTree(body).path("links_up").asInt(-1);
        } catch (Exception e) {
            return -1;
        }
    }

    /** A cold start of many JVMs gets 2 s per node beyond 30 (48 JVMs on 2 cores took up to 60 s to bind). */
    @Test
    @Timeout(60)
    void aNodeJvmKeepsNettysJfrEventsWhenItsJavaOptionsAskForThem() {
        List<String> launcher = new java.util.ArrayList<>(ProcessCluster.selfLauncher());
        launcher.add(launcher.size() - 1, "-D" + NettyJfr.PROPERTY + "=true");
        try (ProcessCluster c = new ProcessCluster(triangle(), Flood.PROTOCOL, 5, launcher)) {
            c.start();
            for (int v = 0; v < 3; v++) {
                assertTrue(c.nettyJfr(v), "node " + v + ": the user's -D" + NettyJfr.PROPERTY + "=true was overridden");
            }
        }
    }

    @Test
    void aColdStartWaitsSixtySecondsOrTwoPerNodeBeyondThirty() {
        assertEquals(60, ProcessCluster.startWaitSeconds(3));
        assertEquals(60, ProcessCluster.startWaitSeconds(30));
        assertEquals(62, ProcessCluster.startWaitSeconds(31));
        assertEquals(96, ProcessCluster.startWaitSeconds(48));
        assertEquals(200, ProcessCluster.startWaitSeconds(100));
    }

    @Test
    void aProtocolTheRegistryCannotRebuildIsRefusedBeforeAnyProcessStarts() {
        Protocol custom = new Protocol() {
            @Override
            public String spec() {
                return "not-in-the-registry";
            }

            @Override
            public Node create(int id, Overlay overlay) {
                throw new AssertionError("never built");
            }
        };
        UnsupportedRunException e = assertThrows(UnsupportedRunException.class,
                () -> new ProcessesEngine().build(RunSpec.of(triangle(), custom, 1)));
        assertEquals("protocol", e.field());
        assertTrue(e.getMessage().contains("'not-in-the-registry'") && e.getMessage().contains("flood"), e.getMessage());
    }
}
