// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real process group for tests, from the native build's smtcheck-testproc: a leader and
 * children, each with extra threads, optionally one child in a group of its own. It lives until
 * closed.
 */
public final class TestGroup implements AutoCloseable {
    private final Process process;
    private final int pgid;

    public TestGroup(int threads, int children, boolean detachedChild) throws IOException {
        Path tool = Path.of(System.getProperty("smtcheck.test.tools", "target/native"), "smtcheck-testproc");
        List<String> cmd = new ArrayList<>(List.of(tool.toString(), "--threads", Integer.toString(threads),
                "--children", Integer.toString(children)));
        if (detachedChild) {
            cmd.add("--detached-child");
        }
        process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("ready ")) {
            process.destroyForcibly();
            throw new IOException("test process group did not start: " + line);
        }
        pgid = Integer.parseInt(line.substring(6).trim());
    }

    public int pgid() {
        return pgid;
    }

    public long leaderPid() {
        return process.pid();
    }

    /** Every task (thread) of the leader and of all its descendants. */
    public List<Long> tasks() throws IOException {
        List<Long> tids = new ArrayList<>();
        List<Long> pids = new ArrayList<>(List.of(process.pid()));
        for (int i = 0; i < pids.size(); i++) {
            for (long tid : listTasks(pids.get(i))) {
                tids.add(tid);
                Path children = Path.of("/proc", Long.toString(pids.get(i)), "task", Long.toString(tid), "children");
                for (String c : Files.readString(children).trim().split("\\s+")) {
                    if (!c.isEmpty()) {
                        pids.add(Long.parseLong(c));
                    }
                }
            }
        }
        return tids;
    }

    public int processCount() throws IOException {
        int count = 1;
        for (long tid : listTasks(process.pid())) {
            Path children = Path.of("/proc", Long.toString(process.pid()), "task", Long.toString(tid), "children");
            String text = Files.readString(children).trim();
            count += text.isEmpty() ? 0 : text.split("\\s+").length;
        }
        return count;
    }

    private static List<Long> listTasks(long pid) throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            return s.map(p -> Long.parseLong(p.getFileName().toString())).sorted().toList();
        }
    }

    /** The {@code Cpus_allowed_list} line of a task's status, as the kernel prints it. */
    public static String cpusAllowed(long tid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(tid), "status"))) {
            if (line.startsWith("Cpus_allowed_list:")) {
                return line.substring("Cpus_allowed_list:".length()).trim();
            }
        }
        throw new IOException("no Cpus_allowed_list for task " + tid);
    }

    @Override
    public void close() throws IOException {
        process.getOutputStream().close();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }
}
