// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import java.util.List;
import java.util.Map;

/**
 * What the control socket's {@code status} answers: the daemon writes it, {@code smtcheck status}
 * reads it, and docs/status.md is generated from these records ({@link StatusSchema}), so the
 * three cannot drift apart. A field marked optional is left out when it has no value; a client
 * ignores fields it does not know, so that a newer daemon can add some.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record DaemonStatus(
        @JsonPropertyDescription("the daemon's process id") long pid,
        @JsonPropertyDescription("seconds since the daemon started") long uptimeSeconds,
        @JsonPropertyDescription("true when the daemon plans but pins nothing") boolean dryRun,
        @JsonPropertyDescription("which monitor reports groups, and how it counts") String monitor,
        @JsonPropertyDescription("the model file in use, with why a newer one was rejected, if one was") String model,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @JsonPropertyDescription("the format of the model in use: `smtcheck` or `original` (the original SMTcheck's);"
                + " absent without a model") String modelFormat,
        @JsonPropertyDescription("where profiles come from") String store,
        @JsonPropertyDescription("whether the profile store works, and since when it fails") String storeHealth,
        @JsonPropertyDescription("the cores and their CPUs, e.g. `0,1;2,3`") String topology,
        @JsonPropertyDescription("the relative gain that justifies moving running groups") double minGain,
        @JsonPropertyDescription("seconds a group runs before the kernel monitor reports it (the threshold in force)")
        long thresholdSeconds,
        @JsonPropertyDescription("seconds between two reads of the counters and scans of /proc (the interval in force)")
        double intervalSeconds,
        @JsonPropertyDescription("whether the monitor works: `ok`, or since when and why it fails") String monitorHealth,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @JsonPropertyDescription("the last plan and what it gains; absent before the first") Plan plan,
        @JsonInclude(JsonInclude.Include.NON_NULL)
        @JsonPropertyDescription("the settings of `smtcheck run` and where each came from") Configuration config,
        @JsonPropertyDescription("the groups the daemon manages") List<Workload> workloads,
        @JsonPropertyDescription("groups the daemon saw and does not manage, and why") List<LeftAlone> leftAlone,
        @JsonPropertyDescription("every core of the topology and who the plan puts on it") List<Core> cores,
        @JsonPropertyDescription("what the daemon has done since it started (`reset --counters` zeroes the groups' IPC"
                + " counters and the event-to-pin samples, not these)") Counters counters,
        @JsonPropertyDescription("from a monitor's report to the group's pins applied, in ms") Latency eventToPinMs,
        @JsonInclude(JsonInclude.Include.NON_EMPTY)
        @JsonPropertyDescription("the in-situ profiles that run now; absent when none does") List<Profiling> profiling) {

    /** The settings the daemon runs with. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Configuration(
            @JsonPropertyDescription("the configuration file, or null without one") String file,
            @JsonPropertyDescription("the settings a reload (SIGHUP) applies; the others need a restart")
            List<String> reloadable,
            @JsonPropertyDescription("each setting by name") Map<String, Setting> settings) {
    }

    /** One setting: its value, where it came from, and a changed value that waits for a restart. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Setting(
            @JsonPropertyDescription("the value in use, as text; null when unset") String value,
            @JsonPropertyDescription("where it came from: `default`, `command line`, or FILE:LINE") String from,
            @JsonUnwrapped
            @JsonPropertyDescription("present only while the file holds another value, applied at the next restart")
            Pending pending) {
        public Setting {
            // Read back from JSON, a setting without a pending value has an empty one.
            if (pending != null && pending.atRestartFrom() == null) {
                pending = null;
            }
        }
    }

    /** A setting's value from the configuration file that applies only after a restart. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Pending(
            @JsonPropertyDescription("the value after a restart, as text; null when unset") String atRestart,
            @JsonPropertyDescription("where that value comes from") String atRestartFrom) {
    }

    /** A managed group: where the plan wants it and where its pins really put it. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Workload(
            @JsonPropertyDescription("the process group id") int pgid,
            @JsonPropertyDescription("the job id") int job,
            @JsonPropertyDescription("the profile's name, the program's, or `job N`") String name,
            @JsonPropertyDescription("how many hardware threads it is planned for") int workers,
            @JsonPropertyDescription("false while it is placed with neutral scores, its profile unknown")
            boolean profileKnown,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @JsonPropertyDescription("its IPC_monitor slot (kernel monitor only)") Integer slot,
            @JsonPropertyDescription("the CPUs the daemon's pins put it on; empty: its original affinity")
            List<Integer> cpus,
            @JsonPropertyDescription("the CPUs the plan gives it; empty: its original affinity") List<Integer> wantedCpus,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @JsonPropertyDescription("why the last pin failed, while `cpus` lags behind `wantedCpus`") String pinError,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @JsonPropertyDescription("failed pins in a row, with `pinError`") Integer pinFailures,
            @JsonPropertyDescription("its counters; null until they were read once") Ipc ipc,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @JsonPropertyDescription("the one group on the sibling CPUs of its CPUs, while every other sibling is"
                    + " idle (a group of several workers beside itself or two groups has none)")
            Integer partner,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @JsonPropertyDescription("the model's slowdown of it beside `partner` (0.25: 75 % of its speed alone);"
                    + " absent without a partner or a profile") Double predictedSlowdown,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @JsonPropertyDescription("its slowdown beside `partner`'s job as observed here, the time-weighted mean;"
                    + " absent until observed") Double observedSlowdown,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @JsonPropertyDescription("seconds that slowdown was observed; its weight against the prediction is"
                    + " t / (t + 300)") Double observedSeconds,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @JsonPropertyDescription("since when (UTC, ISO-8601) its applied CPUs are what they are; absent while"
                    + " unpinned. For a group found pinned by an earlier daemon: since this daemon took it in")
            String pinnedSince,
            @JsonPropertyDescription("the CPUs its leader had before it was first pinned: what a restore puts back")
            List<Integer> originalCpus,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @JsonPropertyDescription("the CPUs of its Slurm job's allocation on this node, the only ones it is planned"
                    + " on; absent for a group that may use the whole topology") List<Integer> allocation,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @JsonPropertyDescription("its leader's command line (at most 200 characters), as it arrived")
            String command) {
    }

    /**
     * The last plan: its predicted score beside the two placements it is measured against, keeping
     * every running group where it is and not pinning at all. The score of a core is the sum of its
     * threads' predicted progress rates (1.0 for a thread beside an idle sibling), so a gain of 0.05
     * is 5 % more predicted work per second.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Plan(
            @JsonPropertyDescription("when it was made (UTC, ISO-8601)") String at,
            @JsonPropertyDescription("what made the daemon plan") String why,
            @JsonPropertyDescription("the predicted score of the placement applied") double score,
            @JsonPropertyDescription("the score of keeping every running group where it was") double keptScore,
            @JsonPropertyDescription("the best score found ignoring the cost of moves") double optimalScore,
            @JsonPropertyDescription("the expected score without pinning: threads on idle cores first, then"
                    + " paired at random, as a scheduler that knows no scores pairs them") double unpinnedScore,
            @JsonPropertyDescription("score / keptScore - 1") double gainOverKeeping,
            @JsonPropertyDescription("score / unpinnedScore - 1") double gainOverUnpinned,
            @JsonPropertyDescription("running groups it moved") int moved) {
    }

    /** A group's counters as last read. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Ipc(
            @JsonPropertyDescription("cycles counted (on-CPU ns with software counters)") long cycles,
            @JsonPropertyDescription("instructions counted (0 with software counters)") long instructions,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @JsonPropertyDescription("instructions per cycle over the last interval (hardware counters)") Double value,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @JsonPropertyDescription("on-CPU seconds so far (software counters)") Double onCpuSeconds) {
    }

    /** A group the daemon does not manage. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record LeftAlone(
            @JsonPropertyDescription("the process group id") int pgid,
            @JsonPropertyDescription("its name as reported") String name,
            @JsonPropertyDescription("why the daemon leaves it alone") String reason) {
    }

    /** One core of the topology and the plan's occupants. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Core(
            @JsonPropertyDescription("the core's index in the topology") int core,
            @JsonPropertyDescription("its CPUs (hardware threads)") List<Integer> cpus,
            @JsonPropertyDescription("the groups the plan puts on it, as `NAME [PGID]`") List<String> workloads,
            @JsonPropertyDescription("the predicted score of its occupants (0 when empty)") double score) {
    }

    /** What the daemon has done. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Counters(
            @JsonPropertyDescription("monitor events taken in") long events,
            @JsonPropertyDescription("plans made") long plans,
            @JsonPropertyDescription("pins applied") long pins,
            @JsonPropertyDescription("planned groups moved to other CPUs") long moves,
            @JsonPropertyDescription("failures: monitor, planning, pins, restores and the profile store") long errors,
            @JsonPropertyDescription("`errors` by kind: monitor, slot, planning, pin, restore, store")
            Map<String, Long> errorsByKind,
            @JsonPropertyDescription("pin attempts that failed (a pin tried again counts each time)") long pinFailures,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @JsonPropertyDescription("process rules that could not be evaluated (userspace monitor only)")
            Long profileRuleErrors,
            @JsonPropertyDescription("groups whose affinity someone else changed under the daemon") long changedByOthers,
            @JsonPropertyDescription("counter windows of pairs discarded: counts that stopped, did not advance, went"
                    + " back, or ran faster than alone, and windows of a group of several workers beside more than one"
                    + " partner (ambiguous)") long windowsDiscarded,
            @JsonPropertyDescription("`windowsDiscarded` by kind: stopped, unchanged, wentBack, jumped, fasterThanAlone,"
                    + " ambiguous") Map<String, Long> windowsDiscardedByKind,
            @JsonPropertyDescription("observed samples the profile store did not take") long observedUnwritten) {
    }

    /** An in-situ profile that runs: whose, on which borrowed core, and how far it got. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Profiling(
            @JsonPropertyDescription("the process group profiled") int pgid,
            @JsonPropertyDescription("its job") int job,
            @JsonPropertyDescription("the borrowed core's CPUs: the group's, then the injectors'") List<Integer> cpus,
            @JsonPropertyDescription("windows measured (or resumed from the journal)") int done,
            @JsonPropertyDescription("windows in all") int total,
            @JsonPropertyDescription("the window under way, or the last one") String current) {
    }

    /** Event-to-pin latency over the last samples. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Latency(
            @JsonPropertyDescription("how many arrivals were measured (the last 4096 at most)") long samples,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @JsonPropertyDescription("the median, with samples") Double median,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @JsonPropertyDescription("the 99th percentile, with samples") Double p99,
            @JsonInclude(JsonInclude.Include.NON_NULL)
            @JsonPropertyDescription("the longest, with samples") Double max) {
    }
}
