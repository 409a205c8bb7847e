package dev.ringlab.topology;

import java.util.Arrays;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Distance metrics of an overlay: connectivity, diameter and average path length, by breadth-first search
 * on the CSR arrays with plain {@code int[]} queues. Directed overlays use directed distances, and
 * "connected" then means strongly connected.
 *
 * <p>Three regimes, chosen per graph and reported in {@link Stats#method()}:
 * <ol>
 *   <li><b>Vertex-transitive</b> constructions (the caller says so, see
 *       {@link TopologySpec#vertexTransitive()}): every node has the same distance profile, so one BFS
 *       gives the exact diameter and average path length.
 *   <li><b>Exact all pairs</b> when the estimated work fits {@link Options#exactBudget()}: a BFS from
 *       every node, 256 sources per pass with one bit per source (the bit-parallel multi-source BFS of
 *       Then et al., "The more the merrier: efficient multi-source graph traversal", VLDB 2015), in the
 *       pull direction so that each node's bitset is written by one thread only.
 *   <li><b>Bounds and a sample</b> otherwise: the diameter lower bound is the largest eccentricity seen
 *       in a 4-sweep (Crescenzi, Grossi, Habib, Lanzi and Marino, "On computing the diameter of
 *       real-world undirected graphs", TCS 2013) and in a seeded sample of BFS sources; the upper bound
 *       is the smaller of 2 ecc(u) over the nodes searched and max_v d(v, S) + max_{s in S} ecc(s) for the
 *       sample S (each node is within d(v, S) of a source whose eccentricity bounds the rest).
 *       {@link Stats#diameterExact()} is true only when the bounds meet. The average path length is the
 *       sample mean over the sources, with its standard error. iFUB itself is not used: on expanders its
 *       fringe is most of the graph, so it degenerates to all pairs.
 * </ol>
 * A disconnected overlay has infinite diameter and no average path length (both {@code null}).
 */
public final class Distances {
    /** Words per node in the multi-source bitsets; 64 sources per word. */
    private static final int WORDS = 4;

    /** Sources per multi-source pass. */
    public static final int BATCH = 64 * WORDS;

    /**
     * Distance metrics.
     *
     * @param connected              strongly connected if directed
     * @param diameter               the exact diameter, or the lower bound when not exact; null if disconnected
     * @param diameterExact          true if {@code diameter} is exact (true for a disconnected graph: infinite)
     * @param diameterLower          a realised eccentricity: the diameter is at least this; null if disconnected
     * @param diameterUpper          the diameter is at most this; null if disconnected
     * @param avgPathLength          mean distance over ordered pairs of distinct nodes (or over the sample's
     *                               pairs); null if disconnected
     * @param avgPathLengthExact     true if computed over all pairs
     * @param avgPathSources         BFS sources behind {@code avgPathLength} (n when exact by all pairs, 1 for a
     *                               vertex-transitive graph)
     * @param avgPathLengthStderr    standard error of the sampled mean over sources; 0 when exact
     * @param method                 which regime computed these, in words
     */
    public record Stats(
            boolean connected,
            Integer diameter,
            boolean diameterExact,
            Integer diameterLower,
            Integer diameterUpper,
            Double avgPathLength,
            boolean avgPathLengthExact,
            int avgPathSources,
            double avgPathLengthStderr,
            String method) {}

    /**
     * @param seed             drives the 4-sweep start and the sampled sources
     * @param vertexTransitive the caller guarantees every node has the same distance profile
     * @param exactBudget      all-pairs is used when ceil(n / 256) * (ecc(0) + 1) * arcs is at most this
     *                         (word-parallel arc visits; ~2.5e9 for a 10^5-node 8-regular graph)
     * @param sampleSources    BFS sources for the sampled regime
     * @param progress         receives a line now and then on long runs; never null
     */
    public record Options(long seed, boolean vertexTransitive, long exactBudget, int sampleSources,
                          Consumer<String> progress) {
        public Options {
            Objects.requireNonNull(progress, "progress");
            if (sampleSources < 1) {
                throw new IllegalArgumentException("sampleSources must be >= 1, got " + sampleSources);
            }
            if (exactBudget < 0) {
                throw new IllegalArgumentException("exactBudget must be >= 0, got " + exactBudget);
            }
        }

        /** Exact up to the 10^5-node 8-regular case and a bit beyond; 256 sampled sources above that. */
        public static Options defaults(long seed) {
            return new Options(seed, false, 6_000_000_000L, BATCH, s -> { });
        }

        public Options withVertexTransitive(boolean v) {
            return new Options(seed, v, exactBudget, sampleSources, progress);
        }

        public Options withExactBudget(long budget) {
            return new Options(seed, vertexTransitive, budget, sampleSources, progress);
        }

        public Options withSampleSources(int sources) {
            return new Options(seed, vertexTransitive, exactBudget, sources, progress);
        }

        public Options withProgress(Consumer<String> p) {
            return new Options(seed, vertexTransitive, exactBudget, sampleSources, p);
        }
    }

    private final Overlay overlay;
    private final int n;
    private final boolean directed;
    private final int[] outOffsets;
    private final int[] outTargets;
    // Pull direction for the multi-source BFS: in-arcs. The same arrays as out-arcs when undirected.
    private final int[] inOffsets;
    private final int[] inTargets;

    public Distances(Overlay overlay) {
        this.overlay = Objects.requireNonNull(overlay, "overlay");
        this.n = overlay.size();
        this.directed = overlay.directed();
        this.outOffsets = overlay.rawOffsets();
        this.outTargets = overlay.rawTargets();
        if (directed) {
            int[] inDeg = new int[n + 1];
            for (int t : outTargets) {
                inDeg[t + 1]++;
            }
            for (int v = 0; v < n; v++) {
                inDeg[v + 1] += inDeg[v];
            }
            int[] fill = Arrays.copyOf(inDeg, n);
            int[] in = new int[outTargets.length];
            for (int u = 0; u < n; u++) {
                for (int i = outOffsets[u]; i < outOffsets[u + 1]; i++) {
                    in[fill[outTargets[i]]++] = u;
                }
            }
            this.inOffsets = inDeg;
            this.inTargets = in;
        } else {
            this.inOffsets = outOffsets;
            this.inTargets = outTargets;
        }
    }

    /** Distances from {@code source} along arcs; -1 for nodes it cannot reach. */
    public int[] distancesFrom(int source) {
        Objects.checkIndex(source, n);
        int[] dist = new int[n];
        bfs(source, false, dist, new int[n], null);
        return dist;
    }

    /** Eccentricity of {@code source} (largest finite distance from it). */
    public int eccentricity(int source) {
        Objects.checkIndex(source, n);
        return bfs(source, false, new int[n], new int[n], null).ecc;
    }

    /** Computes the metrics; see the class comment for which regime applies. */
    public Stats compute(Options options) {
        int[] dist = new int[n];
        int[] queue = new int[n];
        Bfs first = bfs(0, false, dist, queue, null);
        boolean connected = first.reached == n;
        if (connected && directed) {
            connected = bfs(0, true, dist, queue, null).reached == n;
        }
        if (!connected) {
            return new Stats(false, null, true, null, null, null, false, 0, 0, "disconnected: infinite diameter");
        }
        if (n == 1) {
            return new Stats(true, 0, true, 0, 0, 0.0, true, 1, 0, "single node");
        }
        if (options.vertexTransitive()) {
            return new Stats(true, first.ecc, true, first.ecc, first.ecc, (double) first.sum / (n - 1), true, 1, 0,
                    "one BFS (vertex-transitive construction)");
        }
        long passes = (n + BATCH - 1) / BATCH;
        double work = (double) passes * (first.ecc + 1) * Math.max(1, overlay.arcs());
        if (n <= BATCH || work <= options.exactBudget()) {
            return allPairs(options.progress());
        }
        return bounded(options, dist, queue, first);
    }

    // ---------------------------------------------------------------------------------------------

    private Stats allPairs(Consumer<String> progress) {
        long[] seen = new long[n * WORDS];
        long[] frontier = new long[n * WORDS];
        long[] next = new long[n * WORDS];
        int[] sources = new int[BATCH];
        int diameter = 0;
        long sum = 0;
        int passes = (n + BATCH - 1) / BATCH;
        int reported = 0;
        for (int p = 0; p < passes; p++) {
            int from = p * BATCH;
            int count = Math.min(BATCH, n - from);
            for (int i = 0; i < count; i++) {
                sources[i] = from + i;
            }
            Pass pass = multiSourceBfs(sources, count, false, seen, frontier, next);
            sum += pass.totalSum;
            for (int i = 0; i < count; i++) {
                diameter = Math.max(diameter, pass.ecc[i]);
            }
            int pct = (int) (100L * (p + 1) / passes);
            if (passes >= 20 && pct / 10 > reported) {
                reported = pct / 10;
                progress.accept("distances: all-pairs BFS " + pct + "% (" + (from + count) + "/" + n
                        + " sources), diameter so far " + diameter);
            }
        }
        return new Stats(true, diameter, true, diameter, diameter, (double) sum / ((double) n * (n - 1)), true, n, 0,
                "all-pairs BFS, " + BATCH + " sources per bit-parallel pass");
    }

    private Stats bounded(Options options, int[] dist, int[] queue, Bfs first) {
        Consumer<String> progress = options.progress();
        SplittableRandom rnd = new SplittableRandom(options.seed());
        int lower = 0;
        int minEcc = Integer.MAX_VALUE;
        // 4-sweep: r1 -> a1 -> b1, r2 = middle of the a1-b1 path, r2 -> a2 -> b2.
        int[] parent = new int[n];
        int r1 = rnd.nextInt(n);
        Bfs fromR1 = bfs(r1, false, dist, queue, null);
        minEcc = Math.min(minEcc, fromR1.ecc);
        int a1 = fromR1.farthest;
        Bfs fromA1 = bfs(a1, false, dist, queue, parent);
        lower = Math.max(lower, fromA1.ecc);
        minEcc = Math.min(minEcc, fromA1.ecc);
        int r2 = fromA1.farthest;
        for (int step = 0; step < fromA1.ecc / 2; step++) {
            r2 = parent[r2];
        }
        Bfs fromR2 = bfs(r2, false, dist, queue, null);
        minEcc = Math.min(minEcc, fromR2.ecc);
        Bfs fromA2 = bfs(fromR2.farthest, false, dist, queue, null);
        lower = Math.max(lower, fromA2.ecc);
        minEcc = Math.min(minEcc, fromA2.ecc);
        progress.accept("distances: 4-sweep lower bound " + lower + ", min eccentricity seen " + minEcc);

        int k = Math.min(options.sampleSources(), n);
        int[] sources = sampleDistinct(n, k, rnd);
        long[] seen = new long[n * WORDS];
        long[] frontier = new long[n * WORDS];
        long[] next = new long[n * WORDS];
        double meanSum = 0;
        double meanSq = 0;
        int maxEccSample = 0;
        int coverPlusEcc = Integer.MAX_VALUE;
        for (int from = 0; from < k; from += BATCH) {
            int count = Math.min(BATCH, k - from);
            int[] batch = Arrays.copyOfRange(sources, from, from + count);
            Pass pass = multiSourceBfs(batch, count, true, seen, frontier, next);
            int batchMaxEcc = 0;
            for (int i = 0; i < count; i++) {
                batchMaxEcc = Math.max(batchMaxEcc, pass.ecc[i]);
                minEcc = Math.min(minEcc, pass.ecc[i]);
                double mean = (double) pass.sums[i] / (n - 1);
                meanSum += mean;
                meanSq += mean * mean;
            }
            maxEccSample = Math.max(maxEccSample, batchMaxEcc);
            coverPlusEcc = Math.min(coverPlusEcc, pass.coverRadius + batchMaxEcc);
            progress.accept("distances: sampled " + Math.min(from + count, k) + "/" + k + " BFS sources");
        }
        lower = Math.max(lower, maxEccSample);
        int upper;
        if (directed) {
            // d(s, t) <= d(s, c) + d(c, t) <= eccIn(c) + eccOut(c) for any node c.
            Bfs in = bfs(r2, true, dist, queue, null);
            upper = fromR2.ecc + in.ecc;
        } else {
            upper = Math.min(2 * minEcc, coverPlusEcc);
        }
        double apl = meanSum / k;
        double var = k > 1 ? Math.max(0, (meanSq - k * apl * apl) / (k - 1)) : 0;
        boolean exact = lower == upper;
        return new Stats(true, lower, exact, lower, upper, apl, false, k, Math.sqrt(var / k),
                "diameter bounds from a 4-sweep and " + k + " seeded BFS sources; average path length sampled");
    }

    private static int[] sampleDistinct(int n, int k, SplittableRandom rnd) {
        // The first k steps of a Fisher–Yates shuffle: k distinct nodes, uniformly, in draw order.
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        for (int i = 0; i < k; i++) {
            int j = i + rnd.nextInt(n - i);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return Arrays.copyOf(perm, k);
    }

    // ---------------------------------------------------------------------------------------------
    // Single-source BFS

    private record Bfs(int ecc, int farthest, int reached, long sum) {}

    /**
     * BFS from {@code source}; along in-arcs if {@code reverse}. Fills {@code dist} (-1 unreached) and, if
     * given, {@code parent}. The farthest node is the first one found at the last level.
     */
    private Bfs bfs(int source, boolean reverse, int[] dist, int[] queue, int[] parent) {
        int[] off = reverse ? inOffsets : outOffsets;
        int[] tgt = reverse ? inTargets : outTargets;
        Arrays.fill(dist, -1);
        dist[source] = 0;
        if (parent != null) {
            parent[source] = source;
        }
        queue[0] = source;
        int head = 0;
        int tail = 1;
        long sum = 0;
        while (head < tail) {
            int u = queue[head++];
            int du = dist[u] + 1;
            for (int i = off[u]; i < off[u + 1]; i++) {
                int v = tgt[i];
                if (dist[v] < 0) {
                    dist[v] = du;
                    sum += du;
                    if (parent != null) {
                        parent[v] = u;
                    }
                    queue[tail++] = v;
                }
            }
        }
        int far = queue[tail - 1];
        int ecc = dist[far];
        // The first node queued at the last level, so ties break by discovery order, not by id.
        int first = tail - 1;
        while (first > 0 && dist[queue[first - 1]] == ecc) {
            first--;
        }
        return new Bfs(ecc, queue[first], tail, sum);
    }

    // ---------------------------------------------------------------------------------------------
    // Bit-parallel multi-source BFS

    /**
     * One pass from up to {@link #BATCH} distinct sources.
     *
     * @param ecc         eccentricity of each source
     * @param sums        per-source distance sums (only if asked for)
     * @param totalSum    sum of all source-target distances
     * @param coverRadius max over nodes of the distance to the nearest source
     */
    private record Pass(int[] ecc, long[] sums, long totalSum, int coverRadius) {}

    private Pass multiSourceBfs(int[] sources, int count, boolean perSource, long[] seen, long[] frontier,
                                long[] next) {
        Arrays.fill(seen, 0L);
        Arrays.fill(frontier, 0L);
        Arrays.fill(next, 0L);
        long[] full = new long[WORDS];
        int[] list = new int[count];
        int listed = 0;
        long listedArcs = 0;
        for (int i = 0; i < count; i++) {
            full[i >>> 6] |= 1L << i;
            int v = sources[i];
            int b = v * WORDS + (i >>> 6);
            seen[b] |= 1L << i;
            frontier[b] |= 1L << i;
            list[listed++] = v;
            listedArcs += outOffsets[v + 1] - outOffsets[v];
        }
        int[] frontierList = list;
        int[] nextList = new int[0];
        Level lvl = new Level(count, perSource, Chunks.count(n));
        int[] ecc = new int[count];
        long[] sums = perSource ? new long[count] : null;
        long totalSum = 0;
        int cover = 0;
        // Direction-optimising (Beamer, Asanovic and Patterson, SC 2012): push from a small frontier,
        // pull when the frontier's arcs are a sizeable share of all arcs. While pushing, `frontier` is
        // zero outside frontierList and `next` is all zero, so no level ever clears a whole array.
        boolean sparse = true;
        long arcs = Math.max(1, outTargets.length);
        for (int level = 1; ; level++) {
            lvl.reset();
            if (sparse && listedArcs * PUSH_RATIO < arcs) {
                if (nextList.length < n) {
                    nextList = new int[n];
                }
                int nextCount = pushLevel(frontierList, listed, frontier, next, seen, nextList, lvl, level);
                for (int i = 0; i < listed; i++) {
                    int b = frontierList[i] * WORDS;
                    frontier[b] = 0;
                    frontier[b + 1] = 0;
                    frontier[b + 2] = 0;
                    frontier[b + 3] = 0;
                }
                int[] t = frontierList;
                frontierList = nextList;
                nextList = t;
                listed = nextCount;
                listedArcs = lvl.frontierArcs;
            } else {
                pullLevel(frontier, next, seen, full, lvl, level);
                listedArcs = lvl.frontierArcs;
                sparse = listedArcs * PUSH_RATIO < arcs;
                if (sparse) {
                    // Back to pushing (the stragglers of an expander, or a long path): list the new
                    // frontier and clear the old one, which becomes `next`.
                    if (frontierList.length < n) {
                        frontierList = new int[n];
                    }
                    listed = 0;
                    for (int v = 0; v < n; v++) {
                        int b = v * WORDS;
                        if ((next[b] | next[b + 1] | next[b + 2] | next[b + 3]) != 0) {
                            frontierList[listed++] = v;
                        }
                    }
                    Arrays.fill(frontier, 0L);
                }
            }
            long[] t = frontier;
            frontier = next;
            next = t;
            if (lvl.count == 0) {
                break;
            }
            totalSum += lvl.count * level;
            if (lvl.firstHit) {
                cover = level;
            }
            for (int i = 0; i < count; i++) {
                if ((lvl.or[i >>> 6] & (1L << i)) != 0) {
                    ecc[i] = level;
                }
                if (perSource) {
                    sums[i] += lvl.sums[i];
                }
            }
        }
        return new Pass(ecc, sums, totalSum, cover);
    }

    /** Pull when the frontier's out-arcs exceed 1/PUSH_RATIO of all arcs. */
    private static final int PUSH_RATIO = 20;

    /** What one level found: totals over the nodes reached at that level. */
    private static final class Level {
        final long[] or = new long[WORDS];
        final long[] sums;
        final long[] chunkOr;
        final long[] chunkCount;
        final long[] chunkArcs;
        final boolean[] chunkFirstHit;
        final long[][] chunkSums;
        long count;
        long frontierArcs;
        boolean firstHit;

        Level(int sources, boolean perSource, int chunks) {
            sums = perSource ? new long[sources] : null;
            chunkOr = new long[chunks * WORDS];
            chunkCount = new long[chunks];
            chunkArcs = new long[chunks];
            chunkFirstHit = new boolean[chunks];
            chunkSums = perSource ? new long[chunks][sources] : null;
        }

        void reset() {
            Arrays.fill(or, 0L);
            if (sums != null) {
                Arrays.fill(sums, 0L);
            }
            count = 0;
            frontierArcs = 0;
            firstHit = false;
        }
    }

    /** One top-down level from the listed frontier, on one thread: the frontier is small. */
    private int pushLevel(int[] frontierList, int listed, long[] fr, long[] nx, long[] seen, int[] nextList,
                          Level lvl, int level) {
        int nextCount = 0;
        boolean firstHit = false;
        for (int i = 0; i < listed; i++) {
            int u = frontierList[i];
            int ub = u * WORDS;
            long f0 = fr[ub], f1 = fr[ub + 1], f2 = fr[ub + 2], f3 = fr[ub + 3];
            for (int k = outOffsets[u], e = outOffsets[u + 1]; k < e; k++) {
                int v = outTargets[k];
                int b = v * WORDS;
                long s0 = seen[b], s1 = seen[b + 1], s2 = seen[b + 2], s3 = seen[b + 3];
                long n0 = f0 & ~s0, n1 = f1 & ~s1, n2 = f2 & ~s2, n3 = f3 & ~s3;
                if ((n0 | n1 | n2 | n3) == 0) {
                    continue;
                }
                if ((nx[b] | nx[b + 1] | nx[b + 2] | nx[b + 3]) == 0) {
                    nextList[nextCount++] = v;
                }
                if ((s0 | s1 | s2 | s3) == 0) {
                    firstHit = true;
                }
                seen[b] = s0 | n0;
                seen[b + 1] = s1 | n1;
                seen[b + 2] = s2 | n2;
                seen[b + 3] = s3 | n3;
                nx[b] |= n0;
                nx[b + 1] |= n1;
                nx[b + 2] |= n2;
                nx[b + 3] |= n3;
            }
        }
        long cnt = 0;
        long arcs = 0;
        for (int i = 0; i < nextCount; i++) {
            int v = nextList[i];
            int b = v * WORDS;
            long n0 = nx[b], n1 = nx[b + 1], n2 = nx[b + 2], n3 = nx[b + 3];
            lvl.or[0] |= n0;
            lvl.or[1] |= n1;
            lvl.or[2] |= n2;
            lvl.or[3] |= n3;
            cnt += Long.bitCount(n0) + Long.bitCount(n1) + Long.bitCount(n2) + Long.bitCount(n3);
            arcs += outOffsets[v + 1] - outOffsets[v];
            if (lvl.sums != null) {
                addLevel(lvl.sums, n0, 0, level);
                addLevel(lvl.sums, n1, 64, level);
                addLevel(lvl.sums, n2, 128, level);
                addLevel(lvl.sums, n3, 192, level);
            }
        }
        lvl.count = cnt;
        lvl.frontierArcs = arcs;
        lvl.firstHit = firstHit;
        return nextCount;
    }

    /**
     * One bottom-up level over all nodes, in parallel chunks: each node ORs its in-neighbours' frontier
     * bits, so each node's words are written by one thread only. Writes every word of {@code nx}.
     */
    private void pullLevel(long[] fr, long[] nx, long[] seen, long[] full, Level lvl, int level) {
        final long f0 = full[0], f1 = full[1], f2 = full[2], f3 = full[3];
        Chunks.run(n, c -> {
            long o0 = 0, o1 = 0, o2 = 0, o3 = 0;
            long cnt = 0;
            long arcs = 0;
            boolean firstHit = false;
            long[] ps = lvl.chunkSums != null ? lvl.chunkSums[c] : null;
            if (ps != null) {
                Arrays.fill(ps, 0L);
            }
            int end = Chunks.end(c, n);
            for (int v = Chunks.start(c); v < end; v++) {
                int b = v * WORDS;
                long s0 = seen[b], s1 = seen[b + 1], s2 = seen[b + 2], s3 = seen[b + 3];
                if (((s0 ^ f0) | (s1 ^ f1) | (s2 ^ f2) | (s3 ^ f3)) == 0) {
                    // Reached from every source already: nothing new can arrive.
                    nx[b] = 0;
                    nx[b + 1] = 0;
                    nx[b + 2] = 0;
                    nx[b + 3] = 0;
                    continue;
                }
                long n0 = 0, n1 = 0, n2 = 0, n3 = 0;
                for (int i = inOffsets[v], e = inOffsets[v + 1]; i < e; i++) {
                    int u = inTargets[i] * WORDS;
                    n0 |= fr[u];
                    n1 |= fr[u + 1];
                    n2 |= fr[u + 2];
                    n3 |= fr[u + 3];
                }
                n0 &= ~s0;
                n1 &= ~s1;
                n2 &= ~s2;
                n3 &= ~s3;
                nx[b] = n0;
                nx[b + 1] = n1;
                nx[b + 2] = n2;
                nx[b + 3] = n3;
                if ((n0 | n1 | n2 | n3) != 0) {
                    if ((s0 | s1 | s2 | s3) == 0) {
                        firstHit = true;
                    }
                    seen[b] = s0 | n0;
                    seen[b + 1] = s1 | n1;
                    seen[b + 2] = s2 | n2;
                    seen[b + 3] = s3 | n3;
                    o0 |= n0;
                    o1 |= n1;
                    o2 |= n2;
                    o3 |= n3;
                    cnt += Long.bitCount(n0) + Long.bitCount(n1) + Long.bitCount(n2) + Long.bitCount(n3);
                    arcs += outOffsets[v + 1] - outOffsets[v];
                    if (ps != null) {
                        addLevel(ps, n0, 0, level);
                        addLevel(ps, n1, 64, level);
                        addLevel(ps, n2, 128, level);
                        addLevel(ps, n3, 192, level);
                    }
                }
            }
            int w = c * WORDS;
            lvl.chunkOr[w] = o0;
            lvl.chunkOr[w + 1] = o1;
            lvl.chunkOr[w + 2] = o2;
            lvl.chunkOr[w + 3] = o3;
            lvl.chunkCount[c] = cnt;
            lvl.chunkArcs[c] = arcs;
            lvl.chunkFirstHit[c] = firstHit;
        });
        int chunks = Chunks.count(n);
        for (int c = 0; c < chunks; c++) {
            lvl.count += lvl.chunkCount[c];
            lvl.frontierArcs += lvl.chunkArcs[c];
            lvl.firstHit |= lvl.chunkFirstHit[c];
            for (int w = 0; w < WORDS; w++) {
                lvl.or[w] |= lvl.chunkOr[c * WORDS + w];
            }
            if (lvl.sums != null) {
                long[] ps = lvl.chunkSums[c];
                for (int i = 0; i < ps.length; i++) {
                    lvl.sums[i] += ps[i];
                }
            }
        }
    }

    private static void addLevel(long[] sums, long bits, int base, int level) {
        while (bits != 0) {
            sums[base + Long.numberOfTrailingZeros(bits)] += level;
            bits &= bits - 1;
        }
    }
}
