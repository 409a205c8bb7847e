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

    /**
     * A protocol's own observation records reach the test as the same records on every engine: handed over on
     * sim and netty, sent by each node JVM as a JSON line and rebuilt in this JVM on processes. A record that a
     * node JVM could not send fails the run on every engine, the simulator included, naming what is wrong.
     */
    @Test
    void customObservationsReachTheTestOnEveryEngine() {
        String unsendable = "custom observation dev.ringlab.testkit.Tally$Unsendable cannot be sent by a node process:"
                + " component ids is a long[], not an int, long, double, boolean or String (see Observation.Custom)";
        for (String engine : java.util.List.of("sim", "netty", "processes")) {
            try (TestCluster c = TestCluster.builder(Topologies.build("ring", 3, 1), Tally.PROTOCOL).engine(engine).start()) {
                for (int v = 0; v < 3; v++) {
                    c.inject(v, new Message.Inject(10 + v, new byte[0]));
                    c.inject(v, new Message.Inject(20 + v, new byte[0]));
                }
                c.awaitUntil(engine + ": six counted", () -> c.observations(Tally.Counted.class).size() == 6,
                        Duration.ofSeconds(30));
                java.util.List<Tally.Counted> got = c.observations(Tally.Counted.class);
                assertEquals(6, got.size(), engine);
                for (Tally.Counted k : got) {
                    int v = k.node();
                    int count = k.id() < 20 ? 1 : 2;
                    Tally.Counted expected = new Tally.Counted(v, (count == 1 ? 10 : 20) + v, count, count / 4.0, count == 2,
                            "node " + v + " \"quoted\", ünicode", k.atNanos());
                    assertEquals(expected, k, engine);
                }

                // The simulator fails at the inject itself (the node handles it at once), the others at the next run.
                Throwable e = assertThrows(Throwable.class, () -> {
                    c.inject(1, new Message.Inject(-1, new byte[0]));
                    c.runFor(Duration.ofSeconds(10));
                }, engine);
                assertTrue(String.valueOf(e.getMessage()).contains(unsendable), engine + ": " + e);
            }
        }
    }
}
