// SPDX-License-Identifier: GPL-2.0
/* ABI: layout of the shared table and argument structs, devices, params. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ktest.h"

/* The original SMTcheck's layout, restated independently of the header's constants. */
_Static_assert(sizeof(struct pgid_slot_user) == 32, "slot size");
_Static_assert(_Alignof(struct pgid_slot_user) == 16, "slot align");
_Static_assert(offsetof(struct pgid_slot_user, seq) == 0, "seq");
_Static_assert(offsetof(struct pgid_slot_user, pgid) == 4, "pgid");
_Static_assert(offsetof(struct pgid_slot_user, global_jobid) == 8, "jobid");
_Static_assert(offsetof(struct pgid_slot_user, worker_num) == 12, "workers");
_Static_assert(offsetof(struct pgid_slot_user, cycles) == 16, "cycles");
_Static_assert(offsetof(struct pgid_slot_user, instructions) == 24, "instr");
_Static_assert(offsetof(struct ipc_shared, count) == 0, "count");
_Static_assert(offsetof(struct ipc_shared, active_mask) == 8, "mask");
_Static_assert(sizeof(((struct ipc_shared *)0)->active_mask) == 512, "mask len");
_Static_assert(offsetof(struct ipc_shared, slots) == 528, "slots");
_Static_assert(sizeof(struct ipc_shared) == 528 + 4096 * 32, "table size");

/* What the original SMTcheck's own declaration (atomic_t, unsigned long[64]) gives. */
struct seed_slot {
	uint32_t seq;
	int32_t pgid;
	int32_t global_jobid;
	int32_t worker_num;
	uint64_t cycles;
	uint64_t instructions;
} __attribute__((aligned(16)));

struct seed_shared {
	struct { int counter; } count;
	unsigned long active_mask[64];
	struct seed_slot slots[4096];
};

static volatile size_t sink;	/* keep the run-time checks at run time */

void test_abi_layout(void)
{
	size_t v[32], i = 0;

	v[i++] = sizeof(struct pgid_slot_user);
	v[i++] = offsetof(struct pgid_slot_user, pgid);
	v[i++] = offsetof(struct pgid_slot_user, global_jobid);
	v[i++] = offsetof(struct pgid_slot_user, worker_num);
	v[i++] = offsetof(struct pgid_slot_user, cycles);
	v[i++] = offsetof(struct pgid_slot_user, instructions);
	v[i++] = offsetof(struct ipc_shared, active_mask);
	v[i++] = offsetof(struct ipc_shared, slots);
	v[i++] = sizeof(struct ipc_shared);
	for (size_t k = 0; k < i; k++)
		sink = v[k];

	CHECK(v[0] == sizeof(struct seed_slot));
	CHECK(v[1] == offsetof(struct seed_slot, pgid));
	CHECK(v[2] == offsetof(struct seed_slot, global_jobid));
	CHECK(v[3] == offsetof(struct seed_slot, worker_num));
	CHECK(v[4] == offsetof(struct seed_slot, cycles));
	CHECK(v[5] == offsetof(struct seed_slot, instructions));
	CHECK(v[6] == offsetof(struct seed_shared, active_mask));
	CHECK(v[7] == offsetof(struct seed_shared, slots), "%zu", v[7]);
	CHECK(v[8] == sizeof(struct seed_shared), "%zu", v[8]);
	CHECK(v[8] == IPCMON_SHARED_SIZE);
	CHECK(IPCMON_MAP_SIZE_4K == ((IPCMON_SHARED_SIZE + 4095) & ~4095));
	CHECK(sysconf(_SC_PAGESIZE) == 4096);

	/* argument and message structs */
	CHECK(sizeof(struct rtmon_add_pgid_args) == 16);
	CHECK(offsetof(struct rtmon_add_pgid_args, worker_num) == 8);
	CHECK(sizeof(struct rtmon_pgid_args) == 8);
	CHECK(sizeof(struct ipcmon_reset_args) == 8);
	CHECK(sizeof(struct ipcmon_info) == 32);
	CHECK(sizeof(struct ipcmon_cpu_info) == 32);
	CHECK(offsetof(struct ipcmon_cpu_info, flush_ticks) == 16);
	CHECK(offsetof(struct ipcmon_cpu_info, recoveries) == 24);
	CHECK(sizeof(struct rtmon_nl_long_running) == 24);
	CHECK(offsetof(struct rtmon_nl_long_running, runtime_sec) == 16);
	CHECK(sizeof(struct rtmon_nl_ack) == 8);
	CHECK(sizeof(struct rtmon_nl_registered) == 16);
	CHECK(offsetof(struct rtmon_nl_registered, slot) == 8);
	CHECK(sizeof(struct rtmon_nl_released) == 16);

	/* ioctl numbers as documented for other languages */
	CHECK(RTMON_IOC_ADD_PGID == 0x4010b701);
	CHECK(RTMON_IOC_REMOVE_PGID == 0x4008b702);
	CHECK(RTMON_IOC_SET_THRESHOLD == 0x4004b703);
	CHECK(RTMON_IOC_SET_DATA_LOADER_PID == 0x4004b704);
	CHECK(RTMON_IOC_REQUEST_PROFILE == 0x4008b705);
	CHECK(IPCMON_IOC_RESET == 0x4008b720);
	CHECK(IPCMON_IOC_GET_INFO == 0x8020b721);
	CHECK(IPCMON_IOC_GET_CPU_INFO == 0xc020b722);
	CHECK(SMTCHECK_NETLINK_PROTO == 31);
	/* the original SMTcheck's, as its tools spell them */
	CHECK(RTMON_ORIG_IOC_ADD_PGID == 0x400c6b00);
	CHECK(RTMON_ORIG_IOC_REMOVE_PGID == 0x40046b01);
	CHECK(RTMON_ORIG_IOC_SET_THRESHOLD == 0x40046b02);
	CHECK(RTMON_ORIG_IOC_SET_DATA_LOADER_PID == 0x40046b03);
	CHECK(RTMON_ORIG_IOC_REQUEST_PROFILE == 0x40046b04);
	CHECK(IPCMON_ORIG_IOC_RESET_COUNTERS == 0x4900);
	CHECK(sizeof(struct rtmon_orig_add_pgid_args) == 12);
}

