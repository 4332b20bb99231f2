// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiles;

import com.fasterxml.jackson.databind.JsonNode;
import io.smtcheck.model.InvalidDataException;
import io.smtcheck.model.JsonRead;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * What the original SMTcheck keeps per machine in its {@code machine_data.py} and needs to turn a
 * sequential resource's raw IPC into a usage: each sequential resource's size and watermark (in
 * entries), and the share of the usable size its medium injector fills. The file
 * (docs/original-smtcheck.md):
 *
 * <pre>
 * {"medium_ratio": 0.8,
 *  "sequential": {"int_isq": {"size": 75, "watermark": 6}, "load_isq": {"size": 46, "watermark": 8}}}
 * </pre>
 *
 * @param mediumRatio the medium pressure point as a share of {@code size - watermark}, in (0, 1]
 * @param sequential  per sequential resource, its size and watermark
 */
public record MachineDescription(double mediumRatio, Map<String, Sequential> sequential) {
    /** The original's default medium ratio. */
    public static final double DEFAULT_MEDIUM_RATIO = 0.8;

    /**
     * One sequential resource.
     *
     * @param size      its entries, at least 2
     * @param watermark the entries the core keeps for itself, at least 0 and less than {@code size - 1}
     */
    public record Sequential(int size, int watermark) {
        public Sequential {
            if (size < 2) {
                throw new InvalidDataException("size: " + size + " is less than 2");
            }
            if (watermark < 0 || watermark >= size - 1) {
                throw new InvalidDataException("watermark: " + watermark + " is not in [0, size - 2]");
            }
        }

        /** The injector's pressure points (low, medium, high), in entries, as the original's profiling sets them. */
        double[] pressurePoints(double mediumRatio) {
            int usable = size - watermark;
            return new double[] {1, (int) (usable * mediumRatio), usable};
        }
    }

    public MachineDescription {
        if (!(mediumRatio > 0 && mediumRatio <= 1)) {
            throw new InvalidDataException("medium_ratio: " + mediumRatio + " is not in (0, 1]");
        }
        sequential = Map.copyOf(new TreeMap<>(sequential));
    }

    public Optional<Sequential> of(String resource) {
        return Optional.ofNullable(sequential.get(resource));
    }

    /**
     * Reads a machine description file.
     *
     * @throws InvalidDataException naming the file and the field
     */
    public static MachineDescription read(Path file) {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new InvalidDataException(file + ": cannot be read: " + e.getMessage());
        }
        try {
            return parse(JsonRead.document(content, file.toString()));
        } catch (InvalidDataException e) {
            throw e.getMessage().startsWith(file.toString()) ? e : e.in(file.toString());
        }
    }

    static MachineDescription parse(JsonNode root) {
        JsonRead.object(root, "");
        JsonRead.onlyFields(root, "", Set.of("medium_ratio", "sequential"));
        double ratio = JsonRead.numberOr(root, "medium_ratio", "", DEFAULT_MEDIUM_RATIO);
        JsonNode seq = JsonRead.object(root.get("sequential"), "sequential");
        Map<String, Sequential> out = new TreeMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = seq.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> e = fields.next();
            String path = "sequential." + e.getKey();
            JsonNode r = JsonRead.object(e.getValue(), path);
            JsonRead.onlyFields(r, path, Set.of("size", "watermark"));
            try {
                out.put(e.getKey(), new Sequential(JsonRead.integer(r, "size", path), JsonRead.integer(r, "watermark", path)));
            } catch (InvalidDataException x) {
                throw x.getMessage().startsWith(path) ? x : x.in(path);
            }
        }
        return new MachineDescription(ratio, out);
    }
}
