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
 * random-regular:4, with and without the watch attached.
 *
 * <p>One cluster runs the whole time (a new cluster per condition varied p50 by up to 5x between clusters:
 * JIT state and thread placement differ, and at this load the cluster is near the machine's capacity).
 * After a warm-up, it cycles through three windows of {@code W} seconds each, in turn: bare (the watch's
 * observer gate closed, no counters, no page), watched with no page (every observation into
 * {@link LiveState}, counters every 50 ms, the server up), and watched with a headless chromium showing the
 * page (the page loaded at the window's start and sent to {@code about:blank} at its end). Each window's
 * p50 is computed from its own deliveries after a second of unmeasured load (so the page's load, a burst
 * of chromium's CPU, is not in it: the target is about a connected page); each cycle gives the ratio of a watched window to the mean of the
 * bare windows around it (the one before and the next cycle's), so a slow drift of the cluster cancels.
 * Prints every window, then the median and the quartiles of the ratios over the cycles, the load average,
 * the server's pushed and skipped snapshots and the page's JS heap.
 *
 * <p>Run: {@code java -cp <test class path> dev.ringlab.experiments.watch.WatchOverhead [W seconds] [cycles] [push ms]}.
 */
public final class WatchOverhead {
    private WatchOverhead() {}

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 2;
        int cycles = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        int pushMillis = args.length > 2 ? Integer.parseInt(args[2]) : WatchServer.PUSH_MILLIS;
        System.out.printf(Locale.ROOT, "windows of %d s, %d cycles, a snapshot pushed every %d ms%n", seconds, cycles, pushMillis);
        int n = 64;
        double rate = 1000;
        long seed = 100;
        Chromium driver = null;
        if (Files.isExecutable(Path.of("/usr/bin/chromedriver"))) {
            driver = new Chromium("/usr/bin/chromedriver", "/usr/bin/chromium", 1500, 1150);
        }
        Overlay overlay = Topologies.build("random-regular:4", n, seed);
        RunSpec spec = RunSpec.of(overlay, Protocols.parse("flood"), seed);
        long[] lat = new long[(int) (rate * seconds * n * 2) + 1000];
        int[] count = {0};
        boolean[] measuring = {false};
        boolean[] watching = {false};
        LiveState st = new LiveState(n);
        Consumer<Observation> sink = o -> {
            if (o instanceof Observation.Delivered d && d.hop() > 0 && measuring[0]) {
                synchronized (lat) {
                    if (count[0] < lat.length) {
                        lat[count[0]++] = d.atNanos() - d.sentAtNanos();
                    }
                }
            }
        };
        Consumer<Observation> gate = o -> {
            if (watching[0]) {
                st.accept(o);
            }
        };
        String hello = WatchCommand.hello(overlay, "live", "netty", false, "flood", seed);
        WatchServer server = new WatchServer(new WatchServer.Source() {
            @Override
            public String hello() {
                return hello;
            }

            @Override
            public String snapshot() {
                return st.snapshot();
            }

            @Override
            public String control(Map<String, String> params) {
                throw new IllegalArgumentException("read-only");
            }

            @Override
            public String frame(int i) {
                throw new IllegalArgumentException("live");
            }
        }, 0, pushMillis);
        String[] names = {"bare", "watched, no page", driver != null ? "watched, chromium page" : "no browser: skipped"};
        double[][] p50 = new double[3][cycles + 1];
        SplittableRandom r = new SplittableRandom(seed);
        try (Cluster cluster = Engines.byName("netty").build(spec)) {
            cluster.addObserver(sink);
            cluster.addObserver(gate);
            cluster.start();
            load(cluster, n, rate, 3_000_000_000L, r, null); // warm-up, not measured
            for (int c = 0; c <= cycles; c++) {
                for (int k = 0; k < 3; k++) {
                    if (c == cycles && k > 0) {
                        break; // a last bare window closes the last cycle
                    }
                    if (k == 2 && driver == null) {
                        continue;
                    }
                    watching[0] = k > 0;
                    if (k == 2) {
                        driver.get("http://127.0.0.1:" + server.port() + "/");
                    }
                    // One second of load before each window, not measured: the page's load (a burst of
                    // chromium's CPU) and a switch of condition settle; the window measures the steady state.
                    load(cluster, n, rate, 1_000_000_000L, r, k > 0 ? st : null);
                    count[0] = 0;
                    measuring[0] = true;
                    load(cluster, n, rate, seconds * 1_000_000_000L, r, k > 0 ? st : null);
                    measuring[0] = false;
                    long[] l;
                    synchronized (lat) {
                        l = Arrays.copyOf(lat, count[0]);
                    }
                    if (l.length == 0) {
                        throw new IllegalStateException("no deliveries measured in window " + c + "/" + names[k]);
                    }
                    Arrays.sort(l);
                    p50[k][c] = l[l.length / 2] / 1e6;
                    String page = "";
                    if (k == 2) {
                        page = String.format(Locale.ROOT, "  page JS heap %.1f MB", jsHeap(driver) / 1e6);
                        driver.get("about:blank");
                    }
                    System.out.printf(Locale.ROOT, "cycle %2d %-24s p50 %.3f ms (%d deliveries)%s  pages connected %d  loadavg %s%n",
                            c, names[k], p50[k][c], l.length, page, server.clients(), loadavg());
                }
            }
            cluster.settle(2_000_000_000L);
        } finally {
            System.out.printf(Locale.ROOT, "server: %d snapshots pushed, %d skipped (page behind)%n", server.pushed(), server.skipped());
            server.close();
            if (driver != null) {
                driver.close();
            }
        }
        for (int k = 1; k < 3; k++) {
            if (k == 2 && driver == null) {
                continue;
            }
            double[] ratio = new double[cycles];
            for (int c = 0; c < cycles; c++) {
                ratio[c] = p50[k][c] / ((p50[0][c] + p50[0][c + 1]) / 2);
            }
            Arrays.sort(ratio);
            System.out.printf(Locale.ROOT, "%s / bare: median %.3f, quartiles %.3f..%.3f, min %.3f, max %.3f over %d cycles "
                            + "of %d s windows%n", names[k], ratio[cycles / 2], ratio[cycles / 4], ratio[(3 * cycles) / 4],
                    ratio[0], ratio[cycles - 1], cycles, seconds);
        }
        double[] bare = Arrays.copyOf(p50[0], cycles + 1);
        Arrays.sort(bare);
        System.out.printf(Locale.ROOT, "bare p50: median %.3f ms, min %.3f, max %.3f; loadavg %s%n", bare[cycles / 2], bare[0],
                bare[cycles], loadavg());
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

    private static String loadavg() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (Exception e) {
            return "?";
        }
    }
}
