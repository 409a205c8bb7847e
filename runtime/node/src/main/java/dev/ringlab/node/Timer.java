package dev.ringlab.node;

/** A scheduled task returned by {@link Env#schedule}. */
public interface Timer {
    /** Cancels the task if it has not run yet; idempotent. Returns true if this call cancelled it. */
    boolean cancel();
}
