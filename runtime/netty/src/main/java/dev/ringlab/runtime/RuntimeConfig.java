package dev.ringlab.runtime;

import java.util.concurrent.TimeUnit;

/**
 * Transport settings of one node.
 *
 * @param bindHost address the node's peer and admin sockets listen on ({@code 127.0.0.1} unless
 *     {@code --bind} says otherwise)
 * @param handshakeTimeoutNanos a connection that has not authenticated by then is closed
 * @param backoffBaseNanos first reconnection delay; doubles per failed attempt
 * @param backoffMaxNanos cap on the reconnection delay (before jitter)
 * @param writeBufferLowBytes a channel becomes writable again below this many queued bytes
 * @param writeBufferHighBytes a channel stops being writable above this many queued bytes; a send to a
 *     non-writable channel is dropped and counted, so each link queues at most this plus one frame
 * @param maxPendingBeforeStart messages that arrive before the node is started are held, up to this many
 * @param maxPendingHandshakes accepted connections that have not finished the handshake, at most this many
 *     at once per node; one more is closed at once and counted ({@code too_many_pending}). Each pending
 *     connection holds at most one pre-handshake frame ({@link Handshake#MAX_FRAME_BYTES}) and is closed
 *     after {@code handshakeTimeoutNanos}, so a flood of unauthenticated connections costs a bounded amount
 *     of memory; a legitimate peer refused meanwhile redials with backoff. Must exceed the overlay degree
 *     (every accepted neighbour may be pending at once at start-up).
 * @param transport the event loops' socket transport ({@link Transport}); the engine that makes the loops
 *     reads it (a node's sockets take their classes from its loop)
 * @param consolidateFlushes whether a connection batches its flushes ({@code FlushConsolidationHandler}:
 *     a write outside a read is flushed by a task after the current one, a write inside one at the end of
 *     the read, or every 64 writes) instead of one {@code write} system call per message
 * @param quickAck {@code TCP_QUICKACK} on every peer connection (epoll only: ignored on nio, which cannot
 *     set it); acknowledges at once instead of the kernel's delayed acknowledgement
 * @param blockPlacement how the in-process engine maps nodes to its loops: true, in blocks of consecutive
 *     ids (ring neighbours share a loop, so most hops need no wake-up of another thread); false, round
 *     robin (node v on loop v mod loops: every ring hop crosses threads)
 * @param connections when the edges' connections open and close ({@link ConnectionPolicy}), or null for the
 *     protocol's default ({@link ConnectionPolicy#resolve}), which the engine resolves
 */
