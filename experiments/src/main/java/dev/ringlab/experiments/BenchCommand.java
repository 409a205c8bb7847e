package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.protocols.TokenRing;
import dev.ringlab.runtime.HopProbe;
import dev.ringlab.runtime.LocalCluster;
import dev.ringlab.runtime.RuntimeConfig;
import dev.ringlab.runtime.Transport;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ringlab bench}: the Netty runtime against a floor measured in the same run. (1) Per-hop token
 * latency on an in-process ring ({@link LocalCluster}, {@link TokenRing}, from
 * {@link Observation.TokenArrived#hopNanos}) against a raw blocking-socket ping-pong on loopback
 * (TCP_NODELAY, frames of the token's size, one-way = RTT/2): the ratios of p50, p99 and p99.9 are the
 * runtime's overhead. (2) Flood latency on N in-process nodes with broadcasts injected at a fixed rate, and
 * its tail (p99 over p50). (3) Both token hop and raw baseline again while that flood load runs on another
 * cluster in the same JVM ("loaded"). (4) With the {@link HopProbe} on (default: one message in 64 per
 * connection), the per-stage breakdown of a hop. The machine's load average is printed before and after:
 * ratios measured on a busy machine are not those of an idle one. A warm-up ({@code --warmup}) runs first,
 * and the first fifth of each sample is discarded too.
 *
 * <p>{@code --sweep} measures the runtime options one against the other (transport, loop placement, flush
 * policy, TCP_QUICKACK), each next to a raw baseline measured right before it.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Netty runtime speed: token hop latency vs raw loopback ping-pong (p50/p99/p99.9 ratios), flood "
                + "latency and tail, the same under a broadcast load, and where a hop's time goes.")
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

    @Option(names = "--rate", description = "Broadcasts injected per second in the flood run and the loaded run "
            + "(default: ${DEFAULT-VALUE}).")
    int rate = 1000;

    @Option(names = "--duration", paramLabel = "D", description = "Injection time of the flood run, a duration such as 2s (default: ${DEFAULT-VALUE}).")
    String duration = "3s";

    /** --duration in seconds. */
    double durationS;

    @Option(names = "--warmup", paramLabel = "D", description = "Warm-up before the measurements, discarded: token "
            + "rings and raw ping-pongs for this long, then a flood of up to 1 s (0s: none; default: ${DEFAULT-VALUE}).")
    String warmup = "5s";

    /** --warmup in seconds. */
    double warmupS;

    @Option(names = "--seed", description = "Root seed (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--transport", paramLabel = "T", description = "Socket transport of the event loops: nio, epoll "
            + "or auto (epoll where Netty's native library loads, else nio). Default: -Dringlab.transport "
            + "if set, else auto.")
    String transport;

    @Option(names = "--loops", paramLabel = "N", description = "Event-loop threads of each in-process cluster "
            + "(0: Netty's default, 2 per core; default: ${DEFAULT-VALUE}).")
    int loops = 0;

    @Option(names = "--placement", paramLabel = "P", description = "Nodes to loops: block (consecutive ids share a "
            + "loop, so ring neighbours do) or spread (round robin). Default: the runtime's.")
    String placement;

    @Option(names = "--flush", paramLabel = "F", description = "Flush policy: consolidate (batch flushes) or "
            + "immediate (one write per message). Default: the runtime's.")
    String flush;

    @Option(names = "--quickack", description = "TCP_QUICKACK on every peer connection (epoll only).")
    boolean quickAck;

    @Option(names = "--probe", paramLabel = "K", description = "Stamp one message in K per connection at each stage "
            + "of a hop and report the breakdown (0: off, hops carry no probe at all; default: ${DEFAULT-VALUE}).")
    int probe = 64;

    @Option(names = "--no-load", description = "Skip the run under a broadcast load.")
    boolean noLoad;

    @Option(names = "--sweep", description = "Also measure token hop and flood under each runtime option (transport x "
            + "placement x flush, and quickack on epoll), each next to its own raw baseline.")
    boolean sweep;

    @Option(names = "--sweep-rounds", paramLabel = "R", description = "Rounds of the sweep, the variants interleaved "
            + "in each, so a change of the machine's load hits them all alike (default: ${DEFAULT-VALUE}).")
    int sweepRounds = 2;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        durationS = UsageException.durationNanos("--duration", duration) / 1e9;
        warmupS = UsageException.durationNanos("--warmup", warmup) / 1e9;
        if (ringNodes < 2 || rotations < 10 || pings < 10 || floodNodes < 2 || rate < 1 || !(durationS > 0) || loops < 0
                || probe < 0 || sweepRounds < 1) {
            throw new UsageException("need --ring-nodes >= 2, --rotations >= 10, --pings >= 10, --flood-nodes >= 2, "
                    + "--rate >= 1, --duration > 0, --loops >= 0, --probe >= 0, --sweep-rounds >= 1");
        }
        RuntimeConfig config = config();
        // The probe is fixed when its class loads (a static final flag, so it costs nothing when off): set it
        // before the first cluster of this JVM.
        if (probe > 0) {
            System.setProperty(HopProbe.PROPERTY, Integer.toString(probe));
        }
        if (HopProbe.ON != (probe > 0)) {
            throw new UsageException("--probe", "the probe was already " + (HopProbe.ON ? "on" : "off")
                    + " in this JVM; run bench in a JVM of its own");
        }
        System.err.println("ringlab bench: ring-nodes=" + ringNodes + " rotations=" + rotations + " pings=" + pings
                + " flood-nodes=" + floodNodes + " topology=" + topology + " rate=" + rate + " duration=" + duration
                + " seed=" + seed + " cores=" + Runtime.getRuntime().availableProcessors() + " " + describe(config)
                + " probe=" + probe);
        ObjectMapper m = new ObjectMapper();
        ObjectNode out = m.createObjectNode();
        out.put("engine", "netty");
        out.put("seed", seed);
        out.put("cores", Runtime.getRuntime().availableProcessors());
        putLoad(out.putObject("load_average").putArray("start"));
        putConfig(out.putObject("config"), config);
        out.put("probe_every", probe > 0 ? probe : null);

        int frame = FrameBytes.TOKEN;
        // Warm-up, discarded: for seconds the JIT compiles the runtime's paths, on the same two cores as the
        // loops, which is not the runtime's cost (measured: after one ring of warm-up the token hop's p99 was
        // 1.2 ms, after five 0.15 ms, on the same busy machine).
        if (warmupS > 0) {
            long deadline = System.nanoTime() + (long) (warmupS * 1e9);
            do {
                rawOneWay(frame);
                tokenHops(config);
            } while (System.nanoTime() - deadline < 0);
            flood(new ObjectMapper().createObjectNode(), config, floodNodes, Math.min(1, warmupS));
        }
        out.put("warmup_s", warmupS);
        long[] raw = rawOneWay(frame);
        HopProbe.reset();
        long[] hops = tokenHops(config);
        List<long[]> hopSamples = HopProbe.drain();
        ObjectNode t = out.putObject("token_hop");
        t.put("nodes", ringNodes);
        latencies(t, hops);
        ObjectNode r = out.putObject("raw_socket_one_way");
        r.put("frame_bytes", frame);
        latencies(r, raw);
        ratios(out.putObject("ratio_to_raw"), hops, raw);
        // kept from the first version of the report
        out.put("hop_ratio_p50", (double) pct(hops, 50) / pct(raw, 50));
        out.put("hop_ratio_mean", mean(hops) / mean(raw));
        breakdown(out, "token_hop_breakdown", hopSamples);

        HopProbe.reset();
        flood(out.putObject("flood"), config, floodNodes, durationS);
        breakdown(out, "flood_breakdown", HopProbe.drain());

        if (!noLoad) {
            loaded(out.putObject("loaded"), config, frame);
        }
        if (sweep) {
            sweep(out.putArray("sweep"), frame);
        }
        putLoad(((ObjectNode) out.get("load_average")).putArray("end"));
        if (json) {
            System.out.println(out.toString());
        } else {
            text(out);
        }
        return 0;
    }

    /** The runtime configuration the flags select, on the runtime's defaults. */
    private RuntimeConfig config() {
        RuntimeConfig c = RuntimeConfig.defaults();
        if (transport != null) {
            try {
                c = c.withTransport(Transport.select(transport));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--transport", e.getMessage());
            }
        }
        if (placement != null) {
            c = switch (placement) {
                case "block" -> c.withBlockPlacement(true);
                case "spread" -> c.withBlockPlacement(false);
                default -> throw new UsageException("--placement", "unknown placement '" + placement + "': use block or spread");
            };
        }
        if (flush != null) {
            c = switch (flush) {
                case "consolidate" -> c.withConsolidateFlushes(true);
                case "immediate" -> c.withConsolidateFlushes(false);
                default -> throw new UsageException("--flush", "unknown flush policy '" + flush + "': use consolidate or immediate");
            };
        }
        if (quickAck) {
            if (c.transport() != Transport.EPOLL) {
                throw new UsageException("--quickack", "TCP_QUICKACK needs the epoll transport (this run uses "
                        + c.transport().cliName() + "); add --transport epoll");
            }
            c = c.withQuickAck(true);
        }
        return c;
    }

    private String describe(RuntimeConfig c) {
        return "transport=" + c.transport().cliName() + " loops=" + loopCount() + " placement="
                + (c.blockPlacement() ? "block" : "spread") + " flush=" + (c.consolidateFlushes() ? "consolidate" : "immediate")
                + " quickack=" + c.quickAck();
    }

    /** The event-loop threads each cluster really runs: {@code --loops}, or Netty's default for 0. */
    int loopCount() {
        return loops == 0 ? CalibrateCommand.nettyDefaultThreads() : loops;
    }

    private void putConfig(ObjectNode o, RuntimeConfig c) {
        o.put("transport", c.transport().cliName());
        o.put("loops", loopCount());
        o.put("placement", c.blockPlacement() ? "block" : "spread");
        o.put("flush", c.consolidateFlushes() ? "consolidate" : "immediate");
        o.put("quickack", c.quickAck());
    }

    /** The 1, 5 and 15 minute load averages, or nothing where /proc/loadavg is missing. */
    private static void putLoad(ArrayNode a) {
        try {
            String[] w = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            for (int i = 0; i < 3; i++) {
                a.add(Double.parseDouble(w[i]));
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: the load is unknown, the array stays empty
        }
    }

    /** The same figures as a short table for a reader (the JSON only with --json). */
    private static void text(ObjectNode o) {
        JsonNode f = o.get("flood");
        System.out.printf(Locale.ROOT, "netty bench: %d cores, seed %d, %s, load average %s -> %s%n", o.get("cores").asInt(),
                o.get("seed").asLong(), configText(o.get("config")), o.get("load_average").get("start"),
                o.get("load_average").get("end"));
        System.out.println("  idle");
        latencyLine("token hop (us)", o.get("token_hop"), o.get("token_hop").get("nodes").asInt() + " nodes");
        latencyLine("raw one-way (us)", o.get("raw_socket_one_way"), o.get("raw_socket_one_way").get("frame_bytes").asInt()
                + "-byte frames");
        ratioLine(o.get("ratio_to_raw"));
        breakdownLines(o.get("token_hop_breakdown"));
        System.out.printf(Locale.ROOT, "    flood             %s n=%d, %d/s for %.1f s: reliability %.4f, %.0f deliveries/s%n",
                f.get("topology").asText(), f.get("nodes").asInt(), f.get("rate_per_s").asInt(), f.get("wall_s").asDouble(),
                f.get("reliability").asDouble(), f.get("deliveries_per_s").asDouble());
        System.out.printf(Locale.ROOT, "    flood latency (ms) p50 %.3f  p99 %.3f  p99.9 %.3f   p99/p50 %.1f%n",
                f.get("latency_ms_p50").asDouble(), f.get("latency_ms_p99").asDouble(), f.get("latency_ms_p999").asDouble(),
                f.get("p99_over_p50").asDouble());
        breakdownLines(o.get("flood_breakdown"));
        JsonNode l = o.get("loaded");
        if (l != null) {
            System.out.printf(Locale.ROOT, "  under a broadcast load (%s n=%d, %d/s on another cluster of this JVM)%n",
                    l.get("topology").asText(), l.get("nodes").asInt(), l.get("rate_per_s").asInt());
            latencyLine("token hop (us)", l.get("token_hop"), "");
            latencyLine("raw one-way (us)", l.get("raw_socket_one_way"), "");
            ratioLine(l.get("ratio_to_raw"));
        }
        JsonNode s = o.get("sweep");
        if (s != null) {
            System.out.println("  sweep (token hop and flood per option, each the median over " + s.get(0).get("rounds").asInt()
                    + " interleaved rounds; ratios to the raw baseline measured right before)");
            System.out.println("    transport placement flush       quickack | hop p50/p99/p99.9 us      | x raw p50  p99  p99.9 "
                    + "| flood p50/p99 ms  p99/p50");
            for (JsonNode v : s) {
                JsonNode c = v.get("config");
                JsonNode h = v.get("token_hop");
                JsonNode rr = v.get("ratio_to_raw");
                JsonNode fl = v.get("flood");
                System.out.printf(Locale.ROOT, "    %-9s %-9s %-11s %-8s | %7.1f %7.1f %8.1f | %5.2f %5.2f %6.2f | %6.3f %7.3f %6.1f%n",
                        c.get("transport").asText(), c.get("placement").asText(), c.get("flush").asText(),
                        c.get("quickack").asBoolean(), h.get("p50_us").asDouble(), h.get("p99_us").asDouble(),
                        h.get("p999_us").asDouble(), rr.get("p50").asDouble(), rr.get("p99").asDouble(),
                        rr.get("p999").asDouble(), fl.get("latency_ms_p50").asDouble(), fl.get("latency_ms_p99").asDouble(),
                        fl.get("p99_over_p50").asDouble());
            }
        }
    }

    private static String configText(JsonNode c) {
        return "transport " + c.get("transport").asText() + ", " + c.get("loops").asInt() + " loops, placement "
                + c.get("placement").asText() + ", flush " + c.get("flush").asText() + ", quickack "
                + c.get("quickack").asBoolean();
    }

    private static void latencyLine(String what, JsonNode t, String note) {
        System.out.printf(Locale.ROOT, "    %-17s p50 %.2f  p99 %.2f  p99.9 %.2f  mean %.2f  (%s%d samples)%n", what,
                t.get("p50_us").asDouble(), t.get("p99_us").asDouble(), t.get("p999_us").asDouble(),
                t.get("mean_us").asDouble(), note.isEmpty() ? "" : note + ", ", t.get("samples").asInt());
    }

    private static void ratioLine(JsonNode r) {
        System.out.printf(Locale.ROOT, "    %-17s p50 %.2f  p99 %.2f  p99.9 %.2f  mean %.2f%n", "hop / raw",
                r.get("p50").asDouble(), r.get("p99").asDouble(), r.get("p999").asDouble(), r.get("mean").asDouble());
    }

    private static void breakdownLines(JsonNode b) {
        if (b == null || b.isNull()) {
            return;
        }
        StringBuilder s = new StringBuilder();
        for (String g : HopProbe.GAPS) {
            JsonNode x = b.get("stages").get(g);
            s.append(String.format(Locale.ROOT, " %s %.1f/%.1f", g, x.get("p50_us").asDouble(), x.get("p99_us").asDouble()));
        }
        JsonNode tot = b.get("total");
        System.out.printf(Locale.ROOT, "      where (us p50/p99, %d samples):%s; total %.1f/%.1f%n", b.get("samples").asInt(),
                s, tot.get("p50_us").asDouble(), tot.get("p99_us").asDouble());
    }

    private static final class FrameBytes {
        static final int TOKEN = 4 + MessageCodec.encodedSize(new Message.Token(0, 1, 0, 0, 0, 0, new byte[0]));
    }

    private static void latencies(ObjectNode o, long[] a) {
        o.put("samples", a.length);
        o.put("p50_us", us(pct(a, 50)));
        o.put("p99_us", us(pct(a, 99)));
        o.put("p999_us", us(pct(a, 99.9)));
        o.put("mean_us", us(mean(a)));
    }

    private static void ratios(ObjectNode o, long[] hops, long[] raw) {
        o.put("p50", round2((double) pct(hops, 50) / pct(raw, 50)));
        o.put("p99", round2((double) pct(hops, 99) / pct(raw, 99)));
        o.put("p999", round2((double) pct(hops, 99.9) / pct(raw, 99.9)));
        o.put("mean", round2(mean(hops) / mean(raw)));
    }

    /**
     * The probe's samples as p50/p99 per gap between stamps (negative gaps are kept: a receiver may read a
     * frame before the sender's {@code write} call has returned), and the whole hop; null without samples.
     */
    private static void breakdown(ObjectNode out, String field, List<long[]> samples) {
        if (samples.isEmpty()) {
            out.putNull(field);
            return;
        }
        ObjectNode b = out.putObject(field);
        b.put("samples", samples.size());
        ObjectNode st = b.putObject("stages");
        int n = samples.size();
        for (int g = 0; g < HopProbe.GAPS.size(); g++) {
            long[] d = new long[n];
            for (int i = 0; i < n; i++) {
                d[i] = samples.get(i)[g + 1] - samples.get(i)[g];
            }
            ObjectNode x = st.putObject(HopProbe.GAPS.get(g));
            x.put("p50_us", us(pct(d, 50)));
            x.put("p99_us", us(pct(d, 99)));
        }
        long[] tot = new long[n];
        int last = HopProbe.STAGES.size() - 1;
        for (int i = 0; i < n; i++) {
            tot[i] = samples.get(i)[last] - samples.get(i)[0];
        }
        ObjectNode x = b.putObject("total");
        x.put("p50_us", us(pct(tot, 50)));
        x.put("p99_us", us(pct(tot, 99)));
    }

    private long[] tokenHops(RuntimeConfig config) {
        Overlay ring = Topologies.build("ring", ringNodes, seed);
        int want = rotations * ringNodes;
        long[] hops = new long[want];
        AtomicInteger k = new AtomicInteger();
        try (LocalCluster c = new LocalCluster(ring, TokenRing.protocol(), seed, config, loops)) {
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

    private Overlay floodOverlay(int nodes) {
        try {
            return Topologies.build(topology, nodes, seed);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--topology", e.getMessage());
        }
    }

    private void flood(ObjectNode f, RuntimeConfig config, int nodes, double seconds) {
        Overlay overlay = floodOverlay(nodes);
        int total = (int) Math.round(rate * seconds);
        long[] latency = new long[total * nodes];
        AtomicInteger deliveries = new AtomicInteger();
        try (LocalCluster c = new LocalCluster(overlay, Flood.PROTOCOL, seed, config, loops)) {
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
                c.at(t0 + i * period, () -> c.inject(id % nodes, new Message.Inject(id, new byte[32])));
            }
            int expected = total * (nodes - 1);
            c.runUntil(() -> deliveries.get() >= expected, (long) (seconds * 1e9) + TimeUnit.SECONDS.toNanos(10));
            long elapsed = c.now() - t0;
            var st = c.stats();
            int got = Math.min(deliveries.get(), latency.length);
            // the first fifth is warm-up, as everywhere in this report
            long[] lat = Arrays.copyOfRange(latency, got / 5, got);
            f.put("nodes", nodes);
            f.put("topology", topology);
            f.put("rate_per_s", rate);
            f.put("broadcasts", total);
            f.put("reliability", (double) deliveries.get() / expected);
            f.put("wall_s", elapsed / 1e9);
            f.put("messages", st.messagesSent());
            f.put("dropped", st.messagesDropped());
            f.put("messages_per_s", st.messagesDelivered() / (elapsed / 1e9));
            f.put("deliveries_per_s", deliveries.get() / (elapsed / 1e9));
            f.put("latency_samples", lat.length);
            f.put("latency_ms_p50", pct(lat, 50) / 1e6);
            f.put("latency_ms_p99", pct(lat, 99) / 1e6);
            f.put("latency_ms_p999", pct(lat, 99.9) / 1e6);
            f.put("p99_over_p50", lat.length == 0 ? null : round2((double) pct(lat, 99) / pct(lat, 50)));
        }
    }

    /**
     * Token hop and raw baseline while another cluster of this JVM floods {@code --rate} broadcasts per second
     * (injected from a thread of its own), so both share the machine with the load.
     */
    private void loaded(ObjectNode o, RuntimeConfig config, int frame) throws IOException, InterruptedException {
        Overlay overlay = floodOverlay(floodNodes);
        o.put("topology", topology);
        o.put("nodes", floodNodes);
        o.put("rate_per_s", rate);
        AtomicBoolean stop = new AtomicBoolean();
        try (LocalCluster load = new LocalCluster(overlay, Flood.PROTOCOL, seed + 1, config, loops)) {
            load.start();
            long period = (long) (1e9 / rate);
            Thread injector = Thread.ofPlatform().daemon().name("bench-load").start(() -> {
                long next = System.nanoTime();
                for (int id = 0; !stop.get(); id++) {
                    load.inject(id % floodNodes, new Message.Inject(id, new byte[32]));
                    next += period;
                    long wait = next - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                }
            });
            try {
                long[] raw = rawOneWay(frame);
                long[] hops = tokenHops(config);
                latencies(o.putObject("token_hop"), hops);
                latencies(o.putObject("raw_socket_one_way"), raw);
                ratios(o.putObject("ratio_to_raw"), hops, raw);
            } finally {
                stop.set(true);
                injector.join(2000);
            }
        }
    }

    /** Each runtime option: token hop (next to a raw baseline measured right before it) and a shorter flood. */
    private void sweep(ArrayNode a, int frame) throws IOException, InterruptedException {
        List<RuntimeConfig> variants = new ArrayList<>();
        RuntimeConfig base = RuntimeConfig.defaults();
        List<Transport> transports = new ArrayList<>(List.of(Transport.NIO));
        try {
            transports.add(Transport.select("epoll"));
        } catch (IllegalArgumentException e) {
            System.err.println("ringlab bench: sweep without epoll: " + e.getMessage());
        }
        for (Transport t : transports) {
            for (boolean block : new boolean[] {false, true}) {
                for (boolean consolidate : new boolean[] {true, false}) {
                    variants.add(base.withTransport(t).withBlockPlacement(block).withConsolidateFlushes(consolidate)
                            .withQuickAck(false));
                }
            }
            if (t == Transport.EPOLL) {
                variants.add(base.withTransport(t).withBlockPlacement(true).withConsolidateFlushes(false).withQuickAck(true));
            }
        }
        List<List<ObjectNode>> rounds = new ArrayList<>();
        for (int round = 0; round < sweepRounds; round++) {
            List<ObjectNode> results = new ArrayList<>();
            for (RuntimeConfig v : variants) {
                ObjectNode o = new ObjectMapper().createObjectNode();
                long[] raw = rawOneWay(frame);
                long[] hops = tokenHops(v);
                latencies(o.putObject("token_hop"), hops);
                latencies(o.putObject("raw_socket_one_way"), raw);
                ratios(o.putObject("ratio_to_raw"), hops, raw);
                flood(o.putObject("flood"), v, floodNodes, Math.min(durationS, 2));
                results.add(o);
                System.err.println("ringlab bench: sweep round " + (round + 1) + "/" + sweepRounds + " " + describe(v) + " done");
            }
            rounds.add(results);
        }
        // Per variant, the median over rounds of each figure: one round's spike (another process's burst) does
        // not decide between two options.
        for (int i = 0; i < variants.size(); i++) {
            ObjectNode o = a.addObject();
            putConfig(o.putObject("config"), variants.get(i));
            o.put("rounds", sweepRounds);
            for (String part : List.of("token_hop", "raw_socket_one_way", "ratio_to_raw", "flood")) {
                ObjectNode p = o.putObject(part);
                JsonNode first = rounds.get(0).get(i).get(part);
                for (var it = first.fieldNames(); it.hasNext(); ) {
                    String field = it.next();
                    if (!first.get(field).isNumber()) {
                        p.set(field, first.get(field));
                        continue;
                    }
                    double[] xs = new double[sweepRounds];
                    for (int r = 0; r < sweepRounds; r++) {
                        xs[r] = rounds.get(r).get(i).get(part).get(field).asDouble();
                    }
                    Arrays.sort(xs);
                    double med = sweepRounds % 2 == 1 ? xs[sweepRounds / 2] : (xs[sweepRounds / 2 - 1] + xs[sweepRounds / 2]) / 2;
                    p.put(field, Math.round(med * 1000.0) / 1000.0);
                }
            }
        }
    }

    private static long pct(long[] a, double p) {
        if (a.length == 0) {
            return 0;
        }
        long[] s = a.clone();
        Arrays.sort(s);
        return s[Math.max(0, Math.min(s.length - 1, (int) Math.ceil(p / 100.0 * s.length) - 1))];
    }

    private static double mean(long[] a) {
        return Arrays.stream(a).average().orElse(0);
    }

    private static double us(double nanos) {
        return Math.round(nanos / 10.0) / 100.0;
    }

    private static double round2(double x) {
        return Math.round(x * 100.0) / 100.0;
    }
}
