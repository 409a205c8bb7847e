package dev.ringlab.experiments;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A progress bar on stderr for sweeps that take more than a few seconds: silent for the first
 * {@link #QUIET_NANOS}, then redrawn in place ({@code \r}) at most 5 times a second with done/total, the
 * current step and an ETA from the mean time per step so far. When stderr is not a terminal (CI logs), it
 * prints a plain line at most every 5 s instead of carriage returns. Thread-safe: the cells of a parallel sweep
 * ({@link ParallelCells}) step it from their own threads.
 */
public final class ProgressBar {
    static final long QUIET_NANOS = 2_000_000_000L;
    private static final int WIDTH = 30;

    private final PrintWriter err;
    private final String label;
    private final int total;
    private final boolean terminal;
    private final long startNanos = System.nanoTime();
    private long lastDrawNanos;
    private boolean drawn;
    private int done;

    public ProgressBar(PrintWriter err, String label, int total) {
        this(err, label, total, System.console() != null);
    }

    ProgressBar(PrintWriter err, String label, int total, boolean terminal) {
        this.err = err;
        this.label = label;
        this.total = Math.max(1, total);
        this.terminal = terminal;
    }

    /** One more step done; {@code what} names the next one (or the one just finished). */
    public synchronized void step(String what) {
        done++;
        long now = System.nanoTime();
        if (now - startNanos < QUIET_NANOS) {
            return;
        }
        long every = terminal ? 200_000_000L : 5_000_000_000L;
        if (drawn && now - lastDrawNanos < every && done < total) {
            return;
        }
        lastDrawNanos = now;
        drawn = true;
        double elapsedS = (now - startNanos) / 1e9;
        double etaS = elapsedS / done * (total - done);
        int filled = (int) ((long) WIDTH * done / total);
        String line = String.format(Locale.ROOT, "%s [%s%s] %d/%d  %.0fs elapsed, ~%.0fs left  %s", label,
                "#".repeat(filled), " ".repeat(WIDTH - filled), done, total, elapsedS, etaS, what);
        if (terminal) {
            err.print("\r" + line + "\u001b[K");
        } else {
            err.println(line);
        }
        err.flush();
    }

    /** Ends the bar's line (if one was drawn). */
    public synchronized void finish() {
        if (drawn && terminal) {
            err.println();
            err.flush();
        }
    }
}
