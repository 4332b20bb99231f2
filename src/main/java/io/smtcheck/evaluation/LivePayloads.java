// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.evaluation;

import io.smtcheck.model.InvalidDataException;
import io.smtcheck.profiling.Tools;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a job of a live run starts: its own command from the trace, or a built-in payload, one of
 * the shipped injector's resources ({@code smtcheck-inject --list}) at an intensity:
 * {@code mem_bw} (intensity 1) or {@code mem_bw@0.5}. A built-in job's work is a number of the
 * injector's units, its seconds of work times the injector's rate alone.
 */
public final class LivePayloads {
    /** The shipped injector's resources. */
    public static final List<String> RESOURCES = List.of("int_alu", "fp_unit", "l1d_capacity", "l2_capacity", "llc",
            "mem_bw", "branch_pred");

    private LivePayloads() {
    }

    /** A built-in payload: a resource and the intensity it runs at. */
    public record Injector(String resource, double intensity) {
        public Injector {
            if (!RESOURCES.contains(resource)) {
                throw new IllegalArgumentException("resource: '" + resource + "' is not one of " + RESOURCES);
            }
            if (!(intensity > 0 && intensity <= 1)) {
                throw new IllegalArgumentException("intensity: " + intensity + " is not in (0, 1]");
            }
        }

        /** The injector's command for {@code units} units of work, or unbounded with 0 (a calibration). */
        public List<String> command(long units) {
            List<String> c = new ArrayList<>(List.of(Tools.inject().toString(), "--resource", resource, "--intensity",
                    Double.toString(intensity)));
            if (units > 0) {
                c.addAll(List.of("--units", Long.toString(units)));
            }
            return c;
        }
    }

    /** The injector a payload names, or null for a job with its own command. */
    public static Injector injectorOf(Trace.Job job) {
        if (!job.command().isEmpty()) {
            return null;
        }
        String p = job.payload();
        int at = p.indexOf('@');
        String resource = at < 0 ? p : p.substring(0, at);
        double intensity = 1;
        if (at >= 0) {
            try {
                intensity = Double.parseDouble(p.substring(at + 1));
            } catch (NumberFormatException e) {
                intensity = Double.NaN;
            }
        }
        return new Injector(resource.toLowerCase(Locale.ROOT), intensity);
    }

    /**
     * Refuses a job that has no program to run: neither its own command nor a built-in payload.
     *
     * @throws InvalidDataException naming the job's line and payload
     */
    public static void requireRunnable(Trace trace, String source) {
        for (Trace.Job j : trace.jobs()) {
            try {
                injectorOf(j);
            } catch (IllegalArgumentException e) {
                String line = j.id().startsWith("j") ? "line " + j.id().substring(1) + ": " : "job " + j.id() + ": ";
                throw new InvalidDataException(source + ": " + line + "payload: '" + j.payload() + "' has no program to"
                        + " run live (" + e.getMessage() + "): use a built-in payload RESOURCE[@INTENSITY] or give the"
                        + " job's command after the payload");
            }
        }
    }
}
