package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * One experiment's results directory, {@code <root>/<kind>-<yyyyMMdd-HHmmss>/} (UTC), as DESIGN.md's output
 * conventions ask: {@code run.json} with every parameter, the seeds, the version and the trace hashes; CSV
 * tables; PNG and SVG plots. A second run in the same second gets {@code -2}, {@code -3}, ...: the
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

    private ResultsDir(Path dir) {
        this.dir = dir;
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
                    return new ResultsDir(Files.createDirectory(p));
                } catch (FileAlreadyExistsException e) {
                    // taken by an earlier run this second: try the next suffix
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a results directory under " + root + ": " + e.getMessage(), e);
        }
    }

    /** Opens an existing results directory (for replay, fidelity reading a calibration). */
    public static ResultsDir open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException("not a results directory: " + dir);
        }
        return new ResultsDir(dir);
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
            return new ResultsDir(Files.createDirectories(dir.resolve(name)));
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

    /** Writes {@code run.json}, pretty-printed. */
    public Path writeRunJson(JsonNode run) {
        return writeJson("run.json", run);
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
