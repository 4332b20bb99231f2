// SPDX-License-Identifier: GPL-2.0-only
package io.smtcheck.kernel;

/**
 * Constants of kernel/include/smtcheck_uapi.h, the kernel ABI (the same on x86-64 and arm64:
 * scripts/vm-test.sh --arch arm64 compares the layouts). The structures live in their own
 * classes; KernelAbiTest checks both against the C header.
 */
public final class Uapi {
    public static final int ABI_VERSION = 1;

    public static final String IPC_MONITOR_DEVICE = "/dev/IPC_monitor";
    public static final String RUNTIME_MONITOR_DEVICE = "/dev/runtime_monitor";

    // Shared table
    public static final int MAX_SLOTS = 4096;
    public static final int MASK_WORDS = MAX_SLOTS / 64;
    public static final int OFF_COUNT = 0;
    public static final int OFF_ACTIVE_MASK = 8;
    public static final int OFF_SLOTS = 528;
    public static final int SLOT_SIZE = 32;
    public static final int SHARED_SIZE = 131600;
    public static final int SLOT_OFF_SEQ = 0;
    public static final int SLOT_OFF_PGID = 4;
    public static final int SLOT_OFF_GLOBAL_JOBID = 8;
    public static final int SLOT_OFF_WORKER_NUM = 12;
    public static final int SLOT_OFF_CYCLES = 16;
    public static final int SLOT_OFF_INSTRUCTIONS = 24;

    // Counter modes (ipcmon_info.counter_mode)
    public static final int MODE_SOFTWARE = 0;
    public static final int MODE_HARDWARE = 1;
    public static final int RESET_ALL = -1;

    // ioctl numbers: dir << 30 | size << 16 | magic << 8 | nr, magic 0xB7
    public static final int RTMON_IOC_ADD_PGID = 0x4010b701;
    public static final int RTMON_IOC_REMOVE_PGID = 0x4008b702;
    public static final int RTMON_IOC_SET_THRESHOLD = 0x4004b703;
    public static final int RTMON_IOC_SET_DATA_LOADER_PID = 0x4004b704;
    public static final int RTMON_IOC_REQUEST_PROFILE = 0x4008b705;
    public static final int IPCMON_IOC_RESET = 0x4008b720;
    public static final int IPCMON_IOC_GET_INFO = 0x8020b721;
    public static final int IPCMON_IOC_GET_CPU_INFO = 0xc020b722;

    public static final int THRESHOLD_DEFAULT = 3600;
    public static final int THRESHOLD_MAX = 31536000;
    public static final int WORKERS_MAX = 4096;

    // Netlink
    public static final int NETLINK_PROTO = 31;
    public static final int NL_LONG_RUNNING = 0x10;
    public static final int NL_ACK = 0x11;
    public static final int NL_REGISTERED = 0x12;
    public static final int NL_RELEASED = 0x13;
    public static final int NL_REGISTER = 0x14;
    public static final int NLMSG_HDRLEN = 16;
    public static final int NLMSG_ERROR = 2;
    public static final int NLM_F_REQUEST = 1;
    public static final int NLM_F_ACK = 4;
    public static final int REASON_THRESHOLD = 0;
    public static final int REASON_REQUEST = 1;
    public static final int RELEASE_EXITED = 0;
    public static final int RELEASE_REMOVED = 1;

    private Uapi() {
    }
}
