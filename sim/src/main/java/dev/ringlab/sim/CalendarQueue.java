package dev.ringlab.sim;

import java.util.Arrays;

/**
 * A calendar queue (R. Brown, "Calendar queues: a fast O(1) priority queue implementation for the
 * simulation event set problem", CACM 31(10), 1988) specialised for bounded link latencies, with exact
 * (time, seq) order.
 *
 * <h2>Structure</h2>
 * <ul>
 *   <li><b>Slots in chunks.</b> An event is a slot in paged primitive arrays (time modulo the span,
 *       {@code a} and {@code b} interleaved in an {@code int[]}, the reference in an {@code Object[]}): 16 bytes
 *       per event on a JVM with compressed references, nothing allocated per push once the pages exist, and
 *       growth adds a page instead of copying everything (no 2x spike in the heap). Slots come in chunks of
 *       {@value #CHUNK} consecutive slots, handed out from a free list of chunks; a bucket is a chain of
 *       chunks, so its events are <b>contiguous</b>: a push appends at the bucket's tail, a pop reads the
 *       next slot at its head, and the consumer streams through memory instead of following a linked list of
 *       scattered slots (one cache miss per event). A chunk is returned to the free list as soon as its last
 *       slot is popped, so the pages hold about the number of pending events, plus at most one partly used
 *       chunk per occupied bucket. The sequence number is not stored in the slot: within a bucket it is the
 *       append order, and against the overflow heap a tie in time is decided by why the event took the heap
 *       (see {@code heapFirst}).
 *   <li><b>Buckets, in two levels.</b> {@code B} buckets (power of two) of width {@code w = 2^shift} ns
 *       cover a span of at least twice the largest link latency (capped at 2^31 ns, about 2.1 s: longer
 *       latencies take the overflow heap), so every message sent from the current bucket lands in it. They
 *       are grouped in windows of {@value #WINDOW_BUCKETS} (at most {@code B/4}): the <b>window</b> holding the
 *       clock has its fine buckets; every later window of the span is one <b>coarse bucket</b>, a FIFO of
 *       slots appended in push order. When the window is used up, the next occupied coarse bucket becomes
 *       the window, and its events become the window's <b>run</b>: their keys (time offset in the window and
 *       slot) sorted in (time, seq) order by a radix sort (a rung of W. T. Tang, R. S. M. Goh, I. L.-J. Thng,
 *       "Ladder queue: an O(1) priority queue structure for large-scale discrete event simulation", ACM TOMACS
 *       15(3), 2005, with fixed widths), the events left in the coarse bucket's chunks and popped in key order.
 *       Events pushed into the window after it opened take its fine buckets and leave merged with the run by
 *       time, after the run's events of equal time (pushed before the window opened). With spread-out latencies
 *       a push thus lands in one of a few hundred coarse tails, whose lines stay cached, instead of one of tens
 *       of thousands of fine tails (the stores to those were the largest share of the queue's time in a
 *       profile), and an event is written once. A coarse bucket whose events all fall in one fine bucket in time
 *       order (constant latency makes millions of them) becomes that bucket without moving an event.
 *   <li><b>Order.</b> A bucket is a FIFO of slots, so appends are O(1) and, because sequence numbers rise
 *       with every push, <b>slot order is seq order</b>: the run's radix sort is stable, and events with equal
 *       times leave in FIFO order at no cost. A fine bucket that receives a push earlier than its tail is
 *       marked unsorted and sorted once, stably by time, when it becomes current. Bitmaps of occupied buckets
 *       find the next one with {@link Long#numberOfTrailingZeros} instead of a scan of empty buckets.
 *   <li><b>Overflow heap.</b> Events beyond the span from the window's start (long timers, control actions,
 *       processing backlogs), before the current bucket, or earlier than the tail of the bucket being
 *       consumed go to a binary heap that holds their fields itself; {@link #pop()} takes the smaller of the
 *       calendar head and the heap top by (time, seq). Both sides are internally ordered, so the merge is
 *       exactly (time, seq).
 * </ul>
 * Unlike Brown's queue, the bucket width is fixed from the link model rather than resized from samples
 * of the event population: link latencies are bounded and known up front, which is what the simulator
 * has and a general-purpose queue does not.
 *
 * <p>Costs: push O(1); pop O(1) amortised plus the bitmap scans to the next occupied bucket (at most
 * {@code B/64} words in all) plus, per event that arrives in a coarse bucket, its share of a linear radix
 * sort, and, for fine buckets that a push left unsorted, a sort of that
 * bucket; events in the overflow heap cost O(log h).
 */
