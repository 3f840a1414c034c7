package org.dure.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
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
 * Keeps the README and the guides honest about where they send the reader: every relative link in {@code README.md},
 * {@code docs/} and {@code deploy/} names a file that exists and, with a {@code #fragment}, a heading (GitHub's anchor
 * of it) or an {@code <a id>} in that file; and the README opens with the two commands, the second being the one
 * {@code .ci/run} runs.
 */
class DocsLinksTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
  private static final Pattern HEADING = Pattern.compile("^#{1,6} +(.*?)#*\\s*$");
  private static final Pattern HTML_ANCHOR = Pattern.compile("<a (?:id|name)=\"([^\"]+)\"");
  private static final Pattern NOT_IN_SLUG = Pattern.compile("[^\\p{L}\\p{M}\\p{N}\\p{Pc}\\- ]",
      Pattern.UNICODE_CHARACTER_CLASS);

  @Test void everyRelativeLinkInTheDocsPointsToAFileAndHeadingThatExist() throws IOException {
    List<String> broken = new ArrayList<>();
    Map<Path, Set<String>> anchors = new HashMap<>();
    List<Path> pages = pages();
    assertTrue(pages.size() > 5, "expected README.md, docs/*.md and deploy/**/*.md under " + ROOT + ", found " + pages);
    for (Path page : pages) {
      List<String> lines = prose(Files.readAllLines(page));
      for (int i = 0; i < lines.size(); i++) {
        Matcher m = LINK.matcher(lines.get(i));
        while (m.find()) {
          String target = m.group(1);
          if (target.matches("[a-zA-Z][a-zA-Z+.-]*:.*")) continue; // https:, mailto: ...
          int hash = target.indexOf('#');
          String file = hash < 0 ? target : target.substring(0, hash);
          String fragment = hash < 0 ? null : target.substring(hash + 1);
          Path resolved = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
          String where = ROOT.relativize(page) + ":" + (i + 1) + ": " + target;
          if (!Files.exists(resolved)) {
            broken.add(where + " (no file " + ROOT.relativize(resolved) + ")");
          } else if (fragment != null && !fragment.isEmpty()) {
            Set<String> known = Files.isDirectory(resolved) ? Set.of() : anchors.computeIfAbsent(resolved, DocsLinksTest::anchors);
            if (!known.contains(fragment)) broken.add(where + " (no heading with that anchor in " + ROOT.relativize(resolved) + ")");
          }
        }
      }
    }
    assertEquals(List.of(), broken, "links to files or headings that do not exist");
  }

  @Test void readmeOpensWithTheDemoAndTheTestCommandThatCiRuns() throws IOException {
    List<String> readme = Files.readAllLines(ROOT.resolve("README.md"));
    int fence = readme.indexOf("```bash");
    assertTrue(fence >= 0 && fence <= 3, "README.md must open with a bash block of the two commands");
    assertTrue(readme.get(fence + 1).startsWith("./dure demo "), readme.get(fence + 1));
    assertTrue(readme.get(fence + 2).startsWith("mvn -B verify "), readme.get(fence + 2));
    List<String> ci = Files.readAllLines(ROOT.resolve(".ci/run"));
    assertTrue(ci.stream().map(String::strip).anyMatch("mvn -B verify"::equals), ".ci/run must run the README's test command");
  }

  private static List<Path> pages() throws IOException {
    List<Path> pages = new ArrayList<>(List.of(ROOT.resolve("README.md")));
    for (String dir : List.of("docs", "deploy")) {
      try (Stream<Path> s = Files.walk(ROOT.resolve(dir))) {
        s.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
      }
    }
    return pages;
  }

  /** The lines with fenced code blocks blanked and inline code spans removed: links there are code, not links. */
  private static List<String> prose(List<String> lines) {
    List<String> out = new ArrayList<>();
    boolean fenced = false;
    for (String l : lines) {
      if (l.stripLeading().startsWith("```")) {
        fenced = !fenced;
        out.add("");
      } else {
        out.add(fenced ? "" : l.replaceAll("`[^`]*`", ""));
      }
    }
    return out;
  }

  /** GitHub's anchors for a page's headings (lower case, punctuation dropped, spaces to hyphens, -1, -2 for repeats). */
  private static Set<String> anchors(Path page) {
    List<String> lines;
    try {
      lines = Files.readAllLines(page);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    Set<String> out = new HashSet<>();
    Map<String, Integer> seen = new HashMap<>();
    boolean fenced = false;
    for (String l : lines) {
      if (l.stripLeading().startsWith("```")) {
        fenced = !fenced;
        continue;
      }
      if (fenced) continue;
      Matcher h = HEADING.matcher(l);
      if (h.matches()) {
        String slug = NOT_IN_SLUG.matcher(h.group(1).strip().toLowerCase(Locale.ROOT)).replaceAll("").replace(' ', '-');
        int n = seen.merge(slug, 1, Integer::sum) - 1;
        out.add(n == 0 ? slug : slug + "-" + n);
      }
      Matcher a = HTML_ANCHOR.matcher(l);
      while (a.find()) out.add(a.group(1));
    }
    return out;
  }
}
