// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The model file formats ({@code trained_model/prediction_model_<TIMESTAMP>.json}, see
 * {@link ModelFiles}). smtcheck's own, version 2:
 * <pre>
 * {
 *   "format_version": 2,
 *   "resources": [{"name": "l1d_capacity", "type": "sequential"}, {"name": "fp_unit", "type": "parallel"}],
 *   "coefficients": [0.61, 0.44, 0.30],       // min_base_slowdown, then one per resource, in order
 *   "intercept": 0.02,
 *   "trained": {"at": "2025-01-01T00:00:00Z", "from": "what the samples were",
 *               "samples": 240, "held_out_samples": 60, "ridge": 0.0001, "r2": 0.97, "mae": 0.008}
 * }
 * </pre>
 * Every field is required except {@code r2} and {@code mae} (null when nothing was held out);
 * unknown fields are rejected, so a typo cannot pass as a default. Version 1 is the same, with
 * smtcheck's earlier names for two sequential resources ({@link Catalogue#fromEarlierFormat}).
 *
 * <p>The original SMTcheck's, told apart by having {@code feature_list} and no {@code format_version}:
 * <pre>
 * {"feature_list": ["base", "int_port", "int_isq", ...], "coefficients": [one per feature], "intercept": 0.01}
 * </pre>
 * Its resources are names of its catalogue, which gives their types; it records no training.
 */
public final class ModelJson {
    private static final ObjectMapper JSON = JsonRead.JSON;

    private static final Set<String> TOP = Set.of("format_version", "resources", "coefficients", "intercept", "trained");
    private static final Set<String> RESOURCE = Set.of("name", "type");
    private static final Set<String> ORIGINAL_TOP = Set.of("feature_list", "coefficients", "intercept");
    /** The original's name for the first feature, the minimum base slowdown. */
    private static final String ORIGINAL_BASE = "base";
    private static final Set<String> TRAINED = Set.of("at", "from", "samples", "held_out_samples", "ridge", "r2", "mae");

    private ModelJson() {
    }

    /**
     * Parses and validates a model file's content.
     *
     * @param source named in every error, usually the file's path
     * @throws InvalidDataException naming {@code source} and the field
     */
    public static PredictionModel parse(byte[] content, String source) {
        JsonNode root = JsonRead.document(content, source);
        try {
            return fromTree(root);
        } catch (InvalidDataException e) {
            throw e.in(source);
        }
    }

    static PredictionModel fromTree(JsonNode root) {
        JsonRead.object(root, "");
        if (!JsonRead.present(root, "format_version") && JsonRead.present(root, "feature_list")) {
            return originalFromTree(root);
        }
        if (!JsonRead.present(root, "format_version")) {
            throw new InvalidDataException("format_version: missing (smtcheck's model files have format_version, "
                    + "the original SMTcheck's have feature_list; this file has neither)");
        }
        int version = JsonRead.integer(root, "format_version", "");
        if (version != 1 && version != PredictionModel.FORMAT_VERSION) {
            throw new InvalidDataException("format_version: " + version + " is not supported (this build reads 1 and "
                    + PredictionModel.FORMAT_VERSION + ")");
        }
        JsonRead.onlyFields(root, "", TOP);
        List<Resource> resources = new ArrayList<>();
        List<JsonNode> rs = JsonRead.array(root, "resources", "");
        for (int i = 0; i < rs.size(); i++) {
            String path = "resources[" + i + "]";
            JsonNode r = JsonRead.object(rs.get(i), path);
            JsonRead.onlyFields(r, path, RESOURCE);
            String name = JsonRead.text(r, "name", path);
            try {
                ResourceType type = ResourceType.ofLabel(JsonRead.text(r, "type", path));
                Resource.checkName(name);
                if (version == 1 && type == ResourceType.SEQUENTIAL) {
                    name = Catalogue.fromEarlierFormat(name);
                }
                resources.add(new Resource(name, type));
            } catch (InvalidDataException e) {
                throw e.in(path);
            }
        }
        List<JsonNode> cs = JsonRead.array(root, "coefficients", "");
        double[] coefficients = new double[cs.size()];
        for (int i = 0; i < coefficients.length; i++) {
            coefficients[i] = JsonRead.number(cs.get(i), "coefficients[" + i + "]");
        }
        double intercept = JsonRead.number(root, "intercept", "");
        JsonNode t = JsonRead.object(root.get("trained"), "trained");
        JsonRead.onlyFields(t, "trained", TRAINED);
        Instant at;
        String atText = JsonRead.text(t, "at", "trained");
        try {
            at = Instant.parse(atText);
        } catch (DateTimeParseException e) {
            throw new InvalidDataException("trained.at: '" + atText + "' is not an ISO-8601 instant such as 2025-01-01T00:00:00Z");
        }
        Training training = new Training(at, JsonRead.text(t, "from", "trained"),
                JsonRead.integer(t, "samples", "trained"), JsonRead.integer(t, "held_out_samples", "trained"),
                JsonRead.number(t, "ridge", "trained"), JsonRead.numberOr(t, "r2", "trained", Double.NaN),
                JsonRead.numberOr(t, "mae", "trained", Double.NaN));
        return new PredictionModel(resources, coefficients, intercept, training);
    }

