// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.model.Measurement;
import io.smtcheck.proc.ProcessTable;
import io.smtcheck.profiling.CounterSource;
import io.smtcheck.profiling.InSituProfiler;
import io.smtcheck.profiling.InSituProfiling;
import io.smtcheck.profiling.Injector;
import io.smtcheck.profiling.MachineIdentity;
import io.smtcheck.profiling.ProcessCounterSource;
import io.smtcheck.profiling.Tools;
import io.smtcheck.sched.Topology;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's in-situ profiles (see {@link InSituProfiler}): which groups may be profiled, the
 * counter source over the monitor's hardware counters, and what happens to a finished profile (it
 * goes to the store, where the daemon's next look for profiles finds it). Starting is decided
 * under the daemon's lock; the windows run on the profiles' own threads, which take the lock only
 * to read a group's counters or to pin it.
 */
final class InSitu implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(InSitu.class);

    private final Object lock;
    private final DaemonState state;
    private final Monitor monitor;
    private final ProfileSource profiles;
    private final Pinning pinning;
    /** Re-plans, under the lock, after a profiled group has left the CPUs it held. */
    private final Consumer<String> replan;
    private final Topology topology;
    private final InSituProfiling profiling;
    private final Measurement.Machine machine;
    /** The resources measured, or null: the whole catalogue. */
    private final Set<String> resources;
    /** Loaded by {@link #prepare}, outside the lock: the injectors' catalogue and the source. */
    private volatile List<Injector> injectors;
    private volatile ProcessCounterSource source;
    private volatile String unprepared;
    /** Where the profiled groups' run delays are read; only the profiles' threads use it. */
    private final ProcessTable processes = new ProcessTable();

    InSitu(Object lock, DaemonState state, Monitor monitor, ProfileSource profiles, Pinning pinning,
            Consumer<String> replan, Topology topology, Set<Integer> usableCpus, Path journalDir,
            InSituProfiler.Settings settings, Set<String> resources) {
        this.lock = lock;
        this.resources = resources == null ? null : Set.copyOf(resources);
        this.replan = replan;
        this.state = state;
        this.monitor = monitor;
        this.profiles = profiles;
        this.pinning = pinning;
        this.topology = topology;
        this.profiling = new InSituProfiling(topology, InSituProfiling.Policy.halfTheCores(topology, usableCpus),
                settings, journalDir);
        this.machine = MachineIdentity.of(topology);
    }

    /**
     * Loads the injectors' catalogue once (it runs {@code smtcheck-inject --list}); called outside
     * the lock. Returns why in-situ profiling cannot run on this installation, or empty.
     */
    Optional<String> prepare() {
        if (source == null && unprepared == null) {
            synchronized (this) {
                if (source == null && unprepared == null) {
                    try {
                        List<Injector> all = Injector.catalogue(Tools.inject());
                        List<Injector> chosen = resources == null ? all
                                : all.stream().filter(i -> resources.contains(i.resource())).toList();
                        if (resources != null && chosen.size() != resources.size()) {
                            throw new IOException("in-situ resources " + resources + ": smtcheck-inject --list has only "
                                    + all.stream().map(Injector::resource).toList());
                        }
                        injectors = chosen;
                        source = new ProcessCounterSource(this::read);
                    } catch (IOException | RuntimeException e) {
                        unprepared = "the injectors cannot be run: " + e.getMessage();
                    }
                }
            }
        }
        return Optional.ofNullable(unprepared);
    }

    /** Whether {@link #prepare} has loaded what profiles need. */
    boolean ready() {
        return source != null;
    }

    /**
     * The group's counts, if it is managed and counted in hardware, with its run delay; takes the
     * lock briefly, and walks /proc for the run delay outside it.
     */
    private Optional<CounterSource.Reading> read(int pgid) {
        Monitor.Counters c;
        synchronized (lock) {
            ManagedGroup g = state.groups.get(pgid);
            if (g == null) {
                return Optional.empty();
            }
            c = monitor.counters(pgid, g.slot).filter(Monitor.Counters::hardware).orElse(null);
        }
        if (c == null) {
            return Optional.empty();
        }
        long now = System.nanoTime();
        long waited;
        try {
            waited = processes.runDelayNanos(pgid);
        } catch (IOException e) {
            waited = 0; // /proc unreadable: the window's wall time stands
        }
        return Optional.of(new CounterSource.Reading(c.instructions(), c.cycles(), now, waited));
    }

    /**
     * Why group {@code g} cannot be profiled in situ now, in one line; empty when its profile has
     * started. Under the lock. {@code ended} is told under the lock once it has ended.
     */
    Optional<String> start(ManagedGroup g, Consumer<InSituProfiling.Outcome> ended) {
        Optional<Monitor.Counters> counters = monitor.counters(g.pgid, g.slot);
        if (counters.isEmpty() || !counters.get().hardware()) {
            return Optional.of("group " + g.pgid + " has no hardware counters (" + monitor.describe()
                    + "): in-situ profiling reads its instructions; measure the job with smtcheck profile --job "
                    + g.jobId + " --name NAME -- CMD instead");
        }
        if (g.workers != 1) {
            return Optional.of("group " + g.pgid + " has " + g.workers + " workers: in-situ profiling measures a job"
                    + " of one hardware thread; measure it with smtcheck profile -- CMD instead");
        }
        if (g.allowedCpus != null) {
            return Optional.of("group " + g.pgid + " may use only its Slurm allocation, CPUs "
                    + AffinityPolicy.cpuList(g.allowedCpus) + ": in-situ profiling borrows a core of its own choosing;"
                    + " measure the job with smtcheck profile -- CMD instead");
        }
        Optional<String> unusable = Optional.ofNullable(unprepared);
        if (unusable.isPresent() || injectors == null) {
            return Optional.of(unusable.orElse("the injectors are not loaded yet; ask again"));
        }
        // Plans go on while profiles run: where a group runs and where its plan has just sent it
        // (a pin not applied yet) are both taken.
        Set<Integer> busy = new HashSet<>();
        state.groups.values().forEach(o -> {
            if (o.pgid != g.pgid && o.pin.applied() != null) {
                busy.addAll(o.pin.applied());
            }
            if (o.pgid != g.pgid && o.pin.wanted() != null) {
                busy.addAll(o.pin.wanted());
            }
            if (o.allowedCpus != null) {
                busy.addAll(o.allowedCpus); // another job's CPUs, all of them
            }
        });
        // Where the daemon has the group itself run or sent it: the injectors' rates alone are
        // measured before it is moved in, so its own core is not borrowed (but on a machine of one
        // core). A group the daemon has not pinned runs where its own affinity lets it; counting all
        // of that would refuse it everywhere.
        Set<Integer> held = new HashSet<>();
        if (g.pin.applied() != null) {
            held.addAll(g.pin.applied());
        }
        if (g.pin.wanted() != null) {
            held.addAll(g.pin.wanted());
        }
        List<List<Integer>> borrowed = new ArrayList<>(1);
        // /proc is read only once a core is found: a start refused every interval costs nothing.
        Optional<String> refusal = profiling.start(g.pgid, g.jobId, busy, held, source, cpus -> {
            borrowed.add(cpus);
            return new InSituProfiler.Request(g.pgid, g.jobId, profileName(g), null, 1, commandLine(g.pgid),
                    workingDir(g.pgid), cpus.get(0), cpus.get(1), machine, injectors);
        }, (pgid, cpu) -> moveIn(pgid, cpu), outcome -> finished(g, outcome, ended));
        if (refusal.isEmpty()) {
            state.lent.put(g.pgid, List.copyOf(borrowed.get(0)));
        }
        return refusal;
    }

    /**
     * Ends at once the profiles whose group is gone: no longer managed (it exited, or was let go)
     * or no longer counted. Their injectors stop, their journals stay for the job's next group,
     * and their cores come back when their threads end (see {@link #finished}). Under the lock,
     * every interval and after the monitor's events.
     */
    void endGone() {
        for (InSituProfiling.Active a : profiling.active()) {
            ManagedGroup g = state.groups.get(a.pgid());
            String why = g == null ? "exited" : monitor.counters(g.pgid, g.slot).filter(Monitor.Counters::hardware)
                    .isEmpty() ? "is no longer counted" : null;
            if (why != null && profiling.stop(a.pgid(), "group " + a.pgid() + " (job " + a.jobId() + ") " + why
                    + " after " + a.done().done() + " of " + a.done().total() + " windows; the journal keeps them"
                    + " for the job's next group")) {
                LOG.info("in-situ profile of group {} ended: the group {}", a.pgid(), why);
            }
        }
    }

    /**
     * Pins the group onto the borrowed CPU, which its pin then names (the pin check expects it
     * there), and re-plans: the CPUs it held are free for the others.
     */
    private void moveIn(int pgid, int cpu) throws IOException {
        synchronized (lock) {
            ManagedGroup g = state.groups.get(pgid);
            if (g == null || !pinning.moveOnto(g, List.of(cpu))) {
                throw new IOException("group " + pgid + " could not be moved onto CPU " + cpu);
            }
            replan.accept("group " + pgid + " moved onto its borrowed CPU " + cpu);
        }
    }

    private void finished(ManagedGroup g, InSituProfiling.Outcome o, Consumer<InSituProfiling.Outcome> ended) {
        if (o.result() != null) {
            try {
                profiles.store(o.result().profile());
                LOG.info("in-situ profile of group {} ({}) written: {} windows, {} resumed, rate alone {} instructions/s"
                        + " spread {} %", g.pgid, g.name, o.result().windows(), o.result().resumed(),
                        String.format("%.4g", o.result().soloMean()), String.format("%.1f", o.result().soloSpread() * 100));
            } catch (IOException | RuntimeException e) {
                LOG.warn("in-situ profile of group {} ({}) not written: {}", g.pgid, g.name, e.getMessage());
            }
        } else {
            LOG.warn("in-situ profile of group {} ({}): {}", g.pgid, g.name, o.failure().getMessage());
        }
        synchronized (lock) {
            // The core and the group come back into the plan, which the caller makes: the group
            // stays on the borrowed CPU until the plan moves it, since the CPU it had before may
            // have gone to another group meanwhile.
            state.lent.remove(g.pgid);
            ended.accept(o);
        }
    }

    private static String profileName(ManagedGroup g) {
        String name = (g.name.isBlank() ? "job" : g.name.strip()) + "-" + g.jobId;
        return name.length() <= 64 ? name : name.substring(name.length() - 64).strip();
    }

    private static List<String> commandLine(int pid) {
        try {
            String raw = Files.readString(Path.of("/proc", Integer.toString(pid), "cmdline"), StandardCharsets.UTF_8);
            List<String> args = new ArrayList<>(List.of(raw.split("\0")));
            args.removeIf(String::isEmpty);
            return args.isEmpty() ? List.of("[pgid " + pid + "]") : args;
        } catch (IOException e) {
            return List.of("[pgid " + pid + "]");
        }
    }

    private static String workingDir(int pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "cwd")).toString();
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return "/";
        }
    }

    /** What runs now, for status; takes no lock of the daemon's. */
    List<InSituProfiling.Active> active() {
        return profiling.active();
    }

    boolean running() {
        return !profiling.active().isEmpty();
    }

    @Override
    public void close() {
        profiling.close();
        ProcessCounterSource s = source;
        if (s != null) {
            s.close();
        }
    }
}
