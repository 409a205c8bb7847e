package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ringlab.node.spec.ClusterEngine;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * notebooks/defaults.json is what the notebooks compare a run against to warn that it is smaller than a
 * command's defaults (notebooks/ringlab_run.py): it must say what the CLI does when not told.
 */
class NotebookDefaultsTest {
    static JsonNode defaults() throws Exception {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("notebooks/defaults.json"))) {
            p = p.getParent();
        }
        assertTrue(p != null, "notebooks/defaults.json not found above " + Path.of("").toAbsolutePath());
        return new ObjectMapper().readTree(p.resolve("notebooks/defaults.json").toFile());
    }

    static String option(Object command, String name) {
        return new CommandLine(command).getCommandSpec().findOption(name).defaultValue();
    }

    static List<String> texts(JsonNode a) {
        List<String> out = new ArrayList<>();
        a.forEach(x -> out.add(x.asText()));
        return out;
    }

    @Test
    void notebookDefaultsAreTheCommandsDefaults() throws Exception {
        JsonNode d = defaults();
        JsonNode c = d.get("compare");
        assertEquals(List.of(CompareCommand.DEFAULT_NODES.split(",")), texts(c.get("nodes")));
        assertEquals(List.of(CompareCommand.DEFAULT_TOPOLOGIES.split(",")), texts(c.get("topologies")));
        assertEquals(Engines.all().size(), c.get("by_engine").size());
        for (ClusterEngine e : Engines.all()) {
            JsonNode byEngine = c.get("by_engine").get(e.name());
            assertEquals(Defaults.sweep(e).seeds(), byEngine.get("seeds").asInt(), e.name());
            assertEquals(Defaults.sweep(e).broadcasts(), byEngine.get("broadcasts_per_seed").asInt(), e.name());
        }
        JsonNode r = d.get("recover-sweep");
        assertEquals(List.of(option(new RecoverSweepCommand(), "--nodes").split(",")), texts(r.get("nodes")));
        assertEquals(List.of(option(new RecoverSweepCommand(), "--suspicion-timeouts").split(",")),
                texts(r.get("suspicion_timeouts")));
        assertEquals(option(new RecoverSweepCommand(), "--seeds"), r.get("seeds").asText());
        assertEquals(option(new FidelityCommand(), "--seeds"), d.get("fidelity").get("seeds").asText());
    }
}
