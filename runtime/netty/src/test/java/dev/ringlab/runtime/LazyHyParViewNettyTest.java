package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.protocols.Protocols;
import dev.ringlab.topology.Topologies;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code hyparview+plumtree} on a {@code complete} overlay of 16 nodes on netty, lazy connections (its default)
 * against eager: both deliver every broadcast exactly once to every node, and the lazy run holds far fewer
 * connections per node than the eager one's n - 1 = 15.
 *
 * <p>The bound on the lazy mean: HyParView's active views hold at most {@code active} = 5 neighbours, kept
 * open by keep-alives every 50 ms; beyond them a node holds the connections of its recent shuffles (one it
 * starts per second, and about one it answers, each open for about the 1 s idle time) and of the occasional
 * neighbour request, so about 5 + 2. The test asserts a mean of at most 10, two active views: two thirds of
 * 15, and well above the 6.5-7.3 measured, so load on the machine does not fail it.
 *
 * <p>Also: a static protocol (flood) defaults to eager and runs lazily when asked; sends to a crashed lazy node
 * count as receiver_down and reach it again after its restart.
 */
@Timeout(120)
class LazyHyParViewNettyTest {
    private static final int N = 16;
    private static final int BROADCASTS = 10;

    private record Outcome(double meanOpen, int maxOpen, ConnectionPolicy policy, Map<String, AtomicInteger> deliveries) {}

    private static Outcome run(ConnectionPolicy policy) {
        Protocol p = Protocols.parse("hyparview+plumtree");
        Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
        RuntimeConfig config = RuntimeConfig.defaults().withConnections(policy);
        try (LocalCluster c = new LocalCluster(Topologies.build("complete", N, 1), p, 1, config, 0)) {
            c.addObserver(o -> {
                if (o instanceof Observation.Delivered d) {
                    deliveries.computeIfAbsent(d.node() + "/" + d.id(), k -> new AtomicInteger()).incrementAndGet();
                }
            });
            c.start();
            c.runFor(TimeUnit.SECONDS.toNanos(2)); // the views form (joins, then a shuffle or two)
            for (int b = 0; b < BROADCASTS; b++) {
                int id = b;
                c.inject((b * 7) % N, new Message.Inject(id, new byte[8]));
                assertTrue(c.runUntil(() -> reached(deliveries, id) == N, TimeUnit.SECONDS.toNanos(20)),
                        policy + ": broadcast " + b + " reached " + reached(deliveries, id) + " of " + N + "; " + c.stats());
                c.runFor(TimeUnit.MILLISECONDS.toNanos(100));
            }
            c.runFor(TimeUnit.MILLISECONDS.toNanos(500)); // duplicates, had there been any, would have come by now
            int[] open = c.openConnections();
            assertEquals(N, open.length);
            return new Outcome(Arrays.stream(open).average().orElseThrow(), Arrays.stream(open).max().orElseThrow(),
                    c.host(0).connectionPolicy(), deliveries);
        }
    }

    private static int reached(Map<String, AtomicInteger> deliveries, long id) {
        int k = 0;
        for (int v = 0; v < N; v++) {
            k += deliveries.containsKey(v + "/" + id) ? 1 : 0;
        }
        return k;
    }

    @Test
    void lazyConnectionsDeliverEveryBroadcastWithFarFewerConnectionsThanEager() {
        Outcome lazy = run(null); // the protocol's default
        Outcome eager = run(ConnectionPolicy.EAGER);
        System.out.printf("complete n=%d hyparview+plumtree: %s mean %.2f max %d open per node; eager mean %.2f max %d%n", N,
                lazy.policy(), lazy.meanOpen(), lazy.maxOpen(), eager.meanOpen(), eager.maxOpen());
        assertTrue(lazy.policy().lazy(), "hyparview+plumtree defaults to lazy connections: " + lazy.policy());
        for (Outcome o : new Outcome[] {lazy, eager}) {
            assertEquals(N * BROADCASTS, o.deliveries().size(), o.policy() + ": every (node, broadcast) delivered");
            o.deliveries().forEach((k, count) -> assertEquals(1, count.get(), o.policy() + ": delivered more than once: " + k));
        }
        assertEquals(N - 1.0, eager.meanOpen(), 1e-9, "eager holds every edge of complete");
        assertTrue(lazy.meanOpen() >= 1, "a lazy node with no connection could not have delivered: " + lazy.meanOpen());
        assertTrue(lazy.meanOpen() <= 10, "lazy mean open connections per node " + lazy.meanOpen() + " > 10 (n - 1 = 15)");
    }

