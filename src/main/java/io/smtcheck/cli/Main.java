// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import io.smtcheck.daemon.StateDirInUseException;
import io.smtcheck.profiles.StoreAccessDeniedException;
import io.smtcheck.profiles.StoreUnavailableException;
import io.smtcheck.profiling.WorkloadFailedException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.attribute.UserPrincipalNotFoundException;
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
        ConfigFile config = new ConfigFile();
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

    private static void documentExitCodes(CommandLine cli) {
        cli.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(ExitCodes.HELP);
        cli.getSubcommands().values().forEach(Main::documentExitCodes);
    }

    static int exitCode(Throwable e) {
        if (e instanceof BenchOptions.RefusedException || e instanceof StateDirInUseException
                || e instanceof StoreAccessDeniedException) {
            return ExitCodes.REFUSED;
        }
        if (e instanceof CommandLine.ParameterException || e instanceof OptionValueException) {
            return ExitCodes.USAGE;
        }
        if (e instanceof IllegalArgumentException || e instanceof InputException
                || e instanceof WorkloadFailedException) {
            return ExitCodes.BAD_INPUT;
        }
        return ExitCodes.FAILURE;
    }

    /** The reason on one line, in words: never a Java class name. */
    static String oneLine(Throwable e) {
        return reason(e).replaceAll("\\s*\\R\\s*", " ");
    }

    private static String reason(Throwable e) {
        if (e instanceof UserPrincipalNotFoundException u) {
            return "no such user or group: " + u.getName();
        }
        if (e instanceof FileSystemException f && f.getFile() != null) {
            // The system's reason, when it gave one; otherwise the kind of failure says it.
            String why = f.getReason() != null ? f.getReason()
                    : e instanceof NoSuchFileException ? "no such file or directory"
                    : e instanceof AccessDeniedException ? "permission denied"
                    : e instanceof FileAlreadyExistsException ? "already exists"
                    : e instanceof NotDirectoryException ? "not a directory"
                    : "cannot be used";
            return f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "") + ": " + why;
        }
        String message = e.getMessage();
        Throwable cause = e.getCause();
        // A wrapper without words of its own (its message is then the cause's class and message).
        if (cause != null && (message == null || message.isBlank() || message.equals(cause.toString()))) {
            return reason(cause);
        }
        return message == null || message.isBlank() ? "unexpected failure (no reason given)" : message;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"smtcheck " + (v == null ? "(development build)" : v)};
        }
    }
}
