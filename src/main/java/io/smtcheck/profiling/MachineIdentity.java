// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.profiling;

import io.smtcheck.model.Measurement;
import io.smtcheck.sched.Topology;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * This machine as profiling names it. Injector baselines depend on the CPU model and on which
 * CPUs share a core, so those two make the identity: hosts of one model and shape share
 * baselines through a shared store, and a change of either measures them anew.
 */
public final class MachineIdentity {
    private MachineIdentity() {
    }

    public static Measurement.Machine of(Topology topology) {
        String model = cpuModel();
        String shape = topology.toString();
        return new Measurement.Machine(digest(model + "\n" + shape), model, shape,
                read("/proc/sys/kernel/osrelease", ""), read("/proc/sys/kernel/hostname", ""));
    }

    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"), StandardCharsets.UTF_8)) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).strip().equals("model name")) {
                    String name = line.substring(colon + 1).strip();
                    if (!name.isEmpty()) {
                        return name;
                    }
                }
            }
        } catch (IOException e) {
            // Fall through: an unknown model still identifies this machine's baselines, if loosely.
        }
        return "unknown CPU (" + System.getProperty("os.arch") + ")";
    }

    private static String read(String file, String fallback) {
        try {
            return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return fallback;
        }
    }

    /** A short hex digest of {@code s}, for identities and journal groups. */
    static String digest(String s) {
        return digest(s.getBytes(StandardCharsets.UTF_8));
    }

    static String digest(byte[] bytes) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(bytes);
            return HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
