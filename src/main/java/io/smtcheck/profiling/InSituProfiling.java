// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import io.smtcheck.sched.Topology;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The in-situ profiles that run now, and the policy that admits them: at most
 * {@link Policy#maxAtOnce} at once, each on one borrowed core whose CPUs are all usable (never one
 * the operator excluded) and free (no managed group's, no other profile's). Profiles run on their
 * own threads, so that whoever starts one (the daemon, under its lock) never waits for it.
 */
public final class InSituProfiling implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InSituProfiling.class);

    /**
     * @param maxAtOnce  how many groups may be profiled at once, at least 1
     * @param usableCpus the CPUs profiling may borrow
     */
    public record Policy(int maxAtOnce, Set<Integer> usableCpus) {
        public Policy {
            if (maxAtOnce < 1) {
                throw new IllegalArgumentException("in-situ profiles at once: " + maxAtOnce + " is less than 1");
            }
            usableCpus = Set.copyOf(usableCpus);
        }

        /** As the original: no more than half the cores at once (at least one). */
        public static Policy halfTheCores(Topology topology, Set<Integer> usableCpus) {
            return new Policy(Math.max(1, topology.coreCount() / 2), usableCpus);
        }
    }

    /** A profile that runs: its group, job, borrowed CPUs (the job's first), and how far it got. */
    public record Active(int pgid, int jobId, List<Integer> cpus, InSituProfiler.Done done) {
    }

    /** How a profile ended: its result, or why it failed. */
    public record Outcome(int pgid, int jobId, InSituProfiler.Result result, IOException failure) {
    }

    /** A profile that runs; {@code thread} runs it, {@code stopped} says why it was ended from outside. */
    private static final class Running {
        final int pgid;
        final int jobId;
        final List<Integer> cpus;
        final InSituProfiler profiler;
        Thread thread;
        String stopped;

        Running(int pgid, int jobId, List<Integer> cpus, InSituProfiler profiler) {
            this.pgid = pgid;
            this.jobId = jobId;
            this.cpus = cpus;
            this.profiler = profiler;
        }
    }

    private final Topology topology;
    private final Policy policy;
    private final InSituProfiler.Settings settings;
    private final Path journalDir;
    private final ExecutorService threads;
    private final Map<Integer, Running> running = new LinkedHashMap<>();

    public InSituProfiling(Topology topology, Policy policy, InSituProfiler.Settings settings, Path journalDir) {
        this.topology = topology;
        this.policy = policy;
        this.settings = settings;
        this.journalDir = journalDir;
        this.threads = Executors.newFixedThreadPool(policy.maxAtOnce(), r -> {
            Thread t = new Thread(r, "in-situ profile");
            t.setDaemon(true);
            return t;
        });
    }

    public Policy policy() {
        return policy;
    }

    public InSituProfiler.Settings settings() {
        return settings;
    }

    /**
     * A core of two or more CPUs, all usable and none in {@code busy} or borrowed: its first two
     * CPUs. A core holding one of {@code held} (where the group to profile runs) is never borrowed,
     * so that the injectors' rates alone are measured with nothing beside them; on a machine of
     * one core there is no other, and that core is borrowed with the group on it.
     */
    synchronized Optional<List<Integer>> freeCore(Set<Integer> busy, Set<Integer> held) {
        Set<Integer> taken = new HashSet<>(busy);
        running.values().forEach(r -> taken.addAll(r.cpus));
        if (topology.coreCount() > 1) {
            taken.addAll(held);
        }
        for (int c = 0; c < topology.coreCount(); c++) {
            List<Integer> cpus = topology.cpus(c);
            if (cpus.size() >= 2 && policy.usableCpus().containsAll(cpus) && cpus.stream().noneMatch(taken::contains)) {
                return Optional.of(cpus.subList(0, 2));
            }
        }
        return Optional.empty();
    }

    /**
     * Starts profiling job {@code jobId}'s group {@code pgid} on a free core, unless it cannot;
     * returns why not, in one line, or empty when it started. {@code held}: the CPUs the group runs
     * on (see {@link #freeCore}). {@code request} makes the request for the borrowed CPUs;
     * {@code ended} hears the outcome, on the profile's thread.
     */
    public synchronized Optional<String> start(int pgid, int jobId, Set<Integer> busy, Set<Integer> held,
            CounterSource source,
            Function<List<Integer>, InSituProfiler.Request> request, InSituProfiler.MoveIn moveIn,
            Consumer<Outcome> ended) {
        if (running.values().stream().anyMatch(r -> r.jobId == jobId)) {
            return Optional.of("job " + jobId + " is being profiled already");
        }
        if (running.size() >= policy.maxAtOnce()) {
            return Optional.of(running.size() + " groups are being profiled, the most at once (the policy's limit)");
        }
        Optional<List<Integer>> core = freeCore(busy, held);
        if (core.isEmpty()) {
            return Optional.of(topology.coreCount() > 1 && !held.isEmpty()
                    ? "no core other than the one group " + pgid + " runs on has two CPUs that are usable and free to borrow"
                    : "no core has two CPUs that are usable and free to borrow");
        }
        InSituProfiler profiler;
        try {
            profiler = InSituProfiler.of(source, settings, request.apply(core.get()), journalDir, moveIn);
        } catch (IOException e) {
            return Optional.of("the journal in " + journalDir + " cannot be opened: " + e.getMessage());
        }
        Running entry = new Running(pgid, jobId, core.get(), profiler);
        running.put(pgid, entry);
        threads.execute(() -> {
            synchronized (this) {
                entry.thread = Thread.currentThread();
                if (entry.stopped != null) {
                    entry.thread.interrupt();
                }
            }
            Outcome outcome;
            try {
                outcome = new Outcome(pgid, jobId, profiler.run(), null);
            } catch (IOException e) {
                outcome = new Outcome(pgid, jobId, null, e);
            } catch (InterruptedException e) {
                outcome = new Outcome(pgid, jobId, null, new InSituProfiler.FailedException(
                        "stopped; the journal keeps what was measured", true));
            } catch (RuntimeException e) {
                LOG.warn("in-situ profile of group {} failed", pgid, e);
                outcome = new Outcome(pgid, jobId, null, new IOException(e.toString(), e));
            }
            synchronized (this) {
                running.remove(pgid);
                // Whatever the interrupt broke off, a profile ended from outside ended for that reason.
                if (entry.stopped != null) {
                    outcome = new Outcome(pgid, jobId, null, new InSituProfiler.FailedException(entry.stopped, true));
                }
            }
            Thread.interrupted(); // no stop comes once it is out of the map: what follows (a re-plan) runs uninterrupted
            ended.accept(outcome);
        });
        return Optional.empty();
    }

    /**
     * Ends group {@code pgid}'s profile now, for the reason {@code why} (its group is gone): its
     * thread is interrupted, which stops its injectors and keeps its journal for the job's next
     * group; its outcome comes as any other, on its thread. False when none runs.
     */
    public synchronized boolean stop(int pgid, String why) {
        Running r = running.get(pgid);
        if (r == null || r.stopped != null) {
            return false;
        }
        r.stopped = why;
        if (r.thread != null) {
            r.thread.interrupt();
        }
        return true;
    }

    /** The profiles that run now, in the order they started. */
    public synchronized List<Active> active() {
        List<Active> out = new ArrayList<>();
        running.values().forEach(r -> out.add(new Active(r.pgid, r.jobId, r.cpus, r.profiler.progress())));
        return out;
    }

    /** The CPUs borrowed now. */
    public synchronized Set<Integer> borrowed() {
        Set<Integer> out = new HashSet<>();
        running.values().forEach(r -> out.addAll(r.cpus));
        return out;
    }

    /** Stops every profile (their journals keep what was measured) and waits a little for them. */
    @Override
    public void close() {
        threads.shutdownNow();
        try {
            threads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
