// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smtcheck.control.ControlClient;
import io.smtcheck.model.DataJson;
import io.smtcheck.model.InvalidDataException;
import io.smtcheck.model.ProcessMatch;
import io.smtcheck.model.Profile;
import io.smtcheck.model.ResourceProfile;
import io.smtcheck.profiling.Bench;
import io.smtcheck.profiling.Progress;
import io.smtcheck.profiling.WorkloadProfiler;
import io.smtcheck.profiles.ProfileStore;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "profile",
        sortOptions = false,
        description = {
            "Measures a workload's profile and writes it to the profile store.",
            "%nFirst the injectors are measured on this machine's two CPUs (each alone, then every pair of them),"
                + " unless the store has them for this CPU model and topology already. Then the command runs to"
                + " completion alone and beside each injector on the sibling CPU at each intensity level. Its slowdown"
                + " beside an injector is its sensitivity to that resource, the injector's slowdown its intensity, and"
                + " how both change with the level its usage. Progress is the IPC where the kernel has hardware"
                + " counters, else the command's CPU time (the profile says which).",
            "%nEvery run is recorded as it ends: stopped (Ctrl-C, SIGTERM), the same command resumes where it was."
                + " Every process started is stopped on every way out. A pending profiling request for the job is"
                + " marked done. --json prints the profile in the data file's form.",
            "%nWith --pgid P instead of CMD, the running daemon profiles the group it manages where it runs (in"
                + " situ): its instructions per second over fixed windows, alone on a borrowed core and beside each"
                + " injector. It needs hardware counters for the group and refuses in one line why not;"
                + " smtcheck status shows how far it got (docs/in-situ-profiling.md).",
        })
final class ProfileCommand implements Callable<Integer> {
    @Option(names = "--job", paramLabel = "ID", description = "The job's global id (required with CMD).")
    Integer jobOption;

    @Option(names = "--name", paramLabel = "NAME", description = "The profile's unique name (required with CMD).")
    String name;

    @Option(names = "--pgid", paramLabel = "P",
            description = "Have the running daemon (at --socket) profile its group P in situ, instead of running CMD.")
    Integer pgid;

    int job;

    @Option(names = "--duration", paramLabel = "S", defaultValue = "1",
            description = "Seconds each injector baseline is measured. Default: ${DEFAULT-VALUE}.")
    double duration;

    @Option(names = "--levels", paramLabel = "L,...", split = ",", defaultValue = "0.25,0.5,1",
            description = "Injector intensity levels, ascending in (0, 1], the last 1. Default: ${DEFAULT-VALUE}.")
    List<Double> levels;

    @Option(names = "--repeats", paramLabel = "N", defaultValue = "3",
            description = "Runs per setting; the median is kept. Default: ${DEFAULT-VALUE}.")
    int repeats;

    @Option(names = "--refresh", description = "Measure this machine's injector baselines again.")
    boolean refresh;

    @Option(names = "--comm", paramLabel = "NAME",
            description = "The daemon recognises the job by this process name (default: the job's current rule, if any).")
    String comm;

    @Option(names = "--cmdline", paramLabel = "REGEX", description = "... or by a pattern found in its command line.")
    String cmdline;

    @Option(names = "--workers", paramLabel = "N",
            description = "Its usual number of hardware threads. Default: the current profile's, else 1.")
    Integer workers;

    @Mixin
    JsonOption json;

    @Mixin
    BenchOptions bench;

