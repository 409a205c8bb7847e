package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ReplayCommandTest {
    static final ObjectMapper M = new ObjectMapper();
    static Path runJson;

    @BeforeAll
    static void record() throws Exception {
        Path out = Files.createTempDirectory("replay");
        BroadcastCommandTest.Outcome o = BroadcastCommandTest.run("compare", "--nodes", "16,32", "--topologies",
                "biring,random-regular:4", "--seeds", "2", "--broadcasts", "3", "--latency", "uniform:1ms,3ms", "--out",
                out.toString(), "--json");
        assertEquals(0, o.exit(), o.err());
        runJson = Path.of(M.readTree(o.out()).get("results_dir").asText()).resolve("run.json");
    }

    /** A copy of the recorded run.json with one edit, in its own directory. */
    static Path edited(java.util.function.Consumer<ObjectNode> edit) throws Exception {
        ObjectNode run = (ObjectNode) M.readTree(runJson.toFile());
        edit.accept(run);
        Path f = Files.createTempDirectory("replay-edited").resolve("run.json");
        M.writeValue(f.toFile(), run);
        return f;
    }

    @Test
    void anUntouchedRunReplaysWithEveryHashMatching() {
        BroadcastCommandTest.Outcome o = BroadcastCommandTest.run("replay", runJson.toString());
        assertEquals(0, o.exit(), o.out() + o.err());
        assertTrue(o.out().contains("all 8 trace hashes match"), o.out());
        // The directory works as well as the file.
        assertEquals(0, BroadcastCommandTest.run("replay", runJson.getParent().toString()).exit());
    }

    @Test
    void aChangedSeedIsDetected() throws Exception {
        Path f = edited(run -> ((ObjectNode) run.get("runs").get(5)).put("seed", 99));
        BroadcastCommandTest.Outcome o = BroadcastCommandTest.run("replay", f.toString(), "--json");
        assertEquals(1, o.exit(), o.out() + o.err());
        JsonNode j = M.readTree(o.out());
        assertEquals(false, j.get("matched").asBoolean());
        assertEquals(1, j.get("mismatches").size());
        JsonNode m = j.get("mismatches").get(0);
        assertEquals(99, m.get("seed").asLong());
        assertEquals(M.readTree(runJson.toFile()).get("runs").get(5).get("trace_hash").asText(), m.get("recorded").asText());
    }

    @Test
    void aChangedRecordedHashOrParameterIsDetected() throws Exception {
        Path hash = edited(run -> ((ObjectNode) run.get("runs").get(0)).put("trace_hash", "0123456789abcdef"));
        BroadcastCommandTest.Outcome o = BroadcastCommandTest.run("replay", hash.toString());
        assertEquals(1, o.exit(), o.out());
        assertTrue(o.out().contains("1 of 8 trace hashes differ"), o.out());
        assertTrue(o.out().contains("biring n=16 seed=1: recorded 0123456789abcdef, replayed "), o.out());
        // A different latency model changes every run.
        Path latency = edited(run -> run.put("latency", "uniform:1ms,4ms"));
        BroadcastCommandTest.Outcome l = BroadcastCommandTest.run("replay", latency.toString());
        assertEquals(1, l.exit(), l.out());
        assertTrue(l.out().contains("8 of 8 trace hashes differ"), l.out());
    }

    @Test
    void aRealEngineRunIsAUsageError() throws Exception {
        Path f = edited(run -> run.put("engine", "netty"));
        BroadcastCommandTest.Outcome o = BroadcastCommandTest.run("replay", f.toString());
        assertEquals(2, o.exit(), o.out());
        assertTrue(o.err().contains("only simulator runs replay"), o.err());
    }
}