void test_abi_info(void)
{
	struct ipcmon_info info;
	char buf[64];
	int fd;

	kt_reload(NULL, NULL);
	fd = kt_open_ipc();
	memset(&info, 0xff, sizeof(info));
	CHECK_OK(ioctl(fd, IPCMON_IOC_GET_INFO, &info));
	CHECK(info.abi_version == SMTCHECK_ABI_VERSION);
	CHECK(info.nr_slots == IPCMON_MAX_SLOTS);
	CHECK(info.table_size == IPCMON_SHARED_SIZE, "%u", info.table_size);
	CHECK(info.map_size == IPCMON_MAP_SIZE_4K, "%u", info.map_size);
	CHECK(info.flush_interval_ms == 100);
	CHECK(info.reserved[0] == 0 && info.reserved[1] == 0);
	CHECK(info.counter_mode == IPCMON_MODE_SOFTWARE ||
	      info.counter_mode == IPCMON_MODE_HARDWARE);

	CHECK_OK(kt_read_param("IPC_monitor", "counter_mode", buf, sizeof(buf)));
	CHECK(!strcmp(buf, info.counter_mode == IPCMON_MODE_HARDWARE ?
		      "hardware" : "software"), "counter_mode=%s", buf);
	kt_log("counter mode: %s", buf);
	CHECK_OK(kt_read_param("runtime_monitor", "threshold", buf, sizeof(buf)));
	CHECK(!strcmp(buf, "3600"), "threshold=%s", buf);
	CHECK_OK(kt_read_param("runtime_monitor", "data_loader_pid", buf,
			       sizeof(buf)));
	CHECK(!strcmp(buf, "0"), "data_loader_pid=%s", buf);

	CHECK_ERRNO(ioctl(fd, IPCMON_IOC_GET_INFO, (void *)8), EFAULT);
	close(fd);
}

static void check_dev(const char *path)
{
	struct stat st;

	REQUIRE(stat(path, &st) == 0, "%s: %s", path, strerror(errno));
	CHECK(S_ISCHR(st.st_mode), "%s", path);
	CHECK((st.st_mode & 07777) == 0600, "%s mode %o", path,
	      st.st_mode & 07777);
	CHECK(st.st_uid == 0 && st.st_gid == 0, "%s", path);
}

