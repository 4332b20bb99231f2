// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.sched.Placement;
import io.smtcheck.sched.Topology;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything the daemon knows and has done, in one place, owned by the daemon's lock: the groups
 * it manages (each with its {@link Pin}), the groups it leaves alone, and its counters. The plan is
 * not kept beside the pins: it is the groups' wanted pins.
 */
final class DaemonState {
    /**
     * A group the daemon does not manage, and why; a reused pgid (other leader start) is a new group.
     * The job id and workers are those the monitor reported, for registering it again.
     */
    record LeftAlone(int pgid, long leaderStartTicks, String name, String reason, int jobId, int workers) {
    }

    /** What failed, for the errors counted by kind. */
    enum ErrorKind {
        MONITOR, SLOT, PLANNING, PIN, RESTORE;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    static final int LATENCY_SAMPLES = 4096;

    private final Topology topology;
    final Map<Integer, ManagedGroup> groups = new LinkedHashMap<>();
    final Map<Integer, LeftAlone> leftAlone = new LinkedHashMap<>();
    /**
     * The CPUs each in-situ profile that runs has borrowed, by the profiled group's pgid: until it
     * ends, that group and the cores of those CPUs are out of the plan.
     */
    final Map<Integer, List<Integer>> lent = new LinkedHashMap<>();
    long events;
    long plans;
    long pins;
    long moves;
    private final long[] errors = new long[ErrorKind.values().length];
    /** Pin attempts that failed (each try of a pin that is tried again counts). */
    long pinFailures;
    long changedByOthers;
    /** The last plan, for status; null before the first. */
    DaemonStatus.Plan lastPlan;
    /** Since when the monitor fails (its last error in {@link #monitorError}); null while it works. */
    Instant monitorFailingSince;
    String monitorError;
    private final long[] latencies = new long[LATENCY_SAMPLES];
    private long latencyCount;
    /** Every arrival's latency since start, never reset: the metrics' histogram must only grow. */
    private final LatencyHistogram.Recorder histogram = new LatencyHistogram.Recorder();
    private Map<String, List<Integer>> placedFrom = Map.of();
    private Placement placement;

    DaemonState(Topology topology) {
        this.topology = topology;
        this.placement = Placement.empty(topology);
    }

    /** Where the groups' wanted pins put them, as the planner sees it. */
    Placement placement() {
        Map<String, List<Integer>> wanted = new LinkedHashMap<>();
        for (ManagedGroup g : groups.values()) {
            if (g.pin.wanted() != null) {
                wanted.put(g.key(), g.pin.wanted());
            }
        }
        if (!wanted.equals(placedFrom)) {
            placement = Placement.ofCpus(wanted, topology);
            placedFrom = wanted;
        }
        return placement;
    }

    /** The monitor's poll failed with {@code message}. */
    void monitorFailed(String message) {
        if (monitorFailingSince == null) {
            monitorFailingSince = Instant.now();
        }
        monitorError = message;
    }

    /** The monitor's poll worked. */
    void monitorWorks() {
        monitorFailingSince = null;
        monitorError = null;
    }

    void error(ErrorKind kind) {
        errors[kind.ordinal()]++;
    }

    /** The failures by kind, since start. */
    Map<String, Long> errorsByKind() {
        Map<String, Long> byKind = new LinkedHashMap<>();
        for (ErrorKind k : ErrorKind.values()) {
            byKind.put(k.label(), errors[k.ordinal()]);
        }
        return byKind;
    }

    long errors() {
        return Arrays.stream(errors).sum();
    }

    /** One arrival's time from the monitor's report to its pins applied. */
    void recordLatency(long nanos) {
        latencies[(int) (latencyCount++ % LATENCY_SAMPLES)] = nanos;
        histogram.record(nanos);
    }

    LatencyHistogram histogram() {
        return histogram.snapshot();
    }

    void resetLatencies() {
        latencyCount = 0;
    }

    /** The kept samples, ascending. */
    long[] sortedLatencies() {
        long[] sorted = Arrays.copyOf(latencies, (int) Math.min(latencyCount, LATENCY_SAMPLES));
        Arrays.sort(sorted);
        return sorted;
    }
}
