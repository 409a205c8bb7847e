package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ringlab.sim.model.EngineModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --model calibrated:DIR} on sim, {@code --predict DIR} on real engines, fidelity's machine check. */
class EngineModelCliTest {
    private static final long US = 1_000L;
    private static final long MS = 1_000_000L;

    /** A calibration directory with a model as calibrate writes it (hand-made numbers, no measurement). */
    static Path calibration(Path dir) throws Exception {
        Files.writeString(dir.resolve("hot-latency.txt"), "30000\n40000\n50000\n90000\n");
        new EngineModel("netty", null, new EngineModel.Cpu(4, 2, 5 * US, 5 * US), new EngineModel.Wake(MS, 20 * US),
                new EngineModel.Restart(10 * MS, 200 * MS, 2 * MS, 1 * MS), CalibrateCommand.machine())
                .save(dir, "hot-latency.txt", "test");
        return dir;
    }

    private static JsonNode json(TopologyCommandTest.Result r) throws Exception {
        assertEquals(0, r.exit(), r.err());
        return new ObjectMapper().readTree(r.out().strip().lines().reduce((a, b) -> b).orElseThrow());
    }

    @Test
    void aModelledSimRunIsDeterministicAndDiffersFromThePlainOne(@TempDir Path tmp) throws Exception {
        Path cal = calibration(tmp);
        String[] args = {"broadcast", "--topology", "random-regular:4", "-n", "32", "--model", "calibrated:" + cal, "--json"};
        JsonNode a = json(TopologyCommandTest.run(args));
        JsonNode b = json(TopologyCommandTest.run(args));
        assertEquals(a.get("trace_hash"), b.get("trace_hash"), "same seed, same model: same trace hash");
        assertTrue(a.get("latency").asText().endsWith("hot-latency.txt"), "the model's hot links: " + a.get("latency"));
        JsonNode plain = json(TopologyCommandTest.run("broadcast", "--topology", "random-regular:4", "-n", "32", "--latency",
                "empirical:" + cal.resolve("hot-latency.txt"), "--json"));
        assertNotEquals(plain.get("trace_hash"), a.get("trace_hash"), "the CPU model moves deliveries");
        assertTrue(a.get("latency_ms").get("p50").asDouble() > plain.get("latency_ms").get("p50").asDouble(),
                "service times and queueing only add latency: " + a.get("latency_ms") + " vs " + plain.get("latency_ms"));
    }

    @Test
    void withATimerPartTheSimulatorWarmsUpAsTheModelledEngineSoABatchWindowIsDrawnFromOldNodes(@TempDir Path tmp) throws Exception {
        // Timers 30 ms late in a node's first 2 s, on time after: a 2 ms batch window measured at once would wait 32 ms.
        Path cal = calibration(tmp);
        EngineModel plain = EngineModel.load(cal);
        long[] young = new long[] {30 * MS, 30 * MS};
        long[] old = new long[] {0, 0};
        plain.withTimers(new EngineModel.Timers(new long[] {2_000 * MS}, new long[][] {young, old})).save(cal, "hot-latency.txt", "test");
        String[] args = {"broadcast", "--topology", "ring", "-n", "4", "--protocol", "batched:2ms", "--model", "calibrated:" + cal,
            "--json"};
        JsonNode j = json(TopologyCommandTest.run(args));
        double p99 = j.get("latency_ms").get("p99").asDouble();
        assertTrue(p99 > 2 && p99 < 10, "a 2 ms window on nodes past their first 2 s, p99 " + p99 + " ms");
        assertEquals(j.get("trace_hash").asText(), json(TopologyCommandTest.run(args)).get("trace_hash").asText(), "same seed, same run");
        // token circles through the warm-up first: a 5 ms station's hold is then on time.
        JsonNode t = json(TopologyCommandTest.run("token", "-n", "4", "--rotations", "5", "--station", "delay:5ms@*", "--model",
                "calibrated:" + cal, "--json"));
        assertTrue(t.get("warmup_rotations").asLong() > 0, t.toString());
        double rotation = t.get("rotation_ms").get("p99").asDouble();
        assertTrue(rotation >= 20 && rotation < 30, "four 5 ms holds on nodes past their first 2 s, rotation p99 " + rotation + " ms");
        // The same broadcast on a modelled engine without a warm-up (a model for another engine): the young class.
        java.nio.file.Path file = cal.resolve(EngineModel.FILE);
        Files.write(file, Files.readAllLines(file).stream().map(l -> l.equals("engine=netty") ? "engine=other" : l).toList());
        assertEquals(0, EngineModel.load(cal).warmupNanos(4));
        double cold = json(TopologyCommandTest.run(args)).get("latency_ms").get("p50").asDouble();
        assertTrue(cold >= 32, "a 2 ms window drawn 30 ms late, p50 " + cold + " ms");
        JsonNode coldToken = json(TopologyCommandTest.run("token", "-n", "4", "--rotations", "5", "--station", "delay:5ms@*", "--model",
                "calibrated:" + cal, "--json"));
        assertEquals(0, coldToken.get("warmup_rotations").asLong(), coldToken.toString());
        assertTrue(coldToken.get("rotation_ms").get("p50").asDouble() >= 4 * 35, coldToken.toString());
    }

