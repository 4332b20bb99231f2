// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * A running {@code smtcheck-inject}, pinned to one CPU, driven over its standard input: each
 * {@link #mark()} returns its work done so far, so its rate over any stretch of time is the
 * difference of two marks. Closing its standard input stops it.
 */
final class InjectorProcess implements AutoCloseable {
    /** The injector's progress since it was ready. */
    record Mark(long units, long cpuNanos, long wallNanos) {
        /** Work units per CPU second between {@code earlier} and this mark. */
        double rateSince(Mark earlier) {
            long cpu = cpuNanos - earlier.cpuNanos;
            if (cpu <= 0) {
                throw new IllegalStateException("the injector got no CPU time between two marks");
            }
            return (units - earlier.units) * 1e9 / cpu;
        }
    }

    private final Children children;
    private final Process process;
    private final BufferedReader out;
    private final Writer in;
    private final Path errors;
    private final String what;
    private boolean closed;

    private InjectorProcess(Children children, Process process, Path errors, String what) {
        this.children = children;
        this.process = process;
        this.errors = errors;
        this.what = what;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    /** Starts the injector of {@code resource} on {@code cpu} at {@code intensity} and waits until it is ready. */
    static InjectorProcess start(Children children, Path workDir, String resource, int cpu, double intensity)
            throws IOException {
        String what = "injector " + resource + " on CPU " + cpu + " at intensity " + level(intensity);
        Path errors = Files.createTempFile(workDir, "inject-", ".err");
        ProcessBuilder b = new ProcessBuilder(Tools.inject().toString(), "--resource", resource, "--cpu",
                Integer.toString(cpu), "--intensity", level(intensity))
                .redirectError(errors.toFile());
        InjectorProcess p = new InjectorProcess(children, children.start(b), errors, what);
        try {
            String line = p.out.readLine();
            if (!"ready".equals(line)) {
                throw p.failure("did not start", line);
            }
            return p;
        } catch (IOException | RuntimeException e) {
            p.close();
            throw e;
        }
    }

    long pid() {
        return process.pid();
    }

    /** Its progress now. */
    Mark mark() throws IOException {
        in.write("mark\n");
        in.flush();
        String line = out.readLine();
        String[] f = line == null ? new String[0] : line.split(" ");
        if (f.length != 4 || !f[0].equals("mark")) {
            throw failure("answered a mark with", line);
        }
        try {
            return new Mark(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]));
        } catch (NumberFormatException e) {
            throw failure("answered a mark with", line);
        }
    }

    private IOException failure(String what, String line) {
        children.checkCancelled();
        String err = "";
        try {
            if (!process.isAlive() || process.waitFor(200, TimeUnit.MILLISECONDS)) {
                err = Files.readString(errors).strip();
            }
        } catch (IOException e) {
            err = "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return new IOException(this.what + " " + what + " " + (line == null ? "nothing (it exited)" : "'" + line + "'")
                + (err.isEmpty() ? "" : ": " + err.replaceAll("\\s*\\R\\s*", " / ")));
    }

    /** Stops it (end of input, then a kill if it lingers) and waits for it. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            in.close();
        } catch (IOException e) {
            // It has gone already.
        }
        children.reap(process, 2);
        try {
            out.close();
            Files.deleteIfExists(errors);
        } catch (IOException e) {
            // Only a temporary file of a finished process.
        }
    }

    static String level(double intensity) {
        return String.format(Locale.ROOT, "%.4g", intensity);
    }
}
