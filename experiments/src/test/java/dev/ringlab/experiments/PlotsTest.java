package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlotsTest {
    /** Three topologies over the measured n = 16, 64, 256, latencies from 1.1 to 140 ms, each with an interval. */
    static List<Plots.Series> sweep() {
        Plots.Builder b = new Plots.Builder();
        double[] ns = {16, 64, 256};
        double[][] ys = {{8.5, 34, 140}, {1.1, 2.1, 6.5}, {1.15, 1.7, 2.4}};
        String[] names = {"ring", "chordal:4", "random-regular:8"};
        for (int s = 0; s < 3; s++) {
            for (int i = 0; i < 3; i++) {
                b.add(names[s], ns[i], ys[s][i], ys[s][i] * 0.95, ys[s][i] * 1.08);
            }
        }
        return b.series();
    }

    static Plots.Chart logLog(List<Plots.Series> s) {
        return Plots.chart(new Plots.Axes("latency", "nodes (log)", "latency p50, ms (log)", true, true), s);
    }

    @Test
    void logAxisLabelsTheTwosAndFivesSoValuesBelowTenRead() {
        Plots.Layout l = Plots.layout(logLog(sweep()));
        List<String> y = Plots.labels(l.y());
        assertTrue(y.containsAll(List.of("1", "2", "5", "10", "20", "50", "100")), y.toString());
        // every minor tick is drawn, labelled or not
        assertTrue(l.y().ticks().stream().anyMatch(t -> t.label() == null), l.y().ticks().toString());
    }

    @Test
    void logAxisUnderADecadeLabelsMoreMinorTicks() {
        Plots.Scale s = Plots.logScale(new double[] {2.1, 7.9}, 400, 20, false);
        List<String> y = Plots.labels(s);
        assertTrue(y.size() >= 5, y.toString());
        assertTrue(y.containsAll(List.of("3", "5", "7")), y.toString());
    }

    @Test
    void xTicksSitAtTheMeasuredSizes() {
        Plots.Layout l = Plots.layout(logLog(sweep()));
        assertEquals(List.of("16", "64", "256"), Plots.labels(l.x()));
        assertEquals(3, l.x().ticks().size());
    }

    @Test
    void doublingTimeoutsOnALogAxisGetEvenSpacing() {
        Plots.Builder b = new Plots.Builder();
        for (double t : new double[] {25, 50, 100, 200}) {
            b.add("n=16", t, t + 20, Double.NaN);
        }
        Plots.Layout l = Plots.layout(Plots.chart(new Plots.Axes("t", "timeout", "repair", true, false), b.series()));
        assertEquals(List.of("25", "50", "100", "200"), Plots.labels(l.x()));
        double a = l.px(50) - l.px(25);
        double c = l.px(200) - l.px(100);
        assertEquals(a, c, 1e-6);
        assertEquals(0.0, l.y().lo(), "a linear time axis starts at 0");
    }

    @Test
    void manyXValuesGetRoundTicksInstead() {
        double[] x = new double[100];
        double[] y = new double[100];
        for (int i = 0; i < 100; i++) {
            x[i] = 20 * Math.pow(1.05, i);
            y[i] = (i + 1) / 100.0;
        }
        Plots.Layout l = Plots.layout(Plots.chart(new Plots.Axes("cdf", "us (log)", "fraction", true, false),
                List.of(new Plots.Series("hops", x, y, null))));
        List<String> labels = Plots.labels(l.x());
        assertFalse(labels.isEmpty());
        assertTrue(labels.containsAll(List.of("100", "1000")), labels.toString());
        String svg = Plots.svg(Plots.chart(new Plots.Axes("cdf", "us (log)", "fraction", true, false),
                List.of(new Plots.Series("hops", x, y, null))));
        assertEquals(0, count(svg, "class=\"marker\""), "100 points: a line, no markers");
    }

    @Test
    void everySeriesHasItsOwnColourDashAndMarkerAndABand() throws Exception {
        String svg = Plots.svg(logLog(sweep()));
        DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
        assertEquals(3, count(svg, "class=\"band\""), svg);
        List<String> lines = new ArrayList<>();
        Matcher m = Pattern.compile("<polyline class=\"series\"[^>]*>").matcher(svg);
        while (m.find()) {
            lines.add(m.group());
        }
        assertEquals(6, lines.size(), "3 plot lines and 3 legend samples");
        Set<String> styles = new HashSet<>();
        for (String line : lines.subList(0, 3)) {
            styles.add(attr(line, "stroke") + " " + attr(line, "stroke-dasharray"));
        }
        assertEquals(3, styles.size(), styles.toString());
        // circle for the first series, square and triangle polygons for the next two: 3 points + 1 legend each
        assertEquals(4, count(svg, "<circle class=\"marker\""));
        assertEquals(8, count(svg, "<polygon class=\"marker\""));
        // the band is in the series' colour
        Matcher band = Pattern.compile("<polygon class=\"band\"[^>]*fill=\"(#[0-9a-f]{6})\"").matcher(svg);
        assertTrue(band.find());
        assertEquals(attr(lines.get(0), "stroke"), band.group(1));
    }

    @Test
    void singlePointsGetErrorBarsOffsetPerSeriesInTheirColour() {
        Plots.Builder b = new Plots.Builder();
        b.add("a", 64, 10, 8, 12);
        b.add("b", 64, 10, 9, 11);
        String svg = Plots.svg(Plots.chart(new Plots.Axes("t", "n", "y", true, false), b.series()));
        List<String> xs = new ArrayList<>();
        Matcher m = Pattern.compile("<line x1=\"([0-9.]+)\" y1=\"[0-9.]+\" x2=\"\\1\" y2=\"[0-9.]+\" stroke=\"(#[0-9a-f]{6})\" stroke-width=\"1.6\"")
                .matcher(svg);
        Set<String> colours = new HashSet<>();
        while (m.find()) {
            xs.add(m.group(1));
            colours.add(m.group(2));
        }
        assertEquals(2, xs.size(), svg);
        assertNotEquals(xs.get(0), xs.get(1));
        assertEquals(2, colours.size());
    }

    @Test
    void noDataDrawsAnEmptyFrameWithANote() {
        String svg = Plots.svg(logLog(List.of()));
        assertTrue(svg.contains("no data to plot"));
    }

    @Test
    void saveWritesAPngAndAnSvg(@TempDir Path dir) throws Exception {
        List<Path> files = Plots.save(logLog(sweep()), dir, "latency");
        BufferedImage img = ImageIO.read(files.get(0).toFile());
        assertEquals(Plots.WIDTH, img.getWidth());
        assertEquals(Plots.HEIGHT, img.getHeight());
        assertTrue(java.nio.file.Files.readString(files.get(1)).startsWith("<svg"));
    }

    @Test
    void longLegendNamesAreCutToStayInsideTheImage() {
        String name = "flood hops, idle between broadcasts (latency.txt), the simulator's input";
        String cut = Plots.legendText(name);
        assertTrue(cut.endsWith("…") && cut.length() < name.length(), cut);
        assertTrue(Plots.width(cut, Plots.TICK_FONT, false) <= Plots.MAX_LEGEND_TEXT);
        Plots.Layout l = Plots.layout(Plots.chart(new Plots.Axes("t", "x", "y", false, false),
                List.of(new Plots.Series(name, new double[] {1, 2}, new double[] {1, 2}, null))));
        assertTrue(l.legendX() + 38 + Plots.MAX_LEGEND_TEXT <= Plots.WIDTH, "legend text ends inside the image");
        assertEquals("ring", Plots.legendText("ring"));
    }

    @Test
    void formatIsShortAndPlain() {
        assertEquals("0.002", Plots.format(0.002));
        assertEquals("1024", Plots.format(1024));
        assertEquals("2.5", Plots.format(2.5));
        assertEquals("0.3", Plots.format(0.30000000000000004));
        assertEquals("0", Plots.format(0));
    }

    static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    static String attr(String element, String name) {
        Matcher m = Pattern.compile(" " + name + "=\"([^\"]*)\"").matcher(element);
        return m.find() ? m.group(1) : null;
    }
}
