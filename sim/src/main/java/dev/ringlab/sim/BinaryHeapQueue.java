package dev.ringlab.sim;

import java.util.Arrays;

/**
 * Pending events as primitive slots (time, seq, two ints, one reference) in parallel arrays with a free list,
 * ordered by an implicit binary heap of slot indices compared by (time, seq) (Williams 1964). No object is
 * allocated per push, but every push and pop costs O(log n) comparisons that miss the cache once the heap
 * outgrows it. The simulator's first queue; kept as {@link QueueKind#BINARY_HEAP} for comparison.
 */
final class BinaryHeapQueue extends EventQueue {
    private long[] time;
    private long[] seq;
    private int[] a;
    private int[] b;
    private Object[] ref;
    private int[] free;
    private int freeCount;
    private int[] heap;

    BinaryHeapQueue(int initialCapacity) {
        int cap = Math.max(16, initialCapacity);
        time = new long[cap];
        seq = new long[cap];
        a = new int[cap];
        b = new int[cap];
        ref = new Object[cap];
        heap = new int[cap];
        free = new int[cap];
        for (int i = 0; i < cap; i++) {
            free[i] = cap - 1 - i;
        }
        freeCount = cap;
    }

    @Override
    long peekTime() {
        return time[heap[0]];
    }

    @Override
    void push(long t, int x, int y, Object r) {
        checkNotPast(t);
        if (freeCount == 0) {
            grow();
        }
        int slot = free[--freeCount];
        time[slot] = t;
        seq[slot] = nextSeq++;
        a[slot] = x;
        b[slot] = y;
        ref[slot] = r;
        int i = size;
        counted();
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            int p = heap[parent];
            if (!less(slot, p)) {
                break;
            }
            heap[i] = p;
            i = parent;
        }
        heap[i] = slot;
    }

    @Override
    void pop() {
        int slot = heap[0];
        topTime = time[slot];
        topA = a[slot];
        topB = b[slot];
        topRef = ref[slot];
        lastPopNanos = topTime;
        ref[slot] = null;
        free[freeCount++] = slot;
        int last = heap[--size];
        if (size > 0) {
            int i = 0;
            int half = size >>> 1;
            while (i < half) {
                int child = 2 * i + 1;
                int c = heap[child];
                int right = child + 1;
                if (right < size && less(heap[right], c)) {
                    child = right;
                    c = heap[child];
                }
                if (!less(c, last)) {
                    break;
                }
                heap[i] = c;
                i = child;
            }
            heap[i] = last;
        }
    }

    private boolean less(int x, int y) {
        long tx = time[x];
        long ty = time[y];
        return tx < ty || (tx == ty && seq[x] < seq[y]);
    }

    private void grow() {
        int old = time.length;
        int cap = old * 2;
        time = Arrays.copyOf(time, cap);
        seq = Arrays.copyOf(seq, cap);
        a = Arrays.copyOf(a, cap);
        b = Arrays.copyOf(b, cap);
        ref = Arrays.copyOf(ref, cap);
        heap = Arrays.copyOf(heap, cap);
        free = Arrays.copyOf(free, cap);
        for (int i = old; i < cap; i++) {
            free[freeCount++] = cap - 1 - (i - old);
        }
    }
}
