package dev.ringlab.sim;

/**
 * The simulator's pending events, ordered totally by (time, sequence number): every push gets the next
 * sequence number, so events at the same virtual time leave in the order they were pushed and no tie ever
 * depends on hash or memory order. Every implementation pops exactly the same sequence for the same pushes,
 * which is what lets {@link SimCluster} swap them without changing a trace hash.
 *
 * <p>An event is two ints and one reference (their meaning is the caller's) at a time. After {@link #pop()},
 * the popped event's fields are read through {@link #time()}, {@link #a()}, {@link #b()}, {@link #ref()}
 * until the next call.
 *
 * <p>Invariant, checked: time never goes backwards. A push earlier than the last popped event throws, since
 * it would mean the simulator scheduled something in its own past.
 */
abstract sealed class EventQueue permits CalendarQueue, BinaryHeapQueue, PriorityQueueBaseline {
    long topTime;
    int topA;
    int topB;
    Object topRef;
    /** Time of the last popped event: no push may be earlier. */
    long lastPopNanos;
    long nextSeq;
    int size;
    int peakSize;

    static EventQueue create(QueueKind kind, long maxLatencyNanos, int nodes) {
        return switch (kind) {
            case CALENDAR -> new CalendarQueue(maxLatencyNanos, nodes);
            case BINARY_HEAP -> new BinaryHeapQueue(Math.min(1 << 20, Math.max(1024, nodes)));
            case PRIORITY_QUEUE -> new PriorityQueueBaseline();
        };
    }

    /** Adds an event at {@code timeNanos} >= the last popped time. */
    abstract void push(long timeNanos, int a, int b, Object ref);

    /** Removes the earliest event; read it with {@link #time()} etc. Only when not empty. */
    abstract void pop();

    /** Time of the earliest event; only when not empty. */
    abstract long peekTime();

    /**
     * Slots and ints of the next few events, as a prefetch hint (see {@link CalendarQueue#upcoming}); the
     * default cannot tell and returns 0.
     */
    int upcoming(int[] slots, int[] as, int[] bs, int skip) {
        return 0;
    }

    Object slotRef(int slot) {
        throw new UnsupportedOperationException();
    }

    final int size() {
        return size;
    }

    final boolean isEmpty() {
        return size == 0;
    }

    /** Largest {@link #size()} seen so far. */
    final int peakSize() {
        return peakSize;
    }

    final long time() {
        return topTime;
    }

    final int a() {
        return topA;
    }

    final int b() {
        return topB;
    }

    final Object ref() {
        return topRef;
    }

    final void checkNotPast(long timeNanos) {
        if (timeNanos < lastPopNanos) {
            throw new IllegalStateException("event at " + timeNanos + " ns pushed after time reached " + lastPopNanos
                    + " ns: the simulator would run backwards");
        }
    }

    final void counted() {
        if (++size > peakSize) {
            peakSize = size;
        }
    }
}
