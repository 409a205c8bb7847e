package dev.ringlab.experiments;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ringlab.node.spec.FaultPlan;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ringlab check}: R seeded simulations in the style of TigerBeetle's VOPR (see {@link SwarmRun}):
 * each run's seed is drawn from the master seed and draws its own size, topology, protocol and fault plan;
 * a fault phase, a heal, a liveness phase; invariants after every event. A violation prints the run's seed,
 * its plan and the one command that replays it; {@code --shrink} first reduces the plan by delta debugging.
 * Exit 1 if any run failed.
 */
@Command(
        name = "check",
        mixinStandardHelpOptions = true,
        header = "Swarm-test the healing ring on the simulator under random fault plans; replay or shrink failures.",
        description = {
            "Swarm-tests the healing ring and flooding on the simulator: R runs, each with a size, topology,",
            "link model and fault plan drawn from its own seed (drawn from --seed); a fault phase (2 s of",
            "crashes, partitions, slow nodes, loss bursts), then a heal (every crashed node restarted), then a",
            "liveness phase. Checked after every event: at most one token per epoch, ticks never go back,",
            "no broadcast delivered twice. After the heal: the ring rotates whole with one token and converged",
            "views; every broadcast sent after stabilisation reaches every live node.",
            "A violation prints the seed, the plan and the command that replays it (--run-seed, --faults).",
            "",
            "--json fields: runs, violations, failing_seeds, invariants_checked, wall_ms, seed, nodes,",
            "virtual_s, failures [{seed, setup, violation, plan, shrunk_plan, replay}]."
        })
public final class CheckCommand implements Callable<Integer> {
    private static final Pattern RANGE = Pattern.compile("(\\d{1,7})\\.\\.(\\d{1,7})");

    @Spec
    CommandSpec spec;

    @Option(names = "--runs", paramLabel = "R", description = "Runs (default: ${DEFAULT-VALUE}).")
    int runs = 100;

    @Option(names = "--seed", description = "Master seed: run i's seed is its i-th draw (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--nodes", paramLabel = "MIN..MAX", description = "Cluster sizes drawn from (default: ${DEFAULT-VALUE}).")
    String nodes = "4..16";

    @Option(names = "--shrink", description = "Reduce each failing plan to a minimal one (delta debugging).")
    boolean shrink;

    @Option(names = "--run-seed", paramLabel = "S",
            description = "Replay one run by its own seed (what a violation prints) instead of drawing --runs.")
    Long runSeed;

    @Option(names = "--faults", paramLabel = "PLAN",
            description = "With --run-seed: this fault plan instead of the drawn one (e.g. a shrunk plan).")
    String faults;

    @Option(names = "--threads", paramLabel = "T", description = ParallelCells.HELP)
    Integer threads;

