package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ringlab cache --check --history FILE}: the client history is recorded on every engine and checked
 * for linearizability key by key. A crash and respawn keeps it linearizable (the cache's guarantee); a
 * partition does not (the limit the cache's doc admits), and the check finds it, names the keys and shows the
 * operations up to the first one no order explains.
 */
class CacheHistoryCheckTest {
    @TempDir
    Path tmp;

    @Test
    void aCrashAndRespawnLeaveALinearizableHistoryOnTheSimulatorAndOnLoopbackSockets() throws Exception {
        for (String engine : List.of("sim", "netty")) {
            Path file = tmp.resolve(engine + ".jsonl");
            TokenCommandTest.Result r = TokenCommandTest.run("cache", "--engine", engine, "-n", "4", "--keys", "50", "--ops",
                    "2000", "--clients", "8", "--faults", "crash:2@300ms..2300ms", "--timeout", "30s", "--check",
                    "--history", file.toString(), "--json");
            assertEquals(0, r.exit(), engine + ": " + r.err());
            JsonNode j = r.json();
            assertTrue(j.get("linearizable").asBoolean(), engine + ": " + r.out());
            assertEquals(0, j.get("nonlinearizable_keys").asInt(), r.out());
            assertEquals(0, j.get("undecided_keys").asInt(), r.out());
            List<String> lines = Files.readAllLines(file);
            assertFalse(lines.isEmpty(), "history written");
            assertEquals(j.get("history_ops").asLong(), lines.size(), r.out());
            // Load puts, the operations and the read-back: at least one operation per key and phase.
            assertTrue(lines.size() >= 50 + 2000 + 50 - 20, "history of " + lines.size() + " operations");
            long writes = 0;
            for (String line : lines) {
                JsonNode op = new ObjectMapper().readTree(line);
                for (String f : List.of("key", "id", "type", "value", "invoke_ms", "complete_ms")) {
                    assertTrue(op.has(f), "missing " + f + " in " + line);
                }
                writes += op.get("type").asText().equals("write") ? 1 : 0;
            }
            assertTrue(writes >= 50, "the load phase's puts are in the history: " + writes);
        }
    }

    @Test
    void aPartitionBreaksLinearizabilityAndTheCheckShowsWhere() throws Exception {
        TokenCommandTest.Result r = TokenCommandTest.run("cache", "-n", "6", "--faults", "partition:0-2|3-5@1s..3s",
                "--check", "--json");
        assertEquals(1, r.exit(), r.err());
        JsonNode j = r.json();
        assertFalse(j.get("linearizable").asBoolean(), r.out());
        assertTrue(j.get("nonlinearizable_keys").asInt() > 0, r.out());
        List<String> err = r.err().lines().toList();
        assertTrue(err.stream().anyMatch(l -> l.startsWith("ringlab cache: the history is not linearizable: ")), r.err());
        assertTrue(err.stream().anyMatch(l -> l.contains("operations up to the first that no order explains")), r.err());
        assertTrue(err.stream().anyMatch(l -> l.trim().startsWith("get #") || l.trim().startsWith("put #")), r.err());
        assertTrue(err.get(err.size() - 1).startsWith("replay: ringlab cache "), r.err());
        assertTrue(err.get(err.size() - 1).contains("--check"), r.err());
    }

    @Test
    void withoutCheckTheVerdictIsNullNotFalse() throws Exception {
        TokenCommandTest.Result r = TokenCommandTest.run("cache", "-n", "4", "--keys", "20", "--ops", "200", "--json");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.json().get("linearizable").isNull(), r.out());
        assertTrue(r.json().get("nonlinearizable_keys").isNull(), r.out());
        assertTrue(r.json().get("history_ops").asLong() > 0, r.out());
    }
}
