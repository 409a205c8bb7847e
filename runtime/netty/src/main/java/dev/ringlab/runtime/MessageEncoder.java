package dev.ringlab.runtime;

import dev.ringlab.node.Message;
import dev.ringlab.node.MessageCodec;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/** A {@link Message} to {@code [length:4][MessageCodec frame]}. Stateless, so one instance serves every channel. */
@ChannelHandler.Sharable
public final class MessageEncoder extends MessageToByteEncoder<Message> {
    public static final MessageEncoder INSTANCE = new MessageEncoder();

    private MessageEncoder() {
        super(Message.class);
    }

    @Override
    protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, Message m, boolean preferDirect) {
        int size = FrameDecoder.PREFIX_BYTES + MessageCodec.encodedSize(m);
        return preferDirect ? ctx.alloc().ioBuffer(size, size) : ctx.alloc().heapBuffer(size, size);
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Message m, ByteBuf out) {
        int size = MessageCodec.encodedSize(m);
        out.writeInt(size);
        int at = out.writerIndex();
        // The pooled buffer's own NIO view where it has one (no ByteBuffer per message: JFR put the slices
        // nioBuffer made among the top allocations of the loops); the codec writes from its position on.
        MessageCodec.encode(m, out.nioBufferCount() == 1 ? out.internalNioBuffer(at, size) : out.nioBuffer(at, size));
        out.writerIndex(at + size);
    }
}
