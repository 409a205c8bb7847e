package dev.ringlab.experiments.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ringlab.experiments.BroadcastExperiment;
import dev.ringlab.experiments.CheckRuns;
import dev.ringlab.experiments.Engines;
import dev.ringlab.node.spec.FaultPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplayTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /** A ring check run whose node 2 duplicates its first token pass: the checker must fail it. */
    static Replayed failingCheck() {
        for (long seed = 1; ; seed++) {
            CheckRuns.Drawn d = CheckRuns.draw(seed, 6, 6, FaultPlan.parse("crash:4@500ms..900ms"));
            if (d.protocol().startsWith("healing")) {
                return Replays.check(d, Broken.duplicating(2, 0), "test seed " + seed);
            }
        }
    }

    @Test
    void theViolationOfAFailingCheckRunIsMarkedAtItsEvent() throws Exception {
        Replayed r = failingCheck();
        Recording rec = r.recording();
        assertTrue(rec.size() > 10, "events " + rec.size());
        int v = rec.violationIndex();
        assertEquals(rec.size() - 1, v, "the run stops at the event that broke the invariant");
        var f = JSON.readTree(rec.frame(v));
        assertEquals(v, f.get("violation").get("index").asInt());
        assertTrue(f.get("violation").get("text").asText().contains("at most one token per epoch"), f.toString());
        assertTrue(r.note().startsWith("violation at event " + v), r.note());
        // both tokens of the epoch are on the page at the violation
        assertTrue(f.get("tokens").size() >= 1, f.toString());
    }

    @Test
    void steppingToAnyEventFromAKeyframeGivesTheStateOfPlayingEveryEvent() throws Exception {
        Replayed r = Replays.check(CheckRuns.draw(7, 8, 8, FaultPlan.parse("crash:3@300ms..700ms,partition:0-3|4-7@1s..1200ms")),
                p -> p, "seed 7");
        Recording rec = r.recording();
        assertTrue(rec.size() > 1000, "events " + rec.size());
        // the states at 300 drawn events, by playing every event from the start...
        SplittableRandom rnd = new SplittableRandom(11);
        int[] at = new int[300];
        for (int k = 0; k < at.length; k++) {
            at[k] = rnd.nextInt(rec.size());
        }
        int[] sorted = at.clone();
        Arrays.sort(sorted);
        java.util.Map<Integer, String> expected = new java.util.HashMap<>();
        Recording.State s = new Recording.State(rec.nodes());
        int next = 0;
        for (int i = 0; i < rec.size() && next < sorted.length; i++) {
            s.apply(rec, i);
            while (next < sorted.length && sorted[next] == i) {
                ObjectNode o = JSON.createObjectNode();
                s.toJson(o, 0);
                expected.put(i, o.toString());
                next++;
            }
        }
        // ...equal those reached from the nearest keyframe, in the drawn (random, back and forth) order
        for (int k = 0; k < at.length; k++) {
            ObjectNode o = JSON.createObjectNode();
            rec.stateAt(at[k]).toJson(o, 0);
            assertEquals(expected.get(at[k]), o.toString(), "event " + at[k] + " (seed 11, draw " + k + ")");
        }
    }

    @Test
    void stepTimeOfALongReplayIsMeasured() throws Exception {
        // A check run of 48 nodes: well over 10^4 events. Printed, not asserted (no timed assertions in unit tests).
        Replayed r = Replays.check(CheckRuns.draw(5, 48, 48, FaultPlan.parse("crash:5@200ms..1500ms")), p -> p, "seed 5");
        Recording rec = r.recording();
        assertTrue(rec.size() >= 10_000, "events " + rec.size());
        SplittableRandom rnd = new SplittableRandom(3);
        for (int k = 0; k < 200; k++) {
            rec.frame(rnd.nextInt(rec.size())); // warm up
        }
        long[] ns = new long[500];
        for (int k = 0; k < ns.length; k++) {
            int i = rnd.nextInt(rec.size());
            long t = System.nanoTime();
            String f = rec.frame(i);
            ns[k] = System.nanoTime() - t;
            assertTrue(f.contains("\"i\":" + i + ","), f);
        }
        Arrays.sort(ns);
        System.out.printf("watch replay: %d events, frame of a random event: p50 %.3f ms, p99 %.3f ms, max %.3f ms%n",
                rec.size(), ns[250] / 1e6, ns[495] / 1e6, ns[499] / 1e6);
    }

    @Test
    void aCompareRunReplaysWithItsRecordedTraceHash(@TempDir Path dir) throws Exception {
        var p = new BroadcastExperiment.Params(Engines.byName("sim"), "flood", "const:1ms", 0, FaultPlan.none(), 0, 3,
                1_000_000_000L, 16);
        var run = BroadcastExperiment.run(p, "random-regular:4", 12, 9);
        ObjectNode o = JSON.createObjectNode();
        o.put("experiment", "compare");
        BroadcastExperiment.putParams(o, p);
        ObjectNode r = o.putArray("runs").addObject();
        r.put("topology", "random-regular:4");
        r.put("nodes", 12);
        r.put("seed", 9);
        r.put("trace_hash", run.traceHash());
        Files.writeString(dir.resolve("run.json"), o.toString());
        Replayed rp = Replays.runJson(dir, 0);
        assertTrue(rp.note().contains("matches the recorded one"), rp.note());
        var f = JSON.readTree(rp.recording().frame(rp.recording().size() - 1));
        assertEquals(12, f.get("nodes").size());
        assertTrue(f.get("window").get("events").size() > 0);
    }
}
