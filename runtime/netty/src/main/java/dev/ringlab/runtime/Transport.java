package dev.ringlab.runtime;

import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.Locale;

/**
 * The socket transport under the event loops: the JDK's NIO selector, or Netty's native epoll (Linux x86-64
 * only; {@link Epoll#isAvailable()} says whether the native library loaded). Both carry the same frames on
 * the same TCP sockets; they differ in the system calls per wake-up and per write, and epoll offers
 * {@code TCP_QUICKACK}.
 *
 * <p>Chosen per JVM by the system property {@value #PROPERTY} ({@code nio}, {@code epoll} or {@code auto}:
 * epoll where available, else nio; unset: {@code auto}), read by {@link RuntimeConfig#defaults()}; the
 * processes engine passes the parent's choice to each child on its command line ({@link ProcessCluster}).
 *
 * <p>Why {@code auto} by default: on loopback, with the same runtime on top, epoll cut the token hop's p99
 * by about ten times against nio (nio's p99 sat near a millisecond in every placement and flush policy;
 * README "ringlab bench" has the figures), at no cost at the median.
 */
public enum Transport {
    NIO,
    EPOLL;

    /** System property naming the transport of {@link RuntimeConfig#defaults()}. */
    public static final String PROPERTY = "ringlab.transport";

    /**
     * The transport a name selects: {@code nio}, {@code epoll} or {@code auto}.
     *
     * @throws IllegalArgumentException for another name, or {@code epoll} where it is unavailable (saying why)
     */
    public static Transport select(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "nio":
                return NIO;
            case "epoll":
                if (!Epoll.isAvailable()) {
                    throw new IllegalArgumentException("epoll is not available here ("
                            + Epoll.unavailabilityCause().getMessage() + "); use nio or auto");
                }
                return EPOLL;
            case "auto":
                return Epoll.isAvailable() ? EPOLL : NIO;
            default:
                throw new IllegalArgumentException("unknown transport '" + name + "': use nio, epoll or auto");
        }
    }

    /** The transport {@value #PROPERTY} selects (unset: {@code auto}). */
    public static Transport fromProperty() {
        String p = System.getProperty(PROPERTY);
        return select(p == null || p.isBlank() ? "auto" : p.trim());
    }

    /** The factory of this transport's event loops. */
    public IoHandlerFactory ioHandlerFactory() {
        return this == EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    public Class<? extends SocketChannel> socketChannel() {
        return this == EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    public Class<? extends ServerSocketChannel> serverChannel() {
        return this == EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /**
     * The transport whose channels {@code loop} can serve: a channel must match its loop's I/O handler, so
     * every socket a node opens takes its classes from the node's loop rather than from a setting that could
     * disagree with it.
     */
    public static Transport ofLoop(EventLoop loop) {
        return loop instanceof IoEventLoop io && io.isCompatible(EpollIoHandle.class) ? EPOLL : NIO;
    }

    /** The name {@link #select} takes. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
