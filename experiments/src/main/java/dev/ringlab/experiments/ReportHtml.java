package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code report.html}: one page per results directory that a browser opens with no network and no other file
 * (issue 15). Everything is inside it: the CSS, every plot as inline SVG (a PNG without an SVG twin as a
 * {@code data:} URI), every CSV table, the command line or experiment file, the version, git commit and dirty
 * flag, machine, JVM, seeds and the replay command, all read back from the directory itself ({@code run.json},
 * {@code *.csv}, {@code *.svg}), so the page shows what is on disk and nothing else.
 *
 * <p>The page is well-formed XML (XHTML syntax, only the five XML entities, inline SVG without namespaces): a test
 * parses it with the JDK's XML parser. It links to nothing outside itself: no {@code http} URL, no script, no
 * stylesheet or image file; the only links are to its own sections. Table cells show numbers to 4 significant
 * digits; the CSV files keep full precision.
 */
public final class ReportHtml {
    private ReportHtml() {}

    /** Rows of one table shown in the page; longer tables say how many rows the CSV has. */
    static final int MAX_ROWS = 300;
    /** Fields shown first in the run table, in this order; the rest follow as run.json has them. */
    static final List<String> FIRST = List.of("experiment", "command", "replay", "version", "git_commit", "git_dirty",
            "started_at", "wall_s", "engine", "protocol", "seed", "seeds");
    private static final Set<String> TEXT_EXT = Set.of("toml", "yaml", "yml");
    private static final Pattern NUMBER = Pattern.compile("-?\\d+\\.\\d+(E-?\\d+)?");

