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

class BroadcastCommandTest {
    record Outcome(int exit, String out, String err) {}

    static Outcome run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute(args);
        return new Outcome(exit, out.toString(), err.toString());
    }

    @Test
    void jsonHasEveryDocumentedField() throws Exception {
        Outcome o = run("broadcast", "--topology", "random-regular:4", "-n", "64", "--json");
        assertEquals(0, o.exit(), o.err());
        JsonNode j = new ObjectMapper().readTree(o.out());
        for (String field : List.of("engine", "seed", "topology", "nodes", "protocol", "trace_hash", "broadcasts",
                "messages", "msgs_per_op", "reliability", "latency_ms", "last_delivery_hop", "rmr", "events", "wall_ms",
                "events_per_s", "latency", "loss")) {
            assertTrue(j.has(field), "missing " + field + " in " + o.out());
        }
        assertEquals("sim", j.get("engine").asText());
        assertTrue(j.has("connections") && j.get("connections").isNull(), "sim has no connections: " + j.get("connections"));
        assertTrue(j.get("open_connections_per_node").get("mean").isNull()
                && j.get("open_connections_per_node").get("max").isNull(), "not measured on sim: null, not 0");
        assertTrue(j.has("cpu_us_per_msg") && j.get("cpu_us_per_msg").isNull(), "no engine model, no cores: null, not 0");
        assertEquals(1, j.get("seed").asLong());
        assertEquals("flood", j.get("protocol").asText());
        assertEquals("const:1ms", j.get("latency").asText());
        assertEquals(64, j.get("nodes").asInt());
        assertEquals(1, j.get("broadcasts").asInt());
        assertEquals(1.0, j.get("reliability").asDouble());
        assertTrue(j.get("trace_hash").asText().matches("[0-9a-f]{16}"), j.get("trace_hash").asText());
        for (String p : List.of("p50", "p99", "max")) {
            assertTrue(j.get("latency_ms").get(p).isNumber(), p);
        }
        // flood on a 4-regular graph: every node but the origin forwards to 3 peers, the origin to 4.
        assertEquals(64 * 3 + 1, j.get("messages").asLong());
        assertEquals(193.0 / 63 - 1, j.get("rmr").asDouble(), 1e-12, "rmr = messages / (reached - 1) - 1");
    }

    @Test
    void sameFlagsPrintTheSameTraceHash() throws Exception {
        String[] args = {"broadcast", "--topology", "random-regular:6", "-n", "100", "--protocol", "gossip:3", "--rate",
            "2000", "--duration", "50ms", "--latency", "uniform:1ms,3ms", "--seed", "9", "--json"};
        ObjectMapper m = new ObjectMapper();
        JsonNode a = m.readTree(run(args).out());
        JsonNode b = m.readTree(run(args).out());
        assertEquals(a.get("trace_hash"), b.get("trace_hash"));
        assertEquals(a.get("latency_ms"), b.get("latency_ms"));
        assertTrue(a.get("broadcasts").asInt() > 50, "a 2000/s Poisson stream for 50 ms: " + a.get("broadcasts"));
    }

    @Test
    void tableIsPrintedWithoutJson() {
        Outcome o = run("broadcast", "--topology", "ring", "-n", "10", "--protocol", "ring");
        assertEquals(0, o.exit(), o.err());
        assertTrue(o.out().contains("reliability") && o.out().contains("msgs per op"), o.out());
        assertTrue(o.err().contains("seed=1"), "the run header names the seed: " + o.err());
    }

    @Test
    void badFlagsExitWithTwoAndOneLineNamingTheFlag() {
        record Bad(String flag, String[] args) {}
        List<Bad> cases = List.of(
                new Bad("--protocol", new String[] {"--topology", "ring", "-n", "8", "--protocol", "telepathy"}),
                new Bad("--latency", new String[] {"--topology", "ring", "-n", "8", "--latency", "const:fast"}),
                new Bad("--loss", new String[] {"--topology", "ring", "-n", "8", "--loss", "1.5"}),
                new Bad("--rate", new String[] {"--topology", "ring", "-n", "8", "--rate", "100"}),
                new Bad("--duration", new String[] {"--topology", "ring", "-n", "8", "--duration", "1s"}),
                new Bad("--rate", new String[] {"--topology", "ring", "-n", "8", "--rate", "-3", "--duration", "1s"}),
                new Bad("-n", new String[] {"--topology", "ring", "-n", "1"}),
                new Bad("--topology", new String[] {"--topology", "margulis", "-n", "10"}),
                new Bad("--topology", new String[] {"--topology", "moebius", "-n", "10"}),
                new Bad("--engine", new String[] {"--topology", "ring", "-n", "8", "--engine", "warp"}),
                new Bad("--processing", new String[] {"--topology", "ring", "-n", "8", "--engine", "netty", "--processing", "1ms"}),
                new Bad("--processing", new String[] {"--topology", "ring", "-n", "8", "--processing", "soon"}),
                new Bad("--connections", new String[] {"--topology", "ring", "-n", "8", "--connections", "lazy"}),
                new Bad("--connections", new String[] {"--topology", "ring", "-n", "8", "--engine", "netty", "--connections",
                    "sometimes"}),
                new Bad("--connections", new String[] {"--topology", "ring", "-n", "8", "--engine", "netty", "--connections",
                    "lazy:soon"}));
        for (Bad bad : cases) {
            String[] args = new String[bad.args().length + 1];
            args[0] = "broadcast";
            System.arraycopy(bad.args(), 0, args, 1, bad.args().length);
            Outcome o = run(args);
            String why = String.join(" ", args) + " -> " + o.err();
            assertEquals(2, o.exit(), why);
            assertEquals("", o.out(), why);
            List<String> lines = o.err().lines().filter(l -> l.startsWith("ringlab broadcast: ")).toList();
            assertEquals(1, lines.size(), why);
            assertTrue(lines.get(0).startsWith("ringlab broadcast: " + bad.flag() + ": "), why);
            assertFalse(o.err().contains("\tat ") || o.err().contains("Exception"), "stack trace: " + why);
        }
    }

    /**
     * On netty the run reports its connection policy and the open connections per node at its end: a flood on
     * complete keeps every edge (eager, its default: n - 1 each); hyparview+plumtree (lazy by default, here with
     * the idle time given) holds far fewer, and a bad policy is refused before anything runs.
     */
    @Test
    void nettyReportsTheConnectionPolicyAndOpenConnectionsPerNode() throws Exception {
        try {
            Outcome flood = run("broadcast", "--engine", "netty", "--topology", "complete", "-n", "8", "--json");
            assertEquals(0, flood.exit(), flood.err());
            JsonNode f = new ObjectMapper().readTree(flood.out());
            assertEquals("eager", f.get("connections").asText());
            assertEquals(7.0, f.get("open_connections_per_node").get("mean").asDouble(), 1e-9, flood.out());
            assertEquals(7, f.get("open_connections_per_node").get("max").asInt(), flood.out());

            Outcome hpv = run("broadcast", "--engine", "netty", "--topology", "complete", "-n", "16", "--protocol",
                    "hyparview+plumtree", "--connections", "lazy:500ms", "--drain", "1s", "--json");
            assertEquals(0, hpv.exit(), hpv.err());
            JsonNode h = new ObjectMapper().readTree(hpv.out());
            assertEquals("lazy:500ms", h.get("connections").asText());
            double mean = h.get("open_connections_per_node").get("mean").asDouble();
            // the active views (5) plus a shuffle's connection or two: well below n - 1 = 15
            assertTrue(mean >= 1 && mean <= 10, hpv.out());
            assertTrue(hpv.err().contains("--connections lazy:500ms"), "the replay line carries the flag: " + hpv.err());
        } finally {
            System.clearProperty(dev.ringlab.runtime.ConnectionPolicy.PROPERTY); // --connections set it for this JVM
        }
    }
}
