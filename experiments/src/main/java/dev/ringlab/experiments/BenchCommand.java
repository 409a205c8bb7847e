package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.protocols.TokenRing;
import dev.ringlab.runtime.LocalCluster;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ringlab bench}: the Netty runtime against a floor measured in the same run. (1) Per-hop token
 * latency on an in-process ring ({@link LocalCluster}, {@link TokenRing}, from
 * {@link Observation.TokenArrived#hopNanos}) against a raw blocking-socket ping-pong on loopback
 * (TCP_NODELAY, frames of the token's size, one-way = RTT/2); the ratio of medians is the runtime's
 * overhead. (2) Flood throughput and latency on N in-process nodes with broadcasts injected at a fixed
 * rate. The first fifth of each sample is warm-up and discarded.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Netty runtime speed: token hop latency vs raw loopback ping-pong, flood throughput.")
public final class BenchCommand implements Callable<Integer> {
    @Option(names = "--ring-nodes", description = "Nodes on the token ring (default: ${DEFAULT-VALUE}).")
    int ringNodes = 8;

    @Option(names = "--rotations", description = "Token rotations to measure (default: ${DEFAULT-VALUE}).")
    int rotations = 2000;

    @Option(names = "--pings", description = "Raw ping-pongs to measure (default: ${DEFAULT-VALUE}).")
    int pings = 20000;

    @Option(names = "--flood-nodes", description = "Nodes for the flood run (default: ${DEFAULT-VALUE}).")
    int floodNodes = 32;

    @Option(names = "--topology", description = "Flood overlay (default: ${DEFAULT-VALUE}).")
    String topology = "biring";

    @Option(names = "--rate", description = "Broadcasts injected per second in the flood run (default: ${DEFAULT-VALUE}).")
    int rate = 1000;

    @Option(names = "--duration", paramLabel = "D", description = "Injection time of the flood run, a duration such as 2s (default: ${DEFAULT-VALUE}).")
    String duration = "3s";

    /** --duration in seconds. */
    double durationS;

    @Option(names = "--seed", description = "Root seed (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        durationS = UsageException.durationNanos("--duration", duration) / 1e9;
        if (ringNodes < 2 || rotations < 10 || pings < 10 || floodNodes < 2 || rate < 1 || !(durationS > 0)) {
            throw new UsageException("need --ring-nodes >= 2, --rotations >= 10, --pings >= 10, --flood-nodes >= 2, --rate >= 1, --duration > 0");
        }
        System.err.println("ringlab bench: ring-nodes=" + ringNodes + " rotations=" + rotations + " pings=" + pings
                + " flood-nodes=" + floodNodes + " topology=" + topology + " rate=" + rate + " duration=" + duration
                + " seed=" + seed + " cores=" + Runtime.getRuntime().availableProcessors());
        ObjectMapper m = new ObjectMapper();
        ObjectNode out = m.createObjectNode();
        out.put("engine", "netty");
        out.put("seed", seed);
        out.put("cores", Runtime.getRuntime().availableProcessors());

        long[] hops = tokenHops();
        int frame = FrameBytes.TOKEN;
        long[] raw = rawOneWay(frame);
        ObjectNode t = out.putObject("token_hop");
        t.put("nodes", ringNodes);
        t.put("samples", hops.length);
        t.put("p50_us", us(pct(hops, 50)));
        t.put("p99_us", us(pct(hops, 99)));
        t.put("mean_us", us(mean(hops)));
        ObjectNode r = out.putObject("raw_socket_one_way");
        r.put("frame_bytes", frame);
        r.put("samples", raw.length);
        r.put("p50_us", us(pct(raw, 50)));
        r.put("p99_us", us(pct(raw, 99)));
        r.put("mean_us", us(mean(raw)));
        out.put("hop_ratio_p50", (double) pct(hops, 50) / pct(raw, 50));
        out.put("hop_ratio_mean", mean(hops) / mean(raw));

        flood(out.putObject("flood"));
        if (json) {
            System.out.println(out.toString());
        } else {
            text(out);
        }
        return 0;
    }

    /** The same figures as a short table for a reader (the JSON only with --json). */
    private static void text(ObjectNode o) {
        JsonNode t = o.get("token_hop");
        JsonNode r = o.get("raw_socket_one_way");
        JsonNode f = o.get("flood");
        System.out.printf(Locale.ROOT, "netty bench: %d cores, seed %d%n", o.get("cores").asInt(), o.get("seed").asLong());
        System.out.printf(Locale.ROOT, "  token hop (us)        p50 %.2f  p99 %.2f  mean %.2f  (%d nodes, %d samples)%n",
                t.get("p50_us").asDouble(), t.get("p99_us").asDouble(), t.get("mean_us").asDouble(),
                t.get("nodes").asInt(), t.get("samples").asInt());
        System.out.printf(Locale.ROOT, "  raw one-way (us)      p50 %.2f  p99 %.2f  mean %.2f  (%d-byte frames, %d samples)%n",
                r.get("p50_us").asDouble(), r.get("p99_us").asDouble(), r.get("mean_us").asDouble(),
                r.get("frame_bytes").asInt(), r.get("samples").asInt());
        System.out.printf(Locale.ROOT, "  hop / raw             p50 %.2f  mean %.2f%n", o.get("hop_ratio_p50").asDouble(),
                o.get("hop_ratio_mean").asDouble());
        System.out.printf(Locale.ROOT, "  flood                 %s n=%d, %d/s for %.1f s: reliability %.4f, %.0f deliveries/s, "
                        + "latency p50 %.3f ms p99 %.3f ms%n", f.get("topology").asText(), f.get("nodes").asInt(),
                f.get("rate_per_s").asInt(), f.get("wall_s").asDouble(), f.get("reliability").asDouble(),
                f.get("deliveries_per_s").asDouble(), f.get("latency_ms_p50").asDouble(), f.get("latency_ms_p99").asDouble());
    }

    private static final class FrameBytes {
        static final int TOKEN = 4 + MessageCodec.encodedSize(new Message.Token(0, 1, 0, 0, 0, 0, new byte[0]));
    }

    private long[] tokenHops() {
        Overlay ring = Topologies.build("ring", ringNodes, seed);
        int want = rotations * ringNodes;
        long[] hops = new long[want];
        AtomicInteger k = new AtomicInteger();
        try (LocalCluster c = new LocalCluster(ring, TokenRing.protocol(), seed)) {
            c.addObserver(o -> {
                if (o instanceof Observation.TokenArrived a) {
                    int i = k.getAndIncrement();
                    if (i < want) {
                        hops[i] = a.hopNanos();
                    }
                }
            });
            c.start();
            if (!c.runUntil(() -> k.get() >= want, TimeUnit.SECONDS.toNanos(120))) {
                throw new IllegalStateException("token made " + k.get() + " of " + want + " hops in 120 s");
            }
        }
        return Arrays.copyOfRange(hops, want / 5, want);
    }

    /** One-way latency (RTT/2) of a blocking ping-pong of {@code bytes}-byte frames on loopback. */
    private long[] rawOneWay(int bytes) throws IOException, InterruptedException {
        long[] oneWay = new long[pings];
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread echo = Thread.ofPlatform().daemon().start(() -> {
                try (Socket s = server.accept()) {
                    s.setTcpNoDelay(true);
                    DataInputStream in = new DataInputStream(s.getInputStream());
                    DataOutputStream out = new DataOutputStream(s.getOutputStream());
                    byte[] buf = new byte[bytes];
                    while (true) {
                        in.readFully(buf);
                        out.write(buf);
                        out.flush();
                    }
                } catch (IOException e) {
                    // client closed
                }
            });
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                s.setTcpNoDelay(true);
                DataInputStream in = new DataInputStream(s.getInputStream());
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                byte[] buf = new byte[bytes];
                for (int i = 0; i < pings; i++) {
                    long t0 = System.nanoTime();
                    out.write(buf);
                    out.flush();
                    in.readFully(buf);
                    oneWay[i] = (System.nanoTime() - t0) / 2;
                }
            }
            echo.join(1000);
        }
        return Arrays.copyOfRange(oneWay, pings / 5, pings);
    }

    private void flood(ObjectNode f) {
        Overlay overlay;
        try {
            overlay = Topologies.build(topology, floodNodes, seed);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--topology", e.getMessage());
        }
        int total = (int) Math.round(rate * durationS);
        long[] latency = new long[total * floodNodes];
        AtomicInteger deliveries = new AtomicInteger();
        try (LocalCluster c = new LocalCluster(overlay, Flood.PROTOCOL, seed)) {
            c.addObserver(o -> {
                if (o instanceof Observation.Delivered d && d.hop() > 0) {
                    int i = deliveries.getAndIncrement();
                    if (i < latency.length) {
                        latency[i] = d.atNanos() - d.sentAtNanos();
                    }
                }
            });
            c.start();
            long t0 = c.now();
            long period = (long) (1e9 / rate);
            for (int i = 0; i < total; i++) {
                int id = i;
                c.at(t0 + i * period, () -> c.inject(id % floodNodes, new Message.Inject(id, new byte[32])));
            }
            int expected = total * (floodNodes - 1);
            c.runUntil(() -> deliveries.get() >= expected, (long) (durationS * 1e9) + TimeUnit.SECONDS.toNanos(10));
            long elapsed = c.now() - t0;
            var st = c.stats();
            int got = Math.min(deliveries.get(), latency.length);
            long[] lat = Arrays.copyOf(latency, got);
            f.put("nodes", floodNodes);
            f.put("topology", topology);
            f.put("rate_per_s", rate);
            f.put("broadcasts", total);
            f.put("reliability", (double) deliveries.get() / expected);
            f.put("wall_s", elapsed / 1e9);
            f.put("messages", st.messagesSent());
            f.put("dropped", st.messagesDropped());
            f.put("messages_per_s", st.messagesDelivered() / (elapsed / 1e9));
            f.put("deliveries_per_s", deliveries.get() / (elapsed / 1e9));
            f.put("latency_ms_p50", pct(lat, 50) / 1e6);
            f.put("latency_ms_p99", pct(lat, 99) / 1e6);
        }
    }

    private static long pct(long[] a, int p) {
        if (a.length == 0) {
            return 0;
        }
        long[] s = a.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.ceil(p / 100.0 * s.length) - 1)];
    }

    private static double mean(long[] a) {
        return Arrays.stream(a).average().orElse(0);
    }

    private static double us(double nanos) {
        return Math.round(nanos / 10.0) / 100.0;
    }
}
