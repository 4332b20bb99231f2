/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * smtcheck_uapi.h - the one ABI shared by IPC_monitor.ko, runtime_monitor.ko,
 * the C tests and the userspace daemon (whose Java mirror must follow it
 * byte for byte).
 *
 * Everything here is fixed-width and explicitly padded; the sizes and
 * offsets below are asserted at compile time (in this header) and checked
 * again at run time by kernel/tests/test_abi.c.  Only x86-64 (LP64,
 * little-endian) is supported by the modules.
 *
 * ---------------------------------------------------------------------------
 * 1. Shared counter table (/dev/IPC_monitor, mmap, offset 0)
 * ---------------------------------------------------------------------------
 *
 *   struct ipc_shared                                  size 131600 (0x20210)
 *     off    0  __s32 count          active slots; equals popcount(active_mask)
 *                                      except for an instant while a slot is
 *                                      claimed or released (the two are
 *                                      written one after the other): a reader
 *                                      that needs them to agree counts the bits
 *     off    4  __u32 __pad0         always 0
 *     off    8  __u64 active_mask[64]  slot i active <=> bit (i % 64) of
 *                                      word (i / 64); 512 bytes
 *     off  520  (8 bytes implicit padding: slots are 16-byte aligned)
 *     off  528  struct pgid_slot_user slots[4096]     32 bytes each
 *
 *   struct pgid_slot_user                              size 32, align 16
 *     off  0  __u32 seq           even = stable, odd = being written
 *     off  4  __s32 pgid          0 = free slot
 *     off  8  __s32 global_jobid
 *     off 12  __s32 worker_num
 *     off 16  __u64 cycles        hardware mode: CPU cycles;
 *                                 software mode: on-CPU nanoseconds
 *     off 24  __u64 instructions  hardware mode: instructions retired;
 *                                 software mode: always 0
 *
 * This is the original SMTcheck's layout (count was an atomic_t, active_mask an
 * unsigned long[64]; both are the same bytes on x86-64).  mmap() maps
 * IPCMON_MAP_SIZE bytes (the table rounded up to whole pages, 135168 with
 * 4 KiB pages).  A writable mapping is MAP_SHARED only and needs CAP_PERFMON
 * (or CAP_SYS_ADMIN) when mapped, and O_RDWR; a write through it changes
 * nothing the kernel does (the kernel keeps its own copy and never reads the
 * table) but what every reader sees, until the kernel next writes there:
 * count and active_mask at the next fold, a slot when its counts next
 * change or it is claimed, reset or released.
 *
 * Reading a slot (seqlock protocol):
 *   do {
 *           s1 = load_acquire(&slot->seq);
 *           if (s1 & 1) continue;              (writer active, retry)
 *           copy pgid, global_jobid, worker_num, cycles, instructions;
 *           acquire fence (smp_rmb);
 *           s2 = load(&slot->seq);
 *   } while ((s1 & 1) || s1 != s2);
 * The kernel makes seq odd, issues smp_wmb(), writes the fields, issues
 * smp_wmb(), makes seq even again.  A claimed slot is fully written before
 * its active_mask bit is set; a released slot's bit is cleared before the
 * slot is zeroed.  A free slot reads as all zero (except seq).
 *
 * ---------------------------------------------------------------------------
 * 2. ioctls
 * ---------------------------------------------------------------------------
 * Both devices are misc devices, mode 0600 root.  Every command below that
 * changes state requires a capability in the initial user namespace at the
 * time of the call (-EPERM otherwise): RTMON_IOC_SET_DATA_LOADER_PID needs
 * CAP_SYS_ADMIN, IPCMON_IOC_RESET and the other runtime_monitor commands
 * CAP_PERFMON (or CAP_SYS_ADMIN); IPCMON_IOC_GET_INFO,
 * IPCMON_IOC_GET_CPU_INFO and a read-only mmap() need only an open file.  runtime_monitor
 * refuses callers outside the initial pid namespace with -EPERM (pids and
 * pgids are numbers of that namespace).
 * Errors: -EFAULT bad pointer, -ENOTTY unknown command,
 * -EINVAL bad value or non-zero reserved field, -ESRCH no such group/process
 * or inactive slot, -EEXIST already registered, -ENOSPC table full, -EPERM
 * missing capability or other pid namespace, -ENOTCONN no data loader
 * registered (REQUEST_PROFILE only).
 *
 * ---------------------------------------------------------------------------
 * 3. Netlink (protocol SMTCHECK_NETLINK_PROTO = 31, unicast only)
 * ---------------------------------------------------------------------------
 * runtime_monitor owns a kernel netlink socket of unit 31 in the initial
 * network namespace.  Every message is one struct nlmsghdr (16 bytes)
 * followed by exactly one payload struct below; nlmsg_len ==
 * NLMSG_LENGTH(sizeof(payload)).  Kernel messages carry nlmsg_pid 0 and are
 * unicast to the data loader's port; nothing is multicast.
 *
 *   RTMON_NL_REGISTER     (u->k)  struct rtmon_nl_register, answered with
 *                                 NLMSG_ERROR (see below)
 *   RTMON_NL_LONG_RUNNING (k->u)  struct rtmon_nl_long_running
 *   RTMON_NL_ACK          (u->k)  struct rtmon_nl_ack
 *   RTMON_NL_REGISTERED   (k->u)  struct rtmon_nl_registered, reply to ACK,
 *                                 nlmsg_seq echoes the ACK's nlmsg_seq
 *   RTMON_NL_RELEASED     (k->u)  struct rtmon_nl_released
 *
 * The data loader is the socket that registered (RTMON_NL_REGISTER): the
 * kernel records the port that socket has (bind it with nl_pid 0 and let
 * the kernel choose) and the sending process, and sends to that port only.
 * A REGISTER needs CAP_PERFMON (or CAP_SYS_ADMIN) in the initial user
 * namespace, both in the process that opened the socket and in the one
 * that sends, and a sender in the initial pid namespace (-EPERM); if
 * RTMON_IOC_SET_DATA_LOADER_PID named a process, only that one (-EPERM);
 * flags and reserved must be 0 (-EINVAL); while another process is
 * registered, -EEXIST (the same process may register again from a new
 * socket).  The answer is an NLMSG_ERROR (struct nlmsgerr) with the error,
 * or with 0 if the request had NLM_F_ACK; it is the first message the new
 * data loader gets.  Registering makes every group reportable again.  The
 * registration ends when that socket is closed, or when a message to it is
 * refused (ECONNREFUSED).
 *
 * An ACK is accepted only if it is well formed (type RTMON_NL_ACK, exact
 * length), comes from the registered data loader's port and from a sender
 * holding CAP_PERFMON (or CAP_SYS_ADMIN) in the initial pid namespace;
 * anything else is dropped without reply.  A well-formed ACK for an unknown
 * pgid, a wrong job id or a full table is answered with RTMON_NL_REGISTERED
 * whose slot is a negative errno (-ESRCH, -EINVAL, -ENOSPC).  Repeating an
 * ACK for a group that already holds a slot answers that slot again.
 *
 * A RELEASED message that finds the reader's queue full is retried for a
 * few scans; by then its slot may already belong to another group.  Match
 * RELEASED to a group by (pgid, global_jobid), never by slot.
 */
