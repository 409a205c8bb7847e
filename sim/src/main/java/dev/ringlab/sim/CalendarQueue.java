package dev.ringlab.sim;

import java.util.Arrays;

/**
 * A calendar queue (R. Brown, "Calendar queues: a fast O(1) priority queue implementation for the
 * simulation event set problem", CACM 31(10), 1988) specialised for bounded link latencies, with exact
 * (time, seq) order.
 *
 * <h2>Structure</h2>
 * <ul>
 *   <li><b>Slots.</b> An event is a slot in paged primitive arrays (time modulo the ring's span in an
 *       {@code int[]}, {@code a}, {@code b} and the bucket link interleaved in an {@code int[]}, the reference
 *       in an {@code Object[]}): 20 bytes per event on a JVM with compressed references, nothing allocated per push once the pages
 *       exist, and growth adds a page instead of copying everything (no 2x spike in the heap). The sequence
 *       number is not stored in the slot: within a bucket it is the list order, and against the overflow
 *       heap a tie in time is decided by why the event took the heap (see {@code heapFirst}).
 *   <li><b>Buckets.</b> A ring of {@code B} buckets (power of two) of width {@code w = 2^shift} ns covers
 *       {@code [curStart, curStart + B*w)}; the span is at least twice the largest link latency (capped at
 *       2^31 ns, about 2.1 s: longer latencies take the overflow heap), so every message sent from the
 *       current bucket lands in the ring. A bucket is a singly linked FIFO of slots,
 *       so appends are O(1) and, because sequence numbers rise with every push, <b>list order is seq
 *       order</b>: events with equal times (constant latency makes millions of them) leave in FIFO order at
 *       no cost. A bucket that received an event earlier than its tail is marked unsorted and sorted once,
 *       by (time, position), when it becomes current. A bitmap of occupied buckets finds the next one with
 *       {@link Long#numberOfTrailingZeros} instead of a scan of empty buckets.
 *   <li><b>Overflow heap.</b> Events beyond the ring (long timers, control actions, processing backlogs),
 *       before its start, or earlier than the tail of the bucket being consumed go to a binary heap of slot
 *       indices; {@link #pop()} takes the smaller of the calendar head and the heap top by (time, seq). Both
 *       sides are internally ordered, so the merge is exactly (time, seq).
 * </ul>
 * Unlike Brown's queue, the bucket width is fixed from the link model rather than resized from samples
 * of the event population: link latencies are bounded and known up front, which is what the simulator
 * has and a general-purpose queue does not.
 *
 * <p>Costs: push O(1); pop O(1) amortised plus the bitmap scan to the next occupied bucket (at most
 * {@code B/64} words) plus, for unsorted buckets, a sort of that bucket; events in the overflow heap cost
 * O(log h).
 */
final class CalendarQueue extends EventQueue {
    private static final int NIL = -1;
    private static final long PRECEDES = 0;
    private static final long FOLLOWS = 1;
    private static final int PAGE_BITS = 15;
    private static final int PAGE = 1 << PAGE_BITS;
    private static final int PAGE_MASK = PAGE - 1;
    /** Largest ring span: slot times are stored modulo the span in an {@code int}. */
    private static final int MAX_SPAN_BITS = 31;

    /** Per slot of a calendar event: its time modulo {@link #spanNanos} (see {@link #timeOf}). */
    private int[][] times = new int[4][];
    private int[][] ints = new int[4][]; // a at 3o, b at 3o+1, next at 3o+2
    private Object[][] refs = new Object[4][];
    private int pages;
    private int highWater;
    private int freeHead = NIL;

    private final int mask;
    private final int shift;
    private final long spanNanos;
    private final long spanMask;
    private final int[] head;
    private final int[] tail;
    private final boolean[] unsorted;
    private final long[] occupied;
    private int cur;
    private long curStart;
    private int calendarCount;

    private int[] heap = new int[64];
    /** Per heap position: (seq << 1) | 1 if the event follows calendar events of equal time, | 0 if it precedes. */
    private long[] heapKey = new long[64];
    /** Per heap position: the event's full time (heap events may lie beyond the ring). */
    private long[] heapTime = new long[64];
    private int heapSize;

