package dev.ringlab.experiments.bench;

import dev.ringlab.topology.AdjacencySpectrum;
import dev.ringlab.topology.Distances;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Topology generation and the two expensive metrics, on the overlay the experiments use most
 * ({@code random-regular:8}):
 * <ul>
 *   <li>{@link #generate}: {@link Topologies#build} (JGraphT's Steger–Wormald generator up to 10^4 nodes,
 *       the pairing model with switching repair above), including the simplicity check.
 *   <li>{@link #lambda2}: {@link AdjacencySpectrum} forced onto the sparse path (thick-restart Lanczos,
 *       default budget of 300 matrix-vector products), i.e. what {@code ringlab topology} pays for the
 *       spectrum.
 *   <li>{@link #sampledDistances}: the bounded distance regime (4-sweep plus 256 bit-parallel BFS
 *       sources), what {@code ringlab topology} pays for distances above the exact budget.
 * </ul>
 * Each overlay is built once per trial with seed 1; every operation is deterministic.
 *
 * <p>Run (the defaults take a few minutes on two cores):
 * <pre>
 * java -cp experiments/target/ringlab.jar org.openjdk.jmh.Main TopologyBench
 * java -cp experiments/target/ringlab.jar org.openjdk.jmh.Main TopologyBench.lambda2 -p spectrumNodes=1000000
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
public class TopologyBench {

    /** Generation sizes; 10^6 is the scale target. */
    @State(Scope.Benchmark)
    public static class Generation {
        @Param({"10000", "100000", "1000000"})
        public int generateNodes;

        @Param({"random-regular:8"})
        public String spec;
    }

    /** Spectrum sizes: one Lanczos run at 10^5 nodes takes seconds, 10^6 tens of seconds. */
    @State(Scope.Benchmark)
    public static class Spectrum {
        @Param({"10000", "100000"})
        public int spectrumNodes;

        Overlay overlay;

        @Setup(Level.Trial)
        public void build() {
            overlay = Topologies.build("random-regular:8", spectrumNodes, 1);
        }
    }

    /** Distance sizes for the sampled regime. */
    @State(Scope.Benchmark)
    public static class Sampled {
        @Param({"1000000"})
        public int distanceNodes;

        Overlay overlay;

        @Setup(Level.Trial)
        public void build() {
            overlay = Topologies.build("random-regular:8", distanceNodes, 1);
        }
    }

    @Benchmark
    public Overlay generate(Generation g) {
        return Topologies.build(g.spec, g.generateNodes, 1);
    }

    @Benchmark
    @Warmup(iterations = 1, time = 1)
    @Measurement(iterations = 2, time = 1)
    public double lambda2(Spectrum s) {
        return AdjacencySpectrum.compute(s.overlay, AdjacencySpectrum.Options.defaults(1).withDenseMaxNodes(0)).lambda2();
    }

    @Benchmark
    @Warmup(iterations = 1, time = 1)
    @Measurement(iterations = 2, time = 1)
    public Distances.Stats sampledDistances(Sampled s) {
        return new Distances(s.overlay).compute(Distances.Options.defaults(1).withExactBudget(0));
    }
}
