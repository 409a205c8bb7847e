package dev.ringlab.topology;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;
import org.apache.commons.math3.exception.MathIllegalStateException;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;

/**
 * The extreme adjacency eigenvalues of an overlay: lambda1 >= lambda2 >= ... >= lambda_min, and a unit
 * eigenvector (or Ritz vector) for lambda2. A directed overlay is symmetrised first
 * ({@link OverlayGraphs#symmetrise}) and the result says so. Multigraph entries count with multiplicity
 * and a self-loop adds 2 to its diagonal entry, so row sums are degrees.
 *
 * <p>Two methods, reported in {@link Result#method()}:
 * <ul>
 *   <li><b>Dense</b> for n <= {@link Options#denseMaxNodes()}: Commons Math {@link EigenDecomposition}
 *       (Householder tridiagonalisation and implicit QL) of the full matrix; all eigenvalues, exact to
 *       rounding. Its O(n^3) work is not cache-blocked: measured here at 0.6 s for n = 600, 4 s for
 *       n = 1000 and 67 s for n = 2000, hence the default limit of 600. Its QL iteration gives up on
 *       some very degenerate spectra (hypercubes from Q_8 on); then the sparse method is used and the
 *       method string says so.
 *   <li><b>Sparse</b> above that: {@link ThickRestartLanczos} with full reorthogonalisation. For a regular
 *       graph lambda1 = d with the constant eigenvector, which is deflated exactly, and the iteration
 *       finds the top and bottom of the rest (lambda2 and lambda_min). For an irregular graph it finds
 *       the two largest and the smallest. Each value comes with its residual norm: an eigenvalue lies
 *       within that distance, and the reported lambda2 is never above the true one (up to rounding).
 * </ul>
 */
public final class AdjacencySpectrum {

    /**
     * @param lambda1           the largest eigenvalue (exactly d for a d-regular graph)
     * @param lambda2           the second largest, with multiplicity (lambda2 = lambda1 if disconnected)
     * @param lambdaMin         the smallest
     * @param lambda2Residual   residual norm behind lambda2 (0 for the dense method)
     * @param lambdaMinResidual residual norm behind lambdaMin (0 for the dense method)
     * @param exact             true for the dense method or an invariant Krylov space
     * @param converged         true if every residual met the tolerance (always true for dense)
     * @param symmetrised       true if the overlay was directed and its symmetrisation was used
     * @param regular           true if all (symmetrised) degrees are equal
     * @param degree            the common degree if regular, else the maximum degree
     * @param matvecs           sparse matrix-vector products (0 for dense)
     * @param method            how it was computed, in words
     * @param secondVector      unit eigenvector (or Ritz vector) for lambda2; copied in and out
     */
    public record Result(
            double lambda1,
            double lambda2,
            double lambdaMin,
            double lambda2Residual,
            double lambdaMinResidual,
            boolean exact,
            boolean converged,
            boolean symmetrised,
            boolean regular,
            int degree,
            int matvecs,
            String method,
            double[] secondVector) {
        public Result {
            secondVector = secondVector.clone();
        }

        @Override
        public double[] secondVector() {
            return secondVector.clone();
        }

        /** The largest |lambda| among all eigenvalues but one copy of lambda1: max(|lambda2|, |lambda_min|). */
        public double lambdaNontrivialMax() {
            return Math.max(Math.abs(lambda2), Math.abs(lambdaMin));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Result r && lambda1 == r.lambda1 && lambda2 == r.lambda2 && lambdaMin == r.lambdaMin
                    && lambda2Residual == r.lambda2Residual && lambdaMinResidual == r.lambdaMinResidual
                    && exact == r.exact && converged == r.converged && symmetrised == r.symmetrised
                    && regular == r.regular && degree == r.degree && matvecs == r.matvecs && method.equals(r.method)
                    && Arrays.equals(secondVector, r.secondVector);
        }

        @Override
        public int hashCode() {
            return Objects.hash(lambda1, lambda2, lambdaMin, method, Arrays.hashCode(secondVector));
        }

        @Override
        public String toString() {
            return "Result[lambda1=" + lambda1 + ", lambda2=" + lambda2 + " (residual " + lambda2Residual
                    + "), lambdaMin=" + lambdaMin + " (residual " + lambdaMinResidual + "), method=" + method + "]";
        }
    }

