package dev.ringlab.experiments;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.UsageMessageSpec;

/**
 * Help text wrapped once. The commands' descriptions are written as source lines of about 100 characters
 * (one string per line, for readable diffs); picocli prints each string as a line of its own and wraps it
 * again at the help width, which left a short fragment at the end of every source line. Before any help is
 * printed, {@link #reflow} joins the lines of each paragraph into one string and lets picocli wrap that.
 *
 * <p>What stays a line of its own: an empty string (a paragraph break), a line starting with whitespace or a
 * list marker ({@code -}, {@code *}), and a line starting a known
 * block ({@code --json fields}, {@code Exit }, {@code Examples}). {@code %n} inside a string is a hard break.
 */
final class HelpText {
    private HelpText() {}

    /** Reflows the description, header and footer of {@code cl} and of every subcommand below it. */
    static void reflow(CommandLine cl) {
        CommandSpec spec = cl.getCommandSpec();
        UsageMessageSpec usage = spec.usageMessage();
        usage.description(paragraphs(usage.description()));
        usage.footer(paragraphs(usage.footer()));
        usage.header(paragraphs(usage.header()));
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (sub.getCommandSpec() != spec) {
                reflow(sub);
            }
        }
    }

    /** Joins the source lines of each paragraph (see the class comment). */
    static String[] paragraphs(String[] lines) {
        if (lines == null || lines.length == 0) {
            return lines;
        }
        List<String> out = new ArrayList<>();
        StringBuilder current = null;
                for (String element : lines) {
            for (String line : element.split("%n", -1)) {
                if (line.isBlank()) {
                    if (current != null) {
                        out.add(current.toString());
                        current = null;
                    }
                    out.add("");
                } else if (current == null || startsLine(line)) {
                    if (current != null) {
                        out.add(current.toString());
                    }
                    current = new StringBuilder(line.stripTrailing());
                } else {
                    current.append(' ').append(line.strip());
                }
            }
            // A %n at an element's very end only separated it from the next element: picocli breaks there anyway.
            if (element.endsWith("%n") && !out.isEmpty() && out.get(out.size() - 1).isEmpty() && current == null) {
                out.remove(out.size() - 1);
            }
        }
        if (current != null) {
            out.add(current.toString());
        }
        return out.toArray(String[]::new);
    }

    private static boolean startsLine(String line) {
        return Character.isWhitespace(line.charAt(0)) || line.startsWith("- ") || line.startsWith("* ")
                || line.startsWith("--json fields") || line.startsWith("Exit ")
                || line.startsWith("Examples");
    }
}
