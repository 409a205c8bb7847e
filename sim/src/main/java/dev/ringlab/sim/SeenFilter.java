package dev.ringlab.sim;

import java.util.Arrays;

/**
 * The nodes known to drop every further copy of a broadcast ({@link dev.ringlab.node.Node#dropsSeenBroadcasts}):
 * for a few broadcast ids at a time, a bitset over the node ids. The simulator marks a node once it has taken a
 * broadcast and its hint says it would drop another copy, and then hands it no more copies of that broadcast: the
 * delivery is counted and folded into the trace as before, without touching the node. At 10^6 nodes a node's state
 * is rarely in the cache, and in a flood six of seven deliveries are such copies; the bitset of one broadcast (n/8
 * bytes) stays in the cache.
 *
 * <p>It holds {@link #SLOTS} ids. A new id takes a free slot, or the slot least recently marked if that one has
 * had no mark for {@code n} deliveries; else it goes untracked (its copies reach the nodes, which drop them, as
 * without the filter). So clearing a taken slot (n/64 words) costs at most one word per 64 deliveries per slot.
 * The filter changes no run: a node it skips would have done nothing.
 */
final class SeenFilter {
    static final int SLOTS = 4;
    private static final long EMPTY = -1;

    private final int n;
    private final long[] ids = new long[SLOTS];
    private final long[][] bits = new long[SLOTS][];
    /** Per slot: the delivery count at its last mark. */
    private final long[] lastMark = new long[SLOTS];
    /** The id looked up last and its bitset (null: untracked), the hot path's one comparison. */
    private long lastId = EMPTY;
    private long[] lastBits;

    SeenFilter(int n) {
        this.n = n;
        Arrays.fill(ids, EMPTY);
    }

    /** True if {@code node} is marked for broadcast {@code id}: it drops any copy of it. */
    boolean has(long id, int node) {
        long[] b = id == lastId ? lastBits : find(id);
        return b != null && (b[node >>> 6] & (1L << node)) != 0;
    }

    /** Marks {@code node} for broadcast {@code id}, taking a slot for the id if one can be had. */
    void mark(long id, int node, long deliveries) {
        int s = slotOf(id);
        if (s < 0) {
            s = take(id, deliveries);
            if (s < 0) {
                return;
            }
        }
        bits[s][node >>> 6] |= 1L << node;
        lastMark[s] = deliveries;
    }

    /** A crashed node's marks go: its next incarnation has seen nothing. */
    void clear(int node) {
        for (int s = 0; s < SLOTS; s++) {
            if (bits[s] != null) {
                bits[s][node >>> 6] &= ~(1L << node);
            }
        }
    }

    private long[] find(long id) {
        int s = slotOf(id);
        lastId = id;
        lastBits = s < 0 ? null : bits[s];
        return lastBits;
    }

    private int slotOf(long id) {
        for (int s = 0; s < SLOTS; s++) {
            if (ids[s] == id) {
                return s;
            }
        }
        return -1;
    }

    private int take(long id, long deliveries) {
        int s = -1;
        for (int i = 0; i < SLOTS; i++) {
            if (ids[i] == EMPTY) {
                s = i;
                break;
            }
            if (deliveries - lastMark[i] >= n && (s < 0 || lastMark[i] < lastMark[s])) {
                s = i;
            }
        }
        if (s < 0) {
            return -1;
        }
        if (bits[s] == null) {
            bits[s] = new long[(n + 63) >>> 6];
        } else {
            Arrays.fill(bits[s], 0L);
        }
        ids[s] = id;
        lastMark[s] = deliveries;
        if (lastId == id) {
            lastBits = bits[s];
        } else if (lastBits == bits[s]) {
            lastId = EMPTY; // the slot's old id is untracked now
            lastBits = null;
        }
        return s;
    }
}
