package dev.ringlab.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * The cluster file of a multi-process cluster (JSON), read by {@code ringlab node --id I --cluster FILE}:
 *
 * <pre>
 * {"topology":"ring","n":4,"seed":1,"protocol":"token","secret_file":"/tmp/.../secret","start":"stdin",
 *  "latency":"const:2ms","loss":0.0,"connections":"lazy:1s",
 *  "nodes":[{"id":0,"host":"127.0.0.1","port":40001,"admin_port":40002}, ...]}
 * </pre>
 *
 * {@code latency} (a link-latency spec, or null / absent for none) and {@code loss} (0..1, absent: 0) are
 * the {@link LinkEmulation} every node adds on its send path, drawn from generators seeded from
 * {@code seed} ({@link LinkEmulation#of}). {@code connections} is the nodes' {@link ConnectionPolicy} spec
 * ({@code eager}, {@code lazy}, {@code lazy:IDLE}); null or absent: the protocol's default
 * ({@link ConnectionPolicy#resolve}).
 *
 * <p>The overlay: a node rebuilds it from {@code topology}, {@code n} and {@code seed} with
 * {@link Topologies#build}, unless the file carries {@code "adjacency":[[1,2],[0,2],...]} (each node's
 * (out-)neighbours) and {@code "directed":true|false}, which the parent writes for an overlay the topology
 * spec does not rebuild exactly (one built by hand or by a protocol, such as {@code successor-ring:R}); see
 * {@link #overlay()}.
 *
 * {@code start} is {@code "stdin"} when a parent sends {@code start} on the node's stdin once every node
 * is connected, {@code "linked"} when the node starts itself once its own edges are up. The secret file
 * holds the cluster secret in hex and must be readable by its owner only.
 */
public record ClusterFile(String topology, int n, long seed, String protocol, Path secretFile, String start,
        List<Endpoint> nodes, String latency, double loss, boolean directed, int[][] adjacency, String connections) {

    /** Where node {@code id} listens for peers and serves its admin endpoint. */
    public record Endpoint(int id, String host, int port, int adminPort) {}

    public ClusterFile {
        nodes = List.copyOf(nodes);
        if (nodes.size() != n) {
            throw new IllegalArgumentException("cluster file lists " + nodes.size() + " nodes for n = " + n);
        }
        for (int i = 0; i < n; i++) {
            if (nodes.get(i).id() != i) {
                throw new IllegalArgumentException("cluster file: node at index " + i + " has id " + nodes.get(i).id());
            }
        }
        if (!start.equals("stdin") && !start.equals("linked")) {
            throw new IllegalArgumentException("cluster file: start must be stdin or linked, got " + start);
        }
        if (!(loss >= 0 && loss <= 1)) {
            throw new IllegalArgumentException("cluster file: loss must be in 0..1, got " + loss);
        }
        if (connections != null) {
            try {
                ConnectionPolicy.parse(connections);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("cluster file: connections: " + e.getMessage());
            }
        }
        if (adjacency != null) {
            if (adjacency.length != n) {
                throw new IllegalArgumentException("cluster file: adjacency has " + adjacency.length + " rows for n = " + n);
            }
            adjacency = Arrays.stream(adjacency).map(int[]::clone).toArray(int[][]::new);
        }
    }

    /** A cluster file with the protocol's default connection policy. */
    public ClusterFile(String topology, int n, long seed, String protocol, Path secretFile, String start,
            List<Endpoint> nodes, String latency, double loss, boolean directed, int[][] adjacency) {
        this(topology, n, seed, protocol, secretFile, start, nodes, latency, loss, directed, adjacency, null);
    }

    /** A cluster file without link emulation, whose overlay the topology spec rebuilds. */
    public ClusterFile(String topology, int n, long seed, String protocol, Path secretFile, String start,
            List<Endpoint> nodes) {
        this(topology, n, seed, protocol, secretFile, start, nodes, null, 0);
    }

    /** A cluster file whose overlay the topology spec rebuilds. */
    public ClusterFile(String topology, int n, long seed, String protocol, Path secretFile, String start,
            List<Endpoint> nodes, String latency, double loss) {
        this(topology, n, seed, protocol, secretFile, start, nodes, latency, loss, false, null);
    }

    /** The same cluster with other endpoints (e.g. {@code --bind}). */
    public ClusterFile withNodes(List<Endpoint> endpoints) {
        return new ClusterFile(topology, n, seed, protocol, secretFile, start, endpoints, latency, loss, directed, adjacency,
                connections);
    }

    /** The same cluster with connection policy {@code spec} ({@link ConnectionPolicy#parse}; null: the protocol's default). */
    public ClusterFile withConnections(String spec) {
        return new ClusterFile(topology, n, seed, protocol, secretFile, start, nodes, latency, loss, directed, adjacency, spec);
    }

    /** The nodes' connection policy: {@link #connections} parsed, or the protocol's default when it is null. */
    public ConnectionPolicy connectionPolicy(dev.ringlab.node.Protocol p) {
        return ConnectionPolicy.resolve(connections == null ? null : ConnectionPolicy.parse(connections), p);
    }

    /**
     * The same cluster carrying {@code overlay}'s adjacency if {@link Topologies#build} does not rebuild it
     * exactly from its spec, {@code n} and {@code seed} (otherwise the file stays small).
     */
    public ClusterFile withOverlay(Overlay overlay) {
        if (overlay.size() != n) {
            throw new IllegalArgumentException("overlay of " + overlay.size() + " nodes for n = " + n);
        }
        if (rebuilds(overlay, seed)) {
            return new ClusterFile(topology, n, seed, protocol, secretFile, start, nodes, latency, loss, false, null,
                    connections);
        }
        int[][] adj = new int[n][];
        for (int v = 0; v < n; v++) {
            adj[v] = overlay.neighbours(v);
        }
        return new ClusterFile(topology, n, seed, protocol, secretFile, start, nodes, latency, loss, overlay.directed(), adj,
                connections);
    }

    /** Whether the topology spec of {@code overlay} rebuilds exactly {@code overlay} for this seed. */
    static boolean rebuilds(Overlay overlay, long seed) {
        Overlay again;
        try {
            again = Topologies.build(overlay.spec(), overlay.size(), seed);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return again.directed() == overlay.directed() && Arrays.equals(again.offsets(), overlay.offsets())
                && Arrays.equals(again.targets(), overlay.targets());
    }

    /**
     * The overlay: from {@code adjacency} if the file has one, else rebuilt from the topology spec.
     *
     * @throws IllegalArgumentException if the spec does not build (a bad spec, or one that does not fit n)
     */
    public Overlay overlay() {
        if (adjacency != null) {
            return Overlay.fromAdjacency(topology, directed, adjacency);
        }
        return Topologies.build(topology, n, seed);
    }

    public InetSocketAddress[] addresses() {
        InetSocketAddress[] a = new InetSocketAddress[n];
        for (Endpoint e : nodes) {
            a[e.id()] = new InetSocketAddress(e.host(), e.port());
        }
        return a;
    }

    public static ClusterFile read(Path file) throws IOException {
        JsonNode j = ObservationJson.MAPPER.readTree(file.toFile());
        List<Endpoint> nodes = new ArrayList<>();
        for (JsonNode e : j.path("nodes")) {
            nodes.add(new Endpoint(e.path("id").asInt(-1), e.path("host").asText("127.0.0.1"), e.path("port").asInt(),
                    e.path("admin_port").asInt(-1)));
        }
        Path secret = Path.of(j.path("secret_file").asText());
        if (!secret.isAbsolute()) {
            secret = file.toAbsolutePath().getParent().resolve(secret);
        }
        JsonNode latency = j.path("latency");
        int[][] adjacency = null;
        if (j.path("adjacency").isArray()) {
            JsonNode rows = j.path("adjacency");
            adjacency = new int[rows.size()][];
            for (int v = 0; v < rows.size(); v++) {
                JsonNode row = rows.get(v);
                adjacency[v] = new int[row.size()];
                for (int i = 0; i < row.size(); i++) {
                    adjacency[v][i] = row.get(i).asInt(-1);
                }
            }
        }
        return new ClusterFile(j.path("topology").asText(), j.path("n").asInt(), j.path("seed").asLong(),
                j.path("protocol").asText(), secret, j.path("start").asText("linked"), nodes,
                latency.isTextual() ? latency.asText() : null, j.path("loss").asDouble(0), j.path("directed").asBoolean(false),
                adjacency, j.path("connections").isTextual() ? j.path("connections").asText() : null);
    }

    public void write(Path file) throws IOException {
        ObjectNode j = ObservationJson.MAPPER.createObjectNode();
        j.put("topology", topology);
        j.put("n", n);
        j.put("seed", seed);
        j.put("protocol", protocol);
        j.put("secret_file", secretFile.toString());
        j.put("start", start);
        if (latency == null) {
            j.putNull("latency");
        } else {
            j.put("latency", latency);
        }
        j.put("loss", loss);
        if (connections == null) {
            j.putNull("connections");
        } else {
            j.put("connections", connections);
        }
        ArrayNode a = j.putArray("nodes");
        for (Endpoint e : nodes) {
            a.addObject().put("id", e.id()).put("host", e.host()).put("port", e.port()).put("admin_port", e.adminPort());
        }
        if (adjacency != null) {
            j.put("directed", directed);
            ArrayNode rows = j.putArray("adjacency");
            for (int[] row : adjacency) {
                ArrayNode r = rows.addArray();
                for (int v : row) {
                    r.add(v);
                }
            }
        }
        Files.writeString(file, ObservationJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(j) + "\n");
    }

    /** Writes {@code secret} in hex to a new file readable and writable by its owner only (0600). */
    public static void writeSecret(Path file, byte[] secret) throws IOException {
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, HexFormat.of().formatHex(secret) + "\n");
    }

    /**
     * Refuses a secret file that group or others may read or write: anyone who can read it can join the
     * cluster as a node. A file system without POSIX permissions is not checked.
     *
     * @throws IllegalArgumentException one line naming the file, its mode and the fix ({@code chmod 600 FILE})
     */
    public static void requirePrivate(Path secretFile) throws IOException {
        java.util.Set<java.nio.file.attribute.PosixFilePermission> perms;
        try {
            perms = Files.getPosixFilePermissions(secretFile);
        } catch (UnsupportedOperationException e) {
            return;
        }
        java.util.Set<java.nio.file.attribute.PosixFilePermission> open = java.util.EnumSet.noneOf(
                java.nio.file.attribute.PosixFilePermission.class);
        for (java.nio.file.attribute.PosixFilePermission p : perms) {
            if (p.name().startsWith("GROUP_") || p.name().startsWith("OTHERS_")) {
                open.add(p);
            }
        }
        if (!open.isEmpty()) {
            throw new IllegalArgumentException("secret file " + secretFile + " is accessible by group or others ("
                    + PosixFilePermissions.toString(perms) + "); make it private to its owner: chmod 600 " + secretFile);
        }
    }

    /** The secret, from a file private to its owner ({@link #requirePrivate}). */
    public byte[] readSecret() throws IOException {
        requirePrivate(secretFile);
        return HexFormat.of().parseHex(Files.readString(secretFile).trim());
    }
}
