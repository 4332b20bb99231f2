// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import io.smtcheck.model.ObservedSample;
import io.smtcheck.model.ObservedSlowdowns;
import io.smtcheck.model.ScoreTable;
import io.smtcheck.sched.Topology;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Observes the slowdowns of the pairs that run, from each group's counts read at every interval
 * (docs/learning.md). A window is the time between two reads of a group that stayed on the same
 * CPUs beside the same partners (or alone). Its progress is its IPC where cycles are counted, else
 * its instructions per second; against the group's rate alone it gives the mean relative speed of
 * its workers, which {@link Attribution} turns into the slowdown beside its one partner, or finds
 * ambiguous. The rate alone is the last window all the group's workers ran with their sibling CPUs
 * idle (which follows a job's phases), else its profile's IPC alone. Both sides of a pair observed
 * in the same round, each with the other as its one partner, add their slowdowns, weighted by the
 * window's length, to the score table's observations and rescore the pair (a group with itself
 * adds its one slowdown as both sides); runs of a pair are handed out as {@link ObservedSample}s
 * for the store.
 *
 * <p>Bad windows are discarded and counted: counts that stopped (the group is no longer counted),
 * that did not advance or went back, progress faster than alone, by more than half (a jump in the
 * counts) or by more than a fifth (a phase that the rate alone has not seen yet), and windows
 * beside more than one partner (ambiguous).
 *
 * <p>Only groups whose workers each have a CPU of their own, and whose counts are hardware counts,
 * are observed. Not thread-safe: its table's owner calls it.
 */
public final class CoRunObserver {
    /** Beside a sibling, faster than alone by more than this share is a jump in the counts. */
    static final double JUMP = 1.5;
    /** Faster than alone by more than this share (and not a jump): the job's phase changed since its rate alone. */
    static final double FASTER_THAN_ALONE = 1.2;
    private static final int NONE = Attribution.ALONE;

    /**
     * A group as the round sees it.
     *
     * @param cpus       the CPUs it is pinned on, one per worker; empty when it may run anywhere
     * @param observed   whether its windows are observed (its counts are hardware counts of one
     *                   worker per CPU); a group that is not still counts as its neighbours' partner
     * @param profileIpc its profile's IPC alone (per worker, as IPC is), or NaN
     * @param reading    its counts now; empty when it is no longer counted
     */
    public record Group(int pgid, int job, List<Integer> cpus, boolean observed, double profileIpc,
            Optional<CounterSource.Reading> reading) {
        public Group {
            cpus = List.copyOf(cpus);
            if (observed && cpus.isEmpty()) {
                throw new IllegalArgumentException("group " + pgid + ": cpus: none, for a group that is observed");
            }
        }

        /** A group of one worker, observed on {@code cpu}, or not observed and nowhere known (-1). */
        public Group(int pgid, int job, int cpu, double profileIpc, Optional<CounterSource.Reading> reading) {
            this(pgid, job, cpu < 0 ? List.of() : List.of(cpu), cpu >= 0, profileIpc, reading);
        }
    }

    /** Windows discarded so far, by why. */
    public record Discards(long stopped, long unchanged, long wentBack, long jumped, long fasterThanAlone,
            long ambiguous) {
        public long total() {
            return stopped + unchanged + wentBack + jumped + fasterThanAlone + ambiguous;
        }

        /** Each count under its name, in a fixed order (status's and the metrics' kinds). */
        public Map<String, Long> byKind() {
            Map<String, Long> kinds = new LinkedHashMap<>();
            kinds.put("stopped", stopped);
            kinds.put("unchanged", unchanged);
            kinds.put("wentBack", wentBack);
            kinds.put("jumped", jumped);
            kinds.put("fasterThanAlone", fasterThanAlone);
            kinds.put("ambiguous", ambiguous);
            return Collections.unmodifiableMap(kinds);
        }
    }

    /**
     * What a round gave: samples for the store, the largest change of a score it made, and
     * whether the scores have changed enough since the last re-plan to plan again (the rounds'
     * largest changes add up to {@link #RESCORED} or more, and {@code replanSeconds} have passed).
     */
    public record Round(List<ObservedSample> samples, double scoreChange, boolean replan) {
    }

    /** A change of a pair's score (in [0, 2]) that is worth a re-plan: the planner still weighs the moves' cost. */
    public static final double RESCORED = 0.01;

    private static final class Track {
        final List<Integer> cpus;
        /** For each of {@link #cpus}, the group on its sibling CPU, or {@link #NONE}. */
        final List<Integer> siblings;
        final Attribution attribution;
        CounterSource.Reading last;

        Track(List<Integer> cpus, List<Integer> siblings, CounterSource.Reading last) {
            this.cpus = cpus;
            this.siblings = siblings;
            this.attribution = Attribution.of(siblings);
            this.last = last;
        }
    }

    /** A pair's run beside each other since it was last handed out. */
    private static final class Run {
        final int jobLow;
        final int jobHigh;
        double seconds;
        double low;
        double high;

        Run(int jobLow, int jobHigh) {
            this.jobLow = jobLow;
            this.jobHigh = jobHigh;
        }
    }

    private final Topology topology;
    private final String machine;
    private final double sampleSeconds;
    private final double replanSeconds;
    private double changedSincePlan;
    private Instant plannedAt = Instant.MIN;
    private final Map<Integer, Track> tracks = new HashMap<>();
    /** The rate alone of each group, from its last solo window: IPC and instructions per second (NaN: none). */
    private final Map<Integer, double[]> alone = new HashMap<>();
    /** Keyed by the pair's pgids, the lower first. */
    private final Map<List<Integer>, Run> runs = new HashMap<>();
    private long stopped;
    private long unchanged;
    private long wentBack;
    private long jumped;
    private long fasterThanAlone;
    private long ambiguous;

    /**
     * @param machine       the machine's identity, for the samples
     * @param sampleSeconds how long a pair's run grows before it is handed out as a sample
     * @param replanSeconds the least time between two re-plans that observations ask for
     */
    public CoRunObserver(Topology topology, String machine, double sampleSeconds, double replanSeconds) {
        if (!(sampleSeconds > 0)) {
            throw new IllegalArgumentException("sample seconds: " + sampleSeconds + " is not more than 0");
        }
        if (!(replanSeconds >= 0)) {
            throw new IllegalArgumentException("re-plan seconds: " + replanSeconds + " is less than 0");
        }
        this.topology = topology;
        this.machine = machine;
        this.sampleSeconds = sampleSeconds;
        this.replanSeconds = replanSeconds;
    }

    /** One round: every group the daemon manages, with its counts now; {@code table} learns from what pairs showed. */
    public Round observe(List<Group> groups, ScoreTable table, Instant at) {
        ObservedSlowdowns observations = table.observations();
        Map<Integer, Integer> onCpu = new HashMap<>();
        Map<Integer, Group> byPgid = new HashMap<>();
        for (Group g : groups) {
            byPgid.put(g.pgid(), g);
            for (int cpu : g.cpus()) {
                onCpu.put(cpu, g.pgid());
            }
        }
        tracks.keySet().retainAll(byPgid.keySet());
        alone.keySet().retainAll(byPgid.keySet());
        Map<Integer, double[]> windows = new HashMap<>(); // pgid to {slowdown, seconds}
        Map<Integer, Integer> partners = new HashMap<>();
        for (Group g : groups) {
            if (!g.observed()) {
                tracks.remove(g.pgid());
                continue;
            }
            List<Integer> siblings = g.cpus().stream().map(cpu -> siblingOf(cpu, onCpu)).toList();
            int partner = Attribution.of(siblings).partner();
            partners.put(g.pgid(), partner);
            Track t = tracks.get(g.pgid());
            if (g.reading().isEmpty()) {
                if (t != null) {
                    stopped++;
                    tracks.remove(g.pgid());
                }
                continue;
            }
            CounterSource.Reading now = g.reading().get();
            if (t == null || !t.cpus.equals(g.cpus()) || !t.siblings.equals(siblings)) {
                tracks.put(g.pgid(), new Track(g.cpus(), siblings, now)); // moved: a new window begins
                continue;
            }
            double[] w = window(g, t.last, now, t.attribution);
            t.last = now;
            if (w != null) {
                windows.put(g.pgid(), w);
            }
        }
        double change = 0;
        Set<List<Integer>> continuing = new HashSet<>();
        for (Map.Entry<Integer, Integer> e : partners.entrySet()) {
            int p = e.getKey();
            int q = e.getValue();
            if (q < 0 || p > q || !Integer.valueOf(p).equals(partners.get(q))) {
                continue; // alone, ambiguous, or its partner's one partner is not it
            }
            List<Integer> pair = List.of(p, q);
            if (!tracks.containsKey(p) || !tracks.containsKey(q)) {
                continue; // a side is no longer counted: the pair's run ends here
            }
            continuing.add(pair);
            double[] a = windows.get(p);
            double[] b = windows.get(q);
            if (a == null || b == null) {
                continue;
            }
            Group ga = byPgid.get(p);
            Group gb = byPgid.get(q);
            double seconds = (a[1] + b[1]) / 2;
            String wa = ObservedSlowdowns.workloadOf(ga.job());
            String wb = ObservedSlowdowns.workloadOf(gb.job());
            observations.add(wa, wb, a[0], b[0], seconds);
            change = Math.max(change, table.rescore(wa, wb));
            Run run = runs.computeIfAbsent(pair, k -> new Run(ga.job(), gb.job()));
            run.seconds += seconds;
            run.low += a[0] * seconds;
            run.high += b[0] * seconds;
        }
        List<ObservedSample> samples = new ArrayList<>();
        runs.entrySet().removeIf(e -> {
            Run r = e.getValue();
            boolean ended = !continuing.contains(e.getKey());
            if (r.seconds > 0 && (ended || r.seconds >= sampleSeconds)) {
                samples.add(sample(r, at));
                return true;
            }
            return ended;
        });
        changedSincePlan += change; // a bound on how far any score has drifted since
        boolean replan = changedSincePlan >= RESCORED
                && !at.isBefore(plannedAt.plusMillis(Math.round(replanSeconds * 1000)));
        if (replan) {
            changedSincePlan = 0;
            plannedAt = at;
        }
        return new Round(List.copyOf(samples), change, replan);
    }

    /** Ends every pair's run, as the daemon stops: what each observed since it was last handed out. */
    public List<ObservedSample> endRuns(Instant at) {
        List<ObservedSample> samples = new ArrayList<>();
        runs.values().stream().filter(r -> r.seconds > 0).forEach(r -> samples.add(sample(r, at)));
        runs.clear();
        return List.copyOf(samples);
    }

    private ObservedSample sample(Run r, Instant at) {
        return new ObservedSample(machine, r.jobLow, r.jobHigh, clamp(r.low / r.seconds), clamp(r.high / r.seconds),
                r.seconds, at);
    }

    /** The group on the other CPU of {@code cpu}'s core, or {@link #NONE} (idle, or a core of one CPU). */
    private int siblingOf(int cpu, Map<Integer, Integer> onCpu) {
        for (int other : topology.cpus(topology.coreOf(cpu))) {
            if (other != cpu && onCpu.containsKey(other)) {
                return onCpu.get(other);
            }
        }
        return NONE;
    }

    /** The window's {slowdown, seconds}, or null when it is discarded or has nothing to compare with. */
    private double[] window(Group g, CounterSource.Reading from, CounterSource.Reading to, Attribution attribution) {
        long instructions = to.instructions() - from.instructions();
        long cycles = to.cycles() - from.cycles();
        long nanos = to.nanos() - from.nanos();
        if (instructions < 0 || cycles < 0) {
            wentBack++;
            return null;
        }
        if (instructions == 0 || nanos <= 0) {
            unchanged++;
            return null;
        }
        double ipc = cycles > 0 ? (double) instructions / cycles : Double.NaN;
        double rate = instructions * 1e9 / nanos;
        if (attribution.partner() == NONE) {
            alone.put(g.pgid(), new double[] {ipc, rate});
            return null;
        }
        if (!attribution.attributable()) {
            ambiguous++;
            return null;
        }
        double[] solo = alone.getOrDefault(g.pgid(), new double[] {Double.NaN, Double.NaN});
        double speed;
        if (!Double.isNaN(ipc) && !Double.isNaN(solo[0])) {
            speed = ipc / solo[0];
        } else if (!Double.isNaN(solo[1])) {
            speed = rate / solo[1];
        } else if (!Double.isNaN(ipc) && g.profileIpc() > 0) {
            speed = ipc / g.profileIpc();
        } else {
            return null; // no rate alone to compare with
        }
        if (speed > JUMP) {
            jumped++;
            return null;
        }
        if (speed > FASTER_THAN_ALONE) {
            fasterThanAlone++;
            return null;
        }
        return new double[] {clamp(attribution.slowdown(speed)), nanos / 1e9};
    }

    private static double clamp(double v) {
        return Math.max(-1, Math.min(1, v));
    }

    /** The one group beside {@code pgid}'s workers in the last round (itself, for a group with itself), if it had one. */
    public Optional<Integer> partner(int pgid) {
        Track t = tracks.get(pgid);
        return t == null || !t.attribution.attributable() ? Optional.empty() : Optional.of(t.attribution.partner());
    }

    public Discards discards() {
        return new Discards(stopped, unchanged, wentBack, jumped, fasterThanAlone, ambiguous);
    }
}
