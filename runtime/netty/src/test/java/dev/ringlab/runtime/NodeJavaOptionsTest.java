package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class NodeJavaOptionsTest {
    @Test
    void theEnvironmentVariableReplacesTheDefaultsWordByWord() {
        assertEquals(ProcessCluster.DEFAULT_NODE_JAVA_OPTS, ProcessCluster.nodeJavaOptions(null));
        assertEquals(ProcessCluster.DEFAULT_NODE_JAVA_OPTS, ProcessCluster.nodeJavaOptions("  "));
        assertEquals(List.of("-XX:+UseZGC", "-Xmx256m"), ProcessCluster.nodeJavaOptions(" -XX:+UseZGC \t -Xmx256m\n"));
    }

    @Test
    void theSelfLauncherRunsNodeMainWithTheDefaultsWhenTheVariableIsUnset() {
        List<String> cmd = ProcessCluster.selfLauncher();
        if (System.getenv(ProcessCluster.NODE_JAVA_OPTS_ENV) == null) {
            assertEquals(ProcessCluster.DEFAULT_NODE_JAVA_OPTS, cmd.subList(1, 1 + ProcessCluster.DEFAULT_NODE_JAVA_OPTS.size()));
            // The JVM's own warnings (huge pages the OS does not offer, an archive it cannot map) go to the node's
            // log, not to stdout, the node's channel to the driver: also on a class path of directories (this
            // build's), where no class-data archive applies.
            assertTrue(java.util.Collections.indexOfSubList(cmd, NodeCds.LOG_TO_STDERR) > 0, cmd.toString());
            assertTrue(cmd.contains("-XX:+UseTransparentHugePages"), cmd.toString());
        }
        assertEquals(NodeMain.class.getName(), cmd.get(cmd.size() - 1));
        // The classpath goes in the children's environment: a long one would hide the command line from
        // ProcessHandle.Info#arguments (empty above 4 KB on Linux).
        assertFalse(cmd.contains("-cp"), cmd.toString());
    }
}
