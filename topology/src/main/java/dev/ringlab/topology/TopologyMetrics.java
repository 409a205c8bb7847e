package dev.ringlab.topology;

import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * All metrics of one overlay in one immutable {@link Report}: size and degrees, connectivity, diameter and
 * average path length ({@link Distances}), the extreme adjacency eigenvalues ({@link AdjacencySpectrum}),
 * the Ramanujan test and an edge-expansion estimate with its Cheeger bracket ({@link EdgeExpansion}).
 *
 * <p>Exact where feasible, labelled where not: every figure that is a bound, a sample or an iterative
 * estimate carries a flag or a residual in the report. Directed overlays (the unidirectional ring) get
 * directed distances and the spectrum and expansion of their symmetrisation, flagged by
 * {@link Report#symmetrised()}.
 *
 * <p>Ramanujan test (Lubotzky, Phillips and Sarnak, Combinatorica 8, 1988): a connected d-regular graph
 * is Ramanujan if every eigenvalue other than lambda1 = d (one copy) has |lambda| <= 2 sqrt(d - 1). This
 * is the non-bipartite form, so a bipartite graph (lambda_min = -d) with d >= 3 fails it. With an exact
 * spectrum the answer is exact. With Lanczos it is {@code false} for certain when the Rayleigh quotient
 * of the returned lambda2 (or lambda_min) vector, which is orthogonal to the constant vector, already lies
 * beyond the bound (lambda2 is the maximum of that quotient), {@code true} when both values plus their
 * residuals stay within it, and {@code null} ("undecided") otherwise. Every 2-regular graph passes.
 *
 * <p>Randomness: the seed is split into one seed for the distance sample and one for the Lanczos start
 * vector, so a report is a pure function of (overlay, options).
 */
public final class TopologyMetrics {

    /**
     * The metrics. Degrees are out-degrees for a directed overlay.
     *
     * @param topology            the overlay's spec
     * @param nodes               n
     * @param edges               undirected edges, or arcs if directed
     * @param directed            true for the unidirectional ring
     * @param degreeMin           smallest (out-)degree
     * @param degreeMax           largest (out-)degree
     * @param regular             all (symmetrised) degrees equal
     * @param distances           connectivity, diameter, average path length and how they were computed
     * @param lambda1             largest adjacency eigenvalue (of the symmetrisation if directed)
     * @param lambda2             second largest (a Lanczos lower bound unless {@code spectrumExact})
     * @param lambdaMin           smallest
     * @param lambdaNontrivialMax max(|lambda2|, |lambda_min|)
     * @param spectralGap         lambda1 - lambda2
     * @param lambda2Residual     residual norm behind lambda2 (0 when exact)
     * @param lambdaMinResidual   residual norm behind lambda_min (0 when exact)
     * @param spectrumExact       dense decomposition or invariant Krylov space
     * @param spectrumConverged   Lanczos met its tolerance (true when exact)
     * @param symmetrised         the spectrum and expansion are of the symmetrised directed overlay
     * @param spectrumMethod      how the spectrum was computed
     * @param ramanujanBound      2 sqrt(d - 1) for a d-regular graph, else null
     * @param ramanujan           the Ramanujan test, or null if not regular or undecided
     * @param ramanujanNote       why, in words
     * @param expansion           sweep-cut estimate and Cheeger bounds
     */
    public record Report(
            String topology,
            int nodes,
            long edges,
            boolean directed,
            int degreeMin,
            int degreeMax,
            boolean regular,
            Distances.Stats distances,
            double lambda1,
            double lambda2,
            double lambdaMin,
            double lambdaNontrivialMax,
            double spectralGap,
            double lambda2Residual,
            double lambdaMinResidual,
            boolean spectrumExact,
            boolean spectrumConverged,
            boolean symmetrised,
            String spectrumMethod,
            Double ramanujanBound,
            Boolean ramanujan,
            String ramanujanNote,
            EdgeExpansion.Result expansion) {}

    /** Options for the two expensive parts. */
    public record Options(Distances.Options distances, AdjacencySpectrum.Options spectrum) {
        public Options {
            Objects.requireNonNull(distances, "distances");
            Objects.requireNonNull(spectrum, "spectrum");
        }

        /** Defaults for both parts, each with its own seed split from {@code seed}. */
        public static Options defaults(long seed) {
            SplittableRandom split = new SplittableRandom(seed);
            return new Options(Distances.Options.defaults(split.nextLong()),
                    AdjacencySpectrum.Options.defaults(split.nextLong()));
        }

        /** Declares that every node has the same distance profile (a Cayley graph); see {@link Distances}. */
        public Options withVertexTransitive(boolean v) {
            return new Options(distances.withVertexTransitive(v), spectrum);
        }

        public Options withProgress(Consumer<String> p) {
            return new Options(distances.withProgress(p), spectrum.withProgress(p));
        }

        public Options withDistances(Distances.Options d) {
            return new Options(d, spectrum);
        }

        public Options withSpectrum(AdjacencySpectrum.Options s) {
            return new Options(distances, s);
        }
    }

    private static final double ROUNDING = 1e-9;

    private final Overlay overlay;
    private final Options options;

    public TopologyMetrics(Overlay overlay, Options options) {
        this.overlay = Objects.requireNonNull(overlay, "overlay");
        this.options = Objects.requireNonNull(options, "options");
    }

    /** Metrics with default options and the vertex-transitivity of the construction that built it. */
    public static Report of(Overlay overlay, TopologySpec spec, long seed) {
        return new TopologyMetrics(overlay, Options.defaults(seed).withVertexTransitive(spec.vertexTransitive()))
                .compute();
    }

    public Report compute() {
        Consumer<String> progress = options.distances().progress();
        int n = overlay.size();
        int degreeMin = Integer.MAX_VALUE;
        int degreeMax = 0;
        for (int v = 0; v < n; v++) {
            degreeMin = Math.min(degreeMin, overlay.degree(v));
            degreeMax = Math.max(degreeMax, overlay.degree(v));
        }
        progress.accept("metrics: distances");
        Distances.Stats distances = new Distances(overlay).compute(options.distances());
        progress.accept("metrics: spectrum");
        AdjacencySpectrum.Result spectrum = AdjacencySpectrum.compute(overlay, options.spectrum());
        progress.accept("metrics: sweep cut");
        EdgeExpansion.Result expansion =
                EdgeExpansion.sweep(OverlayGraphs.symmetrise(overlay), spectrum.secondVector(), spectrum);

        Double bound = null;
        Boolean ramanujan = null;
        String note;
        String of = spectrum.symmetrised() ? " of the symmetrised graph" : "";
        if (!spectrum.regular()) {
            note = "not regular: the Ramanujan bound is defined for d-regular graphs";
        } else {
            double d = spectrum.degree();
            bound = 2 * Math.sqrt(Math.max(0, d - 1));
            double l2 = spectrum.lambda2();
            double lmin = spectrum.lambdaMin();
            double worst = Math.max(Math.abs(l2), Math.abs(lmin));
            if (d <= bound + ROUNDING) {
                // Only d = 2: every eigenvalue of a d-regular graph has |lambda| <= d.
                ramanujan = true;
                note = "every " + spectrum.degree() + "-regular graph" + of + " is: |lambda| <= d = 2 sqrt(d-1)";
            } else if (spectrum.exact()) {
                ramanujan = worst <= bound + ROUNDING;
                note = "exact spectrum" + of + ": max nontrivial |lambda| = " + fmt(worst) + (ramanujan ? " <= " : " > ")
                        + "2 sqrt(d-1) = " + fmt(bound);
            } else if (l2 > bound + ROUNDING || -lmin > bound + ROUNDING) {
                ramanujan = false;
                note = "certain" + of + ": the Rayleigh quotient " + fmt(l2 > bound ? l2 : lmin)
                        + " of a vector orthogonal to the constant vector already lies beyond " + fmt(bound);
            } else if (spectrum.converged()
                    && Math.abs(l2) + spectrum.lambda2Residual() <= bound
                    && Math.abs(lmin) + spectrum.lambdaMinResidual() <= bound) {
                ramanujan = true;
                note = "Lanczos estimate" + of + ": lambda2 and lambda_min plus their residuals stay within "
                        + fmt(bound);
            } else {
                note = "undecided" + of + ": lambda2 = " + fmt(l2) + " +/- " + fmt(spectrum.lambda2Residual())
                        + ", lambda_min = " + fmt(lmin) + " +/- " + fmt(spectrum.lambdaMinResidual())
                        + " against 2 sqrt(d-1) = " + fmt(bound);
            }
        }
        return new Report(overlay.spec(), n, overlay.edges(), overlay.directed(), degreeMin, degreeMax,
                spectrum.regular(), distances, spectrum.lambda1(), spectrum.lambda2(), spectrum.lambdaMin(),
                spectrum.lambdaNontrivialMax(), spectrum.lambda1() - spectrum.lambda2(), spectrum.lambda2Residual(),
                spectrum.lambdaMinResidual(), spectrum.exact(), spectrum.converged(), spectrum.symmetrised(),
                spectrum.method(), bound, ramanujan, note, expansion);
    }

    private static String fmt(double x) {
        return String.format(java.util.Locale.ROOT, "%.6g", x);
    }
}
