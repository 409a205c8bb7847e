package dev.ringlab.experiments;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Line2D;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import javax.imageio.ImageIO;

/**
 * Line charts of experiment results, saved as PNG and SVG from one drawing routine. Drawn here rather than by a
 * chart library because the figures must read (issue 15) in ways XChart 3.8 cannot be told: its log axes label
 * decades only (no label below 10 ms, where every expander sits), its ticks fall at round numbers rather than at
 * the measured n, and its error bars hide under the markers.
 *
 * <p>What every chart does:
 * <ul>
 *   <li>x ticks at the measured x values when there are at most {@value #MAX_MEASURED_TICKS} of them (the sizes
 *       or timeouts a sweep ran), else round ticks;</li>
 *   <li>log axes label decades and, where there is room, the 2s and 5s between them (every minor tick when the
 *       data span less than a decade), so values below 10 read;</li>
 *   <li>intervals ({@link Series#lo}, {@link Series#hi}, e.g. a {@link ConfidenceInterval}) as a shaded band in
 *       the series' colour, or as error bars in its colour offset sideways per series where a series has a
 *       single point;</li>
 *   <li>each series its own colour (a colour-blind-safe palette), hollow marker shape and dash pattern, drawn
 *       bands first, then lines, then markers, so series lying on each other stay visible.</li>
 * </ul>
 */
public final class Plots {
    private Plots() {}

    /** Most distinct x values that get a tick each ({@code MAX_MEASURED_TICKS}); more get round ticks. */
    static final int MAX_MEASURED_TICKS = 12;
    static final int WIDTH = 900;
    static final int HEIGHT = 520;
    /** Series with more points than this are drawn without markers (a CDF of 100 points). */
    static final int MAX_MARKED_POINTS = 40;

    static final Color[] PALETTE = {new Color(0x0072B2), new Color(0xD55E00), new Color(0x009E73), new Color(0xCC79A7),
        new Color(0xE69F00), new Color(0x56B4E9), new Color(0x000000)};
    static final String[] MARKERS = {"circle", "square", "triangle-up", "diamond", "triangle-down", "cross"};
    static final float[][] DASHES = {null, {7f, 4f}, {2f, 3f}, {9f, 3f, 2f, 3f}, {14f, 5f}};

    /**
     * One line: x values, y values and the interval around each y ({@code lo}, {@code hi}; both null for no
     * intervals, NaN at a point without one). Same lengths.
     */
    public record Series(String name, double[] x, double[] y, double[] lo, double[] hi) {
        public Series {
            if (x.length != y.length || (lo == null) != (hi == null) || (lo != null && (lo.length != y.length || hi.length != y.length))) {
                throw new IllegalArgumentException("series " + name + ": x, y, lo, hi of different lengths");
            }
        }

        /** Symmetric intervals {@code y ± err} ({@code err} nullable; NaN entries: no interval there). */
        public Series(String name, double[] x, double[] y, double[] err) {
            this(name, x, y, err == null ? null : shift(y, err, -1), err == null ? null : shift(y, err, 1));
        }

        private static double[] shift(double[] y, double[] err, int sign) {
            double[] out = new double[y.length];
            for (int i = 0; i < y.length; i++) {
                out[i] = Double.isFinite(err[i]) ? y[i] + sign * err[i] : Double.NaN;
            }
            return out;
        }
    }

    /** Accumulates points per series name, in insertion order, for callers that produce points row by row. */
    public static final class Builder {
        private final Map<String, List<double[]>> points = new LinkedHashMap<>();

        /** A point with the symmetric interval {@code y ± err} (no interval when {@code err} is not finite). */
        public Builder add(String series, double x, double y, double err) {
            boolean e = Double.isFinite(err);
            return add(series, x, y, e ? y - err : Double.NaN, e ? y + err : Double.NaN);
        }

