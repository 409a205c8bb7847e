package dev.ringlab.node.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The history ReplicaWatch keeps for {@code config/catalog --check}: client operations, order, phantom acks. */
class ReplicaWatchHistoryTest {
    @Test
    void clientOperationsAreMatchedToTheDeltasTheirNodeCreatesAndToTheirAcks() {
        ReplicaWatch w = new ReplicaWatch(3);
        w.invoked(0, 10, "put a");
        w.invoked(0, 11, "put b");
        w.invoked(1, 12, "put c");
        w.accept(new Observation.DeltaApplied(0, 0, 7, 1, 0, 15));
        w.accept(new Observation.DeltaApplied(1, 1, 9, 1, 0, 16));
        w.accept(new Observation.DeltaApplied(0, 0, 7, 2, 0, 17));
        w.accept(new Observation.DeltaAcked(0, 7, 2, 1, 30)); // acks 1 and 2 of node 0
        List<ReplicaWatch.ClientOp> h = w.clientHistory();
        assertEquals(3, h.size(), h.toString());
        assertEquals("put a", h.get(0).op());
        assertEquals(new Message.Dot(0, 7, 1), h.get(0).dot());
        assertEquals(30, h.get(0).ackedNanos());
        assertEquals("put c", h.get(1).op());
        assertEquals(-1, h.get(1).ackedNanos(), "node 1's delta is not acknowledged");
        assertEquals("put b", h.get(2).op());
        assertEquals(new Message.Dot(0, 7, 2), h.get(2).dot());
        assertEquals(0, w.orderViolations());
        assertEquals(0, w.phantomAcks());
    }

    @Test
    void aRequestItsNodeTookDownWithItHasNoDelta() {
        ReplicaWatch w = new ReplicaWatch(2);
        w.invoked(1, 5, "put x");
        w.crashed(1);
        List<ReplicaWatch.ClientOp> h = w.clientHistory();
        assertEquals(1, h.size());
        assertNull(h.get(0).dot());
        assertEquals(-1, h.get(0).ackedNanos());
    }

    @Test
    void outOfOrderDuplicateAndPhantomAreCounted() {
        ReplicaWatch w = new ReplicaWatch(2);
        w.accept(new Observation.DeltaApplied(0, 0, 1, 1, 0, 1));
        w.accept(new Observation.DeltaApplied(1, 0, 1, 2, 0, 2)); // node 1 applies seq 2 before seq 1
        w.accept(new Observation.DeltaApplied(1, 0, 1, 1, 0, 3));
        w.accept(new Observation.DeltaApplied(0, 0, 1, 2, 0, 4));
        w.accept(new Observation.DeltaApplied(0, 0, 1, 2, 0, 5)); // applied twice
        assertEquals(3, w.orderViolations(), w.orderViolationSamples().toString());
        assertTrue(w.orderViolationSamples().get(0).startsWith("node 1 applied "), w.orderViolationSamples().toString());
        w.accept(new Observation.DeltaAcked(0, 1, 3, 1, 6)); // seq 3 was never created
        assertEquals(1, w.phantomAcks());
        // After a crash, a node's fresh incarnation starts every source from 1 again.
        w.crashed(1);
        w.accept(new Observation.DeltaApplied(1, 0, 1, 1, 0, 7));
        assertEquals(3, w.orderViolations());
    }
}
