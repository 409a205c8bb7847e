package dev.ringlab.experiments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.awt.Color;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.XYStyler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.Marker;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The predicted-vs-measured plot of {@code fidelity}: one point per (topology, n, percentile), x the
 * measured value, y the predicted one, error bars the prediction's spread over seeds (95 % half-width),
 * and the y = x line a perfect simulator would sit on. Log-log, since the points span several decades. A
 * scatter, which {@link Plots} (line charts) does not draw: XChart, with the same palette, a marker shape per
 * metric, coloured error bars and the legend outside the plot.
 */
final class FidelityPlots {
    private FidelityPlots() {}

    /**
     * One plotted point: {@code group} (a topology, or "recovery") picks the colour, {@code metric} (p50, p99,
     * detect_ms, ...) the marker shape; {@code model} says whether it is the engine model's prediction (in the
     * group's colour, with its spread over seeds as error bars) or the plain simulator's (grey, no bars).
     */
    record Point(String group, String metric, boolean model, double measured, double predicted, double predictedHalfWidth) {}

    private static final Color BASELINE = new Color(0x999999);
    private static final Marker[] SHAPES = {SeriesMarkers.CIRCLE, SeriesMarkers.SQUARE, SeriesMarkers.DIAMOND,
        SeriesMarkers.TRIANGLE_UP, SeriesMarkers.TRIANGLE_DOWN};

    /** Writes {@code <dir>/<base>.png} and {@code .svg}; points with a non-positive or missing value are left out. */
    static void save(Path dir, String base, String title, List<Point> points) {
        XYChart chart = new XYChartBuilder().width(1000).height(640).title(title).xAxisTitle("measured, ms (log)")
                .yAxisTitle("predicted, ms (log)").build();
        XYStyler s = chart.getStyler();
        s.setChartBackgroundColor(Color.WHITE);
        s.setXAxisLogarithmic(true);
        s.setYAxisLogarithmic(true);
        // Outside the plot: inside it covered points; error bars in their series' colour, not black.
        s.setLegendPosition(Styler.LegendPosition.OutsideE);
        s.setErrorBarsColorSeriesColor(true);
        s.setMarkerSize(9);
        s.setDefaultSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
        List<String> groups = new ArrayList<>();
        List<String> metrics = new ArrayList<>();
        Map<String, List<Point>> bySeries = new LinkedHashMap<>();
        double lo = Double.MAX_VALUE;
        double hi = 0;
        for (Point p : points) {
            if (p.measured() > 0 && p.predicted() > 0 && Double.isFinite(p.measured()) && Double.isFinite(p.predicted())) {
                if (!groups.contains(p.group())) {
                    groups.add(p.group());
                }
                if (!metrics.contains(p.metric())) {
                    metrics.add(p.metric());
                }
                String name = p.model() ? p.group() + " " + p.metric() + " (model)" : "plain sim " + p.metric() + " (baseline)";
                bySeries.computeIfAbsent(name, k -> new ArrayList<>()).add(p);
                lo = Math.min(lo, Math.min(p.measured(), p.predicted()));
                hi = Math.max(hi, Math.max(p.measured(), p.predicted()));
            }
        }
        // Baselines first, so the model's points are drawn over them.
        List<Map.Entry<String, List<Point>>> order = new ArrayList<>(bySeries.entrySet());
        order.sort((a, b) -> Boolean.compare(a.getValue().get(0).model(), b.getValue().get(0).model()));
        for (Map.Entry<String, List<Point>> e : order) {
            List<Point> ps = e.getValue();
            Point first = ps.get(0);
            double[] x = ps.stream().mapToDouble(Point::measured).toArray();
            double[] y = ps.stream().mapToDouble(Point::predicted).toArray();
            double[] err = ps.stream().mapToDouble(p -> Double.isFinite(p.predictedHalfWidth()) ? p.predictedHalfWidth() : 0).toArray();
            boolean bars = first.model();
            for (int i = 0; i < y.length; i++) {
                bars &= y[i] - err[i] > 0; // a log axis cannot draw a bar below 0
            }
            XYSeries se = bars ? chart.addSeries(e.getKey(), x, y, err) : chart.addSeries(e.getKey(), x, y);
            se.setMarker(SHAPES[metrics.indexOf(first.metric()) % SHAPES.length]);
            Color c = first.model() ? Plots.PALETTE[groups.indexOf(first.group()) % Plots.PALETTE.length] : BASELINE;
            se.setMarkerColor(c);
            se.setLineColor(c);
        }
        if (hi > 0) {
            XYSeries line = chart.addSeries("y = x (perfect prediction)", new double[] {lo / 1.2, hi * 1.2},
                    new double[] {lo / 1.2, hi * 1.2});
            line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            line.setMarker(SeriesMarkers.NONE);
            line.setLineColor(Color.BLACK);
            line.setLineStyle(SeriesLines.DASH_DASH);
        }
        try {
            BitmapEncoder.saveBitmap(chart, dir.resolve(base).toString(), BitmapEncoder.BitmapFormat.PNG);
            VectorGraphicsEncoder.saveVectorGraphic(chart, dir.resolve(base).toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write plot " + base + " in " + dir + ": " + e.getMessage(), e);
        }
    }
}
