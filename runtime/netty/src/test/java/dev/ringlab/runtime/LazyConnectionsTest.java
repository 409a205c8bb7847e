package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Message;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.protocols.Protocols;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The lazy {@link ConnectionPolicy} on loopback sockets, two link tables on their own loops: nothing is dialled
 * before the first send, which is delivered; an edge idle both ways closes on both sides and the next send
 * reopens it and is delivered; sends crossing both ways end with one connection, the same on both ends,
 * every message delivered; a dial that fails drops what it held (counted) and backs off; the held buffer is
 * bounded.
 */
@Timeout(60)
class LazyConnectionsTest {
    private static final long IDLE_MS = 300;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final byte[] secret = new byte[32];
    private final List<String> received = new CopyOnWriteArrayList<>();
    private final List<NodeMetrics> metrics = new ArrayList<>();

    LazyConnectionsTest() {
        new SecureRandom().nextBytes(secret);
    }

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private LinkTable table(int self, EventLoop loop) {
        return table(self, loop, RuntimeConfig.defaults());
    }

    private LinkTable table(int self, EventLoop loop, RuntimeConfig base) {
        NodeMetrics m = new NodeMetrics(self);
        metrics.add(m);
        RuntimeConfig config = base.withConnections(ConnectionPolicy.lazy(TimeUnit.MILLISECONDS.toNanos(IDLE_MS)));
        return new LinkTable(self, TestOverlays.biring(2), config, new Handshake(secret), loop, m,
                (from, msg) -> received.add(from + "->" + self + ":" + ((Message.Inject) msg).id()), 1L);
    }

