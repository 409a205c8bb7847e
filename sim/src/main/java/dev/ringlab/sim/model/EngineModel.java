package dev.ringlab.sim.model;

import dev.ringlab.node.spec.LinkModel;
import dev.ringlab.node.spec.LinkModels;
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
 * @param restart the delay before a restarted node's links are up again; null: at once
 * @param machine where the calibration was made (cores, java, load average), for the "different machine"
 *                warning; never read by the simulator
 * @param dir     the calibration directory it was loaded from (null: built in code), so a run records it
 */
public record EngineModel(String engine, LinkModel hotLink, Cpu cpu, Wake wake, Restart restart, Map<String, String> machine,
        Path dir) {
    /** A model built in code, from no directory. */
    public EngineModel(String engine, LinkModel hotLink, Cpu cpu, Wake wake, Restart restart, Map<String, String> machine) {
        this(engine, hotLink, cpu, wake, restart, machine, null);
    }

    /** The file in a calibration directory that holds the model. */
    public static final String FILE = "model.properties";

    public EngineModel {
        Objects.requireNonNull(engine, "engine");
        machine = Map.copyOf(machine == null ? Map.of() : machine);
    }

    /**
     * How the real engine runs node logic: nodes pinned to executors (event-loop threads), each executor
     * handling one message at a time, all executors sharing {@code cores} cores.
     *
     * @param executors   event-loop threads shared by the nodes, node v on executor {@code v % executors}
     *                    (netty's round-robin {@code EventLoopGroup.next()}); 0: one executor per node (one
     *                    JVM per node, the processes engine)
     * @param cores       cores the executors share (at most this many messages are handled at once)
     * @param recvNanos   service time of handling one delivered message (read, decode, handler)
     * @param sendNanos   service time of one send made by a handler (encode, write); the send leaves when it
     *                    is done, so a handler's k-th send leaves after {@code recv + k·send}
     */
    public record Cpu(int executors, int cores, long recvNanos, long sendNanos) {
        public Cpu {
            if (executors < 0 || cores < 1 || recvNanos < 0 || sendNanos < 0) {
                throw new IllegalArgumentException("cpu model: executors >= 0, cores >= 1, service times >= 0; got executors="
                        + executors + " cores=" + cores + " recv=" + recvNanos + " send=" + sendNanos);
            }
        }

        /** The executor of node {@code v}. */
        public int executorOf(int v) {
            return executors == 0 ? v : v % executors;
        }

        /** How many executors a cluster of {@code n} nodes has. */
        public int executorCount(int n) {
            return executors == 0 ? n : Math.min(n, executors);
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
     * The runtime's reconnection after a restart. Each overlay edge has one dialling side (the arc's source,
     * the lower id when both arcs exist, as the runtime's link table decides). An edge the restarted node
     * dials is up {@code handshakeNanos} after the restart. An edge its neighbour dials is up at the
     * neighbour's first redial after the restart plus {@code handshakeNanos}: the neighbour has redialled
     * since the crash with exponential backoff (base doubling to the cap, full jitter in [d/2, d], the
     * runtime's schedule), and the restart call itself took {@code respawnNanos} of those (binding; a new
     * JVM on processes), which a real run does not count in its rejoin time.
     */
    public record Restart(long backoffBaseNanos, long backoffMaxNanos, long handshakeNanos, long respawnNanos) {
        public Restart {
            if (backoffBaseNanos <= 0 || backoffMaxNanos < backoffBaseNanos || handshakeNanos < 0 || respawnNanos < 0) {
                throw new IllegalArgumentException("restart model: backoff base > 0, max >= base, times >= 0");
            }
        }

        /**
         * When the edge a neighbour dials is up again, relative to the restart instant: the neighbour's
         * redial schedule started at the crash ({@code downNanos} before the restart), jitter drawn from
         * {@code random} (one value in [0, 1) per attempt).
         */
        public long neighbourDialDelay(long downNanos, java.util.function.DoubleSupplier random) {
            long target = downNanos + respawnNanos; // real time from crash to the restart call's return
            long t = 0;
            for (int attempt = 0; ; attempt++) {
                long d = Math.min(backoffMaxNanos, backoffBaseNanos << Math.min(attempt, 20));
                t += d / 2 + (long) (random.getAsDouble() * (d / 2 + 1));
                if (t >= target) {
                    return t - target + handshakeNanos;
                }
            }
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
                    number(p, "cpu.recv_ns"), number(p, "cpu.send_ns"));
            Wake wake = p.getProperty("wake.wake_ns") == null ? null : new Wake(number(p, "wake.idle_ns"), number(p, "wake.wake_ns"));
            Restart restart = p.getProperty("restart.handshake_ns") == null ? null : new Restart(number(p, "restart.backoff_base_ns"),
                    number(p, "restart.backoff_max_ns"), number(p, "restart.handshake_ns"), number(p, "restart.respawn_ns"));
            Map<String, String> machine = new TreeMap<>();
            for (String k : p.stringPropertyNames()) {
                if (k.startsWith("machine.")) {
                    machine.put(k.substring("machine.".length()), p.getProperty(k));
                }
            }
            return new EngineModel(p.getProperty("engine", "netty"), link, cpu, wake, restart, machine, dir);
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
        }
        if (wake != null) {
            p.put("wake.idle_ns", String.valueOf(wake.idleNanos()));
            p.put("wake.wake_ns", String.valueOf(wake.wakeNanos()));
        }
        if (restart != null) {
            p.put("restart.backoff_base_ns", String.valueOf(restart.backoffBaseNanos()));
            p.put("restart.backoff_max_ns", String.valueOf(restart.backoffMaxNanos()));
            p.put("restart.handshake_ns", String.valueOf(restart.handshakeNanos()));
            p.put("restart.respawn_ns", String.valueOf(restart.respawnNanos()));
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
                    .append(cpu.cores()).append(" recv=").append(cpu.recvNanos()).append("ns send=").append(cpu.sendNanos()).append("ns");
        }
        if (wake != null) {
            b.append(" wake=").append(wake.wakeNanos()).append("ns after ").append(wake.idleNanos()).append("ns idle");
        }
        if (restart != null) {
            b.append(" backoff=").append(restart.backoffBaseNanos()).append("..").append(restart.backoffMaxNanos())
                    .append("ns handshake=").append(restart.handshakeNanos()).append("ns respawn=").append(restart.respawnNanos()).append("ns");
        }
        return b.append(')').toString();
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
