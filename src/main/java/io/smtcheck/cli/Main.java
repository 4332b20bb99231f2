// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The jar's entry point: {@code java -jar smtcheck-daemon.jar <command>}. */
@Command(name = "smtcheck",
        // Every command inherits --help and --version (and the version they print).
        scope = CommandLine.ScopeType.INHERIT,
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "SMT-aware co-scheduling: pairs long-running workloads on sibling hyperthreads.",
        subcommands = {RunCommand.class, PlanCommand.class, StatusCommand.class, ResetCommand.class, LaunchCommand.class,
            ScoresCommand.class, TrainCommand.class, ModelCommand.class, ProfilesCommand.class,
            ProfileCommand.class, CorunCommand.class, EvaluateCommand.class,
            CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs a command line with the given streams; returns the exit code. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        return execute(commandLine(), args, out, err);
    }

    /** Runs a command line on {@code cli}: {@link Main}'s commands, and in tests others beside them. */
    static int execute(CommandLine cli, String[] args, PrintWriter out, PrintWriter err) {
        cli.setOut(out);
        cli.setErr(err);
        cli.setExitCodeExceptionMapper(Failures::exitCode);
        documentExitCodes(cli);
        ConfigFile config = new ConfigFile(args);
        cli.getSubcommands().get("run").setDefaultValueProvider(config);
        CommandLine.IParameterExceptionHandler usual = cli.getParameterExceptionHandler();
        cli.setParameterExceptionHandler((e, commandLine) -> {
            String fromFile = config.explain(e);
            if (fromFile == null) {
                return usual.handleParseException(e, commandLine);
            }
            e.getCommandLine().getErr().println(e.getCommandLine().getCommandName() + ": " + fromFile);
            return ExitCodes.USAGE;
        });
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println(commandLine.getCommandName() + ": " + Failures.oneLine(e));
            return Failures.exitCode(e);
        });
        try {
            return cli.execute(args);
        } catch (LinkageError e) {
            // Thrown past the handler: picocli hands it only exceptions, not errors.
            err.println("smtcheck: " + Failures.oneLine(e));
            return Failures.exitCode(e);
        }
    }

    /** The command line of every command, with its exit codes documented, as {@code --help} shows them. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        documentExitCodes(cli);
        return cli;
    }

    private static void documentExitCodes(CommandLine cli) {
        cli.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(ExitCodes.HELP);
        cli.getSubcommands().values().forEach(Main::documentExitCodes);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"smtcheck " + (v == null ? "(development build)" : v)};
        }
    }
}
