package dev.ringlab.node.spec;

import dev.ringlab.node.protocols.CacheConfig;
import dev.ringlab.node.protocols.RecoveryConfig;
import java.util.Locale;
import java.util.Objects;

/**
 * The default failure-detection timing of the ring applications ({@code recover}, {@code config},
 * {@code catalog}, {@code cache}) on one engine: heartbeat interval, suspicion timeout, grace timeout and
 * probation (see {@link RecoveryConfig#graceTimeoutNanos}), token-loss timeout and warm-up, from one rule,
 * so that a run with default flags has no false suspicion on any engine. Print {@link #spec()} with a
 * run's effective options.
 *
 * <h2>The rule</h2>
 * A timeout must exceed the longest silence a <em>live</em> successor can show. That silence is one
 * heartbeat interval {@code hb}, plus one round trip at the link bound {@code L} (the largest one-way
 * delay the link model adds: the simulator's latency bound, or the delay a real engine emulates on top of
 * loopback, 0 without one), plus the longest time a live node can stall, the <em>pause bound</em>
 * {@code P} of the engine. With a safety factor of 2:
 * <pre>
 *   hb    = max(10 ms, P / 5)                     (about five heartbeats per pause; fewer messages on a busy host)
 *   T     = 2 (hb + 2 L + P)                      suspicion timeout
 *   G     = T + D                                 grace timeout (on probation); D = the reconnection bound
 *   W     = the engine's warm-up                  probation after a node starts and after a successor returns
 *   loss  = max(200 ms, 4 n L, 4 T)               token-loss timeout: past a rotation and well past a suspicion
 *   write = 3 T                                   the failover cache's write timeout (CacheConfig's rule)
 *   hop   = L + H                                 a hop's bound for sizing run deadlines (not for detection)
 * </pre>
 * The simulator has no pauses and no dialling, and keeps the timing its results and tests were made with:
 * {@code hb = 10 ms}, {@code T = 50 ms}, {@code G = T}, {@code W = 0}, {@code loss = max(200 ms, 4 n L)}, no
 * warm-up ({@link RecoveryConfig#defaults()}, with the loss rule of {@code recover}).
 *
 * <p>Why {@code 4 T} for the token-loss timeout (the simulator's ratio, 200 ms to 50 ms): when the token
 * dies with a node, its predecessor regenerates it once it suspects the node (about {@code T} after the
 * crash, plus its slack); the anchor's loss timeout is only the backstop for a token lost in the network.
 * With {@code 2 T} on processes at load 17-25, the backstop fired while the predecessor's new token was on
 * its way (two tokens for one rotation in 2 of 5 catalog runs); a node stalled holding the token for more
 * than {@code 2 T} also made the anchor regenerate beside it.
 *
 * <p>Beyond these, {@link dev.ringlab.node.protocols.HealingRing} adapts by itself to the host: it does not
 * count its own stalls as a successor's silence, and it widens the limit by twice its own recent stalls
 * (no-ops in the simulator). On a host far busier than the one measured below, that adaptation, not the
 * pause bound, is what keeps suspicions true.
 *
 * <h2>The constants, measured</h2>
 * Measured on the development machine (2 cores, shared with three other developers' builds and
 * clusters; load average 4 to 27 while measuring), six nodes on the complete graph exchanging 10 ms
 * heartbeats, as the gap between two acks of a live successor and the lateness of a node's own tick:
 * <ul>
 *   <li>{@code processes} (one JVM per node, {@code -XX:TieredStopAtLevel=1 -XX:+UseSerialGC}). At load 4:
 *       in the first ~1.2 s after start gaps up to 190 ms (six JVMs loading classes and compiling at once);
 *       afterwards at most 65-75 ms, in stalls that hit every node at once; 110-140 ms on every node when the
 *       parent first polls the children's {@code /status} (served on the node's event loop; its first call
 *       loads the HTTP and JSON code). No GC ran in a 12 s run (young generation ~100 MB). At load 15: gaps
 *       up to 440-630 ms in the first ~2 s, later up to 640 ms, mostly on every node at once (own ticks
 *       100-530 ms late), but one node's stall exceeded the judging node's own by up to 430 ms. Hence
 *       {@link #PROCESSES_PAUSE_BOUND} = 250 ms (with the slack for own stalls) and a 2 s warm-up.</li>
 *   <li>{@code netty} (all nodes in one JIT-compiled JVM). At load 5: up to 160 ms in the first ~200 ms
 *       (the cluster starts its nodes one after the other), afterwards at most 42 ms. At load 24: up to
 *       410 ms, each within 60-100 ms of the largest own-tick lateness of that second (one JVM: its stalls
 *       are shared), and start-up stalls of 170-410 ms went on until ~3 s. Hence {@link #NETTY_PAUSE_BOUND}
 *       = 100 ms and a 2 s warm-up (with 1 s, 6 of 50 runs at load 8-15 had false suspicions, 3 of them
 *       1.4-1.8 s after start, in the workloads that start at once: cache, config).</li>
 *   <li>The reconnection bound {@link #RECONNECT_BOUND} = 250 ms: a restarted node's peers redial it with
 *       a backoff capped at 200 ms (the runtime's {@code RuntimeConfig.defaults()}), plus connect and
 *       handshake; on {@code netty} a restarted node runs before its links are up.</li>
 *   <li>The hop bound {@code H}: the token's loopback hop, including the observation each node writes:
 *       netty mean 0.06 ms; processes p50 2.2 ms at load 3, 5 ms at load 25. Hence
 *       {@link #NETTY_HOP} = 1 ms, {@link #PROCESSES_HOP} = 10 ms.</li>
 * </ul>
 * With those (n = 6, no added latency): {@code netty} hb 20 ms, T 240 ms, G 490 ms, W 2 s, loss 960 ms;
 * {@code processes} hb 50 ms, T 600 ms, G 850 ms, W 2 s, loss 2.4 s. A host with longer stalls passes its
 * own pause bound ({@link #forEngine(String, int, long, long)}).
 *
 * <h2>Warm-up</h2>
 * {@link #warmupNanos} is how long a real engine should run before an experiment starts measuring, and the
 * probation W of the detectors: the JVMs' class loading and compilation above, 2 s on both real engines,
 * 0 in the simulator. Probation keeps the warm-up (and a respawned node's) free of
 * false suspicions; the warm-up before measuring is there so that the figures are those of warm JVMs.
 *
 * @param engine            sim, netty or processes
 * @param heartbeatNanos    heartbeat interval
 * @param suspicionNanos    suspicion timeout
 * @param graceNanos        grace timeout: the suspicion timeout of a successor on probation
 * @param probationNanos    probation after a node starts and after a successor returns from a suspicion
 * @param tokenLossNanos    token-loss timeout
 * @param warmupNanos       how long to run before measuring
 * @param pauseBoundNanos   the pause bound P the timing was derived from (0 in the simulator)
 * @param linkBoundNanos    the link bound L it was derived from
 * @param hopBoundNanos     a hop's bound L + H, for sizing run deadlines (e.g. the token's rotations)
 */
