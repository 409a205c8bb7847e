package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --hosts FILE}: the processes engine runs each node at the file's address behind its exec prefix. The
 * namespaces case (a node per network namespace on a bridge) needs root and is {@code .ci/netns-check.sh};
 * here every node listens on its own loopback address (127.0.0.2, .3, ...) behind {@code env}, a prefix that
 * execs the node in place as {@code ip netns exec} does, so the driver's SIGKILL still reaches the node.
 */
class HostsOptionTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path hostsFile(Path dir, int n, String exec) throws Exception {
        StringBuilder b = new StringBuilder("{\"nodes\":[");
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append("{\"host\":\"127.0.0.").append(i + 2).append("\",\"exec\":").append(exec).append('}');
        }
        Path f = dir.resolve("hosts.json");
        Files.writeString(f, b.append("]}").toString());
        return f;
    }

    private static void assertUsage(TopologyCommandTest.Result r, String... fragments) {
        assertEquals(2, r.exit(), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        String last = r.err().strip().lines().reduce((a, b) -> b).orElseThrow();
        for (String f : fragments) {
            assertTrue(last.contains(f), "'" + f + "' in the error line: " + r.err());
        }
    }

    @Test
    void refusedOnEnginesThatRunEveryNodeHereAndOnAFileThatDoesNotFit(@TempDir Path dir) throws Exception {
        Path f = hostsFile(dir, 3, "[\"env\"]");
        assertUsage(TopologyCommandTest.run("token", "-n", "3", "--hosts", f.toString()), "--hosts", "processes only");
        assertUsage(TopologyCommandTest.run("token", "--engine", "netty", "-n", "3", "--hosts", f.toString()), "--hosts");
        assertUsage(TopologyCommandTest.run("token", "--engine", "processes", "-n", "4", "--hosts", f.toString()),
                "--hosts", "lists 3 nodes", "-n 3");
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"nodes\":[{\"host\":\"127.0.0.2\"},{\"host\":\"127.0.0.3\",\"port\":70000}]}");
        assertUsage(TopologyCommandTest.run("token", "--engine", "processes", "-n", "2", "--hosts", bad.toString()),
                "--hosts", "node 1", "0..65535");
        Files.writeString(bad, "[1, 2]");
        assertUsage(TopologyCommandTest.run("token", "--engine", "processes", "-n", "2", "--hosts", bad.toString()),
                "--hosts", "expected {\"nodes\"");
        assertUsage(TopologyCommandTest.run("token", "--engine", "processes", "-n", "2", "--hosts",
                dir.resolve("missing.json").toString()), "--hosts", "cannot read hosts file");
    }

    @Test
    @Timeout(180)
    void aRingRunsAndRecoversWithEveryNodeAtItsOwnAddressBehindAnExecPrefix(@TempDir Path dir) throws Exception {
        Path f = hostsFile(dir, 4, "[\"env\",\"RINGLAB_HOSTS_TEST=1\"]");
        TopologyCommandTest.Result r = TopologyCommandTest.run("token", "--engine", "processes", "-n", "4", "--hosts",
                f.toString(), "--rotations", "10", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = JSON.readTree(r.out());
        assertEquals(10, j.path("rotations").asInt(), r.out());
        assertTrue(j.path("ticks_agree").asBoolean(), r.out());

        // A crash is a SIGKILL of the process the driver started: with a prefix that execs, that is the node.
        r = TopologyCommandTest.run("recover", "--engine", "processes", "-n", "4", "--hosts", f.toString(), "--crash", "1",
                "--json");
        assertEquals(0, r.exit(), r.err());
        j = JSON.readTree(r.out());
        assertEquals(1, j.path("tokens_max_after_repair").asInt(), r.out());
        assertTrue(j.path("repair_ms").isNumber(), "repaired: " + r.out());
    }
}
