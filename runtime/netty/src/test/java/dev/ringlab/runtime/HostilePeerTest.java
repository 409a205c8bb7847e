package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.Flood;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bad input and hostile peers against node 1 of a two-node cluster: each closes only the offending
 * connection, shows in /metrics, and leaves the node delivering broadcasts.
 */
@Timeout(60)
class HostilePeerTest {
    private static final int TARGET = 1;
    private static LocalCluster cluster;
    private static final Set<String> delivered = ConcurrentHashMap.newKeySet();
    private static final AtomicLong ids = new AtomicLong(1000);
    private static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        RuntimeConfig config = RuntimeConfig.defaults().withHandshakeTimeoutNanos(TimeUnit.MILLISECONDS.toNanos(300));
        cluster = new LocalCluster(TestOverlays.biring(2), Flood.PROTOCOL, 9, config, 1);
        cluster.addObserver(o -> {
            if (o instanceof Observation.Delivered d) {
                delivered.add(d.node() + ":" + d.id());
            }
        });
        cluster.start();
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static int port() {
        return cluster.host(TARGET).port();
    }

    static String get(String path) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + cluster.host(TARGET).adminPort() + path)).GET().build();
        HttpResponse<String> res = http.send(req, HttpResponse.BodyHandlers.ofString());
        assertEquals(200, res.statusCode());
        return res.body();
    }

    /** A counter as /metrics shows it. */
    static long metric(String name, String reason) throws IOException, InterruptedException {
        Matcher m = Pattern.compile("(?m)^" + name + "\\{node=\"" + TARGET + "\",reason=\"" + reason + "\"} (\\d+)$")
                .matcher(get("/metrics"));
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** The node and its edge still work both ways after the attack. */
    private static void assertNodeStillWorks() {
        long a = ids.incrementAndGet();
        long b = ids.incrementAndGet();
        cluster.inject(0, new Message.Inject(a, new byte[0]));
        cluster.inject(TARGET, new Message.Inject(b, new byte[0]));
        assertTrue(cluster.runUntil(() -> delivered.contains(TARGET + ":" + a) && delivered.contains("0:" + b),
                TimeUnit.SECONDS.toNanos(10)), "node " + TARGET + " stopped working");
        assertEquals(1, cluster.host(TARGET).linksUp());
    }

    @Test
    void randomBytesCloseTheConnectionAsABadFrameHeader() throws Exception {
        long before = metric("ringlab_decode_errors_total", "bad_frame_header");
        byte[] junk = new byte[64];
        new Random(1).nextBytes(junk);
        try (RawPeer p = new RawPeer(port())) {
            p.out.write(junk);
            assertTrue(p.closedByPeer());
        }
        assertEquals(before + 1, metric("ringlab_decode_errors_total", "bad_frame_header"));
        assertNodeStillWorks();
    }

    @Test
    void lengthPrefixOverTheCapClosesTheConnection() throws Exception {
        long before = metric("ringlab_decode_errors_total", "bad_frame_header");
        try (RawPeer p = new RawPeer(port())) {
            p.handshake(cluster.secret(), Env.CLIENT);
            new java.io.DataOutputStream(p.out).writeInt(MessageCodec.MAX_FRAME_BYTES + 1);
            assertTrue(p.closedByPeer());
        }
        assertEquals(before + 1, metric("ringlab_decode_errors_total", "bad_frame_header"));
        assertNodeStillWorks();
    }

    @Test
    void unknownMessageTypeClosesTheConnection() throws Exception {
        long before = metric("ringlab_decode_errors_total", "bad_message");
        try (RawPeer p = new RawPeer(port())) {
            p.handshake(cluster.secret(), Env.CLIENT);
            p.out.write(new byte[] {0, 0, 0, 3, MessageCodec.VERSION, 99, 0});
            assertTrue(p.closedByPeer());
        }
        assertEquals(before + 1, metric("ringlab_decode_errors_total", "bad_message"));
        assertNodeStillWorks();
    }

    @Test
    void truncatedFrameIsCountedWhenThePeerHangsUpMidFrame() throws Exception {
        long before = metric("ringlab_decode_errors_total", "truncated_frame");
        try (RawPeer p = new RawPeer(port())) {
            p.handshake(cluster.secret(), Env.CLIENT);
            p.out.write(new byte[] {0, 0, 0, 40, MessageCodec.VERSION, MessageCodec.TYPE_BROADCAST, 1, 2, 3});
            p.out.flush();
            p.socket.shutdownOutput();
            assertTrue(p.closedByPeer());
        }
        assertTrue(waitFor(() -> metric("ringlab_decode_errors_total", "truncated_frame") == before + 1));
        assertNodeStillWorks();
    }

    @Test
    void frameOverTheHandshakeCapBeforeTheHandshakeClosesTheConnection() throws Exception {
        for (int length : new int[] {Handshake.MAX_FRAME_BYTES + 1, MessageCodec.MAX_FRAME_BYTES}) {
            long before = metric("ringlab_rejected_connections_total", "oversize_before_handshake");
            try (RawPeer p = new RawPeer(port())) {
                java.io.DataOutputStream out = new java.io.DataOutputStream(p.out);
                out.writeInt(length);
                out.write(new byte[] {MessageCodec.VERSION, Handshake.TYPE_HELLO});
                out.flush();
                assertTrue(p.closedByPeer(), "a " + length + "-byte frame before the handshake was buffered");
            }
            assertEquals(before + 1, metric("ringlab_rejected_connections_total", "oversize_before_handshake"),
                    "length " + length);
        }
        assertNodeStillWorks();
    }

    @Test
    void largeMessageRightBehindTheResponseMeetsTheMessageCapNotTheHandshakeCap() throws Exception {
        long id = ids.incrementAndGet();
        Message.Inject big = new Message.Inject(id, new byte[10_000]);
        assertTrue(RawPeer.frame(big).length > Handshake.MAX_FRAME_BYTES);
        try (RawPeer p = new RawPeer(port())) {
            assertEquals(TARGET, p.handshake(cluster.secret(), Env.CLIENT, big));
            assertTrue(cluster.runUntil(() -> delivered.contains("0:" + id), TimeUnit.SECONDS.toNanos(10)),
                    "the message written with the RESPONSE was not delivered");
        }
    }

    @Test
    void peerThatNeverFinishesTheHandshakeIsTimedOut() throws Exception {
        long before = metric("ringlab_rejected_connections_total", "handshake_timeout");
        long t0 = System.nanoTime();
        try (RawPeer p = new RawPeer(port())) {
            p.out.write(new byte[] {0, 0}); // half a length prefix, then silence
            assertTrue(p.closedByPeer());
        }
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(250), "closed before the timeout");
        assertEquals(before + 1, metric("ringlab_rejected_connections_total", "handshake_timeout"));
        assertNodeStillWorks();
    }

    @Test
    void peerWithTheWrongSecretIsRejected() throws Exception {
        long before = metric("ringlab_rejected_connections_total", "bad_mac");
        byte[] wrong = cluster.secret();
        wrong[0] ^= 1;
        try (RawPeer p = new RawPeer(port())) {
            p.handshake(wrong, Env.CLIENT);
            p.send(new Message.Inject(1, new byte[0]));
            assertTrue(p.closedByPeer());
        }
        assertEquals(before + 1, metric("ringlab_rejected_connections_total", "bad_mac"));
        assertTrue(delivered.stream().noneMatch(s -> s.endsWith(":1")), "a message from a wrong-secret peer was delivered");
        assertNodeStillWorks();
    }

    @Test
    void validFrameFromAnUnauthenticatedConnectionIsRejected() throws Exception {
        long before = metric("ringlab_rejected_connections_total", "unauthenticated_frame");
        try (RawPeer p = new RawPeer(port())) {
            p.send(new Message.Inject(2, new byte[0]));
            assertTrue(p.closedByPeer());
        }
        assertEquals(before + 1, metric("ringlab_rejected_connections_total", "unauthenticated_frame"));
        assertTrue(delivered.stream().noneMatch(s -> s.endsWith(":2")), "an unauthenticated message was delivered");
        assertNodeStillWorks();
    }

    @Test
    void authenticatedClientConnectionInjectsABroadcast() throws Exception {
        long id = ids.incrementAndGet();
        try (RawPeer p = new RawPeer(port())) {
            assertEquals(TARGET, p.handshake(cluster.secret(), Env.CLIENT));
            p.send(new Message.Inject(id, new byte[] {1}));
            assertTrue(cluster.runUntil(() -> delivered.contains("0:" + id), TimeUnit.SECONDS.toNanos(10)));
        }
    }

    @Test
    void statusShowsNeighboursAndConnectionStates() throws Exception {
        String status = get("/status");
        assertTrue(status.contains("\"id\":1"), status);
        assertTrue(status.contains("\"neighbours\":[{\"id\":0,\"direction\":\"accept\",\"state\":\"up\""), status);
        assertTrue(status.contains("\"uptime_ms\":"), status);
        assertTrue(get("/metrics").contains("# TYPE ringlab_messages_in_total counter"));
    }

    @Test
    void metricsStayValidForPromtoolAfterRefusals() throws Exception {
        // a refusal of each new kind first, so their series are in the exposition
        try (RawPeer p = new RawPeer(port())) {
            new java.io.DataOutputStream(p.out).writeInt(Handshake.MAX_FRAME_BYTES + 1);
            assertTrue(p.closedByPeer());
        }
        try (RawPeer p = new RawPeer(port())) {
            p.handshake(cluster.secret(), 0); // node 0's link to node 1 is up: a duplicate
            assertTrue(p.closedByPeer());
        }
        String metrics = get("/metrics");
        assertTrue(metrics.contains("reason=\"oversize_before_handshake\""), metrics);
        assertTrue(metrics.contains("reason=\"duplicate_peer\""), metrics);
        java.nio.file.Path promtool = java.util.stream.Stream.of(System.getenv("PATH").split(java.io.File.pathSeparator))
                .map(d -> java.nio.file.Path.of(d, "promtool")).filter(java.nio.file.Files::isExecutable).findFirst()
                .orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(promtool != null, "promtool not installed");
        Process check = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
        try (var in = check.getOutputStream()) {
            in.write(metrics.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        String out = new String(check.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(check.waitFor(20, TimeUnit.SECONDS), "promtool did not finish");
        assertEquals(0, check.exitValue(), "promtool check metrics: " + out);
        assertEquals("", out.strip(), "promtool lint findings");
    }

    interface Check {
        boolean ok() throws Exception;
    }

    private static boolean waitFor(Check c) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (c.ok()) {
                return true;
            }
            Thread.onSpinWait();
            TimeUnit.MILLISECONDS.sleep(2);
        }
        return c.ok();
    }
}
