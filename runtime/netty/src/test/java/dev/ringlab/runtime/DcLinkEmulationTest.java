package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.node.spec.Placement;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.topology.Topologies;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dc link spec on the real engines' emulation: the run spec hands on a self-contained spec (the assignment in
 * it), which a node process parses alone into the same per-pair delays and losses.
 */
class DcLinkEmulationTest {
    @Test
    void theSelfContainedSpecGivesEachPairItsDelayAndLoss(@TempDir Path dir) throws Exception {
        Path m = dir.resolve("m");
        Files.writeString(m, "-  40ms/0.5\n30ms -\n");
        Placement p = Placement.parse("dcs=2,per-dc=2,order=interleaved").resolve(1);
        RunSpec spec = new RunSpec(Topologies.build("complete", 4, 1), Flood.PROTOCOL,
                "dc:intra=const:1ms;inter=matrix:" + m, 0.1, FaultPlan.none(), 0, 1, p);
        String handedOn = spec.linkSpec();
        assertTrue(handedOn.contains(";at=0,1,0,1") && handedOn.contains(m.toAbsolutePath().toString()), handedOn);
        LinkEmulation e = LinkEmulation.of(handedOn, spec.lossProbability()); // what a node process does
        SplittableRandom r = new SplittableRandom(1);
        assertEquals(1_000_000L, e.delayNanos(0, 2, r), "0 and 2 share dc1");
        assertEquals(40_000_000L, e.delayNanos(0, 1, r));
        assertEquals(30_000_000L, e.delayNanos(1, 0, r));
        assertEquals(1 - 0.9 * 0.5, e.lossProbability(0, 1), 1e-12, "run loss and pair loss, independently");
        assertEquals(0.1, e.lossProbability(1, 0), 1e-12);
        assertEquals(0.1, e.lossProbability(0, 2), 1e-12);
    }

    @Test
    void aPlainSpecIsHandedOnAsGiven() {
        RunSpec spec = new RunSpec(Topologies.build("ring", 4, 1), Flood.PROTOCOL, "const:2ms", 0, FaultPlan.none(), 0, 1,
                Placement.parse("dcs=2,per-dc=2").resolve(1));
        assertEquals("const:2ms", spec.linkSpec());
    }
}
