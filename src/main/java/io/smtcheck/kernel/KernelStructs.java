// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.kernel;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.Structure.FieldOrder;
import java.util.List;

/**
 * The structures of kernel/include/smtcheck_uapi.h and the socket structures around them, field
 * for field. KernelAbiTest compares every size and offset with the C compiler's.
 */
public final class KernelStructs {
    private KernelStructs() {
    }

    /** A structure whose layout can be checked field by field. */
    public abstract static class Checked extends Structure {
        Checked() {
            super(ALIGN_GNUC);
        }

        Checked(Pointer p) {
            super(p, ALIGN_GNUC);
        }

        public int offsetOf(String field) {
            return fieldOffset(field);
        }

        public List<String> fields() {
            return getFieldOrder();
        }
    }

    /** struct pgid_slot_user: one row of the shared table. The reader uses the same offsets. */
    @FieldOrder({"seq", "pgid", "global_jobid", "worker_num", "cycles", "instructions"})
    public static class PgidSlotUser extends Checked {
        public int seq;
        public int pgid;
        public int global_jobid;
        public int worker_num;
        public long cycles;
        public long instructions;
    }

    @FieldOrder({"slot", "flags"})
    public static class IpcmonResetArgs extends Checked {
        public int slot;
        public int flags;
    }

    @FieldOrder({"abi_version", "counter_mode", "nr_slots", "table_size", "map_size", "flush_interval_ms",
        "reserved"})
    public static class IpcmonInfo extends Checked {
        public int abi_version;
        public int counter_mode;
        public int nr_slots;
        public int table_size;
        public int map_size;
        public int flush_interval_ms;
        public int[] reserved = new int[2];
    }

    /** struct ipcmon_cpu_info: how one CPU is counted (IPCMON_IOC_GET_CPU_INFO). */
    @FieldOrder({"cpu", "mode", "flags", "reserved", "flush_ticks", "recoveries"})
    public static class IpcmonCpuInfo extends Checked {
        public int cpu;
        public int mode;
        public int flags;
        public int reserved;
        public long flush_ticks;
        public long recoveries;
    }

    @FieldOrder({"pgid", "global_jobid", "worker_num", "flags"})
    public static class RtmonAddPgidArgs extends Checked {
        public int pgid;
        public int global_jobid;
        public int worker_num;
        public int flags;
    }

    @FieldOrder({"pgid", "reserved"})
    public static class RtmonPgidArgs extends Checked {
        public int pgid;
        public int reserved;
    }

    /** struct nlmsghdr. */
    @FieldOrder({"nlmsg_len", "nlmsg_type", "nlmsg_flags", "nlmsg_seq", "nlmsg_pid"})
    public static class NlMsgHdr extends Checked {
        public int nlmsg_len;
        public short nlmsg_type;
        public short nlmsg_flags;
        public int nlmsg_seq;
        public int nlmsg_pid;

        public NlMsgHdr() {
        }

        public NlMsgHdr(Pointer p) {
            super(p);
            read();
        }
    }

    @FieldOrder({"pgid", "global_jobid", "worker_num", "reason", "runtime_sec"})
    public static class NlLongRunning extends Checked {
        public int pgid;
        public int global_jobid;
        public int worker_num;
        public int reason;
        public long runtime_sec;

        public NlLongRunning() {
        }

        public NlLongRunning(Pointer p) {
            super(p);
            read();
        }
    }

    @FieldOrder({"pgid", "global_jobid"})
    public static class NlAck extends Checked {
        public int pgid;
        public int global_jobid;

        public NlAck() {
        }

        public NlAck(Pointer p) {
            super(p);
            read();
        }
    }

    @FieldOrder({"pgid", "global_jobid", "slot", "reserved"})
    public static class NlRegistered extends Checked {
        public int pgid;
        public int global_jobid;
        public int slot;
        public int reserved;

        public NlRegistered() {
        }

        public NlRegistered(Pointer p) {
            super(p);
            read();
        }
    }

    @FieldOrder({"pgid", "global_jobid", "slot", "reason"})
    public static class NlReleased extends Checked {
        public int pgid;
        public int global_jobid;
        public int slot;
        public int reason;

        public NlReleased() {
        }

        public NlReleased(Pointer p) {
            super(p);
            read();
        }
    }

    /** struct rtmon_nl_register: the data loader's registration, both fields 0. */
    @FieldOrder({"flags", "reserved"})
    public static class NlRegister extends Checked {
        public int flags;
        public int reserved;
    }

    /** struct sockaddr_nl. */
    @FieldOrder({"nl_family", "nl_pad", "nl_pid", "nl_groups"})
    public static class SockaddrNl extends Checked {
        public short nl_family;
        public short nl_pad;
        public int nl_pid;
        public int nl_groups;
    }

    /** struct timeval, for SO_RCVTIMEO. */
    @FieldOrder({"tv_sec", "tv_usec"})
    public static class Timeval extends Checked {
        public long tv_sec;
        public long tv_usec;
    }
}
