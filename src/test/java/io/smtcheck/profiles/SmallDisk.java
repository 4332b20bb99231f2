// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/** A 2 MiB tmpfs that tests fill up, to see what the store does on a full disk (needs root). */
public final class SmallDisk implements AutoCloseable {
    private final Path root;

    private SmallDisk(Path root) {
        this.root = root;
    }

    /** Mounts it on {@code dir} (created); the test is skipped where that is not allowed. */
    public static SmallDisk mount(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Process mount = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dir.toString())
                .redirectErrorStream(true).start();
        String out = new String(mount.getInputStream().readAllBytes());
        assumeTrue(mount.waitFor() == 0, "cannot mount a 2 MiB tmpfs (needs root): " + out.strip());
        return new SmallDisk(dir);
    }

    public Path root() {
        return root;
    }

    /** Writes {@code file} until the disk is full. */
    public static void fill(Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            byte[] block = new byte[4096];
            while (true) {
                out.write(block);
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left on device")) {
                throw e;
            }
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        new ProcessBuilder("umount", "-l", root.toString()).inheritIO().start().waitFor();
    }
}
