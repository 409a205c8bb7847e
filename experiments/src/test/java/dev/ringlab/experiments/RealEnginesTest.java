package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Cluster;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.protocols.TokenRing;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.runtime.ProcessCluster;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The netty and processes engines against the simulator and the Cluster contract. */
class RealEnginesTest {
    private static final long TEN_S = TimeUnit.SECONDS.toNanos(10);

    /** Reliability and the hop of the last first-delivery of one broadcast. */
    private record Outcome(int reached, int lastHop) {}

    private static Outcome broadcast(String engine, Overlay overlay) {
        int n = overlay.size();
        ConcurrentHashMap<Integer, Integer> hops = new ConcurrentHashMap<>();
        try (Cluster c = Engines.byName(engine).build(RunSpec.of(overlay, Flood.PROTOCOL, 7))) {
            c.addObserver(o -> {
                if (o instanceof Observation.Delivered d) {
                    hops.put(d.node(), d.hop());
                }
            });
            c.start();
            c.inject(3, new Message.Inject(1, new byte[32]));
            c.runUntil(() -> hops.size() == n, TEN_S);
            c.settle(TimeUnit.MILLISECONDS.toNanos(50));
            return new Outcome(hops.size(), hops.values().stream().mapToInt(Integer::intValue).max().orElse(-1));
        }
    }

    @Test
    @Timeout(60)
    void simAndNettyReportTheSameReliabilityAndLastHopOnARing() {
        Overlay ring = Topologies.build("ring", 16, 7);
        Outcome sim = broadcast("sim", ring);
        assertEquals(new Outcome(16, 15), sim);
        assertEquals(sim, broadcast("netty", ring));
    }

    /**
     * On a bidirectional ring the first copy to reach a node may come the long way round on real sockets
     * (scheduling on a loaded machine), so only reliability is the same; the last hop is bounded.
     */
    @Test
    @Timeout(60)
    void simAndNettyReportTheSameReliabilityOnABidirectionalRing() {
        Overlay biring = Topologies.build("biring", 16, 7);
        Outcome sim = broadcast("sim", biring);
        Outcome netty = broadcast("netty", biring);
        assertEquals(new Outcome(16, 8), sim);
        assertEquals(16, netty.reached());
        assertTrue(netty.lastHop() >= 8 && netty.lastHop() <= 15, netty.toString());
    }

    @Test
    @Timeout(120)
    void fourProcessTokenRotatesAndTheParentSeesASigkilledNodeGone() throws Exception {
        Overlay ring = Topologies.build("ring", 4, 1);
        AtomicLong rotations = new AtomicLong();
        AtomicInteger lastTickNode = new AtomicInteger(-1);
        try (ProcessCluster c = new ProcessCluster(ring, TokenRing.protocol(), 1, ProcessCluster.selfLauncher())) {
            c.addObserver(o -> {
                if (o instanceof Observation.RotationCompleted) {
                    rotations.incrementAndGet();
                }
                if (o instanceof Observation.Tick t) {
                    lastTickNode.set(t.node());
                }
            });
            c.start();
            assertTrue(c.runUntil(() -> rotations.get() >= 50, TEN_S * 3), "rotations: " + rotations.get());
            for (int v = 0; v < 4; v++) {
                assertTrue(c.alive(v));
            }
            HttpClient http = HttpClient.newHttpClient();
            String status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.adminPort(1) + "/status"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(status.contains("\"last_token\":{\"kind\":\"Token"), status);

            long pid = c.process(2).pid();
            c.crash(2);
            assertFalse(c.alive(2));
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));
            assertEquals(137, c.exitCode(2).getAsLong(), "SIGKILL is exit 128 + 9");
            // The token cannot pass the dead node: rotations stop.
            long before = rotations.get();
            c.runFor(TimeUnit.MILLISECONDS.toNanos(300));
            long settled = rotations.get();
            assertTrue(settled <= before + 1, before + " -> " + settled);
            c.runFor(TimeUnit.MILLISECONDS.toNanos(300));
            assertEquals(settled, rotations.get());
            assertTrue(c.stats().messagesSent() > 0);

            c.restart(2);
            assertTrue(c.alive(2));
            assertTrue(c.process(2).pid() != pid);
        }
    }
}
