package dev.ringlab.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the {@code processes} engine runs each node when they are not all on loopback: per node, the address
 * it listens on (and peers and the driver dial), its ports, and an exec prefix the driver puts in front of the
 * node's command. Read from a hosts file ({@code --hosts FILE}):
 *
 * <pre>
 * {"nodes":[
 *   {"host":"10.77.0.1","port":7000,"admin_port":7001,"exec":["ip","netns","exec","rl0"]},
 *   {"host":"10.77.0.2","port":7000,"admin_port":7001,"exec":["ip","netns","exec","rl1"]},
 *   ...]}
 * </pre>
 *
 * Entry {@code i} is node {@code i}. {@code port}/{@code admin_port} 0 or absent: the driver picks free ports
 * (meaningful only where the node shares the driver's network stack). {@code exec} absent: none.
 *
 * <p>The driver still talks to every node over the node's stdin and stdout, kills a crashed node by
 * SIGKILL of the process it started, and stops a paused one by SIGSTOP of it: so the exec prefix must
 * {@code exec} the node's command in place (as {@code ip netns exec NS} and {@code nsenter} do), or a crash
 * would kill the prefix and leave the node running. A prefix that starts the node on another machine (e.g.
 * {@code ssh}) therefore crashes the ssh client, not the node; for such clusters run {@code ringlab node} on
 * each machine yourself (README, "The runtime across hosts"). Every node must also see the run directory
 * (cluster file, secret) at the same path: true of network namespaces on one machine, or of a shared file
 * system.
 */
public record NodeHosts(List<Entry> nodes) {
    /** One node's address, ports (0: pick one) and exec prefix (empty: none). */
    public record Entry(String host, int port, int adminPort, List<String> exec) {
        public Entry {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("a node's host is missing or blank");
            }
            if (port < 0 || port > 65535 || adminPort < 0 || adminPort > 65535) {
                throw new IllegalArgumentException("host " + host + ": ports must be in 0..65535, got " + port + " and " + adminPort);
            }
            if (port != 0 && port == adminPort) {
                throw new IllegalArgumentException("host " + host + ": port and admin_port are both " + port);
            }
            exec = List.copyOf(exec);
        }
    }

    public NodeHosts {
        nodes = List.copyOf(nodes);
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("no nodes");
        }
    }

    public int size() {
        return nodes.size();
    }

    public Entry node(int v) {
        return nodes.get(v);
    }

    /**
     * Reads a hosts file.
     *
     * @throws IllegalArgumentException naming the file and what is wrong in it (one line)
     */
    public static NodeHosts read(Path file) {
        JsonNode j;
        try {
            j = ObservationJson.MAPPER.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read hosts file " + file + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (j == null || !j.path("nodes").isArray()) {
            throw new IllegalArgumentException("hosts file " + file + ": expected {\"nodes\":[{\"host\":...,\"port\":...,"
                    + "\"admin_port\":...,\"exec\":[...]}, ...]}");
        }
        List<Entry> out = new ArrayList<>();
        int i = 0;
        for (JsonNode e : j.path("nodes")) {
            List<String> exec = new ArrayList<>();
            JsonNode x = e.path("exec");
            if (!x.isMissingNode() && !x.isNull()) {
                if (!x.isArray()) {
                    throw new IllegalArgumentException("hosts file " + file + ": node " + i + ": exec must be an array of words");
                }
                x.forEach(w -> exec.add(w.asText()));
            }
            try {
                out.add(new Entry(e.path("host").asText(""), e.path("port").asInt(0), e.path("admin_port").asInt(0), exec));
            } catch (IllegalArgumentException bad) {
                throw new IllegalArgumentException("hosts file " + file + ": node " + i + ": " + bad.getMessage());
            }
            i++;
        }
        try {
            return new NodeHosts(out);
        } catch (IllegalArgumentException bad) {
            throw new IllegalArgumentException("hosts file " + file + ": " + bad.getMessage());
        }
    }
}
