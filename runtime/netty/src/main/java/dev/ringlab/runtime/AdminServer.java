package dev.ringlab.runtime;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A node's admin endpoint for users, HTTP/1.1 on the node's event loop: {@code GET /status} (JSON, see
 * {@link #status}) and {@code GET /metrics} (Prometheus text format, see {@link NodeMetrics}). Anything else
 * is 404/405. It serves what its two sources give, so it runs (and is tested) without a node. Engines do
 * not poll it while measuring: it runs on the node's own loop, so every request takes time from the node
 * being measured; engines read the counters directly ({@code netty}) or from the stream each node
 * process writes to its parent ({@code processes}).
 */
public final class AdminServer {
    private final Channel channel;

    /**
     * Serves {@code status} (called per request, on {@code loop}) and {@code metrics} on
     * {@code bindHost:port} (0: any free port). Blocks until bound.
     *
     * @throws UncheckedIOException if the port cannot be bound
     */
    public AdminServer(Supplier<String> status, Supplier<String> metrics, EventLoop loop, String bindHost, int port) {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(metrics, "metrics");
        ChannelFuture f = new ServerBootstrap()
                .group(loop, loop)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(8192), new Handler(status, metrics));
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

    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Supplier<String> status;
        private final Supplier<String> metrics;

        Handler(Supplier<String> status, Supplier<String> metrics) {
            this.status = status;
            this.metrics = metrics;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            HttpResponseStatus code = HttpResponseStatus.OK;
            String body;
            String type;
            String path = req.uri().split("\\?", 2)[0];
            if (!req.method().equals(HttpMethod.GET)) {
                code = HttpResponseStatus.METHOD_NOT_ALLOWED;
                body = "GET only\n";
                type = "text/plain; charset=utf-8";
            } else if (path.equals("/status")) {
                body = status.get() + "\n";
                type = "application/json";
            } else if (path.equals("/metrics")) {
                body = metrics.get();
                type = "text/plain; version=0.0.4; charset=utf-8";
            } else {
                code = HttpResponseStatus.NOT_FOUND;
                body = "try /status or /metrics\n";
                type = "text/plain; charset=utf-8";
            }
            FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, code,
                    Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, type);
            HttpUtil.setContentLength(res, res.content().readableBytes());
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            HttpUtil.setKeepAlive(res, keepAlive);
            ChannelFuture f = ctx.writeAndFlush(res);
            if (!keepAlive) {
                f.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
