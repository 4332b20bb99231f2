// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.smtcheck.model.DataJson;
import io.smtcheck.model.Dataset;
import io.smtcheck.model.Profile;
import io.smtcheck.model.SyntheticDataset;
import io.smtcheck.profiles.ProfileStore;
import io.smtcheck.profiles.PublishedServer;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon's embedded store, reached by real commands in real processes: by root through the
 * published socket, with no --data-dir on either side, and refused to an unprivileged user
 * (uid 65534), which must not be able to change what the daemon pins.
 */
class StoreAccessTest {
    private static final Path SETPRIV = Path.of("/usr/bin/setpriv");

    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    @Test
    void onlyRootReachesTheDaemonsStoreAndBothUseTheDefaultDirectory() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root, to run a command as uid 65534");
        assumeTrue(Files.isExecutable(SETPRIV), "needs setpriv");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path store = dir.resolve("store");
        Path run = dir.resolve("run");
        Profile like = SyntheticDataset.generate(SyntheticDataset.SEED).profiles().get(0);
        Path rootsFile = dataFile("roots.json", new Profile(901, "roots-job", like.match(), like.workers(),
                like.singleIpc(), like.l3CacheIpc(), like.resources()));
        Path othersFile = dataFile("others.json", new Profile(902, "anything", like.match(), like.workers(),
                like.singleIpc(), like.l3CacheIpc(), like.resources()));
        List<String> cp = readableClasspath();
        // The default directory, through the variable, so that the test need not write /var/lib.
        // An empty configuration file keeps the host's /etc/smtcheck/smtcheck.conf out of the test.
        Path emptyConfig = Files.writeString(dir.resolve("empty.conf"), "");
        Map<String, String> env = Map.of(ProfileStore.DATA_DIR_ENV, store.toString(), ConfigFile.ENV,
                emptyConfig.toString());

