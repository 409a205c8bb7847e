package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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

    /** Writes {@code request} on a raw socket and reads the response until the server closes; null if it does not within 5 s. */
    private static String raw(int port, String request) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            try {
                return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            } catch (SocketTimeoutException e) {
                return null;
            }
        }
    }

    private static String statusLine(String response) {
        assertNotNull(response, "the server neither answered nor closed the connection");
        return response.split("\r\n", 2)[0];
    }

    @Test
    void malformedAndOversizeRequestsGetTheirStatusCodesAndTheConnectionCloses() throws Exception {
        AdminServer admin = new AdminServer(() -> "{}", () -> "m_total 3\n", group.next(), "127.0.0.1", 0);
        try {
            int port = admin.port();
            assertEquals("HTTP/1.1 200 OK", statusLine(raw(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
            assertEquals("HTTP/1.1 400 Bad Request", statusLine(raw(port, "GARBAGE\r\n\r\n")));
            assertEquals("HTTP/1.1 400 Bad Request", statusLine(raw(port, "GET /metrics HTTP/one\r\n\r\n")));
            assertEquals("HTTP/1.1 400 Bad Request", statusLine(raw(port, "\r\nGET /metrics\r\n\r\n")));
            assertEquals("HTTP/1.1 505 HTTP Version Not Supported", statusLine(raw(port, "GET /metrics HTTP/9.9\r\n\r\n")));
            assertEquals("HTTP/1.1 400 Bad Request", statusLine(raw(port, "GET /metrics HTTP/1.1\r\nno colon here\r\n\r\n")));
            assertEquals("HTTP/1.1 414 Request-URI Too Long",
                    statusLine(raw(port, "GET /" + "a".repeat(5000) + " HTTP/1.1\r\nHost: x\r\n\r\n")));
            assertEquals("HTTP/1.1 431 Request Header Fields Too Large",
                    statusLine(raw(port, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(9000) + "\r\n\r\n")));
            String head = raw(port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertEquals("HTTP/1.1 200 OK", statusLine(head));
            assertTrue(head.endsWith("\r\n\r\n"), "HEAD response with a body: " + head);
            assertTrue(head.toLowerCase(java.util.Locale.ROOT).contains("content-length: 10\r\n"), head);
            assertEquals("HTTP/1.1 404 Not Found", statusLine(raw(port, "GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")));
        } finally {
            admin.close();
        }
    }

    @Test
    void idleConnectionsAndTrickledHeadersAreTimedOut() throws Exception {
        AdminServer.Limits idle = new AdminServer.Limits(TimeUnit.MILLISECONDS.toNanos(300),
                TimeUnit.SECONDS.toNanos(30), 4096, 8192);
        AdminServer.Limits headers = new AdminServer.Limits(TimeUnit.SECONDS.toNanos(30),
                TimeUnit.MILLISECONDS.toNanos(300), 4096, 8192);
        AdminServer admin = new AdminServer(() -> "{}", () -> "", group.next(), "127.0.0.1", 0, idle);
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), admin.port())) {
            s.setSoTimeout(5000);
            assertEquals(-1, s.getInputStream().read(), "an idle connection was not closed");
        } finally {
            admin.close();
        }
        admin = new AdminServer(() -> "{}", () -> "", group.next(), "127.0.0.1", 0, headers);
        try {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), admin.port())) {
                s.setSoTimeout(5000);
                // the start of a request, then silence: the header section never completes
                s.getOutputStream().write("GET /status HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
                String res = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertEquals("HTTP/1.1 408 Request Timeout", statusLine(res));
            }
        } finally {
            admin.close();
        }
    }

    @Test
    void servesStatusAndMetricsFromItsSourcesPerRequestAndRefusesTheRest() throws Exception {
        AtomicInteger asked = new AtomicInteger();
        AdminServer admin = new AdminServer(() -> "{\"n\":" + asked.incrementAndGet() + "}", () -> "m_total 3\n",
                group.next(), "127.0.0.1", 0);
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
            HttpResponse<String> post = request(port, "POST", "/status");
            assertEquals(405, post.statusCode());
            assertEquals("GET, HEAD", post.headers().firstValue("allow").orElse(""));
            assertEquals(404, request(port, "DELETE", "/other").statusCode(), "an unknown path is 404 whatever the method");
            assertEquals(2, asked.get(), "only /status requests ask the status source");
            HttpResponse<String> head = request(port, "HEAD", "/metrics");
            assertEquals(200, head.statusCode());
            assertEquals("", head.body());
            assertEquals(String.valueOf("m_total 3\n".length()), head.headers().firstValue("content-length").orElse(""),
                    "HEAD has the Content-Length a GET would have");
        } finally {
            admin.close();
        }
    }
}
