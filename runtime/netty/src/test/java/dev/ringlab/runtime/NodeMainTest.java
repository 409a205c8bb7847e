package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.ProtocolRegistry;
import dev.ringlab.topology.Overlay;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node process entry in-process: its usage errors, and the cluster file's overlay. */
class NodeMainTest {
    @TempDir
    Path dir;

    private Path clusterFile(String protocol, String topology, int n) throws Exception {
        Path secret = dir.resolve("secret");
        ClusterFile.writeSecret(secret, new byte[32]);
        List<ClusterFile.Endpoint> eps = new java.util.ArrayList<>();
        for (int v = 0; v < n; v++) {
            eps.add(new ClusterFile.Endpoint(v, "127.0.0.1", 0, -1));
        }
        Path f = dir.resolve("cluster.json");
        new ClusterFile(topology, n, 1, protocol, secret, "stdin", eps).write(f);
        return f;
    }

    private record Result(int exit, String out, String err) {}

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = NodeMain.run(args, new ByteArrayInputStream(new byte[0]), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aProtocolSpecTheRegistryCannotRebuildIsOneLineNamingTheSpecAndTheFormsAndExitTwo() throws Exception {
        Path f = clusterFile("no-such-protocol:3", "ring", 4);
        Result r = run("--id", "1", "--cluster", f.toString());
        assertEquals(2, r.exit());
        assertEquals("", r.out());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("ringlab node: --cluster: protocol 'no-such-protocol:3'"), r.err());
        for (String form : ProtocolRegistry.standard().forms()) {
            assertTrue(r.err().contains(form), "the error lists " + form + ": " + r.err());
        }
    }

    @Test
    void badUsageIsOneLineNamingTheFlagAndExitTwo() throws Exception {
        Path f = clusterFile("flood", "ring", 4);
        Result missing = run("--cluster", f.toString());
        assertEquals(2, missing.exit());
        assertTrue(missing.err().startsWith("ringlab node: --id: missing"), missing.err());
        Result range = run("--id", "4", "--cluster", f.toString());
        assertEquals(2, range.exit());
        assertTrue(range.err().startsWith("ringlab node: --id: must be in 0..3, got 4"), range.err());
        Result noFile = run("--id", "0", "--cluster", dir.resolve("nope.json").toString());
        assertEquals(2, noFile.exit());
        assertTrue(noFile.err().startsWith("ringlab node: --cluster: cannot read"), noFile.err());
        Result topology = run("--id", "0", "--cluster", clusterFile("flood", "margulis", 5).toString());
        assertEquals(2, topology.exit());
        assertTrue(topology.err().startsWith("ringlab node: --cluster: overlay 'margulis'"), topology.err());
        Result unknown = run("--id", "0", "--cluster", f.toString(), "--verbose");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().startsWith("ringlab node: --verbose: unknown option"), unknown.err());
        for (Result r : List.of(missing, range, noFile, topology, unknown)) {
            assertEquals(1, r.err().strip().lines().count(), r.err());
        }
    }

    @Test
    void anOverlayTheTopologySpecRebuildsTravelsAsItsSpecAndAnyOtherAsItsAdjacency() throws Exception {
        Path secret = dir.resolve("secret");
        ClusterFile.writeSecret(secret, new byte[32]);
        List<ClusterFile.Endpoint> eps = List.of(new ClusterFile.Endpoint(0, "127.0.0.1", 1, 2),
                new ClusterFile.Endpoint(1, "127.0.0.1", 3, 4), new ClusterFile.Endpoint(2, "127.0.0.1", 5, 6));
        ClusterFile base = new ClusterFile("x", 3, 7, "flood", secret, "stdin", eps);

        Overlay ring = dev.ringlab.topology.Topologies.build("ring", 3, 7);
        ClusterFile plain = new ClusterFile("ring", 3, 7, "flood", secret, "stdin", eps).withOverlay(ring);
        assertNull(plain.adjacency(), "a rebuildable overlay travels as its spec");

        Overlay hand = Overlay.fromAdjacency("hand-made", true, new int[][] {{1}, {2}, {0, 1}});
        ClusterFile withAdjacency = new ClusterFile("hand-made", 3, 7, "flood", secret, "stdin", eps).withOverlay(hand);
        Path f = dir.resolve("c.json");
        withAdjacency.write(f);
        Overlay back = ClusterFile.read(f).overlay();
        assertEquals("hand-made", back.spec());
        assertTrue(back.directed());
        assertArrayEquals(hand.offsets(), back.offsets());
        assertArrayEquals(hand.targets(), back.targets());
        assertEquals(base.n(), back.size());
        assertTrue(Files.readString(f).contains("\"adjacency\""));
    }

    @Test
    void aSecretFileOpenToGroupOrOthersIsRefusedWithTheFix() throws Exception {
        Path f = clusterFile("flood", "ring", 4);
        Path secret = dir.resolve("secret");
        Files.setPosixFilePermissions(secret, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Result r = run("--id", "0", "--cluster", f.toString());
        assertEquals(2, r.exit());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().startsWith("ringlab node: --cluster: secret file " + secret), r.err());
        assertTrue(r.err().contains("chmod 600 " + secret), r.err());
    }
}
