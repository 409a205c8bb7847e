package dev.ringlab.node.spec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parsing, bounds and sampling of the latency specs. */
class LinkModelsTest {
    private static final long MS = 1_000_000L;

    /** A generator whose nextDouble is fixed: to read an inverse CDF at a chosen point. */
    private record FixedU(double u) implements RandomGenerator {
        @Override
        public long nextLong() {
            throw new UnsupportedOperationException();
        }

        @Override
        public double nextDouble() {
            return u;
        }
    }

    @Test
    void constantParsesAndAlwaysReturnsItsValue() {
        LinkModel m = LinkModels.parse("const:1ms");
        assertEquals(MS, m.maxNanos());
        assertEquals(MS, m.sampleNanos(0, 1, new SplittableRandom(1)));
        assertEquals("const:1ms", m.spec());
    }

    @Test
    void uniformStaysWithinItsBoundsAndHitsBothEnds() {
        LinkModel m = LinkModels.parse("uniform:1ms,5ms");
        assertEquals(5 * MS, m.maxNanos());
        assertEquals("uniform:1ms,5ms", m.spec());
        SplittableRandom r = new SplittableRandom(2);
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        double sum = 0;
        int draws = 200_000;
        for (int i = 0; i < draws; i++) {
            long x = m.sampleNanos(0, 1, r);
            min = Math.min(min, x);
            max = Math.max(max, x);
            sum += x;
        }
        assertTrue(min >= MS && max <= 5 * MS, min + ".." + max);
        assertEquals(3 * MS, sum / draws, 0.01 * MS);
        LinkModel tiny = LinkModels.parse("uniform:1ns,3ns");
        boolean[] seen = new boolean[4];
        for (int i = 0; i < 1000; i++) {
            seen[(int) tiny.sampleNanos(0, 1, r)] = true;
        }
        assertTrue(seen[1] && seen[2] && seen[3] && !seen[0], Arrays.toString(seen));
    }

    @Test
    void lognormalHasItsMedianAndIsTruncatedAtTheDocumentedQuantile() {
        long median = 2 * MS;
        double sigma = 0.5;
        LinkModel m = LinkModels.parse("lognormal:2ms,0.5");
        long bound = Math.round(median * Math.exp(sigma * 3.090232306167813));
        assertEquals(bound, m.maxNanos(), bound * 1e-6);
        SplittableRandom r = new SplittableRandom(3);
        int draws = 200_001;
        long[] x = new long[draws];
        for (int i = 0; i < draws; i++) {
            x[i] = m.sampleNanos(0, 1, r);
            assertTrue(x[i] >= 0 && x[i] <= m.maxNanos(), "draw " + x[i] + " beyond the bound " + m.maxNanos());
        }
        Arrays.sort(x);
        // sd of the sample median ~ 1.2533 * sigma_x / sqrt(N): about 0.3% here; allow 1%.
        assertEquals(median, x[draws / 2], 0.01 * median, "sample median");
        // log-space sd of the truncated law is slightly below sigma
        double mean = 0;
        for (long v : x) {
            mean += Math.log(v);
        }
        mean /= draws;
        double var = 0;
        for (long v : x) {
            var += (Math.log(v) - mean) * (Math.log(v) - mean);
        }
        assertEquals(sigma, Math.sqrt(var / draws), 0.02 * sigma, "log-space sd");
        // The bound itself is the inverse CDF at the truncation quantile.
        assertTrue(m.sampleNanos(0, 1, new FixedU(0.999_999_999)) <= m.maxNanos());
    }

    @Test
    void inverseNormalMatchesKnownQuantiles() {
        assertEquals(0.0, LinkModels.Normal.inverseCdf(0.5), 1e-12);
        assertEquals(1.959963984540054, LinkModels.Normal.inverseCdf(0.975), 1e-8);
        assertEquals(-2.326347874040841, LinkModels.Normal.inverseCdf(0.01), 1e-8);
        assertEquals(3.090232306167813, LinkModels.Normal.inverseCdf(0.999), 1e-8);
    }

    @Test
    void empiricalReadsUnitsAndBareNanosAndSamplesByInverseCdf(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("lat.txt");
        Files.writeString(file, "# one-way latencies\n3ms\n\n1000000\n2ms\n");
        LinkModel m = LinkModels.parse("empirical:" + file);
        assertEquals(3 * MS, m.maxNanos());
        assertEquals("empirical:" + file, m.spec());
        assertEquals(MS, m.sampleNanos(0, 1, new FixedU(0.0)));
        assertEquals(MS, m.sampleNanos(0, 1, new FixedU(0.333)));
        assertEquals(2 * MS, m.sampleNanos(0, 1, new FixedU(0.334)));
        assertEquals(2 * MS, m.sampleNanos(0, 1, new FixedU(0.6666)));
        assertEquals(3 * MS, m.sampleNanos(0, 1, new FixedU(0.6667)));
        assertEquals(3 * MS, m.sampleNanos(0, 1, new FixedU(0.999_999)));
        int[] counts = new int[4];
        SplittableRandom r = new SplittableRandom(4);
        int draws = 90_000;
        for (int i = 0; i < draws; i++) {
            counts[(int) (m.sampleNanos(0, 1, r) / MS)]++;
        }
        for (int k = 1; k <= 3; k++) {
            assertEquals(draws / 3.0, counts[k], 0.02 * draws, "value " + k + " ms");
        }
    }

    @Test
    void badSpecsNameTheAllowedForms(@TempDir Path dir) throws IOException {
        Path bad = dir.resolve("bad.txt");
        Files.writeString(bad, "1ms\nfast\n");
        String[] specs = {"", "const", "const:", "const:1 parsec", "gauss:1ms", "uniform:1ms", "uniform:5ms,1ms",
            "lognormal:1ms,0", "lognormal:1ms,abc", "lognormal:0ms,1", "empirical:", "empirical:" + dir.resolve("missing"),
            "empirical:" + bad};
        for (String spec : specs) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LinkModels.parse(spec), spec);
            assertTrue(e.getMessage().contains("allowed forms") && e.getMessage().contains("lognormal:MEDIAN,SIGMA"),
                    spec + ": " + e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> LinkModels.parse("empirical:" + bad));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void specsRoundTrip() {
        for (String spec : new String[] {"const:250us", "uniform:1ms,5ms", "lognormal:2ms,0.5"}) {
            assertEquals(spec, LinkModels.parse(spec).spec());
            assertEquals(spec, LinkModels.parse(LinkModels.parse(spec).spec()).spec());
        }
    }
}
