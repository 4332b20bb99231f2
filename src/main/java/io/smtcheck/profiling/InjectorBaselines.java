// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smtcheck.model.Baseline;
import io.smtcheck.model.Dataset;
import io.smtcheck.model.Measurement;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
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
    private final Map<String, Double> rates;
    private final Map<String, double[]> pairs;

    private InjectorBaselines(Map<String, Double> rates, Map<String, double[]> pairs) {
        this.rates = rates;
        this.pairs = pairs;
    }

    /** The injector's rate alone on {@code cpu} at {@code level} (work units per CPU second). */
    double soloRate(String resource, int cpu, double level) {
        Double r = rates.get(soloKey(resource, cpu, level));
        if (r == null) {
            throw new IllegalStateException("no baseline for " + resource + " on CPU " + cpu + " at " + level);
        }
        return r;
    }

    /** Slowdowns of injector {@code a} on the workload's CPU and {@code b} on its sibling, run together. */
    double[] pair(String a, String b) {
        return pairs.get(pairKey(a, b));
    }

    /** The slowdown one injector of {@code resource} suffers beside another: that contention's full cost here. */
    double selfSlowdown(String resource) {
        double[] p = pair(resource, resource);
        return (p[0] + p[1]) / 2;
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
        Map<String, JsonNode> journal = new HashMap<>(bench.store.measurements(group));
        if (!journal.containsKey("machine")) {
            // The identity in the group's name is a digest: keep what it stands for beside it.
            Measurement.Machine m = bench.machine;
            bench.store.putMeasurement(group, "machine", JsonNodeFactory.instance.objectNode().put("cpu_model", m.cpuModel())
                    .put("topology", m.topology()).put("host", m.host()).put("kernel", m.kernel()));
        }
        Map<String, Double> rates = new HashMap<>();
        Map<String, double[]> pairs = new HashMap<>();
        List<String> steps = new ArrayList<>();
        for (Injector i : bench.injectors) {
            List<double[]> settings = new ArrayList<>();
            settings.add(new double[] {bench.cpu, 1.0});
            levels.forEach(l -> settings.add(new double[] {bench.sibling, l}));
            for (double[] s : settings) {
                steps.add(soloKey(i.resource(), (int) s[0], s[1]));
            }
        }
        for (int a = 0; a < bench.injectors.size(); a++) {
            for (int b = a; b < bench.injectors.size(); b++) {
                steps.add(pairKey(bench.injectors.get(a).resource(), bench.injectors.get(b).resource()));
            }
        }
        int reused = (int) steps.stream().filter(journal::containsKey).count();
        bench.progress.plan(steps.size());
        bench.progress.skipped(reused);
        // Solo rates first: pair slowdowns are taken against them.
        for (String key : steps) {
            JsonNode v = journal.get(key);
            String[] f = key.split("/");
            if (v == null) {
                bench.children.checkCancelled();
                if (f[0].equals("solo")) {
                    bench.progress.begin(f[1] + " alone on CPU " + f[2] + " at " + f[3]);
                    double rate = soloRun(bench, f[1], Integer.parseInt(f[2]), Double.parseDouble(f[3]), seconds);
                    v = JsonNodeFactory.instance.objectNode().put("rate", rate);
                    bench.progress.end(String.format(Locale.ROOT, "%.4g units/s", rate));
                } else {
                    bench.progress.begin(f[1] + " beside " + f[2]);
                    double[] s = pairRun(bench, f[1], f[2], seconds, rates);
                    v = JsonNodeFactory.instance.objectNode().put("slowdown_a", s[0]).put("slowdown_b", s[1]);
                    bench.progress.end(String.format(Locale.ROOT, "slowdowns %.3f and %.3f", s[0], s[1]));
                }
                bench.store.putMeasurement(group, key, (ObjectNode) v);
            }
            if (f[0].equals("solo")) {
                rates.put(key, v.path("rate").asDouble());
            } else {
                pairs.put(key, new double[] {v.path("slowdown_a").asDouble(), v.path("slowdown_b").asDouble()});
            }
        }
        InjectorBaselines result = new InjectorBaselines(rates, pairs);
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
            sleep(bench, seconds);
            return p.mark().rateSince(start);
        }
    }

    private static double[] pairRun(Bench bench, String a, String b, double seconds, Map<String, Double> rates)
            throws IOException {
        try (InjectorProcess pa = InjectorProcess.start(bench.children, bench.workDir, a, bench.cpu, 1.0);
                InjectorProcess pb = InjectorProcess.start(bench.children, bench.workDir, b, bench.sibling, 1.0)) {
            InjectorProcess.Mark sa = pa.mark();
            InjectorProcess.Mark sb = pb.mark();
            sleep(bench, seconds);
            double ra = pa.mark().rateSince(sa);
            double rb = pb.mark().rateSince(sb);
            return new double[] {1 - ra / rates.get(soloKey(a, bench.cpu, 1.0)),
                1 - rb / rates.get(soloKey(b, bench.sibling, 1.0))};
        }
    }

    static void sleep(Bench bench, double seconds) {
        try {
            Thread.sleep(Math.round(seconds * 1000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Children.CancelledException();
        }
        bench.children.checkCancelled();
    }

    static String soloKey(String resource, int cpu, double level) {
        return "solo/" + resource + "/" + cpu + "/" + InjectorProcess.level(level);
    }

    private static String pairKey(String a, String b) {
        return "pair/" + a + "/" + b;
    }
}
