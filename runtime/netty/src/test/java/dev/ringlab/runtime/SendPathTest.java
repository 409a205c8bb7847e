package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The send path alone: node 0 of 4 whose neighbours are 1 and 3, on a one-thread executor standing for its
 * event loop, writing to a wire that records what reaches it (or refuses, as a connection would).
 */
@Timeout(30)
class SendPathTest {
    private static final long MS = 1_000_000L;
    private static final Message M = new Message.Broadcast(1, 0, 0, 0, new byte[16]);

    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
    private final ConcurrentLinkedQueue<long[]> written = new ConcurrentLinkedQueue<>(); // {to, nanoTime}
    private volatile String refuse; // what the wire answers: null writes

    @AfterEach
    void stop() {
        loop.shutdownNow();
    }

    private record Emulation(long delay, double lossProbability) implements LinkEmulation {
        @Override
        public long delayNanos(int from, int to, RandomGenerator random) {
            return delay;
        }

        @Override
        public String spec() {
            return null;
        }
    }

    private SendPath path(LinkEmulation e, LinkFaults faults, NodeMetrics metrics, long seed) {
        boolean[] peers = {false, true, false, true};
        return new SendPath(0, peers, e, faults, metrics, loop, System::nanoTime, seed, 1 << 20, (to, m, size) -> {
            if (refuse != null) {
                return refuse;
            }
            written.add(new long[] {to, System.nanoTime()});
            return null;
        });
    }

    /** Runs {@code r} on the path's thread, as the node would. */
    private void onLoop(Runnable r) throws Exception {
        loop.submit(r).get(10, TimeUnit.SECONDS);
    }

    private static boolean await(BooleanSupplier c) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    @Test
    void aSendToANonNeighbourIsCountedAsSentAndDroppedAsNoEdge() throws Exception {
        NodeMetrics metrics = new NodeMetrics(0);
        SendPath p = path(LinkEmulation.NONE, new LinkFaults(4), metrics, 1);
        onLoop(() -> {
            p.send(2, M);
            p.send(1, M);
        });
        assertEquals(2, metrics.sent());
        assertEquals(2L * MessageCodec.encodedSize(M), metrics.bytesSent());
        assertEquals(Map.of(ClusterStats.NO_EDGE, 1L), metrics.counters().drops());
        assertEquals(1, written.size());
        assertEquals(1, written.peek()[0]);
        assertTrue(metrics.counters().lastSendNanos().isPresent());
    }

    @Test
    void aSendToItselfOrOutsideTheClusterIsABug() {
        SendPath p = path(LinkEmulation.NONE, new LinkFaults(4), new NodeMetrics(0), 1);
        ExecutionException self = assertThrows(ExecutionException.class, () -> onLoop(() -> p.send(0, M)));
        assertTrue(self.getCause() instanceof IllegalArgumentException, self.toString());
        ExecutionException outside = assertThrows(ExecutionException.class, () -> onLoop(() -> p.send(4, M)));
        assertTrue(outside.getCause() instanceof IllegalArgumentException, outside.toString());
    }

    @Test
    void aLossBurstOfOneDropsEverySendAsLossAndZeroEndsIt() throws Exception {
        NodeMetrics metrics = new NodeMetrics(0);
        LinkFaults faults = new LinkFaults(4);
        SendPath p = path(LinkEmulation.NONE, faults, metrics, 1);
        faults.lossBurst(1.0);
        onLoop(() -> {
            for (int k = 0; k < 50; k++) {
                p.send(1, M);
            }
        });
        assertEquals(50, metrics.dropped(ClusterStats.LOSS));
        assertTrue(written.isEmpty());
        faults.lossBurst(0);
        onLoop(() -> {
            for (int k = 0; k < 50; k++) {
                p.send(3, M);
            }
        });
        assertEquals(50, written.size());
        assertEquals(50, metrics.dropped(ClusterStats.LOSS));
    }

    @Test
    void lossDrawsReplayFromTheSeedAndDifferAcrossSeeds() throws Exception {
        List<Integer> a = lossPattern(7);
        assertTrue(a.size() > 0 && a.size() < 200, "p = 0.5 of 200 sends lost " + a.size());
        assertEquals(a, lossPattern(7));
        assertNotEquals(a, lossPattern(8));
    }

