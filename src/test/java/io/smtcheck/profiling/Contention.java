// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Whether CPUs 0 and 1 share a resource right now, found without the injectors: the same program
 * runs on CPU 0 alone, then while a copy runs on CPU 1. On a virtual machine the answer changes
 * as the host moves its virtual CPUs (measured on the 2-vCPU build machines: periods of 20 to 40 s
 * in which two streams slow each other by 25 to 40 %, and periods in which they do not at all), so
 * the tests that need a shared resource wait for it, and say so when it never comes.
 */
public final class Contention {
    static final Path TESTLOAD = Path.of(System.getProperty("smtcheck.test.tools", "target/native"), "smtcheck-testload")
            .toAbsolutePath();
    /** STREAM's triad over 192 MiB: lives on memory bandwidth. */
    public static final List<String> STREAM = List.of(TESTLOAD.toString(), "stream");
    /** A triad over 16 MiB: too big for a private L2, inside a 32 MiB last-level cache. */
    public static final List<String> LLC_STREAM = List.of(TESTLOAD.toString(), "stream", "--mib", "16", "--passes", "600");
    /** Registers only. */
    public static final List<String> COMPUTE = List.of(TESTLOAD.toString(), "compute");

    /** A slowdown this large is no noise. */
    static final double SHARED = 0.15;

    private Contention() {
    }

    /** Whether two memory streams slow each other now, waiting up to {@code patience} for it. */
    public static boolean memoryBandwidthShared(Duration patience) throws IOException {
        return shared(STREAM, patience);
    }

    /** Whether two last-level-cache-sized streams slow each other now, waiting up to {@code patience}. */
    public static boolean lastLevelCacheShared(Duration patience) throws IOException {
        return shared(LLC_STREAM, patience);
    }

    private static boolean shared(List<String> program, Duration patience) throws IOException {
        long deadline = System.nanoTime() + patience.toNanos();
        Path dir = Files.createTempDirectory("smtcheck-contention-");
        try (Children children = new Children(() -> { })) {
            Path log = dir.resolve("probe.log");
            do {
                double alone = WorkloadRun.run(children, dir, program, dir, 0, log).cpuNanos();
                WorkloadRun.Running other = WorkloadRun.Running.start(children, dir, loop(program), dir, 1, log);
                try {
                    double beside = WorkloadRun.run(children, dir, program, dir, 0, log).cpuNanos();
                    if (1 - alone / beside >= SHARED) {
                        return true;
                    }
                } finally {
                    other.abandon();
                }
            } while (System.nanoTime() < deadline);
            return false;
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.deleteIfExists(f);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    /** The program again and again, until it is stopped. */
    private static List<String> loop(List<String> program) {
        List<String> argv = new java.util.ArrayList<>(List.of("/bin/sh", "-c", "while :; do \"$@\" >/dev/null; done", "loop"));
        argv.addAll(program);
        return argv;
    }
}