    /**
     * @param denseMaxNodes largest n for the dense method
     * @param basisSize     Lanczos vectors held in memory; capped further at 1.6e7 / n vectors (full
     *                      reorthogonalisation streams the basis through memory every step, so at 10^6
     *                      nodes bandwidth sets the cost) and at a third of the maximum heap, never below 8
     * @param maxMatvecs    Lanczos budget of matrix-vector products
     * @param tolerance     Lanczos convergence: residual <= tolerance * degree bound
     * @param seed          Lanczos start vector
     * @param progress      receives a line per Lanczos restart; never null
     */
    public record Options(int denseMaxNodes, int basisSize, int maxMatvecs, double tolerance, long seed,
                          Consumer<String> progress) {
        public Options {
            Objects.requireNonNull(progress, "progress");
            if (basisSize < 8) {
                throw new IllegalArgumentException("basisSize must be >= 8, got " + basisSize);
            }
            if (maxMatvecs < 1) {
                throw new IllegalArgumentException("maxMatvecs must be >= 1, got " + maxMatvecs);
            }
            if (!(tolerance > 0)) {
                throw new IllegalArgumentException("tolerance must be > 0, got " + tolerance);
            }
        }

        public static Options defaults(long seed) {
            // 300 matvecs: 14-26 s at 10^6 nodes of degree 8 on the shared two-core build machine, lambda2
            // to ~1e-3 there (a dense spectral edge); smaller or less clustered spectra converge to 1e-10.
            return new Options(600, 48, 300, 1e-10, seed, s -> { });
        }

        public Options withDenseMaxNodes(int v) {
            return new Options(v, basisSize, maxMatvecs, tolerance, seed, progress);
        }

        public Options withBasisSize(int v) {
            return new Options(denseMaxNodes, v, maxMatvecs, tolerance, seed, progress);
        }

        public Options withMaxMatvecs(int v) {
            return new Options(denseMaxNodes, basisSize, v, tolerance, seed, progress);
        }

        public Options withTolerance(double v) {
            return new Options(denseMaxNodes, basisSize, maxMatvecs, v, seed, progress);
        }

        public Options withProgress(Consumer<String> p) {
            return new Options(denseMaxNodes, basisSize, maxMatvecs, tolerance, seed, p);
        }
    }

    private AdjacencySpectrum() {}

    /** Computes the extreme eigenvalues of the (symmetrised) adjacency matrix. */
    public static Result compute(Overlay overlay, Options options) {
        boolean symmetrised = overlay.directed();
        Overlay g = OverlayGraphs.symmetrise(overlay);
        int n = g.size();
        int minDeg = Integer.MAX_VALUE;
        int maxDeg = 0;
        for (int v = 0; v < n; v++) {
            minDeg = Math.min(minDeg, g.degree(v));
            maxDeg = Math.max(maxDeg, g.degree(v));
        }
        boolean regular = minDeg == maxDeg;
        if (n <= options.denseMaxNodes() || n < 3) {
            try {
                return dense(g, symmetrised, regular, maxDeg);
            } catch (MathIllegalStateException e) {
                // Commons Math 3.6.1's QL iteration gives up (30 sweeps) on some highly degenerate spectra,
                // e.g. the hypercubes Q_8..Q_10 with their binomial multiplicities. Those have few distinct
                // eigenvalues, so the Krylov space closes early and Lanczos is exact there.
                if (n < 3) {
                    throw e;
                }
                Result r = lanczos(g, options, symmetrised, regular, maxDeg);
                return new Result(r.lambda1(), r.lambda2(), r.lambdaMin(), r.lambda2Residual(), r.lambdaMinResidual(),
                        r.exact(), r.converged(), r.symmetrised(), r.regular(), r.degree(), r.matvecs(),
                        "dense EigenDecomposition did not converge (" + e.getMessage() + "); " + r.method(),
                        r.secondVector());
            }
        }
        return lanczos(g, options, symmetrised, regular, maxDeg);
    }

    /** x'Ax / x'x for x first projected off the locked vectors (sequential sums: n is large here). */
    private static double rayleigh(ThickRestartLanczos.Operator op, double[][] locked, double[] vector) {
        double[] x = vector.clone();
        for (double[] l : locked) {
            double c = 0;
            for (int i = 0; i < x.length; i++) {
                c += l[i] * x[i];
            }
            for (int i = 0; i < x.length; i++) {
                x[i] -= c * l[i];
            }
        }
        double[] ax = new double[x.length];
        op.apply(x, ax);
        double num = 0;
        double den = 0;
        for (int i = 0; i < x.length; i++) {
            num += x[i] * ax[i];
            den += x[i] * x[i];
        }
        return num / den;
    }

