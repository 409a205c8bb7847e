package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.topology.Overlay;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The node's Env, timers and incarnations alone, on a one-thread executor standing for its event loop. */
@Timeout(30)
class NodeRunnerTest {
    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor();
    private final List<String> log = new CopyOnWriteArrayList<>();
    private final List<int[]> sends = new CopyOnWriteArrayList<>();
    private final AtomicInteger created = new AtomicInteger();

    @AfterEach
    void stop() {
        loop.shutdownNow();
    }

    /**
     * Each incarnation logs what it receives as "inc:from", observes a Tick per message, sends to node 1 on
     * every message, and on start arms a 50 ms timer that sends to node 2, and draws a first random number.
     */
    private final Protocol protocol = new Protocol() {
        @Override
        public String spec() {
            return "test-logger";
        }

        @Override
        public Node create(int id, Overlay overlay) {
            int inc = created.getAndIncrement();
            return new Node() {
                private Env env;

                @Override
                public void start(Env e) {
                    env = e;
                    log.add(inc + ":random:" + e.random().nextLong());
                    e.schedule(TimeUnit.MILLISECONDS.toNanos(50), () -> e.send(2, new Message.Inject(inc, new byte[0])));
                }

                @Override
                public void onMessage(int from, Message m) {
                    log.add(inc + ":" + from);
                    env.observe(new Observation.Tick(env.self(), 1, env.now()));
                    env.send(1, new Message.Inject(inc, new byte[0]));
                }
            };
        }
    };

    private NodeRunner runner(NodeMetrics metrics, List<Observation> seen, int maxPending) {
        return new NodeRunner(0, TestOverlays.biring(3), protocol, loop, System::nanoTime, 42,
                (to, m) -> sends.add(new int[] {to, (int) ((Message.Inject) m).id()}), seen::add, metrics, maxPending);
    }

    private void onLoop(Runnable r) throws Exception {
        loop.submit(r).get(10, TimeUnit.SECONDS);
    }

    @Test
    void messagesBeforeTheStartAreHeldThenDeliveredInOrderAndTheOverflowIsCountedAsNotStarted() throws Exception {
        NodeMetrics metrics = new NodeMetrics(0);
        List<Observation> seen = new CopyOnWriteArrayList<>();
        NodeRunner r = runner(metrics, seen, 2);
        onLoop(() -> {
            r.receive(1, new Message.Inject(1, new byte[0]));
            r.receive(2, new Message.Inject(2, new byte[0]));
            r.receive(1, new Message.Inject(3, new byte[0]));
        });
        assertEquals(1, metrics.dropped(ClusterStats.NOT_STARTED));
        assertTrue(log.isEmpty());
        onLoop(r::boot);
        assertEquals(List.of("0:1", "0:2"), log.subList(1, log.size()));
        assertEquals(2, metrics.delivered());
        assertEquals(2, seen.size());
        assertEquals(2, sends.size());
    }

    @Test
    void aCrashedIncarnationsTimersSendsAndObservationsAreIgnoredAndARestartIsAFreshNode() throws Exception {
        NodeMetrics metrics = new NodeMetrics(0);
        List<Observation> seen = new CopyOnWriteArrayList<>();
        NodeRunner r = runner(metrics, seen, 10);
        onLoop(r::boot);
        onLoop(r::crash);
        // The executor runs tasks in deadline order: once this 60 ms task ran, the dead incarnation's 50 ms timer
        // has had its turn, and it must not have sent.
        loop.schedule(() -> { }, 60, TimeUnit.MILLISECONDS).get(10, TimeUnit.SECONDS);
        assertTrue(sends.isEmpty(), "the dead incarnation's timer sent: " + sends);
        assertTrue(seen.isEmpty());

        onLoop(r::boot);
        assertEquals(2, created.get(), "a restart creates a fresh node from the protocol");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (sends.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(1, sends.size());
        assertEquals(2, sends.get(0)[0]);
        assertEquals(1, sends.get(0)[1], "sent by the second incarnation's timer");
        assertNotEquals(log.get(0).split(":")[2], log.get(1).split(":")[2], "each incarnation has its own random stream");
        assertEquals(1, r.incarnation(), "one crash: the second incarnation");
    }

    @Test
    void aThrowingNodeIsRecordedOnceAndKeepsRunning() throws Exception {
        Protocol throwing = new Protocol() {
            @Override
            public String spec() {
                return "test-throwing";
            }

            @Override
            public Node create(int id, Overlay overlay) {
                return new Node() {
                    @Override
                    public void start(Env env) {
                    }

                    @Override
                    public void onMessage(int from, Message m) {
                        throw new IllegalStateException("boom " + from);
                    }
                };
            }
        };
        NodeRunner r = new NodeRunner(0, TestOverlays.biring(3), throwing, loop, System::nanoTime, 1, (to, m) -> { },
                o -> { }, new NodeMetrics(0), 10);
        onLoop(r::boot);
        onLoop(() -> r.receive(1, new Message.Inject(1, new byte[0])));
        onLoop(() -> r.receive(2, new Message.Inject(1, new byte[0])));
        assertNotNull(r.failure());
        assertTrue(r.failure().getMessage().contains("boom 1"), r.failure().getMessage());
    }
}
