package dev.ringlab.node;

/** A frame that is not a valid encoding of a {@link Message}: wrong version, unknown type, truncated. */
public final class CodecException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CodecException(String message) {
        super(message);
    }
}
