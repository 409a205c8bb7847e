package dev.ringlab.experiments.watch;

import static dev.ringlab.experiments.watch.WatchTestSupport.events;
import static dev.ringlab.experiments.watch.WatchTestSupport.get;
import static dev.ringlab.experiments.watch.WatchTestSupport.post;
import static dev.ringlab.experiments.watch.WatchTestSupport.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.experiments.Main;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class WatchCommandTest {

    @Test
    void aCrashFromThePageKillsTheNodeTheRingRepairsAndTheReplayLineRecordsIt() throws Exception {
        try (var w = new WatchTestSupport.Running("--engine", "sim", "-n", "8", "--speed", "20", "--seed", "3")) {
            HttpResponse<String> page = get(w.url("/"));
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("watch.js"), page.body());
            assertEquals(200, get(w.url("/watch.js")).statusCode());
            assertEquals(404, get(w.url("/nothing.js")).statusCode());
            assertTrue(get(w.url("/hello")).body().contains("\"n\":8"));
            String[] ev = events(w.url("/events"), 2);
            assertTrue(ev[0].contains("\"mode\":\"live\""), ev[0]);
            assertTrue(ev[1].contains("\"type\":\"state\""), ev[1]);
            LiveState st = w.cmd.state;
            waitFor(() -> st.tokenHops() > 20 && st.ringWhole(), 30_000, "the token to go round");
            assertEquals(400, post(w.url("/control?op=crash&node=99")).statusCode());
            assertEquals(400, post(w.url("/control?op=launch")).statusCode());
            var foreign = WatchTestSupport.HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(w.url("/control?op=crash&node=1")))
                    .header("Origin", "http://evil.example").POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(403, foreign.statusCode(), "a control from another origin");
            assertEquals(200, post(w.url("/control?op=crash&node=3")).statusCode());
            waitFor(() -> st.state(3).equals("dead"), 30_000, "node 3 dead");
            waitFor(st::ringWhole, 30_000, "the ring to repair around node 3");
            long hops = st.tokenHops();
            waitFor(() -> st.tokenHops() > hops + 10, 30_000, "the token to move on the repaired ring");
            assertEquals(200, post(w.url("/control?op=restart&node=3")).statusCode());
            waitFor(() -> st.state(3).equals("alive"), 30_000, "node 3 back");
            assertEquals(0, w.finish());
            String err = w.err.toString();
            assertTrue(err.contains("serving http://127.0.0.1:"), err);
            assertTrue(err.matches("(?s).*replay: ringlab watch .*--faults '?crash:3@[^,]+,restart:3@.*"), err);
        }
    }

    @Test
    void thePageStepsTheSimulatorOneEventAtATime() throws Exception {
        try (var w = new WatchTestSupport.Running("--engine", "sim", "-n", "4", "--speed", "pause", "--protocol", "flood",
                "--topology", "ring")) {
            LiveState st = w.cmd.state;
            waitFor(() -> w.cmd.state != null, 10_000, "state");
            assertEquals(200, post(w.url("/control?op=broadcast&node=0")).statusCode());
            // paused: the injection waits for a step; each step delivers at most one more node
            for (int k = 1; k <= 3; k++) {
                assertEquals(200, post(w.url("/control?op=step")).statusCode());
            }
            waitFor(() -> st.deliveries() >= 2, 10_000, "steps to deliver the broadcast");
            assertTrue(st.deliveries() <= 4, "deliveries " + st.deliveries());
            assertEquals(0, w.finish());
        }
    }

    @Test
    void nettyRunsServeTheSamePage() throws Exception {
        try (var w = new WatchTestSupport.Running("--engine", "netty", "-n", "5", "--duration", "20s")) {
            LiveState st = w.cmd.state;
            waitFor(() -> st.tokenHops() > 10, 20_000, "the token to move on netty");
            assertEquals(400, post(w.url("/control?op=speed&value=10")).statusCode(), "netty runs in real time");
            assertEquals(0, w.finish());
        }
    }

    @Test
    void processesRunsServeThePageAndACrashFromItKillsTheNodeProcess() throws Exception {
        // One JVM per node: the page's crash is a SIGKILL of node 2's process, its restart a new process.
        try (var w = new WatchTestSupport.Running("--engine", "processes", "-n", "4", "--duration", "120s")) {
            waitFor(() -> w.cmd.state != null, 60_000, "the node processes to start");
            LiveState st = w.cmd.state;
            waitFor(() -> st.tokenHops() > 10 && st.ringWhole(), 60_000, "the token to go round on processes");
            assertEquals(200, post(w.url("/control?op=crash&node=2")).statusCode());
            waitFor(() -> st.state(2).equals("dead"), 30_000, "node 2 dead");
            waitFor(st::ringWhole, 30_000, "the ring to repair around node 2");
            long hops = st.tokenHops();
            waitFor(() -> st.tokenHops() > hops + 5, 30_000, "the token to move on the repaired ring");
            assertEquals(200, post(w.url("/control?op=restart&node=2")).statusCode());
            waitFor(() -> st.state(2).equals("alive"), 60_000, "node 2's new process to speak");
            assertEquals(0, w.finish());
            String err = w.err.toString();
            assertTrue(err.matches("(?s).*replay: ringlab watch .*--engine processes.*--faults '?crash:2@[^,]+,restart:2@.*"), err);
        }
    }

    private static final String STUDY = """
            name = "watched"
            [[part]]
            command = "broadcast"
            [part.options]
            n = 12
            protocol = "gossip:3"
            [part.sweep]
            topology = ["ring", "random-regular:4"]
            [[part]]
            command = "recover"
            [part.options]
            n = 6
            crash-nodes = "2"
            respawn-after = "1s"
            seed = 7
            [[part]]
            command = "compare"
            [part.options]
            nodes = "8"
            """;

    @Test
    void aStudyCellIsWatchedAsTheClusterItsCommandWouldRun(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
        java.nio.file.Path file = java.nio.file.Files.writeString(tmp.resolve("watched.toml"), STUDY);
        // Cell 2: broadcast on random-regular:4, n = 12, gossip:3: the overlay and protocol the command builds.
        try (var w = new WatchTestSupport.Running("--study", file.toString(), "--cell", "2", "--speed", "pause")) {
            String hello = get(w.url("/hello")).body();
            assertTrue(hello.contains("\"n\":12") && hello.contains("gossip:3") && hello.contains("random-regular:4"), hello);
            assertEquals(0, w.finish());
            String err = w.err.toString();
            assertTrue(err.contains("cell 2 of 4: ringlab broadcast "), err);
            assertTrue(err.contains("replay: ringlab watch --study " + file + " --cell 2"), err);
        }
        // Cell 3: recover's ring with its crash of node 2 and the respawn 1 s later, from the cell's own code.
        try (var w = new WatchTestSupport.Running("--study", file.toString(), "--cell", "3", "--speed", "max", "--duration", "5s",
                "--faults", "crash:4@3s")) {
            LiveState st = w.cmd.state;
            waitFor(() -> !w.thread.isAlive(), 60_000, "the 5 s of engine time to run");
            assertEquals(0, w.finish());
            String err = w.err.toString();
            assertTrue(err.contains("fault times count from the start here, where recover may count them from the end of its warm-up"), err);
            String snap = st.snapshot();
            assertTrue(snap.contains("crash 2 (--faults)") && snap.contains("restart 2 (--faults)") && snap.contains("crash 4 (--faults)"),
                    "the cell's crash and respawn, and the added crash: " + snap);
            assertEquals("dead", st.state(4));
            assertEquals("alive", st.state(2));
            // The replay line names the cell and only the added fault: the cell's come from the file again.
            assertTrue(err.matches("(?s).*replay: ringlab watch --study \\S+ --cell 3 .*--faults '?crash:4@3s'?.*"), err);
        }
        // What the cell decides is refused here, and so are cells that are not one cluster.
        for (String[] args : new String[][] {{"--engine", "netty"}, {"-n", "5"}, {"--protocol", "flood"}, {"--latency", "const:2ms"}}) {
            StringWriter err = new StringWriter();
            CommandLine cl = Main.commandLine();
            cl.setErr(new PrintWriter(err, true));
            String[] all = new String[args.length + 3];
            all[0] = "watch";
            all[1] = "--study";
            all[2] = file.toString();
            System.arraycopy(args, 0, all, 3, args.length);
            assertEquals(2, cl.execute(all), err.toString());
            assertTrue(err.toString().contains("comes from the study's cell with --study"), err.toString());
        }
        for (String[] args : new String[][] {{"--cell", "9"}, {"--cell", "4"}}) {
            StringWriter err = new StringWriter();
            CommandLine cl = Main.commandLine();
            cl.setErr(new PrintWriter(err, true));
            assertEquals(2, cl.execute("watch", "--study", file.toString(), args[0], args[1]), err.toString());
            assertTrue(err.toString().contains(args[1].equals("9") ? "has cells 1..4, got 9" : "runs compare, which is not one cluster"),
                    err.toString());
            assertEquals(1, err.toString().strip().lines().count(), "one line: " + err);
        }
    }

    @Test
    void refreshSetsHowOftenThePageIsPushedTheState() throws Exception {
        for (String refresh : new String[] {"50ms", "500ms"}) {
            try (var w = new WatchTestSupport.Running("--engine", "sim", "-n", "6", "--speed", "5", "--seed", "3",
                    "--refresh", refresh)) {
                long t0 = System.nanoTime();
                String[] ev = events(w.url("/events"), 7); // hello, then six states
                double ms = (System.nanoTime() - t0) / 1e6;
                assertTrue(ev[6].contains("\"type\":\"state\""), ev[6]);
                // six pushes take at least five intervals, and not much more than six
                if (refresh.equals("50ms")) {
                    assertTrue(ms < 2_000, "six states at --refresh 50ms took " + ms + " ms");
                } else {
                    assertTrue(ms >= 2_400, "six states at --refresh 500ms took only " + ms + " ms");
                }
            }
        }
    }

    @Test
    void aRealEnginesPageIsPushedOnceASecondByDefault() throws Exception {
        try (var w = new WatchTestSupport.Running("--engine", "netty", "-n", "4", "--seed", "3")) {
            events(w.url("/events"), 2); // hello and the first state: now in step with the pushes
            long t0 = System.nanoTime();
            String[] ev = events(w.url("/events"), 4); // hello, then three states
            double ms = (System.nanoTime() - t0) / 1e6;
            assertTrue(ev[3].contains("\"type\":\"state\""), ev[3]);
            assertTrue(ms >= 1_900, "three states on netty's default 1s refresh took only " + ms + " ms");
        }
    }

    @Test
    void badFlagsAreOneLineUsageErrors() {
        for (String[] args : new String[][] {{"--speed", "fast"}, {"--engine", "netty", "--speed", "10"},
            {"--inject", "x@1s"}, {"--replay", "/nonexistent/run.json"}, {"--replay", "ringlab check --nodes 4..8"},
            {"--run-index", "2"}, {"--study", "x.toml", "--run-index", "1"}, {"--cell", "2"}, {"--refresh", "1ms"},
            {"--refresh", "soon"}}) {
            CommandLine cl = Main.commandLine();
            StringWriter err = new StringWriter();
            cl.setErr(new PrintWriter(err, true));
            String[] all = new String[args.length + 1];
            all[0] = "watch";
            System.arraycopy(args, 0, all, 1, args.length);
            int code = cl.execute(all);
            assertEquals(2, code, String.join(" ", args) + ": " + err);
            assertEquals(1, err.toString().strip().lines().count(), err.toString());
            if (List.of(args).contains("--run-index")) {
                assertTrue(err.toString().contains("--run-index: picks a run of a --replay file"), err.toString());
            }
            if (args[0].equals("--refresh")) {
                assertTrue(err.toString().contains("--refresh"), err.toString());
            }
            if (args[0].equals("--cell")) {
                assertTrue(err.toString().contains("--cell: picks a cell of a --study file"), err.toString());
            }
        }
    }
}
