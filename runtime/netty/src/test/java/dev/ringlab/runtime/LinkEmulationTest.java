package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.protocols.TokenRing;
import dev.ringlab.topology.Overlay;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The runtime's own seeded link delay and loss ({@link LinkEmulation}) on a real {@link LocalCluster}. */
@Timeout(60)
class LinkEmulationTest {
    private static final long MS = 1_000_000L;
    private static final long SECONDS_10 = TimeUnit.SECONDS.toNanos(10);

    /** A constant added delay and a loss probability, as the experiments module's adapter builds them. */
    private record Emulation(long delay, double lossProbability) implements LinkEmulation {
        @Override
        public long delayNanos(int from, int to, RandomGenerator random) {
            return delay;
        }

        @Override
        public String spec() {
            return delay == 0 ? null : "const:" + delay + "ns";
        }
    }

    /**
     * A 4-node token ring with 5 ms added per link: every hop, from the sender's timestamp to the arrival, takes
     * at least 5 ms (the emulation never delivers early) and the median at most 5 ms + 3 ms: the NIO selector
     * sleeps in whole milliseconds, so a timer can wake up to about 1 ms late, plus loopback and scheduling.
     */
    @Test
    void constantDelayAddsFiveMillisecondsToEveryTokenHop() {
        ConcurrentLinkedQueue<Long> hops = new ConcurrentLinkedQueue<>();
        try (LocalCluster c = new LocalCluster(TestOverlays.ring(4), TokenRing.protocol(), 3, RuntimeConfig.defaults(), 0,
                new Emulation(5 * MS, 0))) {
            c.addObserver(o -> {
                if (o instanceof Observation.TokenArrived a) {
                    hops.add(a.arrivedAtNanos() - a.sentAtNanos());
                }
            });
            c.start();
            assertTrue(c.runUntil(() -> hops.size() >= 60, SECONDS_10), "hops: " + hops.size());
            long[] h = hops.stream().mapToLong(Long::longValue).sorted().toArray();
            long p50 = h[h.length / 2];
            assertTrue(h[0] >= 5 * MS, "shortest hop " + h[0] / 1e6 + " ms < 5 ms: " + Arrays.toString(h));
            assertTrue(p50 <= 8 * MS, "median hop " + p50 / 1e6 + " ms > 5 ms + 3 ms");
            assertEquals("const:5000000ns", c.host(0).emulation().spec());
        }
    }

    /** One flood at a time on a unidirectional ring, so each node's sends meet its draws in a fixed order. */
    private static Set<Long> floods(Overlay ring, long seed, LinkEmulation e, int broadcasts, long[] lostOut) throws Exception {
        int n = ring.size();
        Set<Long> delivered = ConcurrentHashMap.newKeySet();
        try (LocalCluster c = new LocalCluster(ring, Flood.PROTOCOL, seed, RuntimeConfig.defaults(), 0, e)) {
            c.addObserver(o -> {
                if (o instanceof Observation.Delivered d) {
                    delivered.add(d.id() * 1000 + d.node());
                }
            });
            c.start();
            for (int b = 1; b <= broadcasts; b++) {
                c.inject(b % n, new Message.Inject(b, new byte[8]));
                int id = b;
                assertTrue(c.runUntil(() -> delivered.contains(id * 1000L + id % n) && settled(c), SECONDS_10),
                        "broadcast " + b + " did not settle: " + c.stats());
            }
            HttpClient http = HttpClient.newHttpClient();
            long lost = 0;
            for (int v = 0; v < n; v++) {
                String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.host(v).adminPort()
                        + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
                long fromMetrics = counter(metrics, ClusterStats.LOSS);
                assertEquals(c.host(v).metrics().dropped(ClusterStats.LOSS), fromMetrics, metrics);
                lost += fromMetrics;
            }
            lostOut[0] = lost;
            assertEquals(lost, c.stats().messagesDropped(), "every drop is an emulated loss: " + c.stats());
        }
        return delivered;
    }

