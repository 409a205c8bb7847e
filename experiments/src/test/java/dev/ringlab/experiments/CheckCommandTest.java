package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ringlab.node.Env;
import dev.ringlab.node.ForwardingEnv;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.spec.FaultPlan;
import dev.ringlab.topology.Overlay;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * {@code ringlab check}: the swarm runs pass on the real protocol, and the checker is shown to fail, shrink
 * and replay on protocols broken on purpose (a check that cannot fail proves nothing).
 */
class CheckCommandTest {
    static final long MS = 1_000_000L;

    @Test
    void swarmRunsPassAndJsonHasTheIssueFields() throws Exception {
        TokenCommandTest.Result r = TokenCommandTest.run("check", "--runs", "60", "--seed", "3", "--json");
        assertEquals(0, r.exit(), r.err() + r.out());
        JsonNode j = r.json();
        for (String f : new String[] {"runs", "violations", "failing_seeds", "invariants_checked", "wall_ms"}) {
            assertTrue(j.has(f), "missing " + f + ": " + r.out());
        }
        assertEquals(60, j.get("runs").asInt());
        assertEquals(0, j.get("violations").asInt());
        assertTrue(j.get("invariants_checked").asLong() > 60_000, r.out());
        assertTrue(r.err().contains("ringlab check: runs=60 seed=3 nodes=4..16"), r.err());
    }

    @Test
    void randomFaultPlansNeverLeaveTwoTokensAfterStabilisation() {
        // The property test: many ring runs, each from its own seed; the failing seed is in the message.
        SplittableRandom master = new SplittableRandom(0x70CE_4E11L);
        int rings = 0;
        while (rings < 250) {
            long seed = master.nextLong();
            SwarmRun.Setup s = SwarmRun.draw(seed, 3, 24, null);
            if (!s.ring()) {
                continue;
            }
            rings++;
            SwarmRun.Result r = SwarmRun.run(s);
            assertFalse(r.failed(), "seed " + seed + " (" + s.describe() + "): " + r.violation()
                    + "\nreplay: ringlab check --run-seed " + seed + " --nodes 3..24");
        }
    }

    @Test
    void aRunIsAPureFunctionOfItsSeedAndPlan() {
        long seed = 0x5EEDL;
        SwarmRun.Setup s = SwarmRun.draw(seed, 4, 16, null);
        SwarmRun.Result a = SwarmRun.run(s);
        SwarmRun.Result b = SwarmRun.run(SwarmRun.draw(seed, 4, 16, FaultPlan.parse(s.plan().toString())));
        assertEquals(a.virtualNanos(), b.virtualNanos());
        assertEquals(a.invariantsChecked(), b.invariantsChecked());
    }

    /** A ring setup with a crash-and-restart of node 1 plus noise, for the broken protocols below. */
    private static SwarmRun.Setup ringSetup(String plan) {
        for (long seed = 1; ; seed++) {
            SwarmRun.Setup s = SwarmRun.draw(seed, 6, 6, FaultPlan.parse(plan));
            if (s.ring()) {
                return s;
            }
        }
    }

    @Test
    void theCheckerCatchesANodeThatDuplicatesTheToken() {
        SwarmRun.Setup s = ringSetup("loss:0.1@300ms..400ms");
        SwarmRun.Result r = SwarmRun.run(s, duplicating(2, 0));
        assertTrue(r.failed(), "a duplicated token went unnoticed");
        assertTrue(r.violation().contains("at most one token per epoch"), r.violation());
        assertTrue(r.violation().contains("seed " + s.seed()), r.violation());
    }

    @Test
    void theCheckerCatchesATokenThatStopsCirclingAfterTheHeal() {
        SwarmRun.Setup s = ringSetup("crash:4@500ms..900ms");
        // Node 2 swallows every token once the fault phase is over: safety holds, liveness must not.
        SwarmRun.Result r = SwarmRun.run(s, p -> wrap(p, (id, env, m) -> id == 2 && m instanceof Message.Token
                && env.now() > SwarmRun.FAULT_HORIZON_NANOS));
        assertTrue(r.failed(), "a dead ring after the heal went unnoticed");
        assertTrue(r.violation().startsWith("liveness: no full rotation"), r.violation());
    }