#ifndef _UAPI_SMTCHECK_H
#define _UAPI_SMTCHECK_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define SMTCHECK_ABI_VERSION		1

/* ---- shared table ------------------------------------------------------ */

#define IPCMON_MAX_SLOTS		4096
#define IPCMON_MASK_WORDS		(IPCMON_MAX_SLOTS / 64)

struct pgid_slot_user {
	__u32 seq;
	__s32 pgid;
	__s32 global_jobid;
	__s32 worker_num;
	__u64 cycles;
	__u64 instructions;
} __attribute__((aligned(16)));

struct ipc_shared {
	__s32 count;
	__u32 __pad0;
	__u64 active_mask[IPCMON_MASK_WORDS];
	struct pgid_slot_user slots[IPCMON_MAX_SLOTS];
};

#define IPCMON_OFF_COUNT		0
#define IPCMON_OFF_ACTIVE_MASK		8
#define IPCMON_OFF_SLOTS		528
#define IPCMON_SLOT_SIZE		32
#define IPCMON_SHARED_SIZE		131600	/* 528 + 4096 * 32 */
#define IPCMON_MAP_SIZE_4K		135168	/* rounded up to 4 KiB pages */

#define PGID_SLOT_OFF_SEQ		0
#define PGID_SLOT_OFF_PGID		4
#define PGID_SLOT_OFF_GLOBAL_JOBID	8
#define PGID_SLOT_OFF_WORKER_NUM	12
#define PGID_SLOT_OFF_CYCLES		16
#define PGID_SLOT_OFF_INSTRUCTIONS	24

