package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.protocols.TokenRing;
import io.netty.channel.epoll.Epoll;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The transports and runtime policies of issue 19: each combination carries the same traffic, nothing lost. */
@Timeout(60)
class TransportTest {
    private static final long SECONDS_10 = TimeUnit.SECONDS.toNanos(10);

    @Test
    void namesSelectATransportAndAutoIsEpollExactlyWhereItLoads() {
        assertEquals(Transport.NIO, Transport.select("nio"));
        assertEquals(Transport.NIO, Transport.select("NIO"));
        assertEquals(Epoll.isAvailable() ? Transport.EPOLL : Transport.NIO, Transport.select("auto"));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Transport.select("uring"));
        assertTrue(bad.getMessage().contains("nio, epoll or auto"), bad.getMessage());
        if (Epoll.isAvailable()) {
            assertEquals(Transport.EPOLL, Transport.select("epoll"));
        } else {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> Transport.select("epoll")).getMessage()
                    .contains("not available"));
        }
    }

    @Test
    void processesChildrenGetThisJvmsTransport() {
        List<String> cmd = ProcessCluster.selfLauncher();
        assertTrue(cmd.contains("-D" + Transport.PROPERTY + "=" + Transport.fromProperty().cliName()), cmd.toString());
        assertTrue(cmd.indexOf(NodeMain.class.getName()) > cmd.indexOf("-D" + Transport.PROPERTY + "="
                + Transport.fromProperty().cliName()), "a JVM option goes before the main class: " + cmd);
    }

    private static List<RuntimeConfig> combinations() {
        List<Transport> ts = new ArrayList<>(List.of(Transport.NIO));
        if (Epoll.isAvailable()) {
            ts.add(Transport.EPOLL);
        }
        List<RuntimeConfig> out = new ArrayList<>();
        for (Transport t : ts) {
            for (boolean block : new boolean[] {false, true}) {
                for (boolean consolidate : new boolean[] {false, true}) {
                    out.add(RuntimeConfig.defaults().withTransport(t).withBlockPlacement(block)
                            .withConsolidateFlushes(consolidate).withQuickAck(t == Transport.EPOLL && block));
                }
            }
        }
        return out;
    }

    @Test
    void aTokenRingTurnsOnEveryTransportPlacementAndFlushPolicy() {
        List<RuntimeConfig> configs = combinations();
        assertFalse(configs.isEmpty());
        for (RuntimeConfig config : configs) {
            AtomicInteger hops = new AtomicInteger();
            try (LocalCluster c = new LocalCluster(TestOverlays.ring(6), TokenRing.protocol(), 3, config, 2)) {
                c.addObserver(o -> {
                    if (o instanceof Observation.TokenArrived) {
                        hops.incrementAndGet();
                    }
                });
                c.start();
                assertTrue(c.runUntil(() -> hops.get() >= 120, SECONDS_10), config + ": " + hops.get() + " hops");
                assertEquals(0, c.stats().messagesDropped(), config.toString());
            }
        }
    }

    @Test
    void aBurstOfBroadcastsArrivesWholeOnEveryTransportPlacementAndFlushPolicy() {
        int n = 8;
        int broadcasts = 50;
        for (RuntimeConfig config : combinations()) {
            AtomicInteger delivered = new AtomicInteger();
            try (LocalCluster c = new LocalCluster(TestOverlays.biring(n), Flood.PROTOCOL, 4, config, 2)) {
                c.addObserver(o -> {
                    if (o instanceof Observation.Delivered) {
                        delivered.incrementAndGet();
                    }
                });
                c.start();
                for (int i = 0; i < broadcasts; i++) {
                    c.inject(i % n, new Message.Inject(i, new byte[16]));
                }
                assertTrue(c.runUntil(() -> delivered.get() >= broadcasts * n, SECONDS_10),
                        config + ": " + delivered.get() + " of " + broadcasts * n);
                assertEquals(0, c.stats().messagesDropped(), config.toString());
            }
        }
    }
}
