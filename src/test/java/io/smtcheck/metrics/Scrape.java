// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.metrics;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One scrape of a metrics endpoint in the OpenMetrics text format, as Prometheus asks for it: each
 * sample by name and labels, the labels written in name order ({@code name{a="1",b="2"}}).
 */
record Scrape(Map<String, Double> samples, String text) {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)( \\S+)?$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    static Scrape of(int port) throws IOException, InterruptedException {
        HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .header("Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8")
                .timeout(Duration.ofSeconds(20)).build();
        HttpResponse<String> r = client.send(request, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("scrape: HTTP " + r.statusCode() + ": " + r.body());
        }
        if (!r.headers().firstValue("Content-Type").orElse("").startsWith("application/openmetrics-text")) {
            throw new IOException("scrape: not OpenMetrics: " + r.headers().map());
        }
        return parse(r.body());
    }

    static Scrape parse(String text) {
        Map<String, Double> samples = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches()) {
                throw new IllegalArgumentException("not a sample line: " + line);
            }
            samples.put(key(m.group(1), m.group(3) == null ? Map.of() : labels(m.group(3))), value(m.group(4)));
        }
        return new Scrape(samples, text);
    }

    private static Map<String, String> labels(String text) {
        Map<String, String> labels = new TreeMap<>();
        Matcher m = LABEL.matcher(text);
        while (m.find()) {
            labels.put(m.group(1), m.group(2));
        }
        return labels;
    }

    private static double value(String text) {
        return switch (text) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(text);
        };
    }

    static String key(String name, Map<String, String> labels) {
        StringBuilder s = new StringBuilder(name);
        if (!labels.isEmpty()) {
            s.append('{');
            new TreeMap<>(labels).forEach((k, v) -> s.append(s.charAt(s.length() - 1) == '{' ? "" : ",")
                    .append(k).append("=\"").append(v).append('"'));
            s.append('}');
        }
        return s.toString();
    }

    /** The sample {@code name} with these labels (name, value, name, value...); null when absent. */
    Double get(String name, String... labels) {
        Map<String, String> m = new TreeMap<>();
        for (int i = 0; i < labels.length; i += 2) {
            m.put(labels[i], labels[i + 1]);
        }
        return samples.get(key(name, m));
    }

    /** The metric families' names, as the # TYPE lines give them. */
    Set<String> families() {
        Set<String> names = new TreeSet<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                names.add(line.split(" ")[2]);
            }
        }
        return names;
    }

    /** Every series name, with its suffix (_total, _bucket, _info...). */
    Set<String> seriesNames() {
        Set<String> names = new TreeSet<>();
        samples.keySet().forEach(k -> names.add(k.replaceAll("\\{.*", "")));
        return names;
    }
}
