package dev.ringlab.node;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Everything nodes say to each other (and clients to nodes), as immutable records. Handlers dispatch
 * with an exhaustive {@code switch}; each type has exactly one binary encoding in {@link MessageCodec},
 * used by the runtime on the wire and by the simulator to count bytes.
 */
public sealed interface Message {

    /**
     * A client asks the receiving node to originate broadcast {@code id} carrying {@code payload}. Sent by
     * an engine or a client as {@link Env#CLIENT}; never between nodes.
     */
    record Inject(long id, byte[] payload) implements Message {
        public Inject {
            Objects.requireNonNull(payload, "payload");
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Inject i && i.id == id && Arrays.equals(i.payload, payload);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(id) * 31 + Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return "Inject[id=" + id + ", payload=" + payload.length + "B]";
        }
    }

    /**
     * One broadcast on its way: {@code id} names it fleet-wide, {@code origin} is the node that injected
     * it at {@code sentAtNanos} (origin's clock, shared by all nodes: see {@link Env#now}), {@code hop} is
     * the number of links it has crossed when it arrives at the receiver.
     */
    record Broadcast(long id, int origin, long sentAtNanos, int hop, byte[] payload) implements Message {
        public Broadcast {
            Objects.requireNonNull(payload, "payload");
        }

        /** The same broadcast one link further. */
        public Broadcast forwarded() {
            return new Broadcast(id, origin, sentAtNanos, hop + 1, payload);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Broadcast b && b.id == id && b.origin == origin && b.sentAtNanos == sentAtNanos
                    && b.hop == hop && Arrays.equals(b.payload, payload);
        }

        @Override
        public int hashCode() {
            return Objects.hash(id, origin, sentAtNanos, hop) * 31 + Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return "Broadcast[id=" + id + ", origin=" + origin + ", sentAtNanos=" + sentAtNanos + ", hop=" + hop
                    + ", payload=" + payload.length + "B]";
        }
    }

    /** Several broadcasts in one message (the {@code batched} protocol): one frame, one send. */
    record Batch(List<Broadcast> items) implements Message {
        public Batch {
            items = List.copyOf(items);
            if (items.isEmpty()) {
                throw new IllegalArgumentException("a batch holds at least one broadcast");
            }
        }
    }
}
