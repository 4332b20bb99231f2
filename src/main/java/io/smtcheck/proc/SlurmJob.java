// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.proc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Slurm job a process runs in, as /proc shows it. Slurm's cgroup plugins put every step of a
 * job in a cgroup of its own: {@code /system.slice/slurmstepd.scope/job_ID/step_N/user/task_T} on
 * cgroup v2, {@code /slurm/uid_U/job_ID/step_N} (or {@code /slurm_NODE/...}) in the v1 hierarchies.
 * That path names the job whoever reads it; the environment ({@code SLURM_JOB_ID},
 * {@code SLURM_JOB_NAME}, {@code SLURM_CPUS_PER_TASK}, {@code SLURM_CPUS_ON_NODE},
 * {@code SLURM_STEP_NUM_TASKS}), readable by root and the job's owner, gives its name and sizes, and its id where Slurm tracks processes without
 * cgroups (proctrack/linuxproc or pgid). Where both name a job, the cgroup's wins: a process can
 * set its own environment, not its cgroup.
 *
 * @param jobId       the Slurm job id
 * @param step        the step ("0", "batch", "extern", ...), or empty when no cgroup names it
 * @param cgroup      the job's step cgroup path, or empty when the job was known from the environment alone
 * @param name        the job name ({@code SLURM_JOB_NAME}), or empty when the environment cannot be read
 * @param cpusPerTask {@code SLURM_CPUS_PER_TASK}, when set
 * @param cpusOnNode  {@code SLURM_CPUS_ON_NODE}: how many CPUs the job has on this node, when set
 * @param stepTasks   {@code SLURM_STEP_NUM_TASKS}: how many tasks the step runs, when set
 */
public record SlurmJob(int jobId, Optional<String> step, Optional<String> cgroup, String name,
        OptionalInt cpusPerTask, OptionalInt cpusOnNode, OptionalInt stepTasks) {
    /** A cgroup path below one of Slurm's (a component starting with "slurm"), naming the job and maybe the step. */
    private static final Pattern CGROUP = Pattern.compile("/slurm[^/]*(?:/.*)?/job_([0-9]+)(?:/step_([^/]+))?(?:/|$)");

    public SlurmJob {
        if (jobId <= 0) {
            throw new IllegalArgumentException("jobId: " + jobId + " is not a Slurm job id");
        }
    }

    /**
     * Whether this process is one of the job's own workload: not one Slurm runs for itself, as the
     * extern step (the job's placeholder process) or slurmstepd.
     */
    public boolean isWorkload(String comm) {
        return !comm.equals("slurmstepd") && !step.equals(Optional.of("extern"))
                && !cgroup.map(c -> c.endsWith("/slurm")).orElse(false); // cgroup v2: slurmstepd's own cgroup
    }

    /** The job of process {@code pid} under the /proc at {@code proc}; empty when it runs in none, or is gone. */
    public static Optional<SlurmJob> of(Path proc, int pid) {
        Path dir = proc.resolve(Integer.toString(pid));
        List<String> cgroups;
        try {
            cgroups = Files.readAllLines(dir.resolve("cgroup"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return Optional.empty(); // gone
        }
        Map<String, String> env;
        try {
            env = environment(Files.readAllBytes(dir.resolve("environ")));
        } catch (IOException e) {
            env = Map.of(); // another user's process, to a reader that is not root
        }
        return of(cgroups, env);
    }

    /** The job that {@code cgroups} (the lines of /proc/PID/cgroup) and {@code env} (its environment) name. */
    static Optional<SlurmJob> of(List<String> cgroups, Map<String, String> env) {
        OptionalInt envJob = number(env.get("SLURM_JOB_ID"));
        int jobId = -1;
        String step = null;
        String cgroup = null;
        for (String line : cgroups) {
            String[] f = line.split(":", 3);
            Matcher m = f.length == 3 ? CGROUP.matcher(f[2]) : null;
            if (m != null && m.find()) {
                jobId = Integer.parseInt(m.group(1));
                step = m.group(2);
                cgroup = f[2];
                break;
            }
        }
        if (jobId <= 0) {
            if (envJob.isEmpty() || envJob.getAsInt() <= 0) {
                return Optional.empty();
            }
            jobId = envJob.getAsInt();
        }
        // The environment describes this job only if it names it (a process may carry another job's).
        boolean sameJob = envJob.isPresent() && envJob.getAsInt() == jobId;
        String name = sameJob ? env.getOrDefault("SLURM_JOB_NAME", "") : "";
        return Optional.of(new SlurmJob(jobId, Optional.ofNullable(step), Optional.ofNullable(cgroup), name,
                sameJob ? number(env.get("SLURM_CPUS_PER_TASK")) : OptionalInt.empty(),
                sameJob ? number(env.get("SLURM_CPUS_ON_NODE")) : OptionalInt.empty(),
                sameJob ? number(env.get("SLURM_STEP_NUM_TASKS")) : OptionalInt.empty()));
    }

    /** /proc/PID/environ: NUL-separated NAME=VALUE entries, only the SLURM_ ones kept. */
    static Map<String, String> environment(byte[] raw) {
        Map<String, String> env = new HashMap<>();
        for (String entry : new String(raw, StandardCharsets.UTF_8).split("\0")) {
            int eq = entry.indexOf('=');
            if (eq > 0 && entry.startsWith("SLURM_")) {
                env.put(entry.substring(0, eq), entry.substring(eq + 1));
            }
        }
        return env;
    }

    private static OptionalInt number(String text) {
        if (text == null) {
            return OptionalInt.empty();
        }
        try {
            return OptionalInt.of(Integer.parseInt(text.strip()));
        } catch (NumberFormatException e) {
            return OptionalInt.empty();
        }
    }

    /** "Slurm job 12 (name)" for messages. */
    public String label() {
        return "Slurm job " + jobId + (name.isEmpty() ? "" : " (" + name + ")");
    }
}
