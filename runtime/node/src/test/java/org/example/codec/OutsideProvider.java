package org.example.codec;

import dev.ringlab.node.Message;
import dev.ringlab.node.MessageType;
import dev.ringlab.node.Protocol;
import dev.ringlab.node.ProtocolProvider;
import java.util.List;

/**
 * A provider from outside ringlab's packages, as a researcher's jar would have, declaring one type with the
 * id it is given: the registry tests use it for the id-range rule.
 */
public final class OutsideProvider implements ProtocolProvider {
    /** A one-field message whose type id the test picks. */
    public record Note(long value) implements Message {
        @Override
        public MessageType<Note> type() {
            throw new UnsupportedOperationException("only registered, never sent");
        }
    }

    private final MessageType<Note> type;

    public OutsideProvider(int id) {
        this.type = MessageType.of(id, "note", Note.class, n -> 8, (n, out) -> out.putLong(n.value()),
                in -> new Note(in.getLong()));
    }

    @Override
    public List<String> forms() {
        return List.of();
    }

    @Override
    public Protocol parse(String spec) {
        return null;
    }

    @Override
    public List<MessageType<?>> messageTypes() {
        return List.of(type);
    }
}