    private long[] sortKeys = new long[64];
    private int[] sortSlots = new int[64];

    /**
     * @param maxLatencyNanos largest delay most pushes will have (the link model's bound)
     * @param nodes           cluster size: more nodes, more buckets (64 to 65536)
     */
    CalendarQueue(long maxLatencyNanos, int nodes) {
        if (maxLatencyNanos < 0) {
            throw new IllegalArgumentException("max latency must be >= 0, got " + maxLatencyNanos);
        }
        int buckets = Math.max(64, Math.min(1 << 16, Integer.highestOneBit(Math.max(1, nodes))));
        int s = 0;
        long need = 2 * (maxLatencyNanos + 1);
        int maxShift = MAX_SPAN_BITS - Integer.numberOfTrailingZeros(buckets);
        while (s < maxShift && ((long) buckets << s) < need) {
            s++;
        }
        this.shift = s;
        this.mask = buckets - 1;
        this.spanNanos = (long) buckets << s;
        this.spanMask = spanNanos - 1;
        this.head = new int[buckets];
        this.tail = new int[buckets];
        Arrays.fill(head, NIL);
        Arrays.fill(tail, NIL);
        this.unsorted = new boolean[buckets];
        this.occupied = new long[buckets >>> 6];
    }

    /** Bucket width in nanoseconds. */
    long bucketWidthNanos() {
        return 1L << shift;
    }

    int bucketCount() {
        return mask + 1;
    }

    /**
     * Time of calendar slot {@code s}. Every calendar event lies in {@code [curStart, curStart + span)} (the
     * ring's start never passes an event it holds), so its time is recovered exactly from the time modulo
     * the span; this keeps slots at 4 bytes of time instead of 8.
     */
    private long timeOf(int s) {
        long mod = times[s >>> PAGE_BITS][s & PAGE_MASK];
        return curStart + ((mod - curStart) & spanMask);
    }

    private int nextOf(int s) {
        return ints[s >>> PAGE_BITS][(s & PAGE_MASK) * 3 + 2];
    }

    private void setNext(int s, int next) {
        ints[s >>> PAGE_BITS][(s & PAGE_MASK) * 3 + 2] = next;
    }

    private int alloc() {
        int s = freeHead;
        if (s != NIL) {
            freeHead = nextOf(s);
            return s;
        }
        if (highWater == pages << PAGE_BITS) {
            addPage();
        }
        return highWater++;
    }

    private void addPage() {
        if (pages == (Integer.MAX_VALUE >>> PAGE_BITS)) {
            throw new IllegalStateException("event queue full: " + size + " pending events");
        }
        if (pages == times.length) {
            int cap = pages * 2;
            times = Arrays.copyOf(times, cap);
            ints = Arrays.copyOf(ints, cap);
            refs = Arrays.copyOf(refs, cap);
        }
        times[pages] = new int[PAGE];
        ints[pages] = new int[3 * PAGE];
        refs[pages] = new Object[PAGE];
        pages++;
    }

    @Override
    void push(long t, int a, int b, Object ref) {
        checkNotPast(t);
        int s = alloc();
        int p = s >>> PAGE_BITS;
        int o = s & PAGE_MASK;
        times[p][o] = (int) (t & spanMask);
        long seq = nextSeq++;
        int[] in = ints[p];
        in[o * 3] = a;
        in[o * 3 + 1] = b;
        in[o * 3 + 2] = NIL;
        refs[p][o] = ref;
        counted();
        if (calendarCount == 0) {
            // Nothing in the ring: re-anchor it at the clock, so a run that idled past a long timer does
            // not leave every later event beyond the ring (in the heap).
            curStart = lastPopNanos & -(1L << shift);
            cur = (int) (lastPopNanos >>> shift) & mask;
        }
        long offset = t - curStart;
        if (offset < 0) {
            heapPush(s, t, seq, FOLLOWS); // before every calendar event: never tied with one
            return;
        }
        if (offset >= spanNanos) {
            heapPush(s, t, seq, PRECEDES);
            return;
        }
        int i = (int) (t >>> shift) & mask;
        int tl = tail[i];
        if (tl == NIL) {
            head[i] = s;
            tail[i] = s;
            occupied[i >>> 6] |= 1L << i;
            calendarCount++;
            return;
        }
        if (timeOf(tl) > t) {
            if (i == cur) {
                // The bucket being consumed stays sorted: an event that would have to go before its tail
                // takes the heap, which merges it back in (time, seq) order.
                heapPush(s, t, seq, FOLLOWS);
                return;
            }
            unsorted[i] = true;
        }
        setNext(tl, s);
        tail[i] = s;
        calendarCount++;
    }

