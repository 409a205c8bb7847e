package dev.ringlab.experiments;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The one command that reproduces a run: {@code ringlab CMD} and the arguments it was given, as given (every
 * flag a command accepts takes effect or is refused, so these are exactly the flags that took effect), plus
 * {@code --engine} and {@code --seed} when they were left to their defaults, so the line names them.
 */
final class Replay {
    private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_.,:@=+/%-]+");

    private Replay() {}

    static String line(CommandSpec spec, RunOptions run) {
        List<String> args = args(spec);
        StringBuilder b = new StringBuilder("ringlab ").append(spec.name());
        for (String a : args) {
            b.append(' ').append(quote(a));
        }
        if (!given(args, "--engine")) {
            b.append(" --engine ").append(run.engine().name());
        }
        if (!given(args, "--seed")) {
            b.append(" --seed ").append(run.seed());
        }
        return b.toString();
    }

    /** The arguments after the command's name, as given. */
    static List<String> args(CommandSpec spec) {
        List<String> all = spec.commandLine().getParseResult().originalArgs();
        int at = all.indexOf(spec.name());
        return new ArrayList<>(at < 0 ? all : all.subList(at + 1, all.size()));
    }

    static boolean given(List<String> args, String flag) {
        return args.stream().anyMatch(a -> a.equals(flag) || a.startsWith(flag + "="));
    }

    /** Single-quotes a value the shell would split or expand ({@code |}, {@code *}, blanks). */
    static String quote(String a) {
        return PLAIN.matcher(a).matches() ? a : "'" + a.replace("'", "'\\''") + "'";
    }
}
