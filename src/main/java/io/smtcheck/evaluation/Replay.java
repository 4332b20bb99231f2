// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.evaluation;

import io.smtcheck.sched.Placement;
import io.smtcheck.sched.Replanner;
import io.smtcheck.sched.Topology;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * Replays a load under a policy as a deterministic event simulation (docs/evaluate.md has the
 * model). Events are arrivals and ends; after each, the policy places every running job's threads
 * on hardware threads, and until the next event each job advances at the mean speed of its
 * threads: 1 for a thread alone on its core, {@code 1 − slowdown} beside a thread of another job
 * (or of itself), 0 for a thread still waiting for a hardware thread. The same inputs and seed give
 * the same result, bit for bit.
 */
public final class Replay {
    /** A job has ended when less than this share of its work is left (rounding in the steps). */
    private static final double DONE = 1e-9;

    private final Topology topology;
    private final SlowdownMatrix truth;
    private final long seed;
    private final double minGain;
    private final double timeLimit;
    private final boolean keepTimeline;
    private final List<Integer> allCpus;
    private final Map<Integer, Integer> cpuIndex = new HashMap<>();
    /** For each hardware thread (by index in {@link #allCpus}), its sibling's index, or -1. */
    private final int[] sibling;

    /**
     * @param minGain   smtcheck's re-planning threshold (the daemon's {@code --min-gain})
     * @param timeLimit simulated seconds after which the jobs still running count as unfinished
     */
    public Replay(Topology topology, SlowdownMatrix truth, long seed, double minGain, double timeLimit,
            boolean keepTimeline) {
        if (!(timeLimit > 0)) {
            throw new IllegalArgumentException("time limit: " + timeLimit + " is not more than 0 seconds");
        }
        this.topology = topology;
        this.truth = truth;
        this.seed = seed;
        this.minGain = minGain;
        this.timeLimit = timeLimit;
        this.keepTimeline = keepTimeline;
        this.allCpus = topology.allCpus();
        for (int k = 0; k < allCpus.size(); k++) {
            cpuIndex.put(allCpus.get(k), k);
        }
        sibling = new int[allCpus.size()];
        java.util.Arrays.fill(sibling, -1);
        for (int c = 0; c < topology.coreCount(); c++) {
            List<Integer> core = topology.cpus(c);
            if (core.size() == 2) {
                sibling[cpuIndex.get(core.get(0))] = cpuIndex.get(core.get(1));
                sibling[cpuIndex.get(core.get(1))] = cpuIndex.get(core.get(0));
            }
        }
    }

    /** A job in the run. */
    private static final class Running {
        final Trace.Job job;
        final int payload;
        double remaining;
        List<Integer> cpus = List.of();

        Running(Trace.Job job, int payload) {
            this.job = job;
            this.payload = payload;
            this.remaining = job.work();
        }
    }

    /**
     * Runs {@code trace} under {@code policy}; {@code predicted} gives smtcheck's scores (a fresh
     * one per run). Every payload must be a workload of the truth matrix.
     */
    public RunResult run(Trace trace, Policy policy, Supplier<Scores> predicted) {
        return run(trace, policy, predicted, ended -> { });
    }