    /**
     * Every message sent so far was delivered or dropped, and still so after every node's loop finished the
     * task it was running (a node counts a receipt before it forwards): the next flood cannot overlap this
     * one, so each node's sends meet its draws in the same order on every run.
     */
    private static boolean settled(LocalCluster c) {
        var before = c.stats();
        if (before.messagesSent() != before.messagesDelivered() + before.messagesDropped()) {
            return false;
        }
        for (int v = 0; v < c.overlay().size(); v++) {
            c.host(v).loop().submit(() -> {}).syncUninterruptibly();
        }
        return before.equals(c.stats());
    }

    private static long counter(String metrics, String reason) {
        Matcher m = Pattern.compile("ringlab_dropped_writes_total\\{[^}]*reason=\"" + reason + "\"\\} (\\d+)").matcher(metrics);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    @Test
    void lossIsCountedInMetricsLowersReliabilityAndReplaysFromTheSeed() throws Exception {
        int n = 8;
        int broadcasts = 30;
        Overlay ring = TestOverlays.ring(n);
        long[] lost = new long[1];

        Set<Long> lossy = floods(ring, 11, new Emulation(0, 0.3), broadcasts, lost);
        assertTrue(lost[0] > 0, "no emulated loss at p = 0.3");
        double reliability = lossy.size() / (double) (broadcasts * n);
        assertTrue(reliability < 1, "reliability " + reliability);
        // Each broadcast reaches a prefix of the ring: a lost hop ends it (sanity of the counting).
        assertEquals(broadcasts * n - lossy.size(), lostPrefixGaps(lossy, n, broadcasts));

        long[] lostAgain = new long[1];
        Set<Long> replay = floods(ring, 11, new Emulation(0, 0.3), broadcasts, lostAgain);
        assertEquals(new TreeSet<>(lossy), new TreeSet<>(replay), "same seed, same losses");
        assertEquals(lost[0], lostAgain[0]);
        Set<Long> otherSeed = floods(ring, 12, new Emulation(0, 0.3), broadcasts, new long[1]);
        assertNotEquals(new TreeSet<>(lossy), new TreeSet<>(otherSeed), "another seed draws other losses");

        long[] none = new long[1];
        Set<Long> lossless = floods(ring, 11, new Emulation(0, 0), broadcasts, none);
        assertEquals(0, none[0]);
        assertEquals(broadcasts * n, lossless.size());
    }

    /** Deliveries missing, checking that what was delivered of each broadcast is the ring prefix from its origin. */
    private static int lostPrefixGaps(Set<Long> delivered, int n, int broadcasts) {
        int missing = 0;
        for (int b = 1; b <= broadcasts; b++) {
            boolean gap = false;
            for (int k = 0; k < n; k++) {
                boolean got = delivered.contains(b * 1000L + (b + k) % n);
                assertFalse(gap && got, "broadcast " + b + " skipped a node");
                gap |= !got;
                missing += got ? 0 : 1;
            }
        }
        return missing;
    }

    @Test
    void aCrashDiscardsTheDelayedMessagesOfTheCrashedNode() {
        Set<Long> delivered = ConcurrentHashMap.newKeySet();
        try (LocalCluster c = new LocalCluster(TestOverlays.ring(2), Flood.PROTOCOL, 5, RuntimeConfig.defaults(), 0,
                new Emulation(100 * MS, 0))) {
            c.addObserver(o -> {
                if (o instanceof Observation.Delivered d) {
                    delivered.add(d.id() * 1000 + d.node());
                }
            });
            c.start();
            // The injection and the crash run on node 0's loop in this order: the flood to node 1 is waiting
            // out its 100 ms when node 0 dies.
            c.inject(0, new Message.Inject(1, new byte[8]));
            c.crash(0);
            assertTrue(c.runUntil(() -> c.host(0).metrics().dropped(ClusterStats.SENDER_CRASHED) == 1, SECONDS_10),
                    "the delayed message was not discarded: " + c.stats());
            assertFalse(delivered.contains(1001L), "node 1 got a message from a node that crashed before sending it");
            assertEquals(1, c.stats().messagesSent());
            assertEquals(0, c.stats().messagesDelivered());
        }
    }
}
