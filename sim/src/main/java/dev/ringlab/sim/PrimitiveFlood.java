package dev.ringlab.sim;

import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.spec.LinkModel;
import dev.ringlab.topology.Overlay;
import java.util.Objects;

/**
 * The speed limit of a simulated flood: the flood of {@link dev.ringlab.node.protocols.Flood} written
 * directly against the simulator's {@link CalendarQueue}, with no node objects, no message objects and no
 * {@link dev.ringlab.node.Env}: a seen bitset, the overlay's CSR rows, and the same per-message link draws
 * as {@link SimCluster} (SplitMix64 from (network seed, sender, receiver, sender's send count)). It pushes
 * and pops exactly the events {@link SimCluster} does for one broadcast from node 0 to quiescence, so it
 * folds the <b>same trace hash</b>; {@code ringlab simbench} checks that, which proves the limit did the
 * same work, and reports the simulator's speed as a ratio to it.
 *
 * <p>It also splits the simulator's time into parts, each measured by a run that does less (see
 * {@link #breakdown}): the event queue alone (the recorded pushes and pops replayed on a fresh queue), the
 * link draws (the limit with recorded instead of drawn latencies), the flood on primitive state (the rest of
 * the limit), and what the simulator adds to the limit: node and message objects, the {@code Env}, the
 * protocol's own state, observation hooks.
 *
 * <p>Only for loss-free link models (a lossy link draws a loss first; the simulator's flood is then not
 * this one) and no engine model: {@link #check} refuses the others.
 */
public final class PrimitiveFlood {
    private final Overlay overlay;
    private final LinkModel link;
    private final long netSeed;
    private final int n;
    private final byte type;

    public PrimitiveFlood(Overlay overlay, SimConfig config) {
        this.overlay = Objects.requireNonNull(overlay, "overlay");
        check(config);
        this.link = config.link();
        this.netSeed = SimCluster.netSeed(config.seed());
        this.n = overlay.size();
        this.type = MessageCodec.type(new Message.Broadcast(1, 0, 0, 0, new byte[0]));
    }

    /** Refuses a configuration whose simulated flood this class does not reproduce. */
    public static void check(SimConfig config) {
        if (config.lossProbability() > 0 || config.processingNanosPerMsg() > 0 || config.model() != null) {
            throw new IllegalArgumentException("the primitive flood models only loss-free links without processing "
                    + "time or engine model");
        }
    }

    /** One timed run. */
    public record Run(long deliveries, long traceHash, long wallNanos, long cpuNanos) {
        public double deliveriesPerSecond() {
            return deliveries / (wallNanos / 1e9);
        }
    }

    /**
     * What a recording run saw: every push's time in push order, and how many pushes followed each pop
     * ({@code pushesAfter[0]} are the origin's, before the first pop).
     */
    public record Recording(long[] pushTimes, short[] pushesAfter, int pops, long traceHash) {}

    /** The flood, timed from the origin's first send to quiescence. */
    public Run run() {
        return flood(null, null, null);
    }

    /**
     * The flood once more, untimed, recording push times and the push/pop interleaving (8 bytes per message
     * and 2 per delivery); {@code messages} and {@code deliveries} size the arrays (a simulator run's counts).
     */
    public Recording record(long messages, long deliveries) {
        if (messages > Integer.MAX_VALUE - 8 || deliveries > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("too many events to record: " + messages);
        }
        long[] times = new long[(int) messages];
        short[] after = new short[(int) deliveries + 1];
        int[] pops = new int[1];
        Run r = flood(times, after, pops);
        return new Recording(times, after, pops[0], r.traceHash());
    }

    /** The flood with the recorded latencies instead of drawn ones: no link draw, no send counter. */
    public Run runWithoutDraws(Recording rec) {
        return flood(null, null, null, rec.pushTimes());
    }

    /** The recorded pushes and pops alone, on a fresh queue: the event queue's share. */
    public Run replayQueue(Recording rec) {
        CalendarQueue q = new CalendarQueue(link.maxNanos(), n);
        long[] times = rec.pushTimes();
        short[] after = rec.pushesAfter();
        long h = SimCluster.TRACE_SEED;
        var bean = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpu0 = bean.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        int k = 0;
        for (int j = 0; j < after[0]; j++, k++) {
            q.push(times[k], k, k, null);
        }
        int pops = 0;
        while (!q.isEmpty()) {
            q.pop();
            h += q.time();
            int m = after[++pops];
            for (int j = 0; j < m; j++, k++) {
                q.push(times[k], k, k, null);
            }
        }
        long wall = System.nanoTime() - t0;
        long cpu = bean.getCurrentThreadCpuTime() - cpu0;
        if (pops != rec.pops()) {
            throw new IllegalStateException("queue replay popped " + pops + " events, the recording " + rec.pops());
        }
        return new Run(pops, h, wall, cpu);
    }

