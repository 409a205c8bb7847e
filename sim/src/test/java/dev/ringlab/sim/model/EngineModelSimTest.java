package dev.ringlab.sim.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.spec.LinkModels;
import dev.ringlab.sim.SimCluster;
import dev.ringlab.sim.SimConfig;
import dev.ringlab.topology.Topologies;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine model in the simulator: CPU executors and cores, wake-up, restart links; determinism. */
class EngineModelSimTest {
    private static final long US = 1_000L;
    private static final long MS = 1_000_000L;

    private static EngineModel model(EngineModel.Cpu cpu, EngineModel.Wake wake, EngineModel.Restart restart) {
        return new EngineModel("netty", null, cpu, wake, restart, Map.of());
    }

    /** Delivery time per node of one flood from node 0 on a unidirectional ring. */
    private static long[] ringFlood(int n, EngineModel m) {
        long[] at = new long[n];
        SimConfig config = new SimConfig(1, LinkModels.parse("const:1us"), 0, 0, m);
        try (SimCluster sim = new SimCluster(Topologies.build("ring", n, 1), Flood.PROTOCOL, config)) {
            sim.addObserver(o -> {
                if (o instanceof Observation.Delivered d) {
                    at[d.node()] = d.atNanos();
                }
            });
            sim.start();
            sim.inject(0, new Message.Inject(1, new byte[0]));
            sim.runToQuiescence();
        }
        return at;
    }

    @Test
    void aHopPaysLinkPlusTheReceiversServiceAndOneSend() {
        // Per-node executors, enough cores: hop h is delivered at h · (recv + send + link), the origin's
        // injection paying its recv and send too.
        long[] at = ringFlood(5, model(new EngineModel.Cpu(0, 8, 10 * US, 10 * US), null, null));
        for (int h = 0; h < 5; h++) {
            assertEquals(h * 21 * US, at[h], "node " + h);
        }
    }

    @Test
    void wakeUpDelaysOnlyTheFirstMessageAfterIdle() {
        long[] at = ringFlood(3, model(new EngineModel.Cpu(0, 8, 10 * US, 10 * US), new EngineModel.Wake(1 * MS, 50 * US), null));
        // Node 1 and node 2 were idle since the start (0 ns ago counts as idle only after 1 ms): at t < 1 ms no wake.
        assertEquals(21 * US, at[1]);
        long[] late = new long[3];
        SimConfig config = new SimConfig(1, LinkModels.parse("const:1us"), 0, 0,
                model(new EngineModel.Cpu(0, 8, 10 * US, 10 * US), new EngineModel.Wake(1 * MS, 50 * US), null));
        try (SimCluster sim = new SimCluster(Topologies.build("ring", 3, 1), Flood.PROTOCOL, config)) {
            sim.addObserver(o -> {
                if (o instanceof Observation.Delivered d) {
                    late[d.node()] = d.atNanos();
                }
            });
            sim.start();
            sim.runFor(5 * MS);
            sim.inject(0, new Message.Inject(1, new byte[0]));
            sim.runToQuiescence();
        }
        assertEquals(5 * MS + 21 * US + 50 * US, late[1], "an idle executor wakes first");
        assertEquals(5 * MS + 2 * (21 * US + 50 * US), late[2]);
    }

    @Test
    void nodesSharingOneExecutorOnOneCoreQueue() {
        // Complete graph of 4 on one executor: the burst of copies is served one at a time, so the last
        // delivery is later than with one executor per node on 4 cores.
        long shared = lastDelivery(new EngineModel.Cpu(1, 1, 10 * US, 5 * US));
        long own = lastDelivery(new EngineModel.Cpu(0, 4, 10 * US, 5 * US));
        long twoCores = lastDelivery(new EngineModel.Cpu(0, 1, 10 * US, 5 * US));
        assertTrue(shared > own, "shared " + shared + " own " + own);
        assertTrue(twoCores > own, "one core " + twoCores + " four " + own);
    }

