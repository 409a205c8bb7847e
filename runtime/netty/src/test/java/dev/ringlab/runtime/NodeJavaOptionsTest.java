package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeJavaOptionsTest {
    @Test
    void theEnvironmentVariableReplacesTheDefaultsWordByWord() {
        assertEquals(ProcessCluster.DEFAULT_NODE_JAVA_OPTS, ProcessCluster.nodeJavaOptions(null));
        assertEquals(ProcessCluster.DEFAULT_NODE_JAVA_OPTS, ProcessCluster.nodeJavaOptions("  "));
        assertEquals(List.of("-XX:+UseZGC", "-Xmx256m"), ProcessCluster.nodeJavaOptions(" -XX:+UseZGC \t -Xmx256m\n"));
    }

    @Test
    void hugePagesAreAskedForOnlyWhereTheKernelOffersThemToAProgramThatAsks(@TempDir Path dir) throws Exception {
        Path mode = dir.resolve("enabled");
        Files.writeString(mode, "always [madvise] never\n");
        assertTrue(ProcessCluster.hugePagesOffered(mode));
        Files.writeString(mode, "[always] madvise never\n");
        assertTrue(ProcessCluster.hugePagesOffered(mode));
        Files.writeString(mode, "always madvise [never]\n");
        assertFalse(ProcessCluster.hugePagesOffered(mode));
        assertFalse(ProcessCluster.hugePagesOffered(dir.resolve("absent")), "another OS: no such file");

        List<String> with = ProcessCluster.defaultNodeJavaOptions(true);
        List<String> without = ProcessCluster.defaultNodeJavaOptions(false);
        assertEquals(with.indexOf("-XX:+AlwaysPreTouch") + 1, with.indexOf("-XX:+UseTransparentHugePages"), with.toString());
        assertFalse(without.contains("-XX:+UseTransparentHugePages"), without.toString());
        List<String> rest = new java.util.ArrayList<>(with);
        rest.remove("-XX:+UseTransparentHugePages");
        assertEquals(without, rest);
    }

    @Test
    void theSelfLauncherRunsNodeMainWithTheDefaultsWhenTheVariableIsUnset() {
        List<String> cmd = ProcessCluster.selfLauncher();
        if (System.getenv(ProcessCluster.NODE_JAVA_OPTS_ENV) == null) {
            assertEquals(ProcessCluster.DEFAULT_NODE_JAVA_OPTS, cmd.subList(1, 1 + ProcessCluster.DEFAULT_NODE_JAVA_OPTS.size()));
            // The JVM's own warnings (an archive it cannot map, say) go to the node's log, not to stdout, the node's
            // channel to the driver: also on a class path of directories (this build's), where no class-data
            // archive applies.
            assertTrue(java.util.Collections.indexOfSubList(cmd, NodeCds.LOG_TO_STDERR) > 0, cmd.toString());
            assertEquals(ProcessCluster.hugePagesOffered(ProcessCluster.THP_MODE_FILE),
                    cmd.contains("-XX:+UseTransparentHugePages"), cmd.toString());
        }
        assertEquals(NodeMain.class.getName(), cmd.get(cmd.size() - 1));
        // The classpath goes in the children's environment: a long one would hide the command line from
        // ProcessHandle.Info#arguments (empty above 4 KB on Linux).
        assertFalse(cmd.contains("-cp"), cmd.toString());
    }
}
