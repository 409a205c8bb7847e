package dev.ringlab.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ringlab.node.MessageType;
import dev.ringlab.node.ProtocolRegistry;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The bounded run of {@link CodecFuzzer} inside {@code mvn verify}: 100,000 codec inputs and 10,000 per
 * pipeline by default. {@code -Dringlab.fuzz.inputs=N} makes it longer (pipelines get N/10 unless
 * {@code -Dringlab.fuzz.pipelineInputs=M}), {@code -Dringlab.fuzz.seed=S} changes the master seed and
 * {@code -Dringlab.fuzz.replay=SEED} replays one failing input (its seed is in the failure message).
 */
@Timeout(1800)
class CodecFuzzTest {
    private static final long INPUTS = Long.getLong("ringlab.fuzz.inputs", 100_000);
    /** A pipeline input costs a channel (about 0.1-0.2 ms): a tenth as many by default keeps verify at a few seconds. */
    private static final long PIPELINE_INPUTS = Long.getLong("ringlab.fuzz.pipelineInputs", INPUTS / 10);
    private static final long MASTER_SEED = Long.decode(System.getProperty("ringlab.fuzz.seed", "0x5eed"));
    private static final String REPLAY = System.getProperty("ringlab.fuzz.replay");

    private static final CodecFuzzer FUZZER = new CodecFuzzer(MASTER_SEED);

    @Test
    void theCorpusHasValidFramesOfEveryRegisteredType() {
        Map<String, Integer> samples = FUZZER.samplesPerType();
        assertTrue(!samples.isEmpty(), "no registered types");
        for (MessageType<?> t : ProtocolRegistry.standard().messageTypes()) {
            assertTrue(samples.getOrDefault(t.name(), 0) > 0, "no corpus frame of type " + t + ": " + samples);
        }
    }

    @Test
    void codecDecodeThrowsOnlyCodecExceptionAndAllocatesBoundedly() {
        fuzz(CodecFuzzer.Target.CODEC);
    }

    @Test
    void acceptorPipelineRejectsEveryMutatedStreamCleanly() {
        fuzz(CodecFuzzer.Target.ACCEPTOR_PIPELINE);
    }

    @Test
    void trustedPipelineRejectsEveryMutatedStreamCleanly() {
        fuzz(CodecFuzzer.Target.TRUSTED_PIPELINE);
    }

    private static void fuzz(CodecFuzzer.Target target) {
        if (REPLAY != null) {
            CodecFuzzer.Outcome o = FUZZER.one(target, Long.decode(REPLAY));
            assertNull(o.failure(), () -> o.failure().describe());
            return;
        }
        long t0 = System.nanoTime();
        long inputs = target == CodecFuzzer.Target.CODEC ? INPUTS : PIPELINE_INPUTS;
        CodecFuzzer.Result r = FUZZER.run(target, MASTER_SEED, inputs);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("fuzz %s: %d inputs (corpus %d frames, master seed 0x%x) in %d ms: %d messages decoded, "
                + "%d inputs rejected, max %d bytes allocated per input%n", target, r.inputs(), FUZZER.corpusSize(),
                MASTER_SEED, ms, r.decoded(), r.rejected(), r.maxAllocatedBytes());
        assertNull(r.failure(), () -> r.failure().describe());
        assertEquals(inputs, r.inputs());
        // the mutations must reach both outcomes, or the run proves little
        assertTrue(r.decoded() > 0 && r.rejected() > 0,
                "decoded " + r.decoded() + ", rejected " + r.rejected() + " of " + r.inputs());
    }
}