    @Test
    void aStaticProtocolDefaultsToEagerAndRunsLazyWhenAsked() {
        assertEquals(ConnectionPolicy.EAGER, ConnectionPolicy.resolve(null, Flood.PROTOCOL));
        int n = 6;
        Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
        RuntimeConfig config = RuntimeConfig.defaults().withConnections(ConnectionPolicy.parse("lazy:5s"));
        try (LocalCluster c = new LocalCluster(TestOverlays.biring(n), Flood.PROTOCOL, 3, config, 0)) {
            c.addObserver(o -> {
                if (o instanceof Observation.Delivered d) {
                    deliveries.computeIfAbsent(d.node() + "/" + d.id(), k -> new AtomicInteger()).incrementAndGet();
                }
            });
            c.start();
            assertEquals(0, Arrays.stream(c.openConnections()).sum(), "nothing dialled before the first send");
            c.inject(0, new Message.Inject(1, new byte[8]));
            assertTrue(c.runUntil(() -> reached(deliveries, 1, n) == n, TimeUnit.SECONDS.toNanos(10)),
                    "the first broadcast, sent over connections dialled for it, reached " + reached(deliveries, 1, n));
            // Every biring edge carries the flood, so each ends with one connection (one per end: 2 per node).
            assertTrue(c.runUntil(() -> Arrays.stream(c.openConnections()).sum() == 2 * n, TimeUnit.SECONDS.toNanos(5)),
                    "open connections: " + Arrays.toString(c.openConnections()));
            assertEquals(0, c.stats().messagesDropped(), "held while dialling, nothing dropped: " + c.stats().drops());
        }
    }

    /**
     * A lazy node that crashes: its neighbours' sends to it are held, their dial is refused, and they count as
     * receiver_down (as an eager node's refused writes do), never no_connection; once it restarts and the failed
     * dials' backoff is over, the next send dials it again and is delivered.
     */
    @Test
    void sendsToACrashedLazyNodeCountAsReceiverDownAndReachItAfterItsRestart() {
        int n = 3;
        Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();
        RuntimeConfig config = RuntimeConfig.defaults().withConnections(ConnectionPolicy.parse("lazy:10s"));
        try (LocalCluster c = new LocalCluster(TestOverlays.biring(n), Flood.PROTOCOL, 4, config, 0)) {
            c.addObserver(o -> {
                if (o instanceof Observation.Delivered d) {
                    deliveries.computeIfAbsent(d.node() + "/" + d.id(), k -> new AtomicInteger()).incrementAndGet();
                }
            });
            c.start();
            c.inject(1, new Message.Inject(1, new byte[8]));
            assertTrue(c.runUntil(() -> reached(deliveries, 1, n) == n, TimeUnit.SECONDS.toNanos(10)));
            assertTrue(c.runUntil(() -> Arrays.stream(c.openConnections()).sum() == 2 * n, TimeUnit.SECONDS.toNanos(5)),
                    Arrays.toString(c.openConnections()));
            c.crash(0);
            assertTrue(c.runUntil(() -> c.host(1).openConnections() == 1 && c.host(2).openConnections() == 1,
                    TimeUnit.SECONDS.toNanos(5)), "the survivors saw the crash: " + Arrays.toString(c.openConnections()));
            c.inject(1, new Message.Inject(2, new byte[8]));
            assertTrue(c.runUntil(() -> reached(deliveries, 2, n) == n - 1
                    && c.stats().dropped(dev.ringlab.node.ClusterStats.RECEIVER_DOWN) >= 2, TimeUnit.SECONDS.toNanos(10)),
                    "drops: " + c.stats().drops());
            assertEquals(0, c.stats().dropped(dev.ringlab.node.ClusterStats.NO_CONNECTION), "drops: " + c.stats().drops());

            // A dial to the dead node may still be in flight (a connect the dead listening socket's backlog took
            // before the socket closed fails only when it does): the restart is tested once none is.
            assertTrue(c.runUntil(() -> !dialling(c, 1, 0) && !dialling(c, 2, 0), TimeUnit.SECONDS.toNanos(10)),
                    c.host(1).links() + " " + c.host(2).links());
            // And once the failed dials' backoff is over: a send within it is refused at once (no_connection), as
            // documented. A backoff never exceeds the configured maximum (jitter takes it down, never up); a CI run
            // whose restart came within the 10 ms of the first backoff dropped both sends.
            long backoffOver = System.nanoTime() + config.backoffMaxNanos();
            assertTrue(c.runUntil(() -> System.nanoTime() - backoffOver >= 0, TimeUnit.SECONDS.toNanos(5)));
            c.restart(0);
            c.inject(2, new Message.Inject(3, new byte[8]));
            assertTrue(c.runUntil(() -> reached(deliveries, 3, n) == n, TimeUnit.SECONDS.toNanos(10)),
                    "after the restart the next send dials node 0 again; reached " + reached(deliveries, 3, n) + " "
                            + deliveries.keySet() + " drops " + c.stats().drops() + " open " + Arrays.toString(c.openConnections())
                            + " " + c.host(0).links() + " " + c.host(2).links());
        }
    }

    /** Whether node {@code v} is dialling {@code peer} (its /status says {@code connecting}). */
    private static boolean dialling(LocalCluster c, int v, int peer) {
        return c.host(v).links().stream().anyMatch(l -> l.peer() == peer && l.state().equals("connecting"));
    }

    private static int reached(Map<String, AtomicInteger> deliveries, long id, int n) {
        int k = 0;
        for (int v = 0; v < n; v++) {
            k += deliveries.containsKey(v + "/" + id) ? 1 : 0;
        }
        return k;
    }
}