    @Test
    void theModelOnARealEngineAndBadModelsAreRefusedNamingTheFlag(@TempDir Path tmp) throws Exception {
        Path cal = calibration(tmp);
        TopologyCommandTest.Result r = TopologyCommandTest.run("broadcast", "--topology", "ring", "-n", "4", "--engine", "netty",
                "--model", "calibrated:" + cal);
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("--model") && r.err().contains("--engine sim"), r.err());
        r = TopologyCommandTest.run("broadcast", "--topology", "ring", "-n", "4", "--model", "calibrated:" + tmp.resolve("none"));
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("--model") && r.err().contains("ringlab calibrate"), r.err());
        r = TopologyCommandTest.run("broadcast", "--topology", "ring", "-n", "4", "--model", "fast");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("calibrated:DIR"), r.err());
        r = TopologyCommandTest.run("broadcast", "--topology", "ring", "-n", "4", "--model", "calibrated:" + cal, "--processing", "5us");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("--processing"), r.err());
    }

    @Test
    void predictIsRefusedOnSimWithoutJsonAndWithAnAddedLatency(@TempDir Path tmp) throws Exception {
        Path cal = calibration(tmp);
        for (String[] extra : new String[][] {{"--json"}, {"--engine", "netty"}, {"--engine", "netty", "--json", "--latency", "const:1ms"}}) {
            String[] args = new String[6 + extra.length];
            System.arraycopy(new String[] {"broadcast", "--topology", "ring", "-n", "4", "--predict=" + cal}, 0, args, 0, 6);
            System.arraycopy(extra, 0, args, 6, extra.length);
            TopologyCommandTest.Result r = TopologyCommandTest.run(args);
            assertEquals(2, r.exit(), String.join(" ", args) + ": " + r.err());
            assertTrue(r.err().contains("--predict"), r.err());
        }
    }

    @Test
    void aNettyBroadcastReportsThePredictionNextToTheMeasurement(@TempDir Path tmp) throws Exception {
        Path cal = calibration(tmp);
        JsonNode j = json(TopologyCommandTest.run("broadcast", "--topology", "biring", "-n", "8", "--engine", "netty",
                "--predict", cal.toString(), "--json"));
        assertTrue(j.get("trace_hash").isNull(), "the measured run is netty's");
        JsonNode p = j.get("predicted");
        assertTrue(p.get("trace_hash").isTextual(), "the prediction is a simulator run: " + p);
        for (String q : new String[] {"p50", "p99", "max", "mean"}) {
            double m = j.get("latency_ms").get(q).asDouble();
            double pr = p.get("latency_ms").get(q).asDouble();
            assertTrue(m > 0 && pr > 0, q + ": measured " + m + ", predicted " + pr);
            assertEquals((pr - m) / m, j.get("error").get("latency_ms").get(q).asDouble(), 1e-9, q);
        }
        // CPU per message: netty's event loops measured, the model's core time predicted.
        double cpu = j.get("cpu_us_per_msg").asDouble();
        double cpuPredicted = p.get("cpu_us_per_msg").asDouble();
        assertTrue(cpu > 0 && cpuPredicted > 0, "cpu_us_per_msg: measured " + j.get("cpu_us_per_msg") + ", predicted " + p);
        assertEquals((cpuPredicted - cpu) / cpu, j.get("error").get("cpu_us_per_msg").asDouble(), 1e-9);
    }

    @Test
    void aNettyRecoveryAndCompareRowsReportThePrediction(@TempDir Path tmp) throws Exception {
        Path cal = calibration(tmp);
        JsonNode r = json(TopologyCommandTest.run("recover", "--topology", "ring", "-n", "4", "--crash", "1", "--respawn-after",
                "1s", "--engine", "netty", "--predict", cal.toString(), "--json"));
        assertTrue(r.get("rejoin_ms").isNumber(), "measured: " + r);
        for (String f : RecoverCommand.PREDICTED) {
            assertTrue(r.get("predicted").has(f) && r.get("error").has(f), f + ": " + r.get("predicted"));
        }
        double m = r.get("rejoin_ms").asDouble();
        double p = r.get("predicted").get("rejoin_ms").asDouble();
        assertEquals((p - m) / m, r.get("error").get("rejoin_ms").asDouble(), 1e-9);

        JsonNode c = json(TopologyCommandTest.run("compare", "--engine", "netty", "--nodes", "4", "--topologies", "ring,biring",
                "--seeds", "1", "--broadcasts", "2", "--out", tmp.resolve("results").toString(), "--predict", cal.toString(), "--json"));
        assertEquals(2, c.get("rows").size(), c.toString());
        for (JsonNode row : c.get("rows")) {
            assertTrue(row.get("predicted").get("latency_ms_p50").isNumber(), "each row gains its prediction: " + row);
            assertTrue(row.get("error").get("latency_ms_p50").isNumber(), row.toString());
        }
    }

    @Test
    void fidelitysModelledSweepOnTwoThreadsIsTheOneThreadSweep(@TempDir Path tmp) throws Exception {
        // fidelity --threads runs its simulator sweeps through BroadcastSweep on ParallelCells: the modelled
        // simulator (executors, cores, wake-ups) must give the same runs in the same order on any thread count.
        Path cal = calibration(tmp);
        BroadcastExperiment.Params model = new BroadcastExperiment.Params(new dev.ringlab.sim.SimEngine(
                RunOptions.parseModel("calibrated:" + cal)), "flood", null, 0, dev.ringlab.node.spec.FaultPlan.none(), 0, 4,
                10_000_000_000L, 16);
        BroadcastSweep.Plan plan = new BroadcastSweep.Plan(java.util.List.of("ring", "random-regular:4"), java.util.List.of(16, 32),
                java.util.List.of(1L, 2L, 3L), model, 256);
        java.io.PrintWriter quiet = new java.io.PrintWriter(java.io.Writer.nullWriter());
        BroadcastSweep.Outcome one = BroadcastSweep.run(plan, quiet, "t1", 1);
        BroadcastSweep.Outcome two = BroadcastSweep.run(plan, quiet, "t2", 2);
        assertEquals(12, one.runs().size(), "2 topologies x 2 sizes x 3 seeds");
        for (int i = 0; i < one.runs().size(); i++) {
            assertEquals(one.runs().get(i).traceHash(), two.runs().get(i).traceHash(), "cell " + i);
            var a = one.runs().get(i).result();
            var b = two.runs().get(i).result(); // wall time aside
            assertEquals(java.util.List.of(a.deliveries(), a.latencyMsP50(), a.latencyMsP99(), a.latencyMsMax(), a.messages()),
                    java.util.List.of(b.deliveries(), b.latencyMsP50(), b.latencyMsP99(), b.latencyMsMax(), b.messages()), "cell " + i);
        }
        TopologyCommandTest.Result bad = TopologyCommandTest.run("fidelity", "--threads", "0", "--out", tmp.toString());
        assertEquals(2, bad.exit(), bad.err());
        assertTrue(bad.err().startsWith("ringlab fidelity: --threads: must be at least 1, got 0"), bad.err());
    }

    @Test
    void fidelityWarnsOnAnotherMachineOrLoad() throws Exception {
        Map<String, String> here = Map.of("cores", "2", "java", "25", "os_arch", "Linux/amd64", "loadavg_1m", "0.5");
        assertNull(FidelityCommand.machineWarning(here, here));
        // The calibration's own warning (a noisy spell) is said again by fidelity; none, or an older run.json: nothing.
        com.fasterxml.jackson.databind.ObjectMapper om = new com.fasterxml.jackson.databind.ObjectMapper();
        assertEquals("the calibration's self-check: the model is more than 50 % slower ...",
                FidelityCommand.calibrationWarning(om.readTree("{\"self_check_warning\": \"the model is more than 50 % slower ...\"}")));
        assertNull(FidelityCommand.calibrationWarning(om.readTree("{\"self_check_warning\": null}")));
        assertNull(FidelityCommand.calibrationWarning(om.readTree("{}")));
        assertNull(FidelityCommand.machineWarning(here, Map.of("cores", "2", "java", "25", "os_arch", "Linux/amd64", "loadavg_1m", "1.2")));
        String w = FidelityCommand.machineWarning(here, Map.of("cores", "8", "java", "25", "os_arch", "Linux/amd64", "loadavg_1m", "3"));
        assertTrue(w != null && w.contains("cores 2 then, 8 now") && w.contains("load average"), w);
        assertFalse(FidelityCommand.machineWarning(Map.of(), here) != null, "an old calibration without a machine: no claim");
        // A calibration records the load it began under (given), not the load its own measurements made; none if unread.
        assertEquals("0.42", CalibrateCommand.machine("0.42").get("loadavg_1m"));
        assertFalse(CalibrateCommand.machine(null).containsKey("loadavg_1m"));
        assertEquals(CalibrateCommand.machine("0.42").get("cores"), String.valueOf(Runtime.getRuntime().availableProcessors()));
    }
}
