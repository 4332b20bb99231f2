// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import java.time.Instant;
import java.util.List;

/**
 * How and where a profile was measured ({@code smtcheck profile} writes it; imported profiles may
 * lack it). It also says how to run the workload again, which {@code smtcheck corun} needs.
 *
 * @param format     version of this description, {@value #FORMAT}; format 1 is read as well, with
 *                   the resource names smtcheck used then ({@link Catalogue#fromEarlierFormat})
 * @param at         when the measurement finished
 * @param progress   how the workload's progress was measured: {@code ipc} (hardware counters),
 *                   {@code run_time} (CPU time of the whole command for its fixed amount of work) or
 *                   {@code in_situ} (instructions per second of the running job over fixed windows;
 *                   then {@code repeats} is 1 and {@code solo_seconds} the length of one window)
 * @param command    the command line, at least the program
 * @param workingDir where it ran (absolute)
 * @param machine    the machine's identity and description
 * @param cpus       the workload's CPU, then its sibling's (where the injectors ran)
 * @param repeats    runs per setting (the median was kept)
 * @param levels     the injectors' intensity levels, ascending, the last 1
 * @param soloSeconds the workload's CPU time alone, median
 * @param l3         how {@code l3_cache_ipc} was obtained, in words
 */
public record Measurement(int format, Instant at, Progress progress, List<String> command, String workingDir,
        Machine machine, List<Integer> cpus, int repeats, List<Double> levels, double soloSeconds, String l3) {
    public static final int FORMAT = 2;

    /**
     * Checks injector intensity levels: ascending within (0, 1], the last 1 (full intensity, where
     * sensitivity and intensity are read).
     *
     * @throws InvalidDataException naming {@code levels} when they are not
     */
    public static void checkLevels(List<Double> levels) {
        if (levels == null || levels.isEmpty() || levels.get(levels.size() - 1) != 1.0) {
            throw new InvalidDataException("levels: " + levels + " must end with 1");
        }
        for (int i = 0; i < levels.size(); i++) {
            double l = levels.get(i);
            if (!(l > 0 && l <= 1) || i > 0 && !(l > levels.get(i - 1))) {
                throw new InvalidDataException("levels: " + levels + " must ascend within (0, 1]");
            }
        }
    }

    /** How a workload's progress is measured. */
    public enum Progress {
        IPC("ipc"), RUN_TIME("run_time"),
        /**
         * Measured where the job ran, without rerunning it: its instructions per second over fixed
         * windows, alone on a borrowed core and beside each injector on the core's other CPU.
         */
        IN_SITU("in_situ");

        private final String label;

        Progress(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        public static Progress ofLabel(String label) {
            for (Progress p : values()) {
                if (p.label.equals(label)) {
                    return p;
                }
            }
            throw new InvalidDataException("progress: '" + label + "' is not ipc, run_time or in_situ");
        }
    }

    /**
     * A machine as profiling identifies it: injector baselines are reused between runs with the
     * same {@code id}, derived from the CPU model and the topology.
     */
    public record Machine(String id, String cpuModel, String topology, String kernel, String host) {
        public Machine {
            for (String[] f : new String[][] {{"id", id}, {"cpu_model", cpuModel}, {"topology", topology}}) {
                if (f[1] == null || f[1].isBlank()) {
                    throw new InvalidDataException(f[0] + ": missing");
                }
            }
        }
    }

    public Measurement {
        if (format != FORMAT) {
            throw new InvalidDataException("format: " + format + " is not supported (this build reads 1 and " + FORMAT + ")");
        }
        if (at == null || progress == null || machine == null || workingDir == null || l3 == null) {
            throw new InvalidDataException("at, progress, machine, working_dir and l3 are required");
        }
        if (command == null || command.isEmpty() || command.stream().anyMatch(a -> a == null || a.indexOf('\0') >= 0)) {
            throw new InvalidDataException("command: needs at least the program, without NUL characters");
        }
        if (!workingDir.startsWith("/")) {
            throw new InvalidDataException("working_dir: '" + workingDir + "' is not absolute");
        }
        if (cpus == null || cpus.size() != 2 || cpus.get(0) < 0 || cpus.get(1) < 0 || cpus.get(0).equals(cpus.get(1))) {
            throw new InvalidDataException("cpus: " + cpus + " is not two different CPUs");
        }
        if (repeats < 1) {
            throw new InvalidDataException("repeats: " + repeats + " is less than 1");
        }
        checkLevels(levels);
        if (!(soloSeconds > 0) || !Double.isFinite(soloSeconds)) {
            throw new InvalidDataException("solo_seconds: " + soloSeconds + " is not a finite number > 0");
        }
        command = List.copyOf(command);
        cpus = List.copyOf(cpus);
        levels = List.copyOf(levels);
    }
}
