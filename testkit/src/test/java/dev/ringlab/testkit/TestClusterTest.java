package dev.ringlab.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.topology.Topologies;
import java.time.Duration;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class TestClusterTest {
    private static TestCluster.Builder flood(String engine, long seed) {
        return TestCluster.builder(Topologies.build("random-regular:4", 8, seed), Flood.PROTOCOL).engine(engine).seed(seed)
                .link("uniform:1ms,3ms");
    }

    @Test
    void aBroadcastReachesEveryNodeAndIsObserved() {
        try (TestCluster c = flood("sim", 7).start()) {
            c.inject(0, new Message.Inject(1, new byte[8]));
            c.awaitUntil("all delivered", () -> c.observations(Observation.Delivered.class).size() == 8, Duration.ofSeconds(1));
            assertEquals(8, c.observations(Observation.Delivered.class).stream().mapToInt(Observation.Delivered::node).distinct().count());
            assertTrue(c.elapsed().toNanos() > 0, "virtual time advanced");
        }
    }

    @Test
    void theSameSeedReplaysTheSameRun() {
        OptionalLong[] hashes = new OptionalLong[2];
        for (int i = 0; i < 2; i++) {
            try (TestCluster c = flood("sim", 11).faults(FaultPlan.parse("crash:3@2ms..20ms,loss:0.3@0..30ms")).start()) {
                for (int b = 0; b < 5; b++) {
                    int id = b;
                    c.at(Duration.ofMillis(5L * b), () -> c.inject(id, new Message.Inject(id, new byte[8])));
                }
                c.runFaultPhase();
                c.runFor(Duration.ofMillis(100));
                hashes[i] = c.cluster().traceHash();
            }
        }
        assertTrue(hashes[0].isPresent());
        assertEquals(hashes[0], hashes[1]);
    }

    @Test
    void anInvariantIsCheckedAfterEveryEventAndStopsTheRunAtTheBadOne() {
        int[] delivered = {0};
        try (TestCluster c = flood("sim", 3).observer(o -> {
            if (o instanceof Observation.Delivered) {
                delivered[0]++;
            }
        }).invariant(() -> {
            if (delivered[0] > 2) {
                throw new AssertionError("more than two deliveries");
            }
        }).start()) {
            c.inject(0, new Message.Inject(1, new byte[8]));
            AssertionError e = assertThrows(AssertionError.class, () -> c.runFor(Duration.ofSeconds(1)));
            assertTrue(e.getMessage().startsWith("invariant violated at t="), e.getMessage());
            assertTrue(e.getMessage().contains("seed 0000000000000003") && e.getMessage().contains("more than two deliveries"),
                    e.getMessage());
            // Stopped at the event that made the third delivery, not at the end of the second.
            assertEquals(3, delivered[0]);
        }
    }

    @Test
    void awaitUntilFailsNamingWhatDidNotHappen() {
        try (TestCluster c = flood("sim", 5).start()) {
            AssertionError e = assertThrows(AssertionError.class,
                    () -> c.awaitUntil("a delivery", () -> !c.observations().isEmpty(), Duration.ofMillis(50)));
            assertTrue(e.getMessage().startsWith("a delivery: not within 50 ms"), e.getMessage());
        }
    }

    @Test
    void anUnknownEngineIsRefusedNamingTheChoices() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TestCluster.engine("vm"));
        assertEquals("unknown engine 'vm': use sim, netty or processes", e.getMessage());
    }

    @Test
    void theSameCodeRunsOnNetty() {
        try (TestCluster c = flood("netty", 7).start()) {
            assertEquals("netty", c.engine());
            c.inject(0, new Message.Inject(1, new byte[8]));
            c.awaitUntil("all delivered", () -> c.observations(Observation.Delivered.class).size() == 8, Duration.ofSeconds(10));
            assertFalse(c.cluster().traceHash().isPresent(), "a real engine has no trace hash");
        }
    }
}
