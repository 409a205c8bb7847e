package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Observation;
import org.junit.jupiter.api.Test;

/** A protocol's own observation records (Observation.Custom) on their way from a node process to the driver. */
class CustomObservationJsonTest {
    record Sample(int node, long value, double ratio, boolean flag, String note, long atNanos) implements Observation.Custom {}

    record Clash(int node, String kind) implements Observation.Custom {}

    @Test
    void aCustomRecordRoundTripsNamedByItsClass() {
        Sample s = new Sample(3, Long.MIN_VALUE, 0.1, true, "a \"quoted\" note\n", 42);
        var j = NodeProcess.observation(s);
        assertEquals("observation", j.path("event").asText());
        assertEquals("Custom", j.path("kind").asText());
        assertEquals(Sample.class.getName(), j.path("class").asText());
        assertEquals(s, ProcessCluster.decodeObservation(3, j));
    }

    @Test
    void aComponentNamedLikeTheLinesOwnKeysIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ObservationJson.toJson(new Clash(1, "x")));
        assertTrue(e.getMessage().contains("component kind has a name the JSON line uses itself"), e.getMessage());
    }

    @Test
    void onlyCustomRecordsAreBuiltFromANamedClass() throws Exception {
        for (String cls : new String[] {"java.lang.String", "dev.ringlab.node.Observation$Tick", "no.such.Record"}) {
            var j = ObservationJson.MAPPER.readTree("{\"event\":\"observation\",\"kind\":\"Custom\",\"class\":\"" + cls
                    + "\",\"node\":1}");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ProcessCluster.decodeObservation(1, j));
            assertTrue(e.getMessage().startsWith("node 1 wrote an observation this ringlab cannot decode: ")
                    && e.getMessage().contains(cls) && !e.getMessage().contains("\n"), e.getMessage());
        }
    }
}
