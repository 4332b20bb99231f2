// SPDX-License-Identifier: GPL-2.0-only
/*
 * Prints the size of every structure the daemon shares with the kernel, and the offset of each of
 * their fields, as the C compiler lays them out from the uapi header. KernelAbiTest compares the
 * Java mirror against this output: "struct size N" and "struct.field offset N" lines.
 */
#include <linux/netlink.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/time.h>

#include "smtcheck_uapi.h"

#define SIZE(s) printf("%s size %zu\n", #s, sizeof(struct s))
#define FIELD(s, f) printf("%s.%s offset %zu\n", #s, #f, offsetof(struct s, f))

int main(void)
{
	SIZE(ipc_shared);
	FIELD(ipc_shared, count);
	FIELD(ipc_shared, active_mask);
	FIELD(ipc_shared, slots);

	SIZE(pgid_slot_user);
	FIELD(pgid_slot_user, seq);
	FIELD(pgid_slot_user, pgid);
	FIELD(pgid_slot_user, global_jobid);
	FIELD(pgid_slot_user, worker_num);
	FIELD(pgid_slot_user, cycles);
	FIELD(pgid_slot_user, instructions);

	SIZE(ipcmon_reset_args);
	FIELD(ipcmon_reset_args, slot);
	FIELD(ipcmon_reset_args, flags);

	SIZE(ipcmon_info);
	FIELD(ipcmon_info, abi_version);
	FIELD(ipcmon_info, counter_mode);
	FIELD(ipcmon_info, nr_slots);
	FIELD(ipcmon_info, table_size);
	FIELD(ipcmon_info, map_size);
	FIELD(ipcmon_info, flush_interval_ms);
	FIELD(ipcmon_info, reserved);

	SIZE(ipcmon_cpu_info);
	FIELD(ipcmon_cpu_info, cpu);
	FIELD(ipcmon_cpu_info, mode);
	FIELD(ipcmon_cpu_info, flags);
	FIELD(ipcmon_cpu_info, reserved);
	FIELD(ipcmon_cpu_info, flush_ticks);
	FIELD(ipcmon_cpu_info, recoveries);

	SIZE(rtmon_add_pgid_args);
	FIELD(rtmon_add_pgid_args, pgid);
	FIELD(rtmon_add_pgid_args, global_jobid);
	FIELD(rtmon_add_pgid_args, worker_num);
	FIELD(rtmon_add_pgid_args, flags);

	SIZE(rtmon_pgid_args);
	FIELD(rtmon_pgid_args, pgid);
	FIELD(rtmon_pgid_args, reserved);

	SIZE(rtmon_nl_long_running);
	FIELD(rtmon_nl_long_running, pgid);
	FIELD(rtmon_nl_long_running, global_jobid);
	FIELD(rtmon_nl_long_running, worker_num);
	FIELD(rtmon_nl_long_running, reason);
	FIELD(rtmon_nl_long_running, runtime_sec);

	SIZE(rtmon_nl_ack);
	FIELD(rtmon_nl_ack, pgid);
	FIELD(rtmon_nl_ack, global_jobid);

	SIZE(rtmon_nl_registered);
	FIELD(rtmon_nl_registered, pgid);
	FIELD(rtmon_nl_registered, global_jobid);
	FIELD(rtmon_nl_registered, slot);
	FIELD(rtmon_nl_registered, reserved);

	SIZE(rtmon_nl_released);
	FIELD(rtmon_nl_released, pgid);
	FIELD(rtmon_nl_released, global_jobid);
	FIELD(rtmon_nl_released, slot);
	FIELD(rtmon_nl_released, reason);

	SIZE(rtmon_nl_register);
	FIELD(rtmon_nl_register, flags);
	FIELD(rtmon_nl_register, reserved);

	SIZE(nlmsghdr);
	FIELD(nlmsghdr, nlmsg_len);
	FIELD(nlmsghdr, nlmsg_type);
	FIELD(nlmsghdr, nlmsg_flags);
	FIELD(nlmsghdr, nlmsg_seq);
	FIELD(nlmsghdr, nlmsg_pid);

	SIZE(sockaddr_nl);
	FIELD(sockaddr_nl, nl_family);
	FIELD(sockaddr_nl, nl_pad);
	FIELD(sockaddr_nl, nl_pid);
	FIELD(sockaddr_nl, nl_groups);

	printf("ioctl RTMON_IOC_ADD_PGID %lu\n", (unsigned long)RTMON_IOC_ADD_PGID);
	printf("ioctl RTMON_IOC_REMOVE_PGID %lu\n", (unsigned long)RTMON_IOC_REMOVE_PGID);
	printf("ioctl RTMON_IOC_SET_THRESHOLD %lu\n", (unsigned long)RTMON_IOC_SET_THRESHOLD);
	printf("ioctl RTMON_IOC_SET_DATA_LOADER_PID %lu\n", (unsigned long)RTMON_IOC_SET_DATA_LOADER_PID);
	printf("ioctl RTMON_IOC_REQUEST_PROFILE %lu\n", (unsigned long)RTMON_IOC_REQUEST_PROFILE);
	printf("ioctl IPCMON_IOC_RESET %lu\n", (unsigned long)IPCMON_IOC_RESET);
	printf("ioctl IPCMON_IOC_GET_INFO %lu\n", (unsigned long)IPCMON_IOC_GET_INFO);
	printf("ioctl IPCMON_IOC_GET_CPU_INFO %lu\n", (unsigned long)IPCMON_IOC_GET_CPU_INFO);
	printf("const SMTCHECK_NETLINK_PROTO %d\n", SMTCHECK_NETLINK_PROTO);
	printf("const RTMON_NL_LONG_RUNNING %d\n", RTMON_NL_LONG_RUNNING);
	printf("const RTMON_NL_ACK %d\n", RTMON_NL_ACK);
	printf("const RTMON_NL_REGISTERED %d\n", RTMON_NL_REGISTERED);
	printf("const RTMON_NL_RELEASED %d\n", RTMON_NL_RELEASED);
	printf("const RTMON_NL_REGISTER %d\n", RTMON_NL_REGISTER);
	printf("const NLMSG_ERROR %d\n", NLMSG_ERROR);
	printf("const NLM_F_REQUEST %d\n", NLM_F_REQUEST);
	printf("const NLM_F_ACK %d\n", NLM_F_ACK);
	printf("const SMTCHECK_ABI_VERSION %d\n", SMTCHECK_ABI_VERSION);
	printf("const IPCMON_MAX_SLOTS %d\n", IPCMON_MAX_SLOTS);
	return 0;
}
