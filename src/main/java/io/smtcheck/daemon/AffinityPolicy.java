// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import io.smtcheck.proc.ProcessIdentity;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Which groups the daemon may pin. Include and exclude rules on the leader's uid, cgroup path
 * or command name (an exclude wins; with includes, only matching groups are managed). A group
 * whose affinity someone else narrowed, at arrival or later, is left alone unless the policy says
 * {@link Narrowed#MANAGE}. And no group is pinned outside its cgroup's cpuset: one whose cpuset
 * does not hold every CPU of the topology is always left alone.
 */
public final class AffinityPolicy {
    /** What to do with a group whose affinity is narrower than what it may use, or is changed under the daemon. */
    public enum Narrowed {
        /** Leave it alone: somebody chose its CPUs. */
        SKIP,
        /** Manage it all the same: the daemon's placement wins, and a changed pin is put back. */
        MANAGE
    }

    /** One rule: a key (uid, cgroup, comm) and the value, a number or a glob. */
    public record Rule(String key, String value) {
        public Rule {
            switch (key) {
                case "uid" -> {
                    try {
                        if (Integer.parseInt(value) < 0) {
                            throw new NumberFormatException();
                        }
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("rule uid=" + value + ": the uid must be a number");
                    }
                }
                case "cgroup", "comm" -> {
                    if (value.isEmpty()) {
                        throw new IllegalArgumentException("rule " + key + "=: the value is empty");
                    }
                }
                default -> throw new IllegalArgumentException("rule " + key + "=" + value
                        + ": the key must be uid, cgroup or comm");
            }
        }

        /** Reads {@code key=value}. */
        public static Rule parse(String text) {
            int eq = text.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("rule \"" + text + "\": expected uid=N, cgroup=GLOB or comm=GLOB");
            }
            return new Rule(text.substring(0, eq).trim().toLowerCase(Locale.ROOT), text.substring(eq + 1).trim());
        }

        boolean matches(ProcessIdentity p) {
            return switch (key) {
                case "uid" -> p.uid() == Integer.parseInt(value);
                case "cgroup" -> glob(value).matches(Path.of(p.cgroup()));
                default -> glob(value).matches(Path.of(p.comm().replace('/', '_')));
            };
        }

        private static PathMatcher glob(String pattern) {
            return FileSystems.getDefault().getPathMatcher("glob:" + pattern);
        }

        @Override
        public String toString() {
            return key + "=" + value;
        }
    }

    private final List<Rule> include;
    private final List<Rule> exclude;
    private final Narrowed narrowed;

    public AffinityPolicy(List<Rule> include, List<Rule> exclude, Narrowed narrowed) {
        this.include = List.copyOf(include);
        this.exclude = List.copyOf(exclude);
        this.narrowed = narrowed;
    }

    /** No rules; narrowed groups skipped. */
    public static AffinityPolicy defaults() {
        return new AffinityPolicy(List.of(), List.of(), Narrowed.SKIP);
    }

    /**
     * The policy the command line describes.
     *
     * @throws IllegalArgumentException naming the option and the rule that is malformed
     */
    public static AffinityPolicy parse(List<String> include, List<String> exclude, String narrowed) {
        Narrowed n;
        try {
            n = Narrowed.valueOf(narrowed.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--narrowed must be skip or manage, not " + narrowed);
        }
        return new AffinityPolicy(rules("--include", include), rules("--exclude", exclude), n);
    }

    private static List<Rule> rules(String option, List<String> texts) {
        List<Rule> out = new ArrayList<>();
        for (String t : texts) {
            try {
                out.add(Rule.parse(t));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(option + ": " + e.getMessage());
            }
        }
        return out;
    }

    public Narrowed narrowed() {
        return narrowed;
    }

    /**
     * Why the daemon must leave this group alone, or empty when it may manage it.
     *
     * @param leader   the group's leader (or its oldest member)
     * @param original the affinity the group had before this daemon or its predecessor pinned it
     * @param usable   the CPUs a process may use where no cpuset is known
     * @param topology every CPU the daemon places workloads on
     */
    public Optional<String> refusal(ProcessIdentity leader, List<Integer> original, List<Integer> usable,
            List<Integer> topology) {
        Optional<String> byRules = ruleRefusal(leader);
        if (byRules.isPresent()) {
            return byRules;
        }
        List<Integer> allowed = leader.cpuset().orElse(usable);
        if (leader.cpuset().isPresent() && !new HashSet<>(allowed).containsAll(topology)) {
            return Optional.of("its cgroup " + leader.cgroup() + " allows only CPUs " + cpuList(allowed));
        }
        if (narrowed == Narrowed.SKIP && !new HashSet<>(original).containsAll(allowed)) {
            return Optional.of("its affinity " + cpuList(original) + " was narrowed by someone else (it may use "
                    + cpuList(allowed) + ")");
        }
        return Optional.empty();
    }

    /**
     * Why the include and exclude rules leave this group alone, or empty when they do not: all the
     * policy asks of a group whose CPUs its Slurm allocation chose.
     */
    public Optional<String> ruleRefusal(ProcessIdentity leader) {
        for (Rule r : exclude) {
            if (r.matches(leader)) {
                return Optional.of("excluded by " + r);
            }
        }
        if (!include.isEmpty() && include.stream().noneMatch(r -> r.matches(leader))) {
            return Optional.of("matches no --include rule");
        }
        return Optional.empty();
    }

    static String cpuList(List<Integer> cpus) {
        return cpus.stream().map(String::valueOf).reduce((a, b) -> a + "," + b).orElse("none");
    }

    @Override
    public String toString() {
        return "include " + (include.isEmpty() ? "all" : include) + ", exclude " + exclude + ", narrowed groups: "
                + narrowed.name().toLowerCase(Locale.ROOT);
    }
}
