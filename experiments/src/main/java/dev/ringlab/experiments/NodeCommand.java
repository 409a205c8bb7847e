package dev.ringlab.experiments;

import dev.ringlab.node.Protocol;
import dev.ringlab.node.ProtocolRegistry;
import dev.ringlab.runtime.ClusterFile;
import dev.ringlab.runtime.LinkEmulation;
import dev.ringlab.runtime.NodeProcess;
import dev.ringlab.runtime.RuntimeConfig;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ringlab node --id I --cluster FILE}: one node of a multi-process cluster (see
 * {@link NodeProcess} for its stdio protocol and {@link ClusterFile} for the file).
 */
@Command(
        name = "node",
        mixinStandardHelpOptions = true,
        description = {
            "Run one node of a multi-process cluster (the processes engine starts these itself).",
            "stdout: one JSON line per event and observation; stdin: start, partition G0,G1,..., heal, stop.",
            "Peer and admin sockets bind to the host the cluster file gives this node (127.0.0.1 unless --bind).",
            "The cluster file's latency and loss, if any, are added on this node's send path, seeded from its seed and --id."
        })
public final class NodeCommand implements Callable<Integer> {
    @Option(names = "--id", required = true, description = "This node's id, 0..n-1.")
    int id;

    @Option(names = "--cluster", required = true, paramLabel = "FILE", description = "The cluster file (JSON).")
    Path cluster;

    @Option(names = "--bind", paramLabel = "HOST",
            description = "Listen on HOST instead of the cluster file's host for this node.")
    String bind;

    @Override
    public Integer call() throws IOException {
        ClusterFile file;
        try {
            file = ClusterFile.read(cluster);
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageException("--cluster", "cannot read " + cluster + ": " + e.getMessage());
        }
        if (id < 0 || id >= file.n()) {
            throw new UsageException("--id", "must be in 0.." + (file.n() - 1) + ", got " + id);
        }
        Overlay overlay;
        Protocol protocol;
        try {
            overlay = Topologies.build(file.topology(), file.n(), file.seed());
            protocol = protocol(file.protocol());
        } catch (IllegalArgumentException e) {
            throw new UsageException("--cluster", e.getMessage());
        }
        LinkEmulation emulation;
        try {
            emulation = Engines.emulation(file.latency(), file.loss());
        } catch (UsageException e) {
            throw new UsageException("--cluster", "bad link emulation in " + cluster + ": " + e.getMessage());
        }
        RuntimeConfig config = RuntimeConfig.defaults();
        if (bind != null) {
            List<ClusterFile.Endpoint> eps = new ArrayList<>(file.nodes());
            ClusterFile.Endpoint me = eps.get(id);
            eps.set(id, new ClusterFile.Endpoint(id, bind, me.port(), me.adminPort()));
            file = file.withNodes(eps);
        }
        return NodeProcess.run(id, file, overlay, protocol, config, emulation, System.out, System.in);
    }

    /** The protocol of a spec as {@link Protocol#spec()} writes it, through the protocol registry. */
    static Protocol protocol(String spec) {
        return ProtocolRegistry.standard().protocol(spec);
    }
}
