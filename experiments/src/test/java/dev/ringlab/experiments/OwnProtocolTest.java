package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.ProtocolRegistry;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.runtime.LocalCluster;
import dev.ringlab.runtime.NettyEngine;
import dev.ringlab.runtime.ProcessCluster;
import dev.ringlab.runtime.ProcessesEngine;
import dev.ringlab.topology.Topologies;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.example.hello.Hello;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A protocol from outside ringlab, as a researcher adds one: {@code org.example.hello} (a counting flood with
 * its own message type, id 64) and a {@code META-INF/services/dev.ringlab.node.ProtocolProvider} entry in the
 * test resources. Nothing in ringlab names it; it runs on every engine through the normal paths.
 */
class OwnProtocolTest {
    private static final int N = 4;
    private static final long TEN_S = TimeUnit.SECONDS.toNanos(10);
    /** A hello frame: version, type id, id:8 origin:4 sentAt:8 hop:4. */
    private static final int HELLO_FRAME_BYTES = 2 + 24;
    private static final Pattern HELLO_OUT =
            Pattern.compile("ringlab_messages_out_total\\{node=\"(\\d+)\",type=\"hello\"} (\\d+)");

    @Test
    void theRegistryFoundTheProviderAndItsType() {
        assertSame(Hello.TYPE, ProtocolRegistry.standard().messageType(64));
        assertEquals("hello", MessageCodec.typeName((byte) 64));
        assertEquals("hello", ProtocolRegistry.standard().protocol("hello").spec());
        Hello h = new Hello(7, 2, 123_456_789L, 3);
        assertEquals(HELLO_FRAME_BYTES, MessageCodec.encodedSize(h));
        assertEquals(h, MessageCodec.decode(MessageCodec.encode(h)));
    }

    /**
     * {@code ringlab broadcast --protocol hello} on each engine, in this JVM through {@link Main}; on
     * {@code processes} every child is a {@code ringlab node} JVM on this test's class path, which finds the
     * provider the same way. A directed ring of N nodes: N hello messages (the last one back at the origin,
     * which has seen it), each a {@value #HELLO_FRAME_BYTES}-byte frame sized by the hello type's codec.
     */
    @Test
    @Timeout(180)
    void helloBroadcastsOnEveryEngineThroughTheCli() throws Exception {
        for (String engine : List.of("sim", "netty", "processes")) {
            BroadcastCommandTest.Outcome o = BroadcastCommandTest.run("broadcast", "--engine", engine, "--topology", "ring",
                    "-n", Integer.toString(N), "--protocol", "hello", "--drain", "5s", "--json");
            assertEquals(0, o.exit(), engine + ": " + o.err());
            JsonNode j = new ObjectMapper().readTree(o.out());
            String why = engine + ": " + o.out();
            assertEquals(engine, j.get("engine").asText(), why);
            assertEquals("hello", j.get("protocol").asText(), why);
            assertEquals(1.0, j.get("reliability").asDouble(), why);
            assertEquals(N, j.get("deliveries").asInt(), why);
            assertEquals(N - 1, j.get("last_delivery_hop").asInt(), why);
            assertEquals(N, j.get("messages").asLong(), why);
            assertEquals((long) N * HELLO_FRAME_BYTES, j.get("bytes").asLong(), why);
        }
    }

    /** The real engines' {@code /metrics} count the hello type under its own name. */
    @Test
    @Timeout(120)
    void theRealEnginesCountHelloMessagesByName() throws Exception {
        Protocol hello = ProtocolRegistry.standard().protocol("hello");
        RunSpec spec = RunSpec.of(Topologies.build("ring", N, 1), hello, 1);
        try (LocalCluster c = (LocalCluster) new NettyEngine().build(spec)) {
            broadcastOnce(c);
            long out = 0;
            for (int v = 0; v < N; v++) {
                out += c.host(v).metrics().messagesOut("hello");
                assertEquals(1, c.host(v).metrics().messagesIn("hello"), "node " + v);
            }
            assertEquals(N, out, "netty hello messages out");
            assertTrue(c.host(1).metrics().prometheus().contains("ringlab_messages_out_total{node=\"1\",type=\"hello\"} 1\n"),
                    c.host(1).metrics().prometheus());
        }
        try (ProcessCluster c = (ProcessCluster) new ProcessesEngine().build(spec)) {
            broadcastOnce(c);
            HttpClient http = HttpClient.newHttpClient();
            long out = 0;
            int series = 0;
            for (int v = 0; v < N; v++) {
                String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + c.adminPort(v) + "/metrics"))
                        .build(), HttpResponse.BodyHandlers.ofString()).body();
                Matcher m = HELLO_OUT.matcher(metrics);
                assertTrue(m.find(), "no hello series at node " + v + ":\n" + metrics);
                assertEquals(v, Integer.parseInt(m.group(1)));
                out += Long.parseLong(m.group(2));
                series++;
            }
            assertEquals(N, series);
            assertEquals(N, out, "processes hello messages out");
        }
    }

    /** Injects one broadcast at node 0 and waits until every node delivered it and the cluster is quiet. */
    private static void broadcastOnce(dev.ringlab.node.Cluster c) {
        Set<Integer> delivered = ConcurrentHashMap.newKeySet();
        c.addObserver(o -> {
            if (o instanceof Observation.Delivered d) {
                delivered.add(d.node());
            }
        });
        c.start();
        c.inject(0, new Message.Inject(1, new byte[0]));
        assertTrue(c.runUntil(() -> delivered.size() == N, TEN_S), "delivered at " + delivered);
        c.settle(TimeUnit.MILLISECONDS.toNanos(500));
    }
}