final class CalendarQueue extends EventQueue {
    private static final int NIL = -1;
    private static final long PRECEDES = 0;
    private static final long FOLLOWS = 1;
    private static final int PAGE_BITS = 15;
    private static final int PAGE = 1 << PAGE_BITS;
    private static final int PAGE_MASK = PAGE - 1;
    private static final int CHUNK_BITS = 8;
    /**
     * Slots per chunk: a bucket's unit of growth. 256 (3 KB of ints) rather than 64: sorting a coarse bucket
     * streams through its chunks, and longer runs of consecutive lines cut simbench's queue time with
     * uniform 1-10 ms latencies by about a sixth (1,024 measured alike); the cost is at most one partly used
     * chunk per occupied bucket.
     */
    static final int CHUNK = 1 << CHUNK_BITS;
    private static final int CHUNK_MASK = CHUNK - 1;
    private static final int CHUNKS_PER_PAGE_BITS = PAGE_BITS - CHUNK_BITS;
    /** Largest span: slot times are stored modulo the span in an {@code int}. */
    private static final int MAX_SPAN_BITS = 31;
    /**
     * Fine buckets per window (at most a quarter of the span's buckets). 128 tails (two cache lines each, 16 KB)
     * fit in a core's L1 cache; 32 to 512 measured alike on simbench, 2,048 slower (measured when a coarse
     * bucket's events were still moved into the fine buckets, before runs).
     */
    static final int WINDOW_BUCKETS = 128;

    /** Per slot o of a page: time modulo {@link #spanNanos} at 3o (see {@link #timeOf}), a at 3o+1, b at 3o+2. */
    private int[][] ints = new int[4][];
    private Object[][] refs = new Object[4][];
    private int pages;
    /** Per chunk: the next chunk of its bucket, or of the free list. */
    private int[] chunkNext = new int[0];
    private int chunks;
    private int freeChunk = NIL;

    /** Fine buckets in the window, minus 1 (a power of two minus 1). */
    private final int mask;
    private final int shift;
    /** log2 of the fine buckets per window: a window (and a coarse bucket) is {@code 2^(shift + groupBits)} ns wide. */
    private final int groupBits;
    /** Coarse buckets, minus 1. */
    private final int coarseMask;
    private final long spanNanos;
    private final long spanMask;
    /** Per fine bucket of the window: slot of its first event, or NIL if empty. */
    private final int[] head;
    /** Per fine bucket: slot of its last event, or NIL if empty. */
    private final int[] tail;
    /**
     * Per fine bucket: time modulo the span of its last event (valid while the bucket is occupied). A copy of
     * what the tail slot holds, so a push compares against it without loading the tail slot's cache line.
     */
    private final int[] tailMod;
    private final boolean[] unsorted;
    private final long[] occupied;
    /** Per coarse bucket: first slot, last slot (NIL if empty), its last event's time modulo the span. */
    private final int[] coarseHead;
    private final int[] coarseTail;
    private final int[] coarseTailMod;
    /** Per coarse bucket: whether its events are in time order (then, in one fine bucket, it moves whole). */
    private final boolean[] coarseSorted;
    /** Per coarse bucket: the fine bucket all its events fall in, or -1 once two differ. */
    private final int[] coarseFine;
    private final long[] coarseOccupied;
    /** Current fine bucket (index in the window) and its start time. */
    private int cur;
    private long curStart;
    /** The window's start time (a multiple of its width) and the coarse bucket it came from. */
    private long windowStart;
    private int curCoarse;
    private int calendarCount;

    /** Per heap position: the event's full time (heap events may lie beyond the span). */
    private long[] heapTime = new long[64];
    /** Per heap position: (seq << 1) | 1 if the event follows calendar events of equal time, | 0 if it precedes. */
    private long[] heapKey = new long[64];
    /** Per heap position: (a << 32) | b. */
    private long[] heapAB = new long[64];
    private Object[] heapRef = new Object[64];
    private int heapSize;

    private int bucketSorts;
    private long[] sortKeys = new long[64];
    private int[] sortSlots = new int[64];
    /** The radix sort's keys, second buffer and digit counts (see {@link #sortRun}). */
    private long[] radixKeys = new long[64];
    private long[] radixBuffer = new long[64];
    private static final int RADIX_BITS = 8;
    private static final int RADIX_MASK = (1 << RADIX_BITS) - 1;
    private final int[] radixCount = new int[1 << RADIX_BITS];

