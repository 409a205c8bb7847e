package dev.ringlab.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.jgrapht.Graph;
import org.jgrapht.generate.GnpRandomGraphGenerator;
import org.jgrapht.graph.DefaultEdge;
import org.jgrapht.graph.SimpleGraph;
import org.jgrapht.util.SupplierUtil;
import org.junit.jupiter.api.Test;

/** Known spectra as oracles, and the dense and sparse solvers checked against each other. */
class SpectrumTest {
    private static final double EPS = 1e-9;

    private static AdjacencySpectrum.Result dense(Overlay g) {
        return AdjacencySpectrum.compute(g, AdjacencySpectrum.Options.defaults(1).withDenseMaxNodes(Integer.MAX_VALUE));
    }

    private static AdjacencySpectrum.Result sparse(Overlay g, long seed) {
        return AdjacencySpectrum.compute(g, AdjacencySpectrum.Options.defaults(seed).withDenseMaxNodes(0));
    }

    /** Every eigenvalue, descending, straight from Commons Math: the oracle side of the comparisons. */
    private static double[] fullSpectrum(Overlay g) {
        int n = g.size();
        double[][] a = new double[n][n];
        for (int u = 0; u < n; u++) {
            for (int v : g.neighbours(u)) {
                a[u][v] += 1;
            }
        }
        double[] ev = new EigenDecomposition(new Array2DRowRealMatrix(a, false)).getRealEigenvalues();
        Arrays.sort(ev);
        for (int i = 0; i < n / 2; i++) {
            double t = ev[i];
            ev[i] = ev[n - 1 - i];
            ev[n - 1 - i] = t;
        }
        return ev;
    }

