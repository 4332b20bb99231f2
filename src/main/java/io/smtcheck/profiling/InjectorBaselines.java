// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.smtcheck.model.Baseline;
import io.smtcheck.model.Dataset;
import io.smtcheck.model.Measurement;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The injectors measured on this machine's pair of CPUs: each alone (on the sibling at every
 * intensity level, on the workload's CPU at full intensity), then every pair of injectors at full
 * intensity on the two siblings. A workload's slowdown of an injector is taken against the
 * injector's rate alone; the injector's slowdown beside another copy of itself is the most that
 * resource's contention costs here, against which sensitivity and intensity are normalised.
 *
 * <p>Each measurement is recorded in the store's journal as it is taken, under the machine's
 * identity, the two CPUs and the injectors' version, and reused by later runs; {@code refresh}
 * measures all anew.
 */
final class InjectorBaselines {
    /** What was measured, by journal key. */
    private final Map<String, JsonNode> measured;

    private InjectorBaselines(Map<String, JsonNode> measured) {
        this.measured = measured;
    }

    /** The injector's rate alone on {@code cpu} at {@code level} (work units per CPU second). */
    double soloRate(String resource, int cpu, double level) {
        return soloRate(measured, resource, cpu, level);
    }

    private static double soloRate(Map<String, JsonNode> measured, String resource, int cpu, double level) {
        JsonNode n = measured.get(soloKey(resource, cpu, level));
        if (n == null) {
            throw new IllegalStateException("no baseline for " + resource + " on CPU " + cpu + " at " + level);
        }
        return n.path("rate").asDouble();
    }

    /** The slowdown one injector of {@code resource} suffers beside another: that contention's full cost here. */
    double selfSlowdown(String resource) {
        JsonNode p = measured.get(pairKey(resource, resource));
        return (p.path("slowdown_a").asDouble() + p.path("slowdown_b").asDouble()) / 2;
    }

    static String group(Bench bench) {
        return "baselines/" + bench.machine.id() + "/cpus " + bench.cpu + "," + bench.sibling + "/injectors "
                + bench.injectorVersion;
    }

    /** Measures what is missing, records it, and writes the injector catalogue to the store. */
    static InjectorBaselines measure(Bench bench, double seconds, List<Double> levels, boolean refresh) throws IOException {
        String group = group(bench);
        if (refresh) {
            bench.store.forgetMeasurements(group);
        }
        // The identity in the group's name is a digest: keep what it stands for beside it.
        Measurement.Machine m = bench.machine;
        bench.store.putMeasurement(group, "machine", JsonNodeFactory.instance.objectNode().put("cpu_model", m.cpuModel())
                .put("topology", m.topology()).put("host", m.host()).put("kernel", m.kernel()));
        // Solo rates first: pair slowdowns are taken against them.
        List<String> steps = new ArrayList<>();
        for (Injector i : bench.injectors) {
            steps.add(soloKey(i.resource(), bench.cpu, 1.0));
            levels.forEach(l -> steps.add(soloKey(i.resource(), bench.sibling, l)));
        }
        for (int a = 0; a < bench.injectors.size(); a++) {
            for (int b = a; b < bench.injectors.size(); b++) {
                steps.add(pairKey(bench.injectors.get(a).resource(), bench.injectors.get(b).resource()));
            }
        }
        Map<String, JsonNode> measured = bench.record(group, steps, (key, done) -> {
            String[] f = key.split("/");
            if (f[0].equals("solo")) {
                bench.progress.begin(f[1] + " alone on CPU " + f[2] + " at " + f[3]);
                double rate = soloRun(bench, f[1], Integer.parseInt(f[2]), Double.parseDouble(f[3]), seconds);
                bench.progress.end(String.format(Locale.ROOT, "%.4g units/s", rate));
                return JsonNodeFactory.instance.objectNode().put("rate", rate);
            }
            bench.progress.begin(f[1] + " beside " + f[2]);
            double[] s = pairRun(bench, f[1], f[2], seconds, done);
            bench.progress.end(String.format(Locale.ROOT, "slowdowns %.3f and %.3f", s[0], s[1]));
            return JsonNodeFactory.instance.objectNode().put("slowdown_a", s[0]).put("slowdown_b", s[1]);
        }).done();
        InjectorBaselines result = new InjectorBaselines(measured);
        List<Baseline> catalogue = new ArrayList<>();
        for (Injector i : bench.injectors) {
            catalogue.add(new Baseline(i.resource(), i.type(), "smtcheck-inject --resource " + i.resource(), Double.NaN,
                    result.soloRate(i.resource(), bench.sibling, 1.0)));
        }
        bench.store.importData(new Dataset(catalogue, List.of(), List.of()));
        return result;
    }

    private static double soloRun(Bench bench, String resource, int cpu, double level, double seconds) throws IOException {
        try (InjectorProcess p = InjectorProcess.start(bench.children, bench.workDir, resource, cpu, level)) {
            InjectorProcess.Mark start = p.mark();
            bench.children.sleep(seconds);
            return p.mark().rateSince(start);
        }
    }

    private static double[] pairRun(Bench bench, String a, String b, double seconds, Map<String, JsonNode> done)
            throws IOException {
        try (InjectorProcess pa = InjectorProcess.start(bench.children, bench.workDir, a, bench.cpu, 1.0);
                InjectorProcess pb = InjectorProcess.start(bench.children, bench.workDir, b, bench.sibling, 1.0)) {
            InjectorProcess.Mark sa = pa.mark();
            InjectorProcess.Mark sb = pb.mark();
            bench.children.sleep(seconds);
            double ra = pa.mark().rateSince(sa);
            double rb = pb.mark().rateSince(sb);
            return new double[] {1 - ra / soloRate(done, a, bench.cpu, 1.0), 1 - rb / soloRate(done, b, bench.sibling, 1.0)};
        }
    }

    static String soloKey(String resource, int cpu, double level) {
        return "solo/" + resource + "/" + cpu + "/" + InjectorProcess.level(level);
    }

    private static String pairKey(String a, String b) {
        return "pair/" + a + "/" + b;
    }
}
