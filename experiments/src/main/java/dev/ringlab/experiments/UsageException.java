package dev.ringlab.experiments;

/**
 * Bad input that picocli's own parsing cannot see (a topology that does not fit n, a malformed latency
 * spec). {@link Main} prints its message on one line, prefixed with the command name, and exits 2.
 * The message names the flag and what is allowed, e.g.
 * {@code "--nodes: margulis needs a perfect square n = m*m, got 10"}.
 */
public final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }

    public UsageException(String flag, String message) {
        super(flag + ": " + message);
    }

    /**
     * Parses a duration flag such as {@code --drain 10s}.
     *
     * @throws UsageException naming {@code flag} and the allowed units if {@code text} is not a duration
     */
    public static long durationNanos(String flag, String text) {
        try {
            return dev.ringlab.node.spec.Durations.parseNanos(text);
        } catch (IllegalArgumentException e) {
            throw new UsageException(flag, e.getMessage());
        }
    }
}