    /** Writes {@code <dir>/report.html} from the directory's contents (atomically: a reader never sees half a page). */
    public static Path write(Path dir, JsonNode run) {
        Path out = dir.resolve("report.html");
        Path tmp = dir.resolve(".report.html.tmp");
        try {
            Files.writeString(tmp, html(dir, run), StandardCharsets.UTF_8);
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + out + ": " + e.getMessage(), e);
        }
        return out;
    }

    static String html(Path dir, JsonNode run) throws IOException {
        StringBuilder b = new StringBuilder();
        String experiment = run.path("experiment").asText("run");
        String title = "ringlab " + experiment + ": " + dir.getFileName();
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n<title>").append(escape(title))
                .append("</title>\n<style>\n").append(CSS).append("</style>\n</head>\n<body>\n");
        b.append("<h1>").append(escape(title)).append("</h1>\n");
        b.append("<p class=\"nav\"><a href=\"#run\">run</a> · <a href=\"#plots\">plots</a> · <a href=\"#tables\">tables</a>"
                + " · <a href=\"#files\">files</a></p>\n");

        b.append("<h2 id=\"run\">Run</h2>\n");
        b.append("<table class=\"kv\">\n");
        for (String k : FIRST) {
            if (k.equals("replay")) {
                kv(b, "replay", code(replay(dir, run)));
            } else if (run.has(k)) {
                kv(b, k, value(run.get(k), k.equals("command")));
            }
        }
        for (Map.Entry<String, JsonNode> e : run.properties()) {
            if (!FIRST.contains(e.getKey()) && !e.getValue().isObject() && !bigArray(e.getValue()) && !e.getKey().equals("files")) {
                kv(b, e.getKey(), value(e.getValue(), false));
            }
        }
        b.append("</table>\n");
        for (Map.Entry<String, JsonNode> e : run.properties()) {
            if (e.getValue().isObject()) {
                b.append("<h3>").append(escape(e.getKey())).append("</h3>\n<table class=\"kv\">\n");
                e.getValue().properties().forEach(f -> kv(b, f.getKey(), nested(f.getValue())));
                b.append("</table>\n");
            } else if (bigArray(e.getValue())) {
                b.append("<p>").append(escape(e.getKey())).append(": ").append(e.getValue().size())
                        .append(" entries, in <code>run.json</code>.</p>\n");
            }
        }
        List<Path> experimentFiles = files(dir, p -> TEXT_EXT.contains(ext(p)));
        for (Path f : experimentFiles) {
            b.append("<h3>Experiment file <code>").append(escape(dir.relativize(f).toString())).append("</code></h3>\n<pre>")
                    .append(escape(Files.readString(f, StandardCharsets.UTF_8))).append("</pre>\n");
        }

        b.append("<h2 id=\"plots\">Plots</h2>\n");
        List<Path> svgs = files(dir, p -> ext(p).equals("svg"));
        List<Path> pngs = files(dir, p -> ext(p).equals("png") && !Files.exists(sibling(p, "svg")));
        if (svgs.isEmpty() && pngs.isEmpty()) {
            b.append("<p>This run wrote no plots.</p>\n");
        }
        for (Path f : svgs) {
            b.append("<figure>\n").append(inlineSvg(Files.readString(f, StandardCharsets.UTF_8)))
                    .append("<figcaption>").append(escape(dir.relativize(f).toString())).append("</figcaption>\n</figure>\n");
        }
        for (Path f : pngs) {
            b.append("<figure>\n<img alt=\"").append(escape(f.getFileName().toString())).append("\" src=\"data:image/png;base64,")
                    .append(Base64.getEncoder().encodeToString(Files.readAllBytes(f))).append("\"/>\n<figcaption>")
                    .append(escape(dir.relativize(f).toString())).append("</figcaption>\n</figure>\n");
        }

        b.append("<h2 id=\"tables\">Tables</h2>\n");
        List<Path> csvs = files(dir, p -> ext(p).equals("csv"));
        if (csvs.isEmpty()) {
            b.append("<p>This run wrote no tables.</p>\n");
        }
        for (Path f : csvs) {
            table(b, dir.relativize(f).toString(), Files.readString(f, StandardCharsets.UTF_8));
        }

        b.append("<h2 id=\"files\">Files</h2>\n<ul>\n");
        for (Path f : files(dir, p -> !p.getFileName().toString().startsWith("."))) {
            b.append("<li><code>").append(escape(dir.relativize(f).toString())).append("</code> (")
                    .append(Files.size(f)).append(" bytes)</li>\n");
        }
        b.append("<li><code>report.html</code> (this page)</li>\n</ul>\n");
        b.append("<p class=\"foot\">Written by ringlab ").append(escape(run.path("version").asText("?")))
                .append(" from the files of this directory.</p>\n</body>\n</html>\n");
        return b.toString();
    }

    /**
     * The command that reproduces this run: run.json's own {@code replay} when it has one; else {@code ringlab
     * replay DIR/run.json} for the experiments that replay checks (compare, fidelity); else the command as run.
     */
    static String replay(Path dir, JsonNode run) {
        if (run.hasNonNull("replay")) {
            return run.get("replay").asText();
        }
        String experiment = run.path("experiment").asText("");
        if (experiment.equals("compare") || experiment.equals("fidelity")) {
            return "ringlab replay " + Replay.quote(dir.resolve("run.json").toString());
        }
        String command = run.path("command").asText("(no command recorded)");
        // recover-sweep: replay refuses it, and each of its runs is a command of its own
        JsonNode first = run.path("runs").path(0).path("command");
        return first.isTextual() ? command + "   (one run alone: its runs[].command in run.json, e.g. " + first.asText() + ")"
                : command;
    }

    private static final String CSS = """
            body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 1.5em auto;
                   max-width: 1100px; padding: 0 1em; color: #222; line-height: 1.35; }
            h1 { font-size: 1.5em; margin-bottom: 0.2em; }
            h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 1.6em; }
            h3 { font-size: 1.05em; margin-bottom: 0.3em; }
            .nav a { color: #0060a0; }
            table { border-collapse: collapse; font-size: 0.85em; margin: 0.4em 0 1em 0; }
            th, td { border: 1px solid #d8d8d8; padding: 2px 7px; vertical-align: top; }
            th { background: #f2f2f2; position: sticky; top: 0; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; }
            table.kv th { text-align: left; background: #f7f7f7; position: static; white-space: nowrap; }
            .scroll { max-height: 32em; overflow: auto; display: inline-block; max-width: 100%; }
            code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.92em; }
            pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; }
            figure { margin: 0.6em 0 1.4em 0; }
            figure svg, figure img { max-width: 100%; height: auto; border: 1px solid #e4e4e4; }
            figcaption { font-size: 0.85em; color: #555; }
            .foot { color: #777; font-size: 0.85em; margin-top: 2em; }
            """;

    private static void kv(StringBuilder b, String key, String valueHtml) {
        b.append("<tr><th>").append(escape(key)).append("</th><td>").append(valueHtml).append("</td></tr>\n");
    }

    private static String code(String s) {
        return "<code>" + escape(s) + "</code>";
    }

    /** A run.json value as HTML: text as is, null as "null" (not measured), arrays of scalars joined. */
    private static String value(JsonNode v, boolean asCode) {
        String s;
        if (v.isNull()) {
            s = "null";
        } else if (v.isArray()) {
            List<String> parts = new ArrayList<>();
            v.forEach(x -> parts.add(x.isValueNode() ? x.asText() : x.toString()));
            s = String.join(", ", parts);
        } else if (v.isValueNode()) {
            s = v.asText();
        } else {
            s = v.toString();
        }
        return asCode ? code(s) : escape(s);
    }

    /** A value inside a run.json object: a long array or object is counted and left to run.json. */
    private static String nested(JsonNode v) {
        if (bigArray(v)) {
            return escape(v.size() + " entries, in run.json");
        }
        if (v.isObject() && v.toString().length() > 300) {
            return escape("an object of " + v.size() + " fields, in run.json");
        }
        return value(v, false);
    }

    /** An array with an object in it (runs, skipped): counted in the page, left to run.json. */
    private static boolean bigArray(JsonNode v) {
        if (!v.isArray()) {
            return false;
        }
        for (JsonNode x : v) {
            if (!x.isValueNode()) {
                return true;
            }
        }
        return false;
    }

    private static void table(StringBuilder b, String name, String csv) {
        List<List<String>> rows = parseCsv(csv);
        b.append("<h3><code>").append(escape(name)).append("</code></h3>\n");
        if (rows.isEmpty()) {
            b.append("<p>(empty)</p>\n");
            return;
        }
        int body = rows.size() - 1;
        if (body > MAX_ROWS) {
            b.append("<p>The first ").append(MAX_ROWS).append(" of ").append(body).append(" rows; all of them are in <code>")
                    .append(escape(name)).append("</code>.</p>\n");
        }
        b.append("<div class=\"scroll\"><table class=\"data\">\n<thead><tr>");
        for (String h : rows.get(0)) {
            b.append("<th>").append(escape(h)).append("</th>");
        }
        b.append("</tr></thead>\n<tbody>\n");
        for (List<String> r : rows.subList(1, Math.min(rows.size(), MAX_ROWS + 1))) {
            b.append("<tr>");
            for (String c : r) {
                boolean num = !c.isEmpty() && (NUMBER.matcher(c).matches() || c.matches("-?\\d+"));
                b.append(num ? "<td class=\"num\">" : "<td>").append(escape(cell(c))).append("</td>");
            }
            b.append("</tr>\n");
        }
        b.append("</tbody>\n</table></div>\n");
    }

    /** A CSV cell for the page: decimals to 4 significant digits (the CSV keeps them all). */
    static String cell(String c) {
        if (NUMBER.matcher(c).matches()) {
            return Plots.format(Double.parseDouble(c));
        }
        return c;
    }

    /** RFC 4180: comma-separated, fields optionally double-quoted with {@code ""} for a quote; rows end with LF or CRLF. */
    static List<List<String>> parseCsv(String s) {
        List<List<String>> rows = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder f = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (quoted) {
                if (ch == '"' && i + 1 < s.length() && s.charAt(i + 1) == '"') {
                    f.append('"');
                    i++;
                } else if (ch == '"') {
                    quoted = false;
                } else {
                    f.append(ch);
                }
                continue;
            }
            switch (ch) {
                case '"' -> {
                    quoted = true;
                    any = true;
                }
                case ',' -> {
                    row.add(f.toString());
                    f.setLength(0);
                    any = true;
                }
                case '\r' -> { /* part of CRLF */ }
                case '\n' -> {
                    row.add(f.toString());
                    rows.add(row);
                    row = new ArrayList<>();
                    f.setLength(0);
                    any = false;
                }
                default -> {
                    f.append(ch);
                    any = true;
                }
            }
        }
        if (any) {
            row.add(f.toString());
            rows.add(row);
        }
        return rows;
    }

    /** An SVG document for inlining: no XML prolog, no namespace declarations (HTML supplies the SVG namespace). */
    static String inlineSvg(String svg) {
        String s = svg.replaceFirst("^\\s*<\\?xml[^>]*\\?>\\s*", "").replaceFirst("<!DOCTYPE[^>]*>\\s*", "");
        return s.replaceAll("\\s+xmlns(:\\w+)?=\"[^\"]*\"", "");
    }

    /** Files under {@code dir} (its subdirectories too, sorted by path, parts of a composite run after the top). */
    private static List<Path> files(Path dir, java.util.function.Predicate<Path> keep) throws IOException {
        try (Stream<Path> s = Files.walk(dir, 3)) {
            return s.filter(Files::isRegularFile).filter(keep)
                    .filter(p -> !p.getFileName().toString().equals("report.html"))
                    .sorted((a, c) -> {
                        int da = dir.relativize(a).getNameCount();
                        int dc = dir.relativize(c).getNameCount();
                        return da != dc ? Integer.compare(da, dc) : a.compareTo(c);
                    })
                    .toList();
        }
    }

    private static String ext(Path p) {
        String n = p.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    private static Path sibling(Path p, String ext) {
        String n = p.getFileName().toString();
        return p.resolveSibling(n.substring(0, n.lastIndexOf('.') + 1) + ext);
    }

    /** Escapes text for HTML and XML: the five predefined entities only. */
    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
