package dev.ringlab.runtime;

import dev.ringlab.node.Protocol;
import dev.ringlab.node.ProtocolRegistry;
import dev.ringlab.topology.Overlay;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * The entry point of one node process, {@code java -cp ... dev.ringlab.runtime.NodeMain --id I --cluster FILE
 * [--bind HOST]}: what {@link ProcessCluster} launches, and what {@code ringlab node} runs. It reads the
 * {@link ClusterFile}, builds the overlay ({@link ClusterFile#overlay()}: rebuilt by {@code Topologies} or
 * read from the file's adjacency), the protocol through {@link ProtocolRegistry#standard()} from the file's
 * spec (so any protocol on the class path runs here, a researcher's included), and the link emulation
 * ({@link LinkEmulation#of}), then runs the node ({@link NodeProcess}) until stdin says {@code stop} or
 * closes.
 *
 * <p>Exit codes: 0 after a stop; 2 for bad usage (a missing or bad flag, an unreadable cluster file, a
 * protocol spec the registry cannot rebuild, a bad emulation spec), reported as one line on stderr naming
 * the flag ({@code ringlab node: --cluster: ...}), a secret file readable by group or others included; 1 if
 * the node cannot run (a port taken); {@link #EXIT_PARENT_GONE} when launched through {@link #main} and its
 * stdin ends (the parent is gone).
 */
public final class NodeMain {
    private NodeMain() {}

    /** Bad usage: names the flag; {@link #run(String[], InputStream, PrintStream, PrintStream)} exits 2 with it. */
    public static final class UsageError extends RuntimeException {
        private static final long serialVersionUID = 1L;

        private final String flag;

        public UsageError(String flag, String message) {
            super(message);
            this.flag = flag;
        }

        /** The flag at fault, e.g. {@code --cluster}. */
        public String flag() {
            return flag;
        }

        @Override
        public String toString() {
            return flag + ": " + getMessage();
        }
    }

    /**
     * A stdin for a node without a parent ({@code ringlab node --detached}): no command ever comes and it never
     * ends, so the node runs until the JVM is stopped (SIGTERM, SIGINT).
     */
    public static InputStream untilExit() {
        return new InputStream() {
            @Override
            public int read() throws java.io.InterruptedIOException {
                while (true) {
                    LockSupport.park(this);
                    if (Thread.interrupted()) {
                        throw new java.io.InterruptedIOException("interrupted");
                    }
                }
            }
        };
    }

    /** Exit code of a child whose parent went away (its stdin ended) before it was told to stop. */
    public static final int EXIT_PARENT_GONE = 3;

    /**
     * The process entry. Its first act is {@link #watchStdin}: a child must die with its parent even while it
     * is still loading classes, reading the cluster file or binding, or the kernel keeps an orphan JVM and its
     * ports until someone kills it by hand.
     */
    public static void main(String[] args) {
        NettyJfr.offUnlessSet();
        InputStream in = watchStdin(System.in);
        System.exit(run(args, in, System.out, System.err));
    }

    /**
     * Starts a daemon thread that is the only reader of {@code stdin}, relaying what it reads to the stream
     * returned (the node's command channel), and halts the JVM with {@link #EXIT_PARENT_GONE} the moment
     * {@code stdin} ends or fails. The parent never closes a child's stdin on purpose (it says {@code stop}),
     * so the end of stdin means the parent is gone, SIGKILL included (the kernel closes its pipe ends): no
     * one reads this process's output any more, and a graceful stop would only delay the exit.
     */
    static InputStream watchStdin(InputStream stdin) {
        java.util.concurrent.BlockingQueue<byte[]> chunks = new java.util.concurrent.LinkedBlockingQueue<>();
        Thread.ofPlatform().daemon().name("ringlab-stdin-watch").start(() -> {
            byte[] buf = new byte[8192];
            try {
                int k;
                while ((k = stdin.read(buf)) >= 0) {
                    if (k > 0) {
                        chunks.add(java.util.Arrays.copyOf(buf, k));
                    }
                }
            } catch (IOException e) {
                // a broken pipe is a gone parent too
            }
            Runtime.getRuntime().halt(EXIT_PARENT_GONE);
        });
        return new InputStream() {
            private byte[] cur = new byte[0];
            private int pos;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                while (pos >= cur.length) {
                    try {
                        cur = chunks.take();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new java.io.InterruptedIOException("interrupted waiting for stdin");
                    }
                    pos = 0;
                }
                int k = Math.min(len, cur.length - pos);
                System.arraycopy(cur, pos, b, off, k);
                pos += k;
                return k;
            }
        };
    }

    /**
     * Parses {@code --id I --cluster FILE [--bind HOST]} and runs the node; usable in-process (tests).
     *
     * @return the exit code: 0, 1 (the node could not run) or 2 (bad usage, one line on {@code err})
     */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        try {
            Integer id = null;
            Path cluster = null;
            String bind = null;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--id" -> id = parseId(value(args, ++i, a));
                    case "--cluster" -> cluster = Path.of(value(args, ++i, a));
                    case "--bind" -> bind = value(args, ++i, a);
                    default -> throw new UsageError(a, "unknown option; usage: --id I --cluster FILE [--bind HOST]");
                }
            }
            if (id == null) {
                throw new UsageError("--id", "missing; usage: --id I --cluster FILE [--bind HOST]");
            }
            if (cluster == null) {
                throw new UsageError("--cluster", "missing; usage: --id I --cluster FILE [--bind HOST]");
            }
            return run(id, cluster, bind, in, out);
        } catch (UsageError e) {
            err.println("ringlab node: " + e);
            return 2;
        } catch (IOException | UncheckedIOException | IllegalStateException e) {
            err.println("ringlab node: cannot run: " + e.getMessage());
            return 1;
        }
    }

    private static String value(String[] args, int i, String flag) {
        if (i >= args.length) {
            throw new UsageError(flag, "needs a value");
        }
        return args[i];
    }

    private static int parseId(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new UsageError("--id", "must be a node id 0..n-1, got '" + s + "'");
        }
    }

    /**
     * Runs node {@code id} of the cluster in {@code cluster}, listening on {@code bind} instead of the file's
     * host if not null.
     *
     * @throws UsageError naming the flag for bad usage (see the class doc)
     * @throws IOException if the secret cannot be read
     */
    public static int run(int id, Path cluster, String bind, InputStream in, PrintStream out) throws IOException {
        ClusterFile file;
        try {
            file = ClusterFile.read(cluster);
        } catch (IOException | IllegalArgumentException e) {
            throw new UsageError("--cluster", "cannot read " + cluster + ": " + e.getMessage());
        }
        if (id < 0 || id >= file.n()) {
            throw new UsageError("--id", "must be in 0.." + (file.n() - 1) + ", got " + id);
        }
        Overlay overlay;
        try {
            overlay = file.overlay();
        } catch (IllegalArgumentException e) {
            throw new UsageError("--cluster", "overlay '" + file.topology() + "' of " + cluster + " cannot be built: "
                    + e.getMessage());
        }
        try {
            ClusterFile.requirePrivate(file.secretFile());
        } catch (IllegalArgumentException e) {
            throw new UsageError("--cluster", e.getMessage());
        }
        Protocol protocol = protocol(file.protocol(), cluster);
        LinkEmulation emulation;
        try {
            emulation = LinkEmulation.of(file.latency(), file.loss());
        } catch (IllegalArgumentException e) {
            throw new UsageError("--cluster", "bad link emulation in " + cluster + ": " + e.getMessage());
        }
        if (bind != null) {
            List<ClusterFile.Endpoint> eps = new ArrayList<>(file.nodes());
            ClusterFile.Endpoint me = eps.get(id);
            eps.set(id, new ClusterFile.Endpoint(id, bind, me.port(), me.adminPort()));
            file = file.withNodes(eps);
        }
        ConnectionPolicy connections;
        try {
            connections = file.connectionPolicy(protocol);
        } catch (IllegalArgumentException e) {
            throw new UsageError("--cluster", "bad connections in " + cluster + ": " + e.getMessage());
        }
        return NodeProcess.run(id, file, overlay, protocol, RuntimeConfig.defaults().withConnections(connections), emulation,
                out, in);
    }

    /**
     * The protocol of {@code spec} from the registry.
     *
     * @throws UsageError naming the spec and the registry's forms if it cannot be rebuilt
     */
    static Protocol protocol(String spec, Path cluster) {
        try {
            return ProtocolRegistry.standard().protocol(spec);
        } catch (IllegalArgumentException e) {
            String msg = e.getMessage();
            String forms = String.join("; ", ProtocolRegistry.standard().forms());
            throw new UsageError("--cluster", "protocol '" + spec + "' of " + cluster + " cannot be rebuilt here: " + msg
                    + (msg != null && msg.contains(forms) ? "" : "; the registry knows: " + forms));
        }
    }
}
