package dev.ringlab.experiments.bench;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import dev.ringlab.node.Node;
import dev.ringlab.node.Protocol;
import dev.ringlab.runtime.LocalCluster;
import dev.ringlab.runtime.RuntimeConfig;
import dev.ringlab.runtime.Transport;
import dev.ringlab.topology.Overlay;
import dev.ringlab.topology.Topologies;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The Netty transport ({@link LocalCluster}: real loopback TCP between nodes of one JVM) next to a raw
 * blocking-socket baseline, per message, in microseconds:
 * <ul>
 *   <li>{@code hop}: a token bounced {@value #HOPS} times between two nodes; one op = one hop (one-way);
 *   <li>{@code rotation}: a token sent {@value #HOPS} hops around an 8-node ring; one op = one hop, every
 *       node a relay on the way (as {@code ringlab bench}'s token hop);
 *   <li>{@code burst}: node 0 writes {@value #BURST} tokens back to back to node 1; one op = one message of
 *       the burst, until the last one is read (throughput of one link, batching and flush policy at work);
 *   <li>{@code rawHop}: the same frames ping-ponged on one blocking loopback socket pair
 *       (TCP_NODELAY); one op = one hop (half a round trip).
 * </ul>
 * Each invocation injects one start message into node 0 and waits for the last one to arrive; that hand-off
 * (two thread wake-ups) is shared by {@value #HOPS} or {@value #BURST} messages, a fraction of a
 * microsecond each. Parameters: {@code transport} (nio, epoll: {@code epoll} fails the trial where it is
 * unavailable) and {@code placement} (block: ring neighbours share a loop; spread: round robin).
 *
 * <pre>
 * ./ringlab jmh TransportBench -f 1 -wi 2 -i 3
 * ./ringlab jmh TransportBench -p transport=epoll -p placement=block
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class TransportBench {
    static final int HOPS = 200;
    static final int BURST = 200;

    @Param({"nio", "epoll"})
    public String transport;

    @Param({"block", "spread"})
    public String placement;

    private LocalCluster pair;
    private LocalCluster ring;
    private Relay pairRelay;
    private Relay ringRelay;
    private Burst burstRelay;
    private LocalCluster burst;

    private ServerSocket rawServer;
    private Socket rawClient;
    private DataInputStream rawIn;
    private DataOutputStream rawOut;
    private byte[] rawBuf;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        RuntimeConfig config = RuntimeConfig.defaults().withTransport(Transport.select(transport))
                .withBlockPlacement(placement.equals("block"));
        pairRelay = new Relay(HOPS);
        pair = start(Topologies.build("ring", 2, 1), pairRelay, config);
        ringRelay = new Relay(HOPS);
        ring = start(Topologies.build("ring", 8, 1), ringRelay, config);
        burstRelay = new Burst(BURST);
        burst = start(Topologies.build("ring", 2, 1), burstRelay, config);
        rawSetUp();
    }

    private static LocalCluster start(Overlay o, Protocol p, RuntimeConfig config) {
        LocalCluster c = new LocalCluster(o, p, 1, config, 0);
        c.start();
        return c;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        pair.close();
        ring.close();
        burst.close();
        rawClient.close();
        rawServer.close();
    }

    @Benchmark
    @OperationsPerInvocation(HOPS)
    public void hop() throws InterruptedException {
        pairRelay.run(pair);
    }

    @Benchmark
    @OperationsPerInvocation(HOPS)
    public void rotation() throws InterruptedException {
        ringRelay.run(ring);
    }

    @Benchmark
    @OperationsPerInvocation(BURST)
    public void burst() throws InterruptedException {
        burstRelay.run(burst);
    }

    @Benchmark
    @OperationsPerInvocation(HOPS)
    public void rawHop() throws IOException {
        for (int i = 0; i < HOPS / 2; i++) {
            rawOut.write(rawBuf);
            rawOut.flush();
            rawIn.readFully(rawBuf);
        }
    }

    private void rawSetUp() throws IOException {
        int bytes = 4 + MessageCodec.encodedSize(token(0));
        rawBuf = new byte[bytes];
        rawServer = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("raw-echo").start(() -> {
            try (Socket s = rawServer.accept()) {
                s.setTcpNoDelay(true);
                DataInputStream in = new DataInputStream(s.getInputStream());
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                byte[] buf = new byte[bytes];
                while (true) {
                    in.readFully(buf);
                    out.write(buf);
                    out.flush();
                }
            } catch (IOException e) {
                // closed by the tear-down
            }
        });
        rawClient = new Socket(InetAddress.getLoopbackAddress(), rawServer.getLocalPort());
        rawClient.setTcpNoDelay(true);
        rawIn = new DataInputStream(rawClient.getInputStream());
        rawOut = new DataOutputStream(rawClient.getOutputStream());
    }

    static Message.Token token(long hop) {
        return new Message.Token(0, 1, hop, 0, 0, 0, new byte[0]);
    }

    /** A token passed to the successor until it has made {@code hops} hops; then the waiting thread is released. */
    static final class Relay implements Protocol {
        private final int hops;
        private volatile CountDownLatch done;
        private final AtomicLong runs = new AtomicLong();

        Relay(int hops) {
            this.hops = hops;
        }

        void run(LocalCluster c) throws InterruptedException {
            CountDownLatch d = new CountDownLatch(1);
            done = d;
            c.inject(0, new Message.Inject(runs.incrementAndGet(), new byte[0]));
            if (!d.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the token did not make " + hops + " hops in 30 s");
            }
        }

        @Override
        public String spec() {
            return "bench-relay";
        }

        @Override
        public Node create(int id, Overlay overlay) {
            int successor = (id + 1) % overlay.size();
            return new Node() {
                private Env env;

                @Override
                public void start(Env env) {
                    this.env = env;
                }

                @Override
                public void onMessage(int from, Message m) {
                    long next;
                    if (m instanceof Message.Inject) {
                        next = 1;
                    } else if (m instanceof Message.Token t) {
                        if (t.hop() >= hops) {
                            done.countDown();
                            return;
                        }
                        next = t.hop() + 1;
                    } else {
                        return;
                    }
                    env.send(successor, token(next));
                }
            };
        }
    }

    /** Node 0 writes {@code size} tokens to node 1 at once; node 1 releases the waiting thread at the last. */
    static final class Burst implements Protocol {
        private final int size;
        private volatile CountDownLatch done;
        private final AtomicLong runs = new AtomicLong();

        Burst(int size) {
            this.size = size;
        }

        void run(LocalCluster c) throws InterruptedException {
            CountDownLatch d = new CountDownLatch(1);
            done = d;
            c.inject(0, new Message.Inject(runs.incrementAndGet(), new byte[0]));
            if (!d.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the burst of " + size + " did not arrive in 30 s");
            }
        }

        @Override
        public String spec() {
            return "bench-burst";
        }

        @Override
        public Node create(int id, Overlay overlay) {
            return new Node() {
                private Env env;
                private int got;

                @Override
                public void start(Env env) {
                    this.env = env;
                }

                @Override
                public void onMessage(int from, Message m) {
                    if (id == 0 && m instanceof Message.Inject) {
                        for (int i = 1; i <= size; i++) {
                            env.send(1, token(i));
                        }
                    } else if (id == 1 && m instanceof Message.Token && ++got % size == 0) {
                        done.countDown();
                    }
                }
            };
        }
    }
}
