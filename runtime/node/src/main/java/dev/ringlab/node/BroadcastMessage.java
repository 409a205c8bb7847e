package dev.ringlab.node;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The broadcast family: what the broadcast protocols ({@code flood}, {@code gossip}, {@code ring}, {@code tree},
 * {@code batched}) say, and {@link Message.Inject}, the client request that starts a broadcast (any protocol
 * may accept it; the token ring and the applications ignore it).
 *
 * <p>Bodies (big-endian): {@code Inject = id:8 len:4 payload}, {@code Broadcast = id:8 origin:4 sentAt:8
 * hop:4 len:4 payload}, {@code Batch = count:4 Broadcast-body*}.
 */
public sealed interface BroadcastMessage extends Message permits Message.Inject, Message.Broadcast, Message.Batch {

    /** A broadcast body without its payload bytes. */
    int BROADCAST_FIXED = 8 + 4 + 8 + 4 + 4;

    MessageType<Message.Inject> INJECT = MessageType.of(1, "inject", Message.Inject.class,
            i -> 8 + Wire.bytesSize(i.payload()),
            (i, out) -> {
                out.putLong(i.id());
                Wire.putBytes(i.payload(), out);
            },
            in -> {
                long id = in.getLong();
                return new Message.Inject(id, Wire.getBytes(in));
            });

    MessageType<Message.Broadcast> BROADCAST = MessageType.of(2, "broadcast", Message.Broadcast.class,
            BroadcastMessage::broadcastSize, BroadcastMessage::putBroadcast, BroadcastMessage::getBroadcast);

    MessageType<Message.Batch> BATCH = MessageType.of(3, "batch", Message.Batch.class,
            b -> {
                int size = 4;
                for (Message.Broadcast item : b.items()) {
                    size += broadcastSize(item);
                }
                return size;
            },
            (b, out) -> {
                out.putInt(b.items().size());
                for (Message.Broadcast item : b.items()) {
                    putBroadcast(item, out);
                }
            },
            in -> {
                int count = Wire.getCount(in, BROADCAST_FIXED, 1, "batch");
                List<Message.Broadcast> items = new ArrayList<>(count);
                for (int k = 0; k < count; k++) {
                    items.add(getBroadcast(in));
                }
                return new Message.Batch(items);
            });

    /** This family's types, for registration ({@link ProtocolProvider#messageTypes()}). */
    static List<MessageType<?>> types() {
        return List.of(INJECT, BROADCAST, BATCH);
    }

    private static int broadcastSize(Message.Broadcast b) {
        return BROADCAST_FIXED + b.payload().length;
    }

    private static void putBroadcast(Message.Broadcast b, ByteBuffer out) {
        out.putLong(b.id());
        out.putInt(b.origin());
        out.putLong(b.sentAtNanos());
        out.putInt(b.hop());
        Wire.putBytes(b.payload(), out);
    }

    private static Message.Broadcast getBroadcast(ByteBuffer in) {
        long id = in.getLong();
        int origin = in.getInt();
        long sentAt = in.getLong();
        int hop = in.getInt();
        return new Message.Broadcast(id, origin, sentAt, hop, Wire.getBytes(in));
    }
}