public record Timing(String engine, long heartbeatNanos, long suspicionNanos, long graceNanos, long probationNanos,
        long tokenLossNanos, long warmupNanos, long pauseBoundNanos, long linkBoundNanos, long hopBoundNanos) {
    private static final long MS = 1_000_000L;

    /** The simulator's heartbeat interval (as before this class existed). */
    public static final long SIM_HEARTBEAT = 10 * MS;
    /** The simulator's suspicion timeout (as before this class existed). */
    public static final long SIM_SUSPICION = 50 * MS;
    /** The smallest token-loss timeout on every engine. */
    public static final long MIN_TOKEN_LOSS = 200 * MS;
    /** The shortest heartbeat interval a real engine gets. */
    public static final long MIN_HEARTBEAT = 10 * MS;
    /** Longest stall of a live node on {@code netty}, measured (see the class doc). */
    public static final long NETTY_PAUSE_BOUND = 100 * MS;
    /** Longest stall of a live node on {@code processes}, measured (see the class doc). */
    public static final long PROCESSES_PAUSE_BOUND = 250 * MS;
    /** Longest time until a (re)started node's links are up on a real engine (see the class doc). */
    public static final long RECONNECT_BOUND = 250 * MS;
    /** Warm-up before measuring on {@code netty}. */
    public static final long NETTY_WARMUP = 2_000 * MS;
    /** Warm-up before measuring on {@code processes}. */
    public static final long PROCESSES_WARMUP = 2_000 * MS;
    /** A loopback hop's bound on {@code netty}, for run deadlines (see the class doc). */
    public static final long NETTY_HOP = 1 * MS;
    /** A loopback hop's bound on {@code processes}, for run deadlines (see the class doc). */
    public static final long PROCESSES_HOP = 10 * MS;

    public Timing {
        Objects.requireNonNull(engine, "engine");
        if (heartbeatNanos <= 0 || suspicionNanos < heartbeatNanos || graceNanos < suspicionNanos || probationNanos < 0
                || tokenLossNanos < suspicionNanos || warmupNanos < 0 || pauseBoundNanos < 0 || linkBoundNanos < 0
                || hopBoundNanos < linkBoundNanos) {
            throw new IllegalArgumentException("inconsistent timing: " + engine + " hb=" + heartbeatNanos + " suspect="
                    + suspicionNanos + " grace=" + graceNanos + " probation=" + probationNanos + " loss="
                    + tokenLossNanos + " warmup="
                    + warmupNanos + " pause=" + pauseBoundNanos + " link=" + linkBoundNanos + " hop=" + hopBoundNanos
                    + " ns");
        }
    }

    /**
     * The default timing on {@code engine} (sim, netty, processes) for {@code n} nodes whose link model adds
     * at most {@code linkBoundNanos} per hop, with the engine's measured pause bound.
     *
     * @throws IllegalArgumentException for an unknown engine, n &lt; 2 or a negative bound
     */
    public static Timing forEngine(String engine, int n, long linkBoundNanos) {
        return forEngine(engine, n, linkBoundNanos, defaultPauseBound(engine));
    }

    /**
     * The timing on {@code engine} with a given pause bound (e.g. measured on this host). The simulator
     * ignores it: its nodes never stall.
     *
     * @throws IllegalArgumentException for an unknown engine, n &lt; 2 or a negative bound
     */
    public static Timing forEngine(String engine, int n, long linkBoundNanos, long pauseBoundNanos) {
        String e = Objects.requireNonNull(engine, "engine").trim().toLowerCase(Locale.ROOT);
        if (n < 2) {
            throw new IllegalArgumentException("timing needs n >= 2, got " + n);
        }
        if (linkBoundNanos < 0 || pauseBoundNanos < 0) {
            throw new IllegalArgumentException("bounds must be >= 0, got link " + linkBoundNanos + " ns, pause "
                    + pauseBoundNanos + " ns");
        }
        long ringLoss = Math.max(MIN_TOKEN_LOSS, 4L * n * linkBoundNanos);
        if (e.equals("sim")) {
            return new Timing(e, SIM_HEARTBEAT, SIM_SUSPICION, SIM_SUSPICION, 0, Math.max(ringLoss, SIM_SUSPICION), 0, 0,
                    linkBoundNanos, linkBoundNanos);
        }
        boolean netty = switch (e) {
            case "netty" -> true;
            case "processes" -> false;
            default -> throw new IllegalArgumentException("unknown engine '" + engine + "': use sim, netty or processes");
        };
        long warmup = netty ? NETTY_WARMUP : PROCESSES_WARMUP;
        long hop = linkBoundNanos + (netty ? NETTY_HOP : PROCESSES_HOP);
        long hb = ceilMs(Math.max(MIN_HEARTBEAT, pauseBoundNanos / 5));
        long suspicion = ceilMs(2 * (hb + 2 * linkBoundNanos + pauseBoundNanos));
        long grace = suspicion + RECONNECT_BOUND;
        long loss = ceilMs(Math.max(ringLoss, 4 * suspicion));
        return new Timing(e, hb, suspicion, grace, warmup, loss, warmup, pauseBoundNanos, linkBoundNanos, hop);
    }

    /** The measured pause bound of {@code engine}: 0 (sim), {@link #NETTY_PAUSE_BOUND}, {@link #PROCESSES_PAUSE_BOUND}. */
    public static long defaultPauseBound(String engine) {
        return switch (Objects.requireNonNull(engine, "engine").trim().toLowerCase(Locale.ROOT)) {
            case "sim" -> 0;
            case "netty" -> NETTY_PAUSE_BOUND;
            case "processes" -> PROCESSES_PAUSE_BOUND;
            default -> throw new IllegalArgumentException("unknown engine '" + engine + "': use sim, netty or processes");
        };
    }

    /** The healing ring's knobs with this timing, {@code successors} long lists and the timeout detector. */
    public RecoveryConfig ring(int successors) {
        return new RecoveryConfig(heartbeatNanos, suspicionNanos, tokenLossNanos, successors,
                RecoveryConfig.Detector.TIMEOUT, 8.0, graceNanos, probationNanos);
    }

    /**
     * The failover cache's knobs with this timing: {@link CacheConfig#defaults()} with {@link #ring ring(3)},
     * a write timeout of three suspicion timeouts (the cache's own rule: a write to a dead replica waits for
     * the ring to replace it) and a deadline of at least two write timeouts. In the simulator exactly
     * {@link CacheConfig#defaults()}.
     */
    public CacheConfig cache() {
        CacheConfig d = CacheConfig.defaults();
        if (engine.equals("sim")) {
            return d; // the simulator keeps the cache's timing as it was (its token-loss timeout ignores n)
        }
        long write = Math.max(d.writeTimeoutNanos(), 3 * suspicionNanos);
        return new CacheConfig(ring(d.ring().successors()), d.retryNanos(), d.replicaRetryNanos(), write,
                Math.max(d.deadlineNanos(), 2 * write));
    }

    /**
     * The timing as one line for a run's effective options, e.g.
     * {@code timing:processes,hb=50ms,suspect=600ms,grace=850ms,probation=2s,loss=2400ms,warmup=2s,pause=250ms,link=0ns,hop=10ms}.
     */
    public String spec() {
        return "timing:" + engine + ",hb=" + Durations.format(heartbeatNanos) + ",suspect="
                + Durations.format(suspicionNanos) + ",grace=" + Durations.format(graceNanos) + ",probation="
                + Durations.format(probationNanos) + ",loss="
                + Durations.format(tokenLossNanos) + ",warmup=" + Durations.format(warmupNanos) + ",pause="
                + Durations.format(pauseBoundNanos) + ",link=" + Durations.format(linkBoundNanos) + ",hop="
                + Durations.format(hopBoundNanos);
    }

    private static long ceilMs(long nanos) {
        return (nanos + MS - 1) / MS * MS;
    }
}