    private static boolean await(BooleanSupplier c, long ms) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        while (!c.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    private static String write(LinkTable t, EventLoop loop, int to, long id) throws Exception {
        return loop.submit(() -> t.write(to, new Message.Inject(id, new byte[0]), 13)).get(5, TimeUnit.SECONDS);
    }

    private static <T> T on(EventLoop loop, java.util.concurrent.Callable<T> c) throws Exception {
        return loop.submit(c).get(5, TimeUnit.SECONDS);
    }

    /** Two lazy tables bound, opened and told each other's addresses. */
    private LinkTable[] pair(EventLoop l0, EventLoop l1) throws Exception {
        LinkTable t0 = table(0, l0);
        LinkTable t1 = table(1, l1);
        InetSocketAddress[] addresses = {
            new InetSocketAddress("127.0.0.1", t0.bind(0)), new InetSocketAddress("127.0.0.1", t1.bind(0))};
        l0.submit(t0::open).get(5, TimeUnit.SECONDS);
        l1.submit(t1::open).get(5, TimeUnit.SECONDS);
        t0.connect(addresses);
        t1.connect(addresses);
        return new LinkTable[] {t0, t1};
    }

    @Test
    void policySpecsParseAndPrintBack() {
        assertEquals(ConnectionPolicy.EAGER, ConnectionPolicy.parse("eager"));
        assertEquals(ConnectionPolicy.lazy(TimeUnit.SECONDS.toNanos(1)), ConnectionPolicy.parse("lazy"));
        assertEquals("lazy:10s", ConnectionPolicy.parse("LAZY:10s").spec());
        assertEquals("lazy:" + ConnectionPolicy.DEFAULT_IDLE_TEXT, ConnectionPolicy.parse("lazy").spec(), "the help's default");
        assertEquals("lazy:500ms", ConnectionPolicy.parse("lazy:500ms").spec());
        assertEquals("eager", ConnectionPolicy.EAGER.spec());
        for (String bad : new String[] {"", "lazy:", "lazy:0s", "lazy:10", "sometimes", "lazy:500us"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConnectionPolicy.parse(bad), bad);
            assertNotNull(e.getMessage());
        }
        assertEquals(ConnectionPolicy.EAGER, ConnectionPolicy.resolve(null, Flood.PROTOCOL));
        assertTrue(ConnectionPolicy.resolve(null, Protocols.parse("hyparview+plumtree")).lazy());
        assertEquals(ConnectionPolicy.EAGER, ConnectionPolicy.resolve(ConnectionPolicy.EAGER, Protocols.parse("hyparview+plumtree")));
    }

    @Test
    void theFirstSendDialsAndIsDeliveredThenAnIdleEdgeClosesAndTheNextSendReopensIt() throws Exception {
        EventLoop l0 = group.next();
        EventLoop l1 = group.next();
        LinkTable[] t = pair(l0, l1);
        Thread.sleep(2 * IDLE_MS);
        assertEquals(0, t[0].linksUp(), "nothing dialled before a send");
        assertEquals(0, t[1].linksUp());
        assertTrue(t[0].linked(), "a lazy table has nothing to wait for");
        assertEquals("idle", on(l0, () -> t[0].status().get(0).state()));

        assertNull(write(t[0], l0, 1, 1), "held while dialling, not refused");
        assertTrue(await(() -> received.contains("0->1:1"), 5000), "first message delivered: " + received);
        assertTrue(await(() -> t[0].linksUp() == 1 && t[1].linksUp() == 1, 5000), "one connection, both ends");
        assertEquals(null, write(t[1], l1, 0, 2), "the dialled connection carries the other way too");
        assertTrue(await(() -> received.contains("1->0:2"), 5000), received.toString());
        assertEquals(1, metrics.get(0).connectionsOpened());
        String prom = metrics.get(0).prometheus();
        assertTrue(prom.contains("# TYPE ringlab_open_connections gauge\nringlab_open_connections{node=\"0\"} 1\n"), prom);
        assertTrue(prom.contains("ringlab_connections_opened_total{node=\"0\"} 1\n"), prom);

        long idleStart = System.nanoTime();
        assertTrue(await(() -> t[0].linksUp() == 0 && t[1].linksUp() == 0, 10 * IDLE_MS), "the idle edge closed");
        long closedAfterMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - idleStart);
        assertTrue(await(() -> {
            try {
                return on(l0, t[0]::openChannels) == 0 && on(l1, t[1]::openChannels) == 0;
            } catch (Exception e) {
                return false;
            }
        }, 5000), "the retired connection closed on both sides");
        assertTrue(metrics.get(0).idleCloses() + metrics.get(1).idleCloses() >= 1, "an idle close was counted");
        assertTrue(metrics.get(0).prometheus().contains("ringlab_open_connections{node=\"0\"} 0\n"));
        System.out.println("idle " + IDLE_MS + " ms: closed " + closedAfterMs + " ms after the last message");

        assertNull(write(t[1], l1, 0, 3), "reopened by a send from the other side");
        assertTrue(await(() -> received.contains("1->0:3"), 5000), received.toString());
        assertTrue(await(() -> t[0].linksUp() == 1 && t[1].linksUp() == 1, 5000));
        assertEquals(0, metrics.get(0).droppedTotal() + metrics.get(1).droppedTotal(), "nothing dropped");
        assertEquals(List.of("0->1:1", "1->0:2", "1->0:3"), received);
    }

