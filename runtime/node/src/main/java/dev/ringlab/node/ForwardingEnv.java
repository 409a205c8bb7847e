package dev.ringlab.node;

import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * An {@link Env} that passes every call to another one: the base for wrappers that watch or extend what a
 * node does (a census that counts tokens, a protocol layered on another protocol's observations) without
 * touching the engine. Override the calls you watch and call {@code super}; the rest are forwarded as they
 * are, with the contract of the wrapped {@code Env} (same thread, same clock, same random stream).
 */
public abstract class ForwardingEnv implements Env {
    private final Env delegate;

    protected ForwardingEnv(Env delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** The wrapped environment. */
    protected final Env delegate() {
        return delegate;
    }

    @Override
    public int self() {
        return delegate.self();
    }

    @Override
    public long now() {
        return delegate.now();
    }

    @Override
    public void send(int to, Message m) {
        delegate.send(to, m);
    }

    @Override
    public Timer schedule(long delayNanos, Runnable task) {
        return delegate.schedule(delayNanos, task);
    }

    @Override
    public RandomGenerator random() {
        return delegate.random();
    }

    @Override
    public void observe(Observation o) {
        delegate.observe(o);
    }
}