    @Parameters(paramLabel = "CMD", arity = "0..*", description = "The workload: a command that does a fixed amount of work.")
    List<String> command;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (pgid != null) {
            return inSitu();
        }
        if (jobOption == null || name == null || command == null || command.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "give --job, --name and CMD (a command to run), or --pgid P (a group the daemon runs)");
        }
        job = jobOption;
        if (job < 0) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--job must not be negative");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (ProfileStore store = bench.store.open()) {
            store.requireWritable("keep a profile");
            List<Profile> profiles = store.readAllProfiles().items();
            Optional<Profile> current = profiles.stream().filter(p -> p.jobId() == job).findFirst();
            profiles.stream().filter(p -> p.name().equals(name) && p.jobId() != job).findFirst()
                    .ifPresent(p -> {
                        throw new InputException("the name '" + name + "' belongs to job " + p.jobId() + "'s profile");
                    });
            ProcessMatch match;
            try {
                match = comm != null || cmdline != null ? new ProcessMatch(comm, cmdline)
                        : current.map(Profile::match).orElse(null);
            } catch (InvalidDataException e) {
                throw new InputException(e.getMessage());
            }
            int w = workers != null ? workers : current.map(Profile::workers).orElse(1);
            if (w < 1) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--workers must be at least 1");
            }
            Progress progress = Progress.forConsole(spec.commandLine().getErr(), "profile of job " + job);
            long started = System.nanoTime();
            WorkloadProfiler.Request request = new WorkloadProfiler.Request(job, name, match, w, command,
                    Path.of("").toAbsolutePath(), levels, repeats);
            try (Bench b = bench.open(store, progress)) {
                WorkloadProfiler.Result r = WorkloadProfiler.profile(b, request, duration, refresh);
                progress.finish();
                if (json.json) {
                    out.println(DataJson.toJson(r.profile()).toPrettyString());
                } else {
                    print(out, r, store.where(), (System.nanoTime() - started) / 1e9);
                }
            }
        }
        return ExitCodes.OK;
    }

    /** Asks the daemon to profile its group in situ. */
    private int inSitu() throws IOException {
        if (command != null && !command.isEmpty() || jobOption != null || name != null) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--pgid profiles a group that runs: give no CMD, --job or --name with it");
        }
        ObjectNode request = JsonOutput.MAPPER.createObjectNode().put("command", "profile").put("pgid", pgid);
        JsonNode answer = ControlClient.request(bench.socket, request); // the daemon's socket, as for its CPUs
        if (!answer.path("ok").asBoolean()) {
            throw new RefusedException(answer.path("error").asText("the daemon gave no reason"));
        }
        JsonNode r = answer.get("result");
        PrintWriter out = spec.commandLine().getOut();
        if (json.json) {
            out.println(JsonOutput.MAPPER.writeValueAsString(r));
        } else {
            out.printf(Locale.ROOT, "profiling group %d (job %d) in situ on CPUs %s: %d windows; smtcheck status shows"
                    + " how far it got%n", pgid, r.path("job").asInt(), r.path("cpus"), r.path("windows").asInt());
        }
        return ExitCodes.OK;
    }

    private static void print(PrintWriter out, WorkloadProfiler.Result r, String where, double seconds) {
        Profile p = r.profile();
        var m = p.measured();
        out.printf(Locale.ROOT, "profile of %s written to %s%n", p.label(), where);
        out.printf(Locale.ROOT, "  measured on CPU %d beside CPU %d of %s (topology %s), progress by %s; %d runs"
                + "%s in %s%n", m.cpus().get(0), m.cpus().get(1), m.machine().cpuModel(), m.machine().topology(),
                m.progress() == io.smtcheck.model.Measurement.Progress.IPC ? "IPC" : "CPU time", r.runs(),
                r.resumed() > 0 ? " (" + r.resumed() + " resumed)" : "", Progress.duration(Math.round(seconds)));
        out.printf(Locale.ROOT, "  alone: %.3f s CPU; single_ipc %.4g, l3_cache_ipc %.4g (%s)%n", m.soloSeconds(),
                p.singleIpc(), p.l3CacheIpc(), m.l3());
        out.printf(Locale.ROOT, "  %-12s %11s %9s %6s %13s%n", "resource", "sensitivity", "intensity", "usage", "base slowdown");
        for (Map.Entry<String, ResourceProfile> e : p.resources().entrySet()) {
            ResourceProfile rp = e.getValue();
            out.printf(Locale.ROOT, "  %-12s %11.3f %9.3f %6.2f %13.3f%n", e.getKey(), rp.sensitivity(), rp.intensity(),
                    rp.usage(), rp.baseSlowdown());
        }
    }
}
