package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.protocols.Flood;
import java.io.BufferedReader;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The memory a flood of unauthenticated connections costs a node, measured from outside: a child JVM
 * (the flags of a {@code processes} node) runs a two-node {@code netty} cluster ({@link #main}); this side
 * reads the child's {@code VmRSS} from {@code /proc}, opens 100 connections to node 1 that each send a
 * 1 MiB frame before any handshake and stay open, and reads it again. Not part of {@code mvn verify}
 * (RSS depends on the machine and its load, and a timed or memory threshold in a unit test is flaky):
 * <pre>
 * mvn -B -ntp -o -pl runtime/netty -am verify -Dtest=ListenerFloodProbe -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dringlab.flood=true [-Dringlab.flood.connections=100]
 * </pre>
 * It prints the RSS before, after and the difference, and the refusals /metrics counted; it fails if the
 * node grew by 20 MB or more, or did not close the connections.
 */
@Timeout(300)
class ListenerFloodProbe {
    private static final Pattern RSS = Pattern.compile("(?m)^VmRSS:\\s+(\\d+) kB");

    /** The child: a two-node cluster; prints node 1's ports and runs until stdin closes. */
    public static void main(String[] args) throws IOException {
        try (LocalCluster c = new LocalCluster(TestOverlays.biring(2), Flood.PROTOCOL, 1, RuntimeConfig.defaults(), 1)) {
            c.start();
            System.out.println("PORTS " + c.host(1).port() + " " + c.host(1).adminPort());
            System.out.flush();
            while (System.in.read() >= 0) {
                // until the parent closes our stdin
            }
        }
    }

    private static long rssKb(long pid) throws IOException {
        Matcher m = RSS.matcher(Files.readString(Path.of("/proc/" + pid + "/status")));
        assertTrue(m.find(), "no VmRSS for " + pid);
        return Long.parseLong(m.group(1));
    }

    /** The child's RSS once it has been flat (within 256 kB) for three readings 300 ms apart. */
    private static long settledRssKb(long pid) throws Exception {
        long last = rssKb(pid);
        int flat = 0;
        for (int i = 0; i < 60 && flat < 3; i++) {
            TimeUnit.MILLISECONDS.sleep(300);
            long now = rssKb(pid);
            flat = Math.abs(now - last) <= 256 ? flat + 1 : 0;
            last = now;
        }
        return last;
    }

    @Test
    void floodOfOversizeFramesBeforeTheHandshake() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("ringlab.flood"), "a measurement: run with -Dringlab.flood=true");
        Assumptions.assumeTrue(Files.exists(Path.of("/proc/self/status")), "needs /proc");
        int connections = Integer.getInteger("ringlab.flood.connections", 100);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), ListenerFloodProbe.class.getName())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<Socket> sockets = new ArrayList<>();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            String line = out.readLine();
            assertTrue(line != null && line.startsWith("PORTS "), "child said " + line);
            String[] ports = line.split(" ");
            int port = Integer.parseInt(ports[1]);
            int admin = Integer.parseInt(ports[2]);
            long before = settledRssKb(child.pid());
            byte[] body = new byte[MessageCodec.MAX_FRAME_BYTES]; // one array for every connection: the load, not our memory
            boolean[] writeFailed = new boolean[connections];
            for (int k = 0; k < connections; k++) {
                Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
                s.setSoTimeout(5000);
                sockets.add(s);
                try {
                    DataOutputStream d = new DataOutputStream(s.getOutputStream());
                    d.writeInt(MessageCodec.MAX_FRAME_BYTES);
                    d.write(body);
                    d.flush();
                } catch (IOException e) {
                    writeFailed[k] = true; // the node closed it mid-frame: the write met a reset
                }
            }
            long after = settledRssKb(child.pid());
            int closed = 0;
            for (int k = 0; k < connections; k++) {
                boolean gone = writeFailed[k];
                if (!gone) {
                    try {
                        gone = sockets.get(k).getInputStream().read() < 0;
                    } catch (IOException e) {
                        gone = !(e instanceof java.net.SocketTimeoutException); // a reset: closed as well
                    }
                }
                closed += gone ? 1 : 0;
            }
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + admin + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            long deltaKb = after - before;
            System.out.printf("listener flood: %d connections x 1 MiB frame before the handshake: node JVM RSS %d kB -> %d kB"
                    + " (%+d kB = %.1f MB)%n", connections, before, after, deltaKb, deltaKb / 1024.0);
            System.out.printf("listener flood: %d of %d connections closed by the node%n", closed, connections);
            metrics.lines().filter(l -> l.startsWith("ringlab_rejected_connections_total{")).forEach(System.out::println);
            assertTrue(deltaKb < 20 * 1024, "RSS grew by " + deltaKb + " kB");
            assertTrue(metrics.contains("reason=\"oversize_before_handshake\"} " + connections)
                    || metrics.contains("reason=\"too_many_pending\""), metrics);
            assertEquals(connections, closed, "connections left open by the node");
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
            child.getOutputStream().close();
            if (!child.waitFor(20, TimeUnit.SECONDS)) {
                child.destroyForcibly();
            }
        }
    }
}
