// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import io.smtcheck.evaluation.Scores;
import io.smtcheck.evaluation.SlowdownMatrix;
import io.smtcheck.evaluation.Trace;
import io.smtcheck.model.ObservedSlowdowns;
import io.smtcheck.model.PredictionModel;
import io.smtcheck.model.Profile;
import io.smtcheck.model.Resource;
import io.smtcheck.model.ResourceProfile;
import io.smtcheck.model.ResourceType;
import io.smtcheck.model.ScoreTable;
import io.smtcheck.model.Training;
import io.smtcheck.sched.PairingInput;
import io.smtcheck.sched.Placement;
import io.smtcheck.sched.Replanner;
import io.smtcheck.sched.Topology;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * A host of workloads of one worker, some of them of two, with twice as many workers as cores,
 * whose model errs: the true slowdown of each ordered pair is the model's prediction plus Gaussian
 * error of a given standard deviation (clamped to [0, 0.95]). It places them three ways and gives
 * each way's true total throughput (the sum of the workers' speeds relative to alone): on the model alone, on the model corrected
 * online by {@link CoRunObserver} over a {@link SimulatedHost}, and on the truth (the evaluation's
 * oracle scores, planned without a migration cost).
 */
final class LearningScenario {
    static final double MIN_GAIN = 0.02;

    /** After learning: the true throughput, the plans made because of observations, and those that moved groups. */
    record Learned(double throughput, int replans, int moving, CoRunObserver.Discards discards) {
    }

    final int workloads;
    /** Each workload's workers: 2 for the first ones asked for, 1 for the rest. */
    final int[] workers;
    final Topology topology;
    final List<Profile> profiles = new ArrayList<>();
    final PredictionModel model;
    final SlowdownMatrix truth;
    private final long seed;

    LearningScenario(int workloads, double modelError, long seed) {
        this(workloads, 0, modelError, seed);
    }

    /** The same, the first {@code twoWorkers} workloads of two workers each. */
    LearningScenario(int workloads, int twoWorkers, double modelError, long seed) {
        if ((workloads + twoWorkers) % 2 != 0 || twoWorkers > workloads) {
            throw new IllegalArgumentException("workloads " + workloads + " with " + twoWorkers
                    + " of two workers: not an even number of workers");
        }
        this.workloads = workloads;
        this.seed = seed;
        workers = new int[workloads];
        for (int i = 0; i < workloads; i++) {
            workers[i] = i < twoWorkers ? 2 : 1;
        }
        List<List<Integer>> cores = new ArrayList<>();
        for (int c = 0; c < (workloads + twoWorkers) / 2; c++) {
            cores.add(List.of(2 * c, 2 * c + 1));
        }
        topology = Topology.shape(cores);
        List<Resource> resources = List.of(new Resource("seq", ResourceType.SEQUENTIAL),
                new Resource("par", ResourceType.PARALLEL));
        model = new PredictionModel(resources, new double[] {0.3, 0.5, 0.5}, 0.3,
                new Training(Instant.parse("2026-01-01T00:00:00Z"), "a model that errs", 1, 0, 0, 0, 0));
        Random r = new Random(seed);
        for (int i = 0; i < workloads; i++) {
            double ipc = 0.5 + 1.5 * r.nextDouble();
            profiles.add(new Profile(100 + i, "w" + i, null, 1, ipc, ipc, Map.of(
                    "seq", new ResourceProfile(r.nextDouble(), r.nextDouble(), r.nextDouble(), 0.2 * r.nextDouble()),
                    "par", new ResourceProfile(r.nextDouble(), r.nextDouble(), r.nextDouble(), 0.2 * r.nextDouble()))));
        }
        ScoreTable predicted = table(false);
        List<String> names = new ArrayList<>();
        double[][] s = new double[workloads][workloads];
        for (int i = 0; i < workloads; i++) {
            names.add(key(i));
            for (int j = 0; j < workloads; j++) {
                double p = predicted.predictedSlowdown(key(i), key(j));
                s[i][j] = Math.max(0, Math.min(0.95, p + modelError * r.nextGaussian()));
            }
        }
        truth = new SlowdownMatrix(names, s);
    }

    static String key(int i) {
        return "pgid:" + (1000 + i);
    }

