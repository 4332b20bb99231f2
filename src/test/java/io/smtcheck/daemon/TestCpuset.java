// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.daemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A real cpuset cgroup for tests, made in the cgroup v1 cpuset hierarchy where one is mounted,
 * else under the cgroup v2 root with the cpuset controller enabled; removed on close. Empty
 * where neither can be written.
 */
final class TestCpuset implements AutoCloseable {
    private final Path dir;
    private final String procsFile;

    private TestCpuset(Path dir, String procsFile) {
        this.dir = dir;
        this.procsFile = procsFile;
    }

    static Optional<TestCpuset> create(String cpus) {
        String name = "smtcheck-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                int dash = line.indexOf(" - ");
                String[] before = line.substring(0, dash).split(" ");
                String[] after = line.substring(dash + 3).split(" ");
                Path mount = Path.of(before[4]);
                if (after[0].equals("cgroup") && List.of(after[2].split(",")).contains("cpuset")) {
                    Path d = mount.resolve(name);
                    Files.createDirectory(d);
                    TestCpuset c = new TestCpuset(d, "cgroup.procs");
                    Files.writeString(d.resolve("cpuset.cpus"), cpus);
                    Files.writeString(d.resolve("cpuset.mems"), Files.readString(mount.resolve("cpuset.mems")).trim());
                    return Optional.of(c);
                }
            }
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                int dash = line.indexOf(" - ");
                String[] before = line.substring(0, dash).split(" ");
                String[] after = line.substring(dash + 3).split(" ");
                Path mount = Path.of(before[4]);
                if (after[0].equals("cgroup2")
                        && List.of(Files.readString(mount.resolve("cgroup.controllers")).trim().split(" ")).contains("cpuset")) {
                    Files.writeString(mount.resolve("cgroup.subtree_control"), "+cpuset");
                    Path d = mount.resolve(name);
                    Files.createDirectory(d);
                    TestCpuset c = new TestCpuset(d, "cgroup.procs");
                    Files.writeString(d.resolve("cpuset.cpus"), cpus);
                    return Optional.of(c);
                }
            }
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }

    /** Moves a process (all its threads) into the cpuset. */
    void add(long pid) throws IOException {
        Files.writeString(dir.resolve(procsFile), Long.toString(pid));
    }

    @Override
    public void close() throws IOException {
        for (int i = 0; i < 50; i++) {
            try {
                Files.delete(dir);
                return;
            } catch (IOException e) {
                try {
                    Thread.sleep(100); // its processes are still exiting
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        Files.deleteIfExists(dir);
    }
}
