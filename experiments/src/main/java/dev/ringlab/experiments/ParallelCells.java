package dev.ringlab.experiments;

import dev.ringlab.node.spec.ClusterEngine;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Runs a sweep's independent cells on several threads and returns their results in the cells' order, so that
 * whatever is aggregated from them (tables, CSV rows, trace hashes) is the same as with one thread. Only for
 * deterministic engines: each simulator cell owns its cluster, its seeded random streams and its virtual clock,
 * so running it next to another changes nothing in it, while real-engine cells share the machine's cores and
 * would measure each other.
 */
final class ParallelCells {
    private ParallelCells() {}

    /** The {@code --threads} help text of every sweep that takes it. */
    static final String HELP = "Simulator cells run in parallel on this many threads, with results and trace hashes identical"
            + " to one thread (default: the machine's cores, fewer if the heap cannot hold that many of the largest cell;"
            + " real engines run one cell at a time, so more than 1 is refused there).";

    /**
     * The thread count to use: {@code requested} (null: every core), refused above 1 on a real engine, and
     * lowered so that {@code threads} copies of the largest cell ({@code cellBytes}, a lower bound of its heap)
     * fit in 80 % of the heap.
     *
     * @throws UsageException naming {@code --threads}
     */
    static int threads(Integer requested, ClusterEngine engine, long cellBytes) {
        if (requested != null && requested < 1) {
            throw new UsageException("--threads", "must be at least 1, got " + requested);
        }
        if (!engine.deterministic()) {
            if (requested != null && requested > 1) {
                throw new UsageException("--threads", "engine " + engine.name() + " measures real time, so its cells run one at a"
                        + " time (parallel cells would measure each other); drop --threads or use --threads 1");
            }
            return 1;
        }
        int t = requested != null ? requested : Runtime.getRuntime().availableProcessors();
        if (cellBytes > 0) {
            long fit = (long) (Runtime.getRuntime().maxMemory() * 0.8) / cellBytes;
            t = (int) Math.max(1, Math.min(t, fit));
        }
        return t;
    }

    /** Indices of {@code cells} in the order they are submitted: by {@code size} descending, ties (or no size) in cell order. */
    static <T> Integer[] submissionOrder(List<T> cells, ToLongFunction<T> size) {
        Integer[] order = new Integer[cells.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        if (size != null) {
            Arrays.sort(order, Comparator.comparingLong((Integer i) -> size.applyAsLong(cells.get(i))).reversed());
        }
        return order;
    }

    /**
     * {@code run} applied to every cell, on {@code threads} threads, results in cell order. A cell that throws
     * stops the sweep: the first failing cell in order is rethrown as it was (a {@link UsageException} stays one).
     */
    static <T, R> List<R> map(List<T> cells, int threads, Function<T, R> run) {
        return map(cells, threads, run, null);
    }

    /**
     * As {@link #map(List, int, Function)}, but on several threads the cells start largest first by
     * {@code size} (an estimate of a cell's cost, e.g. its node count; ties keep cell order): a sweep's largest
     * cells then run side by side from the start instead of one of them running alone at the end, while the
     * other threads idle (largest-first list scheduling). Results stay in cell order, so nothing but wall time
     * depends on it.
     */
    static <T, R> List<R> map(List<T> cells, int threads, Function<T, R> run, ToLongFunction<T> size) {
        if (threads <= 1 || cells.size() <= 1) {
            List<R> out = new ArrayList<>(cells.size());
            for (T c : cells) {
                out.add(run.apply(c));
            }
            return out;
        }
        AtomicInteger names = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, cells.size()), r -> {
            Thread th = new Thread(r, "ringlab-cell-" + names.incrementAndGet());
            th.setDaemon(true);
            return th;
        });
        try {
            List<Future<R>> futures = new ArrayList<>(Collections.nCopies(cells.size(), null));
            for (int i : submissionOrder(cells, size)) {
                T c = cells.get(i);
                futures.set(i, pool.submit(() -> run.apply(c)));
            }
            List<R> out = new ArrayList<>(cells.size());
            for (Future<R> f : futures) {
                try {
                    out.add(f.get());
                } catch (ExecutionException e) {
                    pool.shutdownNow();
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException re) {
                        throw re;
                    }
                    if (cause instanceof Error err) {
                        throw err;
                    }
                    throw new IllegalStateException(cause);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for a cell", e);
                }
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }
}
