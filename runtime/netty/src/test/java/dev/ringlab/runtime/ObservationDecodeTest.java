package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Observation;
import org.junit.jupiter.api.Test;

/**
 * A child's observation line the driver cannot decode fails the run with one line naming the node and the
 * cause (it used to kill the reader thread silently, and a processes run reported reliability 0 with exit 0).
 */
class ObservationDecodeTest {
    @Test
    void aKnownObservationRoundTrips() {
        Observation o = new Observation.Tick(2, 7, 123L);
        assertEquals(o, ProcessCluster.decodeObservation(2, ObservationJson.toJson(o)));
    }

    @Test
    void anUnknownKindIsAOneLineFailureNamingTheNode() throws Exception {
        var j = ObservationJson.MAPPER.readTree("{\"event\":\"observation\",\"kind\":\"NoSuchRecord\",\"node\":3}");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ProcessCluster.decodeObservation(3, j));
        assertTrue(e.getMessage().startsWith("node 3 wrote an observation this ringlab cannot decode: unknown observation kind"),
                e.getMessage());
        assertTrue(e.getMessage().contains("same ringlab build") && !e.getMessage().contains("\n"), e.getMessage());
    }
}
