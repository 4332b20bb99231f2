// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.evaluation;

import java.util.Arrays;
import java.util.List;

/**
 * What one policy did with a load: each job's end, and the moves it made.
 *
 * @param makespan   seconds from 0 to the last job's end (or to the time limit)
 * @param migrations running threads moved to another hardware thread
 * @param pins       affinity changes applied to a job (0 for a policy that pins nothing)
 * @param plans      placement decisions taken (one at each arrival or end)
 * @param timeline   the placement after each decision
 */
public record RunResult(Policy policy, List<JobOutcome> jobs, double makespan, long migrations, long pins, long plans,
        List<TimelinePoint> timeline) {

    /**
     * One job's outcome; {@code end} is NaN when it had not ended by the time limit.
     */
    public record JobOutcome(Trace.Job job, double end) {
        public boolean finished() {
            return !Double.isNaN(end);
        }

        /** Seconds from arrival to end, waiting included. */
        public double turnaround() {
            return end - job.arrival();
        }

        /** Turnaround over the time alone: 1 is no loss, 2 took twice as long. */
        public double normalizedTurnaround() {
            return turnaround() / job.work();
        }

        /** Time alone over turnaround (Eyerman and Eeckhout's NP), in (0, 1]. */
        public double normalizedProgress() {
            return job.work() / turnaround();
        }
    }

    /** At {@code time}, the job on each hardware thread ({@code cpus[k]}), null where idle. */
    public record TimelinePoint(double time, String[] jobOnCpu) {
    }

    public List<JobOutcome> finishedJobs() {
        return jobs.stream().filter(JobOutcome::finished).toList();
    }

    public int unfinished() {
        return jobs.size() - finishedJobs().size();
    }

    /** System throughput: the sum of the finished jobs' normalised progress. */
    public double stp() {
        return finishedJobs().stream().mapToDouble(JobOutcome::normalizedProgress).sum();
    }

    /** Average normalised turnaround time of the finished jobs. */
    public double antt() {
        return finishedJobs().stream().mapToDouble(JobOutcome::normalizedTurnaround).average().orElse(Double.NaN);
    }

    /** Work done per second: thread-seconds alone of the finished jobs over the makespan. */
    public double workRate() {
        double work = finishedJobs().stream().mapToDouble(o -> o.job().work() * o.job().workers()).sum();
        return makespan > 0 ? work / makespan : Double.NaN;
    }

    /** The {@code q}-quantile (nearest rank) of the finished jobs' normalised turnaround. */
    public double turnaroundQuantile(double q) {
        double[] v = finishedJobs().stream().mapToDouble(JobOutcome::normalizedTurnaround).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(q * v.length);
        return v[Math.max(0, Math.min(v.length - 1, rank - 1))];
    }

    /** The finished jobs' normalised turnarounds, ascending (the slowdown CDF). */
    public double[] sortedTurnarounds() {
        double[] v = finishedJobs().stream().mapToDouble(JobOutcome::normalizedTurnaround).toArray();
        Arrays.sort(v);
        return v;
    }
}
