package org.example.counter;

import dev.ringlab.node.Message;
import dev.ringlab.node.MessageType;
import dev.ringlab.node.Wire;
import java.util.Arrays;

/** The counter's messages: a client's increment, and one node's whole state gossiped to a neighbour. */
public sealed interface CounterMessage extends Message {
    MessageType<Increment> INCREMENT = MessageType.of(64, "counter_increment", Increment.class,
            m -> 8,
            (m, out) -> out.putLong(m.amount()),
            in -> new Increment(in.getLong()));

    MessageType<State> STATE = MessageType.of(65, "counter_state", State.class,
            m -> 4 + 8 * m.counts().length,
            (m, out) -> {
                out.putInt(m.counts().length);
                for (long c : m.counts()) {
                    out.putLong(c);
                }
            },
            in -> {
                long[] counts = new long[Wire.getCount(in, 8, 1, "counter entries")];
                for (int i = 0; i < counts.length; i++) {
                    counts[i] = in.getLong();
                }
                return new State(counts);
            });

    /** A client asks the receiving node to add {@code amount} (> 0) to the counter. */
    record Increment(long amount) implements CounterMessage {
        public Increment {
            if (amount <= 0) {
                throw new IllegalArgumentException("a G-counter only grows: amount must be > 0, got " + amount);
            }
        }

        @Override
        public MessageType<Increment> type() {
            return INCREMENT;
        }
    }

    /** A node's vector of per-node counts (a G-counter's whole state). */
    record State(long[] counts) implements CounterMessage {
        public State {
            counts = counts.clone();
        }

        @Override
        public long[] counts() {
            return counts.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof State s && Arrays.equals(s.counts, counts);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(counts);
        }

        @Override
        public String toString() {
            return "State" + Arrays.toString(counts);
        }

        @Override
        public MessageType<State> type() {
            return STATE;
        }
    }
}
