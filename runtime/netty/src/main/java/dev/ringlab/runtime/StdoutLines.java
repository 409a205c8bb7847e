package dev.ringlab.runtime;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringlab.node.Observation;
import java.io.PrintStream;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * A node process's stdout ({@link NodeProcess}): lines queued by any thread and written, in the order they
 * were queued, by one writer thread of their own.
 *
 * <p>Why not write on the caller's thread: the node's event loop emits an observation per event, and a
 * respawned config-bus node catching up applies thousands of deltas in one task. Written there (a JSON
 * encoding, a write and a flush per line), the loop blocked whenever the pipe was full because the parent
 * was busy with the other children's streams: measured in a processes soak at load average 15-19, the
 * respawned node answered no heartbeat for over 600 ms a few seconds after its start, its predecessors
 * suspected it and one regenerated the token while the old one was alive. Queued, the loop only appends
 * to a deque; observations are encoded on the writer thread, and each batch goes out with one flush.
 *
 * <p>No line may be lost (the parent's checkers read every observation), so the queue grows while the parent
 * reads slower than the node emits, up to {@link #MAX_QUEUED} lines; beyond that, a thread that emits waits for
 * the writer (the node's loop slows down to what its parent can read) rather than fill the node's small heap
 * and end it. Lines are written in batches of at most {@link #BATCH} as they are encoded, so the parent reads
 * on while a long queue is written out. Both limits came from a token ring on loopback that passes its token
 * 80,000 times a second (4 nodes, 2 cores): its nodes' queues grew to most of their 96 MB heaps, each batch
 * (the whole queue) took seconds to encode before its first line went out, and the parent, reading nothing
 * meanwhile, saw the token stop. {@link #close} drains the queue.
 */
final class StdoutLines implements AutoCloseable {
    private final PrintStream out;
    private final ArrayDeque<Object> queue = new ArrayDeque<>(); // ObjectNode or Observation
    private final Thread writer;
    private boolean closed;

    /** Lines queued beyond which an emitting thread waits for the writer (see the class doc). */
    static final int MAX_QUEUED = 100_000;
    /** Lines written (and flushed) at once, at most. */
    static final int BATCH = 512;

    StdoutLines(PrintStream out, String threadName) {
        this.out = out;
        this.writer = Thread.ofPlatform().daemon().name(threadName).start(this::writeLoop);
    }

    /** Queues a line (an event, counters). */
    void emit(ObjectNode line) {
        enqueue(line);
    }

    /** Queues an observation; it is encoded on the writer thread. */
    void emit(Observation o) {
        enqueue(o);
    }

    private synchronized void enqueue(Object item) {
        while (queue.size() >= MAX_QUEUED && !closed) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break; // queued beyond the limit rather than lost
            }
        }
        if (closed) {
            return; // after close nothing reads them any more
        }
        queue.add(item);
        if (queue.size() == 1) {
            notifyAll();
        }
    }

    private void writeLoop() {
        StringBuilder batch = new StringBuilder();
        while (true) {
            Object[] items;
            synchronized (this) {
                while (queue.isEmpty() && !closed) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        closed = true;
                    }
                }
                if (queue.isEmpty()) {
                    return; // closed and drained
                }
                boolean full = queue.size() >= MAX_QUEUED;
                items = new Object[Math.min(BATCH, queue.size())];
                for (int i = 0; i < items.length; i++) {
                    items[i] = queue.poll();
                }
                if (full) {
                    notifyAll(); // an emitter waits for room
                }
            }
            batch.setLength(0);
            for (Object item : items) {
                ObjectNode line;
                try {
                    line = item instanceof Observation o ? NodeProcess.observation(o) : (ObjectNode) item;
                } catch (RuntimeException e) {
                    // An observation without a JSON form (a custom record of the wrong shape) fails the run, in
                    // one line the driver reports, instead of ending this writer and every later line with it.
                    line = ObservationJson.MAPPER.createObjectNode().put("event", "failure")
                            .put("message", "cannot send observation: " + e.getMessage());
                }
                batch.append(line.toString()).append('\n');
            }
            out.print(batch);
            out.flush();
        }
    }

    /** Writes what is queued (waiting up to 5 s for a parent that does not read), then stops the writer. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            writer.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
