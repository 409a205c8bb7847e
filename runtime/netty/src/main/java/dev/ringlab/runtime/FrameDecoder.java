package dev.ringlab.runtime;

import dev.ringlab.node.MessageCodec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import java.util.List;

/**
 * Splits the byte stream into frames: {@code [length:4][frame:length]}, big-endian, {@code 2 <= length <=
 * }{@link MessageCodec#MAX_FRAME_BYTES}. Emits each whole frame (without its prefix) as a retained slice;
 * waits while a frame is incomplete. A length outside the bounds is a {@link CorruptedFrameException}
 * raised as soon as the 4 header bytes are in, so a hostile peer cannot make the node buffer more than
 * one capped frame. Bytes left over when the connection closes are a {@link TruncatedFrameException}.
 *
 * <h2>Before the handshake</h2>
 * A decoder made by {@link #beforeHandshake()} starts with a cap of {@link Handshake#MAX_FRAME_BYTES}
 * (the largest handshake frame plus a margin) instead of the 1 MiB message cap: an unauthenticated peer
 * can make the node buffer at most that many bytes. A length between the two caps is an
 * {@link OversizeBeforeHandshakeException}. {@link HandshakeHandler} calls {@link #authenticated()} when the
 * peer has proved it holds the secret; frames are decoded one at a time and each is handed on before the
 * next header is read, so a message sent right behind the last handshake frame meets the message cap.
 */
public final class FrameDecoder extends ByteToMessageDecoder {
    /** Bytes of the length prefix. */
    public static final int PREFIX_BYTES = 4;

    /** A frame cut short by the end of the connection. */
    public static final class TruncatedFrameException extends CorruptedFrameException {
        private static final long serialVersionUID = 1L;

        TruncatedFrameException(String message) {
            super(message);
        }
    }

    /** A length prefix above the pre-handshake cap (but within the message cap) before the peer authenticated. */
    public static final class OversizeBeforeHandshakeException extends CorruptedFrameException {
        private static final long serialVersionUID = 1L;

        OversizeBeforeHandshakeException(String message) {
            super(message);
        }
    }

    private int maxFrameBytes;

    /** A decoder with the message cap from the first byte (a connection that trusts its peer, or tests). */
    public FrameDecoder() {
        this(MessageCodec.MAX_FRAME_BYTES);
    }

    private FrameDecoder(int maxFrameBytes) {
        this.maxFrameBytes = maxFrameBytes;
    }

    /** A decoder that takes only handshake-sized frames until {@link #authenticated()}. */
    public static FrameDecoder beforeHandshake() {
        return new FrameDecoder(Handshake.MAX_FRAME_BYTES);
    }

    /** The peer authenticated: from the next frame on, the message cap applies. On the channel's loop. */
    public void authenticated() {
        maxFrameBytes = MessageCodec.MAX_FRAME_BYTES;
    }

    /** The cap on the next frame's length. */
    public int maxFrameBytes() {
        return maxFrameBytes;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (in.readableBytes() < PREFIX_BYTES) {
            return;
        }
        int length = in.getInt(in.readerIndex());
        if (length < 2 || length > MessageCodec.MAX_FRAME_BYTES) {
            in.skipBytes(in.readableBytes());
            throw new CorruptedFrameException(
                    "frame length " + length + " outside 2.." + MessageCodec.MAX_FRAME_BYTES);
        }
        if (length > maxFrameBytes) {
            in.skipBytes(in.readableBytes());
            throw new OversizeBeforeHandshakeException(
                    "frame length " + length + " before the handshake, cap " + maxFrameBytes);
        }
        if (in.readableBytes() < PREFIX_BYTES + length) {
            return;
        }
        in.skipBytes(PREFIX_BYTES);
        out.add(in.readRetainedSlice(length));
        // One frame per call: ByteToMessageDecoder hands it on (and the handshake may lift the cap) before
        // it calls again for the next one.
    }

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        decode(ctx, in, out);
        if (in.isReadable()) {
            int left = in.readableBytes();
            in.skipBytes(left);
            throw new TruncatedFrameException("connection closed inside a frame, " + left + " bytes left");
        }
    }
}
