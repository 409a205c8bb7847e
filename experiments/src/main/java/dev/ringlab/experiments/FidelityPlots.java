package dev.ringlab.experiments;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The predicted-vs-measured plot of {@code fidelity}: one point per (topology, n, percentile), x the
 * measured value, y the predicted one, error bars the prediction's spread over seeds (95 % half-width),
 * and the y = x line a perfect simulator would sit on. Log-log, since the points span several decades.
 */
final class FidelityPlots {
    private FidelityPlots() {}

    /** One plotted point; {@code series} groups points in the legend (e.g. "ring p50, model"). */
    record Point(String series, double measured, double predicted, double predictedHalfWidth) {}

    /** Writes {@code <dir>/<base>.png} and {@code .svg}; points with a non-positive or missing value are left out. */
    static void save(Path dir, String base, String title, List<Point> points) {
        XYChart chart = new XYChartBuilder().width(800).height(600).title(title).xAxisTitle("measured, ms (log)")
                .yAxisTitle("predicted, ms (log)").build();
        Styler s = chart.getStyler();
        s.setChartBackgroundColor(java.awt.Color.WHITE);
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setDefaultSeriesRenderStyle(org.knowm.xchart.XYSeries.XYSeriesRenderStyle.Scatter);
        Map<String, List<Point>> bySeries = new LinkedHashMap<>();
        double lo = Double.MAX_VALUE;
        double hi = 0;
        for (Point p : points) {
            if (p.measured() > 0 && p.predicted() > 0 && Double.isFinite(p.measured()) && Double.isFinite(p.predicted())) {
                bySeries.computeIfAbsent(p.series(), k -> new ArrayList<>()).add(p);
                lo = Math.min(lo, Math.min(p.measured(), p.predicted()));
                hi = Math.max(hi, Math.max(p.measured(), p.predicted()));
            }
        }
        for (Map.Entry<String, List<Point>> e : bySeries.entrySet()) {
            List<Point> ps = e.getValue();
            double[] x = ps.stream().mapToDouble(Point::measured).toArray();
            double[] y = ps.stream().mapToDouble(Point::predicted).toArray();
            double[] err = ps.stream().mapToDouble(p -> Double.isFinite(p.predictedHalfWidth()) ? p.predictedHalfWidth() : 0).toArray();
            boolean bars = true;
            for (int i = 0; i < y.length; i++) {
                bars &= y[i] - err[i] > 0; // a log axis cannot draw a bar below 0
            }
            XYSeries se = bars ? chart.addSeries(e.getKey(), x, y, err) : chart.addSeries(e.getKey(), x, y);
            se.setMarker(SeriesMarkers.CIRCLE);
        }
        if (hi > 0) {
            XYSeries line = chart.addSeries("y = x (perfect prediction)", new double[] {lo / 1.2, hi * 1.2},
                    new double[] {lo / 1.2, hi * 1.2});
            line.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            line.setMarker(SeriesMarkers.NONE);
        }
        try {
            BitmapEncoder.saveBitmap(chart, dir.resolve(base).toString(), BitmapEncoder.BitmapFormat.PNG);
            VectorGraphicsEncoder.saveVectorGraphic(chart, dir.resolve(base).toString(), VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write plot " + base + " in " + dir + ": " + e.getMessage(), e);
        }
    }
}
