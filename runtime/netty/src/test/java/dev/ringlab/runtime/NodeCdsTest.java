package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link NodeCds}: which class paths get an archive, what its name depends on, and that an archive is only ever
 * moved into place whole. (The archive itself is the JDK's; {@code .ci/run} checks that the CLI's processes runs make
 * and map one.)
 */
class NodeCdsTest {
    /**
     * A JVM started with the node's default options and {@link NodeCds#LOG_TO_STDERR} on an archive dumped with the
     * same options (as node 0 dumps one) prints only its program's output on stdout and no class-data message on
     * stderr. JDK 25 logged three {@code [error][cds]} lines on every such start ("Disabling optimized module
     * handling": the node's {@code --enable-native-access}, without which the JDK's own archive was dumped).
     */
    @Test
    void aNodeJvmOnAnArchiveKeepsStdoutForItsProgramAndLogsNoClassDataMessage(@TempDir Path tmp) throws Exception {
        Path src = Files.writeString(tmp.resolve("Hello.java"),
                "public class Hello { public static void main(String[] a) { System.out.println(\"hello\"); } }");
        Path classes = Files.createDirectory(tmp.resolve("classes"));
        javax.tools.JavaCompiler javac = javax.tools.ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "a JDK runs the tests");
        assertEquals(0, javac.run(null, null, null, "-d", classes.toString(), src.toString()));
        Path jar = tmp.resolve("hello.jar");
        try (java.util.jar.JarOutputStream out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
            out.putNextEntry(new java.util.jar.JarEntry("Hello.class"));
            out.write(Files.readAllBytes(classes.resolve("Hello.class")));
            out.closeEntry();
        }
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> base = new java.util.ArrayList<>(List.of(java));
        base.addAll(ProcessCluster.DEFAULT_NODE_JAVA_OPTS);
        base.addAll(NodeCds.LOG_TO_STDERR);
        base.addAll(List.of("-cp", jar.toString()));
        Path archive = tmp.resolve("hello.jsa");

        List<String> dump = new java.util.ArrayList<>(base);
        dump.addAll(List.of("-XX:ArchiveClassesAtExit=" + archive, "Hello"));
        String[] dumped = run(dump, tmp);
        assertEquals("hello\n", dumped[0], "stdout of the dumping JVM; its stderr: " + dumped[1]);
        assertTrue(Files.size(archive) > 0, "the archive was written; stderr: " + dumped[1]);