    /** The same, telling {@code progress} how many jobs have ended after each event that ends some. */
    public RunResult run(Trace trace, Policy policy, Supplier<Scores> predicted, IntConsumer progress) {
        trace.requirePayloads(new java.util.HashSet<>(truth.workloads()), "trace", "a workload of the slowdown matrix");
        Random random = new Random(seed);
        Scores scores = switch (policy) {
            case SMTCHECK -> predicted.get();
            case ORACLE -> Scores.truth(truth);
            default -> null;
        };
        Replanner replanner = policy == Policy.SMTCHECK ? new Replanner(topology, minGain)
                : policy == Policy.ORACLE ? new Replanner(topology, 0) : null;
        List<Trace.Job> jobs = trace.jobs();
        Map<String, Running> running = new LinkedHashMap<>();
        Placement[] planned = {Placement.empty(topology)};
        Map<String, Double> ends = new HashMap<>();
        List<RunResult.TimelinePoint> timeline = new ArrayList<>();
        long migrations = 0;
        long pins = 0;
        long plans = 0;
        double now = 0;
        int next = 0;
        boolean changed = false;
        while (next < jobs.size() || !running.isEmpty()) {
            while (next < jobs.size() && jobs.get(next).arrival() <= now) {
                Trace.Job j = jobs.get(next++);
                running.put(j.id(), new Running(j, truth.indexOf(j.payload())));
                if (scores != null) {
                    scores.add(j);
                }
                changed = true;
            }
            if (running.isEmpty()) {
                now = jobs.get(next).arrival();
                continue;
            }
            if (changed) {
                Map<String, List<Integer>> placed = place(policy, running, random, scores, replanner, planned);
                plans++;
                for (Running r : running.values()) {
                    List<Integer> cpus = placed.getOrDefault(r.job.id(), List.of());
                    if (!cpus.equals(r.cpus)) {
                        TreeSet<Integer> left = new TreeSet<>(r.cpus);
                        left.removeAll(cpus);
                        migrations += cpus.isEmpty() ? 0 : left.size();
                        pins += policy != Policy.LINUX && !cpus.isEmpty() ? 1 : 0;
                        r.cpus = cpus;
                    }
                }
                if (keepTimeline) {
                    timeline.add(new RunResult.TimelinePoint(now, jobOnCpu(running)));
                }
                changed = false;
            }
            Map<String, Double> speed = speeds(running);
            double step = Double.POSITIVE_INFINITY;
            for (Running r : running.values()) {
                double v = speed.get(r.job.id());
                if (v > 0) {
                    step = Math.min(step, r.remaining / v);
                }
            }
            boolean arrivalFirst = next < jobs.size() && jobs.get(next).arrival() - now <= step;
            double until = arrivalFirst ? jobs.get(next).arrival() : now + step;
            if (!(until <= timeLimit)) {
                advance(running, speed, timeLimit - now);
                now = timeLimit;
                break;
            }
            advance(running, speed, until - now);
            now = until;
            for (var it = running.values().iterator(); it.hasNext();) {
                Running r = it.next();
                if (r.remaining <= DONE * r.job.work()) {
                    ends.put(r.job.id(), now);
                    if (scores != null) {
                        scores.remove(r.job);
                    }
                    it.remove();
                    changed = true;
                }
            }
            if (changed) {
                progress.accept(ends.size());
            }
        }
        List<RunResult.JobOutcome> outcomes = new ArrayList<>(jobs.size());
        double makespan = 0;
        for (Trace.Job j : jobs) {
            double end = ends.getOrDefault(j.id(), Double.NaN);
            outcomes.add(new RunResult.JobOutcome(j, end));
            makespan = Math.max(makespan, Double.isNaN(end) ? now : end);
        }
        return new RunResult(policy, List.copyOf(outcomes), makespan, migrations, pins, plans, List.copyOf(timeline));
    }

    private static void advance(Map<String, Running> running, Map<String, Double> speed, double seconds) {
        for (Running r : running.values()) {
            r.remaining -= speed.get(r.job.id()) * seconds;
        }
    }

    /** Each running job's speed: the sum of its threads' speeds over its worker count. */
    private Map<String, Double> speeds(Map<String, Running> running) {
        Running[] onCpu = new Running[cpuCount()];
        for (Running r : running.values()) {
            for (int cpu : r.cpus) {
                onCpu[cpuIndex(cpu)] = r;
            }
        }
        Map<String, Double> out = new HashMap<>();
        for (Running r : running.values()) {
            double sum = 0;
            for (int cpu : r.cpus) {
                Running beside = siblingOf(cpu, onCpu);
                sum += beside == null ? 1 : truth.speed(r.payload, beside.payload);
            }
            out.put(r.job.id(), sum / r.job.workers());
        }
        return out;
    }

    private Running siblingOf(int cpu, Running[] onCpu) {
        int other = sibling[cpuIndex(cpu)];
        return other < 0 ? null : onCpu[other];
    }

