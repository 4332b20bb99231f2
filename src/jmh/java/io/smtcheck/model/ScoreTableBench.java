// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import io.smtcheck.sched.PairingInput;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Score table costs (docs/architecture.md §5: adding one workload to 512 in ≤ 1 ms). The table holds
 * {@code size} instances of random profiles over the shipped model's five resources; "add" puts
 * one more and removes it again (so the table stays at {@code size}), "recompute" switches the
 * model, recomputing every pair.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ScoreTableBench {
    @Param({"64", "512"})
    int size;

    private ScoreTable table;
    private PredictionModel model;
    private PredictionModel other;
    private final List<Profile> extra = new ArrayList<>();
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        List<Resource> resources = List.of(
                new Resource("fp_unit", ResourceType.PARALLEL), new Resource("int_alu", ResourceType.PARALLEL),
                new Resource("l1d_capacity", ResourceType.SEQUENTIAL), new Resource("l2_capacity", ResourceType.SEQUENTIAL),
                new Resource("mem_bw", ResourceType.SEQUENTIAL));
        Training t = new Training(java.time.Instant.EPOCH, "bench", 0, 0, 0, Double.NaN, Double.NaN);
        model = new PredictionModel(resources, new double[] {0.55, 0.3, 0.2, 0.35, 0.4, 0.6}, 0.02, t);
        other = new PredictionModel(resources, new double[] {0.5, 0.31, 0.2, 0.35, 0.4, 0.6}, 0.02, t);
        Random r = new Random(1);
        table = new ScoreTable(model);
        for (int i = 0; i < size; i++) {
            table.put("pgid:" + i, profile(r, i, resources), 1);
        }
        for (int i = 0; i < 64; i++) {
            extra.add(profile(r, 10_000 + i, resources));
        }
    }

    private static Profile profile(Random r, int job, List<Resource> resources) {
        java.util.Map<String, ResourceProfile> m = new java.util.HashMap<>();
        for (Resource res : resources) {
            m.put(res.name(), new ResourceProfile(r.nextDouble(), r.nextDouble(), r.nextDouble(), 0.3 * r.nextDouble()));
        }
        double single = 0.5 + 2 * r.nextDouble();
        return new Profile(job, "w" + job, null, 1, single, single * (0.7 + 0.3 * r.nextDouble()), m);
    }

    /** Adds one workload to a table of {@code size} (and removes it, O(N), to keep the size). */
    @Benchmark
    public int addOneAndRemoveIt() {
        Profile p = extra.get(next++ & 63);
        table.put("new", p, 1);
        table.remove("new");
        return table.size();
    }

    /** Recomputes the whole table, as on a model change. */
    @Benchmark
    public int recomputeAll() {
        table.setModel(table.model() == model ? other : model);
        return table.size();
    }

    /** Exports the planner's input (copies the N×N matrix). */
    @Benchmark
    public Object exportPairingInput() {
        return PairingInput.of(table);
    }
}
