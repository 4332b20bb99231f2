// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import io.smtcheck.evaluation.SlowdownMatrix;
import io.smtcheck.sched.Topology;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * A counter source over a whole host on a virtual clock: each group runs one workload of a hidden
 * slowdown matrix with one worker on each of its CPUs, counted as one (as the monitors count a
 * group): each worker's cycles advance at a fixed frequency and its instructions at its IPC alone
 * less its true slowdown beside the group on the other CPU of its core (none when that CPU is
 * idle; the workload beside itself when that CPU is the group's own), and the group's counts are
 * its workers' sums, with Gaussian noise of the given relative standard deviation per advance.
 * Tests move groups ({@link #place}), let time pass ({@link #sleep}), and schedule faults: a group's
 * counters that stop, stall or jump, and a phase that changes its rate alone.
 */
final class SimulatedHost implements CounterSource {
    static final double HERTZ = 2e9;

    private final Topology topology;
    private final SlowdownMatrix truth;
    private final double noise;
    private final Random random;
    private long nanos = 1_000_000_000L;
    private final Map<Integer, Integer> workloadOf = new HashMap<>();
    private final Map<Integer, Double> ipcAlone = new HashMap<>();
    private final Map<Integer, java.util.List<Integer>> cpusOf = new HashMap<>();
    private final Map<Integer, double[]> counts = new HashMap<>(); // instructions, cycles
    private final Map<Integer, Double> phase = new HashMap<>();
    private final Map<Integer, Integer> stalledReads = new HashMap<>();
    private final Map<Integer, Long> jumpBy = new HashMap<>();
    private final java.util.Set<Integer> stopped = new java.util.HashSet<>();

    SimulatedHost(Topology topology, SlowdownMatrix truth, double noise, long seed) {
        this.topology = topology;
        this.truth = truth;
        this.noise = noise;
        this.random = new Random(seed);
    }

    /** Starts group {@code pgid} running workload {@code workload} (an index of the truth) at {@code ipc} alone. */
    void start(int pgid, int workload, double ipc) {
        workloadOf.put(pgid, workload);
        ipcAlone.put(pgid, ipc);
        counts.put(pgid, new double[2]);
    }

    /** Pins group {@code pgid}'s one worker on {@code cpu} (-1: nowhere; it then does not run). */
    void place(int pgid, int cpu) {
        place(pgid, cpu < 0 ? java.util.List.of() : java.util.List.of(cpu));
    }

    /** Pins group {@code pgid}'s workers, one on each of {@code cpus} (none: it does not run). */
    void place(int pgid, java.util.List<Integer> cpus) {
        cpusOf.put(pgid, java.util.List.copyOf(cpus));
    }

    /**
     * The true speed now, relative to alone, of {@code pgid}'s worker on {@code cpu}: 1 with its
     * sibling CPU idle, 1 − slowdown beside the workload there (its own, beside a worker of its group).
     */
    double trueSpeed(int pgid, int cpu) {
        for (Map.Entry<Integer, java.util.List<Integer>> e : cpusOf.entrySet()) {
            for (int other : e.getValue()) {
                if (other != cpu && topology.coreOf(other) == topology.coreOf(cpu)) {
                    return truth.speed(workloadOf.get(pgid), workloadOf.get(e.getKey()));
                }
            }
        }
        return 1;
    }

    void phase(int pgid, double factor) {
        phase.put(pgid, factor);
    }

    void stop(int pgid) {
        stopped.add(pgid);
    }

    void stall(int pgid, int reads) {
        stalledReads.put(pgid, reads);
    }

    void jump(int pgid, long instructions) {
        jumpBy.put(pgid, instructions);
    }

    @Override
    public Optional<Reading> read(int pgid) {
        double[] c = counts.get(pgid);
        if (c == null || stopped.contains(pgid)) {
            return Optional.empty();
        }
        int stall = stalledReads.getOrDefault(pgid, 0);
        Reading last = lastRead.get(pgid);
        if (stall > 0 && last != null) {
            stalledReads.put(pgid, stall - 1);
            return Optional.of(new Reading(last.instructions(), last.cycles(), nanos)); // neither count advanced
        }
        Long jump = jumpBy.remove(pgid);
        if (jump != null) {
            c[0] += jump;
        }
        Reading r = new Reading((long) c[0], (long) c[1], nanos);
        lastRead.put(pgid, r);
        return Optional.of(r);
    }

    private final Map<Integer, Reading> lastRead = new HashMap<>();

    @Override
    public RunningInjector startInjector(String resource, int cpu, double intensity) throws IOException {
        throw new IOException("the simulated host runs no injectors");
    }

    @Override
    public void sleep(double seconds) {
        for (Map.Entry<Integer, double[]> e : counts.entrySet()) {
            int pgid = e.getKey();
            java.util.List<Integer> cpus = cpusOf.getOrDefault(pgid, java.util.List.of());
            if (cpus.isEmpty()) {
                continue;
            }
            double speeds = 0;
            for (int cpu : cpus) {
                speeds += trueSpeed(pgid, cpu);
            }
            double cycles = HERTZ * seconds;
            double n = 1 + noise * random.nextGaussian();
            e.getValue()[0] += cycles * ipcAlone.get(pgid) * phase.getOrDefault(pgid, 1.0) * speeds * n;
            e.getValue()[1] += cycles * cpus.size();
        }
        nanos += Math.round(seconds * 1e9);
    }

    /** The virtual clock, in nanoseconds. */
    long nanos() {
        return nanos;
    }
}
