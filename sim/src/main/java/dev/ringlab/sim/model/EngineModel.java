package dev.ringlab.sim.model;

import dev.ringlab.node.TimerLateness;
import dev.ringlab.node.spec.LinkModel;
import dev.ringlab.node.spec.LinkModels;
import dev.ringlab.node.spec.Redial;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;

/**
 * A calibrated model of a real engine's resources, which the simulator applies on top of its links
 * ({@code --model calibrated:DIR}). Every part is optional (null: not modelled, the plain simulator's
 * behaviour for that part). Without a model the simulator runs exactly as before: same draws, same trace
 * hash.
 *
 * @param engine  the real engine this models ({@code netty} or {@code processes}), for reports
 * @param hotLink one-way latency of a link between busy nodes, without the nodes' own service time (the
 *                simulator's link model when the run gives no {@code --latency}); null: the run's links
 * @param cpu     executors, cores and per-message service times; null: nodes are infinitely fast (or the
 *                run's {@code --processing})
 * @param wake    extra latency of a message that reaches an idle executor; null: none
 * @param cold    extra time of an executor's first message after it was quiet, growing with how long it was
 *                quiet (needs {@code cpu}); null: none
 * @param restart the delay before a restarted node's links are up again; null: at once
 * @param load    how much less an executor's messages cost while it handles many of them per second (needs
 *                {@code cpu}); null: every message costs {@code cpu}'s times
 * @param machine where the calibration was made (cores, java, load average), for the "different machine"
 *                warning; never read by the simulator
 * @param dir     the calibration directory it was loaded from (null: built in code), so a run records it
 * @param timers  how late the nodes' timers fire, by the age of their incarnation; null: on time
 */