void test_dev_nodes(void)
{
	kt_reload(NULL, NULL);
	check_dev("/dev/IPC_monitor");
	check_dev("/dev/runtime_monitor");
}

void test_mmap_readonly(void)
{
	const struct ipc_shared *t;
	int fd, rw;
	void *p;

	kt_reload(NULL, NULL);
	fd = kt_open_ipc();
	rw = open("/dev/IPC_monitor", O_RDWR);
	REQUIRE(rw >= 0, "open O_RDWR: %s", strerror(errno));

	t = kt_map(fd);
	CHECK(kt_count(t) == 0);
	CHECK(kt_mask_popcount(t) == 0);
	CHECK(t->__pad0 == 0);

	/*
	 * writable only shared, from an O_RDWR file, by a process with
	 * CAP_PERFMON (test_orig.c: unprivileged callers, and what a write
	 * can change); never private or executable
	 */
	p = mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, rw, 0);
	CHECK(p != MAP_FAILED, "mmap shared read-write: %s", strerror(errno));
	if (p != MAP_FAILED)
		munmap(p, MAP_LEN);
	CHECK_ERRNO(mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE,
			 rw, 0) == MAP_FAILED ? -1 : 0, EACCES);
	CHECK_ERRNO(mmap(NULL, MAP_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fd, 0) == MAP_FAILED ? -1 : 0, EACCES);
	CHECK_ERRNO(mmap(NULL, MAP_LEN, PROT_READ | PROT_EXEC, MAP_SHARED,
			 rw, 0) == MAP_FAILED ? -1 : 0, EACCES);
	/* nor made so later */
	p = mmap(NULL, MAP_LEN, PROT_READ, MAP_SHARED, fd, 0);
	REQUIRE(p != MAP_FAILED, "mmap O_RDONLY PROT_READ: %s", strerror(errno));
	CHECK_ERRNO(mprotect(p, MAP_LEN, PROT_READ | PROT_WRITE), EACCES);
	CHECK_ERRNO(mprotect(p, MAP_LEN, PROT_READ | PROT_EXEC), EACCES);
	munmap(p, MAP_LEN);
	p = mmap(NULL, MAP_LEN, PROT_READ, MAP_PRIVATE, rw, 0);
	REQUIRE(p != MAP_FAILED, "mmap MAP_PRIVATE: %s", strerror(errno));
	CHECK_ERRNO(mprotect(p, MAP_LEN, PROT_READ | PROT_WRITE), EACCES);
	munmap(p, MAP_LEN);

	/* bounds */
	CHECK_ERRNO(mmap(NULL, MAP_LEN + 4096, PROT_READ, MAP_SHARED, fd, 0) ==
		    MAP_FAILED ? -1 : 0, EINVAL);
	CHECK_ERRNO(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 4096) ==
		    MAP_FAILED ? -1 : 0, EINVAL);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "partial mapping: %s", strerror(errno));
	if (p != MAP_FAILED)
		munmap(p, 4096);

	/* the whole table reads back as an empty table */
	for (int i = 0; i < IPCMON_MAX_SLOTS; i++) {
		struct pgid_slot_user u;

		kt_read_slot(t, i, &u);
		if (u.pgid || u.global_jobid || u.worker_num || u.cycles ||
		    u.instructions) {
			CHECK(0, "slot %d not empty", i);
			break;
		}
	}
	kt_unmap(t);
	close(rw);
	close(fd);
}

/* The guest is booted with 2 cores x 2 threads: siblings must show. */
void test_smt_topology(void)
{
	char path[96], buf[32];
	int cpu;

	for (cpu = 0; cpu < 4; cpu++) {
		FILE *f;

		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list",
			 cpu);
		f = fopen(path, "r");
		REQUIRE(f, "%s: %s", path, strerror(errno));
		REQUIRE(fgets(buf, sizeof(buf), f), "read %s", path);
		fclose(f);
		buf[strcspn(buf, "\n")] = 0;
		CHECK(!strcmp(buf, cpu < 2 ? "0-1" : "2-3"),
		      "cpu%d siblings %s", cpu, buf);
	}
}
