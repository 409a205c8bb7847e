package dev.ringlab.experiments.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The watch page in a real browser: Debian's chromium, headless, driven through the system chromedriver
 * (no driver download). Skipped where {@value #DRIVER} is absent; CI installs it. Screenshots go to
 * {@code target/watch*.png} (the README's pictures in docs/ are copies of them).
 */
class WatchBrowserTest {
    static final String DRIVER = "/usr/bin/chromedriver";
    static final String CHROMIUM = "/usr/bin/chromium";
    private static WebDriver driver;

    @BeforeAll
    static void browser() {
        assumeTrue(Files.isExecutable(Path.of(DRIVER)) && Files.isExecutable(Path.of(CHROMIUM)),
                "no " + DRIVER + " or " + CHROMIUM + ": install Debian's chromium and chromium-driver (apt-get install -y "
                        + "chromium chromium-driver) to run the browser test of ringlab watch");
        ChromeOptions o = new ChromeOptions();
        o.setBinary(CHROMIUM);
        o.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1500,1150");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(DRIVER)).build();
        driver = new ChromeDriver(service, o);
    }

    @AfterAll
    static void quit() {
        if (driver != null) {
            driver.quit();
        }
    }

    private static WebDriverWait waiting(int seconds) {
        return new WebDriverWait(driver, Duration.ofSeconds(seconds), Duration.ofMillis(50));
    }

    private static void screenshot(String name) throws Exception {
        Path shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath();
        Files.createDirectories(Path.of("target"));
        Files.copy(shot, Path.of("target", name), StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void thePageShowsTheRingTheTokenMovesAndACrashFromThePageIsRepaired() throws Exception {
        try (var w = new WatchTestSupport.Running("--engine", "sim", "-n", "12", "--speed", "5", "--seed", "3",
                "--protocol", "healing:r=2", "--topology", "successor-ring:2")) {
            driver.get(w.url("/"));
            waiting(30).until(d -> d.findElements(By.cssSelector("circle.node")).size() == 12);
            String first = waiting(30).until(d -> {
                String n = d.findElement(By.id("token")).getAttribute("data-node");
                return n != null && !n.equals("-1") ? n : null;
            });
            waiting(30).until(d -> !first.equals(d.findElement(By.id("token")).getAttribute("data-node")));
            waiting(30).until(d -> d.findElement(By.id("ring")).getText().equals("whole"));
            driver.findElement(By.cssSelector("circle.node[data-id='5']")).click();
            assertEquals("5", driver.findElement(By.id("selected")).getText());
            driver.findElement(By.id("b-crash")).click();
            waiting(30).until(d -> "dead".equals(d.findElement(By.cssSelector("circle.node[data-id='5']")).getAttribute("data-state")));
            // repaired: node 4 passes the token around the dead node, and the ring is whole again
            waiting(30).until(d -> "6".equals(d.findElement(By.cssSelector("circle.node[data-id='4']")).getAttribute("data-succ"))
                    && d.findElement(By.id("ring")).getText().equals("whole"));
            String after = driver.findElement(By.id("token")).getAttribute("data-node");
            waiting(30).until(d -> !after.equals(d.findElement(By.id("token")).getAttribute("data-node")));
            waiting(10).until(d -> d.findElement(By.id("replay")).getText().contains("crash:5@"));
            screenshot("watch.png");
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
            driver.get("http://127.0.0.1:" + cmd.server.port() + "/");
            waiting(30).until(d -> "0".equals(d.findElement(By.id("event")).getAttribute("data-index")));
            driver.findElement(By.id("r-fwd")).click();
            waiting(10).until(d -> "1".equals(d.findElement(By.id("event")).getAttribute("data-index")));
            driver.findElement(By.id("r-back")).click();
            waiting(10).until(d -> "0".equals(d.findElement(By.id("event")).getAttribute("data-index")));
            int v = r.recording().violationIndex();
            assertTrue(v > 0);
            waiting(10).until(d -> d.findElement(By.id("r-violation")).isDisplayed());
            driver.findElement(By.id("r-violation")).click();
            waiting(10).until(d -> Integer.toString(v).equals(d.findElement(By.id("event")).getAttribute("data-index")));
            assertEquals("yes", driver.findElement(By.id("violation")).getAttribute("data-here"));
            assertTrue(driver.findElement(By.id("violation")).getText().contains("at most one token per epoch"));
            assertTrue(driver.findElements(By.id("viol-line")).size() == 1, "the space-time diagram marks the violation");
            // step back from the violation and forward again with the keyboard's arrows
            driver.findElement(By.id("r-back")).click();
            waiting(10).until(d -> Integer.toString(v - 1).equals(d.findElement(By.id("event")).getAttribute("data-index")));
            assertEquals("no", driver.findElement(By.id("violation")).getAttribute("data-here"));
            driver.findElement(By.id("r-fwd")).click();
            waiting(10).until(d -> Integer.toString(v).equals(d.findElement(By.id("event")).getAttribute("data-index")));
            screenshot("watch-replay.png");
        } finally {
            cmd.stop();
            t.join(10_000);
        }
    }
}
