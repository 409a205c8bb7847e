package dev.ringlab.node;

import java.util.ArrayList;
import java.util.List;

/**
 * The ring family: the token ({@code protocols.TokenRing}) and the healing ring's failure detection and
 * membership ({@code protocols.HealingRing}, also under the replicated applications and the cache).
 *
 * <p>Bodies (big-endian): {@code Token = epoch:8 rotation:8 hop:8 rotationStartedAt:8 sentAt:8 held:8 len:4
 * payload}, {@code Heartbeat = seq:8 sentAt:8 maxEpoch:8 digest:8 successor:4}, {@code HeartbeatAck = seq:8
 * sentAt:8 maxEpoch:8 digest:8 tokenSeenAt:8}, {@code Membership = relay:1 count:4 (node:4 dead:1 stamp:8
 * announcer:4)*}.
 */
public sealed interface RingMessage extends Message
        permits Message.Token, Message.Heartbeat, Message.HeartbeatAck, Message.Membership {

    /** One membership entry on the wire. */
    int MEMBER_BYTES = 4 + 1 + 8 + 4;

    MessageType<Message.Token> TOKEN = MessageType.of(4, "token", Message.Token.class,
            t -> 6 * 8 + Wire.bytesSize(t.payload()),
            (t, out) -> {
                out.putLong(t.epoch());
                out.putLong(t.rotation());
                out.putLong(t.hop());
                out.putLong(t.rotationStartedAtNanos());
                out.putLong(t.sentAtNanos());
                out.putLong(t.heldNanos());
                Wire.putBytes(t.payload(), out);
            },
            in -> {
                long epoch = in.getLong();
                long rotation = in.getLong();
                long hop = in.getLong();
                long rotationStartedAt = in.getLong();
                long sentAt = in.getLong();
                long held = in.getLong();
                return new Message.Token(epoch, rotation, hop, rotationStartedAt, sentAt, held, Wire.getBytes(in));
            });

    MessageType<Message.Heartbeat> HEARTBEAT = MessageType.of(5, "heartbeat", Message.Heartbeat.class,
            h -> 4 * 8 + 4,
            (h, out) -> {
                out.putLong(h.seq());
                out.putLong(h.sentAtNanos());
                out.putLong(h.maxEpoch());
                out.putLong(h.viewDigest());
                out.putInt(h.successor());
            },
            in -> {
                long seq = in.getLong();
                long sentAt = in.getLong();
                long maxEpoch = in.getLong();
                long digest = in.getLong();
                return new Message.Heartbeat(seq, sentAt, maxEpoch, digest, in.getInt());
            });

    MessageType<Message.HeartbeatAck> HEARTBEAT_ACK = MessageType.of(6, "heartbeat_ack", Message.HeartbeatAck.class,
            a -> 5 * 8,
            (a, out) -> {
                out.putLong(a.seq());
                out.putLong(a.echoSentAtNanos());
                out.putLong(a.maxEpoch());
                out.putLong(a.viewDigest());
                out.putLong(a.tokenSeenAtNanos());
            },
            in -> {
                long seq = in.getLong();
                long sentAt = in.getLong();
                long maxEpoch = in.getLong();
                long digest = in.getLong();
                return new Message.HeartbeatAck(seq, sentAt, maxEpoch, digest, in.getLong());
            });

    MessageType<Message.Membership> MEMBERSHIP = MessageType.of(7, "membership", Message.Membership.class,
            ms -> 1 + 4 + MEMBER_BYTES * ms.members().size(),
            (ms, out) -> {
                Wire.putBool(ms.relay(), out);
                out.putInt(ms.members().size());
                for (Message.Member mb : ms.members()) {
                    out.putInt(mb.node());
                    Wire.putBool(mb.dead(), out);
                    out.putLong(mb.stampNanos());
                    out.putInt(mb.announcer());
                }
            },
            in -> {
                boolean relay = Wire.getBool(in);
                int count = Wire.getCount(in, MEMBER_BYTES, 1, "membership");
                List<Message.Member> members = new ArrayList<>(count);
                for (int k = 0; k < count; k++) {
                    int node = in.getInt();
                    boolean dead = Wire.getBool(in);
                    long stamp = in.getLong();
                    members.add(new Message.Member(node, dead, stamp, in.getInt()));
                }
                return new Message.Membership(relay, members);
            });

    /** This family's types, for registration ({@link ProtocolProvider#messageTypes()}). */
    static List<MessageType<?>> types() {
        return List.of(TOKEN, HEARTBEAT, HEARTBEAT_ACK, MEMBERSHIP);
    }
}
