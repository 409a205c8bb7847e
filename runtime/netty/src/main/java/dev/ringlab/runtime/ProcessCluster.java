package dev.ringlab.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ringlab.node.Cluster;
import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.topology.Overlay;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.PriorityQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The {@code processes} engine: one JVM per node, each started as {@code LAUNCHER... --id I --cluster FILE}
 * (the launcher is {@code java -cp <this classpath> dev.ringlab.experiments.Main node}). The parent writes
 * the cluster file and a 0600 secret file into a fresh temporary directory, picks free loopback ports,
 * and talks to each child over its stdio (see {@link NodeProcess}): observations arrive as JSON lines on
 * the child's stdout and are handed to observers one at a time from the reader threads; partitions and
 * the start signal go down its stdin. Client requests travel on an authenticated control connection
 * ({@link ControlClient}). {@link #crash} is {@link Process#destroyForcibly()}, a SIGKILL on Linux;
 * {@link #restart} spawns the node again on the same ports. {@link #stats} sums each live node's
 * counters from its {@code /status} (a killed node's last known counters are kept). Each child's stderr
 * goes to {@code node-I.log} in the run directory.
 *
 * <p>A {@link LinkEmulation} is passed to the children through the cluster file (its {@link
 * LinkEmulation#spec()} and {@link LinkEmulation#lossProbability()}; each child parses the spec again and
 * seeds its draws from the run seed and its id); {@link LinkEmulation#NONE} adds nothing.
 */
public final class ProcessCluster implements Cluster {
    private final Overlay overlay;
    private final Protocol protocol;
    private final long seed;
    private final List<String> launcher;
    private final LinkEmulation emulation;
    private final List<Consumer<Observation>> observers = new CopyOnWriteArrayList<>();
    private final Object observerLock = new Object();
    private final PriorityQueue<Object[]> actions = new PriorityQueue<>((a, b) -> {
        int c = Long.compare((Long) a[0], (Long) b[0]);
        return c != 0 ? c : Long.compare((Long) a[1], (Long) b[1]);
    });
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final int n;
    private final Process[] procs;
    private final OutputStream[] stdins;
    private final long[][] lastStats;
    private final Child[] children;
    private Path dir;
    private Path clusterFile;
    private ClusterFile file;
    private ControlClient control;
    private long actionSeq;
    private boolean started;
    private boolean closed;
    private volatile String failure;

    /** What the parent knows of one child, written by its reader thread. */
    private static final class Child {
        volatile boolean ready;
        volatile boolean linked;
        volatile boolean started;
        volatile boolean alive;
        volatile int exitCode = Integer.MIN_VALUE;
    }

    /**
     * @param launcher the command that runs {@code ringlab node}, without {@code --id}/{@code --cluster}
     */
    public ProcessCluster(Overlay overlay, Protocol protocol, long seed, List<String> launcher) {
        this(overlay, protocol, seed, launcher, LinkEmulation.NONE);
    }

    /**
     * @param launcher  the command that runs {@code ringlab node}, without {@code --id}/{@code --cluster}
     * @param emulation delay and loss each node adds on its send path; its {@link LinkEmulation#spec()} must
     *                  be a spec the launcher's {@code node} command parses
     */
    public ProcessCluster(Overlay overlay, Protocol protocol, long seed, List<String> launcher, LinkEmulation emulation) {
        this.emulation = Objects.requireNonNull(emulation, "emulation");
        this.overlay = Objects.requireNonNull(overlay, "overlay");
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        this.seed = seed;
        this.launcher = List.copyOf(launcher);
        this.n = overlay.size();
        this.procs = new Process[n];
        this.stdins = new OutputStream[n];
        this.lastStats = new long[n][4];
        this.children = new Child[n];
    }

    /**
     * The launcher for this JVM's own classpath: {@code <java> -cp <classpath> dev.ringlab.experiments.Main node},
     * with the java binary of the running process.
     */
    public static List<String> selfLauncher() {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return List.of(java, "-Xss512k", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), "dev.ringlab.experiments.Main", "node");
    }

    @Override
    public String engine() {
        return "processes";
    }

    @Override
    public Overlay overlay() {
        return overlay;
    }

    @Override
    public Protocol protocol() {
        return protocol;
    }

    /** The run directory (cluster file, secret, logs). */
    public Path directory() {
        return dir;
    }

    /** Node {@code v}'s OS process, or null before start. */
    public Process process(int v) {
        return procs[v];
    }

    /** Node {@code v}'s admin port. */
    public int adminPort(int v) {
        return file.nodes().get(v).adminPort();
    }

    @Override
    public void addObserver(Consumer<Observation> sink) {
        observers.add(Objects.requireNonNull(sink, "sink"));
    }

    @Override
    public void start() {
        if (started) {
            throw new IllegalStateException("cluster already started");
        }
        started = true;
        try {
            dir = Files.createTempDirectory("ringlab-processes-");
            byte[] secret = new byte[32];
            new SecureRandom().nextBytes(secret);
            Path secretFile = dir.resolve("secret");
            ClusterFile.writeSecret(secretFile, secret);
            int[] ports = freePorts(2 * n);
            List<ClusterFile.Endpoint> eps = new ArrayList<>();
            for (int v = 0; v < n; v++) {
                eps.add(new ClusterFile.Endpoint(v, "127.0.0.1", ports[2 * v], ports[2 * v + 1]));
            }
            file = new ClusterFile(overlay.spec(), n, seed, protocol.spec(), secretFile, "stdin", eps,
                    emulation.active() ? emulation.spec() : null, emulation.active() ? emulation.lossProbability() : 0);
            clusterFile = dir.resolve("cluster.json");
            file.write(clusterFile);
            for (int v = 0; v < n; v++) {
                spawn(v);
            }
            awaitAll(c -> c.linked, "connect its edges");
            for (int v = 0; v < n; v++) {
                command(v, "start");
            }
            awaitAll(c -> c.started, "start");
            control = new ControlClient(secret, file.addresses(), TimeUnit.SECONDS.toNanos(2));
        } catch (IOException e) {
            close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Listening ports for the children, picked below Linux's ephemeral range (32768-60999 by default).
     * Ports from {@code bind(0)} come from that range, and so do the source ports of the connections the
     * children open while their siblings are still starting: a port handed out that way could be taken by
     * such a connection before its node binds it ("address in use"). Below the range only a listening
     * socket can hold a port, and each candidate is checked free by binding it.
     */
    private static int[] freePorts(int k) throws IOException {
        final int low = 20000;
        final int high = 32767;
        ServerSocket[] s = new ServerSocket[k];
        int[] p = new int[k];
        SecureRandom random = new SecureRandom();
        try {
            int found = 0;
            for (int tries = 0; found < k && tries < 50 * k + 1000; tries++) {
                int port = low + random.nextInt(high - low + 1);
                try {
                    ServerSocket candidate = new ServerSocket();
                    candidate.setReuseAddress(false);
                    try {
                        candidate.bind(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1);
                    } catch (IOException taken) {
                        candidate.close();
                        continue;
                    }
                    s[found] = candidate;
                    p[found++] = port;
                } catch (IOException e) {
                    // try another port
                }
            }
            if (found < k) {
                throw new IOException("found only " + found + " free loopback ports of " + k + " in " + low + ".." + high);
            }
        } finally {
            for (ServerSocket x : s) {
                if (x != null) {
                    x.close();
                }
            }
        }
        return p;
    }

    private void spawn(int v) throws IOException {
        List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(List.of("--id", Integer.toString(v), "--cluster", clusterFile.toString()));
        Process p = new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("node-" + v + ".log").toFile()))
                .start();
        Child c = new Child();
        c.alive = true;
        children[v] = c;
        procs[v] = p;
        stdins[v] = p.getOutputStream();
        p.onExit().thenAccept(done -> {
            c.alive = false;
            c.exitCode = done.exitValue();
        });
        Thread.ofPlatform().daemon().name("ringlab-node-" + v + "-stdout").start(() -> read(v, c, p));
    }

    private void read(int v, Child c, Process p) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                JsonNode j;
                try {
                    j = ObservationJson.MAPPER.readTree(line);
                } catch (IOException e) {
                    continue; // not ours
                }
                switch (j.path("event").asText()) {
                    case "observation" -> {
                        Observation o = ObservationJson.fromJson(j);
                        synchronized (observerLock) {
                            for (Consumer<Observation> s : observers) {
                                s.accept(o);
                            }
                        }
                    }
                    case "ready" -> c.ready = true;
                    case "linked" -> c.linked = true;
                    case "started" -> c.started = true;
                    case "failure" -> failure = "node " + v + ": " + j.path("message").asText();
                    default -> {}
                }
            }
        } catch (IOException e) {
            // the child is gone
        }
    }

    private interface ChildState {
        boolean test(Child c);
    }

    private void awaitAll(ChildState s, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int v = 0; v < n; v++) {
            await(v, s, what, deadline);
        }
    }

    private void await(int v, ChildState s, String what, long deadline) {
        while (!s.test(children[v])) {
            if (!children[v].alive) {
                throw new IllegalStateException("node " + v + " exited (" + children[v].exitCode + ") before it could "
                        + what + "; see " + dir.resolve("node-" + v + ".log"));
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("node " + v + " did not " + what + " within 60 s; see "
                        + dir.resolve("node-" + v + ".log"));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
    }

    private void command(int v, String line) {
        try {
            stdins[v].write((line + "\n").getBytes(StandardCharsets.UTF_8));
            stdins[v].flush();
        } catch (IOException e) {
            // a dead child: nothing to tell it
        }
    }

    @Override
    public long now() {
        return System.nanoTime();
    }

    private void check(int v) {
        if (v < 0 || v >= n) {
            throw new IllegalArgumentException("node " + v + " not in 0.." + (n - 1));
        }
        if (!started || closed) {
            throw new IllegalStateException("cluster not running");
        }
    }

    @Override
    public void inject(int node, Message m) {
        check(node);
        if (alive(node)) {
            control.send(node, m);
        }
    }

    @Override
    public void crash(int node) {
        check(node);
        Process p = procs[node];
        if (p == null || !p.isAlive()) {
            return;
        }
        refreshStats(node);
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        children[node].alive = false;
    }

    /** Exit code of node {@code v}'s last process (137 after a SIGKILL), or empty while it runs. */
    public OptionalLong exitCode(int v) {
        Process p = procs[v];
        return p == null || p.isAlive() ? OptionalLong.empty() : OptionalLong.of(p.exitValue());
    }

    @Override
    public void restart(int node) {
        check(node);
        if (alive(node)) {
            return;
        }
        try {
            spawn(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        command(node, "start");
        await(node, c -> c.started, "restart", System.nanoTime() + TimeUnit.SECONDS.toNanos(60));
    }

    @Override
    public boolean alive(int node) {
        Process p = procs[node];
        return p != null && p.isAlive() && children[node].alive;
    }

    @Override
    public void partition(int[][] groups) {
        int[] g = new int[n];
        for (int k = 0; k < groups.length; k++) {
            for (int v : groups[k]) {
                g[v] = k + 1;
            }
        }
        StringBuilder b = new StringBuilder("partition ");
        for (int v = 0; v < n; v++) {
            b.append(v == 0 ? "" : ",").append(g[v]);
        }
        for (int v = 0; v < n; v++) {
            command(v, b.toString());
        }
    }

    @Override
    public void heal() {
        for (int v = 0; v < n; v++) {
            command(v, "heal");
        }
    }

    @Override
    public void at(long atNanos, Runnable action) {
        actions.add(new Object[] {atNanos, actionSeq++, Objects.requireNonNull(action, "action")});
    }

    @Override
    public void runFor(long nanos) {
        runUntil(() -> false, nanos);
    }

    @Override
    public boolean runUntil(BooleanSupplier condition, long timeoutNanos) {
        long deadline = System.nanoTime() + timeoutNanos;
        while (true) {
            while (!actions.isEmpty() && (Long) actions.peek()[0] - System.nanoTime() <= 0) {
                ((Runnable) actions.poll()[2]).run();
            }
            if (failure != null) {
                throw new IllegalStateException(failure);
            }
            if (condition.getAsBoolean()) {
                return true;
            }
            long now = System.nanoTime();
            if (now - deadline >= 0) {
                return false;
            }
            LockSupport.parkNanos(Math.min(deadline - now, TimeUnit.MILLISECONDS.toNanos(1)));
        }
    }

    private void refreshStats(int v) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + adminPort(v) + "/status")).timeout(Duration.ofSeconds(2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode j = ObservationJson.MAPPER.readTree(r.body());
            lastStats[v] = new long[] {j.path("messages_sent").asLong(), j.path("bytes_sent").asLong(),
                j.path("messages_delivered").asLong(), j.path("messages_dropped").asLong()};
        } catch (IOException e) {
            // keep the last known counters
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public ClusterStats stats() {
        long[] sum = new long[4];
        for (int v = 0; v < n; v++) {
            if (alive(v)) {
                refreshStats(v);
            }
            for (int k = 0; k < 4; k++) {
                sum[k] += lastStats[v][k];
            }
        }
        return new ClusterStats(sum[0], sum[1], sum[2], sum[3] + (control == null ? 0 : control.dropped()), sum[2]);
    }

    @Override
    public OptionalLong traceHash() {
        return OptionalLong.empty();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int v = 0; v < n; v++) {
            if (procs[v] != null && procs[v].isAlive()) {
                command(v, "stop");
            }
        }
        for (int v = 0; v < n; v++) {
            Process p = procs[v];
            if (p == null) {
                continue;
            }
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        if (control != null) {
            control.close();
        }
    }
}