        /** A point at the interval's mean, with its (possibly asymmetric) bounds; none below 3 samples. */
        public Builder add(String series, double x, ConfidenceInterval c) {
            return add(series, x, c.mean(), c.lo(), c.hi());
        }

        /** A point with the interval {@code [lo, hi]} (NaN: none). Points with a non-finite y are left out. */
        public Builder add(String series, double x, double y, double lo, double hi) {
            if (Double.isFinite(y)) {
                points.computeIfAbsent(series, k -> new ArrayList<>()).add(new double[] {x, y, lo, hi});
            }
            return this;
        }

        public List<Series> series() {
            List<Series> out = new ArrayList<>();
            points.forEach((name, pts) -> {
                double[][] c = new double[4][pts.size()];
                for (int i = 0; i < pts.size(); i++) {
                    for (int k = 0; k < 4; k++) {
                        c[k][i] = pts.get(i)[k];
                    }
                }
                out.add(new Series(name, c[0], c[1], c[2], c[3]));
            });
            return out;
        }
    }

    /** Axis options of one chart. */
    public record Axes(String title, String xTitle, String yTitle, boolean xLog, boolean yLog) {}

    /** A chart to draw: its axes and series. */
    public record Chart(Axes axes, List<Series> series) {
        public Chart {
            series = List.copyOf(series);
        }
    }

    /** Builds the chart (drawn by {@link #save}, {@link #svg}, {@link #png}). */
    public static Chart chart(Axes axes, List<Series> series) {
        return new Chart(axes, series);
    }

