package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompareCommandTest {
    static final ObjectMapper M = new ObjectMapper();

    static BroadcastCommandTest.Outcome run(String... args) {
        return BroadcastCommandTest.run(args);
    }

    /** A small compare with --json; returns its stdout object. */
    static JsonNode compare(Path out, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("compare", "--nodes", "16,32", "--topologies",
                "ring,random-regular:4,hypercube", "--seeds", "3", "--broadcasts", "4", "--out", out.toString(), "--json"));
        args.addAll(List.of(extra));
        BroadcastCommandTest.Outcome o = run(args.toArray(String[]::new));
        assertEquals(0, o.exit(), o.err());
        return M.readTree(o.out());
    }

    @Test
    void jsonRowsAndBroadcastCsvHoldTheSameNumbers() throws Exception {
        JsonNode j = compare(Files.createTempDirectory("compare"));
        Path dir = Path.of(j.get("results_dir").asText());
        List<String> lines = Files.readAllLines(dir.resolve("broadcast.csv"));
        String[] header = lines.get(0).split(",");
        JsonNode rows = j.get("rows");
        assertEquals(6, rows.size(), "3 topologies x 2 sizes");
        assertEquals(rows.size(), lines.size() - 1);
        for (String f : List.of("topology", "nodes", "latency_ms_p50", "latency_ms_p99", "latency_ms_max",
                "last_delivery_hop", "msgs_per_op", "rmr", "seeds")) {
            assertTrue(List.of(header).contains(f), "broadcast.csv lacks " + f);
        }
        for (int i = 0; i < rows.size(); i++) {
            String[] cells = lines.get(i + 1).split(",", -1);
            JsonNode row = rows.get(i);
            assertEquals(header.length, row.size(), "JSON row " + i + " has other fields than the CSV: " + row);
            for (int c = 0; c < header.length; c++) {
                JsonNode v = row.get(header[c]);
                assertNotNull(v, "JSON row lacks " + header[c]);
                if (v.isNull()) {
                    assertEquals("", cells[c], header[c]);
                } else if (v.isNumber()) {
                    assertEquals(v.asDouble(), Double.parseDouble(cells[c]), 0.0, "row " + i + " " + header[c]);
                } else {
                    assertEquals(v.asText(), cells[c], header[c]);
                }
            }
            assertEquals(3, row.get("seeds").asInt());
            assertTrue(row.get("latency_ms_p50_ci95_lo").asDouble() <= row.get("latency_ms_p50").asDouble());
            assertTrue(row.get("latency_ms_p50").asDouble() <= row.get("latency_ms_p50_ci95_hi").asDouble());
        }
        // Flood on the ring: one message per node per broadcast, every seed alike, so the interval is a point.
        JsonNode ring16 = rows.get(0);
        assertEquals("ring", ring16.get("topology").asText());
        assertEquals(16, ring16.get("msgs_per_op").asDouble());
        assertEquals(16, ring16.get("msgs_per_op_ci95_hi").asDouble());
        assertEquals(15, ring16.get("last_delivery_hop").asDouble());
    }

    @Test
    void plumtreeRowsReportGraftsPrunesRepairsAndAnnouncementsAndOtherProtocolsNull() throws Exception {
        Path out = Files.createTempDirectory("compare");
        BroadcastCommandTest.Outcome o = run("compare", "--protocols", "flood,plumtree:lazy=0ms,threshold=0", "--nodes", "16",
                "--topologies", "random-regular:4", "--seeds", "2", "--broadcasts", "3", "--out", out.toString(), "--json");
        assertEquals(0, o.exit(), o.err());
        JsonNode protocols = M.readTree(o.out()).get("protocols");
        assertEquals(2, protocols.size(), o.out());
        List<String> control = List.of("tree_repairs", "grafts", "prunes", "ihave_per_broadcast");
        for (JsonNode p : protocols) {
            boolean plumtree = p.get("protocol").asText().startsWith("plumtree");
            Path dir = Path.of(p.get("results_dir").asText());
            JsonNode row = p.get("rows").get(0);
            List<String> csv = Files.readAllLines(dir.resolve("broadcast.csv"));
            List<String> header = List.of(csv.get(0).split(","));
            String[] cells = csv.get(1).split(",", -1);
            List<String> runsCsv = Files.readAllLines(dir.resolve("broadcast-runs.csv"));
            List<String> runsHeader = List.of(runsCsv.get(0).split(","));
            assertEquals(3, runsCsv.size(), "header + 2 seeds");
            for (String f : control) {
                String cell = cells[header.indexOf(f)];
                if (!plumtree) {
                    assertTrue(row.get(f).isNull(), "flood has no " + f + ": " + row);
                    assertEquals("", cell, f);
                    for (String line : runsCsv.subList(1, 3)) {
                        assertEquals("", line.split(",", -1)[runsHeader.indexOf(f)], f);
                    }
                    continue;
                }
                assertTrue(row.get(f).isNumber(), f + ": " + row);
                assertEquals(row.get(f).asDouble(), Double.parseDouble(cell), 0.0, f);
                double sum = 0;
                for (String line : runsCsv.subList(1, 3)) {
                    sum += Double.parseDouble(line.split(",", -1)[runsHeader.indexOf(f)]);
                }
                assertEquals(row.get(f).asDouble(), sum / 2, 1e-9, f + ": the row is the mean of the seeds'");
            }
            if (plumtree) {
                // Broadcasts one at a time from random origins: each new tree is a flood, so duplicates are pruned;
                // every lazy link announces, one IHAVE per broadcast (lazy=0ms); nothing is lost, so no repair.
                assertTrue(row.get("prunes").asDouble() > 0, row.toString());
                assertTrue(row.get("ihave_per_broadcast").asDouble() > 0, row.toString());
                assertEquals(0, row.get("tree_repairs").asDouble(), row.toString());
                assertEquals(0, row.get("grafts").asDouble(), row.toString());
            }
        }
    }

    @Test
    void runJsonRecordsEveryParameterAndOneTraceHashPerSeed() throws Exception {
        JsonNode j = compare(Files.createTempDirectory("compare"), "--seed", "7");
        Path dir = Path.of(j.get("results_dir").asText());
        assertTrue(dir.getFileName().toString().matches("compare-\\d{8}-\\d{6}(-\\d+)?"), dir.toString());
        JsonNode run = M.readTree(dir.resolve("run.json").toFile());
        assertEquals("compare", run.get("experiment").asText());
        assertEquals(Main.version(), run.get("version").asText());
        for (String f : List.of("engine", "protocol", "latency", "loss", "processing_ns", "broadcasts_per_seed", "drain_ns",
                "payload_bytes", "seeds", "topologies", "nodes", "command", "runs", "skipped", "files")) {
            assertTrue(run.has(f), "run.json lacks " + f);
        }
        assertEquals("[7,8,9]", run.get("seeds").toString());
        assertEquals(18, run.get("runs").size(), "3 topologies x 2 sizes x 3 seeds");
        for (JsonNode r : run.get("runs")) {
            assertTrue(r.get("trace_hash").asText().matches("[0-9a-f]{16}"), r.toString());
        }
        for (String f : List.of("broadcast.csv", "broadcast-runs.csv", "latency-p50.png", "latency-p50.svg", "msgs-per-op.png",
                "msgs-per-op.svg")) {
            assertTrue(Files.size(dir.resolve(f)) > 100, f);
        }
        assertTrue(Files.readString(dir.resolve("latency-p50.svg")).contains("<svg"));
        assertEquals(19, Files.readAllLines(dir.resolve("broadcast-runs.csv")).size(), "header + 18 seeds");
    }

    @Test
    void combinationsATopologyCannotBuildAreSkippedAndListed() throws Exception {
        Path out = Files.createTempDirectory("compare");
        BroadcastCommandTest.Outcome o = run("compare", "--nodes", "16,20", "--topologies", "biring,hypercube", "--seeds", "2",
                "--broadcasts", "2", "--out", out.toString());
        assertEquals(0, o.exit(), o.err());
        assertTrue(o.out().matches("(?s).*hypercube\\s+20\\s+skipped: .*"), o.out());
        // Asked for that one topology alone: a usage error naming the flag, not a silent skip.
        BroadcastCommandTest.Outcome alone = run("compare", "--nodes", "16,20", "--topologies", "hypercube", "--out",
                out.toString());
        assertEquals(2, alone.exit(), alone.out());
        assertTrue(alone.err().startsWith("ringlab compare: --nodes: hypercube n=20"), alone.err());
    }

    @Test
    void sameFlagsGiveTheSameTraceHashes() throws Exception {
        Path out = Files.createTempDirectory("compare");
        JsonNode a = M.readTree(Path.of(compare(out).get("results_dir").asText()).resolve("run.json").toFile());
        JsonNode b = M.readTree(Path.of(compare(out).get("results_dir").asText()).resolve("run.json").toFile());
        assertEquals(a.get("runs"), b.get("runs"));
    }

    @Test
    void aSecondRunInTheSameSecondGetsASuffix(@TempDir Path root) {
        Clock clock = Clock.fixed(Instant.parse("2025-01-02T03:04:05Z"), ZoneOffset.UTC);
        assertEquals("compare-20250102-030405", ResultsDir.create(root, "compare", clock).path().getFileName().toString());
        assertEquals("compare-20250102-030405-2", ResultsDir.create(root, "compare", clock).path().getFileName().toString());
    }

    @Test
    void csvQuotesFieldsWithCommasAndLeavesNanEmpty() {
        assertEquals("\"uniform:1ms,2ms\",,0.5,3\n", ResultsDir.csvLine(List.of("uniform:1ms,2ms", Double.NaN, 0.5, 3)));
    }
}
