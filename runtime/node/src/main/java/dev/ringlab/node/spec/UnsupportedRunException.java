package dev.ringlab.node.spec;

/**
 * An engine cannot apply one field of a {@link RunSpec} (or one fault of its plan). {@link #field} names
 * the run-spec field ({@code latency}, {@code loss}, {@code faults}, {@code processing}, {@code protocol},
 * {@code overlay}) so the CLI can name its flag; the message says why and what to use instead.
 */
public final class UnsupportedRunException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String field;

    public UnsupportedRunException(String field, String message) {
        super(message);
        this.field = field;
    }

    /** The run-spec field that cannot be applied. */
    public String field() {
        return field;
    }
}
