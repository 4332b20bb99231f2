// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import io.smtcheck.model.ResourceType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * A counter source over a hidden ground truth, on a virtual clock: one core (two CPUs), a running
 * job whose instructions advance at its solo rate less its slowdown beside whatever runs on the
 * other CPU, and injectors whose units advance likewise. Each interval's counts carry Gaussian
 * noise of the given relative standard deviation. Faults are scheduled by the test: the group
 * exits, its counters stall or jump, an injector dies, the job's rate changes with a phase,
 * another task takes a share of the job's CPU (the job then waits, as its run delay shows).
 *
 * <p>The truth: beside the injector of resource r at level l the job slows by
 * {@code sensitivity × full × a(u, l) / a(u, 1)} and the injector by
 * {@code intensity × full × a(u, l) / a(u, 1)}, where {@code a} is r's activation, {@code u} the
 * job's usage and {@code full} the slowdown of two copies of the injector beside each other.
 */
final class SimulatedMachine implements CounterSource {
    /** One resource of the truth. */
    record Truth(ResourceType type, double full, double sensitivity, double intensity, double usage) {
        double shape(double level) {
            double top = type.activation(usage, 1.0);
            return top == 0 ? 0 : type.activation(usage, level) / top;
        }
    }

    private final int cpu;
    private final int sibling;
    private final double soloRate;
    private final Map<String, Truth> truth;
    private final double noise;
    private final Random random;
    private long nanos = 1_000_000_000L;
    private double instructions;
    private int jobCpu = -1;
    private final List<Sim> injectors = new ArrayList<>();
    private final Map<String, Integer> kills = new HashMap<>();

    // Scheduled faults.
    private long exitAt = Long.MAX_VALUE;
    private int stalledReads;
    private long jumpAt = Long.MAX_VALUE;
    private long jumpBy;
    private long phaseAt = Long.MAX_VALUE;
    private double phaseFactor = 1;
    private Long frozen;
    private long shareFrom = Long.MAX_VALUE;
    private long shareUntil;
    private double share;
    private boolean runDelayKnown = true;
    private double waited;
    int reads;

    SimulatedMachine(int cpu, int sibling, double soloRate, Map<String, Truth> truth, double noise, long seed) {
        this.cpu = cpu;
        this.sibling = sibling;
        this.soloRate = soloRate;
        this.truth = truth;
        this.noise = noise;
        this.random = new Random(seed);
    }

    double seconds() {
        return nanos / 1e9;
    }

    void exitAfter(double s) {
        exitAt = nanos + (long) (s * 1e9);
    }

    /** The next {@code n} reads return the counts of the read before them. */
    void stall(int n) {
        stalledReads = n;
    }

    /** The first read after {@code s} seconds from now finds the counter moved by {@code by}. */
    void jumpAfter(double s, long by) {
        jumpAt = nanos + (long) (s * 1e9);
        jumpBy = by;
    }

    /** From {@code s} seconds from now, the job runs at {@code factor} times its rate. */
    void phaseAfter(double s, double factor) {
        phaseAt = nanos + (long) (s * 1e9);
        phaseFactor = factor;
    }

    /**
     * For {@code seconds} from {@code s} seconds from now, another task holds the job's CPU
     * {@code fraction} of the time; {@code known} says whether the job's run delay shows it.
     */
    void shareCpu(double s, double seconds, double fraction, boolean known) {
        shareFrom = nanos + (long) (s * 1e9);
        shareUntil = shareFrom + (long) (seconds * 1e9);
        share = fraction;
        runDelayKnown = known;
    }

    /** The next {@code n} injectors of {@code resource} started die before their first window. */
    void killInjectors(String resource, int n) {
        kills.put(resource, n);
    }

    void place(int pgid, int where) {
        jobCpu = where;
    }

    @Override
    public Optional<Reading> read(int pgid) {
        reads++;
        if (nanos >= exitAt) {
            return Optional.empty();
        }
        long count = (long) instructions;
        if (nanos >= jumpAt) {
            instructions += jumpBy;
            jumpAt = Long.MAX_VALUE;
            count = (long) instructions;
        }
        if (stalledReads > 0 && frozen != null) {
            stalledReads--;
            count = frozen;
        }
        frozen = count;
        return Optional.of(new Reading(count, count / 2, nanos, runDelayKnown ? (long) waited : 0));
    }

    @Override
    public RunningInjector startInjector(String resource, int where, double level) throws IOException {
        if (!truth.containsKey(resource)) {
            throw new IOException("no injector " + resource);
        }
        Sim s = new Sim(resource, where, level);
        int k = kills.getOrDefault(resource, 0);
        if (k > 0) {
            kills.put(resource, k - 1);
            s.dead = true;
        }
        injectors.add(s);
        return s;
    }

    @Override
    public void sleep(double seconds) {
        double dt = seconds;
        double rate = soloRate * (nanos >= phaseAt ? phaseFactor : 1) * (1 - jobSlowdown());
        // the part of the interval another task holds the job's CPU
        double shared = jobCpu < 0 ? 0
                : share * Math.max(0, Math.min(nanos + dt * 1e9, shareUntil) - Math.max(nanos, shareFrom)) / 1e9;
        waited += shared * 1e9;
        instructions += rate * (dt - shared) * noisy();
        for (Sim s : injectors) {
            if (!s.dead) {
                s.units += s.aloneRate() * (1 - s.slowdown()) * dt * noisy();
                s.cpuNanos += (long) (dt * 1e9);
            }
        }
        nanos += (long) (seconds * 1e9);
    }

    private double noisy() {
        return Math.max(0, 1 + noise * random.nextGaussian());
    }

    private int other(int c) {
        return c == cpu ? sibling : c == sibling ? cpu : -1;
    }

    private double jobSlowdown() {
        if (jobCpu < 0) {
            return 0;
        }
        for (Sim s : injectors) {
            if (!s.dead && s.cpu == other(jobCpu)) {
                Truth t = truth.get(s.resource);
                return t.sensitivity() * t.full() * t.shape(s.level);
            }
        }
        return 0;
    }

    private final class Sim implements RunningInjector {
        final String resource;
        final int cpu;
        final double level;
        double units;
        long cpuNanos;
        boolean dead;

        Sim(String resource, int cpu, double level) {
            this.resource = resource;
            this.cpu = cpu;
            this.level = level;
        }

        double aloneRate() {
            return 1e6 * (0.5 + level / 2);
        }

        double slowdown() {
            Truth t = truth.get(resource);
            if (jobCpu >= 0 && jobCpu == other(cpu)) {
                return t.intensity() * t.full() * t.shape(level);
            }
            for (Sim s : injectors) {
                if (s != this && !s.dead && s.cpu == other(cpu) && s.resource.equals(resource)) {
                    return t.full();
                }
            }
            return 0;
        }

        @Override
        public Reading mark() throws IOException {
            if (dead) {
                throw new IOException("it exited");
            }
            return new Reading((long) units, 0, cpuNanos);
        }

        @Override
        public void close() {
            injectors.remove(this);
        }
    }
}
