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
 * Line charts of experiment results with XChart, saved as PNG ({@link BitmapEncoder}) and SVG
 * ({@link VectorGraphicsEncoder}; XChart 3.8.8 draws SVG through VectorGraphics2D, which its POM already
 * pulls in, so no extra dependency). One {@link Series} per line, optionally with symmetric error bars
 * (the 95% confidence half-widths of {@link ConfidenceInterval}).
 */
public final class Plots {
    private Plots() {}

    /** One line: x values, y values and (nullable) error half-widths, same length. */
    public record Series(String name, double[] x, double[] y, double[] err) {}

    /** Accumulates points per series name, in insertion order, for callers that produce points row by row. */
    public static final class Builder {
        private final Map<String, List<double[]>> points = new LinkedHashMap<>();

        public Builder add(String series, double x, double y, double err) {
            if (Double.isFinite(y)) {
                points.computeIfAbsent(series, k -> new ArrayList<>()).add(new double[] {x, y, Double.isFinite(err) ? err : 0});
            }
            return this;
        }

        public List<Series> series() {
            List<Series> out = new ArrayList<>();
            points.forEach((name, pts) -> {
                double[] x = new double[pts.size()];
                double[] y = new double[pts.size()];
                double[] e = new double[pts.size()];
                for (int i = 0; i < pts.size(); i++) {
                    x[i] = pts.get(i)[0];
                    y[i] = pts.get(i)[1];
                    e[i] = pts.get(i)[2];
                }
                out.add(new Series(name, x, y, e));
            });
            return out;
        }
    }

    /** Axis options of one chart. */
    public record Axes(String title, String xTitle, String yTitle, boolean xLog, boolean yLog) {}

    /** Builds the chart (800x500). With a log y axis, error bars are drawn only where {@code y - err > 0}. */
    public static XYChart chart(Axes axes, List<Series> series) {
        XYChart chart = new XYChartBuilder().width(800).height(500).title(axes.title()).xAxisTitle(axes.xTitle())
                .yAxisTitle(axes.yTitle()).build();
        Styler s = chart.getStyler();
        chart.getStyler().setXAxisLogarithmic(axes.xLog());
        chart.getStyler().setYAxisLogarithmic(axes.yLog());
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        chart.getStyler().setXAxisDecimalPattern("#");
        s.setChartBackgroundColor(java.awt.Color.WHITE);
        for (Series se : series) {
            boolean bars = se.err() != null;
            if (bars && axes.yLog()) {
                for (int i = 0; i < se.y().length; i++) {
                    bars &= se.y()[i] - se.err()[i] > 0;
                }
            }
            XYSeries x = bars ? chart.addSeries(se.name(), se.x(), se.y(), se.err())
                    : chart.addSeries(se.name(), se.x(), se.y());
            x.setMarker(SeriesMarkers.CIRCLE);
        }
        return chart;
    }

    /** Writes {@code <dir>/<base>.png} and {@code <dir>/<base>.svg}; returns both paths. */
    public static List<Path> save(XYChart chart, Path dir, String base) {
        Path png = dir.resolve(base + ".png");
        Path svg = dir.resolve(base + ".svg");
        try {
            // Both encoders append the extension themselves when the name lacks it.
            BitmapEncoder.saveBitmap(chart, dir.resolve(base).toString(), BitmapEncoder.BitmapFormat.PNG);
            VectorGraphicsEncoder.saveVectorGraphic(chart, dir.resolve(base).toString(),
                    VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write plot " + base + " in " + dir + ": " + e.getMessage(), e);
        }
        return List.of(png, svg);
    }
}
