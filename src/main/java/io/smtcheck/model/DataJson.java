// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * JSON forms of profiles, injector baselines and co-run samples, as they appear both in data
 * files and (field for field) in the MongoDB documents. A data file:
 * <pre>
 * {
 *   "description": "free text: where the data came from",             (optional)
 *   "baselines": [{"resource": "mem_bw", "type": "sequential", "injector": "stream-inject", "solo_ipc": 0.41}],
 *   "profiles": [{"job_id": 101, "name": "dgemm", "match": {"comm": "dgemm", "cmdline": "--size \\d+"},
 *                 "workers": 1, "single_ipc": 2.10, "l3_cache_ipc": 1.92,
 *                 "resources": {"mem_bw": {"sensitivity": 0.3, "intensity": 0.2, "usage": 0.25, "base_slowdown": 0.04}}}],
 *   "samples": [{"job_a": 101, "job_b": 102, "slowdown_a": 0.21, "slowdown_b": 0.08}]
 * }
 * </pre>
 * Every section is optional. In a profile, {@code match} is optional (without it the workload is
 * only known by its job id), {@code workers} defaults to 1, and {@code measured} (how and where
 * {@code smtcheck profile} measured it, see {@link Measurement}) is optional. A baseline needs
 * {@code solo_ipc}, {@code solo_rate} (the injector's work units per CPU second) or both. Unknown fields are rejected. Within
 * a file, job ids, profile names and baseline resources must be unique.
 */
public final class DataJson {
    private static final ObjectMapper JSON = JsonRead.JSON;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private static final Set<String> FILE = Set.of("description", "baselines", "profiles", "samples");
    private static final Set<String> PROFILE = Set.of("job_id", "name", "match", "workers", "single_ipc",
            "l3_cache_ipc", "resources", "measured");
    private static final Set<String> MEASURED = Set.of("format", "at", "progress", "command", "working_dir", "machine",
            "cpus", "repeats", "levels", "solo_seconds", "l3");
    private static final Set<String> MACHINE = Set.of("id", "cpu_model", "topology", "kernel", "host");
    private static final Set<String> MATCH = Set.of("comm", "cmdline");
    private static final Set<String> RESOURCE = Set.of("sensitivity", "intensity", "usage", "base_slowdown");
    private static final Set<String> BASELINE = Set.of("resource", "type", "injector", "solo_ipc", "solo_rate");
    private static final Set<String> OBSERVED = Set.of("machine", "job_a", "job_b", "slowdown_a", "slowdown_b",
            "seconds", "at");
    private static final Set<String> SAMPLE = Set.of("job_a", "job_b", "slowdown_a", "slowdown_b");

    /** Measurements of this format named resources as smtcheck did before {@link Catalogue}. */
    private static final int EARLIER_MEASUREMENT_FORMAT = 1;

    private DataJson() {
    }

    /**
     * Parses and validates a data file's content. All or nothing: the first invalid entry fails
     * the whole file.
     *
     * @throws InvalidDataException naming {@code source}, the entry and the field
     */
    public static Dataset parseFile(byte[] content, String source) {
        JsonNode root = JsonRead.document(content, source);
        try {
            return fromTree(root);
        } catch (InvalidDataException e) {
            throw e.in(source);
        }
    }

    static Dataset fromTree(JsonNode root) {
        JsonRead.object(root, "");
        JsonRead.onlyFields(root, "", FILE);
        String description = JsonRead.textOr(root, "description", "", null);
        List<Baseline> baselines = new ArrayList<>();
        Set<String> resources = new HashSet<>();
        // A file whose baselines type an earlier name sequential was written by an earlier smtcheck.
        boolean earlierNames = false;
        if (JsonRead.present(root, "baselines")) {
            List<JsonNode> nodes = JsonRead.array(root, "baselines", "");
            for (int i = 0; i < nodes.size(); i++) {
                Baseline b = baseline(nodes.get(i), "baselines[" + i + "]");
                earlierNames |= !b.resource().equals(nodes.get(i).get("resource").asText());
                if (!resources.add(b.resource())) {
                    throw new InvalidDataException("baselines[" + i + "].resource: '" + b.resource() + "' appears twice");
                }
                baselines.add(b);
            }
        }
        List<Profile> profiles = new ArrayList<>();
        if (JsonRead.present(root, "profiles")) {
            List<JsonNode> nodes = JsonRead.array(root, "profiles", "");
            Map<Integer, Integer> jobs = new HashMap<>();
            Map<String, Integer> names = new HashMap<>();
            for (int i = 0; i < nodes.size(); i++) {
                String path = "profiles[" + i + "]";
                Profile p = profile(nodes.get(i), path, earlierNames);
                Integer other = jobs.putIfAbsent(p.jobId(), i);
                if (other != null) {
                    throw new InvalidDataException(path + ".job_id: " + p.jobId() + " is also profiles[" + other + "]'s");
                }
                other = names.putIfAbsent(p.name(), i);
                if (other != null) {
                    throw new InvalidDataException(path + ".name: '" + p.name() + "' is also profiles[" + other + "]'s");
                }
                profiles.add(p);
            }
        }
        List<CoRunSample> samples = new ArrayList<>();
        if (JsonRead.present(root, "samples")) {
            List<JsonNode> nodes = JsonRead.array(root, "samples", "");
            for (int i = 0; i < nodes.size(); i++) {
                samples.add(sample(nodes.get(i), "samples[" + i + "]"));
            }
        }
        return new Dataset(description, baselines, profiles, samples);
    }

    /** A profile from its JSON form; errors are prefixed with {@code path}. */
    public static Profile profile(JsonNode node, String path) {
        return profile(node, path, false);
    }

    /**
     * A profile from its JSON form.
     *
     * @param earlierNames whether its resources have smtcheck's earlier names (see {@link Catalogue}),
     *                     as in a profile measured with measurement format 1
     */
    private static Profile profile(JsonNode node, String path, boolean earlierNames) {
        JsonRead.object(node, path);
        JsonRead.onlyFields(node, path, PROFILE);
        int jobId = JsonRead.integer(node, "job_id", path);
        String name = JsonRead.text(node, "name", path);
        ProcessMatch match = null;
        if (JsonRead.present(node, "match")) {
            String mp = JsonRead.child(path, "match");
            JsonNode m = JsonRead.object(node.get("match"), mp);
            JsonRead.onlyFields(m, mp, MATCH);
            try {
                match = new ProcessMatch(JsonRead.textOr(m, "comm", mp, null), JsonRead.textOr(m, "cmdline", mp, null));
            } catch (InvalidDataException e) {
                throw prefix(e, path);
            }
        }
        int workers = JsonRead.integerOr(node, "workers", path, 1);
        double single = JsonRead.number(node, "single_ipc", path);
        double l3 = JsonRead.number(node, "l3_cache_ipc", path);
        String rp = JsonRead.child(path, "resources");
        JsonNode rs = JsonRead.object(node.get("resources"), rp);
        JsonNode measuredFormat = JsonRead.present(node, "measured") ? node.get("measured").get("format") : null;
        boolean renamed = earlierNames
                || measuredFormat != null && measuredFormat.isInt() && measuredFormat.asInt() == EARLIER_MEASUREMENT_FORMAT;
        Map<String, ResourceProfile> resources = new HashMap<>();
        var fields = rs.fields();
        while (fields.hasNext()) {
            var e = fields.next();
            String p = JsonRead.child(rp, e.getKey());
            JsonNode r = JsonRead.object(e.getValue(), p);
            JsonRead.onlyFields(r, p, RESOURCE);
            double sensitivity = JsonRead.number(r, "sensitivity", p);
            double intensity = JsonRead.number(r, "intensity", p);
            double usage = JsonRead.number(r, "usage", p);
            double baseSlowdown = JsonRead.number(r, "base_slowdown", p);
            try {
                String resource = renamed ? Catalogue.fromEarlierFormat(e.getKey()) : e.getKey();
                resources.put(resource, new ResourceProfile(sensitivity, intensity, usage, baseSlowdown));
            } catch (InvalidDataException x) {
                throw prefix(x, p);
            }
        }
        Measurement measured = JsonRead.present(node, "measured")
                ? measurement(node.get("measured"), JsonRead.child(path, "measured")) : null;
        try {
            return new Profile(jobId, name, match, workers, single, l3, resources, measured);
        } catch (InvalidDataException e) {
            throw prefix(e, path);
        }
    }

    private static Measurement measurement(JsonNode node, String path) {
        JsonRead.object(node, path);
        JsonRead.onlyFields(node, path, MEASURED);
        String mp = JsonRead.child(path, "machine");
        JsonNode m = JsonRead.object(JsonRead.required(node, "machine", path), mp);
        JsonRead.onlyFields(m, mp, MACHINE);
        try {
            Measurement.Machine machine = new Measurement.Machine(JsonRead.text(m, "id", mp),
                    JsonRead.text(m, "cpu_model", mp), JsonRead.text(m, "topology", mp),
                    JsonRead.textOr(m, "kernel", mp, ""), JsonRead.textOr(m, "host", mp, ""));
            java.time.Instant at;
            try {
                at = java.time.Instant.parse(JsonRead.text(node, "at", path));
            } catch (java.time.format.DateTimeParseException e) {
                throw new InvalidDataException("at: not an ISO-8601 instant (" + e.getParsedString() + ")");
            }
            List<String> command = new ArrayList<>();
            for (JsonNode a : JsonRead.array(node, "command", path)) {
                if (!a.isTextual()) {
                    throw new InvalidDataException("command: " + a + " is not a string");
                }
                command.add(a.asText());
            }
            List<Integer> cpus = new ArrayList<>();
            for (JsonNode c : JsonRead.array(node, "cpus", path)) {
                if (!c.canConvertToInt() || !c.isIntegralNumber()) {
                    throw new InvalidDataException("cpus: " + c + " is not a CPU number");
                }
                cpus.add(c.asInt());
            }
            List<Double> levels = new ArrayList<>();
            for (JsonNode l : JsonRead.array(node, "levels", path)) {
                levels.add(JsonRead.number(l, JsonRead.child(path, "levels")));
            }
            int format = JsonRead.integer(node, "format", path);
            return new Measurement(format == EARLIER_MEASUREMENT_FORMAT ? Measurement.FORMAT : format, at,
                    Measurement.Progress.ofLabel(JsonRead.text(node, "progress", path)), command,
                    JsonRead.text(node, "working_dir", path), machine, cpus, JsonRead.integer(node, "repeats", path),
                    levels, JsonRead.number(node, "solo_seconds", path), JsonRead.text(node, "l3", path));
        } catch (InvalidDataException e) {
            throw prefix(e, path);
        }
    }

    private static ObjectNode toJson(Measurement m) {
        ObjectNode n = NODES.objectNode();
        n.put("format", m.format());
        n.put("at", m.at().toString());
        n.put("progress", m.progress().label());
        m.command().forEach(n.putArray("command")::add);
        n.put("working_dir", m.workingDir());
        n.putObject("machine").put("id", m.machine().id()).put("cpu_model", m.machine().cpuModel())
                .put("topology", m.machine().topology()).put("kernel", m.machine().kernel())
                .put("host", m.machine().host());
        m.cpus().forEach(n.putArray("cpus")::add);
        n.put("repeats", m.repeats());
        m.levels().forEach(n.putArray("levels")::add);
        n.put("solo_seconds", m.soloSeconds());
        n.put("l3", m.l3());
        return n;
    }

    public static Baseline baseline(JsonNode node, String path) {
        JsonRead.object(node, path);
        JsonRead.onlyFields(node, path, BASELINE);
        String resource = JsonRead.text(node, "resource", path);
        String type = JsonRead.text(node, "type", path);
        String injector = JsonRead.text(node, "injector", path);
        double solo = JsonRead.present(node, "solo_ipc") ? JsonRead.number(node, "solo_ipc", path) : Double.NaN;
        double rate = JsonRead.present(node, "solo_rate") ? JsonRead.number(node, "solo_rate", path) : Double.NaN;
        ResourceType resourceType;
        try {
            resourceType = ResourceType.ofLabel(type);
        } catch (InvalidDataException e) {
            throw prefix(e.in("type"), path);
        }
        if (resourceType == ResourceType.SEQUENTIAL) {
            resource = Catalogue.fromEarlierFormat(resource);
        }
        try {
            return new Baseline(resource, resourceType, injector, solo, rate);
        } catch (InvalidDataException e) {
            throw prefix(e, path);
        }
    }

    public static CoRunSample sample(JsonNode node, String path) {
        JsonRead.object(node, path);
        JsonRead.onlyFields(node, path, SAMPLE);
        int a = JsonRead.integer(node, "job_a", path);
        int b = JsonRead.integer(node, "job_b", path);
        double sa = JsonRead.number(node, "slowdown_a", path);
        double sb = JsonRead.number(node, "slowdown_b", path);
        try {
            return new CoRunSample(a, b, sa, sb);
        } catch (InvalidDataException e) {
            throw prefix(e, path);
        }
    }

    /** An observed sample's form: a co-run sample's with {@code machine}, {@code seconds} and {@code at} (ISO-8601). */
    public static ObservedSample observed(JsonNode node, String path) {
        JsonRead.object(node, path);
        JsonRead.onlyFields(node, path, OBSERVED);
        String machine = JsonRead.text(node, "machine", path);
        int a = JsonRead.integer(node, "job_a", path);
        int b = JsonRead.integer(node, "job_b", path);
        double sa = JsonRead.number(node, "slowdown_a", path);
        double sb = JsonRead.number(node, "slowdown_b", path);
        double seconds = JsonRead.number(node, "seconds", path);
        String at = JsonRead.text(node, "at", path);
        try {
            return new ObservedSample(machine, a, b, sa, sb, seconds, java.time.Instant.parse(at));
        } catch (java.time.format.DateTimeParseException e) {
            throw new InvalidDataException(JsonRead.child(path, "at") + ": '" + at + "' is not an ISO-8601 instant");
        } catch (InvalidDataException e) {
            throw prefix(e, path);
        }
    }

    public static ObjectNode toJson(ObservedSample s) {
        return NODES.objectNode().put("machine", s.machine()).put("job_a", s.jobA()).put("job_b", s.jobB())
                .put("slowdown_a", s.slowdownA()).put("slowdown_b", s.slowdownB()).put("seconds", s.seconds())
                .put("at", s.at().toString());
    }

    private static InvalidDataException prefix(InvalidDataException e, String path) {
        return path.isEmpty() ? e : new InvalidDataException(path + "." + e.getMessage());
    }

    public static ObjectNode toJson(Profile p) {
        ObjectNode n = NODES.objectNode();
        n.put("job_id", p.jobId());
        n.put("name", p.name());
        if (p.match() != null) {
            ObjectNode m = n.putObject("match");
            if (p.match().comm() != null) {
                m.put("comm", p.match().comm());
            }
            if (p.match().cmdline() != null) {
                m.put("cmdline", p.match().cmdline());
            }
        }
        n.put("workers", p.workers());
        n.put("single_ipc", p.singleIpc());
        n.put("l3_cache_ipc", p.l3CacheIpc());
        ObjectNode rs = n.putObject("resources");
        p.resources().forEach((name, r) -> rs.putObject(name).put("sensitivity", r.sensitivity())
                .put("intensity", r.intensity()).put("usage", r.usage()).put("base_slowdown", r.baseSlowdown()));
        if (p.measured() != null) {
            n.set("measured", toJson(p.measured()));
        }
        return n;
    }

    public static ObjectNode toJson(Baseline b) {
        ObjectNode n = NODES.objectNode().put("resource", b.resource()).put("type", b.type().label())
                .put("injector", b.injector());
        if (!Double.isNaN(b.soloIpc())) {
            n.put("solo_ipc", b.soloIpc());
        }
        if (!Double.isNaN(b.soloRate())) {
            n.put("solo_rate", b.soloRate());
        }
        return n;
    }

    public static ObjectNode toJson(CoRunSample s) {
        return NODES.objectNode().put("job_a", s.jobA()).put("job_b", s.jobB())
                .put("slowdown_a", s.slowdownA()).put("slowdown_b", s.slowdownB());
    }

    /** A data file's content (see the class comment), ending with a newline. */
    public static String writeFile(Dataset data) {
        ObjectNode root = NODES.objectNode();
        if (data.description() != null) {
            root.put("description", data.description());
        }
        ArrayNode bs = root.putArray("baselines");
        data.baselines().forEach(b -> bs.add(toJson(b)));
        ArrayNode ps = root.putArray("profiles");
        data.profiles().forEach(p -> ps.add(toJson(p)));
        ArrayNode ss = root.putArray("samples");
        data.samples().forEach(s -> ss.add(toJson(s)));
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
