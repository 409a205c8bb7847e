package dev.ringlab.experiments.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The watch page in a real browser: Debian's chromium, headless, driven by Selenium through the system
 * chromedriver ({@link Chromium}; no driver download). Skipped where {@value #DRIVER}
 * is absent; CI installs it. Screenshots go to {@code target/watch*.png} (the README's pictures in docs/ are
 * copies of them).
 */
class WatchBrowserTest {
    static final String DRIVER = "/usr/bin/chromedriver";
    static final String CHROMIUM = "/usr/bin/chromium";
    private static Chromium browser;

    @BeforeAll
    static void browser() throws Exception {
        assumeTrue(Files.isExecutable(Path.of(DRIVER)) && Files.isExecutable(Path.of(CHROMIUM)),
                "no " + DRIVER + " or " + CHROMIUM + ": install Debian's chromium and chromium-driver (apt-get install -y "
                        + "chromium chromium-driver) to run the browser test of ringlab watch");
        browser = new Chromium(DRIVER, CHROMIUM, 1500, 1150);
    }

    @AfterAll
    static void quit() throws InterruptedException {
        if (browser != null) {
            browser.close();
        }
    }

    @Test
    void thePageShowsTheRingTheTokenMovesAndACrashFromThePageIsRepaired() throws Exception {
        try (var w = new WatchTestSupport.Running("--engine", "sim", "-n", "12", "--speed", "5", "--seed", "3",
                "--protocol", "healing:r=2", "--topology", "successor-ring:2")) {
            Chromium b = browser;
            b.get(w.url("/"));
            b.until(30, "12 nodes on the page", d -> d.all("circle.node").size() == 12);
            String first = b.until(30, "the token on the page", d -> {
                String n = d.attribute("#token", "data-node");
                return n != null && !n.equals("-1") ? n : null;
            });
            b.until(30, "the token to move", d -> !first.equals(d.attribute("#token", "data-node")));
            b.until(30, "a whole ring", d -> d.text("#ring").equals("whole"));
            b.click("circle.node[data-id='5']");
            assertEquals("5", b.text("#selected"));
            b.click("#b-crash");
            b.until(30, "node 5 dead on the page", d -> "dead".equals(d.attribute("circle.node[data-id='5']", "data-state")));
            // repaired: node 4 passes the token around the dead node, and the ring is whole again
            b.until(30, "the ring to repair around node 5", d -> "6".equals(d.attribute("circle.node[data-id='4']", "data-succ"))
                    && d.text("#ring").equals("whole"));
            String after = b.attribute("#token", "data-node");
            b.until(30, "the token to move on the repaired ring", d -> !after.equals(d.attribute("#token", "data-node")));
            b.until(10, "the crash in the replay line", d -> d.text("#replay").contains("crash:5@"));
            b.screenshot(Path.of("target", "watch.png"));
            // Leaving the page closes its push channel (a page kept frozen in the back/forward cache would
            // otherwise keep its connection, and the server would push to it for good).
            assertEquals(1, w.cmd.server.clients(), "the page's push connection");
            b.get("about:blank");
            WatchTestSupport.waitFor(() -> w.cmd.server.clients() == 0, 10_000, "the server to see the page leave");
        }
    }

    @Test
    void replaySteppingReachesTheViolation() throws Exception {
        Replayed r = ReplayTest.failingCheck();
        WatchCommand cmd = new WatchCommand();
        StringWriter err = new StringWriter();
        Thread t = new Thread(() -> {
            try {
                cmd.serve(r, new PrintWriter(err, true));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "watch-replay-under-test");
        t.setDaemon(true);
        t.start();
        try {
            WatchTestSupport.waitFor(() -> cmd.server != null, 30_000, "the replay server");
            Chromium b = browser;
            b.get("http://127.0.0.1:" + cmd.server.port() + "/");
            b.until(30, "event 0", d -> "0".equals(d.attribute("#event", "data-index")));
            b.click("#r-fwd");
            b.until(10, "event 1", d -> "1".equals(d.attribute("#event", "data-index")));
            b.click("#r-back");
            b.until(10, "back at event 0", d -> "0".equals(d.attribute("#event", "data-index")));
            int v = r.recording().violationIndex();
            assertTrue(v > 0);
            b.until(10, "the violation button", d -> d.displayed("#r-violation"));
            b.click("#r-violation");
            b.until(10, "the violation's event", d -> Integer.toString(v).equals(d.attribute("#event", "data-index")));
            assertEquals("yes", b.attribute("#violation", "data-here"));
            assertTrue(b.text("#violation").contains("at most one token per epoch"), b.text("#violation"));
            assertEquals(1, b.all("#viol-line").size(), "the space-time diagram marks the violation");
            b.click("#r-back");
            b.until(10, "one event before the violation", d -> Integer.toString(v - 1).equals(d.attribute("#event", "data-index")));
            assertEquals("no", b.attribute("#violation", "data-here"));
            b.click("#r-fwd");
            b.until(10, "the violation again", d -> Integer.toString(v).equals(d.attribute("#event", "data-index")));
            b.screenshot(Path.of("target", "watch-replay.png"));
        } finally {
            cmd.stop();
            t.join(10_000);
        }
    }
}
