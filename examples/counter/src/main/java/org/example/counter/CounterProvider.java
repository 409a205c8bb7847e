package org.example.counter;

import dev.ringlab.node.MessageType;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.ProtocolProvider;
import java.util.List;

/**
 * Makes the counter known to every engine by its spec (the {@code processes} engine's node JVMs rebuild it
 * from the spec) and registers its message types; listed in META-INF/services.
 */
public final class CounterProvider implements ProtocolProvider {
    @Override
    public List<String> forms() {
        return List.of("g-counter  a grow-only counter CRDT (example)", "g-counter-broken  the same with a planted bug");
    }

    @Override
    public Protocol parse(String spec) {
        return switch (spec) {
            case "g-counter" -> GCounter.CORRECT;
            case "g-counter-broken" -> GCounter.BROKEN;
            default -> null;
        };
    }

    @Override
    public List<MessageType<?>> messageTypes() {
        return List.of(CounterMessage.INCREMENT, CounterMessage.STATE);
    }
}
