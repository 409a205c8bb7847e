package dev.ringlab.runtime;

import dev.ringlab.node.Message;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Where a hop's time goes: {@link System#nanoTime} stamps on a sampled fraction of the messages between
 * nodes of one JVM (the {@code netty} engine; {@code ringlab bench} turns it on), at each stage of the way:
 * <ol start="0">
 *   <li>{@code send}: the protocol's {@code Env.send} reaches the node's send path;
 *   <li>{@code write}: the send path (overlay, emulation and fault checks) handed it to the connection;
 *   <li>{@code encoded}: the encoder wrote the frame into a pooled buffer;
 *   <li>{@code flushed}: the {@code write} system call that carried it returned (after any flush batching);
 *   <li>{@code read}: the receiving node's loop woke up and read the bytes (kernel loopback, the other
 *       loop's wake-up, or the rest of the same loop's turn when both nodes share it);
 *   <li>{@code decoded}: framing and {@code MessageCodec} decoding done;
 *   <li>{@code delivered}: the node's {@code onMessage} is called (partition check, counters, dispatch).
 * </ol>
 * A connection's two ends run on the loops of the two nodes it joins, so there is no hand-off between loops
 * on the receiving side: the read happens on the receiving node's own loop.
 *
 * <h2>Cost</h2>
 * Off unless the system property {@value #PROPERTY} is a sampling period (e.g. {@code 64}: one message in 64
 * per connection) when this class is first used; everywhere else the check is one {@code static final}
 * boolean the JIT folds away, and the probe's pipeline handler is not even installed.
 *
 * <h2>Matching the two ends</h2>
 * TCP keeps a connection's frames in order, so each end counts the messages of the connection (written on
 * one side, read on the other) and both sample the same indices; a sample travels from the sender's end to
 * the receiver's through a FIFO per connection, keyed by the connection's two loopback ports. The stamps
 * are therefore only meaningful in one JVM (one clock): the processes engine is not probed.
 */
public final class HopProbe {
    /** System property: sampling period, one message in this many per connection (unset or 0: off). */
    public static final String PROPERTY = "ringlab.probe";

    /** The period, or 0 when off. */
    static final int EVERY = Integer.getInteger(PROPERTY, 0);

    /** Whether the probe runs in this JVM: fixed when the class is loaded. */
    public static final boolean ON = EVERY > 0;

    /** Stage names, in the order of the stamps. */
    public static final List<String> STAGES = List.of("send", "write", "encoded", "flushed", "read", "decoded", "delivered");

    /** The gaps between consecutive stamps the breakdown reports, named by the stage they end at. */
    public static final List<String> GAPS = List.of("send_path", "encode", "flush", "wire_and_wakeup", "decode", "dispatch");

    private static final Map<Long, ConcurrentLinkedQueue<long[]>> IN_FLIGHT = new ConcurrentHashMap<>();
    private static final ConcurrentLinkedQueue<long[]> DONE = new ConcurrentLinkedQueue<>();
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private HopProbe() {}

    /** Per loop thread: the last send's stamp, and the sample being delivered right now. */
    private static final class Scratch {
        long sendAt;
        long[] delivering;
    }

    /** The protocol sent a message: on the node's loop, only when {@link #ON}. */
    static void markSend() {
        SCRATCH.get().sendAt = System.nanoTime();
    }

    /** The node's {@code onMessage} is about to run: on the node's loop, only when {@link #ON}. */
    static void markDelivered() {
        Scratch s = SCRATCH.get();
        if (s.delivering != null) {
            s.delivering[6] = System.nanoTime();
            DONE.add(s.delivering);
            s.delivering = null;
        }
    }

    /** Forgets every sample (between the scenarios of a benchmark). */
    public static void reset() {
        IN_FLIGHT.clear();
        DONE.clear();
    }

    /** Every completed sample since the last {@link #reset}: {@code STAGES.size()} stamps each. */
    public static List<long[]> drain() {
        List<long[]> out = new ArrayList<>();
        for (long[] s; (s = DONE.poll()) != null; ) {
            out.add(s);
        }
        return out;
    }

    private static long key(int fromPort, int toPort) {
        return ((long) fromPort << 32) | (toPort & 0xffffffffL);
    }

    /**
     * The handler a probed connection carries twice: {@link #outer()} next to the socket (real flushes,
     * reads) and {@link #inner()} between the codec and the link handler (messages).
     */
    static final class Pair {
        private final Outer outer = new Outer();
        private final Inner inner = new Inner();
        private final ArrayDeque<long[]> awaitingFlush = new ArrayDeque<>();
        private long lastReadAt;
        private long written;
        private long read;
        private ConcurrentLinkedQueue<long[]> out;
        private ConcurrentLinkedQueue<long[]> in;

        ChannelDuplexHandler outer() {
            return outer;
        }

        ChannelDuplexHandler inner() {
            return inner;
        }

        private ConcurrentLinkedQueue<long[]> queue(Channel ch, boolean sending) {
            if (!(ch.localAddress() instanceof InetSocketAddress l) || !(ch.remoteAddress() instanceof InetSocketAddress r)) {
                return null;
            }
            long k = sending ? key(l.getPort(), r.getPort()) : key(r.getPort(), l.getPort());
            return IN_FLIGHT.computeIfAbsent(k, x -> new ConcurrentLinkedQueue<>());
        }

        private final class Outer extends ChannelDuplexHandler {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof ByteBuf) {
                    lastReadAt = System.nanoTime();
                }
                ctx.fireChannelRead(msg);
            }

            @Override
            public void flush(ChannelHandlerContext ctx) {
                ctx.flush();
                if (!awaitingFlush.isEmpty()) {
                    long t = System.nanoTime();
                    for (long[] s; (s = awaitingFlush.poll()) != null; ) {
                        s[3] = t;
                    }
                }
            }
        }

        private final class Inner extends ChannelDuplexHandler {
            @Override
            public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                if (!(msg instanceof Message) || written++ % EVERY != 0) {
                    ctx.write(msg, promise);
                    return;
                }
                long[] s = new long[STAGES.size()];
                s[0] = SCRATCH.get().sendAt;
                s[1] = System.nanoTime();
                ctx.write(msg, promise);
                s[2] = System.nanoTime();
                if (out == null) {
                    out = queue(ctx.channel(), true);
                }
                if (out != null) {
                    awaitingFlush.add(s);
                    out.add(s);
                }
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (!(msg instanceof Message) || read++ % EVERY != 0) {
                    ctx.fireChannelRead(msg);
                    return;
                }
                if (in == null) {
                    in = queue(ctx.channel(), false);
                }
                long[] s = in == null ? null : in.poll();
                if (s == null) {
                    ctx.fireChannelRead(msg);
                    return;
                }
                s[4] = lastReadAt;
                s[5] = System.nanoTime();
                Scratch scratch = SCRATCH.get();
                scratch.delivering = s;
                try {
                    ctx.fireChannelRead(msg);
                } finally {
                    scratch.delivering = null; // not delivered (dropped, or held before the start): not a hop
                }
            }
        }
    }
}
