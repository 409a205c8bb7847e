package dev.ringlab.experiments;

import dev.ringlab.node.spec.UnsupportedRunException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;

/**
 * The {@code ringlab} command line. One subcommand per experiment; the engine is a flag, not a command
 * tree.
 *
 * <p>One error path: every failure is one line on stderr, {@code ringlab CMD: cause; fix}, and no stack
 * trace unless {@code --verbose} is given. Exit codes: 0 ok; 1 an experiment failed (a check failed, a run
 * did not repair, the heap ran out, an internal error); 2 bad input (a flag, a combination of flags, a size
 * that cannot fit the heap: {@link UsageException}, picocli's parse errors, an engine's
 * {@link UnsupportedRunException}, an {@link IllegalArgumentException} or
 * {@link UnsupportedOperationException} raised while parsing the user's specs).
 */
@Command(
        name = "ringlab",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
            "A research testbed for rings of servers and the expander graphs that beat them at broadcast.",
            "Every measuring command takes --json and then prints one JSON object on stdout; progress goes to "
                    + "stderr. Times are in milliseconds unless a field name says otherwise.",
            "On an error ringlab prints one line naming the cause and the fix and exits 2 for bad input, 1 for "
                    + "a failed experiment; --verbose (on any command) adds the stack trace.",
            "The launcher also runs the JMH benchmarks with its JDK: ./ringlab jmh [JMH options] (-l lists them)."
        },
        subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    /** Width of the help text when the terminal's width is unknown (tests, pipes). */
    static final int HELP_WIDTH = 100;

    @CommandLine.Spec
    CommandSpec spec;

    @Option(names = "--verbose", scope = ScopeType.INHERIT,
            description = "On an error, print the stack trace after the one-line message.")
    boolean verbose;

    @Override
    public void run() {
        // `ringlab` with no command: show what there is, and say it was a usage error.
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command: see the list above");
    }

    /** Builds the command tree; tests call this to run commands in-process. */
    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main());
        for (Object sub : Commands.all()) {
            cl.addSubcommand(sub);
        }
        cl.setUsageHelpWidth(HELP_WIDTH);
        cl.setUsageHelpAutoWidth(true);
        HelpText.reflow(cl);
        cl.setParameterExceptionHandler(Main::onBadUsage);
        cl.setExecutionStrategy(parsed -> {
            CommandLine cmd = last(parsed).commandSpec().commandLine();
            try {
                MemoryBudget.check(parsed);
            } catch (UsageException e) {
                return fail(cmd, parsed, e, 2, e.getMessage());
            }
            try {
                return new CommandLine.RunLast().execute(parsed);
            } catch (OutOfMemoryError e) {
                // Thrown on the command's thread: picocli lets Errors past its exception handler.
                return fail(cmd, parsed, e, 1, outOfMemory(e));
            }
        });
        cl.setExecutionExceptionHandler(Main::onFailure);
        return cl;
    }

    /** Maps an exception escaping a command to one line and an exit code (see the class comment). */
    private static int onFailure(Exception ex, CommandLine cmd, ParseResult parsed) {
        Throwable oom = cause(ex, OutOfMemoryError.class);
        if (oom != null) {
            return fail(cmd, parsed, ex, 1, outOfMemory(oom));
        }
        if (ex instanceof UsageException u) {
            return fail(cmd, parsed, ex, 2, u.getMessage());
        }
        if (ex instanceof UnsupportedRunException u) {
            return fail(cmd, parsed, ex, 2, "--" + u.field() + ": " + u.getMessage());
        }
        if ((ex instanceof IllegalArgumentException || ex instanceof UnsupportedOperationException) && fromUserInput(ex)) {
            return fail(cmd, parsed, ex, 2, ex.getMessage() + " (see: ringlab " + cmd.getCommandName() + " --help)");
        }
        String what = ex.getMessage() == null ? ex.getClass().getSimpleName() : ex.getMessage();
        return fail(cmd, parsed, ex, 1, what
                + (verbose(parsed) ? "" : " (" + ex.getClass().getSimpleName() + "; rerun with --verbose for the stack trace)"));
    }

    private static int fail(CommandLine cmd, ParseResult parsed, Throwable ex, int code, String message) {
        PrintWriter err = cmd.getErr();
        err.println(prefix(cmd) + message.replace("\n", " ").replace("\r", ""));
        if (verbose(parsed)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    static String outOfMemory(Throwable e) {
        long maxMb = Runtime.getRuntime().maxMemory() >> 20;
        return "out of memory (" + e.getMessage() + ", heap limit " + maxMb + " MB): give the JVM more heap, e.g. "
                + "RINGLAB_JAVA_OPTS='" + MemoryBudget.javaOpts(Math.max(2, 2 * ((maxMb + 1023) / 1024))) + "' ./ringlab ..., "
                + "or use a smaller -n";
    }

    /**
     * Whether an IllegalArgumentException or UnsupportedOperationException came from parsing what the user
     * typed: a spec parser (a method named parse*, or a spec/topology/link/fault class checking its input).
     * Anything else is a bug or a failed run, exit 1.
     */
    static boolean fromUserInput(Throwable ex) {
        for (StackTraceElement f : ex.getStackTrace()) {
            String c = f.getClassName();
            if (f.getMethodName().startsWith("parse") || c.endsWith("Spec") || c.endsWith(".Topologies")
                    || c.endsWith(".LinkModels") || c.endsWith(".FaultPlan") || c.endsWith(".Durations")
                    || c.endsWith(".RunOptions") || c.endsWith(".ProtocolRegistry")) {
                return true;
            }
            if (c.startsWith("picocli.")) {
                break;
            }
        }
        return false;
    }

    private static boolean verbose(ParseResult parsed) {
        for (ParseResult p = parsed; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--verbose")) {
                return true;
            }
        }
        return false;
    }

    private static ParseResult last(ParseResult parsed) {
        ParseResult p = parsed;
        while (p.subcommand() != null) {
            p = p.subcommand();
        }
        return p;
    }

    private static Throwable cause(Throwable ex, Class<? extends Throwable> type) {
        for (Throwable t = ex; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return t;
            }
        }
        return null;
    }

    private static String prefix(CommandLine cmd) {
        return cmd.getCommandSpec().userObject() instanceof Main ? "ringlab: " : "ringlab " + cmd.getCommandName() + ": ";
    }

    private static int onBadUsage(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        boolean root = cmd.getCommandSpec().userObject() instanceof Main;
        String see = " (see: ringlab " + (root ? "" : cmd.getCommandName() + " ") + "--help)";
        if (root && ex.getMessage().startsWith("missing command")) {
            cmd.usage(err);
        }
        String message = ex.getMessage().replace("\n", " ");
        // picocli checks required options before unmatched ones: `--nodez 5` is reported as a missing
        // --nodes. An unknown option among the arguments is the real cause, so name it instead.
        List<String> unknown = unknownOptions(cmd, args);
        if (ex instanceof CommandLine.UnmatchedArgumentException u) {
            if (u.isUnknownOption() || !root) {
                message = (u.isUnknownOption() ? "unknown option " : "unexpected argument ") + quote(u.getUnmatched().subList(0, 1))
                        + didYouMean(u.getSuggestions());
            } else {
                message = "unknown command " + quote(u.getUnmatched().subList(0, 1)) + didYouMean(u.getSuggestions());
            }
        } else if (!unknown.isEmpty()) {
            message = "unknown option " + quote(unknown)
                    + didYouMean(new CommandLine.UnmatchedArgumentException(cmd, unknown).getSuggestions());
        }
        err.println(prefix(cmd) + message + see);
        err.flush();
        return 2;
    }

    /** Arguments that look like long options ({@code --x} or {@code --x=v}) and that {@code cmd} does not have. */
    private static List<String> unknownOptions(CommandLine cmd, String[] args) {
        List<String> unknown = new ArrayList<>();
        CommandSpec s = cmd.getCommandSpec();
        boolean afterCommand = s.userObject() instanceof Main;
        for (String a : args) {
            if (!afterCommand) {
                afterCommand = a.equals(cmd.getCommandName());
                continue;
            }
            if (a.equals("--")) {
                break;
            }
            if (a.startsWith("--") && a.length() > 2) {
                String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
                OptionSpec o = s.findOption(name);
                if (o == null) {
                    unknown.add(name);
                }
            }
        }
        return unknown;
    }

    private static String quote(List<String> args) {
        return "'" + String.join("' '", args) + "'";
    }

    private static String didYouMean(List<String> suggestions) {
        List<String> useful = suggestions.stream().limit(3).toList();
        return useful.isEmpty() ? "" : "; did you mean " + String.join(" or ", useful) + "?";
    }

    public static void main(String[] args) {
        dev.ringlab.runtime.NettyJfr.offUnlessSet(); // before any Netty class loads
        // An OutOfMemoryError on another thread (an engine's event loop, a worker pool) would otherwise print
        // a trace and leave the run hanging: one line and exit 1, as on the command's own thread.
        Thread.setDefaultUncaughtExceptionHandler((thread, e) -> {
            if (e instanceof OutOfMemoryError) {
                System.err.println("ringlab: " + outOfMemory(e));
                System.err.flush();
                Runtime.getRuntime().halt(1);
            }
            System.err.println("ringlab: thread " + thread.getName() + " failed: " + e);
            e.printStackTrace();
        });
        System.exit(commandLine().execute(args));
    }

    /** The build's version, from a filtered resource. */
    public static String version() {
        Properties p = new Properties();
        try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            return "unknown";
        }
        return p.getProperty("version", "unknown");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"ringlab " + version(), "Java " + Runtime.version()};
        }
    }
}
