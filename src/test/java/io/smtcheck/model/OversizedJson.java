// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.model;

/**
 * JSON values just past the parser's limits, to put in place of a value of a valid file: a number
 * of 1001 digits, arrays nested 1001 deep, and a string of 20 000 001 characters.
 */
public enum OversizedJson {
    LONG_NUMBER("Number value length (1001) exceeds the maximum allowed (1000)"),
    DEEP_NESTING("Document nesting depth (1001) exceeds the maximum allowed (1000)"),
    HUGE_STRING("String value length (20000001) exceeds the maximum allowed (20000000)");

    /** What the error message says. */
    public final String reason;

    OversizedJson(String reason) {
        this.reason = reason;
    }

    /** The value, as JSON text. */
    public String value() {
        return switch (this) {
            case LONG_NUMBER -> "1" + "0".repeat(1000);
            case DEEP_NESTING -> "[".repeat(1001) + "]".repeat(1001);
            case HUGE_STRING -> "\"" + "x".repeat(20_000_001) + "\"";
        };
    }

    /** {@code json} with its first {@code "field": value} given this value instead. */
    public String into(String json, String field) {
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("(\"" + java.util.regex.Pattern.quote(field) + "\"\\s*:\\s*)(\"[^\"]*\"|[-0-9.eE]+|null)")
                .matcher(json);
        if (!m.find()) {
            throw new IllegalArgumentException("no field " + field + " with a plain value in " + json);
        }
        return json.substring(0, m.start(2)) + value() + json.substring(m.end(2));
    }
}
