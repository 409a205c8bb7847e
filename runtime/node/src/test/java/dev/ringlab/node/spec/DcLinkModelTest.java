package dev.ringlab.node.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The link model by datacenter pair: intra vs inter draws, the matrix file and its errors, the self-contained spec. */
class DcLinkModelTest {
    static final Placement P = Placement.parse("dcs=3,per-dc=4,order=interleaved").resolve(1);

    @Test
    void intraAndInterPairsDrawFromTheirOwnModels() {
        LinkModel m = LinkModels.parse("dc:intra=uniform:100us,300us;inter=const:40ms", P);
        SplittableRandom r = new SplittableRandom(7);
        int intra = 0;
        int inter = 0;
        for (int i = 0; i < 2000; i++) {
            int a = r.nextInt(P.nodes());
            int b = r.nextInt(P.nodes());
            long x = m.sampleNanos(a, b, r);
            if (P.dc(a) == P.dc(b)) {
                intra++;
                assertTrue(x >= 100_000 && x <= 300_000, a + "->" + b + " drew " + x);
            } else {
                inter++;
                assertEquals(40_000_000L, x, a + "->" + b);
            }
            assertEquals(0.0, m.lossProbability(a, b));
        }
        assertTrue(intra > 100 && inter > 100, "both kinds of pairs drawn: " + intra + " intra, " + inter + " inter");
        assertEquals(40_000_000L, m.maxNanos());
    }

    @Test
    void theSelfContainedSpecParsesBackWithoutAPlacement() {
        DcLinkModel m = DcLinkModel.parse("dc:intra=const:1ms;inter=const:40ms", P);
        LinkModel again = LinkModels.parse(m.spec());
        for (int a = 0; a < P.nodes(); a++) {
            for (int b = 0; b < P.nodes(); b++) {
                assertEquals(m.sampleNanos(a, b, new SplittableRandom(1)), again.sampleNanos(a, b, new SplittableRandom(1)));
            }
        }
        assertTrue(DcLinkModel.carriesAssignment(m.spec()));
    }

    @Test
    void aDcSpecNeedsAPlacement() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LinkModels.parse("dc:intra=const:1ms;inter=const:40ms"));
        assertTrue(e.getMessage().contains("placement"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LinkModels.parse("dc:intra=const:1ms"));
        assertThrows(IllegalArgumentException.class, () -> LinkModels.parse("dc:intra=const:1ms;inter=bogus:1", P));
    }

    @Test
    void plainSpecsIgnoreThePlacement() {
        LinkModel a = LinkModels.parse("lognormal:2ms,0.5");
        LinkModel b = LinkModels.parse("lognormal:2ms,0.5", P);
        SplittableRandom r1 = new SplittableRandom(3);
        SplittableRandom r2 = new SplittableRandom(3);
        for (int i = 0; i < 100; i++) {
            assertEquals(a.sampleNanos(0, 1, r1), b.sampleNanos(0, 1, r2));
        }
    }

    @Test
    void aMatrixGivesPerPairLatencyAndLoss(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("m.txt");
        Files.writeString(f, """
                # three regions
                -        10ms           80ms
                10ms     -              lognormal:40ms,0.1/0.01
                80ms     40ms/0.02      2ms
                """);
        DcLinkModel m = DcLinkModel.parse("dc:intra=const:1ms;inter=matrix:" + f, P);
        SplittableRandom r = new SplittableRandom(1);
        // Interleaved: node 0 in dc1, 1 in dc2, 2 in dc3, 3 in dc1.
        assertEquals(1_000_000L, m.sampleNanos(0, 3, r), "diagonal '-' is intra");
        assertEquals(10_000_000L, m.sampleNanos(0, 1, r));
        assertEquals(80_000_000L, m.sampleNanos(0, 2, r));
        assertEquals(40_000_000L, m.sampleNanos(2, 1, r));
        assertEquals(2_000_000L, m.sampleNanos(2, 5, r), "a diagonal latency overrides intra");
        assertEquals(0.01, m.lossProbability(1, 2));
        assertEquals(0.02, m.lossProbability(2, 1));
        assertEquals(0.0, m.lossProbability(0, 1));
        assertInstanceOf(DcLinkModel.class, LinkModels.parse(m.spec()), "the spec names the matrix by absolute path");
    }

    @Test
    void matrixErrorsNameTheFileAndLine(@TempDir Path dir) throws IOException {
        String[][] cases = {
            {"-  10ms\n10ms\n", "line 2", "square"},
            {"-  10ms\n- -\n", "line 2", "diagonal"},
            {"-  10ms/2\n10ms -\n", "line 1", "loss must be in 0..1"},
            {"-  10ms/x\n10ms -\n", "line 1", "not a number"},
            {"-  fast\n10ms -\n", "line 1", "LATENCY"},
            {"-  empirical:x\n10ms -\n", "line 1", "not allowed in a matrix"},
            {"# nothing\n", "holds no row", "holds no row"},
        };
        assertTrue(cases.length > 0);
        Placement two = Placement.parse("dcs=2,per-dc=2,order=grouped").resolve(1);
        for (String[] c : cases) {
            Path f = dir.resolve("bad.txt");
            Files.writeString(f, c[0]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DcLinkModel.parse("dc:intra=const:1ms;inter=matrix:" + f, two), c[0]);
            assertTrue(e.getMessage().contains(c[1]) && e.getMessage().contains(c[2]) && !e.getMessage().contains("\n"),
                    c[0] + " -> " + e.getMessage());
        }
        Path f = dir.resolve("three.txt");
        Files.writeString(f, "- 1ms 1ms\n1ms - 1ms\n1ms 1ms -\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DcLinkModel.parse("dc:intra=const:1ms;inter=matrix:" + f, two));
        assertTrue(e.getMessage().contains("3 rows for 2 datacenters"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> DcLinkModel.parse("dc:intra=const:1ms;inter=matrix:" + dir.resolve("missing"), two));
        assertTrue(e.getMessage().contains("cannot read"), e.getMessage());
    }

    @Test
    void theShippedExampleMatrixParses() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("examples/dc-three-regions.matrix"))) {
            p = p.getParent();
        }
        assertTrue(p != null, "examples/dc-three-regions.matrix not found");
        DcLinkModel m = DcLinkModel.parse("dc:intra=lognormal:200us,0.3;inter=matrix:"
                + p.resolve("examples/dc-three-regions.matrix"), P);
        assertEquals(3, m.dcs());
        assertTrue(m.maxNanos() >= 80_000_000L, "the example spans 10-80 ms: " + m.maxNanos());
    }

    @Test
    void aRunSpecRefusesAPlacementOfAnotherSize() {
        assertThrows(IllegalArgumentException.class, () -> new RunSpec(dev.ringlab.topology.Topologies.build("ring", 5, 1),
                dev.ringlab.node.protocols.Flood.PROTOCOL, null, 0, FaultPlan.none(), 0, 1, P));
    }
}
