package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parity matrix: every measuring command (topology aside) on every engine (sim, netty, processes) with
 * the same flags, small and bounded. For each command it checks that
 * <ul>
 *   <li>every engine prints the same JSON field set (nested objects included);</li>
 *   <li>the figures the engines must agree on agree: reliability 1.0 of a flood on a connected overlay, the
 *       ring's last delivery hop n - 1, one token after a repair, no lost acknowledged write, convergence;</li>
 *   <li>a flag is never silently dropped: {@code --latency} is reported and raises the measured latency on
 *       every engine, a loss burst either takes effect or is refused with one line naming {@code --faults},
 *       {@code --processing} is applied on sim and refused with one line naming it on the real engines, and a
 *       send along a non-edge is counted or refused up front.</li>
 * </ul>
 * The processes engine starts one JVM per node, so the sizes are 3 to 6 nodes and the runs short, but for config
 * and cache, which run with their default flags (the check that the defaults give a clean run). Every run is
 * seeded with {@link #SEED}; a failure message names the command line, which replays the run.
 */
class ParityMatrixTest {
    static final long SEED = 11;
    static final List<String> ENGINES = List.of("sim", "netty", "processes");
    /**
     * Failure-detector timing that a loaded 2-core machine keeps on every engine: a JVM stalled by the CPU
     * shortage or a respawn's start-up must not pass for dead (the per-engine defaults are another matter).
     */
    static final List<String> ROBUST_TIMING = List.of("--heartbeat", "50ms", "--suspicion-timeout", "600ms",
            "--loss-timeout", "2s");

    @TempDir
    Path tmp;

    /** One command's run on one engine. */
    record Run(String engine, List<String> args, int exit, String out, String err, JsonNode json) {
        String why() {
            return "ringlab " + String.join(" ", args) + " (seed " + SEED + ") exited " + exit + "\nstdout: " + out
                    + "\nstderr: " + err;
        }
    }

    static Run run(String engine, List<String> command) throws Exception {
        List<String> args = new ArrayList<>(command);
        args.addAll(List.of("--engine", engine, "--seed", String.valueOf(SEED), "--json"));
        BroadcastCommandTest.Outcome o = BroadcastCommandTest.run(args.toArray(String[]::new));
        JsonNode j = null;
        String text = o.out().trim();
        if (o.exit() != 2 && !text.isEmpty()) {
            j = new ObjectMapper().readTree(text.substring(text.lastIndexOf('\n') + 1));
        }
        return new Run(engine, args, o.exit(), o.out(), o.err(), j);
    }

    /** Runs {@code command} on every engine, checks exit 0 and one field set, then {@code check} on each run. */
    static Map<String, Run> matrix(List<String> command, BiConsumer<Run, JsonNode> check) throws Exception {
        Map<String, Run> runs = new LinkedHashMap<>();
        for (String e : ENGINES) {
            Run r = run(e, command);
            assertEquals(0, r.exit(), r.why());
            assertEquals(e, r.json().get("engine").asText(), r.why());
            assertEquals(SEED, r.json().path("seed").asLong(), r.why());
            check.accept(r, r.json());
            runs.put(e, r);
        }
        assertFalse(runs.isEmpty());
        Run first = runs.get("sim");
        TreeSet<String> fields = fields(first.json(), "");
        assertTrue(fields.size() > 5, first.why());
        for (Run r : runs.values()) {
            assertEquals(fields, fields(r.json(), ""), "field set of " + r.engine() + " vs sim: " + r.why());
        }
        return runs;
    }

    /**
     * Every field path of an object, nested objects and the objects of arrays included ({@code rows[].nodes}); not the
     * keys of {@code drops}, a map by drop reason whose keys are the reasons that happened (data, not the schema).
     */
    static TreeSet<String> fields(JsonNode o, String prefix) {
        TreeSet<String> out = new TreeSet<>();
        Iterator<Map.Entry<String, JsonNode>> it = o.properties().iterator();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = prefix + e.getKey();
            out.add(name);
            if (e.getValue().isObject() && !e.getKey().equals("drops")) {
                out.addAll(fields(e.getValue(), name + "."));
            } else if (e.getValue().isArray() && !e.getValue().isEmpty() && e.getValue().get(0).isObject()) {
                out.addAll(fields(e.getValue().get(0), name + "[]."));
            }
        }
        return out;
    }

    /** Exit 2 with one line that names {@code flag}. */
    static void assertRefused(Run r, String flag) {
        assertEquals(2, r.exit(), r.why());
        List<String> lines = r.err().strip().lines().toList();
        assertEquals(1, lines.size(), "one line: " + r.why());
        assertTrue(lines.get(0).contains(flag), "names " + flag + ": " + r.why());
        assertTrue(lines.get(0).contains(r.engine()), "names the engine: " + r.why());
    }

    @Test
    @Timeout(60)
    void broadcastAddsTheGivenLatencyOnEveryEngineAndReachesTheRingEndAtHopNMinusOne() throws Exception {
        // A flood on the directed ring 0 -> 1 -> ... -> 4: node h delivers at hop h, each hop at least 5 ms.
        matrix(List.of("broadcast", "--topology", "ring", "-n", "5", "--latency", "const:5ms"), (r, j) -> {
            assertEquals("const:5ms", j.get("latency").asText(), r.why());
            assertEquals(1.0, j.get("reliability").asDouble(), r.why());
            assertEquals(4, j.get("last_delivery_hop").asInt(), r.why());
            assertEquals(5, j.get("messages").asLong(), "warm-up broadcasts are not counted: " + r.why());
            assertEquals(0, j.get("dropped").asLong(), r.why());
            // Hops 1..4 at >= 5, 10, 15, 20 ms: nearest-rank p50 of four is the second.
            assertTrue(j.get("latency_ms").get("p50").asDouble() >= 10.0, r.why());
            assertTrue(j.get("engine_time_ms").asDouble() >= 20.0, r.why());
            if (r.engine().equals("sim")) {
                assertEquals(0, j.get("warmup_broadcasts").asInt(), r.why());
                assertEquals(0, j.get("warmup_deliveries").asLong(), r.why());
                assertEquals(0, j.get("warmup_paced_broadcasts").asInt(), r.why());
            } else {
                // Rounds of 4 until 8000 deliveries or 2 s: with 5 ms hops a round takes 20 ms, so the 2 s ends it;
                // then paced single broadcasts.
                assertTrue(j.get("warmup_broadcasts").asInt() >= 8, r.why());
                assertTrue(j.get("warmup_deliveries").asLong() >= j.get("warmup_broadcasts").asInt(), r.why());
                int paced = j.get("warmup_paced_broadcasts").asInt();
                assertTrue(paced >= 1 && paced <= Defaults.REAL_WARMUP_PACED && paced < j.get("warmup_broadcasts").asInt(),
                        paced + " paced: " + r.why());
            }
            // The JVM's own warm-up: netty only, once per JVM (this test's JVM may have run it for an earlier test).
            int jvm = j.get("warmup_jvm_clusters").asInt(-1);
            assertTrue(r.engine().equals("netty") ? jvm == 0 || jvm == Defaults.JVM_WARMUP_CLUSTERS : jvm == 0,
                    jvm + " JVM warm-up clusters: " + r.why());
        });
    }

    @Test
    @Timeout(60)
    void aLossBurstTakesEffectOrIsRefusedNamingFaults() throws Exception {
        // Every message lost from the start: only the origin has the broadcast.
        // sim and netty: the fault is applied from the control side through Cluster.lossBurst, the code path both
        // real engines share here; a processes run would only add three JVM start-ups to the class.
        List<String> cmd = List.of("broadcast", "--topology", "ring", "-n", "3", "--faults", "loss:1@0..1s");
        for (String e : List.of("sim", "netty")) {
            Run r = run(e, cmd);
            if (r.exit() == 2) {
                // Refused when the plan applies it (the engine has no loss burst): the last line names the flag and
                // the engine, no stack trace.
                assertFalse(e.equals("sim"), r.why());
                List<String> lines = r.err().strip().lines().toList();
                String last = lines.get(lines.size() - 1);
                assertTrue(last.startsWith("ringlab broadcast: --faults:") && last.contains(e), r.why());
                assertTrue(lines.stream().noneMatch(l -> l.startsWith("\tat ") || l.contains("Exception")), r.why());
                continue;
            }
            assertEquals(0, r.exit(), r.why());
            assertEquals("loss:1.0@0..1s", r.json().get("faults").asText(), r.why());
            assertEquals(1.0 / 3, r.json().get("reliability").asDouble(), 1e-9, r.why());
            assertTrue(r.json().get("dropped").asLong() >= 1, r.why());
        }
    }

    @Test
    @Timeout(30)
    void processingIsAppliedOnSimAndRefusedOnRealEnginesWithOneLine() throws Exception {
        for (List<String> cmd : List.of(List.of("broadcast", "--topology", "ring", "-n", "4", "--processing", "1ms"),
                List.of("token", "-n", "4", "--rotations", "5", "--processing", "1ms"),
                List.of("recover", "-n", "4", "--processing", "1ms"),
                List.of("cache", "-n", "4", "--keys", "10", "--ops", "10", "--processing", "1ms"),
                List.of("config", "-n", "4", "--deltas", "5", "--processing", "1ms"),
                List.of("compare", "--nodes", "4", "--topologies", "ring", "--seeds", "1", "--broadcasts", "1", "--processing",
                        "1ms", "--out", tmp.toString()))) {
            for (String e : List.of("netty", "processes")) {
                assertRefused(run(e, cmd), "--processing");
            }
        }
        // On sim a node is busy 1 ms per message, so a stream of broadcasts queues: without it every delivery on the
        // 4-node ring takes 1..3 ms of links alone.
        List<String> stream = List.of("broadcast", "--topology", "ring", "-n", "4", "--rate", "5000", "--duration", "10ms");
        Run idle = run("sim", stream);
        List<String> busyCmd = new ArrayList<>(stream);
        busyCmd.addAll(List.of("--processing", "1ms"));
        Run busy = run("sim", busyCmd);
        assertEquals(0, idle.exit(), idle.why());
        assertEquals(0, busy.exit(), busy.why());
        assertEquals(3.0, idle.json().get("latency_ms").get("max").asDouble(), idle.why());
        assertEquals("1ms", busy.json().get("processing").asText(), busy.why());
        assertTrue(busy.json().get("latency_ms").get("p50").asDouble() > 2 * idle.json().get("latency_ms").get("p50").asDouble(),
                busy.why());
    }

    @Test
    @Timeout(60)
    void aSendAlongANonEdgeIsCountedOrRefusedUpFrontOnEveryEngine() throws Exception {
        // The ring pass sends to the next node by id; on random-regular:4 over 10 nodes most of those are no edge.
        List<String> cmd = List.of("broadcast", "--topology", "random-regular:4", "-n", "10", "--protocol", "ring");
        List<Run> runs = new ArrayList<>();
        for (String e : ENGINES) {
            runs.add(run(e, cmd));
        }
        assertEquals(ENGINES.size(), runs.size());
        for (Run r : runs) {
            if (r.exit() == 2) {
                String line = r.err().strip();
                assertTrue(line.contains("--protocol") || line.contains("--topology"), r.why());
                continue;
            }
            assertEquals(0, r.exit(), r.why());
            double reliability = r.json().get("reliability").asDouble();
            if (reliability < 1.0) {
                assertTrue(r.json().get("dropped").asLong() >= 1, "a lost ring pass is counted: " + r.why());
            }
            assertEquals(runs.get(0).json().get("reliability").asDouble(), reliability, "same reach as on sim: " + r.why());
        }
    }

    @Test
    @Timeout(60)
    void tokenRotatesTheSameWayOnEveryEngineAndChecksOneTokenWhereItCan() throws Exception {
        matrix(List.of("token", "-n", "4", "--rotations", "20"), (r, j) -> {
            assertEquals(20, j.get("rotations").asLong(), r.why());
            assertEquals(20, j.get("ticks").asLong(), r.why());
            assertTrue(j.get("ticks_agree").asBoolean(), r.why());
            assertTrue(j.get("hop_ms").get("p50").asDouble() > 0, r.why());
            assertEquals(0, j.get("dropped").asLong(), r.why());
            // The one-token census runs after every event where events happen one at a time; null elsewhere.
            if (r.engine().equals("sim")) {
                assertTrue(j.get("census_checks").asLong() >= 4 * 20, r.why());
                assertEquals("const:1ms", j.get("latency").asText(), "the sim's default link: " + r.why());
            } else {
                assertTrue(j.get("census_checks").isNull(), r.why());
                assertTrue(j.get("latency").isNull(), "nothing added to real links: " + r.why());
                // Until 8,000 hops (2,000 rotations of 4) or 2 s: at least the 10 rotations of the rule before.
                long warm = j.get("warmup_rotations").asLong();
                assertTrue(warm >= 10 && warm <= 2 * Defaults.REAL_WARMUP_DELIVERIES / 4, "warm-up rotations " + warm + ": " + r.why());
            }
        });
    }

    @Test
    @Timeout(90)
    void recoverRepairsTheRingToOneTokenOnTheSameOverlayOnEveryEngine() throws Exception {
        // Suspicion after a silence of 1 s: under a heavy CPU shortage a child JVM can stall for several hundred ms,
        // and a stalled node that passes for dead regenerates a second token.
        // The respawn comes well after the repair (suspicion, then the token-loss timeout at the latest).
        List<String> cmd = List.of("recover", "-n", "4", "--crash-nodes", "2", "--respawn-after", "3s", "--timeout",
                "30s", "--heartbeat", "50ms", "--suspicion-timeout", "1s", "--loss-timeout", "1500ms");
        matrix(cmd, (r, j) -> {
            assertEquals("successor-ring:3", j.get("overlay").asText(), r.why());
            assertTrue(j.get("detect_ms").isNumber(), r.why());
            assertTrue(j.get("repair_ms").isNumber(), r.why());
            assertTrue(j.get("rejoin_ms").isNumber(), r.why());
            assertTrue(j.get("respawn_call_ms").isNumber(), r.why());
            // Only the processes engine sees its new node bound before the restart call returns.
            if (r.engine().equals("processes")) {
                double accept = j.get("respawn_accept_ms").asDouble();
                assertTrue(accept > 0 && accept < j.get("respawn_call_ms").asDouble(), r.why());
            } else {
                assertTrue(j.get("respawn_accept_ms").isNull(), r.why());
            }
            assertEquals(1, j.get("tokens_max_after_repair").asInt(), "tokens after repair: " + r.why());
            // The drops by reason add up to the total on every engine (sends to the crashed node, at least).
            long byReason = 0;
            for (JsonNode count : j.get("drops")) {
                byReason += count.asLong();
            }
            assertTrue(j.get("dropped").asLong() > 0, r.why());
            assertEquals(j.get("dropped").asLong(), byReason, r.why());
            assertEquals(List.of(2), List.of(j.get("crashed").get(0).asInt()), r.why());
            assertEquals(r.engine().equals("sim"), j.get("invariant_checks").isNumber(), r.why());
            assertTrue(r.err().contains("timing=hb=50ms,suspect=1s,loss=1500ms"), "effective timing printed: " + r.why());
        });
    }

    @Test
    @Timeout(60)
    void compareGivesTheSameRowsFieldsAndRingFiguresOnEveryEngine() throws Exception {
        matrix(List.of("compare", "--nodes", "5", "--topologies", "ring", "--seeds", "1", "--broadcasts", "2", "--out",
                tmp.toString()), (r, j) -> {
                    assertEquals(1, j.get("rows").size(), r.why());
                    JsonNode row = j.get("rows").get(0);
                    assertEquals(1.0, row.get("reliability").asDouble(), r.why());
                    assertEquals(4.0, row.get("last_delivery_hop").asDouble(), r.why());
                    assertEquals(5.0, row.get("msgs_per_op").asDouble(), r.why());
                    assertTrue(Files.isDirectory(Path.of(j.get("results_dir").asText())), r.why());
                });
    }

    /**
     * config with its default flags (timing included) and a crash and respawn, on six nodes; catalog small and
     * with {@link #ROBUST_TIMING}. The default-flag run is also the check that the defaults give a clean run on
     * the real engines: no false suspicion, one token after the repair, nothing acknowledged lost ({@code catalog}
     * runs the same {@code ReplicaCommand} path as {@code config}).
     */
    @Test
    @Timeout(150)
    void configAndCatalogConvergeWithoutLosingAnAcknowledgedDeltaOnEveryEngine() throws Exception {
        matrix(List.of("config", "-n", "6", "--crash", "1", "--respawn-after", "1s"), (r, j) -> {
            assertTrue(j.get("converged").asBoolean(), r.why());
            assertEquals(0, j.get("lost_deltas").asInt(), r.why());
            assertEquals(200, j.get("operations_issued").asInt(), "the default --deltas: " + r.why());
            assertEquals(1, j.get("crashed").size(), r.why());
            assertEquals("successor-ring:3", j.get("overlay").asText(), r.why());
            assertEquals(0, j.get("false_suspicions").asInt(), "false suspicions with the default timing: " + r.why());
            assertEquals(1, j.get("tokens_max_after_repair").asInt(), r.why());
            assertTrue(j.get("tokens_created").asInt() >= 1, r.why());
        });
        List<String> catalog = new ArrayList<>(List.of("catalog", "--tokens", "20", "--topology", "ring", "-n", "4", "--rate",
                "200", "--timeout", "20s"));
        catalog.addAll(ROBUST_TIMING);
        matrix(catalog, (r, j) -> {
            assertTrue(j.get("converged").asBoolean(), r.why());
            assertEquals(0, j.get("lost_deltas").asInt(), r.why());
            assertEquals(20, j.get("operations_issued").asInt(), r.why());
            assertEquals("successor-ring:3", j.get("overlay").asText(), r.why());
            assertEquals(0, j.get("false_suspicions").asInt(), r.why());
            assertEquals(1, j.get("tokens_max_after_repair").asInt(), r.why());
        });
    }

    /** cache with its default flags (timing, keys and operations included) and one crash, on six nodes. */
    @Test
    @Timeout(150)
    void cacheLosesNoAcknowledgedWriteOnEveryEngine() throws Exception {
        matrix(List.of("cache", "-n", "6", "--crash", "1"), (r, j) -> {
            assertEquals(0, j.get("lost_acknowledged_writes").asLong(), r.why());
            assertEquals(1000, j.get("verified_keys").asLong(), "the default --keys: " + r.why());
            assertTrue(j.get("hit_rate").asDouble() > 0.9, r.why());
            assertEquals(0, j.get("false_suspicions").asInt(), "false suspicions with the default timing: " + r.why());
            assertEquals(1, j.get("tokens_max_after_repair").asInt(), r.why());
            assertTrue(j.get("tokens_created").asInt() >= 1, r.why());
        });
    }

    /** The measuring commands, each with the least it needs. */
    static final List<List<String>> COMMANDS = List.of(List.of("broadcast", "--topology", "ring", "-n", "4"),
            List.of("token", "-n", "4"), List.of("recover", "-n", "4"), List.of("compare", "--nodes", "4"),
            List.of("config", "-n", "4"), List.of("catalog", "-n", "4"), List.of("cache", "-n", "4"),
            List.of("recover-sweep", "--nodes", "4"));

    @Test
    @Timeout(30)
    void everyCommandParsesTheRunOptionsTheSameWayWithTheSameErrors() throws Exception {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("--loss", "2");
        bad.put("--latency", "fast");
        bad.put("--engine", "warp");
        bad.put("--processing", "soon");
        bad.put("--faults", "crash:x@1s");
        for (Map.Entry<String, String> b : bad.entrySet()) {
            TreeSet<String> messages = new TreeSet<>();
            for (List<String> cmd : COMMANDS) {
                List<String> args = new ArrayList<>(cmd);
                args.addAll(List.of(b.getKey(), b.getValue()));
                BroadcastCommandTest.Outcome o = BroadcastCommandTest.run(args.toArray(String[]::new));
                String why = String.join(" ", args) + ": " + o.err();
                assertEquals(2, o.exit(), why);
                assertEquals(1, o.err().strip().lines().count(), why);
                String prefix = "ringlab " + cmd.get(0) + ": " + b.getKey() + ": ";
                assertTrue(o.err().startsWith(prefix), why);
                messages.add(o.err().strip().substring(prefix.length()));
            }
            assertEquals(1, messages.size(), "one message for " + b.getKey() + " on every command: " + messages);
        }
    }

    @Test
    @Timeout(30)
    void aFlagThatWouldNotTakeEffectIsRefused() throws Exception {
        for (String e : ENGINES) {
            Run protocolOnRing = run(e, List.of("recover", "-n", "4", "--protocol", "gossip:2"));
            assertEquals(2, protocolOnRing.exit(), protocolOnRing.why());
            assertTrue(protocolOnRing.err().strip().startsWith("ringlab recover: --protocol:"), protocolOnRing.why());
            Run timingOnExpander = run(e, List.of("config", "--topology", "complete", "-n", "4", "--heartbeat", "5ms"));
            assertEquals(2, timingOnExpander.exit(), timingOnExpander.why());
            assertTrue(timingOnExpander.err().strip().startsWith("ringlab config: --heartbeat:"), timingOnExpander.why());
        }
    }
}
