package dev.ringlab.experiments.watch;

import dev.ringlab.experiments.Engines;
import dev.ringlab.node.Cluster;
import dev.ringlab.node.Message;
import dev.ringlab.node.Observation;
import dev.ringlab.node.protocols.Protocols;
import dev.ringlab.node.spec.RunSpec;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The watch target's measurement (not a unit test: it prints figures and asserts nothing): broadcast
 * latency p50 of a 64-node netty cluster under a Poisson load of 1,000 broadcasts/s, flood on
 * random-regular:4, in three conditions run alternately in one JVM: bare (no observer, no server), watched
 * with no page connected, watched with a headless chromium showing the page. Prints each round, the medians
 * and their ratios, the load average, the server's pushed and skipped snapshots and the page's JS heap.
 *
 * <p>Run: {@code java -cp <test class path> dev.ringlab.experiments.watch.WatchOverhead [seconds] [rounds]}.
 */
public final class WatchOverhead {
    private WatchOverhead() {}

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 2;
        int n = 64;
        double rate = 1000;
        Chromium driver = null;
        if (Files.isExecutable(Path.of("/usr/bin/chromedriver"))) {
            driver = new Chromium("/usr/bin/chromedriver", "/usr/bin/chromium", 1500, 1150);
        }
        String[] names = {"bare", "watched, no page", driver != null ? "watched, chromium page" : "watched, no browser: skipped"};
        double[][] p50 = new double[3][rounds];
        try {
            for (int r = 0; r < rounds; r++) {
                for (int c = 0; c < 3; c++) {
                    if (c == 2 && driver == null) {
                        continue;
                    }
                    p50[c][r] = round(n, rate, seconds, c, driver, 100 + r);
                    System.out.printf(Locale.ROOT, "round %d %-24s p50 %.3f ms  loadavg %s%n", r, names[c], p50[c][r], loadavg());
                }
            }
        } finally {
            if (driver != null) {
                driver.close();
            }
        }
        double bare = median(p50[0]);
        System.out.printf(Locale.ROOT, "median p50: bare %.3f ms, watched %.3f ms (x%.3f), with page %.3f ms (x%.3f); loadavg %s%n",
                bare, median(p50[1]), median(p50[1]) / bare, median(p50[2]), median(p50[2]) / bare, loadavg());
    }

    private static double round(int n, double rate, int seconds, int condition, Chromium driver, long seed) throws Exception {
        Overlay overlay = Topologies.build("random-regular:4", n, seed);
        RunSpec spec = RunSpec.of(overlay, Protocols.parse("flood"), seed);
        long[] lat = new long[(int) (rate * seconds * n * 1.5) + 1000];
        int[] count = {0};
        boolean[] measuring = {false};
        Consumer<Observation> sink = o -> {
            if (o instanceof Observation.Delivered d && d.hop() > 0 && measuring[0]) {
                synchronized (lat) {
                    if (count[0] < lat.length) {
                        lat[count[0]++] = d.atNanos() - d.sentAtNanos();
                    }
                }
            }
        };
        try (Cluster cluster = Engines.byName("netty").build(spec)) {
            cluster.addObserver(sink);
            LiveState st = null;
            WatchServer server = null;
            if (condition > 0) {
                st = new LiveState(n);
                cluster.addObserver(st);
                LiveState s = st;
                String hello = WatchCommand.hello(overlay, "live", "netty", false, "flood", seed);
                server = new WatchServer(new WatchServer.Source() {
                    @Override
                    public String hello() {
                        return hello;
                    }

                    @Override
                    public String snapshot() {
                        return s.snapshot();
                    }

                    @Override
                    public String control(Map<String, String> params) {
                        throw new IllegalArgumentException("read-only");
                    }

                    @Override
                    public String frame(int i) {
                        throw new IllegalArgumentException("live");
                    }
                }, 0);
            }
            try {
                cluster.start();
                if (condition == 2) {
                    driver.get("http://127.0.0.1:" + server.port() + "/");
                }
                // warm-up: one second of load, not measured
                load(cluster, n, rate, 1_000_000_000L, new SplittableRandom(seed), st);
                long heapBefore = condition == 2 ? jsHeap(driver) : -1;
                measuring[0] = true;
                load(cluster, n, rate, seconds * 1_000_000_000L, new SplittableRandom(seed + 1), st);
                measuring[0] = false;
                cluster.settle(2_000_000_000L);
                if (server != null) {
                    System.out.printf(Locale.ROOT, "  server: %d pages, %d snapshots pushed, %d skipped (page behind)%s%n",
                            server.clients(), server.pushed(), server.skipped(), condition == 2
                                    ? String.format(Locale.ROOT, "; page JS heap %.1f -> %.1f MB", heapBefore / 1e6, jsHeap(driver) / 1e6) : "");
                }
            } finally {
                if (server != null) {
                    server.close();
                }
            }
        }
        long[] l = Arrays.copyOf(lat, count[0]);
        if (l.length == 0) {
            throw new IllegalStateException("no deliveries measured");
        }
        Arrays.sort(l);
        System.out.printf(Locale.ROOT, "  %d deliveries measured%n", l.length);
        return l[l.length / 2] / 1e6;
    }

    private static void load(Cluster cluster, int n, double rate, long nanos, SplittableRandom r, LiveState st) {
        long end = cluster.now() + nanos;
        long[] id = {System.nanoTime()};
        Runnable[] next = new Runnable[1];
        next[0] = () -> {
            if (cluster.now() >= end) {
                return;
            }
            cluster.inject(r.nextInt(n), new Message.Inject(id[0]++, new byte[16]));
            long gap = (long) (-Math.log(1 - r.nextDouble()) / rate * 1e9);
            cluster.at(cluster.now() + gap, next[0]);
        };
        cluster.at(cluster.now(), next[0]);
        boolean[] alive = new boolean[n];
        while (cluster.now() < end) {
            cluster.runFor(Math.min(50_000_000L, Math.max(1, end - cluster.now())));
            if (st != null) {
                for (int v = 0; v < n; v++) {
                    alive[v] = cluster.alive(v);
                }
                st.counters(cluster.now(), alive, cluster.stats());
            }
        }
    }

    private static long jsHeap(Chromium d) {
        Object o = d.script("return performance.memory ? performance.memory.usedJSHeapSize : -1;");
        return o instanceof Number x ? x.longValue() : -1;
    }

    private static double median(double[] x) {
        double[] s = x.clone();
        Arrays.sort(s);
        return s.length == 0 ? Double.NaN : s[s.length / 2];
    }

    private static String loadavg() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (Exception e) {
            return "?";
        }
    }
}
