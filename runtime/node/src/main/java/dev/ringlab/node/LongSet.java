package dev.ringlab.node;

import java.util.Arrays;

/**
 * A set of non-negative longs by open addressing with linear probing (Knuth, TAOCP vol. 3, 6.4), for the
 * "have I seen this broadcast?" test that every node makes on every delivery.
 *
 * <p>Written here rather than taken from a collections library because a simulated node holds one and a
 * million-node run holds a million, and that test is the hottest line of a simulated flood (a JFR profile
 * of a 10^6-node flood put most samples on it: each delivery lands on a random node, so its set is a cache
 * miss). So the first two values live in fields of this object, with no array at all: the common case of
 * few broadcasts costs one object and one cache miss, and no boxing. Past two values it switches to a
 * probing table. Iteration order is never exposed, so no protocol can depend on it; it keeps
 * {@code dev.ringlab.node} free of dependencies.
 */
public final class LongSet {
    private static final long EMPTY = -1L;
    private long first = EMPTY;
    private long second = EMPTY;
    /** Null while the set holds at most two values (kept in {@code first} and {@code second}). */
    private long[] slots;
    private int size;

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
        if (slots == null) {
            if (first == v || second == v) {
                return false;
            }
            if (first == EMPTY) {
                first = v;
                size++;
                return true;
            }
            if (second == EMPTY) {
                second = v;
                size++;
                return true;
            }
            slots = new long[8];
            Arrays.fill(slots, EMPTY);
            insert(slots, first);
            insert(slots, second);
            first = EMPTY;
            second = EMPTY;
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
        if (slots == null) {
            return first == v || second == v;
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
        Arrays.fill(slots, EMPTY);
        for (long s : old) {
            if (s != EMPTY) {
                insert(slots, s);
            }
        }
    }

    private static void insert(long[] table, long v) {
        int mask = table.length - 1;
        int i = index(v, mask);
        while (table[i] != EMPTY) {
            i = (i + 1) & mask;
        }
        table[i] = v;
    }

    private static int index(long v, int mask) {
        long h = v * 0x9E3779B97F4A7C15L; // Fibonacci hashing spreads sequential ids
        return (int) (h ^ (h >>> 32)) & mask;
    }
}
