// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Where the daemon learns about long-running process groups and their counters: the kernel
 * modules when they are loaded, a /proc scan otherwise. One thread polls; counters and resets may
 * come from others.
 *
 * <p>A monitor reports events and answers queries; which groups are managed, and their slots, is
 * the daemon's state alone ({@link DaemonState}). What a monitor keeps of its own serves its
 * reporting only (see each implementation).
 */
public interface Monitor extends AutoCloseable {
    /** What a monitor reports. */
    sealed interface Event permits Detected, Exited, SlotAssigned, Reattached {
    }

    /**
     * A group has run past the threshold (or was asked about): the daemon should place it. Its
     * profile is the one of {@code jobId}, else, where {@code profileName} is set (a Slurm job, whose
     * id is new with every submission), the one of that name.
     */
    record Detected(int pgid, int jobId, int workers, long runtimeSeconds, String name, String profileName)
            implements Event {
        /** A group whose profile is known by its job id alone. */
        Detected(int pgid, int jobId, int workers, long runtimeSeconds, String name) {
            this(pgid, jobId, workers, runtimeSeconds, name, null);
        }
    }

    /** Every process of the group has exited (or the group was removed). */
    record Exited(int pgid) implements Event {
    }

    /** The kernel answered an acknowledgement: the group's IPC slot, or a negative errno. */
    record SlotAssigned(int pgid, int slot) implements Event {
    }

    /**
     * The kernel modules are back after they were unloaded or reloaded: they know no group now, so
     * the daemon registers its groups again ({@link #registerAgain}), which are then reported again.
     */
    record Reattached() implements Event {
    }

    /** Cumulative counters of a group: cycles and instructions, or on-CPU nanoseconds in software mode. */
    record Counters(long cycles, long instructions, boolean hardware) {
    }

    /** One line for logs and status: which monitor, and how it counts. */
    String describe();

    /** Waits a short while (at most about the poll interval) and returns what happened meanwhile. */
    List<Event> poll() throws Exception;

    /** Tells the monitor the daemon has taken the group in (the kernel then starts counting it). */
    void acknowledge(int pgid, int jobId);

    /**
     * Takes in a group started with {@code smtcheck launch} by a user who could not register it
     * (the control socket's {@code launch}): it is reported like any launched group once it has
     * run past the threshold. Returns where it went, for the caller.
     */
    default String register(int pgid, int jobId, int workers) throws IOException {
        throw new IllegalStateException("this monitor takes no registrations");
    }

    /**
     * After {@link Reattached}: registers again a group the daemon knew from this monitor, with the
     * job id and worker count it was reported with. Returns false when it could not be (gone).
     */
    default boolean registerAgain(int pgid, int jobId, int workers) {
        return false;
    }

    /**
     * The groups this monitor already tracks when the daemon starts (a restarted daemon's), as
     * the reports and slot assignments the daemon would have received: what it adopts.
     */
    default List<Event> adoptable() {
        return List.of();
    }

    /** How many times a profile's process rule could not be evaluated, where this monitor evaluates them. */
    default Optional<Long> profileRuleErrors() {
        return Optional.empty();
    }

    /**
     * The group's counters, when this monitor has them. {@code slot} is the group's slot as the
     * monitor assigned it ({@link SlotAssigned}), -1 when it has none.
     */
    Optional<Counters> counters(int pgid, int slot);

    /** Zeroes every group's counters. */
    void resetCounters();

    @Override
    void close();
}
