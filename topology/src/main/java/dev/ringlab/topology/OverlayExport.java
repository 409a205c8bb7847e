package dev.ringlab.topology;

import java.io.Writer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jgrapht.Graph;
import org.jgrapht.graph.DefaultEdge;
import org.jgrapht.nio.Attribute;
import org.jgrapht.nio.DefaultAttribute;
import org.jgrapht.nio.dot.DOTExporter;
import org.jgrapht.nio.graphml.GraphMLExporter;

/**
 * DOT (Graphviz) and GraphML export of an overlay through jgrapht-io 1.5.2's {@link DOTExporter} and
 * {@link GraphMLExporter}, via {@link OverlayGraphs#toGraph(Overlay)}: loops and parallel edges of a
 * multigraph (Margulis–Gabber–Galil) are written as such, and a directed overlay as a digraph.
 *
 * <p>The JGraphT graph costs a few hundred bytes per edge, so these are for graphs one wants to look at
 * or load into another tool, not for 10^6-node overlays.
 */
public final class OverlayExport {
    private OverlayExport() {}

    /**
     * Writes the overlay in DOT. Node ids are the overlay's node numbers. {@code graphAttributes} (for
     * example {@code label} or {@code comment}) are written as quoted graph attributes, in map order.
     */
    public static void dot(Overlay overlay, Writer out, Map<String, String> graphAttributes) {
        Graph<Integer, DefaultEdge> g = OverlayGraphs.toGraph(overlay);
        DOTExporter<Integer, DefaultEdge> exporter = new DOTExporter<>(String::valueOf);
        Map<String, Attribute> attributes = new LinkedHashMap<>();
        // jgrapht-io writes graph attribute values verbatim, so quote them here to keep any text valid DOT.
        graphAttributes.forEach((k, v) -> attributes.put(k,
                DefaultAttribute.createAttribute("\"" + v.replace("\\", "\\\\").replace("\"", "\\\"") + "\"")));
        exporter.setGraphAttributeProvider(() -> attributes);
        exporter.exportGraph(g, out);
    }

    /** Writes the overlay in GraphML; node ids are {@code n0 .. n(n-1)}. */
    public static void graphml(Overlay overlay, Writer out) {
        Graph<Integer, DefaultEdge> g = OverlayGraphs.toGraph(overlay);
        GraphMLExporter<Integer, DefaultEdge> exporter = new GraphMLExporter<>(v -> "n" + v);
        exporter.exportGraph(g, out);
    }
}
