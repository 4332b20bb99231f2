// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The daemon's configuration file, as the source of {@code run}'s defaults: one {@code name=value}
 * per line, where the names are {@code run}'s long options without the dashes; blank lines and
 * lines starting with {@code #} are ignored. The names come from picocli's model of the command,
 * so every option, including one added later, can be set here; anything else is an error naming
 * the file and line. The file is {@code --config FILE}, else {@code $SMTCHECK_CONFIG}, else
 * {@value #DEFAULT_PATH}; only the last may be absent. The command line wins.
 */
final class ConfigFile implements CommandLine.IDefaultValueProvider {
    static final String DEFAULT_PATH = "/etc/smtcheck/smtcheck.conf";
    static final String ENV = "SMTCHECK_CONFIG";
    static final String OPTION = "--config";

    /** A file that cannot be used: its message names the file and, where there is one, the line. */
    static final class ConfigException extends CommandLine.ParameterException {
        private static final long serialVersionUID = 1L;

        ConfigException(CommandLine commandLine, String message) {
            super(commandLine, message);
        }
    }

    /** One line of the file. */
    record Setting(String name, String value, Path file, int line) {
        String origin() {
            return file + ":" + line;
        }
    }

    private final String environmentFile;
    private Optional<Path> file;
    private boolean named;
    private Map<String, Setting> settings; // by name()

    /**
     * Takes the file from {@code --config} in the command line {@code args}, else from
     * {@code $SMTCHECK_CONFIG}, else the default.
     */
    ConfigFile(String[] args) {
        this(System.getenv(ENV));
        named(args).ifPresent(f -> {
            file = Optional.of(f);
            named = true;
        });
    }

    ConfigFile(String environmentFile) {
        this.environmentFile = environmentFile == null || environmentFile.isBlank() ? null : environmentFile;
    }

    /**
     * The file {@code --config} names in {@code run}'s arguments. Read from the arguments before
     * picocli parses them, because picocli asks for defaults as soon as it matches the first
     * option, which may come before {@code --config}.
     */
    static Optional<Path> named(String[] args) {
        int run = Arrays.asList(args).indexOf("run");
        for (int i = run + 1; run >= 0 && i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                break;
            }
            if (a.equals(OPTION) && i + 1 < args.length) {
                return Optional.of(Path.of(args[i + 1]));
            }
            if (a.startsWith(OPTION + "=")) {
                return Optional.of(Path.of(a.substring(OPTION.length() + 1)));
            }
        }
        return Optional.empty();
    }

    /** The same file read afresh, for a reload; the default one counts if it has appeared since. */
    ConfigFile again() {
        ConfigFile c = new ConfigFile(environmentFile);
        if (named) {
            c.file = file;
            c.named = true;
        }
        return c;
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option) || !settable(option)) {
            return null;
        }
        Setting s = settings(option.command()).get(name(option));
        return s == null ? null : s.value();
    }

    /** The file in use, empty when there is none; known once the command line is parsed. */
    Optional<Path> file(CommandSpec spec) {
        if (file == null) {
            Object option = spec.findOption(OPTION).getValue();
            if (option != null) {
                file = Optional.of(Path.of(option.toString()));
                named = true;
            } else if (environmentFile != null) {
                file = Optional.of(Path.of(environmentFile));
            } else {
                Path fallback = Path.of(DEFAULT_PATH);
                file = Files.exists(fallback) ? Optional.of(fallback) : Optional.empty();
            }
        }
        return file;
    }

    /** The line that set an option, if the file set it. */
    Optional<Setting> setting(OptionSpec option) {
        return Optional.ofNullable(settings(option.command()).get(name(option)));
    }

    /**
     * The one-line message for a parse error that comes from this file: its own errors, and bad
     * values it supplied (which picocli reports without the file); null for other errors.
     */
    String explain(CommandLine.ParameterException e) {
        if (e instanceof ConfigException) {
            return e.getMessage();
        }
        if (settings == null || !(e.getArgSpec() instanceof OptionSpec option) || !settings.containsKey(name(option))) {
            return null;
        }
        Setting s = settings.get(name(option));
        Matcher m = Pattern.compile("^Invalid value for option '[^']*': (.*)$", Pattern.DOTALL).matcher(e.getMessage());
        return s.origin() + ": invalid value for " + s.name() + ": " + (m.matches() ? m.group(1) : e.getMessage());
    }

    /** Whether an option can be set in the file: every long option but help, version and --config itself. */
    static boolean settable(OptionSpec option) {
        return !option.usageHelp() && !option.versionHelp() && !option.longestName().equals(OPTION)
                && option.longestName().startsWith("--");
    }

    /** The names an option goes by in the file: its long names without the dashes. */
    static Map<String, OptionSpec> names(CommandSpec spec) {
        Map<String, OptionSpec> names = new LinkedHashMap<>();
        for (OptionSpec o : spec.options()) {
            if (settable(o)) {
                for (String n : o.names()) {
                    if (n.startsWith("--")) {
                        names.put(n.substring(2), o);
                    }
                }
            }
        }
        return names;
    }

    /** The name an option is shown under: its longest name without the dashes. */
    static String name(OptionSpec option) {
        return option.longestName().substring(2);
    }

    private Map<String, Setting> settings(CommandSpec spec) {
        if (settings == null) {
            Optional<Path> f = file(spec);
            settings = f.isEmpty() ? Map.of() : read(f.get(), spec);
        }
        return settings;
    }

    private static Map<String, Setting> read(Path file, CommandSpec spec) {
        CommandLine cli = spec.commandLine();
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(cli, file + ": no such configuration file");
        } catch (IOException e) {
            throw new ConfigException(cli, file + ": cannot read the configuration file: " + e.getMessage());
        }
        Map<String, OptionSpec> known = names(spec);
        Map<String, Setting> settings = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            String where = file + ":" + (i + 1) + ": ";
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new ConfigException(cli, where + "expected name=value, not \"" + line + "\"");
            }
            String name = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            OptionSpec option = known.get(name);
            if (option == null) {
                throw new ConfigException(cli, where + "unknown setting \"" + name + "\"" + suggestion(name, known));
            }
            if (value.isEmpty()) {
                throw new ConfigException(cli, where + name + " has no value (leave the line out for the default)");
            }
            Setting earlier = settings.get(name(option));
            if (earlier != null) {
                throw new ConfigException(cli, where + name + " is set already, on line " + earlier.line());
            }
            settings.put(name(option), new Setting(name, value, file, i + 1));
        }
        return settings;
    }

    /** ", did you mean ..." for the known name closest to a misspelt one, when one is close. */
    private static String suggestion(String name, Map<String, OptionSpec> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known.keySet()) {
            int d = distance(name.toLowerCase(java.util.Locale.ROOT), k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return best != null && bestDistance <= Math.max(1, best.length() / 3) ? " (did you mean \"" + best + "\"?)" : "";
    }

    /** Edit distance, counting a swap of two neighbouring letters as one edit. */
    private static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            for (int j = 0; j <= b.length(); j++) {
                if (i == 0 || j == 0) {
                    d[i][j] = i + j;
                    continue;
                }
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
