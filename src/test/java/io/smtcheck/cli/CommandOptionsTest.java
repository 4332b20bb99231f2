// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** An option means the same in every command that has it, and every command has --help and --version. */
class CommandOptionsTest {
    private static List<CommandLine> commands(CommandLine cli) {
        List<CommandLine> all = new ArrayList<>(List.of(cli));
        cli.getSubcommands().values().forEach(c -> all.addAll(commands(c)));
        return all;
    }

    @Test
    void everyCommandHasHelpAndVersion() {
        for (CommandLine c : commands(new CommandLine(new Main()))) {
            String name = c.getCommandSpec().qualifiedName();
            if (c.getCommandSpec().helpCommand()) {
                continue; // picocli's own help command: its --help is all it needs
            }
            assertNotNull(c.getCommandSpec().findOption("--help"), name);
            assertNotNull(c.getCommandSpec().findOption("--version"), name);
        }
        for (String[] args : List.of(new String[] {"run", "--version"}, new String[] {"model", "show", "--version"})) {
            StringWriter out = new StringWriter();
            assertEquals(ExitCodes.OK, Main.execute(args, new PrintWriter(out, true), new PrintWriter(new StringWriter())));
            assertTrue(out.toString().startsWith("smtcheck "), String.join(" ", args) + ": " + out);
        }
    }

    @Test
    void sharedOptionsAreDeclaredOnce() {
        List<String> shared = List.of("--json", "--topology", "--seed", "--verbose", "--data-dir", "--mongo-uri");
        Map<String, List<String>> users = new HashMap<>();
        Map<String, String> description = new HashMap<>();
        Map<String, String> defaults = new HashMap<>();
        for (CommandLine c : commands(new CommandLine(new Main()))) {
            for (String name : shared) {
                OptionSpec o = c.getCommandSpec().findOption(name);
                if (o == null) {
                    continue;
                }
                String where = c.getCommandSpec().qualifiedName();
                users.computeIfAbsent(name, k -> new ArrayList<>()).add(where);
                String text = String.join(" ", o.description());
                assertEquals(description.computeIfAbsent(name, k -> text), text, name + " in " + where);
                String value = String.valueOf(o.defaultValue());
                assertEquals(defaults.computeIfAbsent(name, k -> value), value, name + " in " + where);
            }
        }
        assertTrue(users.get("--data-dir").contains("smtcheck run"), users.toString());
        assertTrue(users.get("--topology").containsAll(List.of("smtcheck run", "smtcheck plan", "smtcheck profile",
                "smtcheck corun")), users.toString());
        assertTrue(users.get("--json").containsAll(List.of("smtcheck plan", "smtcheck scores", "smtcheck status",
                "smtcheck reset", "smtcheck profile", "smtcheck corun")), users.toString());
        assertTrue(users.get("--seed").containsAll(List.of("smtcheck train", "smtcheck corun")), users.toString());
    }
}
