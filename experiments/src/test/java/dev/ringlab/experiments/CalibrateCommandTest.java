package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ringlab.sim.model.EngineModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** A short calibration of the real netty engine on loopback writes a model the simulator loads and runs. */
class CalibrateCommandTest {
    @Test
    @org.junit.jupiter.api.Tag("long") // a whole real-engine run: `mvn verify -P long` (README, "The two commands")
    void aShortNettyCalibrationWritesALoadableModelWithPlacementAndTheColdStartTable(@TempDir Path tmp) throws Exception {
        TopologyCommandTest.Result r = TopologyCommandTest.run("calibrate", "--out", tmp.toString(), "-n", "8", "--rotations", "20",
                "--bursts", "1,4", "--reps", "3", "--respawns", "1", "--passes", "1", "--load-rates", "200,1500", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode run = new ObjectMapper().readTree(r.out().strip().lines().reduce((a, b) -> b).orElseThrow());
        Path dir = Path.of(run.get("results_dir").asText());
        // One pass here (the default's two passes: the tests below, and .ci/run's fidelity step calibrates with them).
        assertTrue(r.err().contains("passes=1"), r.err());
        assertTrue(r.err().lines().noneMatch(l -> l.contains("calibrate: pass ")), r.err());
        try (java.util.stream.Stream<Path> made = Files.list(tmp)) {
            assertEquals(List.of(dir.getFileName().toString()), made.map(p -> p.getFileName().toString())
                    .filter(f -> !f.equals("latest")).toList());
        }
        assertEquals(1, new ObjectMapper().readTree(dir.resolve("run.json").toFile()).get("passes").asInt());
        assertEquals(CalibrateCommand.FLOOD_CLUSTERS, new ObjectMapper().readTree(dir.resolve("run.json").toFile())
                .get("flood_clusters").asInt());
        EngineModel m = EngineModel.load(dir);
        assertNotNull(m.cpu(), "cpu part");
        assertTrue(m.cpu().blocks(), "netty places nodes in blocks, and so does the model");
        assertNotNull(m.cold(), "cold-start part");
        // The load part: two streams, the first the anchor (factor 1), the second fitted until the model's CPU per message
        // on the same stream is the engine's.
        assertNotNull(m.load(), "load part");
        List<String> load = Files.readAllLines(dir.resolve("load.csv"));
        assertEquals(3, load.size(), "header and two streams: " + load);
        assertEquals(1.0, m.load().factor()[0]);
        assertEquals(2, m.load().ratePerS().length);
        // The anchor: the scaled model's CPU per message on the first stream is the engine's (the bisection's precision,
        // and the stream's own rounding of the scaled times).
        String[] anchor = load.get(1).split(",");
        assertEquals(1.0, Double.parseDouble(anchor[4]));
        assertEquals(Double.parseDouble(anchor[2]), Double.parseDouble(anchor[3]), 0.05 * Double.parseDouble(anchor[2]),
                "the model's CPU per message at 200/s is the engine's: " + load);
        String[] fitted = load.get(2).split(",");
        double measuredCpu = Double.parseDouble(fitted[2]);
        double modelCpu = Double.parseDouble(fitted[3]);
        assertTrue(measuredCpu > 0 && Math.abs(modelCpu - measuredCpu) / measuredCpu < 0.05,
                "the model's CPU per message at 1500/s, " + modelCpu + " us, is the engine's " + measuredCpu + " us: " + load);
        assertEquals(Double.parseDouble(fitted[4]), m.load().factor()[1], 1e-9, "load.csv's factor is the model's");
        assertEquals(Double.parseDouble(fitted[1]), m.load().ratePerS()[1], 1e-6, "load.csv's executor rate is the model's");
        // The quiet factor: bisected until the model's CPU per message on the quiet stream (4 broadcasts/s) is the engine's.
        JsonNode quiet = runJson(dir).get("load_fit").get("quiet");
        assertEquals(quiet.get("quiet_factor").asDouble(), m.load().quietFactor(), 1e-12, "run.json's quiet factor is the model's");
        double quietFactor = m.load().quietFactor();
        assertTrue(quietFactor > CalibrateCommand.QUIET_FACTOR_MIN && quietFactor < CalibrateCommand.QUIET_FACTOR_MAX,
                "within the bisection's bounds: " + quiet);
        double quietMeasured = quiet.get("measured_cpu_us_per_msg").asDouble();
        assertTrue(quietMeasured > 0 && Math.abs(quiet.get("model_cpu_us_per_msg").asDouble() - quietMeasured) / quietMeasured < 0.05,
                "the model's CPU per message on the quiet stream is the engine's: " + quiet);
        assertEquals(quietFactor > 1, quiet.get("model_cpu_us_per_msg_without").asDouble() < quietMeasured,
                "a factor above 1 where the model without it charged less than the engine: " + quiet);
        assertTrue(r.err().contains("calibrate: quiet stream 4/s on complete:16 for 8 s: "), r.err());
        assertEquals(4, m.cold().idleNanos().length, "1, 10, 100 and 250 ms gaps: " + m.cold());
        assertTrue(m.cold().idleNanos()[3] >= 250_000_000L, "the settle's quiet gap: " + m.cold());
        for (int i = 0; i < CalibrateCommand.COLD_GAPS_NANOS.length; i++) {
            // Each measured flood's quiet time runs from its own cluster's flood before it: at least the gap.
            assertTrue(m.cold().idleNanos()[i] >= CalibrateCommand.COLD_GAPS_NANOS[i], "gap " + i + ": " + m.cold());
        }
        List<String> cold = Files.readAllLines(dir.resolve("cold.csv"));
        assertEquals(5, cold.size(), "header and four points");
        // The spread: every measured penalty is in the model, as many per point as cold.csv counts.
        assertTrue(m.cold().spread(), "the cold start keeps its samples: " + m.cold());
        // Isolated stalls are left out (usually none): each listed in run.json, over 1 ms, and counted in cold.csv.
        JsonNode stalls = runJson(dir).get("cold_stalls");
        assertTrue(stalls.isArray(), "run.json lists the stalls left out: " + stalls);
        assertTrue(runJson(dir).get("cold_samples").asInt() > 4 * 16, "the cold samples, stalls included");
        for (JsonNode st : stalls) {
            assertTrue(st.get("us").asDouble() > CalibrateCommand.STALL_FLOOR_NANOS / 1e3, "a stall is over 1 ms: " + st);
            assertTrue(List.of(CalibrateCommand.SAMPLE_KINDS).contains(st.get("kind").asText()), st.toString());
            assertTrue(r.err().contains(String.format(java.util.Locale.ROOT, "a stall of %.1f us (%s) left out", st.get("us").asDouble(),
                    st.get("kind").asText())), r.err());
        }
        for (int i = 0; i < 4; i++) {
            String[] row = cold.get(i + 1).split(",");
            double quietMs = Double.parseDouble(row[0]);
            java.util.function.ToIntFunction<String> stalled = kind -> stallsAt(stalls, quietMs, kind);
            assertEquals(stalled.applyAsInt(null), Integer.parseInt(row[18]), "cold.csv counts the point's stalls, point " + i);
            assertEquals(Integer.parseInt(row[3]), m.cold().injectSamples()[i].length, "inject samples, point " + i);
            assertEquals(Integer.parseInt(row[4]), m.cold().deliverySamples()[i].length, "delivery samples, point " + i);
            long[] d = m.cold().deliverySamples()[i];
            assertEquals(d[d.length - 1] / 1e3, Double.parseDouble(row[8]), 0.001, "cold.csv's max is the largest sample, point " + i);
            if (m.cold().hasSecond()) {
                assertEquals(Integer.parseInt(row[10]), m.cold().secondSamples()[i].length, "second-work samples, point " + i);
                assertEquals(m.cold().secondNanos()[i] / 1e3, Double.parseDouble(row[9]), 0.001, "second-work median, point " + i);
            }
            if (m.cold().hasSecondAfterRequest()) {
                assertEquals(Integer.parseInt(row[13]), m.cold().secondRequestSamples()[i].length, "after-request samples, point " + i);
                assertEquals(m.cold().secondRequestNanos()[i] / 1e3, Double.parseDouble(row[12]), 0.001, "after-request median, point " + i);
            }
            if (m.cold().hasCoreWake()) {
                // One core-wake sample per measured flood (as many as the requests, stalls counted), its median the model's.
                assertEquals(Integer.parseInt(row[3]) + stalled.applyAsInt("injection"),
                        Integer.parseInt(row[16]) + stalled.applyAsInt("core wake"), "core-wake samples, point " + i);
                assertEquals(m.cold().coreWakeNanos()[i] / 1e3, Double.parseDouble(row[15]), 0.001, "core-wake median, point " + i);
                assertEquals(m.cold().coreSecondNanos()[i] / 1e3, Double.parseDouble(row[17]), 0.001, "core second work, point " + i);
                // ... and the model keeps every sample, which run.json lists (the second parts below 0 counted as 0).
                assertTrue(m.cold().coreSpread(), "core wakes drawn from their samples: " + m.cold());
                assertEquals(Integer.parseInt(row[16]), m.cold().coreWakeSamples()[i].length, "core-wake samples in the model, point " + i);
                assertEquals(Integer.parseInt(row[16]) + stalled.applyAsInt("core wake"),
                        m.cold().coreSecondSamples()[i].length + stalled.applyAsInt("core wake's second hop"),
                        "second-part samples, point " + i);
                JsonNode listed = runJson(dir).get("core_wake_samples").get(i);
                assertEquals(Double.parseDouble(row[0]), listed.get("quiet_ms").asDouble(), 1e-6, "run.json's points in cold.csv's order");
                long[] wakes = new long[listed.get("wake_us").size()];
                for (int j = 0; j < wakes.length; j++) {
                    wakes[j] = Math.round(listed.get("wake_us").get(j).asDouble() * 1e3);
                }
                assertArrayEquals(wakes, m.cold().coreWakeSamples()[i], "run.json's core wakes are the model's, point " + i);
            }
        }
        // The core wake: with two cores or more, the ring's floods enter three loops after the origin's (blocks of 2 on 4).
        assertEquals(m.cpu().cores() >= 2, m.cold().hasCoreWake(), "the core wake: " + m.cold());
        assertTrue(m.describe().contains(" core_wake=") == m.cold().hasCoreWake(), m.describe());
        // 8 nodes on netty's loops in blocks (4 loops on 2 cores): each loop has a second node, so there is a second-work table.
        assertEquals(m.cpu().executorCount(8) < 8, m.cold().hasSecond(), "the second-work table: " + m.cold());
        // ... and node 1 shares the origin's loop, so the second work after the request has its own table.
        assertEquals(m.cpu().executorCount(8) < 8, m.cold().hasSecondAfterRequest(), "the table after a request: " + m.cold());
        // The receive/send split: fitted on star floods, written with every candidate (measured row first).
        assertEquals(1 + 1 + 21, Files.readAllLines(dir.resolve("split.csv")).size(), "header, measured, 21 candidates");
        JsonNode fit = new ObjectMapper().readTree(dir.resolve("run.json").toFile()).get("split_fit");
        // The model's receive and send are the split's, both scaled by the load fit's anchor (rounded apart).
        double scale = runJson(dir).get("load_fit").get("service_scale").asDouble();
        assertTrue(scale >= 0.25 && scale <= 4, "the anchor's scale within its bisection's bounds: " + scale);
        assertEquals(Math.round(fit.get("recv_ns").asLong() * scale), m.cpu().recvNanos());
        assertEquals(Math.round(fit.get("send_ns").asLong() * scale), m.cpu().sendNanos());
        assertEquals(CalibrateCommand.STAR_LEAVES.length, fit.get("star_measured_us").size());
        for (JsonNode t : fit.get("star_measured_us")) {
            assertTrue(t.asDouble() > 0, "a measured star completion: " + fit);
        }
        // The service time: the Theil-Sen slope through every complete-graph flood (2 x 3 + 1 per size), times the cores.
        List<String> samples = Files.readAllLines(dir.resolve("fanout-samples.csv"));
        assertEquals("k,rep,completion_us", samples.get(0));
        assertEquals(1 + CalibrateCommand.FANOUT_SIZES.length * 7, samples.size(), String.join("\n", samples));
        List<double[]> points = new ArrayList<>();
        for (String line : samples.subList(1, samples.size())) {
            String[] f = line.split(",");
            int k = Integer.parseInt(f[0]);
            points.add(new double[] {k * (k - 1), Double.parseDouble(f[2]) * 1e3});
        }
        assertEquals(7, runJson(dir).get("fanout_floods_per_size").asInt());
        assertEquals(CalibrateCommand.theilSenSlope(points), runJson(dir).get("fanout_slope_ns_per_message").asDouble(), 0.01);
        assertEquals(Math.max(0, Math.round(CalibrateCommand.theilSenSlope(points) * Runtime.getRuntime().availableProcessors())),
                runJson(dir).get("service_ns").asLong(), 1.0);
        assertEquals(runJson(dir).get("service_ns").asLong(), fit.get("recv_ns").asLong() + fit.get("send_ns").asLong(), 1.0,
                "the split keeps the sum");
        assertEquals(runJson(dir).get("service_ns").asLong(), runJson(dir).get("load_fit").get("service_before_ns").asLong());
        assertEquals(m.cpu().recvNanos() + m.cpu().sendNanos(), runJson(dir).get("load_fit").get("service_ns").asLong());
        // Each latency file says what its samples are.
        assertTrue(Files.readAllLines(dir.resolve("latency.txt")).get(1).endsWith("(netty, loopback TCP, flood hops on a ring, idle "
                + "between broadcasts)"), Files.readAllLines(dir.resolve("latency.txt")).get(1));
        // The token's hops within an event loop and into another: their medians' difference is the wake send, and the
        // hot links are the hops within a loop when it is positive (it is on netty; noise could make it 0).
        JsonNode runJson = new ObjectMapper().readTree(dir.resolve("run.json").toFile());
        int same = runJson.get("token_hop_same_executor_samples").asInt();
        int cross = runJson.get("token_hop_cross_executor_samples").asInt();
        assertTrue(same > 0 && cross > 0, "8 nodes on " + m.cpu().executors() + " loops in blocks: both kinds of hop: " + runJson);
        assertEquals(runJson.get("token_hop_samples").asInt(), same + cross);
        assertEquals(m.cpu().wakeSendNanos(), runJson.get("wake_send_ns").asLong());
        assertEquals(Math.max(0, Math.round(runJson.get("token_hop_cross_executor_us_p50").asDouble() * 1e3)
                - Math.round(runJson.get("token_hop_same_executor_us_p50").asDouble() * 1e3)), m.cpu().wakeSendNanos(), 1.0);
        assertTrue(Files.readAllLines(dir.resolve("hot-latency.txt")).get(1).endsWith("(netty, loopback TCP, token hops on a ring "
                + (m.cpu().wakeSendNanos() > 0 ? "within one event loop " : "") + "less the service time: the model's hot links)"),
                Files.readAllLines(dir.resolve("hot-latency.txt")).get(1));
        // The model on its own workloads: complete graphs, stars and the idle ring, measured next to the simulator with the model.
        List<String> check = Files.readAllLines(dir.resolve("self-check.csv"));
        assertEquals(1 + CalibrateCommand.FANOUT_SIZES.length + CalibrateCommand.STAR_LEAVES.length + 1, check.size(), String.join("\n", check));
        assertTrue(check.get(1).startsWith("complete:4,") && check.get(check.size() - 2).startsWith("star:48,"), String.join("\n", check));
        assertTrue(check.get(check.size() - 1).startsWith("ring:8,"), "the idle ring's floods last: " + String.join("\n", check));
        JsonNode self = new ObjectMapper().readTree(dir.resolve("run.json").toFile()).get("self_check");
        assertEquals(check.size() - 1, self.size());
        for (JsonNode row : self) {
            assertTrue(row.get("measured_us").asDouble() > 0 && row.get("model_us").asDouble() > 0, "both sides: " + row);
            assertEquals((row.get("model_us").asDouble() - row.get("measured_us").asDouble()) / row.get("measured_us").asDouble(),
                    row.get("rel_error").asDouble(), 1e-3, row.toString());
        }
        assertTrue(r.err().contains("calibrate: the model on these workloads (flood completion, model vs measured): complete:4 "), r.err());
        // The noisy-spell warning: in run.json either way (null: none), and on stderr exactly when there is one.
        JsonNode warning = new ObjectMapper().readTree(dir.resolve("run.json").toFile()).get("self_check_warning");
        assertNotNull(warning, "run.json has self_check_warning");
        assertEquals(!warning.isNull(), r.err().contains("calibrate: warning: the model is more than 50 % slower"), r.err());
        // The redial rounds: two per --respawns, each measured next to the bare seeded schedule and the fitted model.
        JsonNode redials = runJson.get("redial_rounds");
        assertEquals(2, redials.size(), runJson.toString());
        assertNotNull(m.restart(), "restart part");
        for (JsonNode x : redials) {
            assertTrue(x.get("down_ms").asDouble() >= 200 && x.get("up_ms").asDouble() > 0 && x.get("restart_call_ms").asDouble() > 0, x.toString());
            if (m.restart().acceptNanos() == 0) {
                assertTrue(x.get("model_ms").asDouble() >= x.get("schedule_ms").asDouble(), "without a window the lateness only delays: " + x);
            }
        }
        assertEquals(Math.round(runJson.get("model").get("redial_late_ms").asDouble() * 1e6), m.restart().dialNanos());
        assertTrue(m.restart().dialNanos() >= 0 && m.restart().dialNanos() <= 5_000_000, m.restart().toString());
        assertEquals(Math.round(runJson.get("model").get("accept_before_return_ms").asDouble() * 1e6), m.restart().acceptNanos());
        // netty measures no accepting window (its link table opens as the restart call ends): no restart sizes, no
        // restarts.csv.
        assertNull(m.restart().sizes(), m.restart().toString());
        assertTrue(runJson.get("restart_sizes").isNull(), runJson.toString());
        assertTrue(runJson.get("model").get("respawn_bound_before_return_ms_p50").isNull());
        assertFalse(Files.exists(dir.resolve("restarts.csv")));
        // The timer part: the healing ring's timers at 4 and 8 nodes by age class, each table's quantiles ascending and its
        // medians the ones timers.csv shows (every class counted: the ring ran past the last class's start).
        assertNotNull(m.timers(), "timer part");
        assertArrayEquals(new int[] {4, 8}, m.timers().nodes());
        List<String> timers = Files.readAllLines(dir.resolve("timers.csv"));
        assertEquals(1 + 2 * dev.ringlab.node.TimerLateness.AGES, timers.size(), String.join("\n", timers));
        JsonNode sizes = runJson.get("timer_fit").get("sizes");
        assertEquals(2, sizes.size());
        long[][][] late = m.timers().lateNanos();
        for (int t = 0; t < 2; t++) {
            JsonNode classes = sizes.get(t).get("age_classes");
            assertEquals(m.timers().nodes()[t], sizes.get(t).get("nodes").asInt());
            assertEquals(dev.ringlab.node.TimerLateness.AGES, classes.size());
            for (int a = 0; a < late[t].length; a++) {
                assertTrue(classes.get(a).get("timers").asLong() > 0, "size " + t + " age class " + a + " counted: " + classes);
                assertEquals(CalibrateCommand.TIMER_QUANTILES, late[t][a].length);
                assertEquals(classes.get(a).get("late_ms_p50").asDouble(), late[t][a][50] / 1e6, 1e-6, "size " + t + " class " + a);
                String[] row = timers.get(1 + t * late[t].length + a).split(",");
                assertEquals(String.valueOf(m.timers().nodes()[t]), row[0]);
                assertEquals(Double.parseDouble(row[3]), late[t][a][50] / 1e6, 1e-6, "timers.csv, size " + t + " class " + a);
            }
            assertTrue(r.err().contains("calibrate: timers late by age (healing ring, " + m.timers().nodes()[t] + " nodes, 6 s): 0-0.5s p50 "),
                    r.err());
        }
        // The model runs on the simulator.
        TopologyCommandTest.Result sim = TopologyCommandTest.run("broadcast", "--topology", "random-regular:4", "-n", "16",
                "--model", "calibrated:" + dir, "--json");
        assertEquals(0, sim.exit(), sim.err());
        // recover on the modelled simulator crashes once its nodes are as old as the engine's after its warm-up (2 s), with
        // the timer part; without it, at once.
        Path noTimers = Files.createDirectories(tmp.resolve("no-timers"));
        for (Path f : Files.newDirectoryStream(dir)) {
            if (Files.isRegularFile(f)) {
                Files.copy(f, noTimers.resolve(f.getFileName()));
            }
        }
        Path file = noTimers.resolve(EngineModel.FILE);
        Files.write(file, Files.readAllLines(file).stream().filter(l -> !l.startsWith("timer.")).toList());
        // token_creations are timed from the faults' origin: node 0's first token was made at the ring's start.
        double[] firstTokenMs = new double[2];
        for (int i = 0; i < 2; i++) {
            TopologyCommandTest.Result rec = TopologyCommandTest.run("recover", "-n", "8", "--crash", "1", "--seed", "3", "--model",
                    "calibrated:" + (i == 0 ? dir : noTimers), "--json");
            assertEquals(0, rec.exit(), rec.err());
            JsonNode j = new ObjectMapper().readTree(rec.out().strip().lines().reduce((a, b) -> b).orElseThrow());
            assertTrue(j.get("repair_ms").isNumber(), j.toString());
            String first = j.get("token_creations").get(0).asText(); // "node 0@-2003.1ms"
            assertTrue(first.startsWith("node 0@"), j.toString());
            firstTokenMs[i] = Double.parseDouble(first.substring("node 0@".length(), first.length() - 2));
        }
        assertTrue(firstTokenMs[0] <= -1_990 && firstTokenMs[1] > -100, "the ring started " + -firstTokenMs[0]
                + " ms before the faults with the timer part, " + -firstTokenMs[1] + " ms without");
    }

    /** How many of run.json's {@code cold_stalls} were left out at the point of {@code quietMs}, of {@code kind} (null: all). */
    private static int stallsAt(JsonNode stalls, double quietMs, String kind) {
        int k = 0;
        for (JsonNode st : stalls) {
            if (Math.abs(st.get("quiet_ms").asDouble() - quietMs) < 1e-6 && (kind == null || st.get("kind").asText().equals(kind))) {
                k++;
            }
        }
        return k;
    }

    private static JsonNode runJson(Path dir) throws java.io.IOException {
        return new ObjectMapper().readTree(dir.resolve("run.json").toFile());
    }

    @Test
    @org.junit.jupiter.api.Tag("long") // a whole real-engine run: `mvn verify -P long` (README, "The two commands")
    @org.junit.jupiter.api.Timeout(180)
    void restartRoundsOnProcessesMeasureTheCallAndTheWindowTheNewJvmWasBoundInAndNettyStopsAfterOne() {
        List<List<Object>> rows = new ArrayList<>();
        StringWriter err = new StringWriter();
        long[] medians = CalibrateCommand.restartRounds(Engines.byName("processes"), 4, 1, 1, rows, new PrintWriter(err, true));
        assertNotNull(medians, err.toString());
        assertEquals(1, rows.size(), rows.toString());
        for (List<Object> row : rows) {
            double call = (Double) row.get(2);
            double bound = (Double) row.get(3);
            // A new JVM takes well over a millisecond to start; it is bound before the call's wait for "started" ends.
            assertTrue(call > 1 && bound > 0 && bound < call, "call " + call + " ms, bound " + bound + " ms before it returned");
        }
        assertEquals(rows.get(0).get(2), medians[0] / 1e6, "one round: its own call is the median");
        assertEquals(rows.get(0).get(3), medians[1] / 1e6);
        assertTrue(err.toString().contains("calibrate: restart at 4 nodes (1 ring, crashed 2.0 s after the start, "), err.toString());
        // netty measures no window: the first round ends the step with nothing.
        rows.clear();
        assertNull(CalibrateCommand.restartRounds(Engines.byName("netty"), 4, 3, 1, rows, new PrintWriter(err, true)));
        assertTrue(rows.isEmpty(), rows.toString());
    }

    @Test
    void theTheilSenSlopeIsExactOnALineAndRefusesPointsWithOneX() {
        List<double[]> line = new ArrayList<>();
        for (int x = 0; x < 10; x++) {
            line.add(new double[] {x, 3.5 * x - 2});
        }
        assertEquals(3.5, CalibrateCommand.theilSenSlope(line), 1e-12);
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> CalibrateCommand.theilSenSlope(List.of(new double[] {4, 1}, new double[] {4, 2})));
        assertTrue(e.getMessage().contains("two points with different x"), e.getMessage());
    }

