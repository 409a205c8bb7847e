package dev.ringlab.experiments;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code ringlab} command line. One subcommand per experiment; the engine is a flag, not a command
 * tree. Exit codes: 0 ok, 1 a check failed, 2 bad usage (one line on stderr naming the flag and what is
 * allowed, no stack trace).
 */
@Command(
        name = "ringlab",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = {
            "A research testbed for rings of servers and the expander graphs that beat them at broadcast.",
            "Every measuring command takes --json and then prints one JSON object on stdout;",
            "progress goes to stderr. Times are in milliseconds unless a field name says otherwise."
        },
        subcommands = {CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

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
        cl.setParameterExceptionHandler(Main::onBadUsage);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof UsageException u) {
                cmd.getErr().println("ringlab " + cmd.getCommandName() + ": " + u.getMessage());
                return 2;
            }
            throw ex;
        });
        return cl;
    }

    private static int onBadUsage(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        if (cmd.getCommandSpec().userObject() instanceof Main && ex.getMessage().startsWith("missing command")) {
            cmd.usage(err);
        }
        err.println("ringlab" + (cmd.getCommandSpec().userObject() instanceof Main ? ": " : " " + cmd.getCommandName() + ": ")
                + ex.getMessage().replace("\n", " "));
        err.println("(see: ringlab " + (cmd.getCommandSpec().userObject() instanceof Main ? "" : cmd.getCommandName() + " ")
                + "--help)");
        return 2;
    }

    public static void main(String[] args) {
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
