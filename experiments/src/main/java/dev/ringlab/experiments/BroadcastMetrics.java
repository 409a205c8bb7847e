package dev.ringlab.experiments;

import dev.ringlab.node.check.Quantiles;
import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Observation;
import java.util.Arrays;
import java.util.function.Consumer;
import java.util.function.IntPredicate;

/**
 * Collects the broadcast metrics of one run from the {@link Observation} stream and the engine's
 * {@link ClusterStats}, so that every engine reports the same fields with the same meaning.
 *
 * <h2>Use</h2>
 * The driver numbers its broadcasts 0, 1, 2, ... and calls {@link #injected} <em>before</em> handing
 * each to the cluster; the collector is added as an observer ({@link #accept}); after the run,
 * {@link #result} computes everything. Both methods are synchronized, so a real engine may deliver
 * observations on its own thread while the driver injects.
 *
 * <h2>Definitions</h2>
 * <ul>
 *   <li><b>reached(b)</b>: the number of distinct nodes, alive at the end of the run, that delivered
 *       broadcast b (its origin included).
 *   <li><b>reliability</b>: the mean over broadcasts of reached(b) / (nodes alive at the end); 1 means
 *       every broadcast reached every live node. A broadcast injected at a dead node reaches 0.
 *   <li><b>latency</b>: one sample per {@link Observation.Delivered} at a node other than the origin,
 *       {@code atNanos - sentAtNanos}; percentiles are exact (nearest rank on the sorted samples:
 *       p-quantile = sorted[ceil(p·N) - 1]).
 *   <li><b>last delivery hop</b>: per broadcast, the hop count of its latest delivery (ties: the larger
 *       hop); reported as the maximum over broadcasts (-1 if nothing was delivered).
 *   <li><b>msgs_per_op</b>: node-to-node messages ({@link ClusterStats#messagesSent}, a batch counts
 *       once) / broadcasts.
 *   <li><b>rmr</b>: relative message redundancy (Leitão, Pereira, Rodrigues, "Epidemic broadcast trees",
 *       SRDS 2007): payload messages / Σ_b (reached(b) - 1) - 1, where payload messages are the messages
 *       sent minus the control messages the protocol reported ({@link Observation.ControlSent}: announcements,
 *       grafts, prunes; none for flood, gossip, ring, tree, batched), as in the paper. 0 for one message per
 *       node reached, d - 2 for a flood on a d-regular graph; negative when batching packs several
 *       broadcasts in one message.
 *   <li><b>control</b> (only for a protocol that reports {@link Observation.ControlSent}, see
 *       {@link #countControl}; null otherwise): IHAVE, GRAFT and PRUNE messages sent from the first measured
 *       injection on; tree repairs are the grafts that asked for a missing broadcast.
 * </ul>
 *
 * <p>Memory: two longs per delivery in growable primitive arrays (a flood over 10^6 nodes costs 16 MB),
 * no boxing.
 */
public final class BroadcastMetrics implements Consumer<Observation> {
    private final int n;
    private int broadcasts;
    private int[] origin = new int[16];
    private long[] sentAtNanos = new long[16];
    private long[] lastAtNanos = new long[16];
    private int[] lastHop = new int[16];
    /** One per delivery: broadcast index in the high 32 bits, node in the low 32. */
    private long[] deliveryKeys = new long[1024];
    private int deliveries;
    private long[] latencyNanos = new long[1024];
    private int latencies;
    private boolean countControl;
    private final long[] control = new long[Observation.ControlSent.PRUNE + 1];

