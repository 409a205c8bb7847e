package dev.ringlab.experiments;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Picocli formats every help text with {@link String#format} (so {@code %n} is a line break): a bare {@code %}
 * ("13% faster") makes {@code --help} print a picocli warning on stderr for each such text. Every command's
 * help must render without one.
 */
class HelpFormatTest {
    @Test
    void everyCommandsHelpRendersWithoutAPicocliWarning() {
        List<String> commands = new ArrayList<>();
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream err = System.err;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            walk(Main.commandLine(), commands);
        } finally {
            System.setErr(err);
        }
        assertTrue(commands.size() > 20, "the walk rendered the commands' help: " + commands);
        String warnings = captured.toString(StandardCharsets.UTF_8);
        assertEquals("", warnings, "help texts picocli could not format (write %% for a percent sign)");
    }

    private static void walk(CommandLine cl, List<String> commands) {
        String usage = cl.getUsageMessage();
        assertTrue(usage.contains("Usage: "), cl.getCommandName() + ": " + usage);
        commands.add(cl.getCommandSpec().qualifiedName());
        for (CommandLine sub : cl.getSubcommands().values()) {
            walk(sub, commands);
        }
    }
}