    /** Writes {@code <dir>/<base>.png} and {@code <dir>/<base>.svg}; returns both paths. */
    public static List<Path> save(Chart chart, Path dir, String base) {
        Path png = dir.resolve(base + ".png");
        Path svg = dir.resolve(base + ".svg");
        try {
            ImageIO.write(png(chart), "png", png.toFile());
            Files.writeString(svg, svg(chart), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write plot " + base + " in " + dir + ": " + e.getMessage(), e);
        }
        return List.of(png, svg);
    }

    /** The chart as a standalone SVG document. */
    public static String svg(Chart chart) {
        SvgCanvas c = new SvgCanvas();
        draw(chart, c);
        return c.finish();
    }

    /** The chart as an RGB image. */
    public static BufferedImage png(Chart chart) {
        BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, WIDTH, HEIGHT);
            draw(chart, new AwtCanvas(g));
        } finally {
            g.dispose();
        }
        return img;
    }

    // ---- layout ---------------------------------------------------------------------------------------------

    /** A tick at {@code value}; {@code label} null for an unlabelled (minor) tick. */
    record Tick(double value, String label, boolean major) {}

    /** One axis: its data range (after padding), log or linear, and its ticks. */
    record Scale(double lo, double hi, boolean log, List<Tick> ticks) {
        double frac(double v) {
            return log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo);
        }
    }

    /** Where things go: the plot rectangle and both scales ({@code null} scales when there is nothing to plot). */
    record Layout(double left, double top, double right, double bottom, Scale x, Scale y, double legendX, double legendWidth,
            int titleSize) {
        double px(double v) {
            return left + x.frac(v) * (right - left);
        }

        double py(double v) {
            return bottom - y.frac(v) * (bottom - top);
        }
    }

    static final int TICK_FONT = 12;
    static final int LABEL_FONT = 13;

    static Layout layout(Chart chart) {
        Axes a = chart.axes();
        double[] xr = range(chart.series(), true, a.xLog());
        double[] yr = range(chart.series(), false, a.yLog());
        int titleSize = 15;
        while (titleSize > 10 && width(a.title(), titleSize, true) > WIDTH - 20) {
            titleSize--;
        }
        double legendWidth = 0;
        for (Series s : chart.series()) {
            legendWidth = Math.max(legendWidth, width(legendText(s.name()), TICK_FONT, false) + 46);
        }
        legendWidth = Math.min(legendWidth, MAX_LEGEND_TEXT + 46);
        double top = 52;
        double bottom = HEIGHT - 62;
        double right = WIDTH - 16 - legendWidth;
        if (xr == null || yr == null) {
            return new Layout(80, top, right, bottom, null, null, right + 12, legendWidth, titleSize);
        }
        Scale y = a.yLog() ? logScale(yr, bottom - top, 20, false) : linearScale(yr, true);
        double yLabelWidth = 0;
        for (Tick t : y.ticks()) {
            if (t.label() != null) {
                yLabelWidth = Math.max(yLabelWidth, width(t.label(), TICK_FONT, false));
            }
        }
        double left = 14 + LABEL_FONT + 12 + yLabelWidth + 8;
        double plotWidth = right - left;
        TreeSet<Double> xs = distinctX(chart.series(), a.xLog());
        Scale x;
        if (xs.size() <= MAX_MEASURED_TICKS) {
            x = measuredScale(xr, a.xLog(), xs, plotWidth);
        } else {
            x = a.xLog() ? logScale(xr, plotWidth, 0, true) : linearScale(xr, false);
        }
        return new Layout(left, top, right, bottom, x, y, right + 12, legendWidth, titleSize);
    }

    /** The finite data range on one axis (y includes the intervals), {@code null} when there is none. */
    private static double[] range(List<Series> series, boolean xAxis, boolean log) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                if (!usable(s, i, log, xAxis)) {
                    continue;
                }
                double[] vs = xAxis ? new double[] {s.x()[i]} : new double[] {s.y()[i],
                    s.lo() == null ? Double.NaN : s.lo()[i], s.hi() == null ? Double.NaN : s.hi()[i]};
                for (double v : vs) {
                    if (Double.isFinite(v) && (!log || v > 0)) {
                        lo = Math.min(lo, v);
                        hi = Math.max(hi, v);
                    }
                }
            }
        }
        return lo <= hi ? new double[] {lo, hi} : null;
    }

    /** Whether point i can be drawn: finite, and positive on a log axis. */
    private static boolean usable(Series s, int i, boolean logAxis, boolean xAxis) {
        double v = xAxis ? s.x()[i] : s.y()[i];
        return Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i]) && (!logAxis || v > 0);
    }

    private static TreeSet<Double> distinctX(List<Series> series, boolean log) {
        TreeSet<Double> xs = new TreeSet<>();
        for (Series s : series) {
            for (double v : s.x()) {
                if (Double.isFinite(v) && (!log || v > 0)) {
                    xs.add(v);
                }
            }
        }
        return xs;
    }

    /** Ticks at the measured x values, labelled left to right where a label does not run into the previous. */
    private static Scale measuredScale(double[] r, boolean log, TreeSet<Double> xs, double pixels) {
        double[] p = pad(r, log, 0.06);
        Scale bare = new Scale(p[0], p[1], log, List.of());
        List<Tick> ticks = new ArrayList<>();
        double lastRight = Double.NEGATIVE_INFINITY;
        for (double v : xs) {
            String label = format(v);
            double w = width(label, TICK_FONT, false);
            double at = bare.frac(v) * pixels;
            boolean fits = at - w / 2 > lastRight + 6;
            if (fits) {
                lastRight = at + w / 2;
            }
            ticks.add(new Tick(v, fits ? label : null, true));
        }
        return new Scale(p[0], p[1], log, ticks);
    }

    /**
     * A log axis over {@code r}: ticks at every 1..9 x 10^k in range; labels at the decades, then (where they
     * keep {@code spacing} pixels from every label already placed) the 5s and 2s, and when the range spans
     * less than a decade the rest. {@code horizontal}: labels need their width instead of a fixed spacing.
     */
    static Scale logScale(double[] r, double pixels, double spacing, boolean horizontal) {
        double[] p = pad(r, true, 0.04);
        Scale bare = new Scale(p[0], p[1], true, List.of());
        int k0 = (int) Math.floor(Math.log10(p[0]));
        int k1 = (int) Math.ceil(Math.log10(p[1]));
        boolean narrow = p[1] / p[0] < 10;
        List<double[]> candidates = new ArrayList<>(); // value, mantissa
        for (int k = k0; k <= k1; k++) {
            for (int m = 1; m <= 9; m++) {
                double v = m * Math.pow(10, k);
                if (v >= p[0] * (1 - 1e-9) && v <= p[1] * (1 + 1e-9)) {
                    candidates.add(new double[] {v, m});
                }
            }
        }
        int[] order = narrow ? new int[] {1, 5, 2, 3, 4, 6, 7, 8, 9} : new int[] {1, 5, 2};
        List<double[]> placed = new ArrayList<>(); // pixel position, half extent
        Map<Double, String> labels = new LinkedHashMap<>();
        for (int m : order) {
            for (double[] c : candidates) {
                if ((int) c[1] != m) {
                    continue;
                }
                String label = format(c[0]);
                double at = bare.frac(c[0]) * pixels;
                double half = horizontal ? width(label, TICK_FONT, false) / 2 + 4 : spacing / 2;
                boolean free = placed.stream().allMatch(q -> Math.abs(q[0] - at) >= q[1] + half);
                if (free) {
                    placed.add(new double[] {at, half});
                    labels.put(c[0], label);
                }
            }
        }
        List<Tick> ticks = new ArrayList<>();
        for (double[] c : candidates) {
            ticks.add(new Tick(c[0], labels.get(c[0]), (int) c[1] == 1));
        }
        return new Scale(p[0], p[1], true, ticks);
    }

    /** A linear axis over {@code r} with about 6 round ticks; {@code fromZero}: start at 0 when all values >= 0. */
    static Scale linearScale(double[] r, boolean fromZero) {
        double lo = r[0];
        double hi = r[1];
        if (fromZero && lo >= 0) {
            lo = 0;
        }
        if (lo == hi) {
            double d = lo == 0 ? 1 : Math.abs(lo) * 0.1;
            lo -= d;
            hi += d;
        }
        double step = niceStep((hi - lo) / 6);
        double pad = (hi - lo) * 0.04;
        double plo = fromZero && lo == 0 ? 0 : lo - pad;
        double phi = hi + pad;
        List<Tick> ticks = new ArrayList<>();
        for (double v = Math.ceil(plo / step) * step; v <= phi + step * 1e-9; v += step) {
            double t = Math.abs(v) < step * 1e-9 ? 0 : v;
            ticks.add(new Tick(t, format(t), true));
        }
        return new Scale(plo, phi, false, ticks);
    }

    private static double niceStep(double raw) {
        double e = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (m * e >= raw) {
                return m * e;
            }
        }
        return 10 * e;
    }

    private static double[] pad(double[] r, boolean log, double f) {
        if (log) {
            double a = Math.log10(r[0]);
            double b = Math.log10(r[1]);
            if (a == b) {
                a -= 0.3;
                b += 0.3;
            }
            double d = (b - a) * f;
            return new double[] {Math.pow(10, a - d), Math.pow(10, b + d)};
        }
        double a = r[0];
        double b = r[1];
        if (a == b) {
            double d = a == 0 ? 1 : Math.abs(a) * 0.1;
            a -= d;
            b += d;
        }
        double d = (b - a) * f;
        return new double[] {a - d, b + d};
    }

    /** Up to 4 significant digits, plain (no exponent) between 0.001 and 10^7, trailing zeros dropped. */
    static String format(double v) {
        if (v == 0) {
            return "0";
        }
        double a = Math.abs(v);
        if (a < 1e-3 || a >= 1e7) {
            return String.format(Locale.ROOT, "%.3g", v);
        }
        return new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros().toPlainString();
    }

    /** Widest legend entry, pixels; longer names are cut with an ellipsis (the full name is in the CSV). */
    static final double MAX_LEGEND_TEXT = 254;

    static String legendText(String name) {
        if (width(name, TICK_FONT, false) <= MAX_LEGEND_TEXT) {
            return name;
        }
        String s = name;
        while (!s.isEmpty() && width(s + "…", TICK_FONT, false) > MAX_LEGEND_TEXT) {
            s = s.substring(0, s.length() - 1);
        }
        return s + "…";
    }

    // ---- drawing --------------------------------------------------------------------------------------------

    static void draw(Chart chart, Canvas c) {
        Layout l = layout(chart);
        Axes a = chart.axes();
        Color ink = new Color(0x222222);
        c.text(a.title(), WIDTH / 2.0, 30, l.titleSize(), true, 0, false, ink);
        c.text(a.xTitle(), (l.left() + l.right()) / 2, HEIGHT - 16, LABEL_FONT, false, 0, false, ink);
        c.text(a.yTitle(), 20, (l.top() + l.bottom()) / 2, LABEL_FONT, false, 0, true, ink);
        if (l.x() == null) {
            c.rect(l.left(), l.top(), l.right() - l.left(), l.bottom() - l.top(), new Color(0x999999));
            c.text("no data to plot", (l.left() + l.right()) / 2, (l.top() + l.bottom()) / 2, LABEL_FONT, false, 0, false, ink);
            return;
        }
        // Grid and ticks.
        Color major = new Color(0xD6D6D6);
        Color minor = new Color(0xEDEDED);
        for (Tick t : l.y().ticks()) {
            double y = l.py(t.value());
            c.line(l.left(), y, l.right(), y, t.major() || t.label() != null ? major : minor, 1, null);
            c.line(l.left() - (t.label() != null ? 6 : 3), y, l.left(), y, ink, 1, null);
            if (t.label() != null) {
                c.text(t.label(), l.left() - 9, y + 4, TICK_FONT, false, 1, false, ink);
            }
        }
        for (Tick t : l.x().ticks()) {
            double x = l.px(t.value());
            c.line(x, l.top(), x, l.bottom(), t.major() || t.label() != null ? major : minor, 1, null);
            c.line(x, l.bottom(), x, l.bottom() + (t.label() != null ? 6 : 3), ink, 1, null);
            if (t.label() != null) {
                c.text(t.label(), x, l.bottom() + 20, TICK_FONT, false, 0, false, ink);
            }
        }
        c.rect(l.left(), l.top(), l.right() - l.left(), l.bottom() - l.top(), new Color(0x888888));

        List<Series> series = chart.series();
        int k = series.size();
        // Bands and offset error bars first, then lines, then markers: nothing hides a marker.
        for (int s = 0; s < k; s++) {
            intervals(series.get(s), s, k, l, a, c);
        }
        for (int s = 0; s < k; s++) {
            int[] idx = order(series.get(s), a);
            if (idx.length >= 2) {
                double[] xs = new double[idx.length];
                double[] ys = new double[idx.length];
                for (int i = 0; i < idx.length; i++) {
                    xs[i] = l.px(series.get(s).x()[idx[i]]);
                    ys[i] = l.py(series.get(s).y()[idx[i]]);
                }
                c.polyline(xs, ys, color(s), 1.8, DASHES[s % DASHES.length]);
            }
        }
        for (int s = 0; s < k; s++) {
            int[] idx = order(series.get(s), a);
            if (idx.length <= MAX_MARKED_POINTS) {
                for (int i : idx) {
                    marker(c, s, l.px(series.get(s).x()[i]), l.py(series.get(s).y()[i]));
                }
            }
        }
        // Legend, right of the plot.
        double y = l.top() + 8;
        for (int s = 0; s < k; s++) {
            double x0 = l.legendX();
            c.polyline(new double[] {x0, x0 + 30}, new double[] {y, y}, color(s), 1.8, DASHES[s % DASHES.length]);
            if (order(series.get(s), a).length <= MAX_MARKED_POINTS) {
                marker(c, s, x0 + 15, y);
            }
            c.text(legendText(series.get(s).name()), x0 + 38, y + 4, TICK_FONT, false, -1, false, ink);
            y += 20;
        }
    }

    static Color color(int s) {
        return PALETTE[s % PALETTE.length];
    }

    /** Indices of the drawable points of {@code s}, by x. */
    private static int[] order(Series s, Axes a) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < s.x().length; i++) {
            if (usable(s, i, a.xLog(), true) && usable(s, i, a.yLog(), false)) {
                idx.add(i);
            }
        }
        idx.sort(Comparator.comparingDouble(i -> s.x()[i]));
        return idx.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A shaded band over each run of 2+ points with an interval; an error bar, offset per series, elsewhere. */
    private static void intervals(Series s, int si, int k, Layout l, Axes a, Canvas c) {
        if (s.lo() == null) {
            return;
        }
        int[] idx = order(s, a);
        boolean[] has = new boolean[idx.length];
        for (int j = 0; j < idx.length; j++) {
            has[j] = Double.isFinite(s.lo()[idx[j]]) && Double.isFinite(s.hi()[idx[j]]);
        }
        double floor = l.y().lo();
        for (int j = 0; j < idx.length; ) {
            if (!has[j]) {
                j++;
                continue;
            }
            int e = j;
            while (e + 1 < idx.length && has[e + 1]) {
                e++;
            }
            if (e > j) {
                int m = e - j + 1;
                double[] xs = new double[2 * m];
                double[] ys = new double[2 * m];
                for (int q = 0; q < m; q++) {
                    int i = idx[j + q];
                    xs[q] = l.px(s.x()[i]);
                    ys[q] = l.py(s.hi()[i]);
                    int back = idx[e - q];
                    xs[m + q] = l.px(s.x()[back]);
                    ys[m + q] = l.py(Math.max(s.lo()[back], floor));
                }
                c.fill(xs, ys, color(si), 0.18);
            } else {
                int i = idx[j];
                double x = l.px(s.x()[i]) + (si - (k - 1) / 2.0) * 5;
                double y0 = l.py(Math.max(s.lo()[i], floor));
                double y1 = l.py(s.hi()[i]);
                c.line(x, y0, x, y1, color(si), 1.6, null);
                c.line(x - 4, y0, x + 4, y0, color(si), 1.6, null);
                c.line(x - 4, y1, x + 4, y1, color(si), 1.6, null);
            }
            j = e + 1;
        }
    }

    /** Series {@code s}'s hollow marker (white inside, so an overlapped series' marker shows through the line). */
    private static void marker(Canvas c, int s, double x, double y) {
        Color col = color(s);
        double r = 4.5;
        switch (MARKERS[s % MARKERS.length]) {
            case "circle" -> c.circle(x, y, r, col);
            case "square" -> c.polygon(new double[] {x - r, x + r, x + r, x - r}, new double[] {y - r, y - r, y + r, y + r}, col);
            case "triangle-up" -> c.polygon(new double[] {x, x + r * 1.15, x - r * 1.15}, new double[] {y - r * 1.2, y + r, y + r}, col);
            case "diamond" -> c.polygon(new double[] {x, x + r * 1.3, x, x - r * 1.3}, new double[] {y - r * 1.3, y, y + r * 1.3, y}, col);
            case "triangle-down" -> c.polygon(new double[] {x - r * 1.15, x + r * 1.15, x}, new double[] {y - r, y - r, y + r * 1.2}, col);
            default -> {
                c.line(x - r, y - r, x + r, y + r, col, 2, null);
                c.line(x - r, y + r, x + r, y - r, col, 2, null);
            }
        }
    }

    // ---- text measurement and the two canvases ---------------------------------------------------------------

    private static final Graphics2D MEASURE = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();

    static Font font(int size, boolean bold) {
        return new Font(Font.SANS_SERIF, bold ? Font.BOLD : Font.PLAIN, size);
    }

    /** Width of {@code s} in pixels (the AWT sans-serif font; the SVG asks for the same family). */
    static synchronized double width(String s, int size, boolean bold) {
        FontMetrics fm = MEASURE.getFontMetrics(font(size, bold));
        return fm.stringWidth(s);
    }

    /** What the drawing routine needs from a surface. {@code anchor}: -1 start, 0 middle, 1 end. */
    interface Canvas {
        void line(double x1, double y1, double x2, double y2, Color c, double width, float[] dash);

        void polyline(double[] xs, double[] ys, Color c, double width, float[] dash);

        void fill(double[] xs, double[] ys, Color c, double alpha);

        /** A hollow polygon: white inside, outlined in {@code c}. */
        void polygon(double[] xs, double[] ys, Color c);

        /** A hollow circle. */
        void circle(double x, double y, double r, Color c);

        void rect(double x, double y, double w, double h, Color stroke);

        void text(String s, double x, double y, int size, boolean bold, int anchor, boolean vertical, Color c);
    }

    static final class AwtCanvas implements Canvas {
        private final Graphics2D g;

        AwtCanvas(Graphics2D g) {
            this.g = g;
        }

        private void stroke(Color c, double width, float[] dash) {
            g.setColor(c);
            g.setStroke(new BasicStroke((float) width, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 10f, dash, 0f));
        }

        private static Path2D path(double[] xs, double[] ys, boolean close) {
            Path2D p = new Path2D.Double();
            p.moveTo(xs[0], ys[0]);
            for (int i = 1; i < xs.length; i++) {
                p.lineTo(xs[i], ys[i]);
            }
            if (close) {
                p.closePath();
            }
            return p;
        }

        @Override
        public void line(double x1, double y1, double x2, double y2, Color c, double width, float[] dash) {
            stroke(c, width, dash);
            g.draw(new Line2D.Double(x1, y1, x2, y2));
        }

        @Override
        public void polyline(double[] xs, double[] ys, Color c, double width, float[] dash) {
            stroke(c, width, dash);
            g.draw(path(xs, ys, false));
        }

        @Override
        public void fill(double[] xs, double[] ys, Color c, double alpha) {
            g.setColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), (int) Math.round(alpha * 255)));
            g.fill(path(xs, ys, true));
        }

        @Override
        public void polygon(double[] xs, double[] ys, Color c) {
            Path2D p = path(xs, ys, true);
            g.setColor(Color.WHITE);
            g.fill(p);
            stroke(c, 1.6, null);
            g.draw(p);
        }

        @Override
        public void circle(double x, double y, double r, Color c) {
            Ellipse2D e = new Ellipse2D.Double(x - r, y - r, 2 * r, 2 * r);
            g.setColor(Color.WHITE);
            g.fill(e);
            stroke(c, 1.6, null);
            g.draw(e);
        }

        @Override
        public void rect(double x, double y, double w, double h, Color stroke) {
            stroke(stroke, 1, null);
            g.draw(new java.awt.geom.Rectangle2D.Double(x, y, w, h));
        }

        @Override
        public void text(String s, double x, double y, int size, boolean bold, int anchor, boolean vertical, Color c) {
            Font f = font(size, bold);
            g.setFont(f);
            g.setColor(c);
            double w = g.getFontMetrics(f).stringWidth(s);
            double dx = anchor < 0 ? 0 : anchor == 0 ? -w / 2 : -w;
            if (vertical) {
                AffineTransform saved = g.getTransform();
                g.translate(x, y);
                g.rotate(-Math.PI / 2);
                g.drawString(s, (float) dx, 0f);
                g.setTransform(saved);
            } else {
                g.drawString(s, (float) (x + dx), (float) y);
            }
        }
    }

    static final class SvgCanvas implements Canvas {
        private final StringBuilder b = new StringBuilder();

        SvgCanvas() {
            b.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
                    .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT)
                    .append("\" font-family=\"DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif\">\n")
                    .append("<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n");
        }

        String finish() {
            return b.append("</svg>\n").toString();
        }

        private static String n(double v) {
            return String.format(Locale.ROOT, "%.1f", v);
        }

        private static String hex(Color c) {
            return String.format(Locale.ROOT, "#%02x%02x%02x", c.getRed(), c.getGreen(), c.getBlue());
        }

        private static String points(double[] xs, double[] ys) {
            StringBuilder p = new StringBuilder();
            for (int i = 0; i < xs.length; i++) {
                p.append(i == 0 ? "" : " ").append(n(xs[i])).append(',').append(n(ys[i]));
            }
            return p.toString();
        }

        private static String stroke(Color c, double width, float[] dash) {
            String s = " stroke=\"" + hex(c) + "\" stroke-width=\"" + n(width) + "\"";
            if (dash != null) {
                StringBuilder d = new StringBuilder();
                for (float f : dash) {
                    d.append(d.isEmpty() ? "" : ",").append(n(f));
                }
                s += " stroke-dasharray=\"" + d + "\"";
            }
            return s;
        }

        @Override
        public void line(double x1, double y1, double x2, double y2, Color c, double width, float[] dash) {
            b.append("<line x1=\"").append(n(x1)).append("\" y1=\"").append(n(y1)).append("\" x2=\"").append(n(x2))
                    .append("\" y2=\"").append(n(y2)).append('"').append(stroke(c, width, dash)).append("/>\n");
        }

        @Override
        public void polyline(double[] xs, double[] ys, Color c, double width, float[] dash) {
            b.append("<polyline class=\"series\" fill=\"none\" points=\"").append(points(xs, ys)).append('"')
                    .append(stroke(c, width, dash)).append(" stroke-linejoin=\"round\"/>\n");
        }

        @Override
        public void fill(double[] xs, double[] ys, Color c, double alpha) {
            b.append("<polygon class=\"band\" points=\"").append(points(xs, ys)).append("\" fill=\"").append(hex(c))
                    .append("\" fill-opacity=\"").append(n(alpha * 100).replace(".0", "")).append("%\" stroke=\"none\"/>\n");
        }

        @Override
        public void polygon(double[] xs, double[] ys, Color c) {
            b.append("<polygon class=\"marker\" points=\"").append(points(xs, ys)).append("\" fill=\"#ffffff\"")
                    .append(stroke(c, 1.6, null)).append("/>\n");
        }

        @Override
        public void circle(double x, double y, double r, Color c) {
            b.append("<circle class=\"marker\" cx=\"").append(n(x)).append("\" cy=\"").append(n(y)).append("\" r=\"").append(n(r))
                    .append("\" fill=\"#ffffff\"").append(stroke(c, 1.6, null)).append("/>\n");
        }

        @Override
        public void rect(double x, double y, double w, double h, Color stroke) {
            b.append("<rect x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" width=\"").append(n(w))
                    .append("\" height=\"").append(n(h)).append("\" fill=\"none\"").append(stroke(stroke, 1, null)).append("/>\n");
        }

        @Override
        public void text(String s, double x, double y, int size, boolean bold, int anchor, boolean vertical, Color c) {
            b.append("<text x=\"").append(n(x)).append("\" y=\"").append(n(y)).append("\" font-size=\"").append(size).append('"');
            if (bold) {
                b.append(" font-weight=\"bold\"");
            }
            b.append(" text-anchor=\"").append(anchor < 0 ? "start" : anchor == 0 ? "middle" : "end").append('"');
            if (vertical) {
                b.append(" transform=\"rotate(-90 ").append(n(x)).append(' ').append(n(y)).append(")\"");
            }
            b.append(" fill=\"").append(hex(c)).append("\">").append(ReportHtml.escape(s)).append("</text>\n");
        }
    }

    /** For tests: the labels of a scale's ticks, in order, unlabelled ticks left out. */
    static List<String> labels(Scale s) {
        return s.ticks().stream().map(Tick::label).filter(x -> x != null).toList();
    }

}
