// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import io.smtcheck.profiles.StoreAccessDeniedException;
import io.smtcheck.profiles.StoreUnavailableException;
import io.smtcheck.profiling.WorkloadFailedException;
import io.smtcheck.sched.NativeCallException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The jar's entry point: {@code java -jar smtcheck-daemon.jar <command>}. */
@Command(name = "smtcheck",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "SMT-aware co-scheduling: pairs long-running workloads on sibling hyperthreads.",
        subcommands = {RunCommand.class, PlanCommand.class, StatusCommand.class, ResetCommand.class, LaunchCommand.class,
            ScoresCommand.class, TrainCommand.class, ModelCommand.class, ProfilesCommand.class,
            ProfileCommand.class, CorunCommand.class,
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
        CommandLine cli = new CommandLine(new Main());
        cli.setOut(out);
        cli.setErr(err);
        cli.setExitCodeExceptionMapper(Main::exitCode);
        documentExitCodes(cli);
        configFile().ifPresent(f -> cli.getSubcommands().get("run")
                .setDefaultValueProvider(new CommandLine.PropertiesDefaultProvider(f)));
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            commandLine.getErr().println(commandLine.getCommandName() + ": " + oneLine(e));
            return exitCode(e);
        });
        try {
            return cli.execute(args);
        } catch (LinkageError e) {
            // The native library failed to load (it loads on first use, inside a class initialiser).
            Throwable cause = e instanceof ExceptionInInitializerError && e.getCause() != null ? e.getCause() : e;
            err.println("smtcheck: cannot load the native library: " + cause.getMessage());
            return ExitCodes.FAILURE;
        }
    }

    /** The daemon's configuration file: $SMTCHECK_CONFIG, else /etc/smtcheck/smtcheck.conf when present. */
    private static java.util.Optional<java.io.File> configFile() {
        String named = System.getenv(RunCommand.CONFIG_ENV);
        java.io.File f = new java.io.File(named != null && !named.isBlank() ? named : RunCommand.CONFIG_FILE);
        return f.isFile() ? java.util.Optional.of(f) : java.util.Optional.empty();
    }

    private static void documentExitCodes(CommandLine cli) {
        cli.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(ExitCodes.HELP);
        cli.getSubcommands().values().forEach(Main::documentExitCodes);
    }

    static int exitCode(Throwable e) {
        if (e instanceof BenchOptions.RefusedException || e instanceof StoreAccessDeniedException) {
            return ExitCodes.REFUSED;
        }
        if (e instanceof CommandLine.ParameterException) {
            return ExitCodes.USAGE;
        }
        if (e instanceof IllegalArgumentException || e instanceof InputException
                || e instanceof WorkloadFailedException) {
            return ExitCodes.BAD_INPUT;
        }
        return ExitCodes.FAILURE;
    }

    private static String oneLine(Throwable e) {
        String message = e instanceof NativeCallException || e instanceof IllegalArgumentException
                || e instanceof InputException || e instanceof StoreUnavailableException
                || e instanceof BenchOptions.RefusedException || e instanceof WorkloadFailedException
                ? e.getMessage() : e.getClass().getSimpleName() + ": " + e.getMessage();
        return String.valueOf(message).replaceAll("\\s*\\R\\s*", " ");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"smtcheck " + (v == null ? "(development build)" : v)};
        }
    }
}
