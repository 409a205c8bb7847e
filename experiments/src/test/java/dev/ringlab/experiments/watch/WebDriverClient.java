package dev.ringlab.experiments.watch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * A small W3C WebDriver client (https://www.w3.org/TR/webdriver2/) for the system chromedriver, driving a
 * headless chromium: sessions, navigation, CSS lookups, attributes, text, clicks, scripts, screenshots.
 *
 * <p>Why not Selenium: its jars (selenium-java and dependencies) made the experiments module's test class path
 * over 7 KB, which the {@code processes} engine hands to each child JVM as {@code -cp}; the JDK's
 * {@code ProcessHandle.Info.arguments()} comes back empty for such long command lines on Linux, and the
 * tests that find node processes by their arguments (TokenCommandTest) then found none. The few WebDriver
 * calls these tests need are plain HTTP + JSON, on what the module already has.
 */
final class WebDriverClient implements AutoCloseable {
    private static final String ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final Process driver;
    private final String base;
    private final String session;

    WebDriverClient(String chromedriver, String chromium, int width, int height) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        driver = new ProcessBuilder(chromedriver, "--port=" + port).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        base = "http://127.0.0.1:" + port;
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                if (call("GET", "/status", null).path("ready").asBoolean()) {
                    break;
                }
            } catch (IOException e) {
                // not listening yet
            }
            if (System.nanoTime() - end > 0 || !driver.isAlive()) {
                driver.destroyForcibly();
                throw new IllegalStateException("chromedriver did not become ready on port " + port);
            }
            Thread.sleep(50);
        }
        ObjectNode caps = JSON.createObjectNode();
        ObjectNode always = caps.putObject("capabilities").putObject("alwaysMatch");
        always.put("browserName", "chrome");
        ObjectNode chrome = always.putObject("goog:chromeOptions");
        chrome.put("binary", chromium);
        ArrayNode args = chrome.putArray("args");
        for (String a : List.of("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=" + width + "," + height)) {
            args.add(a);
        }
        session = call("POST", "/session", caps).path("sessionId").asText();
    }

    private JsonNode call(String method, String path, JsonNode body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json");
        b.method(method, body == null ? (method.equals("POST") ? HttpRequest.BodyPublishers.ofString("{}")
                : HttpRequest.BodyPublishers.noBody()) : HttpRequest.BodyPublishers.ofString(body.toString()));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode v = JSON.readTree(r.body()).path("value");
        if (r.statusCode() != 200) {
            throw new IllegalStateException("webdriver " + method + " " + path + ": " + r.statusCode() + " " + v.path("message").asText());
        }
        return v;
    }

    private JsonNode s(String method, String path, JsonNode body) {
        try {
            return call(method, "/session/" + session + path, body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    void get(String url) {
        s("POST", "/url", JSON.createObjectNode().put("url", url));
    }

    /** Element ids matching {@code css}, possibly none. */
    List<String> all(String css) {
        JsonNode v = s("POST", "/elements", JSON.createObjectNode().put("using", "css selector").put("value", css));
        List<String> out = new ArrayList<>();
        v.forEach(e -> out.add(e.path(ELEMENT).asText()));
        return out;
    }

    /** The first element matching {@code css}. @throws IllegalStateException if none does */
    String one(String css) {
        List<String> a = all(css);
        if (a.isEmpty()) {
            throw new IllegalStateException("no element " + css);
        }
        return a.get(0);
    }

    String attribute(String css, String name) {
        JsonNode v = s("GET", "/element/" + one(css) + "/attribute/" + name, null);
        return v.isNull() ? null : v.asText();
    }

    String text(String css) {
        return s("GET", "/element/" + one(css) + "/text", null).asText();
    }

    boolean displayed(String css) {
        return s("GET", "/element/" + one(css) + "/displayed", null).asBoolean();
    }

    void click(String css) {
        s("POST", "/element/" + one(css) + "/click", null);
    }

    Object script(String js) {
        JsonNode v = s("POST", "/execute/sync", JSON.createObjectNode().put("script", js).set("args", JSON.createArrayNode()));
        return v.isNumber() ? v.numberValue() : v.isNull() ? null : v.asText();
    }

    void screenshot(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, Base64.getDecoder().decode(s("GET", "/screenshot", null).asText()));
    }

    /**
     * Polls {@code condition} (null or false: not yet; a lookup that fails: not yet) every 50 ms for at most
     * {@code seconds} of wall time; returns its first non-null, non-false value.
     */
    <T> T until(int seconds, String what, Function<WebDriverClient, T> condition) {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        RuntimeException last = null;
        while (System.nanoTime() - end < 0) {
            try {
                T v = condition.apply(this);
                if (v != null && !Boolean.FALSE.equals(v)) {
                    return v;
                }
            } catch (IllegalStateException e) {
                last = e;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
        throw new AssertionError("timed out after " + seconds + " s waiting for " + what + (last == null ? "" : " (" + last.getMessage() + ")"));
    }

    @Override
    public void close() throws InterruptedException {
        try {
            s("DELETE", "", null);
        } catch (RuntimeException e) {
            // the browser is gone already: ending the driver ends the rest
        }
        // chromium's processes are the driver's children: wait for them to go before the driver itself
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (driver.descendants().findAny().isPresent() && System.nanoTime() - end < 0) {
            Thread.sleep(50);
        }
        driver.descendants().forEach(ProcessHandle::destroyForcibly);
        driver.destroy();
        if (!driver.waitFor(10, TimeUnit.SECONDS)) {
            driver.destroyForcibly();
            driver.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
