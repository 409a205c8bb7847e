package dev.ringlab.runtime;

import io.netty.util.internal.PlatformDependent;

/**
 * Netty's Flight Recorder events, off unless the user sets {@value #PROPERTY} (to {@code true}, to record them with
 * JFR).
 *
 * <p>Netty 4.2's buffer allocator declares JFR events ({@code io.netty.buffer.ReallocateBufferEvent} and others) and
 * asks whether each is enabled the first time its path runs. That first question makes the JVM register the event
 * type with JFR: class loading, reflection over the event's annotations, and a burst of compilations. On processes
 * every node JVM paid for it when a buffer was first reallocated, in the first 1.7 s of a measured stream, and 10 of
 * the 16 JVMs within 35 ms of each other; the two cores were busy with it, and every hop in those stretches took 3-9
 * ms instead of about 0.25 (a 16-node processes ring at 50 broadcasts/s, 2026-12-07: each stretch of slow hops fell
 * on the JVMs' first JFR compilations, at 0.27, 0.66-0.70, 1.01 and 1.65 s). Nothing in ringlab records JFR, so the
 * events only cost.
 * The property is read when Netty's {@code PlatformDependent} initialises, so {@link #offUnlessSet} must run before
 * any Netty class does: first thing in the entry points ({@link NodeMain#main}, the CLI's {@code Main}) and when
 * {@link LocalCluster} and {@link ProcessCluster} load (a program that embeds them and used Netty before keeps what
 * it had).
 */
public final class NettyJfr {
    /** Netty's system property ({@code PlatformDependent}): whether its JFR events are used. */
    public static final String PROPERTY = "io.netty.jfr.enabled";

    private NettyJfr() {}

    /** Sets {@value #PROPERTY} to {@code false} unless it is set already (a user's {@code -D} wins). */
    public static void offUnlessSet() {
        if (System.getProperty(PROPERTY) == null) {
            System.setProperty(PROPERTY, "false");
        }
    }

    /** Whether this JVM's Netty uses its JFR events (initialises Netty's {@code PlatformDependent}). */
    public static boolean enabled() {
        return PlatformDependent.isJfrEnabled();
    }
}