    @Option(names = "--json", description = "Print one JSON object on stdout.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Matcher m = RANGE.matcher(nodes.trim());
        if (!m.matches()) {
            throw new UsageException("--nodes", "needs MIN..MAX, e.g. 4..16, got '" + nodes + "'");
        }
        int minN = Integer.parseInt(m.group(1));
        int maxN = Integer.parseInt(m.group(2));
        if (minN < 3 || maxN < minN || maxN > 4096) {
            throw new UsageException("--nodes", "needs 3 <= MIN <= MAX <= 4096, got " + nodes);
        }
        if (runs < 1) {
            throw new UsageException("--runs", "needs at least 1 run, got " + runs);
        }
        FaultPlan override = null;
        if (faults != null) {
            if (runSeed == null) {
                throw new UsageException("--faults", "replaces the drawn plan of one run: give --run-seed too");
            }
            try {
                override = FaultPlan.parse(faults);
                override.check(minN);
            } catch (IllegalArgumentException e) {
                throw new UsageException("--faults", e.getMessage());
            }
        }
        List<Long> seeds = new ArrayList<>();
        if (runSeed != null) {
            seeds.add(runSeed);
        } else {
            SplittableRandom master = new SplittableRandom(seed);
            for (int i = 0; i < runs; i++) {
                seeds.add(master.nextLong());
            }
        }
        // Every run is a simulation of its own (its seed, its cluster, its virtual clock): they run in parallel and are
        // then taken in seed order, so the output is the same on any number of threads, wall time aside.
        int cellThreads = ParallelCells.threads(threads, Engines.byName("sim"), 0);
        err.println("ringlab check: runs=" + seeds.size() + " seed=" + seed + " nodes=" + minN + ".." + maxN
                + (runSeed != null ? " run-seed=" + runSeed : "") + (override != null ? " faults=" + override : "")
                + " shrink=" + shrink + " fault-phase=" + SwarmRun.FAULT_HORIZON_NANOS / SwarmRun.MS + "ms threads=" + cellThreads);
        err.flush();
        long wallStart = System.nanoTime();
        long invariants = 0;
        long virtualNanos = 0;
        List<Map<String, Object>> failures = new ArrayList<>();
        List<Long> failingSeeds = new ArrayList<>();
        AtomicInteger finished = new AtomicInteger();
        FaultPlan given = override;
        List<Outcome> outcomes = ParallelCells.map(seeds, cellThreads, s -> {
            SwarmRun.Setup setup = SwarmRun.draw(s, minN, maxN, given);
            SwarmRun.Result r = SwarmRun.run(setup);
            FaultPlan small = r.failed() && shrink ? SwarmRun.shrink(s, minN, maxN, setup.plan(), 200) : null;
            int done = finished.incrementAndGet();
            if (!json && seeds.size() >= 100 && done % (seeds.size() / 10) == 0) {
                synchronized (err) {
                    err.printf(Locale.ROOT, "check: %d/%d runs, %.1f s%n", done, seeds.size(), (System.nanoTime() - wallStart) / 1e9);
                    err.flush();
                }
            }
            return new Outcome(s, setup, r, small);
        });
        int done = 0;
        for (Outcome o : outcomes) {
            long s = o.seed();
            SwarmRun.Setup setup = o.setup();
            SwarmRun.Result r = o.result();
            invariants += Math.max(0, r.invariantsChecked());
            virtualNanos += Math.max(0, r.virtualNanos());
            done++;
            if (r.failed()) {
                failingSeeds.add(s);
                Map<String, Object> f = new LinkedHashMap<>();
                f.put("seed", s);
                f.put("setup", setup.describe());
                f.put("violation", r.violation());
                f.put("plan", setup.plan().toString());
                FaultPlan replayPlan = override;
                if (shrink) {
                    f.put("shrunk_plan", o.shrunk().toString());
                    replayPlan = o.shrunk();
                }
                String replay = "ringlab check --run-seed " + s + " --nodes " + minN + ".." + maxN
                        + (replayPlan != null ? " --faults \"" + (replayPlan.isEmpty() ? "none" : replayPlan) + "\"" : "");
                f.put("replay", replay);
                failures.add(f);
                err.println("VIOLATION in run " + done + " (seed " + s + "): " + r.violation());
                err.println("  setup:  " + setup.describe());
                if (shrink) {
                    err.println("  shrunk: " + f.get("shrunk_plan"));
                }
                err.println("  replay: " + replay);
                err.flush();
            }
        }
        double wallMs = (System.nanoTime() - wallStart) / 1e6;
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("runs", seeds.size());
            o.put("violations", failures.size());
            o.put("failing_seeds", failingSeeds);
            o.put("invariants_checked", invariants);
            o.put("wall_ms", wallMs);
            o.put("seed", seed);
            o.put("nodes", minN + ".." + maxN);
            o.put("virtual_s", virtualNanos / 1e9);
            o.put("failures", failures);
            o.put("threads", cellThreads);
            out.println(new ObjectMapper().writeValueAsString(o));
        } else {
            out.printf(Locale.ROOT, "check: %d runs, %d violations, %d invariant checks, %.1f s of virtual time in %.1f s%n",
                    seeds.size(), failures.size(), invariants, virtualNanos / 1e9, wallMs / 1e3);
            for (Map<String, Object> f : failures) {
                out.println("  seed " + f.get("seed") + ": " + f.get("violation"));
                out.println("    plan:   " + f.get("plan"));
                out.println("    replay: " + f.get("replay"));
            }
        }
        out.flush();
        return failures.isEmpty() ? 0 : 1;
    }

    /** One run's draw and result (and its shrunk plan, with --shrink and a violation). */
    private record Outcome(long seed, SwarmRun.Setup setup, SwarmRun.Result result, FaultPlan shrunk) {}
}