/* ---- /dev/IPC_monitor ioctls ---------------------------------------- */

#define SMTCHECK_IOC_MAGIC		0xB7

/* counter modes, as in struct ipcmon_info.counter_mode */
#define IPCMON_MODE_SOFTWARE		0	/* cycles = on-CPU ns */
#define IPCMON_MODE_HARDWARE		1	/* perf cycles/instructions */

/* IPCMON_IOC_RESET: zero cycles and instructions of one slot or all */
#define IPCMON_RESET_ALL		(-1)
struct ipcmon_reset_args {
	__s32 slot;		/* 0..4095, or IPCMON_RESET_ALL */
	__u32 flags;		/* must be 0 */
};

/* IPCMON_IOC_GET_INFO: describes the running module */
struct ipcmon_info {
	__u32 abi_version;	/* SMTCHECK_ABI_VERSION */
	__u32 counter_mode;	/* IPCMON_MODE_* */
	__u32 nr_slots;		/* IPCMON_MAX_SLOTS */
	__u32 table_size;	/* sizeof(struct ipc_shared) */
	__u32 map_size;		/* bytes mmap() accepts (page multiple) */
	__u32 flush_interval_ms; /* running tasks are charged this often */
	__u32 reserved[2];	/* 0 */
};

#define IPCMON_IOC_RESET	_IOW(SMTCHECK_IOC_MAGIC, 0x20, struct ipcmon_reset_args)
#define IPCMON_IOC_GET_INFO	_IOR(SMTCHECK_IOC_MAGIC, 0x21, struct ipcmon_info)

/*
 * IPCMON_IOC_GET_CPU_INFO: how one CPU is counted.  Set cpu (and reserved
 * to 0), get the rest; -EINVAL for cpu >= the number of CPU ids, so a
 * caller can walk 0, 1, ... until then.  Needs only an open file.
 */
#define IPCMON_CPU_NONE			0	/* not counted */
#define IPCMON_CPU_SOFTWARE		1	/* on-CPU nanoseconds */
#define IPCMON_CPU_HARDWARE		2	/* perf cycles/instructions */

#define IPCMON_CPU_ONLINE		0x1
/*
 * isolated from timers (nohz_full): running tasks are charged only when
 * they are switched out
 */
#define IPCMON_CPU_NO_FLUSH		0x2
/* hardware mode: counters missing or in error, being recovered */
#define IPCMON_CPU_HW_ERROR		0x4

struct ipcmon_cpu_info {
	__u32 cpu;		/* in */
	__u32 mode;		/* IPCMON_CPU_NONE/SOFTWARE/HARDWARE */
	__u32 flags;		/* IPCMON_CPU_ONLINE | ... */
	__u32 reserved;		/* in: must be 0; out: 0 */
	__u64 flush_ticks;	/* flush-timer expiries on this CPU since load */
	/* times its hardware counters were re-enabled (from ERROR) or recreated */
	__u64 recoveries;
};

#define IPCMON_IOC_GET_CPU_INFO	_IOWR(SMTCHECK_IOC_MAGIC, 0x22, struct ipcmon_cpu_info)

/* ---- /dev/runtime_monitor ioctls ------------------------------------ */

#define RTMON_THRESHOLD_DEFAULT		3600		/* seconds */
#define RTMON_THRESHOLD_MAX		31536000	/* one year */
#define RTMON_WORKERS_MAX		4096

/* RTMON_IOC_ADD_PGID: register an existing process group */
struct rtmon_add_pgid_args {
	__s32 pgid;		/* > 0, a live process group */
	__s32 global_jobid;	/* >= 0 */
	__s32 worker_num;	/* 1..RTMON_WORKERS_MAX */
	__u32 flags;		/* must be 0 */
};

/* RTMON_IOC_REMOVE_PGID, RTMON_IOC_REQUEST_PROFILE */
struct rtmon_pgid_args {
	__s32 pgid;		/* > 0, registered */
	__u32 reserved;		/* must be 0 */
};

