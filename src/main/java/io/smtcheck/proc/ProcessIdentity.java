// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.proc;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Who a process is, for the daemon's rules on which groups it may manage: its real uid, command
 * name, cgroup path, and the CPUs its cgroup's cpuset lets it use.
 *
 * @param pid    the process
 * @param uid    its real uid
 * @param comm   its command name
 * @param cgroup its cgroup path: the cgroup v2 one, else the v1 name=systemd or cpuset one, else "/"
 * @param cpuset the CPUs its cgroup's cpuset allows (cgroup v2 {@code cpuset.cpus.effective}, v1
 *               {@code cpuset.effective_cpus}); empty where no cpuset controller is mounted
 */
public record ProcessIdentity(int pid, int uid, String comm, String cgroup, Optional<List<Integer>> cpuset) {
    private static final Path PROC = Path.of("/proc");
    private static final Path ONLINE = Path.of("/sys/devices/system/cpu/online");

    /** Reads a process; empty when it is gone. */
    public static Optional<ProcessIdentity> of(int pid) {
        try {
            Path dir = PROC.resolve(Integer.toString(pid));
            String comm = Files.readString(dir.resolve("comm"), StandardCharsets.UTF_8).strip();
            int uid = -1;
            for (String line : Files.readAllLines(dir.resolve("status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("Uid:")) {
                    uid = Integer.parseInt(line.substring(4).trim().split("\\s+")[0]);
                }
            }
            List<String> cgroups = Files.readAllLines(dir.resolve("cgroup"), StandardCharsets.UTF_8);
            return Optional.of(new ProcessIdentity(pid, uid, comm, cgroupPath(cgroups), cpuset(cgroups)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty(); // exited meanwhile
        }
    }

    /** The leader of group {@code pgid}, or any member where the leader has exited; empty when none is left. */
    public static Optional<ProcessIdentity> ofGroup(int pgid) {
        if (groupOf(pgid) == pgid) {
            Optional<ProcessIdentity> leader = of(pgid);
            if (leader.isPresent()) {
                return leader;
            }
        }
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(PROC, p -> p.getFileName().toString().matches("[0-9]+"))) {
            for (Path p : dir) {
                int pid = Integer.parseInt(p.getFileName().toString());
                if (groupOf(pid) == pgid) {
                    Optional<ProcessIdentity> member = of(pid);
                    if (member.isPresent()) {
                        return member;
                    }
                }
            }
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** The process group of {@code pid}, or -1 when it is gone. */
    private static int groupOf(int pid) {
        try {
            String stat = Files.readString(PROC.resolve(pid + "/stat"), StandardCharsets.UTF_8);
            // After the command name, which may hold spaces and parentheses: state ppid pgrp ...
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(f[2]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** The CPUs that are online, from sysfs. */
    public static List<Integer> onlineCpus() throws IOException {
        return parseCpuList(Files.readString(ONLINE, StandardCharsets.US_ASCII));
    }

    /**
     * The kernel's CPU list format ("0-3,8,10-11") as CPU numbers, ascending.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static List<Integer> parseCpuList(String text) {
        TreeSet<Integer> cpus = new TreeSet<>();
        String t = text.strip();
        if (t.isEmpty()) {
            return List.of();
        }
        for (String part : t.split(",")) {
            String[] range = part.split("-", -1);
            try {
                int from = Integer.parseInt(range[0].trim());
                int to = range.length == 2 ? Integer.parseInt(range[1].trim()) : from;
                if (range.length > 2 || from < 0 || to < from) {
                    throw new IllegalArgumentException("bad CPU list \"" + t + "\"");
                }
                for (int c = from; c <= to; c++) {
                    cpus.add(c);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad CPU list \"" + t + "\"");
            }
        }
        return List.copyOf(cpus);
    }

    private static String cgroupPath(List<String> lines) {
        String systemd = null;
        String cpuset = null;
        for (String line : lines) {
            String[] f = line.split(":", 3);
            if (f.length < 3) {
                continue;
            }
            if (f[0].equals("0") && f[1].isEmpty()) {
                return f[2];
            }
            if (f[1].equals("name=systemd")) {
                systemd = f[2];
            } else if (List.of(f[1].split(",")).contains("cpuset")) {
                cpuset = f[2];
            }
        }
        return systemd != null ? systemd : cpuset != null ? cpuset : "/";
    }

    /**
     * The cpuset of the process's cgroup, from the v1 cpuset hierarchy where it is mounted (a v1
     * mount takes the controller away from v2), else from v2. A cgroup without the controller
     * enabled has its nearest ancestor's CPUs, so the lookup walks up to the first cgroup that has
     * the file.
     */
    private static Optional<List<Integer>> cpuset(List<String> lines) throws IOException {
        List<String[]> mounts = new ArrayList<>();
        for (String line : Files.readAllLines(PROC.resolve("self/mountinfo"), StandardCharsets.UTF_8)) {
            // id parent major:minor root mountpoint options [optional fields] - fstype source superoptions
            int dash = line.indexOf(" - ");
            if (dash < 0) {
                continue;
            }
            String[] before = line.substring(0, dash).split(" ");
            String[] after = line.substring(dash + 3).split(" ");
            if (before.length >= 5 && after.length >= 3) {
                mounts.add(new String[] {after[0], before[4], after[2]});
            }
        }
        for (String line : lines) {
            String[] f = line.split(":", 3);
            if (f.length == 3 && List.of(f[1].split(",")).contains("cpuset")) {
                for (String[] m : mounts) {
                    if (m[0].equals("cgroup") && List.of(m[2].split(",")).contains("cpuset")) {
                        return readUp(Path.of(m[1]), f[2], "cpuset.effective_cpus");
                    }
                }
            }
        }
        for (String line : lines) {
            String[] f = line.split(":", 3);
            if (f.length == 3 && f[0].equals("0") && f[1].isEmpty()) {
                for (String[] m : mounts) {
                    if (m[0].equals("cgroup2")) {
                        return readUp(Path.of(m[1]), f[2], "cpuset.cpus.effective");
                    }
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<List<Integer>> readUp(Path mount, String cgroup, String file) throws IOException {
        Path dir = mount.resolve(cgroup.replaceFirst("^/+", "")).normalize();
        for (; dir != null && dir.startsWith(mount); dir = dir.getParent()) {
            Path f = dir.resolve(file);
            if (Files.isReadable(f)) {
                List<Integer> cpus = parseCpuList(Files.readString(f, StandardCharsets.US_ASCII));
                if (!cpus.isEmpty()) {
                    return Optional.of(cpus);
                }
            }
        }
        return Optional.empty();
    }
}
