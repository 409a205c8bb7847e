package dev.ringlab.runtime;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * A class-data-sharing archive for the node JVMs (the JDK's dynamic AppCDS archive: the classes a node loads,
 * parsed and verified once, mapped by every later node JVM instead of loaded again). Starting many node JVMs at
 * once on a few cores is CPU-bound: 48 of them on 2 cores bound their ports 35-60 s after they were spawned. With
 * the archive a 32-node {@code broadcast --engine processes} took 33 and 39 s against 48 and 51 s without
 * (2026-12-06, alternating, load 10-30); a respawned node starts faster too.
 *
 * <p>The JDK's own {@code -XX:+AutoCreateSharedArchive} would have every node JVM of a cluster write the same
 * file as it exits; here one node JVM of a cluster (node 0's first incarnation) writes the archive to a file of
 * its own ({@code -XX:ArchiveClassesAtExit}), and only once it has exited with status 0 is that file moved into
 * place, atomically, so no JVM ever maps a half-written archive. Until then the nodes run without one.
 *
 * <p>Only for a class path of jar files (the CLI's jar: CDS does not archive classes from directories, as a
 * build's {@code target/classes}) and only with the default node JVM options ({@link ProcessCluster#NODE_JAVA_OPTS_ENV}
 * unset). The archive's name hashes the java binary, its version and every jar's path, size and modification
 * time, so a new build or JDK gets a new archive; archives of other builds are deleted when one is installed.
 * The JVM's own warnings go to stderr (the node's log file), never on stdout, which is the node's channel to the
 * driver, and its class-data messages are off ({@link #LOG_TO_STDERR}): with the node's
 * {@code --enable-native-access}, which the JDK's own base archive was dumped without, JDK 25 logged three
 * {@code [error][cds]} lines ("Disabling optimized module handling") at every node's start although the node's
 * classes were shared, and in the log tail that a node's failed start reports they read as its cause. An archive
 * the JVM cannot map only makes the node start slower. The directory is made mode 0700, and one that is not
 * this user's alone (another owner, a link, writable by group or others) is not used: no archive then.
 */
final class NodeCds {
    /**
     * Options that route the node JVM's unified logging to stderr, warnings and errors only, and silence its class-data
     * messages (class-data sharing itself stays on).
     */
    static final List<String> LOG_TO_STDERR = List.of("-Xlog:disable", "-Xlog:all=warning:stderr",
            "-Xlog:cds*=off:stderr");

    private static final String PREFIX = "node-";
    private static final String SUFFIX = ".jsa";

    private NodeCds() {}

    /**
     * The archive for {@code java} and {@code classPath}, or null when CDS does not apply (an entry that is not a
     * jar file, or one that cannot be read).
     */
    static Path archive(String java, String classPath) {
        if (classPath == null || classPath.isBlank()) {
            return null;
        }
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update((java + "\n" + System.getProperty("java.vm.version") + "\n").getBytes(StandardCharsets.UTF_8));
            int jars = 0;
            for (String e : classPath.split(File.pathSeparator)) {
                if (e.isEmpty()) {
                    continue;
                }
                Path p = Path.of(e).toAbsolutePath();
                if (!p.getFileName().toString().endsWith(".jar") || !Files.isRegularFile(p)) {
                    return null;
                }
                d.update((p + "\n" + Files.size(p) + "\n" + Files.getLastModifiedTime(p).toMillis() + "\n")
                        .getBytes(StandardCharsets.UTF_8));
                jars++;
            }
            if (jars == 0) {
                return null;
            }
            String name = PREFIX + HexFormat.of().formatHex(d.digest(), 0, 8) + SUFFIX;
            Path dir = directory();
            return Files.exists(dir, LinkOption.NOFOLLOW_LINKS) && !private_(dir) ? null : dir.resolve(name);
        } catch (IOException | NoSuchAlgorithmException | RuntimeException e) {
            return null;
        }
    }

    /** Where the archives live: a directory of this user's under the temporary directory. */
    static Path directory() {
        return Path.of(System.getProperty("java.io.tmpdir"), "ringlab-cds-" + System.getProperty("user.name", "user"));
    }

    /**
     * Whether {@code dir} is a directory (not a link) of this user's that no one else may write to. The node JVMs
     * run the classes an archive holds, so one in a directory another user could write to is not used: the
     * directory's name under the shared temporary directory is predictable, and another user could make it first.
     */
    static boolean private_(Path dir) {
        try {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                return false;
            }
            String me = System.getProperty("user.name");
            if (!Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS).getName().equals(me)) {
                return false;
            }
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
            return !perms.contains(PosixFilePermission.GROUP_WRITE) && !perms.contains(PosixFilePermission.OTHERS_WRITE);
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return false;
        }
    }

    /** The file one node JVM writes the archive to before it is moved into place: unique to this driver and call. */
    static Path pendingFile(Path archive) throws IOException {
        Path dir = archive.getParent();
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (java.nio.file.FileAlreadyExistsException raced) {
                // another driver made it: checked below like any other
            }
        }
        if (!private_(dir)) {
            throw new IOException(dir + " is not a directory of " + System.getProperty("user.name") + "'s alone");
        }
        return archive.resolveSibling(archive.getFileName() + "." + ProcessHandle.current().pid() + "."
                + System.nanoTime() + ".tmp");
    }

    /**
     * Moves {@code pending} (written by a node JVM that exited with status 0) into place as {@code archive}, and
     * deletes the archives of other builds. Any failure leaves things as they were: the nodes then run without an
     * archive, as before.
     */
    static void install(Path pending, Path archive) {
        try {
            if (!Files.isRegularFile(pending) || Files.size(pending) == 0) {
                return;
            }
            Files.move(pending, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            List<Path> others = new ArrayList<>();
            try (DirectoryStream<Path> s = Files.newDirectoryStream(archive.getParent(), PREFIX + "*")) {
                for (Path p : s) {
                    String f = p.getFileName().toString();
                    if (!p.equals(archive) && f.endsWith(SUFFIX)) {
                        others.add(p); // another build's: a JVM that has it mapped keeps it until it exits
                    }
                }
            }
            for (Path p : others) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | RuntimeException e) {
            // no archive this time
        } finally {
            try {
                Files.deleteIfExists(pending);
            } catch (IOException e) {
                // left in the temporary directory
            }
        }
    }
}
