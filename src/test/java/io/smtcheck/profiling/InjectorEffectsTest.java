// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The injectors on this machine's two CPUs, which may share the last-level cache and memory
 * bandwidth (and nothing else where there is no SMT): each runs pinned at a steady rate, and the
 * memory-bandwidth and last-level-cache injectors slow a workload that lives on that resource
 * clearly more than one that stays in its registers, whenever the CPUs share it (see
 * {@link Contention}).
 */
class InjectorEffectsTest {
    private static final Duration PATIENCE = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    private Children children;

    @BeforeEach
    void start() {
        children = new Children(() -> { });
    }

    @AfterEach
    void stop() {
        children.close();
    }

    @Test
    void everyInjectorRunsPinnedAtASteadyRate() throws Exception {
        List<Injector> injectors = Injector.catalogue(Tools.inject());
        assertEquals(List.of("int_alu", "fp_unit", "l1d_capacity", "l2_capacity", "llc", "mem_bw", "branch_pred"),
                injectors.stream().map(Injector::resource).toList());
        for (Injector i : injectors) {
            try (InjectorProcess p = InjectorProcess.start(children, dir, i.resource(), 0, 1.0)) {
                assertEquals("0", cpusAllowed(p.pid()), i.resource());
                // Steady: five windows in a row within 30 % of their median. A cache the machine
                // shares with others can move a window (a first one faster while the neighbours
                // are quiet, say), so it has up to twelve windows to show five steady ones.
                List<Double> rates = new ArrayList<>();
                InjectorProcess.Mark last = p.mark();
                boolean steady = false;
                while (!steady && rates.size() < 12) {
                    Thread.sleep(200);
                    InjectorProcess.Mark now = p.mark();
                    rates.add(now.rateSince(last));
                    last = now;
                    if (rates.size() >= 5) {
                        double[] five = rates.subList(rates.size() - 5, rates.size()).stream()
                                .mapToDouble(Double::doubleValue).toArray();
                        double median = WorkloadProfiler.median(five);
                        steady = Arrays.stream(five).allMatch(r -> Math.abs(r / median - 1) < 0.3);
                    }
                }
                assertTrue(steady, i.resource() + " rates " + rates);
            }
        }
    }

    @Test
    void memoryBandwidthInjectorSlowsAStreamMoreThanACompute() throws Exception {
        slowsTheUserNotTheOther("mem_bw", Contention.STREAM, () -> Contention.memoryBandwidthShared(PATIENCE),
                "memory bandwidth");
    }

    @Test
    void lastLevelCacheInjectorSlowsACacheResidentStreamMoreThanACompute() throws Exception {
        slowsTheUserNotTheOther("llc", Contention.LLC_STREAM, () -> Contention.lastLevelCacheShared(PATIENCE),
                "the last-level cache");
    }

    interface Probe {
        boolean shared() throws IOException;
    }

    /**
     * While the CPUs share the resource (checked by {@code probe} first), its injector slows a
     * program that lives on it clearly, and a register-only program not at all. A round whose
     * user is not slowed, or whose register-only program is (the host moved a CPU meanwhile), is
     * measured again, at most three times.
     */
    private void slowsTheUserNotTheOther(String injector, List<String> user, Probe probe, String what) throws Exception {
        String seen = "";
        for (int round = 0; round < 3; round++) {
            assumeTrue(probe.shared(), "CPUs 0 and 1 did not share " + what + " for " + PATIENCE.toSeconds() + " s");
            double slowed = slowdown(user, injector);
            double compute = slowdown(Contention.COMPUTE, injector);
            seen += String.format(Locale.ROOT, " [%s slows its user %.3f, compute %.3f]", injector, slowed, compute);
            // a slowed compute program means the host took a CPU away meanwhile: that round shows nothing
            if (compute < 0.05 && slowed > 0.1 && slowed > compute + 0.08) {
                return;
            }
        }
        throw new AssertionError("while the CPUs share " + what + ":" + seen);
    }

    /** The workload's slowdown on CPU 0 beside the injector on CPU 1: medians of three runs each. */
    private double slowdown(List<String> command, String resource) throws IOException {
        double[] alone = new double[3];
        double[] beside = new double[3];
        Path log = dir.resolve("workload.log");
        for (int k = 0; k < 3; k++) {
            alone[k] = WorkloadRun.run(children, dir, command, dir, 0, log).cpuNanos();
            try (InjectorProcess p = InjectorProcess.start(children, dir, resource, 1, 1.0)) {
                long units = p.mark().units();
                beside[k] = WorkloadRun.run(children, dir, command, dir, 0, log).cpuNanos();
                assertTrue(p.mark().units() > units, "the injector worked all along");
            }
        }
        return 1 - WorkloadProfiler.median(alone) / WorkloadProfiler.median(beside);
    }

    static String cpusAllowed(long pid) throws IOException {
        return Files.readAllLines(Path.of("/proc", Long.toString(pid), "status")).stream()
                .filter(l -> l.startsWith("Cpus_allowed_list:")).map(l -> l.substring(l.indexOf(':') + 1).strip())
                .findFirst().orElse("?");
    }
}
