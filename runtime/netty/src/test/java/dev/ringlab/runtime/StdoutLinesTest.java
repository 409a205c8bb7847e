package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ringlab.node.Observation;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class StdoutLinesTest {
    /**
     * The node's loop must not block on a parent that does not read: 20,000 observations (far more than the
     * 1 KiB pipe holds) are queued while nobody reads, then read back complete and in order, interleaved
     * with event lines exactly as they were queued.
     */
    @Test
    @Timeout(60)
    void emitNeverBlocksOnAFullPipeAndEveryLineComesOutInOrder() throws Exception {
        PipedInputStream in = new PipedInputStream(1024);
        PrintStream out = new PrintStream(new PipedOutputStream(in), false, StandardCharsets.UTF_8);
        StdoutLines lines = new StdoutLines(out, "test-stdout");
        int k = 20_000;
        for (int i = 0; i < k; i++) {
            lines.emit(new Observation.Tick(3, i, i * 1000L));
            if (i % 5000 == 0) {
                lines.emit(ObservationJson.MAPPER.createObjectNode().put("event", "mark").put("at", i));
            }
        }
        // Reached only if no emit blocked (the pipe has been full since the first few lines).
        Thread closer = Thread.ofPlatform().start(lines::close);
        List<JsonNode> got = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            while (got.size() < k + 4) {
                String line = r.readLine();
                assertTrue(line != null, "the stream ended after " + got.size() + " lines");
                got.add(ObservationJson.MAPPER.readTree(line));
            }
        }
        closer.join();
        assertEquals(k + 4, got.size());
        int tick = 0;
        for (int i = 0; i < got.size(); i++) {
            JsonNode j = got.get(i);
            if (j.path("event").asText().equals("mark")) {
                assertEquals(tick - 1, j.path("at").asInt(), "a mark out of place at line " + i);
            } else {
                assertEquals("observation", j.path("event").asText(), j.toString());
                assertEquals(tick, j.path("tick").asLong(), "line " + i + ": " + j);
                tick++;
            }
        }
        assertEquals(k, tick);
    }

    /**
     * Beyond {@link StdoutLines#MAX_QUEUED} lines an emitting thread waits for the writer instead of filling the
     * node's heap; once the parent reads again it goes on, and no line is lost or out of order.
     */
    @Test
    @Timeout(60)
    void beyondTheQueueLimitAnEmitterWaitsForTheParentAndNothingIsLost() throws Exception {
        PipedInputStream in = new PipedInputStream(1024);
        PrintStream out = new PrintStream(new PipedOutputStream(in), false, StandardCharsets.UTF_8);
        StdoutLines lines = new StdoutLines(out, "test-stdout-limit");
        int k = StdoutLines.MAX_QUEUED + 5_000;
        AtomicInteger emitted = new AtomicInteger();
        Thread emitter = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < k; i++) {
                lines.emit(new Observation.Tick(1, i, i));
                emitted.incrementAndGet();
            }
        });
        // Nobody reads: the emitter stops at the limit (plus what the writer holds and the pipe took).
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (emitter.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(Thread.State.WAITING, emitter.getState(), "the emitter waits at the limit; emitted " + emitted.get());
        assertTrue(emitted.get() < k, "emitted " + emitted.get() + " of " + k + " with nobody reading");
        assertTrue(emitted.get() >= StdoutLines.MAX_QUEUED, "emitted only " + emitted.get() + " before waiting");
        long tick = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            while (tick < k) {
                String line = r.readLine();
                assertTrue(line != null, "the stream ended after " + tick + " lines");
                assertEquals(tick, ObservationJson.MAPPER.readTree(line).path("tick").asLong(), "line " + tick);
                tick++;
                if (tick == k - 1) {
                    emitter.join();
                    lines.close();
                }
            }
        }
        assertEquals(k, emitted.get());
        assertEquals(k, tick);
    }
}
