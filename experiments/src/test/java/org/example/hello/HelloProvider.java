package org.example.hello;

import dev.ringlab.node.MessageType;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.ProtocolProvider;
import java.util.List;

/** Makes {@code --protocol hello} known to every engine; listed in META-INF/services. */
public final class HelloProvider implements ProtocolProvider {
    @Override
    public List<String> forms() {
        return List.of("hello (a counting flood with its own message type)");
    }

    @Override
    public Protocol parse(String spec) {
        return spec.equals("hello") ? HelloFlood.PROTOCOL : null;
    }

    @Override
    public List<MessageType<?>> messageTypes() {
        return List.of(Hello.TYPE);
    }
}
