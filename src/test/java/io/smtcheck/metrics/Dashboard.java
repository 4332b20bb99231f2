// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The Grafana dashboard shipped beside the scripts: its PromQL expressions and the metric names they use. */
record Dashboard(List<String> expressions) {
    static final Path FILE = Path.of("scripts/grafana/smtcheck-dashboard.json");

    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)");
    private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right",
            "bool", "and", "or", "unless", "offset", "inf", "nan");

    /** Every panel's target expressions, and the metrics that template variables read label values of. */
    static Dashboard read() throws IOException {
        JsonNode root = new ObjectMapper().readTree(FILE.toFile());
        List<String> expressions = new ArrayList<>();
        for (JsonNode expr : root.findValues("expr")) {
            expressions.add(expr.asText());
        }
        for (JsonNode variable : root.path("templating").path("list")) {
            String definition = variable.path("definition").asText("");
            Matcher m = LABEL_VALUES.matcher(definition);
            if (m.find()) {
                expressions.add(m.group(1));
            }
        }
        return new Dashboard(expressions);
    }

    /**
     * The metric names in {@code promql}: the names left once strings, label matchers, ranges,
     * grouping clauses, function calls and keywords are taken out.
     */
    static Set<String> metricNames(String promql) {
        String rest = promql.replaceAll("\"(?:[^\"\\\\]|\\\\.)*\"", "\"\"")
                .replaceAll("\\{[^}]*}", " ")
                .replaceAll("\\[[^]]*]", " ")
                .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
        Set<String> names = new TreeSet<>();
        Matcher m = NAME.matcher(rest);
        while (m.find()) {
            String token = m.group();
            boolean call = rest.substring(m.end()).matches("(?s)\\s*\\(.*");
            boolean number = m.start() > 0 && Character.isDigit(rest.charAt(m.start() - 1));
            if (!call && !number && !KEYWORDS.contains(token.toLowerCase(java.util.Locale.ROOT))) {
                names.add(token);
            }
        }
        return names;
    }

    Set<String> metricNames() {
        Set<String> names = new TreeSet<>();
        expressions.forEach(e -> names.addAll(metricNames(e)));
        return names;
    }
}