    /**
     * The open window's <b>run</b>: the events of the coarse bucket it came from, as the radix sort left their keys
     * (offset in the window {@code << 32 | slot}), in (time, seq) order. They stay in the coarse bucket's chain and
     * leave from {@code run[runPos]} up to {@code runEnd} (both 0 when there is no run); the chain
     * {@code runFirst..runLast} is freed when the last one has left.
     */
    private long[] run = new long[0];
    private int runPos;
    private int runEnd;
    private int runFirst;
    private int runLast;
    /**
     * Whether no event has entered the fine buckets since the run opened: then the run alone holds the window's
     * events and a pop takes its next one without looking at the fine buckets.
     */
    private boolean runAlone;
    /** The calendar's earliest event as {@link #findCalendarHead} found it: slot, time, and whether it is the run's. */
    private int headSlot;
    private long headTime;
    private boolean headInRun;

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
        int fine = Math.min(WINDOW_BUCKETS, buckets / 4);
        this.groupBits = Integer.numberOfTrailingZeros(fine);
        this.mask = fine - 1;
        int coarse = buckets / fine;
        this.coarseMask = coarse - 1;
        this.spanNanos = (long) buckets << s;
        this.spanMask = spanNanos - 1;
        this.head = new int[fine];
        this.tail = new int[fine];
        this.tailMod = new int[fine];
        Arrays.fill(head, NIL);
        Arrays.fill(tail, NIL);
        this.unsorted = new boolean[fine];
        this.occupied = new long[Math.max(1, fine >>> 6)];
        this.coarseHead = new int[coarse];
        this.coarseTail = new int[coarse];
        this.coarseTailMod = new int[coarse];
        Arrays.fill(coarseHead, NIL);
        Arrays.fill(coarseTail, NIL);
        this.coarseSorted = new boolean[coarse];
        this.coarseFine = new int[coarse];
        this.coarseOccupied = new long[Math.max(1, coarse >>> 6)];
    }

    /** Bucket width in nanoseconds. */
    long bucketWidthNanos() {
        return 1L << shift;
    }

    /** Buckets of width {@link #bucketWidthNanos()} in the span: fine buckets per window times coarse buckets. */
    int bucketCount() {
        return (mask + 1) * (coarseMask + 1);
    }

    /**
     * Time of calendar slot {@code s}. Every calendar event lies in {@code [curStart, curStart + span)} (the
     * current bucket never passes an event the calendar holds, and no event lies a span beyond the window's
     * start), so its time is recovered exactly from the time modulo the span; this keeps slots at 4 bytes of
     * time instead of 8.
     */
    private long timeOf(int s) {
        long mod = ints[s >>> PAGE_BITS][(s & PAGE_MASK) * 3];
        return curStart + ((mod - curStart) & spanMask);
    }

    /** The slot after {@code s} in its bucket ({@code s} must not be the bucket's tail). */
    private int nextSlot(int s) {
        int next = s + 1;
        if ((next & CHUNK_MASK) == 0) {
            next = chunkNext[s >>> CHUNK_BITS] << CHUNK_BITS;
        }
        return next;
    }

    private int newChunk() {
        int c = freeChunk;
        if (c != NIL) {
            freeChunk = chunkNext[c];
            return c;
        }
        if (chunks == pages << CHUNKS_PER_PAGE_BITS) {
            addPage();
        }
        return chunks++;
    }

    private void freeChunk(int c) {
        chunkNext[c] = freeChunk;
        freeChunk = c;
    }

    private void addPage() {
        if (pages == (Integer.MAX_VALUE >>> PAGE_BITS)) {
            throw new IllegalStateException("event queue full: " + size + " pending events");
        }
        if (pages == ints.length) {
            int cap = pages * 2;
            ints = Arrays.copyOf(ints, cap);
            refs = Arrays.copyOf(refs, cap);
        }
        ints[pages] = new int[3 * PAGE];
        refs[pages] = new Object[PAGE];
        pages++;
        int needChunks = pages << CHUNKS_PER_PAGE_BITS;
        if (chunkNext.length < needChunks) {
            chunkNext = Arrays.copyOf(chunkNext, Math.max(needChunks, chunkNext.length * 2));
        }
    }

    private void write(int s, long t, int a, int b, Object ref) {
        int o = (s & PAGE_MASK) * 3;
        int[] in = ints[s >>> PAGE_BITS];
        in[o] = (int) (t & spanMask);
        in[o + 1] = a;
        in[o + 2] = b;
        refs[s >>> PAGE_BITS][s & PAGE_MASK] = ref;
    }

    @Override
    void push(long t, int a, int b, Object ref) {
        checkNotPast(t);
        long seq = nextSeq++;
        counted();
        if (calendarCount == 0) {
            // Nothing in the calendar: re-anchor it at the clock, so a run that idled past a long timer does
            // not leave every later event beyond the span (in the heap).
            windowStart = lastPopNanos & -(1L << (shift + groupBits));
            curCoarse = (int) (lastPopNanos >>> (shift + groupBits)) & coarseMask;
            curStart = lastPopNanos & -(1L << shift);
            cur = (int) (lastPopNanos >>> shift) & mask;
        }
        if (t < curStart) {
            heapPush(t, seq, FOLLOWS, a, b, ref); // before every calendar event: never tied with one
            return;
        }
        long fromWindow = t - windowStart;
        if ((fromWindow >>> (shift + groupBits)) == 0) {
            int i = (int) (t >>> shift) & mask;
            if (tail[i] != NIL && i == cur && curStart + ((tailMod[i] - curStart) & spanMask) > t) {
                // The bucket being consumed stays sorted: an event that would have to go before its tail
                // takes the heap, which merges it back in (time, seq) order.
                heapPush(t, seq, FOLLOWS, a, b, ref);
                return;
            }
            appendFine(i, t, a, b, ref);
        } else if (fromWindow < spanNanos) {
            appendCoarse(t, a, b, ref);
        } else {
            heapPush(t, seq, PRECEDES, a, b, ref);
            return;
        }
        calendarCount++;
    }

    /** Appends an event to fine bucket {@code i} of the window (not before the tail of the current one). */
    private void appendFine(int i, long t, int a, int b, Object ref) {
        runAlone = false;
        int tl = tail[i];
        int s;
        if (tl == NIL) {
            s = newChunk() << CHUNK_BITS;
            head[i] = s;
            occupied[i >>> 6] |= 1L << i;
        } else {
            if (curStart + ((tailMod[i] - curStart) & spanMask) > t) {
                unsorted[i] = true;
            }
            s = slotAfter(tl);
        }
        tail[i] = s;
        tailMod[i] = (int) (t & spanMask);
        write(s, t, a, b, ref);
    }

    /** The slot after tail slot {@code tl} of a bucket: the next in its chunk, or the first of a new chunk. */
    private int slotAfter(int tl) {
        int s = tl + 1;
        if ((s & CHUNK_MASK) == 0) {
            int c = newChunk();
            chunkNext[tl >>> CHUNK_BITS] = c;
            s = c << CHUNK_BITS;
        }
        return s;
    }

    /**
     * Appends an event beyond the window to its coarse bucket, unsorted: with spread-out latencies pushes
     * land in a few hundred coarse tails instead of tens of thousands of fine ones, so they write cached
     * lines. The coarse bucket becomes the window's run when the window reaches it.
     */
    private void appendCoarse(long t, int a, int b, Object ref) {
        int j = (int) (t >>> (shift + groupBits)) & coarseMask;
        int fine = (int) (t >>> shift) & mask;
        int tl = coarseTail[j];
        int s;
        if (tl == NIL) {
            s = newChunk() << CHUNK_BITS;
            coarseHead[j] = s;
            coarseOccupied[j >>> 6] |= 1L << j;
            coarseSorted[j] = true;
            coarseFine[j] = fine;
        } else {
            if (curStart + ((coarseTailMod[j] - curStart) & spanMask) > t) {
                coarseSorted[j] = false;
            }
            if (coarseFine[j] != fine) {
                coarseFine[j] = -1;
            }
            s = slotAfter(tl);
        }
        coarseTail[j] = s;
        coarseTailMod[j] = (int) (t & spanMask);
        write(s, t, a, b, ref);
    }

    @Override
    void pop() {
        // The common case, small enough for the JIT to inline into the simulator's loop: no overflow heap, no run,
        // and the current bucket's head is not its tail nor the last slot of its chunk.
        if (heapSize == 0) {
            int h = head[cur];
            int next = h + 1;
            if (h != NIL && runEnd == 0 && h != tail[cur] && (next & CHUNK_MASK) != 0) {
                int[] in = ints[h >>> PAGE_BITS];
                int o = (h & PAGE_MASK) * 3;
                long t = curStart + ((in[o] - curStart) & spanMask);
                topTime = t;
                topA = in[o + 1];
                topB = in[o + 2];
                Object[] r = refs[h >>> PAGE_BITS];
                topRef = r[h & PAGE_MASK];
                r[h & PAGE_MASK] = null;
                head[cur] = next;
                calendarCount--;
                lastPopNanos = t;
                size--;
                return;
            }
        }
        popSlow();
    }

    /** Pops the run's next event, slot {@code s} at time {@code t}; frees the window's chain after its last one. */
    private void popRun(int s, long t) {
        int[] in = ints[s >>> PAGE_BITS];
        int o = (s & PAGE_MASK) * 3;
        topTime = t;
        topA = in[o + 1];
        topB = in[o + 2];
        Object[] r = refs[s >>> PAGE_BITS];
        topRef = r[s & PAGE_MASK];
        r[s & PAGE_MASK] = null;
        calendarCount--;
        lastPopNanos = t;
        size--;
        if (++runPos == runEnd) {
            runPos = 0;
            runEnd = 0;
            freeChain(runFirst, runLast);
        }
    }

    private void popSlow() {
        if (heapSize == 0 && runAlone && runPos < runEnd) {
            // The run alone holds the window's events: its next one is the queue's.
            long k = run[runPos];
            popRun((int) k, windowStart + (k >>> 32));
            return;
        }
        boolean calendar = findCalendarHead();
        if (heapFirst(calendar)) {
            topTime = heapTime[0];
            long ab = heapAB[0];
            topA = (int) (ab >>> 32);
            topB = (int) ab;
            topRef = heapRef[0];
            heapRemoveTop();
            lastPopNanos = topTime;
            size--;
        } else if (headInRun) {
            popRun(headSlot, headTime);
        } else {
            int c = headSlot;
            int p = c >>> PAGE_BITS;
            int o = c & PAGE_MASK;
            int[] in = ints[p];
            topTime = headTime;
            topA = in[o * 3 + 1];
            topB = in[o * 3 + 2];
            Object[] r = refs[p];
            topRef = r[o];
            r[o] = null;
            if (c == tail[cur]) {
                head[cur] = NIL;
                tail[cur] = NIL;
                occupied[cur >>> 6] &= ~(1L << cur);
                freeChunk(c >>> CHUNK_BITS);
            } else {
                int next = c + 1;
                if ((next & CHUNK_MASK) == 0) {
                    int chunk = c >>> CHUNK_BITS;
                    next = chunkNext[chunk] << CHUNK_BITS;
                    freeChunk(chunk);
                }
                head[cur] = next;
            }
            calendarCount--;
            lastPopNanos = topTime;
            size--;
        }
    }

    @Override
    long peekTime() {
        return heapFirst(findCalendarHead()) ? heapTime[0] : headTime;
    }

    /**
     * Whether the heap top comes before the calendar's head in (time, seq) order. Slots do not store
     * their seq (8 bytes per in-flight event saved); only heap entries do, and a tie in time is decided by
     * why the heap entry is in the heap:
     * <ul>
     *   <li>beyond the span from the window's start when pushed ({@code PRECEDES}): every calendar event of
     *       the same time was pushed later. (A calendar event pushed earlier with that time would have had it
     *       inside the span, and the window's start never moves back while the calendar holds an event, so the
     *       time would still have been inside the span.)
     *   <li>earlier than the tail of the bucket being consumed ({@code FOLLOWS}): every calendar event of
     *       the same time is in that bucket and was pushed before (later pushes of that time take the heap
     *       too).
     *   <li>before the current bucket's start ({@code FOLLOWS}): earlier than every fine-bucket event, never
     *       tied with one; an event of the window's run with the same time was pushed before it.
     * </ul>
     * The run's events were all pushed before the window opened, so they are calendar events like any other here.
     *
     * @param calendar whether the calendar holds an event ({@link #findCalendarHead} found {@link #headTime})
     */
    private boolean heapFirst(boolean calendar) {
        if (heapSize == 0) {
            return false;
        }
        if (!calendar) {
            return true;
        }
        long th = heapTime[0];
        return th < headTime || (th == headTime && (heapKey[0] & 1) == PRECEDES);
    }

    /**
     * Finds the calendar's earliest event (advancing to the next occupied bucket if needed) and leaves it in
     * {@link #headSlot}, {@link #headTime} and {@link #headInRun}; false if the calendar is empty. While the window
     * has a run, an event pushed into its fine buckets since it opened competes with the run's next event by
     * time, and the run's goes first on a tie: every run event was pushed before the window opened.
     */
    private boolean findCalendarHead() {
        if (calendarCount == 0) {
            return false;
        }
        if (runPos < runEnd) {
            long k = run[runPos];
            long tr = windowStart + (k >>> 32);
            if (!runAlone && fineOccupied()) {
                int h = fineHead();
                long tf = timeOf(h);
                if (tf < tr) {
                    headSlot = h;
                    headTime = tf;
                    headInRun = false;
                    return true;
                }
            }
            headSlot = (int) k;
            headTime = tr;
            headInRun = true;
            return true;
        }
        int h = head[cur];
        if (h == NIL) {
            advance();
            if (runPos < runEnd) {
                return findCalendarHead(); // the new window is a run
            }
            h = head[cur];
        }
        headSlot = h;
        headTime = timeOf(h);
        headInRun = false;
        return true;
    }

    /** Whether any fine bucket of the window holds an event. */
    private boolean fineOccupied() {
        for (long w : occupied) {
            if (w != 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * The head slot of the first occupied fine bucket, moving the current bucket there (the window has a run and
     * its fine buckets hold an event: one at or after the current bucket, as earlier pushes took the heap).
     */
    private int fineHead() {
        int h = head[cur];
        if (h == NIL) {
            moveTo(nextOccupiedFine(cur + 1));
            h = head[cur];
        }
        return h;
    }

    /**
     * Moves to the next occupied fine bucket of the window, or, if the window is empty, to the next occupied
     * coarse bucket, which becomes the window: as a run, or as the one fine bucket all its events fall in.
     */
    private void advance() {
        int j = nextOccupiedFine(cur + 1);
        if (j < 0) {
            openWindow();
            if (runPos < runEnd) {
                cur = 0; // the run's first event is at or after the window's start
                curStart = windowStart;
                return;
            }
            j = nextOccupiedFine(0);
        }
        moveTo(j);
    }

    /** Makes fine bucket {@code j} current, sorting it if a push left it unsorted. */
    private void moveTo(int j) {
        curStart = windowStart + ((long) j << shift);
        cur = j;
        if (unsorted[j]) {
            sortCurrent();
            unsorted[j] = false;
        }
    }

    /**
     * Makes the next occupied coarse bucket the window: its events become the window's run, sorted in (time, seq)
     * order where they lie. A coarse bucket whose events all fall in one fine bucket in time order (constant
     * latency) becomes that bucket as it is, unsorted or not: no event moves.
     */
    private void openWindow() {
        int j = nextOccupiedCoarse((curCoarse + 1) & coarseMask);
        windowStart += (long) ((j - curCoarse) & coarseMask) << (shift + groupBits);
        curCoarse = j;
        curStart = windowStart;
        int first = coarseHead[j];
        int last = coarseTail[j];
        coarseHead[j] = NIL;
        coarseTail[j] = NIL;
        coarseOccupied[j >>> 6] &= ~(1L << j);
        int only = coarseFine[j];
        if (only >= 0) {
            head[only] = first;
            tail[only] = last;
            tailMod[only] = coarseTailMod[j];
            unsorted[only] = !coarseSorted[j];
            occupied[only >>> 6] |= 1L << only;
            return;
        }
        sortRun(first, last);
    }

    /**
     * Makes the new window's coarse chain {@code first..last} its run: the events' keys (offset in the window
     * {@code << 32 | slot}) in (time, seq) order, the events themselves left where they are. The chain is in seq
     * order, so a stable sort by time offset is (time, seq) order: an LSD radix sort of the keys on the offset's
     * bits, {@value #RADIX_BITS} at a time (two passes for a window of 2^16 ns), linear in the chain's length. Pops
     * then read each event at its slot, in key order; the chain's chunks are freed after the last. (Moving the
     * events into the fine buckets in that order, as this queue did before, wrote and read every event once more:
     * in a CPU profile of simbench's flood at 10^6 nodes with uniform 1-10 ms latencies, the moving and sorting
     * took about a fifth of the samples.)
     */
    private void sortRun(int first, int last) {
        int m = 0;
        long[] keys = radixKeys;
        for (int s = first; ; ) {
            if (m == keys.length) {
                keys = radixKeys = Arrays.copyOf(keys, m * 2);
            }
            long mod = ints[s >>> PAGE_BITS][(s & PAGE_MASK) * 3];
            long offset = (mod - windowStart) & spanMask; // < the window's width: it is this window's event
            keys[m++] = (offset << 32) | s;
            if (s == last) {
                break;
            }
            s = nextSlot(s);
        }
        if (radixBuffer.length < m) {
            radixBuffer = new long[Math.max(m, radixBuffer.length * 2)];
        }
        long[] from = keys;
        long[] to = radixBuffer;
        int[] count = radixCount;
        for (int bit = 32; bit < 32 + shift + groupBits; bit += RADIX_BITS) {
            Arrays.fill(count, 0);
            for (int i = 0; i < m; i++) {
                count[(int) (from[i] >>> bit) & RADIX_MASK]++;
            }
            if (count[(int) (from[0] >>> bit) & RADIX_MASK] == m) {
                continue; // every key has this digit: the pass would not move one
            }
            int sum = 0;
            for (int d = 0; d <= RADIX_MASK; d++) {
                int c = count[d];
                count[d] = sum;
                sum += c;
            }
            for (int i = 0; i < m; i++) {
                long k = from[i];
                to[count[(int) (k >>> bit) & RADIX_MASK]++] = k;
            }
            long[] swap = from;
            from = to;
            to = swap;
        }
        run = from; // the next sort reuses both buffers: the next window opens only after this run is used up
        runPos = 0;
        runEnd = m;
        runFirst = first;
        runLast = last;
        runAlone = true;
    }

    /** Returns the chunks of the chain from slot {@code first} to slot {@code last} to the free list. */
    private void freeChain(int first, int last) {
        int lastChunk = last >>> CHUNK_BITS;
        for (int c = first >>> CHUNK_BITS; ; ) {
            int next = chunkNext[c];
            freeChunk(c);
            if (c == lastChunk) {
                break;
            }
            c = next;
        }
    }

    /**
     * Fills {@code slots} with the slots of the calendar's next events, in order, without removing them, and
     * {@code as}, {@code bs} with their ints; returns how many (at most {@code slots.length}; 0 if the queue
     * cannot tell cheaply). They are the run's next events up to the first fine-bucket event that goes before
     * one of them, or the current fine bucket's up to the run's next event. The first {@code skip} entries are
     * counted but not written (a caller that prefetched those events on its previous call does not need them),
     * which spares reading their lines once more. A hint only: the next {@link #pop()}s may come from the overflow
     * heap first. Slots are valid until the next push or pop.
     */
    @Override
    int upcoming(int[] slots, int[] as, int[] bs, int skip) {
        if (slots.length == 0 || !findCalendarHead()) {
            return 0;
        }
        if (headInRun) {
            // The run's events, up to the first fine-bucket event pushed since the window opened (if any).
            long[] keys = run;
            int end = Math.min(runEnd, runPos + slots.length);
            if (!runAlone && fineOccupied()) {
                long limit = timeOf(fineHead());
                int i = runPos;
                while (i < end && windowStart + (keys[i] >>> 32) <= limit) {
                    i++;
                }
                end = i;
            }
            for (int i = runPos + skip; i < end; i++) {
                int x = (int) keys[i];
                int[] in = ints[x >>> PAGE_BITS];
                int o = (x & PAGE_MASK) * 3;
                int k = i - runPos;
                slots[k] = x;
                as[k] = in[o + 1];
                bs[k] = in[o + 2];
            }
            return end - runPos;
        }
        // The current fine bucket's events, up to the run's next event (if the window has a run).
        long limit = runPos < runEnd ? windowStart + (run[runPos] >>> 32) : Long.MAX_VALUE;
        int x = headSlot;
        int last = tail[cur];
        int k = 0;
        while (true) {
            if (k > 0 && limit != Long.MAX_VALUE && timeOf(x) >= limit) {
                return k;
            }
            if (k >= skip) {
                int[] in = ints[x >>> PAGE_BITS];
                int o = (x & PAGE_MASK) * 3;
                slots[k] = x;
                as[k] = in[o + 1];
                bs[k] = in[o + 2];
            }
            k++;
            if (x == last || k == slots.length) {
                return k;
            }
            x = nextSlot(x);
        }
    }

    @Override
    Object slotRef(int s) {
        return refs[s >>> PAGE_BITS][s & PAGE_MASK];
    }

    /** The first occupied fine bucket at or after {@code from} in the window, or -1 (no wrap-around). */
    private int nextOccupiedFine(int from) {
        if (from > mask) {
            return -1;
        }
        int w = from >>> 6;
        long bits = occupied[w] & (-1L << (from & 63));
        while (true) {
            if (bits != 0) {
                return (w << 6) + Long.numberOfTrailingZeros(bits);
            }
            if (++w == occupied.length) {
                return -1;
            }
            bits = occupied[w];
        }
    }

    /** The first occupied coarse bucket at or after {@code from}, around the ring. */
    private int nextOccupiedCoarse(int from) {
        long[] occ = coarseOccupied;
        int words = occ.length;
        int w = from >>> 6;
        long bits = occ[w] & (-1L << (from & 63));
        for (int k = 0; k <= words; k++) {
            if (bits != 0) {
                return (w << 6) + Long.numberOfTrailingZeros(bits);
            }
            w = (w + 1) % words;
            bits = occ[w];
        }
        throw new IllegalStateException("calendar holds " + calendarCount + " events but no bucket is occupied");
    }

    /**
     * Sorts the current bucket by (time, seq). Slot order is seq order, so the key is (time offset in the
     * bucket, position): both fit one long, and a primitive sort does the rest. The sorted events are copied
     * into a fresh chain of chunks, and the old chain goes back to the free list.
     */
    private void sortCurrent() {
        bucketSorts++;
        int first = head[cur];
        int last = tail[cur];
        int k = 0;
        for (int s = first; ; s = nextSlot(s)) {
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
            if (s == last) {
                break;
            }
        }
        Arrays.sort(sortKeys, 0, k);
        int dst = NIL;
        for (int i = 0; i < k; i++) {
            int src = sortSlots[(int) sortKeys[i]];
            if (dst == NIL) {
                dst = newChunk() << CHUNK_BITS;
                head[cur] = dst;
            } else if (((dst + 1) & CHUNK_MASK) == 0) {
                int c = newChunk();
                chunkNext[dst >>> CHUNK_BITS] = c;
                dst = c << CHUNK_BITS;
            } else {
                dst++;
            }
            int[] from = ints[src >>> PAGE_BITS];
            int[] to = ints[dst >>> PAGE_BITS];
            int fo = (src & PAGE_MASK) * 3;
            int to3 = (dst & PAGE_MASK) * 3;
            to[to3] = from[fo];
            to[to3 + 1] = from[fo + 1];
            to[to3 + 2] = from[fo + 2];
            Object[] fromRefs = refs[src >>> PAGE_BITS];
            refs[dst >>> PAGE_BITS][dst & PAGE_MASK] = fromRefs[src & PAGE_MASK];
            fromRefs[src & PAGE_MASK] = null;
        }
        tail[cur] = dst;
        tailMod[cur] = ints[dst >>> PAGE_BITS][(dst & PAGE_MASK) * 3];
        // The old chain's links are intact: the fresh chunks came from the free list, which did not hold them.
        freeChain(first, last);
    }

    /** Heap order: (time, seq); the flag bit below the seq never decides since seqs differ. */
    private static boolean less(long tx, long keyX, long ty, long keyY) {
        return tx < ty || (tx == ty && keyX < keyY);
    }

    private void heapPush(long t, long seq, long tieRule, int a, int b, Object ref) {
        if (heapSize == heapTime.length) {
            int cap = heapSize * 2;
            heapTime = Arrays.copyOf(heapTime, cap);
            heapKey = Arrays.copyOf(heapKey, cap);
            heapAB = Arrays.copyOf(heapAB, cap);
            heapRef = Arrays.copyOf(heapRef, cap);
        }
        long key = (seq << 1) | tieRule;
        long ab = ((long) a << 32) | (b & 0xFFFFFFFFL);
        int i = heapSize++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (!less(t, key, heapTime[parent], heapKey[parent])) {
                break;
            }
            heapTime[i] = heapTime[parent];
            heapKey[i] = heapKey[parent];
            heapAB[i] = heapAB[parent];
            heapRef[i] = heapRef[parent];
            i = parent;
        }
        heapTime[i] = t;
        heapKey[i] = key;
        heapAB[i] = ab;
        heapRef[i] = ref;
    }

    private void heapRemoveTop() {
        int n = --heapSize;
        long lastTime = heapTime[n];
        long lastKey = heapKey[n];
        long lastAB = heapAB[n];
        Object lastRef = heapRef[n];
        heapRef[n] = null;
        if (n == 0) {
            return;
        }
        int i = 0;
        int half = n >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int right = child + 1;
            if (right < n && less(heapTime[right], heapKey[right], heapTime[child], heapKey[child])) {
                child = right;
            }
            if (!less(heapTime[child], heapKey[child], lastTime, lastKey)) {
                break;
            }
            heapTime[i] = heapTime[child];
            heapKey[i] = heapKey[child];
            heapAB[i] = heapAB[child];
            heapRef[i] = heapRef[child];
            i = child;
        }
        heapTime[i] = lastTime;
        heapKey[i] = lastKey;
        heapAB[i] = lastAB;
        heapRef[i] = lastRef;
    }

    /**
     * Fine buckets sorted when they became current, so far (for tests): a push earlier than a bucket's tail
     * leaves it unsorted; a run never needs one.
     */
    int bucketSorts() {
        return bucketSorts;
    }

    /** Events waiting in the overflow heap (for tests and reports). */
    int overflowSize() {
        return heapSize;
    }

    /** Bytes held by slot pages, chunk links, buckets and the heap: the queue's footprint. */
    long footprintBytes() {
        long slots = (long) pages * PAGE * (12 + 4) + 2L * 16 * pages + chunkNext.length * 4L;
        long buckets = (long) (mask + 1) * (4 + 4 + 4 + 1) + occupied.length * 8L
                + (long) (coarseMask + 1) * (4 + 4 + 4 + 1 + 4) + coarseOccupied.length * 8L;
        return slots + buckets + heapTime.length * 28L + sortKeys.length * 12L + (radixKeys.length + radixBuffer.length) * 8L;
    }
}