    private static long lastDelivery(EngineModel.Cpu cpu) {
        long[] last = {-1};
        SimConfig config = new SimConfig(1, LinkModels.parse("const:1us"), 0, 0, model(cpu, null, null));
        try (SimCluster sim = new SimCluster(Topologies.build("complete", 4, 1), Flood.PROTOCOL, config)) {
            sim.addObserver(o -> {
                if (o instanceof Observation.Delivered d) {
                    last[0] = Math.max(last[0], d.atNanos());
                }
            });
            sim.start();
            sim.inject(0, new Message.Inject(1, new byte[0]));
            sim.runToQuiescence();
        }
        assertTrue(last[0] > 0, "some delivery");
        return last[0];
    }

    @Test
    void theNeighboursRedialFollowsTheBackoffSchedule() {
        // Jitter at the middle: attempts at 7.5, 22.5, 52.5, 112.5, 232.5, 382.5 ms after the crash.
        EngineModel.Restart r = new EngineModel.Restart(10 * MS, 200 * MS, 1 * MS, 0);
        long d = r.neighbourDialDelay(300 * MS, () -> 0.5);
        assertEquals(82.5 * MS + 1 * MS, d, 10_000, "next redial after 300 ms down, plus the handshake");
        // The restart call's own duration counts as time down.
        EngineModel.Restart slow = new EngineModel.Restart(10 * MS, 200 * MS, 1 * MS, 100 * MS);
        assertEquals(112.5 * MS - 100 * MS + 1 * MS, slow.neighbourDialDelay(0, () -> 0.5), 10_000);
    }

    @Test
    void aRestartedNodeIsReachedOnlyOnceItsPredecessorRedialled() {
        EngineModel m = model(null, null, new EngineModel.Restart(10 * MS, 200 * MS, 1 * MS, 0));
        for (long seed = 1; seed <= 20; seed++) {
            List<Long> reached = new ArrayList<>();
            long restartAt = 300 * MS;
            long[] hash = new long[2];
            for (int rep = 0; rep < 2; rep++) {
                reached.clear();
                SimConfig config = new SimConfig(seed, LinkModels.parse("const:50us"), 0, 0, m);
                try (SimCluster sim = new SimCluster(Topologies.build("ring", 3, 1), Flood.PROTOCOL, config)) {
                    sim.addObserver(o -> {
                        if (o instanceof Observation.Delivered d && d.node() == 1 && d.origin() == 0) {
                            reached.add(d.atNanos());
                        }
                    });
                    sim.start();
                    sim.crash(1);
                    sim.runFor(restartAt);
                    sim.restart(1);
                    for (int i = 0; i < 300; i++) {
                        long id = 10 + i;
                        sim.at(restartAt + i * MS, () -> sim.inject(0, new Message.Inject(id, new byte[0])));
                    }
                    sim.runToQuiescence();
                    assertFalse(reached.isEmpty(), "seed " + seed + ": node 1 was never reached");
                    long first = reached.get(0) - restartAt;
                    // The next redial after 300 ms down comes within one capped backoff (200 ms), plus the handshake.
                    assertTrue(first >= 1 * MS && first <= 210 * MS, "seed " + seed + ": first reached " + first + " ns after restart");
                    assertTrue(sim.stats().drops().get(ClusterStats.NO_CONNECTION) > 0, "seed " + seed + ": sends on the down link");
                    hash[rep] = sim.traceHash().getAsLong();
                }
            }
            assertEquals(hash[0], hash[1], "seed " + seed + ": same seed, same trace hash with a model");
        }
    }

    @Test
    void loadsWhatSaveWrote(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("hot.txt"), "1000\n2000\n");
        EngineModel m = new EngineModel("processes", null, new EngineModel.Cpu(0, 2, 3000, 4000), new EngineModel.Wake(MS, 20 * US),
                new EngineModel.Restart(10 * MS, 200 * MS, 2 * MS, 400 * MS), Map.of("cores", "2"));
        m.save(dir, "hot.txt", "test");
        EngineModel back = EngineModel.load(dir);
        assertEquals(m.cpu(), back.cpu());
        assertEquals(m.wake(), back.wake());
        assertEquals(m.restart(), back.restart());
        assertEquals(m.machine(), back.machine());
        assertEquals("processes", back.engine());
        assertTrue(back.hotLink() != null && back.hotLink().maxNanos() >= 2000);
    }
}
