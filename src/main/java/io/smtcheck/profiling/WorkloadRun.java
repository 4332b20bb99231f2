// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One run of a workload's command to completion, pinned to one CPU by {@code smtcheck-runner},
 * which reports its CPU time and, where the kernel has them, its hardware cycle and instruction
 * counts, and leaves none of its processes behind.
 *
 * @param cpuNanos     CPU time of the command and all its descendants
 * @param wallNanos    elapsed time
 * @param cycles       hardware cycles, or -1 where there are no counters
 * @param instructions hardware instructions, or -1
 * @param counters     "hardware", or why there were no counters
 */
record WorkloadRun(long cpuNanos, long wallNanos, long cycles, long instructions, String counters) {
    private static final ObjectMapper JSON = new ObjectMapper();

    boolean hasCounters() {
        return cycles > 0 && instructions >= 0;
    }

    double ipc() {
        return (double) instructions / cycles;
    }

    /** Its progress: its IPC, or the inverse of its CPU time in seconds. */
    double progress(boolean ipc) {
        return ipc ? ipc() : 1e9 / Math.max(1, cpuNanos);
    }

    /** The journal's form of the run. */
    ObjectNode toJson() {
        return JsonNodeFactory.instance.objectNode().put("cpu_ns", cpuNanos).put("wall_ns", wallNanos)
                .put("cycles", cycles).put("instructions", instructions).put("counters", counters);
    }

    /** Whether a recorded run had hardware counters. */
    static boolean hasCounters(JsonNode run) {
        return run.path("cycles").asLong() > 0 && run.path("instructions").asLong() >= 0;
    }

    /** A recorded run's progress: its IPC, or the inverse of its CPU time in seconds. */
    static double progress(JsonNode run, boolean ipc) {
        if (ipc) {
            return (double) run.path("instructions").asLong() / run.path("cycles").asLong();
        }
        return 1e9 / Math.max(1, run.path("cpu_ns").asLong());
    }

    /**
     * Runs {@code command} in {@code workingDir} on {@code cpu} to completion; its output goes to
     * {@code log}.
     *
     * @throws WorkloadFailedException when it cannot be started or exits with a non-zero status
     */
    static WorkloadRun run(Children children, Path workDir, List<String> command, Path workingDir, int cpu, Path log)
            throws IOException {
        return Running.start(children, workDir, command, workingDir, cpu, log).await();
    }

    /** A run under way. */
    static final class Running {
        private final Children children;
        private final Process process;
        private final Path report;
        private final List<String> command;
        private final Path log;

        private Running(Children children, Process process, Path report, List<String> command, Path log) {
            this.children = children;
            this.process = process;
            this.report = report;
            this.command = command;
            this.log = log;
        }

        static Running start(Children children, Path workDir, List<String> command, Path workingDir, int cpu, Path log)
                throws IOException {
            Path report = Files.createTempFile(workDir, "run-", ".json");
            Files.delete(report);
            List<String> argv = new ArrayList<>(List.of(Tools.runner().toString(), "--cpu", Integer.toString(cpu),
                    "--report", report.toString(), "--"));
            argv.addAll(command);
            File out = log.toFile();
            Process p = children.start(new ProcessBuilder(argv).directory(workingDir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(out))
                    .redirectError(ProcessBuilder.Redirect.appendTo(out)));
            return new Running(children, p, report, command, log);
        }

        boolean done() {
            return !process.isAlive();
        }

        /** Waits for the end of the run and reads its report. */
        WorkloadRun await() throws IOException {
            int status;
            try {
                status = process.waitFor();
            } catch (InterruptedException e) {
                abandon();
                Thread.currentThread().interrupt();
                throw new Children.CancelledException();
            } finally {
                children.forget(process);
            }
            children.checkCancelled();
            if (!Files.exists(report)) {
                throw new IOException("smtcheck-runner failed (exit " + status + ") before running " + command.get(0)
                        + "; see " + log);
            }
            JsonNode r;
            try {
                r = JSON.readTree(Files.readAllBytes(report));
            } finally {
                Files.deleteIfExists(report);
            }
            if (r.hasNonNull("exec_error")) {
                throw new WorkloadFailedException("cannot run " + command.get(0) + ": " + r.path("exec_error").asText());
            }
            if (r.path("interrupted").asBoolean()) {
                throw new Children.CancelledException();
            }
            if (r.hasNonNull("signal")) {
                throw new WorkloadFailedException(String.join(" ", command) + " was killed by signal "
                        + r.path("signal").asInt() + "; its output is in " + log);
            }
            int exit = r.path("exit_code").asInt(-1);
            if (exit != 0) {
                throw new WorkloadFailedException(String.join(" ", command) + " exited with status " + exit
                        + "; its output is in " + log);
            }
            long cycles = r.path("cycles").isNumber() ? r.path("cycles").asLong() : -1;
            long instructions = r.path("instructions").isNumber() ? r.path("instructions").asLong() : -1;
            return new WorkloadRun(r.path("cpu_ns").asLong(), r.path("wall_ns").asLong(), cycles, instructions,
                    r.path("counters").asText("unknown"));
        }

        /** Stops the run (the runner kills the whole workload) and waits for it; its result is dropped. */
        void abandon() {
            process.destroy();
            children.reap(process, 3);
            try {
                Files.deleteIfExists(report);
            } catch (IOException e) {
                // A temporary file in the run's work directory, removed with it.
            }
        }
    }
}
