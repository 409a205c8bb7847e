package dev.ringlab.runtime;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.topology.Overlay;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One node of a multi-process cluster ({@code ringlab node --id I --cluster FILE}): a {@link NodeHost} on
 * one event loop, talking to its parent through stdio.
 *
 * <p>stdout carries one JSON object per line: {@code {"event":"ready","port":P,"admin_port":A}} once
 * bound, {@code {"event":"linked"}} once every edge is up (or after 30 s without), {@code
 * {"event":"started"}}, {@code {"event":"observation",...}} per {@link Observation} (see
 * {@link ObservationJson}) and {@code {"event":"failure","message":...}} if the node logic throws. stdin
 * takes commands, one per line: {@code start} (with {@code "start":"stdin"}), {@code partition G0,G1,...}
 * (node v's group is G_v), {@code heal}, {@code stop}. End of stdin (the parent is gone) stops the node.
 */
public final class NodeProcess {
    private NodeProcess() {}

    /** Runs node {@code id} until stdin closes or says {@code stop}. Returns the exit code. */
    public static int run(int id, ClusterFile file, Overlay overlay, Protocol protocol, RuntimeConfig config,
            PrintStream out, java.io.InputStream stdin) throws IOException {
        return run(id, file, overlay, protocol, config, LinkEmulation.NONE, out, stdin);
    }

    /**
     * Runs node {@code id} with {@code emulation} on its send path (the cluster file's {@code latency} and
     * {@code loss}, which the caller parses), until stdin closes or says {@code stop}. Returns the exit code.
     */
    public static int run(int id, ClusterFile file, Overlay overlay, Protocol protocol, RuntimeConfig config,
            LinkEmulation emulation, PrintStream out, java.io.InputStream stdin) throws IOException {
        if (id < 0 || id >= file.n()) {
            throw new IllegalArgumentException("--id " + id + " not in 0.." + (file.n() - 1));
        }
        byte[] secret = file.readSecret();
        ClusterFile.Endpoint me = file.nodes().get(id);
        java.util.concurrent.atomic.AtomicReference<int[]> groups = new java.util.concurrent.atomic.AtomicReference<>(new int[file.n()]);
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            NodeHost host = new NodeHost(id, overlay, protocol, secret, config.withBindHost(me.host()),
                    (EventLoop) group.next(), file.seed(), o -> emit(out, observation(o)),
                    (from, to) -> groups.get()[from] != groups.get()[to], emulation);
            host.bind(me.port(), me.adminPort());
            emit(out, event("ready").put("port", host.port()).put("admin_port", host.adminPort()));
            host.connect(file.addresses());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (host.linksUp() < host.degree() && System.nanoTime() - deadline < 0) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            }
            emit(out, event("linked").put("links_up", host.linksUp()).put("degree", host.degree()));
            BufferedReader in = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
            boolean started = false;
            if (file.start().equals("linked")) {
                host.startNode();
                started = true;
                emit(out, event("started"));
            }
            Thread watchdog = Thread.ofPlatform().daemon().start(() -> {
                while (host.failure() == null) {
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                }
                emit(out, event("failure").put("message", String.valueOf(host.failure().getMessage())));
            });
            String line;
            while ((line = in.readLine()) != null) {
                String[] w = line.trim().split("\\s+");
                switch (w[0]) {
                    case "start" -> {
                        if (!started) {
                            host.startNode();
                            started = true;
                            emit(out, event("started"));
                        }
                    }
                    case "partition" -> {
                        String[] parts = w[1].split(",");
                        int[] g = new int[file.n()];
                        for (int v = 0; v < g.length; v++) {
                            g[v] = Integer.parseInt(parts[v]);
                        }
                        groups.set(g);
                    }
                    case "heal" -> groups.set(new int[file.n()]);
                    case "stop" -> {
                        host.close();
                        return 0;
                    }
                    default -> System.err.println("node " + id + ": unknown command '" + line + "'");
                }
            }
            watchdog.interrupt();
            host.close();
            return 0;
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    private static ObjectNode event(String name) {
        return ObservationJson.MAPPER.createObjectNode().put("event", name);
    }

    private static ObjectNode observation(Observation o) {
        ObjectNode n = event("observation");
        n.setAll(ObservationJson.toJson(o));
        return n;
    }

    private static void emit(PrintStream out, ObjectNode line) {
        synchronized (out) {
            out.println(line.toString());
            out.flush();
        }
    }
}
