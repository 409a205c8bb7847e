package dev.ringlab.sim;

import dev.ringlab.node.SplitMix;
import dev.ringlab.node.Cluster;
import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.Timer;
import dev.ringlab.node.TimerLateness;
import dev.ringlab.topology.Overlay;
import dev.ringlab.sim.model.EngineModel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * The discrete-event simulator: the node logic of {@code dev.ringlab.node} on a virtual clock, on one
 * thread, reproducible from one seed.
 *
 * <h2>Event order</h2>
 * Events are ordered by (virtual time, sequence number) in an {@link EventQueue}: by default a
 * {@link CalendarQueue} (Brown 1988) sized from the link model's latency bound; {@link QueueKind} selects
 * the primitive binary heap or the naive {@code PriorityQueue} baseline instead, and every kind pops the
 * same order, so the kind never changes a run or its {@link #traceHash()}.
 *
 * <h2>Randomness</h2>
 * Every draw comes from {@link SimConfig#seed()}:
 * <ul>
 *   <li>per node incarnation, a {@link SplittableRandom} seeded from (seed, node, incarnation), handed to
 *       the node as {@link Env#random()} (created on first use: a million idle streams cost nothing);
 *   <li>per message, the loss and latency draws come from a counter-based generator: SplitMix64 started at
 *       a hash of (seed, sender, receiver, sender's send count). This gives what per-link streams give —
 *       the draws of one node's messages do not shift when something unrelated happens elsewhere in the
 *       network, so a fault or a protocol change perturbs only what it causes — at 4 bytes per node (one
 *       send counter) instead of one generator object per link (8 M links at n = 10^6, degree 8). The send
 *       counter is per sender, not per link, because a per-link counter needs an arc lookup per send; it is
 *       an {@code int} and wraps after 2^32 sends of one node, which only repeats hash inputs.
 * </ul>
 * Nothing depends on hash order, identity or wall time, so the same seed and build give the same run and the
 * same {@link #traceHash()} in any JVM.
 *
 * <h2>Speed</h2>
 * The hot path allocates nothing of its own per event (the calendar queue's slots are primitive; only
 * messages waiting behind a busy node allocate a small record). Liveness is a bitset (L2-resident at
 * 10^6 nodes), partition groups and node streams are allocated only when used, and the event loop
 * prefetches: every {@link #PREFETCH_BATCH} events it loads, one batch ahead, the headers of the receiving
 * nodes and messages and the receivers' overlay rows and send counters back to back, so their cache misses
 * overlap (see {@code prefetch}). What remains at
 * 10^6 nodes is mostly the protocol's own state misses (for {@code Flood}: its seen-set, two dependent
 * loads per delivery).
 *
 * <h2>Trace hash</h2>
 * Folded over every delivery to a live node, in delivery order: (time, from, to, message type byte), with
 * the SplitMix64 finaliser as mixing function.
 *
 * <h2>Processing time</h2>
 * With {@link SimConfig#processingNanosPerMsg()} = p > 0, a node handles one message at a time: a message
 * arriving at {@code t} starts at {@code max(t, busyUntil)} and the node is then busy for p, so a burst of
 * k messages arriving together is handled at {@code t, t+p, ..., t+(k-1)p}, in arrival order (FIFO by
 * (arrival time, seq)), exactly as an inbox drained by one thread. Messages waiting in the inbox are lost
 * if the node crashes before handling them. Client injections and timers are not delayed by it.
 *
 * <h2>Engine model</h2>
 * With {@link SimConfig#model()} (a calibrated {@link EngineModel}), the simulator also models the real
 * engine's resources; every part is off without a model, so a plain run keeps its draws and trace hash.
 * <ul>
 *   <li><b>CPU:</b> node v runs on the executor {@link EngineModel.Cpu#executorOf} gives (or its own); an
 *       executor handles one message at a time from a FIFO inbox, on one of {@code cores} cores shared by
 *       all executors. A handler costs {@code recv + k·send} for k sends, its i-th send leaves
 *       {@code recv + i·send} after the handler began (plus {@code wake_send} for each earlier or this send that
 *       woke a parked executor: see {@code wakeOnSend}). A client request ({@link #inject}) pays its sends on the node's executor too;
 *       timers and node starts are free. Messages waiting in an inbox die with their node.
 *   <li><b>Wake-up:</b> a message reaching an executor idle for {@code idle} waits {@code wake} more; so do
 *       messages reaching it while it wakes.
 *   <li><b>Cold start:</b> a message reaching an executor whose previous message arrived {@code d} ago, and
 *       a client request reaching an executor free for {@code d}, start later by the penalty
 *       {@link EngineModel.Cold} gives for {@code d}; so does whatever that executor does after them. A
 *       delivery's penalty is paid on a core, at the start of the executor's next turn (a thread that slept works
 *       through cold caches): executors woken together, as by a broadcast's first sends, share the cores for it.
 *       A client request's is the hand-off to a parked loop and holds no core. With
 *       the second-work table, the executor's next delivery after such a first one pays the table's penalty for the
 *       first one's quiet time too (and an injection counts as a first one: after one, the delivery pays the table
 *       of second work after a request where the calibration has it). With
 *       the calibration's samples each penalty is drawn (one value in [0, 1) per penalty, from a stream of
 *       (seed, executor, draw count)), so now and then one is a measured millisecond stall.
 *   <li><b>Core wake:</b> with the cold part's core wake ({@link EngineModel.Cold#hasCoreWake}), a turn that starts on a
 *       core idle for {@code d} pays {@code coreWake(d)} more on that core, and the core's next turn
 *       {@code coreSecond(d)}: waking an idle CPU of the machine, once, not each executor. An executor's turn then runs
 *       on the core it ran on last while that core is free (the first time, core {@code e mod cores}). With the
 *       core wake's samples each wake is drawn (one value in [0, 1) per wake, from a stream of (seed, core, draw
 *       count)), and the core's next turn pays the second part's sample of the same rank.
 *   <li><b>Load:</b> with {@link EngineModel.Load}, a handler's receive, send and wake-send times and a delivery's
 *       cold-start penalties are the cpu and cold parts' times the load factor of its executor's recent rate (messages
 *       and client requests per second, decaying over the load window, plus the messages waiting in its inbox): a
 *       busy event loop spends less per message than one woken for each. Near rate 0 the service times tend to the
 *       part's quiet factor ({@link EngineModel.Load#serviceFactor}), the penalties to 1.
 *   <li><b>Restart:</b> a restarted node's edges are up again only after the delay of
 *       {@link EngineModel.Restart} (the part for this cluster's size, {@link EngineModel.Restart#forNodes}); until then a send on one is dropped at the sender as
 *       {@link ClusterStats#NO_CONNECTION} (the only drop reason added to {@link #stats()} by the model).
 * </ul>
 *
 * <h2>Overlay</h2>
 * A send between two nodes that no overlay edge joins (no arc either way, the rule of every engine: see
 * {@link Cluster}) is dropped at the sender and counted ({@link ClusterStats#NO_EDGE}) before any random
 * draw, so it shifts no other message's draws. The check scans the sender's overlay row (and, for a send
 * that is not an out-arc, the receiver's): rows of at most {@link #SCAN_MAX} entries are scanned in place,
 * which costs a few nanoseconds on a row the sender has just read; longer rows (the complete graph) are
 * binary-searched in a sorted copy made once at construction, so a flood on {@code complete} stays
 * O(degree · log degree) per node. {@link Protocol#checkOverlay} runs in the constructor.
 *
 * <h2>Faults</h2>
 * A crash drops the node, its pending timers, its inbox and every message that reaches it while down;
 * messages it sent before crashing are still delivered (they were on the wire). A partition drops
 * messages that arrive across group lines while it lasts. Loss drops each message independently at send
 * time. Schedule any of them at a virtual instant with {@link #at}. Every drop is counted under its
 * reason ({@link ClusterStats#drops}): {@code no_edge}, {@code loss}, {@code partition},
 * {@code receiver_down}.
 */
public final class SimCluster implements Cluster {
    // Event encoding in the queue's two ints: a >= 0 is a message arriving (a = from, b = to, ref = message);
    // negative a marks the other kinds, so no per-event kind field is stored.
    static final int TIMER = -1;
    static final int CONTROL = -2;
    /** A message that waited in a busy node's inbox and starts now: b = to, ref = {@link Queued}. */
    static final int QUEUED = -3;
    /** An executor of the engine model may take its next message: b = executor (see "Engine model"). */
    static final int EXEC = -4;

    /** Overlay rows longer than this are searched in a sorted copy instead of scanned (see "Overlay"). */
    static final int SCAN_MAX = 32;

    // Indices of the drop counters (see stats()).
    private static final int DROP_NO_EDGE = 0;
    private static final int DROP_LOSS = 1;
    private static final int DROP_PARTITION = 2;
    private static final int DROP_RECEIVER_DOWN = 3;
    /** Only with an engine model's restart part: a link that is not up again yet after a restart. */
    private static final int DROP_NO_CONNECTION = 4;
    private static final String[] DROP_REASONS = {
        ClusterStats.NO_EDGE, ClusterStats.LOSS, ClusterStats.PARTITION, ClusterStats.RECEIVER_DOWN,
        ClusterStats.NO_CONNECTION};

    private static final long NODE_STREAM = 0x6E6F6465L; // "node"
    private static final long NET_STREAM = 0x6E6574L; // "net"
    private static final long COLD_STREAM = 0x636F6C64L; // "cold"
    private static final long TIMER_STREAM = 0x74696D65L; // "time"

    private final Overlay overlay;
    private final Protocol protocol;
    private final SimConfig config;
    private final int n;
    private final Node[] nodes;
    private final int[] incarnation;
    /** One bit per node, set while it is up: 125 KB at 10^6 nodes, so the check on every delivery hits L2. */
    private final long[] aliveBits;
    /** Partition group per node; allocated on the first partition (null: never partitioned). */
    private int[] group;
    /** Per-node {@link Env#random()} streams, allocated when a node first asks (null: none has). */
    private RandomGenerator[] randoms;
    /** True while a partition is in force: only then does a delivery look at the sender's group. */
    private boolean partitioned;
    private final long[] busyUntil;
    private final int[] sendCount;
    private final EventQueue queue;
    private final QueueKind queueKind;
    private final long netSeed;
    private final MessageRandom messageRandom = new MessageRandom();
    private final List<Consumer<Observation>> observers = new ArrayList<>();
    private final List<Runnable> invariants = new ArrayList<>();
    /** Fault plans' slow nodes: extra latency per node, allocated on first use (null: no slow node ever). */
    private long[] slowNanos;
    /** Fault plans' loss burst probability, on top of the configured loss. */
    private double burstLoss;

    private long now;
    private boolean started;
    private boolean closed;
    /** The trace hash before any delivery. */
    static final long TRACE_SEED = 0x5EED5EED5EED5EEDL;
    private long traceHash = TRACE_SEED;
    private long sent;
    private long bytes;
    private long delivered;
    private final long[] drops = new long[DROP_REASONS.length];
    /** Virtual time of the latest send; valid once {@link #sent} > 0. */
    private long lastSendNanos;
    /** Sorted copies of the overlay rows longer than {@link #SCAN_MAX} (null: no such row). */
    private final int[][] sortedRows;
    private long touches;
    /**
     * The nodes that drop any further copy of a broadcast they took ({@link Node#dropsSeenBroadcasts}); null until
     * the first such node takes one.
     */
    private SeenFilter seen;
    /**
     * Per node: its {@link Env}, which a node that acts reads first ({@code self()}, {@code send}); kept here only
     * for {@link #prefetch} to load ahead (a node reaches it through its own field, which the engine cannot see).
     */
    private final SimEnv[] envs;
    /** Deliveries the filter kept from their nodes (copies they would have dropped). */
    private long filtered;
    /**
     * {@link #seen} while nothing but the receiver's being up stands between a message and its delivery (no
     * partition, executor model, processing backlog or invariant checks), else null: {@link #arrive} then tries
     * the filter first, and a marked receiver needs no check that it is up (a crash clears its marks).
     */
    private SeenFilter fastSeen;
    /** False: no filter, every copy reaches its node (tests compare the two). */
    private boolean seenFilterOn = true;
    /** True once an invariant is added: deliveries then also check the receivers' {@link Node#mightAct} hints. */
    private boolean checkHints;
    /** Timers the nodes scheduled so far (for the hint check). */
    private long timersScheduled;
    /** Events per prefetch batch: 16 to 128 measured alike at 10^6 nodes (2.1-2.3 s CPU vs 3.3 s without). */
    static final int PREFETCH_BATCH = 32;
    /** The next events' slots: this batch, then the next one, which is touched one batch ahead. */
    private final int[] prefetchSlots = new int[2 * PREFETCH_BATCH];
    /** Per entry of {@link #prefetchSlots}: the event's ints. */
    private final int[] prefetchA = new int[2 * PREFETCH_BATCH];
    private final int[] prefetchB = new int[2 * PREFETCH_BATCH];
    private int untilPrefetch;
    /** How many of the next events the previous {@link #prefetch} already touched. */
    private int prefetchedAhead;
    /** The last message sized by {@link #send} and its size: a flood sends one instance to every neighbour. */
    private Message lastSized;
    private int lastSize;
    /** The last message typed by {@link #deliver} and its type byte. */
    private Message lastTyped;
    private byte lastType;
    // Engine model (see "Engine model" in the class doc); all null without one.
    private final EngineModel.Cpu cpu;
    private final EngineModel.Wake wake;
    private final EngineModel.Cold cold;
    /** Per executor (cold model only): virtual time of the last message that reached it. */
    private final long[] lastDeliveryAt;
    /**
     * Per executor (cold model with the second-work table only): the quiet time before its last piece of work
     * (delivery or client request), which its next delivery pays {@link EngineModel.Cold#second} for.
     */
    private final long[] quietBeforeLast;
    /**
     * Per executor (cold model with the second-work table only): its last piece of work was a client request, so its
     * next delivery pays {@link EngineModel.Cold#secondAfterRequest}.
     */
    private final boolean[] lastWasRequest;
    /**
     * Per executor (cold model only): cold-start penalties drawn for deliveries that reached it and not yet paid.
     * Its next turn pays them on its core before the handler runs ({@link #run}).
     */
    private final long[] coldDue;
    /** Per executor (cold model with spread only): penalties drawn so far, the index of its next draw. */
    private final long[] coldDraws;
    /** The seed of the cold-start draws (a stream of its own: no other draw moves). */
    private final long coldSeed;
    /** The engine model's timer part, or null: timers fire on time. */
    private final EngineModel.Timers timerModel;
    /** Timer model only: per node, when its current incarnation booted, and how many lateness draws it made. */
    private final long[] bornAt;
    private final long[] timerDraws;
    /** Timer model only: the lateness drawn so far (what {@link #timerLateness} reports). */
    private final TimerLateness drawnLateness;
    private final long timerSeed;
    private final EngineModel.Restart restartModel;
    /** Per executor: when it is free again (the end of its last handler, or of a wake-up). */
    private final long[] execFree;
    /** Core time the model has charged so far: every handler's time on its core ({@link #cpuNanos}). */
    private long coreNanos;
    /** Per core: when it is free again. */
    private final long[] coreFree;
    /**
     * With the cold part's core wake ({@link EngineModel.Cold#hasCoreWake}), else null: per executor the core it ran
     * on last (a thread stays on its CPU while that CPU is free), per core when its last work ended (a client
     * request's handling counts), and per core the quiet time of a core wake its next work still pays the second
     * part of (0: none).
     */
    private final int[] homeCore;
    private final long[] coreLastEnd;
    private final long[] coreWokeAfter;
    /**
     * With the core wake's samples ({@link EngineModel.Cold#coreSpread}), else null: per core its wakes drawn so far
     * (the index of its next draw), and the draw of the wake whose second part its next work still pays.
     */
    private final long[] coreDraws;
    private final double[] coreWokeDraw;
    /** Per executor: messages waiting for it, FIFO by arrival. */
    private final ArrayDeque<Pending>[] inbox;
    /** Per executor: an {@link #EXEC} event is pending. */
    private final boolean[] execWakePending;
    /** The executor whose handler is running (-1: none, the send is not charged). */
    private int handlerExec = -1;
    /** Sends made by the running handler, and the virtual time its work began. */
    private int handlerSends;
    private long handlerBase;
    /** Sends of the running handler that woke a parked executor (each costs {@link EngineModel.Cpu#wakeSendNanos}). */
    private int handlerWakes;
    /** The model's wake-up cost of a send to a parked executor (0: not modelled). */
    private final long wakeSend;
    /**
     * Per executor (wake-send model only): the latest arrival of any message sent to one of its nodes so far. An
     * executor with such a message due, or work of its own, is awake; otherwise a send to it wakes it.
     */
    private final long[] arrivalBound;
    /** The model's load part (null: every handler costs the cpu part's times). */
    private final EngineModel.Load load;
    /** Per executor (load model only): its rate estimate in messages per second, as of {@link #loadAt}. */
    private final double[] loadRate;
    private final long[] loadAt;
    /**
     * The running handler's receive, send and wake-send times and the factor on its cold-start penalties: the cpu
     * part's, scaled by the load model's factor (1 without one).
     */
    private long handlerRecv;
    private long handlerSend;
    private long handlerWakeSend;
    private double handlerFactor = 1;
    /** Per node: virtual time of its last crash (restart model). */
    private final long[] crashedAt;
    /** Edge (min, max) to the virtual time it is up again after a restart; only edges of restarted nodes. */
    private final Map<Long, Long> edgeUpAt;

    /** A class no node or message has: comparing against it keeps {@link #prefetch}'s loads alive. */
    private static final Class<?> TOUCH_MARKER = Queued.class;
    /** {@link #prefetch}'s mark for a delivery the {@link SeenFilter} keeps from its node (no event kind). */
    private static final int FILTERED = Integer.MIN_VALUE + 1;

    /** A simulator on the default {@link QueueKind#CALENDAR} queue. */
    public SimCluster(Overlay overlay, Protocol protocol, SimConfig config) {
        this(overlay, protocol, config, QueueKind.CALENDAR);
    }

    /** A simulator on the given event queue: same run, same trace hash as any other kind, other speed. */
    public SimCluster(Overlay overlay, Protocol protocol, SimConfig config, QueueKind queueKind) {
        this.overlay = Objects.requireNonNull(overlay, "overlay");
        this.protocol = Objects.requireNonNull(protocol, "protocol");
        this.config = Objects.requireNonNull(config, "config");
        this.n = overlay.size();
        this.nodes = new Node[n];
        this.envs = new SimEnv[n];
        this.incarnation = new int[n];
        this.aliveBits = new long[(n + 63) >>> 6];
        EngineModel model = config.model();
        this.cpu = model == null ? null : model.cpu();
        this.wake = cpu == null ? null : model.wake();
        this.cold = cpu == null ? null : model.cold();
        this.restartModel = model == null || model.restart() == null ? null : model.restart().forNodes(n);
        this.load = cpu == null ? null : model.load();
        // The model's CPU part replaces the flat per-node processing time.
        this.busyUntil = config.processingNanosPerMsg() > 0 && cpu == null ? new long[n] : null;
        if (cpu != null) {
            int execs = cpu.executorCount(n);
            this.execFree = new long[execs];
            this.coreFree = new long[cpu.cores()];
            @SuppressWarnings({"unchecked", "rawtypes"})
            ArrayDeque<Pending>[] boxes = new ArrayDeque[execs];
            this.inbox = boxes;
            this.execWakePending = new boolean[execs];
            this.wakeSend = cpu.wakeSendNanos();
            this.arrivalBound = wakeSend > 0 ? new long[execs] : null;
            if (arrivalBound != null) {
                Arrays.fill(arrivalBound, -QUIET_NANOS);
            }
            this.loadRate = load == null ? null : new double[execs];
            this.loadAt = load == null ? null : new long[execs];
            this.lastDeliveryAt = cold == null ? null : new long[execs];
            this.coldDue = cold == null ? null : new long[execs];
            this.coldDraws = cold == null || !cold.spread() ? null : new long[execs];
            this.quietBeforeLast = cold == null || !cold.hasSecond() ? null : new long[execs];
            this.lastWasRequest = quietBeforeLast == null ? null : new boolean[execs];
            if (cold != null) {
                // A real engine's measured work begins after its warm-up has settled: QUIET_NANOS with
                // nothing sent. The modelled executors start that quiet.
                Arrays.fill(lastDeliveryAt, -QUIET_NANOS);
                Arrays.fill(execFree, -QUIET_NANOS);
            }
            if (cold != null && cold.hasCoreWake()) {
                this.homeCore = new int[execs];
                for (int e = 0; e < execs; e++) {
                    homeCore[e] = e % cpu.cores();
                }
                this.coreLastEnd = new long[cpu.cores()];
                Arrays.fill(coreLastEnd, -QUIET_NANOS); // the cores start as quiet as the executors
                this.coreWokeAfter = new long[cpu.cores()];
                this.coreDraws = cold.coreSpread() ? new long[cpu.cores()] : null;
                this.coreWokeDraw = cold.coreSpread() ? new double[cpu.cores()] : null;
            } else {
                this.homeCore = null;
                this.coreLastEnd = null;
                this.coreWokeAfter = null;
                this.coreDraws = null;
                this.coreWokeDraw = null;
            }
        } else {
            this.homeCore = null;
            this.coreLastEnd = null;
            this.coreWokeAfter = null;
            this.coreDraws = null;
            this.coreWokeDraw = null;
            this.loadRate = null;
            this.loadAt = null;
            this.lastDeliveryAt = null;
            this.coldDue = null;
            this.coldDraws = null;
            this.quietBeforeLast = null;
            this.lastWasRequest = null;
            this.execFree = null;
            this.coreFree = null;
            this.inbox = null;
            this.execWakePending = null;
            this.wakeSend = 0;
            this.arrivalBound = null;
        }
        this.crashedAt = restartModel == null ? null : new long[n];
        this.edgeUpAt = restartModel == null ? null : new HashMap<>();
        this.sendCount = new int[n];
        this.queueKind = Objects.requireNonNull(queueKind, "queueKind");
        this.queue = EventQueue.create(queueKind, config.link().maxNanos(), n);
        this.netSeed = netSeed(config.seed());
        this.coldSeed = mix(config.seed() ^ mix(COLD_STREAM));
        this.timerModel = model == null || model.timers() == null ? null : model.timers().forNodes(n);
        this.bornAt = timerModel == null ? null : new long[n];
        this.timerDraws = timerModel == null ? null : new long[n];
        this.drawnLateness = timerModel == null ? null : new TimerLateness();
        this.timerSeed = mix(config.seed() ^ mix(TIMER_STREAM));
        protocol.checkOverlay(overlay);
        this.sortedRows = sortedLongRows(overlay);
    }

    private static int[][] sortedLongRows(Overlay overlay) {
        int[][] rows = null;
        for (int v = 0; v < overlay.size(); v++) {
            if (overlay.degree(v) > SCAN_MAX) {
                if (rows == null) {
                    rows = new int[overlay.size()][];
                }
                int[] row = overlay.neighbours(v);
                Arrays.sort(row);
                rows[v] = row;
            }
        }
        return rows;
    }

    /** SplitMix64's finaliser: a bijective 64-bit mix (Steele, Lea, Flood 2014). */
    /** The seed of the per-message draws (see "Randomness" in the class doc) of a run seeded {@code seed}. */
    static long netSeed(long seed) {
        return mix(seed ^ mix(NET_STREAM));
    }

    /** Folds one delivery (time, from, to, message type) into trace hash {@code h} (see "Trace hash"). */
    static long fold(long h, long now, int from, int to, long type) {
        h = mix(h ^ now) ^ (((long) from << 32) | (to & 0xFFFFFFFFL));
        h = mix(h) ^ type;
        return mix(h);
    }

    static long mix(long z) {
        return SplitMix.mix64(z);
    }

    public SimConfig config() {
        return config;
    }

    /** The event queue this simulator runs on. */
    public QueueKind queueKind() {
        return queueKind;
    }

    @Override
    public String engine() {
        return "sim";
    }

    @Override
    public Overlay overlay() {
        return overlay;
    }

    @Override
    public Protocol protocol() {
        return protocol;
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
        for (int v = 0; v < n; v++) {
            boot(v);
        }
    }

    private void boot(int v) {
        aliveBits[v >>> 6] |= 1L << v;
        if (bornAt != null) {
            bornAt[v] = now;
        }
        // The node, then its env: allocated back to back (and kept in that order by a compacting collection), so
        // the prefetch's loads of the node's header and the env's last field cover both objects' lines.
        Node node = protocol.create(v, overlay);
        SimEnv env = new SimEnv(v, incarnation[v]);
        envs[v] = env;
        nodes[v] = node;
        try {
            node.start(env);
        } catch (RuntimeException e) {
            throw failure(v, "start", e);
        }
    }

    @Override
    public long now() {
        return now;
    }

    @Override
    public void inject(int node, Message m) {
        checkNode(node);
        requireStarted();
        if (!isAlive(node)) {
            return; // a client request is not a node-to-node message: neither sent nor dropped
        }
        if (cpu != null) {
            // A client request is handled on the node's executor too: its sends pay their service time.
            int e = cpu.executorOf(node, n);
            handlerExec = e;
            handlerSends = 0;
            handlerWakes = 0;
            handlerBase = Math.max(now, execFree[e]);
            handlerTimes(e, handlerBase);
            if (cold != null) {
                handlerBase += cold.inject(now - execFree[e], coldDraw(e)); // a parked loop takes the request late
                if (quietBeforeLast != null) {
                    // The request is the executor's first work after its quiet spell: the next delivery is its second.
                    quietBeforeLast[e] = now - lastDeliveryAt[e];
                    lastDeliveryAt[e] = now;
                    lastWasRequest[e] = true;
                }
            }
        }
        long injectedAt = now;
        if (cpu != null) {
            // The handler runs when the executor takes the request: what it reads from the clock (the broadcast's
            // sentAt, its delivery's time) is that instant, as on the real engine, where the node's loop stamps it.
            now = handlerBase;
        }
        try {
            nodes[node].onMessage(Env.CLIENT, m);
        } catch (RuntimeException e) {
            throw failure(node, "a client request", e);
        } finally {
            if (cpu != null) {
                execFree[handlerExec] = handlerBase + handlerRecv + handlerSends * handlerSend + handlerWakes * handlerWakeSend;
                if (coreLastEnd != null) {
                    // The request ran on the executor's core: that CPU is awake now (its wake-up is in the request's penalty).
                    int c = homeCore[handlerExec];
                    coreLastEnd[c] = Math.max(coreLastEnd[c], execFree[handlerExec]);
                }
                handlerExec = -1;
                now = injectedAt;
            }
        }
    }

    @Override
    public void crash(int node) {
        checkNode(node);
        if (!isAlive(node)) {
            return;
        }
        aliveBits[node >>> 6] &= ~(1L << node);
        incarnation[node]++;
        if (crashedAt != null) {
            crashedAt[node] = now;
        }
        nodes[node] = null;
        envs[node] = null;
        if (seen != null) {
            seen.clear(node);
        }
        if (randoms != null) {
            randoms[node] = null; // a restarted node gets a fresh stream
        }
    }

    @Override
    public void restart(int node) {
        checkNode(node);
        requireStarted();
        if (isAlive(node)) {
            return;
        }
        if (busyUntil != null) {
            busyUntil[node] = now;
        }
        if (restartModel != null) {
            linksAfterRestart(node);
        }
        boot(node);
    }

    @Override
    public boolean alive(int node) {
        checkNode(node);
        return isAlive(node);
    }

    @Override
    public void partition(int[][] groups) {
        if (group == null) {
            group = new int[n];
        }
        java.util.Arrays.fill(group, 0);
        partitioned = true;
        updateFastSeen();
        for (int g = 0; g < groups.length; g++) {
            for (int v : groups[g]) {
                checkNode(v);
                group[v] = g + 1;
            }
        }
    }

    @Override
    public void heal() {
        if (group != null) {
            java.util.Arrays.fill(group, 0);
        }
        partitioned = false;
        updateFastSeen();
    }

    private void updateFastSeen() {
        fastSeen = !partitioned && cpu == null && busyUntil == null && !checkHints ? seen : null;
    }

    /** Fault plans' slow node: {@code extraNanos} more latency on every message to or from {@code node}. */
    @Override
    public void slow(int node, long extraNanos) {
        checkNode(node);
        if (extraNanos < 0) {
            throw new IllegalArgumentException("extra latency must be >= 0, got " + extraNanos);
        }
        if (slowNanos == null) {
            slowNanos = new long[n];
        }
        slowNanos[node] = extraNanos;
    }

    /**
     * Fault plans' loss burst: each message is also lost with {@code probability} (combined with the
     * configured loss as independent events). No extra random draw happens while both are 0, so a run without
     * bursts keeps its trace hash.
     */
    @Override
    public void lossBurst(double probability) {
        if (!(probability >= 0 && probability <= 1)) {
            throw new IllegalArgumentException("loss burst probability must be in 0..1, got " + probability);
        }
        burstLoss = probability;
    }

    @Override
    public void at(long atNanos, Runnable action) {
        queue.push(Math.max(now, atNanos), CONTROL, -1, Objects.requireNonNull(action, "action"));
    }

    @Override
    public void runFor(long nanos) {
        if (nanos < 0) {
            throw new IllegalArgumentException("cannot run for negative time " + nanos);
        }
        requireStarted();
        long deadline = now + nanos;
        while (!queue.isEmpty() && queue.peekTime() <= deadline) {
            step();
        }
        now = deadline;
    }

    @Override
    public boolean runUntil(BooleanSupplier condition, long timeoutNanos) {
        requireStarted();
        if (condition.getAsBoolean()) {
            return true;
        }
        long deadline = now + timeoutNanos;
        while (!queue.isEmpty() && queue.peekTime() <= deadline) {
            step();
            if (condition.getAsBoolean()) {
                return true;
            }
        }
        now = deadline;
        return condition.getAsBoolean();
    }

    /** Runs until no event is pending (beware protocols with periodic timers: they never drain). */
    public void runToQuiescence() {
        requireStarted();
        while (!queue.isEmpty()) {
            step();
        }
    }

    /**
     * Adds a cluster-wide check run after every event (delivery, timer, control action), in the order
     * added; a check throws to fail the run at the event that broke it. Invariants checked after every
     * event, not only at the end, point at the first bad step.
     */
    public void addInvariant(Runnable check) {
        invariants.add(Objects.requireNonNull(check, "check"));
        checkHints = true;
        updateFastSeen();
    }

    /**
     * Runs until no event is pending (quiet) or {@code drainNanos} of virtual time pass. The last activity is
     * the virtual time of the latest send, as on real engines (the time settle began if nothing was ever
     * sent; the time it gave up if it did not go quiet).
     *
     * <p>With an engine model ({@code --model}), a quiet settle then also lets the virtual clock run to
     * {@link #QUIET_NANOS} after the latest send, as a real engine's settle waits that long with nothing sent:
     * what comes next finds executors as quiet as on the engine the model predicts (see the cold start). The
     * plain simulator does not wait: its clock and trace hashes stay as they were.
     */
    @Override
    public Settled settle(long drainNanos) {
        long began = now;
        // runUntil checks after every event and stops as soon as the queue is empty.
        runUntil(() -> pendingEvents() == 0, drainNanos);
        boolean quiet = pendingEvents() == 0;
        long last = !quiet ? now : sent > 0 ? lastSendNanos : began;
        if (quiet && config.model() != null && last + QUIET_NANOS > now) {
            runFor(last + QUIET_NANOS - now);
        }
        return new Settled(quiet, last);
    }

    /** Tests: turns the {@link SeenFilter} off (before {@link #start}), so every copy reaches its node. */
    void seenFilterOff() {
        seenFilterOn = false;
    }

    /** Tests: deliveries the {@link SeenFilter} kept from their nodes so far. */
    long filteredDeliveries() {
        return filtered;
    }

    /** Number of pending events. */
    public int pendingEvents() {
        return queue.size();
    }

    /** Largest number of events pending at once so far (messages in flight, timers, control actions). */
    public int peakPendingEvents() {
        return queue.peakSize();
    }

    private void step() {
        if (--untilPrefetch <= 0) {
            prefetch();
        }
        queue.pop();
        now = queue.time();
        int a = queue.a();
        if (a >= 0) {
            arrive(a, queue.b(), (Message) queue.ref());
        } else if (a == TIMER) {
            ((SimTimer) queue.ref()).fire();
        } else if (a == CONTROL) {
            ((Runnable) queue.ref()).run();
        } else if (a == EXEC) {
            execWake(queue.b());
        } else if (a == QUEUED) {
            Queued q = (Queued) queue.ref();
            int to = queue.b();
            if (!isAlive(to) || incarnation[to] != q.incarnation) {
                drops[DROP_RECEIVER_DOWN]++; // the inbox died with the node
                return;
            }
            deliver(q.from, to, q.message);
        } else {
            throw new IllegalStateException("unknown event kind " + a);
        }
        checkInvariants();
    }

    /** Runs the {@link #addInvariant} checks; an event that only dropped a message returns before them. */
    private void checkInvariants() {
        for (int i = 0; i < invariants.size(); i++) {
            try {
                invariants.get(i).run();
            } catch (RuntimeException e) {
                throw new IllegalStateException("invariant violated at t=" + now + "ns (seed " + config.seed() + "): "
                        + e.getMessage(), e);
            }
        }
    }

    /**
     * Software prefetch for the next events: loads what each one's delivery touches first (the receiving
     * node's object header, the message's header, and for a receiver that might act on its message, its overlay
     * offset and first target and its send counter), back to back. At 10^6 nodes node state is far larger than
     * the cache and delivery order is random in node id, so each delivery would otherwise stall on its own cache
     * misses one after the other; loads issued together in a tight loop are independent, so the CPU overlaps
     * their misses and the deliveries that follow find the lines cached. Runs every {@link #PREFETCH_BATCH}
     * events and touches the batch after the one about to run (the first time, both), so the misses have a whole
     * batch of work to complete behind; in passes (node references; node and message headers; the receivers'
     * {@link Node#mightAct} hints, and for those that might act, overlay offset and send counter; then what the
     * offset points to), so each pass is a short loop of independent loads. Asking the node first spares the
     * lines of the receivers that will drop their message: in a flood most deliveries are copies of a broadcast
     * the receiver has already seen, and loading three lines for each of them (before the hint) cost more than
     * the node's own line. A copy the {@link SeenFilter} will keep from its node loads nothing of the node's at
     * all. The first pass also loads the receiver's {@link SimEnv} reference and the second that env's last
     * field: a node that acts reads its env first, and the node and its env are allocated back to back
     * ({@link #boot}), so the node's header and the env's end cover both objects' lines whatever their alignment
     * (in five CPU profiles of simbench's flood at 10^6 without it, the node's handler took 2.8 % of the samples
     * in one and 9.4-16.7 % in the other four; in three with it, it was not among the 22 largest entries, the
     * 22nd at 0.3-0.7 %). The overlay row is loaded at its first and last target, as a row of 8 ints spans two
     * lines half the time. No effect on the run (the counter only keeps the loads alive; a hint changes no state).
     */
    private void prefetch() {
        int[] slots = prefetchSlots;
        int[] as = prefetchA;
        int[] targets = prefetchB;
        int k = queue.upcoming(slots, as, targets, prefetchedAhead);
        int run = Math.min(k, PREFETCH_BATCH);
        int from = Math.min(prefetchedAhead, k);
        untilPrefetch = Math.max(1, run);
        prefetchedAhead = k - run;
        Node[] ns = nodes;
        SimEnv[] es = envs;
        SeenFilter f = seen;
        for (int i = from; i < k; i++) {
            if (as[i] >= 0) {
                int to = targets[i];
                // A copy the filter will keep from its node loads nothing of the node's.
                if (f != null && queue.slotRef(slots[i]) instanceof Message.Broadcast b && f.has(b.id(), to)) {
                    as[i] = FILTERED;
                } else if (ns[to] == null || es[to] == null || aliveBits[to >>> 6] == -1) {
                    touches++;
                }
            }
        }
        for (int i = from; i < k; i++) {
            if (as[i] >= 0) {
                int to = targets[i];
                Node node = ns[to];
                if (node != null && (node.getClass() == TOUCH_MARKER || es[to].touch())) {
                    touches++;
                }
                if (queue.slotRef(slots[i]).getClass() == TOUCH_MARKER) {
                    touches++;
                }
            }
        }
        // Receivers that might act are marked in place for the last pass (no event kind is MIN_VALUE).
        for (int i = from; i < k; i++) {
            int a = as[i];
            if (a >= 0) {
                int to = targets[i];
                Node node = ns[to];
                if (node != null && node.mightAct(a, (Message) queue.slotRef(slots[i]))) {
                    if ((overlay.offset(to) | sendCount[to]) == -1) {
                        touches++;
                    }
                    as[i] = Integer.MIN_VALUE;
                }
            }
        }
        for (int i = from; i < k; i++) {
            if (as[i] == Integer.MIN_VALUE) {
                int to = targets[i];
                int d = overlay.degree(to);
                if (d > 0) {
                    int o = overlay.offset(to);
                    // The row's first and last targets: a row of 8 ints spans two cache lines half the time.
                    if ((overlay.target(o) & overlay.target(o + d - 1)) == -1) {
                        touches++;
                    }
                }
            }
        }
    }

    /** A message reaches {@code to}'s host: dropped, queued behind a burst, or delivered now. */
    private void arrive(int from, int to, Message m) {
        SeenFilter f = fastSeen;
        if (f != null && m instanceof Message.Broadcast b && f.has(b.id(), to)) {
            record(from, to, m); // a copy its (live) receiver drops: see fastSeen
            filtered++;
            return;
        }
        if (!isAlive(to)) {
            drops[DROP_RECEIVER_DOWN]++;
            return;
        }
        if (partitioned && group[from] != group[to]) {
            drops[DROP_PARTITION]++;
            return;
        }
        if (cpu != null) {
            offer(from, to, m);
            return;
        }
        if (busyUntil != null) {
            long start = Math.max(now, busyUntil[to]);
            busyUntil[to] = start + config.processingNanosPerMsg();
            if (start > now) {
                queue.push(start, QUEUED, to, new Queued(from, incarnation[to], m));
                return;
            }
        }
        deliver(from, to, m);
    }

    private void deliver(int from, int to, Message m) {
        byte type = record(from, to, m);
        if (checkHints) {
            deliverCheckingHint(from, to, m, type);
            return;
        }
        if (seen != null && m instanceof Message.Broadcast b && seen.has(b.id(), to)) {
            filtered++; // a copy the node drops: it is not handed over (see SeenFilter)
            return;
        }
        Node node = nodes[to];
        try {
            node.onMessage(from, m);
        } catch (RuntimeException e) {
            throw failure(to, "a " + MessageCodec.typeName(type) + " message from " + from, e);
        }
        noteSeen(from, to, node, m);
    }

    /** Counts a delivery and folds it into the trace hash; returns the message's type. */
    private byte record(int from, int to, Message m) {
        delivered++;
        byte type;
        if (m == lastTyped) {
            type = lastType;
        } else {
            type = MessageCodec.type(m);
            lastTyped = m;
            lastType = type;
        }
        traceHash = fold(traceHash, now, from, to, type);
        return type;
    }

    /** After a delivery: a node that now drops further copies of its broadcast is marked in {@link #seen}. */
    private void noteSeen(int from, int to, Node node, Message m) {
        if (seenFilterOn && m instanceof Message.Broadcast b && node.dropsSeenBroadcasts() && !node.mightAct(from, m)) {
            if (seen == null) {
                seen = new SeenFilter(n);
                updateFastSeen();
            }
            seen.mark(b.id(), to, delivered);
        }
    }

    /**
     * With invariants ({@code ringlab check}): a delivery whose receiver's {@link Node#mightAct} hint said it would
     * neither send nor schedule fails the run if the node does either. The prefetch trusts that hint. So does a
     * copy the {@link SeenFilter} would have kept from the node (the node's {@link Node#dropsSeenBroadcasts} says
     * it drops it): here it is handed over, and the run fails if the node sends or schedules.
     */
    private void deliverCheckingHint(int from, int to, Message m, byte type) {
        Node node = nodes[to];
        boolean hint = node.mightAct(from, m);
        // A copy the filter would have kept from the node: its dropsSeenBroadcasts hint says it drops it.
        boolean dropped = seen != null && m instanceof Message.Broadcast b && seen.has(b.id(), to);
        long sentBefore = sent;
        long scheduledBefore = timersScheduled;
        try {
            node.onMessage(from, m);
        } catch (RuntimeException e) {
            throw failure(to, "a " + MessageCodec.typeName(type) + " message from " + from, e);
        }
        if ((!hint || dropped) && (sent != sentBefore || timersScheduled != scheduledBefore)) {
            throw new IllegalStateException("node " + to + " (" + node.getClass().getSimpleName() + ") sent "
                    + (sent - sentBefore) + " and scheduled " + (timersScheduled - scheduledBefore) + " handling a "
                    + MessageCodec.typeName(type) + " message from " + from + " at t=" + now + "ns (seed "
                    + config.seed() + "), where "
                    + (dropped ? "it had dropped a copy of this broadcast and its dropsSeenBroadcasts hint says it"
                            + " drops every later one" : "its mightAct hint said it would do neither")
                    + ": fix the hint");
        }
        noteSeen(from, to, node, m);
    }

    private void send(int from, int to, Message m) {
        if (to < 0 || to >= n) {
            throw new IllegalArgumentException("node " + from + " sent to " + to + ", not a node id in 0.." + (n - 1));
        }
        if (to == from) {
            throw new IllegalArgumentException("node " + from + " sent a message to itself");
        }
        Objects.requireNonNull(m, "message");
        sent++;
        if (m != lastSized) {
            // Messages are immutable records: the same instance always has the same size.
            lastSize = MessageCodec.encodedSize(m);
            lastSized = m;
        }
        bytes += lastSize;
        lastSendNanos = now;
        long departs = now;
        if (handlerExec >= 0) {
            departs = handlerBase + handlerRecv + (long) ++handlerSends * handlerSend + (long) handlerWakes * handlerWakeSend;
        }
        if (!hasArc(from, to) && !hasArc(to, from)) {
            drops[DROP_NO_EDGE]++;
            return;
        }
        if (edgeUpAt != null && !edgeUpAt.isEmpty()) {
            Long up = edgeUpAt.get(edgeKey(from, to));
            if (up != null && now < up) {
                drops[DROP_NO_CONNECTION]++; // the runtime refuses a write on a link that is down, at the sender
                return;
            }
        }
        messageRandom.reset(netSeed, from, to, sendCount[from]++);
        double loss = burstLoss == 0 ? config.lossProbability() : 1 - (1 - config.lossProbability()) * (1 - burstLoss);
        double pairLoss = config.link().lossProbability(from, to);
        if (pairLoss > 0) { // only then: a model without per-pair loss keeps its draws and trace hash
            loss = 1 - (1 - loss) * (1 - pairLoss);
        }
        if (loss > 0 && messageRandom.nextDouble() < loss) {
            drops[DROP_LOSS]++;
            return;
        }
        long latency = config.link().sampleNanos(from, to, messageRandom);
        if (slowNanos != null) {
            latency += slowNanos[from] + slowNanos[to];
        }
        if (arrivalBound != null) {
            departs = wakeOnSend(to, departs, latency);
        }
        queue.push(departs + latency, from, to, m);
    }

    /**
     * The wake-send model: a handler's send to a node on another executor that is parked at the send's departure
     * (no work queued or running there, no message due to it before then) costs the handler
     * {@link EngineModel.Cpu#wakeSendNanos} more, so this send and the handler's later ones leave that much later.
     * Every send then marks its arrival as due on the receiver's executor. Returns the departure.
     */
    private long wakeOnSend(int to, long departs, long latency) {
        int e = cpu.executorOf(to, n);
        if (handlerExec >= 0 && e != handlerExec) {
            ArrayDeque<Pending> box = inbox[e];
            boolean parked = (box == null || box.isEmpty()) && !execWakePending[e] && departs >= execFree[e]
                    && departs >= arrivalBound[e] + cpu.recvNanos();
            if (parked) {
                handlerWakes++;
                departs += handlerWakeSend;
            }
        }
        arrivalBound[e] = Math.max(arrivalBound[e], departs + latency);
        return departs;
    }

    /** A message reaches executor-modelled node {@code to}: handled now, or queued on its executor. */
    private void offer(int from, int to, Message m) {
        int e = cpu.executorOf(to, n);
        ArrayDeque<Pending> box = inbox[e];
        boolean idle = (box == null || box.isEmpty()) && !execWakePending[e] && execFree[e] <= now;
        if (cold != null) {
            // The first message after a quiet spell is slow to handle: the executor's next turn pays the penalty on
            // its core (a thread that slept works through cold caches), so penalties of executors woken together
            // share the cores; what arrives meanwhile waits behind it.
            long quiet = now - lastDeliveryAt[e];
            long extra = cold.delivery(quiet, coldDraw(e));
            if (quietBeforeLast != null) {
                // The work after a first one that came after quiet is slow too (see EngineModel.Cold's second table),
                // after a client request by a table of its own where the calibration has one.
                double u = coldDraw(e);
                extra += lastWasRequest[e] ? cold.secondAfterRequest(quietBeforeLast[e], u) : cold.second(quietBeforeLast[e], u);
                quietBeforeLast[e] = quiet;
                lastWasRequest[e] = false;
            }
            lastDeliveryAt[e] = now;
            coldDue[e] += extra;
        }
        if (idle && wake != null && wake.wakeNanos() > 0 && now - execFree[e] >= wake.idleNanos()) {
            // A parked event loop is woken first: this message and whatever arrives meanwhile wait for it.
            execFree[e] = now + wake.wakeNanos();
            idle = false;
        }
        if (idle) {
            int c = coreFor(e);
            if (coreFree[c] <= now) {
                run(e, c, from, to, m);
                return;
            }
        }
        if (box == null) {
            box = inbox[e] = new ArrayDeque<>();
        }
        box.add(new Pending(from, to, incarnation[to], m));
        scheduleExec(e, execFree[e]);
    }

    /**
     * The next cold-start draw of executor {@code e}, in [0, 1): from (seed, executor, its draw count), so a
     * run draws the same penalties in any JVM, and no other draw moves. 0.5 (the median) without samples.
     */
    private double coldDraw(int e) {
        if (coldDraws == null) {
            return 0.5;
        }
        long z = mix(coldSeed ^ mix(((long) e << 40) ^ coldDraws[e]++));
        return (z >>> 11) * 0x1.0p-53;
    }

    /**
     * The next timer-lateness draw of node {@code v}, in [0, 1): from (seed, node, its draw count), so no other draw
     * moves and a run draws the same lateness in any JVM.
     */
    private double timerDraw(int v) {
        long z = mix(timerSeed ^ mix(((long) v << 40) ^ timerDraws[v]++));
        return (z >>> 11) * 0x1.0p-53;
    }

    /**
     * With an engine model that has a timer part, how long the modelled engine runs before an experiment measures
     * ({@link EngineModel#warmupNanos}); 0 otherwise. An experiment runs this cluster that long before it measures,
     * as it warms up a real engine.
     */
    public long modelledWarmupNanos() {
        return config.model() == null ? 0 : config.model().warmupNanos(n);
    }

    /**
     * With a timer model, the lateness drawn so far (a copy), counted as each timer was scheduled (those still pending
     * too); null without one (timers fire on time).
     */
    @Override
    public TimerLateness timerLateness() {
        if (drawnLateness == null) {
            return null;
        }
        TimerLateness copy = new TimerLateness();
        copy.add(drawnLateness);
        return copy;
    }

    private void scheduleExec(int e, long at) {
        if (!execWakePending[e]) {
            execWakePending[e] = true;
            queue.push(Math.max(now, at), EXEC, e, EXEC_MARKER);
        }
    }

    /** Executor {@code e} may take its next message, if a core is free. */
    private void execWake(int e) {
        execWakePending[e] = false;
        ArrayDeque<Pending> box = inbox[e];
        while (box != null && !box.isEmpty()) {
            Pending p = box.peek();
            if (isAlive(p.to) && incarnation[p.to] == p.incarnation) {
                break;
            }
            box.poll();
            drops[DROP_RECEIVER_DOWN]++; // the inbox died with the node
        }
        if (box == null || box.isEmpty()) {
            return;
        }
        if (execFree[e] > now) {
            scheduleExec(e, execFree[e]);
            return;
        }
        int c = coreFor(e);
        if (coreFree[c] > now) {
            scheduleExec(e, coreFree[c]);
            return;
        }
        Pending p = box.poll();
        run(e, c, p.from, p.to, p.message);
        if (!box.isEmpty()) {
            scheduleExec(e, execFree[e]);
        }
    }

    /**
     * Runs a delivery on executor {@code e} and core {@code c}; both are busy for its service time, after the
     * cold-start penalties the executor owes ({@link #coldDue}): the handler, and with it the delivery's time and
     * its sends, begins once they are paid.
     */
    private void run(int e, int c, int from, int to, Message m) {
        handlerExec = e;
        handlerSends = 0;
        handlerWakes = 0;
        long began = now;
        handlerTimes(e, began);
        long coreWake = coreLastEnd == null ? 0 : coreWake(c, e);
        if (coldDue != null) {
            handlerBase = now + coreWake + (handlerFactor == 1 ? coldDue[e] : Math.round(coldDue[e] * handlerFactor));
            coldDue[e] = 0;
            now = handlerBase;
        } else {
            handlerBase = now;
        }
        try {
            deliver(from, to, m);
        } finally {
            handlerExec = -1;
            now = began;
        }
        long end = handlerBase + handlerRecv + (long) handlerSends * handlerSend + (long) handlerWakes * handlerWakeSend;
        execFree[e] = end;
        coreFree[c] = end;
        if (coreLastEnd != null) {
            coreLastEnd[c] = end;
        }
        coreNanos += end - began;
    }

    /**
     * The core wake a turn of executor {@code e} on core {@code c} pays now (see {@link EngineModel.Cold#coreWake}): by how
     * long the core was idle, plus the second part if the core's previous turn was a wake. Not scaled by the load part (a
     * CPU waking is not the handler's work). The executor's home core becomes {@code c}. With the core wake's samples a
     * wake is drawn ({@link #coreDraw}), and its second part takes the sample of the same rank.
     */
    private long coreWake(int c, int e) {
        homeCore[e] = c;
        long extra = 0;
        if (coreWokeAfter[c] > 0) {
            extra = cold.coreSecond(coreWokeAfter[c], coreDraws == null ? 0.5 : coreWokeDraw[c]);
            coreWokeAfter[c] = 0;
        }
        long idle = now - coreLastEnd[c];
        if (idle <= 0) {
            return extra;
        }
        double u = coreDraws == null ? 0.5 : coreDraw(c);
        long wake = cold.coreWake(idle, u);
        if (wake > 0) {
            coreWokeAfter[c] = idle;
            if (coreWokeDraw != null) {
                coreWokeDraw[c] = u;
            }
        }
        return extra + wake;
    }

    /**
     * The next core-wake draw of core {@code c}, in [0, 1): from (seed, core, its draw count), a stream apart from the
     * executors' cold-start draws, so no other draw moves.
     */
    private double coreDraw(int c) {
        long z = mix(coldSeed ^ mix(CORE_STREAM ^ ((long) c << 40) ^ coreDraws[c]++));
        return (z >>> 11) * 0x1.0p-53;
    }

    /** Sets the core-wake draws' stream apart from the executors' ({@link #coldDraw}, whose ids below 2^23 leave bit 63 clear). */
    private static final long CORE_STREAM = 1L << 63;

    /**
     * Sets the running handler's receive, send and wake-send times: the cpu part's, or with the load model those
     * times the factor of executor {@code e}'s rate estimate before this handler, which then counts it (see
     * {@link EngineModel.Load}, with the messages waiting in its inbox counted as handled in the window; the service
     * factor, with the part's quiet factor at rate 0); a delivery's cold-start penalties are scaled by the factor
     * without the quiet factor. The estimate decays with {@link StrictMath#exp}, the same in
     * every JVM.
     */
    private void handlerTimes(int e, long at) {
        if (load == null) {
            handlerRecv = cpu.recvNanos();
            handlerSend = cpu.sendNanos();
            handlerWakeSend = wakeSend;
            return;
        }
        long window = load.windowNanos();
        double rate = loadRate[e];
        if (at > loadAt[e]) {
            rate *= StrictMath.exp(-(double) (at - loadAt[e]) / window);
            loadAt[e] = at;
        }
        // The messages already waiting count too: a loop with a backlog never parks, however slowly it got through the
        // window so far (counted alone, a backlogged executor's rate can settle where its cost keeps it slow).
        ArrayDeque<Pending> box = inbox[e];
        double waiting = box == null ? 0 : box.size() * (1e9 / window);
        handlerFactor = load.factor(rate + waiting);
        double f = load.serviceFactor(rate + waiting);
        handlerRecv = Math.round(cpu.recvNanos() * f);
        handlerSend = Math.round(cpu.sendNanos() * f);
        handlerWakeSend = Math.round(wakeSend * f);
        loadRate[e] = rate + 1e9 / window;
    }

    /**
     * The core executor {@code e}'s next turn runs on: with the core wake, the core it ran on last if that one is free
     * now (as a thread stays on its CPU); otherwise, and always without it, the core that is free first.
     */
    private int coreFor(int e) {
        if (homeCore != null && coreFree[homeCore[e]] <= now) {
            return homeCore[e];
        }
        return freeCore();
    }

    /** The core that is free first (lowest index on ties: deterministic). */
    private int freeCore() {
        int best = 0;
        for (int i = 1; i < coreFree.length; i++) {
            if (coreFree[i] < coreFree[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * The restart model: when each edge of restarted {@code v} is up again (see {@link EngineModel.Restart}).
     * The redial jitter is the runtime's own ({@link dev.ringlab.node.spec.Redial}: run seed, dialer, peer,
     * attempt), so it shifts no other draw and matches a real run with the same seed.
     */
    private void linksAfterRestart(int v) {
        long down = now - crashedAt[v];
        for (int u = 0; u < n; u++) {
            if (u == v) {
                continue;
            }
            boolean out = hasArc(v, u);
            boolean in = hasArc(u, v);
            if (!out && !in) {
                continue;
            }
            int dialer = out && in ? Math.min(u, v) : out ? v : u;
            long delay;
            if (dialer == v) {
                delay = restartModel.handshakeNanos();
            } else {
                delay = restartModel.neighbourDialDelay(down, config.seed(), u, v);
            }
            edgeUpAt.put(edgeKey(u, v), now + delay);
        }
    }

    private static long edgeKey(int u, int v) {
        return ((long) Math.min(u, v) << 32) | Math.max(u, v);
    }

    /** Whether the overlay has the arc {@code u -> v} (see "Overlay" in the class doc). */
    private boolean hasArc(int u, int v) {
        if (sortedRows != null) {
            int[] row = sortedRows[u];
            if (row != null) {
                return Arrays.binarySearch(row, v) >= 0;
            }
        }
        int start = overlay.offset(u);
        int end = start + overlay.degree(u);
        for (int i = start; i < end; i++) {
            if (overlay.target(i) == v) {
                return true;
            }
        }
        return false;
    }

    @Override
    public ClusterStats stats() {
        Map<String, Long> byReason = new HashMap<>();
        for (int r = 0; r < drops.length; r++) {
            if (r == DROP_NO_CONNECTION && restartModel == null) {
                continue; // a plain simulator has no connections: its stats keep their keys
            }
            byReason.put(DROP_REASONS[r], drops[r]);
        }
        return new ClusterStats(sent, bytes, delivered, byReason, delivered,
                sent > 0 ? OptionalLong.of(lastSendNanos) : OptionalLong.empty());
    }

    /**
     * With an engine model, the core time it has charged so far: each delivery's handler from the start of its turn
     * (cold-start penalties paid on the core included) to its end; a client request's sends hold no core and are not
     * counted. Empty without a model.
     */
    @Override
    public OptionalLong cpuNanos() {
        return cpu == null ? OptionalLong.empty() : OptionalLong.of(coreNanos);
    }

    @Override
    public OptionalLong traceHash() {
        return OptionalLong.of(traceHash);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int v = 0; v < n; v++) {
            if (isAlive(v) && nodes[v] != null) {
                nodes[v].stop();
            }
        }
    }

    private boolean isAlive(int v) {
        return (aliveBits[v >>> 6] & (1L << v)) != 0;
    }

    private void checkNode(int node) {
        if (node < 0 || node >= n) {
            throw new IllegalArgumentException("node " + node + " is not in 0.." + (n - 1));
        }
    }

    private void requireStarted() {
        if (!started) {
            throw new IllegalStateException("start() the cluster first");
        }
    }

    private IllegalStateException failure(int node, String what, RuntimeException e) {
        return new IllegalStateException("node " + node + " threw while handling " + what + " at t=" + now + "ns (seed "
                + config.seed() + "): " + e, e);
    }

    private final class SimEnv implements Env {
        private final int self;
        private final int incarnation;
        SimEnv(int self, int incarnation) {
            this.self = self;
            this.incarnation = incarnation;
        }

        @Override
        public int self() {
            return self;
        }

        /** For {@link #prefetch}: loads this env's last field (always false). */
        boolean touch() {
            return SimCluster.this == null;
        }

        @Override
        public long now() {
            return now;
        }

        @Override
        public void send(int to, Message m) {
            SimCluster.this.send(self, to, m);
        }

        @Override
        public Timer schedule(long delayNanos, Runnable task) {
            if (delayNanos < 0) {
                throw new IllegalArgumentException("timer delay must be >= 0, got " + delayNanos);
            }
            SimTimer t = new SimTimer(self, incarnation, Objects.requireNonNull(task, "task"));
            timersScheduled++;
            long late = 0;
            if (timerModel != null && delayNanos >= TimerLateness.MIN_DELAY_NANOS) {
                long age = now + delayNanos - bornAt[self];
                late = timerModel.lateNanos(age, timerDraw(self));
                drawnLateness.record(age, late);
            }
            queue.push(now + delayNanos + late, TIMER, self, t);
            return t;
        }

        @Override
        public RandomGenerator random() {
            if (randoms == null) {
                randoms = new RandomGenerator[n];
            }
            RandomGenerator r = randoms[self];
            if (r == null) {
                // Seeded from (seed, node, incarnation) only, so when it is created does not matter.
                r = new SplittableRandom(mix(config.seed() ^ mix(NODE_STREAM ^ mix(((long) self << 20) ^ incarnation))));
                randoms[self] = r;
            }
            return r;
        }

        @Override
        public boolean hasObservers() {
            return !observers.isEmpty();
        }

        @Override
        public void observe(Observation o) {
            for (int i = 0; i < observers.size(); i++) {
                observers.get(i).accept(o);
            }
        }
    }

    private final class SimTimer implements Timer {
        private final int node;
        private final int incarnation;
        private final Runnable task;
        private boolean done;

        SimTimer(int node, int incarnation, Runnable task) {
            this.node = node;
            this.incarnation = incarnation;
            this.task = task;
        }

        @Override
        public boolean cancel() {
            if (done) {
                return false;
            }
            done = true;
            return true;
        }

        void fire() {
            if (done) {
                return;
            }
            done = true;
            if (!isAlive(node) || SimCluster.this.incarnation[node] != incarnation) {
                return;
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                throw failure(node, "a timer", e);
            }
        }
    }

    /** A message waiting in a busy node's inbox; allocated only when processing time makes a node busy. */
    private record Queued(int from, int incarnation, Message message) {}

    /** A message waiting for its executor (engine model). */
    private record Pending(int from, int to, int incarnation, Message message) {}

    /** The ref of an {@link #EXEC} event (the queue stores an object per event). */
    private static final Object EXEC_MARKER = new Object();

    /**
     * The per-message generator (see "Randomness" in the class doc): SplitMix64 (Steele, Lea, Flood,
     * "Fast splittable pseudorandom number generators", OOPSLA 2014) started at a hash of (run's network
     * seed, from, to, sender's send count). One reused instance: reset per send, nothing allocated, and
     * the hash is only computed if the message draws at all. {@code nextDouble} is the usual top-53-bits
     * conversion; {@code nextLong(bound)} and the rest are the {@link RandomGenerator} defaults, whose
     * algorithms the JDK specifies, so draws are the same on every JVM.
     */
    static final class MessageRandom implements RandomGenerator {
        private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;
        private long state;
        private long netSeed;
        private long link;
        private int count;
        private boolean seeded;

        /** Starts the stream of one message; the hash is computed on the first draw (constant links draw none). */
        void reset(long netSeed, int from, int to, int count) {
            this.netSeed = netSeed;
            this.link = ((long) from << 32) | (to & 0xFFFFFFFFL);
            this.count = count;
            this.seeded = false;
        }

        @Override
        public long nextLong() {
            if (!seeded) {
                state = mix(netSeed ^ mix(link + mix(count + GOLDEN_GAMMA)));
                seeded = true;
            }
            state += GOLDEN_GAMMA;
            return mix(state);
        }

        @Override
        public double nextDouble() {
            return (nextLong() >>> 11) * 0x1.0p-53;
        }
    }
}
