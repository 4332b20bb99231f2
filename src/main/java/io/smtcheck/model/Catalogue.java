// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The resource names whose meaning is fixed: smtcheck's own injectors and the original SMTcheck's
 * features. A name means one resource and one contention type everywhere, so that a model or a
 * profile made with one catalogue is never scored with the other's types. Files may name other
 * resources with a type of their own; a known name with another type is refused.
 *
 * <p>Both catalogues once used {@code l1_dcache} and {@code l2_cache}: the original for its
 * parallel caches, smtcheck before model format 2 and measurement format 2 for its sequential
 * capacity injectors. The names now belong to the original; smtcheck's are {@code l1d_capacity}
 * and {@code l2_capacity}, and files of the earlier formats are read with the new names.
 */
public final class Catalogue {
    /** Whose catalogue a known resource comes from. */
    public enum Origin {
        SMTCHECK, ORIGINAL
    }

    /** The original SMTcheck's resource categories; a port is activated with the parallel formula. */
    public enum OriginalKind {
        SEQUENTIAL, PARALLEL, PORT
    }

    /**
     * A resource whose name is reserved.
     *
     * @param kind the original's category, or null for smtcheck's own resources
     */
    public record Known(String name, ResourceType type, Origin origin, OriginalKind kind, String meaning) {
    }

    /**
     * The original SMTcheck's features in its model files' order after {@code base}
     * ({@code TARGET_FEATURE} in its machine description).
     */
    public static final List<String> ORIGINAL_MODEL_FEATURES =
            List.of("int_port", "int_isq", "fp_port", "load_isq", "l1_dcache", "l2_cache", "l1_dtlb");

    private static final Map<String, Known> KNOWN = new LinkedHashMap<>();
    private static final Map<String, String> EARLIER_NAMES = Map.of("l1_dcache", "l1d_capacity", "l2_cache", "l2_capacity");

    static {
        ours("int_alu", ResourceType.PARALLEL, "integer ALUs");
        ours("fp_unit", ResourceType.PARALLEL, "floating point and SIMD units");
        ours("l1d_capacity", ResourceType.SEQUENTIAL, "L1 data cache capacity");
        ours("l2_capacity", ResourceType.SEQUENTIAL, "L2 cache capacity");
        ours("llc", ResourceType.SEQUENTIAL, "last-level cache capacity");
        ours("mem_bw", ResourceType.SEQUENTIAL, "memory bandwidth");
        ours("branch_pred", ResourceType.SEQUENTIAL, "branch predictor");
        original("int_isq", OriginalKind.SEQUENTIAL, "integer issue queue");
        original("fp_isq", OriginalKind.SEQUENTIAL, "floating-point issue queue");
        original("load_isq", OriginalKind.SEQUENTIAL, "load issue queue");
        original("uop_cache", OriginalKind.SEQUENTIAL, "micro-op cache");
        original("l1_dcache", OriginalKind.PARALLEL, "L1 data cache");
        original("l2_cache", OriginalKind.PARALLEL, "L2 cache");
        original("l1_dtlb", OriginalKind.PARALLEL, "L1 data TLB");
        original("l3_cache", OriginalKind.PARALLEL, "L3 cache");
        original("int_port", OriginalKind.PORT, "integer execution ports");
        original("fp_port", OriginalKind.PORT, "floating-point execution ports");
    }

    private Catalogue() {
    }

    private static void ours(String name, ResourceType type, String meaning) {
        KNOWN.put(name, new Known(name, type, Origin.SMTCHECK, null, meaning));
    }

    private static void original(String name, OriginalKind kind, String meaning) {
        ResourceType type = kind == OriginalKind.SEQUENTIAL ? ResourceType.SEQUENTIAL : ResourceType.PARALLEL;
        KNOWN.put(name, new Known(name, type, Origin.ORIGINAL, kind, meaning));
    }

    /** Every known resource, smtcheck's first. */
    public static List<Known> known() {
        return List.copyOf(KNOWN.values());
    }

    /** What {@code name} means, when it is a known name. */
    public static Optional<Known> lookup(String name) {
        return Optional.ofNullable(KNOWN.get(name));
    }

    /**
     * Checks that a resource declared with {@code type} does not give a known name another type.
     *
     * @throws InvalidDataException naming the resource, what it means and, for the names smtcheck
     *                              used before, the name its resource has now
     */
    public static void check(String name, ResourceType type) {
        Known k = KNOWN.get(name);
        if (k == null || k.type() == type) {
            return;
        }
        String renamed = EARLIER_NAMES.get(name);
        throw new InvalidDataException("'" + name + "' is the " + describe(k) + ", a " + k.type().label()
                + " resource, not " + type.label()
                + (renamed == null ? "" : "; smtcheck's own " + type.label() + " resource is named '" + renamed + "'"));
    }

    /** The name today of a resource named {@code name} in smtcheck's files of the earlier formats. */
    public static String fromEarlierFormat(String name) {
        return EARLIER_NAMES.getOrDefault(name, name);
    }

    private static String describe(Known k) {
        return k.meaning() + (k.origin() == Origin.ORIGINAL ? " of the original SMTcheck's catalogue" : " of smtcheck's catalogue");
    }
}
