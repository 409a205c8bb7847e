package dev.ringlab.experiments.watch;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriverException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.FluentWait;

/**
 * A headless Debian chromium driven by Selenium through the system chromedriver, with the few lookups the watch
 * tests need by CSS selector. The driver's path is given explicitly, so Selenium Manager is never asked to find
 * or download one (no network access at test time).
 */
final class Chromium implements AutoCloseable {
    private final ChromeDriver driver;

    Chromium(String chromedriver, String chromium, int width, int height) {
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(chromedriver))
                .usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions().setBinary(chromium)
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                        "--window-size=" + width + "," + height);
        driver = new ChromeDriver(service, options);
    }

    void get(String url) {
        driver.get(url);
    }

    /** Elements matching {@code css}, possibly none. */
    List<WebElement> all(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    /** An attribute of the first element matching {@code css} as the page's DOM has it, null when absent. */
    String attribute(String css, String name) {
        return driver.findElement(By.cssSelector(css)).getDomAttribute(name);
    }

    String text(String css) {
        return driver.findElement(By.cssSelector(css)).getText();
    }

    boolean displayed(String css) {
        return driver.findElement(By.cssSelector(css)).isDisplayed();
    }

    void click(String css) {
        driver.findElement(By.cssSelector(css)).click();
    }

    Object script(String js) {
        return ((JavascriptExecutor) driver).executeScript(js);
    }

    void screenshot(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
    }

    /**
     * Polls {@code condition} (null or false: not yet; a lookup that fails: not yet) every 50 ms for at most
     * {@code seconds}; returns its first non-null, non-false value, or fails naming {@code what}.
     */
    <T> T until(int seconds, String what, Function<Chromium, T> condition) {
        try {
            return new FluentWait<>(this).withTimeout(Duration.ofSeconds(seconds)).pollingEvery(Duration.ofMillis(50))
                    .ignoring(WebDriverException.class).withMessage(() -> "waiting for " + what).until(condition);
        } catch (org.openqa.selenium.TimeoutException e) {
            throw new AssertionError("timed out after " + seconds + " s waiting for " + what, e);
        }
    }

    @Override
    public void close() {
        driver.quit(); // ends the session, chromium and the chromedriver process
    }
}
