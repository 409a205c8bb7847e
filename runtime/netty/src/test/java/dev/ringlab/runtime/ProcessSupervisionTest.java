package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.topology.Overlay;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Supervision of the processes engine with real signals on real child JVMs: a child killed from outside is
 * reported and treated as crashed; children die with their parent; the run directory goes with the run.
 */
class ProcessSupervisionTest {
    private static final long SECONDS_20 = TimeUnit.SECONDS.toNanos(20);

    private static Overlay triangle() {
        return Overlay.fromAdjacency("test-triangle", false, new int[][] {{1, 2}, {0, 2}, {0, 1}});
    }

    @Test
    @Timeout(120)
    void aChildKilledFromOutsideIsReportedMarkedDownAndCanBeRespawned() throws Exception {
        List<Observation.NodeExited> exits = new CopyOnWriteArrayList<>();
        Path dir;
        try (ProcessCluster c = new ProcessCluster(triangle(), Flood.PROTOCOL, 3, ProcessCluster.selfLauncher())) {
            c.addObserver(o -> {
                if (o instanceof Observation.NodeExited e) {
                    exits.add(e);
                }
            });
            c.start();
            dir = c.directory();
            assertTrue(Files.isDirectory(dir));
            long pid = c.process(1).pid();
            long killedAt = System.nanoTime();
            Process kill = new ProcessBuilder("kill", "-9", Long.toString(pid)).start();
            assertEquals(0, kill.waitFor(), "kill -9 " + pid);
            assertTrue(c.runUntil(() -> !exits.isEmpty(), SECONDS_20), "no NodeExited after kill -9 of node 1");
            Observation.NodeExited e = exits.get(0);
            // Reported, not asserted on time (a loaded machine): the target is within one second.
            System.out.printf("kill -9 of node 1 reported after %.1f ms%n", (e.atNanos() - killedAt) / 1e6);
            assertEquals(1, e.node());
            assertEquals(137, e.exitStatus(), "SIGKILL is 128 + 9");
            assertFalse(c.alive(1));
            assertEquals(1, c.unexpectedExits());
            // The others were told, as after a crash: node 0's flood send to node 1 counts as receiver_down.
            c.inject(0, new Message.Inject(1, new byte[0]));
            assertTrue(c.runUntil(() -> c.stats().dropped(ClusterStats.RECEIVER_DOWN) >= 1, SECONDS_20), c.stats()::toString);
            // The driver may respawn it like any crashed node, and a crash that the driver orders is no news.
            c.restart(1);
            assertTrue(c.alive(1));
            c.crash(1);
            assertEquals(1, exits.size(), "crash() reported as an unexpected exit: " + exits);
            assertEquals(1, c.unexpectedExits());
        }
        assertFalse(Files.exists(dir), "close() left the run directory " + dir);
    }

    @Test
    @Timeout(60)
    void keepRunDirectoryKeepsItAfterClose() throws Exception {
        Path dir;
        try (ProcessCluster c = new ProcessCluster(triangle(), Flood.PROTOCOL, 4, ProcessCluster.selfLauncher())) {
            c.keepRunDirectory(true);
            c.start();
            dir = c.directory();
        }
        try {
            assertTrue(Files.exists(dir.resolve("cluster.json")) && Files.exists(dir.resolve("node-0.log")), dir.toString());
        } finally {
            try (var paths = Files.walk(dir)) {
                for (Path f : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(f);
                }
            }
        }
    }

    /** SIGKILL of the parent while its children are still starting (JVMs loading): none is left behind. */
    @Test
    @Timeout(120)
    void childrenDieWhenTheirParentIsKilledDuringStartUp(@TempDir Path tmp) throws Exception {
        // The SIGKILLed parent cannot delete its run directory: it goes into a directory JUnit removes.
        Process parent = parent(tmp);
        try {
            List<ProcessHandle> kids = awaitChildren(parent, 3);
            parent.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            assertAllGone(kids, "SIGKILL of the parent during start-up");
        } finally {
            parent.destroyForcibly();
        }
    }

