package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Placement, dc links and dc-regular on the command line: the exit-2 cases, and a tiny datacenters run on sim. */
class DatacentersCommandTest {
    static final String DC = "dc:intra=lognormal:200us,0.3;inter=const:40ms";

    static TopologyCommandTest.Result run(String... args) {
        return TopologyCommandTest.run(args);
    }

    static void usage(String flag, String... args) {
        TopologyCommandTest.Result r = run(args);
        assertEquals(2, r.exit(), String.join(" ", args) + ": " + r.err());
        String[] lines = r.err().strip().split("\n");
        String line = lines[lines.length - 1]; // after the options line some commands print first
        assertTrue(line.startsWith("ringlab ") && line.contains(flag + ":") && !r.err().contains("Exception"),
                String.join(" ", args) + " -> " + line);
    }

    @Test
    void badPlacementsAndDcLinksAreOneLineUsageErrors() {
        usage("--placement", "token", "-n", "23", "--placement", "dcs=3,per-dc=8,order=interleaved");
        usage("--placement", "token", "-n", "24", "--placement", "dcs=3,per-dc=8,order=zigzag");
        usage("--latency", "token", "-n", "24", "--latency", DC);
        usage("--latency", "broadcast", "--topology", "ring", "-n", "24", "--latency", "dc:intra=const:1ms");
        usage("--placement", "topology", "dc-regular:3,1", "-n", "24");
        usage("--placement", "broadcast", "--topology", "dc-regular:3,1", "-n", "24");
        usage("SPEC", "topology", "dc-regular:3,0", "-n", "24", "--placement", "dcs=3,per-dc=8");
        usage("--placement", "compare", "--placement", "dcs=3,per-dc=8");
        usage("--engine", "datacenters", "--engine", "processes");
        usage("--lost-dc", "datacenters", "--lost-dc", "4");
        usage("--latency", "datacenters", "--latency", "const:1ms");
        usage("--degree/--inter-edges", "datacenters", "--degree", "8");
    }

    @Test
    void topologyReportsInterDatacenterEdgesOnlyWithAPlacement() throws Exception {
        TopologyCommandTest.Result r = run("topology", "dc-regular:3,1", "-n", "24", "--placement", "dcs=3,per-dc=8,order=grouped",
                "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        assertEquals(12, j.get("inter_dc_edges").asInt());
        assertEquals(3, j.get("datacenters").asInt());
        assertEquals(4, j.get("degree_min").asInt());
        assertTrue(j.get("connected").asBoolean());
        assertTrue(j.get("spectral_gap").asDouble() > 0);
        JsonNode plain = run("topology", "ring", "-n", "24", "--json").json();
        assertTrue(plain.get("inter_dc_edges").isNull(), "not measured is null, never 0");
        assertEquals(3, run("topology", "ring", "-n", "24", "--placement", "dcs=3,per-dc=8,order=grouped", "--json").json()
                .get("inter_dc_edges").asInt());
    }

    @Test
    void aDcLinkTakesEffectOnTheSimulatedRing() throws Exception {
        double[] rotation = new double[2];
        String[] orders = {"interleaved", "grouped"};
        for (int i = 0; i < 2; i++) {
            TopologyCommandTest.Result r = run("token", "-n", "6", "--placement", "dcs=2,per-dc=3,order=" + orders[i], "--latency",
                    "dc:intra=const:1ms;inter=const:40ms", "--rotations", "2", "--json");
            assertEquals(0, r.exit(), r.err());
            rotation[i] = r.json().get("rotation_ms").get("p50").asDouble();
        }
        assertEquals(6 * 40.0, rotation[0], 1e-6, "interleaved: every hop crosses the WAN");
        assertEquals(2 * 40.0 + 4 * 1.0, rotation[1], 1e-6, "grouped: two WAN hops per rotation");
        TopologyCommandTest.Result b = run("broadcast", "--topology", "dc-regular:2,1", "-n", "6", "--placement",
                "dcs=2,per-dc=3,order=interleaved", "--latency", DC, "--json");
        assertEquals(0, b.exit(), b.err());
        assertEquals(1.0, b.json().get("reliability").asDouble());
    }

    @Test
    @Timeout(120)
    void aTinyRunOnSimWritesItsTablesPlotsAndRunJson(@TempDir Path out) throws Exception {
        TopologyCommandTest.Result r = run("datacenters", "--dcs", "2", "--per-dc", "3", "--degree", "2", "--inter-edges", "1",
                "--rotations", "2", "--broadcasts", "2", "--outage", "500ms", "--dc-loss", "crash", "--out", out.toString(), "--json");
        assertEquals(0, r.exit(), r.err());
        // The replay line: the arguments once, after the command's name, plus the defaulted --engine and --seed.
        assertTrue(r.err().contains("replay: ringlab datacenters --dcs 2 --per-dc 3 "), r.err());
        assertTrue(r.err().contains(" --json --engine sim --seed 1"), r.err());
        JsonNode j = r.json();
        Path dir = Path.of(j.get("results_dir").asText());
        for (String f : new String[] {"token.csv", "broadcast.csv", "dc-loss.csv", "run.json", "token-rotation.png",
            "broadcast-latency.png", "dc-return.png"}) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f + " in " + dir);
        }
        assertEquals(3, j.get("token").size());
        assertEquals(9, j.get("broadcast").size());
        assertEquals(3, j.get("dc_loss").size());
        assertEquals(240.0, j.get("token").get(0).get("rotation_ms_p50").asDouble(), 1e-6, "interleaved: 6 WAN hops of 40 ms");
        for (JsonNode row : j.get("dc_loss")) {
            assertTrue(row.get("ring_rejoin_ms").isNumber() && row.get("converge_after_return_ms").isNumber(), row.toString());
        }
    }
}
