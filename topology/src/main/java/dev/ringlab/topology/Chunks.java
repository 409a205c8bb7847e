package dev.ringlab.topology;

import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/**
 * Fixed-size chunks of an index range, run in parallel on the common pool. Chunk boundaries depend only
 * on the range, never on the thread count, and callers combine per-chunk partial results in chunk order:
 * floating-point sums therefore come out bit-for-bit the same on every run and machine.
 */
final class Chunks {
    static final int SIZE = 1 << 13;

    private Chunks() {}

    static int count(int n) {
        return (n + SIZE - 1) / SIZE;
    }

    static int start(int chunk) {
        return chunk * SIZE;
    }

    static int end(int chunk, int n) {
        return (int) Math.min((long) (chunk + 1) * SIZE, n);
    }

    /** Runs {@code body} once per chunk index, in parallel when there is more than one chunk. */
    static void run(int n, IntConsumer body) {
        int c = count(n);
        if (c <= 1) {
            for (int i = 0; i < c; i++) {
                body.accept(i);
            }
        } else {
            IntStream.range(0, c).parallel().forEach(body);
        }
    }
}