public record EngineModel(String engine, LinkModel hotLink, Cpu cpu, Wake wake, Cold cold, Restart restart,
        Map<String, String> machine, Path dir, Load load, Timers timers) {
    /** A model without the timer part. */
    public EngineModel(String engine, LinkModel hotLink, Cpu cpu, Wake wake, Cold cold, Restart restart,
            Map<String, String> machine, Path dir, Load load) {
        this(engine, hotLink, cpu, wake, cold, restart, machine, dir, load, null);
    }

    /** A model without the load part, loaded from {@code dir}. */
    public EngineModel(String engine, LinkModel hotLink, Cpu cpu, Wake wake, Cold cold, Restart restart, Map<String, String> machine,
            Path dir) {
        this(engine, hotLink, cpu, wake, cold, restart, machine, dir, null);
    }

    /** A model built in code, from no directory. */
    public EngineModel(String engine, LinkModel hotLink, Cpu cpu, Wake wake, Cold cold, Restart restart, Map<String, String> machine) {
        this(engine, hotLink, cpu, wake, cold, restart, machine, null);
    }

    /** A model without the cold-start part, built in code. */
    public EngineModel(String engine, LinkModel hotLink, Cpu cpu, Wake wake, Restart restart, Map<String, String> machine) {
        this(engine, hotLink, cpu, wake, null, restart, machine, null);
    }

    /** The file in a calibration directory that holds the model. */
    public static final String FILE = "model.properties";

    public EngineModel {
        Objects.requireNonNull(engine, "engine");
        machine = Map.copyOf(machine == null ? Map.of() : machine);
        if (load != null && cpu == null) {
            throw new IllegalArgumentException("load.* needs the cpu.* part (it scales the service times)");
        }
    }

    /** This model with {@code load} as its load part. */
    public EngineModel withLoad(Load load) {
        return new EngineModel(engine, hotLink, cpu, wake, cold, restart, machine, dir, load, timers);
    }

    /** This model with {@code timers} as its timer part. */
    public EngineModel withTimers(Timers timers) {
        return new EngineModel(engine, hotLink, cpu, wake, cold, restart, machine, dir, load, timers);
    }

    /**
     * With a timer part, how long the engine this model was calibrated on runs before an experiment measures on it
     * ({@link dev.ringlab.node.spec.Timing#warmupNanos} for {@code n} nodes: 2 s on netty and processes), so that a
     * simulated node is as old when measuring starts, and has been as late on its first timers, as a real one;
     * 0 without a timer part (timers fire on time, and age changes nothing) or for another engine.
     */
    public long warmupNanos(int n) {
        return timers == null || !(engine.equals("netty") || engine.equals("processes")) ? 0
                : dev.ringlab.node.spec.Timing.forEngine(engine, Math.max(2, n), 0).warmupNanos();
    }

    /**
     * Timers: a real node's timer runs late by as long as its thread is busy or descheduled when the timer is due, and
     * far more in its JVM's first seconds (class loading, compilation) than later. Measured on this 2-core VM
     * (processes, 16 JVMs on a healing ring, 2026-12-06): heartbeat timers came 2 ms late at the median and up to 65 ms
     * in each JVM's first 2 s, 0.16 ms at the median and 3 ms at p99 after it. A late tick matters beyond its own
     * delay: the healing ring widens its suspicion limit by twice its own recent stalls (remembered for 10 s), so a
     * node that stalled 40 ms while starting suspects a crashed successor a heartbeat later seconds afterwards, and
     * the ring's nodes drift out of step. The model draws each timer's lateness (timers of at least
     * {@link TimerLateness#MIN_DELAY_NANOS}) from the quantiles measured for its incarnation's age class, from a
     * stream of its own per node: nothing else moves.
     *
     * <p>How late depends on how many nodes share the machine (on processes, how many JVMs compile at once on its
     * cores), so the part keeps a table per measured cluster size ({@code nodes}), and a run of n nodes draws from the
     * table {@link #forNodes} interpolates: each quantile linear in n between the two measured sizes around n, the
     * nearest size's outside them.
     *
     * @param ageBoundsNanos upper bounds of the age classes but the last, ascending ({@link TimerLateness#AGE_BOUNDS_NANOS})
     * @param nodes          the cluster sizes measured, ascending (one entry 0: a table for any size)
     * @param lateNanos      per size, per age class, the lateness at the quantiles 0, 1/(k-1), ..., 1 (k >= 2 values,
     *                       ascending; a class has the same k at every size)
     */
    public record Timers(long[] ageBoundsNanos, int[] nodes, long[][][] lateNanos) {
        public Timers {
            if (nodes.length == 0 || nodes.length != lateNanos.length) {
                throw new IllegalArgumentException("timer model: one quantile table per cluster size, got " + nodes.length
                        + " sizes and " + lateNanos.length + " tables");
            }
            for (int i = 0; i < nodes.length; i++) {
                if (nodes[i] < 0 || (i > 0 && nodes[i] <= nodes[i - 1])) {
                    throw new IllegalArgumentException("timer model: sizes must be >= 0 and ascending, got "
                            + java.util.Arrays.toString(nodes));
                }
            }
            for (int i = 0; i < ageBoundsNanos.length; i++) {
                if (ageBoundsNanos[i] <= 0 || (i > 0 && ageBoundsNanos[i] <= ageBoundsNanos[i - 1])) {
                    throw new IllegalArgumentException("timer model: age bounds must be > 0 and ascending, got "
                            + java.util.Arrays.toString(ageBoundsNanos));
                }
            }
            long[][][] copy = new long[lateNanos.length][][];
            for (int t = 0; t < lateNanos.length; t++) {
                if (lateNanos[t].length != ageBoundsNanos.length + 1) {
                    throw new IllegalArgumentException("timer model: " + (ageBoundsNanos.length + 1) + " age classes need as "
                            + "many quantile lists, got " + lateNanos[t].length);
                }
                copy[t] = new long[lateNanos[t].length][];
                for (int a = 0; a < lateNanos[t].length; a++) {
                    long[] q = lateNanos[t][a];
                    if (q == null || q.length < 2 || q.length != lateNanos[0][a].length) {
                        throw new IllegalArgumentException("timer model: age class " + a + " needs at least 2 quantiles, as "
                                + "many at every size");
                    }
                    for (int i = 0; i < q.length; i++) {
                        if (q[i] < 0 || (i > 0 && q[i] < q[i - 1])) {
                            throw new IllegalArgumentException("timer model: age class " + a + "'s lateness must be >= 0 and "
                                    + "ascending, got " + java.util.Arrays.toString(q));
                        }
                    }
                    copy[t][a] = q.clone();
                }
            }
            ageBoundsNanos = ageBoundsNanos.clone();
            nodes = nodes.clone();
            lateNanos = copy;
        }

        /** One table, for any cluster size. */
        public Timers(long[] ageBoundsNanos, long[][] lateNanos) {
            this(ageBoundsNanos, new int[] {0}, new long[][][] {lateNanos});
        }

        /** The table for a cluster of {@code n} nodes (see the class doc), as a part with that one size. */
        public Timers forNodes(int n) {
            int hi = 0;
            while (hi < nodes.length && nodes[hi] < n) {
                hi++;
            }
            long[][] table;
            if (hi == 0 || nodes.length == 1) {
                table = lateNanos[0];
            } else if (hi == nodes.length) {
                table = lateNanos[nodes.length - 1];
            } else {
                double w = (double) (n - nodes[hi - 1]) / (nodes[hi] - nodes[hi - 1]);
                long[][] a = lateNanos[hi - 1];
                long[][] b = lateNanos[hi];
                table = new long[a.length][];
                for (int c = 0; c < a.length; c++) {
                    table[c] = new long[a[c].length];
                    for (int i = 0; i < a[c].length; i++) {
                        table[c][i] = Math.round(a[c][i] + w * (b[c][i] - a[c][i]));
                    }
                }
            }
            return new Timers(ageBoundsNanos, new int[] {n}, new long[][][] {table});
        }

        /**
         * The lateness of a timer due at incarnation age {@code ageNanos}, for a draw {@code u} in [0, 1), from the
         * part's only table ({@link #forNodes} picks one).
         *
         * @throws IllegalStateException if the part has a table per size
         */
        public long lateNanos(long ageNanos, double u) {
            if (nodes.length != 1) {
                throw new IllegalStateException("timer model: " + nodes.length + " sizes: pick one with forNodes(n)");
            }
            int a = 0;
            while (a < ageBoundsNanos.length && ageNanos >= ageBoundsNanos[a]) {
                a++;
            }
            long[] q = lateNanos[0][a];
            double x = u * (q.length - 1);
            int i = Math.min((int) x, q.length - 2);
            double w = x - i;
            return Math.round(q[i] + w * (q[i + 1] - q[i]));
        }

        /** The median lateness of age class {@code a} in table {@code t}. */
        public long medianNanos(int t, int a) {
            long[] q = lateNanos[t][a];
            double x = 0.5 * (q.length - 1);
            int i = Math.min((int) x, q.length - 2);
            return Math.round(q[i] + (x - i) * (q[i + 1] - q[i]));
        }

        @Override
        public long[] ageBoundsNanos() {
            return ageBoundsNanos.clone();
        }

        @Override
        public int[] nodes() {
            return nodes.clone();
        }

        @Override
        public long[][][] lateNanos() {
            long[][][] out = new long[lateNanos.length][][];
            for (int t = 0; t < out.length; t++) {
                out[t] = new long[lateNanos[t].length][];
                for (int a = 0; a < out[t].length; a++) {
                    out[t][a] = lateNanos[t][a].clone();
                }
            }
            return out;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Timers t && java.util.Arrays.equals(ageBoundsNanos, t.ageBoundsNanos)
                    && java.util.Arrays.equals(nodes, t.nodes) && java.util.Arrays.deepEquals(lateNanos, t.lateNanos);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * java.util.Arrays.hashCode(ageBoundsNanos) + java.util.Arrays.hashCode(nodes))
                    + java.util.Arrays.deepHashCode(lateNanos);
        }

        @Override
        public String toString() {
            return "Timers[ages=" + java.util.Arrays.toString(ageBoundsNanos) + ", nodes=" + java.util.Arrays.toString(nodes)
                    + ", late=" + java.util.Arrays.deepToString(lateNanos) + "]";
        }
    }

    /**
     * Load: a real event loop that handles many messages per second spends less CPU on each than one that handles a
     * message now and then. On this 2-core VM (netty, 2026-12-06) the event loops' CPU per message was 13.7-14.0 us
     * at 8,000-11,000 messages per second per loop (hypercube:64 at 100 broadcasts/s, complete:16 at 200/s), 7.1 and
     * 4.5 us at 56,000 and 80,000 (complete:16 at 1,000/s, hypercube:64 at 1,000/s) and 2.2-2.3 us at 160,000-170,000
     * (either at 2,000-3,000/s): the same curve on both topologies. {@code cpu}'s times come from isolated floods, the
     * left end of it. Why it falls is not measured here; fewer parked-thread wake-ups and warm caches are the likely
     * part. The model keeps, per executor, a rate estimate (an exponentially decaying count of the messages and
     * client requests it handled, time constant {@code windowNanos}, plus those waiting in its inbox) and multiplies a
     * handler's receive, send and wake-send times, and a delivery's cold-start penalties, by {@link #factor} of the
     * rate before it: all of the CPU the model charges per message.
     *
     * <p><b>The quiet end.</b> {@code cpu}'s times are anchored on a stream ({@code calibrate} scales them to the first
     * load stream's CPU per message), so the curve's own left end, a loop woken for each message after a quiet spell,
     * is a separate figure: {@code quietFactor}, the factor on the receive, send and wake-send times at rate 0 (linear
     * from it to {@code factor[0]} at the first rate). On this 2-core VM (netty, 2026-12-07) the event loops spent
     * 10.8 us per message on complete:16 at 4 broadcasts/s, 13.1 on random-regular:4 at 64 nodes and 21.1 on a
     * 64-node ring, where a model without it charged 7.8, 7.4 and 12.2, and its broadcasts came out 26-33 % early.
     * The cold-start penalties are not scaled by it: they were measured after quiet, so the quiet is in them already.
     *
     * @param windowNanos time constant of each executor's rate estimate, > 0
     * @param ratePerS    executor rates (messages per second), ascending, all > 0
     * @param factor      the factor on the service times at each rate, > 0; 1 at rate 0, linear in between, the last
     *                    one beyond the last rate
     * @param quietFactor the factor on the service times (not on the cold-start penalties) at rate 0, > 0; 1: none
     *                    (files written before it existed)
     */
    public record Load(long windowNanos, double[] ratePerS, double[] factor, double quietFactor) {
        /** A load part without a quiet factor (1). */
        public Load(long windowNanos, double[] ratePerS, double[] factor) {
            this(windowNanos, ratePerS, factor, 1);
        }

        public Load {
            if (!(quietFactor > 0) || !Double.isFinite(quietFactor)) {
                throw new IllegalArgumentException("load model: quiet_factor must be > 0, got " + quietFactor);
            }
            if (windowNanos <= 0) {
                throw new IllegalArgumentException("load model: window_ns must be > 0, got " + windowNanos);
            }
            if (ratePerS.length == 0 || ratePerS.length != factor.length) {
                throw new IllegalArgumentException("load model: rate_per_s and factor need the same, non-zero number of values");
            }
            for (int i = 0; i < ratePerS.length; i++) {
                if (!(ratePerS[i] > 0) || (i > 0 && ratePerS[i] <= ratePerS[i - 1]) || !(factor[i] > 0)
                        || !Double.isFinite(ratePerS[i]) || !Double.isFinite(factor[i])) {
                    throw new IllegalArgumentException("load model: rates must be > 0 and ascending, factors > 0; got rates "
                            + java.util.Arrays.toString(ratePerS) + " factors " + java.util.Arrays.toString(factor));
                }
            }
            ratePerS = ratePerS.clone();
            factor = factor.clone();
        }

        /** The factor on the cold-start penalties at executor rate {@code rate} (messages per second): 1 at rate 0. */
        public double factor(double rate) {
            return factor(rate, 1);
        }

        /**
         * The factor on the receive, send and wake-send times at executor rate {@code rate}: {@link #factor(double)}
         * with {@link #quietFactor} at rate 0.
         */
        public double serviceFactor(double rate) {
            return factor(rate, quietFactor);
        }

        private double factor(double rate, double atZero) {
            if (rate <= 0) {
                return atZero;
            }
            if (rate < ratePerS[0]) {
                return atZero + (factor[0] - atZero) * rate / ratePerS[0];
            }
            for (int i = 1; i < ratePerS.length; i++) {
                if (rate < ratePerS[i]) {
                    double w = (rate - ratePerS[i - 1]) / (ratePerS[i] - ratePerS[i - 1]);
                    return factor[i - 1] + w * (factor[i] - factor[i - 1]);
                }
            }
            return factor[factor.length - 1];
        }

        @Override
        public double[] ratePerS() {
            return ratePerS.clone();
        }

        @Override
        public double[] factor() {
            return factor.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Load l && windowNanos == l.windowNanos && java.util.Arrays.equals(ratePerS, l.ratePerS)
                    && java.util.Arrays.equals(factor, l.factor) && Double.compare(quietFactor, l.quietFactor) == 0;
        }

        @Override
        public int hashCode() {
            return 31 * (31 * (31 * Long.hashCode(windowNanos) + java.util.Arrays.hashCode(ratePerS)) + java.util.Arrays.hashCode(factor))
                    + Double.hashCode(quietFactor);
        }

        @Override
        public String toString() {
            return "Load[window=" + windowNanos + "ns, rates=" + java.util.Arrays.toString(ratePerS) + ", factors="
                    + java.util.Arrays.toString(factor) + ", quiet=" + quietFactor + "]";
        }
    }

    /**
     * How the real engine runs node logic: nodes pinned to executors (event-loop threads), each executor
     * handling one message at a time, all executors sharing {@code cores} cores.
     *
     * @param executors   event-loop threads shared by the nodes; 0: one executor per node (one JVM per node,
     *                    the processes engine)
     * @param cores       cores the executors share (at most this many messages are handled at once)
     * @param recvNanos   service time of handling one delivered message (read, decode, handler)
     * @param sendNanos   service time of one send made by a handler (encode, write); the send leaves when it
     *                    is done, so a handler's k-th send leaves after {@code recv + k·send}
     * @param blocks      how nodes map to the executors, as the in-process netty engine maps them to its loops
     *                    ({@code RuntimeConfig.blockPlacement}): true, in blocks of consecutive ids (node v of
     *                    n on executor {@code v·executors/n}, so ring neighbours share one); false, round robin
     *                    (node v on executor {@code v mod executors})
     * @param wakeSendNanos what a send costs its handler on top of {@code sendNanos} when it goes to a node on
     *                    another executor that is parked (nothing to do, nothing on its way to it): the write
     *                    wakes a sleeping thread, and the sender's system call pays for that. On this 2-core VM a
     *                    64-byte write to a loopback socket took a median 16-19 us when its reader was parked in
     *                    {@code epoll_wait} and 5-7 us when the reader was spinning (a probe outside the repository).
     *                    0: not modelled (files written before it existed)
     */
    public record Cpu(int executors, int cores, long recvNanos, long sendNanos, boolean blocks, long wakeSendNanos) {
        public Cpu {
            if (executors < 0 || cores < 1 || recvNanos < 0 || sendNanos < 0 || wakeSendNanos < 0) {
                throw new IllegalArgumentException("cpu model: executors >= 0, cores >= 1, service times >= 0; got executors="
                        + executors + " cores=" + cores + " recv=" + recvNanos + " send=" + sendNanos + " wake_send=" + wakeSendNanos);
            }
        }

        /** No wake-up cost on sends ({@code cpu.wake_send_ns} absent). */
        public Cpu(int executors, int cores, long recvNanos, long sendNanos, boolean blocks) {
            this(executors, cores, recvNanos, sendNanos, blocks, 0);
        }

        /** Round-robin placement (what a calibration file without {@code cpu.placement} means). */
        public Cpu(int executors, int cores, long recvNanos, long sendNanos) {
            this(executors, cores, recvNanos, sendNanos, false);
        }

        /** The executor of node {@code v} in a cluster of {@code n} nodes. */
        public int executorOf(int v, int n) {
            if (executors == 0) {
                return v;
            }
            int e = executorCount(n);
            return blocks ? (int) ((long) v * e / n) : v % e;
        }

        /** How many executors a cluster of {@code n} nodes has. */
        public int executorCount(int n) {
            return executors == 0 ? n : Math.min(n, executors);
        }

        /** {@code block} or {@code round-robin}, as {@code model.properties} writes it. */
        public String placement() {
            return blocks ? "block" : "round-robin";
        }
    }

    /**
     * Link state: a message that reaches an executor idle for at least {@code idleNanos} waits
     * {@code wakeNanos} more (a parked event-loop thread being woken), a busy executor takes it at once.
     */
    public record Wake(long idleNanos, long wakeNanos) {
        public Wake {
            if (idleNanos < 0 || wakeNanos < 0) {
                throw new IllegalArgumentException("wake model: times must be >= 0");
            }
        }
    }

    /**
     * Cold start: what a real engine pays for the first work after a quiet spell, as a function of how long
     * it was quiet, measured by {@code calibrate} (floods on an idle ring after quiet gaps of 1 ms to 250 ms;
     * on this 2-core VM the first hop after 100 ms of quiet took about 350 us where a busy hop takes 40).
     * Two tables over the same quiet times:
     * <ul>
     *   <li>{@code deliveryNanos}: a message reaching an executor whose previous message delivery was
     *       {@code d} ago starts that much later (and so does whatever the executor does after it);
     *   <li>{@code injectNanos}: a client request reaching an executor that has been free for {@code d}
     *       starts that much later (the hand-off from the driver's thread to a parked event loop).
     * </ul>
     * Between two quiet times the penalty is interpolated linearly in {@code log d}; below the first it falls
     * linearly to 0 at {@code d = 0}; beyond the last it stays at the last value.
     *
     * <p><b>Spread.</b> With the measured samples of each quiet time ({@code deliverySamples},
     * {@code injectSamples}: sorted, one array per quiet time), a penalty is not the median but a draw: one
     * value {@code u} in [0, 1) picks the sample of rank {@code floor(u · count)} at every quiet time, and those
     * are interpolated as above ({@link #delivery(long, double)}). On the 2-core VM these were measured on, a
     * first delivery after quiet is usually quick and now and then takes milliseconds (why is not established:
     * the VM, the kernel, GC); the medians alone leave those out, and with them the real engine's slow
     * broadcasts (its p99). Without samples (null, or a
     * file written before they were kept) every draw is the median table.
     *
     * @param idleNanos       quiet times, ascending, all > 0
     * @param deliveryNanos   median penalty of the first message delivery after each quiet time
     * @param injectNanos     median penalty of a client request after each quiet time
     * @param deliverySamples per quiet time, the measured delivery penalties, sorted; null: medians only
     * @param injectSamples   per quiet time, the measured request penalties, sorted; null: medians only
     * @param secondNanos     median penalty of an executor's second piece of work after each quiet time (the
     *                        delivery right after its first delivery or client request after the quiet spell, a
     *                        hop within its event loop); null: not modelled (files written before it existed).
     *                        On the 2-core VM, after 250 ms of quiet, the hop into a woken loop's second node took
     *                        about 77 us where a hop within a busy loop takes 12, and the third was back near 17
     * @param secondSamples   per quiet time, the measured second-work penalties, sorted; null: medians only (always
     *                        null without {@code secondNanos})
     * @param secondRequestNanos  median penalty of the second piece of work when the first was a client request (the
     *                        origin's loop: the hop into the origin's neighbour on that loop, after the request);
     *                        null: such work pays {@code secondNanos} (files written before the two were told apart).
     *                        On the 2-core VM, after 250 ms of quiet, that hop took about 120-140 us at the median
     *                        where the hop into the second node of a loop another loop woke took 20-80 (calibrate's
     *                        idle ring floods): pooled, the model put the slow values on every loop's second node
     *                        instead of on the broadcast's first hop
     * @param secondRequestSamples per quiet time, the measured samples of that penalty, sorted; null: medians only
     *                        (always null without {@code secondRequestNanos})
     * @param coreWakeNanos   the <b>core wake</b>: median extra time of the first work on a core (a CPU of the
     *                        machine) that was idle for each quiet time, beyond what its executor's own cold start
     *                        costs; null: not modelled (processes, and files written before it existed). On the 2-core
     *                        VM a 16-node netty ring flood after 250 ms of quiet (nodes in blocks of 4 on 4 loops)
     *                        entered the slower of the first two loops it reached in 120-223 us (each run's median over
     *                        its floods; nine runs), the other in 27-126 us and the third in 25-38 us; the hop after the
     *                        slow entry took 68-121 us where the hops after the others took 18-36. With the JVM pinned to
     *                        one CPU ({@code taskset -c 0}) every entry took 11-30 us (probes outside the repository,
     *                        2026-12-07): the slow entry points at waking the second, idle CPU, once per broadcast, not
     *                        at waking each loop. Pooled into the executors' penalties, that one slow entry was spread
     *                        over every loop, and single broadcasts came out 28-45 % fast at p50
     * @param coreSecondNanos median extra time of the next work on a core after a core wake, by the wake's quiet time
     *                        (the woken CPU's second piece of work); null exactly when {@code coreWakeNanos} is
     * @param coreWakeSamples per quiet time, the measured core wakes, sorted; null: medians only (files written before
     *                        they were kept). On the 2-core VM they fall in two modes: after 250 ms of quiet, 13 of 32
     *                        floods at 87-227 us and 19 at 312-444 us (2026-12-07), so the median sat in either mode from
     *                        one calibration to the next (106-321 us in five that day), and every modelled wake with it. A core
     *                        wake draws one value {@code u} from a stream of its own per core, and its second part takes
     *                        the sample of the same rank
     * @param coreSecondSamples per quiet time, the measured second parts, sorted (null exactly when
     *                        {@code coreWakeSamples} is)
     */
    public record Cold(long[] idleNanos, long[] deliveryNanos, long[] injectNanos, long[][] deliverySamples,
                       long[][] injectSamples, long[] secondNanos, long[][] secondSamples, long[] secondRequestNanos,
                       long[][] secondRequestSamples, long[] coreWakeNanos, long[] coreSecondNanos, long[][] coreWakeSamples,
                       long[][] coreSecondSamples) {
        /** A cold start whose core wake, if any, is its medians only. */
        public Cold(long[] idleNanos, long[] deliveryNanos, long[] injectNanos, long[][] deliverySamples, long[][] injectSamples,
                long[] secondNanos, long[][] secondSamples, long[] secondRequestNanos, long[][] secondRequestSamples,
                long[] coreWakeNanos, long[] coreSecondNanos) {
            this(idleNanos, deliveryNanos, injectNanos, deliverySamples, injectSamples, secondNanos, secondSamples, secondRequestNanos,
                    secondRequestSamples, coreWakeNanos, coreSecondNanos, null, null);
        }

        /** A cold start without the core wake. */
        public Cold(long[] idleNanos, long[] deliveryNanos, long[] injectNanos, long[][] deliverySamples, long[][] injectSamples,
                long[] secondNanos, long[][] secondSamples, long[] secondRequestNanos, long[][] secondRequestSamples) {
            this(idleNanos, deliveryNanos, injectNanos, deliverySamples, injectSamples, secondNanos, secondSamples, secondRequestNanos,
                    secondRequestSamples, null, null);
        }

        /** The cold start by its medians only. */
        public Cold(long[] idleNanos, long[] deliveryNanos, long[] injectNanos) {
            this(idleNanos, deliveryNanos, injectNanos, null, null);
        }

        /** A cold start without the second-work table. */
        public Cold(long[] idleNanos, long[] deliveryNanos, long[] injectNanos, long[][] deliverySamples, long[][] injectSamples) {
            this(idleNanos, deliveryNanos, injectNanos, deliverySamples, injectSamples, null, null);
        }

        /** A cold start whose second work after a client request pays the same table as after a delivery. */
        public Cold(long[] idleNanos, long[] deliveryNanos, long[] injectNanos, long[][] deliverySamples, long[][] injectSamples,
                long[] secondNanos, long[][] secondSamples) {
            this(idleNanos, deliveryNanos, injectNanos, deliverySamples, injectSamples, secondNanos, secondSamples, null, null);
        }

        public Cold {
            if (idleNanos.length == 0 || deliveryNanos.length != idleNanos.length || injectNanos.length != idleNanos.length) {
                throw new IllegalArgumentException("cold model: idle, delivery and inject tables need the same number of "
                        + "entries (at least one); got " + idleNanos.length + ", " + deliveryNanos.length + ", " + injectNanos.length);
            }
            for (int i = 0; i < idleNanos.length; i++) {
                if (idleNanos[i] <= 0 || (i > 0 && idleNanos[i] <= idleNanos[i - 1]) || deliveryNanos[i] < 0 || injectNanos[i] < 0) {
                    throw new IllegalArgumentException("cold model: quiet times must be > 0 and ascending, penalties >= 0");
                }
            }
            if ((deliverySamples == null) != (injectSamples == null)) {
                throw new IllegalArgumentException("cold model: delivery and inject samples go together (both or neither)");
            }
            if (secondNanos != null && (secondNanos.length != idleNanos.length || java.util.Arrays.stream(secondNanos).anyMatch(v -> v < 0))) {
                throw new IllegalArgumentException("cold model: the second-work table needs one penalty >= 0 per quiet time; got "
                        + java.util.Arrays.toString(secondNanos));
            }
            if (secondSamples != null && (secondNanos == null || deliverySamples == null)) {
                throw new IllegalArgumentException("cold model: second-work samples need the second-work table and the delivery samples");
            }
            if (secondRequestNanos != null && (secondNanos == null || secondRequestNanos.length != idleNanos.length
                    || java.util.Arrays.stream(secondRequestNanos).anyMatch(v -> v < 0))) {
                throw new IllegalArgumentException("cold model: the second-work table after a request needs the second-work table "
                        + "and one penalty >= 0 per quiet time; got " + java.util.Arrays.toString(secondRequestNanos));
            }
            if (secondRequestSamples != null && (secondRequestNanos == null || secondSamples == null)) {
                throw new IllegalArgumentException("cold model: second-work samples after a request need that table and the "
                        + "second-work samples");
            }
            if ((coreWakeNanos == null) != (coreSecondNanos == null)) {
                throw new IllegalArgumentException("cold model: the core wake and the core's second work go together (both or neither)");
            }
            for (long[] t : new long[][] {coreWakeNanos, coreSecondNanos}) {
                if (t != null && (t.length != idleNanos.length || java.util.Arrays.stream(t).anyMatch(v -> v < 0))) {
                    throw new IllegalArgumentException("cold model: the core wake tables need one penalty >= 0 per quiet time; got "
                            + java.util.Arrays.toString(t));
                }
            }
            if ((coreWakeSamples == null) != (coreSecondSamples == null) || (coreWakeSamples != null && coreWakeNanos == null)) {
                throw new IllegalArgumentException("cold model: core wake samples need the core wake tables, and go with the second "
                        + "part's samples (both or neither)");
            }
            idleNanos = idleNanos.clone();
            deliveryNanos = deliveryNanos.clone();
            injectNanos = injectNanos.clone();
            deliverySamples = samples(deliverySamples, idleNanos.length, "delivery");
            injectSamples = samples(injectSamples, idleNanos.length, "inject");
            secondNanos = secondNanos == null ? null : secondNanos.clone();
            secondSamples = samples(secondSamples, idleNanos.length, "second-work");
            secondRequestNanos = secondRequestNanos == null ? null : secondRequestNanos.clone();
            secondRequestSamples = samples(secondRequestSamples, idleNanos.length, "second-work-after-request");
            coreWakeNanos = coreWakeNanos == null ? null : coreWakeNanos.clone();
            coreSecondNanos = coreSecondNanos == null ? null : coreSecondNanos.clone();
            coreWakeSamples = samples(coreWakeSamples, idleNanos.length, "core wake");
            coreSecondSamples = samples(coreSecondSamples, idleNanos.length, "core second");
        }

        /** This cold start with the core wake tables (see {@code coreWakeNanos}); null, null: without. */
        public Cold withCoreWake(long[] wakeNanos, long[] secondNanos) {
            return withCoreWake(wakeNanos, secondNanos, null, null);
        }

        /** This cold start with the core wake tables and their samples (null, null: medians only). */
        public Cold withCoreWake(long[] wakeNanos, long[] secondNanos, long[][] wakeSamples, long[][] secondSamples) {
            return new Cold(idleNanos, deliveryNanos, injectNanos, deliverySamples, injectSamples, this.secondNanos, this.secondSamples,
                    secondRequestNanos, secondRequestSamples, wakeNanos, secondNanos, wakeSamples, secondSamples);
        }

        /** Whether core wakes are drawn from measured samples ({@link #coreWake(long, double)}). */
        public boolean coreSpread() {
            return coreWakeSamples != null;
        }

        /** The core wake after {@code idleNanos} at draw {@code u} in [0, 1) (the median without samples); 0 without it. */
        public long coreWake(long idleNanos, double u) {
            return coreWakeNanos == null ? 0 : interpolate(coreWakeNanos, coreWakeSamples, u, idleNanos);
        }

        /** The core's second part after a wake that came after {@code idleNanos}, at the wake's draw {@code u}; 0 without it. */
        public long coreSecond(long idleNanos, double u) {
            return coreSecondNanos == null ? 0 : interpolate(coreSecondNanos, coreSecondSamples, u, idleNanos);
        }

        /** Whether the first work on an idle core pays the core wake ({@link #coreWake}). */
        public boolean hasCoreWake() {
            return coreWakeNanos != null;
        }

        /** The core wake after a core was idle for {@code idleNanos} (its median table, interpolated); 0 without it. */
        public long coreWake(long idleNanos) {
            return coreWakeNanos == null ? 0 : interpolate(coreWakeNanos, null, 0, idleNanos);
        }

        /** The extra time of a core's next work after a core wake that came after {@code idleNanos}; 0 without it. */
        public long coreSecond(long idleNanos) {
            return coreSecondNanos == null ? 0 : interpolate(coreSecondNanos, null, 0, idleNanos);
        }

        private static long[][] samples(long[][] s, int points, String what) {
            if (s == null) {
                return null;
            }
            if (s.length != points) {
                throw new IllegalArgumentException("cold model: " + what + " samples for " + s.length + " quiet times, the table has "
                        + points);
            }
            long[][] out = new long[points][];
            for (int i = 0; i < points; i++) {
                if (s[i] == null || s[i].length == 0) {
                    throw new IllegalArgumentException("cold model: no " + what + " samples at quiet time " + i);
                }
                out[i] = s[i].clone();
                for (int j = 0; j < out[i].length; j++) {
                    if (out[i][j] < 0 || (j > 0 && out[i][j] < out[i][j - 1])) {
                        throw new IllegalArgumentException("cold model: " + what + " samples must be >= 0 and sorted");
                    }
                }
            }
            return out;
        }

        /** Whether penalties are drawn from measured samples (see "Spread" above). */
        public boolean spread() {
            return deliverySamples != null;
        }

        /** Median penalty of a message delivery on an executor whose last delivery was {@code quietNanos} ago. */
        public long delivery(long quietNanos) {
            return interpolate(deliveryNanos, null, 0, quietNanos);
        }

        /** Median penalty of a client request on an executor free for {@code quietNanos}. */
        public long inject(long quietNanos) {
            return interpolate(injectNanos, null, 0, quietNanos);
        }

        /** Penalty of a message delivery after {@code quietNanos}, at draw {@code u} in [0, 1) (the median without samples). */
        public long delivery(long quietNanos, double u) {
            return interpolate(deliveryNanos, deliverySamples, u, quietNanos);
        }

        /** Penalty of a client request after {@code quietNanos}, at draw {@code u} in [0, 1) (the median without samples). */
        public long inject(long quietNanos, double u) {
            return interpolate(injectNanos, injectSamples, u, quietNanos);
        }

        /** Whether an executor's second piece of work after a quiet spell pays its own penalty ({@link #second}). */
        public boolean hasSecond() {
            return secondNanos != null;
        }

        /**
         * Penalty of an executor's second piece of work after its first came after {@code quietNanos} of quiet, at
         * draw {@code u} (the median without samples); 0 without the table.
         */
        public long second(long quietNanos, double u) {
            return secondNanos == null ? 0 : interpolate(secondNanos, secondSamples, u, quietNanos);
        }

        /** Whether the second piece of work after a client request has its own table ({@link #secondAfterRequest}). */
        public boolean hasSecondAfterRequest() {
            return secondRequestNanos != null;
        }

        /**
         * Penalty of an executor's second piece of work when its first, after {@code quietNanos} of quiet, was a client
         * request, at draw {@code u}: that table's, or without it {@link #second}'s.
         */
        public long secondAfterRequest(long quietNanos, double u) {
            return secondRequestNanos == null ? second(quietNanos, u) : interpolate(secondRequestNanos, secondRequestSamples, u, quietNanos);
        }

        /** Quiet time i's value: its median, or with samples its sample of rank {@code floor(u · count)}. */
        private static long value(long[] medians, long[][] samples, double u, int i) {
            if (samples == null) {
                return medians[i];
            }
            long[] s = samples[i];
            return s[Math.min(s.length - 1, Math.max(0, (int) (u * s.length)))];
        }

        private long interpolate(long[] medians, long[][] samples, double u, long d) {
            if (d <= 0) {
                return 0;
            }
            if (d < idleNanos[0]) {
                return Math.round(value(medians, samples, u, 0) * ((double) d / idleNanos[0]));
            }
            int last = idleNanos.length - 1;
            if (d >= idleNanos[last]) {
                return value(medians, samples, u, last);
            }
            int i = 0;
            while (idleNanos[i + 1] <= d) {
                i++;
            }
            long a = value(medians, samples, u, i);
            long b = value(medians, samples, u, i + 1);
            double f = Math.log((double) d / idleNanos[i]) / Math.log((double) idleNanos[i + 1] / idleNanos[i]);
            return Math.round(a + f * (b - a));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Cold c && java.util.Arrays.equals(idleNanos, c.idleNanos)
                    && java.util.Arrays.equals(deliveryNanos, c.deliveryNanos) && java.util.Arrays.equals(injectNanos, c.injectNanos)
                    && java.util.Arrays.deepEquals(deliverySamples, c.deliverySamples)
                    && java.util.Arrays.deepEquals(injectSamples, c.injectSamples)
                    && java.util.Arrays.equals(secondNanos, c.secondNanos) && java.util.Arrays.deepEquals(secondSamples, c.secondSamples)
                    && java.util.Arrays.equals(secondRequestNanos, c.secondRequestNanos)
                    && java.util.Arrays.deepEquals(secondRequestSamples, c.secondRequestSamples)
                    && java.util.Arrays.equals(coreWakeNanos, c.coreWakeNanos) && java.util.Arrays.equals(coreSecondNanos, c.coreSecondNanos)
                    && java.util.Arrays.deepEquals(coreWakeSamples, c.coreWakeSamples)
                    && java.util.Arrays.deepEquals(coreSecondSamples, c.coreSecondSamples);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * (31 * java.util.Arrays.hashCode(idleNanos) + java.util.Arrays.hashCode(deliveryNanos))
                    + java.util.Arrays.hashCode(injectNanos)) + java.util.Arrays.deepHashCode(deliverySamples)
                    + 17 * java.util.Arrays.hashCode(secondNanos) + 19 * java.util.Arrays.hashCode(secondRequestNanos)
                    + 23 * java.util.Arrays.hashCode(coreWakeNanos) + 29 * java.util.Arrays.deepHashCode(coreWakeSamples);
        }

        @Override
        public String toString() {
            return "Cold[idle=" + java.util.Arrays.toString(idleNanos) + ", delivery=" + java.util.Arrays.toString(deliveryNanos)
                    + ", inject=" + java.util.Arrays.toString(injectNanos) + (spread() ? ", spread over "
                    + java.util.Arrays.stream(deliverySamples).mapToInt(a -> a.length).sum() + " delivery and "
                    + java.util.Arrays.stream(injectSamples).mapToInt(a -> a.length).sum() + " request samples" : "")
                    + (secondNanos == null ? "" : ", second=" + java.util.Arrays.toString(secondNanos))
                    + (secondRequestNanos == null ? "" : ", second after a request=" + java.util.Arrays.toString(secondRequestNanos))
                    + (coreWakeNanos == null ? "" : ", core wake=" + java.util.Arrays.toString(coreWakeNanos) + " then "
                            + java.util.Arrays.toString(coreSecondNanos) + (coreWakeSamples == null ? "" : ", spread over "
                            + java.util.Arrays.stream(coreWakeSamples).mapToInt(a -> a.length).sum() + " samples")) + "]";
        }
    }

    /**
     * The runtime's reconnection after a restart. Each overlay edge has one dialling side (the arc's source,
     * the lower id when both arcs exist, as the runtime's link table decides). An edge the restarted node
     * dials is up {@code handshakeNanos} after the restart. An edge its neighbour dials is up at the
     * neighbour's first redial that the new incarnation takes, plus {@code handshakeNanos}: the neighbour has
     * redialled since the crash on the runtime's schedule ({@link Redial}: base doubling to the cap, jitter in
     * [d/2, d] drawn from the run seed, the dialer, the peer and the attempt, so the same delays as a real run
     * with the same seed), each attempt {@code dialNanos} later than its delay alone (the refused connect and
     * the event loop's timer lateness, which add up over the attempts of a long outage). The restart call itself
     * took {@code respawnNanos} (binding; a new JVM on processes), which a real run does not count in its rejoin
     * time, and the new incarnation takes connections from {@code acceptNanos} before the call returns (0 on
     * netty, whose table opens as the call ends; on processes the child serves once bound, while the parent
     * still tells the others and starts it): an attempt in that window is up {@code handshakeNanos} after the
     * call.
     *
     * <p>How long the call takes and how early in it the new incarnation takes connections depend on how many nodes
     * share the machine (on processes, a new JVM starts while n - 1 others run, and the call tells each of them).
     * {@code respawnNanos} and {@code acceptNanos} are those of a small ring ({@value #BASE_NODES} nodes); a part
     * with {@code sizes} also has them measured at larger clusters, and {@link #forNodes} interpolates.
     */
    public record Restart(long backoffBaseNanos, long backoffMaxNanos, long handshakeNanos, long respawnNanos, long dialNanos,
            long acceptNanos, Sizes sizes) {
        /** The cluster size {@code respawnNanos} and {@code acceptNanos} are measured at (calibrate's 3-node ring). */
        public static final int BASE_NODES = 3;

        public Restart {
            if (backoffBaseNanos <= 0 || backoffMaxNanos < backoffBaseNanos || handshakeNanos < 0 || respawnNanos < 0
                    || dialNanos < 0 || acceptNanos < 0) {
                throw new IllegalArgumentException("restart model: backoff base > 0, max >= base, times >= 0");
            }
        }

        /** Measured at {@value #BASE_NODES} nodes only. */
        public Restart(long backoffBaseNanos, long backoffMaxNanos, long handshakeNanos, long respawnNanos, long dialNanos,
                long acceptNanos) {
            this(backoffBaseNanos, backoffMaxNanos, handshakeNanos, respawnNanos, dialNanos, acceptNanos, null);
        }

        /** Without a per-attempt lateness, taking connections as the call returns. */
        public Restart(long backoffBaseNanos, long backoffMaxNanos, long handshakeNanos, long respawnNanos) {
            this(backoffBaseNanos, backoffMaxNanos, handshakeNanos, respawnNanos, 0, 0);
        }

        /** This part with the restart call and its accepting window also measured at {@code sizes}. */
        public Restart withSizes(Sizes sizes) {
            return new Restart(backoffBaseNanos, backoffMaxNanos, handshakeNanos, respawnNanos, dialNanos, acceptNanos, sizes);
        }

        /**
         * The part for a cluster of {@code n} nodes: {@code respawnNanos} and {@code acceptNanos} each linear in n
         * between the two measured sizes around n (the {@value #BASE_NODES}-node values count as a size below the
         * smallest of {@code sizes}), the nearest size's outside them; this part itself without {@code sizes}.
         */
        public Restart forNodes(int n) {
            if (sizes == null) {
                return this;
            }
            int[] at = sizes.nodes();
            long[] call = sizes.respawnNanos();
            long[] accept = sizes.acceptNanos();
            if (at[0] > BASE_NODES) {
                at = prepend(BASE_NODES, at);
                call = prepend(respawnNanos, call);
                accept = prepend(acceptNanos, accept);
            }
            int hi = 0;
            while (hi < at.length && at[hi] < n) {
                hi++;
            }
            long r;
            long a;
            if (hi == 0) {
                r = call[0];
                a = accept[0];
            } else if (hi == at.length) {
                r = call[at.length - 1];
                a = accept[at.length - 1];
            } else {
                double w = (double) (n - at[hi - 1]) / (at[hi] - at[hi - 1]);
                r = Math.round(call[hi - 1] + w * (call[hi] - call[hi - 1]));
                a = Math.round(accept[hi - 1] + w * (accept[hi] - accept[hi - 1]));
            }
            return new Restart(backoffBaseNanos, backoffMaxNanos, handshakeNanos, r, dialNanos, a);
        }

        private static int[] prepend(int x, int[] v) {
            int[] out = new int[v.length + 1];
            out[0] = x;
            System.arraycopy(v, 0, out, 1, v.length);
            return out;
        }

        private static long[] prepend(long x, long[] v) {
            long[] out = new long[v.length + 1];
            out[0] = x;
            System.arraycopy(v, 0, out, 1, v.length);
            return out;
        }

        /**
         * When the edge {@code dialer} dials to the restarted {@code peer} is up again, relative to the restart
         * instant: the dialer's redial schedule started at the crash ({@code downNanos} before the restart), its
         * jitter {@link Redial#delayNanos} of the run's {@code seed}.
         */
        public long neighbourDialDelay(long downNanos, long seed, int dialer, int peer) {
            return neighbourDialDelay(downNanos, respawnNanos, dialNanos, acceptNanos, seed, dialer, peer);
        }

        /**
         * {@link #neighbourDialDelay(long, long, int, int)} with the restart call's duration, the per-attempt
         * lateness and the accepting window given (calibrate fits the last two with it).
         */
        public long neighbourDialDelay(long downNanos, long respawnNanos, long dialNanos, long acceptNanos, long seed, int dialer,
                int peer) {
            long target = downNanos + respawnNanos; // real time from crash to the restart call's return
            long accepting = target - Math.min(acceptNanos, respawnNanos);
            long t = 0;
            for (int attempt = 0; ; attempt++) {
                t += Redial.delayNanos(seed, dialer, peer, attempt, backoffBaseNanos, backoffMaxNanos) + dialNanos;
                if (t >= accepting) {
                    return Math.max(0, t - target) + handshakeNanos;
                }
            }
        }
    }

    /**
     * The restart call ({@code respawnNanos}) and how long before its return the new incarnation took connections
     * ({@code acceptNanos}), medians measured at each cluster size in {@code nodes} (ascending, each above 0).
     */
    public record Sizes(int[] nodes, long[] respawnNanos, long[] acceptNanos) {
        public Sizes {
            if (nodes.length == 0 || respawnNanos.length != nodes.length || acceptNanos.length != nodes.length) {
                throw new IllegalArgumentException("restart model: one call and one accepting window per size, got "
                        + nodes.length + " sizes, " + respawnNanos.length + " calls and " + acceptNanos.length + " windows");
            }
            for (int i = 0; i < nodes.length; i++) {
                if (nodes[i] <= 0 || (i > 0 && nodes[i] <= nodes[i - 1]) || respawnNanos[i] < 0 || acceptNanos[i] < 0) {
                    throw new IllegalArgumentException("restart model: sizes must be > 0 and ascending, times >= 0, got "
                            + java.util.Arrays.toString(nodes));
                }
            }
            nodes = nodes.clone();
            respawnNanos = respawnNanos.clone();
            acceptNanos = acceptNanos.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Sizes z && java.util.Arrays.equals(nodes, z.nodes) && java.util.Arrays.equals(respawnNanos, z.respawnNanos)
                    && java.util.Arrays.equals(acceptNanos, z.acceptNanos);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * java.util.Arrays.hashCode(nodes) + java.util.Arrays.hashCode(respawnNanos))
                    + java.util.Arrays.hashCode(acceptNanos);
        }

        @Override
        public String toString() {
            return "Sizes[nodes=" + java.util.Arrays.toString(nodes) + ", respawn=" + java.util.Arrays.toString(respawnNanos)
                    + ", accept=" + java.util.Arrays.toString(acceptNanos) + "]";
        }
    }

    /** Reads {@code DIR/model.properties}; relative files in it resolve against DIR. */
    public static EngineModel load(Path dir) {
        dir = dir.toAbsolutePath().normalize();
        Path file = dir.resolve(FILE);
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + " (make one with: ringlab calibrate): " + e.getMessage(), e);
        }
        try {
            String hot = p.getProperty("hot_latency_file");
            LinkModel link = hot == null ? null : LinkModels.empirical(dir.resolve(hot));
            Cpu cpu = p.getProperty("cpu.cores") == null ? null : new Cpu(integer(p, "cpu.executors"), integer(p, "cpu.cores"),
                    number(p, "cpu.recv_ns"), number(p, "cpu.send_ns"), blocks(p),
                    p.getProperty("cpu.wake_send_ns") == null ? 0 : number(p, "cpu.wake_send_ns"));
            Wake wake = p.getProperty("wake.wake_ns") == null ? null : new Wake(number(p, "wake.idle_ns"), number(p, "wake.wake_ns"));
            Cold cold = p.getProperty("cold.idle_ns") == null ? null : cold(p);
            if (cold != null && cpu == null) {
                throw new IllegalArgumentException("cold.* needs the cpu.* part (the penalties are paid on executors)");
            }
            Restart restart = p.getProperty("restart.handshake_ns") == null ? null : new Restart(number(p, "restart.backoff_base_ns"),
                    number(p, "restart.backoff_max_ns"), number(p, "restart.handshake_ns"), number(p, "restart.respawn_ns"),
                    p.getProperty("restart.dial_ns") == null ? 0 : number(p, "restart.dial_ns"),
                    p.getProperty("restart.accept_ns") == null ? 0 : number(p, "restart.accept_ns"));
            if (restart != null && p.getProperty("restart.nodes") != null) {
                long[] sizes = numbers(p, "restart.nodes");
                int[] nodes = new int[sizes.length];
                for (int i = 0; i < sizes.length; i++) {
                    nodes[i] = Math.toIntExact(sizes[i]);
                }
                restart = restart.withSizes(new Sizes(nodes, numbers(p, "restart.respawn_ns.by_nodes"),
                        numbers(p, "restart.accept_ns.by_nodes")));
            }
            Map<String, String> machine = new TreeMap<>();
            for (String k : p.stringPropertyNames()) {
                if (k.startsWith("machine.")) {
                    machine.put(k.substring("machine.".length()), p.getProperty(k));
                }
            }
            Load load = p.getProperty("load.window_ns") == null ? null
                    : new Load(number(p, "load.window_ns"), doubles(p, "load.rate_per_s"), doubles(p, "load.factor"),
                            p.getProperty("load.quiet_factor") == null ? 1 : doubles(p, "load.quiet_factor")[0]);
            Timers timers = null;
            if (p.getProperty("timer.age_bounds_ns") != null) {
                long[] bounds = numbers(p, "timer.age_bounds_ns");
                long[] sizes = p.getProperty("timer.nodes") == null ? new long[] {0} : numbers(p, "timer.nodes");
                int[] nodes = new int[sizes.length];
                long[][][] late = new long[sizes.length][bounds.length + 1][];
                for (int t = 0; t < sizes.length; t++) {
                    nodes[t] = Math.toIntExact(sizes[t]);
                    for (int a = 0; a < bounds.length + 1; a++) {
                        late[t][a] = numbers(p, "timer.late_ns." + (p.getProperty("timer.nodes") == null ? "" : nodes[t] + ".") + a);
                    }
                }
                timers = new Timers(bounds, nodes, late);
            }
            return new EngineModel(p.getProperty("engine", "netty"), link, cpu, wake, cold, restart, machine, dir, load, timers);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Writes this model (the hot link as {@code hotLatencyFile}, already written by the caller) to {@code DIR/model.properties}. */
    public void save(Path dir, String hotLatencyFile, String comment) {
        Map<String, String> p = new TreeMap<>();
        p.put("engine", engine);
        if (hotLatencyFile != null) {
            p.put("hot_latency_file", hotLatencyFile);
        }
        if (cpu != null) {
            p.put("cpu.executors", String.valueOf(cpu.executors()));
            p.put("cpu.cores", String.valueOf(cpu.cores()));
            p.put("cpu.recv_ns", String.valueOf(cpu.recvNanos()));
            p.put("cpu.send_ns", String.valueOf(cpu.sendNanos()));
            p.put("cpu.placement", cpu.placement());
            if (cpu.wakeSendNanos() > 0) {
                p.put("cpu.wake_send_ns", String.valueOf(cpu.wakeSendNanos()));
            }
        }
        if (wake != null) {
            p.put("wake.idle_ns", String.valueOf(wake.idleNanos()));
            p.put("wake.wake_ns", String.valueOf(wake.wakeNanos()));
        }
        if (cold != null) {
            p.put("cold.idle_ns", join(cold.idleNanos()));
            p.put("cold.delivery_ns", join(cold.deliveryNanos()));
            p.put("cold.inject_ns", join(cold.injectNanos()));
            if (cold.hasSecond()) {
                p.put("cold.second_ns", join(cold.secondNanos()));
            }
            if (cold.hasSecondAfterRequest()) {
                p.put("cold.second_request_ns", join(cold.secondRequestNanos()));
            }
            if (cold.hasCoreWake()) {
                p.put("cold.core_wake_ns", join(cold.coreWakeNanos()));
                p.put("cold.core_second_ns", join(cold.coreSecondNanos()));
                if (cold.coreSpread()) {
                    for (int i = 0; i < cold.idleNanos().length; i++) {
                        p.put("cold.core_wake_samples_ns." + i, join(cold.coreWakeSamples()[i]));
                        p.put("cold.core_second_samples_ns." + i, join(cold.coreSecondSamples()[i]));
                    }
                }
            }
            if (cold.spread()) {
                for (int i = 0; i < cold.idleNanos().length; i++) {
                    p.put("cold.delivery_samples_ns." + i, join(cold.deliverySamples()[i]));
                    p.put("cold.inject_samples_ns." + i, join(cold.injectSamples()[i]));
                    if (cold.secondSamples() != null) {
                        p.put("cold.second_samples_ns." + i, join(cold.secondSamples()[i]));
                    }
                    if (cold.secondRequestSamples() != null) {
                        p.put("cold.second_request_samples_ns." + i, join(cold.secondRequestSamples()[i]));
                    }
                }
            }
        }
        if (restart != null) {
            p.put("restart.backoff_base_ns", String.valueOf(restart.backoffBaseNanos()));
            p.put("restart.backoff_max_ns", String.valueOf(restart.backoffMaxNanos()));
            p.put("restart.handshake_ns", String.valueOf(restart.handshakeNanos()));
            p.put("restart.respawn_ns", String.valueOf(restart.respawnNanos()));
            p.put("restart.dial_ns", String.valueOf(restart.dialNanos()));
            p.put("restart.accept_ns", String.valueOf(restart.acceptNanos()));
            if (restart.sizes() != null) {
                p.put("restart.nodes", join(java.util.Arrays.stream(restart.sizes().nodes()).asLongStream().toArray()));
                p.put("restart.respawn_ns.by_nodes", join(restart.sizes().respawnNanos()));
                p.put("restart.accept_ns.by_nodes", join(restart.sizes().acceptNanos()));
            }
        }
        if (load != null) {
            p.put("load.window_ns", String.valueOf(load.windowNanos()));
            p.put("load.rate_per_s", joinDoubles(load.ratePerS()));
            p.put("load.factor", joinDoubles(load.factor()));
            if (load.quietFactor() != 1) {
                p.put("load.quiet_factor", joinDoubles(new double[] {load.quietFactor()}));
            }
        }
        if (timers != null) {
            p.put("timer.age_bounds_ns", join(timers.ageBoundsNanos()));
            int[] nodes = timers.nodes();
            long[][][] late = timers.lateNanos();
            boolean sized = nodes.length > 1 || nodes[0] > 0;
            if (sized) {
                p.put("timer.nodes", join(java.util.Arrays.stream(nodes).asLongStream().toArray()));
            }
            for (int t = 0; t < nodes.length; t++) {
                for (int a = 0; a < late[t].length; a++) {
                    p.put("timer.late_ns." + (sized ? nodes[t] + "." : "") + a, join(late[t][a]));
                }
            }
        }
        machine.forEach((k, v) -> p.put("machine." + k, v));
        StringBuilder b = new StringBuilder("# ringlab engine model: ").append(comment).append('\n');
        p.forEach((k, v) -> b.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        try (Writer w = Files.newBufferedWriter(dir.resolve(FILE), StandardCharsets.UTF_8)) {
            w.write(b.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(FILE) + ": " + e.getMessage(), e);
        }
    }

    /** A short description for a run's header line. */
    public String describe() {
        StringBuilder b = new StringBuilder("calibrated(" + engine);
        if (cpu != null) {
            b.append(" executors=").append(cpu.executors() == 0 ? "per-node" : String.valueOf(cpu.executors())).append(" cores=")
                    .append(cpu.cores()).append(" placement=").append(cpu.placement()).append(" recv=").append(cpu.recvNanos()).append("ns send=").append(cpu.sendNanos()).append("ns");
            if (cpu.wakeSendNanos() > 0) {
                b.append(" wake_send=").append(cpu.wakeSendNanos()).append("ns");
            }
        }
        if (wake != null) {
            b.append(" wake=").append(wake.wakeNanos()).append("ns after ").append(wake.idleNanos()).append("ns idle");
        }
        if (cold != null) {
            b.append(" cold=");
            for (int i = 0; i < cold.idleNanos().length; i++) {
                b.append(i == 0 ? "" : ",").append(cold.idleNanos()[i] / 1_000_000.0).append("ms:+").append(cold.deliveryNanos()[i] / 1000)
                        .append("us/+").append(cold.injectNanos()[i] / 1000).append("us");
                if (cold.hasSecond()) {
                    b.append("/+").append(cold.secondNanos()[i] / 1000).append("us");
                }
                if (cold.hasSecondAfterRequest()) {
                    b.append("/+").append(cold.secondRequestNanos()[i] / 1000).append("us");
                }
            }
            if (cold.spread()) {
                b.append(" (medians; drawn from the measured samples)");
            }
            if (cold.hasCoreWake()) {
                b.append(" core_wake=");
                for (int i = 0; i < cold.idleNanos().length; i++) {
                    b.append(i == 0 ? "" : ",").append(cold.idleNanos()[i] / 1_000_000.0).append("ms:+")
                            .append(cold.coreWakeNanos()[i] / 1000).append("us/+").append(cold.coreSecondNanos()[i] / 1000).append("us");
                }
                if (cold.coreSpread()) {
                    b.append(" (medians; drawn from the measured samples)");
                }
            }
        }
        if (load != null) {
            b.append(" load=");
            double[] r = load.ratePerS();
            double[] f = load.factor();
            for (int i = 0; i < r.length; i++) {
                b.append(i == 0 ? "" : ",").append(Math.round(r[i])).append("/s:x")
                        .append(String.format(java.util.Locale.ROOT, "%.2f", f[i]));
            }
            b.append(" over ").append(load.windowNanos() / 1_000_000.0).append("ms");
            if (load.quietFactor() != 1) {
                b.append(String.format(java.util.Locale.ROOT, " quiet=x%.2f", load.quietFactor()));
            }
        }
        if (timers != null) {
            b.append(" timers_late_p50=");
            int[] nodes = timers.nodes();
            for (int t = 0; t < nodes.length; t++) {
                b.append(t == 0 ? "" : ";").append(nodes[t] == 0 ? "" : "n=" + nodes[t] + ":");
                boolean standard = java.util.Arrays.equals(timers.ageBoundsNanos(), TimerLateness.AGE_BOUNDS_NANOS);
                for (int a = 0; a < timers.ageBoundsNanos().length + 1; a++) {
                    b.append(a == 0 ? "" : ",").append(standard ? TimerLateness.ageLabel(a) : "age" + a).append(':')
                            .append(String.format(java.util.Locale.ROOT, "%.2f", timers.medianNanos(t, a) / 1e6)).append("ms");
                }
            }
        }
        if (restart != null) {
            b.append(" backoff=").append(restart.backoffBaseNanos()).append("..").append(restart.backoffMaxNanos())
                    .append("ns handshake=").append(restart.handshakeNanos()).append("ns respawn=").append(restart.respawnNanos()).append("ns");
            if (restart.dialNanos() > 0) {
                b.append(" dial=").append(restart.dialNanos()).append("ns");
            }
            if (restart.acceptNanos() > 0) {
                b.append(" accept=").append(restart.acceptNanos()).append("ns");
            }
            if (restart.sizes() != null) {
                for (int i = 0; i < restart.sizes().nodes().length; i++) {
                    b.append(" n=").append(restart.sizes().nodes()[i]).append(":respawn=").append(restart.sizes().respawnNanos()[i])
                            .append("ns,accept=").append(restart.sizes().acceptNanos()[i]).append("ns");
                }
            }
        }
        return b.append(')').toString();
    }

    /** {@code cpu.placement}: block or round-robin; absent (files written before it existed): round-robin. */
    private static boolean blocks(Properties p) {
        String v = p.getProperty("cpu.placement", "round-robin").trim();
        return switch (v) {
            case "block" -> true;
            case "round-robin" -> false;
            default -> throw new IllegalArgumentException("cpu.placement must be block or round-robin, got " + v);
        };
    }

    /**
     * The {@code cold.*} part: the median tables, and the samples ({@code cold.delivery_samples_ns.I},
     * {@code cold.inject_samples_ns.I} for quiet time I) where the file has them.
     */
    private static Cold cold(Properties p) {
        long[] idle = numbers(p, "cold.idle_ns");
        long[][] delivery = null;
        long[][] inject = null;
        if (p.getProperty("cold.delivery_samples_ns.0") != null) {
            delivery = new long[idle.length][];
            inject = new long[idle.length][];
            for (int i = 0; i < idle.length; i++) {
                delivery[i] = numbers(p, "cold.delivery_samples_ns." + i);
                inject[i] = numbers(p, "cold.inject_samples_ns." + i);
            }
        }
        long[] second = p.getProperty("cold.second_ns") == null ? null : numbers(p, "cold.second_ns");
        long[][] secondSamples = null;
        if (second != null && delivery != null) {
            secondSamples = new long[idle.length][];
            for (int i = 0; i < idle.length; i++) {
                secondSamples[i] = numbers(p, "cold.second_samples_ns." + i);
            }
        }
        long[] secondRequest = second == null || p.getProperty("cold.second_request_ns") == null ? null
                : numbers(p, "cold.second_request_ns");
        long[][] secondRequestSamples = null;
        if (secondRequest != null && secondSamples != null) {
            secondRequestSamples = new long[idle.length][];
            for (int i = 0; i < idle.length; i++) {
                secondRequestSamples[i] = numbers(p, "cold.second_request_samples_ns." + i);
            }
        }
        long[][] coreWakeSamples = null;
        long[][] coreSecondSamples = null;
        if (p.getProperty("cold.core_wake_ns") != null && p.getProperty("cold.core_wake_samples_ns.0") != null) {
            coreWakeSamples = new long[idle.length][];
            coreSecondSamples = new long[idle.length][];
            for (int i = 0; i < idle.length; i++) {
                coreWakeSamples[i] = numbers(p, "cold.core_wake_samples_ns." + i);
                coreSecondSamples[i] = numbers(p, "cold.core_second_samples_ns." + i);
            }
        }
        return new Cold(idle, numbers(p, "cold.delivery_ns"), numbers(p, "cold.inject_ns"), delivery, inject, second, secondSamples,
                secondRequest, secondRequestSamples, p.getProperty("cold.core_wake_ns") == null ? null : numbers(p, "cold.core_wake_ns"),
                p.getProperty("cold.core_wake_ns") == null ? null : numbers(p, "cold.core_second_ns"), coreWakeSamples, coreSecondSamples);
    }

    private static String join(long[] v) {
        StringBuilder b = new StringBuilder();
        for (long x : v) {
            b.append(b.isEmpty() ? "" : ",").append(x);
        }
        return b.toString();
    }

    private static String joinDoubles(double[] v) {
        StringBuilder b = new StringBuilder();
        for (double x : v) {
            b.append(b.isEmpty() ? "" : ",").append(x);
        }
        return b.toString();
    }

    private static double[] doubles(Properties p, String key) {
        String[] parts = list(p, key);
        double[] out = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw notNumbers(p, key);
            }
        }
        return out;
    }

    private static long[] numbers(Properties p, String key) {
        String[] parts = list(p, key);
        long[] out = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Long.parseLong(parts[i].trim());
            } catch (NumberFormatException e) {
                throw notNumbers(p, key);
            }
        }
        return out;
    }

    /** The comma-separated values of {@code key}; refused when it is missing. */
    private static String[] list(Properties p, String key) {
        String v = p.getProperty(key);
        if (v == null) {
            throw new IllegalArgumentException("missing " + key);
        }
        return v.split(",");
    }

    private static IllegalArgumentException notNumbers(Properties p, String key) {
        return new IllegalArgumentException(key + " is not a comma-separated list of numbers: " + p.getProperty(key));
    }

    private static long number(Properties p, String key) {
        String v = p.getProperty(key);
        if (v == null) {
            throw new IllegalArgumentException("missing " + key);
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " is not a number: " + v);
        }
    }

    private static int integer(Properties p, String key) {
        return Math.toIntExact(number(p, key));
    }
}