    /**
     * SIGKILL of a parent whose cluster runs: the children exit; SIGTERM and SIGINT (Ctrl-C; sent with the
     * system's {@code kill -INT}, since {@link Process} sends only TERM and KILL): they exit and the run
     * directory goes.
     */
    @Test
    @Timeout(150)
    void childrenDieWithARunningParentAndSigtermOrSigintRemovesTheRunDirectory(@TempDir Path tmp) throws Exception {
        for (String signal : new String[] {"KILL", "TERM", "INT"}) {
            if (signal.equals("INT") && !sigintDeliverable()) {
                System.out.println("SIGINT case skipped: this JVM ignores SIGINT and env --default-signal is missing");
                continue;
            }
            Process parent = parent(tmp);
            try {
                BufferedReader out = new BufferedReader(new InputStreamReader(parent.getInputStream(), StandardCharsets.UTF_8));
                String line = out.readLine();
                assertTrue(line != null && line.startsWith("started "), "parent said " + line);
                Path dir = Path.of(line.substring("started ".length()));
                List<ProcessHandle> kids = parent.toHandle().children().toList();
                assertEquals(3, kids.size(), kids::toString);
                switch (signal) {
                    case "KILL" -> parent.destroyForcibly();
                    case "TERM" -> parent.destroy(); // the shutdown hook runs
                    default -> {
                        Process kill = new ProcessBuilder("kill", "-INT", Long.toString(parent.pid())).inheritIO().start();
                        assertEquals(0, kill.waitFor(), "kill -INT " + parent.pid());
                    }
                }
                assertTrue(parent.waitFor(20, TimeUnit.SECONDS), "the parent did not exit after SIG" + signal);
                assertAllGone(kids, "SIG" + signal + " of the running parent");
                if (!signal.equals("KILL")) {
                    assertFalse(Files.exists(dir), "SIG" + signal + " left the run directory " + dir);
                } else if (Files.exists(dir)) {
                    // nothing can run in a SIGKILLed JVM to delete it: the test cleans up
                    try (var paths = Files.walk(dir)) {
                        for (Path f : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                            Files.delete(f);
                        }
                    }
                }
            } finally {
                parent.destroyForcibly();
            }
        }
    }

    /** An {@link OrphanParent} whose run directory goes under {@code tmp} (its java.io.tmpdir). */
    private static Process parent(Path tmp) throws Exception {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new java.util.ArrayList<>();
        if (sigintIgnoredHere()) {
            // A build started in the background by a non-interactive shell ignores SIGINT, and so does every
            // process it starts (an ignored signal survives exec; the JVM then installs no handler for it):
            // the parent gets SIGINT back to its default, as it has in a terminal where Ctrl-C reaches it.
            cmd.addAll(List.of("env", "--default-signal=INT"));
        }
        cmd.addAll(List.of(java, "-XX:+UseSerialGC", "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"),
                OrphanParent.class.getName()));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    /** Whether this JVM ignores SIGINT (bit 1 of SigIgn in /proc/self/status; false where there is no /proc). */
    private static boolean sigintIgnoredHere() throws Exception {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return false;
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(line.substring("SigIgn:".length()).trim(), 16) & 0b10) != 0;
            }
        }
        return false;
    }

    /** Whether SIGINT can be delivered to a parent this test starts ({@code env --default-signal}: coreutils 8.31+). */
    private static boolean sigintDeliverable() throws Exception {
        if (!sigintIgnoredHere()) {
            return true;
        }
        try {
            return new ProcessBuilder("env", "--default-signal=INT", "true").start().waitFor() == 0;
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static List<ProcessHandle> awaitChildren(Process parent, int k) {
        long deadline = System.nanoTime() + SECONDS_20;
        List<ProcessHandle> kids = List.of();
        while (System.nanoTime() - deadline < 0) {
            kids = parent.toHandle().children().toList();
            if (kids.size() >= k) {
                return kids;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        throw new AssertionError("the parent spawned " + kids.size() + " of " + k + " children within 20 s");
    }

    /** Waits, bounded, until every process is gone; kills the survivors so no test leaves orphans. */
    private static void assertAllGone(List<ProcessHandle> kids, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (kids.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        List<Long> alive = kids.stream().filter(ProcessHandle::isAlive).map(ProcessHandle::pid).toList();
        kids.forEach(ProcessHandle::destroyForcibly);
        assertTrue(alive.isEmpty(), what + " left children alive after 10 s: " + alive);
    }
}
