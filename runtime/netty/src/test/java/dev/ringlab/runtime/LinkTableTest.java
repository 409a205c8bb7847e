package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Message;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The connections of two nodes alone, on loopback: one edge, dialled, torn down and redialled. */
@Timeout(30)
class LinkTableTest {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final byte[] secret = new byte[32];
    private final List<String> received = new CopyOnWriteArrayList<>();

    LinkTableTest() {
        new SecureRandom().nextBytes(secret);
    }

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private LinkTable table(int self, EventLoop loop) {
        return new LinkTable(self, TestOverlays.ring(2), RuntimeConfig.defaults(), new Handshake(secret), loop,
                new NodeMetrics(self), (from, m) -> received.add(from + "->" + self + ":" + ((Message.Inject) m).id()), 1L);
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

    private static String write(LinkTable t, EventLoop loop, int to, long id) throws Exception {
        return loop.submit(() -> t.write(to, new Message.Inject(id, new byte[0]), 13)).get(5, TimeUnit.SECONDS);
    }

    @Test
    void anEdgeCarriesMessagesBothWaysAndIsRedialledAfterThePeerComesBack() throws Exception {
        EventLoop l0 = group.next();
        EventLoop l1 = group.next();
        LinkTable t0 = table(0, l0);
        LinkTable t1 = table(1, l1);
        assertEquals(1, t0.degree());
        assertTrue(t0.peerMask()[1] && t1.peerMask()[0], "an arc either way makes both ends peers");
        InetSocketAddress[] addresses = {
            new InetSocketAddress("127.0.0.1", t0.bind(0)), new InetSocketAddress("127.0.0.1", t1.bind(0))};
        l0.submit(t0::open).get(5, TimeUnit.SECONDS);
        l1.submit(t1::open).get(5, TimeUnit.SECONDS);
        t0.connect(addresses);
        t1.connect(addresses);
        assertTrue(await(() -> t0.linksUp() == 1 && t1.linksUp() == 1), "the edge came up");
        assertEquals(null, write(t0, l0, 1, 1));
        assertEquals(null, write(t1, l1, 0, 2), "the dialled connection carries the other way too");
        assertTrue(await(() -> received.containsAll(List.of("0->1:1", "1->0:2"))), received.toString());

        l1.submit(t1::closeAll).get(5, TimeUnit.SECONDS);
        assertTrue(await(() -> t0.linksUp() == 0));
        assertEquals(ClusterStats.NO_CONNECTION, write(t0, l0, 1, 3));
        assertEquals("down", l1.submit(() -> t1.status().get(0).state()).get());

        t1.bind(addresses[1].getPort());
        l1.submit(t1::open).get(5, TimeUnit.SECONDS);
        assertTrue(await(() -> t0.linksUp() == 1 && t1.linksUp() == 1), "node 0 redialled with backoff");
        assertEquals("up", l0.submit(() -> t0.status().get(0).state()).get());
        assertEquals(null, write(t0, l0, 1, 4));
        assertTrue(await(() -> received.contains("0->1:4")));
    }
}
