package dev.ringlab.topology;

import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;

/**
 * Extreme eigenvalues of a large sparse symmetric operator by thick-restart Lanczos (Wu and Simon,
 * "Thick-restart Lanczos method for large symmetric eigenvalue problems", SIAM J. Matrix Anal. Appl.
 * 22, 2000) with full reorthogonalisation: every new Lanczos vector is orthogonalised against the whole
 * basis and against the locked vectors by classical Gram–Schmidt, repeated once when the first pass
 * cancels more than 1 - 1/sqrt 2 of its norm (the DGKS criterion of Daniel, Gragg, Kaufman and Stewart,
 * Math. Comp. 30, 1976).
 *
 * <p>Locked vectors are known, orthonormal eigenvectors (the constant vector of a regular graph): the
 * iteration runs in their orthogonal complement, which deflates them exactly. When the basis is full,
 * the Ritz pairs at both ends of the spectrum are kept (a quarter of the basis each) and the iteration
 * continues from the last residual, so memory stays at {@code basisSize} vectors whatever the number of
 * iterations.
 *
 * <p>Accuracy is reported, not assumed: a Ritz value theta with residual norm r has an eigenvalue within r
 * of it, and a top (bottom) Ritz value is never above the top (below the bottom) eigenvalue of the
 * deflated operator, so the top Ritz value is a certified lower bound on it up to rounding.
 *
 * <p>Deterministic: the start vector comes from the seed, and every reduction sums fixed-size chunks in
 * chunk order (see {@link Chunks}), whatever the number of threads.
 */
final class ThickRestartLanczos {

    /** y = A x for a symmetric A. Must not keep references to x or y. */
    interface Operator {
        void apply(double[] x, double[] y);
    }

    /**
     * @param top            the largest Ritz values, descending
     * @param topResidual    their residual norms
     * @param bottom         the smallest Ritz values, ascending
     * @param bottomResidual their residual norms
     * @param topVectors     unit Ritz vectors for the first {@code topVectors.length} top values
     * @param bottomVector   unit Ritz vector for the smallest value
     * @param matvecs        operator applications
     * @param restarts       thick restarts done
     * @param converged      every wanted residual is at most tol * normBound
     * @param invariant      the Krylov space became invariant: the Ritz values are eigenvalues
     */
    record Result(double[] top, double[] topResidual, double[] bottom, double[] bottomResidual,
                  double[][] topVectors, double[] bottomVector, int matvecs, int restarts, boolean converged, boolean invariant) {}

    private final int n;
    private final Operator op;
    private final double[][] locked;
    private final int basisSize;
    private final int maxMatvecs;
    private final double tol;
    private final double normBound;
    private final long seed;
    private final Consumer<String> progress;

    /**
     * @param n          dimension
     * @param op         the operator
     * @param locked     orthonormal vectors to deflate (may be empty)
     * @param basisSize  Lanczos vectors kept in memory (at least 8)
     * @param maxMatvecs stop after this many operator applications even if not converged
     * @param tol        convergence: residual <= tol * normBound
     * @param normBound  an upper bound on ||A|| (the maximum degree for an adjacency matrix)
     * @param seed       start vector
     * @param progress   one line per restart
     */
    ThickRestartLanczos(int n, Operator op, double[][] locked, int basisSize, int maxMatvecs, double tol,
                        double normBound, long seed, Consumer<String> progress) {
        if (basisSize < 8) {
            throw new IllegalArgumentException("basisSize must be >= 8, got " + basisSize);
        }
        if (maxMatvecs < 1) {
            throw new IllegalArgumentException("maxMatvecs must be >= 1, got " + maxMatvecs);
        }
        if (locked.length >= n) {
            throw new IllegalArgumentException("nothing left to iterate on: " + locked.length + " locked vectors in dimension " + n);
        }
        this.n = n;
        this.op = Objects.requireNonNull(op, "op");
        this.locked = locked;
        this.basisSize = basisSize;
        this.maxMatvecs = maxMatvecs;
        this.tol = tol;
        this.normBound = normBound;
        this.seed = seed;
        this.progress = Objects.requireNonNull(progress, "progress");
    }

