package dev.ringlab.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.topology.Overlay;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One node of a multi-process cluster ({@link NodeMain}): a {@link NodeHost} on one event loop, talking to
 * its parent through stdio. This class is the stdio protocol, both sides: the child's loop ({@link #run})
 * and the encoding the parent ({@link ProcessCluster}) uses.
 *
 * <h2>stdout: one JSON object per line</h2>
 * <ul>
 *   <li>{@code {"event":"ready","port":P,"admin_port":A}} once bound; from then on the child reads its stdin
 *       and dials its peers in the background (redialling with backoff), so a {@code start} is obeyed at
 *       once, whatever edges are up: a node respawned while a neighbour is down serves without it;
 *   <li>{@code {"event":"linked","links_up":L,"degree":D}} once every edge is up (at once with a lazy
 *       {@link ConnectionPolicy}, which connects an edge on its first send; or after
 *       {@link #LINK_WAIT_NANOS} without; it goes on dialling): the parent waits for it on a cold start only;
 *   <li>{@code {"event":"started"}} once the node logic is booted;
 *   <li>{@code {"event":"observation",...}} per {@link Observation} (see {@link ObservationJson});
 *       every line goes out through {@link StdoutLines}, in order, so the node's loop never blocks on the pipe;
 *   <li>{@code {"event":"counters","seq":S,"sent":..,"bytes_sent":..,"delivered":..,"client_requests":..,
 *       "open_connections":..,"drops":{reason:count},"last_send_ns":T|null}}: the host's
 *       {@link NodeMetrics.Counters} and its open peer connections (a gauge), every
 *       {@link #COUNTERS_PERIOD_NANOS}
 *       when they changed, on a {@code counters S} request (echoing S; periodic lines carry 0) once the node's
 *       loop has handled what reached it before the request, and a last time after {@code stop}. The periodic
 *       lines come from a reporter thread of its own that reads the counters (atomics), so streaming them
 *       costs the node's event loop nothing; a request costs it one empty task;
 *   <li>{@code {"event":"failure","message":...}} if the node logic throws.
 * </ul>
 *
 * <h2>stdin: one command per line</h2>
 * {@code start} (with {@code "start":"stdin"}); {@code partition G0,G1,...} (node v's group is G_v);
 * {@code heal}; {@code slow V NANOS}; {@code loss P} (a loss burst; 0 ends it); {@code down V} and
 * {@code up V} (the parent crashed or restarted node V: sends to it count as {@code receiver_down});
 * {@code counters S}; {@code stop}. End of stdin (the parent is gone) stops the node; a child launched through
 * {@link NodeMain#main} exits at once instead ({@link NodeMain#watchStdin}). The fault commands
 * set this process's {@link LinkFaults}, so they take effect when this child reads them.
 */
public final class NodeProcess {
    /** How long a child waits for all its edges before it says {@code linked} anyway (it keeps dialling). */
    public static final long LINK_WAIT_NANOS = TimeUnit.SECONDS.toNanos(30);

    /** How often a child streams its counters (when they changed). */
    public static final long COUNTERS_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private NodeProcess() {}

    /** Runs node {@code id} until stdin closes or says {@code stop}. Returns the exit code. */
    public static int run(int id, ClusterFile file, Overlay overlay, Protocol protocol, RuntimeConfig config,
            PrintStream out, InputStream stdin) throws IOException {
        return run(id, file, overlay, protocol, config, LinkEmulation.NONE, out, stdin);
    }

    /**
     * Runs node {@code id} with {@code emulation} on its send path (the cluster file's {@code latency} and
     * {@code loss}), until stdin closes or says {@code stop}. Returns the exit code.
     */
    public static int run(int id, ClusterFile file, Overlay overlay, Protocol protocol, RuntimeConfig config,
            LinkEmulation emulation, PrintStream out, InputStream stdin) throws IOException {
        if (id < 0 || id >= file.n()) {
            throw new IllegalArgumentException("--id " + id + " not in 0.." + (file.n() - 1));
        }
        byte[] secret = file.readSecret();
        ClusterFile.Endpoint me = file.nodes().get(id);
        LinkFaults faults = new LinkFaults(file.n());
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, config.transport().ioHandlerFactory());
        Thread reporter = null;
        StdoutLines lines = new StdoutLines(out, "ringlab-node-" + id + "-stdout");
        try {
            NodeHost host = new NodeHost(id, overlay, protocol, secret, config.withBindHost(me.host()),
                    group.next(), file.seed(), lines::emit, faults, emulation);
            host.bind(me.port(), me.adminPort());
            lines.emit(event("ready").put("port", host.port()).put("admin_port", host.adminPort())
                    .put("netty_jfr", NettyJfr.enabled()));
            // Peers are dialled in the background (the link table redials with backoff) and this node serves
            // from now on: a respawned node must not wait for edges to peers that are down themselves.
            host.connect(file.addresses());
            BufferedReader in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
            AtomicBoolean started = new AtomicBoolean();
            Runnable startOnce = () -> {
                if (started.compareAndSet(false, true)) {
                    host.startNode();
                    lines.emit(event("started"));
                }
            };
            boolean selfStart = file.start().equals("linked");
            Thread.ofPlatform().daemon().name("ringlab-node-" + id + "-linker").start(() -> {
                long deadline = System.nanoTime() + LINK_WAIT_NANOS;
                while (!host.linked() && System.nanoTime() - deadline < 0 && host.alive()) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                }
                lines.emit(event("linked").put("links_up", host.linksUp()).put("degree", host.degree()));
                if (selfStart && host.alive()) {
                    startOnce.run();
                }
            });
            reporter = Thread.ofPlatform().daemon().name("ringlab-node-" + id + "-reporter").start(() -> report(host, lines));
            String line;
            while ((line = in.readLine()) != null) {
                String[] w = line.trim().split("\\s+");
                try {
                    switch (w[0]) {
                        case "start" -> startOnce.run();
                        case "partition" -> faults.partition(parseGroups(w[1], file.n()));
                        case "heal" -> faults.heal();
                        case "slow" -> faults.slow(Integer.parseInt(w[1]), Long.parseLong(w[2]));
                        case "loss" -> faults.lossBurst(Double.parseDouble(w[1]));
                        case "down" -> faults.down(Integer.parseInt(w[1]), true);
                        case "up" -> faults.down(Integer.parseInt(w[1]), false);
                        case "counters" -> {
                            // Through the node's loop first, so everything that reached this node before the
                            // request (client requests on the control connection too: their bytes are in the
                            // socket before this line is read) is handled and counted before the answer, and a
                            // SIGKILL sent after the answer cannot overtake an earlier inject.
                            host.loop().submit(() -> { }).awaitUninterruptibly(1, TimeUnit.SECONDS);
                            lines.emit(counters(host.metrics().counters(), host.openConnections(), Long.parseLong(w[1]))
                                    .put("timer_late", host.metrics().timerLateness().encode()));
                        }
                        case "stop" -> {
                            return stop(host, lines, reporter);
                        }
                        default -> System.err.println("node " + id + ": unknown command '" + line + "'");
                    }
                } catch (RuntimeException e) {
                    // a malformed command from a parent of another version: say so, keep running
                    System.err.println("node " + id + ": bad command '" + line + "': " + e);
                }
            }
            return stop(host, lines, reporter);
        } finally {
            if (reporter != null) {
                reporter.interrupt();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
            lines.close(); // every line out before the process exits
        }
    }

    private static int stop(NodeHost host, StdoutLines lines, Thread reporter) {
        reporter.interrupt();
        try {
            reporter.join(TimeUnit.SECONDS.toMillis(1)); // no periodic line may follow the final one
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        host.close();
        lines.emit(counters(host.metrics().counters(), host.openConnections(), 0)
                .put("timer_late", host.metrics().timerLateness().encode()));
        return 0;
    }

    /**
     * The reporter thread: the counters every period when they changed, and the node's failure once. Reads
     * atomics only; never touches the node's loop.
     */
    private static void report(NodeHost host, StdoutLines lines) {
        NodeMetrics.Counters last = NodeMetrics.Counters.ZERO;
        int lastOpen = 0;
        long lastTimers = 0;
        boolean failed = false;
        while (!Thread.currentThread().isInterrupted()) {
            LockSupport.parkNanos(COUNTERS_PERIOD_NANOS);
            NodeMetrics.Counters now = host.metrics().counters();
            int open = host.openConnections();
            long timersNow = host.metrics().timersCounted();
            if (!now.equals(last) || open != lastOpen || timersNow != lastTimers) {
                lines.emit(counters(now, open, 0).put("timer_late", host.metrics().timerLateness().encode()));
                last = now;
                lastOpen = open;
                lastTimers = timersNow;
            }
            if (!failed && host.failure() != null) {
                failed = true;
                lines.emit(event("failure").put("message", String.valueOf(host.failure().getMessage())));
            }
        }
    }

    // ---- the encoding, shared with the parent ----

    /** The stdin line that sets node v's partition group to {@code group[v]}. */
    static String partitionCommand(int[] group) {
        StringBuilder b = new StringBuilder("partition ");
        for (int v = 0; v < group.length; v++) {
            b.append(v == 0 ? "" : ",").append(group[v]);
        }
        return b.toString();
    }

    private static int[] parseGroups(String text, int n) {
        String[] parts = text.split(",");
        if (parts.length != n) {
            throw new IllegalArgumentException("partition needs " + n + " groups, got " + parts.length);
        }
        int[] g = new int[n];
        for (int v = 0; v < n; v++) {
            g[v] = Integer.parseInt(parts[v]);
        }
        return g;
    }

    /**
     * A counters line with the node's open peer connections; {@code seq} echoes a {@code counters S} request (0:
     * periodic or final).
     */
    static ObjectNode counters(NodeMetrics.Counters c, int openConnections, long seq) {
        ObjectNode j = event("counters").put("seq", seq).put("sent", c.sent()).put("bytes_sent", c.bytesSent())
                .put("delivered", c.delivered()).put("client_requests", c.clientRequests())
                .put("open_connections", openConnections);
        ObjectNode drops = j.putObject("drops");
        c.drops().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> drops.put(e.getKey(), e.getValue()));
        if (c.lastSendNanos().isPresent()) {
            j.put("last_send_ns", c.lastSendNanos().getAsLong());
        } else {
            j.putNull("last_send_ns");
        }
        return j;
    }

    /** The counters of a {@code counters} line. */
    static NodeMetrics.Counters parseCounters(JsonNode j) {
        Map<String, Long> drops = new HashMap<>();
        j.path("drops").properties().forEach(e -> drops.put(e.getKey(), e.getValue().asLong()));
        JsonNode last = j.path("last_send_ns");
        return new NodeMetrics.Counters(j.path("sent").asLong(), j.path("bytes_sent").asLong(), j.path("delivered").asLong(),
                drops, last.isNumber() ? OptionalLong.of(last.asLong()) : OptionalLong.empty(), j.path("client_requests").asLong());
    }

    private static ObjectNode event(String name) {
        return ObservationJson.MAPPER.createObjectNode().put("event", name);
    }

    static ObjectNode observation(Observation o) {
        ObjectNode n = event("observation");
        n.setAll(ObservationJson.toJson(o));
        return n;
    }
}
