package dev.ringlab.node;

/**
 * A set of non-negative longs by open addressing with linear probing (Knuth, TAOCP vol. 3, 6.4), for the
 * "have I seen this broadcast?" test that every node makes on every delivery.
 *
 * <p>Written here rather than taken from a collections library because a simulated node holds one and a
 * million-node run holds a million: it starts at two slots (most nodes see few broadcasts), costs no
 * boxing, and keeps {@code dev.ringlab.node} free of dependencies. Iteration order is never exposed, so no
 * protocol can depend on it.
 */
public final class LongSet {
    private static final long EMPTY = -1L;
    private long[] slots;
    private int size;

    public LongSet() {
        slots = new long[] {EMPTY, EMPTY};
    }

    /**
     * Adds {@code v}.
     *
     * @return true if it was not there before
     * @throws IllegalArgumentException if {@code v < 0}
     */
    public boolean add(long v) {
        if (v < 0) {
            throw new IllegalArgumentException("LongSet holds non-negative values, got " + v);
        }
        if ((size + 1) * 4L > slots.length * 3L) {
            grow();
        }
        int mask = slots.length - 1;
        int i = index(v, mask);
        while (true) {
            long s = slots[i];
            if (s == EMPTY) {
                slots[i] = v;
                size++;
                return true;
            }
            if (s == v) {
                return false;
            }
            i = (i + 1) & mask;
        }
    }

    public boolean contains(long v) {
        if (v < 0) {
            return false;
        }
        int mask = slots.length - 1;
        int i = index(v, mask);
        while (true) {
            long s = slots[i];
            if (s == EMPTY) {
                return false;
            }
            if (s == v) {
                return true;
            }
            i = (i + 1) & mask;
        }
    }

    public int size() {
        return size;
    }

    private void grow() {
        long[] old = slots;
        slots = new long[old.length * 2];
        java.util.Arrays.fill(slots, EMPTY);
        int mask = slots.length - 1;
        for (long s : old) {
            if (s != EMPTY) {
                int i = index(s, mask);
                while (slots[i] != EMPTY) {
                    i = (i + 1) & mask;
                }
                slots[i] = s;
            }
        }
    }

    private static int index(long v, int mask) {
        long h = v * 0x9E3779B97F4A7C15L; // Fibonacci hashing spreads sequential ids
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
