package dev.ringlab.node.protocols;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import java.util.Objects;

/**
 * A hook at a node of the {@link TokenRing}: when the token arrives, the station may read and replace its
 * payload and hold it for a while before it moves on, or let it pass at full speed. Stations are how later
 * features ride the token (the config bus puts deltas in the payload) — the airport train of the original
 * "ring of servers" idea, where each stop may keep the train waiting.
 *
 * <h2>Contract</h2>
 * Called on the node's thread (see {@link Env}), once per visit, in arrival order, with the token as it
 * arrived (after any earlier station at the same node has replaced the payload). Must not block: a hold
 * is a duration the node waits on a timer, not a sleep. Randomness only from {@code env.random()}. A
 * station is created per node incarnation (see {@link TokenRing#protocol}), so it may keep state.
 */
public interface Station {
    /** What the station does with the token on one visit. */
    Visit onToken(Message.Token token, Env env);

    /** A short spec for reports, e.g. {@code delay:5ms}. */
    String spec();

    /**
     * @param holdNanos how long to keep the token before passing it on, >= 0 (0: full speed)
     * @param payload   the payload the token leaves with
     */
    record Visit(long holdNanos, byte[] payload) {
        public Visit {
            Objects.requireNonNull(payload, "payload");
            if (holdNanos < 0) {
                throw new IllegalArgumentException("a station cannot hold the token for " + holdNanos + " ns");
            }
        }
    }

    /** Lets the token through at full speed with its payload untouched. */
    static Station passThrough() {
        return new Station() {
            @Override
            public Visit onToken(Message.Token token, Env env) {
                return new Visit(0, token.payload());
            }

            @Override
            public String spec() {
                return "pass";
            }
        };
    }

    /** Holds the token for a duration drawn from {@code delay} on every visit; the payload is untouched. */
    static Station delay(DelaySpec delay) {
        Objects.requireNonNull(delay, "delay");
        return new Station() {
            @Override
            public Visit onToken(Message.Token token, Env env) {
                return new Visit(delay.sampleNanos(env.random()), token.payload());
            }

            @Override
            public String spec() {
                return "delay:" + delay.spec();
            }
        };
    }
}