    /** Which of 200 sends a loss of 0.5 (a burst on top of no configured loss) drops, for one seed. */
    private List<Integer> lossPattern(long seed) throws Exception {
        written.clear();
        LinkFaults faults = new LinkFaults(4);
        faults.lossBurst(0.5);
        SendPath p = path(LinkEmulation.NONE, faults, new NodeMetrics(0), seed);
        List<Integer> lost = new ArrayList<>();
        onLoop(() -> {
            for (int k = 0; k < 200; k++) {
                int before = written.size();
                p.send(1, M);
                if (written.size() == before) {
                    lost.add(k);
                }
            }
        });
        return lost;
    }

    /** The slow node's extra delay applies to its own sends and to its neighbours' sends towards it. */
    @Test
    void aSlowNodeDelaysItsSendsAndTheSendsToItByItsExtraDelay() throws Exception {
        LinkFaults faults = new LinkFaults(4);
        faults.slow(3, 30 * MS);
        SendPath p = path(LinkEmulation.NONE, faults, new NodeMetrics(0), 1);
        long[] sentAt = new long[1];
        onLoop(() -> {
            sentAt[0] = System.nanoTime();
            p.send(3, M); // to the slow node: delayed
            p.send(1, M); // to a normal one: at once
        });
        assertEquals(1, written.size(), "the send to the normal node is written at once");
        assertEquals(1, written.peek()[0]);
        assertTrue(await(() -> written.size() == 2));
        long[] late = written.toArray(new long[0][])[1];
        assertEquals(3, late[0]);
        assertTrue(late[1] - sentAt[0] >= 30 * MS, "written after " + (late[1] - sentAt[0]) / 1e6 + " ms, never early");

        written.clear();
        faults.slow(3, 0);
        faults.slow(0, 20 * MS); // this node itself is slow: every send of it waits
        onLoop(() -> {
            sentAt[0] = System.nanoTime();
            p.send(1, M);
        });
        assertTrue(await(() -> written.size() == 1));
        assertTrue(written.peek()[1] - sentAt[0] >= 20 * MS);
    }

    @Test
    void aCrashDiscardsTheDelayedMessagesAsSenderCrashed() throws Exception {
        NodeMetrics metrics = new NodeMetrics(0);
        SendPath p = path(new Emulation(20 * MS, 0), new LinkFaults(4), metrics, 1);
        onLoop(() -> {
            p.send(1, M);
            p.send(3, M);
            p.discardDelayed();
        });
        assertTrue(await(() -> metrics.dropped(ClusterStats.SENDER_CRASHED) == 2));
        assertTrue(written.isEmpty());
        assertEquals(0, p.delayedBytes(1));
    }

    @Test
    void aMissingConnectionToANodeTheEngineCrashedIsReceiverDownOtherwiseNoConnection() throws Exception {
        NodeMetrics metrics = new NodeMetrics(0);
        LinkFaults faults = new LinkFaults(4);
        SendPath p = path(LinkEmulation.NONE, faults, metrics, 1);
        refuse = ClusterStats.NO_CONNECTION;
        faults.down(3, true);
        onLoop(() -> {
            p.send(3, M);
            p.send(1, M);
        });
        assertEquals(1, metrics.dropped(ClusterStats.RECEIVER_DOWN));
        assertEquals(1, metrics.dropped(ClusterStats.NO_CONNECTION));
        refuse = ClusterStats.NOT_WRITABLE;
        onLoop(() -> p.send(3, M));
        assertEquals(1, metrics.dropped(ClusterStats.NOT_WRITABLE), "backpressure stays backpressure");
    }

    @Test
    void theEmulatedWireOfOneLinkIsBounded() throws Exception {
        NodeMetrics metrics = new NodeMetrics(0);
        boolean[] peers = {false, true, false, true};
        int size = MessageCodec.encodedSize(M);
        SendPath p = new SendPath(0, peers, new Emulation(TimeUnit.SECONDS.toNanos(5), 0), new LinkFaults(4), metrics, loop,
                System::nanoTime, 1, 3 * size, (to, m, s) -> null);
        onLoop(() -> {
            for (int k = 0; k < 5; k++) {
                p.send(1, M);
            }
        });
        assertEquals(2, metrics.dropped(ClusterStats.EMULATION_BACKLOG));
        assertEquals(3L * size, p.delayedBytes(1));
    }
}