public record RuntimeConfig(
        String bindHost,
        long handshakeTimeoutNanos,
        long backoffBaseNanos,
        long backoffMaxNanos,
        int writeBufferLowBytes,
        int writeBufferHighBytes,
        int maxPendingBeforeStart,
        int maxPendingHandshakes,
        Transport transport,
        boolean consolidateFlushes,
        boolean quickAck,
        boolean blockPlacement,
        ConnectionPolicy connections) {

    /**
     * The first eight settings, the transport from {@link Transport#fromProperty()}, the connection policy from
     * {@link ConnectionPolicy#fromProperty()} and the default policies.
     */
    public RuntimeConfig(String bindHost, long handshakeTimeoutNanos, long backoffBaseNanos, long backoffMaxNanos,
            int writeBufferLowBytes, int writeBufferHighBytes, int maxPendingBeforeStart, int maxPendingHandshakes) {
        this(bindHost, handshakeTimeoutNanos, backoffBaseNanos, backoffMaxNanos, writeBufferLowBytes,
                writeBufferHighBytes, maxPendingBeforeStart, maxPendingHandshakes, Transport.fromProperty(),
                DEFAULT_CONSOLIDATE_FLUSHES, DEFAULT_QUICK_ACK, DEFAULT_BLOCK_PLACEMENT, ConnectionPolicy.fromProperty());
    }

    static final boolean DEFAULT_CONSOLIDATE_FLUSHES = true;
    static final boolean DEFAULT_QUICK_ACK = false;
    /** Blocks: the token hop's p50 fell from about 20-28 us to 13-15 us (README "ringlab bench"). */
    static final boolean DEFAULT_BLOCK_PLACEMENT = true;

    public RuntimeConfig {
        java.util.Objects.requireNonNull(transport, "transport");
        if (handshakeTimeoutNanos <= 0 || backoffBaseNanos <= 0 || backoffMaxNanos < backoffBaseNanos) {
            throw new IllegalArgumentException("timeouts must be positive and backoffMax >= backoffBase");
        }
        if (writeBufferLowBytes <= 0 || writeBufferHighBytes < writeBufferLowBytes) {
            throw new IllegalArgumentException("write buffer marks must satisfy 0 < low <= high");
        }
        if (maxPendingHandshakes < 1) {
            throw new IllegalArgumentException("maxPendingHandshakes must be at least 1, got " + maxPendingHandshakes);
        }
    }

    /**
     * Loopback defaults. The backoff cap is 200 ms: a respawned node is reached only when its predecessor's
     * next dial succeeds, so the cap bounds rejoin time (with a 1 s cap, netty rejoins measured 0.5-0.8 s
     * against the simulator's sub-millisecond); on loopback a refused dial costs microseconds, so faster
     * retries are cheap.
     */
    public static RuntimeConfig defaults() {
        return new RuntimeConfig("127.0.0.1", TimeUnit.SECONDS.toNanos(2), TimeUnit.MILLISECONDS.toNanos(10),
                TimeUnit.MILLISECONDS.toNanos(200), 256 << 10, 1 << 20, 4096, 64);
    }

    public RuntimeConfig withBindHost(String host) {
        return new RuntimeConfig(host, handshakeTimeoutNanos, backoffBaseNanos, backoffMaxNanos, writeBufferLowBytes,
                writeBufferHighBytes, maxPendingBeforeStart, maxPendingHandshakes, transport, consolidateFlushes, quickAck,
                blockPlacement, connections);
    }

    public RuntimeConfig withHandshakeTimeoutNanos(long nanos) {
        return new RuntimeConfig(bindHost, nanos, backoffBaseNanos, backoffMaxNanos, writeBufferLowBytes,
                writeBufferHighBytes, maxPendingBeforeStart, maxPendingHandshakes, transport, consolidateFlushes, quickAck,
                blockPlacement, connections);
    }

    public RuntimeConfig withWriteBuffer(int lowBytes, int highBytes) {
        return new RuntimeConfig(bindHost, handshakeTimeoutNanos, backoffBaseNanos, backoffMaxNanos, lowBytes, highBytes,
                maxPendingBeforeStart, maxPendingHandshakes, transport, consolidateFlushes, quickAck, blockPlacement, connections);
    }

    public RuntimeConfig withMaxPendingHandshakes(int max) {
        return new RuntimeConfig(bindHost, handshakeTimeoutNanos, backoffBaseNanos, backoffMaxNanos, writeBufferLowBytes,
                writeBufferHighBytes, maxPendingBeforeStart, max, transport, consolidateFlushes, quickAck, blockPlacement, connections);
    }

    public RuntimeConfig withTransport(Transport t) {
        return new RuntimeConfig(bindHost, handshakeTimeoutNanos, backoffBaseNanos, backoffMaxNanos, writeBufferLowBytes,
                writeBufferHighBytes, maxPendingBeforeStart, maxPendingHandshakes, t, consolidateFlushes, quickAck,
                blockPlacement, connections);
    }

    public RuntimeConfig withConsolidateFlushes(boolean on) {
        return new RuntimeConfig(bindHost, handshakeTimeoutNanos, backoffBaseNanos, backoffMaxNanos, writeBufferLowBytes,
                writeBufferHighBytes, maxPendingBeforeStart, maxPendingHandshakes, transport, on, quickAck, blockPlacement, connections);
    }

    public RuntimeConfig withQuickAck(boolean on) {
        return new RuntimeConfig(bindHost, handshakeTimeoutNanos, backoffBaseNanos, backoffMaxNanos, writeBufferLowBytes,
                writeBufferHighBytes, maxPendingBeforeStart, maxPendingHandshakes, transport, consolidateFlushes, on,
                blockPlacement, connections);
    }

    public RuntimeConfig withBlockPlacement(boolean on) {
        return new RuntimeConfig(bindHost, handshakeTimeoutNanos, backoffBaseNanos, backoffMaxNanos, writeBufferLowBytes,
                writeBufferHighBytes, maxPendingBeforeStart, maxPendingHandshakes, transport, consolidateFlushes, quickAck, on, connections);
    }

    /** With connection policy {@code policy} (null: the protocol's default). */
    public RuntimeConfig withConnections(ConnectionPolicy policy) {
        return new RuntimeConfig(bindHost, handshakeTimeoutNanos, backoffBaseNanos, backoffMaxNanos, writeBufferLowBytes,
                writeBufferHighBytes, maxPendingBeforeStart, maxPendingHandshakes, transport, consolidateFlushes, quickAck,
                blockPlacement, policy);
    }
}
