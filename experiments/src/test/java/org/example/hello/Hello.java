package org.example.hello;

import dev.ringlab.node.Message;
import dev.ringlab.node.MessageType;

/**
 * The hello flood's one message: broadcast {@code id}, started by {@code origin} at {@code sentAtNanos}, that
 * has crossed {@code hop} links when it arrives.
 */
public record Hello(long id, int origin, long sentAtNanos, int hop) implements Message {
    /** Wire id 64, the first id for protocols outside ringlab; body {@code id:8 origin:4 sentAt:8 hop:4}. */
    public static final MessageType<Hello> TYPE = MessageType.of(64, "hello", Hello.class,
            h -> 8 + 4 + 8 + 4,
            (h, out) -> out.putLong(h.id()).putInt(h.origin()).putLong(h.sentAtNanos()).putInt(h.hop()),
            in -> new Hello(in.getLong(), in.getInt(), in.getLong(), in.getInt()));

    @Override
    public MessageType<Hello> type() {
        return TYPE;
    }
}
