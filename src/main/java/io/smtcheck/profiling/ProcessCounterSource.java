// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The real counter source: a group's counts from whoever counts it (the daemon's monitor, given as
 * {@link Groups}), and {@code smtcheck-inject} processes for injectors, whose own marks give their
 * units and CPU time. Closing it stops every injector it started and removes its scratch files.
 */
public final class ProcessCounterSource implements CounterSource, AutoCloseable {
    /** Where a group's counts come from: empty once it has exited or has no hardware counters. */
    @FunctionalInterface
    public interface Groups {
        Optional<Reading> read(int pgid);
    }

    private final Groups groups;
    private final Children children;
    private final Path workDir;

    public ProcessCounterSource(Groups groups) throws IOException {
        this.groups = groups;
        this.children = new Children(() -> { });
        this.workDir = Files.createTempDirectory("smtcheck-insitu-");
    }

    @Override
    public Optional<Reading> read(int pgid) {
        return groups.read(pgid);
    }

    @Override
    public RunningInjector startInjector(String resource, int cpu, double intensity) throws IOException {
        InjectorProcess p = InjectorProcess.start(children, workDir, resource, cpu, intensity);
        return new RunningInjector() {
            @Override
            public Reading mark() throws IOException {
                InjectorProcess.Mark m = p.mark();
                return new Reading(m.units(), 0, m.cpuNanos());
            }

            @Override
            public void close() {
                p.close();
            }
        };
    }

    @Override
    public void sleep(double seconds) throws InterruptedException {
        Thread.sleep(Math.round(seconds * 1000));
    }

    @Override
    public void close() {
        children.close();
        try (var files = Files.list(workDir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.deleteIfExists(f);
            }
            Files.deleteIfExists(workDir);
        } catch (IOException e) {
            // Only scratch files of injectors that have stopped.
        }
    }
}