    @Test
    void shrinkingKeepsOnlyTheFaultThatTriggersTheBug() {
        // The bug: a node restarted after a crash duplicates the first token it passes. Only the crash of a
        // node that is then restarted triggers it; the partition, slow node and loss burst are noise.
        String plan = "slow:0=20ms@100ms..300ms,partition:0-2|3-5@400ms..600ms,crash:4@700ms..1000ms,loss:0.2@1100ms..1200ms";
        SwarmRun.Setup s = ringSetup(plan);
        UnaryOperator<Protocol> bug = p -> duplicatingAfterRestart(p);
        assertTrue(SwarmRun.run(s, bug).failed());
        FaultPlan small = SwarmRun.shrink(s.seed(), 6, 6, s.plan(), 100, bug);
        assertEquals(1, small.faults().size(), "shrunk to " + small);
        FaultPlan.Fault f = small.faults().get(0);
        assertEquals(FaultPlan.Kind.CRASH, f.kind());
        assertTrue(f.isRange(), "the crash must keep its restart: " + small);
        assertTrue(SwarmRun.run(SwarmRun.draw(s.seed(), 6, 6, small), bug).failed());
    }

    @Test
    void replayingAFailingSeedWithItsPlanReproducesIt() throws Exception {
        // Through the CLI: --run-seed with --faults replays one run (here a passing one: the CLI runs the
        // real protocol); its header names the plan it ran.
        SwarmRun.Setup s = ringSetup("crash:1@300ms..800ms");
        TokenCommandTest.Result r = TokenCommandTest.run("check", "--run-seed", Long.toString(s.seed()), "--nodes", "6..6",
                "--faults", "crash:1@300ms..800ms", "--json");
        assertEquals(0, r.exit(), r.err());
        assertEquals(1, r.json().get("runs").asInt());
        assertTrue(r.err().contains("faults=crash:1@300ms..800ms"), r.err());
        TokenCommandTest.Result bad = TokenCommandTest.run("check", "--faults", "crash:1@1s");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("--faults"), bad.err());
    }

    // ---- protocols broken on purpose -------------------------------------------------------------------

    interface Swallow {
        boolean drop(int id, Env env, Message m);
    }

    private static Protocol wrap(Protocol inner, Swallow swallow) {
        return new Protocol() {
            @Override
            public String spec() {
                return inner.spec();
            }

            @Override
            public Node create(int id, Overlay overlay) {
                Node node = inner.create(id, overlay);
                Env[] env = new Env[1];
                return new Node() {
                    @Override
                    public void start(Env e) {
                        env[0] = e;
                        node.start(e);
                    }

                    @Override
                    public void onMessage(int from, Message m) {
                        if (!swallow.drop(id, env[0], m)) {
                            node.onMessage(from, m);
                        }
                    }
                };
            }
        };
    }

    /** Node {@code at} also sends the {@code nth} token it passes to its successor's successor. */
    private static UnaryOperator<Protocol> duplicating(int at, int nth) {
        return inner -> new Protocol() {
            @Override
            public String spec() {
                return inner.spec();
            }

            @Override
            public Node create(int id, Overlay overlay) {
                Node node = inner.create(id, overlay);
                if (id != at) {
                    return node;
                }
                int[] passes = {0};
                return new Node() {
                    @Override
                    public void start(Env env) {
                        node.start(new ForwardingEnv(env) {
                            @Override
                            public void send(int to, Message m) {
                                env.send(to, m);
                                if (m instanceof Message.Token && passes[0]++ == nth) {
                                    env.send((to + 1) % overlay.size(), m);
                                }
                            }
                        });
                    }

                    @Override
                    public void onMessage(int from, Message m) {
                        node.onMessage(from, m);
                    }
                };
            }
        };
    }

    /** Every node incarnation after the first at a position duplicates the first token it passes. */
    private static Protocol duplicatingAfterRestart(Protocol inner) {
        int[] created = new int[64];
        return new Protocol() {
            @Override
            public String spec() {
                return inner.spec();
            }

            @Override
            public Node create(int id, Overlay overlay) {
                Node node = inner.create(id, overlay);
                if (created[id]++ == 0) {
                    return node;
                }
                boolean[] done = {false};
                return new Node() {
                    @Override
                    public void start(Env env) {
                        node.start(new ForwardingEnv(env) {
                            @Override
                            public void send(int to, Message m) {
                                env.send(to, m);
                                if (m instanceof Message.Token && !done[0]) {
                                    done[0] = true;
                                    env.send((to + 1) % overlay.size(), m);
                                }
                            }
                        });
                    }

                    @Override
                    public void onMessage(int from, Message m) {
                        node.onMessage(from, m);
                    }
                };
            }
        };
    }
}
