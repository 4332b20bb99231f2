// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smtcheck.model.Measurement;
import io.smtcheck.profiles.ProfileStore;
import io.smtcheck.sched.Topology;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Where measurements happen: two sibling CPUs of one core (the workload's and the one the
 * injector or co-runner gets), optionally a third CPU that shares only the last-level cache, the
 * store that keeps what was measured, and the processes and scratch files of the run. Closing it
 * stops every process it started and removes the scratch directory.
 */
public final class Bench implements AutoCloseable {
    final ProfileStore store;
    final Children children;
    final Path workDir;
    final Topology topology;
    final int cpu;
    final int sibling;
    /** A CPU outside the core that shares its last-level cache, or -1. */
    final int l3Cpu;
    final Measurement.Machine machine;
    final List<Injector> injectors;
    /** Identifies the injectors' code: baselines measured by other injectors are not reused. */
    final String injectorVersion;
    final Progress progress;

    private Bench(ProfileStore store, Path workDir, Topology topology, int cpu, int sibling, int l3Cpu,
            List<Injector> injectors, String injectorVersion, Progress progress) {
        this.store = store;
        this.workDir = workDir;
        this.topology = topology;
        this.cpu = cpu;
        this.sibling = sibling;
        this.l3Cpu = l3Cpu;
        this.machine = MachineIdentity.of(topology);
        this.injectors = injectors;
        this.injectorVersion = injectorVersion;
        this.progress = progress;
        this.children = new Children(progress::interrupted);
    }

    /**
     * @param cpus two sibling CPUs of {@code topology} (the workload's first), or null for the
     *             last core with two
     * @throws IllegalArgumentException when the CPUs are not two siblings of one core
     */
    public static Bench open(ProfileStore store, Topology topology, List<Integer> cpus, Progress progress)
            throws IOException {
        int[] pair = siblings(topology, cpus);
        List<Injector> injectors = Injector.catalogue(Tools.inject());
        String version = MachineIdentity.digest(Files.readAllBytes(Tools.inject()));
        Path workDir = Files.createTempDirectory("smtcheck-profiling-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        return new Bench(store, workDir, topology, pair[0], pair[1], l3Cpu(topology, pair[0]), injectors, version,
                progress);
    }

    static int[] siblings(Topology topology, List<Integer> cpus) {
        if (cpus == null) {
            for (int c = topology.coreCount() - 1; c >= 0; c--) {
                List<Integer> core = topology.cpus(c);
                if (core.size() >= 2) {
                    return new int[] {core.get(0), core.get(1)};
                }
            }
            throw new IllegalArgumentException("no core of topology " + topology + " has two hardware threads;"
                    + " name two CPUs to treat as one core, e.g. --topology \"0,1\" --cpus 0,1");
        }
        if (cpus.size() != 2 || cpus.get(0).equals(cpus.get(1))) {
            throw new IllegalArgumentException("--cpus needs two different CPUs, not " + cpus);
        }
        for (int c = 0; c < topology.coreCount(); c++) {
            if (topology.cpus(c).containsAll(cpus)) {
                return new int[] {cpus.get(0), cpus.get(1)};
            }
        }
        throw new IllegalArgumentException("CPUs " + cpus.get(0) + " and " + cpus.get(1) + " are not siblings of one core"
                + " in topology " + topology + " (treat them as one with --topology)");
    }

    /** An online CPU of another core of the topology that shares CPU {@code cpu}'s last-level cache, or -1. */
    static int l3Cpu(Topology topology, int cpu) {
        List<Integer> shared = sharedCache(cpu);
        List<Integer> core = topology.cpus(topology.coreOf(cpu));
        return topology.allCpus().stream().filter(c -> !core.contains(c) && shared.contains(c)).findFirst().orElse(-1);
    }

    /** The CPUs that share CPU {@code cpu}'s highest-level cache, from sysfs (empty when unknown). */
    private static List<Integer> sharedCache(int cpu) {
        Path caches = Path.of(Topology.SYSFS_CPU_ROOT, "cpu" + cpu, "cache");
        try (Stream<Path> dirs = Files.list(caches)) {
            Optional<Path> last = dirs.filter(d -> d.getFileName().toString().startsWith("index"))
                    .max(Comparator.comparingInt(Bench::cacheLevel));
            if (last.isEmpty()) {
                return List.of();
            }
            List<Integer> cpus = new java.util.ArrayList<>();
            for (String range : Files.readString(last.get().resolve("shared_cpu_list")).strip().split(",")) {
                String[] ends = range.split("-");
                int first = Integer.parseInt(ends[0]);
                for (int c = first; c <= Integer.parseInt(ends[ends.length - 1]); c++) {
                    cpus.add(c);
                }
            }
            return cpus;
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    private static int cacheLevel(Path index) {
        try {
            return Integer.parseInt(Files.readString(index.resolve("level")).strip());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** The CPUs measurements use: the workload's, its sibling's, and the one sharing only the cache, if any. */
    public List<Integer> cpus() {
        return l3Cpu >= 0 ? List.of(cpu, sibling, l3Cpu) : List.of(cpu, sibling);
    }

    public Measurement.Machine machine() {
        return machine;
    }

    /** One measurement of a run: it reports its progress itself, and returns what is recorded. */
    interface Step {
        /** @param done what the run has recorded so far, by key */
        ObjectNode measure(String key, Map<String, JsonNode> done) throws IOException;
    }

    /** Everything a run has recorded, by key, and how many of its steps an earlier run had done. */
    record Recorded(Map<String, JsonNode> done, int resumed) {
    }

    /**
     * Measures, in order, every step that the store's journal does not hold under {@code group}
     * yet, recording each as soon as it is measured; the steps held count as done at once. This
     * is what makes a stopped run resume where it was.
     */
    Recorded record(String group, List<String> steps, Step step) throws IOException {
        Map<String, JsonNode> done = new HashMap<>(store.measurements(group));
        int resumed = (int) steps.stream().filter(done::containsKey).count();
        progress.plan(steps.size());
        progress.skipped(resumed);
        for (String key : steps) {
            if (done.containsKey(key)) {
                continue;
            }
            children.checkCancelled();
            ObjectNode value = step.measure(key, done);
            store.putMeasurement(group, key, value);
            done.put(key, value);
        }
        return new Recorded(done, resumed);
    }

    Optional<Injector> injector(String resource) {
        return injectors.stream().filter(i -> i.resource().equals(resource)).findFirst();
    }

    /** A new log file for a workload's output, in the scratch directory. */
    Path log(String name) throws IOException {
        return Files.createTempFile(workDir, name.replaceAll("[^A-Za-z0-9_.-]", "_") + "-", ".log");
    }

    /** Stops every process started, and removes the scratch directory. Idempotent. */
    @Override
    public void close() {
        children.close();
        try (Stream<Path> files = Files.walk(workDir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // Scratch files under the system's temporary directory; nothing depends on them.
        }
    }
}
