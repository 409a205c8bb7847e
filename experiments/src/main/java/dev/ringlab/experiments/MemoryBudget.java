package dev.ringlab.experiments;

import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import picocli.CommandLine.ParseResult;

/**
 * Refuses a size that cannot fit the heap before anything is allocated: {@code topology ring -n 100000000}
 * used to end in an OutOfMemoryError trace after minutes of work. The estimate is a lower bound, the
 * structures every run of the command must hold (the overlay's CSR arrays both ways, and on the simulator
 * about 125 bytes per node of node state, calendar and counters, as {@code simbench --memory-probe}
 * measured), so a refusal is certain and a run that passes may still run out: that one ends as one line
 * naming RINGLAB_JAVA_OPTS too ({@link Main}).
 */
final class MemoryBudget {
    private MemoryBudget() {}

    /** Node state, calendar slots and counters per node on the simulator (simbench --memory-probe). */
    static final long SIM_BYTES_PER_NODE = 125;
    /** Metrics' working set per node in {@code topology}: distances, BFS queues, Lanczos vectors. */
    static final long METRICS_BYTES_PER_NODE = 100;

    /**
     * Throws a {@link UsageException} naming {@code --nodes}, the heap needed, the heap there is and
     * RINGLAB_JAVA_OPTS when the command parsed in {@code parsed} cannot fit.
     */
    static void check(ParseResult parsed) {
        ParseResult p = parsed;
        while (p.subcommand() != null) {
            p = p.subcommand();
        }
        CommandSpec spec = p.commandSpec();
        String command = spec.name();
        long n = nodes(spec);
        if (n <= 0) {
            return;
        }
        List<String> topologies = topologies(spec, command);
        long worst = 0;
        String worstTopology = null;
        for (String t : topologies) {
            long bytes = bytes(command, t, n);
            if (bytes > worst) {
                worst = bytes;
                worstTopology = t;
            }
        }
        long max = Runtime.getRuntime().maxMemory();
        if (worst > max) {
            long gb = (long) Math.ceil(worst * 1.5 / (1L << 30));
            throw new UsageException("--nodes", String.format(Locale.ROOT,
                    "%s on n = %d needs at least %s of heap, this JVM has %s; use a smaller n or give the JVM more, "
                            + "e.g. RINGLAB_JAVA_OPTS='%s' ./ringlab %s ...",
                    worstTopology == null ? command : "topology " + worstTopology, n, size(worst), size(max), javaOpts(gb), command));
        }
    }

    /**
     * The JVM flags to suggest for a heap of {@code gb} GB: the launcher's defaults with that heap, and transparent huge
     * pages and compact object headers where this JVM runs with them (the launcher adds them where the kernel offers
     * huge pages and where the JDK is 25 or later; RINGLAB_JAVA_OPTS replaces all of its flags, so a suggestion
     * without them would lose them).
     */
    static String javaOpts(long gb) {
        return javaOpts(gb, java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments());
    }

    /** {@link #javaOpts(long)} for a JVM started with {@code jvmArgs}. */
    static String javaOpts(long gb, List<String> jvmArgs) {
        boolean thp = jvmArgs.contains("-XX:+UseTransparentHugePages");
        boolean compact = jvmArgs.contains("-XX:+UseCompactObjectHeaders");
        return "-Xmx" + gb + "g -XX:+UseParallelGC" + (thp ? " -XX:+UseTransparentHugePages" : "")
                + (compact ? " -XX:+UseCompactObjectHeaders" : "");
    }

    /** Lower bound of the heap {@code command} needs on {@code topology} with {@code n} nodes, in bytes. */
    static long bytes(String command, String topology, long n) {
        double arcs = 2.0 * degree(topology, n) * n; // CSR targets, both directions for the undirected ones
        long csr = (long) (4 * arcs) + 4 * n;
        return switch (command) {
            case "topology" -> csr + METRICS_BYTES_PER_NODE * n;
            case "simbench", "broadcast", "token", "compare", "recover", "recover-sweep", "config", "catalog", "cache" ->
                    csr + SIM_BYTES_PER_NODE * n;
            default -> 0;
        };
    }

    /** Degree of a topology spec, 1 when unknown (the estimate stays a lower bound). */
    static double degree(String topology, long n) {
        String t = topology.strip().toLowerCase(Locale.ROOT);
        String kind = t.contains(":") ? t.substring(0, t.indexOf(':')) : t;
        String arg = t.contains(":") ? t.substring(t.indexOf(':') + 1) : "";
        try {
            return switch (kind) {
                case "ring" -> 0.5; // directed: one arc per node
                case "biring" -> 2;
                case "random-regular", "successor-ring" -> Integer.parseInt(arg);
                case "chordal" -> 2.0 * (1 + Integer.parseInt(arg)) / 2;
                case "margulis" -> 8;
                case "hypercube" -> Math.max(1, 63 - Long.numberOfLeadingZeros(n));
                case "paley" -> (n - 1) / 2.0;
                case "complete" -> n - 1;
                default -> 0.5;
            };
        } catch (NumberFormatException e) {
            return 0.5; // the command's own parser names the bad spec
        }
    }

    static long nodes(CommandSpec spec) {
        OptionSpec o = spec.findOption("--nodes");
        if (o == null) {
            return 0;
        }
        Object v = o.getValue();
        long n = 0;
        if (v instanceof Number x) {
            n = x.longValue();
        } else if (v instanceof List<?> list) {
            for (Object e : list) {
                if (e instanceof Number x) {
                    n = Math.max(n, x.longValue());
                }
            }
        }
        return n;
    }

    static List<String> topologies(CommandSpec spec, String command) {
        if (command.equals("simbench")) {
            OptionSpec d = spec.findOption("--degree");
            return List.of("random-regular:" + (d == null ? 8 : d.getValue()));
        }
        if (command.equals("topology")) {
            for (PositionalParamSpec pp : spec.positionalParameters()) {
                if (pp.getValue() instanceof String s) {
                    return List.of(s);
                }
            }
        }
        for (String name : List.of("--topology", "--topologies")) {
            OptionSpec o = spec.findOption(name);
            if (o != null && o.getValue() != null) {
                Object v = o.getValue();
                if (v instanceof List<?> list) {
                    return list.stream().map(String::valueOf).toList();
                }
                return List.of(String.valueOf(v).split(","));
            }
        }
        return List.of("ring");
    }

    static String size(long bytes) {
        return bytes >= (1L << 30) ? String.format(Locale.ROOT, "%.1f GB", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%d MB", bytes >> 20);
    }
}
