// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import java.io.IOException;
import java.util.Optional;

/**
 * Where in-situ profiling reads its counts: a running group's instructions and the time they were
 * read at, and injectors that report their own work units. The daemon's is the kernel monitor's
 * hardware counters with {@code smtcheck-inject}; tests give a simulated machine. Measuring logic
 * ({@link InSituProfiler}) sees only this, so its schedule and its handling of bad counts can be
 * exercised in milliseconds.
 */
public interface CounterSource {
    /**
     * Cumulative counts of a group.
     *
     * @param instructions instructions retired since counting began
     * @param cycles       cycles meanwhile, 0 where only instructions are known
     * @param nanos        a monotonic clock when they were read
     * @param waitedNanos  how long its tasks had waited, runnable, for a CPU that other tasks held
     *                     (the scheduler's run delay), cumulative; 0 where it is not known. Time
     *                     the job lost to other tasks on its CPU is not contention from its
     *                     sibling, so a window's rate leaves it out.
     */
    record Reading(long instructions, long cycles, long nanos, long waitedNanos) {
        /** Counts whose run delay is not known. */
        public Reading(long instructions, long cycles, long nanos) {
            this(instructions, cycles, nanos, 0);
        }
    }

    /** An injector started by {@link #startInjector}; closing it stops it. */
    interface RunningInjector extends AutoCloseable {
        /** Its cumulative work units and its CPU time in nanoseconds now. */
        Reading mark() throws IOException;

        @Override
        void close();
    }

    /** The group's counts now, or empty once it has exited (or is no longer counted). */
    Optional<Reading> read(int pgid) throws IOException;

    /** Starts the injector of {@code resource} on {@code cpu} at {@code intensity} and waits until it runs. */
    RunningInjector startInjector(String resource, int cpu, double intensity) throws IOException;

    /** Lets {@code seconds} pass. */
    void sleep(double seconds) throws InterruptedException;
}