    private String[] jobOnCpu(Map<String, Running> running) {
        String[] out = new String[cpuCount()];
        for (Running r : running.values()) {
            for (int cpu : r.cpus) {
                out[cpuIndex(cpu)] = r.job.id();
            }
        }
        return out;
    }

    private int cpuCount() {
        return allCpus.size();
    }

    private int cpuIndex(int cpu) {
        return cpuIndex.get(cpu);
    }

    private Map<String, List<Integer>> place(Policy policy, Map<String, Running> running, Random random, Scores scores,
            Replanner replanner, Placement[] planned) {
        return switch (policy) {
            case LINUX -> linux(running, random);
            case RANDOM -> keepAndFill(running, freeCpus -> freeCpus.get(random.nextInt(freeCpus.size())), false);
            case SMT_OFF -> keepAndFill(running, freeCpus -> freeCpus.get(0), true);
            case SMTCHECK, ORACLE -> {
                // The planner's last placement is where the jobs run; the re-planner drops the ones that ended.
                Replanner.Decision d = replanner.decide(scores.input(), planned[0]);
                planned[0] = d.placement();
                yield d.placement().cpusByWorkload();
            }
        };
    }

    /**
     * Linux's placement as modelled here: at each event every running thread is placed afresh in
     * a random order, on a random idle core while there is one (the scheduler's idle-core search),
     * then on a random free sibling; threads beyond the hardware threads wait.
     */
    private Map<String, List<Integer>> linux(Map<String, Running> running, Random random) {
        List<Running> threads = new ArrayList<>();
        for (Running r : running.values()) {
            for (int t = 0; t < r.job.workers(); t++) {
                threads.add(r);
            }
        }
        Collections.shuffle(threads, random);
        List<Integer> idleCores = new ArrayList<>();
        for (int c = 0; c < topology.coreCount(); c++) {
            idleCores.add(c);
        }
        Collections.shuffle(idleCores, random);
        List<Integer> free = new ArrayList<>(allCpus);
        Map<String, TreeSet<Integer>> out = new LinkedHashMap<>();
        for (Running r : threads) {
            Integer cpu = null;
            if (!idleCores.isEmpty()) {
                List<Integer> siblings = topology.cpus(idleCores.remove(idleCores.size() - 1));
                cpu = siblings.get(random.nextInt(siblings.size()));
            } else if (!free.isEmpty()) {
                cpu = free.get(random.nextInt(free.size()));
            }
            if (cpu == null) {
                break;
            }
            free.remove(cpu);
            out.computeIfAbsent(r.job.id(), k -> new TreeSet<>()).add(cpu);
        }
        Map<String, List<Integer>> lists = new LinkedHashMap<>();
        out.forEach((id, cpus) -> lists.put(id, List.copyOf(cpus)));
        return lists;
    }

    /**
     * Pinned policies that never move a thread: running threads stay, each thread without a
     * hardware thread takes one that {@code choose} picks from the free ones (ascending), while
     * there are any. With {@code firstSiblingOnly} only each core's first hardware thread is used.
     */
    private Map<String, List<Integer>> keepAndFill(Map<String, Running> running,
            java.util.function.Function<List<Integer>, Integer> choose, boolean firstSiblingOnly) {
        TreeSet<Integer> usable = new TreeSet<>();
        for (int c = 0; c < topology.coreCount(); c++) {
            List<Integer> cpus = topology.cpus(c);
            usable.addAll(firstSiblingOnly ? cpus.subList(0, 1) : cpus);
        }
        running.values().forEach(r -> usable.removeAll(r.cpus));
        List<Integer> free = new ArrayList<>(usable);
        Map<String, List<Integer>> out = new LinkedHashMap<>();
        for (Running r : running.values()) {
            TreeSet<Integer> cpus = new TreeSet<>(r.cpus);
            while (cpus.size() < r.job.workers() && !free.isEmpty()) {
                Integer cpu = choose.apply(free);
                free.remove(cpu);
                cpus.add(cpu);
            }
            out.put(r.job.id(), List.copyOf(cpus));
        }
        return out;
    }
}
