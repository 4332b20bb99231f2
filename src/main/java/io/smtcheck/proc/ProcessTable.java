// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.proc;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Reads process groups from /proc. Processes that exit during a scan are simply left out.
 *
 * <p>A scan reads /proc/PID/stat only for processes it has not seen before, and every process
 * again every {@value #FULL_REREAD_EVERY} scans: a scan every second then costs a directory
 * listing, not a file per process. What a cached entry can miss until the next full read is a
 * process changing its group after it was first seen, or a pid reused within that window.
 */
public final class ProcessTable {
    /** /proc reports times in USER_HZ, 100 per second on every architecture Linux exposes it. */
    private static final double TICKS_PER_SECOND = 100.0;
    static final int FULL_REREAD_EVERY = 30;
    /** How old a process must be before its stat is taken from the cache. */
    private static final double SETTLED_SECONDS = 2.0;

    private final Path proc;
    private final Map<Integer, Stat> seen = new HashMap<>();
    private long scans;

    public ProcessTable() {
        this(Path.of("/proc"));
    }

    public ProcessTable(Path proc) {
        this.proc = proc;
    }

    /** Fields of /proc/PID/stat that matter here. */
    record Stat(int pid, String comm, int ppid, int pgid, long startTicks) {
    }

    /** Every process group with at least one live process, kernel threads excluded. */
    public synchronized List<ProcessGroup> groups() throws IOException {
        double uptime = uptimeSeconds();
        boolean full = scans++ % FULL_REREAD_EVERY == 0;
        Map<Integer, List<Stat>> byGroup = new HashMap<>();
        java.util.Set<Integer> listed = new java.util.HashSet<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(proc, p -> isNumber(p.getFileName().toString()))) {
            for (Path p : dir) {
                int pid = Integer.parseInt(p.getFileName().toString());
                listed.add(pid);
                Stat s = full ? null : seen.get(pid);
                if (s == null) {
                    s = stat(pid);
                    if (s == null) {
                        continue; // exited meanwhile
                    }
                    // A process in its first seconds may still move to a group of its own (setpgid or
                    // setsid right after fork): read it afresh until then.
                    if (uptime - s.startTicks() / TICKS_PER_SECOND >= SETTLED_SECONDS) {
                        seen.put(pid, s);
                    }
                }
                if (s.pgid() > 0 && s.ppid() != 2 && s.pid() != 2) {
                    byGroup.computeIfAbsent(s.pgid(), k -> new ArrayList<>()).add(s);
                }
            }
        }
        seen.keySet().retainAll(listed);
        List<ProcessGroup> out = new ArrayList<>();
        for (var e : byGroup.entrySet()) {
            List<Stat> members = e.getValue();
            Stat leader = members.stream().filter(s -> s.pid() == e.getKey()).findFirst()
                    .orElse(members.stream().min((a, b) -> Long.compare(a.startTicks(), b.startTicks())).get());
            long oldest = members.stream().mapToLong(Stat::startTicks).min().getAsLong();
            out.add(new ProcessGroup(e.getKey(), leader.pid(), leader.comm(),
                    Math.max(0, uptime - oldest / TICKS_PER_SECOND),
                    members.stream().map(Stat::pid).sorted().toList()));
        }
        out.sort((a, b) -> Integer.compare(a.pgid(), b.pgid()));
        return out;
    }

    /** Whether any process still belongs to group {@code pgid}. */
    public boolean groupAlive(int pgid) throws IOException {
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(proc, p -> isNumber(p.getFileName().toString()))) {
            for (Path p : dir) {
                Stat s = stat(Integer.parseInt(p.getFileName().toString()));
                if (s != null && s.pgid() == pgid) {
                    return true;
                }
            }
        }
        return false;
    }

    Stat stat(int pid) {
        StatLine line = statLine(pid);
        return line == null ? null : line.stat(pid);
    }

    /**
     * /proc/PID/stat split: the command name, and the fields after it, field N (counted from 1 as
     * in proc(5)) at index N - 3.
     */
    private record StatLine(String comm, String[] after) {
        /** Field N, or 0 when this kernel does not have it or it does not parse. */
        long field(int n) {
            try {
                return n - 3 < after.length ? Long.parseLong(after[n - 3]) : 0;
            } catch (NumberFormatException e) {
                return 0;
            }
        }

        Stat stat(int pid) {
            // state(3) ppid(4) pgrp(5) ... starttime(22)
            if (after.length < 20) {
                return null;
            }
            try {
                return new Stat(pid, comm, Integer.parseInt(after[1]), Integer.parseInt(after[2]),
                        Long.parseLong(after[19]));
            } catch (NumberFormatException e) {
                return null;
            }
        }
    }

    private StatLine statLine(int pid) {
        String text;
        try {
            text = Files.readString(proc.resolve(pid + "/stat"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return null;
        }
        // The command name is in parentheses and may itself hold spaces and parentheses.
        int open = text.indexOf('(');
        int close = text.lastIndexOf(')');
        if (open < 0 || close < open || close + 2 > text.length()) {
            return null;
        }
        return new StatLine(text.substring(open + 1, close), text.substring(close + 2).strip().split(" "));
    }

    /**
     * What a process runs now, read afresh: its command name, and where its arguments lie in its
     * memory. An exec gives the process a new name and a new stack, so the value changes when the
     * process execs another program under the same pid (the argument addresses read as 0 to a
     * reader not allowed to trace the process: then only the name tells).
     *
     * @param pid        the process
     * @param startTicks when it started, in clock ticks since boot (unchanged by exec)
     * @param comm       its command name
     * @param argStart   field 48 of /proc/PID/stat, the start of its argument area
     * @param argEnd     field 49, the end of it
     */
    public record Program(int pid, long startTicks, String comm, long argStart, long argEnd) {
    }

    /** The program a process runs now (see {@link Program}); null when it is gone. Refreshes the scan's cache. */
    public synchronized Program program(int pid) {
        StatLine line = statLine(pid);
        Stat s = line == null ? null : line.stat(pid);
        if (s == null) {
            return null;
        }
        seen.put(pid, s);
        return new Program(pid, s.startTicks(), s.comm(), line.field(48), line.field(49));
    }

    /**
     * The uid that the leader of group {@code pgid} runs as (the owner of /proc/PGID, its effective
     * uid); empty when no process {@code pgid} leads a group of that number.
     */
    public OptionalInt leaderUid(int pgid) {
        Stat before = stat(pgid);
        if (before == null || before.pgid() != pgid) {
            return OptionalInt.empty();
        }
        int uid;
        try {
            uid = (Integer) Files.getAttribute(proc.resolve(Integer.toString(pgid)), "unix:uid");
        } catch (IOException e) {
            return OptionalInt.empty();
        }
        // The same process still, not a new one that took the pid between the two reads.
        Stat after = stat(pgid);
        return after != null && after.startTicks() == before.startTicks() && after.pgid() == pgid
                ? OptionalInt.of(uid) : OptionalInt.empty();
    }

    /** When a process started, in clock ticks since boot; empty when it is gone. */
    public java.util.OptionalLong startTicks(int pid) {
        Stat s = stat(pid);
        return s == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(s.startTicks());
    }

    /** The process group a process is in; empty when it is gone. */
    public OptionalInt processGroup(int pid) {
        Stat s = stat(pid);
        return s == null ? OptionalInt.empty() : OptionalInt.of(s.pgid());
    }

    /** The CPU time a process has used, user and system (fields 14 and 15 of stat), in clock ticks; empty when it is gone. */
    public java.util.OptionalLong cpuTicks(int pid) {
        StatLine line = statLine(pid);
        return line == null ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(line.field(14) + line.field(15));
    }

    /** The Slurm job a process runs in (see {@link SlurmJob}); empty when none, or when it is gone. */
    public java.util.Optional<SlurmJob> slurmJob(int pid) {
        return SlurmJob.of(proc, pid);
    }

    /** The tasks (threads) of a process; empty when it is gone. */
    public List<Integer> tasks(int pid) {
        List<Integer> out = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(proc.resolve(pid + "/task"))) {
            for (Path p : dir) {
                out.add(Integer.parseInt(p.getFileName().toString()));
            }
        } catch (IOException | NumberFormatException e) {
            return List.of();
        }
        return out;
    }

    /**
     * How long the tasks of group {@code pgid} have waited, runnable, for a CPU, in nanoseconds:
     * the run delay of every thread of its processes (field 2 of /proc/PID/task/TID/schedstat),
     * summed. 0 for threads whose kernel keeps no schedstat, or that exit while it is read; a
     * total can therefore go back when a process of the group exits.
     */
    public long runDelayNanos(int pgid) throws IOException {
        long sum = 0;
        for (ProcessGroup g : groups()) {
            if (g.pgid() != pgid) {
                continue;
            }
            for (int pid : g.pids()) {
                for (int tid : tasks(pid)) {
                    sum += runDelay(proc.resolve(pid + "/task/" + tid + "/schedstat"));
                }
            }
        }
        return sum;
    }

    private static long runDelay(Path schedstat) {
        try {
            String[] f = Files.readString(schedstat, StandardCharsets.US_ASCII).trim().split(" ");
            return f.length >= 2 ? Long.parseLong(f[1]) : 0;
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    /**
     * A process's command line, arguments joined by spaces (empty for kernel threads), or null when
     * it is gone. Read on demand: most scans need no command line at all.
     */
    public String cmdline(int pid) {
        try {
            byte[] raw = Files.readAllBytes(proc.resolve(pid + "/cmdline"));
            return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').strip();
        } catch (IOException e) {
            return null;
        }
    }

    private double uptimeSeconds() throws IOException {
        String text = Files.readString(proc.resolve("uptime")).trim();
        return Double.parseDouble(text.substring(0, text.indexOf(' ')));
    }

    private static boolean isNumber(String s) {
        if (s.isEmpty()) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (!Character.isDigit(s.charAt(i))) {
                return false;
            }
        }
        return true;
    }
}
