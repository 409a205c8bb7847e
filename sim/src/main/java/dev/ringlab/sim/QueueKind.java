package dev.ringlab.sim;

/**
 * The event queue a {@link SimCluster} runs on. All kinds pop events in exactly the same (time, seq) order,
 * so a run's trace hash does not depend on the kind; they differ only in speed and memory.
 */
public enum QueueKind {
    /** Calendar queue over bounded link latencies (Brown 1988), primitive slots: the default and the fast one. */
    CALENDAR,
    /** Implicit binary heap of primitive slots: the simulator's first queue, kept for comparison. */
    BINARY_HEAP,
    /**
     * {@code java.util.PriorityQueue} of one event object per push ordered by (time, seq): the naive
     * baseline that speed is measured against.
     */
    PRIORITY_QUEUE;

    /** Parses {@code calendar}, {@code binary-heap} or {@code priority-queue} (case-insensitive). */
    public static QueueKind parse(String text) {
        for (QueueKind k : values()) {
            if (k.label().equalsIgnoreCase(text.trim()) || k.name().equalsIgnoreCase(text.trim())) {
                return k;
            }
        }
        throw new IllegalArgumentException("unknown queue kind '" + text + "': use calendar, binary-heap or priority-queue");
    }

    /** The lower-case, dashed name used on command lines and in reports. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
}
