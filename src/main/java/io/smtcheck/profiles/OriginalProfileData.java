// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.gte;

import com.fasterxml.jackson.databind.JsonNode;
import com.mongodb.client.MongoDatabase;
import io.smtcheck.model.Baseline;
import io.smtcheck.model.CoRunSample;
import io.smtcheck.model.InvalidDataException;
import io.smtcheck.model.JsonRead;
import io.smtcheck.model.Profile;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.conversions.Bson;

/**
 * The original SMTcheck's database ({@value #DATABASE}), read as it is, live: its raw IPC
 * measurements ({@code measurement}), its co-run IPC ({@code combination}) and its record of
 * finished profiling runs ({@code timestamp}), all of one machine (its {@code node_name}). A job's
 * profile is computed at each read by {@link OriginalCharacteristics}; a job counts as profiled
 * once its {@code timestamp} document exists. Never written. A document or a job that cannot be
 * used is skipped with the reason, reported once. docs/original-smtcheck.md describes the schema.
 */
public final class OriginalProfileData implements ProfileReader {
    /** The original's database name, fixed in its code; smtcheck's own store never uses it. */
    public static final String DATABASE = "profile_data";
    static final String MEASUREMENT = "measurement";
    static final String COMBINATION = "combination";
    static final String TIMESTAMP = "timestamp";

    /**
     * How to read it.
     *
     * @param node    the machine whose documents to read, or null for the only one there
     * @param machine the sizes and watermarks of its sequential resources, or null when not given
     */
    public record Options(String node, MachineDescription machine) {
        public static final Options NONE = new Options(null, null);
    }

