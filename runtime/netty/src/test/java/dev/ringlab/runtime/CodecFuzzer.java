package dev.ringlab.runtime;

import dev.ringlab.node.CodecException;
import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.MessageType;
import dev.ringlab.node.ProtocolRegistry;
import dev.ringlab.node.SplitMix;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Seeded mutation fuzzing of the wire: {@link MessageCodec#decode} with every registered {@link MessageType},
 * and the pipeline a node runs on an accepted connection ({@link FrameDecoder}, {@link HandshakeHandler},
 * {@link MessageDecoder}) and on a trusted one ({@link FrameDecoder}, {@link MessageDecoder}).
 *
 * <h2>Corpus</h2>
 * Valid messages of every record class of every registered type, drawn from the records' components by
 * reflection (numbers from a list of edge values and random ones, byte arrays, strings, enums, lists,
 * nested records), kept if they encode and decode back to themselves. A type a researcher registers is in
 * the corpus without any change here.
 *
 * <h2>Inputs</h2>
 * Input {@code i} of a run with master seed {@code m} comes from its own seed {@code SplitMix.mix64(m + i)}:
 * a corpus entry (or a splice of two), then one to four mutations: bit flips, interesting bytes, truncation,
 * a 4-byte field overwritten with an edge length ({@code -1}, {@code 0}, the bytes left, {@code 2^31-1}, ...),
 * the type byte set to another registered id (a body decoded as another type), inserted or deleted bytes.
 *
 * <h2>Oracles</h2>
 * Codec: {@code decode} returns a message or throws {@link CodecException}, nothing else; what it returns
 * re-encodes to the same bytes (one encoding per message); the bytes the thread allocated during the call
 * ({@code ThreadMXBean.getThreadAllocatedBytes}) stay under {@link #allocationBound}, far below the frame cap,
 * so a length field used before it is checked shows even when the allocation would succeed. Pipeline: the
 * only exceptions are Netty's {@link DecoderException} family (framing and codec errors) and
 * {@link HandshakeHandler.Rejected}; the bytes allocated per input stay under {@link #allocationBound} of
 * the stream as well (a pre-handshake frame cannot make the decoder grow past {@link Handshake#MAX_FRAME_BYTES}).
 * The first failure stops the run and is reported with its seed, which {@link #one} replays.
 *
 * <h2>Running</h2>
 * {@code mvn verify} runs {@link CodecFuzzTest}: 100,000 codec inputs and 10,000 per pipeline (a few seconds). A long run,
 * outside {@code verify}, through Maven:
 * <pre>
 * mvn -B -ntp -o -pl runtime/netty -am verify -Dtest=CodecFuzzTest -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dringlab.fuzz.inputs=5000000 [-Dringlab.fuzz.pipelineInputs=500000] [-Dringlab.fuzz.seed=N] [-Dringlab.fuzz.replay=SEED]
 * </pre>
 * or with {@link #main} on the test classpath (after {@code mvn -pl runtime/netty -am test-compile}).
 */
final class CodecFuzzer {
    /** Which decoder an input goes through. */
    enum Target {
        /** {@link MessageCodec#decode} of one frame (no length prefix). */
        CODEC,
        /** An accepted connection's pipeline: HELLO, RESPONSE, then message frames, as a byte stream. */
        ACCEPTOR_PIPELINE,
        /** An authenticated connection's pipeline: length-prefixed message frames. */
        TRUSTED_PIPELINE
    }

    /** A failing input: its seed replays it with {@link #one}. */
    record Failure(Target target, long seed, byte[] input, Throwable error) {
        String describe() {
            return target + " input seed 0x" + Long.toHexString(seed) + " (replay: -Dringlab.fuzz.replay=0x"
                    + Long.toHexString(seed) + "), " + input.length + " bytes " + HexFormat.of().formatHex(input, 0,
                    Math.min(input.length, 256)) + (input.length > 256 ? "..." : "") + ": " + error;
        }
    }

    /** Totals of one run. */
    record Result(long inputs, long decoded, long rejected, long maxAllocatedBytes, Failure failure) {}

    private static final byte[] SECRET = "ringlab-fuzz-secret-0123456789ab".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final int SELF = 1;
    private static final int PEER = 0;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private final ProtocolRegistry registry = ProtocolRegistry.standard();
    private final Handshake handshake = new Handshake(SECRET);
    private final List<byte[]> corpus;
    private final Map<String, Integer> samplesPerType;
    private final int[] ids;

    /** Builds the corpus from {@code corpusSeed}. */
    CodecFuzzer(long corpusSeed) {
        SplittableRandom r = new SplittableRandom(corpusSeed);
        this.corpus = new ArrayList<>();
        this.samplesPerType = new LinkedHashMap<>();
        List<MessageType<?>> types = registry.messageTypes();
        this.ids = types.stream().mapToInt(MessageType::id).toArray();
        for (MessageType<?> t : types) {
            int kept = 0;
            for (Class<?> c : recordsOf(t.messageClass())) {
                for (int k = 0, tries = 0; k < 24 && tries < 2000; tries++) {
                    Object m;
                    try {
                        m = draw(c, r, 0);
                    } catch (ReflectiveOperationException | RuntimeException e) {
                        continue; // a record constructor refused the draw: draw again
                    }
                    byte[] frame;
                    try {
                        frame = bytes(MessageCodec.encode((Message) m));
                        if (!MessageCodec.decode(ByteBuffer.wrap(frame), registry).equals(m)) {
                            continue;
                        }
                    } catch (RuntimeException e) {
                        continue;
                    }
                    corpus.add(frame);
                    k++;
                    kept++;
                }
            }
            samplesPerType.put(t.name(), kept);
        }
    }

    /**
     * A long run without JUnit: {@code CodecFuzzer [codecInputs [pipelineInputs [masterSeed]]]} (defaults
     * 5,000,000, 500,000, 0x5eed) on the test classpath. Prints one line per target; exit status 1 and the
     * failing input's seed on the first failure.
     */
    public static void main(String[] args) {
        long codecInputs = args.length > 0 ? Long.parseLong(args[0]) : 5_000_000;
        long pipelineInputs = args.length > 1 ? Long.parseLong(args[1]) : 500_000;
        long seed = args.length > 2 ? Long.decode(args[2]) : 0x5eed;
        CodecFuzzer f = new CodecFuzzer(seed);
        System.out.println("corpus: " + f.corpusSize() + " frames, per type " + f.samplesPerType());
        for (Target t : Target.values()) {
            long inputs = t == Target.CODEC ? codecInputs : pipelineInputs;
            long t0 = System.nanoTime();
            Result r = f.run(t, seed, inputs);
            System.out.printf("fuzz %s: %d inputs (master seed 0x%x) in %d s: %d messages decoded, %d inputs rejected,"
                    + " max %d bytes allocated per input%s%n", t, r.inputs(), seed, (System.nanoTime() - t0) / 1_000_000_000L,
                    r.decoded(), r.rejected(), r.maxAllocatedBytes(), r.failure() == null ? "" : "\nFAILED: " + r.failure().describe());
            if (r.failure() != null) {
                System.exit(1);
            }
        }
    }

    /** Corpus entries per registered type name. */
    Map<String, Integer> samplesPerType() {
        return samplesPerType;
    }

    int corpusSize() {
        return corpus.size();
    }

    /** The allocation an input of {@code length} bytes may cost: 64 KiB plus 64 bytes per input byte. */
    static long allocationBound(int length) {
        return (64L << 10) + 64L * length;
    }

    /** Runs {@code inputs} inputs against {@code target} from {@code masterSeed}; stops at the first failure. */
    Result run(Target target, long masterSeed, long inputs) {
        long decoded = 0;
        long rejected = 0;
        long maxAlloc = 0;
        for (long i = 0; i < inputs; i++) {
            long seed = SplitMix.mix64(masterSeed + i);
            Outcome o = one(target, seed);
            if (o.failure != null) {
                return new Result(i + 1, decoded, rejected, maxAlloc, o.failure);
            }
            decoded += o.decoded;
            rejected += o.rejected ? 1 : 0;
            maxAlloc = Math.max(maxAlloc, o.allocated);
        }
        return new Result(inputs, decoded, rejected, maxAlloc, null);
    }

    /** What one input did. */
    record Outcome(int decoded, boolean rejected, long allocated, Failure failure) {}

    /**
     * Replays the input of {@code seed}. An input over the allocation bound is run twice more, and fails only
     * if it is over the bound every time: the first run of a code path loads classes and fills caches (the
     * first input of a run allocates hundreds of KiB that way), which a length used before it is checked
     * would not explain.
     */
    Outcome one(Target target, long seed) {
        Outcome o = once(target, seed);
        for (int again = 0; again < 2 && o.failure != null && o.failure.error() instanceof AllocationError; again++) {
            o = once(target, seed);
        }
        return o;
    }

    /** An allocation over the bound. */
    static final class AllocationError extends AssertionError {
        private static final long serialVersionUID = 1L;

        AllocationError(String message) {
            super(message);
        }
    }

    private Outcome once(Target target, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        return switch (target) {
            case CODEC -> decodeOne(seed, mutate(frameInput(r), r));
            case ACCEPTOR_PIPELINE -> {
                boolean intact = r.nextBoolean();
                yield pipelineOne(target, seed, acceptorInput(r, intact), intact, r);
            }
            case TRUSTED_PIPELINE -> pipelineOne(target, seed, mutate(streamInput(r, false), r), false, r);
        };
    }

    private Outcome decodeOne(long seed, byte[] input) {
        long tid = Thread.currentThread().threadId();
        long before = THREADS.getThreadAllocatedBytes(tid);
        Message m = null;
        Throwable error = null;
        try {
            m = MessageCodec.decode(ByteBuffer.wrap(input), registry);
        } catch (CodecException e) {
            // the codec's own, documented rejection
        } catch (Throwable t) {
            error = t;
        }
        long allocated = THREADS.getThreadAllocatedBytes(tid) - before;
        if (error == null && allocated > allocationBound(input.length)) {
            error = new AllocationError("decode allocated " + allocated + " bytes for a " + input.length + "-byte frame");
        }
        if (error == null && m != null) {
            try {
                byte[] again = bytes(MessageCodec.encode(m));
                if (!Arrays.equals(again, input)) {
                    error = new AssertionError("decoded " + m + " re-encodes to other bytes: " + HexFormat.of().formatHex(again));
                }
            } catch (RuntimeException e) {
                error = new AssertionError("decoded " + m + " does not re-encode", e);
            }
        }
        if (error != null) {
            return new Outcome(0, false, allocated, new Failure(Target.CODEC, seed, input, error));
        }
        return new Outcome(m == null ? 0 : 1, m == null, allocated, null);
    }

    /**
     * The end of the pipeline, as the node's link handler: counts messages, keeps the first exception and
     * closes the connection on it (so, as on a real connection, nothing is read after a refusal).
     */
    private static final class Sink extends ChannelInboundHandlerAdapter {
        int messages;
        Throwable first;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Message) {
                messages++;
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (first == null) {
                first = cause;
            }
            ctx.close();
        }
    }

    private Outcome pipelineOne(Target target, long seed, byte[] input, boolean intactHandshake, SplittableRandom r) {
        boolean acceptor = target == Target.ACCEPTOR_PIPELINE;
        Sink sink = new Sink();
        long tid = Thread.currentThread().threadId();
        long before = THREADS.getThreadAllocatedBytes(tid);
        EmbeddedChannel ch = new EmbeddedChannel();
        // unpooled: a pooled arena's chunk would count as this input's allocation
        ch.config().setAllocator(UnpooledByteBufAllocator.DEFAULT);
        if (acceptor) {
            ch.pipeline().addLast(FrameDecoder.beforeHandshake(),
                    HandshakeHandler.acceptor(handshake, SELF, p -> p == PEER || p == Env.CLIENT,
                            TimeUnit.SECONDS.toNanos(2)),
                    new MessageDecoder(), sink);
        } else {
            ch.pipeline().addLast(new FrameDecoder(), new MessageDecoder(), sink);
        }
        Throwable error = null;
        try {
            int at = 0;
            if (intactHandshake) {
                input = answerChallenge(ch, input);
                at = HANDSHAKE_PREFIX;
            }
            // in pieces, as TCP may cut it
            while (at < input.length && ch.isActive()) {
                int n = 1 + r.nextInt(Math.min(input.length - at, 96));
                ch.writeInbound(Unpooled.wrappedBuffer(input, at, n));
                at += n;
            }
            ch.finishAndReleaseAll(); // the decoders' last pass: a frame cut short is refused here
            ch.releaseOutbound(); // the CHALLENGE
        } catch (Throwable t) {
            error = t; // the sink takes every pipeline exception: one here is a harness or Netty surprise
        }
        Throwable refused = sink.first;
        boolean rejected = refused != null;
        if (error == null && refused != null && !(refused instanceof DecoderException)
                && !(refused instanceof HandshakeHandler.Rejected)) {
            error = refused; // framing, codec and handshake refusals are the only ones the node expects
        }
        long allocated = THREADS.getThreadAllocatedBytes(tid) - before;
        if (error == null && allocated > allocationBound(input.length) + PIPELINE_FIXED_BYTES) {
            error = new AllocationError("pipeline allocated " + allocated + " bytes for a " + input.length + "-byte stream");
        }
        if (error != null) {
            return new Outcome(sink.messages, false, allocated, new Failure(target, seed, input, error));
        }
        return new Outcome(sink.messages, rejected, allocated, null);
    }

    /** What a channel and its pipeline cost whatever they read (Netty's objects, the handshake's MACs). */
    static final long PIPELINE_FIXED_BYTES = 128L << 10;

    /** Bytes of HELLO and RESPONSE with their prefixes. */
    private static final int HANDSHAKE_PREFIX = 4 + Handshake.HELLO_BYTES + 4 + Handshake.RESPONSE_BYTES;

    /**
     * Half the inputs mutate a whole connection, handshake included (the handshake decoder's fuzzing); the
     * other half keep HELLO and a RESPONSE placeholder intact, which {@link #answerChallenge} turns into the
     * right MAC for the node's fresh nonce, and mutate only the message frames behind it, so the codec
     * behind a completed handshake is fuzzed too.
     */
    private byte[] acceptorInput(SplittableRandom r, boolean intactHandshake) {
        byte[] stream = streamInput(r, true);
        if (!intactHandshake) {
            return mutate(stream, r);
        }
        byte[] frames = Arrays.copyOfRange(stream, HANDSHAKE_PREFIX, stream.length);
        byte[] mutated = frames.length == 0 ? frames : mutate(frames, r);
        byte[] out = Arrays.copyOf(stream, HANDSHAKE_PREFIX + mutated.length);
        System.arraycopy(mutated, 0, out, HANDSHAKE_PREFIX, mutated.length);
        return out;
    }

    /** Writes HELLO, reads the node's CHALLENGE and returns {@code input} with the right RESPONSE MAC in place. */
    private byte[] answerChallenge(EmbeddedChannel ch, byte[] input) {
        ch.writeInbound(Unpooled.wrappedBuffer(input, 0, 4 + Handshake.HELLO_BYTES));
        ByteBuffer hello = ByteBuffer.wrap(input, 4 + 2, 4 + Handshake.NONCE_BYTES);
        int client = hello.getInt();
        byte[] nonceC = new byte[Handshake.NONCE_BYTES];
        hello.get(nonceC);
        io.netty.buffer.ByteBuf challenge = ch.readOutbound();
        if (challenge == null) {
            throw new IllegalStateException("no CHALLENGE for an intact HELLO from " + client);
        }
        byte[] nonceS = new byte[Handshake.NONCE_BYTES];
        challenge.getBytes(challenge.readerIndex() + 4 + 2 + 4, nonceS);
        challenge.release();
        byte[] patched = input.clone();
        byte[] mac = handshake.clientMac(nonceC, nonceS, client, SELF);
        System.arraycopy(mac, 0, patched, 4 + Handshake.HELLO_BYTES + 6, mac.length);
        ch.writeInbound(Unpooled.wrappedBuffer(patched, 4 + Handshake.HELLO_BYTES, 4 + Handshake.RESPONSE_BYTES));
        return patched;
    }

    /** One corpus frame, or a splice of two. */
    private byte[] frameInput(SplittableRandom r) {
        byte[] a = corpus.get(r.nextInt(corpus.size()));
        if (r.nextInt(8) != 0) {
            return a.clone();
        }
        byte[] b = corpus.get(r.nextInt(corpus.size()));
        int cutA = r.nextInt(a.length + 1);
        int cutB = r.nextInt(b.length + 1);
        byte[] s = new byte[cutA + b.length - cutB];
        System.arraycopy(a, 0, s, 0, cutA);
        System.arraycopy(b, cutB, s, cutA, b.length - cutB);
        return s;
    }

    /** A connection's bytes: (HELLO as PEER or the client, a RESPONSE with a MAC that cannot be right) then 1..4 frames. */
    private byte[] streamInput(SplittableRandom r, boolean handshake) {
        ByteBuffer b = ByteBuffer.allocate(1 << 16);
        if (handshake) {
            byte[] nonce = new byte[Handshake.NONCE_BYTES];
            r.nextBytes(nonce);
            b.put(Handshake.hello(r.nextBoolean() ? PEER : Env.CLIENT, nonce));
            byte[] mac = new byte[Handshake.MAC_BYTES];
            r.nextBytes(mac);
            b.put(Handshake.response(mac));
        }
        int frames = 1 + r.nextInt(4);
        for (int k = 0; k < frames; k++) {
            byte[] f = frameInput(r);
            if (b.remaining() < 4 + f.length) {
                break;
            }
            b.putInt(f.length).put(f);
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    private static final int[] EDGE_INTS = {0, 1, -1, 2, 3, 4, 7, 8, 255, 256, 0x7f, 0x80, 0xffff, 0x10000,
            MessageCodec.MAX_FRAME_BYTES, MessageCodec.MAX_FRAME_BYTES + 1, Handshake.MAX_FRAME_BYTES,
            Handshake.MAX_FRAME_BYTES + 1, Integer.MAX_VALUE, Integer.MIN_VALUE, Integer.MAX_VALUE / 2};
    private static final byte[] EDGE_BYTES = {0, 1, -1, 0x7f, (byte) 0x80, 2, 3};

    /** One to four stacked mutations. */
    private byte[] mutate(byte[] in, SplittableRandom r) {
        byte[] b = in;
        int count = 1 + r.nextInt(4);
        for (int k = 0; k < count; k++) {
            int op = r.nextInt(8);
            if (b.length == 0 && op != 6) {
                op = 6;
            }
            switch (op) {
                case 0 -> { // flip one to eight bits
                    int flips = 1 + r.nextInt(8);
                    for (int f = 0; f < flips; f++) {
                        int i = r.nextInt(b.length);
                        b[i] ^= (byte) (1 << r.nextInt(8));
                    }
                }
                case 1 -> b[r.nextInt(b.length)] = EDGE_BYTES[r.nextInt(EDGE_BYTES.length)];
                case 2 -> b = Arrays.copyOf(b, r.nextInt(b.length)); // truncate
                case 3, 4 -> { // a 4-byte field (a length, a count) set to an edge value or to the bytes left
                    if (b.length >= 4) {
                        int at = r.nextInt(b.length - 3);
                        int v = switch (r.nextInt(4)) {
                            case 0 -> b.length - at - 4 + r.nextInt(-2, 3);
                            case 1 -> r.nextInt();
                            default -> EDGE_INTS[r.nextInt(EDGE_INTS.length)];
                        };
                        ByteBuffer.wrap(b, at, 4).putInt(v);
                    }
                }
                case 5 -> { // another registered type's id on this body (the codec's type byte)
                    if (b.length >= 2) {
                        b[1] = (byte) ids[r.nextInt(ids.length)];
                    }
                }
                case 6 -> { // insert random bytes
                    int at = r.nextInt(b.length + 1);
                    int n = 1 + r.nextInt(8);
                    byte[] s = new byte[b.length + n];
                    System.arraycopy(b, 0, s, 0, at);
                    for (int i = 0; i < n; i++) {
                        s[at + i] = (byte) r.nextInt(256);
                    }
                    System.arraycopy(b, at, s, at + n, b.length - at);
                    b = s;
                }
                case 7 -> { // delete a run
                    int at = r.nextInt(b.length);
                    int n = 1 + r.nextInt(Math.min(8, b.length - at));
                    byte[] s = new byte[b.length - n];
                    System.arraycopy(b, 0, s, 0, at);
                    System.arraycopy(b, at + n, s, at, b.length - at - n);
                    b = s;
                }
                default -> throw new IllegalStateException("mutation " + op);
            }
        }
        return b;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] a = new byte[b.remaining()];
        b.get(a);
        return a;
    }

    /** The record classes of a message class: itself, or the records a sealed interface permits (recursively). */
    static List<Class<?>> recordsOf(Class<?> c) {
        if (c.isRecord()) {
            return List.of(c);
        }
        List<Class<?>> out = new ArrayList<>();
        Class<?>[] permitted = c.getPermittedSubclasses();
        if (permitted != null) {
            for (Class<?> p : permitted) {
                out.addAll(recordsOf(p));
            }
        }
        return out;
    }

    private static final long[] EDGE_LONGS = {0, 1, -1, 2, Long.MAX_VALUE, Long.MIN_VALUE, Integer.MAX_VALUE, 1L << 32};

    /** A value of {@code type}, drawn from edge values and random ones. */
    private static Object draw(Type type, SplittableRandom r, int depth) throws ReflectiveOperationException {
        if (depth > 4) {
            throw new IllegalArgumentException("too deep");
        }
        if (type instanceof ParameterizedType p && p.getRawType() == List.class) {
            int n = r.nextInt(4);
            List<Object> items = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                items.add(draw(p.getActualTypeArguments()[0], r, depth + 1));
            }
            return items;
        }
        Class<?> c = (Class<?>) type;
        if (c == long.class) {
            return r.nextInt(3) == 0 ? EDGE_LONGS[r.nextInt(EDGE_LONGS.length)] : r.nextInt(3) == 0 ? r.nextLong() : r.nextLong(1000);
        } else if (c == int.class) {
            return r.nextInt(3) == 0 ? (int) EDGE_LONGS[r.nextInt(EDGE_LONGS.length)] : r.nextInt(3) == 0 ? r.nextInt() : r.nextInt(-1, 64);
        } else if (c == short.class) {
            return (short) r.nextInt();
        } else if (c == byte.class) {
            return (byte) (r.nextInt(3) == 0 ? r.nextInt() : r.nextInt(4));
        } else if (c == boolean.class) {
            return r.nextBoolean();
        } else if (c == double.class) {
            return r.nextDouble();
        } else if (c == long[].class || c == int[].class) {
            // Parallel arrays (plumtree's IHave): short lengths, so that a record's arrays often agree.
            int n = r.nextInt(1, 3);
            Object a = java.lang.reflect.Array.newInstance(c.getComponentType(), n);
            for (int i = 0; i < n; i++) {
                java.lang.reflect.Array.set(a, i, draw(c.getComponentType(), r, depth + 1));
            }
            return a;
        } else if (c == byte[].class) {
            byte[] b = new byte[r.nextInt(3) == 0 ? 0 : r.nextInt(40)];
            r.nextBytes(b);
            return b;
        } else if (c == String.class) {
            int n = r.nextInt(10);
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < n; i++) {
                s.append(r.nextInt(4) == 0 ? (char) (0xa0 + r.nextInt(0x2000)) : (char) ('a' + r.nextInt(26)));
            }
            return s.toString();
        } else if (c.isEnum()) {
            Object[] values = c.getEnumConstants();
            return values[r.nextInt(values.length)];
        } else if (c.isRecord()) {
            RecordComponent[] rc = c.getRecordComponents();
            Class<?>[] types = new Class<?>[rc.length];
            Object[] args = new Object[rc.length];
            for (int i = 0; i < rc.length; i++) {
                types[i] = rc[i].getType();
                args[i] = draw(rc[i].getGenericType(), r, depth + 1);
            }
            Constructor<?> k = c.getDeclaredConstructor(types);
            k.setAccessible(true);
            try {
                return k.newInstance(args);
            } catch (java.lang.reflect.InvocationTargetException e) {
                throw e.getCause() instanceof RuntimeException re ? re : new IllegalArgumentException(e.getCause());
            }
        } else if (c.isInterface() && c.isSealed()) {
            List<Class<?>> records = recordsOf(c);
            return draw(records.get(r.nextInt(records.size())), r, depth + 1);
        }
        throw new IllegalArgumentException("no generator for " + c);
    }
}
