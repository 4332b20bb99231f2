// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The profiling programs, {@code smtcheck-inject} and {@code smtcheck-runner}: from the directory
 * named by the system property {@value #DIR_PROPERTY} or the environment variable {@value #DIR_ENV}
 * (an installed copy), otherwise from the copies inside the jar, extracted once per JVM into a
 * directory only this user can read.
 */
public final class Tools {
    public static final String DIR_PROPERTY = "smtcheck.tools.dir";
    public static final String DIR_ENV = "SMTCHECK_TOOLS_DIR";
    static final String RESOURCE_DIR = "/META-INF/native/linux-x86_64/bin/";
    static final String INJECT = "smtcheck-inject";
    static final String RUNNER = "smtcheck-runner";

    private static Path extracted;

    private Tools() {
    }

    public static Path inject() {
        return tool(INJECT);
    }

    public static Path runner() {
        return tool(RUNNER);
    }

    private static Path tool(String name) {
        String override = System.getProperty(DIR_PROPERTY, System.getenv(DIR_ENV));
        Path path = override != null && !override.isBlank() ? Path.of(override).toAbsolutePath().resolve(name)
                : extractedDir().resolve(name);
        if (!Files.isExecutable(path)) {
            throw new IllegalStateException(path + " is missing or not executable"
                    + (override != null ? " (from " + DIR_PROPERTY + " or " + DIR_ENV + ")" : ""));
        }
        return path;
    }

    private static synchronized Path extractedDir() {
        if (extracted != null) {
            return extracted;
        }
        try {
            Path dir = Files.createTempDirectory("smtcheck-tools-",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            dir.toFile().deleteOnExit();
            for (String name : new String[] {INJECT, RUNNER}) {
                try (InputStream in = Tools.class.getResourceAsStream(RESOURCE_DIR + name)) {
                    if (in == null) {
                        throw new IllegalStateException(RESOURCE_DIR + name + " is missing from the class path");
                    }
                    Path file = dir.resolve(name);
                    Files.copy(in, file);
                    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwx------"));
                    file.toFile().deleteOnExit();
                }
            }
            extracted = dir;
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract the profiling tools", e);
        }
    }
}
