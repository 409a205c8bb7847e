package dev.ringlab.node;

/**
 * The SplitMix64 finaliser (Steele, Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA
 * 2014; the constants of {@link java.util.SplittableRandom}): a bijective 64-bit mix in which every input
 * bit affects every output bit. ringlab splits its per-node, per-link and per-message streams from one run
 * seed with it, and digests sets with it; one copy here, so every engine splits the same way.
 */
public final class SplitMix {
    /** The golden-ratio increment of SplitMix64, used to step a seed before mixing. */
    public static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    private SplitMix() {}

    /** The SplitMix64 finaliser of {@code z} ("mix64"). */
    public static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
