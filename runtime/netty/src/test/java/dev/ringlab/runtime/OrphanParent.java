package dev.ringlab.runtime;

import dev.ringlab.node.protocols.Flood;
import dev.ringlab.topology.Overlay;

/**
 * A parent JVM for {@link ProcessSupervisionTest}: starts a three-node processes cluster, prints
 * {@code started DIR}, then waits to be killed (the test kills it with SIGKILL or SIGTERM).
 */
public final class OrphanParent {
    private OrphanParent() {}

    public static void main(String[] args) throws Exception {
        Overlay triangle = Overlay.fromAdjacency("test-triangle", false, new int[][] {{1, 2}, {0, 2}, {0, 1}});
        ProcessCluster c = new ProcessCluster(triangle, Flood.PROTOCOL, 1, ProcessCluster.selfLauncher());
        c.start();
        System.out.println("started " + c.directory());
        System.out.flush();
        Thread.sleep(120_000); // never closes: only a signal ends this JVM
        System.exit(1);
    }
}