    @Override
    void pop() {
        int c = calendarHead();
        int s;
        if (heapFirst(c)) {
            s = heap[0];
            topTime = heapTime[0];
            heapRemoveTop();
        } else {
            s = c;
            topTime = timeOf(c);
            int next = nextOf(c);
            head[cur] = next;
            if (next == NIL) {
                tail[cur] = NIL;
                occupied[cur >>> 6] &= ~(1L << cur);
            }
            calendarCount--;
        }
        int p = s >>> PAGE_BITS;
        int o = s & PAGE_MASK;
        int[] in = ints[p];
        topA = in[o * 3];
        topB = in[o * 3 + 1];
        in[o * 3 + 2] = freeHead;
        freeHead = s;
        Object[] r = refs[p];
        topRef = r[o];
        r[o] = null;
        lastPopNanos = topTime;
        size--;
    }

    @Override
    long peekTime() {
        int c = calendarHead();
        return heapFirst(c) ? heapTime[0] : timeOf(c);
    }

    /**
     * Whether the heap top comes before calendar head {@code c} in (time, seq) order. Slots do not store
     * their seq (8 bytes per in-flight event saved); only heap entries do, and a tie in time is decided by
     * why the heap entry is in the heap:
     * <ul>
     *   <li>beyond the ring when pushed ({@code PRECEDES}): every calendar event of the same time was pushed
     *       later. (A calendar event pushed earlier with that time would have had it inside the ring, and
     *       the ring's start never moves back while the calendar holds an event, so the time would still
     *       have been inside the ring.)
     *   <li>earlier than the tail of the bucket being consumed ({@code FOLLOWS}): every calendar event of
     *       the same time is in that bucket and was pushed before (later pushes of that time take the heap
     *       too).
     *   <li>before the ring's start ({@code FOLLOWS}): earlier than every calendar event, never tied.
     * </ul>
     */
    private boolean heapFirst(int c) {
        if (heapSize == 0) {
            return false;
        }
        if (c == NIL) {
            return true;
        }
        long th = heapTime[0];
        long tc = timeOf(c);
        return th < tc || (th == tc && (heapKey[0] & 1) == PRECEDES);
    }

    /** The earliest slot of the calendar (advancing to the next occupied bucket if needed), or NIL. */
    private int calendarHead() {
        if (calendarCount == 0) {
            return NIL;
        }
        int h = head[cur];
        if (h == NIL) {
            advance();
            h = head[cur];
        }
        return h;
    }

    private void advance() {
        int j = nextOccupied((cur + 1) & mask);
        curStart += (long) ((j - cur) & mask) << shift;
        cur = j;
        if (unsorted[j]) {
            sortCurrent();
            unsorted[j] = false;
        }
    }

    /**
     * Fills {@code out} with the slots of the next events of the current bucket, in order, without removing
     * them; returns how many (0 if the queue cannot tell cheaply). A hint only: the next {@link #pop()}s
     * may come from the overflow heap first. Slots are valid until the next push or pop.
     */
    @Override
    int upcoming(int[] out) {
        int h = calendarHead();
        int k = 0;
        for (int x = h; x != NIL && k < out.length; x = nextOf(x)) {
            out[k++] = x;
        }
        return k;
    }

    @Override
    int slotA(int s) {
        return ints[s >>> PAGE_BITS][(s & PAGE_MASK) * 3];
    }

    @Override
    int slotB(int s) {
        return ints[s >>> PAGE_BITS][(s & PAGE_MASK) * 3 + 1];
    }