    /** A node that is not there, or none chosen among several: the words name the nodes there. */
    public static final class NodeException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NodeException(String message) {
            super(message);
        }
    }

    /** One valid {@code measurement} document. */
    private record Ipc(String feature, int jobId, int pressure, boolean injector, double ipc) {
    }

    private final MongoGateway gateway;
    private final MongoGateway.Patience patience;
    private final Options options;

    public OriginalProfileData(MongoGateway gateway, MongoGateway.Patience patience, Options options) {
        this.gateway = gateway;
        this.patience = patience;
        this.options = options;
    }

    /** Whether a store on this database is the original's. */
    public static boolean isOriginal(String database) {
        return DATABASE.equals(database);
    }

    @Override
    public ProfileStore.Loaded<Profile> readAll() {
        return gateway.run(patience, "read the original SMTcheck's profiles", db -> {
            String node = node(db);
            List<ProfileStore.Skipped> skipped = new ArrayList<>();
            Map<Integer, List<Ipc>> byJob = new TreeMap<>();
            for (Ipc m : measurements(db, and(eq("node_name", node), gte("global_jobid", 0)), skipped)) {
                byJob.computeIfAbsent(m.jobId(), j -> new ArrayList<>()).add(m);
            }
            Set<Integer> finished = finished(db);
            Context c = context(db, node, skipped);
            List<Profile> out = new ArrayList<>();
            for (Map.Entry<Integer, List<Ipc>> e : byJob.entrySet()) {
                int job = e.getKey();
                if (!finished.contains(job)) {
                    skip(skipped, job, "profiling not finished (no timestamp document)");
                    continue;
                }
                compute(job, e.getValue(), c, skipped).ifPresent(out::add);
            }
            return new ProfileStore.Loaded<>(List.copyOf(out), List.copyOf(skipped));
        });
    }

    @Override
    public Optional<Profile> find(int jobId) {
        return gateway.run(patience, "look up job " + jobId + " in the original SMTcheck's measurements", db -> {
            String node = node(db);
            List<ProfileStore.Skipped> skipped = new ArrayList<>();
            List<Ipc> mine = measurements(db, and(eq("node_name", node), eq("global_jobid", jobId)), skipped);
            if (mine.isEmpty() || !finished(db).contains(jobId)) {
                return Optional.<Profile>empty(); // not profiled (yet): unknown
            }
            return compute(jobId, mine, context(db, node, skipped), skipped);
        });
    }

    /** The injectors' solo IPC of every characterised resource, as baselines (they declare a trained model's resources). */
    public ProfileStore.Loaded<Baseline> baselines() {
        return gateway.run(patience, "read the original SMTcheck's injector baselines", db -> {
            List<ProfileStore.Skipped> skipped = new ArrayList<>();
            Map<String, Map<OriginalCharacteristics.BaselineRun, Double>> b = context(db, node(db), skipped).baselines();
            List<Baseline> out = new ArrayList<>();
            for (Map.Entry<String, Map<OriginalCharacteristics.BaselineRun, Double>> e : b.entrySet()) {
                Double solo = e.getValue().get(new OriginalCharacteristics.BaselineRun(OriginalCharacteristics.ALONE, 0));
                if (!OriginalCharacteristics.characterised(e.getKey()) || solo == null || !(solo > 0)) {
                    continue;
                }
                out.add(new Baseline(e.getKey(), OriginalCharacteristics.typeOf(e.getKey()),
                        "original-" + e.getKey(), solo));
            }
            return new ProfileStore.Loaded<>(List.copyOf(out), List.copyOf(skipped));
        });
    }

    /**
     * The {@code combination} document's co-runs as samples: for jobs A and B measured both ways, A's
     * and B's slowdowns against their solo IPC; for A beside itself, the one slowdown twice.
     */
    public ProfileStore.Loaded<CoRunSample> samples() {
        return gateway.run(patience, "read the original SMTcheck's co-run measurements", db -> {
            String node = node(db);
            List<ProfileStore.Skipped> skipped = new ArrayList<>();
            Map<Integer, Map<String, Double>> comb = combination(db, node, skipped);
            List<CoRunSample> out = new ArrayList<>();
            for (Map.Entry<Integer, Map<String, Double>> e : comb.entrySet()) {
                int a = e.getKey();
                for (Map.Entry<String, Double> col : new TreeMap<>(e.getValue()).entrySet()) {
                    if (col.getKey().equals(OriginalCharacteristics.SINGLE)) {
                        continue;
                    }
                    String id = "node_name " + node + ", data." + a + "." + col.getKey();
                    try {
                        int b = jobKey(col.getKey());
                        if (b < a) {
                            continue; // the pair was taken from b's side
                        }
                        Double back = comb.getOrDefault(b, Map.of()).get(String.valueOf(a));
                        if (back == null) {
                            throw new InvalidDataException("no measurement of job " + b + " beside job " + a);
                        }
                        out.add(new CoRunSample(a, b, slowdown(comb, a, col.getValue()), slowdown(comb, b, back)));
                    } catch (InvalidDataException x) {
                        ProfileStore.Skipped s = new ProfileStore.Skipped(COMBINATION, id, x.getMessage());
                        gateway.reportInvalid(s);
                        skipped.add(s);
                    }
                }
            }
            return new ProfileStore.Loaded<>(List.copyOf(out), List.copyOf(skipped));
        });
    }

    /** The nodes that have measurements or a combination document. */
    public Set<String> nodes() {
        return gateway.run(patience, "list the nodes of the original SMTcheck's store", OriginalProfileData::nodes);
    }

    private static Set<String> nodes(MongoDatabase db) {
        Set<String> nodes = new TreeSet<>();
        for (String c : List.of(MEASUREMENT, COMBINATION)) {
            for (BsonValue n : db.getCollection(c).distinct("node_name", BsonValue.class)) {
                if (n.isString()) {
                    nodes.add(n.asString().getValue());
                }
            }
        }
        return nodes;
    }

    /** --node, checked against the store; else the only node there. */
    private String node(MongoDatabase db) {
        Set<String> nodes = nodes(db);
        if (options.node() != null) {
            if (!nodes.contains(options.node())) {
                throw new NodeException("node '" + options.node() + "' has no documents in " + DATABASE + " at "
                        + gateway.where() + (nodes.isEmpty() ? " (it holds none)" : " (nodes there: " + String.join(", ", nodes) + ")"));
            }
            return options.node();
        }
        if (nodes.size() == 1) {
            return nodes.iterator().next();
        }
        throw new NodeException(nodes.isEmpty()
                ? DATABASE + " at " + gateway.where() + " holds no node's measurements yet; name the machine with --node"
                : DATABASE + " at " + gateway.where() + " holds the measurements of several nodes (" + String.join(", ", nodes)
                        + "): choose one with --node");
    }

    /** What every job's computation needs: the injector baselines and the solo IPC of the combination document. */
    private record Context(Map<String, Map<OriginalCharacteristics.BaselineRun, Double>> baselines,
            Map<Integer, Map<String, Double>> combination) {
    }

    private Context context(MongoDatabase db, String node, List<ProfileStore.Skipped> skipped) {
        Map<String, Map<OriginalCharacteristics.BaselineRun, Double>> baselines = new TreeMap<>();
        for (Ipc m : measurements(db, and(eq("node_name", node), eq("run_type", "injector"),
                com.mongodb.client.model.Filters.lt("global_jobid", 0)), skipped)) {
            baselines.computeIfAbsent(m.feature(), f -> new HashMap<>())
                    .put(new OriginalCharacteristics.BaselineRun(m.jobId(), m.pressure()), m.ipc());
        }
        return new Context(baselines, combination(db, node, skipped));
    }

    private Optional<Profile> compute(int job, List<Ipc> ipcs, Context c, List<ProfileStore.Skipped> skipped) {
        Map<String, Map<OriginalCharacteristics.Run, Double>> ipc = new TreeMap<>();
        for (Ipc m : ipcs) {
            ipc.computeIfAbsent(m.feature(), f -> new HashMap<>())
                    .put(new OriginalCharacteristics.Run(m.pressure(), m.injector()), m.ipc());
        }
        Double solo = c.combination().getOrDefault(job, Map.of()).get(OriginalCharacteristics.SINGLE);
        try {
            OriginalCharacteristics.Result r = OriginalCharacteristics.profile(job, ipc, solo == null ? Double.NaN : solo,
                    c.baselines(), options.machine());
            r.leftOut().forEach(why -> skip(skipped, job, why));
            return Optional.of(r.profile());
        } catch (InvalidDataException e) {
            skip(skipped, job, e.getMessage());
            return Optional.empty();
        }
    }

    private void skip(List<ProfileStore.Skipped> skipped, int job, String why) {
        ProfileStore.Skipped s = new ProfileStore.Skipped(MEASUREMENT, "global_jobid " + job, why);
        gateway.reportInvalid(s);
        skipped.add(s);
    }

    /** The valid measurement documents that {@code filter} selects; the others skipped. */
    private List<Ipc> measurements(MongoDatabase db, Bson filter, List<ProfileStore.Skipped> skipped) {
        List<Ipc> out = new ArrayList<>();
        for (Document d : db.getCollection(MEASUREMENT).find(filter)) {
            try {
                JsonNode t = BsonJson.toTree(d, Set.of("_id"));
                String runType = JsonRead.text(t, "run_type", "");
                if (!runType.equals("workload") && !runType.equals("injector")) {
                    throw new InvalidDataException("run_type: '" + runType + "' is neither workload nor injector");
                }
                double ipc = JsonRead.number(t, "IPC", "");
                if (ipc < 0) {
                    throw new InvalidDataException("IPC: " + ipc + " is negative");
                }
                out.add(new Ipc(JsonRead.text(t, "feature", ""), JsonRead.integer(t, "global_jobid", ""),
                        JsonRead.integer(t, "pressure", ""), runType.equals("injector"), ipc));
            } catch (InvalidDataException e) {
                ProfileStore.Skipped s = new ProfileStore.Skipped(MEASUREMENT, describe(d), e.getMessage());
                gateway.reportInvalid(s);
                skipped.add(s);
            }
        }
        return out;
    }

    private static String describe(Document d) {
        return "global_jobid " + d.get("global_jobid") + ", feature " + d.get("feature") + ", pressure "
                + d.get("pressure") + ", run_type " + d.get("run_type") + ", _id " + d.get("_id");
    }

    /** The node's combination document as job, then "single" or the co-runner's job id, then IPC; invalid entries skipped. */
    private Map<Integer, Map<String, Double>> combination(MongoDatabase db, String node, List<ProfileStore.Skipped> skipped) {
        Map<Integer, Map<String, Double>> out = new TreeMap<>();
        Document doc = db.getCollection(COMBINATION).find(eq("node_name", node)).first();
        if (doc == null) {
            return out;
        }
        JsonNode data = BsonJson.toTree(doc, Set.of("_id")).get("data");
        if (data == null || !data.isObject()) {
            ProfileStore.Skipped s = new ProfileStore.Skipped(COMBINATION, "node_name " + node, "data: missing or not an object");
            gateway.reportInvalid(s);
            skipped.add(s);
            return out;
        }
        data.fields().forEachRemaining(base -> {
            String path = "data." + base.getKey();
            try {
                int job = jobKey(base.getKey());
                JsonNode cols = JsonRead.object(base.getValue(), path);
                Map<String, Double> row = new HashMap<>();
                cols.fields().forEachRemaining(col -> {
                    String p = path + "." + col.getKey();
                    try {
                        String key = col.getKey().equals(OriginalCharacteristics.SINGLE) ? col.getKey()
                                : String.valueOf(jobKey(col.getKey()));
                        double ipc = JsonRead.number(col.getValue(), p);
                        if (ipc < 0) {
                            throw new InvalidDataException(p + ": " + ipc + " is negative");
                        }
                        row.put(key, ipc);
                    } catch (InvalidDataException x) {
                        ProfileStore.Skipped s = new ProfileStore.Skipped(COMBINATION, "node_name " + node, x.getMessage());
                        gateway.reportInvalid(s);
                        skipped.add(s);
                    }
                });
                out.put(job, row);
            } catch (InvalidDataException x) {
                ProfileStore.Skipped s = new ProfileStore.Skipped(COMBINATION, "node_name " + node, x.getMessage());
                gateway.reportInvalid(s);
                skipped.add(s);
            }
        });
        return out;
    }

    private static int jobKey(String key) {
        try {
            int job = Integer.parseInt(key);
            if (job < 0) {
                throw new InvalidDataException("'" + key + "' is not a job id");
            }
            return job;
        } catch (NumberFormatException e) {
            throw new InvalidDataException("'" + key + "' is not a job id");
        }
    }

    private static double slowdown(Map<Integer, Map<String, Double>> comb, int job, double corun) {
        Double solo = comb.getOrDefault(job, Map.of()).get(OriginalCharacteristics.SINGLE);
        if (solo == null || !(solo > 0)) {
            throw new InvalidDataException("job " + job + " has no solo IPC > 0 (data." + job + ".single)");
        }
        return 1 - (corun / solo);
    }

    /** The jobs whose profiling finished. */
    private static Set<Integer> finished(MongoDatabase db) {
        Set<Integer> out = new HashSet<>();
        for (Document d : db.getCollection(TIMESTAMP).find()) {
            if (d.get("global_jobid") instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
                out.add(n.intValue());
            }
        }
        return out;
    }
}
