// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import io.smtcheck.model.ResourceType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One injector of {@code smtcheck-inject}: the shared resource it stresses, and how contention
 * for that resource is activated in the score formula.
 *
 * @param resource        the resource's name in profiles and models
 * @param type            its contention type
 * @param workingSetBytes its default working set (0 when it has none)
 * @param description     one line for people
 */
public record Injector(String resource, ResourceType type, long workingSetBytes, String description) {

    /** The catalogue, as {@code smtcheck-inject --list} prints it. */
    public static List<Injector> catalogue(Path inject) throws IOException {
        Process p = new ProcessBuilder(inject.toString(), "--list").redirectErrorStream(true).start();
        List<Injector> out = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null;) {
                lines.add(line);
            }
        }
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException(inject + " --list failed: " + String.join(" / ", lines));
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        for (String line : lines) {
            String[] f = line.strip().split("\\s+", 4);
            if (f.length < 3) {
                throw new IOException(inject + " --list printed an unexpected line: '" + line + "'");
            }
            try {
                out.add(new Injector(f[0], ResourceType.ofLabel(f[1]), Long.parseLong(f[2]), f.length > 3 ? f[3] : ""));
            } catch (RuntimeException e) {
                throw new IOException(inject + " --list printed an unexpected line: '" + line + "'", e);
            }
        }
        return List.copyOf(out);
    }
}
