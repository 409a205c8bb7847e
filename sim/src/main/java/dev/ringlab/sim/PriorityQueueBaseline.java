package dev.ringlab.sim;

import java.util.PriorityQueue;

/**
 * The naive event queue: a {@link PriorityQueue} (binary heap of references) of one {@link Event} object per
 * push, ordered by (time, seq). This is what a first simulator usually looks like; it is kept as real code
 * so that {@link QueueKind#CALENDAR}'s speed is measured against it in the same process, on the same node
 * logic, with the same event order (and so the same trace hash).
 */
final class PriorityQueueBaseline extends EventQueue {
    private record Event(long time, long seq, int a, int b, Object ref) implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            int c = Long.compare(time, o.time);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private final PriorityQueue<Event> heap = new PriorityQueue<>();

    @Override
    void push(long timeNanos, int a, int b, Object ref) {
        checkNotPast(timeNanos);
        heap.add(new Event(timeNanos, nextSeq++, a, b, ref));
        counted();
    }

    @Override
    void pop() {
        Event e = heap.poll();
        topTime = e.time;
        topA = e.a;
        topB = e.b;
        topRef = e.ref;
        lastPopNanos = e.time;
        size--;
    }

    @Override
    long peekTime() {
        return heap.peek().time;
    }
}