    /** @param n the cluster's size (node ids 0..n-1) */
    public BroadcastMetrics(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("a cluster has at least 1 node, got " + n);
        }
        this.n = n;
    }

    /**
     * Registers broadcast {@code id}, injected at {@code originNode} at engine time {@code atNanos}.
     *
     * @throws IllegalArgumentException unless {@code id} is the next number (0, 1, 2, ...)
     */
    public synchronized void injected(long id, int originNode, long atNanos) {
        if (id != broadcasts) {
            throw new IllegalArgumentException("broadcast ids must be 0, 1, 2, ... in order; expected " + broadcasts
                    + ", got " + id);
        }
        if (originNode < 0 || originNode >= n) {
            throw new IllegalArgumentException("origin " + originNode + " is not in 0.." + (n - 1));
        }
        if (broadcasts == origin.length) {
            int cap = broadcasts * 2;
            origin = Arrays.copyOf(origin, cap);
            sentAtNanos = Arrays.copyOf(sentAtNanos, cap);
            lastAtNanos = Arrays.copyOf(lastAtNanos, cap);
            lastHop = Arrays.copyOf(lastHop, cap);
        }
        origin[broadcasts] = originNode;
        sentAtNanos[broadcasts] = atNanos;
        lastAtNanos[broadcasts] = Long.MIN_VALUE;
        lastHop[broadcasts] = -1;
        broadcasts++;
    }

    /**
     * Counts the protocol's {@link Observation.ControlSent} reports into {@link Result#control}: call it for a
     * protocol that reports them, so that a run of another protocol reports null, not 0.
     */
    public synchronized void countControl() {
        countControl = true;
    }

    /** Number of broadcasts registered so far. */
    public synchronized int broadcasts() {
        return broadcasts;
    }

    /**
     * Takes one observation; other than {@link Observation.Delivered} are ignored.
     *
     * @throws IllegalStateException for a delivery of a broadcast that was never {@link #injected}
     */
    @Override
    public synchronized void accept(Observation o) {
        if (o instanceof Observation.ControlSent c) {
            // Warm-up broadcasts settle before the first measured injection; their control traffic is not counted.
            if (broadcasts > 0 && c.atNanos() >= sentAtNanos[0]) {
                control[c.control()]++;
            }
            return;
        }
        if (!(o instanceof Observation.Delivered d)) {
            return;
        }
        long id = d.id();
        if (id < 0 || id >= broadcasts) {
            throw new IllegalStateException("node " + d.node() + " delivered broadcast " + id + ", which was never "
                    + "injected (" + broadcasts + " so far): call injected() before Cluster.inject()");
        }
        int b = (int) id;
        if (d.node() < 0 || d.node() >= n) {
            throw new IllegalStateException("delivery reported by node " + d.node() + ", not in 0.." + (n - 1));
        }
        if (deliveries == deliveryKeys.length) {
            deliveryKeys = Arrays.copyOf(deliveryKeys, deliveries * 2);
        }
        deliveryKeys[deliveries++] = ((long) b << 32) | d.node();
        if (d.atNanos() > lastAtNanos[b] || (d.atNanos() == lastAtNanos[b] && d.hop() > lastHop[b])) {
            lastAtNanos[b] = d.atNanos();
            lastHop[b] = d.hop();
        }
        if (d.node() != origin[b]) {
            if (latencies == latencyNanos.length) {
                latencyNanos = Arrays.copyOf(latencyNanos, latencies * 2);
            }
            latencyNanos[latencies++] = d.atNanos() - d.sentAtNanos();
        }
    }

    /**
     * The metrics of the run so far.
     *
     * @param stats     the engine's counters at the end of the run
     * @param alive     which nodes are alive at the end (reliability counts only them)
     * @param wallNanos wall time of the event loop (injections and running; overlay construction excluded)
     */
    public synchronized Result result(ClusterStats stats, IntPredicate alive, long wallNanos) {
        int live = 0;
        boolean[] isLive = new boolean[n];
        for (int v = 0; v < n; v++) {
            isLive[v] = alive.test(v);
            live += isLive[v] ? 1 : 0;
        }
        // Sorting (broadcast, node) keys makes repeated deliveries of one broadcast at one node (possible
        // after a restart, which forgets what it had seen) count once.
        long[] keys = Arrays.copyOf(deliveryKeys, deliveries);
        Arrays.sort(keys);
        long[] reached = new long[broadcasts];
        long previous = -1;
        for (long key : keys) {
            if (key != previous && isLive[(int) key]) {
                reached[(int) (key >>> 32)]++;
            }
            previous = key;
        }
        double reliabilitySum = 0;
        double reliabilityMin = broadcasts == 0 ? Double.NaN : 1;
        long reachedBeyondOrigin = 0;
        int lastDeliveryHop = -1;
        for (int b = 0; b < broadcasts; b++) {
            double r = live == 0 ? 0 : (double) reached[b] / live;
            reliabilitySum += r;
            reliabilityMin = Math.min(reliabilityMin, r);
            reachedBeyondOrigin += Math.max(0, reached[b] - 1);
            lastDeliveryHop = Math.max(lastDeliveryHop, lastHop[b]);
        }
        long[] sorted = Arrays.copyOf(latencyNanos, latencies);
        Arrays.sort(sorted);
        double meanNanos = 0;
        for (long l : sorted) {
            meanNanos += l;
        }
        meanNanos = sorted.length == 0 ? Double.NaN : meanNanos / sorted.length;
        long messages = stats.messagesSent();
        long controlMessages = 0;
        for (long c : control) {
            controlMessages += c;
        }
        double wallSeconds = wallNanos / 1e9;
        return new Result(
                broadcasts,
                live,
                deliveries,
                broadcasts == 0 ? Double.NaN : reliabilitySum / broadcasts,
                reliabilityMin,
                quantileMs(sorted, 0.50),
                quantileMs(sorted, 0.99),
                sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6,
                meanNanos / 1e6,
                lastDeliveryHop,
                messages,
                stats.bytesSent(),
                stats.messagesDropped(),
                broadcasts == 0 ? Double.NaN : (double) messages / broadcasts,
                reachedBeyondOrigin == 0 ? Double.NaN : (double) (messages - controlMessages) / reachedBeyondOrigin - 1,
                stats.events(),
                wallNanos,
                wallNanos <= 0 ? Double.NaN : stats.events() / wallSeconds,
                !countControl ? null : new Control(control[Observation.ControlSent.IHAVE],
                        control[Observation.ControlSent.GRAFT_REPAIR] + control[Observation.ControlSent.GRAFT_OPTIMISE],
                        control[Observation.ControlSent.GRAFT_REPAIR], control[Observation.ControlSent.PRUNE]));
    }

    /** Nearest-rank quantile of sorted nanosecond samples, in milliseconds; NaN if there are none. */
    static double quantileMs(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return Quantiles.nearestRank(sorted, p) / 1e6;
    }

    /**
     * The metrics of one run (see {@link BroadcastMetrics} for definitions). NaN where undefined: no
     * broadcast, no delivery beyond an origin.
     */
    public record Result(
            int broadcasts,
            int liveNodes,
            long deliveries,
            double reliability,
            double reliabilityMin,
            double latencyMsP50,
            double latencyMsP99,
            double latencyMsMax,
            double latencyMsMean,
            int lastDeliveryHop,
            long messages,
            long bytes,
            long messagesDropped,
            double msgsPerOp,
            double rmr,
            long events,
            long wallNanos,
            double eventsPerS,
            Control control) {}

    /**
     * Control messages of a repairing protocol over the measured run (see {@link BroadcastMetrics}).
     *
     * @param ihaves      announcements sent (messages, however many broadcasts each announced)
     * @param grafts      grafts sent: tree repairs plus the optimisation's
     * @param treeRepairs grafts that asked for a broadcast missing after the graft timeout
     * @param prunes      prunes sent
     */
    public record Control(long ihaves, long grafts, long treeRepairs, long prunes) {}
}
