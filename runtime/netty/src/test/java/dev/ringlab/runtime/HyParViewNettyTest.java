package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.HyParView;
import dev.ringlab.node.protocols.Protocols;
import dev.ringlab.topology.Topologies;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code hyparview+plumtree} on real loopback sockets: eight nodes on a complete overlay join into connected
 * active views, a broadcast reaches every node exactly once, and after three nodes crash the survivors'
 * views reconnect and the next broadcast reaches every survivor exactly once.
 */
@Timeout(90)
class HyParViewNettyTest {
    private static final long SECONDS_20 = TimeUnit.SECONDS.toNanos(20);

    /** The active views as the nodes report them, and the deliveries (thread-safe: nodes report from their loops). */
    private static final class Watch {
        final List<Set<Integer>> views = new ArrayList<>();
        final Map<String, AtomicInteger> deliveries = new ConcurrentHashMap<>();

        Watch(int n) {
            for (int v = 0; v < n; v++) {
                views.add(new HashSet<>());
            }
        }

        void accept(Observation o) {
            if (o instanceof HyParView.ActiveViewChange c) {
                synchronized (views) {
                    if (c.up()) {
                        views.get(c.node()).add(c.peer());
                    } else {
                        views.get(c.node()).remove(c.peer());
                    }
                }
            } else if (o instanceof Observation.Delivered d) {
                deliveries.computeIfAbsent(d.node() + "/" + d.id(), k -> new AtomicInteger()).incrementAndGet();
            }
        }

        /** True if the live nodes' active views, links taken both ways, are connected. */
        boolean connected(LocalCluster c) {
            int n = views.size();
            synchronized (views) {
                List<Set<Integer>> adj = new ArrayList<>();
                for (int v = 0; v < n; v++) {
                    adj.add(new HashSet<>());
                }
                int live = 0;
                int start = -1;
                for (int v = 0; v < n; v++) {
                    if (!c.alive(v)) {
                        continue;
                    }
                    live++;
                    start = start < 0 ? v : start;
                    for (int u : views.get(v)) {
                        if (c.alive(u)) {
                            adj.get(v).add(u);
                            adj.get(u).add(v);
                        }
                    }
                }
                Set<Integer> seen = new HashSet<>(List.of(start));
                List<Integer> queue = new ArrayList<>(List.of(start));
                for (int i = 0; i < queue.size(); i++) {
                    for (int u : adj.get(queue.get(i))) {
                        if (seen.add(u)) {
                            queue.add(u);
                        }
                    }
                }
                return seen.size() == live;
            }
        }

        int reached(long id, int n) {
            int k = 0;
            for (int v = 0; v < n; v++) {
                k += deliveries.containsKey(v + "/" + id) ? 1 : 0;
            }
            return k;
        }
    }

    @Test
    void eightNodesFormConnectedViewsDeliverExactlyOnceAndHealAfterACrash() {
        int n = 8;
        Watch w = new Watch(n);
        try (LocalCluster c = new LocalCluster(Topologies.build("complete", n, 1), Protocols.parse("hyparview+plumtree:active=3"),
                1)) {
            c.addObserver(w::accept);
            c.start();
            assertTrue(c.runUntil(() -> w.connected(c), SECONDS_20), "active views never connected: " + w.views);
            c.inject(5, new Message.Inject(1, new byte[8]));
            assertTrue(c.runUntil(() -> w.reached(1, n) == n, SECONDS_20), "reached " + w.reached(1, n) + " of " + n + "; " + c.stats() + " views " + w.views);
            for (int k : new int[] {0, 3, 6}) {
                c.crash(k);
            }
            assertTrue(c.runUntil(() -> w.connected(c), SECONDS_20), "survivors' views never reconnected: " + w.views);
            c.inject(2, new Message.Inject(2, new byte[8]));
            assertTrue(c.runUntil(() -> w.reached(2, n) == n - 3, SECONDS_20), "reached " + w.reached(2, n) + " of " + (n - 3));
            c.runFor(TimeUnit.MILLISECONDS.toNanos(500)); // duplicates, had there been any, would have come by now
            assertTrue(w.deliveries.size() >= n, "deliveries observed: " + w.deliveries);
            w.deliveries.forEach((k, count) -> assertEquals(1, count.get(), "delivered more than once: " + k));
        }
    }
}
