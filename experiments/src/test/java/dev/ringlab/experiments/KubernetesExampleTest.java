package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.ProtocolRegistry;
import dev.ringlab.runtime.ClusterFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kubernetes example (docs/kubernetes/ringlab.yaml) cannot be applied here (no cluster), so this checks
 * what can be checked without one: its cluster.json is a cluster file a node reads, with a buildable overlay,
 * a protocol the registry rebuilds, "start":"linked" (its nodes run --detached), one entry per replica named by
 * the pod ordinal, and the secret file where the Secret is mounted.
 */
class KubernetesExampleTest {
    @Test
    void theConfigMapsClusterFileIsOneANodeReads(@TempDir Path dir) throws Exception {
        Path root = Path.of("").toAbsolutePath();
        while (root != null && !Files.exists(root.resolve("docs/kubernetes/ringlab.yaml"))) {
            root = root.getParent();
        }
        assertTrue(root != null, "docs/kubernetes/ringlab.yaml not found above " + Path.of("").toAbsolutePath());
        List<String> yaml = Files.readAllLines(root.resolve("docs/kubernetes/ringlab.yaml"));
        int at = yaml.indexOf("  cluster.json: |");
        assertTrue(at >= 0, "the ConfigMap's cluster.json block");
        StringBuilder json = new StringBuilder();
        for (int i = at + 1; i < yaml.size() && yaml.get(i).startsWith("    "); i++) {
            json.append(yaml.get(i).substring(4)).append('\n');
        }
        assertFalse(json.isEmpty(), "cluster.json is empty");
        Path f = dir.resolve("cluster.json");
        Files.writeString(f, json);
        ClusterFile c = ClusterFile.read(f);
        int replicas = yaml.stream().filter(l -> l.trim().startsWith("replicas:")).map(l -> Integer.parseInt(l.trim().substring(9).trim()))
                .findFirst().orElseThrow();
        assertEquals(replicas, c.n(), "one node per replica");
        assertEquals(c.n(), c.overlay().size());
        ProtocolRegistry.standard().protocol(c.protocol()); // rebuildable in a node
        assertEquals("linked", c.start(), "the pods run --detached: they start themselves");
        assertEquals(Path.of("/etc/ringlab-secret/secret"), c.secretFile());
        assertTrue(yaml.contains("          mountPath: /etc/ringlab-secret") || yaml.stream().anyMatch(l -> l.trim().equals("mountPath: /etc/ringlab-secret")),
                "the Secret is mounted where the cluster file looks");
        for (ClusterFile.Endpoint e : c.nodes()) {
            assertTrue(e.host().startsWith("ringlab-" + e.id() + ".ringlab."), "node " + e.id() + " is pod ringlab-" + e.id() + ": " + e.host());
        }
    }
}
