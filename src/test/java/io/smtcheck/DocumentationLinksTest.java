// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The documentation's references resolve inside the repository: every relative link of the
 * Markdown pages names a file that exists and, with a {@code #fragment}, a heading of that file;
 * every page under {@code docs/} that a page or a source names exists; every
 * {@code architecture.md §N} names a section of docs/architecture.md.
 */
class DocumentationLinksTest {
    /** The pages whose links are checked: README.md, docs/*.md and the other top-level pages. */
    private static List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>(List.of(Path.of("README.md"), Path.of("BENCHMARKS.md"),
                Path.of("kernel/README.md")));
        try (Stream<Path> docs = Files.list(Path.of("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    /** Where sources name pages in comments and messages. */
    private static final List<Path> SOURCE_TREES = List.of(Path.of("src"), Path.of("native"), Path.of("kernel"),
            Path.of("scripts"));

    private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)\\)");
    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern DOC_NAMED = Pattern.compile("(?<![\\w./-])docs/([\\w-]+\\.md)");
    private static final Pattern SECTION_NAMED = Pattern.compile("architecture\\.md\\s*§\\s*(\\d+)");
    private static final Pattern NUMBERED_SECTION = Pattern.compile("^##\\s+(\\d+)\\.\\s", Pattern.MULTILINE);

    @Test
    void relativeLinksResolve() throws IOException {
        List<String> broken = new ArrayList<>();
        Map<Path, Set<String>> anchors = new HashMap<>();
        for (Path page : pages()) {
            Matcher m = LINK.matcher(outsideCode(read(page)));
            while (m.find()) {
                String target = m.group(1);
                if (target.matches("^[a-z][a-z+.-]*:.*")) {
                    continue; // https:, mailto:, man: and the like
                }
                int hash = target.indexOf('#');
                String file = hash < 0 ? target : target.substring(0, hash);
                Path resolved = file.isEmpty() ? page : page.resolveSibling(file).normalize();
                if (!Files.exists(resolved)) {
                    broken.add(page + ": " + target + ": no file " + resolved);
                } else if (hash >= 0) {
                    String fragment = target.substring(hash + 1);
                    Set<String> known = anchors.computeIfAbsent(resolved, DocumentationLinksTest::anchorsOf);
                    if (!known.contains(fragment)) {
                        broken.add(page + ": " + target + ": no heading '" + fragment + "' in " + resolved);
                    }
                }
            }
        }
        assertEquals(List.of(), broken, "links that do not resolve");
    }

    @Test
    void namedPagesAndSectionsExist() throws IOException {
        Set<String> sections = new HashSet<>();
        Matcher numbered = NUMBERED_SECTION.matcher(read(Path.of("docs/architecture.md")));
        while (numbered.find()) {
            sections.add(numbered.group(1));
        }
        assertTrue(sections.size() >= 6, "docs/architecture.md has its numbered sections: " + sections);
        List<Path> files = new ArrayList<>(pages());
        for (Path tree : SOURCE_TREES) {
            try (Stream<Path> walk = Files.walk(tree)) {
                walk.filter(Files::isRegularFile).filter(p -> p.toString().matches(".*\\.(java|c|h|cpp|sh|py|md|conf)$"))
                        .forEach(files::add);
            }
        }
        List<String> missing = new ArrayList<>();
        for (Path file : files) {
            String text = read(file);
            Matcher doc = DOC_NAMED.matcher(text);
            while (doc.find()) {
                if (!Files.exists(Path.of("docs", doc.group(1)))) {
                    missing.add(file + ": docs/" + doc.group(1));
                }
            }
            Matcher section = SECTION_NAMED.matcher(text);
            while (section.find()) {
                if (!sections.contains(section.group(1))) {
                    missing.add(file + ": architecture.md §" + section.group(1));
                }
            }
        }
        assertEquals(List.of(), missing, "pages and sections named but not there");
    }

    /** The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to hyphens. */
    private static Set<String> anchorsOf(Path page) {
        Set<String> anchors = new HashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        for (String line : outsideCode(read(page)).split("\n")) {
            Matcher h = HEADING.matcher(line);
            if (h.matches()) {
                String slug = h.group(1).toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "")
                        .replace(' ', '-');
                int n = seen.merge(slug, 1, Integer::sum);
                anchors.add(n == 1 ? slug : slug + "-" + (n - 1));
            }
        }
        return anchors;
    }

    /** The page without its fenced code blocks, whose lines are neither headings nor links. */
    private static String outsideCode(String text) {
        StringBuilder out = new StringBuilder();
        boolean fenced = false;
        for (String line : text.split("\n", -1)) {
            if (line.stripLeading().startsWith("```")) {
                fenced = !fenced;
            } else if (!fenced) {
                out.append(line);
            }
            out.append('\n');
        }
        return out.toString();
    }

    private static String read(Path file) {
        try {
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