    @Test
    void sendsCrossingBothWaysEndWithOneConnectionAndLoseNothing() throws Exception {
        EventLoop l0 = group.next();
        EventLoop l1 = group.next();
        LinkTable[] t = pair(l0, l1);
        int rounds = 12;
        int perSide = 5;
        for (int r = 0; r < rounds; r++) {
            int round = r;
            CyclicBarrier both = new CyclicBarrier(2);
            List<Future<List<String>>> sends = new ArrayList<>();
            for (int side = 0; side < 2; side++) {
                int s = side;
                EventLoop loop = s == 0 ? l0 : l1;
                sends.add(loop.submit(() -> {
                    both.await(5, TimeUnit.SECONDS); // both loops send at the same instant: both dial
                    List<String> refused = new ArrayList<>();
                    for (int k = 0; k < perSide; k++) {
                        String why = t[s].write(1 - s, new Message.Inject(1000L * round + 100L * s + k, new byte[0]), 13);
                        if (why != null) {
                            refused.add(why);
                        }
                    }
                    return refused;
                }));
            }
            for (Future<List<String>> f : sends) {
                assertEquals(List.of(), f.get(5, TimeUnit.SECONDS), "round " + r + ": a send was refused");
            }
            int expected = (r + 1) * 2 * perSide;
            assertTrue(await(() -> received.size() == expected, 5000), "round " + r + ": " + received.size() + " of " + expected
                    + " delivered; drops " + metrics.get(0).counters().drops() + " " + metrics.get(1).counters().drops());
            // Settled: one connection each side, and the same one (each end's local address is the other's remote).
            assertTrue(await(() -> {
                try {
                    return on(l0, t[0]::openChannels) == 1 && on(l1, t[1]::openChannels) == 1;
                } catch (Exception e) {
                    return false;
                }
            }, 3000), "round " + r + ": more than one connection left");
            Channel c0 = on(l0, () -> t[0].link(1));
            Channel c1 = on(l1, () -> t[1].link(0));
            assertNotNull(c0, "round " + r);
            assertNotNull(c1, "round " + r);
            assertEquals(c0.localAddress(), c1.remoteAddress(), "round " + r + ": the ends kept different connections");
            assertEquals(c0.remoteAddress(), c1.localAddress());
            // idle out before the next round, so each round starts with no connection and both sides dial
            assertTrue(await(() -> t[0].linksUp() == 0 && t[1].linksUp() == 0, 10 * IDLE_MS), "round " + r + ": no idle close");
            assertTrue(await(() -> {
                try {
                    return on(l0, t[0]::openChannels) == 0 && on(l1, t[1]::openChannels) == 0;
                } catch (Exception e) {
                    return false;
                }
            }, 3000));
        }
        assertEquals(0, metrics.get(0).droppedTotal() + metrics.get(1).droppedTotal(), "nothing dropped");
        // Each message exactly once.
        assertEquals(rounds * 2 * perSide, received.stream().distinct().count());
        System.out.println("crossed dials: " + rounds + " rounds, connections authenticated " + metrics.get(0).connectionsOpened()
                + " + " + metrics.get(1).connectionsOpened() + " (a round with both dials authenticated counts more than 2)");
    }

    @Test
    void aFailedDialDropsWhatItHeldAndBacksOffAndTheHeldBufferIsBounded() throws Exception {
        EventLoop l0 = group.next();
        // a backoff of 5 s or more after the failed dial, so the write after it surely meets the backoff
        LinkTable t0 = table(0, l0, new RuntimeConfig("127.0.0.1", TimeUnit.SECONDS.toNanos(2), TimeUnit.SECONDS.toNanos(10),
                TimeUnit.SECONDS.toNanos(10), 256 << 10, 1 << 20, 4096, 64));
        int dead;
        try (ServerSocket s = new ServerSocket(0)) {
            dead = s.getLocalPort(); // closed below: nothing listens there
        }
        InetSocketAddress[] addresses = {
            new InetSocketAddress("127.0.0.1", t0.bind(0)), new InetSocketAddress("127.0.0.1", dead)};
        l0.submit(t0::open).get(5, TimeUnit.SECONDS);
        t0.connect(addresses);
        // One loop task: the dial cannot complete in between, so the buffer fills and the next write is refused.
        List<String> results = on(l0, () -> {
            List<String> r = new ArrayList<>();
            for (int k = 0; k <= LinkTable.PENDING_PER_EDGE; k++) {
                r.add(t0.write(1, new Message.Inject(k, new byte[0]), 13));
            }
            return r;
        });
        for (int k = 0; k < LinkTable.PENDING_PER_EDGE; k++) {
            assertNull(results.get(k), "message " + k + " held");
        }
        assertEquals(ClusterStats.NO_CONNECTION, results.get(LinkTable.PENDING_PER_EDGE), "the full buffer refuses");
        NodeMetrics m = metrics.get(0);
        assertTrue(await(() -> m.dropped(ClusterStats.NO_CONNECTION) == LinkTable.PENDING_PER_EDGE, 5000),
                "the refused dial drops every held message: " + m.counters().drops());
        assertEquals(ClusterStats.NO_CONNECTION, write(t0, l0, 1, 999), "backing off after the failed dial");
        assertEquals(0, t0.linksUp());
        assertFalse(received.contains("0->1:0"));
    }
}
