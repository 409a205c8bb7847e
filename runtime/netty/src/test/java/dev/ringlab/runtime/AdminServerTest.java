package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The admin endpoint alone: it serves what its two sources give, and nothing else. */
@Timeout(30)
class AdminServerTest {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private HttpResponse<String> request(int port, String method, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesStatusAndMetricsFromItsSourcesPerRequestAndRefusesTheRest() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        AdminServer admin = new AdminServer(() -> "{\"n\":" + asked.incrementAndGet() + "}", () -> "m_total 3\n",
                (EventLoop) group.next(), "127.0.0.1", 0);
        try {
            int port = admin.port();
            HttpResponse<String> s = request(port, "GET", "/status");
            assertEquals(200, s.statusCode());
            assertEquals("{\"n\":1}\n", s.body());
            assertEquals("application/json", s.headers().firstValue("content-type").orElse(""));
            assertEquals("{\"n\":2}\n", request(port, "GET", "/status?x=1").body(), "asked again per request");
            HttpResponse<String> m = request(port, "GET", "/metrics");
            assertEquals("m_total 3\n", m.body());
            assertTrue(m.headers().firstValue("content-type").orElse("").startsWith("text/plain; version=0.0.4"));
            assertEquals(404, request(port, "GET", "/other").statusCode());
            assertEquals(405, request(port, "POST", "/status").statusCode());
            assertEquals(2, asked.get(), "only /status requests ask the status source");
        } finally {
            admin.close();
        }
    }
}
