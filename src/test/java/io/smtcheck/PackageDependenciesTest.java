// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Dependencies between our packages point one way, from the edges to the core
 * (docs/architecture.md §1). A new package, or a new arrow, is added to {@link #ALLOWED} on purpose.
 */
class PackageDependenciesTest {
    private static final Path SOURCES = Path.of("src/main/java/io/smtcheck");

    /** Each package and the packages of ours it may use. */
    private static final Map<String, Set<String>> ALLOWED = Map.ofEntries(
            Map.entry("cli", Set.of("control", "daemon", "evaluation", "kernel", "metrics", "model", "os", "proc",
                    "profiles", "profiling", "sched")),
            Map.entry("metrics", Set.of("daemon")),
            Map.entry("daemon", Set.of("control", "kernel", "model", "os", "proc", "profiles", "profiling", "sched")),
            Map.entry("control", Set.of("proc")),
            Map.entry("profiling", Set.of("model", "profiles", "sched")),
            Map.entry("profiles", Set.of("model")),
            Map.entry("evaluation", Set.of("model", "os", "proc", "profiling", "sched")),
            Map.entry("kernel", Set.of("os")),
            Map.entry("proc", Set.of("os")),
            Map.entry("sched", Set.of("model", "os")),
            Map.entry("model", Set.of()),
            Map.entry("os", Set.of()));

    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?io\\.smtcheck\\.(\\w+)\\.",
            Pattern.MULTILINE);
    /** A fully qualified name in code, which uses a package as surely as an import does. */
    private static final Pattern QUALIFIED = Pattern.compile("\\bio\\.smtcheck\\.(\\w+)\\.[A-Z]");
    private static final Pattern COMMENT = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);

    @Test
    void everyPackageHasARow() throws IOException {
        Set<String> packages = new TreeSet<>();
        for (Path file : sources()) {
            packages.add(packageOf(file));
        }
        assertEquals(new TreeSet<>(ALLOWED.keySet()), packages, "packages under " + SOURCES);
    }

    @Test
    void dependenciesPointFromTheEdgesToTheCore() throws IOException {
        List<String> wrong = new ArrayList<>();
        for (Path file : sources()) {
            String from = packageOf(file);
            Set<String> allowed = ALLOWED.getOrDefault(from, Set.of());
            for (String to : usedPackages(Files.readString(file, StandardCharsets.UTF_8))) {
                if (!to.equals(from) && !allowed.contains(to)) {
                    wrong.add(SOURCES.relativize(file) + " uses " + to);
                }
            }
        }
        assertTrue(wrong.isEmpty(), "dependencies against the allowed table: " + String.join("; ", wrong));
    }

    @Test
    void findsImportsAndQualifiedNamesButNotComments() {
        String source = """
                package io.smtcheck.model;

                import io.smtcheck.sched.Plan;
                import static io.smtcheck.os.Errno.EPERM;
                /** See {@link io.smtcheck.daemon.Daemon}. */
                class X { Object k = io.smtcheck.kernel.Uapi.class; } // io.smtcheck.cli.Main
                """;
        assertEquals(Set.of("sched", "os", "kernel"), usedPackages(source));
    }

    private static List<Path> sources() throws IOException {
        try (Stream<Path> s = Files.walk(SOURCES)) {
            return s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }

    /** The package right under io.smtcheck that holds {@code file}. */
    private static String packageOf(Path file) {
        return SOURCES.relativize(file).getName(0).toString();
    }

    private static Set<String> usedPackages(String source) {
        Set<String> used = new TreeSet<>();
        Matcher imports = IMPORT.matcher(source);
        while (imports.find()) {
            used.add(imports.group(1));
        }
        Matcher qualified = QUALIFIED.matcher(COMMENT.matcher(source).replaceAll(" "));
        while (qualified.find()) {
            used.add(qualified.group(1));
        }
        return used;
    }
}
