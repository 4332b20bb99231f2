// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.evaluation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.smtcheck.model.InvalidDataException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a live evaluation has done so far, so that an interrupted one resumes: the load made ready
 * (times alone measured) and each finished policy's result. The file is bound to one load and
 * options by a digest of both; it is rewritten whole (through a temporary file) after each step.
 */
public final class LiveState {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final String key;
    private LiveRun.Prepared prepared;
    private final Map<Policy, LiveResult> done = new LinkedHashMap<>();

    private LiveState(Path file, String key) {
        this.file = file;
        this.key = key;
    }

    /** The digest that binds a state file to a load and the options that change its results. */
    public static String keyOf(Trace trace, String options) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256")
                    .digest((trace.format() + "\n" + options).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Opens {@code file}: empty when it does not exist yet.
     *
     * @throws InvalidDataException when it was made for another load or options, or cannot be read
     */
    public static LiveState open(Path file, String key, Trace trace) throws IOException {
        LiveState s = new LiveState(file, key);
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return s;
        }
        JsonNode root;
        try {
            root = JSON.readTree(content);
        } catch (IOException e) {
            throw new InvalidDataException(file + ": not a state file of evaluate --live: " + e.getMessage());
        }
        if (root == null || !root.path("key").isTextual()) {
            throw new InvalidDataException(file + ": not a state file of evaluate --live");
        }
        if (!root.get("key").textValue().equals(key)) {
            throw new InvalidDataException(file + ": made for another trace or other options (--topology,"
                    + " --time-limit, --seed); use another --state file or remove this one");
        }
        Map<String, Trace.Job> byId = new LinkedHashMap<>();
        trace.jobs().forEach(j -> byId.put(j.id(), j));
        JsonNode p = root.path("prepared");
        if (p.isObject()) {
            List<Trace.Job> jobs = new ArrayList<>();
            Map<String, List<String>> commands = new LinkedHashMap<>();
            Set<String> endless = new TreeSet<>();
            for (JsonNode j : p.path("jobs")) {
                Trace.Job t = byId.get(j.path("id").asText());
                jobs.add(new Trace.Job(t.id(), t.arrival(), j.path("alone_s").asDouble(), t.workers(), t.payload(),
                        t.command()));
                List<String> command = new ArrayList<>();
                j.path("command").forEach(w -> command.add(w.asText()));
                commands.put(t.id(), command);
                if (j.path("endless").asBoolean()) {
                    endless.add(t.id());
                }
            }
            s.prepared = new LiveRun.Prepared(List.copyOf(jobs), commands, endless);
            for (JsonNode r : root.path("runs")) {
                s.done.put(Policy.ofLabel(r.path("policy").asText()), runOf(r, s.prepared));
            }
        }
        return s;
    }

    private static LiveResult runOf(JsonNode r, LiveRun.Prepared prepared) {
        Map<String, Double> ends = new LinkedHashMap<>();
        r.path("ends").fields().forEachRemaining(e -> ends.put(e.getKey(), e.getValue().asDouble()));
        List<RunResult.JobOutcome> outcomes = new ArrayList<>();
        for (Trace.Job j : prepared.jobs()) {
            outcomes.add(new RunResult.JobOutcome(j, ends.getOrDefault(j.id(), Double.NaN)));
        }
        List<LiveResult.Failure> failures = new ArrayList<>();
        for (JsonNode f : r.path("failures")) {
            failures.add(new LiveResult.Failure(f.path("id").asText(), f.path("exit_status").asInt(),
                    f.path("message").asText()));
        }
        JsonNode d = r.path("daemon");
        LiveResult.DaemonUsage daemon = d.isObject()
                ? new LiveResult.DaemonUsage(d.path("cpu_s").asDouble(), d.path("max_rss_kib").asLong()) : null;
        RunResult run = new RunResult(Policy.ofLabel(r.path("policy").asText()), outcomes,
                r.path("makespan_s").asDouble(), r.path("migrations").asLong(), r.path("pins").asLong(), 0, List.of());
        return new LiveResult(run, r.path("killed").asInt(), failures, daemon);
    }

    public LiveRun.Prepared prepared() {
        return prepared;
    }

    /** The result of a policy already run, or null. */
    public LiveResult done(Policy policy) {
        return done.get(policy);
    }

    public void setPrepared(LiveRun.Prepared p) throws IOException {
        prepared = p;
        save();
    }

    public void add(LiveResult r) throws IOException {
        done.put(r.run().policy(), r);
        save();
    }

    private void save() throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("key", key);
        Map<String, Object> p = new LinkedHashMap<>();
        List<Map<String, Object>> jobs = new ArrayList<>();
        for (Trace.Job j : prepared.jobs()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", j.id());
            m.put("alone_s", j.work());
            m.put("endless", prepared.endless().contains(j.id()));
            m.put("command", prepared.commands().get(j.id()));
            jobs.add(m);
        }
        p.put("jobs", jobs);
        root.put("prepared", p);
        List<Map<String, Object>> runs = new ArrayList<>();
        for (LiveResult r : done.values()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("policy", r.run().policy().label());
            m.put("makespan_s", r.run().makespan());
            m.put("migrations", r.run().migrations());
            m.put("pins", r.run().pins());
            m.put("killed", r.killed());
            Map<String, Double> ends = new LinkedHashMap<>();
            r.run().finishedJobs().forEach(o -> ends.put(o.job().id(), o.end()));
            m.put("ends", ends);
            List<Map<String, Object>> failures = new ArrayList<>();
            for (LiveResult.Failure f : r.failures()) {
                failures.add(Map.of("id", f.jobId(), "exit_status", f.exitStatus(), "message", f.message()));
            }
            m.put("failures", failures);
            if (r.daemon() != null) {
                m.put("daemon", Map.of("cpu_s", r.daemon().cpuSeconds(), "max_rss_kib", r.daemon().maxRssKib()));
            }
            runs.add(m);
        }
        root.put("runs", runs);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        JSON.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), root);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
