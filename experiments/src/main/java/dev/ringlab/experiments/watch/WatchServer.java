package dev.ringlab.experiments.watch;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The watch page's HTTP server, on Netty's HTTP codec, bound to loopback: the static page (files under
 * {@code watch/} in the jar), one push channel of server-sent events ({@code GET /events}), control actions
 * ({@code POST /control?op=...}; refused with 403 when the browser says the request comes from another
 * origin, so another site cannot drive the cluster) and, in replay mode, frames of a recorded run ({@code GET /replay/...}).
 *
 * <h2>Push and back-pressure</h2>
 * Every push interval ({@link #PUSH_MILLIS} ms unless given; {@code watch --refresh}) the server takes one {@code snapshot} (the whole state the page draws, whose
 * size is O(n), not O(rate)) and writes it to every connected page whose connection is writable. A page
 * that falls behind (its socket's send buffer and Netty's outbound buffer above the high-water mark of
 * {@link #HIGH_WATER_BYTES}) is skipped until it has drained: it misses snapshots, never receives a backlog,
 * and the server holds at most about one high-water mark per page. {@link #skipped()} counts the skips.
 *
 * <h2>Threads</h2>
 * One event-loop thread of its own; {@code snapshot}, {@code control} and the replay source are called on it
 * and must be thread-safe against the run's own threads.
 */
public final class WatchServer implements AutoCloseable {
    /** Default interval between snapshots pushed to the pages (watch --refresh). */
    public static final int PUSH_MILLIS = 250;
    static final int HIGH_WATER_BYTES = 256 * 1024;

    /** What the server serves: the hello document, the live state, controls, and frames of a replay. */
    public interface Source {
        /** The run's fixed facts as JSON: n, layout, edges, engine, mode. */
        String hello();

        /** The current state as JSON, or null in replay mode (no push). */
        String snapshot();

        /**
         * Runs (or queues) a control action from the page.
         *
         * @return a short reply for the page
         * @throws IllegalArgumentException naming what is wrong with the request (answered 400)
         */
        String control(Map<String, String> params);

        /** Frame {@code i} of a replay as JSON. @throws IllegalArgumentException if there is no replay or no such event */
        String frame(int i);
    }

    private final EventLoopGroup group = new NioEventLoopGroup(1);
    private final Channel channel;
    private final Source source;
    private final List<Channel> clients = new CopyOnWriteArrayList<>();
    private final AtomicLong pushed = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();

    /** Serves {@code source} on {@code 127.0.0.1:port} (0: a free port). @throws UncheckedIOException if it cannot bind */
    public WatchServer(Source source, int port) {
        this(source, port, PUSH_MILLIS);
    }

    /** As {@link #WatchServer(Source, int)}, pushing a snapshot every {@code pushMillis} ms (> 0). */
    public WatchServer(Source source, int port, int pushMillis) {
        if (pushMillis <= 0) {
            throw new IllegalArgumentException("push interval must be > 0 ms, got " + pushMillis);
        }
        this.source = source;
        ChannelFuture f = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(HIGH_WATER_BYTES / 2, HIGH_WATER_BYTES))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(64 * 1024), new Handler());
                    }
                })
                .bind("127.0.0.1", port)
                .awaitUninterruptibly();
        if (!f.isSuccess()) {
            group.shutdownGracefully(0, 100, TimeUnit.MILLISECONDS);
            throw new UncheckedIOException(new IOException("cannot listen on 127.0.0.1:" + port + ": "
                    + (f.cause() == null ? "?" : f.cause().getMessage())));
        }
        channel = f.channel();
        group.scheduleAtFixedRate(this::push, pushMillis, pushMillis, TimeUnit.MILLISECONDS);
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** Snapshots written to pages so far. */
    public long pushed() {
        return pushed.get();
    }

    /** Snapshots not written because a page's connection was not writable (it fell behind). */
    public long skipped() {
        return skipped.get();
    }

    /** Pages connected to the push channel now. */
    public int clients() {
        return clients.size();
    }

    private void push() {
        if (clients.isEmpty()) {
            return;
        }
        String s;
        try {
            s = source.snapshot();
        } catch (RuntimeException e) {
            s = null;
        }
        if (s == null) {
            return;
        }
        byte[] frame = ("data: " + s + "\n\n").getBytes(StandardCharsets.UTF_8);
        for (Channel c : clients) {
            if (!c.isActive()) {
                clients.remove(c);
            } else if (c.isWritable()) {
                c.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(frame)));
                pushed.incrementAndGet();
            } else {
                skipped.incrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly();
        for (Channel c : clients) {
            c.close();
        }
        group.shutdownGracefully(0, 200, TimeUnit.MILLISECONDS).awaitUninterruptibly();
    }

    private static final Map<String, String> TYPES = Map.of("html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8", "css", "text/css; charset=utf-8", "svg", "image/svg+xml");

    private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (!req.decoderResult().isSuccess()) {
                send(ctx, HttpResponseStatus.BAD_REQUEST, "text/plain", "bad request\n", false);
                return;
            }
            QueryStringDecoder q = new QueryStringDecoder(req.uri());
            String path = q.path();
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            Map<String, String> params = new LinkedHashMap<>();
            q.parameters().forEach((k, v) -> params.put(k, v.get(v.size() - 1)));
            try {
                if (path.equals("/events") && req.method().equals(HttpMethod.GET)) {
                    HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                    res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
                    res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
                    HttpUtil.setTransferEncodingChunked(res, true);
                    ctx.write(res);
                    String hello = "event: hello\ndata: " + source.hello() + "\n\n";
                    ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(hello, StandardCharsets.UTF_8)));
                    clients.add(ctx.channel());
                    return;
                }
                if (path.equals("/control")) {
                    String origin = req.headers().get(HttpHeaderNames.ORIGIN);
                    if (origin != null && !origin.equals("http://127.0.0.1:" + port()) && !origin.equals("http://localhost:" + port())) {
                        // another site open in the user's browser must not crash nodes through this page's server
                        send(ctx, HttpResponseStatus.FORBIDDEN, "text/plain", "controls only from the watch page itself\n", keepAlive);
                        return;
                    }
                    if (!req.method().equals(HttpMethod.POST)) {
                        send(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain", "POST only\n", keepAlive);
                        return;
                    }
                    send(ctx, HttpResponseStatus.OK, "text/plain; charset=utf-8", source.control(params) + "\n", keepAlive);
                    return;
                }
                if (!req.method().equals(HttpMethod.GET)) {
                    send(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "text/plain", "GET only\n", keepAlive);
                    return;
                }
                switch (path) {
                    case "/hello" -> send(ctx, HttpResponseStatus.OK, "application/json", source.hello(), keepAlive);
                    case "/frame" -> {
                        int i;
                        try {
                            i = Integer.parseInt(params.getOrDefault("i", "0"));
                        } catch (NumberFormatException e) {
                            throw new IllegalArgumentException("i must be an event index");
                        }
                        send(ctx, HttpResponseStatus.OK, "application/json", source.frame(i), keepAlive);
                    }
                    default -> {
                        String name = path.equals("/") ? "index.html" : path.substring(1);
                        byte[] body = name.matches("[a-z]+\\.(html|js|css|svg)") ? resource(name) : null;
                        if (body == null) {
                            send(ctx, HttpResponseStatus.NOT_FOUND, "text/plain", "no such page: " + path + "\n", keepAlive);
                        } else {
                            send(ctx, HttpResponseStatus.OK, TYPES.get(name.substring(name.lastIndexOf('.') + 1)), body, keepAlive);
                        }
                    }
                }
            } catch (IllegalArgumentException e) {
                send(ctx, HttpResponseStatus.BAD_REQUEST, "text/plain; charset=utf-8", e.getMessage() + "\n", keepAlive);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            clients.remove(ctx.channel());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    static byte[] resource(String name) {
        try (InputStream in = WatchServer.class.getResourceAsStream("/watch/" + name)) {
            return in == null ? null : in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void send(ChannelHandlerContext ctx, HttpResponseStatus code, String type, String body, boolean keepAlive) {
        send(ctx, code, type, body.getBytes(StandardCharsets.UTF_8), keepAlive);
    }

    private static void send(ChannelHandlerContext ctx, HttpResponseStatus code, String type, byte[] body, boolean keepAlive) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, code, Unpooled.wrappedBuffer(body));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
        res.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
        HttpUtil.setContentLength(res, body.length);
        HttpUtil.setKeepAlive(res, keepAlive);
        ChannelFuture f = ctx.writeAndFlush(res);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }
}
