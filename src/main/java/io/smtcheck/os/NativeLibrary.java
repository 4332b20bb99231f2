// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.os;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Loads libsmtcheck.so once per JVM: from the path named by the system property
 * {@value #PATH_PROPERTY} or the environment variable {@value #PATH_ENV} when set (an installed
 * copy, as the systemd service uses), otherwise from the copy inside the jar, extracted to a
 * directory only this user can read.
 */
public final class NativeLibrary {
    public static final String PATH_PROPERTY = "smtcheck.native.library";
    public static final String PATH_ENV = "SMTCHECK_NATIVE_LIBRARY";
    static final String RESOURCE = "/META-INF/native/linux-x86_64/libsmtcheck.so";

    private static boolean loaded;

    private NativeLibrary() {
    }

    public static synchronized void load() {
        if (loaded) {
            return;
        }
        String override = System.getProperty(PATH_PROPERTY, System.getenv(PATH_ENV));
        if (override != null && !override.isBlank()) {
            Path path = Path.of(override).toAbsolutePath();
            if (!Files.isReadable(path)) {
                throw new UnsatisfiedLinkError("native library " + path + " (from " + PATH_PROPERTY + " or "
                        + PATH_ENV + ") is not readable");
            }
            System.load(path.toString());
        } else {
            System.load(extract().toString());
        }
        loaded = true;
    }

    private static Path extract() {
        try (InputStream in = NativeLibrary.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new UnsatisfiedLinkError("native library " + RESOURCE + " is missing from the class path");
            }
            Path dir = Files.createTempDirectory("smtcheck-native-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Path lib = dir.resolve("libsmtcheck.so");
            Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
            // The mapping stays valid after the file is gone; nothing is left behind on exit.
            lib.toFile().deleteOnExit();
            dir.toFile().deleteOnExit();
            return lib;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract the native library", e);
        }
    }
}
