package dev.ringlab.sim;

import java.util.Arrays;

/**
 * The simulator's pending events, ordered totally by (time, sequence number): events at the same virtual
 * time leave in the order they were pushed, so no tie ever depends on hash or memory order.
 *
 * <p>Events are primitive slots (time, kind, two ints, one object reference) in parallel arrays with a free
 * list, and the order is kept by an implicit binary heap of slot indices compared by (time, seq); no event
 * object is allocated per push. After {@link #pop()}, the popped event's fields are read through the
 * accessors until the next call.
 */
final class EventQueue {
    private long[] time;
    private long[] seq;
    private int[] kind;
    private int[] a;
    private int[] b;
    private Object[] ref;
    private int[] free;
    private int freeCount;
    private int[] heap;
    private int size;
    private long nextSeq;

    private long topTime;
    private int topKind;
    private int topA;
    private int topB;
    private Object topRef;

    EventQueue(int initialCapacity) {
        int cap = Math.max(16, initialCapacity);
        time = new long[cap];
        seq = new long[cap];
        kind = new int[cap];
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

    int size() {
        return size;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Time of the earliest event; only when not empty. */
    long peekTime() {
        return time[heap[0]];
    }

    void push(long t, int k, int x, int y, Object r) {
        if (freeCount == 0) {
            grow();
        }
        int slot = free[--freeCount];
        time[slot] = t;
        seq[slot] = nextSeq++;
        kind[slot] = k;
        a[slot] = x;
        b[slot] = y;
        ref[slot] = r;
        int i = size++;
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

    /** Removes the earliest event; read it with {@link #time()} etc. */
    void pop() {
        int slot = heap[0];
        topTime = time[slot];
        topKind = kind[slot];
        topA = a[slot];
        topB = b[slot];
        topRef = ref[slot];
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

    long time() {
        return topTime;
    }

    int kind() {
        return topKind;
    }

    int a() {
        return topA;
    }

    int b() {
        return topB;
    }

    Object ref() {
        return topRef;
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
        kind = Arrays.copyOf(kind, cap);
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
