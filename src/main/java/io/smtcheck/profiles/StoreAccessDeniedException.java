// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The profile store belongs to another user: its directory, file or socket is not open to this
 * one. The store decides what the daemon pins, so only its owner (root, for the daemon's) may use it.
 */
public class StoreAccessDeniedException extends StoreUnavailableException {
    private static final long serialVersionUID = 1L;

    public StoreAccessDeniedException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Refuses a data directory this process cannot use, before anything tries to open a file there. */
    static void check(Path dataDir) {
        if (Files.isReadable(dataDir) && Files.isWritable(dataDir) && Files.isExecutable(dataDir)) {
            return;
        }
        throw new StoreAccessDeniedException(denied(dataDir.toString()), null);
    }

    static String denied(String what) {
        if (what.startsWith("mongodb://%2F")) {
            what = java.net.URLDecoder.decode(what.substring("mongodb://".length()).replaceFirst("[/?].*$", ""),
                    java.nio.charset.StandardCharsets.UTF_8);
        }
        String owner = "another user";
        // A socket in a private directory cannot be looked at: its directory's owner is the one.
        for (Path p = Path.of(what).toAbsolutePath(); p != null; p = p.getParent()) {
            try {
                owner = Files.getOwner(p).getName();
                break;
            } catch (IOException | RuntimeException e) {
                continue;
            }
        }
        return "permission denied: the profile store " + what + " belongs to " + owner
                + "; only that user (root for the daemon's store) may read or change it";
    }

    /** Whether {@code e} or one of its causes is the kernel's "permission denied". */
    static boolean causedBy(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.nio.file.AccessDeniedException
                    || (t.getMessage() != null && t.getMessage().contains("Permission denied"))) {
                return true;
            }
        }
        return false;
    }
}