    /**
     * A model file of the original SMTcheck: the features after {@code base} are names of its
     * catalogue, whose types {@link Catalogue} knows; the file records no training.
     */
    private static PredictionModel originalFromTree(JsonNode root) {
        JsonRead.onlyFields(root, "", ORIGINAL_TOP);
        List<JsonNode> fs = JsonRead.array(root, "feature_list", "");
        if (fs.isEmpty() || !fs.get(0).isTextual() || !fs.get(0).asText().equals(ORIGINAL_BASE)) {
            throw new InvalidDataException("feature_list[0]: must be \"" + ORIGINAL_BASE
                    + "\" (the minimum base slowdown), found " + (fs.isEmpty() ? "an empty list" : fs.get(0)));
        }
        List<Resource> resources = new ArrayList<>();
        for (int i = 1; i < fs.size(); i++) {
            String path = "feature_list[" + i + "]";
            if (!fs.get(i).isTextual()) {
                throw new InvalidDataException(path + ": expected a resource name, found " + fs.get(i));
            }
            String name = fs.get(i).asText();
            Catalogue.Known known = Catalogue.lookup(name)
                    .filter(k -> k.origin() == Catalogue.Origin.ORIGINAL)
                    .orElseThrow(() -> new InvalidDataException(path + ": '" + name
                            + "' is not a resource of the original SMTcheck's catalogue (" + originalNames() + ")"));
            resources.add(new Resource(name, known.type()));
        }
        List<JsonNode> cs = JsonRead.array(root, "coefficients", "");
        if (cs.size() != fs.size()) {
            throw new InvalidDataException("coefficients: " + cs.size() + " values, but feature_list has " + fs.size()
                    + " features");
        }
        double[] coefficients = new double[cs.size()];
        for (int i = 0; i < coefficients.length; i++) {
            coefficients[i] = JsonRead.number(cs.get(i), "coefficients[" + i + "]");
        }
        double intercept = JsonRead.number(root, "intercept", "");
        return new PredictionModel(resources, coefficients, intercept, null, PredictionModel.Format.ORIGINAL);
    }

    private static String originalNames() {
        return String.join(", ", Catalogue.known().stream().filter(k -> k.origin() == Catalogue.Origin.ORIGINAL)
                .map(Catalogue.Known::name).toList());
    }

    /** The file content for {@code model} in its own format, ending with a newline. */
    public static String write(PredictionModel model) {
        if (model.format() == PredictionModel.Format.ORIGINAL) {
            return writeOriginal(model);
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("format_version", PredictionModel.FORMAT_VERSION);
        ArrayNode rs = root.putArray("resources");
        for (Resource r : model.resources()) {
            rs.addObject().put("name", r.name()).put("type", r.type().label());
        }
        ArrayNode cs = root.putArray("coefficients");
        for (double c : model.coefficients()) {
            cs.add(c);
        }
        root.put("intercept", model.intercept());
        Training t = model.training();
        ObjectNode tn = root.putObject("trained");
        tn.put("at", t.at().toString());
        tn.put("from", t.from());
        tn.put("samples", t.samples());
        tn.put("held_out_samples", t.heldOutSamples());
        tn.put("ridge", t.ridge());
        putMaybe(tn, "r2", t.r2());
        putMaybe(tn, "mae", t.mae());
        return text(root);
    }

    private static String writeOriginal(PredictionModel model) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode fs = root.putArray("feature_list").add(ORIGINAL_BASE);
        model.resources().forEach(r -> fs.add(r.name()));
        ArrayNode cs = root.putArray("coefficients");
        for (double c : model.coefficients()) {
            cs.add(c);
        }
        root.put("intercept", model.intercept());
        return text(root);
    }

    private static String text(ObjectNode root) {
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void putMaybe(ObjectNode node, String field, double value) {
        if (Double.isNaN(value)) {
            node.putNull(field);
        } else {
            node.put(field, value);
        }
    }
}
