package dev.ringlab.testkit;

import dev.ringlab.node.Env;
import dev.ringlab.node.Message;
import dev.ringlab.node.Node;
import dev.ringlab.node.Observation;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.ProtocolProvider;
import dev.ringlab.topology.Overlay;
import java.util.List;

/**
 * A protocol as a user writes one, with observations of its own: each node counts the client requests it got
 * and reports each as a {@link Counted}, a record of every component type a custom observation may have. No
 * node-to-node messages: what is tested is the observation's way to the test on every engine. Registered in
 * the test resources' META-INF/services, so a {@code processes} child rebuilds it from its spec.
 */
public final class Tally implements Protocol {
    static final Tally PROTOCOL = new Tally();

    /** Node {@code node} got its {@code count}-th request, {@code id}, at {@code atNanos}. Not public: need not be. */
    record Counted(int node, long id, int count, double share, boolean even, String note, long atNanos)
            implements Observation.Custom {}

    /** A record a node process could not send: a component the JSON line cannot carry. */
    record Unsendable(int node, long[] ids) implements Observation.Custom {}

    @Override
    public String spec() {
        return "testkit-tally";
    }

    @Override
    public Node create(int id, Overlay overlay) {
        return new Node() {
            private Env env;
            private int count;

            @Override
            public void start(Env e) {
                env = e;
            }

            @Override
            public void onMessage(int from, Message m) {
                if (from != Env.CLIENT || !(m instanceof Message.Inject inject)) {
                    return;
                }
                count++;
                if (inject.id() < 0) {
                    env.observe(new Unsendable(id, new long[] {inject.id()}));
                    return;
                }
                env.observe(new Counted(id, inject.id(), count, count / 4.0, count % 2 == 0,
                        "node " + id + " \"quoted\", ünicode", env.now()));
            }
        };
    }

    /** Listed in META-INF/services/dev.ringlab.node.ProtocolProvider (test resources). */
    public static final class Provider implements ProtocolProvider {
        @Override
        public List<String> forms() {
            return List.of("testkit-tally  counts client requests, reports custom observations (testkit tests)");
        }

        @Override
        public Protocol parse(String spec) {
            return spec.equals("testkit-tally") ? PROTOCOL : null;
        }
    }
}