    /**
     * Floods whose completions are bimodal as on this VM (a sixth to two fifths of them 1.2-2 ms slow, the share
     * differing from size to size): the Theil-Sen slope through all of them stays within 25 % of the true per-message
     * cost in every case, where the least-squares line through each size's median does not.
     */
    @Test
    void theTheilSenSlopeOfBimodalFloodsStaysNearTheTrueCostWhereTheLineThroughMediansDoesNot() {
        java.util.SplittableRandom master = new java.util.SplittableRandom(39);
        int cases = 0;
        int medianMisses = 0;
        for (int c = 0; c < 200; c++) {
            long caseSeed = master.nextLong();
            java.util.SplittableRandom r = new java.util.SplittableRandom(caseSeed);
            double slope = 3_000 + r.nextDouble() * 5_000; // ns per message over the cores: 6-16 us of service on 2 cores
            double base = 300_000 + r.nextDouble() * 200_000;
            List<double[]> points = new ArrayList<>();
            org.apache.commons.math3.stat.regression.SimpleRegression medians = new org.apache.commons.math3.stat.regression.SimpleRegression();
            for (int k : CalibrateCommand.FANOUT_SIZES) {
                double slowShare = 1 / 6.0 + r.nextDouble() * (0.4 - 1 / 6.0);
                double[] y = new double[15];
                for (int i = 0; i < y.length; i++) {
                    double x = k * (k - 1);
                    y[i] = base + slope * x * (0.9 + 0.2 * r.nextDouble()) + (r.nextDouble() < slowShare ? 1.2e6 + r.nextDouble() * 0.8e6 : 0);
                    points.add(new double[] {x, y[i]});
                }
                java.util.Arrays.sort(y);
                medians.addData(k * (k - 1), y[y.length / 2]);
            }
            double fitted = CalibrateCommand.theilSenSlope(points);
            assertEquals(slope, fitted, 0.25 * slope, "case seed " + caseSeed + ": " + fitted + " ns per message for " + slope);
            if (Math.abs(medians.getSlope() - slope) > 0.25 * slope) {
                medianMisses++;
            }
            cases++;
        }
        assertEquals(200, cases);
        assertTrue(medianMisses > 0, "the line through 15-flood medians never missed by 25 %: the cases are too easy");
    }

