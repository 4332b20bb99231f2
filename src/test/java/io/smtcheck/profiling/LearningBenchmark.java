// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import java.util.Arrays;
import java.util.Locale;

/**
 * The figures of BENCHMARKS.md "Learning from observed slowdowns": on a simulated host of
 * WORKLOADS workloads, TWO of them of two workers and the rest of one (twice as many workers as
 * cores), whose model errs with standard deviation ERROR, the true total throughput of model-only
 * placement, of placement after HOURS simulated hours of learning, and of the oracle, over SEEDS
 * seeds; prints each seed and the medians.
 *
 * <p>Run: {@code mvn -B -ntp -o -q test-compile && java -cp "target/classes:target/test-classes:$(mvn -B -ntp -o -q
 * dependency:build-classpath -Dmdep.outputFile=/dev/stdout)" io.smtcheck.profiling.LearningBenchmark [WORKLOADS
 * ERROR SEEDS HOURS TWO]} (defaults 64 0.2 9 4 0).
 */
public final class LearningBenchmark {
    private LearningBenchmark() {
    }

    public static void main(String[] args) {
        int workloads = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        double error = args.length > 1 ? Double.parseDouble(args[1]) : 0.2;
        int seeds = args.length > 2 ? Integer.parseInt(args[2]) : 9;
        double hours = args.length > 3 ? Double.parseDouble(args[3]) : 4;
        int two = args.length > 4 ? Integer.parseInt(args[4]) : 0;
        double[] model = new double[seeds];
        double[] learned = new double[seeds];
        double[] oracle = new double[seeds];
        int[] replans = new int[seeds];
        int[] moving = new int[seeds];
        System.out.printf(Locale.ROOT, "%d workloads (%d of two workers), model error sd %.2f, %.1f h of learning,"
                + " 10 s windows, 1 %% noise%n", workloads, two, error, hours);
        System.out.println("seed  model-only  learned  oracle  re-plans  moving  ambiguous");
        for (int s = 0; s < seeds; s++) {
            LearningScenario scenario = new LearningScenario(workloads, two, error, 1000 + s);
            LearningScenario.Learned l = scenario.learn(hours * 3600, 10, 0.01, (round, host) -> { });
            model[s] = scenario.modelOnly();
            learned[s] = l.throughput();
            oracle[s] = scenario.oracle();
            replans[s] = l.replans();
            moving[s] = l.moving();
            System.out.printf(Locale.ROOT, "%4d  %10.3f  %7.3f  %6.3f  %8d  %6d  %9d%n", 1000 + s, model[s], learned[s],
                    oracle[s], replans[s], moving[s], l.discards().ambiguous());
        }
        System.out.printf(Locale.ROOT, "median  %8.3f  %7.3f  %6.3f  %8.0f  %6.0f%n", median(model), median(learned),
                median(oracle), median(Arrays.stream(replans).asDoubleStream().toArray()),
                median(Arrays.stream(moving).asDoubleStream().toArray()));
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
