package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.ringlab.node.ClusterStats;
import dev.ringlab.node.Message;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.node.spec.LinkModel;
import dev.ringlab.node.spec.LinkModels;
import dev.ringlab.sim.PrimitiveFlood;
import dev.ringlab.sim.QueueKind;
import dev.ringlab.sim.SimCluster;
import dev.ringlab.sim.SimConfig;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab simbench}: the simulator's speed, measured as a ratio against a naive simulator in the same
 * process. One broadcast is flooded ({@link Flood}) over {@code random-regular:D} (built by
 * {@link Topologies#build(String, int, long)} from the seed); every message is
 * delivered (about n*(d-1) deliveries), once on the fast queue ({@link QueueKind#CALENDAR}) and once on the
 * baseline ({@link QueueKind#PRIORITY_QUEUE} by default: a {@code java.util.PriorityQueue} of event objects),
 * with the same node logic and the same event order, so both runs must end with the same trace hash (exit 1
 * otherwise).
 *
 * <p>Order: a warm-up of both kinds on a small overlay (so neither measured run pays for compiling the
 * shared node logic) and one untimed flood at the measured size on the fast queue (and of the limit), so the
 * measured runs do not pay for touching the heap's pages first; then the fast run, then the baseline. Each
 * measured run builds and starts its nodes, collects garbage, then times inject-to-quiescence on the wall
 * clock and on this thread's CPU clock ({@code speedup_cpu} is the ratio of the latter: less sensitive to
 * other processes on a shared host, but blind to GC threads). {@code *_bytes_per_node} is the heap retained
 * by started nodes (simulator arrays plus the protocol's node objects), measured after a GC. With
 * {@code --memory-probe}, each run is instead stepped one link latency at a time and, whenever the number
 * of pending events reaches a new high, the heap is measured after a GC: that gives retained bytes per node
 * and per in-flight event (and slower wall times, which are then not reported as speeds).
 */
@Command(
        name = "simbench",
        mixinStandardHelpOptions = true,
        header = "Simulator speed: a 10^6-node flood on the calendar queue vs a naive PriorityQueue, same run.",
        description = {
            "Floods one broadcast over random-regular:D with n nodes on the simulator's calendar queue and on a",
            "naive PriorityQueue baseline in the same process; prints deliveries/s of each and the ratio.",
            "Then the primitive-queue limit: the same flood on the same calendar queue with a seen bitset and no",
            "node or message objects (limit_deliveries_per_s, fast_to_limit), and the simulator's time per",
            "delivery split into measured parts (cost_ns_per_delivery: queue, link draws, flood on primitive",
            "state, nodes and messages). Every run must give the same trace hash (exit 1 otherwise).",
            "Progress on stderr.",
            "A measured run under 100 ms is too short to time (as JMH warns): the speeds and ratios",
            "(fast_deliveries_per_s, naive_deliveries_per_s, speedup, speedup_cpu, limit_deliveries_per_s,",
            "fast_to_limit, cost_ns_per_delivery) are then null, measurement_too_short is true and a warning",
            "on stderr names the n to use."
        })
public final class SimBenchCommand implements Callable<Integer> {
    /** Shortest measured run a speed is reported from, in ms (JMH warns below about this much too). */
    static final int MIN_MEASURED_MS = 100;

    @Spec
    CommandSpec spec;

    @Option(names = {"-n", "--nodes"}, description = "Nodes (default: ${DEFAULT-VALUE}).")
    int n = 1_000_000;

    @Option(names = "--degree", description = "Degree D of the random regular overlay, even (default: ${DEFAULT-VALUE}).")
    int degree = 8;

    @Option(names = "--seed", description = "Root seed of graph and simulation (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--latency", description = "Link latency spec (default: ${DEFAULT-VALUE}).")
    String latency = "const:1ms";

    @Option(names = "--baseline", description = "Baseline queue: priority-queue, binary-heap or none (default: ${DEFAULT-VALUE}).")
    String baseline = "priority-queue";

    @Option(names = "--memory-probe", description = "Measure retained heap per node and per in-flight event (slower).")
    boolean memoryProbe;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Option(names = "--limit", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Also run the primitive-queue limit (the same flood on the same calendar queue with a "
                    + "seen bitset and no node or message objects; it must fold the same trace hash) and split the "
                    + "simulator's time into queue, link draws, flood on primitive state, nodes and messages, and GC "
                    + "(default: on; --no-limit skips it; off with --memory-probe).")
    boolean limit = true;

    @Option(names = "--repeat", paramLabel = "K",
            description = "Measure the simulator's flood (and the limit's, unless --no-limit) K times in this JVM, "
                    + "alternating, and also report each run's speeds and their medians (fast_deliveries_per_s_each, "
                    + "limit_deliveries_per_s_each, fast_to_limit_each, *_median). The ratio of two floods measured "
                    + "back to back in one JVM moves less than either speed on a shared host. 1 to 50 (default: "
                    + "${DEFAULT-VALUE}); not with --memory-probe.")
    int repeat = 1;

    @Override
    public Integer call() throws Exception {
        if (n < 3) {
            throw new UsageException("--nodes", "need at least 3 nodes, got " + n);
        }
        if (degree < 2 || (degree & 1) != 0 || degree >= n) {
            throw new UsageException("--degree", "need an even degree in 2.." + (n - 1) + ", got " + degree);
        }
        LinkModel link;
        try {
            link = LinkModels.parse(latency);
        } catch (IllegalArgumentException e) {
            throw new UsageException("--latency", e.getMessage());
        }
        if (repeat < 1 || repeat > 50) {
            throw new UsageException("--repeat", "need 1 to 50 runs, got " + repeat);
        }
        if (repeat > 1 && memoryProbe) {
            throw new UsageException("--repeat", "not with --memory-probe, whose runs are stepped and not timed");
        }
        QueueKind baselineKind = null;
        if (!baseline.equalsIgnoreCase("none")) {
            try {
                baselineKind = QueueKind.parse(baseline);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--baseline", e.getMessage() + " or none");
            }
        }
        PrintWriter err = spec.commandLine().getErr();
        SimConfig config = new SimConfig(seed, link, 0, 0);
        err.printf("simbench: n=%d degree=%d %s baseline=%s%n", n, degree, config,
                baselineKind == null ? "none" : baselineKind.label());

        long t0 = System.nanoTime();
        Overlay overlay = Topologies.build("random-regular:" + degree, n, seed);
        long buildMs = (System.nanoTime() - t0) / 1_000_000;
        err.printf("simbench: built %s in %d ms%n", overlay, buildMs);

        boolean runLimit = limit && !memoryProbe;
        Overlay small = Topologies.build("random-regular:" + degree, Math.min(n, 20_000), seed + 1);
        for (int i = 0; i < 2; i++) {
            flood(small, config, QueueKind.CALENDAR, false, null);
            if (baselineKind != null) {
                flood(small, config, baselineKind, false, null);
            }
            if (runLimit) {
                Limit.measure(small, config, flood(small, config, QueueKind.CALENDAR, false, null), null);
            }
        }
        if (!memoryProbe) {
            // One untimed flood at the measured size too: the first run at full size was the slowest in every JVM
            // (in one, 5.89 M/s against 8.9-9.2 for the seven after it, and the limit's first 9.8 against 14.0-14.7),
            // paying for the heap pages it was the first to touch and for the code it compiled.
            flood(overlay, config, QueueKind.CALENDAR, false, null);
            if (runLimit) {
                System.gc();
                new PrimitiveFlood(overlay, config).run();
            }
        }
        err.println("simbench: warmed up");

        Run fast = flood(overlay, config, QueueKind.CALENDAR, memoryProbe, err);
        Run slow = baselineKind == null ? null : flood(overlay, config, baselineKind, memoryProbe, err);
        Limit lim = runLimit ? Limit.measure(overlay, config, fast, err) : null;
        Repeats reps = repeat > 1 ? Repeats.measure(repeat, overlay, config, fast, lim, err) : null;

        // Like JMH, do not report a speed from a run too short to time: at 0.58 ms a timer tick, one JIT
        // compilation or one GC pause is the figure (a 5.65x "speed-up" was printed from such a run).
        double shortestMs = Math.min(Math.min(fast.wallNanos, slow == null ? Long.MAX_VALUE : slow.wallNanos),
                lim == null ? Long.MAX_VALUE : Math.min(lim.limit.wallNanos(), lim.queue.wallNanos())) / 1e6;
        if (reps != null) {
            shortestMs = Math.min(shortestMs, reps.shortestNanos() / 1e6);
        }
        boolean tooShort = !memoryProbe && shortestMs < MIN_MEASURED_MS;
        if (tooShort) {
            long suggest = Math.min(Integer.MAX_VALUE, (long) Math.ceil(n * MIN_MEASURED_MS / Math.max(shortestMs, 1e-3) / 10_000) * 10_000);
            err.printf(Locale.ROOT, "simbench: warning: a measured run took %.2f ms, under %d ms: too short to time "
                    + "(timer, JIT and GC noise dominate); deliveries_per_s and speedup are not reported; use -n %d or more%n",
                    shortestMs, MIN_MEASURED_MS, suggest);
        }

        Map<String, Object> out = new LinkedHashMap<>();
        out.put("engine", "sim");
        out.put("seed", seed);
        out.put("nodes", n);
        out.put("topology", "random-regular:" + degree);
        out.put("protocol", "flood");
        out.put("latency", link.spec());
        out.put("order", "warm-up (both kinds, n=" + small.size() + ", twice"
                + (memoryProbe ? "" : "; then one untimed flood at n=" + n + " on the calendar queue"
                        + (runLimit ? " and one of the limit" : ""))
                + "), then fast, then baseline" + (runLimit ? ", then the limit" : "")
                + (repeat > 1 ? ", then " + (repeat - 1) + " more of fast" + (runLimit ? " and limit" : "") : "")
                + "; each measured run: build and start nodes, GC, then time inject to quiescence");
        out.put("graph_build_ms", buildMs);
        out.put("deliveries", fast.stats.messagesDelivered());
        out.put("messages_sent", fast.stats.messagesSent());
        out.put("fast_queue", QueueKind.CALENDAR.label());
        out.put("fast_wall_ms", fast.wallNanos / 1e6);
        out.put("measurement_too_short", tooShort);
        if (!memoryProbe) {
            out.put("fast_deliveries_per_s", tooShort ? null : fast.deliveriesPerSecond());
        }
        out.put("fast_cpu_ms", fast.cpuNanos / 1e6);
        out.put("fast_gc_ms", fast.gcMillis);
        out.put("fast_peak_heap_used_mb", fast.peakHeapBytes / 1e6);
        out.put("fast_bytes_per_node", Math.round(fast.bytesPerNode));
        out.put("peak_pending_events", fast.peakPending);
        if (slow != null) {
            out.put("naive_queue", baselineKind.label());
            out.put("naive_wall_ms", slow.wallNanos / 1e6);
            if (!memoryProbe) {
                out.put("naive_deliveries_per_s", tooShort ? null : slow.deliveriesPerSecond());
                out.put("speedup", tooShort ? null : fast.deliveriesPerSecond() / slow.deliveriesPerSecond());
            }
            out.put("naive_cpu_ms", slow.cpuNanos / 1e6);
            out.put("naive_gc_ms", slow.gcMillis);
            out.put("naive_peak_heap_used_mb", slow.peakHeapBytes / 1e6);
            out.put("naive_bytes_per_node", Math.round(slow.bytesPerNode));
            if (!memoryProbe) {
                out.put("speedup_cpu", tooShort ? null : slow.cpuNanos / (double) fast.cpuNanos);
            }
        }
        if (memoryProbe) {
            out.put("fast_bytes_per_inflight_event", Math.round(fast.bytesPerEvent * 10) / 10.0);
            if (slow != null) {
                out.put("naive_bytes_per_inflight_event", Math.round(slow.bytesPerEvent * 10) / 10.0);
            }
        }
        if (lim != null) {
            lim.report(out, fast, tooShort);
        }
        if (reps != null) {
            reps.report(out, tooShort);
        }
        out.put("trace_hash", hex(fast.traceHash));
        boolean same = (slow == null || slow.traceHash == fast.traceHash)
                && (lim == null || lim.limit.traceHash() == fast.traceHash)
                && (reps == null || reps.allFold(fast.traceHash));
        if (slow != null) {
            out.put("trace_hash_naive", hex(slow.traceHash));
        }
        if (lim != null) {
            out.put("trace_hash_limit", hex(lim.limit.traceHash()));
        }
        out.put("trace_hashes_equal", same);
        out.put("jvm", Runtime.version().toString());
        out.put("jvm_args", ManagementFactory.getRuntimeMXBean().getInputArguments());
        out.put("max_heap_mb", Runtime.getRuntime().maxMemory() / 1e6);

        PrintWriter stdout = spec.commandLine().getOut();
        if (json) {
            stdout.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(out));
        } else {
            out.forEach((k, v) -> stdout.printf("%-32s %s%n", k, v instanceof Double d ? String.format("%.3f", d) : v));
        }
        stdout.flush();
        if (!same) {
            err.println("simbench: trace hashes differ: the runs delivered events in different orders; replay with: "
                    + "ringlab simbench -n " + n + " --degree " + degree + " --seed " + seed + " --latency " + latency);
            return 1;
        }
        return 0;
    }

    /**
     * The primitive-queue limit ({@link PrimitiveFlood}) of the same flood, and the simulator's run split
     * into measured parts. Runs in order: the limit (timed), a recording run (untimed), the limit with the
     * recorded latencies (no draws), the queue alone on the recorded pushes and pops; a GC before each.
     */
    record Limit(PrimitiveFlood.Run limit, PrimitiveFlood.Run withoutDraws, PrimitiveFlood.Run queue, long[] gcMs) {
        static Limit measure(Overlay overlay, SimConfig config, Run fast, PrintWriter err) {
            PrimitiveFlood pf = new PrimitiveFlood(overlay, config);
            long[] gc = new long[3];
            System.gc();
            long g = gcMillis();
            PrimitiveFlood.Run limit = pf.run();
            gc[0] = gcMillis() - g;
            PrimitiveFlood.Recording rec = pf.record(fast.stats.messagesSent(), fast.stats.messagesDelivered());
            System.gc();
            g = gcMillis();
            PrimitiveFlood.Run noDraws = pf.runWithoutDraws(rec);
            gc[1] = gcMillis() - g;
            System.gc();
            g = gcMillis();
            PrimitiveFlood.Run queue = pf.replayQueue(rec);
            gc[2] = gcMillis() - g;
            if (err != null) {
                err.printf(Locale.ROOT, "simbench: limit: %d deliveries in %.0f ms wall (%.2f M/s), without draws %.0f ms,"
                                + " queue alone %.0f ms, trace %s%n", limit.deliveries(), limit.wallNanos() / 1e6,
                        limit.deliveriesPerSecond() / 1e6, noDraws.wallNanos() / 1e6, queue.wallNanos() / 1e6,
                        hex(limit.traceHash()));
                err.flush();
            }
            return new Limit(limit, noDraws, queue, gc);
        }

        void report(Map<String, Object> out, Run fast, boolean tooShort) {
            out.put("limit_wall_ms", limit.wallNanos() / 1e6);
            out.put("limit_cpu_ms", limit.cpuNanos() / 1e6);
            out.put("limit_deliveries_per_s", tooShort ? null : limit.deliveriesPerSecond());
            out.put("fast_to_limit", tooShort ? null : fast.deliveriesPerSecond() / limit.deliveriesPerSecond());
            out.put("limit_gc_ms", gcMs[0]);
            PrimitiveFlood.Breakdown b = PrimitiveFlood.breakdown(fast.wallNanos - fast.gcMillis * 1_000_000,
                    fast.gcMillis * 1_000_000, limit.wallNanos() - gcMs[0] * 1_000_000,
                    withoutDraws.wallNanos() - gcMs[1] * 1_000_000, queue.wallNanos() - gcMs[2] * 1_000_000);
            double per = fast.stats.messagesDelivered();
            Map<String, Object> ns = new LinkedHashMap<>();
            ns.put("queue", b.queueNanos() / per);
            ns.put("link_draws", b.linkDrawNanos() / per);
            ns.put("flood_on_primitive_state", b.floodNanos() / per);
            ns.put("nodes_and_messages", b.nodesAndMessagesNanos() / per);
            ns.put("gc", b.gcNanos() / per);
            ns.put("total", fast.wallNanos / per);
            out.put("cost_ns_per_delivery", tooShort ? null : ns);
        }
    }

    /**
     * {@code --repeat K}: the first measured runs and K - 1 more pairs, the simulator's flood then the limit's
     * (timed only, no breakdown), each on its own fresh cluster after a GC.
     */
    record Repeats(double[] fast, double[] limit, long[] hashes, long shortestNanos) {
        static Repeats measure(int k, Overlay overlay, SimConfig config, Run first, Limit firstLimit, PrintWriter err) {
            double[] fast = new double[k];
            double[] lim = firstLimit == null ? null : new double[k];
            long[] hashes = new long[2 * k];
            fast[0] = first.deliveriesPerSecond();
            hashes[0] = first.traceHash;
            long shortest = first.wallNanos;
            if (firstLimit != null) {
                lim[0] = firstLimit.limit.deliveriesPerSecond();
                hashes[1] = firstLimit.limit.traceHash();
                shortest = Math.min(shortest, firstLimit.limit.wallNanos());
            } else {
                hashes[1] = first.traceHash;
            }
            for (int i = 1; i < k; i++) {
                Run r = flood(overlay, config, QueueKind.CALENDAR, false, null);
                fast[i] = r.deliveriesPerSecond();
                hashes[2 * i] = r.traceHash;
                shortest = Math.min(shortest, r.wallNanos);
                String limitText = "";
                if (lim != null) {
                    System.gc();
                    PrimitiveFlood.Run l = new PrimitiveFlood(overlay, config).run();
                    lim[i] = l.deliveriesPerSecond();
                    hashes[2 * i + 1] = l.traceHash();
                    shortest = Math.min(shortest, l.wallNanos());
                    limitText = String.format(Locale.ROOT, ", limit %.2f M/s, ratio %.3f", lim[i] / 1e6,
                            fast[i] / lim[i]);
                } else {
                    hashes[2 * i + 1] = r.traceHash;
                }
                err.printf(Locale.ROOT, "simbench: repeat %d of %d: calendar %.2f M/s%s%n", i + 1, k, fast[i] / 1e6,
                        limitText);
                err.flush();
            }
            return new Repeats(fast, lim, hashes, shortest);
        }

        boolean allFold(long hash) {
            for (long h : hashes) {
                if (h != hash) {
                    return false;
                }
            }
            return true;
        }

        void report(Map<String, Object> out, boolean tooShort) {
            out.put("repeats", fast.length);
            out.put("fast_deliveries_per_s_each", tooShort ? null : list(fast));
            out.put("fast_deliveries_per_s_median", tooShort ? null : median(fast));
            if (limit != null) {
                double[] ratio = new double[fast.length];
                for (int i = 0; i < ratio.length; i++) {
                    ratio[i] = fast[i] / limit[i];
                }
                out.put("limit_deliveries_per_s_each", tooShort ? null : list(limit));
                out.put("limit_deliveries_per_s_median", tooShort ? null : median(limit));
                out.put("fast_to_limit_each", tooShort ? null : list(ratio));
                out.put("fast_to_limit_median", tooShort ? null : median(ratio));
            }
        }

        /** A list, so the text output prints the values (an array would print as its identity). */
        private static java.util.List<Double> list(double[] xs) {
            return java.util.Arrays.stream(xs).boxed().toList();
        }

        private static double median(double[] xs) {
            return new org.apache.commons.math3.stat.descriptive.rank.Median().evaluate(xs);
        }
    }

    private static String hex(long h) {
        return String.format("%016x", h);
    }

    /** What one flood run measured. */
    record Run(ClusterStats stats, long traceHash, long wallNanos, long cpuNanos, long gcMillis, long peakHeapBytes,
               int peakPending,
               double bytesPerNode, double bytesPerEvent) {
        double deliveriesPerSecond() {
            return stats.messagesDelivered() / (wallNanos / 1e9);
        }
    }

    /**
     * Floods one broadcast from node 0 over {@code overlay} to quiescence on {@code kind}; times the run
     * (start, inject, drain) on the wall clock. With {@code probe}, steps one max-latency at a time and
     * measures retained heap (after GC) at each new high of pending events.
     */
    static Run flood(Overlay overlay, SimConfig config, QueueKind kind, boolean probe, PrintWriter err) {
        System.gc();
        long heapBefore = usedHeap();
        resetPeaks();
        SimCluster sim = new SimCluster(overlay, Flood.PROTOCOL, config, kind);
        sim.start();
        // Start the clock on a settled heap: the nodes just built are compacted in allocation order, as they
        // would be after the first old-generation collection of any long run.
        System.gc();
        long withNodes = usedHeap();
        double bytesPerNode = (withNodes - heapBefore) / (double) overlay.size();
        double bytesPerEvent = Double.NaN;
        long gc0 = gcMillis();
        long cpu0 = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        if (probe) {
            sim.inject(0, new Message.Inject(1, new byte[0]));
            long step = Math.max(1, config.link().maxNanos());
            int best = 0;
            long bestBytes = 0;
            while (sim.pendingEvents() > 0) {
                sim.runFor(step);
                if (sim.pendingEvents() > best) {
                    best = sim.pendingEvents();
                    System.gc();
                    bestBytes = usedHeap() - withNodes;
                }
            }
            bytesPerEvent = best == 0 ? Double.NaN : bestBytes / (double) best;
        } else {
            sim.inject(0, new Message.Inject(1, new byte[0]));
            sim.runToQuiescence();
        }
        long wall = System.nanoTime() - t0;
        long cpu = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - cpu0;
        Run r = new Run(sim.stats(), sim.traceHash().orElseThrow(), wall, cpu, gcMillis() - gc0, peakHeap(),
                sim.peakPendingEvents(), bytesPerNode, bytesPerEvent);
        sim.close();
        if (err != null) {
            err.printf("simbench: %s: %d deliveries in %.0f ms wall (%.2f M/s), %.0f ms cpu of this thread, %d ms gc,"
                            + " peak pending %d, trace %s%n", kind.label(), r.stats.messagesDelivered(), wall / 1e6,
                    r.deliveriesPerSecond() / 1e6, cpu / 1e6, r.gcMillis, r.peakPending, hex(r.traceHash));
            err.flush();
        }
        return r;
    }

    private static long gcMillis() {
        long sum = 0;
        for (var gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            sum += Math.max(0, gc.getCollectionTime());
        }
        return sum;
    }

    private static long usedHeap() {
        Runtime rt = Runtime.getRuntime();
        return rt.totalMemory() - rt.freeMemory();
    }

    private static void resetPeaks() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    /** Sum of the heap pools' peak usage since the last reset: an upper bound on the peak heap used. */
    private static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                sum += pool.getPeakUsage().getUsed();
            }
        }
        return sum;
    }
}