    private ScoreTable table(boolean learning) {
        ScoreTable t = new ScoreTable(model);
        for (int i = 0; i < workloads; i++) {
            t.put(key(i), ObservedSlowdowns.workloadOf(profiles.get(i).jobId()), profiles.get(i), workers[i]);
        }
        if (learning) {
            t.learnFrom(new ObservedSlowdowns(ObservedSlowdowns.DEFAULT_TRUST_SECONDS));
        }
        return t;
    }

    /** The true total throughput of a placement of every workload: its workers' speeds, each beside its sibling's. */
    double throughput(Placement p) {
        Map<String, List<Integer>> cpus = p.cpusByWorkload();
        Map<Integer, Integer> onCpu = new java.util.HashMap<>();
        for (int j = 0; j < workloads; j++) {
            for (int cpu : cpus.get(key(j))) {
                onCpu.put(cpu, j);
            }
        }
        double total = 0;
        for (int i = 0; i < workloads; i++) {
            for (int cpu : cpus.get(key(i))) {
                double speed = 1;
                for (int other : topology.cpus(topology.coreOf(cpu))) {
                    if (other != cpu && onCpu.containsKey(other)) {
                        speed = truth.speed(i, onCpu.get(other));
                    }
                }
                total += speed;
            }
        }
        return total;
    }

    Placement modelOnlyPlan() {
        return new Replanner(topology, MIN_GAIN).decide(PairingInput.of(table(false)), Placement.empty(topology))
                .placement();
    }

    double modelOnly() {
        return throughput(modelOnlyPlan());
    }

    /** The evaluation's oracle: the planner on scores from the truth, free to move anything. */
    double oracle() {
        Scores scores = Scores.truth(truth);
        for (int i = 0; i < workloads; i++) {
            scores.add(new Trace.Job(key(i), 0, 1, workers[i], key(i)));
        }
        return throughput(new Replanner(topology, 0).decide(scores.input(), Placement.empty(topology)).placement());
    }

    /**
     * Starts from the model-only plan and runs {@code seconds} of the host, reading every group's
     * counts each {@code interval} seconds; a round that asks for a re-plan gets one, under the
     * minimum gain. {@code faults} may schedule faults on the host before each round.
     */
    Learned learn(double seconds, double interval, double noise, java.util.function.BiConsumer<Integer, SimulatedHost> faults) {
        ScoreTable table = table(true);
        SimulatedHost host = new SimulatedHost(topology, truth, noise, seed + 1);
        for (int i = 0; i < workloads; i++) {
            host.start(1000 + i, i, profiles.get(i).singleIpc());
        }
        Replanner replanner = new Replanner(topology, MIN_GAIN);
        Placement placement = modelOnlyPlan();
        apply(host, placement);
        CoRunObserver observer = new CoRunObserver(topology, "simulated", 600, 60);
        int replans = 0;
        int moving = 0;
        int rounds = (int) Math.round(seconds / interval);
        for (int round = 0; round < rounds; round++) {
            faults.accept(round, host);
            host.sleep(interval);
            List<CoRunObserver.Group> groups = new ArrayList<>();
            Map<String, List<Integer>> cpus = placement.cpusByWorkload();
            for (int i = 0; i < workloads; i++) {
                int pgid = 1000 + i;
                Optional<CounterSource.Reading> reading = host.read(pgid);
                groups.add(new CoRunObserver.Group(pgid, profiles.get(i).jobId(), cpus.get(key(i)), true,
                        profiles.get(i).singleIpc(), reading));
            }
            CoRunObserver.Round r = observer.observe(groups, table, Instant.ofEpochSecond(0, host.nanos()));
            if (r.replan()) {
                Replanner.Decision d = replanner.decide(PairingInput.of(table), placement);
                replans++;
                if (d.moved() > 0) {
                    moving++;
                    placement = d.placement();
                    apply(host, placement);
                }
            }
        }
        return new Learned(throughput(placement), replans, moving, observer.discards());
    }

    private void apply(SimulatedHost host, Placement p) {
        p.cpusByWorkload().forEach((k, cpus) -> host.place(Integer.parseInt(k.substring(5)), cpus));
    }
}
