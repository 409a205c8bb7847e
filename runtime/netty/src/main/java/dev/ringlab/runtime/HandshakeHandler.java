package dev.ringlab.runtime;

import dev.ringlab.node.Env;
import dev.ringlab.node.MessageCodec;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.IntPredicate;

/**
 * Runs {@link Handshake} on one connection, between {@link FrameDecoder} and {@link MessageDecoder}.
 * Until the peer is authenticated every inbound frame is a handshake frame or the connection is closed
 * ({@link Rejected}); once it is, the handler fires {@link Authenticated} and removes itself, so later
 * frames go straight to the message decoder, and it lifts the {@link FrameDecoder}'s pre-handshake cap. A
 * connection that has not authenticated within the timeout is closed.
 */
public final class HandshakeHandler extends ChannelInboundHandlerAdapter {
    /** User event: the peer proved it holds the secret. */
    public record Authenticated(int peer) {}

    /** Why a connection was refused: the label of the {@code rejected_connections_total} counter. */
    public static final class Rejected extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final String reason;

        Rejected(String reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }

        public String reason() {
            return reason;
        }
    }

    private final Handshake handshake;
    private final int self;
    /** The node we dial, or -2 when we accept. */
    private final int expectedPeer;
    private final IntPredicate acceptablePeer;
    private final long timeoutNanos;
    private byte[] nonceC;
    private byte[] nonceS;
    private int claimedPeer;
    private ScheduledFuture<?> timeout;

    private HandshakeHandler(Handshake handshake, int self, int expectedPeer, IntPredicate acceptablePeer, long timeoutNanos) {
        this.handshake = handshake;
        this.self = self;
        this.expectedPeer = expectedPeer;
        this.acceptablePeer = acceptablePeer;
        this.timeoutNanos = timeoutNanos;
    }

    /** The dialing side: {@code self} (or {@link Env#CLIENT}) connects to node {@code peer}. */
    public static HandshakeHandler dialer(Handshake handshake, int self, int peer, long timeoutNanos) {
        return new HandshakeHandler(handshake, self, peer, p -> p == peer, timeoutNanos);
    }

    /** The accepting side: node {@code self} accepts peers whose claimed id passes {@code acceptablePeer}. */
    public static HandshakeHandler acceptor(Handshake handshake, int self, IntPredicate acceptablePeer, long timeoutNanos) {
        return new HandshakeHandler(handshake, self, -2, acceptablePeer, timeoutNanos);
    }

    private boolean dialing() {
        return expectedPeer != -2;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        timeout = ctx.executor().schedule(() -> {
            if (ctx.channel().isActive()) {
                ctx.fireExceptionCaught(new Rejected("handshake_timeout", "no handshake within "
                        + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms"));
            }
        }, timeoutNanos, TimeUnit.NANOSECONDS);
        if (dialing()) {
            nonceC = Handshake.newNonce();
            ctx.writeAndFlush(Unpooled.wrappedBuffer(Handshake.hello(self, nonceC)));
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        cancelTimeout();
        ctx.fireChannelInactive();
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        try {
            if (frame.readableBytes() < 2 || frame.getByte(frame.readerIndex()) != MessageCodec.VERSION) {
                throw new Rejected("bad_handshake", "not a handshake frame");
            }
            byte type = frame.getByte(frame.readerIndex() + 1);
            frame.skipBytes(2);
            if (dialing()) {
                onChallenge(ctx, type, frame);
            } else if (nonceS == null) {
                onHello(ctx, type, frame);
            } else {
                onResponse(ctx, type, frame);
            }
        } finally {
            ReferenceCountUtil.release(frame);
        }
    }

    private static void expect(byte type, byte expected, ByteBuf frame, int bodyBytes) {
        if (type != expected) {
            if (type == Handshake.TYPE_HELLO || type == Handshake.TYPE_CHALLENGE || type == Handshake.TYPE_RESPONSE) {
                throw new Rejected("bad_handshake", "handshake frame out of order");
            }
            throw new Rejected("unauthenticated_frame", "a " + MessageCodec.typeName(type) + " frame before the handshake");
        }
        if (frame.readableBytes() != bodyBytes) {
            throw new Rejected("bad_handshake", "handshake frame of " + frame.readableBytes() + " body bytes, expected " + bodyBytes);
        }
    }

    private void onHello(ChannelHandlerContext ctx, byte type, ByteBuf frame) {
        expect(type, Handshake.TYPE_HELLO, frame, Handshake.HELLO_BYTES - 2);
        claimedPeer = frame.readInt();
        if (claimedPeer == self || !acceptablePeer.test(claimedPeer)) {
            throw new Rejected("unknown_peer", "peer claims id " + claimedPeer);
        }
        nonceC = new byte[Handshake.NONCE_BYTES];
        frame.readBytes(nonceC);
        nonceS = Handshake.newNonce();
        byte[] mac = handshake.serverMac(nonceC, nonceS, claimedPeer, self);
        ctx.writeAndFlush(Unpooled.wrappedBuffer(Handshake.challenge(self, nonceS, mac)));
    }

    private void onResponse(ChannelHandlerContext ctx, byte type, ByteBuf frame) {
        expect(type, Handshake.TYPE_RESPONSE, frame, Handshake.RESPONSE_BYTES - 2);
        byte[] mac = new byte[Handshake.MAC_BYTES];
        frame.readBytes(mac);
        if (!Handshake.same(mac, handshake.clientMac(nonceC, nonceS, claimedPeer, self))) {
            throw new Rejected("bad_mac", "peer " + claimedPeer + " failed the handshake (wrong secret?)");
        }
        authenticated(ctx, claimedPeer);
    }

    private void onChallenge(ChannelHandlerContext ctx, byte type, ByteBuf frame) {
        if (nonceS != null) {
            throw new Rejected("bad_handshake", "second challenge");
        }
        expect(type, Handshake.TYPE_CHALLENGE, frame, Handshake.CHALLENGE_BYTES - 2);
        int serverId = frame.readInt();
        nonceS = new byte[Handshake.NONCE_BYTES];
        frame.readBytes(nonceS);
        byte[] mac = new byte[Handshake.MAC_BYTES];
        frame.readBytes(mac);
        if (serverId != expectedPeer) {
            throw new Rejected("unknown_peer", "dialled node " + expectedPeer + " but node " + serverId + " answered");
        }
        if (!Handshake.same(mac, handshake.serverMac(nonceC, nonceS, self, serverId))) {
            throw new Rejected("bad_mac", "node " + serverId + " failed the handshake (wrong secret?)");
        }
        ctx.writeAndFlush(Unpooled.wrappedBuffer(Handshake.response(handshake.clientMac(nonceC, nonceS, self, serverId))));
        authenticated(ctx, serverId);
    }

    private void authenticated(ChannelHandlerContext ctx, int peer) {
        cancelTimeout();
        FrameDecoder frames = ctx.pipeline().get(FrameDecoder.class);
        if (frames != null) {
            frames.authenticated();
        }
        ctx.pipeline().remove(this);
        ctx.fireUserEventTriggered(new Authenticated(peer));
    }
}
