package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.runtime.ClusterFile;
import java.io.File;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ringlab node --detached}: nodes with no parent (as a service manager or a Kubernetes StatefulSet runs
 * them, README "The runtime across hosts"), stdin closed, a cluster file with {@code "start":"linked"}: they find
 * each other, start themselves and pass the token, and stop on SIGTERM.
 */
class DetachedNodesTest {
    @Test
    void withoutLinkedStartTheFlagIsRefusedNamingTheFix(@TempDir Path dir) throws Exception {
        Path f = cluster(dir, 3, "stdin");
        TopologyCommandTest.Result r = TopologyCommandTest.run("node", "--id", "0", "--cluster", f.toString(), "--detached");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("--detached") && r.err().contains("\"start\":\"linked\""), r.err());
    }

    @Test
    @Timeout(120)
    void parentlessNodesFormARingAndStopOnSigterm(@TempDir Path dir) throws Exception {
        int n = 3;
        Path f = cluster(dir, n, "linked");
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<Process> nodes = new ArrayList<>();
        try {
            for (int v = 0; v < n; v++) {
                nodes.add(new ProcessBuilder(java, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                        System.getProperty("java.class.path"), Main.class.getName(), "node", "--id", Integer.toString(v),
                        "--cluster", f.toString(), "--detached")
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))) // no parent on stdin
                        .redirectOutput(dir.resolve("node-" + v + ".out").toFile())
                        .redirectError(dir.resolve("node-" + v + ".err").toFile())
                        .start());
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            boolean allPassed = false;
            while (!allPassed && System.nanoTime() < deadline) {
                allPassed = true;
                for (int v = 0; v < n; v++) {
                    assertTrue(nodes.get(v).isAlive(), "node " + v + " exited (" + Files.readString(dir.resolve("node-" + v + ".err"))
                            + ")");
                    Path out = dir.resolve("node-" + v + ".out");
                    allPassed &= Files.readString(out).contains("\"kind\":\"TokenArrived\"");
                }
                Thread.sleep(100);
            }
            assertTrue(allPassed, "the token reached every node within 90 s");
            for (Process p : nodes) {
                p.destroy(); // SIGTERM
            }
            for (Process p : nodes) {
                assertTrue(p.waitFor(20, TimeUnit.SECONDS), "a detached node did not stop on SIGTERM");
            }
        } finally {
            nodes.forEach(Process::destroyForcibly);
        }
    }

    private static Path cluster(Path dir, int n, String start) throws Exception {
        Path secret = dir.resolve("secret");
        ClusterFile.writeSecret(secret, new byte[32]);
        List<ClusterFile.Endpoint> eps = new ArrayList<>();
        for (int v = 0; v < n; v++) {
            int port;
            int admin;
            try (ServerSocket a = new ServerSocket(0); ServerSocket b = new ServerSocket(0)) {
                port = a.getLocalPort();
                admin = b.getLocalPort();
            }
            eps.add(new ClusterFile.Endpoint(v, "127.0.0.1", port, admin));
        }
        Path f = dir.resolve("cluster.json");
        new ClusterFile("ring", n, 1, "token", secret, start, eps).write(f);
        return f;
    }
}
