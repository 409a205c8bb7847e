package dev.ringlab.experiments;

import dev.ringlab.runtime.ClusterFile;
import dev.ringlab.runtime.NodeMain;
import dev.ringlab.runtime.NodeProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ringlab node --id I --cluster FILE}: one node of a multi-process cluster. The CLI face of
 * {@link NodeMain}, which does the work (and which the processes engine launches directly); see
 * {@link NodeProcess} for its stdio protocol and {@link ClusterFile} for the file.
 */
@Command(
        name = "node",
        mixinStandardHelpOptions = true,
        description = {
            "Run one node of a multi-process cluster (the processes engine starts these itself).",
            "stdout: one JSON line per event, observation and counters report; stdin: start, partition G0,G1,...,",
            "heal, slow V NANOS, loss P, down V, up V, counters S, stop.",
            "The protocol is rebuilt from the cluster file's spec through the protocol registry (any protocol on the",
            "class path); the overlay from its topology spec or its adjacency list.",
            "Peer and admin sockets bind to the host the cluster file gives this node (127.0.0.1 unless --bind).",
            "The cluster file's latency and loss, if any, are added on this node's send path, seeded from its seed and --id.",
            "Its connections (eager, lazy or lazy:IDLE; absent or null: lazy:1s for hyparview+plumtree, eager otherwise)",
            "is when this node opens and closes its peer connections (README, \"Connections\")."
        })
public final class NodeCommand implements Callable<Integer> {
    @Option(names = "--id", required = true, description = "This node's id, 0..n-1.")
    int id;

    @Option(names = "--cluster", required = true, paramLabel = "FILE", description = "The cluster file (JSON).")
    Path cluster;

    @Option(names = "--bind", paramLabel = "HOST",
            description = "Listen on HOST instead of the cluster file's host for this node.")
    String bind;

    @Option(names = "--detached",
            description = "Run without a parent: ignore stdin and run until SIGTERM/SIGINT (a node started by a service "
                    + "manager or a Kubernetes pod, README \"The runtime across hosts\"). Needs a cluster file with "
                    + "\"start\":\"linked\" (the node starts itself once its edges are up); without it the node "
                    + "stops when its stdin ends.")
    boolean detached;

    @Override
    public Integer call() throws IOException {
        try {
            if (detached) {
                String start;
                try {
                    start = ClusterFile.read(cluster).start();
                } catch (IOException | IllegalArgumentException e) {
                    throw new UsageException("--cluster", "cannot read " + cluster + ": " + e.getMessage());
                }
                if (!start.equals("linked")) {
                    throw new UsageException("--detached", "the cluster file says \"start\":\"" + start + "\", so the node "
                            + "would wait for a start command on stdin forever; write \"start\":\"linked\" in " + cluster);
                }
            }
            return NodeMain.run(id, cluster, bind, detached ? NodeMain.untilExit() : System.in, System.out);
        } catch (NodeMain.UsageError e) {
            throw new UsageException(e.flag(), e.getMessage());
        }
    }
}
