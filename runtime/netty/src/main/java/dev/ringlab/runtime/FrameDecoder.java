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
        if (in.readableBytes() < PREFIX_BYTES + length) {
            return;
        }
        in.skipBytes(PREFIX_BYTES);
        out.add(in.readRetainedSlice(length));
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
