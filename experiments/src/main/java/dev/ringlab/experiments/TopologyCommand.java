package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ringlab.node.spec.Placement;
import dev.ringlab.topology.DcOverlays;
import dev.ringlab.topology.Distances;
import dev.ringlab.topology.EdgeExpansion;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.OverlayExport;
import dev.ringlab.topology.Topologies;
import dev.ringlab.topology.TopologyMetrics;
import dev.ringlab.topology.TopologySpec;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab topology SPEC -n N}: builds one overlay and prints its metrics
 * ({@link TopologyMetrics}) as a table or one JSON object, or exports the graph as DOT or GraphML.
 *
 * <p>The JSON object is built as an ordered map so that the field order is stable and every
 * undefined number (a disconnected graph's diameter, a Ramanujan test that does not apply) is written as
 * {@code null} on purpose, never as Jackson's non-standard {@code NaN}. The table prints the same fields.
 */
@Command(
        name = "topology",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {
            "Build an overlay and print its metrics: nodes, edges, degrees, connectivity, diameter, average "
                    + "path length, adjacency spectrum (lambda1, lambda2, lambda_min, spectral gap, Ramanujan test) "
                    + "and an edge-expansion estimate with its Cheeger bounds. Exact where feasible; bounds, samples "
                    + "and iterative estimates are labelled (diameter_exact, avg_path_length_exact, spectrum_exact, "
                    + "residuals). A directed ring reports directed distances and the spectrum of its symmetrisation "
                    + "(symmetrised=true).",
            "Prints a table, one JSON object with --json, or the graph with --dot / --graphml. Options and "
                    + "progress (n >= 100000) go to stderr."
        },
        footerHeading = "%nSPECs:%n",
        footer = Topologies.SPECS)
public final class TopologyCommand implements Callable<Integer> {
    /** Above this many nodes, progress lines go to stderr. */
    static final int PROGRESS_NODES = 100_000;

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "SPEC", description = "The topology: " + Topologies.VALID_SPECS + " (see SPECs below).")
    String topology;

    @Option(names = {"-n", "--nodes"}, required = true, paramLabel = "N", description = "Number of nodes, >= 2.")
    int nodes;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S",
            description = "Seed for random-regular and for the sampled metrics (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--placement", paramLabel = "P",
            description = "Place the nodes in datacenters: dcs=D,per-dc=P,order=interleaved|grouped|random (random: "
                    + "from --seed); -n must be D*P. Needed by dc-regular:D,K; adds datacenters, placement and "
                    + "inter_dc_edges (edges between two datacenters; a directed ring counts its arcs) to the report.")
    String placement;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Format format = new Format();

    static final class Format {
        @Option(names = "--json", description = "Print the metrics as one JSON object.")
        boolean json;

        @Option(names = "--dot", description = "Print the graph in Graphviz DOT (no metrics).")
        boolean dot;

        @Option(names = "--graphml", description = "Print the graph in GraphML (no metrics).")
        boolean graphml;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (nodes < 2) {
            throw new UsageException("-n", "n must be at least 2, got " + nodes);
        }
        TopologySpec parsed;
        try {
            parsed = TopologySpec.parse(topology);
        } catch (IllegalArgumentException e) {
            throw new UsageException("SPEC", e.getMessage());
        }
        try {
            Topologies.check(parsed, nodes);
        } catch (IllegalArgumentException e) {
            throw new UsageException("-n", e.getMessage());
        }
        Placement placed = null;
        if (placement != null) {
            Placement.Spec ps;
            try {
                ps = Placement.parse(placement);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--placement", e.getMessage());
            }
            RunOptions.requirePlacementFits(ps, nodes);
            placed = ps.resolve(seed);
        } else if (parsed.needsDatacenters()) {
            throw new UsageException("--placement", parsed + " builds on the nodes' datacenters: give --placement "
                    + Placement.FORM);
        }
        String mode = format.json ? "json" : format.dot ? "dot" : format.graphml ? "graphml" : "table";
        err.println("topology: spec=" + parsed + " n=" + nodes + " seed=" + seed + (placed == null ? "" : " placement=" + placed)
                + " output=" + mode);
        err.flush();

        long t0 = System.nanoTime();
        Overlay overlay;
        try {
            overlay = Topologies.build(parsed, nodes, seed, placed == null ? null : placed.dcOf());
        } catch (IllegalArgumentException e) {
            throw new UsageException("SPEC", e.getMessage());
        }
        long buildMs = (System.nanoTime() - t0) / 1_000_000;

        if (format.dot) {
            Map<String, String> attributes = new LinkedHashMap<>();
            attributes.put("label", parsed + " n=" + nodes + " seed=" + seed);
            OverlayExport.dot(overlay, out, attributes);
            out.flush();
            return 0;
        }
        if (format.graphml) {
            OverlayExport.graphml(overlay, out);
            out.flush();
            return 0;
        }

        Consumer<String> progress = s -> { };
        if (nodes >= PROGRESS_NODES) {
            err.println("topology: built in " + buildMs + " ms");
            long start = System.nanoTime();
            progress = s -> {
                err.printf(Locale.ROOT, "topology: [%.1f s] %s%n", (System.nanoTime() - start) / 1e9, s);
                err.flush();
            };
        }
        long t1 = System.nanoTime();
        TopologyMetrics.Report report = new TopologyMetrics(overlay,
                TopologyMetrics.Options.defaults(seed).withVertexTransitive(parsed.vertexTransitive()).withProgress(progress))
                .compute();
        long metricsMs = (System.nanoTime() - t1) / 1_000_000;

        Map<String, Object> fields = withDatacenters(fields(report, seed, buildMs, metricsMs), overlay, placed);
        if (format.json) {
            out.println(new ObjectMapper().writeValueAsString(fields));
        } else {
            table(fields, out);
        }
        out.flush();
        return 0;
    }

    /** The report as ordered snake_case fields; undefined numbers become null. */
    static Map<String, Object> fields(TopologyMetrics.Report r, long seed, long buildMs, long metricsMs) {
        Distances.Stats d = r.distances();
        EdgeExpansion.Result x = r.expansion();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("topology", r.topology());
        m.put("seed", seed);
        m.put("nodes", r.nodes());
        m.put("edges", r.edges());
        m.put("directed", r.directed());
        m.put("degree_min", r.degreeMin());
        m.put("degree_max", r.degreeMax());
        m.put("regular", r.regular());
        m.put("connected", d.connected());
        m.put("diameter", d.diameter());
        m.put("diameter_exact", d.diameterExact());
        m.put("diameter_lower", d.diameterLower());
        m.put("diameter_upper", d.diameterUpper());
        m.put("diameter_method", d.method());
        m.put("avg_path_length", num(d.avgPathLength()));
        m.put("avg_path_length_exact", d.avgPathLengthExact());
        m.put("avg_path_sources", d.avgPathSources());
        m.put("avg_path_length_stderr", d.avgPathLength() == null ? null : num(d.avgPathLengthStderr()));
        m.put("lambda1", num(r.lambda1()));
        m.put("lambda2", num(r.lambda2()));
        m.put("lambda2_residual", num(r.lambda2Residual()));
        m.put("lambda_min", num(r.lambdaMin()));
        m.put("lambda_min_residual", num(r.lambdaMinResidual()));
        m.put("lambda_nontrivial_max", num(r.lambdaNontrivialMax()));
        m.put("spectral_gap", num(r.spectralGap()));
        m.put("spectrum_exact", r.spectrumExact());
        m.put("spectrum_converged", r.spectrumConverged());
        m.put("spectrum_method", r.spectrumMethod());
        m.put("symmetrised", r.symmetrised());
        m.put("ramanujan", r.ramanujan());
        m.put("ramanujan_bound", num(r.ramanujanBound()));
        m.put("ramanujan_note", r.ramanujanNote());
        m.put("expansion_estimate", num(x.estimate()));
        m.put("expansion_set_size", x.smallerSide());
        m.put("expansion_cut_edges", x.cutEdges());
        m.put("cheeger_lower", num(x.cheegerLower()));
        m.put("cheeger_upper", num(x.cheegerUpper()));
        m.put("build_ms", buildMs);
        m.put("metrics_ms", metricsMs);
        return m;
    }

    /**
     * {@code fields} with {@code datacenters}, {@code placement} and {@code inter_dc_edges} after {@code edges}:
     * null without a placement (not measured, not 0).
     */
    static Map<String, Object> withDatacenters(Map<String, Object> fields, Overlay overlay, Placement placed) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            m.put(e.getKey(), e.getValue());
            if (e.getKey().equals("edges")) {
                m.put("datacenters", placed == null ? null : placed.dcs());
                m.put("placement", placed == null ? null : placed.toString());
                m.put("inter_dc_edges", placed == null ? null : DcOverlays.interEdges(overlay, placed.dcOf()));
            }
        }
        return m;
    }

    private static Double num(Double v) {
        return v == null || !Double.isFinite(v) ? null : v;
    }

    private static void table(Map<String, Object> fields, PrintWriter out) {
        int width = fields.keySet().stream().mapToInt(String::length).max().orElse(0);
        for (Map.Entry<String, Object> e : fields.entrySet()) {
            Object v = e.getValue();
            String text = v == null ? "-" : v instanceof Double dv ? String.format(Locale.ROOT, "%.6f", dv) : v.toString();
            out.printf(Locale.ROOT, "%-" + width + "s  %s%n", e.getKey(), text);
        }
    }
}
