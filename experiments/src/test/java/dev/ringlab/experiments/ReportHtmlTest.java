package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

class ReportHtmlTest {
    static final ObjectMapper M = new ObjectMapper();

    /** Parses report.html with the JDK's XML parser: it fails on anything not well-formed. */
    static Document parse(String html) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(html.getBytes(StandardCharsets.UTF_8)));
    }

    static NodeList select(Document d, String xpath) throws Exception {
        return (NodeList) XPathFactory.newInstance().newXPath().evaluate(xpath, d, XPathConstants.NODESET);
    }

    /** No URL that leaves the page: no http(s), no script, stylesheet or image file; links only to its own sections. */
    static void assertSelfContained(String html, Document d) throws Exception {
        assertFalse(html.contains("http://") || html.contains("https://"), "an external URL in the report");
        assertEquals(0, select(d, "//script | //link | //iframe | //object").getLength());
        NodeList src = select(d, "//@src");
        for (int i = 0; i < src.getLength(); i++) {
            assertTrue(src.item(i).getNodeValue().startsWith("data:"), src.item(i).getNodeValue());
        }
        NodeList href = select(d, "//@href");
        assertTrue(href.getLength() > 0);
        for (int i = 0; i < href.getLength(); i++) {
            assertTrue(href.item(i).getNodeValue().startsWith("#"), href.item(i).getNodeValue());
        }
    }

    @Test
    void compareWritesAReportWithItsTablesPlotsAndProvenanceAndMovesLatest(@TempDir Path out) throws Exception {
        BroadcastCommandTest.Outcome o = BroadcastCommandTest.run("compare", "--nodes", "8,16", "--topologies", "ring,biring",
                "--seeds", "3", "--broadcasts", "2", "--out", out.toString(), "--json");
        assertEquals(0, o.exit(), o.err());
        Path dir = Path.of(M.readTree(o.out()).get("results_dir").asText());
        String html = Files.readString(dir.resolve("report.html"));
        Document d = parse(html);
        assertSelfContained(html, d);

        List<String> csvs = new ArrayList<>();
        List<String> svgs = new ArrayList<>();
        try (var s = Files.list(dir)) {
            s.forEach(p -> {
                String n = p.getFileName().toString();
                if (n.endsWith(".csv")) {
                    csvs.add(n);
                } else if (n.endsWith(".svg")) {
                    svgs.add(n);
                }
            });
        }
        assertEquals(2, csvs.size(), csvs.toString());
        assertEquals(2, svgs.size(), svgs.toString());
        assertEquals(csvs.size(), select(d, "//table[@class='data']").getLength(), "one table per CSV");
        assertEquals(svgs.size(), select(d, "//figure/svg").getLength(), "every plot inline");
        // broadcast.csv: a header and one row per (topology, n)
        assertEquals(4, select(d, "//h3[code='broadcast.csv']/following-sibling::div[1]//tbody/tr").getLength());

        JsonNode run = M.readTree(dir.resolve("run.json").toFile());
        String kv = String.join("|", texts(select(d, "//table[@class='kv']//th")));
        for (String k : List.of("experiment", "command", "replay", "version", "git_commit", "git_dirty", "seeds", "os", "cores",
                "load_average_1m", "max_heap_mb")) {
            assertTrue(kv.contains(k), k + " not in the report's run tables: " + kv);
            // the report's fields are run.json's
        }
        assertTrue(html.contains("ringlab replay " + dir.resolve("run.json")), html);
        assertTrue(html.contains(ReportHtml.escape(run.get("command").asText())));
        // Tests run from target/classes inside the checkout: the commit is known.
        assertTrue(run.get("git_commit").asText().matches("[0-9a-f]{40}"), run.toString());
        assertTrue(run.get("git_dirty").isBoolean());
        assertEquals(Runtime.getRuntime().availableProcessors(), run.get("machine").get("cores").asInt());
        assertEquals(Runtime.version().toString(), run.get("jvm").get("version").asText());

        Path latest = out.resolve("latest");
        assertTrue(Files.isSymbolicLink(latest));
        assertEquals(dir.getFileName(), Files.readSymbolicLink(latest));
        assertTrue(Files.isRegularFile(latest.resolve("report.html")));
    }

    @Test
    void latestMovesToTheRunThatFinishedLastAndLeavesNoTemporaryBehind(@TempDir Path root) throws Exception {
        ResultsDir a = ResultsDir.create(root, "x");
        ResultsDir b = ResultsDir.create(root, "x");
        b.writeRunJson(M.createObjectNode().put("experiment", "x"));
        a.writeRunJson(M.createObjectNode().put("experiment", "x"));
        assertEquals(a.path().getFileName(), Files.readSymbolicLink(root.resolve("latest")));
        b.writeRunJson(M.createObjectNode().put("experiment", "x"));
        assertEquals(b.path().getFileName(), Files.readSymbolicLink(root.resolve("latest")));
        try (var s = Files.list(root)) {
            assertEquals(3, s.count(), "two runs and latest");
        }
        // a part of a composite run writes its own report but never moves latest
        b.sub("part").writeRunJson(M.createObjectNode().put("experiment", "part"));
        assertEquals(b.path().getFileName(), Files.readSymbolicLink(root.resolve("latest")));
        assertTrue(Files.isRegularFile(b.resolve("part/report.html")));
    }

    @Test
    void aRealDirectoryNamedLatestIsLeftAloneAndLatestTxtNamesTheRun(@TempDir Path root) throws Exception {
        Files.createDirectory(root.resolve("latest"));
        ResultsDir a = ResultsDir.create(root, "x");
        a.writeRunJson(M.createObjectNode().put("experiment", "x"));
        assertTrue(Files.isDirectory(root.resolve("latest")));
        assertEquals(a.path().getFileName().toString(), Files.readString(root.resolve("latest.txt")).strip());
    }

    @Test
    void pngWithoutSvgIsEmbeddedAsDataUriAndSubdirectoriesAndExperimentFilesAreShown(@TempDir Path root) throws Exception {
        ResultsDir dir = ResultsDir.create(root, "fidelity");
        Plots.save(PlotsTest.logLog(PlotsTest.sweep()), dir.path(), "top");
        Files.delete(dir.resolve("top.svg"));
        ResultsDir part = dir.sub("netty");
        part.writeCsv("broadcast.csv", List.of("topology", "nodes", "note"),
                List.of(List.of("ring", 16, "a, \"quoted\" <note>"), List.of("biring", 32, 0.1 + 0.2)));
        Plots.save(PlotsTest.logLog(PlotsTest.sweep()), part.path(), "latency-p50");
        Files.writeString(dir.resolve("study.toml"), "[sweep]\nnodes = [16, 32] # <all>\n");
        ObjectNode run = M.createObjectNode().put("experiment", "fidelity").put("command", "ringlab fidelity --seeds 3");
        run.putArray("runs").addObject().put("seed", 1);
        dir.writeRunJson(run);
        String html = Files.readString(dir.resolve("report.html"));
        Document d = parse(html);
        assertSelfContained(html, d);
        NodeList img = select(d, "//figure/img");
        assertEquals(1, img.getLength());
        byte[] png = java.util.Base64.getDecoder().decode(img.item(0).getAttributes().getNamedItem("src").getNodeValue()
                .substring("data:image/png;base64,".length()));
        assertNotNull(ImageIO.read(new ByteArrayInputStream(png)));
        assertEquals(1, select(d, "//figure/svg").getLength(), "the part's plot");
        List<String> cells = texts(select(d, "//table[@class='data']//td"));
        assertEquals(List.of("ring", "16", "a, \"quoted\" <note>", "biring", "32", "0.3"), cells);
        assertTrue(texts(select(d, "//pre")).contains("[sweep]\nnodes = [16, 32] # <all>\n"));
        assertTrue(html.contains("runs: 1 entries"), html);
        assertTrue(html.contains("ringlab replay"), "fidelity runs replay");
    }

    @Test
    void outsideACheckoutThereIsNoCommit(@TempDir Path elsewhere) {
        assertNull(ResultsDir.git(elsewhere));
        assertNotNull(ResultsDir.git(Path.of("").toAbsolutePath()), "the tests run inside the checkout");
    }

    @Test
    void csvParserReadsWhatResultsDirWrites() {
        List<Object> row = new ArrayList<>(List.of("a,b", "say \"hi\"", "line\nbreak", 1.5));
        row.add(null);
        String csv = ResultsDir.csvLine(row);
        assertEquals(List.of(List.of("a,b", "say \"hi\"", "line\nbreak", "1.5", "")), ReportHtml.parseCsv(csv));
    }

    static List<String> texts(NodeList l) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < l.getLength(); i++) {
            out.add(l.item(i).getTextContent());
        }
        return out;
    }
}
