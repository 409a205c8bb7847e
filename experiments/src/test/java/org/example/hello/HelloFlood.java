package org.example.hello;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.topology.Overlay;
import java.util.HashSet;
import java.util.Set;

/**
 * A counting flood with a message type of its own ({@link Hello}): a client's {@link Message.Inject} starts
 * a broadcast; each node delivers it the first time it arrives and passes it on to every neighbour but the
 * sender, one hop further.
 */
public final class HelloFlood implements Node {
    /** The protocol spec {@code hello}. */
    public static final Protocol PROTOCOL = new Protocol() {
        @Override
        public String spec() {
            return "hello";
        }

        @Override
        public Node create(int id, Overlay overlay) {
            return new HelloFlood(overlay);
        }
    };

    private final Overlay overlay;
    private final Set<Long> seen = new HashSet<>();
    private Env env;

    HelloFlood(Overlay overlay) {
        this.overlay = overlay;
    }

    @Override
    public void start(Env env) {
        this.env = env;
    }

    @Override
    public void onMessage(int from, Message m) {
        if (m instanceof Hello h) {
            receive(from, h);
        } else if (m instanceof Message.Inject i) {
            receive(Env.CLIENT, new Hello(i.id(), env.self(), env.now(), 0));
        }
        // Any other message is another protocol's: ignored.
    }

    private void receive(int from, Hello h) {
        if (!seen.add(h.id())) {
            return;
        }
        int self = env.self();
        env.observe(new Observation.Delivered(self, h.id(), h.origin(), h.hop(), h.sentAtNanos(), env.now()));
        Hello next = new Hello(h.id(), h.origin(), h.sentAtNanos(), h.hop() + 1);
        for (int to : overlay.neighbours(self)) {
            if (to != from && to != self) {
                env.send(to, next);
            }
        }
    }
}