    @Test
    void theRedialFitRecoversAKnownLatenessAndAcceptingWindowDespiteARoundOffByAWholeBackoff() {
        long ms = 1_000_000;
        java.util.SplittableRandom master = new java.util.SplittableRandom(38);
        int cases = 0;
        for (int c = 0; c < 20; c++) {
            long caseSeed = master.nextLong();
            java.util.SplittableRandom r = new java.util.SplittableRandom(caseSeed);
            // Even cases like netty (a sub-ms call, no window, a 1 ms handshake), odd ones like processes (a 1 s call,
            // connections taken 100-300 ms before it returns, a 29 ms first message, noisier).
            boolean processes = c % 2 == 1;
            long late = 50_000 * r.nextLong(41); // 0..2 ms, on the fit's grid
            long accept = processes ? 5 * ms * (20 + r.nextLong(41)) : 0;
            long handshake = processes ? 29 * ms : ms;
            long noise = processes ? 8 * ms : ms / 2;
            dev.ringlab.sim.model.EngineModel.Restart restart = new dev.ringlab.sim.model.EngineModel.Restart(10 * ms, 200 * ms,
                    handshake, processes ? 1_000 * ms : ms / 2);
            List<CalibrateCommand.Redialed> rounds = new java.util.ArrayList<>();
            for (int k = 0; k < 10; k++) {
                long seed = r.nextLong();
                long down = 200 * ms + r.nextLong(1_300 * ms);
                long call = processes ? 950 * ms + r.nextLong(200 * ms) : ms / 4 + r.nextLong(ms);
                long up = restart.neighbourDialDelay(down, call, late, accept, seed, 0, 1) + r.nextLong(-noise, noise + 1);
                rounds.add(new CalibrateCommand.Redialed(seed, down, call, Math.max(0, up)));
            }
            // One round whose restart fell next to an attempt: measured a whole backoff later than the model says.
            CalibrateCommand.Redialed first = rounds.get(0);
            rounds.set(0, new CalibrateCommand.Redialed(first.seed(), first.downNanos(), first.callNanos(), first.upNanos() + 150 * ms));
            CalibrateCommand.RedialFit fit = CalibrateCommand.fitRedial(restart, rounds);
            assertTrue(fit.predicted() >= 9, "case seed " + caseSeed + ": every round but the odd one predicted: " + fit);
            if (processes) {
                assertTrue(fit.acceptNanos() > 0, "case seed " + caseSeed + ": a window: " + fit);
            } else {
                assertEquals(late, fit.dialNanos(), 150_000, "case seed " + caseSeed + ": " + fit);
                assertEquals(0, fit.acceptNanos(), "case seed " + caseSeed + ": " + fit);
            }
            cases++;
        }
        assertEquals(20, cases);
    }

