package dev.ringlab.node.protocols;

import dev.ringlab.node.Message;
import dev.ringlab.node.MessageType;
import dev.ringlab.node.Wire;
import java.util.Arrays;
import java.util.List;

/**
 * The control messages of {@link Plumtree} (the payload travels as the broadcast family's
 * {@link Message.Broadcast} and {@link Message.Batch}): lazy-push announcements, and the two messages that
 * move a link between the eager and the lazy set.
 *
 * <p>Bodies (big-endian): {@code IHave = count:4 (id:8 origin:4 hop:4)*}, {@code Graft = id:8 origin:4} (id
 * -1: no message requested, the optimisation's graft), {@code Prune = origin:4}. The origin names the tree
 * (one per origin, or the shared one, see {@link Plumtree}). Ids 19..21, after the runtime's handshake
 * frames.
 */
public sealed interface PlumtreeMessage extends Message permits PlumtreeMessage.IHave, PlumtreeMessage.Graft,
        PlumtreeMessage.Prune {

    /** Most announcements one {@link IHave} carries: keeps every frame far below the codec's cap. */
    int MAX_ANNOUNCEMENTS = 8192;

    /**
     * "I have these broadcasts": {@code ids[i]}, injected at {@code origins[i]}, reached the sender and would
     * reach the receiver after {@code hops[i]} links (its hop at the sender plus one) if the receiver asked.
     */
    record IHave(long[] ids, int[] origins, int[] hops) implements PlumtreeMessage {
        public IHave {
            if (ids.length != hops.length || ids.length != origins.length) {
                throw new IllegalArgumentException("ihave: " + ids.length + " ids, " + origins.length + " origins, "
                        + hops.length + " hops");
            }
            if (ids.length == 0 || ids.length > MAX_ANNOUNCEMENTS) {
                throw new IllegalArgumentException("ihave announces 1.." + MAX_ANNOUNCEMENTS + " broadcasts, got "
                        + ids.length);
            }
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] < 0 || origins[i] < 0 || hops[i] < 0) {
                    throw new IllegalArgumentException("ihave: negative id, origin or hop at " + i);
                }
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof IHave h && Arrays.equals(h.ids, ids) && Arrays.equals(h.origins, origins)
                    && Arrays.equals(h.hops, hops);
        }

        /** The ids' hash: equal announcements announce the same ids. */
        @Override
        public int hashCode() {
            return Arrays.hashCode(ids);
        }

        @Override
        public String toString() {
            return "IHave[" + ids.length + " ids, first " + ids[0] + "]";
        }

        @Override
        public MessageType<IHave> type() {
            return IHAVE;
        }
    }

    /**
     * "Make our link eager in the tree of {@code origin}", and if {@code id >= 0}, "send me broadcast
     * {@code id}" (the repair of a tree that failed to bring it); {@code id == -1} is the optimisation's graft,
     * which asks for nothing.
     */
    record Graft(long id, int origin) implements PlumtreeMessage {
        public Graft {
            if (id < -1 || origin < 0) {
                throw new IllegalArgumentException("graft id must be >= -1 and origin >= 0, got " + id + ", " + origin);
            }
        }

        @Override
        public MessageType<Graft> type() {
            return GRAFT;
        }
    }

    /** "Make our link lazy in the tree of {@code origin}": the sender got a duplicate over it (or found a shorter path). */
    record Prune(int origin) implements PlumtreeMessage {
        public Prune {
            if (origin < 0) {
                throw new IllegalArgumentException("prune origin must be >= 0, got " + origin);
            }
        }

        @Override
        public MessageType<Prune> type() {
            return PRUNE;
        }
    }

    MessageType<IHave> IHAVE = MessageType.of(19, "ihave", IHave.class,
            h -> 4 + 16 * h.ids().length,
            (h, out) -> {
                out.putInt(h.ids().length);
                for (int i = 0; i < h.ids().length; i++) {
                    out.putLong(h.ids()[i]);
                    out.putInt(h.origins()[i]);
                    out.putInt(h.hops()[i]);
                }
            },
            in -> {
                int count = Wire.getCount(in, 16, 1, "ihave");
                long[] ids = new long[count];
                int[] origins = new int[count];
                int[] hops = new int[count];
                for (int i = 0; i < count; i++) {
                    ids[i] = in.getLong();
                    origins[i] = in.getInt();
                    hops[i] = in.getInt();
                }
                return new IHave(ids, origins, hops);
            });

    MessageType<Graft> GRAFT = MessageType.of(20, "graft", Graft.class,
            g -> 8 + 4,
            (g, out) -> out.putLong(g.id()).putInt(g.origin()),
            in -> {
                long id = in.getLong();
                return new Graft(id, in.getInt());
            });

    MessageType<Prune> PRUNE = MessageType.of(21, "prune", Prune.class,
            p -> 4,
            (p, out) -> out.putInt(p.origin()),
            in -> new Prune(in.getInt()));

    /** This family's types, for registration ({@link dev.ringlab.node.ProtocolProvider#messageTypes()}). */
    static List<MessageType<?>> types() {
        return List.of(IHAVE, GRAFT, PRUNE);
    }
}
