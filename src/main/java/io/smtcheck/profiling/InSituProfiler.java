// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smtcheck.model.Measurement;
import io.smtcheck.model.ProcessMatch;
import io.smtcheck.model.Profile;
import io.smtcheck.model.ResourceProfile;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Profiles a running job where it runs, on one borrowed core (two sibling CPUs nobody else uses):
 * <ol>
 *   <li>with the job still elsewhere, each injector alone on the sibling at every level, and two
 *       copies of it on the two CPUs (its slowdown then is the most that resource's contention
 *       costs here), one window each;</li>
 *   <li>the job is moved onto the core's first CPU; for each injector, a warm-up and a window with
 *       the sibling idle (its rate alone, taken just before, as {@code profile} does), then at each
 *       level a warm-up and a window with the injector on the sibling, reading the job's
 *       instructions and the injector's work units.</li>
 * </ol>
 * Progress is instructions per second of the time the job could run: a window leaves out the time
 * its tasks waited for a CPU other tasks held (the scheduler's run delay, where the source knows
 * it), since sharing a CPU is not contention from the sibling; a window in which it waited more
 * than half the time is measured again. Slowdowns, normalisation and usage are computed as
 * {@link WorkloadProfiler} computes them from runs. The profile says {@code in_situ}.
 *
 * <p>Bad counts: a window whose instructions did not advance (counters read 0 or stopped), went
 * back, or ran faster beside an injector than {@link #JUMP} times the rate alone (contention only
 * slows) is measured again, as is one whose injector died (it is restarted); after
 * {@link Settings#attempts} tries the profile fails naming why. A group that exits fails it too,
 * and its journal keeps the steps measured, for the job's next group. The job's rates alone, one
 * per injector, are its phase check: when they spread (max − min over the median) more than
 * {@link Settings#maxSpread}, the job changes by phase and the profile is refused, reporting the
 * spread, and its journal dropped.
 */
public final class InSituProfiler {
    /** Beside an injector a workload cannot run this much faster than alone: such a window's counts jumped. */
    static final double JUMP = 1.5;

    /**
     * How the windows run.
     *
     * @param warmupSeconds before each window, after the setting changed (caches refill, the injector ramps up)
     * @param windowSeconds one measurement
     * @param levels        injector intensity levels, ascending, the last 1
     * @param maxSpread     the most the job's rates alone may spread (a fraction of their median)
     * @param attempts      tries of a window before the profile fails
     */
    public record Settings(double warmupSeconds, double windowSeconds, List<Double> levels, double maxSpread,
            int attempts) {
        /** The original's schedule: a warm-up, then about 10 s per setting. */
        public static final Settings DEFAULTS = new Settings(2, 10, List.of(0.25, 0.5, 1.0), 0.15, 3);

        /** @throws IllegalArgumentException naming the field that is out of range */
        public Settings {
            if (!(warmupSeconds >= 0 && warmupSeconds <= 3600)) {
                throw new IllegalArgumentException("warm-up: " + warmupSeconds + " s is not within 0 to 3600");
            }
            if (!(windowSeconds > 0 && windowSeconds <= 3600)) {
                throw new IllegalArgumentException("window: " + windowSeconds + " s is not within (0, 3600]");
            }
            Measurement.checkLevels(levels);
            levels = List.copyOf(levels);
            if (!(maxSpread > 0 && maxSpread < 1)) {
                throw new IllegalArgumentException("max spread: " + maxSpread + " is not within (0, 1)");
            }
            if (attempts < 1) {
                throw new IllegalArgumentException("attempts: " + attempts + " is less than 1");
            }
        }

        /** How many windows a profile of {@code injectors} takes. */
        int steps(int injectors) {
            return injectors * (2 * levels.size() + 2);
        }
    }

    /**
     * What to profile and where.
     *
     * @param pgid       the running group
     * @param jobId      its job
     * @param name       the profile's name
     * @param match      how the daemon recognises its processes, or null
     * @param workers    its usual number of hardware threads
     * @param command    its leader's command line
     * @param workingDir its leader's working directory (absolute)
     * @param cpu        the borrowed core's CPU the job is moved to
     * @param sibling    the core's other CPU, where the injectors run
     * @param machine    this machine
     * @param injectors  the resources to measure
     */
    public record Request(int pgid, int jobId, String name, ProcessMatch match, int workers, List<String> command,
            String workingDir, int cpu, int sibling, Measurement.Machine machine, List<Injector> injectors) {
        public Request {
            if (injectors == null || injectors.isEmpty()) {
                throw new IllegalArgumentException("injectors: at least one is needed");
            }
            if (cpu == sibling || cpu < 0 || sibling < 0) {
                throw new IllegalArgumentException("cpus: " + cpu + " and " + sibling + " are not two CPUs");
            }
            injectors = List.copyOf(injectors);
            command = List.copyOf(command);
        }
    }

    /** Where a profile stands: windows done of all, and what runs now. */
    public record Done(int done, int total, String current) {
    }

    /**
     * The profile, how many windows came from the journal, and the job's rates alone (instructions
     * per second): their mean and spread (max − min over the median) are its phase variance.
     */
    public record Result(Profile profile, int windows, int resumed, double soloMean, double soloSpread) {
    }

    /** The profile did not complete; {@code resumable} when the journal keeps what was measured. */
    public static final class FailedException extends IOException {
        private final boolean resumable;

        FailedException(String message, boolean resumable) {
            super(message);
            this.resumable = resumable;
        }

        public boolean resumable() {
            return resumable;
        }
    }

    /** Moves the group onto the borrowed CPU (the daemon pins it; the simulated machine notes it). */
    @FunctionalInterface
    public interface MoveIn {
        void to(int pgid, int cpu) throws IOException;
    }

    private final CounterSource source;
    private final Settings settings;
    private final Request request;
    private final InSituJournal journal;
    private final MoveIn moveIn;
    private volatile Done done;
    private int resumed;

    private InSituProfiler(CounterSource source, Settings settings, Request request, InSituJournal journal, MoveIn moveIn) {
        this.source = source;
        this.settings = settings;
        this.request = request;
        this.journal = journal;
        this.moveIn = moveIn;
        this.done = new Done(0, settings.steps(request.injectors().size()), "starting");
    }

    /** A profiler of {@code request} whose journal lives in {@code journalDir}. */
    public static InSituProfiler of(CounterSource source, Settings settings, Request request, Path journalDir,
            MoveIn moveIn) throws IOException {
        String key = request.machine().id() + "/" + request.injectors().stream().map(Injector::resource).toList() + "/"
                + settings.levels() + "/" + settings.warmupSeconds() + "/" + settings.windowSeconds();
        return new InSituProfiler(source, settings, request, InSituJournal.open(journalDir, request.jobId(), key), moveIn);
    }

    /** How far it got; safe from any thread. */
    public Done progress() {
        return done;
    }

    /** Measures (or resumes) and computes the profile; the journal is dropped once it is complete or refused. */
    public Result run() throws IOException, InterruptedException {
        Request r = request;
        for (Injector i : r.injectors()) {
            for (double level : settings.levels()) {
                step("alone/" + i.resource() + "/" + InjectorProcess.level(level), () -> injectorAlone(i, level));
            }
            step("pair/" + i.resource(), () -> injectorPair(i));
        }
        try {
            moveIn.to(r.pgid(), r.cpu());
        } catch (IOException e) {
            throw new FailedException(e.getMessage() + "; the journal " + journal.file() + " keeps the " + done.done()
                    + " windows measured", true);
        }
        for (Injector i : r.injectors()) {
            step("solo/" + i.resource(), () -> besideOrAlone(null, 0, Double.NaN));
            double alone = journal.get("solo/" + i.resource()).path("rate").asDouble();
            for (double level : settings.levels()) {
                step("with/" + i.resource() + "/" + InjectorProcess.level(level), () -> besideOrAlone(i, level, alone));
            }
        }
        Result result = compute();
        journal.delete();
        return result;
    }

    private interface Measure {
        ObjectNode run() throws IOException, InterruptedException;
    }

    private void step(String key, Measure m) throws IOException, InterruptedException {
        Done d = done;
        if (journal.get(key) != null) {
            resumed++;
            done = new Done(d.done() + 1, d.total(), key + " (resumed)");
            return;
        }
        done = new Done(d.done(), d.total(), key);
        journal.put(key, m.run());
        done = new Done(d.done() + 1, d.total(), key);
    }

    /** The injector's rate alone on the sibling (the job is not on the core yet). */
    private ObjectNode injectorAlone(Injector i, double level) throws IOException, InterruptedException {
        for (int attempt = 1;; attempt++) {
            try (CounterSource.RunningInjector inj = source.startInjector(i.resource(), request.sibling(), level)) {
                source.sleep(settings.warmupSeconds());
                CounterSource.Reading a = inj.mark();
                source.sleep(settings.windowSeconds());
                double rate = unitRate(i, a, inj.mark());
                return JsonNodeFactory.instance.objectNode().put("rate", rate);
            } catch (IOException e) {
                retryOrFail(attempt, i.resource() + " alone on CPU " + request.sibling() + ": " + e.getMessage());
            }
        }
    }

    /** Two copies of the injector at full intensity on the core: the full cost of its contention here. */
    private ObjectNode injectorPair(Injector i) throws IOException, InterruptedException {
        double alone = journal.get("alone/" + i.resource() + "/" + InjectorProcess.level(1.0)).path("rate").asDouble();
        for (int attempt = 1;; attempt++) {
            try (CounterSource.RunningInjector x = source.startInjector(i.resource(), request.cpu(), 1.0);
                    CounterSource.RunningInjector y = source.startInjector(i.resource(), request.sibling(), 1.0)) {
                source.sleep(settings.warmupSeconds());
                CounterSource.Reading xa = x.mark();
                CounterSource.Reading ya = y.mark();
                source.sleep(settings.windowSeconds());
                double rx = unitRate(i, xa, x.mark());
                double ry = unitRate(i, ya, y.mark());
                return JsonNodeFactory.instance.objectNode().put("slowdown", 1 - (rx + ry) / 2 / alone);
            } catch (IOException e) {
                retryOrFail(attempt, "two " + i.resource() + " injectors on CPUs " + request.cpu() + " and "
                        + request.sibling() + ": " + e.getMessage());
            }
        }
    }

    /**
     * One window of the job: alone ({@code i} null) or beside the injector at {@code level},
     * checked against its rate {@code alone} just before.
     */
    private ObjectNode besideOrAlone(Injector i, double level, double alone) throws IOException, InterruptedException {
        String where = i == null ? "alone on CPU " + request.cpu()
                : "beside " + i.resource() + " at " + InjectorProcess.level(level) + " on CPU " + request.sibling();
        for (int attempt = 1;; attempt++) {
            CounterSource.RunningInjector inj = null;
            try {
                if (i != null) {
                    inj = source.startInjector(i.resource(), request.sibling(), level);
                }
                source.sleep(settings.warmupSeconds());
                CounterSource.Reading ia = inj == null ? null : inj.mark();
                CounterSource.Reading a = read();
                source.sleep(settings.windowSeconds());
                CounterSource.Reading b = read();
                CounterSource.Reading ib = inj == null ? null : inj.mark();
                String bad = badWindow(a, b, alone);
                if (bad != null) {
                    retryOrFail(attempt, "the counters of group " + request.pgid() + " " + where + " " + bad);
                    continue;
                }
                ObjectNode v = JsonNodeFactory.instance.objectNode().put("rate", rate(a, b))
                        .put("ipc", b.cycles() > a.cycles() ? (double) (b.instructions() - a.instructions())
                                / (b.cycles() - a.cycles()) : 0);
                return i == null ? v : v.put("injector_rate", unitRate(i, ia, ib));
            } catch (FailedException e) {
                throw e;
            } catch (IOException e) {
                retryOrFail(attempt, "group " + request.pgid() + " " + where + ": " + e.getMessage());
            } finally {
                if (inj != null) {
                    inj.close();
                }
            }
        }
    }

    private CounterSource.Reading read() throws IOException {
        Optional<CounterSource.Reading> r = source.read(request.pgid());
        if (r.isEmpty()) {
            throw new FailedException("group " + request.pgid() + " (job " + request.jobId() + ") exited mid-profile after "
                    + done.done() + " of " + done.total() + " windows; the journal " + journal.file()
                    + " keeps them for the job's next run", true);
        }
        return r.get();
    }

    /** Why a window's counts cannot be used, or null. */
    private static String badWindow(CounterSource.Reading a, CounterSource.Reading b, double alone) {
        if (b.nanos() <= a.nanos()) {
            return "were read with no time between them";
        }
        if (b.instructions() < a.instructions()) {
            return "went back (from " + a.instructions() + " to " + b.instructions() + " instructions)";
        }
        if (b.instructions() == a.instructions()) {
            return "did not advance (they read " + a.instructions() + " twice)";
        }
        double waited = waited(a, b);
        if (waited * 2 > b.nanos() - a.nanos()) {
            return String.format(Locale.ROOT, "waited for its CPU %.0f %% of the window (other tasks ran there)",
                    waited * 100 / (b.nanos() - a.nanos()));
        }
        double rate = rate(a, b);
        if (!Double.isNaN(alone) && rate > JUMP * alone) {
            return String.format(Locale.ROOT, "jumped: %.4g instructions/s beside an injector, %.4g alone", rate, alone);
        }
        return null;
    }

    /** Instructions per second of the window that the job could run: time other tasks held its CPU left out. */
    private static double rate(CounterSource.Reading a, CounterSource.Reading b) {
        return (b.instructions() - a.instructions()) * 1e9 / (b.nanos() - a.nanos() - waited(a, b));
    }

    /** How long in the window the job waited for its CPU; 0 when it went back (a task of the group exited). */
    private static long waited(CounterSource.Reading a, CounterSource.Reading b) {
        return Math.max(0, b.waitedNanos() - a.waitedNanos());
    }

    private static double unitRate(Injector i, CounterSource.Reading a, CounterSource.Reading b) throws IOException {
        if (b.nanos() <= a.nanos() || b.instructions() <= a.instructions()) {
            throw new IOException("injector " + i.resource() + " made no progress in a window (it got no CPU or died)");
        }
        return (b.instructions() - a.instructions()) * 1e9 / (b.nanos() - a.nanos());
    }

    private void retryOrFail(int attempt, String why) throws FailedException {
        if (attempt >= settings.attempts()) {
            throw new FailedException(why + " (" + attempt + " tries); not profiled", false);
        }
    }

    private Result compute() throws IOException {
        Map<String, JsonNode> j = journal.steps();
        List<Double> levelList = settings.levels();
        double[] levels = levelList.stream().mapToDouble(Double::doubleValue).toArray();
        double[] solo = new double[request.injectors().size()];
        List<Double> ipcs = new ArrayList<>();
        Map<String, ResourceProfile> resources = new HashMap<>();
        for (int k = 0; k < request.injectors().size(); k++) {
            Injector i = request.injectors().get(k);
            JsonNode alone = j.get("solo/" + i.resource());
            solo[k] = alone.path("rate").asDouble();
            if (alone.path("ipc").asDouble() > 0) {
                ipcs.add(alone.path("ipc").asDouble());
            }
            double[] s = new double[levels.length];
            double[] inj = new double[levels.length];
            for (int l = 0; l < levels.length; l++) {
                String level = InjectorProcess.level(levels[l]);
                JsonNode with = j.get("with/" + i.resource() + "/" + level);
                s[l] = 1 - with.path("rate").asDouble() / solo[k];
                inj[l] = 1 - with.path("injector_rate").asDouble()
                        / j.get("alone/" + i.resource() + "/" + level).path("rate").asDouble();
            }
            resources.put(i.resource(), WorkloadProfiler.resource(i, levels, s, inj,
                    j.get("pair/" + i.resource()).path("slowdown").asDouble()));
        }
        double median = WorkloadProfiler.median(solo);
        double min = Double.POSITIVE_INFINITY;
        double max = 0;
        double sum = 0;
        for (double v : solo) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            sum += v;
        }
        double spread = (max - min) / median;
        if (spread > settings.maxSpread()) {
            journal.delete();
            throw new FailedException(String.format(Locale.ROOT, "job %d's rate alone spread %.1f %% between windows"
                    + " (%.4g to %.4g instructions/s; the bound is %.1f %%): it changes by phase, so its windows"
                    + " disagree; not profiled", request.jobId(), spread * 100, min, max, settings.maxSpread() * 100),
                    false);
        }
        boolean ipc = ipcs.size() == solo.length;
        double single = ipc ? WorkloadProfiler.median(ipcs.stream().mapToDouble(Double::doubleValue).toArray()) : 1.0;
        Measurement m = new Measurement(Measurement.FORMAT, Instant.now(), Measurement.Progress.IN_SITU,
                request.command(), request.workingDir(), request.machine(), List.of(request.cpu(), request.sibling()), 1,
                levelList, settings.windowSeconds(), "not measured in situ (it needs a CPU of another core); "
                + "l3_cache_ipc = single_ipc");
        Profile p = new Profile(request.jobId(), request.name(), request.match(), request.workers(), single, single,
                resources, m);
        return new Result(p, j.size(), resumed, sum / solo.length, spread);
    }
}
