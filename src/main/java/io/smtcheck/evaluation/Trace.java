// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.evaluation;

import io.smtcheck.model.InvalidDataException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * A load: jobs that arrive at given times, each a payload with an amount of work and a number of
 * worker threads. The text form has one job a line, fields separated by blanks:
 * <pre>
 * # arrival_s  work_s  workers  payload
 * 0.0          30      1        dgemm
 * 2.5          12.5    2        stream-copy
 * </pre>
 * {@code work_s} is the job's duration alone: every worker thread on a core of its own with the
 * sibling idle. A line that is empty or starts with {@code #} is skipped. Words after the payload
 * are the job's own command, which a live run starts ({@code 0 5 1 build make -j1}); the payload
 * then only names it.
 *
 * @param jobs in order of arrival (jobs arriving together keep their order in the file)
 */
public record Trace(List<Job> jobs) {

    /**
     * One job.
     *
     * @param id      {@code j<line>} of the trace, or {@code j<index>} of a generated load; unique
     * @param arrival seconds from the start, 0 or more
     * @param work    seconds alone, more than 0
     * @param workers worker threads, at least 1
     * @param payload what runs: a workload of the slowdown matrix in a replay
     * @param command   the job's own command for a live run, or empty
     */
    public record Job(String id, double arrival, double work, int workers, String payload, List<String> command) {
        public Job(String id, double arrival, double work, int workers, String payload) {
            this(id, arrival, work, workers, payload, List.of());
        }

        public Job {
            command = List.copyOf(command);
            if (!(arrival >= 0) || Double.isInfinite(arrival)) {
                throw new IllegalArgumentException("job " + id + ": arrival: " + arrival + " is not a time of 0 or more");
            }
            if (!(work > 0) || Double.isInfinite(work)) {
                throw new IllegalArgumentException("job " + id + ": work: " + work + " is not a duration of more than 0");
            }
            if (workers < 1) {
                throw new IllegalArgumentException("job " + id + ": workers: " + workers + " is fewer than 1");
            }
        }
    }

    public Trace {
        jobs = jobs.stream().sorted(Comparator.comparingDouble(Job::arrival)).toList();
    }

    /**
     * Reads the text form.
     *
     * @throws InvalidDataException naming {@code source}, the line and the field
     */
    public static Trace parse(String text, String source) {
        List<Job> jobs = new ArrayList<>();
        String[] lines = text.split("\\R", -1);
        for (int n = 1; n <= lines.length; n++) {
            String line = lines[n - 1].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = source + ": line " + n + ": ";
            String[] f = line.split("\\s+");
            if (f.length < 4) {
                throw new InvalidDataException(where + f.length + " fields; expected 4: arrival_s work_s workers payload"
                        + " [command...]");
            }
            double arrival = number(f[0], where + "arrival_s");
            if (arrival < 0) {
                throw new InvalidDataException(where + "arrival_s: " + f[0] + " is negative");
            }
            double work = number(f[1], where + "work_s");
            if (work <= 0) {
                throw new InvalidDataException(where + "work_s: " + f[1] + " is not more than 0");
            }
            int workers;
            try {
                workers = Integer.parseInt(f[2]);
            } catch (NumberFormatException e) {
                throw new InvalidDataException(where + "workers: '" + f[2] + "' is not a whole number");
            }
            if (workers < 1) {
                throw new InvalidDataException(where + "workers: " + workers + " is fewer than 1");
            }
            jobs.add(new Job("j" + n, arrival, work, workers, f[3], List.of(f).subList(4, f.length)));
        }
        if (jobs.isEmpty()) {
            throw new InvalidDataException(source + ": no jobs");
        }
        return new Trace(jobs);
    }

    private static double number(String text, String where) {
        try {
            double d = Double.parseDouble(text);
            if (Double.isFinite(d)) {
                return d;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new InvalidDataException(where + ": '" + text + "' is not a finite number");
    }

    /**
     * Rejects a payload that {@code known} does not hold.
     *
     * @throws InvalidDataException naming the job (its trace line) and the payload
     */
    public void requirePayloads(java.util.Set<String> known, String source, String what) {
        for (Job j : jobs) {
            if (!known.contains(j.payload())) {
                throw new InvalidDataException(source + ": " + lineOf(j) + "payload: '" + j.payload() + "' is not "
                        + what);
            }
        }
    }

    private static String lineOf(Job j) {
        return j.id().startsWith("j") ? "line " + j.id().substring(1) + ": " : "";
    }

    /** The text form, which {@link #parse} reads back to the same jobs' times, work and payloads. */
    public String format() {
        StringBuilder b = new StringBuilder("# arrival_s work_s workers payload\n");
        for (Job j : jobs) {
            b.append(String.format(Locale.ROOT, "%s %s %d %s%s%n", plain(j.arrival()), plain(j.work()), j.workers(),
                    j.payload(), j.command().isEmpty() ? "" : " " + String.join(" ", j.command())));
        }
        return b.toString();
    }

    private static String plain(double d) {
        return java.math.BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }
}
