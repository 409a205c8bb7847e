package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One experiment's results directory, {@code <root>/<kind>-<yyyyMMdd-HHmmss>/} (UTC), as DESIGN.md's output
 * conventions ask: {@code run.json} with every parameter, the seeds, the version and the trace hashes (and
 * where it ran: git commit, machine, JVM); CSV tables; PNG and SVG plots; {@code report.html}, one
 * self-contained page of all of it. {@code <root>/latest} points to the run that finished last. A second run in the same second gets {@code -2}, {@code -3}, ...: the
 * directory is created atomically, so two concurrent runs never share one.
 *
 * <p>CSV: RFC 4180 (comma, header row, fields quoted only when they hold a comma, quote or newline), numbers
 * in {@link Locale#ROOT} with full double precision, empty for NaN / missing. That is what pandas'
 * {@code read_csv} reads back as NaN.
 */
public final class ResultsDir {
    static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path dir;
    /** The results root this directory was created under (for {@code latest}); null for an opened or sub directory. */
    private final Path root;

    private ResultsDir(Path dir, Path root) {
        this.dir = dir;
        this.root = root;
    }

    /** Creates {@code <root>/<kind>-<UTC timestamp>[-k]/} (and {@code root} if needed). */
    public static ResultsDir create(Path root, String kind) {
        return create(root, kind, Clock.systemUTC());
    }

    static ResultsDir create(Path root, String kind, Clock clock) {
        String base = kind + "-" + STAMP.format(clock.instant());
        try {
            Files.createDirectories(root);
            for (int k = 1; ; k++) {
                Path p = root.resolve(k == 1 ? base : base + "-" + k);
                try {
                    return new ResultsDir(Files.createDirectory(p), root);
                } catch (FileAlreadyExistsException e) {
                    // taken by an earlier run this second: try the next suffix
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a results directory under " + root + " (" + reason(e)
                    + "): choose another --out", e);
        }
    }

    /**
     * Before a command's long work: checks that results root {@code root} can be created (if missing) and written
     * into, so a bad {@code --out} fails at once (exit 2, naming the flag) instead of after an hour's sweep. The
     * directories it had to create for the check are removed again: a run that then fails on another flag leaves
     * nothing behind.
     */
    public static void requireWritableRoot(Path root) {
        java.util.ArrayDeque<Path> made = new java.util.ArrayDeque<>();
        try {
            java.util.ArrayDeque<Path> missing = new java.util.ArrayDeque<>();
            for (Path p = root.toAbsolutePath().normalize(); p != null && !Files.exists(p); p = p.getParent()) {
                missing.push(p);
            }
            while (!missing.isEmpty()) {
                Path p = missing.pop();
                try {
                    made.push(Files.createDirectory(p));
                } catch (IOException e) {
                    throw new UsageException("--out", "cannot create the results root " + root + " (" + reason(e)
                            + "): choose a directory you can write to");
                }
            }
            if (!Files.isDirectory(root) || !Files.isWritable(root)) {
                throw new UsageException("--out", "cannot write into the results root " + root + " ("
                        + (Files.isDirectory(root) ? "permission denied" : "not a directory")
                        + "): choose a directory you can write to");
            }
        } finally {
            while (!made.isEmpty()) {
                try {
                    Files.deleteIfExists(made.pop());
                } catch (IOException e) {
                    // left behind: an empty directory, created by this check
                }
            }
        }
    }

    /** What went wrong with a file operation, in words (a {@code FileSystemException}'s message is only its path). */
    static String reason(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null) {
            return f.getReason();
        }
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such file or directory";
        }
        if (e instanceof FileAlreadyExistsException) {
            return "a file of that name exists";
        }
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    /** Opens an existing results directory (for replay, fidelity reading a calibration). */
    public static ResultsDir open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("not a results directory: " + dir);
        }
        return new ResultsDir(dir, null);
    }

    /**
     * The newest {@code <root>/<kind>-*} directory holding a {@code run.json}, by name (the UTC stamp sorts
     * by time), or null if there is none.
     */
    public static Path newest(Path root, String kind) {
        if (!Files.isDirectory(root)) {
            return null;
        }
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> p.getFileName().toString().startsWith(kind + "-"))
                    .filter(p -> Files.isRegularFile(p.resolve("run.json")))
                    .max((a, b) -> compareNames(a.getFileName().toString(), b.getFileName().toString()))
                    .orElse(null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Orders {@code kind-STAMP} before {@code kind-STAMP-2} before {@code kind-STAMP-10}. */
    private static int compareNames(String a, String b) {
        String[] pa = a.split("-");
        String[] pb = b.split("-");
        int n = Math.min(pa.length, pb.length);
        for (int i = 0; i < n; i++) {
            int c = pa[i].matches("\\d+") && pb[i].matches("\\d+")
                    ? Long.compare(Long.parseLong(pa[i]), Long.parseLong(pb[i])) : pa[i].compareTo(pb[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(pa.length, pb.length);
    }

    /** A subdirectory {@code name/} of this one, created (for the parts of a composite experiment). */
    public ResultsDir sub(String name) {
        try {
            return new ResultsDir(Files.createDirectories(dir.resolve(name)), null);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir.resolve(name) + ": " + e.getMessage(), e);
        }
    }

    public Path path() {
        return dir;
    }

    public Path resolve(String file) {
        return dir.resolve(file);
    }

    /**
     * Writes {@code run.json}, pretty-printed, then {@code report.html} ({@link ReportHtml}) from everything in the
     * directory, and points {@code <root>/latest} at this directory when it is a top-level run. Commands call this
     * last, after their tables and plots. An {@link ObjectNode} gains {@link #provenance} fields it does not
     * have already: {@code git_commit}, {@code git_dirty}, {@code machine}, {@code jvm}.
     */
    public Path writeRunJson(JsonNode run) {
        if (run instanceof ObjectNode o) {
            provenance().properties().forEach(e -> {
                if (!o.has(e.getKey())) {
                    o.set(e.getKey(), e.getValue());
                }
            });
        }
        Path p = writeJson("run.json", run);
        ReportHtml.write(dir, run);
        if (root != null) {
            pointLatest(root, dir);
        }
        return p;
    }

    /**
     * Where and on what this run ran: {@code git_commit} and {@code git_dirty} ({@link #git}; null outside a
     * ringlab checkout), {@code machine} (os, arch, cores, 1-minute load average when run.json is written, i.e.
     * at the end of the run, null where the OS gives none; physical memory) and {@code jvm} (version, vendor,
     * VM, heap limit, JVM arguments).
     */
    static ObjectNode provenance() {
        ObjectNode o = JSON.createObjectNode();
        Git g = git();
        if (g == null) {
            o.putNull("git_commit");
            o.putNull("git_dirty");
        } else {
            o.put("git_commit", g.commit());
            o.put("git_dirty", g.dirty());
        }
        ObjectNode m = o.putObject("machine");
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("arch", System.getProperty("os.arch"));
        m.put("cores", Runtime.getRuntime().availableProcessors());
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        if (load >= 0) {
            m.put("load_average_1m", Math.round(load * 100) / 100.0);
        } else {
            m.putNull("load_average_1m");
        }
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            m.put("memory_mb", os.getTotalMemorySize() >> 20);
        } else {
            m.putNull("memory_mb");
        }
        ObjectNode j = o.putObject("jvm");
        j.put("version", Runtime.version().toString());
        j.put("vendor", System.getProperty("java.vendor"));
        j.put("vm", System.getProperty("java.vm.name"));
        j.put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
        j.put("args", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
        return o;
    }

    /** A git commit and whether tracked files differ from it. */
    record Git(String commit, boolean dirty) {}

    /**
     * Environment variables naming the commit of code that cannot look it up itself (a jar copied out of its
     * checkout: {@code ringlab submit}'s job script sets them for the study's copy of the jar). Used only when the
     * running code is not inside a ringlab checkout.
     */
    static final String ENV_COMMIT = "RINGLAB_GIT_COMMIT";
    /** See {@link #ENV_COMMIT}: {@code true} or {@code false}. */
    static final String ENV_DIRTY = "RINGLAB_GIT_DIRTY";

    private static volatile Optional<Git> git;

    /**
     * The commit of the ringlab checkout the running code was built in, looked up at run time (once per JVM)
     * from where the classes are (the jar {@code experiments/target/ringlab.jar}, or {@code target/classes}
     * under tests): a build-time stamp would need a plugin run on every build and would still miss edits
     * made after it, while the launcher rebuilds the jar whenever a source changed, so the checkout's state
     * when the run starts is the state the jar was built from. {@code dirty}: tracked files differ from the
     * commit ({@code git status --porcelain --untracked-files=no}); untracked files do not count. Outside a
     * ringlab checkout (a copied jar), git missing or failing: the commit {@link #ENV_COMMIT} names, else null.
     */
    static Git git() {
        Optional<Git> g = git;
        if (g == null) {
            Path where = null;
            try {
                where = Path.of(ResultsDir.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            } catch (Exception e) {
                // no code source (unusual class loader): not a checkout we can name
            }
            Git found = where == null ? null : git(Files.isDirectory(where) ? where : where.getParent());
            g = Optional.ofNullable(found != null ? found : fromEnvironment(System.getenv()));
            git = g;
        }
        return g.orElse(null);
    }

    /** The commit {@link #ENV_COMMIT} names (a full hexadecimal id), or null. */
    static Git fromEnvironment(java.util.Map<String, String> env) {
        String c = env.get(ENV_COMMIT);
        if (c == null || !c.matches("[0-9a-f]{40}|[0-9a-f]{64}")) {
            return null;
        }
        return new Git(c, "true".equals(env.get(ENV_DIRTY)));
    }

    /** {@link #git()} for the checkout holding {@code start}, or null (not a ringlab checkout, no git). */
    static Git git(Path start) {
        if (start == null || !Files.isDirectory(start)) {
            return null;
        }
        String top = run(start, "git", "rev-parse", "--show-toplevel");
        // Only ringlab's own checkout: a jar copied into some other repository must not report that one's commit.
        if (top == null || !Files.isRegularFile(Path.of(top, "experiments", "src", "main", "java", "dev", "ringlab",
                "experiments", "ResultsDir.java"))) {
            return null;
        }
        String commit = run(start, "git", "rev-parse", "HEAD");
        String status = run(start, "git", "status", "--porcelain", "--untracked-files=no");
        return commit == null || status == null ? null : new Git(commit.strip(), !status.isBlank());
    }

    /** Runs a short command in {@code dir}; its stdout, or null if it cannot run, fails or takes over 10 s. */
    private static String run(Path dir, String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? new String(out, StandardCharsets.UTF_8).strip() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * Points {@code <root>/latest} at {@code dir}: a relative symlink made under a temporary name and renamed
     * over the old one (rename(2) replaces it atomically, so a reader sees the old run or the new one, never
     * no link). Two runs finishing together: the last rename wins. Where the file system has no symlinks
     * (some Windows setups, some mounted shares), {@code <root>/latest.txt} gets the directory's name instead,
     * written the same way; a {@code latest} that is a real directory is left alone and latest.txt written.
     */
    static void pointLatest(Path root, Path dir) {
        Path link = root.resolve("latest");
        String name = dir.getFileName().toString();
        Path tmp = root.resolve(".latest-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId());
        try {
            Files.deleteIfExists(tmp);
            if (!Files.isDirectory(link, LinkOption.NOFOLLOW_LINKS)) {
                try {
                    Files.createSymbolicLink(tmp, Path.of(name));
                    Files.move(tmp, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    return;
                } catch (UnsupportedOperationException | FileSystemException e) {
                    Files.deleteIfExists(tmp);
                    // no symlinks here: fall through to latest.txt
                }
            }
            Files.writeString(tmp, name + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, root.resolve("latest.txt"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot point " + link + " at " + name + ": " + e.getMessage(), e);
        }
    }

    public Path writeJson(String file, JsonNode node) {
        Path p = dir.resolve(file);
        try {
            JSON.writeValue(p.toFile(), node);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + p + ": " + e.getMessage(), e);
        }
        return p;
    }

    /** Reads a {@code run.json}. */
    public static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** Writes a CSV table: a header and rows of the same width (values: String, Number, Boolean or null). */
    public Path writeCsv(String file, List<String> header, List<List<Object>> rows) {
        Path p = dir.resolve(file);
        try (Writer w = Files.newBufferedWriter(p, StandardCharsets.UTF_8)) {
            w.write(csvLine(header.stream().map(h -> (Object) h).toList()));
            for (List<Object> row : rows) {
                if (row.size() != header.size()) {
                    throw new IllegalArgumentException("CSV row of " + row.size() + " fields under a header of "
                            + header.size() + ": " + row);
                }
                w.write(csvLine(row));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + p + ": " + e.getMessage(), e);
        }
        return p;
    }

    static String csvLine(List<Object> fields) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append(csvField(fields.get(i)));
        }
        return b.append('\n').toString();
    }

    static String csvField(Object v) {
        if (v == null) {
            return "";
        }
        if (v instanceof Double d) {
            return Double.isFinite(d) ? repr(d) : "";
        }
        if (v instanceof Float f) {
            return Float.isFinite(f) ? repr(f.doubleValue()) : "";
        }
        String s = v.toString();
        if (s.indexOf(',') >= 0 || s.indexOf('"') >= 0 || s.indexOf('\n') >= 0 || s.indexOf('\r') >= 0) {
            return '"' + s.replace("\"", "\"\"") + '"';
        }
        return s;
    }

    /** Shortest text that parses back to the same double (Java's repr), integers without ".0". */
    static String repr(double d) {
        if (d == Math.rint(d) && Math.abs(d) < 1e15) {
            return Long.toString((long) d);
        }
        return Double.toString(d);
    }
}
