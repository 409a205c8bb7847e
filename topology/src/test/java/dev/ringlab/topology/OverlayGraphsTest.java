package dev.ringlab.topology;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringWriter;
import java.util.Arrays;
import java.util.Map;
import org.jgrapht.Graph;
import org.jgrapht.graph.DefaultEdge;
import org.jgrapht.graph.Pseudograph;
import org.jgrapht.graph.SimpleDirectedGraph;
import org.jgrapht.graph.SimpleGraph;
import org.junit.jupiter.api.Test;

class OverlayGraphsTest {

    private static int[] sortedRow(Overlay g, int v) {
        int[] r = g.neighbours(v);
        Arrays.sort(r);
        return r;
    }

    private static void assertSameGraph(Overlay a, Overlay b) {
        assertEquals(a.size(), b.size());
        assertEquals(a.directed(), b.directed());
        for (int v = 0; v < a.size(); v++) {
            assertArrayEquals(sortedRow(a, v), sortedRow(b, v), "row " + v);
        }
    }

    @Test
    void simpleGraphsRoundTripThroughJGraphT() {
        Overlay g = Topologies.build("random-regular:5", 60, 9);
        Graph<Integer, DefaultEdge> jg = g.toGraph();
        assertTrue(jg instanceof SimpleGraph);
        assertEquals(150, jg.edgeSet().size());
        assertSameGraph(g, Overlay.fromGraph("back", jg));
    }

    @Test
    void multigraphLoopsAndParallelEdgesSurviveTheRoundTrip() {
        Overlay g = Topologies.build("margulis", 16, 1);
        Graph<Integer, DefaultEdge> jg = OverlayGraphs.toGraph(g);
        assertTrue(jg instanceof Pseudograph);
        assertEquals(4 * 16, jg.edgeSet().size(), "4 maps, one edge per node each, loops included");
        assertEquals(8, jg.degreeOf(0), "JGraphT counts a loop twice in the degree too");
        assertSameGraph(g, OverlayGraphs.fromGraph("back", jg));
    }

    @Test
    void directedRingBecomesADigraphAndBack() {
        Overlay ring = Topologies.build("ring", 7, 1);
        Graph<Integer, DefaultEdge> jg = ring.toGraph();
        assertTrue(jg instanceof SimpleDirectedGraph);
        assertTrue(jg.containsEdge(6, 0) && !jg.containsEdge(0, 6));
        assertSameGraph(ring, Overlay.fromGraph("ring", jg));
    }

    @Test
    void fromGraphNumbersVerticesInIterationOrder() {
        Graph<String, DefaultEdge> g = new SimpleGraph<>(DefaultEdge.class);
        g.addVertex("c");
        g.addVertex("a");
        g.addVertex("b");
        g.addEdge("c", "b");
        Overlay o = OverlayGraphs.fromGraph("letters", g);
        assertArrayEquals(new int[] {2}, o.neighbours(0));
        assertEquals(0, o.degree(1));
    }

    @Test
    void symmetrisingTheRingGivesTheCycleAndOnTwoNodesOneEdge() {
        assertSameGraph(Topologies.build("biring", 9, 1), OverlayGraphs.symmetrise(Topologies.build("ring", 9, 1)));
        Overlay two = OverlayGraphs.symmetrise(Topologies.build("ring", 2, 1));
        assertFalse(two.directed());
        assertEquals(1, two.edges());
        Overlay undirected = Topologies.build("hypercube", 8, 1);
        assertSame(undirected, OverlayGraphs.symmetrise(undirected));
    }

    @Test
    void dotExportWritesEveryEdgeOnceAndQuotesGraphAttributes() {
        StringWriter out = new StringWriter();
        OverlayExport.dot(Topologies.build("biring", 4, 1), out, Map.of("label", "biring \"n=4\""));
        String dot = out.toString();
        assertTrue(dot.startsWith("strict graph G {"), dot);
        assertTrue(dot.contains("label=\"biring \\\"n=4\\\"\";"), dot);
        assertEquals(4, dot.lines().filter(l -> l.contains(" -- ")).count(), dot);
        assertTrue(dot.contains("3 -- 0") || dot.contains("0 -- 3"), dot);
    }

    @Test
    void dotExportOfTheDirectedRingIsADigraph() {
        StringWriter out = new StringWriter();
        OverlayExport.dot(Topologies.build("ring", 3, 1), out, Map.of());
        assertTrue(out.toString().contains("digraph"), out.toString());
        assertTrue(out.toString().contains("2 -> 0"), out.toString());
    }

    @Test
    void graphmlExportIsWellFormedXmlWithAllNodesAndEdges() throws Exception {
        StringWriter out = new StringWriter();
        OverlayExport.graphml(Topologies.build("margulis", 9, 1), out);
        var doc = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new org.xml.sax.InputSource(new java.io.StringReader(out.toString())));
        assertEquals(9, doc.getElementsByTagName("node").getLength());
        assertEquals(36, doc.getElementsByTagName("edge").getLength());
        assertEquals("undirected", ((org.w3c.dom.Element) doc.getElementsByTagName("graph").item(0)).getAttribute("edgedefault"));
    }
}
