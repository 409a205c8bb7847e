package dev.ringlab.experiments.watch;

import dev.ringlab.node.Env;
import dev.ringlab.node.ForwardingEnv;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Protocol;
import dev.ringlab.topology.Overlay;
import java.util.function.UnaryOperator;

/** A protocol broken on purpose, so that a check run fails and its replay has a violation to show. */
final class Broken {
    private Broken() {}

    /** Node {@code at} sends its {@code nth} token pass twice: two tokens of one epoch. */
    static UnaryOperator<Protocol> duplicating(int at, int nth) {
        return inner -> new Protocol() {
            @Override
            public String spec() {
                return inner.spec();
            }

            @Override
            public Node create(int id, Overlay overlay) {
                Node node = inner.create(id, overlay);
                if (id != at) {
                    return node;
                }
                int[] passes = {0};
                return new Node() {
                    @Override
                    public void start(Env env) {
                        node.start(new ForwardingEnv(env) {
                            @Override
                            public void send(int to, Message m) {
                                super.send(to, m);
                                if (m instanceof Message.Token && passes[0]++ == nth) {
                                    super.send((to + 1) % overlay.size(), m);
                                }
                            }
                        });
                    }

                    @Override
                    public void onMessage(int from, Message m) {
                        node.onMessage(from, m);
                    }
                };
            }

            @Override
            public void checkOverlay(Overlay overlay) {
                inner.checkOverlay(overlay);
            }
        };
    }
}
