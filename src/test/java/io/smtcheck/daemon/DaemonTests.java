// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import io.smtcheck.proc.ProcessTable;
import io.smtcheck.sched.TestGroup;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/** What the daemon's tests share: waiting for what a daemon does, and reading what it did. */
final class DaemonTests {
    private DaemonTests() {
    }

    /** The model directory the build gives the tests. */
    static Path testModels() {
        return Path.of(System.getProperty("smtcheck.test.models", "trained_model"));
    }

    /** Waits up to a minute: a daemon in a child JVM may take long to start on a loaded machine. */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        await(what, 60, condition);
    }

    static void await(String what, int seconds, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(50);
        }
    }

    /** Each task's allowed CPUs, as /proc shows them; "gone" once the group has exited. */
    static Set<String> cpusOfGroup(TestGroup g) {
        try {
            Set<String> s = new HashSet<>();
            for (long tid : g.tasks()) {
                s.add(TestGroup.cpusAllowed(tid));
            }
            return s;
        } catch (Exception e) {
            return Set.of("gone");
        }
    }

    /** Every task of every process whose process group is {@code pgid}, from one pass over /proc. */
    static List<Long> tasksOfGroup(int pgid) throws IOException {
        List<Long> tids = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList()) {
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    if (Integer.parseInt(f[2]) == pgid) {
                        try (Stream<Path> tasks = Files.list(p.resolve("task"))) {
                            tasks.forEach(t -> tids.add(Long.parseLong(t.getFileName().toString())));
                        }
                    }
                } catch (IOException e) {
                    // exited meanwhile
                }
            }
        }
        return tids;
    }

    /** Like {@link #cpusOfGroup(TestGroup)}, for a group the test did not start itself. */
    static Set<String> cpusOfGroup(int pgid) {
        try {
            Set<String> s = new HashSet<>();
            for (long tid : tasksOfGroup(pgid)) {
                s.add(TestGroup.cpusAllowed(tid));
            }
            return s.isEmpty() ? Set.of("gone") : s;
        } catch (Exception e) {
            return Set.of("gone");
        }
    }

    /** The workload of group {@code pgid} in a status answer, or null. */
    static DaemonStatus.Workload workload(DaemonStatus status, int pgid) {
        return status.workloads().stream().filter(w -> w.pgid() == pgid).findFirst().orElse(null);
    }

    /** Like {@link #workload(DaemonStatus, int)}, for an answer read from the control socket. */
    static JsonNode workload(JsonNode status, int pgid) {
        for (JsonNode w : status.path("workloads")) {
            if (w.path("pgid").asInt() == pgid) {
                return w;
            }
        }
        return null;
    }

    /** What `smtcheck launch` records of a group's leader, against pgid reuse. */
    static long leaderStart(TestGroup g) {
        return startTicks(g.pgid());
    }

    static long startTicks(int pid) {
        return new ProcessTable().startTicks(pid).orElseThrow();
    }
}
