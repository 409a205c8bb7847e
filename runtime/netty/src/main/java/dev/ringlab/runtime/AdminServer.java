package dev.ringlab.runtime;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A node's admin endpoint for users, HTTP/1.1 on the node's event loop: {@code GET /status} (JSON, see
 * {@link #status}) and {@code GET /metrics} (Prometheus text format, see {@link NodeMetrics}). It serves
 * what its two sources give, so it runs (and is tested) without a node. Engines do not poll it while
 * measuring: it runs on the node's own loop, so every request takes time from the node being measured;
 * engines read the counters directly ({@code netty}) or from the stream each node process writes to its
 * parent ({@code processes}).
 *
 * <h2>Status codes (RFC 9110)</h2>
 * <ul>
 *   <li>200: {@code GET} of {@code /status} or {@code /metrics}; {@code HEAD} of either is 200 with the
 *       headers a GET would get ({@code Content-Length} included) and no body.
 *   <li>404: any other path, whatever the method.
 *   <li>405 with {@code Allow: GET, HEAD}: another method on {@code /status} or {@code /metrics}.
 *   <li>400: a request Netty's HTTP decoder cannot parse (bad request line, bad version, bad header), or
 *       a request line of fewer than three parts (which Netty's decoder would skip silently).
 *   <li>505: a well-formed version other than HTTP/1.x.
 *   <li>414: a request line longer than {@link Limits#maxRequestLineBytes}.
 *   <li>431: a header section larger than {@link Limits#maxHeaderBytes}.
 *   <li>413: a body larger than 8 KiB (Netty's aggregator answers it).
 *   <li>408: a request whose header section is not complete {@link Limits#headerTimeoutNanos} after its
 *       first byte arrived (a client trickling its headers, "slowloris").
 * </ul>
 * Every error closes the connection after the response ({@code Connection: close}).
 *
 * <h2>Timeouts</h2>
 * A connection that sends and receives nothing for {@link Limits#idleTimeoutNanos} is closed (an idle
 * keep-alive connection, or one that never sends a byte); a request's header section must be complete
 * {@link Limits#headerTimeoutNanos} after its first byte (408 otherwise). The limits of the request line and
 * header section are Netty's own ({@link HttpServerCodec}), so nothing is parsed by hand and the decoder
 * never buffers more than they allow.
 */
public final class AdminServer {
    /**
     * Limits of the admin endpoint's connections.
     *
     * @param idleTimeoutNanos     a connection with no byte read or written for this long is closed
     * @param headerTimeoutNanos   a request's header section must be complete this long after its first byte
     * @param maxRequestLineBytes  longest request line (method, URI, version), 414 beyond
     * @param maxHeaderBytes       largest header section, 431 beyond
     */
    public record Limits(long idleTimeoutNanos, long headerTimeoutNanos, int maxRequestLineBytes, int maxHeaderBytes) {
        public Limits {
            if (idleTimeoutNanos <= 0 || headerTimeoutNanos <= 0 || maxRequestLineBytes < 64 || maxHeaderBytes < 64) {
                throw new IllegalArgumentException("admin limits must be positive (request line and headers at least 64 bytes)");
            }
        }

        /** 30 s idle, 5 s to send a header section, 4 KiB request line, 8 KiB of headers. */
        public static Limits defaults() {
            return new Limits(TimeUnit.SECONDS.toNanos(30), TimeUnit.SECONDS.toNanos(5), 4096, 8192);
        }
    }

    private static final String ALLOW = "GET, HEAD";
    private static final int MAX_BODY_BYTES = 8192;

    private final Channel channel;

    /**
     * Serves {@code status} (called per request, on {@code loop}) and {@code metrics} on
     * {@code bindHost:port} (0: any free port), with {@link Limits#defaults()}. Blocks until bound.
     *
     * @throws UncheckedIOException if the port cannot be bound
     */
    public AdminServer(Supplier<String> status, Supplier<String> metrics, EventLoop loop, String bindHost, int port) {
        this(status, metrics, loop, bindHost, port, Limits.defaults());
    }

    /** As {@link #AdminServer(Supplier, Supplier, EventLoop, String, int)}, with {@code limits}. */
    public AdminServer(Supplier<String> status, Supplier<String> metrics, EventLoop loop, String bindHost, int port,
            Limits limits) {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(metrics, "metrics");
        Objects.requireNonNull(limits, "limits");
        ChannelFuture f = new ServerBootstrap()
                .group(loop, loop)
                .channel(Transport.ofLoop(loop).serverChannel())
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        HeaderClock clock = new HeaderClock(limits.headerTimeoutNanos());
                        ch.pipeline().addLast(
                                new IdleStateHandler(0, 0, limits.idleTimeoutNanos(), TimeUnit.NANOSECONDS),
                                clock.beforeDecoder,
                                new HttpServerCodec(new HttpDecoderConfig()
                                        .setMaxInitialLineLength(limits.maxRequestLineBytes())
                                        .setMaxHeaderSize(limits.maxHeaderBytes())
                                        .setMaxChunkSize(MAX_BODY_BYTES)),
                                clock.afterDecoder,
                                new HttpObjectAggregator(MAX_BODY_BYTES),
                                new Handler(status, metrics));
                    }
                })
                .bind(bindHost, port)
                .awaitUninterruptibly();
        if (!f.isSuccess()) {
            throw new UncheckedIOException(new IOException("admin endpoint cannot listen on " + bindHost + ":" + port, f.cause()));
        }
        channel = f.channel();
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    public void close() {
        channel.close();
    }

    /**
     * The /status document of {@code host}: id, alive, uptime, peer port, links up and degree, the link
     * emulation it adds ({@code added_latency}: spec or null, {@code emulated_loss}: probability), its
     * neighbours with connection states, the last token event seen, and its counters over the host's life
     * ({@code messages_dropped} and {@code drops} by reason, as in {@code ClusterStats}). Reads the link
     * table, so it runs on the node's loop (or hops onto it).
     */
    static ObjectNode status(NodeHost host) {
        ObjectNode s = ObservationJson.MAPPER.createObjectNode();
        s.put("id", host.id());
        s.put("alive", host.alive());
        s.put("port", host.port());
        s.put("uptime_ms", TimeUnit.NANOSECONDS.toMillis(host.uptimeNanos()));
        s.put("links_up", host.linksUp());
        s.put("connections", host.connectionPolicy().spec());
        s.put("degree", host.degree());
        LinkEmulation e = host.emulation();
        if (e.active() && e.spec() != null) {
            s.put("added_latency", e.spec());
        } else {
            s.putNull("added_latency");
        }
        s.put("emulated_loss", e.active() ? e.lossProbability() : 0.0);
        ArrayNode ns = s.putArray("neighbours");
        for (NodeHost.LinkStatus l : host.links()) {
            ObjectNode n = ns.addObject();
            n.put("id", l.peer());
            n.put("direction", l.direction());
            n.put("state", l.state());
            n.put("writable", l.writable());
        }
        var token = host.metrics().lastToken();
        if (token == null) {
            s.putNull("last_token");
        } else {
            s.set("last_token", ObservationJson.toJson(token));
        }
        NodeMetrics m = host.metrics();
        s.put("token_rotations", m.tokenRotations());
        s.put("messages_sent", m.sent());
        s.put("bytes_sent", m.bytesSent());
        s.put("messages_delivered", m.delivered());
        s.put("messages_dropped", m.droppedTotal());
        ObjectNode drops = s.putObject("drops");
        new java.util.TreeMap<>(m.counters().drops()).forEach(drops::put);
        return s;
    }

    /**
     * The header timeout: armed by the first byte of a request (seen before the decoder), disarmed when the
     * decoder has the whole header section ({@link HttpRequest}), re-enabled for the next request at the end
     * of this one ({@link LastHttpContent}). On expiry: 408 and close.
     */
    private static final class HeaderClock {
        private final long timeoutNanos;
        private boolean awaitingHeaders = true;
        private ScheduledFuture<?> deadline;
        /**
         * Shape of the request line: 0 before it (Netty skips leading control characters and white space),
         * 1 inside it, 2 past it. Netty's decoder silently ignores a request line of fewer than three parts
         * and waits for another, so "GARBAGE\r\n" would get no answer until the header timeout: only this
         * count of the line's space-separated parts is checked here, everything else is the decoder's.
         */
        private int lineState;
        private int parts;
        private boolean inSpace;

        HeaderClock(long timeoutNanos) {
            this.timeoutNanos = timeoutNanos;
        }

        final ChannelInboundHandlerAdapter beforeDecoder = new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (awaitingHeaders && deadline == null) {
                    deadline = ctx.executor().schedule(() -> {
                        deadline = null;
                        if (awaitingHeaders && ctx.channel().isActive()) {
                            sendError(ctx, HttpResponseStatus.REQUEST_TIMEOUT, "request headers not complete within "
                                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms\n");
                        }
                    }, timeoutNanos, TimeUnit.NANOSECONDS);
                }
                if (msg instanceof ByteBuf b && lineState != 2 && !requestLineHasThreeParts(b)) {
                    b.release();
                    awaitingHeaders = false;
                    disarm();
                    sendError(ctx, HttpResponseStatus.BAD_REQUEST, "malformed request line\n");
                    return;
                }
                ctx.fireChannelRead(msg);
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                disarm();
                ctx.fireChannelInactive();
            }
        };

        final ChannelInboundHandlerAdapter afterDecoder = new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof HttpRequest) {
                    awaitingHeaders = false;
                    disarm();
                }
                if (msg instanceof LastHttpContent) {
                    awaitingHeaders = true;
                    lineState = 0;
                }
                ctx.fireChannelRead(msg);
            }
        };

        /** Scans {@code b} (without consuming it) while in the request line; false once a line of fewer than 3 parts ended. */
        private boolean requestLineHasThreeParts(ByteBuf b) {
            for (int i = b.readerIndex(); i < b.writerIndex() && lineState != 2; i++) {
                char c = (char) (b.getByte(i) & 0xff);
                boolean blank = Character.isISOControl(c) || Character.isWhitespace(c);
                if (lineState == 0) {
                    if (!blank) {
                        lineState = 1;
                        parts = 1;
                        inSpace = false;
                    }
                } else if (c == '\n') {
                    lineState = 2;
                    if (parts < 3) {
                        return false;
                    }
                } else if (blank) {
                    inSpace = true;
                } else if (inSpace) {
                    parts++;
                    inSpace = false;
                }
            }
            return true;
        }

        private void disarm() {
            if (deadline != null) {
                deadline.cancel(false);
                deadline = null;
            }
        }
    }

    /** An error response with {@code Connection: close}, then the close. */
    private static void sendError(ChannelHandlerContext ctx, HttpResponseStatus code, String body) {
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, code,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        HttpUtil.setContentLength(res, res.content().readableBytes());
        // from the tail: the clock's handler sits before the HTTP encoder, and its ctx would skip it
        ctx.channel().writeAndFlush(res).addListener(ChannelFutureListener.CLOSE);
    }

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Supplier<String> status;
        private final Supplier<String> metrics;

        Handler(Supplier<String> status, Supplier<String> metrics) {
            this.status = status;
            this.metrics = metrics;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            if (req.decoderResult().isFailure()) {
                Throwable cause = req.decoderResult().cause();
                if (cause instanceof TooLongHttpLineException) {
                    sendError(ctx, HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line too long\n");
                } else if (cause instanceof TooLongHttpHeaderException) {
                    sendError(ctx, HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "header section too large\n");
                } else {
                    sendError(ctx, HttpResponseStatus.BAD_REQUEST, "malformed request\n");
                }
                return;
            }
            if (req.protocolVersion().majorVersion() != 1) {
                sendError(ctx, HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "HTTP/1.x only\n");
                return;
            }
            String path = req.uri().split("\\?", 2)[0];
            boolean head = req.method().equals(HttpMethod.HEAD);
            boolean known = path.equals("/status") || path.equals("/metrics");
            HttpResponseStatus code = HttpResponseStatus.OK;
            String body;
            String type = "text/plain; charset=utf-8";
            if (!known) {
                code = HttpResponseStatus.NOT_FOUND;
                body = "try /status or /metrics\n";
            } else if (!req.method().equals(HttpMethod.GET) && !head) {
                code = HttpResponseStatus.METHOD_NOT_ALLOWED;
                body = "GET or HEAD only\n";
            } else if (path.equals("/status")) {
                body = status.get() + "\n";
                type = "application/json";
            } else {
                body = metrics.get();
                type = "text/plain; version=0.0.4; charset=utf-8";
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            // HEAD: the headers a GET would get, Content-Length included, and no body (RFC 9110, 9.3.2)
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, code,
                    head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
            HttpUtil.setContentLength(res, bytes.length);
            if (code == HttpResponseStatus.METHOD_NOT_ALLOWED) {
                res.headers().set(HttpHeaderNames.ALLOW, ALLOW);
            }
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            HttpUtil.setKeepAlive(res, keepAlive);
            ChannelFuture f = ctx.writeAndFlush(res);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent) {
                ctx.close();
            } else {
                ctx.fireUserEventTriggered(evt);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
