// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import io.smtcheck.control.ControlClient;
import io.smtcheck.daemon.StateDirInUseException;
import io.smtcheck.os.SystemCallException;
import io.smtcheck.profiles.OriginalProfileData;
import io.smtcheck.profiles.StoreAccessDeniedException;
import io.smtcheck.profiles.StoreReadOnlyException;
import io.smtcheck.profiles.StoreUnavailableException;
import io.smtcheck.profiling.WorkloadFailedException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.List;
import picocli.CommandLine;

/**
 * What a command that fails prints and how it exits, for every command: the one place that maps
 * a failure to its exit code ({@link ExitCodes}) and to its one line of words.
 */
final class Failures {
    private record Kind(Class<? extends Throwable> type, int exitCode) {
    }

    /** The first entry the failure is an instance of decides; what is not listed is a system failure. */
    private static final List<Kind> KINDS = List.of(
            new Kind(RefusedException.class, ExitCodes.REFUSED),
            new Kind(StateDirInUseException.class, ExitCodes.REFUSED),
            new Kind(StoreAccessDeniedException.class, ExitCodes.REFUSED),
            new Kind(ControlClient.PermissionDeniedException.class, ExitCodes.REFUSED),
            new Kind(ControlClient.NotRunningException.class, ExitCodes.NOT_RUNNING),
            new Kind(CommandLine.ParameterException.class, ExitCodes.USAGE),
            new Kind(OptionValueException.class, ExitCodes.USAGE),
            new Kind(StoreReadOnlyException.class, ExitCodes.REFUSED),
            new Kind(OriginalProfileData.NodeException.class, ExitCodes.BAD_INPUT),
            new Kind(IllegalArgumentException.class, ExitCodes.BAD_INPUT),
            new Kind(InputException.class, ExitCodes.BAD_INPUT),
            new Kind(WorkloadFailedException.class, ExitCodes.BAD_INPUT),
            new Kind(StoreUnavailableException.class, ExitCodes.FAILURE),
            new Kind(SystemCallException.class, ExitCodes.FAILURE),
            new Kind(LinkageError.class, ExitCodes.FAILURE));

    private Failures() {
    }

    static int exitCode(Throwable e) {
        return KINDS.stream().filter(k -> k.type().isInstance(e)).findFirst().map(Kind::exitCode)
                .orElse(ExitCodes.FAILURE);
    }

    /** The reason on one line, in words: never a Java class name. */
    static String oneLine(Throwable e) {
        return reason(e).replaceAll("\\s*\\R\\s*", " ");
    }

    private static String reason(Throwable e) {
        if (e instanceof LinkageError) {
            // The native library failed to load (it loads on first use, inside a class initialiser).
            Throwable cause = e instanceof ExceptionInInitializerError && e.getCause() != null ? e.getCause() : e;
            return "cannot load the native library: " + cause.getMessage();
        }
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
}
