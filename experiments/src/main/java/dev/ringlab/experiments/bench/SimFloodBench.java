package dev.ringlab.experiments.bench;

import dev.ringlab.node.Message;
import dev.ringlab.node.protocols.Flood;
import dev.ringlab.sim.QueueKind;
import dev.ringlab.sim.SimCluster;
import dev.ringlab.sim.SimConfig;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One flood ({@link Flood}) of one broadcast over {@code random-regular:8} ({@link Topologies#build}, seed 1),
 * to quiescence, on each event
 * queue of the simulator: {@code calendar} (the default), {@code binary-heap} (primitive heap) and
 * {@code priority-queue} (the naive baseline: {@code java.util.PriorityQueue} of event objects). Same node
 * logic, same event order; the tear-down checks that every run ends with the same trace hash.
 *
 * <p>One operation = inject and drain, about {@code n * 7} deliveries (exactly the {@code deliveries} that
 * {@code ringlab simbench -n N} prints for the same seed); nodes are built and started in an untimed
 * per-invocation set-up. Deliveries per second = deliveries / (ms/op) * 1000.
 *
 * <p>Run (the defaults take a few minutes on two cores):
 * <pre>
 * java -cp experiments/target/ringlab.jar org.openjdk.jmh.Main SimFloodBench
 * java -cp experiments/target/ringlab.jar org.openjdk.jmh.Main SimFloodBench -p n=1000000 -p queue=CALENDAR,PRIORITY_QUEUE
 * </pre>
 * {@code n=1000000} (7 M deliveries per op, about 4.3 M events in flight at the peak) needs the fork's
 * {@code -Xmx2g} below for the baseline; each op then takes seconds, so expect tens of minutes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-XX:+UseSerialGC"})
@State(Scope.Benchmark)
public class SimFloodBench {

    /** Nodes; 1000000 is the target size (see class doc for its cost). */
    @Param({"100000"})
    public int n;

    @Param({"CALENDAR", "BINARY_HEAP", "PRIORITY_QUEUE"})
    public QueueKind queue;

    @Param({"8"})
    public int degree;

    private Overlay overlay;
    private SimCluster sim;
    private long expectedHash;
    private boolean haveHash;

    @Setup(Level.Trial)
    public void buildOverlay() {
        overlay = Topologies.build("random-regular:" + degree, n, 1);
    }

    @Setup(Level.Invocation)
    public void startNodes() {
        sim = new SimCluster(overlay, Flood.PROTOCOL, SimConfig.of(1), queue);
        sim.start();
    }

    @Benchmark
    public long flood() {
        sim.inject(0, new Message.Inject(1, new byte[0]));
        sim.runToQuiescence();
        return sim.stats().messagesDelivered();
    }

    @TearDown(Level.Invocation)
    public void checkTrace() {
        long h = sim.traceHash().orElseThrow();
        sim.close();
        if (haveHash && h != expectedHash) {
            throw new IllegalStateException("trace hash changed between runs of the same flood: " + Long.toHexString(h)
                    + " vs " + Long.toHexString(expectedHash));
        }
        expectedHash = h;
        haveHash = true;
    }
}