    @Override
    Object slotRef(int s) {
        return refs[s >>> PAGE_BITS][s & PAGE_MASK];
    }

    private int nextOccupied(int from) {
        int words = occupied.length;
        int w = from >>> 6;
        long bits = occupied[w] & (-1L << (from & 63));
        for (int k = 0; k <= words; k++) {
            if (bits != 0) {
                return (w << 6) + Long.numberOfTrailingZeros(bits);
            }
            w = (w + 1) & (words - 1);
            bits = occupied[w];
        }
        throw new IllegalStateException("calendar holds " + calendarCount + " events but no bucket is occupied");
    }

    /**
     * Sorts the current bucket by (time, seq). List order is seq order, so the key is (time offset in the
     * bucket, list position): both fit one long, and a primitive sort does the rest.
     */
    private void sortCurrent() {
        int k = 0;
        for (int s = head[cur]; s != NIL; s = nextOf(s)) {
            if (k == sortKeys.length) {
                sortKeys = Arrays.copyOf(sortKeys, k * 2);
                sortSlots = Arrays.copyOf(sortSlots, k * 2);
            }
            long offset = timeOf(s) - curStart;
            if (offset < 0 || offset >= (1L << shift)) {
                throw new IllegalStateException("event at " + timeOf(s) + " ns in the bucket of [" + curStart + ", "
                        + (curStart + (1L << shift)) + ")");
            }
            sortKeys[k] = (offset << 32) | k;
            sortSlots[k] = s;
            k++;
        }
        Arrays.sort(sortKeys, 0, k);
        int prev = sortSlots[(int) sortKeys[0]];
        head[cur] = prev;
        for (int i = 1; i < k; i++) {
            int s = sortSlots[(int) sortKeys[i]];
            setNext(prev, s);
            prev = s;
        }
        setNext(prev, NIL);
        tail[cur] = prev;
    }

    /** Heap order: (time, seq); the flag bit below the seq never decides since seqs differ. */
    private static boolean less(long tx, long keyX, long ty, long keyY) {
        return tx < ty || (tx == ty && keyX < keyY);
    }

    private void heapPush(int s, long t, long seq, long tieRule) {
        if (heapSize == heap.length) {
            heap = Arrays.copyOf(heap, heapSize * 2);
            heapKey = Arrays.copyOf(heapKey, heapSize * 2);
            heapTime = Arrays.copyOf(heapTime, heapSize * 2);
        }
        long key = (seq << 1) | tieRule;
        int i = heapSize++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!less(t, key, heapTime[parent], heapKey[parent])) {
                break;
            }
            heap[i] = heap[parent];
            heapKey[i] = heapKey[parent];
            heapTime[i] = heapTime[parent];
            i = parent;
        }
        heap[i] = s;
        heapKey[i] = key;
        heapTime[i] = t;
    }

    private void heapRemoveTop() {
        int last = heap[--heapSize];
        long lastKey = heapKey[heapSize];
        long lastTime = heapTime[heapSize];
        if (heapSize == 0) {
            return;
        }
        int i = 0;
        int half = heapSize >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int right = child + 1;
            if (right < heapSize && less(heapTime[right], heapKey[right], heapTime[child], heapKey[child])) {
                child = right;
            }
            if (!less(heapTime[child], heapKey[child], lastTime, lastKey)) {
                break;
            }
            heap[i] = heap[child];
            heapKey[i] = heapKey[child];
            heapTime[i] = heapTime[child];
            i = child;
        }
        heap[i] = last;
        heapKey[i] = lastKey;
        heapTime[i] = lastTime;
    }

    /** Events waiting in the overflow heap (for tests and reports). */
    int overflowSize() {
        return heapSize;
    }

    /** Bytes held by slot pages, buckets and the heap: the queue's footprint. */
    long footprintBytes() {
        long slots = (long) pages * PAGE * (4 + 12 + 4) + 3L * 16 * pages;
        long buckets = (long) (mask + 1) * (4 + 4 + 1) + occupied.length * 8L;
        return slots + buckets + heap.length * 20L + sortKeys.length * 12L;
    }
}
