package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code ringlab topology} in-process: the JSON fields, the other outputs, and exit 2 for bad input. */
class TopologyCommandTest {
    record Result(int exit, String out, String err) {
        JsonNode json() throws Exception {
            return new ObjectMapper().readTree(out);
        }
    }

    static Result run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Result(exit, out.toString(), err.toString());
    }

    private static final List<String> REQUIRED = List.of("topology", "nodes", "edges", "degree_min", "degree_max",
            "connected", "diameter", "diameter_exact", "avg_path_length", "lambda1", "lambda2", "lambda_min",
            "lambda_nontrivial_max", "spectral_gap", "ramanujan", "expansion_estimate", "build_ms", "metrics_ms",
            "seed", "symmetrised", "spectrum_method", "avg_path_length_exact", "avg_path_sources", "cheeger_lower",
            "cheeger_upper");

    @Test
    void jsonHasEveryRequiredFieldWithExactFiguresForAHypercube() throws Exception {
        Result r = run("topology", "hypercube", "-n", "256", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        for (String field : REQUIRED) {
            assertTrue(j.has(field), "missing " + field + " in " + r.out());
        }
        assertEquals("hypercube", j.get("topology").asText());
        assertEquals(1, j.get("seed").asLong(), "the default seed is fixed and printed");
        assertEquals(256, j.get("nodes").asInt());
        assertEquals(1024, j.get("edges").asLong());
        assertEquals(8, j.get("degree_min").asInt());
        assertEquals(8, j.get("degree_max").asInt());
        assertTrue(j.get("connected").asBoolean());
        assertEquals(8, j.get("diameter").asInt());
        assertTrue(j.get("diameter_exact").asBoolean());
        assertEquals(8.0, j.get("lambda1").asDouble(), 1e-9);
        assertEquals(6.0, j.get("lambda2").asDouble(), 1e-9);
        assertEquals(-8.0, j.get("lambda_min").asDouble(), 1e-9);
        assertEquals(2.0, j.get("spectral_gap").asDouble(), 1e-9);
        assertFalse(j.get("ramanujan").asBoolean());
        assertFalse(j.get("symmetrised").asBoolean());
        assertEquals(1, r.out().strip().lines().count(), "one JSON object on one line");
        assertTrue(r.err().contains("topology: spec=hypercube n=256 seed=1 output=json"), r.err());
    }

    @Test
    void jsonOfTheDirectedRingSaysTheSpectrumIsSymmetrised() throws Exception {
        Result r = run("topology", "ring", "-n", "64", "--seed", "5", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        assertEquals(63, j.get("diameter").asInt());
        assertTrue(j.get("directed").asBoolean());
        assertTrue(j.get("symmetrised").asBoolean());
        assertEquals(5, j.get("seed").asLong());
        assertEquals(64, j.get("edges").asLong());
    }

    @Test
    void randomRegularJsonIsReproducibleFromItsSeed() throws Exception {
        JsonNode a = run("topology", "random-regular:4", "-n", "500", "--seed", "3", "--json").json();
        JsonNode b = run("topology", "random-regular:4", "-n", "500", "--seed", "3", "--json").json();
        for (String f : List.of("diameter", "avg_path_length", "lambda2", "lambda_min", "expansion_estimate")) {
            assertEquals(a.get(f), b.get(f), f);
        }
        assertEquals(1000, a.get("edges").asLong());
    }

    @Test
    void tableIsTheDefaultAndNamesTheSeed() {
        Result r = run("topology", "paley", "-n", "13");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("seed\\s+1")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.matches("diameter\\s+2")), r.out());
    }

    @Test
    void dotAndGraphmlPrintTheGraph() {
        Result dot = run("topology", "biring", "-n", "5", "--dot");
        assertEquals(0, dot.exit(), dot.err());
        assertTrue(dot.out().contains("graph G {") && dot.out().contains("label=\"biring n=5 seed=1\""), dot.out());
        assertEquals(5, dot.out().lines().filter(l -> l.contains(" -- ")).count());
        Result graphml = run("topology", "margulis", "-n", "4", "--graphml");
        assertEquals(0, graphml.exit(), graphml.err());
        assertTrue(graphml.out().contains("<graphml") && graphml.out().contains("edgedefault=\"undirected\""));
    }

    @Test
    void helpExplainsTheSpecs() {
        Result r = run("topology", "--help");
        assertEquals(0, r.exit());
        for (String spec : List.of("ring", "biring", "chordal:K", "random-regular:D", "margulis", "hypercube", "paley",
                "complete")) {
            assertTrue(r.out().contains(spec), spec + " missing from help:\n" + r.out());
        }
        assertTrue(r.out().contains("n = m*m") && r.out().contains("n = 2^k") && r.out().contains("1 mod 4"), r.out());
    }

    @Test
    void badInputExitsTwoWithOneLineNamingTheFlag() {
        record Bad(List<String> args, String flag, String says) {}
        List<Bad> cases = List.of(
                new Bad(List.of("torus", "-n", "16"), "SPEC", "valid: ring, biring"),
                new Bad(List.of("chordal", "-n", "16"), "SPEC", "chordal:K"),
                new Bad(List.of("margulis", "-n", "10"), "-n", "perfect square"),
                new Bad(List.of("hypercube", "-n", "1000"), "-n", "n = 2^k"),
                new Bad(List.of("paley", "-n", "12"), "-n", "prime n with n = 1 (mod 4)"),
                new Bad(List.of("paley", "-n", "11"), "-n", "prime n with n = 1 (mod 4)"),
                new Bad(List.of("random-regular:3", "-n", "5"), "-n", "n*D even"),
                new Bad(List.of("random-regular:8", "-n", "8"), "-n", "1 <= D <= n-1"),
                new Bad(List.of("ring", "-n", "1"), "-n", "at least 2"),
                new Bad(List.of("complete", "-n", "0"), "-n", "at least 2"));
        for (Bad b : cases) {
            List<String> args = new java.util.ArrayList<>(List.of("topology"));
            args.addAll(b.args());
            Result r = run(args.toArray(String[]::new));
            assertEquals(2, r.exit(), b + ": " + r.err());
            assertEquals("", r.out(), b.toString());
            assertEquals(1, r.err().strip().lines().count(), b + ": one line, got\n" + r.err());
            assertTrue(r.err().startsWith("ringlab topology: " + b.flag() + ": "), b + ": " + r.err());
            assertTrue(r.err().contains(b.says()), b + ": " + r.err());
        }
    }

    @Test
    void parseErrorsAlsoExitTwo() {
        assertEquals(2, run("topology", "ring").exit(), "missing -n");
        assertEquals(2, run("topology", "ring", "-n", "8", "--json", "--dot").exit(), "mutually exclusive outputs");
        assertEquals(2, run("topology", "ring", "-n", "eight").exit(), "non-integer n");
    }
}