    /**
     * Runs until the {@code wantTop} largest and {@code wantBottom} smallest Ritz values converge, the
     * Krylov space is exhausted, or the matvec budget is spent.
     */
    Result run(int wantTop, int wantBottom, int topVectorsWanted) {
        int dim = n - locked.length;
        int m = Math.min(basisSize, dim);
        double[][] q = new double[m][];
        double[] w = new double[n];
        double[] resid = new double[n];
        double[][] t = new double[m][m];

        q[0] = new double[n];
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < n; i++) {
            q[0][i] = rnd.nextDouble() - 0.5;
        }
        orthogonalise(q[0], q, 0, -1);
        double norm0 = lastNorm;
        if (norm0 == 0) {
            throw new IllegalStateException("start vector vanished after deflation");
        }
        scale(q[0], 1 / norm0);

        int k = 0;
        int j = 0;
        int matvecs = 0;
        int restarts = 0;
        double lastBeta = 0;
        while (true) {
            boolean invariant = false;
            int mEff = m;
            for (; j < m; j++) {
                op.apply(q[j], w);
                matvecs++;
                // Classical Gram–Schmidt against the locked vectors and the whole basis: its coefficient on
                // q_j is alpha_j, those on q_(j-1) and on the kept Ritz vectors are (to rounding) the beta and
                // coupling terms of the three-term and arrowhead recurrences, so one pass does the Lanczos
                // step and the full reorthogonalisation at once, reading each basis vector twice per step.
                double alpha = orthogonalise(w, q, j + 1, j);
                t[j][j] = alpha;
                double beta = lastNorm;
                if (beta <= 1e-10 * normBound || j + 1 >= dim) {
                    // The Krylov space is invariant (or spans the whole complement): T's eigenvalues are
                    // eigenvalues of the operator, with zero residual.
                    invariant = true;
                    mEff = j + 1;
                    break;
                }
                if (j + 1 < m) {
                    if (q[j + 1] == null) {
                        q[j + 1] = new double[n];
                    }
                    copyScaled(w, 1 / beta, q[j + 1]);
                    t[j + 1][j] = beta;
                    t[j][j + 1] = beta;
                } else {
                    copyScaled(w, 1 / beta, resid);
                    lastBeta = beta;
                }
                if (matvecs >= maxMatvecs && j + 1 < m) {
                    // Budget spent mid-cycle: stop here and do Rayleigh–Ritz on what we have. The residual
                    // of the truncated basis is beta times the last eigenvector component.
                    mEff = j + 1;
                    lastBeta = beta;
                    break;
                }
            }
            double[][] sub = new double[mEff][mEff];
            for (int a = 0; a < mEff; a++) {
                System.arraycopy(t[a], 0, sub[a], 0, mEff);
            }
            EigenDecomposition ed = new EigenDecomposition(new Array2DRowRealMatrix(sub, false));
            double[] ev = ed.getRealEigenvalues();
            Integer[] order = new Integer[mEff];
            for (int a = 0; a < mEff; a++) {
                order[a] = a;
            }
            Arrays.sort(order, (x, y) -> Double.compare(ev[y], ev[x]));
            double[] theta = new double[mEff];
            double[][] z = new double[mEff][mEff]; // z[row][col], columns in descending theta order
            for (int c = 0; c < mEff; c++) {
                theta[c] = ev[order[c]];
                double[] vec = ed.getEigenvector(order[c]).toArray();
                for (int a = 0; a < mEff; a++) {
                    z[a][c] = vec[a];
                }
            }
            double[] res = new double[mEff];
            for (int c = 0; c < mEff; c++) {
                res[c] = invariant ? 0 : Math.abs(lastBeta * z[mEff - 1][c]);
            }
            int nTop = Math.min(wantTop, mEff);
            int nBottom = Math.min(wantBottom, mEff);
            boolean converged = true;
            for (int c = 0; c < nTop; c++) {
                converged &= res[c] <= tol * normBound;
            }
            for (int c = 0; c < nBottom; c++) {
                converged &= res[mEff - 1 - c] <= tol * normBound;
            }
            progress.accept(String.format("lanczos: %d matvecs, top %.6f (residual %.1e), bottom %.6f (residual %.1e)",
                    matvecs, theta[0], res[0], theta[mEff - 1], res[mEff - 1]));
            if (converged || invariant || matvecs >= maxMatvecs) {
                double[] top = new double[nTop];
                double[] topRes = new double[nTop];
                for (int c = 0; c < nTop; c++) {
                    top[c] = theta[c];
                    topRes[c] = res[c];
                }
                double[] bottom = new double[nBottom];
                double[] bottomRes = new double[nBottom];
                for (int c = 0; c < nBottom; c++) {
                    bottom[c] = theta[mEff - 1 - c];
                    bottomRes[c] = res[mEff - 1 - c];
                }
                int nv = Math.min(topVectorsWanted, nTop);
                double[][] vectors = new double[nv][];
                for (int c = 0; c < nv; c++) {
                    double[] y = new double[n];
                    for (int a = 0; a < mEff; a++) {
                        axpy(z[a][c], q[a], y);
                    }
                    scale(y, 1 / norm(y));
                    vectors[c] = y;
                }
                double[] low = new double[n];
                for (int a = 0; a < mEff; a++) {
                    axpy(z[a][mEff - 1], q[a], low);
                }
                scale(low, 1 / norm(low));
                return new Result(top, topRes, bottom, bottomRes, vectors, low, matvecs, restarts, converged,
                        invariant);
            }

            // Thick restart: keep Ritz vectors from both ends, then continue from the residual direction.
            int keepEach = Math.max(Math.max(wantTop, wantBottom) + 1, m / 4);
            keepEach = Math.min(keepEach, (m - 2) / 2);
            int[] keep = new int[2 * keepEach];
            for (int c = 0; c < keepEach; c++) {
                keep[c] = c;
                keep[keepEach + c] = mEff - 1 - c;
            }
            k = keep.length;
            combineInPlace(q, mEff, z, keep);
            double[] spare = q[k];
            q[k] = resid;
            resid = spare == null ? new double[n] : spare;
            for (double[] row : t) {
                Arrays.fill(row, 0);
            }
            for (int c = 0; c < k; c++) {
                // The thick-restart arrowhead: A y_c = theta_c y_c + (beta z_(m-1),c) q_k.
                double coupling = lastBeta * z[mEff - 1][keep[c]];
                t[c][c] = theta[keep[c]];
                t[k][c] = coupling;
                t[c][k] = coupling;
            }
            j = k;
            restarts++;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Dense vector kernels over fixed chunks (deterministic reductions).

    /** Norm of the vector most recently passed to {@link #orthogonalise}, after orthogonalisation. */
    private double lastNorm;

    /**
     * Orthogonalises {@code w} against the locked vectors and {@code basis[0..count)} by classical
     * Gram–Schmidt, repeated once if the first pass removes more than 1 - 1/sqrt 2 of its norm (DGKS).
     * Leaves the final norm in {@link #lastNorm} and returns the total coefficient on
     * {@code basis[index]} ({@code 0} if {@code index < 0}).
     */
    private double orthogonalise(double[] w, double[][] basis, int count, int index) {
        int total = locked.length + count;
        double[][] v = new double[total][];
        System.arraycopy(locked, 0, v, 0, locked.length);
        System.arraycopy(basis, 0, v, locked.length, count);
        double[] h = new double[total + 1];
        double before = Math.sqrt(dots(w, v, total, h));
        double after = Math.sqrt(subtract(w, v, total, h));
        double coefficient = index >= 0 ? h[locked.length + index] : 0;
        if (after < before / Math.sqrt(2)) {
            dots(w, v, total, h);
            after = Math.sqrt(subtract(w, v, total, h));
            coefficient += index >= 0 ? h[locked.length + index] : 0;
        }
        lastNorm = after;
        return coefficient;
    }

    /** h[i] = v_i . w for i < count, in one pass over w; returns w . w. */
    private double dots(double[] w, double[][] v, int count, double[] h) {
        int chunks = Chunks.count(n);
        double[][] partial = new double[chunks][count + 1];
        Chunks.run(n, c -> {
            int s = Chunks.start(c);
            int e = Chunks.end(c, n);
            double[] p = partial[c];
            for (int i = 0; i < count; i++) {
                double[] vi = v[i];
                double acc = 0;
                for (int r = s; r < e; r++) {
                    acc += vi[r] * w[r];
                }
                p[i] = acc;
            }
            double ww = 0;
            for (int r = s; r < e; r++) {
                ww += w[r] * w[r];
            }
            p[count] = ww;
        });
        java.util.Arrays.fill(h, 0);
        for (int c = 0; c < chunks; c++) {
            for (int i = 0; i <= count; i++) {
                h[i] += partial[c][i];
            }
        }
        return h[count];
    }

    /** w -= sum_i h[i] v_i for i < count, in one pass over w; returns the new w . w. */
    private double subtract(double[] w, double[][] v, int count, double[] h) {
        int chunks = Chunks.count(n);
        double[] partial = new double[chunks];
        Chunks.run(n, c -> {
            int s = Chunks.start(c);
            int e = Chunks.end(c, n);
            for (int i = 0; i < count; i++) {
                double[] vi = v[i];
                double hi = h[i];
                for (int r = s; r < e; r++) {
                    w[r] -= hi * vi[r];
                }
            }
            double ww = 0;
            for (int r = s; r < e; r++) {
                ww += w[r] * w[r];
            }
            partial[c] = ww;
        });
        double sum = 0;
        for (double p : partial) {
            sum += p;
        }
        return sum;
    }

    /** Replaces q[0..keep.length) by the Ritz vectors q[0..mEff) z[:, keep], row block by row block. */
    private void combineInPlace(double[][] q, int mEff, double[][] z, int[] keep) {
        int k = keep.length;
        Chunks.run(n, c -> {
            int s = Chunks.start(c);
            int e = Chunks.end(c, n);
            double[] old = new double[mEff];
            for (int r = s; r < e; r++) {
                for (int a = 0; a < mEff; a++) {
                    old[a] = q[a][r];
                }
                for (int b = 0; b < k; b++) {
                    int col = keep[b];
                    double acc = 0;
                    for (int a = 0; a < mEff; a++) {
                        acc += old[a] * z[a][col];
                    }
                    q[b][r] = acc;
                }
            }
        });
    }

    double dot(double[] x, double[] y) {
        int chunks = Chunks.count(n);
        double[] partial = new double[chunks];
        Chunks.run(n, c -> {
            double acc = 0;
            for (int r = Chunks.start(c), e = Chunks.end(c, n); r < e; r++) {
                acc += x[r] * y[r];
            }
            partial[c] = acc;
        });
        double sum = 0;
        for (double p : partial) {
            sum += p;
        }
        return sum;
    }

    private double norm(double[] x) {
        return Math.sqrt(dot(x, x));
    }

    private void axpy(double a, double[] x, double[] y) {
        Chunks.run(n, c -> {
            for (int r = Chunks.start(c), e = Chunks.end(c, n); r < e; r++) {
                y[r] += a * x[r];
            }
        });
    }

    private void scale(double[] x, double a) {
        Chunks.run(n, c -> {
            for (int r = Chunks.start(c), e = Chunks.end(c, n); r < e; r++) {
                x[r] *= a;
            }
        });
    }

    private void copyScaled(double[] x, double a, double[] out) {
        Chunks.run(n, c -> {
            for (int r = Chunks.start(c), e = Chunks.end(c, n); r < e; r++) {
                out[r] = x[r] * a;
            }
        });
    }
}
