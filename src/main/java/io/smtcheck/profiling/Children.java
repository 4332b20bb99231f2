// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Every process profiling starts, so that none outlives it. Normal paths close each process
 * themselves; on Ctrl-C or SIGTERM the JVM's shutdown hook asks each one to stop (the runner then
 * kills its workload's whole process group), and kills what has not stopped within two seconds.
 * When the JVM is killed outright, each program's parent-death signal does the same (see
 * smtcheck-inject and smtcheck-runner).
 *
 * <p>A child's parent-death signal fires when the thread that started it ends, so processes are
 * started from the command's own thread, which lives as long as the command.
 */
public final class Children implements AutoCloseable {
    private final Set<Process> running = ConcurrentHashMap.newKeySet();
    private final Thread hook;
    private volatile boolean cancelled;

    /** @param onShutdown what to say once everything has stopped when the JVM shuts down mid-run */
    Children(Runnable onShutdown) {
        hook = new Thread(() -> {
            stopAll();
            onShutdown.run();
        }, "smtcheck-profiling-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    /** Starts a process and tracks it until it has exited and {@link #forget} is called. */
    Process start(ProcessBuilder builder) throws IOException {
        if (cancelled) {
            throw new CancelledException();
        }
        Process p = builder.start();
        running.add(p);
        return p;
    }

    void forget(Process p) {
        running.remove(p);
    }

    /**
     * Waits up to {@code graceSeconds} for a process that was asked to stop, kills it if it has
     * not, and stops tracking it.
     */
    void reap(Process p, int graceSeconds) {
        try {
            if (!p.waitFor(graceSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                p.waitFor(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        } finally {
            forget(p);
        }
    }

    /** Whether the JVM is shutting down: the command must stop measuring. */
    public boolean cancelled() {
        return cancelled;
    }

    /** Throws {@link CancelledException} once the JVM is shutting down. */
    void checkCancelled() {
        if (cancelled) {
            throw new CancelledException();
        }
    }

    /** Sleeps, unless the JVM is shutting down (then, or when interrupted, throws {@link CancelledException}). */
    void sleep(double seconds) {
        try {
            Thread.sleep(Math.round(seconds * 1000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CancelledException();
        }
        checkCancelled();
    }

    /** Stops every tracked process: politely, then for good. */
    void stopAll() {
        cancelled = true;
        List<Process> all = List.copyOf(running);
        all.forEach(Process::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        for (Process p : all) {
            try {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !p.waitFor(left, TimeUnit.NANOSECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        running.removeAll(all);
    }

    /** Stops what is left and unregisters the hook. Idempotent. */
    @Override
    public void close() {
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException | IllegalArgumentException e) {
            // Shutting down already (the hook is running or ran), or removed before.
        }
    }

    /** The measurement stopped because the JVM is shutting down. */
    public static final class CancelledException extends RuntimeException {
        CancelledException() {
            super("interrupted");
        }
    }
}