        Process daemon = java(cp, false, env, "run", "--userspace", "--dry-run", "--topology", "0", "--interval", "0.2",
                "--socket", run.resolve("control.sock").toString(), "--state-dir", run.toString(), "--model-dir",
                Path.of(System.getProperty("smtcheck.test.models", "trained_model")).toAbsolutePath().toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("daemon.log").toFile()).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!(PublishedServer.read(store).filter(s -> s.pid() == daemon.pid()).isPresent()
                    && Files.exists(run.resolve("control.sock"))) && System.nanoTime() < deadline) {
                assertTrue(daemon.isAlive(), Files.readString(dir.resolve("daemon.log")));
                Thread.sleep(100);
            }
            String socketUri = PublishedServer.read(store).orElseThrow(
                    () -> new AssertionError("no published store: " + log())).uri();
            assertTrue(socketUri.startsWith("mongodb://%2F") && socketUri.endsWith("store.sock"), socketUri);
            assertEquals(Set.of(), tcpListeners(daemon.pid()), "the store listens on no TCP port");
            assertEquals("rwx------", mode(store));
            assertEquals("rw-------", mode(store.resolve("store.sock")));

            // Root, with no --data-dir: the daemon's store, through its socket.
            Run imported = command(cp, false, env, "profiles", "import", rootsFile.toString());
            assertEquals(0, imported.code(), imported.toString());
            assertTrue(imported.err().contains("is in use by process " + daemon.pid()), imported.toString());
            Run byUri = command(cp, false, env, "profiles", "export", "--mongo-uri", socketUri);
            assertEquals(0, byUri.code(), byUri.toString());
            assertTrue(byUri.out().contains("roots-job"), byUri.toString());

            // Anyone else: refused, in one line, by the directory and by the socket itself.
            assertRefused(command(cp, true, env, "profiles", "import", othersFile.toString()));
            assertRefused(command(cp, true, env, "profiles", "import", "--data-dir", store.toString(), othersFile.toString()));
            assertRefused(command(cp, true, env, "profiles", "import", "--mongo-uri", socketUri, othersFile.toString()));
            Files.setPosixFilePermissions(store, PosixFilePermissions.fromString("rwxr-xr-x"));
            assertRefused(command(cp, true, env, "profiles", "import", "--mongo-uri", socketUri, othersFile.toString()));
            assertRefused(command(cp, true, env, "profiles", "export", "--mongo-uri", socketUri));
            assertRefused(command(cp, true, env, "profiles", "import", "--data-dir", store.toString(), othersFile.toString()));
        } finally {
            daemon.destroy();
            assertTrue(daemon.waitFor(30, TimeUnit.SECONDS), log());
        }
        // What the daemon had open is what root's import wrote to, and nothing else got in.
        try (ProfileStore opened = ProfileStore.embedded(store)) {
            assertEquals(List.of("roots-job"), opened.readAllProfiles().items().stream().map(Profile::name).toList());
        }
    }

    private void assertRefused(Run r) {
        assertEquals(ExitCodes.REFUSED, r.code(), r.toString());
        assertEquals(1, r.err().strip().lines().count(), r.toString());
        assertTrue(r.err().contains("permission denied: the profile store "), r.toString());
        assertFalse(r.err().contains("Exception"), r.toString());
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("daemon.log"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    private Path dataFile(String name, Profile p) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, DataJson.writeFile(new Dataset(List.of(), List.of(p), List.of())));
        Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r--r--"));
        return f;
    }

    private Run command(List<String> cp, boolean asNobody, Map<String, String> env, String... args) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = java(cp, asNobody, env, args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), String.join(" ", args));
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private ProcessBuilder java(List<String> cp, boolean asNobody, Map<String, String> env, String... args) {
        List<String> cmd = new ArrayList<>();
        if (asNobody) {
            cmd.addAll(List.of(SETPRIV.toString(), "--reuid=65534", "--regid=65534", "--clear-groups"));
        }
        cmd.addAll(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                String.join(File.pathSeparator, cp), Main.class.getName()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().putAll(env);
        if (asNobody) {
            pb.environment().put("HOME", dir.resolve("nobody-home").toString());
        }
        return pb;
    }

    /** This JVM's class path, with the jars copied where uid 65534 can read them (~/.m2 is root's). */
    private List<String> readableClasspath() throws IOException {
        Path lib = dir.resolve("lib");
        Files.createDirectories(lib);
        List<String> out = new ArrayList<>();
        int n = 0;
        for (Path entry : expanded()) {
            if (Files.isDirectory(entry)) {
                out.add(entry.toString());
            } else if (Files.isRegularFile(entry)) {
                Path copy = lib.resolve((n++) + "-" + entry.getFileName());
                Files.copy(entry, copy);
                Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("rw-r--r--"));
                out.add(copy.toString());
            }
        }
        return out;
    }

    /** Surefire may hand over one jar whose manifest names the real class path. */
    private static List<Path> expanded() throws IOException {
        List<Path> out = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e).toAbsolutePath();
            String manifestPath = null;
            if (p.toString().endsWith(".jar") && Files.isRegularFile(p)) {
                try (JarFile jar = new JarFile(p.toFile())) {
                    manifestPath = jar.getManifest() == null ? null
                            : jar.getManifest().getMainAttributes().getValue("Class-Path");
                }
            }
            if (manifestPath == null) {
                out.add(p);
                continue;
            }
            for (String u : manifestPath.trim().split("\\s+")) {
                out.add(u.startsWith("file:") ? Path.of(URI.create(u)) : p.getParent().resolve(u).normalize());
            }
        }
        return out;
    }

    /** The TCP ports a process listens on, from its socket inodes in /proc/net/tcp and tcp6. */
    private static Set<String> tcpListeners(long pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        Set<String> listening = new HashSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table)).subList(1, Files.readAllLines(Path.of(table)).size())) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && "0A".equals(f[3]) && inodes.contains(f[9])) {
                    listening.add(f[1]);
                }
            }
        }
        return listening;
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }
}