    private Run flood(long[] recTimes, short[] recAfter, int[] recPops) {
        return flood(recTimes, recAfter, recPops, null);
    }

    private Run flood(long[] recTimes, short[] recAfter, int[] recPops, long[] given) {
        CalendarQueue q = new CalendarQueue(link.maxNanos(), n);
        long[] seen = new long[(n + 63) >>> 6];
        int[] sendCount = new int[n];
        SimCluster.MessageRandom random = new SimCluster.MessageRandom();
        Overlay ov = overlay;
        LinkModel lm = link;
        long ns = netSeed;
        long ty = type;
        long h = SimCluster.TRACE_SEED;
        long delivered = 0;
        int pushes = 0;
        int pops = 0;
        var bean = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpu0 = bean.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        // The origin: delivered by the client's request (not folded, as in SimCluster.inject), then relayed.
        seen[0] |= 1L;
        int v = 0;
        int from = -1;
        long now = 0;
        while (true) {
            int start = ov.offset(v);
            int end = start + ov.degree(v);
            int before = pushes;
            rows:
            for (int i = start; i < end; i++) {
                int to = ov.target(i);
                if (to == from || to == v) {
                    continue;
                }
                for (int j = start; j < i; j++) {
                    if (ov.target(j) == to) {
                        continue rows; // a multi-edge: Flood sends once per distinct peer
                    }
                }
                long at;
                if (given != null) {
                    at = given[pushes];
                } else {
                    random.reset(ns, v, to, sendCount[v]++);
                    at = now + lm.sampleNanos(v, to, random);
                }
                if (recTimes != null) {
                    recTimes[pushes] = at;
                }
                pushes++;
                q.push(at, v, to, null);
            }
            if (recAfter != null) {
                recAfter[pops] = (short) (pushes - before);
            }
            // Next first receipt: pop, fold, until an unseen receiver or quiescence.
            boolean next = false;
            while (!q.isEmpty()) {
                q.pop();
                pops++;
                now = q.time();
                int a = q.a();
                int b = q.b();
                delivered++;
                h = SimCluster.fold(h, now, a, b, ty);
                long bit = 1L << b;
                int w = b >>> 6;
                if ((seen[w] & bit) == 0) {
                    seen[w] |= bit;
                    v = b;
                    from = a;
                    next = true;
                    break;
                }
                if (recAfter != null) {
                    recAfter[pops] = 0;
                }
            }
            if (!next) {
                break;
            }
        }
        long wall = System.nanoTime() - t0;
        long cpu = bean.getCurrentThreadCpuTime() - cpu0;
        if (recPops != null) {
            recPops[0] = pops;
        }
        return new Run(delivered, h, wall, cpu);
    }

    /** The simulator's time split into parts, each measured (ns of wall time; see the class doc). */
    public record Breakdown(long queueNanos, long linkDrawNanos, long floodNanos, long nodesAndMessagesNanos,
                            long gcNanos) {}

    /**
     * Splits a simulator run into: the queue replay; the limit minus the limit without draws (link draws and
     * send counters); the limit without draws minus the queue replay (the flood on primitive state: bitset,
     * CSR rows, trace folding); the simulator minus the limit (node and message objects, dispatch through the
     * Env, the protocol's state); and the simulator run's garbage collection. Every argument but
     * {@code simGcNanos} is a run's wall time minus the collections during it, so a collection is counted
     * once, in its own part. The parts add up to the simulator's run exactly, so a difference is kept as measured,
     * below 0 too: the run it subtracts took longer than the run it is taken from (the host's noise, or the
     * simulator outrunning the limit's loop).
     */
    public static Breakdown breakdown(long simNetNanos, long simGcNanos, long limitNetNanos, long withoutDrawsNetNanos,
                                      long queueNetNanos) {
        return new Breakdown(queueNetNanos,
                limitNetNanos - withoutDrawsNetNanos,
                withoutDrawsNetNanos - queueNetNanos,
                simNetNanos - limitNetNanos,
                simGcNanos);
    }
}
