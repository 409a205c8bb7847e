package dev.ringlab.node.spec;

import dev.ringlab.node.Protocol;
import dev.ringlab.topology.Overlay;
import java.util.Objects;

/**
 * One run, described once for every engine: the overlay, the protocol, the link model, the fault plan,
 * the per-message processing time and the root seed. Every engine is built from a {@code RunSpec} through
 * {@link ClusterEngine#build}, so an experiment holds no per-engine branch, and a field either takes
 * effect on every engine or the engine refuses the spec up front ({@link UnsupportedRunException}).
 *
 * <h2>What each field means on each engine</h2>
 * <ul>
 *   <li>{@code latency}: the link model. In the simulator it is the whole link latency; on the real engines
 *       it is a seeded delay added on each node's send path on top of the latency of real (loopback) TCP.
 *       {@code null} means "the engine's own links": the simulator then uses {@link #DEFAULT_SIM_LATENCY},
 *       the real engines add nothing.</li>
 *   <li>{@code lossProbability}: each node-to-node message is lost with this probability (drawn by the
 *       simulator; emulated on the real engines' send path).</li>
 *   <li>{@code faults}: applied by the experiment through the {@link dev.ringlab.node.Cluster} contract
 *       (crash, restart, partition, heal, slow node, loss burst), which every engine implements.</li>
 *   <li>{@code processingNanosPerMsg}: time a node is busy per message; 0 for none.</li>
 *   <li>{@code placement}: which datacenter each node (ring position) sits in, or null for none. It changes
 *       nothing by itself; a {@code dc:} latency spec ({@link DcLinkModel}) draws by datacenter pair from it,
 *       the same on every engine ({@link #linkSpec()} carries the assignment to a node process).</li>
 * </ul>
 *
 * @param overlay               the overlay; a send along a non-edge is dropped and counted as {@code no_edge}
 *                              on every engine
 * @param protocol              the protocol, found by its spec through {@link dev.ringlab.node.ProtocolRegistry}
 * @param latency               link model spec ({@code const:1ms}, {@code uniform:1ms,5ms},
 *                              {@code lognormal:MEDIAN,SIGMA}, {@code empirical:FILE}; by datacenter pair
 *                              {@code dc:intra=L;inter=L|matrix:FILE}, which needs {@code placement}) or null
 *                              (see above)
 * @param lossProbability       0..1
 * @param faults                the fault plan, times relative to the experiment's fault origin; never null
 * @param processingNanosPerMsg &gt;= 0
 * @param seed                  root seed of the run
 * @param placement             the nodes' datacenters, or null; when given it places exactly the overlay's nodes
 */
public record RunSpec(Overlay overlay, Protocol protocol, String latency, double lossProbability, FaultPlan faults,
        long processingNanosPerMsg, long seed, Placement placement) {
    /** The simulator's link latency when a run names none. */
    public static final String DEFAULT_SIM_LATENCY = "const:1ms";

    public RunSpec {
        Objects.requireNonNull(overlay, "overlay");
        Objects.requireNonNull(protocol, "protocol");
        Objects.requireNonNull(faults, "faults");
        if (!(lossProbability >= 0 && lossProbability <= 1)) {
            throw new IllegalArgumentException("loss probability must be in 0..1, got " + lossProbability);
        }
        if (processingNanosPerMsg < 0) {
            throw new IllegalArgumentException("processing time must be >= 0 ns, got " + processingNanosPerMsg);
        }
        if (placement != null && placement.nodes() != overlay.size()) {
            throw new IllegalArgumentException("placement " + placement + " places " + placement.nodes() + " nodes, but the "
                    + "overlay has " + overlay.size());
        }
        if (latency != null) {
            LinkModels.parse(latency, placement); // fails fast, naming the spec
        }
    }

    /** Without a placement (every caller before placements existed). */
    public RunSpec(Overlay overlay, Protocol protocol, String latency, double lossProbability, FaultPlan faults,
            long processingNanosPerMsg, long seed) {
        this(overlay, protocol, latency, lossProbability, faults, processingNanosPerMsg, seed, null);
    }

    /** A spec with the engines' own links, no loss, no faults, no processing time. */
    public static RunSpec of(Overlay overlay, Protocol protocol, long seed) {
        return new RunSpec(overlay, protocol, null, 0, FaultPlan.none(), 0, seed, null);
    }

    public RunSpec withLatency(String spec) {
        return new RunSpec(overlay, protocol, spec, lossProbability, faults, processingNanosPerMsg, seed, placement);
    }

    public RunSpec withLoss(double p) {
        return new RunSpec(overlay, protocol, latency, p, faults, processingNanosPerMsg, seed, placement);
    }

    public RunSpec withFaults(FaultPlan plan) {
        return new RunSpec(overlay, protocol, latency, lossProbability, plan, processingNanosPerMsg, seed, placement);
    }

    public RunSpec withProcessingNanos(long nanos) {
        return new RunSpec(overlay, protocol, latency, lossProbability, faults, nanos, seed, placement);
    }

    public RunSpec withSeed(long s) {
        return new RunSpec(overlay, protocol, latency, lossProbability, faults, processingNanosPerMsg, s, placement);
    }

    public RunSpec withProtocol(Protocol p) {
        return new RunSpec(overlay, p, latency, lossProbability, faults, processingNanosPerMsg, seed, placement);
    }

    public RunSpec withOverlay(Overlay o) {
        return new RunSpec(o, protocol, latency, lossProbability, faults, processingNanosPerMsg, seed, placement);
    }

    /** With the nodes placed in datacenters ({@code null}: no placement). */
    public RunSpec withPlacement(Placement p) {
        return new RunSpec(overlay, protocol, latency, lossProbability, faults, processingNanosPerMsg, seed, p);
    }

    /** The link model the simulator draws from: {@link #latency} (on the placement) or {@link #DEFAULT_SIM_LATENCY}. */
    public LinkModel simLink() {
        return LinkModels.parse(latency == null ? DEFAULT_SIM_LATENCY : latency, placement);
    }

    /** The delay a real engine adds on its send path, or null for none. */
    public LinkModel addedLink() {
        return latency == null ? null : LinkModels.parse(latency, placement);
    }

    /**
     * The latency spec an engine hands on, self-contained: {@link #latency} as given, except that a {@code dc:}
     * spec carries the placement's assignment ({@link DcLinkModel#spec()}), so that a node process that parses
     * it again ({@link LinkModels#parse(String)}) draws from the same pairs; null when {@link #latency} is.
     */
    public String linkSpec() {
        return latency == null || !DcLinkModel.isDcSpec(latency) ? latency : addedLink().spec();
    }
}
