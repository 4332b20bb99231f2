// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.sched;

import io.smtcheck.os.NativeCallException;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/** CPU affinity of whole process groups: the one place where scheduling touches processes. */
public final class GroupAffinity {
    private GroupAffinity() {
    }

    /** How far a pin reached: processes of the group (with descendants) and threads pinned. */
    public record Result(int processes, int tasks) {
    }

    /**
     * Pins every thread of every process in group {@code pgid} and of their descendants to
     * {@code cpus}. Tasks that exit meanwhile are skipped; a group with no processes left gives
     * zero tasks.
     *
     * @throws IllegalArgumentException for an empty or out-of-range CPU set or a bad pgid
     * @throws NativeCallException      naming the task, for EPERM, EINVAL (no usable CPU) and the rest
     */
    public static Result pin(int pgid, Collection<Integer> cpus) {
        int[] set = cpus.stream().mapToInt(Integer::intValue).toArray();
        int[] r = NativeAffinity.setGroupAffinity(pgid, set);
        return new Result(r[0], r[1]);
    }

    /** The CPUs task {@code tid} may run on. */
    public static List<Integer> of(int tid) {
        return Arrays.stream(NativeAffinity.getAffinity(tid)).boxed().toList();
    }
}
