package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code ringlab config} in-process: sim figures on constant 1 ms links (ring and expander), usage errors, a netty run. */
class ConfigCommandTest {

    @Test
    void onTheRingEveryLiveNodeConvergesAfterACrashAndNoAcknowledgedDeltaIsLost() throws Exception {
        String[] args = {"config", "--topology", "ring", "-n", "12", "--deltas", "100", "--rate", "200", "--crash", "1",
            "--seed", "4", "--via", "hop", "--json"};
        TokenCommandTest.Result r = TokenCommandTest.run(args);
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        for (String f : List.of("converged", "convergence_ms", "lost_deltas", "msgs_per_delta", "crashed", "live_nodes",
                "state_hash", "deltas_held", "unacked_missing", "cluster_msgs_per_delta")) {
            assertTrue(j.has(f), "missing " + f + ": " + r.out());
        }
        assertTrue(j.get("converged").asBoolean(), r.out());
        assertEquals(0, j.get("lost_deltas").asInt(), r.out());
        assertEquals(11, j.get("live_nodes").asInt());
        assertEquals(100, j.get("deltas").asInt(), "every put went to a live node");
        assertEquals(100, j.get("deltas_held").asInt(), r.out());
        // Hop by hop around 12 nodes on 1 ms links: 11 hops for most deltas (10 if the victim is skipped).
        double p50 = j.get("convergence_ms").get("p50").asDouble();
        assertTrue(p50 >= 10 && p50 <= 12, "p50 " + p50);
        // A delta stuck at the victim's predecessor waits for the 50 ms suspicion (+ a 10 ms heartbeat tick).
        double max = j.get("convergence_ms").get("max").asDouble();
        assertTrue(max >= p50 && max <= 11 + 62 + 50, "max " + max);
        // At least the 11 forwards; acks, digests and pushes add a few more per delta.
        double mpd = j.get("msgs_per_delta").asDouble();
        assertTrue(mpd >= 11 && mpd <= 30, "msgs_per_delta " + mpd);
        assertTrue(j.get("cluster_msgs_per_delta").asDouble() > mpd, "the ring's heartbeats come on top");
        assertTrue(r.err().contains("replay: ringlab config --topology ring -n 12 --deltas 100"), r.err());
        // Same seed, same run.
        assertEquals(j.get("trace_hash"), TokenCommandTest.run(args).json().get("trace_hash"));
    }

    @Test
    void onTheRingDeltasRideTheTokenByDefaultWithFewerMessagesThanHopByHop() throws Exception {
        String[] args = {"config", "--topology", "ring", "-n", "12", "--deltas", "100", "--rate", "200", "--crash", "1",
            "--seed", "4", "--json"};
        TokenCommandTest.Result r = TokenCommandTest.run(args);
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        assertTrue(j.get("protocol").asText().contains(",via=token;"), r.out());
        assertTrue(j.get("converged").asBoolean(), r.out());
        assertEquals(0, j.get("lost_deltas").asInt(), r.out());
        assertEquals(100, j.get("deltas_held").asInt(), r.out());
        // A delta waits at most one rotation (12 hops of 1 ms) for the token, then rides 11 hops (10 past the victim).
        double p50 = j.get("convergence_ms").get("p50").asDouble();
        assertTrue(p50 >= 10 && p50 <= 24, "p50 " + p50);
        double mpd = j.get("msgs_per_delta").asDouble();
        TokenCommandTest.Result hop = TokenCommandTest.run(
                "config", "--topology", "ring", "-n", "12", "--deltas", "100", "--rate", "200", "--crash", "1",
                "--seed", "4", "--via", "hop", "--json");
        assertTrue(mpd < hop.json().get("msgs_per_delta").asDouble(), "token " + mpd + " vs hop " + hop.out());
        // The effective options name the default: the replay line has only the flags given.
        assertTrue(r.err().contains("via=token"), r.err());
        assertTrue(r.err().contains("replay: ringlab config " + String.join(" ", java.util.Arrays.copyOfRange(args, 1,
                args.length))), r.err());
        assertEquals(j.get("trace_hash"), TokenCommandTest.run(args).json().get("trace_hash"));
    }

    @Test
    void onAnExpanderFloodingConvergesWithinTheDiameter() throws Exception {
        TokenCommandTest.Result r = TokenCommandTest.run("config", "--topology", "random-regular:4", "-n", "32",
                "--deltas", "100", "--rate", "500", "--crash", "2", "--respawn-after", "200ms", "--seed", "3", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        assertTrue(j.get("converged").asBoolean(), r.out());
        assertEquals(32, j.get("live_nodes").asInt(), "the respawned nodes are back and hold the state");
        assertEquals(100, j.get("deltas_held").asInt(), r.out());
        assertEquals(0, j.get("lost_deltas").asInt());
        // A 4-regular graph on 32 nodes has diameter <= 5: 1 ms per hop.
        assertTrue(j.get("convergence_ms").get("max").asDouble() <= 8, r.out());
        // Flooding: about (d - 1) sends per node per delta, plus the origin's d, plus d acks.
        double mpd = j.get("msgs_per_delta").asDouble();
        assertTrue(mpd >= 31 * 3 && mpd <= 32 * 5, "msgs_per_delta " + mpd);
    }

    @Test
    void badFlagsAreUsageErrors() {
        assertEquals(2, TokenCommandTest.run("config", "--deltas", "0").exit());
        assertEquals(2, TokenCommandTest.run("config", "-n", "8", "--crash", "8").exit());
        assertEquals(2, TokenCommandTest.run("config", "--topology", "nonsense:3").exit());
        TokenCommandTest.Result r = TokenCommandTest.run("config", "--ae", "soon");
        assertEquals(2, r.exit());
        assertTrue(r.err().contains("--ae"), r.err());
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void nettyRunOnTheRingConvergesAfterACrash() throws Exception {
        TokenCommandTest.Result r = TokenCommandTest.run("config", "--topology", "ring", "-n", "8", "--deltas", "60",
                "--rate", "200", "--crash", "1", "--engine", "netty", "--timeout", "20s", "--json");
        assertEquals(0, r.exit(), r.err());
        JsonNode j = r.json();
        assertEquals("netty", j.get("engine").asText());
        assertTrue(j.get("converged").asBoolean(), r.out());
        assertEquals(0, j.get("lost_deltas").asInt(), r.out());
        assertEquals(7, j.get("live_nodes").asInt());
        assertTrue(j.get("convergence_ms").get("p50").isNumber(), r.out());
    }
}