        List<String> mapped = new java.util.ArrayList<>(base);
        mapped.addAll(List.of("-XX:SharedArchiveFile=" + archive, "Hello"));
        String[] started = run(mapped, tmp);
        assertEquals("hello\n", started[0], "stdout of a JVM on the archive; its stderr: " + started[1]);
        assertFalse(started[1].contains("[cds"), started[1]);
    }

    /** Runs {@code cmd} in {@code dir}: its stdout and stderr; fails unless it exits 0 within 60 s. */
    private static String[] run(List<String> cmd, Path dir) throws Exception {
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile())
                .start();
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "exited within 60 s: " + cmd);
        String[] r = {Files.readString(out), Files.readString(err)};
        assertEquals(0, p.exitValue(), cmd + ": " + r[1]);
        return r;
    }

    @Test
    void onlyAClassPathOfJarsGetsAnArchiveNamedAfterTheJavaBinaryAndEveryJar(@TempDir Path tmp) throws Exception {
        Path a = Files.write(tmp.resolve("a.jar"), new byte[] {1, 2, 3});
        Path b = Files.write(tmp.resolve("b.jar"), new byte[] {4});
        String cp = a + File.pathSeparator + b;
        Path archive = NodeCds.archive("/jdk/bin/java", cp);
        assertNotNull(archive, cp);
        assertEquals(NodeCds.directory(), archive.getParent());
        assertTrue(archive.getFileName().toString().matches("node-[0-9a-f]{16}\\.jsa"), archive.toString());
        assertEquals(archive, NodeCds.archive("/jdk/bin/java", cp), "the same inputs, the same archive");
        assertEquals(archive, NodeCds.archive("/jdk/bin/java", cp + File.pathSeparator), "an empty entry adds nothing");
        assertNotEquals(archive, NodeCds.archive("/other/bin/java", cp), "another java binary");
        assertNotEquals(archive, NodeCds.archive("/jdk/bin/java", a.toString()), "another class path");

        Files.setLastModifiedTime(b, FileTime.fromMillis(Files.getLastModifiedTime(b).toMillis() - 60_000));
        Path rebuilt = NodeCds.archive("/jdk/bin/java", cp);
        assertNotEquals(archive, rebuilt, "a jar rebuilt (another modification time)");
        Files.write(b, new byte[] {4, 5});
        assertNotEquals(rebuilt, NodeCds.archive("/jdk/bin/java", cp), "a jar of another size");

        Path classes = Files.createDirectories(tmp.resolve("classes"));
        assertNull(NodeCds.archive("/jdk/bin/java", cp + File.pathSeparator + classes), "a directory: CDS cannot archive it");
        assertNull(NodeCds.archive("/jdk/bin/java", tmp.resolve("missing.jar").toString()), "a jar that is not there");
        assertNull(NodeCds.archive("/jdk/bin/java", ""), "no class path");
    }

    @Test
    void anArchiveIsMovedIntoPlaceWholeAndOtherBuildsArchivesGo(@TempDir Path tmp) throws Exception {
        Path archive = tmp.resolve("node-00000000000000aa.jsa");
        Path older = Files.write(tmp.resolve("node-00000000000000bb.jsa"), new byte[] {9});
        Path unrelated = Files.write(tmp.resolve("notes.txt"), new byte[] {1});

        Path empty = Files.write(tmp.resolve("node-00000000000000aa.jsa.1.2.tmp"), new byte[0]);
        NodeCds.install(empty, archive);
        assertFalse(Files.exists(archive), "an empty file (a JVM that wrote nothing) is not installed");
        assertFalse(Files.exists(empty), "and is removed");
        NodeCds.install(tmp.resolve("node-00000000000000aa.jsa.3.4.tmp"), archive);
        assertFalse(Files.exists(archive), "nor a missing one");
        assertTrue(Files.exists(older), "nothing else changes when nothing is installed");

        Path pending = Files.write(tmp.resolve("node-00000000000000aa.jsa.5.6.tmp"), new byte[] {7, 7, 7});
        NodeCds.install(pending, archive);
        assertEquals(List.of((byte) 7, (byte) 7, (byte) 7), List.of(toBoxed(Files.readAllBytes(archive))));
        assertFalse(Files.exists(pending), "moved, not copied");
        assertFalse(Files.exists(older), "another build's archive is deleted");
        assertTrue(Files.exists(unrelated), "files that are not archives stay");
    }

    @Test
    void theFileANodeWritesIsNextToTheArchiveAndUniqueToTheCall(@TempDir Path tmp) throws Exception {
        Path archive = tmp.resolve("sub").resolve("node-00000000000000aa.jsa");
        Path p1 = NodeCds.pendingFile(archive);
        Path p2 = NodeCds.pendingFile(archive);
        assertEquals(archive.getParent(), p1.getParent());
        assertTrue(Files.isDirectory(archive.getParent()), "the directory is made");
        assertTrue(p1.getFileName().toString().startsWith(archive.getFileName() + "."), p1.toString());
        assertNotEquals(p1, p2);
    }

    /** The node JVMs run what an archive holds: a directory another user could write to is not used. */
    @Test
    void aDirectoryOthersCanWriteToOrALinkIsNotUsedAndANewOneIsMadeForThisUserAlone(@TempDir Path tmp) throws Exception {
        Path archive = tmp.resolve("cds").resolve("node-00000000000000aa.jsa");
        Path pending = NodeCds.pendingFile(archive);
        assertTrue(NodeCds.private_(pending.getParent()), "made mode 0700");
        assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(pending.getParent())));

        Path shared = Files.createDirectory(tmp.resolve("shared"));
        Files.setPosixFilePermissions(shared, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        assertFalse(NodeCds.private_(shared), "writable by others");
        assertThrows(java.io.IOException.class, () -> NodeCds.pendingFile(shared.resolve("node-00000000000000aa.jsa")));
        Files.setPosixFilePermissions(shared, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwx---"));
        assertFalse(NodeCds.private_(shared), "writable by the group");

        Path link = Files.createSymbolicLink(tmp.resolve("link"), pending.getParent());
        assertFalse(NodeCds.private_(link), "a link, even to a private directory");
        assertFalse(NodeCds.private_(tmp.resolve("missing")), "not there");
    }

    private static Byte[] toBoxed(byte[] b) {
        Byte[] out = new Byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[i];
        }
        return out;
    }
}