    private static void assertSpectrum(double[] expected, double[] actual, String why) {
        double[] e = expected.clone();
        double[] a = actual.clone();
        Arrays.sort(e);
        Arrays.sort(a);
        assertEquals(e.length, a.length, why);
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], 1e-8, why + " eigenvalue #" + i);
        }
    }

    @Test
    void cycleEigenvaluesAreTwoCosinesOfMultiplesOfTwoPiOverN() {
        for (int n : new int[] {3, 5, 12, 37, 100}) {
            double[] expected = new double[n];
            for (int k = 0; k < n; k++) {
                expected[k] = 2 * Math.cos(2 * Math.PI * k / n);
            }
            Overlay c = Topologies.build("biring", n, 1);
            assertSpectrum(expected, fullSpectrum(c), "C_" + n);
            AdjacencySpectrum.Result r = dense(c);
            assertEquals(2, r.lambda1(), EPS);
            assertEquals(2 * Math.cos(2 * Math.PI / n), r.lambda2(), EPS, "C_" + n);
            assertEquals(2 * Math.cos(2 * Math.PI * (n / 2) / n), r.lambdaMin(), EPS, "C_" + n);
        }
    }

    @Test
    void directedRingReportsTheSpectrumOfItsSymmetrisationTheCycle() {
        AdjacencySpectrum.Result r = dense(Topologies.build("ring", 40, 1));
        assertTrue(r.symmetrised());
        assertEquals(2, r.lambda1(), EPS);
        assertEquals(2 * Math.cos(2 * Math.PI / 40), r.lambda2(), EPS);
        assertEquals(-2, r.lambdaMin(), EPS);
    }

    @Test
    void hypercubeEigenvaluesAreKMinusTwoJWithBinomialMultiplicities() {
        // Commons Math's QL gives up on Q_8 and larger (see AdjacencySpectrum), so the full oracle stops at Q_7.
        for (int k = 1; k <= 7; k++) {
            int n = 1 << k;
            double[] expected = new double[n];
            int i = 0;
            for (int j = 0; j <= k; j++) {
                long mult = binomial(k, j);
                for (long c = 0; c < mult; c++) {
                    expected[i++] = k - 2 * j;
                }
            }
            assertSpectrum(expected, fullSpectrum(Topologies.build("hypercube", n, 1)), "Q_" + k);
        }
        // Q_10 by Lanczos: 11 distinct eigenvalues, so the Krylov space closes and the values are exact.
        AdjacencySpectrum.Result q10 = sparse(Topologies.build("hypercube", 1024, 1), 3);
        assertTrue(q10.exact(), q10.method());
        assertEquals(8, q10.lambda2(), 1e-8);
        assertEquals(-10, q10.lambdaMin(), 1e-8);
        // Asked for the dense method on Q_8, where Commons Math fails, it falls back and says so.
        AdjacencySpectrum.Result q8 = dense(Topologies.build("hypercube", 256, 1));
        assertTrue(q8.exact() && q8.method().startsWith("dense EigenDecomposition did not converge"), q8.method());
        assertEquals(6, q8.lambda2(), 1e-8);
        assertEquals(-8, q8.lambdaMin(), 1e-8);
    }

    @Test
    void completeGraphHasNMinusOneOnceAndMinusOneNMinusOneTimes() {
        for (int n : new int[] {2, 3, 10, 50}) {
            double[] expected = new double[n];
            Arrays.fill(expected, -1);
            expected[0] = n - 1;
            assertSpectrum(expected, fullSpectrum(Topologies.build("complete", n, 1)), "K_" + n);
        }
        AdjacencySpectrum.Result k700 = sparse(Topologies.build("complete", 700, 1), 5);
        assertEquals(699, k700.lambda1(), EPS);
        assertEquals(-1, k700.lambda2(), 1e-8);
        assertEquals(-1, k700.lambdaMin(), 1e-8);
    }

    @Test
    void paleyEigenvaluesAreMinusOnePlusOrMinusRootQOverTwo() {
        for (int q : new int[] {5, 13, 29, 101}) {
            double[] expected = new double[q];
            expected[0] = (q - 1) / 2.0;
            for (int i = 1; i < q; i++) {
                expected[i] = (-1 + (i % 2 == 0 ? 1 : -1) * Math.sqrt(q)) / 2;
            }
            assertSpectrum(expected, fullSpectrum(Topologies.build("paley", q, 1)), "paley " + q);
        }
        AdjacencySpectrum.Result p = sparse(Topologies.build("paley", 1009, 1), 7);
        assertEquals((-1 + Math.sqrt(1009)) / 2, p.lambda2(), 1e-8);
        assertEquals((-1 - Math.sqrt(1009)) / 2, p.lambdaMin(), 1e-8);
    }

    @Test
    void margulisSecondEigenvalueStaysBelowFiveRootTwo() {
        // Gabber–Galil, in the form of Hoory–Linial–Wigderson Theorem 8.2: lambda(G_m) <= 5 sqrt 2 < 8.
        for (int m : new int[] {3, 7, 12, 20}) {
            AdjacencySpectrum.Result r = dense(Topologies.build("margulis", m * m, 1));
            assertEquals(8, r.lambda1(), EPS);
            assertTrue(r.lambdaNontrivialMax() <= 5 * Math.sqrt(2) + EPS, "m=" + m + ": " + r);
        }
    }

    @Test
    void denseAndLanczosAgreeOnSeededRegularGraphs() {
        SplittableRandom master = new SplittableRandom(0xE16E_2026L);
        for (int c = 0; c < 14; c++) {
            long seed = master.nextLong();
            String spec;
            int n;
            switch (c % 4) {
                case 0 -> {
                    int d = 3 + master.nextInt(8);
                    spec = "random-regular:" + d;
                    n = 150 + master.nextInt(250);
                    n += (n * d) % 2;
                }
                case 1 -> {
                    spec = "margulis";
                    int m = 8 + master.nextInt(12);
                    n = m * m;
                }
                case 2 -> {
                    spec = "chordal:" + (2 + master.nextInt(6));
                    n = 100 + master.nextInt(300);
                }
                default -> {
                    spec = "random-regular:" + (2 + master.nextInt(3) * 2);
                    n = 100 + master.nextInt(300);
                }
            }
            Overlay g = Topologies.build(spec, n, seed);
            AdjacencySpectrum.Result d = dense(g);
            AdjacencySpectrum.Result s = sparse(g, seed);
            String why = "Topologies.build(\"" + spec + "\", " + n + ", " + seed + "L): dense " + d + " vs " + s;
            assertTrue(s.converged(), why);
            assertEquals(d.lambda1(), s.lambda1(), 1e-8, why);
            assertEquals(d.lambda2(), s.lambda2(), 1e-6, why);
            assertEquals(d.lambdaMin(), s.lambdaMin(), 1e-6, why);
            assertTrue(s.lambda2() <= d.lambda2() + 1e-9, why + ": the Lanczos lambda2 is a lower bound");
        }
    }

    @Test
    void denseAndLanczosAgreeOnIrregularGraphsWithoutDeflation() {
        SplittableRandom master = new SplittableRandom(0x1EE6_2026L);
        for (int c = 0; c < 4; c++) {
            long seed = master.nextLong();
            int n = 150 + master.nextInt(200);
            Graph<Integer, DefaultEdge> gnp =
                    new SimpleGraph<>(SupplierUtil.createIntegerSupplier(), SupplierUtil.DEFAULT_EDGE_SUPPLIER, false);
            new GnpRandomGraphGenerator<Integer, DefaultEdge>(n, 0.05, seed).generateGraph(gnp);
            Overlay g = OverlayGraphs.fromGraph("gnp", gnp);
            AdjacencySpectrum.Result d = dense(g);
            AdjacencySpectrum.Result s = sparse(g, seed);
            String why = "G(" + n + ", 0.05) seed=" + seed + ": " + d + " vs " + s;
            assertTrue(!s.regular() && s.converged(), why);
            assertEquals(d.lambda1(), s.lambda1(), 1e-7, why);
            assertEquals(d.lambda2(), s.lambda2(), 1e-6, why);
            assertEquals(d.lambdaMin(), s.lambdaMin(), 1e-6, why);
        }
    }

    @Test
    void aTruncatedLanczosRunStillBoundsLambda2FromBelowAndSaysItDidNotConverge() {
        Overlay g = Topologies.build("random-regular:6", 400, 11);
        AdjacencySpectrum.Result d = dense(g);
        AdjacencySpectrum.Result s = AdjacencySpectrum.compute(g,
                AdjacencySpectrum.Options.defaults(3).withDenseMaxNodes(0).withMaxMatvecs(12));
        assertTrue(!s.converged() && !s.exact(), s.method());
        assertTrue(s.lambda2() <= d.lambda2() + 1e-12, s + " vs " + d);
        assertTrue(s.lambdaMin() >= d.lambdaMin() - 1e-12, s + " vs " + d);
        assertTrue(s.lambda2Residual() > 1e-6, "an unconverged run reports a sizeable residual: " + s);
    }

    private static long binomial(int n, int k) {
        long b = 1;
        for (int i = 1; i <= k; i++) {
            b = b * (n - k + i) / i;
        }
        return b;
    }
}
