package dev.ringlab.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ringlab.node.Cluster;
import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.ProtocolRegistry;
import dev.ringlab.node.TimerLateness;
import dev.ringlab.topology.Overlay;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.PriorityQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The {@code processes} engine: one JVM per node, each started as {@code LAUNCHER... --id I --cluster FILE}
 * (the launcher is {@code java <options> dev.ringlab.runtime.NodeMain} with this JVM's classpath in the
 * environment, {@link #selfLauncher}).
 * The parent writes the cluster file and a 0600 secret file into a fresh temporary directory, picks free
 * loopback ports, and talks to each child over its stdio (see {@link NodeProcess}): observations and
 * counters arrive as JSON lines on the child's stdout and are handed to observers one at a time from the
 * reader threads; partitions, slow nodes, loss bursts, crash notices and the start signal go down its stdin.
 * Client requests travel on an authenticated control connection ({@link ControlClient}), opened to every
 * node by {@link #start} (and again by {@link #restart}) so that no inject stalls the control thread on a
 * connect. Each child's stderr goes to {@code node-I.log} in the run directory.
 *
 * <h2>Building</h2>
 * The constructor refuses an overlay the protocol refuses ({@link Protocol#checkOverlay}) and a protocol
 * whose spec the {@link ProtocolRegistry} cannot rebuild ({@link #requireRebuildable}): a child has only the
 * spec. The overlay travels as its topology spec when {@code Topologies} rebuilds it exactly, otherwise as
 * its adjacency in the cluster file ({@link ClusterFile#withOverlay}), so every overlay runs here.
 *
 * <h2>Crash and restart</h2>
 * {@link #crash} is {@link Process#destroyForcibly()}, a SIGKILL on Linux, with the guarantees the other
 * engines give by construction: (1) a client request injected before the crash reaches the node before it
 * dies: the parent waits for its control writes to the node, then asks the child for its counters
 * ({@code counters S}, answered after one task on the child's loop) until the child's count of client
 * requests handled matches what the parent sent to it; (2) every observation of the dead incarnation has
 * reached the observers when crash returns: after the kill the parent reads the child's stdout to its end;
 * (3) from then on the other nodes count their sends to it as {@code receiver_down}: the parent sends them
 * the crash notice and waits for their answer to a counters request sent after it. Each wait is bounded by
 * {@link #FLUSH_WAIT_NANOS}; measured on a loaded 2-core machine, crash takes 50-110 ms. {@link #restart}
 * spawns the node again on the same ports and sends the new child the faults in force (partition, slow
 * nodes, loss burst, crashed nodes) before it starts (see "Supervision").
 *
 * <h2>Supervision</h2>
 * A child serves as soon as it is bound and its node is booted; it dials its peers in the background and
 * redials with backoff ({@link NodeProcess}). A cold {@link #start} waits until every child has bound, then
 * up to {@link #COLD_LINK_WAIT_NANOS} for their edges (so the run begins on a whole overlay; a child that cannot
 * reach a peer does not stall it longer), then starts them all. {@link #restart} returns once the new child is
 * bound and booted, whatever else is down: it never waits for edges, which come up as the peers redial.
 *
 * <p>The rule for a child that exits on its own (without {@link #crash} or {@link #close}: a {@code kill -9}
 * from outside, a JVM error): its reader thread sees its stdout end, at once, and the engine treats it as a
 * crash it did not order: {@link #alive} turns false, the other children are told (their sends to it count
 * as receiver_down), {@link #unexpectedExits} counts it, and the observers get an
 * {@link Observation.NodeExited} with its exit status and the last lines of its log, after every observation
 * it made. Nothing is respawned by the engine: the driver decides. A driver whose protocol heals (recover,
 * config, catalog, the cache) carries on and the protocol repairs the ring around the node, as after a
 * crash; a driver whose protocol cannot heal (token) fails at once with that observation.
 *
 * <p>Children die with their parent: each watches its stdin from its first instant ({@link NodeMain#watchStdin})
 * and exits when it ends, which a SIGKILL of the parent causes too. The run directory (cluster file,
 * secret, {@code node-I.log}) is deleted by {@link #close}, on the error paths of {@link #start} (which quote
 * the child's last log lines instead of pointing into it) and, on SIGINT/SIGTERM, by a shutdown hook that also
 * kills the children; {@link #keepRunDirectory} keeps it. Only a SIGKILL of the parent leaves it behind.
 *
 * <h2>Counters</h2>
 * {@link #stats} reads only the parent's copy of the counters, which each child streams on its stdout
 * (every {@link NodeProcess#COUNTERS_PERIOD_NANOS} when they changed, on request, and a last time when it
 * stops); no request reaches a node while measuring (the admin endpoints stay for users), so {@link #stats}
 * lags the nodes by up to one period; {@link #settle} confirms the quiet with one counters request per node
 * at its end, so it ends on exact counters (see {@link #settle}). The parent keeps one set
 * of counters per incarnation (per process spawned) and sums them all, so a respawn adds to, never
 * overwrites, a node's counts; a killed incarnation keeps the counts of its answer to the crash's counters
 * request. What it counted after that answer (usually under a millisecond; up to one stream period if it
 * did not answer within the bound) is lost with it, and so are the messages waiting out an emulated delay
 * inside it: after a settle, such sends show as {@code messagesSent - messagesDelivered - messagesDropped >
 * 0}, and deliveries of sends it made after its answer as the opposite.
 *
 * <p>The {@link ConnectionPolicy} (given, or the protocol's default) reaches the children through the cluster
 * file too ({@code connections}); each child streams its open peer connections with its counters
 * ({@link #openConnections}).
 *
 * <p>A {@link LinkEmulation} is passed to the children through the cluster file (its {@link
 * LinkEmulation#spec()} and {@link LinkEmulation#lossProbability()}; each child parses the spec again and
 * seeds its draws from the run seed and its id); {@link LinkEmulation#NONE} adds nothing.
 */
public final class ProcessCluster implements Cluster {
    static {
        NettyJfr.offUnlessSet(); // before this class touches Netty
    }

    private final Overlay overlay;
    private final Protocol protocol;
    private final long seed;
    private final List<String> launcher;
    private final LinkEmulation emulation;
    /** Where each node runs when not all on loopback, or null (see {@link NodeHosts}). */
    private final NodeHosts hosts;
    /** The children's connection policy, written into the cluster file. */
    private final ConnectionPolicy connections;
    private final List<Consumer<Observation>> observers = new CopyOnWriteArrayList<>();
    private final Object observerLock = new Object();
    private final PriorityQueue<Object[]> actions = new PriorityQueue<>((a, b) -> {
        int c = Long.compare((Long) a[0], (Long) b[0]);
        return c != 0 ? c : Long.compare((Long) a[1], (Long) b[1]);
    });
    private final int n;
    /** The node JVMs' class-data archive ({@link NodeCds}), or null: none for this launcher. */
    private final Path cdsArchive;
    /** Where node 0's first JVM writes the archive as it exits, and that JVM; null when this cluster makes none. */
    private Path cdsPending;
    private Process cdsDumper;
    /** One cluster of this driver at a time makes the archive. */
    private static final java.util.concurrent.atomic.AtomicBoolean CDS_DUMPING = new java.util.concurrent.atomic.AtomicBoolean();
    private final Process[] procs;
    private final OutputStream[] stdins;
    /** The current incarnation of each node. */
    private final Child[] children;
    /** Per node, {@link #restartAcceptNanos} of its last restart, -1 before one. */
    private final long[] restartAccept;
    /** Every incarnation of each node, oldest first: their counters add up. */
    private final List<List<Child>> incarnations;
    /** The parent's copy of the faults in force, replayed to a respawned child. */
    private final LinkFaults faults;
    private long flushSeq;
    private Path dir;
    private Path clusterFile;
    private ClusterFile file;
    private ControlClient control;
    private long actionSeq;
    private boolean started;
    private volatile boolean closed;
    private volatile String failure;
    private volatile boolean keepRunDirectory;
    private boolean runDirectoryHandled;
    private Thread shutdownHook;
    /** Children that exited without {@link #crash} or {@link #close} asking them to. */
    private final java.util.concurrent.atomic.AtomicLong unexpectedExits = new java.util.concurrent.atomic.AtomicLong();

    /** How long a cold {@link #start} waits for every child's edges before it starts the nodes anyway. */
    public static final long COLD_LINK_WAIT_NANOS = TimeUnit.SECONDS.toNanos(20);

    /** How many lines of a child's log an error or a {@link Observation.NodeExited} quotes. */
    static final int LOG_TAIL_LINES = 5;

    /** Bound on each of {@link #crash}'s waits (see "Crash and restart" in the class doc). */
    public static final long FLUSH_WAIT_NANOS = TimeUnit.SECONDS.toNanos(2);

    /** What the parent knows of one incarnation (one process), written by its reader thread. */
    private static final class Child {
        volatile boolean ready;
        /** {@link System#nanoTime} when the parent read this incarnation's {@code ready} line (bound); set before {@link #ready}. */
        volatile long readyAtNanos;
        /** Whether its Netty uses its JFR events, as its {@code ready} line said ({@link NettyJfr}). */
        volatile boolean nettyJfr;
        volatile boolean linked;
        volatile boolean started;
        volatile boolean alive;
        /** Set before the parent kills or stops this incarnation: its exit is then no news. */
        volatile boolean expectedExit;
        volatile int exitCode = Integer.MIN_VALUE;
        volatile NodeMetrics.Counters counters = NodeMetrics.Counters.ZERO;
        /** Its open peer connections, as its last counters line said. */
        volatile int openConnections;
        /** How late its timers ran, as its last counters line said (empty before one said). */
        volatile TimerLateness timers = new TimerLateness();
        /** The highest {@code counters S} request answered. */
        volatile long answered;
        /** {@link ControlClient#sent} to this node when this incarnation was spawned. */
        long clientBase;
        Thread reader;
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
        this(overlay, protocol, seed, launcher, emulation, null);
    }

    /**
     * @param hosts where each node listens and the exec prefix of its command (e.g. one network namespace per
     *              node), or null for every node on loopback with no prefix
     * @throws IllegalArgumentException if {@code hosts} lists another number of nodes than the overlay has
     */
    public ProcessCluster(Overlay overlay, Protocol protocol, long seed, List<String> launcher, LinkEmulation emulation,
            NodeHosts hosts) {
        this(overlay, protocol, seed, launcher, emulation, hosts,
                ConnectionPolicy.resolve(ConnectionPolicy.fromProperty(), Objects.requireNonNull(protocol, "protocol")));
    }

    /**
     * @param hosts       where each node listens and the exec prefix of its command, or null for loopback
     * @param connections the children's connection policy (null: the protocol's default, {@link ConnectionPolicy#resolve})
     * @throws IllegalArgumentException if {@code hosts} lists another number of nodes than the overlay has
     */
    public ProcessCluster(Overlay overlay, Protocol protocol, long seed, List<String> launcher, LinkEmulation emulation,
            NodeHosts hosts, ConnectionPolicy connections) {
        this.connections = ConnectionPolicy.resolve(connections, Objects.requireNonNull(protocol, "protocol"));
        if (hosts != null && hosts.size() != overlay.size()) {
            throw new IllegalArgumentException("the hosts file lists " + hosts.size() + " nodes and the overlay has "
                    + overlay.size() + ": give one entry per node");
        }
        this.hosts = hosts;
        this.emulation = Objects.requireNonNull(emulation, "emulation");
        this.overlay = Objects.requireNonNull(overlay, "overlay");
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        this.seed = seed;
        this.launcher = List.copyOf(launcher);
        this.cdsArchive = !launcher.isEmpty() && Collections.indexOfSubList(launcher, NodeCds.LOG_TO_STDERR) >= 0
                ? NodeCds.archive(launcher.get(0), System.getProperty("java.class.path")) : null;
        this.n = overlay.size();
        this.procs = new Process[n];
        this.stdins = new OutputStream[n];
        this.children = new Child[n];
        this.restartAccept = new long[n];
        Arrays.fill(restartAccept, -1);
        this.incarnations = new ArrayList<>();
        for (int v = 0; v < n; v++) {
            incarnations.add(new ArrayList<>());
        }
        this.faults = new LinkFaults(n);
        protocol.checkOverlay(overlay);
        requireRebuildable(protocol);
    }

    /**
     * Checks that a node process can build {@code protocol} from its spec alone, through
     * {@link ProtocolRegistry#standard()} (as {@link NodeMain} does).
     *
     * @throws IllegalArgumentException naming the spec and the registry's forms if it cannot
     */
    public static void requireRebuildable(Protocol protocol) {
        try {
            ProtocolRegistry.standard().protocol(protocol.spec());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("protocol '" + protocol.spec() + "' cannot be rebuilt from its spec in a"
                    + " node process (the processes engine builds every node through the protocol registry): "
                    + e.getMessage(), e);
        }
    }

    /** Where Linux says whether it offers transparent huge pages ({@code always [madvise] never}: the mode chosen). */
    static final Path THP_MODE_FILE = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");

    /**
     * The node JVMs' options when {@value #NODE_JAVA_OPTS_ENV} is not set. A node's live heap is a few MB (about
     * 7 MB after a full GC in a soak), but without a cap the JVM commits 1/64 of the machine's memory (384 MB on
     * 24 GiB) and Serial GC's old generation fills with promoted garbage for a long time before its first full
     * collection, so a node's RSS crept up by first touching that heap (+11 % over a 30-minute soak) although
     * nothing leaked; with {@code -Xmx128m} alone it still crept (+5 % in the second quarter-hour of a soak) while
     * the old generation was touched page by page. So the heap is fixed at 96 MB and touched at start
     * ({@code AlwaysPreTouch}) in transparent huge pages ({@code UseTransparentHugePages}, only where the kernel
     * offers them to a program that asks, mode {@code madvise} or {@code always}, as the {@code ringlab} launcher
     * adds it to its own JVM: {@link #hugePagesOffered}; the flag does not exist off Linux, and where the mode is
     * {@code never} the JVM would only warn). Touched in 4 KB pages, the 96 MB took 0.43-0.44 s of a node JVM's
     * start on this 2-core VM ({@code java -version} with these options, against 0.08-0.25 s in huge pages and
     * 0.10 s untouched), and four test classes that start processes clusters ran in 67-74 s against 85-86 s
     * (2026-12-06, alternating). A node's RSS is flat from its first instant, a page fault never
     * lands inside a measured hop, growth of RSS can only be native memory, and a heap leak shows as the node
     * running out: it exits at once ({@code ExitOnOutOfMemoryError}; the exit is reported with its last log
     * lines) rather than limping on. {@code --enable-native-access}: the epoll transport loads Netty's native
     * library, which JDK 24+ otherwise warns about in every node's log.
     *
     * <p>{@code -XX:CompileThresholdScaling=0.05}: a node compiles a method (C1 only, {@code TieredStopAtLevel=1})
     * after a twentieth of the usual invocations. The experiments' warm-up (8,000 deliveries or 2 s) is shared by
     * all of a cluster's JVMs, a few hundred messages each at n = 32, and with the usual thresholds the nodes kept
     * compiling for a minute: flooding random-regular:4 with n = 32 after that warm-up, the p50 latency was
     * 16-21 ms, and 7.4-7.6 ms only after about 70 s more of floods. With this option it was 5.4-11.8 ms after the
     * warm-up and 5-6.5 ms after 10 s (a probe outside the repository, load 6-35: the JVMs load the machine).
     */
    public static final List<String> DEFAULT_NODE_JAVA_OPTS = defaultNodeJavaOptions(hugePagesOffered(THP_MODE_FILE));

    /** The default node JVM options, with {@code -XX:+UseTransparentHugePages} after the pre-touch if asked. */
    static List<String> defaultNodeJavaOptions(boolean hugePages) {
        List<String> opts = new ArrayList<>(List.of("-Xss512k", "-Xms96m", "-Xmx96m", "-XX:+AlwaysPreTouch"));
        if (hugePages) {
            opts.add("-XX:+UseTransparentHugePages");
        }
        opts.addAll(List.of("-XX:+ExitOnOutOfMemoryError", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-XX:CompileThresholdScaling=0.05", "--enable-native-access=ALL-UNNAMED"));
        return List.copyOf(opts);
    }

    /**
     * Whether {@code modeFile} (Linux's {@link #THP_MODE_FILE}) has {@code always} or {@code madvise} chosen: the
     * kernel gives a program that asks huge pages. False where it cannot be read (another OS).
     */
    static boolean hugePagesOffered(Path modeFile) {
        try {
            String mode = Files.readString(modeFile);
            return mode.contains("[always]") || mode.contains("[madvise]");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Environment variable whose whitespace-separated words replace {@link #DEFAULT_NODE_JAVA_OPTS}. */
    public static final String NODE_JAVA_OPTS_ENV = "RINGLAB_NODE_JAVA_OPTS";

    /**
     * The launcher for this JVM's own classpath: {@code <java> <options> dev.ringlab.runtime.NodeMain}, with the
     * java binary of the running process, the options of {@link #nodeJavaOptions} and this JVM's
     * {@link Transport} ({@code -Dringlab.transport}). The classpath is not on the
     * command line: every child gets this JVM's classpath in its {@code CLASSPATH} environment variable (a
     * launcher's own {@code -cp} takes precedence over it). A command line over 4 KB, as a build's long test
     * classpath makes, is one that {@link ProcessHandle.Info#arguments()} no longer returns on Linux, and
     * {@code ringlab soak} and the tests find a node's process by its {@code --id} there.
     *
     * <p>With the default options and a class path of jars (the CLI), the nodes share a class-data archive
     * ({@link NodeCds}): once one exists it is on the command line, and a cluster started without it has node 0 make
     * it.
     */
    public static List<String> selfLauncher() {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        String env = System.getenv(NODE_JAVA_OPTS_ENV);
        cmd.addAll(nodeJavaOptions(env));
        boolean defaults = env == null || env.isBlank();
        if (defaults) {
            // The JVM's own warnings on stderr (the node's log file), never on stdout, the node's channel to the
            // driver, also where no archive applies; the class-data messages off (NodeCds).
            cmd.addAll(NodeCds.LOG_TO_STDERR);
        }
        Path archive = defaults ? NodeCds.archive(java, System.getProperty("java.class.path")) : null;
        if (archive != null && Files.isRegularFile(archive)) {
            // The class-data archive (NodeCds), once a cluster has made it.
            cmd.add("-XX:SharedArchiveFile=" + archive);
        }
        // The children use this JVM's transport (issue 19): --transport applies to every node, not only here.
        cmd.add("-D" + Transport.PROPERTY + "=" + Transport.fromProperty().cliName());
        cmd.add(NodeMain.class.getName());
        return List.copyOf(cmd);
    }

    /** {@code env}'s words, or {@link #DEFAULT_NODE_JAVA_OPTS} when it is null or blank. */
    static List<String> nodeJavaOptions(String env) {
        if (env == null || env.isBlank()) {
            return DEFAULT_NODE_JAVA_OPTS;
        }
        return List.of(env.trim().split("\\s+"));
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
                if (hosts == null) {
                    eps.add(new ClusterFile.Endpoint(v, "127.0.0.1", ports[2 * v], ports[2 * v + 1]));
                } else {
                    NodeHosts.Entry h = hosts.node(v);
                    eps.add(new ClusterFile.Endpoint(v, h.host(), h.port() != 0 ? h.port() : ports[2 * v],
                            h.adminPort() != 0 ? h.adminPort() : ports[2 * v + 1]));
                }
            }
            file = new ClusterFile(overlay.spec(), n, seed, protocol.spec(), secretFile, "stdin", eps,
                    emulation.active() ? emulation.spec() : null, emulation.active() ? emulation.lossProbability() : 0)
                    .withOverlay(overlay).withConnections(connections.spec());
            clusterFile = dir.resolve("cluster.json");
            file.write(clusterFile);
            installShutdownHook();
            StartProgress progress = new StartProgress();
            for (int v = 0; v < n; v++) {
                spawn(v);
            }
            awaitAll(c -> c.ready, "bind its ports", progress);
            // A cold start lets every edge come up first, so the run begins on a whole overlay, but only for a
            // bounded time: a child that cannot reach a peer must not stall the driver (it keeps dialling).
            long linkDeadline = System.nanoTime() + COLD_LINK_WAIT_NANOS;
            for (int v = 0; v < n; v++) {
                while (!children[v].linked && System.nanoTime() - linkDeadline < 0) {
                    requireAlive(v, "connect its edges");
                    progress.tick(c -> c.linked, "connected their edges");
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
                }
            }
            for (int v = 0; v < n; v++) {
                command(v, "start");
            }
            awaitAll(c -> c.started, "start", progress);
            progress.done();
            control = new ControlClient(secret, file.addresses(), TimeUnit.SECONDS.toNanos(2));
            for (int v = 0; v < n; v++) {
                control.open(v); // now, not at the first inject in the middle of a run
            }
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
        List<String> cmd = new ArrayList<>();
        if (hosts != null) {
            cmd.addAll(hosts.node(v).exec());
        }
        int javaAt = cmd.size();
        cmd.addAll(launcher);
        Path pending = null;
        if (v == 0 && cdsArchive != null && incarnations.get(0).isEmpty() && !Files.exists(cdsArchive)
                && CDS_DUMPING.compareAndSet(false, true)) {
            // This cluster makes the archive the next ones map (NodeCds): node 0 writes it as it exits.
            try {
                pending = NodeCds.pendingFile(cdsArchive);
                cmd.add(javaAt + 1, "-XX:ArchiveClassesAtExit=" + pending);
            } catch (IOException e) {
                CDS_DUMPING.set(false); // no archive this time; the run goes on without one
            }
        }
        cmd.addAll(List.of("--id", Integer.toString(v), "--cluster", clusterFile.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("node-" + v + ".log").toFile()));
        pb.environment().put("CLASSPATH", System.getProperty("java.class.path")); // see selfLauncher
        Process p;
        try {
            p = pb.start();
        } catch (IOException | RuntimeException e) {
            if (pending != null) {
                CDS_DUMPING.set(false);
            }
            throw e;
        }
        if (pending != null) {
            cdsPending = pending;
            cdsDumper = p;
        }
        Child c = new Child();
        c.alive = true;
        c.clientBase = control == null ? 0 : control.sent(v);
        children[v] = c;
        incarnations.get(v).add(c);
        procs[v] = p;
        stdins[v] = p.getOutputStream();
        p.onExit().thenAccept(done -> {
            c.alive = false;
            c.exitCode = done.exitValue();
        });
        c.reader = Thread.ofPlatform().daemon().name("ringlab-node-" + v + "-stdout").start(() -> read(v, c, p));
        // The faults in force, before anything else reaches the new child (it reads stdin in order).
        int[] g = faults.partition();
        if (g != null) {
            command(v, NodeProcess.partitionCommand(g));
        }
        for (int u = 0; u < n; u++) {
            if (faults.slowNanos(u) > 0) {
                command(v, "slow " + u + " " + faults.slowNanos(u));
            }
            if (u != v && faults.isDown(u)) {
                command(v, "down " + u);
            }
        }
        if (faults.lossBurst() > 0) {
            command(v, "loss " + faults.lossBurst());
        }
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
                        Observation o;
                        try {
                            o = decodeObservation(v, j);
                        } catch (IllegalStateException e) {
                            // A lost observation would make every figure of the run wrong: the run fails (at
                            // its next runUntil), and this reader goes on draining the child's pipe.
                            if (failure == null) {
                                failure = e.getMessage();
                            }
                            continue;
                        }
                        synchronized (observerLock) {
                            for (Consumer<Observation> s : observers) {
                                s.accept(o);
                            }
                        }
                    }
                    case "counters" -> {
                        c.counters = NodeProcess.parseCounters(j);
                        c.openConnections = j.path("open_connections").asInt(0);
                        if (j.has("timer_late")) {
                            c.timers = TimerLateness.decode(j.path("timer_late").asText());
                        }
                        long seq = j.path("seq").asLong();
                        if (seq > c.answered) {
                            c.answered = seq;
                        }
                    }
                    case "ready" -> {
                        c.readyAtNanos = System.nanoTime();
                        c.nettyJfr = j.path("netty_jfr").asBoolean(false);
                        c.ready = true;
                    }
                    case "linked" -> c.linked = true;
                    case "started" -> c.started = true;
                    case "failure" -> failure = "node " + v + ": " + j.path("message").asText();
                    default -> {}
                }
            }
        } catch (IOException e) {
            // the child is gone
        }
        // The pipe ended, so the process is (about to be) gone, and every observation it made has reached
        // the observers: an unexpected exit is reported after them, as a crash's are.
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!p.isAlive() && !c.expectedExit && !closed) {
            exitedOnItsOwn(v, c, p.exitValue());
        }
    }

    /** Node {@code v}'s observation line, or an IllegalStateException that says why it cannot be read. */
    static Observation decodeObservation(int v, JsonNode j) {
        try {
            return ObservationJson.fromJson(j);
        } catch (RuntimeException e) {
            String why = String.valueOf(e.getMessage());
            throw new IllegalStateException("node " + v + " wrote an observation this ringlab cannot decode: "
                    + (why.length() > 300 ? why.substring(0, 300) + "..." : why)
                    + "; the node processes must run the same ringlab build as the driver, and every observation"
                    + " record must have a JSON form (ObservationJson)", e);
        }
    }

    /**
     * Node {@code v}'s incarnation {@code c} exited without the parent asking: marked down as by {@link #crash}
     * (the others are told, so their sends to it count as receiver_down), counted, and reported to the
     * observers as {@link Observation.NodeExited}, with the last lines of its log. On the child's reader thread.
     */
    private void exitedOnItsOwn(int v, Child c, int status) {
        c.alive = false;
        c.exitCode = status;
        if (children[v] != c) {
            return; // an older incarnation: the parent already replaced it
        }
        unexpectedExits.incrementAndGet();
        faults.down(v, true);
        tellOthers(v, "down " + v);
        Observation.NodeExited o = new Observation.NodeExited(v, status, logTail(v), System.nanoTime());
        synchronized (observerLock) {
            for (Consumer<Observation> s : observers) {
                s.accept(o);
            }
        }
    }

    /** How many children exited without {@link #crash} or {@link #close} asking them to (see {@link Observation.NodeExited}). */
    public long unexpectedExits() {
        return unexpectedExits.get();
    }

    /** The last {@link #LOG_TAIL_LINES} non-empty lines of node {@code v}'s log, joined by " | " ("" if none). */
    String logTail(int v) {
        try {
            List<String> lines = Files.readAllLines(dir.resolve("node-" + v + ".log"), StandardCharsets.UTF_8).stream()
                    .map(String::strip).filter(l -> !l.isEmpty()).toList();
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
        } catch (IOException | java.io.UncheckedIOException e) {
            return "";
        }
    }

    /**
     * The machine's load, for a start-up that timed out: n JVMs starting at once on a machine already busy is
     * the usual cause (e.g. 16 nodes at load 16 on 2 cores did not bind within 60 s).
     */
    private static String loadHint() {
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        int cores = Runtime.getRuntime().availableProcessors();
        if (load < 0) {
            return "";
        }
        return String.format(java.util.Locale.ROOT, " (load average %.1f on %d cores%s)", load, cores,
                load > cores ? ": node JVMs start slowly on a busy machine; retry when it is quieter, or with fewer nodes" : "");
    }

    /** "; its log ends: ..." for an error message (the run directory may be gone by the time it is read). */
    private String logHint(int v) {
        String tail = logTail(v);
        return tail.isEmpty() ? "; its log (" + dir.resolve("node-" + v + ".log") + ") is empty" : "; its log ends: " + tail;
    }

    private interface ChildState {
        boolean test(Child c);
    }

    private void awaitAll(ChildState s, String what, StartProgress progress) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(startWaitSeconds(n));
        for (int v = 0; v < n; v++) {
            while (!s.test(children[v])) {
                progress.tick(s, what.equals("start") ? "started" : "bound their ports");
                await(v, s, what, startWaitSeconds(n), deadline, TimeUnit.MILLISECONDS.toNanos(100));
            }
        }
    }

    /**
     * How long a cold start waits for all {@code n} node JVMs to bind, and then to start: 60 s, or 2 s per node
     * beyond 30. The JVMs start together and share the cores fairly, so none binds until nearly all could: 48 of
     * them on 2 cores bound their ports 35-60 s after they were spawned (2026-12-06, load 23 at the start), which a
     * flat 60 s nearly cut off.
     */
    static long startWaitSeconds(int n) {
        return Math.max(60, 2L * n);
    }

    /**
     * Progress of a start that takes a while, on stderr: 48 JVMs on 2 cores take about a minute to start. Silent
     * for the first {@value #START_QUIET_SECONDS} s (a small cluster starts within it), then a line every
     * {@value #START_EVERY_SECONDS} s with how many node JVMs have reached the step waited for, and one when all
     * have started.
     */
    private final class StartProgress {
        private final long began = System.nanoTime();
        private long nextAt = began + TimeUnit.SECONDS.toNanos(START_QUIET_SECONDS);
        private boolean printed;

        void tick(ChildState s, String step) {
            long now = System.nanoTime();
            if (now - nextAt < 0) {
                return;
            }
            nextAt = now + TimeUnit.SECONDS.toNanos(START_EVERY_SECONDS);
            int k = 0;
            for (int v = 0; v < n; v++) {
                k += s.test(children[v]) ? 1 : 0;
            }
            printed = true;
            line(String.format(java.util.Locale.ROOT, "ringlab: processes: %d of %d node JVMs %s (%.0f s)", k, n, step,
                    (now - began) / 1e9));
        }

        void done() {
            if (printed) {
                line(String.format(java.util.Locale.ROOT, "ringlab: processes: all %d node JVMs started in %.0f s", n,
                        (System.nanoTime() - began) / 1e9));
            }
        }

        /**
         * One line on stderr. On a terminal it first clears the line the cursor is on: a sweep's progress bar
         * (redrawn in place, with no newline) may be there, and the line would otherwise be appended to it.
         */
        private static void line(String text) {
            System.err.println(System.console() != null ? "\r\u001b[K" + text : text);
        }
    }

    /** Seconds of a start before {@link StartProgress} says anything, and between its lines. */
    private static final int START_QUIET_SECONDS = 5;
    private static final int START_EVERY_SECONDS = 5;

    private void await(int v, ChildState s, String what, long deadline) {
        await(v, s, what, 60, deadline, Long.MAX_VALUE);
    }

    /**
     * Waits until node {@code v}'s child is in state {@code s}, or at most {@code forNanos} (then returns); fails
     * naming the {@code seconds} it had once {@code deadline} passes.
     */
    private void await(int v, ChildState s, String what, long seconds, long deadline, long forNanos) {
        long until = System.nanoTime() + Math.min(forNanos, Long.MAX_VALUE / 4);
        while (!s.test(children[v]) && System.nanoTime() - until < 0) {
            requireAlive(v, what);
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("node " + v + " did not " + what + " within " + seconds + " s" + loadHint()
                        + logHint(v));
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
    }

    private void requireAlive(int v, String what) {
        Child c = children[v];
        if (!c.alive) {
            if (closed) {
                // The shutdown hook (SIGTERM/SIGINT) or close() killed the children: not the child's failure.
                throw new IllegalStateException("stopped while node " + v + " was starting: ringlab was interrupted"
                        + " (SIGINT/SIGTERM) or the cluster was closed");
            }
            // onExit may not have set the status yet
            int code = c.exitCode != Integer.MIN_VALUE ? c.exitCode : procs[v].onExit().join().exitValue();
            throw new IllegalStateException("node " + v + " exited (status " + code + ") before it could " + what
                    + logHint(v));
        }
    }

    /** Writes one stdin line to node {@code v}: from the control thread, and from a reader reporting an exit. */
    private void command(int v, String line) {
        OutputStream in = stdins[v];
        if (in == null) {
            return;
        }
        synchronized (in) {
            try {
                in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
                in.flush();
            } catch (IOException e) {
                // a dead child: nothing to tell it
            }
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
        flushCounters(node);
        children[node].expectedExit = true;
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
            // The pipe ends with the process: once its reader is done, every observation the dead incarnation
            // wrote has reached the observers, before the caller learns the node is down.
            Thread reader = children[node].reader;
            if (reader != null) {
                reader.join(TimeUnit.SECONDS.toMillis(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        children[node].alive = false;
        faults.down(node, true);
        // Every other child applies the notice before its answer to the counters request that follows it
        // (each reads its stdin in order), so once they answered, a send to the dead node counts as
        // receiver_down everywhere.
        tellOthers(node, "down " + node);
        syncCounters();
    }

    /**
     * Asks every live child for its counters and waits for the answers (each after one task on the child's
     * loop), up to {@link #FLUSH_WAIT_NANOS}: afterwards {@link #stats} is exact for everything the children
     * did before, and every stdin line sent before has been applied.
     */
    private void syncCounters() {
        long seq = ++flushSeq;
        for (int v = 0; v < n; v++) {
            if (children[v] != null && children[v].alive) {
                command(v, "counters " + seq);
            }
        }
        long deadline = System.nanoTime() + FLUSH_WAIT_NANOS;
        for (int v = 0; v < n; v++) {
            if (children[v] != null) {
                awaitAnswer(children[v], seq, deadline);
            }
        }
    }

    /**
     * The default settle on the streamed counters, then once quiet, one {@link #syncCounters} to confirm: if a
     * child had sent something its last periodic line did not show yet, the cluster was not quiet and settling
     * goes on (within {@code drainNanos}). So the settle ends on exact counters and the {@link #stats} read
     * right after it is exact too; the nodes are asked once per confirmation, at the end of the measured work.
     */
    @Override
    public Settled settle(long drainNanos) {
        long deadline = System.nanoTime() + drainNanos;
        while (true) {
            Settled s = Cluster.super.settle(Math.max(0, deadline - System.nanoTime()));
            if (!s.quiet()) {
                return s;
            }
            long sent = stats().messagesSent();
            syncCounters();
            ClusterStats confirmed = stats();
            if (confirmed.messagesSent() == sent) {
                return new Settled(true, confirmed.lastSendNanos().orElse(s.lastActivityNanos()));
            }
            if (System.nanoTime() - deadline >= 0) {
                return new Settled(false, now());
            }
        }
    }

    /** Asks node {@code v}'s process for its counters and waits for the answer, up to {@link #FLUSH_WAIT_NANOS}. */
    private void flushCounters(int v) {
        Child c = children[v];
        long deadline = System.nanoTime() + FLUSH_WAIT_NANOS;
        long injected = 0;
        if (control != null) {
            control.awaitWritten(v, FLUSH_WAIT_NANOS);
            injected = control.sent(v) - c.clientBase;
        }
        // Until the node has handled every client request sent to it: they travel on the control connection,
        // which no stdin line can overtake for sure, so ask again until its count says so.
        do {
            long seq = ++flushSeq;
            command(v, "counters " + seq);
            awaitAnswer(c, seq, deadline);
        } while (c.counters.clientRequests() < injected && c.alive && System.nanoTime() - deadline < 0);
    }

    private static void awaitAnswer(Child c, long seq, long deadline) {
        while (c.answered < seq && c.alive && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
        }
    }

    /** Sends {@code line} to every child but {@code v}'s. */
    private void tellOthers(int v, String line) {
        for (int u = 0; u < n; u++) {
            if (u != v) {
                command(u, line);
            }
        }
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
        faults.down(node, false);
        try {
            spawn(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        tellOthers(node, "up " + node);
        command(node, "start");
        await(node, c -> c.started, "restart", System.nanoTime() + TimeUnit.SECONDS.toNanos(60));
        control.open(node);
        Child c = children[node];
        restartAccept[node] = c.ready ? Math.max(0, System.nanoTime() - c.readyAtNanos) : -1;
    }

    /** Whether node {@code node}'s current JVM uses Netty's JFR events, as it said when bound ({@link NettyJfr}). */
    boolean nettyJfr(int node) {
        check(node);
        return children[node].nettyJfr;
    }

    @Override
    public OptionalLong restartAcceptNanos(int node) {
        check(node);
        long a = restartAccept[node];
        return a < 0 ? OptionalLong.empty() : OptionalLong.of(a);
    }

    @Override
    public boolean alive(int node) {
        Process p = procs[node];
        return p != null && p.isAlive() && children[node].alive;
    }

    @Override
    public void partition(int[][] groups) {
        int[] g = LinkFaults.groupOfNode(n, groups);
        faults.partition(g);
        tellAll(NodeProcess.partitionCommand(g));
    }

    @Override
    public void heal() {
        faults.heal();
        tellAll("heal");
    }

    @Override
    public void slow(int node, long extraNanos) {
        faults.slow(node, extraNanos);
        tellAll("slow " + node + " " + extraNanos);
    }

    @Override
    public void lossBurst(double probability) {
        faults.lossBurst(probability);
        tellAll("loss " + probability);
    }

    /**
     * Sends {@code line} to every child, then waits until each applied it ({@link #syncCounters}: a child
     * answers the counters request only after every stdin line before it), so a fault takes effect at the
     * caller's now, as the cluster contract says, and a message sent right after it meets it.
     */
    private void tellAll(String line) {
        for (int v = 0; v < n; v++) {
            command(v, line);
        }
        if (started) {
            syncCounters();
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

    /** The sum of every incarnation's last streamed counters (see "Counters" in the class doc). */
    @Override
    public ClusterStats stats() {
        List<NodeMetrics.Counters> parts = new ArrayList<>();
        for (List<Child> incs : incarnations) {
            for (Child c : incs) {
                parts.add(c.counters);
            }
        }
        return NodeMetrics.Counters.sum(parts);
    }

    /** The children's connection policy. */
    public ConnectionPolicy connections() {
        return connections;
    }

    /**
     * Each node's open peer connections now: every live child is asked for its counters (which carry the gauge)
     * and answers within {@link #FLUSH_WAIT_NANOS}; 0 for a node that is down.
     */
    @Override
    public int[] openConnections() {
        int[] out = new int[n];
        if (!started || closed) {
            return out;
        }
        syncCounters();
        for (int v = 0; v < n; v++) {
            Child c = children[v];
            out[v] = c != null && c.alive ? c.openConnections : 0;
        }
        return out;
    }

    /**
     * How late the nodes' timers ran: every incarnation's, as its latest counters line said (streamed every
     * {@link NodeProcess#COUNTERS_PERIOD_NANOS} while they change, and in every answer to a counters request; a
     * killed incarnation's as of the crash's counters request). Null before start.
     */
    @Override
    public TimerLateness timerLateness() {
        if (!started) {
            return null;
        }
        TimerLateness sum = new TimerLateness();
        for (int v = 0; v < n; v++) {
            for (Child c : incarnations.get(v)) {
                sum.add(c.timers);
            }
        }
        return sum;
    }

    /** How many processes node {@code v} has had (1 + its restarts), 0 before start. */
    public int incarnations(int v) {
        return incarnations.get(v).size();
    }

    /**
     * The measured CPU time (user and system) of the node JVMs so far (see {@link Cluster#cpuNanos}), summed over
     * every thread of each: the handlers, reads and writes, the observation lines on stdout, and the JIT compiler and
     * collector, which share the cores with them. The kernel's figure, read through {@link ProcessHandle.Info}; so a
     * node's exec prefix must run the JVM in place (see {@link NodeHosts}), as it must for a crash's SIGKILL.
     * Empty before the start and once any node JVM has ended (a crash, a restart or an exit of its own): the CPU
     * a JVM spent is not readable once it has gone, so a sum over the rest would not be the cluster's.
     */
    @Override
    public OptionalLong cpuNanos() {
        long sum = 0;
        for (int v = 0; v < n; v++) {
            Process p = procs[v];
            if (p == null || incarnations.get(v).size() != 1 || !p.isAlive()) {
                return OptionalLong.empty();
            }
            Optional<Duration> cpu = p.info().totalCpuDuration();
            if (cpu.isEmpty()) {
                return OptionalLong.empty();
            }
            sum += cpu.get().toNanos();
        }
        return OptionalLong.of(sum);
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
            if (children[v] != null) {
                children[v].expectedExit = true;
            }
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
                // the reader takes the child's last lines (its final counters) before stats() is read again
                Thread reader = children[v].reader;
                if (reader != null) {
                    reader.join(TimeUnit.SECONDS.toMillis(2));
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        if (control != null) {
            control.close();
        }
        if (cdsPending != null) {
            // Installed only if the JVM that wrote it ended by itself with status 0: a killed one wrote nothing whole.
            if (!cdsDumper.isAlive() && cdsDumper.exitValue() == 0) {
                NodeCds.install(cdsPending, cdsArchive);
            } else {
                try {
                    Files.deleteIfExists(cdsPending);
                } catch (IOException e) {
                    // left in the temporary directory
                }
            }
            cdsPending = null;
            CDS_DUMPING.set(false);
        }
        removeRunDirectory();
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException e) {
                // the JVM is shutting down: the hook runs anyway and finds nothing left to do
            }
        }
    }

    /**
     * Keeps the run directory (cluster file, secret, node logs) after {@link #close} instead of deleting it,
     * to read the logs. Call before {@link #start}.
     */
    public void keepRunDirectory(boolean keep) {
        this.keepRunDirectory = keep;
    }

    /**
     * On SIGINT/SIGTERM (or any JVM exit without {@link #close}), the children are killed and the run directory
     * deleted: it holds the cluster secret. A SIGKILL of this JVM runs no hook; the children then exit on
     * their own when their stdin ends ({@link NodeMain#watchStdin}), and the directory stays (nothing can
     * run to delete it).
     */
    private void installShutdownHook() {
        shutdownHook = new Thread(() -> {
            closed = true; // the exits that follow are ours
            for (Process p : procs) {
                if (p != null) {
                    p.destroyForcibly();
                }
            }
            for (Process p : procs) {
                if (p != null) {
                    try {
                        p.waitFor(2, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
            }
            removeRunDirectory();
        }, "ringlab-processes-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    private synchronized void removeRunDirectory() {
        if (dir == null || runDirectoryHandled) {
            return;
        }
        runDirectoryHandled = true;
        if (keepRunDirectory) {
            System.err.println("ringlab: run directory kept (--keep-run-dir): " + dir);
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path f : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(f);
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            System.err.println("ringlab: could not remove run directory " + dir + ": " + e.getMessage());
        }
    }
}
