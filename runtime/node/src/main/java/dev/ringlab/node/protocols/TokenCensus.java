package dev.ringlab.node.protocols;

import dev.ringlab.node.Env;
import dev.ringlab.node.ForwardingEnv;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.topology.Overlay;
import java.util.Objects;

/**
 * Counts the ring's tokens from outside the nodes, for the invariant "exactly one token exists at all
 * times": a {@link Protocol} decorator whose nodes see an {@link Env} that watches token custody. A token is
 * held by node {@code v} from its creation there ({@link Observation.TokenCreated}) or its delivery to
 * {@code v}, until {@code v} sends it; it is in flight from that send to its delivery. {@link #check}
 * throws unless exactly one token is held or in flight and no node ever held two or sent one it did not
 * hold. The simulator calls it after every event.
 *
 * <p>Valid only without faults: a token lost to a crash, a partition or the loss model stays "in flight"
 * here forever. Thread-safe (real engines deliver on several threads); the simulator is single-threaded.
 * A node that silently forgets the token is not seen here: liveness (rotations keep completing) catches
 * that.
 */
public final class TokenCensus implements Protocol {
    private final Protocol inner;
    private int[] held = new int[0];
    private long holders;
    private long inFlight;
    private long checks;
    private String violation;

    public TokenCensus(Protocol inner) {
        this.inner = Objects.requireNonNull(inner, "inner");
    }

    @Override
    public String spec() {
        return inner.spec();
    }

    @Override
    public Node create(int id, Overlay overlay) {
        synchronized (this) {
            if (held.length != overlay.size()) {
                held = new int[overlay.size()];
            }
        }
        Node node = inner.create(id, overlay);
        return new Node() {
            @Override
            public void start(Env env) {
                node.start(new Watched(env));
            }

            @Override
            public void onMessage(int from, Message m) {
                if (m instanceof Message.Token) {
                    arrived(id);
                }
                node.onMessage(from, m);
            }

            @Override
            public void stop() {
                node.stop();
            }
        };
    }

    /** Tokens held or in flight now. */
    public synchronized long tokens() {
        return holders + inFlight;
    }

    /** How many times {@link #check} ran. */
    public synchronized long checks() {
        return checks;
    }

    /**
     * @throws IllegalStateException unless exactly one token exists and custody was never violated
     */
    public synchronized void check() {
        checks++;
        if (violation != null) {
            throw new IllegalStateException(violation);
        }
        if (holders + inFlight != 1) {
            throw new IllegalStateException("expected exactly one token, found " + holders + " held and " + inFlight
                    + " in flight");
        }
    }

    private synchronized void created(int v) {
        if (++held[v] == 1) {
            holders++;
        } else {
            fail("node " + v + " created a token while holding one");
        }
    }

    private synchronized void arrived(int v) {
        inFlight--;
        if (++held[v] == 1) {
            holders++;
        } else {
            fail("node " + v + " received a token while holding one");
        }
    }

    private synchronized void sent(int v) {
        if (held[v] == 0) {
            fail("node " + v + " sent a token it did not hold");
            inFlight++;
            return;
        }
        if (--held[v] == 0) {
            holders--;
        }
        inFlight++;
    }

    private void fail(String why) {
        if (violation == null) {
            violation = why;
        }
    }

    private final class Watched extends ForwardingEnv {
        Watched(Env env) {
            super(env);
        }

        @Override
        public void send(int to, Message m) {
            if (m instanceof Message.Token) {
                sent(self());
            }
            super.send(to, m);
        }

        @Override
        public void observe(Observation o) {
            if (o instanceof Observation.TokenCreated c) {
                created(c.node());
            }
            super.observe(o);
        }
    }
}
