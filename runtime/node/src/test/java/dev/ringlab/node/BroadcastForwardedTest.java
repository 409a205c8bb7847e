package dev.ringlab.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@link Message.Broadcast#forwarded()}: the next hop by value, one instance per forwarded instance and thread. */
class BroadcastForwardedTest {
    private static final byte[] PAYLOAD = {1, 2, 3};

    @Test
    void theNextHopCarriesEverythingButTheHopUnchanged() {
        Message.Broadcast b = new Message.Broadcast(7, 3, 1_000, 4, PAYLOAD);
        Message.Broadcast next = b.forwarded();
        assertEquals(new Message.Broadcast(7, 3, 1_000, 5, PAYLOAD), next);
        assertSame(PAYLOAD, next.payload());
    }

    @Test
    void forwardersOfOneInstanceShareTheNextOneAndOthersDoNot() {
        Message.Broadcast hop2 = new Message.Broadcast(1, 0, 0, 2, PAYLOAD);
        Message.Broadcast equalButOther = new Message.Broadcast(1, 0, 0, 2, PAYLOAD);
        Message.Broadcast hop3 = hop2.forwarded();
        // Other hops in between (a flood interleaves its levels) do not evict it.
        Message.Broadcast hop1 = new Message.Broadcast(1, 0, 0, 1, PAYLOAD);
        Message.Broadcast hop2b = hop1.forwarded();
        assertSame(hop3, hop2.forwarded());
        assertSame(hop2b, hop1.forwarded());
        // A different instance of the same value is forwarded as a new one (decoded copies never share).
        Message.Broadcast other = equalButOther.forwarded();
        assertNotSame(hop3, other);
        assertEquals(hop3, other);
        // ... and then the memo holds it, not hop2's.
        assertNotSame(hop3, hop2.forwarded());
    }

    @Test
    void threadsDoNotShareTheMemo() throws Exception {
        Message.Broadcast b = new Message.Broadcast(9, 1, 5, 0, PAYLOAD);
        Message.Broadcast mine = b.forwarded();
        AtomicReference<Message.Broadcast> theirs = new AtomicReference<>();
        Thread t = new Thread(() -> theirs.set(b.forwarded()));
        t.start();
        t.join();
        assertNotSame(mine, theirs.get());
        assertEquals(mine, theirs.get());
        assertSame(mine, b.forwarded());
    }
}
