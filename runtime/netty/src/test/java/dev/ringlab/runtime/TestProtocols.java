package dev.ringlab.runtime;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.topology.Overlay;

/** Small protocols for runtime tests, independent of the protocols under development. */
final class TestProtocols {
    private TestProtocols() {}

    /**
     * On a client {@code Inject(to, payload)} a node sends {@code payload.length} broadcasts to node {@code to}
     * (neighbour or not); a node that receives one observes it as {@link Observation.Delivered} (id = sender).
     * The same protocol as the simulator's tests use, so both engines run one scenario.
     */
    static final Protocol SENDER = new Protocol() {
        @Override
        public String spec() {
            return "test-sender";
        }

        @Override
        public Node create(int id, Overlay overlay) {
            return new Node() {
                private Env env;

                @Override
                public void start(Env e) {
                    env = e;
                }

                @Override
                public void onMessage(int from, Message m) {
                    if (m instanceof Message.Inject i) {
                        Message.Broadcast b = new Message.Broadcast(env.self(), env.self(), env.now(), 0, new byte[0]);
                        for (int k = 0; k < i.payload().length; k++) {
                            env.send((int) i.id(), b);
                        }
                    } else if (m instanceof Message.Broadcast b) {
                        env.observe(new Observation.Delivered(env.self(), from, b.origin(), 1, b.sentAtNanos(), env.now()));
                    }
                }
            };
        }
    };

    /** Asks a {@link #SENDER} node to send {@code copies} messages to {@code to}. */
    static Message.Inject send(int to, int copies) {
        return new Message.Inject(to, new byte[copies]);
    }
}
