package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.experiments.TokenCommandTest.Result;
import dev.ringlab.runtime.Transport;
import org.junit.jupiter.api.Test;

/** {@code --transport} on the run options and the runtime flags of {@code ringlab bench}: applied or refused. */
class BenchCommandTest {
    private static void assertUsage(Result r, String flag) {
        assertEquals(2, r.exit(), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        assertTrue(r.err().contains(flag), r.err());
    }

    @Test
    void transportIsRefusedOnTheSimulatorAndForAnUnknownName() {
        Result sim = TokenCommandTest.run("token", "--engine", "sim", "--transport", "nio");
        assertUsage(sim, "--transport");
        assertTrue(sim.err().contains("engine sim"), sim.err());
        assertUsage(TokenCommandTest.run("token", "--engine", "netty", "--transport", "uring"), "--transport");
    }

    @Test
    void transportReachesTheRuntimeOfANettyRun() throws Exception {
        String before = System.getProperty(Transport.PROPERTY);
        try {
            Result r = TokenCommandTest.run("token", "--engine", "netty", "--topology", "ring", "-n", "4", "--rotations", "5",
                    "--transport", "nio", "--json");
            assertEquals(0, r.exit(), r.err());
            assertEquals("netty", r.json().get("engine").asText());
            // the runtime (and each processes child, through its command line) reads the property
            assertEquals("nio", System.getProperty(Transport.PROPERTY));
            assertEquals(Transport.NIO, Transport.fromProperty());
        } finally {
            if (before == null) {
                System.clearProperty(Transport.PROPERTY);
            } else {
                System.setProperty(Transport.PROPERTY, before);
            }
        }
    }

    @Test
    void benchRefusesBadRuntimeFlagsInOneLine() {
        assertUsage(TokenCommandTest.run("bench", "--placement", "diagonal"), "--placement");
        assertUsage(TokenCommandTest.run("bench", "--flush", "sometimes"), "--flush");
        assertUsage(TokenCommandTest.run("bench", "--transport", "uring"), "--transport");
        assertUsage(TokenCommandTest.run("bench", "--transport", "nio", "--quickack"), "--quickack");
        assertUsage(TokenCommandTest.run("bench", "--warmup", "soon"), "--warmup");
    }

    @Test
    void loopsZeroReportsTheLoopsNettyReallyStartsNotTheCores() {
        // LocalCluster hands 0 to Netty's group constructor, which starts its default (2 per core), not one per core.
        io.netty.channel.EventLoopGroup g = new io.netty.channel.MultiThreadIoEventLoopGroup(0,
                io.netty.channel.nio.NioIoHandler.newFactory());
        int started = 0;
        try {
            for (io.netty.util.concurrent.EventExecutor ignored : g) {
                started++;
            }
        } finally {
            g.shutdownGracefully();
        }
        assertTrue(started > 0, "the group started loops");
        BenchCommand bench = new BenchCommand();
        assertEquals(started, bench.loopCount(), "--loops 0 as reported");
        bench.loops = 3;
        assertEquals(3, bench.loopCount());
    }
}
