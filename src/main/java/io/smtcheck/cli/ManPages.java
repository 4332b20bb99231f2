// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * The manual pages, written from picocli's model of the commands, so that they say what
 * {@code --help} says and cannot fall behind it: smtcheck(1), one page per command
 * (smtcheck-run(1), smtcheck-model-show(1), ...) and smtcheck.conf(5), the settings of the
 * configuration file, which are {@code run}'s options. Written in man(7) macros.
 *
 * <p>The build runs {@link #main} ({@code prepare-package}), which puts them in the jar under
 * {@value #RESOURCE_DIR}; install.sh and the packages install them.
 */
public final class ManPages {
    static final String RESOURCE_DIR = "META-INF/man";
    private static final String MANUAL = "smtcheck manual";
    private static final int SYNOPSIS_WIDTH = 10_000;

    private final String version;
    private final String date;

    ManPages(String version, LocalDate date) {
        this.version = version;
        this.date = date.toString();
    }

    /** {@code ManPages DIR VERSION}: writes every page into DIR. */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: ManPages DIR VERSION");
            System.exit(ExitCodes.USAGE);
        }
        Map<String, String> pages = new ManPages(args[1], LocalDate.now(ZoneOffset.UTC)).pages(Main.commandLine());
        Path dir = Files.createDirectories(Path.of(args[0]));
        for (Map.Entry<String, String> p : pages.entrySet()) {
            Files.writeString(dir.resolve(p.getKey()), p.getValue());
        }
    }

    /** Every page, by file name ({@code smtcheck.1}, {@code smtcheck-run.1}, ..., {@code smtcheck.conf.5}). */
    Map<String, String> pages(CommandLine root) {
        Map<String, String> pages = new LinkedHashMap<>();
        pages.put("smtcheck.1", rootPage(root));
        for (CommandLine c : commands(root)) {
            pages.put(pageName(c) + ".1", commandPage(c));
        }
        pages.put("smtcheck.conf.5", configPage(root.getSubcommands().get("run")));
        return pages;
    }

    /** Every command below the root, depth first, without picocli's own {@code help}. */
    static List<CommandLine> commands(CommandLine root) {
        List<CommandLine> all = new ArrayList<>();
        for (CommandLine c : root.getSubcommands().values()) {
            if (c.getCommandSpec().userObject() instanceof CommandLine.HelpCommand || all.contains(c)) {
                continue;
            }
            all.add(c);
            all.addAll(commands(c));
        }
        return all;
    }

    /** {@code smtcheck-model-show} for {@code smtcheck model show}. */
    static String pageName(CommandLine c) {
        return c.getCommandSpec().qualifiedName("-");
    }

    private String rootPage(CommandLine root) {
        CommandSpec spec = root.getCommandSpec();
        Roff r = new Roff("SMTCHECK", 1, version, date);
        r.section("NAME").line("smtcheck \\- " + plain(first(spec.usageMessage().description())));
        r.section("SYNOPSIS").line("\\fBsmtcheck\\fR [\\fB\\-h\\fR|\\fB\\-V\\fR] \\fICOMMAND\\fR [...]");
        r.section("DESCRIPTION");
        description(r, spec.usageMessage().description());
        r.para("Each command has a page of its own, which says what its \\fB\\-\\-help\\fR says.");
        r.section("COMMANDS");
        for (CommandLine c : commands(root)) {
            r.item(reference(c), List.of(plain(first(c.getCommandSpec().usageMessage().description()))));
        }
        r.section("OPTIONS");
        options(r, spec);
        exitStatus(r, spec);
        r.section("FILES");
        r.item("\\fI" + ConfigFile.DEFAULT_PATH + "\\fR", List.of("The daemon's settings: \\fBsmtcheck.conf\\fR(5)."));
        r.section("SEE ALSO");
        List<String> refs = new ArrayList<>(commands(root).stream().map(ManPages::reference).toList());
        refs.add("\\fBsmtcheck.conf\\fR(5)");
        r.line(String.join(",\n", refs));
        return r.toString();
    }

    private String commandPage(CommandLine c) {
        CommandSpec spec = c.getCommandSpec();
        Roff r = new Roff(pageName(c).toUpperCase(Locale.ROOT), 1, version, date);
        r.section("NAME").line(escape(pageName(c)) + " \\- " + plain(first(spec.usageMessage().description())));
        // One line from picocli, for troff to fill at the reader's width.
        spec.usageMessage().width(SYNOPSIS_WIDTH);
        String synopsis = new CommandLine.Help(spec, CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF))
                .synopsis(0).strip();
        r.section("SYNOPSIS").line(guard(escape(synopsis)));
        r.section("DESCRIPTION");
        description(r, spec.usageMessage().description());
        if (!c.getSubcommands().isEmpty()) {
            r.section("COMMANDS");
            for (CommandLine sub : c.getSubcommands().values()) {
                r.item(reference(sub), List.of(plain(first(sub.getCommandSpec().usageMessage().description()))));
            }
        }
        if (!spec.positionalParameters().isEmpty()) {
            r.section("ARGUMENTS");
            for (PositionalParamSpec p : spec.positionalParameters()) {
                r.item("\\fI" + escape(p.paramLabel()) + "\\fR", paragraphs(p.description()));
            }
        }
        r.section("OPTIONS");
        options(r, spec);
        exitStatus(r, spec);
        r.section("SEE ALSO");
        r.line(spec.name().equals("run") ? "\\fBsmtcheck\\fR(1),\n\\fBsmtcheck.conf\\fR(5)" : "\\fBsmtcheck\\fR(1)");
        return r.toString();
    }

    private String configPage(CommandLine run) {
        CommandSpec spec = run.getCommandSpec();
        Roff r = new Roff("SMTCHECK.CONF", 5, version, date);
        r.section("NAME").line("smtcheck.conf \\- settings of the smtcheck daemon");
        r.section("SYNOPSIS").line("\\fI" + ConfigFile.DEFAULT_PATH + "\\fR");
        r.section("DESCRIPTION");
        r.para("The settings of \\fBsmtcheck run\\fR, one \\fIname\\fR\\fB=\\fR\\fIvalue\\fR per line, where each"
                + " name is one of the options of \\fBsmtcheck\\-run\\fR(1) without its leading dashes. Blank lines"
                + " and lines that start with \\fB#\\fR are ignored. A name that is not a setting, or a value the"
                + " option would refuse, stops the daemon's start with one line naming the file and the line.");
        r.para("The file is the one named by \\fB" + escape(ConfigFile.OPTION) + "\\fR, else by the environment"
                + " variable \\fB" + ConfigFile.ENV + "\\fR, else \\fI" + ConfigFile.DEFAULT_PATH + "\\fR; only"
                + " the last may be absent. A setting given on the command line wins over the file.");
        r.para("On \\fBSIGHUP\\fR (\\fBsystemctl reload smtcheck\\fR) the daemon reads the file again and applies "
                + String.join(", ", RunCommand.RELOADABLE.stream().sorted().map(n -> "\\fB" + n + "\\fR").toList())
                + "; a change to any other setting takes effect at the next start, and \\fBsmtcheck status\\fR"
                + " shows both values until then.");
        r.section("SETTINGS");
        for (OptionSpec o : spec.options()) {
            if (ConfigFile.settable(o) && !o.hidden()) {
                String label = o.typeInfo().isBoolean() ? "true|false" : o.paramLabel();
                r.item("\\fB" + escape(ConfigFile.name(o)) + "\\fR=\\fI" + escape(label) + "\\fR", described(o));
            }
        }
        r.section("EXAMPLE");
        r.line(".nf").line(".RS").line("model\\-dir=/usr/local/share/smtcheck/trained_model").line("threshold=3600")
                .line("min\\-gain=0.02").line("# mongo\\-uri=mongodb://db1,db2,db3/?replicaSet=rs0").line(".RE")
                .line(".fi");
        r.section("FILES");
        r.item("\\fI" + ConfigFile.DEFAULT_PATH + "\\fR", List.of("The default file."));
        r.section("SEE ALSO");
        r.line("\\fBsmtcheck\\fR(1),\n\\fBsmtcheck\\-run\\fR(1)");
        return r.toString();
    }

    private static String reference(CommandLine c) {
        return "\\fB" + escape(pageName(c)) + "\\fR(1)";
    }

    private static void options(Roff r, CommandSpec spec) {
        for (OptionSpec o : spec.options()) {
            if (o.hidden()) {
                continue;
            }
            List<String> names = o.names().length > 0 ? List.of(o.names()) : List.of();
            String head = String.join(", ", names.stream().map(n -> "\\fB" + escape(n) + "\\fR").toList());
            if (o.arity().max() > 0 && !o.typeInfo().isBoolean()) {
                head += " \\fI" + escape(o.paramLabel()) + "\\fR";
            }
            r.item(head, described(o));
        }
    }

    /** An option's description, with its default value where it takes one. */
    private static List<String> described(OptionSpec o) {
        List<String> paras = new ArrayList<>(paragraphs(o.description()));
        String d = o.defaultValueString();
        boolean said = paras.stream().anyMatch(p -> p.contains("Default:"));
        if (!said && o.arity().max() > 0 && !o.typeInfo().isBoolean() && d != null && !d.isEmpty()
                && !"null".equals(d) && !d.equals("[]")) {
            paras.add("Default: " + escape(d) + ".");
        }
        return paras;
    }

    private static void exitStatus(Roff r, CommandSpec spec) {
        Map<String, String> codes = spec.usageMessage().exitCodeList();
        if (!codes.isEmpty()) {
            r.section("EXIT STATUS");
            codes.forEach((code, meaning) -> r.item("\\fB" + code.strip() + "\\fR", List.of(plain(meaning))));
        }
    }

    private static void description(Roff r, String[] description) {
        paragraphs(description).forEach(r::para);
    }

    /** picocli's description lines as paragraphs: each line, split where it says {@code %n}. */
    private static List<String> paragraphs(String[] description) {
        List<String> out = new ArrayList<>();
        for (String d : description) {
            for (String p : d.replace("%%", "\u0000").split("%n")) {
                if (!p.isBlank()) {
                    out.add(plain(p.replace('\u0000', '%')));
                }
            }
        }
        return out;
    }

    /** The first sentence-like line of a description, without its full stop, for NAME. */
    private static String first(String[] description) {
        if (description.length == 0) {
            return "";
        }
        String d = description[0].split("%n")[0].strip();
        int stop = d.indexOf(". ");
        d = stop > 0 ? d.substring(0, stop) : d;
        return d.endsWith(".") ? d.substring(0, d.length() - 1) : d;
    }

    /** Text for a filled paragraph: troff's special characters escaped. */
    private static String plain(String s) {
        return escape(s.strip().replaceAll("\\s+", " "));
    }

    static String escape(String s) {
        return s.replace("\\", "\\e").replace("-", "\\-");
    }

    /** A line that starts with a control character is text, not a request. */
    private static String guard(String line) {
        return line.startsWith(".") || line.startsWith("'") ? "\\&" + line : line;
    }

    /** A page being written: lines of man(7) source. */
    private static final class Roff {
        private final StringBuilder out = new StringBuilder();
        private boolean afterHeading;

        Roff(String title, int section, String version, String date) {
            line(".TH \"" + title + "\" \"" + section + "\" \"" + date + "\" \"smtcheck " + escape(version) + "\" \""
                    + MANUAL + "\"");
        }

        Roff section(String name) {
            line(".SH \"" + name + "\"");
            afterHeading = true;
            return this;
        }

        Roff line(String s) {
            out.append(s).append('\n');
            return this;
        }

        /** A paragraph of body text. */
        Roff para(String text) {
            if (!afterHeading) {
                line(".PP");
            }
            afterHeading = false;
            return line(guard(text));
        }

        /** A tagged paragraph: the tag, then its paragraphs indented. */
        Roff item(String tag, List<String> paragraphs) {
            line(".TP").line(guard(tag));
            for (int i = 0; i < paragraphs.size(); i++) {
                if (i > 0) {
                    line(".IP");
                }
                line(guard(paragraphs.get(i)));
            }
            afterHeading = false;
            return this;
        }

        @Override
        public String toString() {
            return out.toString();
        }
    }
}