    @Test
    void passesOutsideOneToThreeAreRefusedWithTheFlagNamed(@TempDir Path tmp) {
        for (String bad : List.of("0", "4")) {
            TopologyCommandTest.Result r = TopologyCommandTest.run("calibrate", "--out", tmp.toString(), "--passes", bad);
            assertEquals(2, r.exit(), r.err());
            assertTrue(r.err().contains("--passes") && r.err().contains("must be 1 to 3, got " + bad), r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        }
    }

    @Test
    void loadRatesMustBeTwoOrMoreAscendingRatesOrNoneAndABadListIsRefusedWithTheFlagNamed(@TempDir Path tmp) {
        for (String bad : List.of("1000,200", "200", "0,100", "x,100")) {
            TopologyCommandTest.Result r = TopologyCommandTest.run("calibrate", "--out", tmp.toString(), "--load-rates", bad);
            assertEquals(2, r.exit(), bad + ": " + r.err());
            assertTrue(r.err().contains("--load-rates"), r.err());
            assertEquals(1, r.err().strip().lines().count(), "one line: " + r.err());
        }
        assertEquals(List.of(), parsed("--load-rates", "none").loadRates());
        assertEquals(List.of(200.0, 1000.0, 2500.0), parsed().loadRates());
    }

    @Test
    void passesDefaultToTwoOnNettyAndOneOnProcesses() {
        assertEquals(2, parsed().passes());
        assertEquals(2, parsed("--engine", "netty").passes());
        assertEquals(1, parsed("--engine", "processes").passes());
        assertEquals(3, parsed("--passes", "3").passes());
        assertEquals(1, parsed("--engine", "netty", "--passes", "1").passes());
    }

    @Test
    void theIdleRingFloodsSpreadOverFourClustersOnNettyAndOneOnProcesses() {
        assertEquals(CalibrateCommand.FLOOD_CLUSTERS, parsed().floodClusters());
        assertEquals(4, parsed("--engine", "netty").floodClusters());
        assertEquals(1, parsed("--engine", "processes").floodClusters());
        // Each cluster's share of the warm-up fifth and of the measured rest is whole, for both flood runs.
        for (int broadcasts : new int[] {CalibrateCommand.FLOOD_BROADCASTS, CalibrateCommand.COLD_BROADCASTS}) {
            assertEquals(0, broadcasts / 5 % CalibrateCommand.FLOOD_CLUSTERS, broadcasts + " floods");
            assertEquals(0, (broadcasts - broadcasts / 5) % CalibrateCommand.FLOOD_CLUSTERS, broadcasts + " floods");
        }
    }

    private static CalibrateCommand parsed(String... args) {
        CalibrateCommand c = new CalibrateCommand();
        new CommandLine(c).parseArgs(args);
        return c;
    }

    @Test
    void passesBeforeTheLastWriteIntoADeletedDirectoryPrintNothingButOneLineAndTheLastIsReturned(@TempDir Path tmp)
            throws Exception {
        ResultsDir kept = ResultsDir.create(tmp, "calibrate");
        List<Path> dirs = new ArrayList<>();
        List<String> commands = new ArrayList<>();
        StringWriter err = new StringWriter();
        String last = CalibrateCommand.inPasses(3, kept, new PrintWriter(err, true), "ringlab calibrate", (dir, e, command) -> {
            dirs.add(dir.path());
            commands.add(command);
            e.println("figures of pass " + dirs.size());
            e.flush();
            try {
                Files.writeString(dir.resolve("model.properties"), "pass=" + dirs.size());
            } catch (java.io.IOException x) {
                throw new java.io.UncheckedIOException(x);
            }
            return "pass " + dirs.size();
        });
        assertEquals("pass 3", last);
        assertEquals(3, dirs.size());
        assertEquals(kept.path(), dirs.get(2), "the last pass writes into the results directory");
        assertEquals("pass=3", Files.readString(kept.resolve("model.properties")));
        for (Path earlier : dirs.subList(0, 2)) {
            assertFalse(earlier.startsWith(tmp), "an earlier pass writes elsewhere: " + earlier);
            assertFalse(Files.exists(earlier), "and its directory is gone: " + earlier);
        }
        assertEquals(List.of("ringlab calibrate (pass 1)", "ringlab calibrate (pass 2)", "ringlab calibrate"), commands);
        List<String> lines = err.toString().lines().toList();
        assertEquals(3, lines.size(), err.toString());
        assertTrue(lines.get(0).startsWith("calibrate: pass 1 of 3 (not kept: it compiles what the last pass measures) took "), lines.get(0));
        assertTrue(lines.get(1).startsWith("calibrate: pass 2 of 3 (not kept"), lines.get(1));
        assertEquals("figures of pass 3", lines.get(2), "only the kept pass prints its figures");
    }
}
