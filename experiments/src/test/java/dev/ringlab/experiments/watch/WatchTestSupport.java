package dev.ringlab.experiments.watch;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.experiments.Main;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.BooleanSupplier;
import picocli.CommandLine;

/** Runs {@code ringlab watch} in-process on its own thread and talks to its server over real HTTP. */
final class WatchTestSupport {
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private WatchTestSupport() {}

    /** A watch command running on its own thread. */
    static final class Running implements AutoCloseable {
        final WatchCommand cmd;
        final Thread thread;
        final StringWriter err = new StringWriter();
        final int[] code = {-1};

        Running(String... args) {
            CommandLine cl = Main.commandLine();
            cmd = (WatchCommand) cl.getSubcommands().get("watch").getCommand();
            cl.setErr(new PrintWriter(err, true));
            cl.setOut(new PrintWriter(new StringWriter(), true));
            String[] all = new String[args.length + 1];
            all[0] = "watch";
            System.arraycopy(args, 0, all, 1, args.length);
            thread = new Thread(() -> code[0] = cl.execute(all), "watch-under-test");
            thread.setDaemon(true);
            thread.start();
            waitFor(() -> cmd.server != null || !thread.isAlive(), 60_000, "the server to start");
            assertNotNull(cmd.server, "watch did not start: " + err);
        }

        String url(String path) {
            return "http://127.0.0.1:" + cmd.server.port() + path;
        }

        /** Stops the run and waits for the command to return; its exit code. */
        int finish() throws InterruptedException {
            cmd.stop();
            thread.join(60_000);
            assertTrue(!thread.isAlive(), "watch did not stop: " + err);
            return code[0];
        }

        @Override
        public void close() throws InterruptedException {
            if (thread.isAlive()) {
                finish();
            }
        }
    }

    static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The first {@code count} data lines of the push channel (the hello event's included). */
    static String[] events(String url, int count) throws Exception {
        HttpResponse<InputStream> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        String[] out = new String[count];
        try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            int k = 0;
            String line;
            while (k < count && (line = in.readLine()) != null) {
                if (line.startsWith("data: ")) {
                    out[k++] = line.substring(6);
                }
            }
        }
        return out;
    }

    /** Polls {@code condition} every 20 ms for at most {@code timeoutMs} of wall time (real threads: no virtual clock here). */
    static void waitFor(BooleanSupplier condition, long timeoutMs, String what) {
        long end = System.nanoTime() + timeoutMs * 1_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end > 0) {
                throw new AssertionError("timed out after " + timeoutMs + " ms waiting for " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
