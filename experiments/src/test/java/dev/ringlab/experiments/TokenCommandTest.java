package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code ringlab token} in-process: JSON fields, exact figures on constant links, usage errors. */
class TokenCommandTest {
    record Result(int exit, String out, String err) {
        JsonNode json() throws Exception {
            return new ObjectMapper().readTree(out);
        }
    }

    static Result run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Result(exit, out.toString(), err.toString());
    }

    @Test
    void jsonReportsExactFiguresOnConstantLinksWithOneStation() throws Exception {
        Result r = run("token", "--topology", "ring", "-n", "8", "--rotations", "50", "--latency", "const:1ms",
                "--station", "delay:5ms@3", "--seed", "7", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        for (String field : List.of("engine", "seed", "topology", "nodes", "trace_hash", "rotations", "ticks",
                "rotation_ms", "hop_ms", "tick_jitter_ms", "estimated_hop_ms", "wall_ms")) {
            assertTrue(j.has(field), "missing " + field + " in " + r.out());
        }
        assertEquals("sim", j.get("engine").asText());
        assertEquals(7, j.get("seed").asLong());
        assertEquals(8, j.get("nodes").asInt());
        assertEquals(50, j.get("rotations").asLong());
        assertEquals(50, j.get("ticks").asLong());
        assertTrue(j.get("ticks_agree").asBoolean());
        // 8 hops of 1 ms plus the 5 ms hold at node 3, every rotation: no spread at all.
        assertEquals(13.0, j.get("rotation_ms").get("p50").asDouble());
        assertEquals(13.0, j.get("rotation_ms").get("max").asDouble());
        assertEquals(1.0, j.get("hop_ms").get("p99").asDouble());
        assertEquals(1.0, j.get("estimated_hop_ms").asDouble());
        assertEquals(0.0, j.get("tick_jitter_ms").asDouble());
        assertEquals(16, j.get("trace_hash").asText().length());
        assertTrue(j.get("census_checks").asLong() >= 8 * 50, r.out());
        assertTrue(r.err().contains("engine=sim seed=7 latency=const:1ms loss=0.0 faults=none processing=0ns timing=none"
                + " topology=ring nodes=8 rotations=50 warmup=none stations=[delay:5ms@3]"), r.err());
    }

    @Test
    void estimateFollowsMeasuredMeanHopUnderLogNormalLatencyWithStationsEverywhere() throws Exception {
        JsonNode j = run("token", "-n", "16", "--rotations", "200", "--latency", "lognormal:2ms,0.5", "--station",
                "delay:uniform:1ms,3ms@*", "--seed", "3", "--json").json();
        double measured = j.get("hop_ms").get("mean").asDouble();
        double estimated = j.get("estimated_hop_ms").asDouble();
        assertTrue(Math.abs(estimated - measured) / measured < 0.01, "estimated " + estimated + " vs " + measured);
        assertTrue(j.get("tick_jitter_ms").asDouble() > 0);
        assertEquals(200, j.get("ticks").asLong());
    }

    @Test
    void sameSeedGivesTheSameTraceHashAndOtherSeedsDiffer() throws Exception {
        String[] args = {"token", "-n", "6", "--rotations", "30", "--latency", "uniform:1ms,5ms", "--seed", "5", "--json"};
        String a = run(args).json().get("trace_hash").asText();
        String b = run(args).json().get("trace_hash").asText();
        args[args.length - 2] = "6";
        String c = run(args).json().get("trace_hash").asText();
        assertEquals(a, b);
        assertTrue(!a.equals(c));
    }

    @Test
    void tableOutputWithoutJson() {
        Result r = run("token", "-n", "4", "--rotations", "10", "--topology", "biring");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("rotation_ms        p50 4.000  p99 4.000  max 4.000"), r.out());
        assertTrue(r.out().contains("ticks              10 on every node (all agree)"), r.out());
    }

    @Test
    void badStationsTopologiesAndEnginesAreUsageErrors() {
        Result bad = run("token", "--station", "delay:5ms");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().startsWith("ringlab token: --station: bad station 'delay:5ms'"), bad.err());
        assertTrue(bad.err().contains("syntax: delay:DELAY@NODE or delay:DELAY@*"), bad.err());
        assertEquals(1, bad.err().strip().lines().count(), bad.err());

        Result outside = run("token", "-n", "4", "--station", "delay:1ms@4");
        assertEquals(2, outside.exit());
        assertTrue(outside.err().contains("--station: 'delay:1ms@4' names node 4, not in 0..3"), outside.err());

        Result topo = run("token", "--topology", "complete");
        assertEquals(2, topo.exit());
        assertTrue(topo.err().contains("--topology: the token needs a ring: ring or biring"), topo.err());

        Result tooMany = run("token", "--rotations", "2000000");
        assertEquals(2, tooMany.exit(), tooMany.err());
        assertTrue(tooMany.err().startsWith("ringlab token: --rotations: at most 1000000 rotations"), tooMany.err());

        Result latency = run("token", "--latency", "fast");
        assertEquals(2, latency.exit());
        assertTrue(latency.err().contains("--latency"), latency.err());
    }

    @Test
    void aRunThatCannotFinishInTimeExitsOneWithTheReplayCommand() {
        Result r = run("token", "-n", "10", "--rotations", "5", "--latency", "const:1ms", "--timeout", "20ms");
        assertEquals(1, r.exit(), r.err());
        assertTrue(r.err().contains("only 2 of 5 rotations completed within 20ms"), r.err());
        assertTrue(r.err().contains("replay: ringlab token -n 10 --rotations 5 --latency const:1ms --timeout 20ms --engine sim"
                + " --seed 1"), r.err());
    }

    @Test
    void helpDocumentsTheStationSyntax() {
        Result r = run("token", "--help");
        assertEquals(0, r.exit());
        assertTrue(r.out().contains("delay:DELAY@NODE"), r.out());
        assertTrue(r.out().contains("--station delay:5ms@3"), r.out());
    }

    @Test
    void keepRunDirIsRefusedOnEnginesWithoutARunDirectory() {
        for (String engine : List.of("sim", "netty")) {
            Result r = run("token", "--engine", engine, "--keep-run-dir");
            assertEquals(2, r.exit(), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().contains("--keep-run-dir") && r.err().contains("engine " + engine), r.err());
        }
    }

    /**
     * A real {@code kill -9} of one child of a processes token run: the ring cannot heal, so the run fails at
     * once with one line naming the node and its exit status, instead of waiting out its timeout (600 s here).
     */
    @Test
    @org.junit.jupiter.api.Timeout(180)
    void aChildKilledFromOutsideFailsAProcessesTokenRunAtOnce() throws Exception {
        java.util.concurrent.CompletableFuture<Result> run = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> run("token", "--engine", "processes", "-n", "3", "--rotations", "1000000", "--timeout", "600s"));
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        java.util.Optional<ProcessHandle> child = java.util.Optional.empty();
        while (child.isEmpty() && !run.isDone() && System.nanoTime() - deadline < 0) {
            child = ProcessHandle.current().children()
                    .filter(h -> h.info().arguments().map(a -> List.of(a).contains("dev.ringlab.runtime.NodeMain")).orElse(false))
                    .findFirst();
            java.util.concurrent.locks.LockSupport.parkNanos(5_000_000L);
        }
        assertTrue(child.isPresent(), () -> "no node process appeared; the run: " + (run.isDone() ? run.join() : "still running"));
        Process kill = new ProcessBuilder("kill", "-9", Long.toString(child.get().pid())).start();
        assertEquals(0, kill.waitFor());
        Result r = run.get(120, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(1, r.exit(), r.err());
        String failed = r.err().lines().filter(l -> l.startsWith("ringlab token: FAILED:")).findFirst().orElse("");
        // Killed while the cluster still starts, or once it runs: either way one line with the status.
        assertTrue(failed.contains("status 137") && failed.matches(".*node \\d exited.*"), r.err());
    }
}