#define RTMON_IOC_ADD_PGID		_IOW(SMTCHECK_IOC_MAGIC, 0x01, struct rtmon_add_pgid_args)
#define RTMON_IOC_REMOVE_PGID		_IOW(SMTCHECK_IOC_MAGIC, 0x02, struct rtmon_pgid_args)
/* argument: __u32 seconds, 1..RTMON_THRESHOLD_MAX */
#define RTMON_IOC_SET_THRESHOLD		_IOW(SMTCHECK_IOC_MAGIC, 0x03, __u32)
/*
 * argument: __s32 pid of the only process that may register as the data
 * loader, 0 = any process with CAP_PERFMON.  It no longer chooses the port
 * messages go to (RTMON_NL_REGISTER does); a registered loader that is not
 * this process loses its registration.
 */
#define RTMON_IOC_SET_DATA_LOADER_PID	_IOW(SMTCHECK_IOC_MAGIC, 0x04, __s32)
#define RTMON_IOC_REQUEST_PROFILE	_IOW(SMTCHECK_IOC_MAGIC, 0x05, struct rtmon_pgid_args)

/*
 * Numeric values on x86-64 (dir << 30 | size << 16 | magic << 8 | nr):
 *   RTMON_IOC_ADD_PGID            0x4010b701
 *   RTMON_IOC_REMOVE_PGID         0x4008b702
 *   RTMON_IOC_SET_THRESHOLD       0x4004b703
 *   RTMON_IOC_SET_DATA_LOADER_PID 0x4004b704
 *   RTMON_IOC_REQUEST_PROFILE     0x4008b705
 *   IPCMON_IOC_RESET              0x4008b720
 *   IPCMON_IOC_GET_INFO           0x8020b721
 *   IPCMON_IOC_GET_CPU_INFO       0xc020b722
 */

/* ---- the original SMTcheck's ioctls ----------------------------------- */

/*
 * The original SMTcheck's modules' ABI, accepted beside ours on the same
 * devices so that its tools work unchanged.  Its numbers and argument
 * layouts (plain ints, no flags) are fixed by that system, not by us; each
 * command acts exactly as ours on the same groups and settings, with our
 * validation and capability rules.  Differences, kept from the original:
 * REMOVE_PGID and REQUEST_PROFILE answer -ENOENT for a group that is not
 * registered, and REQUEST_PROFILE takes a pid (its process group is the
 * one meant).  SET_DATA_LOADER_PID chose the port of the original's text
 * netlink protocol, which is not carried over (the smtcheck daemon is the
 * data loader): once validated like ours it is refused, -EOPNOTSUPP.
 * IPCMON_ORIG_IOC_RESET_COUNTERS zeroes every slot and takes no argument.
 */
struct rtmon_orig_add_pgid_args {
	__s32 pgid;
	__s32 global_jobid;
	__s32 worker_num;
};

#define RTMON_ORIG_IOC_MAGIC		'k'
#define IPCMON_ORIG_IOC_MAGIC		'I'

#define RTMON_ORIG_IOC_ADD_PGID		\
	_IOW(RTMON_ORIG_IOC_MAGIC, 0, struct rtmon_orig_add_pgid_args)
/* argument of the four below: an int (__s32) */
#define RTMON_ORIG_IOC_REMOVE_PGID	_IOW(RTMON_ORIG_IOC_MAGIC, 1, __s32)
#define RTMON_ORIG_IOC_SET_THRESHOLD	_IOW(RTMON_ORIG_IOC_MAGIC, 2, __s32)
#define RTMON_ORIG_IOC_SET_DATA_LOADER_PID _IOW(RTMON_ORIG_IOC_MAGIC, 3, __s32)
#define RTMON_ORIG_IOC_REQUEST_PROFILE	_IOW(RTMON_ORIG_IOC_MAGIC, 4, __s32)
#define IPCMON_ORIG_IOC_RESET_COUNTERS	_IO(IPCMON_ORIG_IOC_MAGIC, 0)

/*
 * Numeric values (the original's, on x86-64):
 *   RTMON_ORIG_IOC_ADD_PGID             0x400c6b00
 *   RTMON_ORIG_IOC_REMOVE_PGID          0x40046b01
 *   RTMON_ORIG_IOC_SET_THRESHOLD        0x40046b02
 *   RTMON_ORIG_IOC_SET_DATA_LOADER_PID  0x40046b03
 *   RTMON_ORIG_IOC_REQUEST_PROFILE      0x40046b04
 *   IPCMON_ORIG_IOC_RESET_COUNTERS      0x00004900
 */

/* ---- netlink --------------------------------------------------------- */

#define SMTCHECK_NETLINK_PROTO		31

#define RTMON_NL_LONG_RUNNING		0x10
#define RTMON_NL_ACK			0x11
#define RTMON_NL_REGISTERED		0x12
#define RTMON_NL_RELEASED		0x13

