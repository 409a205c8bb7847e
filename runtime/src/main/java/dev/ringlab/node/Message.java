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

    /**
     * The ring's particle (see {@code protocols.TokenRing}): one token circles the ring, each node passing it
     * to its successor.
     *
     * <p>What it carries, and why only this: a token that carried the departure time at every node would
     * grow to O(n) bytes and cost O(n) per hop. Instead it carries the departure time at the previous node
     * ({@code sentAtNanos}, so the receiver measures the hop it just crossed), the instant the current
     * rotation started at node 0 ({@code rotationStartedAtNanos}, so node 0 measures the rotation period
     * alone), and two running totals since the token was created, {@code hop} (links crossed) and
     * {@code heldNanos} (time spent held by stations): a node that keeps the values it saw at its previous
     * visit gets, from differences, the hops and the hold time inside one full cycle, and hence the
     * rotation-derived hop latency, with no other message. The token is O(1) bytes plus its payload.
     *
     * @param epoch                  incarnation of the token: a regenerated token gets a higher epoch (0 for
     *                               the first token), so a stale one can be recognised and dropped
     * @param rotation               rotation number, from 1; node 0 increments it when the token returns;
     *                               it is also the tick number every node counts
     * @param hop                    links crossed since the token was created, when it reaches the receiver
     * @param rotationStartedAtNanos when node 0 took the token at the start of this rotation
     * @param sentAtNanos            when the sender let the token go ({@link Env#now}, a clock shared by the
     *                               nodes)
     * @param heldNanos              total time stations have held the token since it was created
     * @param payload                bytes that stations may read and replace (the config bus rides here)
     */
    record Token(long epoch, long rotation, long hop, long rotationStartedAtNanos, long sentAtNanos, long heldNanos,
            byte[] payload) implements Message {
        public Token {
            Objects.requireNonNull(payload, "payload");
            if (epoch < 0 || rotation < 1 || hop < 0 || heldNanos < 0) {
                throw new IllegalArgumentException("bad token: epoch=" + epoch + " rotation=" + rotation + " hop=" + hop
                        + " heldNanos=" + heldNanos + " (need epoch >= 0, rotation >= 1, hop >= 0, heldNanos >= 0)");
            }
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Token t && t.epoch == epoch && t.rotation == rotation && t.hop == hop
                    && t.rotationStartedAtNanos == rotationStartedAtNanos && t.sentAtNanos == sentAtNanos
                    && t.heldNanos == heldNanos && Arrays.equals(t.payload, payload);
        }

        @Override
        public int hashCode() {
            return Objects.hash(epoch, rotation, hop, rotationStartedAtNanos, sentAtNanos, heldNanos) * 31
                    + Arrays.hashCode(payload);
        }

        @Override
        public String toString() {
            return "Token[epoch=" + epoch + ", rotation=" + rotation + ", hop=" + hop + ", rotationStartedAtNanos="
                    + rotationStartedAtNanos + ", sentAtNanos=" + sentAtNanos + ", heldNanos=" + heldNanos
                    + ", payload=" + payload.length + "B]";
        }
    }

    /**
     * A heartbeat from a node to one of the successors it monitors ({@code protocols.HealingRing}); the
     * receiver answers with a {@link HeartbeatAck} echoing {@code seq} and {@code sentAtNanos}. A node also
     * sends heartbeats to its predecessors when it (re)starts, so they learn at once that it is back.
     *
     * @param seq         the sender's heartbeat round
     * @param sentAtNanos when it was sent ({@link Env#now})
     * @param maxEpoch    the highest token epoch the sender has seen, -1 if none
     * @param viewDigest  digest of the sender's membership view: a mismatch triggers a {@link Membership} sync
     * @param successor   the node the sender passes the token to now (-1: none), so a node knows whether the
     *                    ring reaches it
     */
    record Heartbeat(long seq, long sentAtNanos, long maxEpoch, long viewDigest, int successor) implements Message {
        public Heartbeat {
            if (maxEpoch < -1 || successor < -1) {
                throw new IllegalArgumentException("bad heartbeat: maxEpoch=" + maxEpoch + " successor=" + successor
                        + " (need >= -1)");
            }
        }
    }

    /**
     * The answer to a {@link Heartbeat}: {@code seq} and {@code sentAtNanos} echoed, the answerer's own epoch and
     * digest, and {@code tokenSeenAtNanos}, when the answerer last took a token ({@link Env#now}; the clock is
     * shared), so its predecessor knows whether a token it passed got there.
     */
    record HeartbeatAck(long seq, long echoSentAtNanos, long maxEpoch, long viewDigest, long tokenSeenAtNanos)
            implements Message {
        public HeartbeatAck {
            if (maxEpoch < -1) {
                throw new IllegalArgumentException("bad heartbeat ack: maxEpoch=" + maxEpoch + " (need >= -1)");
            }
        }
    }

    /**
     * One entry of a membership view: node {@code node} is believed {@code dead} (or alive) since
     * {@code stampNanos}, as announced by {@code announcer}. Views merge last-writer-wins by
     * ({@code stampNanos}, {@code announcer}).
     */
    record Member(int node, boolean dead, long stampNanos, int announcer) {
        public Member {
            if (node < 0 || announcer < 0) {
                throw new IllegalArgumentException("bad member: node=" + node + " announcer=" + announcer + " (need >= 0)");
            }
        }

        /** True if this entry wins over {@code o} under last-writer-wins. */
        public boolean newerThan(Member o) {
            return stampNanos != o.stampNanos ? stampNanos > o.stampNanos : announcer > o.announcer;
        }
    }

    /**
     * Ring repair news: membership entries. With {@code relay} the message is an announcement travelling
     * around the ring (each node that learns something from it forwards it to its successor); without, it
     * is a one-hop anti-entropy sync of a whole view between neighbours whose digests differ.
     */
    record Membership(boolean relay, List<Member> members) implements Message {
        public Membership {
            members = List.copyOf(members);
            if (members.isEmpty()) {
                throw new IllegalArgumentException("a membership message holds at least one entry");
            }
        }
    }
}
