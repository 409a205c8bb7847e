package dev.ringlab.runtime;

import dev.ringlab.node.CodecException;
import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.MessageToMessageDecoder;
import java.util.List;

/**
 * One whole frame (from {@link FrameDecoder}) to one {@link Message} through {@link MessageCodec}. A
 * frame the codec rejects (unknown version, a type id no registered protocol provider declares, truncated
 * body, trailing bytes) is a {@link BadMessageException}; the connection handler closes the connection and
 * counts it.
 */
public final class MessageDecoder extends MessageToMessageDecoder<ByteBuf> {
    /** A whole frame whose content {@link MessageCodec} rejected. */
    public static final class BadMessageException extends CorruptedFrameException {
        private static final long serialVersionUID = 1L;

        BadMessageException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    public MessageDecoder() {
        super(ByteBuf.class);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
        try {
            out.add(MessageCodec.decode(frame.nioBuffer()));
        } catch (CodecException e) {
            throw new BadMessageException(e.getMessage(), e);
        }
    }
}