/* rtmon_nl_long_running.reason */
#define RTMON_REASON_THRESHOLD		0	/* ran past the threshold */
#define RTMON_REASON_REQUEST		1	/* RTMON_IOC_REQUEST_PROFILE */

struct rtmon_nl_long_running {
	__s32 pgid;
	__s32 global_jobid;
	__s32 worker_num;
	__u32 reason;		/* RTMON_REASON_* */
	__u64 runtime_sec;	/* since the group's oldest process started */
};

struct rtmon_nl_ack {
	__s32 pgid;
	__s32 global_jobid;
};

struct rtmon_nl_registered {
	__s32 pgid;
	__s32 global_jobid;
	__s32 slot;		/* >= 0: slot index; < 0: -errno */
	__u32 reserved;		/* 0 */
};

/* rtmon_nl_released.reason */
#define RTMON_RELEASE_EXITED		0	/* every process has exited */
#define RTMON_RELEASE_REMOVED		1	/* RTMON_IOC_REMOVE_PGID */

struct rtmon_nl_released {
	__s32 pgid;
	__s32 global_jobid;
	/* slot that was freed, -1 if it held none; may be reused already: key on pgid+jobid */
	__s32 slot;
	__u32 reason;		/* RTMON_RELEASE_* */
};

/* ---- netlink registration (runtime_monitor) --------------------------- */

#define RTMON_NL_REGISTER		0x14

struct rtmon_nl_register {
	__u32 flags;		/* must be 0 */
	__u32 reserved;		/* must be 0 */
};

/* ---- compile-time checks ------------------------------------------- */

#ifdef __cplusplus
#define SMTCHECK_STATIC_ASSERT(c, m) static_assert(c, m)
#else
#define SMTCHECK_STATIC_ASSERT(c, m) _Static_assert(c, m)
#endif

SMTCHECK_STATIC_ASSERT(sizeof(struct pgid_slot_user) == IPCMON_SLOT_SIZE,
		       "pgid_slot_user size");
SMTCHECK_STATIC_ASSERT(__builtin_offsetof(struct pgid_slot_user, cycles) ==
		       PGID_SLOT_OFF_CYCLES, "pgid_slot_user.cycles");
SMTCHECK_STATIC_ASSERT(__builtin_offsetof(struct pgid_slot_user, instructions) ==
		       PGID_SLOT_OFF_INSTRUCTIONS, "pgid_slot_user.instructions");
SMTCHECK_STATIC_ASSERT(__builtin_offsetof(struct ipc_shared, active_mask) ==
		       IPCMON_OFF_ACTIVE_MASK, "ipc_shared.active_mask");
SMTCHECK_STATIC_ASSERT(__builtin_offsetof(struct ipc_shared, slots) ==
		       IPCMON_OFF_SLOTS, "ipc_shared.slots");
SMTCHECK_STATIC_ASSERT(sizeof(struct ipc_shared) == IPCMON_SHARED_SIZE,
		       "ipc_shared size");
SMTCHECK_STATIC_ASSERT(sizeof(struct ipcmon_reset_args) == 8, "reset args");
SMTCHECK_STATIC_ASSERT(sizeof(struct ipcmon_info) == 32, "ipcmon_info");
SMTCHECK_STATIC_ASSERT(sizeof(struct ipcmon_cpu_info) == 32, "ipcmon_cpu_info");
SMTCHECK_STATIC_ASSERT(sizeof(struct rtmon_add_pgid_args) == 16, "add args");
SMTCHECK_STATIC_ASSERT(sizeof(struct rtmon_pgid_args) == 8, "pgid args");
SMTCHECK_STATIC_ASSERT(sizeof(struct rtmon_orig_add_pgid_args) == 12,
		       "original add args");
SMTCHECK_STATIC_ASSERT(sizeof(struct rtmon_nl_long_running) == 24,
		       "long_running");
SMTCHECK_STATIC_ASSERT(sizeof(struct rtmon_nl_ack) == 8, "ack");
SMTCHECK_STATIC_ASSERT(sizeof(struct rtmon_nl_registered) == 16, "registered");
SMTCHECK_STATIC_ASSERT(sizeof(struct rtmon_nl_released) == 16, "released");
SMTCHECK_STATIC_ASSERT(sizeof(struct rtmon_nl_register) == 8, "register");

#endif /* _UAPI_SMTCHECK_H */
