// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** The manual pages say what the commands' model says, and troff reads them without a warning. */
class ManPagesTest {
    private static final Map<String, String> PAGES = new ManPages("1.2.3", LocalDate.of(2026, 1, 2))
            .pages(Main.commandLine());

    @TempDir
    Path dir;

    @Test
    void everyCommandHasAPageWithEveryOptionItsHelpShows() {
        CommandLine root = Main.commandLine();
        assertTrue(PAGES.get("smtcheck.1").startsWith(".TH \"SMTCHECK\" \"1\" \"2026-01-02\" \"smtcheck 1.2.3\""));
        for (CommandLine c : ManPages.commands(root)) {
            String page = PAGES.get(ManPages.pageName(c) + ".1");
            assertTrue(page != null, "no page for " + ManPages.pageName(c));
            assertTrue(PAGES.get("smtcheck.1").contains(ManPages.escape(ManPages.pageName(c))),
                    "smtcheck(1) does not list " + ManPages.pageName(c));
            for (OptionSpec o : c.getCommandSpec().options()) {
                if (!o.hidden()) {
                    assertTrue(page.contains("\\fB" + ManPages.escape(o.longestName()) + "\\fR"),
                            ManPages.pageName(c) + " lacks " + o.longestName());
                }
            }
            assertTrue(page.contains(".SH \"EXIT STATUS\""), ManPages.pageName(c));
            ExitCodes.HELP.keySet().forEach(code -> assertTrue(page.contains("\\fB" + code + "\\fR"), code));
        }
        assertEquals(ManPages.commands(root).size() + 2, PAGES.size(), "the commands, smtcheck(1) and smtcheck.conf(5)");
    }

    @Test
    void theConfigurationPageHasEverySettingOfRunAndOnlyThose() {
        String conf = PAGES.get("smtcheck.conf.5");
        CommandLine run = Main.commandLine().getSubcommands().get("run");
        for (OptionSpec o : run.getCommandSpec().options()) {
            String entry = "\\fB" + ManPages.escape(ConfigFile.name(o)) + "\\fR=";
            assertEquals(ConfigFile.settable(o) && !o.hidden(), conf.contains(entry), o.longestName());
        }
    }

    @Test
    void troffReadsEveryPageWithoutAWarning() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/groff")), "needs groff (groff-base)");
        for (Map.Entry<String, String> p : PAGES.entrySet()) {
            Path f = Files.writeString(dir.resolve(p.getKey()), p.getValue());
            Process groff = new ProcessBuilder("groff", "-man", "-Tutf8", "-ww", "-z", f.toString())
                    .redirectErrorStream(true).start();
            String warnings = new String(groff.getInputStream().readAllBytes());
            assertEquals(0, groff.waitFor(), p.getKey() + ": " + warnings);
            assertEquals("", warnings, p.getKey());
        }
    }
}
