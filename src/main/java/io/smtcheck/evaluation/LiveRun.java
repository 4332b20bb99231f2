// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.evaluation;

import io.smtcheck.os.Signals;
import io.smtcheck.proc.GroupLauncher;
import io.smtcheck.proc.LaunchRegistry;
import io.smtcheck.proc.ProcessTable;
import io.smtcheck.sched.GroupAffinity;
import io.smtcheck.sched.Topology;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs a load for real on this machine under a policy (docs/evaluate.md, "Live"). Every job is a
 * process group of its own, started at its arrival and placed as the policy places it; its time
 * alone is measured first, by running it with nothing else of the load beside it. Every group
 * still running when the run ends, or when the JVM exits, is killed.
 */
public final class LiveRun {
    /** Between two looks at the jobs: how late an arrival may start. */
    private static final long POLL_MILLIS = 10;
    /** Every job group alive, killed by the shutdown hook. */
    private static final Set<Integer> LIVE_GROUPS = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(LiveRun::killAll, "live-run-cleanup"));
    }

    private final Topology topology;
    private final long seed;
    private final double timeLimit;
    private final double calibrationSeconds;
    private final List<String> smtcheck;
    private final double minGain;

    /** What a run tells as it goes: for progress and for checks from outside. */
    public interface Listener {
        /** Job {@code job} runs as group {@code pgid}, pinned to {@code cpus} (empty: not pinned). */
        default void started(Trace.Job job, int pgid, List<Integer> cpus) {
        }

        /** {@code count} jobs have ended. */
        default void ended(int count) {
        }
    }

    /**
     * A load made ready to run: each job's command, and as its work the seconds it took alone
     * (the trace's work_s for one that did not end alone within the time limit, which is marked).
     */
    public record Prepared(List<Trace.Job> jobs, Map<String, List<String>> commands, Set<String> endless) {
    }

    /**
     * @param timeLimit          seconds a run (and a job alone) may take; jobs still running then are killed
     * @param calibrationSeconds how long a built-in payload runs alone to measure its rate of work
     */
    public LiveRun(Topology topology, long seed, double timeLimit, double calibrationSeconds) {
        this(topology, seed, timeLimit, calibrationSeconds, List.of(), 0.02);
    }

    /**
     * @param smtcheck the command that runs smtcheck ({@code java -cp ... io.smtcheck.cli.Main}), for
     *                 the smtcheck policy's daemon
     * @param minGain  the daemon's {@code --min-gain}
     */
    public LiveRun(Topology topology, long seed, double timeLimit, double calibrationSeconds, List<String> smtcheck,
            double minGain) {
        if (!(timeLimit > 0)) {
            throw new IllegalArgumentException("time limit: " + timeLimit + " is not more than 0 seconds");
        }
        this.topology = topology;
        this.seed = seed;
        this.timeLimit = timeLimit;
        this.calibrationSeconds = calibrationSeconds;
        this.smtcheck = List.copyOf(smtcheck);
        this.minGain = minGain;
    }

    /**
     * Turns each job into a command (a built-in payload gets its work in the injector's units, from
     * its rate alone), then runs each distinct command alone for its time alone.
     */
    public Prepared prepare(Trace trace, Listener listener) throws IOException, InterruptedException {
        Map<LivePayloads.Injector, Double> rates = new LinkedHashMap<>();
        Map<String, List<String>> commands = new LinkedHashMap<>();
        for (Trace.Job j : trace.jobs()) {
            LivePayloads.Injector inj = LivePayloads.injectorOf(j);
            if (inj == null) {
                commands.put(j.id(), j.command());
            } else {
                double rate = rates.computeIfAbsent(inj, this::calibrate);
                commands.put(j.id(), inj.command(Math.max(1, Math.round(rate * j.work()))));
            }
        }
        Map<List<String>, Double> alone = new LinkedHashMap<>();
        List<Trace.Job> jobs = new ArrayList<>();
        Set<String> endless = new TreeSet<>();
        for (Trace.Job j : trace.jobs()) {
            List<String> command = commands.get(j.id());
            Double solo = alone.get(command);
            if (solo == null) {
                Started s = start(j, command);
                listener.started(j, s.pgid, List.of());
                boolean ended = s.process.waitFor((long) (timeLimit * 1000), java.util.concurrent.TimeUnit.MILLISECONDS);
                if (ended) {
                    s.exited.join();
                }
                solo = ended ? (s.end - s.begin) / 1e9 : Double.NaN;
                s.stop();
                alone.put(command, solo);
            }
            if (Double.isNaN(solo)) {
                endless.add(j.id());
            }
            jobs.add(new Trace.Job(j.id(), j.arrival(), Double.isNaN(solo) ? j.work() : Math.max(solo, 1e-3),
                    j.workers(), j.payload(), j.command()));
        }
        return new Prepared(List.copyOf(jobs), commands, endless);
    }

    /** Units per second of a built-in payload alone: the injector's own count over a few tenths of a second. */
    private double calibrate(LivePayloads.Injector inj) {
        try {
            Process p = new ProcessBuilder(inj.command(0)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            try (OutputStream in = p.getOutputStream();
                    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(),
                            StandardCharsets.US_ASCII))) {
                String line = out.readLine();
                if (!"ready".equals(line)) {
                    throw new IllegalStateException(inj.resource() + ": the injector did not start: " + line);
                }
                Thread.sleep((long) (calibrationSeconds * 1000));
                in.write("mark\n".getBytes(StandardCharsets.US_ASCII));
                in.flush();
                String[] mark = String.valueOf(out.readLine()).split(" ");
                if (mark.length != 4 || !mark[0].equals("mark")) {
                    throw new IllegalStateException(inj.resource() + ": the injector answered '" + String.join(" ", mark)
                            + "' to a mark");
                }
                return Long.parseLong(mark[1]) / (Long.parseLong(mark[3]) / 1e9);
            } finally {
                p.destroyForcibly();
                p.waitFor();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** A job's process group, from its start. */
    private static final class Started {
        final Process process;
        final int pgid;
        final long begin;
        final Path stderr;
        /** Completes, with {@link #end} set, once the process has exited. */
        final java.util.concurrent.CompletableFuture<Void> exited;
        volatile long end;
        long migrations;
        List<Integer> cpus = List.of();

        Started(Process process, long begin, Path stderr) {
            this.process = process;
            this.pgid = (int) process.pid();
            this.begin = begin;
            this.stderr = stderr;
            exited = process.onExit().thenRun(() -> end = System.nanoTime());
        }

        /** Kills what is left of the group and forgets it. */
        void stop() {
            GroupLauncher.signal(pgid, Signals.SIGKILL);
            process.destroyForcibly();
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            LIVE_GROUPS.remove(pgid);
            try {
                Files.deleteIfExists(stderr);
            } catch (IOException e) {
                // a temporary file left behind is harmless
            }
        }

        String lastErrorLine() {
            try {
                List<String> lines = Files.readAllLines(stderr, StandardCharsets.UTF_8);
                for (int i = lines.size() - 1; i >= 0; i--) {
                    if (!lines.get(i).isBlank()) {
                        return lines.get(i).strip();
                    }
                }
            } catch (IOException | UncheckedIOException e) {
                // no message then
            }
            return "";
        }
    }

    /**
     * Starts a command as the leader of a session and process group of its own ({@code setsid}
     * execs in place, so the pid is the group's id). A built-in payload keeps a pipe on standard
     * input: the injector ends at end of input, so it also ends with this JVM.
     */
    private static Started start(Trace.Job job, List<String> command) throws IOException {
        List<String> argv = new ArrayList<>(command.size() + 1);
        argv.add("setsid");
        argv.addAll(command);
        Path stderr = Files.createTempFile("smtcheck-live-" + job.id() + "-", ".err");
        ProcessBuilder b = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(stderr.toFile());
        if (!job.command().isEmpty()) {
            b.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        }
        long begin = System.nanoTime();
        Process p = b.start();
        LIVE_GROUPS.add((int) p.pid());
        return new Started(p, begin, stderr);
    }

    /** Runs the prepared load under {@code policy}: linux, random, smt-off or smtcheck. */
    public LiveResult run(Prepared load, Policy policy, Listener listener) throws IOException, InterruptedException {
        if (policy == Policy.SMTCHECK) {
            Path dir = Files.createTempDirectory("smtcheck-live-daemon-");
            Daemon daemon = null;
            LiveResult r;
            try {
                daemon = Daemon.start(smtcheck, topology, minGain, dir);
                r = run(load, policy, listener, daemon);
            } finally {
                if (daemon != null) {
                    daemon.close();
                }
                deleteTree(dir);
            }
            return new LiveResult(r.run(), r.killed(), r.failures(), daemon.usage());
        }
        return run(load, policy, listener, null);
    }

    private LiveResult run(Prepared load, Policy policy, Listener listener, Daemon daemon)
            throws IOException, InterruptedException {
        List<Integer> usable = switch (policy) {
            case LINUX, RANDOM, SMTCHECK -> topology.allCpus();
            case SMT_OFF -> firstThreads();
            default -> throw new IllegalArgumentException("policy " + policy.label() + " does not run live");
        };
        Random random = new Random(seed);
        TreeSet<Integer> free = new TreeSet<>(usable);
        List<Trace.Job> jobs = load.jobs();
        List<Trace.Job> waiting = new ArrayList<>();
        Map<String, Started> running = new LinkedHashMap<>();
        Map<String, Double> ends = new LinkedHashMap<>();
        List<LiveResult.Failure> failures = new ArrayList<>();
        long migrations = 0;
        long pins = 0;
        int killed = 0;
        int next = 0;
        int ended = 0;
        long runStart = System.nanoTime();
        try {
            while (next < jobs.size() || !waiting.isEmpty() || !running.isEmpty()) {
                double now = (System.nanoTime() - runStart) / 1e9;
                while (next < jobs.size() && jobs.get(next).arrival() <= now) {
                    waiting.add(jobs.get(next++));
                }
                for (var it = waiting.iterator(); it.hasNext();) {
                    Trace.Job j = it.next();
                    List<Integer> cpus = List.of();
                    if (policy == Policy.RANDOM || policy == Policy.SMT_OFF) {
                        if (free.isEmpty()) {
                            break;
                        }
                        cpus = take(free, Math.min(j.workers(), free.size()), policy == Policy.RANDOM ? random : null);
                    }
                    Started s = start(j, load.commands().get(j.id()));
                    if (!cpus.isEmpty()) {
                        pin(s, cpus);
                        s.cpus = cpus;
                        pins++;
                    }
                    if (daemon != null) {
                        daemon.launch(s, j, jobs.indexOf(j) + 1);
                        s.cpus = allowed(s.pgid);
                    }
                    running.put(j.id(), s);
                    it.remove();
                    listener.started(j, s.pgid, cpus);
                }
                for (var it = running.entrySet().iterator(); it.hasNext();) {
                    var e = it.next();
                    Started s = e.getValue();
                    if (s.process.isAlive()) {
                        s.migrations = Math.max(s.migrations, migrationsOf(s.pgid));
                        if (daemon != null) {
                            // The daemon pins; a change of the leader's affinity is one of its pins.
                            List<Integer> affinity = allowed(s.pgid);
                            if (!affinity.isEmpty() && !affinity.equals(s.cpus)) {
                                pins++;
                                s.cpus = affinity;
                            }
                        }
                        continue;
                    }
                    s.exited.join();
                    int status = s.process.exitValue();
                    if (status == 0) {
                        ends.put(e.getKey(), (s.end - runStart) / 1e9);
                    } else {
                        failures.add(new LiveResult.Failure(e.getKey(), status, s.lastErrorLine()));
                    }
                    migrations += s.migrations;
                    if (daemon == null) {
                        free.addAll(s.cpus);
                    }
                    s.stop();
                    it.remove();
                    listener.ended(++ended);
                }
                if (now >= timeLimit) {
                    for (Started s : running.values()) {
                        migrations += s.migrations;
                        s.stop();
                        killed++;
                    }
                    running.clear();
                    break;
                }
                Thread.sleep(POLL_MILLIS);
            }
        } finally {
            running.values().forEach(Started::stop);
        }
        double makespan = (System.nanoTime() - runStart) / 1e9;
        List<RunResult.JobOutcome> outcomes = new ArrayList<>();
        double last = 0;
        for (Trace.Job j : jobs) {
            double end = load.endless().contains(j.id()) ? Double.NaN : ends.getOrDefault(j.id(), Double.NaN);
            outcomes.add(new RunResult.JobOutcome(j, end));
            last = Math.max(last, Double.isNaN(end) ? 0 : end);
        }
        boolean allEnded = killed == 0 && failures.isEmpty() && load.endless().isEmpty();
        return new LiveResult(new RunResult(policy, outcomes, allEnded ? last : makespan, migrations, pins, 0,
                List.of()), killed, failures, null);
    }

    /**
     * Pins the job's group with sched_setaffinity. Until {@code setsid} has run, the group has no
     * member (the child is still in ours), so this tries again until the pin reaches a task or the
     * job has ended.
     */
    private static void pin(Started s, List<Integer> cpus) throws InterruptedException {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (GroupAffinity.pin(s.pgid, cpus).tasks() == 0 && s.process.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
    }

    /** The CPUs the leader of {@code pgid} may run on; empty once it is gone. */
    private static List<Integer> allowed(int pid) {
        try {
            return GroupAffinity.of(pid);
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // a temporary directory left behind is harmless
        }
    }

    /**
     * The real daemon ({@code smtcheck run}) with its userspace monitor, as a process of its own,
     * on the run's topology: it places the groups recorded as {@code smtcheck launch} records them
     * when the kernel modules are absent, once they have run its shortest threshold (1 s).
     */
    private static final class Daemon implements AutoCloseable {
        private static final double TICKS_PER_SECOND = 100; // USER_HZ, fixed by the kernel's ABI for /proc
        private final Process process;
        private final LaunchRegistry launched;
        private final ProcessTable table = new ProcessTable();
        private long maxRssKib;
        /** Its CPU ticks once it was up: its own start is not part of the run. */
        private long startTicks;

        private Daemon(Process process, Path stateDir) {
            this.process = process;
            this.launched = new LaunchRegistry(stateDir.resolve("launched"));
        }

        static Daemon start(List<String> smtcheck, Topology topology, double minGain, Path dir)
                throws IOException, InterruptedException {
            if (smtcheck.isEmpty()) {
                throw new IllegalStateException("no smtcheck command to start the daemon with");
            }
            List<String> argv = new ArrayList<>(List.of("setsid"));
            argv.addAll(smtcheck);
            Path socket = dir.resolve("control.sock");
            argv.addAll(List.of("run", "--userspace", "--threshold", "1", "--interval", "0.2", "--min-gain",
                    Double.toString(minGain), "--topology", topology.toString(), "--state-dir", dir.toString(),
                    "--socket", socket.toString(), "--data-dir", dir.resolve("data").toString()));
            Process p = new ProcessBuilder(argv).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(dir.resolve("daemon.log").toFile()).start();
            LIVE_GROUPS.add((int) p.pid());
            Daemon d = new Daemon(p, dir);
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (!Files.exists(socket)) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    d.close();
                    List<String> log = Files.readAllLines(dir.resolve("daemon.log"));
                    throw new IllegalStateException("the daemon did not start: "
                            + (log.isEmpty() ? "no output" : log.get(log.size() - 1)));
                }
                Thread.sleep(20);
            }
            d.startTicks = d.table.cpuTicks((int) p.pid()).orElse(0);
            return d;
        }

        /** Records the job's group for the daemon's userspace monitor, as {@code smtcheck launch} does. */
        void launch(Started s, Trace.Job job, int jobId) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (table.processGroup(s.pgid).orElse(-1) != s.pgid && s.process.isAlive()
                    && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            long start = table.startTicks(s.pgid).orElse(-1);
            launched.add(new LaunchRegistry.Entry(s.pgid, jobId, job.workers(), job.payload(),
                    java.time.Instant.now().getEpochSecond(), start));
            sampleRss();
        }

        private void sampleRss() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                    if (line.startsWith("VmHWM:")) {
                        maxRssKib = Math.max(maxRssKib, Long.parseLong(line.replaceAll("[^0-9]", "")));
                    }
                }
            } catch (IOException | RuntimeException e) {
                // gone: keep what was seen
            }
        }

        /** Its CPU time over the run (from the moment its socket was up) and its peak resident memory. */
        LiveResult.DaemonUsage usage() {
            return usage;
        }

        private LiveResult.DaemonUsage usage = new LiveResult.DaemonUsage(Double.NaN, 0);

        @Override
        public void close() {
            sampleRss();
            table.cpuTicks((int) process.pid()).ifPresent(ticks ->
                    usage = new LiveResult.DaemonUsage((ticks - startTicks) / TICKS_PER_SECOND, maxRssKib));
            process.destroy(); // SIGTERM: it stops cleanly
            try {
                if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                    GroupLauncher.signal((int) process.pid(), Signals.SIGKILL);
                    process.waitFor();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            LIVE_GROUPS.remove((int) process.pid());
        }
    }

    /** Each core's first hardware thread. */
    private List<Integer> firstThreads() {
        List<Integer> out = new ArrayList<>();
        for (int c = 0; c < topology.coreCount(); c++) {
            out.add(topology.cpus(c).get(0));
        }
        return out;
    }

    /** {@code n} CPUs taken from {@code free}: drawn at random, or the lowest without a generator. */
    private static List<Integer> take(TreeSet<Integer> free, int n, Random random) {
        List<Integer> pool = new ArrayList<>(free);
        if (random != null) {
            Collections.shuffle(pool, random);
        }
        List<Integer> chosen = new ArrayList<>(pool.subList(0, n));
        free.removeAll(chosen);
        Collections.sort(chosen);
        return List.copyOf(chosen);
    }

    /** The group leader's migrations so far ({@code se.nr_migrations} of /proc/PID/sched), 0 once it is gone. */
    static long migrationsOf(int pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/sched"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("se.nr_migrations")) {
                    return Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
                }
            }
        } catch (IOException | UncheckedIOException | NumberFormatException e) {
            // ended meanwhile, or a kernel without the field
        }
        return 0;
    }

    /** Kills every job group still alive: at exit, so that an interrupted evaluation leaves none behind. */
    static void killAll() {
        for (int pgid : LIVE_GROUPS) {
            GroupLauncher.signal(pgid, Signals.SIGKILL);
        }
        LIVE_GROUPS.clear();
    }
}