    private static Result dense(Overlay g, boolean symmetrised, boolean regular, int degree) {
        int n = g.size();
        double[][] a = new double[n][n];
        for (int u = 0; u < n; u++) {
            for (int i = 0; i < g.degree(u); i++) {
                a[u][g.neighbour(u, i)] += 1;
            }
        }
        EigenDecomposition ed = new EigenDecomposition(new Array2DRowRealMatrix(a, false));
        double[] ev = ed.getRealEigenvalues();
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Double.compare(ev[y], ev[x]));
        double lambda1 = ev[order[0]];
        double lambda2 = n > 1 ? ev[order[1]] : lambda1;
        double lambdaMin = ev[order[n - 1]];
        double[] second = n > 1 ? ed.getEigenvector(order[1]).toArray() : new double[] {1};
        return new Result(lambda1, lambda2, lambdaMin, 0, 0, true, true, symmetrised, regular, degree, 0,
                "dense EigenDecomposition (Commons Math), n=" + n, second);
    }

    private static Result lanczos(Overlay g, Options options, boolean symmetrised, boolean regular, int degree) {
        int n = g.size();
        int[] off = g.rawOffsets();
        int[] tgt = g.rawTargets();
        ThickRestartLanczos.Operator op = (x, y) -> Chunks.run(n, c -> {
            for (int v = Chunks.start(c), e = Chunks.end(c, n); v < e; v++) {
                double acc = 0;
                for (int i = off[v], end = off[v + 1]; i < end; i++) {
                    acc += x[tgt[i]];
                }
                y[v] = acc;
            }
        });
        // Reorthogonalisation streams the whole basis through memory twice per step, so at 10^6 nodes
        // memory bandwidth, not arithmetic, sets the cost: cap the basis at ~1.6e7 / n vectors (16 at
        // 10^6 nodes) and at a third of the heap.
        long heapShare = Runtime.getRuntime().maxMemory() / 3;
        int byMemory = (int) Math.max(8, Math.min(Integer.MAX_VALUE, heapShare / (8L * n)));
        int byBandwidth = (int) Math.max(16, 16_000_000L / n);
        int basis = Math.max(8, Math.min(options.basisSize(), Math.min(byMemory, byBandwidth)));
        double[][] locked;
        if (regular) {
            double[] ones = new double[n];
            Arrays.fill(ones, 1 / Math.sqrt(n));
            locked = new double[][] {ones};
        } else {
            locked = new double[0][];
        }
        ThickRestartLanczos trl = new ThickRestartLanczos(n, op, locked, basis, options.maxMatvecs(),
                options.tolerance(), Math.max(1, degree), options.seed(), options.progress());
        ThickRestartLanczos.Result r = trl.run(regular ? 1 : 2, 1, regular ? 1 : 2);
        double lambda1;
        double lambda2;
        double lambda2Res;
        double[] second;
        if (regular) {
            lambda1 = degree;
            second = r.topVectors()[0];
            // The Rayleigh quotient of the returned vector, recomputed from A itself: a lower bound on
            // lambda2 that does not depend on how orthogonal the Lanczos basis stayed.
            lambda2 = rayleigh(op, locked, second);
            lambda2Res = r.topResidual()[0];
        } else {
            lambda1 = r.top()[0];
            int i = r.top().length > 1 ? 1 : 0;
            second = r.topVectors()[i];
            lambda2 = r.top()[i];
            lambda2Res = r.topResidual()[i];
        }
        double lambdaMin = rayleigh(op, locked, r.bottomVector());
        String method = "thick-restart Lanczos, full reorthogonalisation, basis " + basis + ", " + r.matvecs()
                + " matvecs" + (regular ? ", constant eigenvector deflated" : "")
                + (r.invariant() ? ", invariant subspace (exact)" : r.converged() ? ", converged" : ", budget reached");
        return new Result(lambda1, lambda2, lambdaMin, lambda2Res, r.bottomResidual()[0], r.invariant(),
                r.converged() || r.invariant(), symmetrised, regular, degree, r.matvecs(), method, second);
    }
}
