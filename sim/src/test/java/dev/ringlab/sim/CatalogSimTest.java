package dev.ringlab.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The token catalog ({@link dev.ringlab.node.protocols.TokenCatalog}) on virtual time: a scripted run with
 * adds, revokes and a crash in the middle, and the seeded swarm property of {@link ConfigBusSimTest} with
 * catalog operations (adds and revokes of a few tokens, so revokes race adds).
 */
class CatalogSimTest {
    static final long MS = 1_000_000L;

    @Test
    void addsAndRevokesConvergeAcrossACrashAndRespawn() {
        for (boolean onRing : new boolean[] {true, false}) {
            ConfigBusSimTest.Run run = new ConfigBusSimTest.Run(10, true, onRing, SimConfig.of(21));
            run.cluster.runFor(300 * MS);
            for (int i = 0; i < 30; i++) {
                if (i == 15) {
                    run.crash(7);
                }
                int v = i % 10 == 7 ? 8 : i % 10;
                run.cluster.inject(v, new Message.CatalogAdd("tok" + i));
                if (i % 5 == 4) {
                    run.cluster.runFor(20 * MS);
                    run.cluster.inject((v + 3) % 10 == 7 ? 1 : (v + 3) % 10, new Message.CatalogRevoke("tok" + (i - 2)));
                }
                run.cluster.runFor(3 * MS);
            }
            assertTrue(run.converge(5_000 * MS), "ring=" + onRing);
            assertEquals(List.of(), run.watch.lostAcked(run.cluster::alive), "ring=" + onRing);
            assertEquals(List.of(), run.watch.missing(run.cluster::alive), "ring=" + onRing);
            assertEquals(36, run.watch.deltasCreated(), "30 adds and 6 revokes");
            run.restart(7);
            assertTrue(run.converge(5_000 * MS), "respawned node caught up, ring=" + onRing);
            assertEquals(36, run.watch.deltasApplied(7));
        }
    }

    @Test
    void randomOperationOrdersAndFaultPlansConverge() {
        ConfigBusSimTest.randomRunsConverge(true, 0xCA7A_106L, 24);
    }
}
