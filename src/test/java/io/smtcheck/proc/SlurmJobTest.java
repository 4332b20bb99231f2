// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.proc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which Slurm job a process runs in, from /proc/PID/cgroup and /proc/PID/environ files written as the kernel does. */
class SlurmJobTest {
    @TempDir
    Path proc;

    /** Writes /proc/PID/cgroup and, unless {@code environ} is null, /proc/PID/environ (NUL-separated). */
    private void process(int pid, String cgroup, String... environ) throws Exception {
        Path dir = Files.createDirectories(proc.resolve(Integer.toString(pid)));
        Files.writeString(dir.resolve("cgroup"), cgroup);
        if (environ != null) {
            Files.write(dir.resolve("environ"), (String.join("\0", environ) + "\0").getBytes(StandardCharsets.UTF_8));
        }
    }

    private SlurmJob job(int pid) {
        return new ProcessTable(proc).slurmJob(pid).orElseThrow(() -> new AssertionError("no Slurm job for " + pid));
    }

    @Test
    void aCgroupV2StepNamesTheJobAndTheEnvironmentItsNameAndSizes() throws Exception {
        process(40, "0::/system.slice/slurmstepd.scope/job_1234/step_0/user/task_0\n", "PATH=/usr/bin",
                "SLURM_JOB_ID=1234", "SLURM_JOB_NAME=dgemm", "SLURM_CPUS_PER_TASK=2", "SLURM_CPUS_ON_NODE=4",
                "SLURM_STEP_NUM_TASKS=1", "HOME=/root");
        SlurmJob j = job(40);
        assertEquals(new SlurmJob(1234, Optional.of("0"), Optional.of("/system.slice/slurmstepd.scope/job_1234/step_0/user/task_0"),
                "dgemm", OptionalInt.of(2), OptionalInt.of(4), OptionalInt.of(1)), j);
        assertTrue(j.isWorkload("dgemm"));
        assertEquals("Slurm job 1234 (dgemm)", j.label());
    }

    @Test
    void aCgroupV1StepIsFoundWithoutTheEnvironment() throws Exception {
        // As task/cgroup on cgroup v1 leaves a task (read from a real one), environ unreadable to the reader.
        process(41, """
                9:name=systemd:/
                8:pids:/
                6:freezer:/slurm_vm/uid_0/job_7/step_batch
                4:memory:/slurm_vm/uid_0/job_7/step_batch/task_0
                3:cpuset:/slurm_vm/uid_0/job_7/step_batch
                0::/
                """, (String[]) null);
        SlurmJob j = job(41);
        assertEquals(7, j.jobId());
        assertEquals(Optional.of("batch"), j.step());
        assertEquals(Optional.of("/slurm_vm/uid_0/job_7/step_batch"), j.cgroup());
        assertEquals("", j.name());
        assertEquals(OptionalInt.empty(), j.cpusOnNode());
        assertEquals("Slurm job 7", j.label());
        assertTrue(j.isWorkload("slurm_script"));
    }

    @Test
    void withoutCgroupsTheEnvironmentNamesTheJob() throws Exception {
        // proctrack/linuxproc or pgid: the job's processes stay in the cgroups they were started in.
        process(42, "0::/init.scope\n", "SLURM_JOB_ID=77", "SLURM_JOB_NAME=nbody", "SLURM_CPUS_ON_NODE=1");
        SlurmJob j = job(42);
        assertEquals(77, j.jobId());
        assertEquals(Optional.empty(), j.step());
        assertEquals(Optional.empty(), j.cgroup());
        assertEquals("nbody", j.name());
        assertEquals(OptionalInt.empty(), j.cpusPerTask());
        assertEquals(OptionalInt.of(1), j.cpusOnNode());
    }

    @Test
    void theCgroupWinsOverAnEnvironmentThatNamesAnotherJob() throws Exception {
        process(43, "0::/system.slice/slurmstepd.scope/job_9/step_1/user/task_0\n", "SLURM_JOB_ID=8",
                "SLURM_JOB_NAME=other", "SLURM_CPUS_ON_NODE=64");
        SlurmJob j = job(43);
        assertEquals(9, j.jobId());
        assertEquals("", j.name(), "the environment is another job's");
        assertEquals(OptionalInt.empty(), j.cpusOnNode());
    }

    @Test
    void slurmsOwnProcessesAreNotWorkloads() throws Exception {
        process(44, "0::/system.slice/slurmstepd.scope/job_5/step_extern/user/task_special\n");
        process(45, "0::/system.slice/slurmstepd.scope/job_5/step_0/slurm\n");
        process(46, "3:cpuset:/slurm/uid_1000/job_5/step_0\n");
        assertFalse(job(44).isWorkload("sleep"), "the extern step's placeholder");
        assertFalse(job(45).isWorkload("slurmstepd"), "slurmstepd in its step's cgroup");
        assertFalse(job(46).isWorkload("slurmstepd"));
        assertTrue(job(46).isWorkload("a.out"));
    }

    @Test
    void processesOutsideSlurmAreNoJob() throws Exception {
        process(50, "0::/user.slice/user-1000.slice/session-3.scope\n", "HOME=/home/u", "SLURM_JOB_ID=");
        process(51, "0::/user.slice/job_12/step_0\n"); // a job_N path that is not below a Slurm cgroup
        process(52, "0::/\n", "SLURM_JOB_ID=abc", "SLURM_JOB_NAME=x");
        process(53, "0::/\n", "SLURM_JOB_ID=0");
        process(54, "garbage\n\n0:\n", "SLURM_JOB_NAME=x");
        ProcessTable table = new ProcessTable(proc);
        for (int pid = 50; pid <= 54; pid++) {
            assertEquals(Optional.empty(), table.slurmJob(pid), "pid " + pid);
        }
        assertEquals(Optional.empty(), table.slurmJob(99), "a process that is gone");
    }

    @Test
    void aRealProcessIsReadFromProc() throws Exception {
        Process p = new ProcessBuilder("env", "SLURM_JOB_ID=4242", "SLURM_JOB_NAME=stream-copy", "SLURM_CPUS_PER_TASK=3",
                "sleep", "30").start();
        try {
            ProcessTable table = new ProcessTable();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            Optional<SlurmJob> j;
            // env execs sleep under the same pid: until then the environment is this JVM's.
            while ((j = table.slurmJob((int) p.pid())).isEmpty() || !"sleep".equals(table.program((int) p.pid()).comm())) {
                assertTrue(System.nanoTime() < deadline, "env did not exec sleep");
                Thread.sleep(20);
            }
            assertEquals(4242, j.get().jobId());
            assertEquals("stream-copy", j.get().name());
            assertEquals(OptionalInt.of(3), j.get().cpusPerTask());
        } finally {
            p.destroyForcibly().waitFor();
        }
    }
}
